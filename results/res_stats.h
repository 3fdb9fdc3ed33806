/*
 * res_stats.h - the statistics a comparison needs, and nothing else.
 *
 * Owns: medians and spread of repetitions, the confidence interval of a ratio
 * of medians (percentile bootstrap, seeded so reruns print the same
 * numbers; `tune` uses it), and the noise of one cell's repetitions: coefficient of
 * variation, max/min, and whether they fall apart into clusters. The tests
 * and intervals that decide comparisons are in res_rank.h and res_decide.h.
 */
#ifndef RES_STATS_H
#define RES_STATS_H

#include <stddef.h>
#include <stdint.h>

#define RES_NOISE_MAX 256          /* values a cell's statistics look at, at most */

/* Median of n values (x is sorted in place). NAN when n == 0. */
double res_median(double *x, size_t n);
/* Median of the first n values of x (at most RES_NOISE_MAX), x untouched. */
double res_median_of(const double *x, size_t n);
/* q-quantile (0..1) of sorted values, linear interpolation. */
double res_quantile_sorted(const double *x, size_t n, double q);

struct res_summary {
	size_t n;
	double median, min, max, q1, q3;
};
/* Summary of n values (x is sorted in place). */
void res_summarise(double *x, size_t n, struct res_summary *s);

/* 95% bootstrap interval of median(b) / median(a). Returns 0, or -1 when
 * either side has fewer than 2 values. */
int res_ratio_ci(const double *a, size_t na, const double *b, size_t nb, uint64_t seed,
		 double *ratio, double *lo, double *hi);


/* The noise of one cell's repetitions (speeds, all > 0). */
#define RES_UNSTABLE_CV 0.05       /* coefficient of variation above 5% */
#define RES_UNSTABLE_MAXMIN 1.25   /* or largest / smallest above 1.25 */
#define RES_CLUSTER_GAP 1.10       /* a jump of at least 10% between neighbours */

enum res_shape { RES_SHAPE_PLAIN, RES_SHAPE_OUTLIER, RES_SHAPE_BIMODAL };

struct res_noise {
	size_t n;
	double cv;                 /* sample standard deviation / mean; NaN when n < 2 */
	double max_min;            /* NaN when n < 2 */
	enum res_shape shape;      /* (n >= 4) see res_noise() */
	int unstable;              /* cv or max/min above its threshold */
};

/* The sorted values are split at their largest ratio between neighbours;
 * when that jump is at least RES_CLUSTER_GAP and at least twice the spread
 * (max/min, in logs) of either side, the cell has an outlier (one value on
 * a side) or is bimodal (two or more on each side). */
void res_noise(const double *x, size_t n, struct res_noise *out);

/* "CV 12.0%, max/min 3.80, outlier" (empty when n < 2). */
void res_noise_text(const struct res_noise *nz, char *buf, size_t len);

#endif
