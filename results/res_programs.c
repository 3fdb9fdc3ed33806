/*
 * res_programs.c - programs against glibc: relative time and peak RSS with
 * their geometric means (see res_programs.h).
 */
#include "res_programs.h"
#include "res_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static size_t var_index(struct res_programs *p, const char *name)
{
	for (size_t i = 0; i < p->nvar; i++)
		if (!strcmp(p->var[i], name))
			return i;
	if (p->nvar == RES_PROG_VARS)
		return RES_PROG_VARS;
	snprintf(p->var[p->nvar], sizeof(p->var[0]), "%s", name);
	for (size_t k = 0; k < RES_PROG_MAX; k++)
		p->time[k][p->nvar] = p->rss[k][p->nvar] = NAN;
	return p->nvar++;
}

/* The geometric mean of the finite values of column j; n of them. */
static double geomean(double (*col)[RES_PROG_VARS], size_t nprog, size_t j, size_t *n)
{
	double logs = 0;
	*n = 0;
	for (size_t k = 0; k < nprog; k++)
		if (isfinite(col[k][j]) && col[k][j] > 0) {
			logs += log(col[k][j]);
			(*n)++;
		}
	return *n ? exp(logs / (double)*n) : NAN;
}

size_t res_programs_build(const struct res_blocks *bs, struct res_programs *p)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < bs->n && p->nprog < RES_PROG_MAX; i++) {
		const struct res_block *b = &bs->b[i];
		const struct res_variant *g = res_block_variant(b, "glibc");
		if (!b->is_program || !g)
			continue;
		size_t k = p->nprog++;
		double gs = res_median_of(g->speed, g->n), gr = res_median_of(g->rss_kib, g->nrss);
		snprintf(p->prog[k], sizeof(p->prog[0]), "%s", b->workload);
		for (size_t v = 0; v < b->nvar; v++) {
			const struct res_variant *x = &b->var[v];
			size_t j;
			if (!strcmp(x->name, "glibc") || (j = var_index(p, x->name)) == RES_PROG_VARS)
				continue;
			if (x->n)
				p->time[k][j] = gs / res_median_of(x->speed, x->n);
			if (x->nrss && gr > 0)
				p->rss[k][j] = res_median_of(x->rss_kib, x->nrss) / gr;
		}
	}
	/* variants first seen in a later program: no value for the earlier ones */
	for (size_t j = 0; j < p->nvar; j++) {
		p->time_geo[j] = geomean(p->time, p->nprog, j, &p->time_n[j]);
		p->rss_geo[j] = geomean(p->rss, p->nprog, j, &p->rss_n[j]);
	}
	return p->nprog;
}

static void cell(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, " %.2f |", v);
	else
		fprintf(f, " failed |");
}

static void one_table(FILE *f, const struct res_programs *p, double (*col)[RES_PROG_VARS],
		      const double *geo, const size_t *n)
{
	fprintf(f, "\n| program |");
	for (size_t j = 0; j < p->nvar; j++)
		fprintf(f, " %s |", p->var[j]);
	fprintf(f, "\n|---|");
	for (size_t j = 0; j < p->nvar; j++)
		fprintf(f, "---|");
	fputc('\n', f);
	for (size_t k = 0; k < p->nprog; k++) {
		fprintf(f, "| %s |", p->prog[k]);
		for (size_t j = 0; j < p->nvar; j++)
			cell(f, col[k][j]);
		fputc('\n', f);
	}
	fprintf(f, "| **geometric mean** |");
	for (size_t j = 0; j < p->nvar; j++) {
		if (!isfinite(geo[j]))
			fprintf(f, " - |");
		else if (n[j] < p->nprog)
			fprintf(f, " **%.2f** (%zu of %zu) |", geo[j], n[j], p->nprog);
		else
			fprintf(f, " **%.2f** |", geo[j]);
	}
	fputc('\n', f);
}

void res_programs_section(FILE *f, const struct res_blocks *bs)
{
	static struct res_programs p;
	if (!res_programs_build(bs, &p) || !p.nvar)
		return;
	fprintf(f, "\n## Programs against glibc\n\n"
		"Time relative to glibc: glibc's median speed over the allocator's (the time it "
		"needs for glibc's work; for a program that prints a throughput, such as redis, "
		"the inverse of the throughput ratio). Lower is better; 1 is glibc. The "
		"geometric mean is over the programs.\n");
	one_table(f, &p, p.time, p.time_geo, p.time_n);
	fprintf(f, "\nPeak RSS relative to glibc: the measured program's own peak resident set "
		"(its VmHWM), median over repetitions, over glibc's. Lower is better.\n");
	one_table(f, &p, p.rss, p.rss_geo, p.rss_n);
}
