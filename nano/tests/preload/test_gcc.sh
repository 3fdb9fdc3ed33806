#!/bin/sh
# gcc compiling a generated C file with many functions, with and without the
# preload (gcc, cc1, as, collect2 and ld all run preloaded): identical object
# files, and the programs linked from them print the same; every process of
# the compiler serves >= 90% of its requests of 256 bytes or less from nano.
#   test_gcc.sh PRELOAD CC
PRELOAD=$1
CC=$2
. "$(dirname "$0")/lib.sh"
setup
need_file "$PRELOAD" "libnano_preload.so"

awk 'BEGIN { n = 600
	print "#include <stdio.h>"
	for (i = 0; i < n; i++) {
		printf "static unsigned long f%d(unsigned long x)\n{\n", i
		printf "\tunsigned long s = %d;\n\tstruct { int a[%d]; char c; } st = { { %d }, 1 };\n", i, 1 + i % 5, i
		printf "\tfor (unsigned long j = 0; j < (x & 7); j++) {\n\t\ts = s * 31 + (j ^ %d);\n", i * 7
		printf "\t\tif (s %% 3 == 0)\n\t\t\ts += x;\n\t}\n\treturn s + st.a[0] + st.c;\n}\n"
	}
	print "int main(void)\n{\n\tunsigned long t = 0;"
	for (i = 0; i < n; i++)
		printf "\tt += f%d(%d);\n", i, i
	print "\tprintf(\"%lu\\n\", t);\n\treturn 0;\n}"
}' > "$T/gen.c" || fail "generating the C file"

cd "$T" || fail "cd"
"$CC" -O2 -c gen.c -o plain.o || fail "cc without the preload"
with_nano "$CC" -O2 -c gen.c -o nano.o 2> err_cc.txt || { cat err_cc.txt >&2; fail "cc with the preload failed"; }
cmp -s plain.o nano.o || fail "gcc: the object file compiled with the preload differs"
check_share err_cc.txt "gcc -c"

"$CC" plain.o -o plain_prog || fail "link without the preload"
with_nano "$CC" nano.o -o nano_prog 2> err_ld.txt || { cat err_ld.txt >&2; fail "link with the preload failed"; }
check_share err_ld.txt "gcc (link)"
./plain_prog > plain.txt || fail "running the program linked without the preload"
./nano_prog > nano.txt || fail "running the program linked with the preload"
same plain.txt nano.txt "gcc-built program"
note "PASS: gcc"
