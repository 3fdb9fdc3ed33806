/*
 * plot_section.c - the "## Plots" section of summary.md (see plot_folder.h).
 *
 * The runner writes summary.md's tables (res_summary.c); this stage adds,
 * below them, every picture as a relative markdown image (so the folder
 * reads well in a browser or on a Git forge), each under a heading with one
 * line saying what to look at, and a note for each plot left out and why.
 * The section starts with a marker comment; rewriting summary.md cuts the
 * file at the marker (or at a "## Plots" heading of an older file) before
 * appending, so running `nanobench plot` again replaces the section.
 */
#include "plot_folder.h"
#include "plot_style.h"

#include "res_meta.h"
#include "res_summary.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MARKER "<!-- nanobench plot: everything below is rewritten by `nanobench plot` -->"

static const char *const hints[] = {
	[PLOT_HINT_THROUGHPUT] = "Median throughput of each allocator as threads are added, one "
		"panel per workload, whiskers from the slowest to the fastest repetition: a line "
		"that rises keeps scaling, one that flattens or falls is contended. A fixed-work "
		"workload (one that ran its own published length) is drawn as its time in seconds, "
		"where lower is better: its calls per second would be a meaningless rate.",
	[PLOT_HINT_VS_GLIBC] = "Each allocator's speed over glibc's at the largest thread count "
		"(the Hodges-Lehmann ratio of the tables above), on a log axis centred on 1 so that "
		"2x faster and 2x slower are equally tall; the whisker is its 95% interval, a pale "
		"bar marked \u2248 is the same as glibc within noise, a ? marks fewer than 6 "
		"repetitions a side.",
	[PLOT_HINT_VS_BEST] = "Each allocator's speed over the best one's (by median) of that "
		"workload, on the same log axis with 95% intervals: a pale bar marked \u2248 is tied "
		"with the best within noise.",
	[PLOT_HINT_SCALING] = "Speedup over the same allocator at 1 thread; the dashed diagonal "
		"is perfect scaling, so the gap below it is what each allocator loses to sharing.",
	[PLOT_HINT_RSS] = "Median peak resident memory at the largest thread count, less the "
		"process's own resident set before the workload's set-up (the harness, its "
		"libraries and the allocator's start-up: the title gives it), so a bar is what the "
		"workload cost under that allocator; lower is better. Where that baseline is not "
		"recorded (programs) the bars are the whole peak, and the axis says so.",
	[PLOT_HINT_LATENCY] = "Sampled latency of single calls (log scale): circle p50, square "
		"p99, triangle p99.9 per allocator, side by side; p50 sits near the timer's own "
		"cost, the tail (page faults, lock waits, refills) is the signal. A value under the "
		"timer's resolution (the dotted line) is drawn as an open down-triangle below it, "
		"never dropped.",
	[PLOT_HINT_CONTENTION] = "nano only: failed compare-and-swap attempts per call (left) "
		"and the share of frees that went to a magazine other than the block's owner "
		"(right), per workload (point shape) and nano setting (its allocator colour): both "
		"stay near 0 at 1 thread.",
	[PLOT_HINT_PROG_TIME] = "The time each allocator needs for glibc's work on each program "
		"(glibc's median speed over its own; for redis the inverse of the throughput "
		"ratio), and the geometric mean over the programs in the last group: below the "
		"dashed 1 is faster than glibc.",
	[PLOT_HINT_PROG_RSS] = "The measured program's own peak resident set (VmHWM) under "
		"each allocator over glibc's, and the geometric mean over the programs: below "
		"the dashed 1 uses less memory than glibc.",
};

const char *plot_hint(enum plot_hint h)
{
	return hints[h];
}

const char *plot_hint_panel(void)
{
	return "Median throughput vs threads with min..max whiskers over the repetitions; a "
	       "missing point is a failed cell.";
}

/* ------------------------------------------------------------------------
 * The section
 * ---------------------------------------------------------------------- */

/* "threadtest: mimalloc, larson: nano" - the best median per workload of
 * dist at its largest thread count. */
static void winners(FILE *f, const struct plot_model *m, const char *dist)
{
	int first = 1;
	for (size_t p = 0; p < m->npanels; p++) {
		long best = -1;
		double bv = 0;
		size_t t = 0;
		if (strcmp(m->panel[p].dist, dist))
			continue;
		while (t < m->nthr && m->thr[t] != m->panel[p].maxthr)
			t++;
		for (size_t s = 0; s < m->nseries && t < m->nthr; s++) {
			double v = plot_cell_at(m, p, s, t)->speed.median;
			if (isfinite(v) && (best < 0 || v > bv)) {
				best = (long)s;
				bv = v;
			}
		}
		if (best >= 0) {
			fprintf(f, "%s%s %s", first ? " Best here: " : ", ", m->panel[p].label,
				m->series[best]);
			first = 0;
		}
	}
	if (!first)
		fputc('.', f);
}

static int made_has(const struct plot_made *made, size_t n, const char *prefix, const char *dist)
{
	char base[256];
	snprintf(base, sizeof(base), "%s_%s", prefix, dist);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(made[i].base, base))
			return 1;
	return 0;
}

static const struct {
	const char *prefix, *why;
} maybe[] = {
	{ "relative_glibc", "throughput relative to glibc (no successful glibc cell)" },
	{ "scaling", "scaling (needs 1 thread and at least one other thread count)" },
	{ "rss", "peak RSS (no RSS recorded)" },
	{ "latency", "latency (no latency samples recorded)" },
	{ "contention", "nano contention (no nano counters in these cells)" },
};

static void left_out(FILE *f, const struct plot_made *made, size_t n, const char *dist)
{
	for (size_t i = 0; i < sizeof(maybe) / sizeof(maybe[0]); i++)
		if (!made_has(made, n, maybe[i].prefix, dist))
			fprintf(f, "- Not drawn: %s.\n", maybe[i].why);
}

/* " Gaps (every repetition failed): jemalloc at 1, 2 threads; ..." for the
 * panel labelled label. */
static void gaps(FILE *f, const struct plot_model *m, const char *label, const char *dist)
{
	int first = 1;
	for (size_t p = 0; p < m->npanels; p++) {
		if (strcmp(m->panel[p].label, label) || strcmp(m->panel[p].dist, dist))
			continue;
		for (size_t s = 0; s < m->nseries; s++) {
			int any = 0;
			for (size_t t = 0; t < m->nthr; t++) {
				const struct plot_cell *c = plot_cell_at(m, p, s, t);
				if (c->n || !c->failed)
					continue;
				if (!any)
					fprintf(f, "%s%s at ", first ? " Gaps (every repetition failed): " : "; ",
						m->series[s]);
				fprintf(f, "%s%u", any ? ", " : "", m->thr[t]);
				any = 1;
				first = 0;
			}
			if (any)
				fputs(" threads", f);
		}
	}
	if (!first)
		fputc('.', f);
}

static void picture(FILE *f, const struct plot_made *p, const struct plot_model *m)
{
	fprintf(f, "\n### %s\n\n![%s](plots/%s.png)\n\n%s", p->title, p->title, p->base, p->hint);
	if (!strncmp(p->base, "relative_best_", 14))
		winners(f, m, p->dist);
	if (p->panel[0])
		gaps(f, m, p->panel, p->dist);
	fprintf(f, " ([SVG](plots/%s.svg), gnuplot script `plots/%s.gp`, data in `plots/data/`)\n",
		p->base, p->base);
}

struct section_ctx {
	const char *kept;              /* the runner's part of summary.md */
	size_t kept_len;
	const struct plot_model *m;
	const struct plot_made *made;
	size_t n;
};

static int write_section(void *vctx, FILE *f)
{
	const struct section_ctx *x = vctx;
	fwrite(x->kept, 1, x->kept_len, f);
	if (x->kept_len && x->kept[x->kept_len - 1] != '\n')
		fputc('\n', f);
	char legend[512];
	plot_style_legend(legend, sizeof(legend));
	fprintf(f, "\n%s\n## Plots\n\nDrawn by gnuplot from results.csv (the numbers behind each "
		"picture are in `plots/data/`). Points are medians over the successful repetitions; "
		"failed cells and absent counters are gaps, never zeros. Colours are the same in "
		"every plot and run: %s; a nano setting (hs=, map=) keeps nano's colour, dashed. "
		"Each picture's gnuplot script is beside it (`plots/NAME.gp`: `gnuplot NAME.gp` in "
		"that folder redraws NAME.png).\n", MARKER, legend);
	for (size_t d = 0; d < x->m->ndists; d++) {
		const char *dist = x->m->dist[d];
		if (x->m->ndists > 1)
			fprintf(f, "\n## Plots: %s sizes\n", dist);
		fputc('\n', f);
		left_out(f, x->made, x->n, dist);
		for (size_t p = 0; p < x->m->npanels; p++) {
			int drawn = 0;
			if (strcmp(x->m->panel[p].dist, dist))
				continue;
			for (size_t i = 0; i < x->n; i++)
				drawn |= !strcmp(x->made[i].panel, x->m->panel[p].label) &&
					 !strcmp(x->made[i].dist, dist);
			if (!drawn)
				fprintf(f, "- Not drawn: throughput of %s (no successful cell).\n",
					x->m->panel[p].label);
		}
		for (size_t i = 0; i < x->n; i++)
			if (!x->made[i].panel[0] && !strcmp(x->made[i].dist, dist))
				picture(f, &x->made[i], x->m);
		for (size_t i = 0; i < x->n; i++)
			if (x->made[i].panel[0] && !strcmp(x->made[i].dist, dist))
				picture(f, &x->made[i], x->m);
	}
	return ferror(f) ? -1 : 0;
}

/* summary.md's text without an earlier plots section (malloc'ed). */
static char *read_kept(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL, *cut;
	size_t cap = 0;
	if (!f)
		return NULL;
	*len = 0;
	for (;;) {
		if (*len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap * 2 + 8192);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + *len, 1, 4096, f);
		*len += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[*len] = 0;
	if ((cut = strstr(buf, MARKER)) || (cut = strstr(buf, "\n## Plots\n")))
		*len = (size_t)(cut - buf);
	while (*len && buf[*len - 1] == '\n')
		(*len)--;
	buf[*len] = 0;
	if (*len) {
		buf[(*len)++] = '\n';
		buf[*len] = 0;
	}
	return buf;
}

int plot_section_write(const char *dir, const struct plot_model *m, const struct plot_made *made,
		       size_t n, char *err, size_t errlen)
{
	char path[4096];
	struct section_ctx x = { NULL, 0, m, made, n };
	char *kept;
	int rc;

	snprintf(path, sizeof(path), "%s/summary.md", dir);
	if (access(path, F_OK) != 0 && res_summary_write(dir, err, errlen))
		return -1;
	if (!(kept = read_kept(path, &x.kept_len))) {
		snprintf(err, errlen, "cannot read %s", path);
		return -1;
	}
	x.kept = kept;
	rc = res_write_atomic(path, write_section, &x);
	if (rc)
		snprintf(err, errlen, "cannot write %s", path);
	free(kept);
	return rc;
}
