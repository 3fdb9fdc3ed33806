/*
 * res_rank.c - exact rank-sum test, Hodges-Lehmann shift, Benjamini-Hochberg
 * (see res_rank.h).
 *
 * The exact null distribution: doubled midranks are integers, so the number
 * of ways to pick k of the n pooled values with a given sum of doubled ranks
 * is a subset-sum count, built item by item in a (k + 1) x (max sum + 1)
 * table (n * k * sum steps: about 10^4 at 6 vs 6, 10^8 at 64 vs 64).
 */
#include "res_rank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* counts[s] = number of k-subsets of score[0..n) whose scores sum to s,
 * for s = 0..*smax. malloc'ed; NULL when out of memory. */
static double *subset_sum_counts(const unsigned *score, size_t n, size_t k, size_t *smax)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += score[i];
	size_t w = total + 1;
	double *dp = calloc((k + 1) * w, sizeof(double));
	if (!dp)
		return NULL;
	dp[0] = 1;
	size_t reach = 0;                   /* largest sum reached so far */
	for (size_t i = 0; i < n; i++) {
		size_t top = i + 1 < k ? i + 1 : k;
		for (size_t j = top; j >= 1; j--) {
			double *to = dp + j * w, *from = dp + (j - 1) * w;
			for (size_t s = reach + score[i]; s + 1 > score[i]; s--) {
				to[s] += from[s - score[i]];
				if (s == score[i])
					break;
			}
		}
		reach += score[i];
	}
	double *out = malloc(w * sizeof(double));
	if (out)
		memcpy(out, dp + k * w, w * sizeof(double));
	free(dp);
	*smax = total;
	return out;
}

/* Doubled midranks of the pooled sample (a first, then b) into r2; the
 * doubled rank sum of a is returned. Ties: the sum of tie-group sizes
 * cubed minus the sizes goes to *tie (for the normal approximation). */
static unsigned long pooled_ranks(const double *a, size_t na, const double *b, size_t nb,
				  unsigned *r2, double *tie)
{
	size_t n = na + nb;
	double (*v)[2] = malloc(n * sizeof(*v));
	unsigned long sum_a = 0;
	*tie = 0;
	if (!v)
		return 0;
	for (size_t i = 0; i < n; i++) {
		v[i][0] = i < na ? a[i] : b[i - na];
		v[i][1] = (double)i;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && v[j + 1][0] == v[i][0])
			j++;
		double t = (double)(j - i + 1);
		*tie += t * t * t - t;
		for (size_t k = i; k <= j; k++) {
			size_t orig = (size_t)v[k][1];
			r2[orig] = (unsigned)(i + j + 2);       /* 2 * ((i + j) / 2 + 1) */
			if (orig < na)
				sum_a += r2[orig];
		}
		i = j + 1;
	}
	free(v);
	return sum_a;
}

/* Normal approximation with tie and continuity correction (large samples). */
static double normal_p(double sum_a, size_t na, size_t nb, double tie)
{
	double n = (double)(na + nb);
	double u = sum_a - (double)na * (double)(na + 1) / 2.0;
	double mu = (double)na * (double)nb / 2.0;
	double var = (double)na * (double)nb / 12.0 * ((n + 1) - tie / (n * (n - 1)));
	if (var <= 0)
		return 1.0;
	double z = (fabs(u - mu) - 0.5) / sqrt(var);
	return z <= 0 ? 1.0 : erfc(z / sqrt(2.0));
}

double res_rank_p(const double *a, size_t na, const double *b, size_t nb)
{
	size_t n = na + nb, smax;
	double tie, p = 1.0;
	unsigned *r2;

	if (na == 0 || nb == 0 || !(r2 = malloc(n * sizeof(unsigned))))
		return 1.0;
	unsigned long obs = pooled_ranks(a, na, b, nb, r2, &tie);
	if (n > RES_RANK_MAX_N) {
		free(r2);
		return normal_p((double)obs / 2.0, na, nb, tie);
	}
	double *cnt = subset_sum_counts(r2, n, na, &smax);
	free(r2);
	if (!cnt)
		return 1.0;
	/* mean of the doubled rank sum: na * (n + 1) */
	long mean = (long)(na * (n + 1)), dev = labs((long)obs - mean);
	double tail = 0, all = 0;
	for (size_t s = 0; s <= smax; s++) {
		all += cnt[s];
		if (labs((long)s - mean) >= dev)
			tail += cnt[s];
	}
	free(cnt);
	if (all > 0)
		p = fmin(1.0, tail / all);
	return p;
}

/* The largest c with P(U <= c - 1) <= alpha_half under the exact no-tie
 * null distribution of U for sizes nx, ny; 0 when even U = 0 is likelier. */
static size_t interval_rank(size_t nx, size_t ny, double alpha_half)
{
	size_t n = nx + ny, smax, c = 0;
	unsigned *r2 = malloc(n * sizeof(unsigned));
	if (!r2)
		return 0;
	for (size_t i = 0; i < n; i++)
		r2[i] = (unsigned)(i + 1);
	double *cnt = subset_sum_counts(r2, n, nx, &smax);
	free(r2);
	if (!cnt)
		return 0;
	double all = 0, cum = 0;
	for (size_t s = 0; s <= smax; s++)
		all += cnt[s];
	/* rank sum W = U + nx (nx + 1) / 2 */
	size_t w0 = nx * (nx + 1) / 2;
	for (size_t u = 0; w0 + u <= smax; u++) {
		cum += cnt[w0 + u];
		if (cum / all > alpha_half)
			break;
		c = u + 1;
	}
	free(cnt);
	return c;
}

int res_hl_shift(const double *x, size_t nx, const double *y, size_t ny, double level, double *est,
		 double *lo, double *hi)
{
	size_t m = nx * ny, c;
	double *d;

	*est = *lo = *hi = NAN;
	if (!nx || !ny || nx + ny > RES_RANK_MAX_N || !(d = malloc(m * sizeof(double))))
		return -1;
	for (size_t i = 0; i < nx; i++)
		for (size_t j = 0; j < ny; j++)
			d[i * ny + j] = y[j] - x[i];
	qsort(d, m, sizeof(double), cmp_double);
	*est = m % 2 ? d[m / 2] : (d[m / 2 - 1] + d[m / 2]) / 2;
	c = interval_rank(nx, ny, (1.0 - level) / 2);
	if (c == 0 || c > m - c) {
		free(d);
		return 1;
	}
	*lo = d[c - 1];
	*hi = d[m - c];
	free(d);
	return 0;
}

/* idx = 0..n-1 ordered by increasing p (insertion sort: families are small).
 * malloc'ed; NULL when out of memory. */
static size_t *order_by_p(const double *p, size_t n)
{
	size_t *idx = malloc((n + 1) * sizeof(size_t));
	if (!idx)
		return NULL;
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	for (size_t i = 1; i < n; i++) {
		size_t k = idx[i], j = i;
		while (j > 0 && p[idx[j - 1]] > p[k]) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = k;
	}
	return idx;
}

void res_bh(const double *p, size_t n, double *q)
{
	size_t *idx = order_by_p(p, n);
	double running = 1.0;
	if (!idx) {
		for (size_t i = 0; i < n; i++)     /* Bonferroni: never less safe */
			q[i] = fmin(1.0, p[i] * (double)n);
		return;
	}
	for (size_t r = n; r-- > 0;) {
		running = fmin(running, fmin(1.0, p[idx[r]] * (double)n / (double)(r + 1)));
		q[idx[r]] = running;
	}
	free(idx);
}

void res_holm(const double *p, size_t n, double *adjusted)
{
	size_t *idx = order_by_p(p, n);
	double running = 0;
	if (!idx) {
		for (size_t i = 0; i < n; i++)
			adjusted[i] = fmin(1.0, p[i] * (double)n);
		return;
	}
	for (size_t r = 0; r < n; r++) {
		running = fmax(running, fmin(1.0, p[idx[r]] * (double)(n - r)));
		adjusted[idx[r]] = running;
	}
	free(idx);
}
