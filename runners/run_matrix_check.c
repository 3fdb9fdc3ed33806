/*
 * run_matrix_check.c - check a parsed matrix against what `nanobench run`
 * accepts, before the run folder exists (see run_matrix_check in
 * run_matrix.h).
 *
 * The file parser knows the matrix's own vocabulary; whether a workload
 * exists, which parameters it takes, and which size distributions and
 * placements are valid is the business of workloads/ and of the options of
 * `nanobench run`. So each item is put to the same functions a cell's
 * process would use (run_opts_parse, wl_sizes_parse, wl_place_parse and,
 * on this machine's topology, wl_place_threads), and the first refusal is
 * reported with the file and line the item came from. A matrix that passes
 * cannot fail a cell for bad input: --dry-run and a real run agree.
 *
 * Cells expanded for another machine (a job line's --machine) are checked
 * again on the host that runs them (run_cells_fit_host): enough CPUs for
 * each cell's threads, and room for its placement on this topology.
 */
#include "run_matrix.h"
#include "run_opts.h"

#include "wl_harness.h"
#include "wl_place.h"
#include "wl_sizes.h"

#include <stdio.h>
#include <string.h>

struct check {
	const struct run_matrix *m;
	const struct run_machine *mach;
	hwloc_topology_t topo;
	char *err;
	size_t errlen;
};

/* "FILE:LINE: [SECTION] what: why", always -1. */
static int refuse(const struct check *c, const struct run_wl *w, int line, const char *what,
		  const char *why)
{
	snprintf(c->err, c->errlen, "%s:%d: [%s %s] %s%s%s", c->m->path, line ? line : w->line,
		 w->is_program ? "program" : "workload", w->name, what, *what ? ": " : "", why);
	return -1;
}

/* An axis item refused: named in [matrix] when the section inherits it. */
static int refuse_axis(const struct check *c, const struct run_wl *w, const struct run_list *l,
		       const char *what, const char *why)
{
	if (l->line && l != &w->axes.threads && l != &w->axes.placements && l != &w->axes.size_dists &&
	    l != &w->axes.hyper_shifts && l != &w->axes.maps) {
		snprintf(c->err, c->errlen, "%s:%d: [matrix] %s: %s (for [%s %s])", c->m->path, l->line,
			 what, why, w->is_program ? "program" : "workload", w->name);
		return -1;
	}
	return refuse(c, w, l->line, what, why);
}

static const struct run_list *pick(const struct run_list *own, const struct run_list *dflt)
{
	return own->n ? own : dflt;
}

/* The workload, its parameters and their values, as `nanobench run` takes
 * them: one option at a time, so the message names its line. */
static int check_params(const struct check *c, const struct run_wl *w, struct run_opts *out)
{
	static struct run_opts o;
	char err[512];
	char *argv[3] = { (char *)w->workload, NULL, NULL };
	char opt[RUN_NAME + 3];

	if (run_opts_parse(&o, 1, argv, err, sizeof(err)))
		return refuse(c, w, w->wline, "", err);
	for (unsigned i = 0; i < w->nparams; i++) {
		if (wl_param_index(o.wl, w->pkey[i]) < 0) {
			char why[512];
			size_t n = (size_t)snprintf(why, sizeof(why), "'%s' is not a parameter of workload "
						    "%s (its parameters:", w->pkey[i], o.wl->name);
			for (unsigned k = 0; k < o.wl->nparams && n < sizeof(why); k++)
				n += (size_t)snprintf(why + n, sizeof(why) - n, " %s", o.wl->params[k].name);
			if (n < sizeof(why))
				snprintf(why + n, sizeof(why) - n, "%s)", o.wl->nparams ? "" : " none");
			return refuse(c, w, w->pline[i], "", why);
		}
		snprintf(opt, sizeof(opt), "--%s", w->pkey[i]);
		argv[1] = opt;
		argv[2] = (char *)w->pval[i];
		if (run_opts_parse(&o, 3, argv, err, sizeof(err)))
			return refuse(c, w, w->pline[i], "", err);
	}
	/* all of them together, for the workload's own check */
	static char opts[RUN_MAX_PARAMS][RUN_NAME + 3];
	char *all[1 + 2 * RUN_MAX_PARAMS] = { (char *)w->workload };
	for (unsigned i = 0; i < w->nparams; i++) {
		snprintf(opts[i], sizeof(opts[i]), "--%s", w->pkey[i]);
		all[1 + 2 * i] = opts[i];
		all[2 + 2 * i] = (char *)w->pval[i];
	}
	if (run_opts_parse(out, 1 + 2 * (int)w->nparams, all, err, sizeof(err)))
		return refuse(c, w, w->line, "", err);
	return 0;
}

/* What the workload itself refuses (its parameters against each other, a
 * thread count, the sizes), for every thread count and size distribution
 * of the section, as its cells would meet it. */
static int check_workload(const struct check *c, const struct run_wl *w, const struct run_opts *o,
			  const unsigned *threads, int nt)
{
	static struct wl_config cfg;
	const struct run_list *l = pick(&w->axes.size_dists, &c->m->axes.size_dists);
	char err[512];
	memset(&cfg, 0, sizeof(cfg));
	cfg.wl = o->wl;
	memcpy(cfg.param, o->param, sizeof(cfg.param));
	for (int t = 0; t < nt; t++) {
		cfg.nthreads = threads[t];
		for (unsigned i = 0; i < (l->n ? l->n : 1); i++) {
			cfg.size_dist = l->n && strcmp(l->item[i], "classic") ? l->item[i] : NULL;
			if (wl_check_config(&cfg, err, sizeof(err)))
				return refuse(c, w, w->nparams ? w->pline[0] : w->line, "", err);
		}
	}
	return 0;
}

static int check_dists(const struct check *c, const struct run_wl *w)
{
	const struct run_list *l = pick(&w->axes.size_dists, &c->m->axes.size_dists);
	char err[512];
	for (unsigned i = 0; i < l->n; i++) {
		struct wl_sizes d;
		if (!strcmp(l->item[i], "classic"))
			continue;
		if (wl_sizes_parse(&d, l->item[i], err, sizeof(err)))
			return refuse_axis(c, w, l, "size_dists", err);
		wl_sizes_free(&d);
	}
	return 0;
}

/* Placements parse; for workloads they must also place every thread count
 * of the section on this machine (program cells are not pinned). */
static int check_places(const struct check *c, const struct run_wl *w, const unsigned *threads,
			int nt)
{
	static struct wl_placement p;
	static int cpus[WL_PLACE_MAX_LIST * 4];
	const struct run_list *l = pick(&w->axes.placements, &c->m->axes.placements);
	char err[512];
	for (unsigned i = 0; i < l->n; i++) {
		if (wl_place_parse(&p, l->item[i], err, sizeof(err)))
			return refuse_axis(c, w, l, "placements", err);
		for (int t = 0; !w->is_program && c->topo && t < nt; t++) {
			if (threads[t] > sizeof(cpus) / sizeof(cpus[0]))
				continue;
			if (wl_place_threads(c->topo, &p, threads[t], 0, cpus, err, sizeof(err)))
				return refuse_axis(c, w, l, "placements", err);
		}
	}
	return 0;
}

static int check_nano_axes(const struct check *c, const struct run_wl *w)
{
	const struct run_list *hs = pick(&w->axes.hyper_shifts, &c->m->axes.hyper_shifts);
	const struct run_list *maps = pick(&w->axes.maps, &c->m->axes.maps);
	char why[400];
	int shift;
	const char *map;
	for (unsigned i = 0; i < hs->n; i++) {
		if (run_hyper_shift_parse(hs->item[i], &shift)) {
			snprintf(why, sizeof(why), "'%s' is not default or 0..16", hs->item[i]);
			return refuse_axis(c, w, hs, "hyper_shifts", why);
		}
	}
	for (unsigned i = 0; i < maps->n; i++) {
		if (run_map_parse(maps->item[i], &map)) {
			snprintf(why, sizeof(why), "'%s' is not default, shift, topology or cpu", maps->item[i]);
			return refuse_axis(c, w, maps, "maps", why);
		}
	}
	return 0;
}

_Static_assert(RUN_MAX_THREAD_COUNTS == WL_MAX_THREADS, "a thread list's bound is a cell's");

int run_matrix_check(const struct run_matrix *m, const struct run_machine *mach,
		     hwloc_topology_t topo, char *err, size_t errlen)
{
	struct check c = { m, mach, topo, err, errlen };
	static unsigned threads[RUN_MAX_THREAD_COUNTS];
	char why[512];

	for (unsigned i = 0; i < m->nwl; i++) {
		const struct run_wl *w = &m->wl[i];
		const struct run_list *tl = pick(&w->axes.threads, &m->axes.threads);
		int nt = run_threads_expand(tl, mach, threads, sizeof(threads) / sizeof(threads[0]), why,
					    sizeof(why));
		if (nt < 0)
			return refuse_axis(&c, w, tl, "threads", why);
		static struct run_opts o;
		if ((!w->is_program && (check_params(&c, w, &o) || check_dists(&c, w) ||
					check_workload(&c, w, &o, threads, nt))) ||
		    check_places(&c, w, threads, nt) || check_nano_axes(&c, w))
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Cells resolved for another machine, on this host
 * ---------------------------------------------------------------------- */

int run_cells_fit_host(const struct run_cell *cells, size_t n, long only_block,
		       const struct run_resolved *rv, const struct run_machine *host,
		       hwloc_topology_t topo, char *err, size_t errlen)
{
	static struct wl_placement p;
	static int cpus[WL_PLACE_MAX_LIST * 4];
	const struct run_cell *big = NULL, *prev = NULL;
	char what[64], why[512];

	if (only_block >= 0)
		snprintf(what, sizeof(what), "block %ld", only_block);
	else
		snprintf(what, sizeof(what), "the matrix");
	for (size_t i = 0; i < n; i++) {
		const struct run_cell *c = &cells[i];
		if (only_block >= 0 && c->block != (unsigned)only_block)
			continue;
		if (!big || c->threads > big->threads)
			big = c;
	}
	if (big && big->threads > host->npus) {
		snprintf(err, errlen, "%s needs %u CPUs (its cells were resolved for a machine of %u "
			 "hardware threads and %u cores%s) and this host has %u: run it on a host "
			 "with at least %u", what, big->threads, rv->mach.npus, rv->mach.ncores,
			 rv->at_emit ? " when the jobs were emitted" : "", host->npus, big->threads);
		return -1;
	}
	for (size_t i = 0; topo && i < n; i++) {
		const struct run_cell *c = &cells[i];
		if ((only_block >= 0 && c->block != (unsigned)only_block) || c->wl->is_program ||
		    (prev && prev->threads == c->threads && !strcmp(prev->placement, c->placement)))
			continue;
		prev = c;
		if (c->threads > sizeof(cpus) / sizeof(cpus[0]) ||
		    wl_place_parse(&p, c->placement, why, sizeof(why)) ||
		    wl_place_threads(topo, &p, c->threads, 0, cpus, why, sizeof(why))) {
			snprintf(err, errlen, "%s: %s: placement %s of %u threads does not fit this host: "
				 "%s", what, c->key, c->placement, c->threads, why);
			return -1;
		}
	}
	return 0;
}
