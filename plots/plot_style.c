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

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name, *color;
	int point;
} fixed[] = {
	{ "glibc", "#4d4d4d", 5 },      /* filled square */
	{ "nano", "#d62728", 7 },       /* filled circle */
	{ "nano-rseq", "#ff7f0e", 9 },  /* filled triangle */
	{ "jemalloc", "#1f77b4", 13 },  /* filled diamond */
	{ "mimalloc", "#2ca02c", 11 },  /* filled inverted triangle */
	{ "tcmalloc", "#9467bd", 15 },  /* filled pentagon */
	{ "tbb", "#17becf", 2 },        /* cross */
	{ "scudo", "#e377c2", 3 },      /* star */
	{ "bump", "#8c564b", 1 },       /* plus */
};
#define NFIXED (sizeof(fixed) / sizeof(fixed[0]))

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
	size_t n = strcspn(name, " ");
	for (size_t i = 0; i < NFIXED; i++)
		if (strlen(fixed[i].name) == n && !strncmp(fixed[i].name, name, n))
			return (int)i;
	return -1;
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
