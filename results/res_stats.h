/*
 * res_stats.h - the statistics a comparison needs, and nothing else.
 *
 * Owns: medians and spread of repetitions, the confidence interval of a ratio
 * of medians (percentile bootstrap, seeded so reruns print the same
 * numbers), and the Mann-Whitney U test (normal approximation with tie
 * correction) with Holm's correction over many comparisons.
 */
#ifndef RES_STATS_H
#define RES_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Median of n values (x is sorted in place). NAN when n == 0. */
double res_median(double *x, size_t n);
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

/* Two-sided Mann-Whitney U p-value (normal approximation, tie-corrected).
 * 1.0 when either side is empty. */
double res_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb);

/* Holm-Bonferroni: given n p-values, write adjusted p-values (monotone). */
void res_holm(const double *p, size_t n, double *adjusted);

#endif
