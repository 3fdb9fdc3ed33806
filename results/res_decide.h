/*
 * res_decide.h - verdicts for a family of comparisons: is B faster than A,
 * slower, the same within noise, or is it too early to say?
 *
 * Owns: the one rule that `compare` and summary.md share. Per pair: the
 * Hodges-Lehmann estimate of log(B / A) with the 95% interval that inverts
 * the exact rank-sum test (res_rank.h), printed as a ratio [lo, hi] (not
 * symmetric: a ratio interval is symmetric in logs); the exact two-sided
 * p-value. Per family (one comparison block: one workload, size
 * distribution, thread count and placement): Benjamini-Hochberg over the
 * pairs that have RES_MIN_REPS repetitions on both sides, at a false
 * discovery rate of RES_FDR (2%). Verdict: "undecided" below RES_MIN_REPS
 * on either side; "faster" or "slower" when the adjusted p-value is below
 * RES_FDR (by the sign of the estimate); "same" otherwise. The interval is
 * each pair's own 95% one, so a pair can read [1.01, 1.09] and still be
 * "same" once the block's other comparisons are accounted for.
 *
 * Why 6 repetitions: the exact test's smallest two-sided p-value is
 * 2 / C(2n, n): 0.1 at 3 vs 3, 0.0079 at 5 vs 5, 0.0022 at 6 vs 6. With
 * 8 allocators in a block, Benjamini-Hochberg needs p <= 0.02 / 8 = 0.0025
 * for a lone change, which 5 vs 5 can never reach and 6 vs 6 can (up to 9
 * allocators). Welch's t on log speeds would decide at 3 repetitions, but
 * only by trusting normal noise, which bimodal cells on a shared machine
 * are not.
 *
 * Why 2% and not 5%: the rate is controlled per block, so a run of many
 * blocks where nothing changed collects about RES_FDR false verdicts per
 * block. With 200 pairs in 25 blocks of 8, 10 of them 30% faster (CV 3%,
 * 10 repetitions), 400 simulated runs gave 1.55 false verdicts on average
 * at 5% (more than 2 in 22% of runs) and 0.53 at 2% (more than 2 in 2%);
 * every true change was found at both levels.
 *
 * Values are speeds (higher is better): a time or any lower-is-better
 * figure is inverted before it gets here, so "faster" always means better.
 */
#ifndef RES_DECIDE_H
#define RES_DECIDE_H

#include <stddef.h>

#define RES_MIN_REPS 6
#define RES_FDR 0.02
#define RES_CI_LEVEL 0.95

enum res_verdict { RES_UNDECIDED, RES_SAME, RES_FASTER, RES_SLOWER };

const char *res_verdict_name(enum res_verdict v);

struct res_pair {
	const double *a, *b;       /* speeds, all > 0 (others are skipped) */
	size_t na, nb;
	/* filled by res_decide */
	double ratio;              /* exp(Hodges-Lehmann of log b - log a) */
	double lo, hi;             /* its 95% interval; NaN: n too small */
	double p, q;               /* exact p; BH-adjusted in the family (NaN: undecided) */
	enum res_verdict verdict;
	int dir;                   /* the rank sum's side: 1 b above a, -1 below, 0 neither */
};

/* Fill every pair of one family. */
void res_decide(struct res_pair *pairs, size_t n);

/* "[0.93, 1.12]" (digits after the point) or "n too small". */
void res_interval_text(const struct res_pair *p, int digits, char *buf, size_t len);

#endif
