/*
 * res_compare.c - compare two run folders (see res_compare.h).
 */
#include "res_compare.h"
#include "res_blocks.h"
#include "res_csv.h"
#include "res_json.h"
#include "res_meta.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct res_block *match_block(const struct res_blocks *bs, const struct res_block *x)
{
	for (size_t i = 0; i < bs->n; i++) {
		const struct res_block *b = &bs->b[i];
		if (!strcmp(b->workload, x->workload) && !strcmp(b->size_dist, x->size_dist) &&
		    b->threads == x->threads && !strcmp(b->placement, x->placement))
			return b;
	}
	return NULL;
}

static int has_ok(const struct res_block *b)
{
	for (size_t i = 0; i < b->nvar; i++)
		if (b->var[i].n)
			return 1;
	return 0;
}

static double median_in_unit(const struct res_block *b, const struct res_variant *v)
{
	return res_figure_value(&b->fig, res_figure_quantile(&b->fig, v->speed, v->n, 0.5));
}

static void unit_of(const struct res_figure *f, char *buf, size_t len)
{
	snprintf(buf, len, "%s", f->kind == RES_FIG_OPS ? "ops/s" : f->kind == RES_FIG_WALL ? "s" :
				  f->unit[0] ? f->unit : "(metric)");
}

static int grow(struct res_cmp *out, size_t *cap)
{
	if (out->n < *cap)
		return 0;
	size_t nc = *cap ? 2 * *cap : 32;
	struct res_cmp_row *nr = realloc(out->rows, nc * sizeof(*nr));
	if (!nr)
		return -1;
	out->rows = nr;
	*cap = nc;
	return 0;
}

/* v's speeds over ref's speed of the same round (rep), into v itself:
 * repetitions without a ref of their round are dropped. */
static void make_relative(struct res_variant *v, const struct res_variant *ref)
{
	size_t k = 0;
	for (size_t i = 0; i < v->n; i++)
		for (size_t j = 0; j < ref->n; j++)
			if (v->rep[i] >= 0 && v->rep[i] == ref->rep[j] && ref->speed[j] > 0) {
				v->rep[k] = v->rep[i];
				v->speed[k++] = v->speed[i] / ref->speed[j];
				break;
			}
	v->n = k;
}

/* The pairs of one block of A against its match in B: one family. */
static int compare_block(struct res_cmp *out, size_t *cap, const struct res_block *xa,
			 const struct res_block *xb)
{
	size_t first = out->n;
	const struct res_variant *ra = NULL, *rb = NULL;
	if (out->relative[0]) {
		ra = res_block_variant(xa, out->relative);
		rb = res_block_variant(xb, out->relative);
	}
	for (size_t k = 0; k < xa->nvar; k++) {
		const struct res_variant *va = &xa->var[k], *vb = res_block_variant(xb, va->name);
		static struct res_variant rel_a, rel_b;
		if (out->relative[0] && !strcmp(va->name, out->relative))
			continue;
		if (vb && va->n && out->relative[0]) {
			if (!ra || !rb) {
				out->only_a++;
				continue;
			}
			rel_a = *va;
			rel_b = *vb;
			make_relative(&rel_a, ra);
			make_relative(&rel_b, rb);
			va = &rel_a;
			vb = &rel_b;
		}
		if (!vb || !va->n || !vb->n) {
			out->only_a++;
			continue;
		}
		if (grow(out, cap))
			return -1;
		struct res_cmp_row *r = &out->rows[out->n++];
		memset(r, 0, sizeof(*r));
		snprintf(r->block, sizeof(r->block), "%s|%s|t%u|%s", xa->workload, xa->size_dist,
			 xa->threads, xa->placement);
		snprintf(r->variant, sizeof(r->variant), "%s", va->name);
		unit_of(&xa->fig, r->unit, sizeof(r->unit));
		r->n_a = va->n;
		r->n_b = vb->n;
		if (out->relative[0]) {
			snprintf(r->unit, sizeof(r->unit), "x %.36s", out->relative);
			r->median_a = res_median_of(va->speed, va->n);
			r->median_b = res_median_of(vb->speed, vb->n);
		} else {
			r->median_a = median_in_unit(xa, va);
			r->median_b = median_in_unit(xb, vb);
		}
		/* the speeds are copied: rel_a / rel_b are reused by the next pair */
		memcpy(r->sa, va->speed, va->n * sizeof(double));
		memcpy(r->sb, vb->speed, vb->n * sizeof(double));
		r->pair = (struct res_pair){ .na = va->n, .nb = vb->n };   /* .a, .b: below */
		res_noise(va->speed, va->n, &r->noise_a);
		res_noise(vb->speed, vb->n, &r->noise_b);
	}
	size_t m = out->n - first;
	struct res_pair *fam = malloc((m + 1) * sizeof(*fam));
	if (!fam)
		return -1;
	for (size_t i = 0; i < m; i++) {
		fam[i] = out->rows[first + i].pair;
		fam[i].a = out->rows[first + i].sa;    /* rows may have moved (realloc) */
		fam[i].b = out->rows[first + i].sb;
	}
	res_decide(fam, m);
	for (size_t i = 0; i < m; i++) {
		fam[i].a = fam[i].b = NULL;        /* the blocks are freed before the rows */
		out->rows[first + i].pair = fam[i];
		out->rows[first + i].family = m;
	}
	free(fam);
	return 0;
}

int res_compare_dirs(const char *dir_a, const char *dir_b, const char *relative,
		     struct res_cmp *out, char *err, size_t errlen)
{
	struct res_table ta, tb;
	struct res_blocks ba, bb;
	size_t cap = 0;
	char e2[512];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->relative, sizeof(out->relative), "%s", relative ? relative : "");
	if (res_blocks_load(dir_a, &ta, &ba, e2, sizeof(e2))) {
		snprintf(err, errlen, "%s: %s", dir_a, e2);
		return -1;
	}
	if (res_blocks_load(dir_b, &tb, &bb, e2, sizeof(e2))) {
		snprintf(err, errlen, "%s: %s", dir_b, e2);
		res_blocks_free(&ba);
		res_table_free(&ta);
		return -1;
	}
	for (size_t i = 0; i < ba.n && !rc; i++) {
		const struct res_block *xa = &ba.b[i], *xb = match_block(&bb, xa);
		if (xb && has_ok(xa) && has_ok(xb) && xa->fig.kind != xb->fig.kind) {
			snprintf(err, errlen, "block %s: %s measures %s, %s another figure; not comparable",
				 xa->workload, dir_a, xa->fig.kind == RES_FIG_OPS ? "ops/s" : "a program",
				 dir_b);
			rc = -1;
		} else if (compare_block(out, &cap, xa, xb)) {
			snprintf(err, errlen, "out of memory comparing %s with %s", dir_a, dir_b);
			rc = -1;
		}
	}
	for (size_t i = 0; i < bb.n; i++)
		for (size_t k = 0; k < bb.b[i].nvar; k++)
			if (!res_block_variant(match_block(&ba, &bb.b[i]), bb.b[i].var[k].name))
				out->only_b++;
	res_blocks_free(&ba);
	res_blocks_free(&bb);
	res_table_free(&ta);
	res_table_free(&tb);
	if (rc)
		res_compare_free(out);
	return rc;
}

void res_compare_free(struct res_cmp *c)
{
	free(c->rows);
	memset(c, 0, sizeof(*c));
}

static void put_num(FILE *f, double v, const char *fmt)
{
	if (isfinite(v))
		fprintf(f, fmt, v);
	fputc(',', f);
}

static int write_csv(void *ctx, FILE *f)
{
	const struct res_cmp *c = ctx;
	fprintf(f, "%s\n", RES_COMPARE_HEADER);
	for (size_t i = 0; i < c->n; i++) {
		const struct res_cmp_row *r = &c->rows[i];
		char line[1024];
		size_t l = 0;
		res_csv_field(line, sizeof(line), &l, r->block, 1);
		res_csv_field(line, sizeof(line), &l, r->variant, 0);
		fprintf(f, "%s,%zu,%zu,", line, r->n_a, r->n_b);
		put_num(f, r->median_a, "%.6g");
		put_num(f, r->median_b, "%.6g");
		put_num(f, r->pair.ratio, "%.6g");
		put_num(f, r->pair.lo, "%.6g");
		put_num(f, r->pair.hi, "%.6g");
		put_num(f, r->pair.q, "%.4g");
		fprintf(f, "%s\n", res_verdict_name(r->pair.verdict));
	}
	return ferror(f) ? -1 : 0;
}

int res_compare_write_csv(const struct res_cmp *c, const char *path)
{
	return res_write_atomic(path, write_csv, (void *)c);
}

struct cmp_json {
	const struct res_cmp *c;
	const char *a, *b;
};

static int write_json(void *ctx, FILE *f)
{
	const struct cmp_json *x = ctx;
	struct res_json j;
	res_json_init(&j, f, 1);
	res_json_obj(&j, NULL);
	res_json_int(&j, "compare_schema", RES_COMPARE_SCHEMA_VERSION);
	res_json_str(&j, "a", x->a);
	res_json_str(&j, "b", x->b);
	res_json_str(&j, "relative", x->c->relative[0] ? x->c->relative : NULL);
	res_json_int(&j, "pairs", (long long)x->c->n);
	res_json_end_obj(&j);
	fputc('\n', f);
	return ferror(f) ? -1 : 0;
}

int res_compare_write_json(const struct res_cmp *c, const char *dir_a, const char *dir_b,
			   const char *path)
{
	struct cmp_json x = { c, dir_a, dir_b };
	return res_write_atomic(path, write_json, &x);
}

/* "  (A unstable: CV 12.0%, max/min 3.80, outlier)" */
static void noise_note(FILE *f, const char *side, const struct res_noise *nz)
{
	char txt[128];
	if (!nz->unstable && nz->shape == RES_SHAPE_PLAIN)
		return;
	res_noise_text(nz, txt, sizeof(txt));
	fprintf(f, "  (%s %s: %s)", side, nz->unstable ? "unstable" : "noisy", txt);
}

void res_compare_print(const struct res_cmp *c, const char *a, const char *b, FILE *f)
{
	size_t count[4] = { 0, 0, 0, 0 }, unstable = 0;
	fprintf(f, "A = %s\nB = %s\n", a, b);
	if (c->relative[0])
		fprintf(f, "compared: each repetition's speed over %s's in the same round\n", c->relative);
	fputc('\n', f);
	for (size_t i = 0; i < c->n; i++) {
		const struct res_cmp_row *r = &c->rows[i];
		const struct res_pair *p = &r->pair;
		char ci[64];
		res_interval_text(p, 3, ci, sizeof(ci));
		fprintf(f, "%-44s %-22s B is %.3f x A %s  %s", r->block, r->variant, p->ratio, ci,
			res_verdict_name(p->verdict));
		if (p->verdict == RES_UNDECIDED)
			fprintf(f, " (n=%zu/%zu, need %d each)", r->n_a, r->n_b, RES_MIN_REPS);
		else
			fprintf(f, " (p=%.2g, BH q=%.2g in a block of %zu)", p->p, p->q, r->family);
		noise_note(f, "A", &r->noise_a);
		noise_note(f, "B", &r->noise_b);
		fputc('\n', f);
		count[p->verdict]++;
		unstable += r->noise_a.unstable || r->noise_b.unstable;
	}
	fprintf(f, "\n%zu pairs: %zu faster, %zu slower, %zu same within noise, %zu undecided",
		c->n, count[RES_FASTER], count[RES_SLOWER], count[RES_SAME], count[RES_UNDECIDED]);
	if (c->only_a || c->only_b)
		fprintf(f, "; %zu only in A, %zu only in B (not compared)", c->only_a, c->only_b);
	fprintf(f, "\n");
	if (unstable)
		fprintf(f, "%zu pair%s with an unstable side (CV > %.0f%% or max/min > %.2f): read "
			"those verdicts with care\n", unstable, unstable == 1 ? "" : "s",
			100 * RES_UNSTABLE_CV, RES_UNSTABLE_MAXMIN);
	fprintf(f, "ratio: Hodges-Lehmann estimate of B / A (speeds: higher is better; times "
		"and lower-is-better figures are inverted), [lo, hi] its 95%% interval\n");
}
