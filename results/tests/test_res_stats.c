/*
 * test_res_stats.c - medians, bootstrap ratio intervals and the noise
 * flags of a cell on inputs whose answers are known.
 */
#include "res_stats.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

static int near(double a, double b, double tol)
{
	return fabs(a - b) <= tol;
}

/* xorshift + Box-Muller, for noise of a known shape */
static double gauss(uint64_t *s)
{
	double u[2];
	for (int i = 0; i < 2; i++) {
		*s ^= *s << 13;
		*s ^= *s >> 7;
		*s ^= *s << 17;
		u[i] = ((double)(*s >> 11) + 0.5) / 9007199254740992.0;
	}
	return sqrt(-2 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

static void noise_flags(void)
{
	struct res_noise nz;
	/* issue 13's xmalloc cells: one repetition 4x the others */
	double glibc[] = { 6.95, 6.97, 26.6, 6.68, 6.94 };
	res_noise(glibc, 5, &nz);
	assert(nz.unstable && nz.shape == RES_SHAPE_OUTLIER && nz.max_min > 3.9);
	double je[] = { 26.5, 59.5, 26.3, 24.6, 23.8 };
	res_noise(je, 5, &nz);
	assert(nz.unstable && nz.shape == RES_SHAPE_OUTLIER);
	double two[] = { 1.0, 1.01, 2.0, 0.99, 2.02, 2.01 };
	res_noise(two, 6, &nz);
	assert(nz.unstable && nz.shape == RES_SHAPE_BIMODAL);
	double calm[] = { 1.0, 1.01, 0.99, 1.02, 1.0, 0.98 };
	res_noise(calm, 6, &nz);
	assert(!nz.unstable && nz.shape == RES_SHAPE_PLAIN && nz.cv < 0.02);
	/* max/min alone: 1.0 and 1.3 among many equal values (CV under 5%
	 * needs many values; max/min says unstable anyway) */
	double wide[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1.3 };
	res_noise(wide, 24, &nz);
	assert(nz.unstable && nz.cv < 0.07 && near(nz.max_min, 1.3, 1e-12));
	res_noise(glibc, 1, &nz);
	assert(!nz.unstable && isnan(nz.cv));

	/* Honesty of the shape flags: on normal noise of CV 3% they should
	 * almost never fire (6 and 10 repetitions, 5000 cells each). */
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	for (size_t n = 6; n <= 10; n += 4) {
		unsigned flagged = 0, unstable = 0;
		for (int k = 0; k < 5000; k++) {
			double x[10];
			for (size_t i = 0; i < n; i++)
				x[i] = 1.0 + 0.03 * gauss(&seed);
			res_noise(x, n, &nz);
			flagged += nz.shape != RES_SHAPE_PLAIN;
			unstable += nz.unstable;
		}
		printf("normal noise, CV 3%%, n=%zu: %.2f%% flagged outlier/bimodal, %.1f%% unstable\n",
		       n, flagged / 50.0, unstable / 50.0);
		assert(flagged < 50);   /* under 1% */
	}
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

	noise_flags();
	puts("res_stats: ok");
	return 0;
}
