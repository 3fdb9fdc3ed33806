# z3.awk - K factoring problems for z3 in SMT-LIB (QF_BV), on standard
# output: for each, in its own push/pop scope, two 24-bit factors greater
# than 1 whose product is a given number. z3 bit-blasts each multiplication
# and searches: terms, clauses and their vectors come and go. The answers
# (one sat or unsat per problem) depend only on the numbers, which come from
# a fixed seed.
#   awk -v K=100 -f z3.awk | z3 -in
BEGIN {
	k = K ? K + 0 : 100
	srand(5)
	print "(set-logic QF_BV)"
	for (s = 0; s < k; s++) {
		print "(push 1)"
		print "(declare-const a (_ BitVec 24))"
		print "(declare-const b (_ BitVec 24))"
		printf "(assert (= (bvmul a b) (_ bv%d 24)))\n", int(rand() * 16000000) + 1
		print "(assert (bvugt a (_ bv1 24)))"
		print "(assert (bvugt b (_ bv1 24)))"
		print "(check-sat)"
		print "(pop 1)"
	}
}
