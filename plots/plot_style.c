/*
 * plot_style.c - colours, dashes and points of series (see plot_style.h).
 *
 * The fixed table is what a reader learns once: nano is always red, glibc
 * always dark grey, and so on, in every picture of every run. Colours are
 * from the Tableau-10 set (distinct for the common forms of colour
 * blindness when paired with the distinct point types below). A name that
 * is not in the table takes a palette slot from a hash of its text, so a
 * named variant such as "jemalloc-percpu" has one colour everywhere too.
 */
#include "plot_style.h"

#include "res_allocs.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* By the allocator's id in results/res_allocs.h; the legend order is that
 * list's. An allocator added there without a row here is drawn like any
 * other name (a palette colour), and a test says so. */
static const struct {
	const char *color, *word;   /* the colour, and its name for summary.md */
	int point;
} fixed[RES_NALLOCS] = {
	[RES_ALLOC_GLIBC] = { "#4d4d4d", "dark grey", 5 },     /* filled square */
	[RES_ALLOC_NANO] = { "#d62728", "red", 7 },            /* filled circle */
	[RES_ALLOC_NANO_RSEQ] = { "#ff7f0e", "orange", 9 },    /* filled triangle */
	[RES_ALLOC_JEMALLOC] = { "#1f77b4", "blue", 13 },      /* filled diamond */
	[RES_ALLOC_MIMALLOC] = { "#2ca02c", "green", 11 },     /* filled inverted triangle */
	[RES_ALLOC_TCMALLOC] = { "#9467bd", "purple", 15 },    /* filled pentagon */
	[RES_ALLOC_TBB] = { "#17becf", "cyan", 2 },            /* cross */
	[RES_ALLOC_SCUDO] = { "#e377c2", "pink", 3 },          /* star */
	[RES_ALLOC_BUMP] = { "#8c564b", "brown", 1 },          /* plus */
};
#define NFIXED RES_NALLOCS

/* for other names: none of the fixed table's colours */
static const char *const palette[] = {
	"#bcbd22", "#393b79", "#637939", "#8c6d31", "#7b4173", "#3182bd", "#e6550d", "#31a354",
	"#756bb1", "#636363", "#843c39", "#5254a3",
};
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* Index in the fixed table of NAME's allocator (text up to the first
 * space), or -1. */
static int fixed_index(const char *name)
{
	int i = res_alloc_find(name, strcspn(name, " "));
	return i >= 0 && fixed[i].color ? i : -1;
}

void plot_style_of(const char *name, struct plot_style *st)
{
	int i = fixed_index(name);
	int variant = name[strcspn(name, " ")] != 0;
	uint32_t h = fnv1a(name);

	if (i >= 0) {
		snprintf(st->color, sizeof(st->color), "%s", fixed[i].color);
		/* the open form of a filled shape (5..15 odd); the line symbols stay */
		st->point = fixed[i].point - (variant && fixed[i].point >= 5 ? 1 : 0);
	} else {
		snprintf(st->color, sizeof(st->color), "%s", palette[h % NPALETTE]);
		st->point = 4 + 2 * (int)(h / NPALETTE % 6);        /* 4, 6, .., 14 */
	}
	st->dash = variant ? 2 + (int)(h % 4) : 1;
}

int plot_style_cmp(const char *a, const char *b)
{
	int ia = fixed_index(a), ib = fixed_index(b);
	if (ia < 0)
		ia = (int)NFIXED;
	if (ib < 0)
		ib = (int)NFIXED;
	if (ia != ib)
		return ia - ib;
	return strcmp(a, b);
}

int plot_point(size_t i)
{
	/* filled shapes first, then their open forms, then the line symbols */
	static const int points[] = { 7, 5, 9, 13, 11, 15, 6, 4, 8, 12, 10, 14, 1, 2, 3 };
	return points[i % (sizeof(points) / sizeof(points[0]))];
}

void plot_style_legend(char *buf, size_t len)
{
	size_t l = 0;
	if (len)
		buf[0] = 0;
	for (int i = 0; i < (int)NFIXED && l < len; i++)
		if (fixed[i].color)
			l += (size_t)snprintf(buf + l, len - l, "%s%s %s", l ? ", " : "",
					      res_alloc_names[i], fixed[i].word);
}
