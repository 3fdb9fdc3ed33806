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
 *   bars   one row per group (a workload at its largest thread count),
 *          columns per series (latency: p50, p99, p99.9 per series).
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
};

void plot_vars_init(struct plot_vars *v);
void plot_vars_add(struct plot_vars *v, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
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

/* ------------------------------------------------------------------------
 * Data files
 * ---------------------------------------------------------------------- */

enum plot_line {
	PLOT_LINE_SPEED,       /* threads, median, min, max, q1, q3, n, failed */
	PLOT_LINE_SPEEDUP,     /* threads, median(t) / median(1 thread) */
};

/* Lines of one panel into path; PREFIX-named variables (series, plus
 * PREFIXfile, PREFIXtitle, PREFIXthreads). used (nseries flags, or NULL)
 * gets the series drawn marked. Returns the series written (0: nothing to
 * draw), or -1 when path cannot be written. */
int plot_data_lines(const struct plot_model *m, size_t panel, enum plot_line kind, const char *path,
		    struct plot_vars *v, const char *prefix, int *used);

enum plot_bar {
	PLOT_BAR_VS_GLIBC,     /* median / glibc's median */
	PLOT_BAR_VS_BEST,      /* median / the best median of the group */
	PLOT_BAR_RSS,          /* median peak RSS, KiB */
	PLOT_BAR_LATENCY,      /* median p50, p99, p99.9 ns (three columns) */
};

/* Bars of every panel of size distribution dist at the panel's largest
 * thread count. Variables: datafile, ngroups, groups, group_threads and the
 * series (prefix s_). Returns the series written (0: nothing to draw, e.g.
 * no glibc for PLOT_BAR_VS_GLIBC), or -1. */
int plot_data_bars(const struct plot_model *m, const char *dist, enum plot_bar kind, const char *path,
		   struct plot_vars *v);

enum plot_counter {
	PLOT_RETRIES,          /* nano_retries_per_op */
	PLOT_REMOTE,           /* nano_remote_frees / (total_ops / 2) */
};

/* One line per workload of dist and nano setting (series with the
 * counter), vs threads; colours by workload, dashes and points by setting.
 * Variables PREFIX-named as for lines (PREFIXthreads: the thread counts of
 * dist). Returns lines written, or -1. */
int plot_data_counter(const struct plot_model *m, const char *dist, enum plot_counter kind,
		      const char *path, struct plot_vars *v, const char *prefix);

#endif
