/*
 * plot_style.h - how a series looks, the same in every plot of every run.
 *
 * Owns: the fixed colour table of the allocators (those of
 * results/res_allocs.h, by their ids), the colour of any other
 * name (a palette slot chosen by a hash of the name, so it too is stable
 * across runs), the dash and point type of a variant ("nano hs=3 map=cpu" keeps
 * nano's colour, dashed), and the order of series in legends.
 */
#ifndef PLOT_STYLE_H
#define PLOT_STYLE_H

#include <stddef.h>

struct plot_style {
	char color[8];      /* "#rrggbb" */
	int dash;           /* gnuplot dashtype: 1 solid, 2.. dashed */
	int point;          /* gnuplot pointtype */
};

/* Style of a series named NAME: an allocator label, maybe followed by
 * " hs=N" / " map=M" for nano settings. */
void plot_style_of(const char *name, struct plot_style *st);

/* Legend order: the fixed table's allocators in table order, then the rest.
 * A qsort-style comparison of two series names. */
int plot_style_cmp(const char *a, const char *b);

/* "glibc dark grey, nano red, ...": the fixed table in words, for the
 * sentence under summary.md's pictures. */
void plot_style_legend(char *buf, size_t len);

/* Point type i of a list of distinct shapes, for categories that are not
 * allocators (the workloads of the contention plot, whose colours are the
 * allocators'). */
int plot_point(size_t i);

#endif
