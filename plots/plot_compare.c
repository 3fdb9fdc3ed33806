/*
 * plot_compare.c - the picture of `nanobench compare A B` (see plot.h).
 *
 * compare.csv has one row per comparison block and allocator variant with
 * the ratio B/A (Hodges-Lehmann estimate of the ratio of speeds) and its 95%
 * interval (results/res_decide.h). The picture puts
 * the rows on the x axis block by block (sorted by workload, size
 * distribution, placement, then thread count numerically; inside a block
 * by the allocators' legend order), draws each ratio as a point in its
 * allocator's colour with the interval as an error bar, the point's shape
 * saying the verdict, and shades the noise band 1 +- h where h is the
 * median half-width of the intervals: a point outside the band with an
 * interval that misses 1 is a change worth reading.
 *
 * Data file (OUT_BASE.tsv): one block per variant, rows
 *     x  ratio  ci_lo  ci_hi  verdict(1 faster, 2 slower, 3 same, 4 undecided)
 */
#include "plot.h"
#include "plot_data.h"
#include "plot_render.h"
#include "plot_style.h"

#include "res_compare.h"
#include "res_csv.h"
#include "res_stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NF 11   /* the fields of RES_COMPARE_HEADER */

struct crow {
	char *line;                 /* the row's text (malloc'ed); fields point into it */
	char *block, *variant;
	double ratio, lo, hi;
	int verdict;
	char wl[96], dist[96], place[64];
	unsigned threads;
	double x;
};

static double num(const char *s)
{
	char *end;
	double d = strtod(s, &end);
	return *s && *end == 0 && isfinite(d) ? d : NAN;
}

static int verdict_code(const char *v)
{
	static const char *const names[] = { "faster", "slower", "same", "undecided" };
	for (int i = 0; i < 4; i++)
		if (!strcmp(v, names[i]))
			return i + 1;
	return 0;
}

/* "wl|dist|tN|place" into its parts. */
static void split_block(struct crow *r)
{
	char tmp[512], *parts[4] = { "", "", "", "" }, *p = tmp;
	snprintf(tmp, sizeof(tmp), "%s", r->block);
	for (int i = 0; i < 4 && p; i++) {
		parts[i] = p;
		if ((p = strchr(p, '|')))
			*p++ = 0;
	}
	snprintf(r->wl, sizeof(r->wl), "%.95s", parts[0]);
	snprintf(r->dist, sizeof(r->dist), "%.95s", parts[1]);
	r->threads = parts[2][0] == 't' ? (unsigned)strtoul(parts[2] + 1, NULL, 10) : 0;
	snprintf(r->place, sizeof(r->place), "%.63s", parts[3]);
}

static int cmp_block(const struct crow *a, const struct crow *b)
{
	int c = strcmp(a->wl, b->wl);
	if (!c)
		c = strcmp(a->dist, b->dist);
	if (!c)
		c = strcmp(a->place, b->place);
	if (!c)
		c = a->threads < b->threads ? -1 : a->threads > b->threads;
	return c ? c : strcmp(a->block, b->block);
}

static int cmp_row(const void *x, const void *y)
{
	const struct crow *a = x, *b = y;
	int c = cmp_block(a, b);
	return c ? c : plot_style_cmp(a->variant, b->variant);
}

static void free_rows(struct crow *rows, long n)
{
	for (long i = 0; i < n; i++)
		free(rows[i].line);
	free(rows);
}

/* Read compare.csv into *rows. Returns the count, or -1 with err. */
static long load(const char *path, struct crow **rows, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *fields[NF + 1];
	size_t cap = 0, n = 0, rcap = 0;
	ssize_t len;
	long lineno = 0;

	*rows = NULL;
	if (!f) {
		snprintf(err, errlen, "%s: cannot read (expected compare.csv of nanobench compare)", path);
		return -1;
	}
	long head = 1;     /* the header's line: 2 after the schema line of older files */
	while ((len = getline(&line, &cap, f)) >= 0) {
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		lineno++;
		if (lineno == 1 && !strcmp(line, RES_COMPARE_LEGACY_SCHEMA_LINE)) {
			head = 2;
			continue;
		}
		if (lineno == head && strcmp(line, RES_COMPARE_HEADER)) {
			snprintf(err, errlen, "%s:%ld: the header must be '%s' (after '%s' in files of "
				 "older versions)", path, lineno, RES_COMPARE_HEADER,
				 RES_COMPARE_LEGACY_SCHEMA_LINE);
			goto fail;
		}
		if (lineno <= head || !*line)
			continue;
		char *copy = strdup(line);
		if (!copy || res_csv_split(copy, fields, NF + 1) != NF) {
			free(copy);
			snprintf(err, errlen, "%s:%ld: expected %d fields", path, lineno, NF);
			goto fail;
		}
		if (n == rcap) {
			struct crow *nr = realloc(*rows, (rcap = rcap * 2 + 32) * sizeof(**rows));
			if (!nr) {
				free(copy);
				goto fail;
			}
			*rows = nr;
		}
		struct crow *r = &(*rows)[n++];
		r->line = copy;
		r->block = fields[0];
		r->variant = fields[1];
		r->ratio = num(fields[6]);
		r->lo = num(fields[7]);
		r->hi = num(fields[8]);
		r->verdict = verdict_code(fields[10]);
		split_block(r);
	}
	free(line);
	fclose(f);
	if (lineno < head) {
		snprintf(err, errlen, "%s: missing the header line '%s'", path, RES_COMPARE_HEADER);
		free_rows(*rows, (long)n);
		*rows = NULL;
		return -1;
	}
	return (long)n;
fail:
	free(line);
	fclose(f);
	free_rows(*rows, (long)n);
	*rows = NULL;
	return -1;
}

/* Median half-width of the intervals: the noise of this comparison. */
static double noise(const struct crow *r, size_t n)
{
	double *w = malloc((n + 1) * sizeof(double)), h;
	size_t k = 0;
	if (!w)
		return NAN;
	for (size_t i = 0; i < n; i++)
		if (isfinite(r[i].lo) && isfinite(r[i].hi))
			w[k++] = (r[i].hi - r[i].lo) / 2;
	h = k ? res_median(w, k) : NAN;
	free(w);
	return h;
}

/* x positions (a gap between blocks), block labels and centres. */
static void layout(struct crow *r, size_t n, struct plot_vars *v)
{
	char *labels = NULL, *centres = NULL, *edges = NULL;
	size_t ll = 0, cl = 0, el = 0, nb = 0;
	FILE *fl = open_memstream(&labels, &ll), *fc = open_memstream(&centres, &cl),
	     *fe = open_memstream(&edges, &el);
	double x = 0;
	if (!fl || !fc || !fe) {
		v->oom = 1;
		return;
	}
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i; j < n && !cmp_block(&r[i], &r[j]); j++)
			r[j].x = x + (double)(j - i);
		fprintf(fl, "%s\"", nb ? " " : "");
		for (const char *c = r[i].block; *c; c++)
			fputc(*c == '|' ? ' ' : *c == '"' ? '\'' : *c, fl);
		fputc('"', fl);
		fprintf(fc, "%s\"%g\"", nb ? " " : "", x + (double)(j - i - 1) / 2);
		if (nb)
			fprintf(fe, "%s\"%g\"", nb > 1 ? " " : "", x - 1);
		x += (double)(j - i) + 1;
		nb++;
	}
	fclose(fl);
	fclose(fc);
	fclose(fe);
	plot_vars_add(v, "nblocks", "%zu", nb);
	plot_vars_add(v, "block_labels", "%s", labels);
	plot_vars_add(v, "block_centres", "%s", centres);
	plot_vars_add(v, "block_edges", "%s", edges);
	plot_vars_add(v, "xmax", "%g", x - 2);
	free(labels);
	free(centres);
	free(edges);
}

/* One block per variant with a ratio; the series variables. */
static int write_data(const char *path, struct crow *r, size_t n, struct plot_vars *v)
{
	FILE *f = fopen(path, "w");
	const char **names = calloc(n + 1, sizeof(char *));
	size_t ns = 0;
	if (!f || !names) {
		if (f)
			fclose(f);
		free(names);
		return -1;
	}
	fprintf(f, "# compare: ratio B/A and its 95%% interval, one block per variant\n");
	for (size_t i = 0; i < n; i++) {
		size_t k;
		for (k = 0; k < ns && strcmp(names[k], r[i].variant); k++)
			;
		if (k < ns || !isfinite(r[i].ratio))
			continue;
		names[ns++] = r[i].variant;
	}
	/* legend order */
	for (size_t a = 1; a < ns; a++)
		for (size_t b = a; b > 0 && plot_style_cmp(names[b - 1], names[b]) > 0; b--) {
			const char *t = names[b];
			names[b] = names[b - 1];
			names[b - 1] = t;
		}
	for (size_t k = 0; k < ns; k++) {
		fprintf(f, "%s# series: %s\n# x\tratio\tci_lo\tci_hi\tverdict\n", k ? "\n\n" : "", names[k]);
		for (size_t i = 0; i < n; i++) {
			if (strcmp(r[i].variant, names[k]) || !isfinite(r[i].ratio))
				continue;
			fprintf(f, "%g\t%.10g", r[i].x, r[i].ratio);
			fprintf(f, isfinite(r[i].lo) ? "\t%.10g" : "\tNaN", r[i].lo);
			fprintf(f, isfinite(r[i].hi) ? "\t%.10g" : "\tNaN", r[i].hi);
			fprintf(f, "\t%d\n", r[i].verdict);
		}
	}
	int bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		free(names);
		return -1;
	}
	plot_vars_series(v, "s_", names, NULL, ns);
	free(names);
	return (int)ns;
}

/* The log axis, symmetric around 1, wide enough for every ratio and
 * interval end. */
static void axis(const struct crow *r, size_t n, struct plot_vars *v)
{
	double far = 1.1;
	for (size_t i = 0; i < n; i++) {
		const double x[3] = { r[i].ratio, r[i].lo, r[i].hi };
		for (int k = 0; k < 3; k++)
			if (isfinite(x[k]) && x[k] > 0)
				far = fmax(far, fmax(x[k], 1 / x[k]));
	}
	plot_vars_ratio_axis(v, far, 1.08);
}

int plot_compare(const char *compare_csv, const char *template_dir, const char *out_base, char *err,
		 size_t errlen)
{
	struct crow *rows;
	char path[4096];
	struct plot_vars v;
	long n = load(compare_csv, &rows, err, errlen);
	int rc = -1, ns;

	if (n < 0)
		return -1;
	plot_vars_init(&v);
	qsort(rows, (size_t)n, sizeof(*rows), cmp_row);
	layout(rows, (size_t)n, &v);
	snprintf(path, sizeof(path), "%s.tsv", out_base);
	if (n == 0 || plot_render_check(err, errlen) == -1) {
		if (n == 0)
			snprintf(err, errlen, "%s: no rows to plot", compare_csv);
	} else if ((ns = write_data(path, rows, (size_t)n, &v)) < 0) {
		snprintf(err, errlen, "cannot write %s", path);
	} else if (ns == 0) {
		snprintf(err, errlen, "%s: no ratio to plot (every row undecided without a ratio)",
			 compare_csv);
		remove(path);
	} else {
		double h = noise(rows, (size_t)n);
		char dir[4096];
		const char *slash = strrchr(out_base, '/');
		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - out_base) : 0, out_base);
		v.rel_from = slash ? dir : NULL;
		plot_vars_path(&v, "datafile", path);
		axis(rows, (size_t)n, &v);
		plot_vars_add(&v, "noise", "%.10g", isfinite(h) ? h : 0.0);
		plot_vars_add(&v, "title", "%s", "Comparison: B / A (Hodges-Lehmann) per block and allocator");
		plot_vars_add(&v, "source", "%s", compare_csv);
		const char *const *list = plot_vars_list(&v);
		if (!list)
			snprintf(err, errlen, "out of memory");
		else
			rc = plot_render(template_dir, "compare.gp", list, out_base, err, errlen);
	}
	plot_vars_free(&v);
	free_rows(rows, n);
	return rc;
}
