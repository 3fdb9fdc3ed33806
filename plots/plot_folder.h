/*
 * plot_folder.h - inside the plot stage of a run folder: the list of
 * pictures drawn (plot_folder.c) and the summary.md section that shows them
 * (plot_section.c).
 */
#ifndef PLOT_FOLDER_H
#define PLOT_FOLDER_H

#include <stddef.h>

#include "plot_model.h"

/* One picture drawn: DIR/plots/BASE.png and .svg. */
struct plot_made {
	char base[320];
	char dist[96];
	char title[512];
	char hint[512];          /* what to look at */
	char panel[192];         /* the workload of a per-workload picture, else "" */
};

enum plot_hint {
	PLOT_HINT_THROUGHPUT, PLOT_HINT_VS_GLIBC, PLOT_HINT_VS_BEST, PLOT_HINT_SCALING,
	PLOT_HINT_RSS, PLOT_HINT_LATENCY, PLOT_HINT_CONTENTION, PLOT_HINT_PROG_TIME,
	PLOT_HINT_PROG_RSS,
};

/* The one line under a picture saying what to look at. */
const char *plot_hint(enum plot_hint h);
const char *plot_hint_panel(void);

/* Rewrite DIR/summary.md atomically: the runner's text (written first by
 * res_summary_write when the file is missing), without any earlier plots
 * section, then "## Plots" with every picture. 0, or -1 with err. */
int plot_section_write(const char *dir, const struct plot_model *m, const struct plot_made *made,
		       size_t n, char *err, size_t errlen);

#endif
