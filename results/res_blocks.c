/*
 * res_blocks.c - a row's speed and the grouping into blocks (see
 * res_blocks.h).
 */
#include "res_blocks.h"
#include "res_check.h"
#include "res_cols.h"
#include "res_stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * One row
 * ---------------------------------------------------------------------- */

double res_row_speed(const struct res_table *t, size_t r, struct res_figure *fig)
{
	struct res_figure f = { RES_FIG_OPS, "", 1 };
	double v, speed = NAN;

	if (res_getd(t, r, RES_COL(metric), &v) == 0) {
		const char *hib = res_get(t, r, RES_COL(higher_is_better));
		f.kind = RES_FIG_METRIC;
		f.higher_is_better = strcmp(hib, "0") != 0;
		snprintf(f.unit, sizeof(f.unit), "%s", res_get(t, r, RES_COL(metric_unit)));
		if (isfinite(v) && v > 0)
			speed = f.higher_is_better ? v : 1.0 / v;
	} else if (!strcmp(res_get(t, r, RES_COL(req_size_dist)), "program")) {
		f.kind = RES_FIG_WALL;
		if (res_getd(t, r, RES_COL(wall_s), &v) == 0 && isfinite(v) && v > 0)
			speed = 1.0 / v;
	} else if (res_getd(t, r, RES_COL(ops_per_s), &v) == 0 && isfinite(v) && v > 0) {
		speed = v;
	}
	if (fig)
		*fig = f;
	return speed;
}

double res_figure_value(const struct res_figure *fig, double speed)
{
	if (fig->kind == RES_FIG_WALL || (fig->kind == RES_FIG_METRIC && !fig->higher_is_better))
		return 1.0 / speed;
	return speed;
}

static int by_value(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double res_figure_quantile(const struct res_figure *fig, const double *speed, size_t n, double q)
{
	double v[RES_MAX_REPS];
	if (n == 0)
		return NAN;
	if (n > RES_MAX_REPS)
		n = RES_MAX_REPS;
	for (size_t i = 0; i < n; i++)
		v[i] = res_figure_value(fig, speed[i]);
	qsort(v, n, sizeof(v[0]), by_value);
	/* res_figure_value is its own inverse: 1/x, or x */
	return res_figure_value(fig, res_quantile_sorted(v, n, q));
}

void res_row_variant(const struct res_table *t, size_t r, char *buf, size_t len)
{
	const char *hs = res_get(t, r, RES_COL(req_hyper_shift)), *map = res_get(t, r, RES_COL(req_map));
	int l = snprintf(buf, len, "%s", res_get(t, r, RES_COL(alloc_label)));
	if (l < 0 || (size_t)l >= len)
		return;
	if (*hs && strcmp(hs, "default"))
		l += snprintf(buf + l, len - (size_t)l, " hs=%s", hs);
	if ((size_t)l < len && *map && strcmp(map, "default"))
		snprintf(buf + l, len - (size_t)l, " map=%s", map);
}

/* ------------------------------------------------------------------------
 * Grouping
 * ---------------------------------------------------------------------- */

static struct res_block *find_block(struct res_blocks *bs, size_t *cap, const char *wl,
				    const char *dist, unsigned threads, const char *place)
{
	for (size_t i = 0; i < bs->n; i++) {
		struct res_block *b = &bs->b[i];
		if (!strcmp(b->workload, wl) && !strcmp(b->size_dist, dist) && b->threads == threads &&
		    !strcmp(b->placement, place))
			return b;
	}
	if (bs->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct res_block *nb = realloc(bs->b, nc * sizeof(*nb));
		if (!nb)
			return NULL;
		bs->b = nb;
		*cap = nc;
	}
	struct res_block *b = &bs->b[bs->n++];
	memset(b, 0, sizeof(*b));
	snprintf(b->workload, sizeof(b->workload), "%s", wl);
	snprintf(b->size_dist, sizeof(b->size_dist), "%s", dist);
	snprintf(b->placement, sizeof(b->placement), "%s", place);
	b->threads = threads;
	b->fig.kind = RES_FIG_OPS;
	b->fig.higher_is_better = 1;
	return b;
}

static struct res_variant *find_variant(struct res_block *b, const char *name)
{
	for (size_t i = 0; i < b->nvar; i++)
		if (!strcmp(b->var[i].name, name))
			return &b->var[i];
	if (b->nvar == sizeof(b->var) / sizeof(b->var[0]))
		return NULL;
	struct res_variant *v = &b->var[b->nvar++];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	return v;
}

static void add_value(double *arr, size_t *n, const struct res_table *t, size_t r, const char *col)
{
	double v;
	if (*n < RES_MAX_REPS && res_getd(t, r, col, &v) == 0 && isfinite(v))
		arr[(*n)++] = v;
}

int res_blocks_build(const struct res_table *t, struct res_blocks *out, char *err, size_t errlen)
{
	static const char *const need[] = {
		RES_COL(wl_label), RES_COL(req_size_dist), RES_COL(threads), RES_COL(placement),
		RES_COL(alloc_label), RES_COL(cell_status), RES_COL(ops_per_s), RES_COL(wall_s),
	};
	size_t cap = 0;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (res_col(t, need[i]) < 0) {
			snprintf(err, errlen, "results.csv has no column '%s' (not a nanobench matrix run?)",
				 need[i]);
			return -1;
		}
	}
	for (size_t r = 0; r < t->nrows; r++) {
		char name[160];
		double threads = 0;
		struct res_figure fig;
		res_getd(t, r, RES_COL(threads), &threads);
		struct res_block *b = find_block(out, &cap, res_get(t, r, RES_COL(wl_label)),
						 res_get(t, r, RES_COL(req_size_dist)), (unsigned)threads,
						 res_get(t, r, RES_COL(placement)));
		if (!b) {
			snprintf(err, errlen, "out of memory grouping results.csv");
			return -1;
		}
		b->is_program = !strcmp(res_get(t, r, RES_COL(req_size_dist)), "program");
		res_row_variant(t, r, name, sizeof(name));
		struct res_variant *v = find_variant(b, name);
		if (!v) {
			/* never a silent cut (a run of another version, an edited file) */
			snprintf(err, errlen, "%s:%zu: more than %d allocator variants in one block (%s)",
				 t->path, t->line[r], RES_MAX_VARIANTS, name);
			res_blocks_free(out);
			return -1;
		}
		if (strcmp(res_get(t, r, RES_COL(cell_status)), "ok")) {
			if (!v->failed++)
				snprintf(v->first_failure, sizeof(v->first_failure), "%s: %s",
					 res_get(t, r, RES_COL(cell_status)), res_get(t, r, RES_COL(cell_reason)));
			continue;
		}
		double speed = res_row_speed(t, r, &fig);
		if (!isfinite(speed))
			continue;
		b->fig = fig;
		if (v->n == RES_MAX_REPS) {
			/* never a silent cut: the statistics hold this many */
			snprintf(err, errlen, "%s:%zu: more than %d repetitions of %s in one block (the "
				 "statistics take at most %d)", t->path, t->line[r], RES_MAX_REPS, name,
				 RES_MAX_REPS);
			res_blocks_free(out);
			return -1;
		}
		double rep;
		v->rep[v->n] = res_getd(t, r, RES_COL(rep), &rep) == 0 ? (long)rep : -1;
		v->speed[v->n++] = speed;
		add_value(v->rss_kib, &v->nrss, t, r, RES_COL(peak_rss_kib));
		add_value(v->frag, &v->nfrag, t, r, RES_COL(rss_per_live));
		add_value(v->p99, &v->np99, t, r, RES_COL(p99_ns));
		add_value(v->retries, &v->nretries, t, r, RES_COL(nano_retries_per_op));
		add_value(v->steal, &v->nsteal, t, r, RES_COL(steal_s));
	}
	return 0;
}

void res_blocks_free(struct res_blocks *b)
{
	free(b->b);
	memset(b, 0, sizeof(*b));
}

int res_blocks_load(const char *dir, struct res_table *t, struct res_blocks *b, char *err,
		    size_t errlen)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	if (res_table_load(path, t, err, errlen))
		return -1;
	if (res_table_check(t, err, errlen) || res_blocks_build(t, b, err, errlen)) {
		res_table_free(t);
		return -1;
	}
	return 0;
}

const struct res_variant *res_block_variant(const struct res_block *b, const char *name)
{
	for (size_t i = 0; b && i < b->nvar; i++)
		if (!strcmp(b->var[i].name, name) && b->var[i].n)
			return &b->var[i];
	return NULL;
}
