/*
 * run_cmd_run.c - `nanobench run`: one cell, one record.
 *
 * In the parent (an --allocator was named and this is not the re-executed
 * child yet): check everything, discover the topology when threads are to be
 * pinned, check the placement against it, export it as XML into a memfd, and
 * re-execute with the allocator preloaded, passing --preloaded LIB and
 * --topology-xml /proc/self/fd/N. In the child (or without --allocator): load
 * the topology, place the threads, check which library answers malloc, run
 * the cell through the harness, and write the record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run_alloc.h"
#include "run_cmds.h"
#include "run_opts.h"
#include "run_record.h"
#include "wl_topo.h"

#include "res_allocs.h"

static int cpus_for_threads[WL_MAX_THREADS];

/* ------------------------------------------------------------------------
 * Help and --list
 * ---------------------------------------------------------------------- */

/* The allocators line is what the bash completion offers after --allocator
 * (runners/nanobench.bash): the names of results/res_allocs.h. */
static void print_help(void)
{
	char names[256];
	res_alloc_list(names, sizeof(names), " ");
	printf("usage: nanobench run WORKLOAD [--PARAM VALUE ...] [--threads N]\n"
	       "         [--placement compact|scatter|cores|none|cpus:LIST] [--oversubscribe]\n"
	       "         [--allocator NAME|NAME=/path/lib.so] [--setenv VAR=VALUE ...]\n"
	       "         [--size-dist SPEC] [--seed N] [--duration S | --ops N]\n"
	       "         [--sample-every K] [--topology-xml FILE] [--csv [--header] | --json]\n"
	       "         [--record-fd N]\n"
	       "       nanobench run --list\n"
	       "allocators: %s\n\n", names);
	printf("Runs one cell: the workload on N threads, measured, verified, one record.\n"
	       "  --threads N        worker threads (default 1)\n"
	       "  --placement P      where threads run (default none: unpinned)\n"
	       "  --oversubscribe    allow more pinned threads than places\n"
	       "  --allocator NAME   re-execute with that allocator preloaded, clean environment\n"
	       "  --setenv VAR=VAL   environment for the allocator (recorded)\n"
	       "  --size-dist SPEC   fixed:N uniform:A-B exp:MEAN[,MAX] invsq:A-B lin:A-B\n"
	       "                     steps:A-B nano hist:FILE (default: the workload's)\n"
	       "  --seed N           RNG seed (default 4141)\n"
	       "  --duration S       run S seconds; --ops N: exactly N malloc+free calls;\n"
	       "                     neither: the workload's published length\n"
	       "  --sample-every K   one latency sample every K calls per thread (default 64)\n"
	       "  --topology-xml F   use this hwloc XML instead of discovering the machine\n"
	       "  --csv, --header    CSV row (with the header line); --json: a JSON line;\n"
	       "                     default: one 'column value' line per column\n"
	       "  --record-fd N      write the record to file descriptor N (default stdout)\n"
	       "Columns are documented in docs/results.md.\n");
}

static void print_list(void)
{
	for (unsigned i = 0; wl_workloads[i]; i++) {
		const struct wl_workload *w = wl_workloads[i];
		char spec[128];
		int64_t pv[WL_MAX_PARAMS];
		for (unsigned k = 0; k < w->nparams; k++)
			pv[k] = w->params[k].def;
		if (w->sizes)
			w->sizes(pv, spec, sizeof(spec));
		else
			snprintf(spec, sizeof(spec), "%s", w->default_dist);
		printf("%s\n    %s\n    --size-dist %s (default)\n", w->name, w->summary, spec);
		for (unsigned k = 0; k < w->nparams; k++)
			printf("    --%-14s %-10lld %s\n", w->params[k].name,
			       (long long)w->params[k].def, w->params[k].help);
	}
}

/* ------------------------------------------------------------------------
 * Topology and placement
 * ---------------------------------------------------------------------- */

static int place(const struct run_opts *o, struct wl_topo *topo, int *have_topo, char *err,
		 size_t n)
{
	*have_topo = 0;
	if (o->placement.policy == WL_POLICY_NONE && !o->topology_xml) {
		for (unsigned i = 0; i < o->threads; i++)
			cpus_for_threads[i] = -1;
		return 0;
	}
	if (wl_topo_load(topo, NULL, o->topology_xml, err, n))
		return -1;
	*have_topo = 1;
	return wl_place_threads(topo->h, &o->placement, o->threads, o->oversubscribe,
				cpus_for_threads, err, n);
}

/* ------------------------------------------------------------------------
 * Parent: re-execute with the allocator
 * ---------------------------------------------------------------------- */

static int reexec(const struct run_opts *o, int argc, char **argv)
{
	struct run_alloc a;
	struct wl_topo topo;
	char err[512], fdpath[64];
	char *extra[4];
	int nextra = 0, have_topo;

	if (run_alloc_resolve(o->allocator, &a, err, sizeof(err)))
		return run_usage_error(err);
	if (place(o, &topo, &have_topo, err, sizeof(err)))
		return run_usage_error(err);
	extra[nextra++] = "--preloaded";
	extra[nextra++] = a.lib[0] ? a.lib : "glibc";
	if (have_topo && !o->topology_xml) {
		int fd = wl_topo_export_memfd(&topo);
		if (fd < 0)
			return run_usage_error("cannot export the topology as XML");
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		extra[nextra++] = "--topology-xml";
		extra[nextra++] = fdpath;
	}
	if (have_topo)
		wl_topo_destroy(&topo);
	run_alloc_exec(&a, argv, argc, extra, nextra, o->env, o->nenv, err, sizeof(err));
	fprintf(stderr, "nanobench: %s\n", err);
	return 1;
}

/* ------------------------------------------------------------------------
 * Child: the cell
 * ---------------------------------------------------------------------- */

static void describe(const struct run_opts *o, const struct wl_topo *topo, int have_topo,
		     struct run_record *rec)
{
	size_t len = 0;
	snprintf(rec->workload, sizeof(rec->workload), "%s", o->wl->name);
	run_opts_params(o, rec->params, sizeof(rec->params));
	rec->seed = o->seed;
	rec->threads = o->threads;
	rec->sample_every = o->sample_every;
	snprintf(rec->placement, sizeof(rec->placement), "%s", o->placement.spec);
	for (unsigned i = 0; i < o->threads && len + 8 < sizeof(rec->cpus); i++)
		len += (size_t)snprintf(rec->cpus + len, sizeof(rec->cpus) - len, "%s%d",
					i ? ";" : "", cpus_for_threads[i]);
	snprintf(rec->end, sizeof(rec->end), "%s", o->end == WL_END_OPS ? "ops" :
		 o->end == WL_END_TIME || o->wl->natural_seconds ? "time" : "natural");
	snprintf(rec->alloc_requested, sizeof(rec->alloc_requested), "%s",
		 o->allocator ? o->allocator : "");
	/* the allocator's own setting (nano-rseq: NANO_FRONT=rseq) is set for
	 * the cell too, unless --setenv gave that variable (run_alloc_exec) */
	char own[64];
	run_alloc_env(o->allocator, o->env, o->nenv, own, sizeof(own));
	len = (size_t)snprintf(rec->alloc_env, sizeof(rec->alloc_env), "%s", own);
	for (int i = 0; i < o->nenv && len < sizeof(rec->alloc_env); i++)
		len += (size_t)snprintf(rec->alloc_env + len, sizeof(rec->alloc_env) - len, "%s%s",
					len ? ";" : "", o->env[i]);
	snprintf(rec->topology, sizeof(rec->topology), "%s", have_topo ? topo->source : "");
}

static void config(const struct run_opts *o, const struct wl_topo *topo, int have_topo,
		   struct wl_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->wl = o->wl;
	memcpy(cfg->param, o->param, sizeof(cfg->param));
	cfg->size_dist = o->size_dist;
	cfg->nthreads = o->threads;
	cfg->seed = o->seed;
	cfg->end = o->end;
	cfg->ops = o->ops;
	cfg->seconds = o->seconds;
	if (o->end == WL_END_NATURAL && o->wl->natural_seconds) {
		cfg->end = WL_END_TIME;
		cfg->seconds = (double)o->param[wl_param_index(o->wl, o->wl->natural_seconds)];
	}
	cfg->sample_every = o->sample_every;
	cfg->cpus = cpus_for_threads;
	cfg->topo = have_topo ? topo : NULL;
}

/* The allocator check: a preload that did not take effect fails the cell,
 * and so does one that loaded but runs without what the allocator's name
 * asks for (nano-rseq on the v1 front); the record then shows nano's
 * settings as they are, the front and its reason among them. */
static int check_allocator(const struct run_opts *o, struct run_record *rec)
{
	run_alloc_detect(rec->alloc_library, sizeof(rec->alloc_library), rec->alloc_version,
			 sizeof(rec->alloc_version));
	if (!o->preloaded)
		return 0;
	const char *want = strcmp(o->preloaded, "glibc") ? o->preloaded : "";
	if (run_alloc_matches(want, rec->alloc_library)) {
		if (run_alloc_verify(o->allocator, rec->res.message, sizeof(rec->res.message)) == 0)
			return 0;
		wl_nano_settings(&rec->res.nano);
		return -1;
	}
	snprintf(rec->res.message, sizeof(rec->res.message),
		 "allocator '%.60s' requested (%.100s) but malloc is answered by %.100s",
		 o->allocator ? o->allocator : "?", want[0] ? want : "libc.so.6",
		 rec->alloc_library[0] ? rec->alloc_library : "an unknown object");
	return -1;
}

static int run_here(const struct run_opts *o)
{
	static struct run_record rec;
	static struct wl_config cfg;
	struct wl_topo topo;
	char err[512];
	int have_topo, status = 0;

	run_record_init(&rec);
	if (place(o, &topo, &have_topo, err, sizeof(err)))
		return run_usage_error(err);
	describe(o, &topo, have_topo, &rec);
	config(o, &topo, have_topo, &cfg);
	if (check_allocator(o, &rec) == 0) {
		if (wl_run_cell(&cfg, &rec.res))
			return run_usage_error(rec.res.message);
		snprintf(rec.size_dist, sizeof(rec.size_dist), "%s", rec.res.size_dist);
		if (!rec.res.failed)
			snprintf(rec.status, sizeof(rec.status), "ok");
	}
	if (strcmp(rec.status, "ok")) {
		fprintf(stderr, "nanobench: %s: %s\n", o->wl->name, rec.res.message);
		status = 1;
	}
	if (run_record_write(&rec, o->record_fd, o->format, o->header)) {
		fprintf(stderr, "nanobench: cannot write the record to file descriptor %d\n",
			o->record_fd);
		status = 1;
	}
	if (have_topo)
		wl_topo_destroy(&topo);
	return status;
}

int run_cmd_run(int argc, char **argv)
{
	static struct run_opts o;
	char err[512];

	if (run_opts_parse(&o, argc - 2, argv + 2, err, sizeof(err)))
		return run_usage_error(err);
	if (o.help) {
		print_help();
		return 0;
	}
	if (o.list) {
		print_list();
		return 0;
	}
	if (o.size_dist) {
		struct wl_sizes d;
		if (wl_sizes_parse(&d, o.size_dist, err, sizeof(err)))
			return run_usage_error(err);
		wl_sizes_free(&d);
	}
	if (o.allocator && !o.preloaded)
		return reexec(&o, argc, argv);
	return run_here(&o);
}
