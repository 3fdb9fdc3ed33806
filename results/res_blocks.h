/*
 * res_blocks.h - the rows of a run folder grouped as every reader compares
 * them, and the one figure of a row that is compared.
 *
 * Owns: what "speed" means for a row (res_row_speed): a workload cell's
 * ops_per_s; a [program] cell's `metric` (what the program printed),
 * inverted when `higher_is_better` is 0 so that higher always means better;
 * or 1 / wall_s for a program without a metric. And the grouping of rows
 * into comparison blocks (workload label, size distribution, threads,
 * placement) of allocator variants (alloc_label, plus " hs=N" / " map=M" for
 * a nano setting other than the default), each with its repetitions.
 * summary.md, stats.csv, `compare`, the plots and `tune` all read results
 * through these two, so they agree.
 */
#ifndef RES_BLOCKS_H
#define RES_BLOCKS_H

#include <stddef.h>

#include "res_csv.h"

#define RES_MAX_REPS 64

/* What a block's figure is. */
enum res_figure_kind {
	RES_FIG_OPS,        /* ops_per_s of a workload cell */
	RES_FIG_METRIC,     /* a program's metric, in its own unit */
	RES_FIG_WALL,       /* a program without a metric: 1 / wall_s */
};

struct res_figure {
	enum res_figure_kind kind;
	char unit[32];               /* metric_unit (RES_FIG_METRIC) */
	int higher_is_better;        /* of the metric as printed */
};

/* The speed of row r (higher is better), or NAN when the row has none. */
double res_row_speed(const struct res_table *t, size_t r, struct res_figure *fig);

/* The speed back in the unit the row printed (a metric un-inverted, a
 * wall time in seconds, ops/s as is). */
double res_figure_value(const struct res_figure *fig, double speed);

/* The q-quantile (0..1) of n speeds taken in the unit the rows printed (a
 * time's median is that of the times, not 1 / the median speed, which
 * differs for an even n), handed back as a speed for res_fmt_figure and
 * res_figure_value. NAN when n is 0. */
double res_figure_quantile(const struct res_figure *fig, const double *speed, size_t n, double q);

/* The variant name of row r: "nano", "nano hs=3 map=cpu". */
void res_row_variant(const struct res_table *t, size_t r, char *buf, size_t len);

/* One allocator variant in one block. */
struct res_variant {
	char name[160];
	size_t n, failed;
	double speed[RES_MAX_REPS];       /* higher is better (res_row_speed) */
	long rep[RES_MAX_REPS];           /* the row's `rep` of each speed (-1: none) */
	double rss_kib[RES_MAX_REPS];
	double frag[RES_MAX_REPS];
	double p99[RES_MAX_REPS];
	double retries[RES_MAX_REPS];
	double steal[RES_MAX_REPS];
	size_t nrss, nfrag, np99, nretries, nsteal;
	char first_failure[256];
};

/* Allocator variants (allocator x hyper_shift x map) a block holds; the
 * matrix refuses more (run_expand.c). */
#define RES_MAX_VARIANTS 32

struct res_block {
	char workload[96], size_dist[96], placement[64];
	unsigned threads;
	int is_program;
	struct res_figure fig;
	size_t nvar;
	struct res_variant var[RES_MAX_VARIANTS];
};

struct res_blocks {
	size_t n;
	struct res_block *b;     /* malloc'ed */
};

/* Group the rows of a results table. 0, or -1 with err. */
int res_blocks_build(const struct res_table *t, struct res_blocks *out, char *err, size_t errlen);
void res_blocks_free(struct res_blocks *b);
/* Load DIR/results.csv and group it. 0, or -1 with err (t is freed then). */
int res_blocks_load(const char *dir, struct res_table *t, struct res_blocks *b, char *err,
		    size_t errlen);

/* The variant of b with this name and at least one ok repetition. */
const struct res_variant *res_block_variant(const struct res_block *b, const char *name);

#endif
