/*
 * res_summary.c - summary.md and stats.csv (see res_summary.h).
 *
 * Reading the numbers: a block's figure is the median over repetitions with
 * its interquartile range (plain numbers in the header's unit; "n too
 * small" below 4 repetitions, as for an interval); a ratio "A / B" is the
 * Hodges-Lehmann estimate of the ratio of speeds with the 95% interval that
 * inverts the exact rank-sum test, printed [lo, hi] ("n too small" below 4
 * repetitions a side); the verdict against glibc is faster / slower / same / undecided
 * (res_decide.h). For [program] cells the figure is the program's own
 * metric, or its wall time; ratios are of speeds either way (a time is
 * inverted), so above 1 always means faster.
 */
#include "res_summary.h"
#include "res_blockstats.h"
#include "res_fidelity.h"
#include "res_programs.h"
#include "res_meta.h"
#include "res_stats.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "1.23 [1.18, 1.30]" (or "1.23, n too small", or "-"). */
static void ratio_text(const struct res_pair *p, char *buf, size_t len)
{
	char ci[64];
	if (!isfinite(p->ratio)) {
		snprintf(buf, len, "-");
		return;
	}
	res_interval_text(p, 2, ci, sizeof(ci));
	snprintf(buf, len, "%.2f%s%s", p->ratio, ci[0] == '[' ? " " : ", ", ci);
}

static const char *figure_header(const struct res_figure *f, char *buf, size_t len)
{
	if (f->kind == RES_FIG_OPS)
		return "Mops/s (median)";
	if (f->kind == RES_FIG_WALL)
		return "wall s (median, lower is better)";
	snprintf(buf, len, "%s (median, %s is better)", f->unit[0] ? f->unit : "metric",
		 f->higher_is_better ? "higher" : "lower");
	return buf;
}

static void noise_cell(const struct res_var_stats *s, char *buf, size_t len)
{
	char txt[128];
	if (s->noise.n < 2) {
		snprintf(buf, len, "-");
		return;
	}
	if (!s->noise.unstable && s->noise.shape == RES_SHAPE_PLAIN) {
		snprintf(buf, len, "ok");
		return;
	}
	snprintf(txt, sizeof(txt), "max/min %.2f%s", s->noise.max_min,
		 s->noise.shape == RES_SHAPE_OUTLIER ? ", outlier" :
		 s->noise.shape == RES_SHAPE_BIMODAL ? ", bimodal" : "");
	snprintf(buf, len, "%s (%s)", s->noise.unstable ? "**unstable**" : "noisy", txt);
}

/* ------------------------------------------------------------------------
 * Winners, then nano
 * ---------------------------------------------------------------------- */

static void block_cells(FILE *f, const struct res_block *b, int places)
{
	fprintf(f, "| %s | %s | %u |", b->workload, b->is_program ? "program" : b->size_dist, b->threads);
	if (places)
		fprintf(f, " %s |", b->placement);
}

/* The variant with the best median other than not_this (NULL: any). */
static const struct res_var_stats *best_but(const struct res_block_stats *st,
					    const struct res_variant *not_this, int no_nano)
{
	const struct res_var_stats *bv = NULL;
	for (size_t i = 0; i < st->n; i++) {
		const struct res_var_stats *s = &st->s[i];
		if (!s->v->n || s->v == not_this || (no_nano && !strncmp(s->v->name, "nano", 4)))
			continue;
		if (!bv || s->speed.median > bv->speed.median)
			bv = s;
	}
	return bv;
}

static const char *verdict_words(const struct res_pair *p)
{
	switch (p->verdict) {
	case RES_FASTER: return "faster";
	case RES_SLOWER: return "slower";
	case RES_SAME: return "same within noise";
	default: return "undecided";
	}
}

/* One row: the winner (best median), its margin over the runner-up as the
 * compare rule gives it (the pair is its own family), and the verdict. */
static void winner_row(FILE *f, const struct res_block_stats *st, int places)
{
	const struct res_var_stats *w = best_but(st, NULL, 0), *r = w ? best_but(st, w->v, 0) : NULL;
	char txt[96];
	block_cells(f, st->b, places);
	if (!w) {
		fprintf(f, " every cell failed | | | |\n");
		return;
	}
	if (!r) {
		fprintf(f, " %s | - | - | the only allocator with results |\n", w->v->name);
		return;
	}
	struct res_pair p = { .a = r->v->speed, .na = r->v->n, .b = w->v->speed, .nb = w->v->n };
	res_decide(&p, 1);
	ratio_text(&p, txt, sizeof(txt));
	fprintf(f, " %s | %s | %s | %s%s |\n", w->v->name, r->v->name, txt, verdict_words(&p),
		p.verdict == RES_SAME ? ": tied" : p.verdict == RES_FASTER ? ": a clear win" : "");
}

/* nano and nano-rseq against the best allocator that is not a nano (a nano
 * setting or front is no baseline), and nano-rseq against nano: one row,
 * the block's three comparisons one family. 0 when the block has neither. */
static int nano_row(FILE *f, const struct res_block_stats *st, int places)
{
	const struct res_block *b = st->b;
	const struct res_var_stats *o = best_but(st, NULL, 1);
	const struct res_variant *other = o ? o->v : NULL, *nano = res_block_variant(b, "nano"),
				 *rseq = res_block_variant(b, "nano-rseq");
	const struct res_variant *who[3][2] = { { nano, other }, { rseq, other }, { rseq, nano } };
	struct res_pair p[3];
	size_t idx[3], n = 0;

	if (!nano && !rseq)
		return 0;
	for (size_t i = 0; i < 3; i++) {
		if (!who[i][0] || !who[i][1])
			continue;
		p[n] = (struct res_pair){ .a = who[i][1]->speed, .na = who[i][1]->n,
					  .b = who[i][0]->speed, .nb = who[i][0]->n };
		idx[n++] = i;
	}
	res_decide(p, n);
	block_cells(f, b, places);
	fprintf(f, " %s |", other ? other->name : "-");
	for (size_t i = 0, k = 0; i < 3; i++) {
		char txt[96];
		if (k < n && idx[k] == i) {
			ratio_text(&p[k], txt, sizeof(txt));
			fprintf(f, " %s | %s |", txt, res_verdict_name(p[k].verdict));
			k++;
		} else {
			fprintf(f, " - | |");
		}
	}
	fputc('\n', f);
	return 1;
}

static int many_placements(const struct res_blocks *bs)
{
	for (size_t i = 1; i < bs->n; i++)
		if (strcmp(bs->b[i].placement, bs->b[0].placement))
			return 1;
	return 0;
}

static void winners(FILE *f, const struct res_blocks *bs, const struct res_block_stats *st)
{
	int places = many_placements(bs);
	fprintf(f, "## Winners\n\nPer workload and thread count: the allocator with the best median, "
		"its margin over the runner-up (the Hodges-Lehmann ratio of their speeds with its 95%% "
		"interval, \"n too small\" below 4 repetitions a side) and the verdict of the rule "
		"`compare` uses on those two: faster is a clear win, \"same within noise\" a tie, "
		"undecided below %d repetitions a side.\n\n", RES_MIN_REPS);
	fprintf(f, "| workload | sizes | threads |%s winner | runner-up | margin [95%%] | verdict |\n",
		places ? " placement |" : "");
	fprintf(f, "|---|---|---|%s---|---|---|---|\n", places ? "---|" : "");
	for (size_t i = 0; i < bs->n; i++)
		winner_row(f, &st[i], places);
}

static void nano_rows(FILE *f, const struct res_blocks *bs, const struct res_block_stats *st)
{
	int places = many_placements(bs), any = 0;
	for (size_t i = 0; i < bs->n; i++)
		any |= res_block_variant(&bs->b[i], "nano") || res_block_variant(&bs->b[i], "nano-rseq");
	if (!any)
		return;
	fprintf(f, "\n## nano\n\nnano and nano-rseq against the best allocator that is not a nano, "
		"and nano-rseq against nano: ratios of speeds with their 95%% intervals; a block's "
		"three comparisons are one Benjamini-Hochberg family.\n\n");
	fprintf(f, "| workload | sizes | threads |%s best other | nano x best other [95%%] | verdict | "
		"nano-rseq x best other [95%%] | verdict | nano-rseq x nano [95%%] | verdict |\n",
		places ? " placement |" : "");
	fprintf(f, "|---|---|---|%s---|---|---|---|---|---|---|\n", places ? "---|" : "");
	for (size_t i = 0; i < bs->n; i++)
		nano_row(f, &st[i], places);
}

/* ------------------------------------------------------------------------
 * Tables
 * ---------------------------------------------------------------------- */

static void put_opt(FILE *f, const char *fmt, double v)
{
	if (isfinite(v))
		fprintf(f, fmt, v);
	else
		fprintf(f, "- | ");
}


static void table(FILE *f, const struct res_block_stats *st)
{
	const struct res_block *b = st->b;
	char hdr[96];
	if (b->is_program)
		fprintf(f, "\n### %s (program), %u thread%s\n\n", b->workload, b->threads,
			b->threads == 1 ? "" : "s");
	else
		fprintf(f, "\n### %s, %s, %u thread%s, %s\n\n", b->workload, b->size_dist, b->threads,
			b->threads == 1 ? "" : "s", b->placement);
	fprintf(f, "| allocator | n | %s | IQR | x %s [95%%] | verdict | x best [95%%] | CV | steal s | noise | peak RSS MiB | RSS/live | p99 ns | nano retries/op |\n",
		figure_header(&b->fig, hdr, sizeof(hdr)), st->ref ? st->ref->name : "glibc");
	fprintf(f, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < st->n; i++) {
		const struct res_var_stats *s = &st->s[i];
		const struct res_variant *v = s->v;
		char m[48], q1[48], q3[48], rg[96], rb[96], nz[160];
		if (!v->n) {
			fprintf(f, "| %s | 0 | failed | | | | | | | | | | | |\n", v->name);
			continue;
		}
		/* median and quartiles of the figures as printed (a time's are
		 * the times'); quartiles of fewer than 4 values are no interval */
		res_fmt_figure(m, sizeof(m), &b->fig, res_figure_quantile(&b->fig, v->speed, v->n, 0.5));
		res_fmt_figure(q1, sizeof(q1), &b->fig, res_figure_quantile(&b->fig, v->speed, v->n, 0.25));
		res_fmt_figure(q3, sizeof(q3), &b->fig, res_figure_quantile(&b->fig, v->speed, v->n, 0.75));
		if (v->n < 4) {
			snprintf(q1, sizeof(q1), "n too");
			snprintf(q3, sizeof(q3), "small");
		}
		if (s->is_ref)
			snprintf(rg, sizeof(rg), "1");
		else
			ratio_text(&s->vs_ref, rg, sizeof(rg));
		if (s->is_best)
			snprintf(rb, sizeof(rb), "1 (best)");
		else
			ratio_text(&s->vs_best, rb, sizeof(rb));
		noise_cell(s, nz, sizeof(nz));
		fprintf(f, "| %s | %zu%s | %s | %s%s%s | %s | %s | %s | ", v->name, v->n,
			v->failed ? " (+failed)" : "", m, q1, v->n < 4 ? " " : " .. ", q3, rg,
			s->is_ref ? "reference" : res_verdict_name(s->vs_ref.verdict), rb);
		put_opt(f, "%.1f%% | ", 100 * s->noise.cv);
		put_opt(f, "%.2f | ", s->steal_s);
		fprintf(f, "%s | ", nz);
		put_opt(f, "%.1f | ", res_median_of(v->rss_kib, v->nrss) / 1024);
		put_opt(f, "%.2f | ", res_median_of(v->frag, v->nfrag));
		put_opt(f, "%.0f | ", res_median_of(v->p99, v->np99));
		put_opt(f, "%.4f | ", res_median_of(v->retries, v->nretries));
		fputc('\n', f);
	}
	for (size_t i = 0; i < b->nvar; i++)
		if (b->var[i].failed)
			fprintf(f, "\n%s: %zu failed cell%s, first: %s\n", b->var[i].name, b->var[i].failed,
				b->var[i].failed == 1 ? "" : "s", b->var[i].first_failure);
}

struct summary_ctx {
	const struct res_blocks *bs;
	struct res_block_stats *st;
	const char *dir;
};

static int write_summary(void *vctx, FILE *f)
{
	const struct summary_ctx *x = vctx;
	const struct res_blocks *bs = x->bs;
	char machine[512];
	int rseq = 0;
	size_t unstable = 0, cells = 0;

	res_machine_line(machine, sizeof(machine));
	fprintf(f, "# nanobench run: %s\n\n", x->dir);
	fprintf(f, "Summarised on %s. A figure is the median over repetitions (interquartile "
		"range beside it). A ratio is the Hodges-Lehmann estimate of the ratio of speeds "
		"(a time is inverted: above 1 is faster) with its 95%% interval [lo, hi], the one "
		"that inverts the exact rank-sum test; the verdict against glibc is that test, "
		"Benjamini-Hochberg over the block's allocators at %.0f%% false discoveries, and "
		"\"undecided\" below %d repetitions a side. A cell is **unstable** when its "
		"coefficient of variation exceeds %.0f%% or max/min exceeds %.2f (docs/results.md). "
		"Failed cells are counted, never averaged in.\n\n", machine, 100 * RES_FDR, RES_MIN_REPS,
		100 * RES_UNSTABLE_CV, RES_UNSTABLE_MAXMIN);
	for (size_t i = 0; i < bs->n; i++) {
		for (size_t k = 0; k < x->st[i].n; k++) {
			cells += x->st[i].s[k].noise.n >= 2;
			unstable += x->st[i].s[k].noise.unstable;
		}
	}
	winners(f, bs, x->st);
	nano_rows(f, bs, x->st);
	for (size_t i = 0; i < bs->n; i++)
		rseq = rseq || res_block_variant(&bs->b[i], "nano-rseq");
	/* the one per-CPU design among the baselines would be Google's rseq
	 * tcmalloc, which Debian does not ship */
	if (rseq)
		fprintf(f, "\nnano-rseq caches per CPU; tcmalloc here is Debian's gperftools, which "
			"caches per thread (not Google's per-CPU rseq tcmalloc), so these rows compare "
			"per-CPU with per-thread caching, not two per-CPU designs.\n");
	if (unstable)
		fprintf(f, "\n%zu of %zu cells are unstable: their tables say which; a verdict there "
			"rests on noisy repetitions.\n", unstable, cells);
	res_fidelity_section(f, bs, x->st);
	res_programs_section(f, bs);
	fprintf(f, "\n## Tables\n");
	for (size_t i = 0; i < bs->n; i++)
		table(f, &x->st[i]);
	return ferror(f) ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * stats.csv
 * ---------------------------------------------------------------------- */

static void csv_num(FILE *f, double v, const char *fmt)
{
	fputc(',', f);
	if (isfinite(v))
		fprintf(f, fmt, v);
}

static int write_stats(void *vctx, FILE *f)
{
	const struct summary_ctx *x = vctx;
	fprintf(f, "%s\n", RES_STATS_HEADER);
	for (size_t i = 0; i < x->bs->n; i++) {
		const struct res_block_stats *st = &x->st[i];
		const struct res_block *b = st->b;
		for (size_t k = 0; k < st->n; k++) {
			const struct res_var_stats *s = &st->s[k];
			char line[1024], num[64];
			size_t l = 0;
			res_csv_field(line, sizeof(line), &l, b->workload, 1);
			res_csv_field(line, sizeof(line), &l, b->size_dist, 0);
			snprintf(num, sizeof(num), "%u", b->threads);
			res_csv_field(line, sizeof(line), &l, num, 0);
			res_csv_field(line, sizeof(line), &l, b->placement, 0);
			res_csv_field(line, sizeof(line), &l, s->v->name, 0);
			fprintf(f, "%s,%zu,%zu", line, s->v->n, s->v->failed);
			csv_num(f, res_figure_value(&b->fig, res_figure_quantile(&b->fig, s->v->speed,
										   s->v->n, 0.5)), "%.6g");
			fprintf(f, ",%s,%d", b->fig.kind == RES_FIG_OPS ? "ops/s" :
				b->fig.kind == RES_FIG_WALL ? "s" : b->fig.unit,
				b->fig.kind == RES_FIG_WALL ? 0 : b->fig.higher_is_better);
			csv_num(f, s->noise.cv, "%.4f");
			csv_num(f, s->noise.max_min, "%.4f");
			fprintf(f, ",%s", s->noise.shape == RES_SHAPE_OUTLIER ? "outlier" :
				s->noise.shape == RES_SHAPE_BIMODAL ? "bimodal" : s->noise.n >= 4 ? "plain" : "");
			csv_num(f, s->steal_s, "%.3f");
			fprintf(f, ",%s", s->noise.n < 2 ? "" : s->noise.unstable ? "1" : "0");
			fprintf(f, ",%s", st->ref ? st->ref->name : "");
			csv_num(f, s->is_ref ? 1.0 : s->vs_ref.ratio, "%.6g");
			csv_num(f, s->vs_ref.lo, "%.6g");
			csv_num(f, s->vs_ref.hi, "%.6g");
			csv_num(f, s->vs_ref.p, "%.4g");
			csv_num(f, s->vs_ref.q, "%.4g");
			fprintf(f, ",%s\n", s->is_ref ? "reference" : res_verdict_name(s->vs_ref.verdict));
		}
	}
	return ferror(f) ? -1 : 0;
}

int res_summary_write(const char *dir, char *err, size_t errlen)
{
	char path[4096];
	struct res_table t;
	struct res_blocks bs;
	int rc;

	if (res_blocks_load(dir, &t, &bs, err, errlen))
		return -1;
	struct res_block_stats *st = calloc(bs.n + 1, sizeof(*st));
	if (!st) {
		snprintf(err, errlen, "out of memory summarising %s", dir);
		res_blocks_free(&bs);
		res_table_free(&t);
		return -1;
	}
	for (size_t i = 0; i < bs.n; i++)
		res_block_stats(&bs.b[i], &st[i]);
	struct summary_ctx x = { &bs, st, dir };
	snprintf(path, sizeof(path), "%s/summary.md", dir);
	rc = res_write_atomic(path, write_summary, &x);
	if (rc == 0) {
		snprintf(path, sizeof(path), "%s/stats.csv", dir);
		rc = res_write_atomic(path, write_stats, &x);
	}
	if (rc)
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
	free(st);
	res_blocks_free(&bs);
	res_table_free(&t);
	return rc;
}
