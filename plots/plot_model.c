/*
 * plot_model.c - results.csv as panels, series and cells (see plot_model.h).
 *
 * Two passes over the rows. The first finds the axes (panels, series,
 * thread counts) and sorts them so every plot lists workloads and
 * allocators in the same order. The second pairs each row with its cell;
 * the successful rows are then sorted by cell so each cell's repetitions
 * lie together and its medians are taken over one contiguous run, with
 * memory proportional to the rows whatever the size of the matrix.
 *
 * The grouping is the one summary.md uses (res_summary.c): the same variant
 * names (alloc_label, then " hs=N" and " map=M" when the nano setting is not
 * the default), the same speed (res_row_speed: ops_per_s, a program's
 * metric with lower-is-better ones inverted, or 1 / wall_s), failed cells
 * counted and never averaged in, so a picture and the table above it agree;
 * the ratios of the bars are res_blockstats.h's, computed from the same
 * rows as summary.md's tables.
 */
#include "plot_model.h"

#include "plot_style.h"
#include "res_blocks.h"
#include "res_blockstats.h"
#include "res_check.h"
#include "res_cols.h"
#include "res_csv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const needed[] = {
	RES_COL(wl_label), RES_COL(req_size_dist), RES_COL(alloc_label), RES_COL(req_hyper_shift),
	RES_COL(req_map), RES_COL(cell_status),
	RES_COL(threads), RES_COL(placement), RES_COL(ops_per_s), RES_COL(wall_s),
};

/* ------------------------------------------------------------------------
 * Axes
 * ---------------------------------------------------------------------- */

/* The placement of row r. A cell that failed before it ran has no record,
 * so its placement is read from the cell key (wl|dist|tN|PLACEMENT|...). */
static void placement_of(const struct res_table *t, size_t r, char *buf, size_t len)
{
	const char *p = res_get(t, r, RES_COL(placement)), *k = res_get(t, r, RES_COL(cell_key));
	if (*p || !*k) {
		snprintf(buf, len, "%s", p);
		return;
	}
	for (int i = 0; i < 3 && k; i++)
		if ((k = strchr(k, '|')))
			k++;
	snprintf(buf, len, "%.*s", k ? (int)strcspn(k, "|") : 0, k ? k : "");
}

/* Index of the panel of row r, added when new; -1 when out of memory. */
static long panel_of(struct plot_model *m, const struct res_table *t, size_t r, size_t *cap)
{
	const char *wl = res_get(t, r, RES_COL(wl_label)), *dist = res_get(t, r, RES_COL(req_size_dist));
	char place[64];
	placement_of(t, r, place, sizeof(place));
	for (size_t i = 0; i < m->npanels; i++)
		if (!strcmp(m->panel[i].wl, wl) && !strcmp(m->panel[i].dist, dist) &&
		    !strcmp(m->panel[i].place, place))
			return (long)i;
	if (m->npanels == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		void *np = realloc(m->panel, nc * sizeof(*m->panel));
		if (!np)
			return -1;
		m->panel = np;
		*cap = nc;
	}
	struct plot_panel *p = &m->panel[m->npanels];
	memset(p, 0, sizeof(*p));
	snprintf(p->wl, sizeof(p->wl), "%s", wl);
	snprintf(p->dist, sizeof(p->dist), "%s", dist);
	snprintf(p->place, sizeof(p->place), "%s", place);
	return (long)m->npanels++;
}

static long series_of(struct plot_model *m, const char *name, size_t *cap)
{
	for (size_t i = 0; i < m->nseries; i++)
		if (!strcmp(m->series[i], name))
			return (long)i;
	if (m->nseries == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		void *np = realloc(m->series, nc * sizeof(*m->series));
		if (!np)
			return -1;
		m->series = np;
		*cap = nc;
	}
	snprintf(m->series[m->nseries], sizeof(m->series[0]), "%s", name);
	return (long)m->nseries++;
}

static long thr_of(struct plot_model *m, unsigned threads, size_t *cap)
{
	for (size_t i = 0; i < m->nthr; i++)
		if (m->thr[i] == threads)
			return (long)i;
	if (m->nthr == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		void *np = realloc(m->thr, nc * sizeof(*m->thr));
		if (!np)
			return -1;
		m->thr = np;
		*cap = nc;
	}
	m->thr[m->nthr] = threads;
	return (long)m->nthr++;
}

static long dist_of(struct plot_model *m, const char *dist)
{
	for (size_t i = 0; i < m->ndists; i++)
		if (!strcmp(m->dist[i], dist))
			return (long)i;
	void *np = realloc(m->dist, (m->ndists + 1) * sizeof(*m->dist));
	if (!np)
		return -1;
	m->dist = np;
	snprintf(m->dist[m->ndists], sizeof(m->dist[0]), "%s", dist);
	return (long)m->ndists++;
}

static int cmp_panel(const void *a, const void *b)
{
	const struct plot_panel *x = a, *y = b;
	int c = strcmp(x->wl, y->wl);
	if (!c)
		c = strcmp(x->dist, y->dist);
	return c ? c : strcmp(x->place, y->place);
}

static int cmp_series(const void *a, const void *b)
{
	return plot_style_cmp(a, b);
}

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return x < y ? -1 : x > y;
}

/* File-name safe copy: letters, digits, '.', '-' kept; the rest '_'. */
static void safe_name(char *buf, size_t len, const char *s)
{
	size_t i = 0;
	for (; *s && i + 1 < len; s++, i++)
		buf[i] = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
				 *s == '.' || *s == '-' ? *s : '_';
	buf[i] = 0;
}

/* Name the panels once their set is known: the placement shows only when
 * the run has more than one. */
static void name_panels(struct plot_model *m)
{
	int multi = 0;
	char a[64], b[64], c[64];
	for (size_t i = 1; i < m->npanels; i++)
		if (strcmp(m->panel[i].place, m->panel[0].place))
			multi = 1;
	for (size_t i = 0; i < m->npanels; i++) {
		struct plot_panel *p = &m->panel[i];
		safe_name(a, sizeof(a), p->wl);
		safe_name(b, sizeof(b), p->dist);
		safe_name(c, sizeof(c), p->place);
		snprintf(p->id, sizeof(p->id), "%s_%s%s%s", a, b, multi ? "_" : "", multi ? c : "");
		snprintf(p->label, sizeof(p->label), "%s%s%s", p->wl, multi ? ", " : "",
			 multi ? p->place : "");
	}
}

/* ------------------------------------------------------------------------
 * Cells
 * ---------------------------------------------------------------------- */

struct entry {
	size_t cell, row;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->cell != y->cell)
		return x->cell < y->cell ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* The speed of row r (higher is faster), or NAN: the figure summary.md
 * compares (res_blocks.h). */
static double row_speed(const struct res_table *t, size_t r)
{
	return res_row_speed(t, r, NULL);
}

/* What a throughput panel draws for row r (plot_model.h: shown). */
static double row_shown(const struct res_table *t, size_t r, const struct plot_panel *p)
{
	struct res_figure fig;
	double v, speed = res_row_speed(t, r, &fig);
	if (p->fixed_work)
		return res_getd(t, r, RES_COL(wall_s), &v) == 0 && isfinite(v) ? v : NAN;
	return res_figure_value(&fig, speed);
}

static double row_net_rss(const struct res_table *t, size_t r)
{
	double peak, base;
	if (res_getd(t, r, RES_COL(peak_rss_kib), &peak) || res_getd(t, r, RES_COL(base_rss_kib), &base))
		return NAN;
	return peak - base;
}

static double row_remote(const struct res_table *t, size_t r)
{
	double rf, ops;
	if (res_getd(t, r, RES_COL(nano_remote_frees), &rf) || res_getd(t, r, RES_COL(total_ops), &ops) ||
	    ops <= 0)
		return NAN;
	return rf / (ops / 2);
}

static double row_col(const struct res_table *t, size_t r, const char *col)
{
	double v;
	return res_getd(t, r, col, &v) == 0 && isfinite(v) ? v : NAN;
}

/* Median of f over the rows of entries e[0..n), skipping NaN; NAN if none. */
static double median_of(const struct res_table *t, const struct entry *e, size_t n, double *tmp,
			double (*f)(const struct res_table *, size_t, const char *), const char *col)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		double v = f(t, e[i].row, col);
		if (!isnan(v))
			tmp[k++] = v;
	}
	return k ? res_median(tmp, k) : NAN;
}

static double remote_col(const struct res_table *t, size_t r, const char *col)
{
	(void)col;
	return row_remote(t, r);
}

/* The net RSS of every row, or NaN when one of them has no base. */
static double net_rss_of(const struct res_table *t, const struct entry *e, size_t n, double *tmp)
{
	size_t k = 0, peaks = 0;
	for (size_t i = 0; i < n; i++) {
		double v = row_net_rss(t, e[i].row), peak;
		peaks += res_getd(t, e[i].row, RES_COL(peak_rss_kib), &peak) == 0;
		if (!isnan(v))
			tmp[k++] = v;
	}
	return k && k == peaks ? res_median(tmp, k) : NAN;
}

static void fill_cell(struct plot_cell *c, const struct res_table *t, const struct entry *e,
		      size_t n, double *tmp, const struct plot_panel *p)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		tmp[k++] = row_speed(t, e[i].row);
	res_summarise(tmp, k, &c->speed);
	c->n = k;
	k = 0;
	for (size_t i = 0; i < n; i++)
		if (!isnan(tmp[k] = row_shown(t, e[i].row, p)))
			k++;
	res_summarise(tmp, k, &c->shown);
	if (!k)
		c->shown.median = c->shown.min = c->shown.max = c->shown.q1 = c->shown.q3 = NAN;
	c->rss_kib = median_of(t, e, n, tmp, row_col, RES_COL(peak_rss_kib));
	c->rss_net_kib = net_rss_of(t, e, n, tmp);
	c->timer_res_ns = median_of(t, e, n, tmp, row_col, RES_COL(timer_res_ns));
	c->p50_ns = median_of(t, e, n, tmp, row_col, RES_COL(p50_ns));
	c->p99_ns = median_of(t, e, n, tmp, row_col, RES_COL(p99_ns));
	c->p999_ns = median_of(t, e, n, tmp, row_col, RES_COL(p999_ns));
	c->retries = median_of(t, e, n, tmp, row_col, RES_COL(nano_retries_per_op));
	c->remote = median_of(t, e, n, tmp, remote_col, NULL);
}

static void empty_cell(struct plot_cell *c)
{
	static const struct plot_ratio none = { NAN, NAN, NAN, PLOT_V_NONE };
	memset(c, 0, sizeof(*c));
	c->speed.median = c->speed.min = c->speed.max = c->speed.q1 = c->speed.q3 = NAN;
	c->shown = c->speed;
	c->rss_kib = c->rss_net_kib = c->p50_ns = c->p99_ns = c->p999_ns = c->timer_res_ns = NAN;
	c->retries = c->remote = NAN;
	c->vs_glibc = c->vs_best = none;
}

/* ------------------------------------------------------------------------
 * Panels: the unit of their figure
 * ---------------------------------------------------------------------- */

/* From the panel's successful rows: a program's unit, seconds for a
 * fixed-work workload (every repetition ended "natural"), else calls/s. */
static void panel_units(struct plot_model *m, const struct res_table *t, const size_t *row_panel)
{
	unsigned char *timed = calloc(m->npanels + 1, 1), *seen = calloc(m->npanels + 1, 1);
	struct res_figure *fig = calloc(m->npanels + 1, sizeof(*fig));
	for (size_t r = 0; timed && seen && fig && r < t->nrows; r++) {
		size_t p = row_panel[r];
		struct res_figure f;
		if (strcmp(res_get(t, r, RES_COL(cell_status)), "ok") || isnan(res_row_speed(t, r, &f)))
			continue;
		if (!seen[p] || f.kind != RES_FIG_OPS)
			fig[p] = f;
		seen[p] = 1;
		timed[p] |= strcmp(res_get(t, r, RES_COL(end)), "natural") != 0;
	}
	for (size_t p = 0; p < m->npanels; p++) {
		struct plot_panel *pn = &m->panel[p];
		pn->scale = 1;
		if (fig && fig[p].kind == RES_FIG_METRIC) {
			snprintf(pn->unit, sizeof(pn->unit), "%s", fig[p].unit[0] ? fig[p].unit : "metric");
			pn->lower_better = !fig[p].higher_is_better;
		} else if ((fig && fig[p].kind == RES_FIG_WALL) || (seen && seen[p] && timed && !timed[p])) {
			snprintf(pn->unit, sizeof(pn->unit), "seconds");
			pn->lower_better = 1;
			pn->fixed_work = !fig || fig[p].kind == RES_FIG_OPS;
		} else {
			snprintf(pn->unit, sizeof(pn->unit), "M calls/s");
			pn->scale = 1e6;
		}
	}
	free(timed);
	free(seen);
	free(fig);
}

/* ------------------------------------------------------------------------
 * Loading
 * ---------------------------------------------------------------------- */

/* The value of "key": "..." (or a number) after position from in a JSON
 * text we wrote ourselves (res_json.c). "" when absent. */
static void json_value(const char *from, const char *key, char *buf, size_t len)
{
	char pat[96];
	const char *p;
	buf[0] = 0;
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if (!from || !(p = strstr(from, pat)))
		return;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	if (*p == '"')
		p++;
	size_t n = strcspn(p, "\",\n}");
	snprintf(buf, len, "%.*s", (int)n, p);
}

static void machine_line(struct plot_model *m, const char *dir, const struct res_table *t)
{
	char path[4096], name[96] = "", cpu[128] = "", ncpu[16] = "";
	FILE *f;
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	if ((f = fopen(path, "r"))) {
		char text[16384];
		size_t n = fread(text, 1, sizeof(text) - 1, f);
		text[n] = 0;
		fclose(f);
		const char *host = strstr(text, "\"host\"");
		json_value(host, "name", name, sizeof(name));
		json_value(host, "cpu_model", cpu, sizeof(cpu));
		json_value(host, "cpus_online", ncpu, sizeof(ncpu));
	}
	if (!name[0] && t->nrows)
		snprintf(name, sizeof(name), "%s", res_get(t, 0, RES_COL(host)));
	if (cpu[0])
		snprintf(m->machine, sizeof(m->machine), "%s (%s, %s CPUs)", name, cpu, ncpu);
	else
		snprintf(m->machine, sizeof(m->machine), "%s", name[0] ? name : "unknown host");
}

static int find_axes(struct plot_model *m, const struct res_table *t, char *first_fail, size_t fl)
{
	size_t pcap = 0, scap = 0, tcap = 0;
	char name[160];
	double thr;
	for (size_t r = 0; r < t->nrows; r++) {
		if (res_getd(t, r, RES_COL(threads), &thr) || thr < 1)
			thr = 0;
		res_row_variant(t, r, name, sizeof(name));
		if (panel_of(m, t, r, &pcap) < 0 || series_of(m, name, &scap) < 0 ||
		    thr_of(m, (unsigned)thr, &tcap) < 0 ||
		    dist_of(m, res_get(t, r, RES_COL(req_size_dist))) < 0)
			return -1;
		if (!strcmp(res_get(t, r, RES_COL(cell_status)), "ok") && !isnan(row_speed(t, r)))
			m->nok++;
		else if (!first_fail[0])
			snprintf(first_fail, fl, "%s: %s", res_get(t, r, RES_COL(cell_status)),
				 res_get(t, r, RES_COL(cell_reason)));
	}
	qsort(m->panel, m->npanels, sizeof(*m->panel), cmp_panel);
	qsort(m->series, m->nseries, sizeof(*m->series), cmp_series);
	qsort(m->thr, m->nthr, sizeof(*m->thr), cmp_unsigned);
	name_panels(m);
	return 0;
}

static int fill_cells(struct plot_model *m, const struct res_table *t)
{
	size_t ncell = m->npanels * m->nseries * m->nthr, nent = 0;
	struct entry *e = malloc((t->nrows + 1) * sizeof(*e));
	double *tmp = malloc((t->nrows + 1) * sizeof(double));
	size_t *row_panel = malloc((t->nrows + 1) * sizeof(size_t));
	char name[160];
	size_t scap = m->nseries, tcap = m->nthr, pcap = m->npanels;
	double thr;

	unsigned *anythr = calloc(m->npanels + 1, sizeof(unsigned));
	m->cell = malloc((ncell + 1) * sizeof(*m->cell));
	m->present = calloc(m->npanels * m->nthr + 1, 1);
	if (!e || !tmp || !row_panel || !anythr || !m->cell || !m->present) {
		free(e);
		free(tmp);
		free(row_panel);
		free(anythr);
		return -1;
	}
	for (size_t i = 0; i < ncell; i++)
		empty_cell(&m->cell[i]);
	for (size_t r = 0; r < t->nrows; r++) {
		if (res_getd(t, r, RES_COL(threads), &thr) || thr < 1)
			thr = 0;
		res_row_variant(t, r, name, sizeof(name));
		/* lookups only: every key exists after find_axes */
		size_t p = (size_t)panel_of(m, t, r, &pcap), s = (size_t)series_of(m, name, &scap),
		       k = (size_t)thr_of(m, (unsigned)thr, &tcap);
		size_t ci = (p * m->nseries + s) * m->nthr + k;
		row_panel[r] = p;
		m->present[p * m->nthr + k] = 1;
		if (thr > anythr[p])
			anythr[p] = (unsigned)thr;
		if (strcmp(res_get(t, r, RES_COL(cell_status)), "ok") || isnan(row_speed(t, r))) {
			m->cell[ci].failed++;
			continue;
		}
		if (thr > m->panel[p].maxthr)
			m->panel[p].maxthr = (unsigned)thr;
		e[nent].cell = ci;
		e[nent++].row = r;
	}
	/* the largest thread count with a successful cell; all failed: any */
	for (size_t p = 0; p < m->npanels; p++)
		if (!m->panel[p].maxthr)
			m->panel[p].maxthr = anythr[p];
	free(anythr);
	panel_units(m, t, row_panel);
	free(row_panel);
	qsort(e, nent, sizeof(*e), cmp_entry);
	for (size_t i = 0, j; i < nent; i = j) {
		for (j = i; j < nent && e[j].cell == e[i].cell; j++)
			;
		size_t failed = m->cell[e[i].cell].failed;
		fill_cell(&m->cell[e[i].cell], t, e + i, j - i, tmp,
			  &m->panel[e[i].cell / (m->nseries * m->nthr)]);
		m->cell[e[i].cell].failed = failed;
	}
	free(e);
	free(tmp);
	return 0;
}

/* ------------------------------------------------------------------------
 * Ratios: summary.md's comparisons, block by block
 * ---------------------------------------------------------------------- */

static enum plot_verdict verdict_of(enum res_verdict v)
{
	switch (v) {
	case RES_FASTER: return PLOT_V_FASTER;
	case RES_SLOWER: return PLOT_V_SLOWER;
	case RES_SAME: return PLOT_V_SAME;
	default: return PLOT_V_UNDECIDED;
	}
}

static struct plot_ratio ratio_of(const struct res_pair *p, int is_self)
{
	if (is_self)
		return (struct plot_ratio){ 1.0, NAN, NAN, PLOT_V_REFERENCE };
	return (struct plot_ratio){ p->ratio, p->lo, p->hi,
				    isfinite(p->ratio) ? verdict_of(p->verdict) : PLOT_V_NONE };
}

/* The panel of block b. Program cells have no record, so no placement
 * column: their block's placement is empty where the panel took it from
 * the cell key (placement_of); then the one panel of that workload and
 * distribution is it. */
static long index_of_panel(const struct plot_model *m, const struct res_block *b)
{
	long found = -1, n = 0;
	for (size_t p = 0; p < m->npanels; p++) {
		if (strcmp(m->panel[p].wl, b->workload) || strcmp(m->panel[p].dist, b->size_dist))
			continue;
		if (!strcmp(m->panel[p].place, b->placement))
			return (long)p;
		found = (long)p;
		n++;
	}
	return !b->placement[0] && n == 1 ? found : -1;
}

/* Each block's ratios (to glibc, to its best) into the cells they belong to. */
static int fill_ratios(struct plot_model *m, const struct res_table *t)
{
	struct res_blocks bs;
	struct res_block_stats *st = malloc(sizeof(*st));
	char err[256];
	if (!st || res_blocks_build(t, &bs, err, sizeof(err))) {
		free(st);
		return -1;
	}
	for (size_t i = 0; i < bs.n; i++) {
		const struct res_block *b = &bs.b[i];
		long p = index_of_panel(m, b), k = -1;
		for (size_t x = 0; x < m->nthr; x++)
			if (m->thr[x] == b->threads)
				k = (long)x;
		if (p < 0 || k < 0)
			continue;
		res_block_stats(b, st);
		int glibc_ref = st->ref && !strcmp(st->ref->name, "glibc");
		for (size_t v = 0; v < st->n; v++) {
			const struct res_var_stats *vs = &st->s[v];
			long s = -1;
			for (size_t x = 0; x < m->nseries; x++)
				if (!strcmp(m->series[x], vs->v->name))
					s = (long)x;
			if (s < 0 || !vs->v->n)
				continue;
			struct plot_cell *c = plot_cell_at(m, (size_t)p, (size_t)s, (size_t)k);
			if (glibc_ref)
				c->vs_glibc = ratio_of(&vs->vs_ref, vs->is_ref);
			c->vs_best = ratio_of(&vs->vs_best, vs->is_best);
		}
	}
	free(st);
	res_blocks_free(&bs);
	return 0;
}

int plot_model_load(const char *dir, struct plot_model *m, char *err, size_t errlen)
{
	char path[4096], first_fail[256] = "";
	struct res_table t;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	if (access(path, R_OK) != 0) {
		snprintf(err, errlen, "%s: no results.csv here (%s; expected a run folder of nanobench "
			 "matrix)", dir, strerror(errno));
		return -1;
	}
	if (res_table_load(path, &t, err, errlen))
		return -1;
	if (res_table_check(&t, err, errlen)) {
		res_table_free(&t);
		return -1;
	}
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (res_col(&t, needed[i]) < 0) {
			snprintf(err, errlen, "%s: header has no column '%s' (expected the header "
				 "nanobench matrix writes)", path, needed[i]);
			res_table_free(&t);
			return -1;
		}
	}
	if (t.nrows == 0) {
		snprintf(err, errlen, "%s: no rows to plot", path);
		res_table_free(&t);
		return -1;
	}
	m->nrows = t.nrows;
	snprintf(m->matrix, sizeof(m->matrix), "%s", res_get(&t, 0, RES_COL(matrix)));
	machine_line(m, dir, &t);
	if (find_axes(m, &t, first_fail, sizeof(first_fail)) || fill_cells(m, &t) ||
	    fill_ratios(m, &t)) {
		snprintf(err, errlen, "out of memory reading %s", path);
		res_table_free(&t);
		plot_model_free(m);
		return -1;
	}
	res_table_free(&t);
	if (m->nok == 0) {
		snprintf(err, errlen, "%s: no successful cell to plot (%zu rows, all failed; first: %s)",
			 path, m->nrows, first_fail);
		plot_model_free(m);
		return -1;
	}
	return 0;
}

void plot_model_free(struct plot_model *m)
{
	free(m->panel);
	free(m->series);
	free(m->thr);
	free(m->cell);
	free(m->present);
	free(m->dist);
	memset(m, 0, sizeof(*m));
}
