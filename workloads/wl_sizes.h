/*
 * wl_sizes.h - size distributions: parsing a SPEC and drawing sizes from it.
 *
 * Owns: every size a workload asks malloc for. A workload never computes a
 * size itself; it draws from the run's distribution with its own RNG stream.
 *
 * SPEC (the --size-dist option):
 *   fixed:N            always N bytes
 *   uniform:A-B        uniform integer in [A, B]
 *   exp:MEAN[,MAX]     exponential with that mean, rounded up, capped at MAX
 *                      (default 64 * MEAN)
 *   invsq:A-B          P(s) proportional to 1/s^2 on [A, B] (glibc benchtests)
 *   lin:A-B            density falling linearly from A to B
 *   rplin:A-B          rptest's "linear" mode: A + (B-A) U |1 - V - W|
 *   rpexp:A-B          rptest's "exp" mode: A + (B-A) U V W (U, V, W uniform)
 *   steps:A-B          powers of two and their midpoints in [A, B], equally
 *                      likely (xmalloc's -s -1: steps:8-2048 is 17 sizes)
 *   nano               uniform over the 16 nano classes 16, 32, ..., 256
 *   hist:FILE          lines "SIZE WEIGHT" ('#' comments); sizes drawn in
 *                      proportion to the weights
 * Sizes are 1 .. WL_SIZE_MAX. fixed and uniform are computed directly; the
 * others go through a 4096-entry quantile table (16 KiB, built once before
 * the run), so drawing costs one RNG step and one load whatever the shape.
 */
#ifndef WL_SIZES_H
#define WL_SIZES_H

#include <stddef.h>
#include <stdint.h>

#include "wl_rng.h"

#define WL_SIZE_MAX (64u << 20)
#define WL_SIZE_TABLE 4096

enum wl_size_kind { WL_SIZE_FIXED, WL_SIZE_UNIFORM, WL_SIZE_TABLE_KIND };

struct wl_sizes {
	enum wl_size_kind kind;
	uint32_t lo, hi;          /* fixed: lo; uniform: [lo, hi]; table: min/max */
	char spec[128];           /* normalised spec, for the record */
	uint32_t *table;          /* WL_SIZE_TABLE quantiles (table kind) */
};

/* Parse SPEC. On error returns -1 with a one-line message in err. */
int wl_sizes_parse(struct wl_sizes *d, const char *spec, char *err, size_t errlen);
void wl_sizes_free(struct wl_sizes *d);

static inline uint32_t wl_size_draw(const struct wl_sizes *d, struct wl_rng *r)
{
	switch (d->kind) {
	case WL_SIZE_FIXED:
		return d->lo;
	case WL_SIZE_UNIFORM:
		return d->lo + (uint32_t)wl_rng_below(r, (uint64_t)d->hi - d->lo + 1);
	default:
		return d->table[wl_rng_next(r) >> 52];
	}
}

/* The size every draw returns when the distribution is fixed, else 0: a
 * loop can hold it in a register instead of drawing. */
static inline uint32_t wl_size_fixed(const struct wl_sizes *d)
{
	return d->kind == WL_SIZE_FIXED ? d->lo : 0;
}

/* The mean size a draw returns. */
double wl_sizes_mean(const struct wl_sizes *d);

static inline uint32_t wl_sizes_max(const struct wl_sizes *d)
{
	return d->kind == WL_SIZE_FIXED ? d->lo : d->hi;
}

#endif
