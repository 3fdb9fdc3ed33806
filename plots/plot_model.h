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
 *   speed       ops/s (or 1 / wall_s for [program] cells, as in summary.md):
 *               median, min, max, quartiles
 *   rss_kib     median peak_rss_kib
 *   p50/p99/p999_ns  medians of the repetitions' sampled latency percentiles
 *   retries     median nano_retries_per_op (nano cells only)
 *   remote      median of nano_remote_frees / (total_ops / 2): the share of
 *               frees that landed on a magazine not owning the block (a
 *               workload's calls are half frees once its loop is balanced)
 */
#ifndef PLOT_MODEL_H
#define PLOT_MODEL_H

#include <stddef.h>

#include "res_stats.h"

struct plot_cell {
	size_t n, failed;            /* ok repetitions, failed ones */
	struct res_summary speed;    /* NaN median when n == 0 */
	double rss_kib, p50_ns, p99_ns, p999_ns, retries, remote;
};

struct plot_panel {
	char wl[96], dist[96], place[64];
	char id[256];                /* file-name safe: wl_dist[_place] */
	char label[192];             /* for titles: "wl" or "wl, place" */
	unsigned maxthr;             /* largest thread count with a successful
	                                cell (with any row when none succeeded) */
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
