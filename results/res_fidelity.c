/*
 * res_fidelity.c - the Fidelity section (see res_fidelity.h).
 */
#include "res_fidelity.h"

#include <math.h>
#include <string.h>

/* The workload block that pairs with original block o, or -1. */
static long partner(const struct res_blocks *bs, const struct res_block *o)
{
	size_t ls = strlen(o->workload), lx = strlen(RES_FIDELITY_SUFFIX);
	long found = -1;
	if (!o->is_program || ls <= lx || strcmp(o->workload + ls - lx, RES_FIDELITY_SUFFIX))
		return -1;
	for (size_t i = 0; i < bs->n; i++) {
		const struct res_block *b = &bs->b[i];
		if (b->is_program || b->threads != o->threads || strlen(b->workload) != ls - lx ||
		    strncmp(b->workload, o->workload, ls - lx))
			continue;
		if (found < 0 || (!strcmp(b->size_dist, "classic") &&
				  strcmp(bs->b[found].size_dist, "classic")))
			found = (long)i;
	}
	return found;
}

/* The fastest and second-fastest variants by median (NULL when absent). */
static void podium(const struct res_block_stats *st, const struct res_var_stats **first,
		   const struct res_var_stats **second)
{
	*first = *second = NULL;
	for (size_t i = 0; i < st->n; i++) {
		const struct res_var_stats *s = &st->s[i];
		if (!s->v->n)
			continue;
		if (!*first || s->speed.median > (*first)->speed.median) {
			*second = *first;
			*first = s;
		} else if (!*second || s->speed.median > (*second)->speed.median) {
			*second = s;
		}
	}
}

static void ratio_cell(FILE *f, const struct res_var_stats *s)
{
	if (!s || !isfinite(s->vs_ref.ratio)) {
		fprintf(f, "- | ");
		return;
	}
	char ci[64];
	res_interval_text(&s->vs_ref, 2, ci, sizeof(ci));
	fprintf(f, "%.2f %s | ", s->vs_ref.ratio, ci);
}

/* yes / no / "inside the original's interval" */
static const char *agreement(const struct res_var_stats *o, const struct res_var_stats *n)
{
	double ro = o->vs_ref.ratio, rn = n->vs_ref.ratio;
	if (fmax(ro / rn, rn / ro) <= RES_FIDELITY_TOL)
		return "yes";
	if (isfinite(o->vs_ref.lo) && rn >= o->vs_ref.lo && rn <= o->vs_ref.hi)
		return "inside the original's interval";
	return "**no**";
}

static void winners(FILE *f, const struct res_block_stats *so, const struct res_block_stats *sn)
{
	const struct res_var_stats *o1, *o2, *n1, *n2;
	podium(so, &o1, &o2);
	podium(sn, &n1, &n2);
	if (!o1 || !n1)
		return;
	fprintf(f, "\nWinner: original %s, nanobench %s", o1->v->name, n1->v->name);
	if (!o2) {
		fprintf(f, ".\n");
		return;
	}
	struct res_pair p = { .a = o2->v->speed, .na = o2->v->n, .b = o1->v->speed, .nb = o1->v->n };
	res_decide(&p, 1);
	if (p.verdict == RES_FASTER)
		fprintf(f, ": %s (the original's %s is faster than its runner-up %s).\n",
			strcmp(o1->v->name, n1->v->name) ? "**different winners**" : "same winner",
			o1->v->name, o2->v->name);
	else
		fprintf(f, "; not judged: the original's %s is not decided faster than %s (%s).\n",
			o1->v->name, o2->v->name, res_verdict_name(p.verdict));
}

static void pair_table(FILE *f, const struct res_block_stats *so, const struct res_block_stats *sn)
{
	const struct res_block *o = so->b, *n = sn->b;
	fprintf(f, "\n### %s vs %s, %u thread%s (%s sizes, %s)\n\n", n->workload, o->workload,
		n->threads, n->threads == 1 ? "" : "s", n->size_dist, n->placement);
	fprintf(f, "| allocator | original x %s [95%%] | nanobench x %s [95%%] | nanobench / original | agrees |\n",
		so->ref ? so->ref->name : "glibc", sn->ref ? sn->ref->name : "glibc");
	fprintf(f, "|---|---|---|---|---|\n");
	for (size_t i = 0; i < so->n; i++) {
		const struct res_var_stats *vo = &so->s[i], *vn = res_block_stats_of(sn, vo->v->name);
		if (!vo->v->n || vo->is_ref)
			continue;
		fprintf(f, "| %s | ", vo->v->name);
		ratio_cell(f, vo);
		ratio_cell(f, vn);
		if (vn && isfinite(vo->vs_ref.ratio) && isfinite(vn->vs_ref.ratio))
			fprintf(f, "%.2f | %s |\n", vn->vs_ref.ratio / vo->vs_ref.ratio, agreement(vo, vn));
		else
			fprintf(f, "- | - |\n");
	}
	winners(f, so, sn);
}

void res_fidelity_section(FILE *f, const struct res_blocks *bs, const struct res_block_stats *st)
{
	int any = 0;
	for (size_t i = 0; i < bs->n; i++) {
		long k = partner(bs, &bs->b[i]);
		if (k < 0)
			continue;
		if (!any)
			fprintf(f, "\n## Fidelity (nanobench's workloads against the published programs)\n\n"
				"Each allocator's ratio to glibc under the original program ([program "
				"NAME%s]) and under nanobench's workload NAME, both from this run. "
				"\"agrees\": within %.2fx either way, or nanobench's ratio inside the "
				"original's 95%% interval where that is wider. The winner is the fastest "
				"median; \"same winner\" is judged only where the original's winner is "
				"decided faster than its runner-up.\n", RES_FIDELITY_SUFFIX, RES_FIDELITY_TOL);
		any = 1;
		pair_table(f, &st[i], &st[k]);
	}
}
