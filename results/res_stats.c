/*
 * res_stats.c - medians, bootstrap intervals, Mann-Whitney U, Holm.
 */
#include "res_stats.h"

#include <math.h>
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

double res_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb)
{
	size_t n = na + nb;
	double (*v)[2], ra = 0, tie = 0;

	if (na == 0 || nb == 0)
		return 1.0;
	v = malloc(n * sizeof(*v));
	if (!v)
		return 1.0;
	for (size_t i = 0; i < na; i++) {
		v[i][0] = a[i];
		v[i][1] = 0;
	}
	for (size_t i = 0; i < nb; i++) {
		v[na + i][0] = b[i];
		v[na + i][1] = 1;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	/* average ranks over ties */
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && v[j + 1][0] == v[i][0])
			j++;
		double rank = (double)(i + j) / 2.0 + 1.0, t = (double)(j - i + 1);
		for (size_t k = i; k <= j; k++)
			if (v[k][1] == 0)
				ra += rank;
		tie += t * t * t - t;
		i = j + 1;
	}
	free(v);
	double u = ra - (double)na * (double)(na + 1) / 2.0;
	double mu = (double)na * (double)nb / 2.0;
	double var = (double)na * (double)nb / 12.0 *
		     ((double)(n + 1) - tie / ((double)n * (double)(n - 1)));
	if (var <= 0)
		return 1.0;
	double z = (fabs(u - mu) - 0.5) / sqrt(var);   /* continuity correction */
	if (z < 0)
		z = 0;
	return erfc(z / sqrt(2.0));
}

void res_holm(const double *p, size_t n, double *adjusted)
{
	size_t *idx = malloc(n * sizeof(size_t));
	double running = 0;
	if (!idx) {
		for (size_t i = 0; i < n; i++)
			adjusted[i] = fmin(1.0, p[i] * (double)n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	for (size_t i = 1; i < n; i++) {            /* insertion sort by p */
		size_t k = idx[i], j = i;
		while (j > 0 && p[idx[j - 1]] > p[k]) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = k;
	}
	for (size_t r = 0; r < n; r++) {
		double v = fmin(1.0, p[idx[r]] * (double)(n - r));
		running = fmax(running, v);
		adjusted[idx[r]] = running;
	}
	free(idx);
}
