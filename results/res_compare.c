/*
 * res_compare.c - compare two run folders (see res_compare.h).
 */
#include "res_compare.h"
#include "res_csv.h"
#include "res_meta.h"
#include "res_stats.h"
#include "res_summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int load_blocks(const char *dir, struct res_table *t, struct res_blocks *b, char *err,
		       size_t errlen)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	if (res_table_load(path, t, err, errlen))
		return -1;
	if (res_blocks_build(t, b, err, errlen)) {
		res_table_free(t);
		return -1;
	}
	return 0;
}

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

static const struct res_variant *match_variant(const struct res_block *b, const char *name)
{
	for (size_t i = 0; b && i < b->nvar; i++)
		if (!strcmp(b->var[i].name, name))
			return &b->var[i];
	return NULL;
}

static double median_of(const struct res_variant *v)
{
	double tmp[RES_MAX_REPS];
	memcpy(tmp, v->speed, v->n * sizeof(double));
	return res_median(tmp, v->n);
}

static void fill_row(struct res_cmp_row *r, const struct res_block *b, const struct res_variant *va,
		     const struct res_variant *vb)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->block, sizeof(r->block), "%s|%s|t%u|%s", b->workload, b->size_dist, b->threads,
		 b->placement);
	snprintf(r->variant, sizeof(r->variant), "%s", va->name);
	r->is_program = b->is_program;
	r->n_a = va->n;
	r->n_b = vb->n;
	r->median_a = va->n ? median_of(va) : NAN;
	r->median_b = vb->n ? median_of(vb) : NAN;
	r->ratio = r->median_b / r->median_a;
	r->ci_lo = r->ci_hi = NAN;
	if (res_ratio_ci(va->speed, va->n, vb->speed, vb->n, 7, &r->ratio, &r->ci_lo, &r->ci_hi))
		r->ci_lo = r->ci_hi = NAN;
	r->p = res_mann_whitney_p(va->speed, va->n, vb->speed, vb->n);
}

int res_compare_dirs(const char *dir_a, const char *dir_b, struct res_cmp *out, char *err,
		     size_t errlen)
{
	struct res_table ta, tb;
	struct res_blocks ba, bb;
	size_t cap = 0;
	char e2[512];

	memset(out, 0, sizeof(*out));
	if (load_blocks(dir_a, &ta, &ba, e2, sizeof(e2))) {
		snprintf(err, errlen, "%s: %s", dir_a, e2);
		return -1;
	}
	if (load_blocks(dir_b, &tb, &bb, e2, sizeof(e2))) {
		snprintf(err, errlen, "%s: %s", dir_b, e2);
		res_blocks_free(&ba);
		res_table_free(&ta);
		return -1;
	}
	for (size_t i = 0; i < ba.n; i++) {
		const struct res_block *xa = &ba.b[i], *xb = match_block(&bb, xa);
		for (size_t k = 0; k < xa->nvar; k++) {
			const struct res_variant *va = &xa->var[k], *vb = match_variant(xb, va->name);
			if (!vb || !va->n || !vb->n) {
				out->only_a++;
				continue;
			}
			if (out->n == cap) {
				cap = cap ? 2 * cap : 32;
				struct res_cmp_row *nr = realloc(out->rows, cap * sizeof(*nr));
				if (!nr)
					break;
				out->rows = nr;
			}
			fill_row(&out->rows[out->n++], xa, va, vb);
		}
	}
	for (size_t i = 0; i < bb.n; i++)
		for (size_t k = 0; k < bb.b[i].nvar; k++)
			if (!match_variant(match_block(&ba, &bb.b[i]), bb.b[i].var[k].name))
				out->only_b++;

	/* Holm over the pairs that can be decided at all. */
	double *p = malloc((out->n + 1) * sizeof(double)), *adj = malloc((out->n + 1) * sizeof(double));
	size_t *idx = malloc((out->n + 1) * sizeof(size_t)), m = 0;
	for (size_t i = 0; p && adj && idx && i < out->n; i++) {
		struct res_cmp_row *r = &out->rows[i];
		r->verdict = "undecided";
		r->p_adj = NAN;
		if (r->n_a >= RES_COMPARE_MIN_REPS && r->n_b >= RES_COMPARE_MIN_REPS) {
			idx[m] = i;
			p[m++] = r->p;
		}
	}
	if (p && adj && idx) {
		res_holm(p, m, adj);
		for (size_t j = 0; j < m; j++) {
			struct res_cmp_row *r = &out->rows[idx[j]];
			int outside = isfinite(r->ci_lo) && (r->ci_lo > 1.0 || r->ci_hi < 1.0);
			r->p_adj = adj[j];
			r->verdict = adj[j] < 0.05 && outside ? (r->ratio > 1 ? "faster" : "slower") : "same";
		}
	}
	free(p);
	free(adj);
	free(idx);
	res_blocks_free(&ba);
	res_blocks_free(&bb);
	res_table_free(&ta);
	res_table_free(&tb);
	return 0;
}

void res_compare_free(struct res_cmp *c)
{
	free(c->rows);
	memset(c, 0, sizeof(*c));
}

static int write_csv(void *ctx, FILE *f)
{
	const struct res_cmp *c = ctx;
	fprintf(f, "%s\nblock,variant,n_a,n_b,median_a,median_b,ratio,ci_lo,ci_hi,p_adj,verdict\n",
		RES_COMPARE_SCHEMA);
	for (size_t i = 0; i < c->n; i++) {
		const struct res_cmp_row *r = &c->rows[i];
		char line[1024];
		size_t l = 0;
		res_csv_field(line, sizeof(line), &l, r->block, 1);
		res_csv_field(line, sizeof(line), &l, r->variant, 0);
		fprintf(f, "%s,%zu,%zu,%.6g,%.6g,%.6g,", line, r->n_a, r->n_b, r->median_a, r->median_b,
			r->ratio);
		if (isfinite(r->ci_lo))
			fprintf(f, "%.6g,%.6g,", r->ci_lo, r->ci_hi);
		else
			fprintf(f, ",,");
		if (isfinite(r->p_adj))
			fprintf(f, "%.4g,", r->p_adj);
		else
			fprintf(f, ",");
		fprintf(f, "%s\n", r->verdict);
	}
	return ferror(f) ? -1 : 0;
}

int res_compare_write_csv(const struct res_cmp *c, const char *path)
{
	return res_write_atomic(path, write_csv, (void *)c);
}

void res_compare_print(const struct res_cmp *c, const char *a, const char *b, FILE *f)
{
	size_t faster = 0, slower = 0, same = 0, undecided = 0;
	fprintf(f, "A = %s\nB = %s\n\n", a, b);
	for (size_t i = 0; i < c->n; i++) {
		const struct res_cmp_row *r = &c->rows[i];
		fprintf(f, "%-44s %-22s ", r->block, r->variant);
		if (isfinite(r->ci_lo))
			fprintf(f, "B is %.3f +- %.3f x A", r->ratio, (r->ci_hi - r->ci_lo) / 2);
		else
			fprintf(f, "B is %.3f x A", r->ratio);
		if (!strcmp(r->verdict, "undecided"))
			fprintf(f, "  undecided (n=%zu/%zu, need %d each)\n", r->n_a, r->n_b,
				RES_COMPARE_MIN_REPS);
		else
			fprintf(f, "  %s (p=%.3g after Holm over %zu pairs)\n", r->verdict, r->p_adj, c->n);
		faster += !strcmp(r->verdict, "faster");
		slower += !strcmp(r->verdict, "slower");
		same += !strcmp(r->verdict, "same");
		undecided += !strcmp(r->verdict, "undecided");
	}
	fprintf(f, "\n%zu pairs: %zu faster, %zu slower, %zu same within noise, %zu undecided",
		c->n, faster, slower, same, undecided);
	if (c->only_a || c->only_b)
		fprintf(f, "; %zu only in A, %zu only in B (not compared)", c->only_a, c->only_b);
	fprintf(f, "\n");
}
