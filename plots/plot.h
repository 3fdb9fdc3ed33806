/*
 * plot.h - the plot stage: pictures of a run folder and of a comparison.
 *
 * Owns: what pictures a run folder gets (PNG and SVG in DIR/plots/, the data
 * they were drawn from in DIR/plots/data/), the "## Plots" section at the
 * end of DIR/summary.md, and the picture of `nanobench compare`. Rendering
 * one template is plot_render.h; the numbers are plot_model.h and
 * plot_data.h; the look is in the gnuplot templates (plots/templates/).
 */
#ifndef PLOT_H
#define PLOT_H

#include <stddef.h>

/* What the plot functions return when, at the failure, the folder could
 * not be written (a full disk, a quota, a folder made read-only), as
 * against -1 for anything else: a caller that keeps a run folder whole
 * must treat it as a write failure, since a full disk may have room again
 * once the cut-short files are removed. */
#define PLOT_EDISK (-3)

/* Render every plot of run folder DIR from DIR/results.csv into DIR/plots/
 * and put the pictures section under the runner's tables in DIR/summary.md
 * (replacing an earlier one, so reruns are idempotent). Everything is drawn
 * into a temporary folder inside DIR first; on any failure DIR is left as it
 * was. Returns 0, or -1 with a one-line err (no results.csv, wrong header,
 * no successful cell, gnuplot missing, a template that fails), or
 * PLOT_EDISK when the disk refused a file. */
int plot_run_folder(const char *dir, const char *template_dir, char *err, size_t errlen);

/* Draw compare.csv (written by `nanobench compare`: the header
 * block,variant,n_a,n_b,median_a,median_b,ratio,ci_lo,ci_hi,p_adj,verdict, then
 * the rows; files of older versions open with "# nanobench compare v1")
 * as OUT_BASE.png and OUT_BASE.svg: per block and variant the ratio B/A
 * with its 95% interval on a log axis centred on 1, the band of typical
 * noise around 1. The data fed to gnuplot is kept as OUT_BASE.tsv and the
 * script as OUT_BASE.gp. Returns 0, or -1 or PLOT_EDISK with err. */
int plot_compare(const char *compare_csv, const char *template_dir, const char *out_base, char *err,
		 size_t errlen);

#endif
