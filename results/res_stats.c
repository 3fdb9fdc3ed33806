/*
 * res_stats.c - medians, bootstrap intervals, and the noise of a cell.
 */
#include "res_stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double res_quantile_sorted(const double *x, size_t n, double q)
{
	if (n == 0)
		return NAN;
	double pos = q * (double)(n - 1);
	size_t i = (size_t)pos;
	double f = pos - (double)i;
	return i + 1 < n ? x[i] * (1 - f) + x[i + 1] * f : x[n - 1];
}

double res_median(double *x, size_t n)
{
	qsort(x, n, sizeof(double), cmp_double);
	return res_quantile_sorted(x, n, 0.5);
}

double res_median_of(const double *x, size_t n)
{
	double tmp[RES_NOISE_MAX];
	if (n == 0)
		return NAN;
	if (n > RES_NOISE_MAX)
		n = RES_NOISE_MAX;
	memcpy(tmp, x, n * sizeof(double));
	return res_median(tmp, n);
}

void res_summarise(double *x, size_t n, struct res_summary *s)
{
	qsort(x, n, sizeof(double), cmp_double);
	s->n = n;
	s->median = res_quantile_sorted(x, n, 0.5);
	s->q1 = res_quantile_sorted(x, n, 0.25);
	s->q3 = res_quantile_sorted(x, n, 0.75);
	s->min = n ? x[0] : NAN;
	s->max = n ? x[n - 1] : NAN;
}

/* splitmix64: a small, seedable generator for resampling. */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double resample_median(const double *x, size_t n, double *tmp, uint64_t *seed)
{
	for (size_t i = 0; i < n; i++)
		tmp[i] = x[next_rand(seed) % n];
	return res_median(tmp, n);
}

int res_ratio_ci(const double *a, size_t na, const double *b, size_t nb, uint64_t seed,
		 double *ratio, double *lo, double *hi)
{
	enum { ROUNDS = 2000 };
	double *tmp, *r, ma, mb;
	size_t nmax = na > nb ? na : nb, k = 0;

	if (na < 2 || nb < 2)
		return -1;
	tmp = malloc(nmax * sizeof(double));
	r = malloc(ROUNDS * sizeof(double));
	if (!tmp || !r) {
		free(tmp);
		free(r);
		return -1;
	}
	memcpy(tmp, a, na * sizeof(double));
	ma = res_median(tmp, na);
	memcpy(tmp, b, nb * sizeof(double));
	mb = res_median(tmp, nb);
	*ratio = mb / ma;
	for (int i = 0; i < ROUNDS; i++) {
		double x = resample_median(a, na, tmp, &seed);
		double y = resample_median(b, nb, tmp, &seed);
		if (x > 0)
			r[k++] = y / x;
	}
	qsort(r, k, sizeof(double), cmp_double);
	*lo = res_quantile_sorted(r, k, 0.025);
	*hi = res_quantile_sorted(r, k, 0.975);
	free(tmp);
	free(r);
	return 0;
}


void res_noise(const double *x, size_t n, struct res_noise *out)
{
	double l[RES_NOISE_MAX], sum = 0, ss = 0;

	memset(out, 0, sizeof(*out));
	out->cv = out->max_min = NAN;
	if (n > RES_NOISE_MAX)
		n = RES_NOISE_MAX;
	out->n = n;
	if (n < 2)
		return;
	for (size_t i = 0; i < n; i++)
		sum += x[i];
	double mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - mean) * (x[i] - mean);
	out->cv = sqrt(ss / (double)(n - 1)) / mean;
	for (size_t i = 0; i < n; i++)
		l[i] = log(x[i]);
	qsort(l, n, sizeof(double), cmp_double);
	out->max_min = exp(l[n - 1] - l[0]);
	out->unstable = out->cv > RES_UNSTABLE_CV || out->max_min > RES_UNSTABLE_MAXMIN;
	if (n < 4)
		return;
	size_t k = 1;                      /* the split: l[0..k) and l[k..n) */
	for (size_t i = 2; i < n; i++)
		if (l[i] - l[i - 1] > l[k] - l[k - 1])
			k = i;
	double gap = l[k] - l[k - 1];
	double spread = fmax(l[k - 1] - l[0], l[n - 1] - l[k]);
	if (gap >= log(RES_CLUSTER_GAP) && gap >= 2 * spread)
		out->shape = k == 1 || k == n - 1 ? RES_SHAPE_OUTLIER : RES_SHAPE_BIMODAL;
}

void res_noise_text(const struct res_noise *nz, char *buf, size_t len)
{
	if (nz->n < 2) {
		snprintf(buf, len, "%s", "");
		return;
	}
	snprintf(buf, len, "CV %.1f%%, max/min %.2f%s", 100 * nz->cv, nz->max_min,
		 nz->shape == RES_SHAPE_OUTLIER ? ", outlier" :
		 nz->shape == RES_SHAPE_BIMODAL ? ", bimodal" : "");
}
