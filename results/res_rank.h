/*
 * res_rank.h - rank statistics for small samples: the exact Mann-Whitney
 * test, the Hodges-Lehmann shift with the interval that inverts that test,
 * and the Benjamini-Hochberg and Holm adjustments.
 *
 * Owns: everything that decides whether two sets of repetitions differ.
 * Nothing here assumes a distribution: benchmark noise on a shared machine
 * is skewed and sometimes bimodal, and at 5 to 15 repetitions a test whose
 * error rate rests on normality cannot be checked. The rank-sum test's null
 * distribution is computed exactly (every way of splitting the pooled
 * values into the two sides, counted by dynamic programming over the ranks,
 * midranks for ties), so its false-positive rate is what it says whenever
 * the repetitions are exchangeable.
 *
 * The shift is estimated on whatever scale the caller hands in; the callers
 * (res_decide.c) pass logarithms, so a shift is a log ratio.
 */
#ifndef RES_RANK_H
#define RES_RANK_H

#include <stddef.h>

/* Largest sample per side the exact computations accept (beyond it the
 * p-value falls back to the normal approximation, the interval to none). */
#define RES_RANK_MAX_N 128

/* Two-sided exact p-value of the rank-sum (Mann-Whitney U) test of a
 * against b: the share of all C(na+nb, na) splits of the pooled values whose
 * rank sum is at least as far from its mean as the observed one (ties get
 * midranks; the distribution is the exact one conditional on those ties).
 * 1.0 when a side is empty. */
double res_rank_p(const double *a, size_t na, const double *b, size_t nb);

/* Hodges-Lehmann estimate of the shift y - x (the median of the nx * ny
 * differences) and the confidence interval that inverts the rank-sum test:
 * [d(c), d(nx*ny + 1 - c)] of the sorted differences, c the largest count
 * with P(U < c) <= (1 - level) / 2 under the exact null distribution of U.
 * Returns 0 with est, lo, hi; 1 with est only (lo, hi NaN) when the samples
 * are too small for an interval of that level (3 vs 3 at 95%); -1 when a
 * side is empty or too large. */
int res_hl_shift(const double *x, size_t nx, const double *y, size_t ny, double level, double *est,
		 double *lo, double *hi);

/* Benjamini-Hochberg: q[i] = min over p(j) >= p(i) of p(j) * n / rank(j),
 * capped at 1 (the adjusted p-values; reject where q < level). */
void res_bh(const double *p, size_t n, double *q);

/* Holm-Bonferroni: adjusted p-values, monotone (`tune`, over its few
 * workloads). */
void res_holm(const double *p, size_t n, double *adjusted);

#endif
