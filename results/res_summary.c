/*
 * res_summary.c - summary.md (see res_summary.h).
 *
 * Reading the numbers: throughput is the median over repetitions with its
 * interquartile range; a ratio "A / B" is median(A) / median(B) with a 95%
 * bootstrap interval, printed as "1.12 +- 0.03" (half the interval's width)
 * and called "within noise" when the interval contains 1. For [program]
 * cells the speed is 1 / wall time, so ratios read the same way (higher is
 * faster).
 */
#include "res_summary.h"
#include "res_check.h"
#include "res_meta.h"
#include "res_stats.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void variant_name(const struct res_table *t, size_t r, char *buf, size_t len)
{
	const char *hs = res_get(t, r, "req_hyper_shift"), *map = res_get(t, r, "req_map");
	int l = snprintf(buf, len, "%s", res_get(t, r, "alloc_label"));
	if (*hs && strcmp(hs, "default"))
		l += snprintf(buf + l, len - (size_t)l, " hs=%s", hs);
	if (*map && strcmp(map, "default"))
		snprintf(buf + l, len - (size_t)l, " map=%s", map);
}

static void add_value(double *arr, size_t *n, const struct res_table *t, size_t r, const char *col)
{
	double v;
	if (*n < RES_MAX_REPS && res_getd(t, r, col, &v) == 0 && isfinite(v))
		arr[(*n)++] = v;
}

int res_blocks_build(const struct res_table *t, struct res_blocks *out, char *err, size_t errlen)
{
	static const char *const need[] = { "wl_label", "req_size_dist", "threads", "placement",
					    "alloc_label", "cell_status", "ops_per_s", "wall_s" };
	size_t cap = 0;
	memset(out, 0, sizeof(*out));
	if (res_table_check(t, err, errlen))
		return -1;
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (res_col(t, need[i]) < 0) {
			snprintf(err, errlen, "results.csv has no column '%s' (not a nanobench matrix run?)",
				 need[i]);
			return -1;
		}
	}
	for (size_t r = 0; r < t->nrows; r++) {
		char name[160];
		double threads = 0, speed;
		res_getd(t, r, "threads", &threads);
		struct res_block *b = find_block(out, &cap, res_get(t, r, "wl_label"),
						 res_get(t, r, "req_size_dist"), (unsigned)threads,
						 res_get(t, r, "placement"));
		if (!b)
			return -1;
		b->is_program = !strcmp(res_get(t, r, "req_size_dist"), "program");
		variant_name(t, r, name, sizeof(name));
		struct res_variant *v = find_variant(b, name);
		if (!v)
			continue;
		if (strcmp(res_get(t, r, "cell_status"), "ok")) {
			if (!v->failed++)
				snprintf(v->first_failure, sizeof(v->first_failure), "%s: %s",
					 res_get(t, r, "cell_status"), res_get(t, r, "cell_reason"));
			continue;
		}
		if (b->is_program) {
			if (res_getd(t, r, "wall_s", &speed) || speed <= 0)
				continue;
			speed = 1.0 / speed;
		} else if (res_getd(t, r, "ops_per_s", &speed)) {
			continue;
		}
		if (v->n < RES_MAX_REPS)
			v->speed[v->n++] = speed;
		add_value(v->rss_kib, &v->nrss, t, r, "peak_rss_kib");
		add_value(v->frag, &v->nfrag, t, r, "rss_per_live");
		add_value(v->p99, &v->np99, t, r, "p99_ns");
		add_value(v->retries, &v->nretries, t, r, "nano_retries_per_op");
	}
	return 0;
}

void res_blocks_free(struct res_blocks *b)
{
	free(b->b);
	memset(b, 0, sizeof(*b));
}

/* ------------------------------------------------------------------------
 * Numbers
 * ---------------------------------------------------------------------- */

static double med(const double *x, size_t n)
{
	double tmp[RES_MAX_REPS];
	if (!n)
		return NAN;
	memcpy(tmp, x, n * sizeof(double));
	return res_median(tmp, n);
}

static const struct res_variant *by_name(const struct res_block *b, const char *name)
{
	for (size_t i = 0; i < b->nvar; i++)
		if (!strcmp(b->var[i].name, name) && b->var[i].n)
			return &b->var[i];
	return NULL;
}

static const struct res_variant *best(const struct res_block *b, const char *excluding_prefix)
{
	const struct res_variant *bv = NULL;
	for (size_t i = 0; i < b->nvar; i++) {
		const struct res_variant *v = &b->var[i];
		if (!v->n || (excluding_prefix && !strncmp(v->name, excluding_prefix, strlen(excluding_prefix))))
			continue;
		if (!bv || med(v->speed, v->n) > med(bv->speed, bv->n))
			bv = v;
	}
	return bv;
}

/* "1.12 +- 0.03" of v over base, or the plain ratio with too few runs. */
static void ratio_text(const struct res_variant *v, const struct res_variant *base, char *buf,
		       size_t len, int *within_noise)
{
	double r, lo, hi;
	*within_noise = -1;
	if (!v || !base || !v->n || !base->n) {
		snprintf(buf, len, "-");
		return;
	}
	if (res_ratio_ci(base->speed, base->n, v->speed, v->n, 1, &r, &lo, &hi) == 0) {
		snprintf(buf, len, "%.2f +- %.2f", r, (hi - lo) / 2);
		*within_noise = lo <= 1.0 && hi >= 1.0;
	} else {
		snprintf(buf, len, "%.2f (n<2)", med(v->speed, v->n) / med(base->speed, base->n));
	}
}

static void fmt_speed(char *buf, size_t len, double v, int is_program)
{
	if (!isfinite(v))
		snprintf(buf, len, "-");
	else if (is_program)
		snprintf(buf, len, "%.3f s", 1.0 / v);
	else
		snprintf(buf, len, "%.2f M", v / 1e6);
}

/* ------------------------------------------------------------------------
 * Writing
 * ---------------------------------------------------------------------- */

/* "- NAME is R x BASE on ...": NAME against BASE, or against the best
 * allocator that is not a nano (a nano setting or front is no baseline). */
static void headline(FILE *f, const struct res_block *b, const char *name,
		     const struct res_variant *base)
{
	const struct res_variant *v = by_name(b, name);
	char txt[64];
	int noise;
	if (!base)
		base = best(b, "nano");
	if (!v || !base)
		return;
	ratio_text(v, base, txt, sizeof(txt), &noise);
	fprintf(f, "- %s is %s x %s on %s (%s) at %u thread%s%s\n", name, txt, base->name, b->workload,
		b->size_dist, b->threads, b->threads == 1 ? "" : "s",
		noise == 1 ? " (within noise)" : noise == -1 ? " (too few repetitions to tell)" : "");
}

static void table(FILE *f, const struct res_block *b)
{
	const struct res_variant *glibc = by_name(b, "glibc"), *top = best(b, NULL);
	if (b->is_program)
		fprintf(f, "\n### %s (program)\n\n", b->workload);
	else
		fprintf(f, "\n### %s, %s, %u thread%s, %s\n\n", b->workload, b->size_dist, b->threads,
			b->threads == 1 ? "" : "s", b->placement);
	fprintf(f, "| allocator | n | %s | IQR | x glibc | x best | peak RSS MiB | RSS/live | p99 ns | nano retries/op |\n",
		b->is_program ? "wall (median)" : "Mops/s (median)");
	fprintf(f, "|---|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < b->nvar; i++) {
		const struct res_variant *v = &b->var[i];
		char m[32], q1[32], q3[32], rg[48], rb[48];
		int noise;
		double s[RES_MAX_REPS];
		struct res_summary sm;
		if (!v->n) {
			fprintf(f, "| %s | 0 | failed | | | | | | | |\n", v->name);
			continue;
		}
		memcpy(s, v->speed, v->n * sizeof(double));
		res_summarise(s, v->n, &sm);
		fmt_speed(m, sizeof(m), sm.median, b->is_program);
		fmt_speed(q1, sizeof(q1), b->is_program ? sm.q3 : sm.q1, b->is_program);
		fmt_speed(q3, sizeof(q3), b->is_program ? sm.q1 : sm.q3, b->is_program);
		ratio_text(v, glibc, rg, sizeof(rg), &noise);
		ratio_text(v, top, rb, sizeof(rb), &noise);
		fprintf(f, "| %s | %zu%s | %s | %s .. %s | %s | %s | ", v->name, v->n,
			v->failed ? " (+failed)" : "", m, q1, q3, rg, rb);
		double x = med(v->rss_kib, v->nrss), fr = med(v->frag, v->nfrag),
		       p = med(v->p99, v->np99), rt = med(v->retries, v->nretries);
		if (isfinite(x))
			fprintf(f, "%.1f | ", x / 1024);
		else
			fprintf(f, "- | ");
		if (isfinite(fr))
			fprintf(f, "%.2f | ", fr);
		else
			fprintf(f, "- | ");
		if (isfinite(p))
			fprintf(f, "%.0f | ", p);
		else
			fprintf(f, "- | ");
		if (isfinite(rt))
			fprintf(f, "%.4f |\n", rt);
		else
			fprintf(f, "- |\n");
	}
	for (size_t i = 0; i < b->nvar; i++)
		if (b->var[i].failed)
			fprintf(f, "\n%s: %zu failed cell%s, first: %s\n", b->var[i].name, b->var[i].failed,
				b->var[i].failed == 1 ? "" : "s", b->var[i].first_failure);
}

struct summary_ctx {
	const struct res_blocks *bs;
	const char *dir;
};

static int write_summary(void *vctx, FILE *f)
{
	const struct summary_ctx *x = vctx;
	const struct res_blocks *bs = x->bs;
	char machine[512];
	unsigned maxt = 0;
	int rseq = 0;

	res_machine_line(machine, sizeof(machine));
	fprintf(f, "# nanobench run: %s\n\n", x->dir);
	fprintf(f, "Summarised on %s. Throughput is the median over repetitions (interquartile "
		"range beside it); ratios are medians divided, +- half of a 95%% bootstrap interval; "
		"\"within noise\" means that interval contains 1. Failed cells are counted, never "
		"averaged in.\n\n", machine);
	for (size_t i = 0; i < bs->n; i++)
		if (bs->b[i].threads > maxt)
			maxt = bs->b[i].threads;
	fprintf(f, "## Headline (largest thread count, nano and nano-rseq against the best other "
		"allocator, nano-rseq against nano)\n\n");
	for (size_t i = 0; i < bs->n; i++) {
		const struct res_block *b = &bs->b[i];
		if (b->threads != maxt)
			continue;
		headline(f, b, "nano", NULL);
		headline(f, b, "nano-rseq", NULL);
		if (by_name(b, "nano"))
			headline(f, b, "nano-rseq", by_name(b, "nano"));
		rseq = rseq || by_name(b, "nano-rseq");
	}
	/* the one per-CPU design among the baselines would be Google's rseq
	 * tcmalloc, which Debian does not ship */
	if (rseq)
		fprintf(f, "\nnano-rseq caches per CPU; tcmalloc here is Debian's gperftools, which "
			"caches per thread (not Google's per-CPU rseq tcmalloc), so these rows compare "
			"per-CPU with per-thread caching, not two per-CPU designs.\n");
	fprintf(f, "\n## Tables\n");
	for (size_t i = 0; i < bs->n; i++)
		table(f, &bs->b[i]);
	return ferror(f) ? -1 : 0;
}

int res_summary_write(const char *dir, char *err, size_t errlen)
{
	char path[4096];
	struct res_table t;
	struct res_blocks bs;
	int rc;

	snprintf(path, sizeof(path), "%s/results.csv", dir);
	if (res_table_load(path, &t, err, errlen))
		return -1;
	if (res_blocks_build(&t, &bs, err, errlen)) {
		res_table_free(&t);
		return -1;
	}
	struct summary_ctx x = { &bs, dir };
	snprintf(path, sizeof(path), "%s/summary.md", dir);
	rc = res_write_atomic(path, write_summary, &x);
	if (rc)
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
	res_blocks_free(&bs);
	res_table_free(&t);
	return rc;
}
