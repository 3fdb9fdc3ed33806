/*
 * plot_data.c - data files and template variables (see plot_data.h).
 *
 * Numbers are written with %.10g so a test can compare them with its own
 * medians exactly; a missing value is the word NaN. gnuplot reads NaN as an
 * undefined value: the point is not drawn and a line through it breaks. (We
 * deliberately do not `set datafile missing`: in gnuplot 5.4 a "missing"
 * point is skipped and the line joins its neighbours across the hole, which
 * would hide a failed cell.)
 *
 * Word lists (titles, colours, thread counts, ...) are space-separated
 * words in double quotes, which gnuplot's word() honours, so "nano hs=3"
 * stays one word; and a list of one number is still a string (plot_render
 * passes a bare number as a number, on which word() fails). A double quote
 * inside a name becomes a single one.
 */
#include "plot_data.h"
#include "plot_style.h"
#include "res_stats.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Variables
 * ---------------------------------------------------------------------- */

void plot_vars_init(struct plot_vars *v)
{
	memset(v, 0, sizeof(*v));
}

void plot_vars_add(struct plot_vars *v, const char *name, const char *fmt, ...)
{
	char *val = NULL, *nv = NULL;
	va_list ap;
	va_start(ap, fmt);
	int ok = vasprintf(&val, fmt, ap) >= 0;
	va_end(ap);
	if (ok)
		ok = asprintf(&nv, "%s=%s", name, val) >= 0;
	free(val);
	if (ok && v->n + 2 > v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 32;
		char **na = realloc(v->v, nc * sizeof(char *));
		if (na) {
			v->v = na;
			v->cap = nc;
		} else {
			ok = 0;
		}
	}
	if (!ok) {
		if (nv)
			free(nv);
		v->oom = 1;
		return;
	}
	v->v[v->n++] = nv;
	v->v[v->n] = NULL;
}

void plot_vars_path(struct plot_vars *v, const char *name, const char *path)
{
	size_t n = v->rel_from ? strlen(v->rel_from) : 0;
	if (n && !strncmp(path, v->rel_from, n) && path[n] == '/')
		path += n + 1;
	plot_vars_add(v, name, "%s", path);
}

const char *const *plot_vars_list(const struct plot_vars *v)
{
	static const char *const none[] = { NULL };
	if (v->oom)
		return NULL;
	return v->n ? (const char *const *)v->v : none;
}

void plot_vars_free(struct plot_vars *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	memset(v, 0, sizeof(*v));
}

/* Append word w, quoted, to a growing list (a memstream). */
static void put_word(FILE *f, const char *w)
{
	if (ftell(f) > 0)
		fputc(' ', f);
	fputc('"', f);
	for (; *w; w++)
		fputc(*w == '"' ? '\'' : *w, f);
	fputc('"', f);
}

/* A word list as one variable: the lines of text between open and add. */
struct words {
	char *buf;
	size_t len;
	FILE *f;
};

static void words_open(struct words *w)
{
	w->buf = NULL;
	w->f = open_memstream(&w->buf, &w->len);
}

static void words_put(struct words *w, const char *s)
{
	if (w->f)
		put_word(w->f, s);
}

static void words_putu(struct words *w, unsigned u)
{
	char num[16];
	snprintf(num, sizeof(num), "%u", u);
	words_put(w, num);
}

/* Close the list into variable name. */
static void words_add(struct words *w, struct plot_vars *v, const char *prefix, const char *name)
{
	char full[96];
	snprintf(full, sizeof(full), "%s%s", prefix, name);
	if (!w->f || fclose(w->f) != 0) {
		v->oom = 1;
	} else {
		plot_vars_add(v, full, "%s", w->buf);
	}
	free(w->buf);
	w->f = NULL;
	w->buf = NULL;
}

void plot_vars_words(struct plot_vars *v, const char *name, const char *const *words, size_t n)
{
	struct words w;
	words_open(&w);
	for (size_t i = 0; i < n; i++)
		words_put(&w, words[i]);
	words_add(&w, v, "", name);
}

void plot_vars_series(struct plot_vars *v, const char *prefix, const char *const *names,
		      const struct plot_style *styles, size_t n)
{
	struct words titles, colors, dashes, points;
	char full[96];
	words_open(&titles);
	words_open(&colors);
	words_open(&dashes);
	words_open(&points);
	for (size_t i = 0; i < n; i++) {
		struct plot_style st;
		if (styles)
			st = styles[i];
		else
			plot_style_of(names[i], &st);
		words_put(&titles, names[i]);
		words_put(&colors, st.color);
		words_putu(&dashes, (unsigned)st.dash);
		words_putu(&points, (unsigned)st.point);
	}
	snprintf(full, sizeof(full), "%sn", prefix);
	plot_vars_add(v, full, "%zu", n);
	words_add(&titles, v, prefix, "titles");
	words_add(&colors, v, prefix, "colors");
	words_add(&dashes, v, prefix, "dashes");
	words_add(&points, v, prefix, "points");
}

static void put_num(FILE *f, double x)
{
	if (isfinite(x))
		fprintf(f, "\t%.10g", x);
	else
		fputs("\tNaN", f);
}

static int close_file(FILE *f)
{
	int bad = ferror(f);
	return fclose(f) != 0 || bad ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * Lines: one panel, one block per series
 * ---------------------------------------------------------------------- */

static double speedup(const struct plot_model *m, size_t p, size_t s, size_t t)
{
	for (size_t k = 0; k < m->nthr; k++)
		if (m->thr[k] == 1)
			return plot_cell_at(m, p, s, t)->speed.median / plot_cell_at(m, p, s, k)->speed.median;
	return NAN;
}

static double line_value(const struct plot_model *m, size_t p, size_t s, size_t t,
			 enum plot_line kind)
{
	return kind == PLOT_LINE_SPEED ? plot_cell_at(m, p, s, t)->shown.median : speedup(m, p, s, t);
}

static void line_row(FILE *f, const struct plot_model *m, size_t p, size_t s, size_t t,
		     enum plot_line kind)
{
	const struct plot_cell *c = plot_cell_at(m, p, s, t);
	fprintf(f, "%u", m->thr[t]);
	put_num(f, line_value(m, p, s, t, kind));
	if (kind == PLOT_LINE_SPEED) {
		put_num(f, c->shown.min);
		put_num(f, c->shown.max);
		put_num(f, c->shown.q1);
		put_num(f, c->shown.q3);
		fprintf(f, "\t%zu\t%zu", c->n, c->failed);
	}
	fputc('\n', f);
}

int plot_data_lines(const struct plot_model *m, size_t p, enum plot_line kind, const char *path,
		    struct plot_vars *v, const char *prefix, int *used)
{
	const char **names = calloc(m->nseries + 1, sizeof(char *));
	struct words thr;
	char full[96];
	size_t n = 0;
	FILE *f = fopen(path, "w");

	if (!f || !names) {
		if (f)
			fclose(f);
		free(names);
		return -1;
	}
	fprintf(f, "# %s, %s sizes, %s: %s by thread count, one block per series\n", m->panel[p].wl,
		m->panel[p].dist, m->panel[p].place,
		kind == PLOT_LINE_SPEED ? (m->panel[p].fixed_work ? "wall seconds of the fixed work" :
					   m->panel[p].lower_better ? "the figure (lower is better)" :
					   "throughput") : "speedup over 1 thread");
	if (kind == PLOT_LINE_SPEED)
		fprintf(f, "# unit: %s%s\n", m->panel[p].scale == 1e6 ? "calls/s" : m->panel[p].unit,
			m->panel[p].lower_better ? ", lower is better" : "");
	for (size_t s = 0; s < m->nseries; s++) {
		int any = 0;
		for (size_t t = 0; t < m->nthr; t++)
			if (plot_panel_has_thr(m, p, t) && isfinite(line_value(m, p, s, t, kind)))
				any = 1;
		if (!any)
			continue;
		fprintf(f, "%s# series: %s\n", n ? "\n\n" : "", m->series[s]);
		fprintf(f, kind == PLOT_LINE_SPEED ?
			"# threads\tmedian\tmin\tmax\tq1\tq3\tn_ok\tn_failed\n" :
			"# threads\tspeedup\n");
		for (size_t t = 0; t < m->nthr; t++)
			if (plot_panel_has_thr(m, p, t))
				line_row(f, m, p, s, t, kind);
		names[n++] = m->series[s];
		if (used)
			used[s] = 1;
	}
	if (close_file(f)) {
		free(names);
		return -1;
	}
	plot_vars_series(v, prefix, names, NULL, n);
	free(names);
	words_open(&thr);
	for (size_t t = 0; t < m->nthr; t++)
		if (plot_panel_has_thr(m, p, t))
			words_putu(&thr, m->thr[t]);
	words_add(&thr, v, prefix, "threads");
	snprintf(full, sizeof(full), "%sfile", prefix);
	plot_vars_path(v, full, path);
	snprintf(full, sizeof(full), "%stitle", prefix);
	plot_vars_add(v, full, "%s", m->panel[p].label);
	snprintf(full, sizeof(full), "%sunit", prefix);
	plot_vars_add(v, full, "%s", m->panel[p].unit);
	snprintf(full, sizeof(full), "%sscale", prefix);
	plot_vars_add(v, full, "%g", kind == PLOT_LINE_SPEED ? m->panel[p].scale : 1.0);
	snprintf(full, sizeof(full), "%slower", prefix);
	plot_vars_add(v, full, "%d", kind == PLOT_LINE_SPEED && m->panel[p].lower_better);
	return (int)n;
}

/* ------------------------------------------------------------------------
 * Bars: the panels of one distribution at their largest thread count
 * ---------------------------------------------------------------------- */

static size_t max_index(const struct plot_model *m, size_t p)
{
	for (size_t t = 0; t < m->nthr; t++)
		if (m->thr[t] == m->panel[p].maxthr)
			return t;
	return 0;
}

/* Whether the RSS bars of dist subtract the process's RSS before set-up:
 * only when every cell with a peak has it (programs have none). */
static int rss_net(const struct plot_model *m, const char *dist)
{
	for (size_t p = 0; p < m->npanels; p++) {
		if (strcmp(m->panel[p].dist, dist))
			continue;
		for (size_t s = 0; s < m->nseries; s++)
			for (size_t t = 0; t < m->nthr; t++) {
				const struct plot_cell *c = plot_cell_at(m, p, s, t);
				if (isfinite(c->rss_kib) && !isfinite(c->rss_net_kib))
					return 0;
			}
	}
	return 1;
}

/* ratio, lo, hi, verdict, and where its label goes: past the end of the
 * bar and its whisker, away from 1 (a factor 1.1 on the log axis), so no
 * label crosses the y = 1 rule. (Worked out here: in gnuplot an expression
 * that touches a NaN interval end drops the whole point.) */
static int put_ratio(const struct plot_ratio *r, double *out)
{
	double v = r->ratio;
	out[0] = v;
	out[1] = r->lo;
	out[2] = r->hi;
	out[3] = isfinite(v) ? (double)r->verdict : NAN;
	if (!isfinite(v))
		out[4] = NAN;
	else if (v >= 1)
		out[4] = (isfinite(r->hi) && r->hi > v ? r->hi : v) * 1.1;
	else
		out[4] = (isfinite(r->lo) && r->lo < v ? r->lo : v) / 1.1;
	return 5;
}

/* The bar's value(s) for panel p, series s: 1 value, 3 for latency, 5 for
 * a ratio (ratio, lo, hi, verdict, label position). */
static int bar_values(const struct plot_model *m, size_t p, size_t s, enum plot_bar kind, double *out)
{
	size_t t = max_index(m, p);
	const struct plot_cell *c = plot_cell_at(m, p, s, t);

	switch (kind) {
	case PLOT_BAR_VS_GLIBC:
		return put_ratio(&c->vs_glibc, out);
	case PLOT_BAR_VS_BEST:
		return put_ratio(&c->vs_best, out);
	case PLOT_BAR_RSS:
		out[0] = rss_net(m, m->panel[p].dist) ? c->rss_net_kib : c->rss_kib;
		return 1;
	case PLOT_BAR_LATENCY:
		out[0] = c->p50_ns;
		out[1] = c->p99_ns;
		out[2] = c->p999_ns;
		return 3;
	}
	return 0;
}

static const char *bar_header(enum plot_bar kind)
{
	switch (kind) {
	case PLOT_BAR_VS_GLIBC:
		return "speed / glibc's (Hodges-Lehmann ratio), its 95% interval, verdict (" PLOT_VERDICT_CODES "), label position";
	case PLOT_BAR_VS_BEST:
		return "speed / the block's best (Hodges-Lehmann ratio), its 95% interval, verdict (" PLOT_VERDICT_CODES "), label position";
	case PLOT_BAR_RSS:
		return "median peak RSS, KiB";
	case PLOT_BAR_LATENCY:
		return "median sampled latency p50, p99, p99.9 per series, ns";
	}
	return "";
}

/* Which series have a value in some group: keep[s]. Returns the count. */
static size_t bar_series(const struct plot_model *m, const char *dist, enum plot_bar kind, int *keep)
{
	double val[5];
	size_t n = 0;
	for (size_t s = 0; s < m->nseries; s++) {
		keep[s] = 0;
		for (size_t p = 0; p < m->npanels; p++) {
			if (strcmp(m->panel[p].dist, dist))
				continue;
			int k = bar_values(m, p, s, kind, val);
			for (int i = 0; i < (k == 5 ? 1 : k); i++)
				if (isfinite(val[i]))
					keep[s] = 1;
		}
		n += (size_t)keep[s];
	}
	return n;
}

static int group_empty(const struct plot_model *m, size_t p, enum plot_bar kind)
{
	double val[5];
	for (size_t s = 0; s < m->nseries; s++) {
		int k = bar_values(m, p, s, kind, val);
		for (int i = 0; i < (k == 5 ? 1 : k); i++)
			if (isfinite(val[i]))
				return 0;
	}
	return 1;
}

/* Group labels, with the thread count when the groups do not share one;
 * empty_groups: the groups (from 0) without any value. */
static void bar_groups(const struct plot_model *m, const char *dist, enum plot_bar kind,
		       struct plot_vars *v)
{
	struct words labels, thr, empty;
	unsigned common = 0;
	int uniform = 1;
	size_t ng = 0;
	char lab[256];

	for (size_t p = 0; p < m->npanels; p++) {
		if (strcmp(m->panel[p].dist, dist))
			continue;
		if (common && m->panel[p].maxthr != common)
			uniform = 0;
		common = m->panel[p].maxthr;
	}
	words_open(&labels);
	words_open(&thr);
	words_open(&empty);
	for (size_t p = 0; p < m->npanels; p++) {
		if (strcmp(m->panel[p].dist, dist))
			continue;
		snprintf(lab, sizeof(lab), uniform ? "%s" : "%s (t%u)", m->panel[p].label,
			 m->panel[p].maxthr);
		words_put(&labels, lab);
		words_putu(&thr, m->panel[p].maxthr);
		if (group_empty(m, p, kind))
			words_putu(&empty, (unsigned)ng);
		ng++;
	}
	plot_vars_add(v, "ngroups", "%zu", ng);
	words_add(&labels, v, "", "groups");
	words_add(&empty, v, "", "empty_groups");
	words_add(&thr, v, "", "group_threads");
	if (uniform)
		plot_vars_add(v, "threads_note", "at %u thread%s", common, common == 1 ? "" : "s");
	else
		plot_vars_add(v, "threads_note", "at each workload's largest thread count");
}

void plot_vars_ratio_axis(struct plot_vars *v, double far, double room)
{
	static const double nice[] = { 1.1, 1.25, 1.5, 2, 3, 4, 8, 16, 32, 64, 128, 256, 512, 1024 };
	struct words ticks;
	double yhi = exp(log(fmax(far, 1.1)) * room);
	plot_vars_add(v, "yhi", "%.10g", yhi);
	plot_vars_add(v, "ylo", "%.10g", 1 / yhi);
	words_open(&ticks);
	words_put(&ticks, "1");
	for (size_t i = 0; i < sizeof(nice) / sizeof(nice[0]); i++) {
		char num[32];
		/* about 6 ticks a side: the fine ones only on a narrow axis */
		if (nice[i] > yhi || (yhi > 6 && nice[i] < 2 && nice[i] != 1.5) ||
		    (yhi > 20 && (nice[i] < 2 || nice[i] == 3)))
			continue;
		snprintf(num, sizeof(num), "%g", nice[i]);
		words_put(&ticks, num);
		snprintf(num, sizeof(num), "%.6g", 1 / nice[i]);
		words_put(&ticks, num);
	}
	words_add(&ticks, v, "", "yticks");
}

/* The bars' axis: every bar and interval end, with room for the value
 * labels beyond them: a label starts 1.1x past its bar or whisker and, 6
 * characters rotated, takes about a tenth of the plot's height, which on
 * an axis [1/yhi, yhi] is 0.2 ln(yhi): so ln(yhi) = ln(1.1 far) / 0.75. */
static void ratio_axis(const struct plot_model *m, const char *dist, enum plot_bar kind,
		       const int *keep, struct plot_vars *v)
{
	double far = 1.1, val[5];
	for (size_t p = 0; p < m->npanels; p++) {
		if (strcmp(m->panel[p].dist, dist))
			continue;
		for (size_t s = 0; s < m->nseries; s++) {
			if (!keep[s])
				continue;
			bar_values(m, p, s, kind, val);
			for (int i = 0; i < 3; i++)
				if (isfinite(val[i]) && val[i] > 0)
					far = fmax(far, fmax(val[i], 1 / val[i]));
		}
	}
	plot_vars_ratio_axis(v, far * 1.1, 1 / 0.75);
}

/* RSS: whether the baseline is subtracted, and its range over the cells
 * drawn ("2.7" or "2.6..3.1", MiB), so the picture can say so. */
static void rss_baseline(const struct plot_model *m, const char *dist, int net, struct plot_vars *v)
{
	double lo = INFINITY, hi = -INFINITY;
	for (size_t p = 0; p < m->npanels; p++) {
		if (strcmp(m->panel[p].dist, dist))
			continue;
		for (size_t s = 0; s < m->nseries; s++) {
			const struct plot_cell *c = plot_cell_at(m, p, s, max_index(m, p));
			double base = c->rss_kib - c->rss_net_kib;
			if (isfinite(base)) {
				lo = fmin(lo, base);
				hi = fmax(hi, base);
			}
		}
	}
	plot_vars_add(v, "rss_net", "%d", net && isfinite(lo));
	/* with its unit, so the renderer passes it as a string (bars.gp prints
	 * it with %s), never as a number */
	if (!isfinite(lo))
		plot_vars_add(v, "rss_base", "%s", "");
	else if (hi - lo < 0.05 * 1024)
		plot_vars_add(v, "rss_base", "%.1f MiB", lo / 1024);
	else
		plot_vars_add(v, "rss_base", "%.1f..%.1f MiB", lo / 1024, hi / 1024);
}

/* The timer resolution the latency samples had: the median over the cells
 * of dist (0 when not recorded). */
static double timer_res(const struct plot_model *m, const char *dist)
{
	double *x = malloc((m->npanels * m->nseries * m->nthr + 1) * sizeof(double)), r;
	size_t n = 0;
	if (!x)
		return 0;
	for (size_t p = 0; p < m->npanels; p++)
		for (size_t s = 0; s < m->nseries && !strcmp(m->panel[p].dist, dist); s++)
			for (size_t t = 0; t < m->nthr; t++)
				if (isfinite(plot_cell_at(m, p, s, t)->timer_res_ns))
					x[n++] = plot_cell_at(m, p, s, t)->timer_res_ns;
	r = n ? res_median(x, n) : 0;
	free(x);
	return r;
}

int plot_data_bars(const struct plot_model *m, const char *dist, enum plot_bar kind, const char *path,
		   struct plot_vars *v)
{
	int *keep = calloc(m->nseries + 1, sizeof(int));
	const char **names = calloc(m->nseries + 1, sizeof(char *));
	double val[5];
	size_t n;
	FILE *f;

	if (!keep || !names)
		goto fail;
	n = bar_series(m, dist, kind, keep);
	if (n == 0) {
		free(keep);
		free(names);
		return 0;
	}
	if (!(f = fopen(path, "w")))
		goto fail;
	int net = kind == PLOT_BAR_RSS && rss_net(m, dist);
	fprintf(f, "# %s sizes: %s, each workload at its largest thread count\n", dist,
		net ? "median of peak RSS - RSS before set-up (base_rss_kib), KiB" : bar_header(kind));
	fprintf(f, "# workload\tthreads");
	n = 0;
	for (size_t s = 0; s < m->nseries; s++) {
		if (!keep[s])
			continue;
		if (kind == PLOT_BAR_LATENCY)
			fprintf(f, "\t%s p50\t%s p99\t%s p99.9", m->series[s], m->series[s], m->series[s]);
		else if (kind == PLOT_BAR_VS_GLIBC || kind == PLOT_BAR_VS_BEST)
			fprintf(f, "\t%s\t%s lo\t%s hi\t%s verdict\t%s label_at", m->series[s],
				m->series[s], m->series[s], m->series[s], m->series[s]);
		else
			fprintf(f, "\t%s", m->series[s]);
		names[n++] = m->series[s];
	}
	fputc('\n', f);
	for (size_t p = 0; p < m->npanels; p++) {
		if (strcmp(m->panel[p].dist, dist))
			continue;
		fprintf(f, "%s\t%u", m->panel[p].label, m->panel[p].maxthr);
		for (size_t s = 0; s < m->nseries; s++) {
			if (!keep[s])
				continue;
			int k = bar_values(m, p, s, kind, val);
			for (int i = 0; i < k; i++)
				put_num(f, val[i]);
		}
		fputc('\n', f);
	}
	if (close_file(f))
		goto fail;
	plot_vars_path(v, "datafile", path);
	plot_vars_series(v, "s_", names, NULL, n);
	bar_groups(m, dist, kind, v);
	if (kind == PLOT_BAR_VS_GLIBC || kind == PLOT_BAR_VS_BEST)
		ratio_axis(m, dist, kind, keep, v);
	else if (kind == PLOT_BAR_RSS)
		rss_baseline(m, dist, net, v);
	else if (kind == PLOT_BAR_LATENCY)
		plot_vars_add(v, "timer_res", "%.10g", timer_res(m, dist));
	free(keep);
	free(names);
	return (int)n;
fail:
	free(keep);
	free(names);
	return -1;
}

/* ------------------------------------------------------------------------
 * Nano's counters: one line per workload and setting
 * ---------------------------------------------------------------------- */

static double counter(const struct plot_model *m, size_t p, size_t s, size_t t, enum plot_counter k)
{
	const struct plot_cell *c = plot_cell_at(m, p, s, t);
	return k == PLOT_RETRIES ? c->retries : c->remote;
}

static int has_counter(const struct plot_model *m, size_t p, size_t s, enum plot_counter k)
{
	for (size_t t = 0; t < m->nthr; t++)
		if (plot_panel_has_thr(m, p, t) && isfinite(counter(m, p, s, t, k)))
			return 1;
	return 0;
}

int plot_data_counter(const struct plot_model *m, const char *dist, enum plot_counter kind,
		      const char *path, struct plot_vars *v, const char *prefix)
{
	size_t cap = m->npanels * m->nseries + 1, n = 0, nsettings = 0, ord = 0;
	char (*titles)[300] = calloc(cap, sizeof(*titles));
	const char **names = calloc(cap, sizeof(char *));
	struct plot_style *styles = calloc(cap, sizeof(*styles));
	size_t *setting = calloc(m->nseries + 1, sizeof(size_t));
	struct words sizes;
	FILE *f = NULL;
	int rc = -1;

	words_open(&sizes);
	if (!titles || !names || !styles || !setting || !(f = fopen(path, "w")))
		goto out;
	for (size_t s = 0; s < m->nseries; s++)
		for (size_t p = 0; p < m->npanels; p++)
			if (!strcmp(m->panel[p].dist, dist) && has_counter(m, p, s, kind)) {
				setting[s] = nsettings++;
				break;
			}
	fprintf(f, "# %s sizes: %s by thread count, one block per workload and nano setting\n",
		dist, kind == PLOT_RETRIES ? "nano_retries_per_op (median)" :
		"nano_remote_frees / (total_ops / 2) (median)");
	for (size_t p = 0; p < m->npanels; p++) {
		if (strcmp(m->panel[p].dist, dist))
			continue;
		for (size_t s = 0; s < m->nseries; s++) {
			if (!has_counter(m, p, s, kind))
				continue;
			snprintf(titles[n], sizeof(titles[0]), nsettings > 1 ? "%s: %s" : "%s",
				 m->panel[p].label, m->series[s]);
			/* the allocator's own colour and dash; the workload's point,
			 * smaller for each further setting, so settings with equal
			 * values show as nested markers instead of hiding each other */
			plot_style_of(m->series[s], &styles[n]);
			styles[n].point = plot_point(ord);
			char size[16];
			snprintf(size, sizeof(size), "%.2f", fmax(0.7, 1.9 - 0.55 * (double)setting[s]));
			words_put(&sizes, size);
			fprintf(f, "%s# series: %s\n# threads\tvalue\n", n ? "\n\n" : "", titles[n]);
			for (size_t t = 0; t < m->nthr; t++)
				if (plot_panel_has_thr(m, p, t)) {
					fprintf(f, "%u", m->thr[t]);
					put_num(f, counter(m, p, s, t, kind));
					fputc('\n', f);
				}
			names[n] = titles[n];
			n++;
		}
		ord++;
	}
	rc = close_file(f);
	f = NULL;
	if (rc == 0) {
		char full[96];
		struct words thr;
		plot_vars_series(v, prefix, names, styles, n);
		snprintf(full, sizeof(full), "%sfile", prefix);
		plot_vars_path(v, full, path);
		words_open(&thr);
		for (size_t t = 0; t < m->nthr; t++)
			for (size_t p = 0; p < m->npanels; p++)
				if (!strcmp(m->panel[p].dist, dist) && plot_panel_has_thr(m, p, t)) {
					words_putu(&thr, m->thr[t]);
					break;
				}
		words_add(&thr, v, prefix, "threads");
		words_add(&sizes, v, prefix, "sizes");
		rc = (int)n;
	}
out:
	if (f)
		fclose(f);
	if (sizes.f)
		fclose(sizes.f);
	free(sizes.buf);
	free(titles);
	free(names);
	free(styles);
	free(setting);
	return rc;
}
