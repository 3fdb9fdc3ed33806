/*
 * plot_model.h - a run folder's results as the plots see them.
 *
 * Owns: turning results.csv into panels (workload label x size distribution
 * x placement), series (allocator variants, named as the summary names
 * them: "nano", "nano hs=3 map=cpu") and, per panel, series and thread
 * count, one cell with the medians the plots draw. Failed cells and empty
 * counters leave NaN, never zero, so the plots show gaps.
 *
 * Per cell, over its successful repetitions:
 *   speed       the figure compared, higher is better (res_row_speed: ops/s,
 *               a program's metric or 1 / wall_s): median, min, max, quartiles
 *   shown       what a throughput panel draws, in the panel's unit: ops/s
 *               for workloads run for a time; wall seconds for fixed-work
 *               ones (every repetition ended "natural": cache-scratch,
 *               cache-thrash at their published length), where calls per
 *               second would be a meaningless rate; a program's metric or
 *               wall seconds as it printed them
 *   rss_kib     median peak_rss_kib; rss_net_kib the median of peak_rss_kib
 *               - base_rss_kib (the process before set-up: the harness and
 *               the allocator's start-up), NaN when a row lacks base_rss_kib
 *   p50/p99/p999_ns  medians of the repetitions' sampled latency percentiles
 *   timer_res_ns     median timer resolution of its repetitions
 *   retries     median nano_retries_per_op (nano cells only)
 *   remote      median of nano_remote_frees / (total_ops / 2): the share of
 *               frees that landed on a magazine not owning the block (a
 *               workload's calls are half frees once its loop is balanced)
 *   vs_glibc, vs_best  the comparison summary.md makes (res_blockstats.h):
 *               Hodges-Lehmann ratio to glibc / to the block's best with its
 *               95% interval and verdict, so a bar and its table agree
 */
#ifndef PLOT_MODEL_H
#define PLOT_MODEL_H

#include <stddef.h>

#include "res_stats.h"

/* Verdict of a ratio, as the bars draw it. */
enum plot_verdict {
	PLOT_V_NONE,                 /* no ratio */
	PLOT_V_FASTER, PLOT_V_SLOWER, PLOT_V_SAME, PLOT_V_UNDECIDED,
	PLOT_V_REFERENCE,            /* glibc itself, or the best itself */
};

struct plot_ratio {
	double ratio, lo, hi;        /* NaN when unknown; lo, hi NaN: n too small */
	enum plot_verdict verdict;
};

struct plot_cell {
	size_t n, failed;            /* ok repetitions, failed ones */
	struct res_summary speed;    /* NaN median when n == 0 */
	struct res_summary shown;    /* in the panel's unit */
	double rss_kib, rss_net_kib, p50_ns, p99_ns, p999_ns, timer_res_ns, retries, remote;
	struct plot_ratio vs_glibc, vs_best;
};

struct plot_panel {
	char wl[96], dist[96], place[64];
	char id[256];                /* file-name safe: wl_dist[_place] */
	char label[192];             /* for titles: "wl" or "wl, place" */
	unsigned maxthr;             /* largest thread count with a successful
	                                cell (with any row when none succeeded) */
	char unit[48];               /* of `shown`, for axes: "M calls/s", "seconds", ... */
	double scale;                /* shown / scale is in unit (1e6 for calls/s) */
	int lower_better;            /* shown is a time (or a lower-is-better metric) */
	int fixed_work;              /* a workload whose every repetition ended natural */
};

struct plot_model {
	size_t npanels, nseries, nthr;
	struct plot_panel *panel;    /* sorted by workload label, dist, place */
	char (*series)[160];         /* legend order (plot_style_cmp) */
	unsigned *thr;               /* every thread count of the run, sorted */
	struct plot_cell *cell;      /* [panel][series][thr] */
	unsigned char *present;      /* [panel][thr]: a row (ok or failed) exists */
	size_t ndists;
	char (*dist)[96];            /* size distributions, in results.csv order */
	size_t nrows, nok;
	char machine[256];           /* "host (CPU model, N CPUs)" of the run */
	char matrix[96];
};

/* Load DIR/results.csv (and DIR/meta.json for the machine line, when it is
 * there). 0, or -1 with a one-line err: no file, wrong schema or header, no
 * row, or not one successful cell. */
int plot_model_load(const char *dir, struct plot_model *m, char *err, size_t errlen);
void plot_model_free(struct plot_model *m);

static inline struct plot_cell *plot_cell_at(const struct plot_model *m, size_t p, size_t s,
					     size_t t)
{
	return &m->cell[(p * m->nseries + s) * m->nthr + t];
}

/* Whether panel p has a row (ok or failed) at thread index t. */
static inline int plot_panel_has_thr(const struct plot_model *m, size_t p, size_t t)
{
	return m->present[p * m->nthr + t];
}

#endif
