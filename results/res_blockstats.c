/*
 * res_blockstats.c - the numbers of one comparison block (see
 * res_blockstats.h).
 */
#include "res_blockstats.h"

#include <math.h>
#include <stdio.h>
#include <string.h>


void res_block_stats(const struct res_block *b, struct res_block_stats *out)
{
	struct res_pair fam[32], best[32];
	size_t nf = 0;

	memset(out, 0, sizeof(*out));
	out->b = b;
	out->n = b->nvar;
	out->ref = res_block_variant(b, "glibc");
	for (size_t i = 0; i < b->nvar; i++) {
		const struct res_variant *v = &b->var[i];
		double tmp[RES_MAX_REPS];
		struct res_var_stats *s = &out->s[i];
		s->v = v;
		memcpy(tmp, v->speed, v->n * sizeof(double));
		res_summarise(tmp, v->n, &s->speed);
		res_noise(v->speed, v->n, &s->noise);
		s->steal_s = res_median_of(v->steal, v->nsteal);
		if (!v->n)
			continue;
		if (!out->ref)
			out->ref = v;
		if (!out->best || s->speed.median > res_median_of(out->best->speed, out->best->n))
			out->best = v;
	}
	for (size_t i = 0; i < b->nvar; i++) {
		struct res_var_stats *s = &out->s[i];
		s->vs_ref = s->vs_best = (struct res_pair){ .ratio = NAN, .lo = NAN, .hi = NAN, .p = NAN,
							    .q = NAN };
		s->is_ref = s->v == out->ref;
		s->is_best = s->v == out->best;
		if (!s->v->n)
			continue;
		if (!s->is_ref)
			fam[nf++] = (struct res_pair){ .a = out->ref->speed, .na = out->ref->n,
						       .b = s->v->speed, .nb = s->v->n };
		best[i] = (struct res_pair){ .a = out->best->speed, .na = out->best->n,
					     .b = s->v->speed, .nb = s->v->n };
		if (!s->is_best) {
			res_decide(&best[i], 1);
			s->vs_best = best[i];
		}
	}
	res_decide(fam, nf);
	nf = 0;
	for (size_t i = 0; i < b->nvar; i++)
		if (out->s[i].v->n && !out->s[i].is_ref)
			out->s[i].vs_ref = fam[nf++];
}

int res_block_converged(const struct res_block_stats *bs, double halfwidth)
{
	if (!bs->ref)
		return 0;
	for (size_t i = 0; i < bs->n; i++) {
		const struct res_var_stats *s = &bs->s[i];
		const struct res_pair *p = &s->vs_ref;
		if (!s->v->n || s->is_ref)
			continue;
		if (!isfinite(p->lo) || !isfinite(p->hi) || p->ratio / p->lo > 1 + halfwidth ||
		    p->hi / p->ratio > 1 + halfwidth)
			return 0;
	}
	return 1;
}

const struct res_var_stats *res_block_stats_of(const struct res_block_stats *bs, const char *name)
{
	for (size_t i = 0; i < bs->n; i++)
		if (!strcmp(bs->s[i].v->name, name) && bs->s[i].v->n)
			return &bs->s[i];
	return NULL;
}

void res_fmt_figure(char *buf, size_t len, const struct res_figure *fig, double speed)
{
	double v = res_figure_value(fig, speed);
	if (!isfinite(v))
		snprintf(buf, len, "-");
	else if (fig->kind == RES_FIG_OPS)
		snprintf(buf, len, "%.2f", v / 1e6);     /* the unit (Mops/s) is in the header */
	else if (fig->kind == RES_FIG_WALL)
		snprintf(buf, len, "%.3f", v);
	else
		snprintf(buf, len, "%.4g", v);
}
