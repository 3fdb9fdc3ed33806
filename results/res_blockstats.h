/*
 * res_blockstats.h - the numbers of one comparison block, computed once for
 * summary.md, stats.csv and the Fidelity section.
 *
 * Owns: per allocator variant of a block, the median figure and quartiles,
 * the noise of its repetitions, the median steal time, its comparison with
 * glibc (all of a block's comparisons with glibc are one Benjamini-Hochberg
 * family: res_decide.h) and with the block's best variant (interval only).
 * When the block has no glibc, the first variant with results stands in as
 * the reference, and the tables say which.
 */
#ifndef RES_BLOCKSTATS_H
#define RES_BLOCKSTATS_H

#include "res_blocks.h"
#include "res_decide.h"
#include "res_stats.h"

struct res_var_stats {
	const struct res_variant *v;
	struct res_summary speed;         /* of the speeds (higher is better) */
	struct res_noise noise;
	double steal_s;                   /* median; NaN when not recorded */
	struct res_pair vs_ref, vs_best;  /* this variant (b) against the reference / best (a) */
	int is_ref, is_best;
};

struct res_block_stats {
	const struct res_block *b;
	const struct res_variant *ref, *best;   /* NULL when no variant has results */
	size_t n;
	struct res_var_stats s[32];
};

void res_block_stats(const struct res_block *b, struct res_block_stats *out);

/* Does every variant's 95% interval of its ratio to the reference lie
 * within halfwidth of its estimate (ratio / lo and hi / ratio at most
 * 1 + halfwidth)? Variants without results are left out; 0 when the
 * reference has none. */
int res_block_converged(const struct res_block_stats *bs, double halfwidth);

/* The stats of variant NAME (with results), or NULL. */
const struct res_var_stats *res_block_stats_of(const struct res_block_stats *bs, const char *name);

/* A figure in its own unit, for tables, as a plain number (the unit goes in
 * the column's header): "12.34" (Mops/s), "1.234" (wall seconds), or a
 * metric as printed, "5.6e+06". */
void res_fmt_figure(char *buf, size_t len, const struct res_figure *fig, double speed);

#endif
