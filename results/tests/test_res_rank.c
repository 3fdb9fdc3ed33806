/*
 * test_res_rank.c - the exact rank-sum test against complete enumeration,
 * the Hodges-Lehmann interval against hand-worked values, Benjamini-
 * Hochberg and Holm, and res_decide's rule (6 repetitions, one family per block).
 */
#include "res_decide.h"
#include "res_rank.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int near(double a, double b, double tol)
{
	return fabs(a - b) <= tol * fmax(1.0, fabs(b));
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double gauss(void)
{
	double u1 = ((double)(next() >> 11) + 0.5) / 9007199254740992.0;
	double u2 = ((double)(next() >> 11) + 0.5) / 9007199254740992.0;
	return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
}

/* The p-value by brute force: every split of the pooled values, rank sums
 * from midranks computed the slow way. */
static double brute_p(const double *a, size_t na, const double *b, size_t nb)
{
	size_t n = na + nb;
	double v[16], rank[16], obs = 0, mean = (double)na * (double)(n + 1) / 2;
	unsigned long tail = 0, all = 0;
	for (size_t i = 0; i < n; i++)
		v[i] = i < na ? a[i] : b[i - na];
	for (size_t i = 0; i < n; i++) {
		double below = 0, equal = 0;
		for (size_t j = 0; j < n; j++) {
			below += v[j] < v[i];
			equal += v[j] == v[i];
		}
		rank[i] = below + (equal + 1) / 2;
	}
	for (size_t i = 0; i < na; i++)
		obs += rank[i];
	for (unsigned long mask = 0; mask < (1ul << n); mask++) {
		if ((size_t)__builtin_popcountl(mask) != na)
			continue;
		double s = 0;
		for (size_t i = 0; i < n; i++)
			if (mask >> i & 1)
				s += rank[i];
		all++;
		tail += fabs(s - mean) >= fabs(obs - mean) - 1e-9;
	}
	return (double)tail / (double)all;
}

static void exact_p(void)
{
	double lowv[] = { 1, 2, 3, 4, 5, 6 }, highv[] = { 7, 8, 9, 10, 11, 12 };
	/* fully separated: 2 / C(2n, n) */
	assert(near(res_rank_p(lowv, 3, highv, 3), 2.0 / 20, 1e-12));
	assert(near(res_rank_p(lowv, 5, highv, 5), 2.0 / 252, 1e-12));
	assert(near(res_rank_p(lowv, 6, highv, 6), 2.0 / 924, 1e-12));
	assert(near(res_rank_p(highv, 6, lowv, 6), 2.0 / 924, 1e-12));
	assert(res_rank_p(lowv, 5, lowv, 5) == 1.0);
	assert(res_rank_p(lowv, 0, highv, 5) == 1.0);
	/* random samples with and without ties against enumeration */
	for (int k = 0; k < 300; k++) {
		size_t na = 1 + next() % 7, nb = 1 + next() % 7;
		double a[8], b[8];
		int ties = k % 2;
		for (size_t i = 0; i < na; i++)
			a[i] = ties ? (double)(next() % 5) : gauss();
		for (size_t i = 0; i < nb; i++)
			b[i] = ties ? (double)(next() % 5) + (k % 3 == 0) : gauss() + 0.5;
		double want = brute_p(a, na, b, nb), got = res_rank_p(a, na, b, nb);
		if (!near(got, want, 1e-9)) {
			fprintf(stderr, "p %zu vs %zu: got %.12g, enumeration %.12g\n", na, nb, got, want);
			abort();
		}
	}
}

static void hodges_lehmann(void)
{
	double x[] = { 1, 2, 3, 4, 5 }, y[5], est, lo, hi;
	for (int i = 0; i < 5; i++)
		y[i] = x[i] + 10;
	/* differences 6..14 with multiplicities 1 2 3 4 5 4 3 2 1; at 5 vs 5
	 * the 95% interval is [d(3), d(23)] */
	assert(res_hl_shift(x, 5, y, 5, 0.95, &est, &lo, &hi) == 0);
	assert(est == 10 && lo == 7 && hi == 13);
	/* 4 vs 4: [d(1), d(16)] = the extreme differences */
	assert(res_hl_shift(x, 4, y, 4, 0.95, &est, &lo, &hi) == 0);
	assert(est == 10 && lo == 7 && hi == 13);
	/* 3 vs 3: P(U = 0) = 1/20 > 2.5%: no 95% interval */
	assert(res_hl_shift(x, 3, y, 3, 0.95, &est, &lo, &hi) == 1);
	assert(est == 10 && isnan(lo) && isnan(hi));
	assert(res_hl_shift(x, 0, y, 3, 0.95, &est, &lo, &hi) == -1);
	/* the interval inverts the test: a shift just inside the interval
	 * leaves p >= 0.05, one just outside gives p < 0.05 */
	for (int k = 0; k < 50; k++) {
		double a[8], b[8], sh[8];
		for (int i = 0; i < 8; i++) {
			a[i] = gauss();
			b[i] = gauss() + 1;
		}
		assert(res_hl_shift(a, 8, b, 8, 0.95, &est, &lo, &hi) == 0 && lo <= est && est <= hi);
		for (int i = 0; i < 8; i++)
			sh[i] = b[i] - (lo + 1e-9);
		assert(res_rank_p(a, 8, sh, 8) >= 0.05);
		for (int i = 0; i < 8; i++)
			sh[i] = b[i] - (lo - 1e-9);
		assert(res_rank_p(a, 8, sh, 8) < 0.05);
	}
}

static void bh(void)
{
	double p[] = { 0.01, 0.04, 0.03, 0.5 }, q[4];
	res_bh(p, 4, q);
	assert(near(q[0], 0.04, 1e-12) && near(q[1], 0.04 * 4 / 3, 1e-12) &&
	       near(q[2], 0.04 * 4 / 3, 1e-12) && near(q[3], 0.5, 1e-12));
	double adj[4];
	res_holm(p, 4, adj);
	/* sorted: 0.01*4=0.04, 0.03*3=0.09, 0.04*2=0.08 -> 0.09 (monotone), 0.5 */
	assert(near(adj[0], 0.04, 1e-12) && near(adj[2], 0.09, 1e-12) &&
	       near(adj[1], 0.09, 1e-12) && near(adj[3], 0.5, 1e-12));
}

/* A block of 8 allocators, 6 repetitions, CV 3%: one of them doubles. */
static void decide(void)
{
	double base[8][6], other[8][6];
	struct res_pair fam[8];
	for (int k = 0; k < 8; k++) {
		for (int i = 0; i < 6; i++) {
			base[k][i] = 1e6 * (1 + 0.03 * gauss());
			other[k][i] = 1e6 * (1 + 0.03 * gauss()) * (k == 3 ? 2.0 : 1.0);
		}
		fam[k] = (struct res_pair){ .a = base[k], .na = 6, .b = other[k], .nb = 6 };
	}
	res_decide(fam, 8);
	int called = 0;
	for (int k = 0; k < 8; k++) {
		if (k == 3) {
			assert(fam[k].verdict == RES_FASTER);
			assert(fam[k].ratio > 1.8 && fam[k].ratio < 2.2 && fam[k].lo < fam[k].ratio &&
			       fam[k].hi > fam[k].ratio && fam[k].lo > 1.5);
		} else {
			/* a null pair can get a verdict (that is the 5% false
			 * discovery rate); more than one of seven would be odd */
			assert(fam[k].verdict == RES_SAME || fam[k].verdict == RES_FASTER ||
			       fam[k].verdict == RES_SLOWER);
			called += fam[k].verdict != RES_SAME;
		}
	}
	assert(called <= 1);
	/* 5 repetitions: undecided, with an interval */
	fam[3] = (struct res_pair){ .a = base[3], .na = 5, .b = other[3], .nb = 5 };
	res_decide(&fam[3], 1);
	assert(fam[3].verdict == RES_UNDECIDED && isfinite(fam[3].lo) && isnan(fam[3].q));
	/* halving is "slower"; non-positive values are skipped */
	double half[6], zero[7];
	for (int i = 0; i < 6; i++)
		half[i] = zero[i] = base[0][i] / 2;
	zero[6] = 0;
	fam[0] = (struct res_pair){ .a = base[0], .na = 6, .b = zero, .nb = 7 };
	res_decide(&fam[0], 1);
	assert(fam[0].verdict == RES_SLOWER && fam[0].nb == 6 && near(fam[0].ratio, 0.5, 0.1));
	(void)half;
	/* figures printed with few digits: 30 ones against 17 ones and 13
	 * twos. Most differences are 0, so the estimate is exactly 1, but the
	 * test finds b above a: "faster", not "same" */
	double ones[30], some[30];
	for (int i = 0; i < 30; i++) {
		ones[i] = 1;
		some[i] = i < 17 ? 1 : 2;
	}
	fam[0] = (struct res_pair){ .a = ones, .na = 30, .b = some, .nb = 30 };
	res_decide(&fam[0], 1);
	assert(fam[0].ratio == 1 && fam[0].q < 0.001 && fam[0].verdict == RES_FASTER);
	fam[0] = (struct res_pair){ .a = some, .na = 30, .b = ones, .nb = 30 };
	res_decide(&fam[0], 1);
	assert(fam[0].ratio == 1 && fam[0].verdict == RES_SLOWER);
}

int main(void)
{
	exact_p();
	hodges_lehmann();
	bh();
	decide();
	puts("res_rank: ok");
	return 0;
}
