/*
 * test_res_stats.c - medians, bootstrap ratio intervals, Mann-Whitney U and
 * Holm on inputs whose answers are known.
 */
#include "res_stats.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>

static int near(double a, double b, double tol)
{
	return fabs(a - b) <= tol;
}

int main(void)
{
	double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 };
	assert(res_median(odd, 3) == 3);
	assert(res_median(even, 4) == 2.5);

	double x[] = { 10, 2, 8, 4, 6 };
	struct res_summary s;
	res_summarise(x, 5, &s);
	assert(s.n == 5 && s.median == 6 && s.min == 2 && s.max == 10 && s.q1 == 4 && s.q3 == 8);

	/* b is exactly 1.5 x a: the ratio and a tight interval around it */
	double a[] = { 100, 101, 99, 100.5, 99.5 }, b[5];
	for (int i = 0; i < 5; i++)
		b[i] = 1.5 * a[i];
	double r, lo, hi;
	assert(res_ratio_ci(a, 5, b, 5, 42, &r, &lo, &hi) == 0);
	assert(near(r, 1.5, 1e-12) && lo <= r && hi >= r && lo > 1.45 && hi < 1.55);
	assert(res_ratio_ci(a, 1, b, 5, 42, &r, &lo, &hi) == -1);

	/* fully separated samples of 5 vs 5: exact two-sided p = 2/252 = 0.0079;
	 * the normal approximation with continuity correction gives about 0.012 */
	double lowv[] = { 1, 2, 3, 4, 5 }, highv[] = { 6, 7, 8, 9, 10 };
	double p = res_mann_whitney_p(lowv, 5, highv, 5);
	assert(p > 0.005 && p < 0.02);
	/* identical samples: no evidence at all */
	assert(res_mann_whitney_p(lowv, 5, lowv, 5) > 0.9);
	assert(res_mann_whitney_p(lowv, 0, highv, 5) == 1.0);

	double ps[] = { 0.01, 0.04, 0.03, 0.5 }, adj[4];
	res_holm(ps, 4, adj);
	/* sorted: 0.01*4=0.04, 0.03*3=0.09, 0.04*2=0.08 -> 0.09 (monotone), 0.5 */
	assert(near(adj[0], 0.04, 1e-12) && near(adj[2], 0.09, 1e-12) &&
	       near(adj[1], 0.09, 1e-12) && near(adj[3], 0.5, 1e-12));
	puts("res_stats: ok");
	return 0;
}
