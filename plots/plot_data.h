/*
 * plot_data.h - the data files gnuplot reads, and the variables beside them.
 *
 * Owns: writing the tab-separated files under plots/data/ (one value per
 * column, "NaN" where a cell failed or a counter is absent, so a line stops
 * and a bar is missing instead of dropping to zero), and the gnuplot
 * variables that describe them to a template: how many series, their
 * titles, colours, dashes and points (plot_style.h), the groups of a bar
 * chart, the thread counts of a panel.
 *
 * Two shapes of file:
 *   lines  one block per series (blocks separated by two blank lines, so a
 *          template plots `index i`), rows by thread count. Only series with
 *          at least one value are written: gnuplot warns about an empty one.
 *          Throughput is in the panel's own unit (plot_model.h: shown):
 *          ops/s, or seconds for fixed-work workloads and programs.
 *   bars   one row per group (a workload at its largest thread count),
 *          columns per series: a ratio with its 95% interval, verdict code
 *          and where its label goes, a peak RSS, or latency's p50, p99,
 *          p99.9.
 * Every file starts with '#' lines naming its columns.
 */
#ifndef PLOT_DATA_H
#define PLOT_DATA_H

#include <stddef.h>

#include "plot_model.h"

/* ------------------------------------------------------------------------
 * Variables for plot_render
 * ---------------------------------------------------------------------- */

struct plot_vars {
	size_t n, cap;
	char **v;              /* "NAME=VALUE", NULL-terminated */
	int oom;
	const char *rel_from;  /* plot_vars_path: paths under this folder are
	                          given relative to it (gnuplot runs there) */
};

void plot_vars_init(struct plot_vars *v);
void plot_vars_add(struct plot_vars *v, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A file's path as a variable: relative to v->rel_from when it lies under
 * it, so the script saved beside the picture (plot_render.h) still finds
 * its data once the folder has moved into place. */
void plot_vars_path(struct plot_vars *v, const char *name, const char *path);
/* The list for plot_render (NULL when out of memory). */
const char *const *plot_vars_list(const struct plot_vars *v);
void plot_vars_free(struct plot_vars *v);

/* Series variables PREFIXn, PREFIXtitles, PREFIXcolors, PREFIXdashes,
 * PREFIXpoints for names[0..n) (word lists: gnuplot's word(list, i)), styled
 * by styles[i], or by plot_style_of(names[i]) when styles is NULL. */
struct plot_style;
void plot_vars_series(struct plot_vars *v, const char *prefix, const char *const *names,
		      const struct plot_style *styles, size_t n);

/* Variable name set to the word list of words[0..n), each quoted, for
 * gnuplot's word(). */
void plot_vars_words(struct plot_vars *v, const char *name, const char *const *words, size_t n);

/* A log axis of ratios symmetric around 1: yhi = far ** room (far: the
 * largest of x and 1 / x over the values drawn), ylo = 1 / yhi, and yticks
 * at ratios people read (1.25, 1.5, 2, 4, ... and their inverses; the fine
 * ones only on a narrow axis). For ratio_axis.gp. */
void plot_vars_ratio_axis(struct plot_vars *v, double far, double room);

/* ------------------------------------------------------------------------
 * Data files
 * ---------------------------------------------------------------------- */

enum plot_line {
	PLOT_LINE_SPEED,       /* threads, median, min, max, q1, q3, n, failed
	                          (of `shown`, in the panel's unit) */
	PLOT_LINE_SPEEDUP,     /* threads, median(t) / median(1 thread) */
};

/* Lines of one panel into path; PREFIX-named variables (series, plus
 * PREFIXfile, PREFIXtitle, PREFIXthreads, PREFIXunit, PREFIXscale,
 * PREFIXlower: the panel's unit, divisor and whether lower is better). used (nseries flags, or NULL)
 * gets the series drawn marked. Returns the series written (0: nothing to
 * draw), or -1 when path cannot be written. */
int plot_data_lines(const struct plot_model *m, size_t panel, enum plot_line kind, const char *path,
		    struct plot_vars *v, const char *prefix, int *used);

enum plot_bar {
	PLOT_BAR_VS_GLIBC,     /* ratio to glibc, lo, hi, verdict, label position */
	PLOT_BAR_VS_BEST,      /* ratio to the block's best, the same 5 columns */
	PLOT_BAR_RSS,          /* median peak RSS less the process's RSS before
	                          set-up (when every cell has it), else peak, KiB */
	PLOT_BAR_LATENCY,      /* median p50, p99, p99.9 ns (three columns) */
};

/* Verdict codes in the ratio columns (the templates' legend). */
#define PLOT_VERDICT_CODES "1 faster, 2 slower, 3 same within noise, 4 undecided, 5 the reference"

/* Bars of every panel of size distribution dist at the panel's largest
 * thread count. Variables: datafile, ngroups, groups, group_threads and the
 * series (prefix s_); ratios add ylo, yhi (a log range symmetric around 1
 * holding every bar and interval) and yticks; RSS adds rss_net (1: the
 * baseline is subtracted) and rss_base (the baselines' range, MiB);
 * latency adds timer_res (ns, 0 unknown). Returns the series written (0:
 * nothing to draw, e.g. no glibc for PLOT_BAR_VS_GLIBC), or -1. */
int plot_data_bars(const struct plot_model *m, const char *dist, enum plot_bar kind, const char *path,
		   struct plot_vars *v);

enum plot_counter {
	PLOT_RETRIES,          /* nano_retries_per_op */
	PLOT_REMOTE,           /* nano_remote_frees / (total_ops / 2) */
};

/* One line per workload of dist and nano setting (series with the
 * counter), vs threads: the setting's own colour and dash (plot_style.h),
 * the workload's point shape, smaller for each further setting. Variables
 * PREFIX-named as for lines (PREFIXthreads: the thread counts of dist;
 * PREFIXsizes: the point size of each line). Returns lines written, or -1. */
int plot_data_counter(const struct plot_model *m, const char *dist, enum plot_counter kind,
		      const char *path, struct plot_vars *v, const char *prefix);

#endif
