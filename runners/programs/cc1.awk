# cc1.awk - a C file of N functions for gcc -O2, on standard output: loops,
# switches, calls and floating point over a linked structure, each function
# calling the one before, so that the compiler's trees, RTL, bitmaps and
# pass data come and go. Deterministic: the text depends on N only.
#   awk -v N=75 -f cc1.awk | gcc -O2 -S -x c - -o -
BEGIN {
	n = N ? N + 0 : 75
	print "struct node { int key; long val; struct node *next; double w[4]; };"
	print "static long mix(long a, long b) { return (a * 31) ^ (b >> 3); }"
	for (i = 0; i < n; i++) {
		printf "long f%d(struct node *p, int k)\n{\n\tlong acc = %d;\n", i, i
		printf "\tfor (int j = 0; j < k; j++) {\n\t\tswitch ((j + %d) %% 5) {\n", i
		for (c = 0; c < 5; c++)
			printf "\t\tcase %d: acc = mix(acc, p->val + %d * j); if (p->next) p = p->next; break;\n", c, c + i
		printf "\t\t}\n\t\tp->w[j & 3] += acc * %d.5;\n\t}\n", i % 7
		if (i > 0)
			printf "\tif (acc & 1)\n\t\tacc += f%d(p, k - 1);\n", i - 1
		printf "\treturn acc + p->key;\n}\n"
	}
}
