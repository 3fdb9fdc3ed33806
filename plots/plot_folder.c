/*
 * plot_folder.c - every picture of a run folder (see plot.h).
 *
 * What is drawn, per size distribution of the run (a "panel" is one
 * workload label; placements split it only when a run has several):
 *
 *   throughput_DIST       multiplot: throughput vs threads, a panel per
 *                         workload, median with min..max whiskers (a
 *                         fixed-work workload or a program: its time, or
 *                         its metric, in its own unit)
 *   relative_glibc_DIST   bars on a log axis centred on 1: the ratio to
 *                         glibc at the largest thread count with its 95%
 *                         interval as whiskers and its verdict, as
 *                         summary.md computes them (needs glibc)
 *   relative_best_DIST    the same against the block's best allocator
 *   scaling_DIST          multiplot: speedup over 1 thread, ideal diagonal
 *                         (needs 1 thread and another count)
 *   rss_DIST              bars: median peak RSS above the process's own
 *                         before set-up (or the peak, where that is unknown)
 *   latency_DIST          p50 / p99 / p99.9 per allocator, log scale,
 *                         values under the timer's resolution marked so
 *   contention_DIST       nano's CAS retries per call and remote-free
 *                         share vs threads (needs nano's counters)
 * and, for [program] cells (plot_programs.h):
 *   programs_time         bars on a log axis centred on 1: each program's
 *                         time relative to glibc, and the geometric mean
 *                         over the programs
 *   programs_rss          the same for peak RSS
 * and per panel throughput_WORKLOAD_DIST[_PLACEMENT], one file each. Each
 * picture's gnuplot script is kept beside it (NAME.gp, plot_render.h).
 *
 * A plot with nothing to draw (no glibc, one thread count only, no nano
 * cells) is left out and summary.md says so; a panel or bar whose cells all
 * failed stays in place, empty. Everything goes into DIR/.plots-tmp-PID
 * first; only when every render succeeded are the files moved into
 * DIR/plots/ (stale pictures of an earlier run removed) and summary.md
 * rewritten, so a failure leaves DIR exactly as it was.
 */
#include "plot.h"
#include "plot_data.h"
#include "plot_folder.h"
#include "plot_model.h"
#include "plot_programs.h"
#include "plot_render.h"
#include "res_meta.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Prefixes of what this stage writes in DIR/plots (stale ones are removed). */
static const char *const ours[] = {
	"throughput_", "relative_", "scaling_", "rss_", "latency_", "contention_", "thr_", "spd_",
	"bars_", "cnt_", "programs_",
};

struct job {
	const struct plot_model *m;
	const char *dir;
	const char *tpl;
	char tmp[4096];
	struct plot_made *made;
	size_t nmade, cap;
	char *err;
	size_t errlen;
	int disk;               /* a picture failed because the disk refused it */
};

/* ------------------------------------------------------------------------
 * Rendering one picture
 * ---------------------------------------------------------------------- */

/* snprintf for paths and names; a name too long for buf is cut (and then
 * fails to open or to match, which is reported). */
static void pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static void data_path(const struct job *j, char *buf, size_t len, const char *name)
{
	pathf(buf, len, "%s/data/%s.tsv", j->tmp, name);
}

/* Render template into TMP/base and remember it for summary.md. */
static int render(struct job *j, const char *template, struct plot_vars *v, const char *base,
		  const char *dist, const char *title, const char *hint)
{
	char out[4096], e[768];
	plot_vars_add(v, "machine", "%s", j->m->machine);
	plot_vars_add(v, "matrix", "%s", j->m->matrix);
	plot_vars_add(v, "dist", "%s", dist);
	plot_vars_add(v, "title", "%s", title);
	const char *const *list = plot_vars_list(v);
	if (!list) {
		snprintf(j->err, j->errlen, "out of memory");
		return -1;
	}
	pathf(out, sizeof(out), "%s/%s", j->tmp, base);
	int rc = plot_render(j->tpl, template, list, out, e, sizeof(e));
	if (rc) {
		snprintf(j->err, j->errlen, "%s", e);
		j->disk |= rc == PLOT_EDISK;
		return -1;
	}
	if (j->nmade == j->cap) {
		size_t nc = j->cap ? j->cap * 2 : 16;
		struct plot_made *nm = realloc(j->made, nc * sizeof(*nm));
		if (!nm) {
			snprintf(j->err, j->errlen, "out of memory");
			return -1;
		}
		j->made = nm;
		j->cap = nc;
	}
	struct plot_made *p = &j->made[j->nmade++];
	memset(p, 0, sizeof(*p));
	snprintf(p->base, sizeof(p->base), "%s", base);
	snprintf(p->dist, sizeof(p->dist), "%s", dist);
	snprintf(p->title, sizeof(p->title), "%s", title);
	snprintf(p->hint, sizeof(p->hint), "%s", hint);
	return 0;
}

static int data_failed(struct job *j, const char *path)
{
	snprintf(j->err, j->errlen, "cannot write %s: %s", path, strerror(errno));
	return -1;
}

/* The y label of a one-panel picture: its unit, in words. */
static void unit_label(const struct plot_panel *p, char *buf, size_t len)
{
	if (p->scale == 1e6)
		snprintf(buf, len, "million calls per second (malloc + free)");
	else if (p->fixed_work)
		snprintf(buf, len, "seconds for the workload's fixed work (lower is better)");
	else if (!strcmp(p->unit, "seconds"))
		snprintf(buf, len, "wall seconds (lower is better)");
	else
		snprintf(buf, len, "%s (%s is better)", p->unit, p->lower_better ? "lower" : "higher");
}

/* ------------------------------------------------------------------------
 * The plots
 * ---------------------------------------------------------------------- */

/* Throughput or speedup panels: every panel of dist (only == -1), or one. */
static int draw_panels(struct job *j, const char *dist, enum plot_line kind, long only)
{
	const struct plot_model *m = j->m;
	struct plot_vars v;
	int *used = calloc(m->nseries + 1, sizeof(int));
	const char **key = calloc(m->nseries + 1, sizeof(char *));
	char path[4096], pre[32], base[320], title[512], ylabel[160] = "";
	size_t np = 0, nk = 0, drawn = 0, timed = 0;
	int rc = -1;

	plot_vars_init(&v);
	v.rel_from = j->tmp;
	if (!used || !key)
		goto out;
	for (size_t p = 0; p < m->npanels; p++) {
		if (strcmp(m->panel[p].dist, dist) || (only >= 0 && (size_t)only != p))
			continue;
		pathf(base, sizeof(base), "%s_%s", kind == PLOT_LINE_SPEED ? "thr" : "spd",
			 m->panel[p].id);
		data_path(j, path, sizeof(path), base);
		snprintf(pre, sizeof(pre), "p%zu_", ++np);
		int n = plot_data_lines(m, p, kind, path, &v, pre, used);
		if (n < 0) {
			rc = data_failed(j, path);
			goto out;
		}
		drawn += n > 0;
		timed += m->panel[p].lower_better;
		unit_label(&m->panel[p], ylabel, sizeof(ylabel));
	}
	for (size_t s = 0; s < m->nseries; s++)
		if (used[s])
			key[nk++] = m->series[s];
	rc = 0;
	if (!drawn)
		goto out;    /* nothing to draw: left out */
	plot_vars_series(&v, "k_", key, NULL, nk);
	plot_vars_add(&v, "npanels", "%zu", np);
	plot_vars_add(&v, "mode", "%s", kind == PLOT_LINE_SPEED ? "speed" : "speedup");
	plot_vars_add(&v, "ylabel", "%s", kind == PLOT_LINE_SPEED ? ylabel :
		      "speedup over 1 thread (median / median at 1 thread)");
	if (only >= 0) {
		pathf(base, sizeof(base), "throughput_%s", m->panel[only].id);
		pathf(title, sizeof(title), "%s vs threads: %s, %s sizes",
		      m->panel[only].lower_better ? "Time" : "Throughput", m->panel[only].label, dist);
		rc = render(j, "panels.gp", &v, base, dist, title, plot_hint_panel());
	} else if (kind == PLOT_LINE_SPEED) {
		pathf(base, sizeof(base), "throughput_%s", dist);
		pathf(title, sizeof(title), "%s vs threads, %s sizes%s", timed == np ? "Time" : "Throughput",
		      dist, timed && timed < np ? " (seconds for the fixed-work workloads)" : "");
		rc = render(j, "panels.gp", &v, base, dist, title, plot_hint(PLOT_HINT_THROUGHPUT));
	} else {
		pathf(base, sizeof(base), "scaling_%s", dist);
		pathf(title, sizeof(title), "Scaling: speedup over 1 thread, %s sizes", dist);
		rc = render(j, "panels.gp", &v, base, dist, title, plot_hint(PLOT_HINT_SCALING));
	}
	if (rc == 0 && only >= 0)
		snprintf(j->made[j->nmade - 1].panel, sizeof(j->made[0].panel), "%s", m->panel[only].label);
out:
	plot_vars_free(&v);
	free(used);
	free(key);
	return rc;
}

static int draw_bars(struct job *j, const char *dist, enum plot_bar kind)
{
	static const struct {
		const char *base, *template, *title, *mode, *ylabel;
		enum plot_hint hint;
	} what[] = {
		[PLOT_BAR_VS_GLIBC] = { "relative_glibc", "ratio.gp", "Throughput relative to glibc",
			"glibc", "speed / glibc's (Hodges-Lehmann ratio, log scale)", PLOT_HINT_VS_GLIBC },
		[PLOT_BAR_VS_BEST] = { "relative_best", "ratio.gp",
			"Throughput relative to the best allocator", "best",
			"speed / the best one's (Hodges-Lehmann ratio, log scale)", PLOT_HINT_VS_BEST },
		[PLOT_BAR_RSS] = { "rss", "bars.gp", "Peak RSS", "rss", "", PLOT_HINT_RSS },
		[PLOT_BAR_LATENCY] = { "latency", "latency.gp", "Sampled call latency",
			"latency", "", PLOT_HINT_LATENCY },
	};
	struct plot_vars v;
	char path[4096], base[320], name[340], title[512];
	int n, rc = 0;

	plot_vars_init(&v);
	v.rel_from = j->tmp;
	pathf(base, sizeof(base), "%s_%s", what[kind].base, dist);
	pathf(name, sizeof(name), "bars_%s", base);
	data_path(j, path, sizeof(path), name);
	n = plot_data_bars(j->m, dist, kind, path, &v);
	if (n < 0)
		rc = data_failed(j, path);
	else if (n > 0) {
		pathf(title, sizeof(title), "%s, %s sizes", what[kind].title, dist);
		plot_vars_add(&v, "mode", "%s", what[kind].mode);
		plot_vars_add(&v, "ylabel", "%s", what[kind].ylabel);
		rc = render(j, what[kind].template, &v, base, dist, title, plot_hint(what[kind].hint));
	}
	plot_vars_free(&v);
	return rc;
}

/* The mimalloc-bench pair: time and peak RSS relative to glibc per
 * program, with their geometric means. */
static int draw_programs(struct job *j, enum plot_prog kind)
{
	struct plot_vars v;
	char path[4096];
	const char *base = kind == PLOT_PROG_TIME ? "programs_time" : "programs_rss";
	int n, rc = 0;

	plot_vars_init(&v);
	v.rel_from = j->tmp;
	pathf(path, sizeof(path), "%s/data/bars_%s.tsv", j->tmp, base);
	n = plot_data_programs(j->dir, kind, path, &v, j->err, j->errlen);
	if (n < 0)
		rc = -1;
	else if (n > 0) {
		plot_vars_add(&v, "ylabel", "%s", kind == PLOT_PROG_TIME ?
			      "time / glibc's time (median, log scale)" :
			      "peak RSS / glibc's peak RSS (median, log scale)");
		rc = render(j, "programs.gp", &v, base, "program", kind == PLOT_PROG_TIME ?
			    "Programs: time relative to glibc" : "Programs: peak RSS relative to glibc",
			    plot_hint(kind == PLOT_PROG_TIME ? PLOT_HINT_PROG_TIME : PLOT_HINT_PROG_RSS));
	}
	plot_vars_free(&v);
	return rc;
}

static int draw_contention(struct job *j, const char *dist)
{
	struct plot_vars v;
	char path[4096], base[320], title[512];
	int a, b, rc = 0;

	plot_vars_init(&v);
	v.rel_from = j->tmp;
	pathf(base, sizeof(base), "cnt_retries_%s", dist);
	data_path(j, path, sizeof(path), base);
	if ((a = plot_data_counter(j->m, dist, PLOT_RETRIES, path, &v, "r_")) < 0)
		rc = data_failed(j, path);
	pathf(base, sizeof(base), "cnt_remote_%s", dist);
	data_path(j, path, sizeof(path), base);
	if (rc == 0 && (b = plot_data_counter(j->m, dist, PLOT_REMOTE, path, &v, "f_")) < 0)
		rc = data_failed(j, path);
	if (rc == 0 && a > 0 && b > 0) {
		pathf(base, sizeof(base), "contention_%s", dist);
		pathf(title, sizeof(title), "nano contention, %s sizes", dist);
		rc = render(j, "contention.gp", &v, base, dist, title, plot_hint(PLOT_HINT_CONTENTION));
	}
	plot_vars_free(&v);
	return rc;
}

/* Thread counts the panels of dist have, and whether 1 is one of them. */
static size_t dist_threads(const struct plot_model *m, const char *dist, int *has_one)
{
	size_t n = 0;
	*has_one = 0;
	for (size_t t = 0; t < m->nthr; t++) {
		int any = 0;
		for (size_t p = 0; p < m->npanels; p++)
			if (!strcmp(m->panel[p].dist, dist) && plot_panel_has_thr(m, p, t))
				any = 1;
		n += (size_t)any;
		if (any && m->thr[t] == 1)
			*has_one = 1;
	}
	return n;
}

static int draw_all(struct job *j)
{
	const struct plot_model *m = j->m;
	for (size_t d = 0; d < m->ndists; d++) {
		const char *dist = m->dist[d];
		size_t panels = 0;
		int one;
		for (size_t p = 0; p < m->npanels; p++)
			panels += !strcmp(m->panel[p].dist, dist);
		int scaling = dist_threads(m, dist, &one) > 1 && one;
		if ((panels > 1 && draw_panels(j, dist, PLOT_LINE_SPEED, -1)) ||
		    draw_bars(j, dist, PLOT_BAR_VS_GLIBC) || draw_bars(j, dist, PLOT_BAR_VS_BEST) ||
		    (scaling && draw_panels(j, dist, PLOT_LINE_SPEEDUP, -1)) ||
		    draw_bars(j, dist, PLOT_BAR_RSS) ||
		    draw_bars(j, dist, PLOT_BAR_LATENCY) || draw_contention(j, dist))
			return -1;
		if (!strcmp(dist, "program") &&
		    (draw_programs(j, PLOT_PROG_TIME) || draw_programs(j, PLOT_PROG_RSS)))
			return -1;
	}
	for (size_t p = 0; p < m->npanels; p++)
		if (draw_panels(j, m->panel[p].dist, PLOT_LINE_SPEED, (long)p))
			return -1;
	return 0;
}

/* ------------------------------------------------------------------------
 * Temporary folder, and moving the result into place
 * ---------------------------------------------------------------------- */

static int is_ours(const char *name)
{
	size_t n = strlen(name);
	if (n < 5 || (strcmp(name + n - 4, ".png") && strcmp(name + n - 4, ".svg") &&
		      strcmp(name + n - 4, ".tsv") && strcmp(name + n - 3, ".gp")))
		return 0;
	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		if (!strncmp(name, ours[i], strlen(ours[i])))
			return 1;
	return 0;
}

/* Remove the files of folder path (and the folder) that we wrote: every
 * file for a temporary folder (all = 1), else only stale ones of ours not
 * in keep_dir. */
static void sweep(const char *path, int all, const char *keep_dir)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char f[4096], k[4096];
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || (!all && !is_ours(e->d_name)))
			continue;
		pathf(f, sizeof(f), "%s/%s", path, e->d_name);
		if (keep_dir) {
			pathf(k, sizeof(k), "%s/%s", keep_dir, e->d_name);
			if (access(k, F_OK) == 0)
				continue;
		}
		unlink(f);
	}
	closedir(d);
	if (all)
		rmdir(path);
}

static void remove_tmp(const char *tmp)
{
	char data[4096];
	pathf(data, sizeof(data), "%s/data", tmp);
	sweep(data, 1, NULL);
	sweep(tmp, 1, NULL);
}

/* Move every file of from/ into to/ (created when missing). */
static int move_files(const char *from, const char *to, char *err, size_t errlen)
{
	DIR *d;
	struct dirent *e;
	char a[4096], b[4096];
	if (mkdir(to, 0777) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", to, strerror(errno));
		return -1;
	}
	if (!(d = opendir(from))) {
		snprintf(err, errlen, "cannot read %s: %s", from, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "data"))
			continue;
		pathf(a, sizeof(a), "%s/%s", from, e->d_name);
		pathf(b, sizeof(b), "%s/%s", to, e->d_name);
		if (rename(a, b) != 0) {
			snprintf(err, errlen, "cannot move %s to %s: %s", a, b, strerror(errno));
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

/* Stale pictures and data of an earlier run go first, then the new ones
 * move in: DIR/plots ends up holding exactly this run's files of ours. */
static int install(const char *dir, const char *tmp, char *err, size_t errlen)
{
	char plots[4096], pdata[4096], tdata[4096];
	pathf(plots, sizeof(plots), "%s/plots", dir);
	pathf(pdata, sizeof(pdata), "%s/plots/data", dir);
	pathf(tdata, sizeof(tdata), "%s/data", tmp);
	sweep(plots, 0, tmp);
	sweep(pdata, 0, tdata);
	if (move_files(tmp, plots, err, errlen) || move_files(tdata, pdata, err, errlen))
		return -1;
	remove_tmp(tmp);
	return 0;
}

int plot_run_folder(const char *dir, const char *template_dir, char *err, size_t errlen)
{
	struct plot_model m;
	struct job j;
	char data[4096];
	int rc;

	if (plot_model_load(dir, &m, err, errlen))
		return -1;
	if (plot_render_check(err, errlen)) {
		plot_model_free(&m);
		return -1;
	}
	memset(&j, 0, sizeof(j));
	j.m = &m;
	j.dir = dir;
	j.tpl = template_dir;
	j.err = err;
	j.errlen = errlen;
	pathf(j.tmp, sizeof(j.tmp), "%s/.plots-tmp-%ld", dir, (long)getpid());
	pathf(data, sizeof(data), "%s/data", j.tmp);
	remove_tmp(j.tmp);
	if (mkdir(j.tmp, 0777) != 0 || mkdir(data, 0777) != 0) {
		snprintf(err, errlen, "cannot create %s: %s", data, strerror(errno));
		remove_tmp(j.tmp);
		plot_model_free(&m);
		return -1;
	}
	rc = draw_all(&j);
	if (rc == 0 && j.nmade == 0) {
		snprintf(err, errlen, "%s: nothing to plot", dir);
		rc = -1;
	}
	if (rc == 0)
		rc = install(dir, j.tmp, err, errlen);
	if (rc == 0)
		rc = plot_section_write(dir, &m, j.made, j.nmade, err, errlen);
	/* whether the disk refused: asked before the temporary folder goes,
	 * which would give it room again */
	char why[4300];
	if (rc != 0 && (j.disk || res_dir_probe(dir, why, sizeof(why)) != 0))
		rc = PLOT_EDISK;
	remove_tmp(j.tmp);
	free(j.made);
	plot_model_free(&m);
	return rc;
}
