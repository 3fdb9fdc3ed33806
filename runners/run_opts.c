/*
 * run_opts.c - parsing `nanobench run` (see run_opts.h).
 *
 * The workload comes first: its parameters are options too, so it must be
 * known before they are read. The rest goes through run_args.h like every
 * subcommand's options (getopt_long: --threads 4 or --threads=4, a unique
 * prefix for a long name), with a table made for the workload: its
 * parameters, then the options every cell takes.
 */
#include "run_opts.h"
#include "run_alloc.h"
#include "run_args.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Numbers
 * ---------------------------------------------------------------------- */

static int parse_i64(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	if (!*s)
		return -1;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int number(const char *opt, const char *val, int64_t lo, int64_t hi, int64_t *out,
		  char *err, size_t n)
{
	if (parse_i64(val, out) || *out < lo || *out > hi) {
		snprintf(err, n, "%s '%s': expected an integer from %lld to %lld", opt, val,
			 (long long)lo, (long long)hi);
		return -1;
	}
	return 0;
}

static int seconds(const char *opt, const char *val, double *out, char *err, size_t n)
{
	char *end;
	errno = 0;
	*out = strtod(val, &end);
	if (!*val || *end || errno || !(*out > 0) || *out > 86400 || isnan(*out)) {
		snprintf(err, n, "%s '%s': expected seconds, more than 0 and at most 86400", opt, val);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Options
 * ---------------------------------------------------------------------- */

static void defaults(struct run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->threads = 1;
	o->seed = 4141;
	o->end = WL_END_NATURAL;
	o->sample_every = 1024;
	o->record_fd = 1;
	o->format = RUN_FMT_TEXT;
	char err[8];
	wl_place_parse(&o->placement, "none", err, sizeof(err));
}

/* The options every workload takes; its parameters come first in the table
 * (run_opts_parse), so a parameter named like one of these is the
 * parameter. The val of parameter i is OPT_PARAM + i. */
enum {
	OPT_THREADS = 256, OPT_PLACEMENT, OPT_OVERSUB, OPT_ALLOCATOR, OPT_PRELOADED, OPT_SETENV,
	OPT_SIZE_DIST, OPT_SEED, OPT_DURATION, OPT_OPS, OPT_SAMPLE, OPT_TOPO_XML, OPT_CSV,
	OPT_JSON, OPT_HEADER, OPT_RECORD_FD, OPT_LIST, OPT_PARAM,
};

static const struct option common[] = {
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "placement", required_argument, NULL, OPT_PLACEMENT },
	{ "oversubscribe", no_argument, NULL, OPT_OVERSUB },
	{ "allocator", required_argument, NULL, OPT_ALLOCATOR },
	{ "preloaded", required_argument, NULL, OPT_PRELOADED },
	{ "setenv", required_argument, NULL, OPT_SETENV },
	{ "size-dist", required_argument, NULL, OPT_SIZE_DIST },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "ops", required_argument, NULL, OPT_OPS },
	{ "sample-every", required_argument, NULL, OPT_SAMPLE },
	{ "topology-xml", required_argument, NULL, OPT_TOPO_XML },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "header", no_argument, NULL, OPT_HEADER },
	{ "record-fd", required_argument, NULL, OPT_RECORD_FD },
	{ "list", no_argument, NULL, OPT_LIST },
	RUN_ARGS_HELP_AND_END,
};
#define NCOMMON (sizeof(common) / sizeof(common[0]))

static int option(struct run_opts *o, int c, const char *opt, const char *val, char *err,
		  size_t n)
{
	int64_t v;

	if (c >= OPT_PARAM) {
		const struct wl_param *p = &o->wl->params[c - OPT_PARAM];
		return number(opt, val, p->min, p->max, &o->param[c - OPT_PARAM], err, n);
	}
	switch (c) {
	case OPT_THREADS:
		if (number(opt, val, 1, WL_MAX_THREADS, &v, err, n))
			return -1;
		o->threads = (unsigned)v;
		return 0;
	case OPT_PLACEMENT: return wl_place_parse(&o->placement, val, err, n);
	case OPT_OVERSUB: o->oversubscribe = 1; return 0;
	case OPT_ALLOCATOR: o->allocator = val; return 0;
	case OPT_PRELOADED: o->preloaded = val; return 0;
	case OPT_SETENV:
		if (!run_env_ok(val) || o->nenv == RUN_MAX_ENV) {
			snprintf(err, n, "%s '%s': expected VAR=VALUE, VAR a variable name (at most %d)",
				 opt, val, RUN_MAX_ENV);
			return -1;
		}
		o->env[o->nenv++] = (char *)val;
		return 0;
	case OPT_SIZE_DIST: o->size_dist = val; return 0;
	case OPT_SEED:
		if (number(opt, val, 0, INT64_MAX, &v, err, n))
			return -1;
		o->seed = (uint64_t)v;
		return 0;
	case OPT_DURATION:
		if (o->end == WL_END_OPS)
			break;
		o->end = WL_END_TIME;
		return seconds(opt, val, &o->seconds, err, n);
	case OPT_OPS:
		if (o->end == WL_END_TIME)
			break;
		if (number(opt, val, 1, 1000000000000000LL, &v, err, n))
			return -1;
		o->end = WL_END_OPS;
		o->ops = (uint64_t)v;
		return 0;
	case OPT_SAMPLE:
		if (number(opt, val, 1, 1000000000, &v, err, n))
			return -1;
		o->sample_every = (unsigned)v;
		return 0;
	case OPT_TOPO_XML: o->topology_xml = val; return 0;
	case OPT_CSV: o->format = RUN_FMT_CSV; return 0;
	case OPT_JSON: o->format = RUN_FMT_JSON; return 0;
	case OPT_HEADER: o->header = 1; return 0;
	case OPT_RECORD_FD:
		if (number(opt, val, 0, 65535, &v, err, n))
			return -1;
		int fl = fcntl((int)v, F_GETFL);
		if (fl < 0) {
			snprintf(err, n, "%s '%s': not an open file descriptor", opt, val);
			return -1;
		}
		if ((fl & O_ACCMODE) == O_RDONLY) {
			snprintf(err, n, "%s '%s': open for reading only (the record is written there)",
				 opt, val);
			return -1;
		}
		o->record_fd = (int)v;
		return 0;
	case OPT_LIST: o->list = 1; return 0;
	case RUN_ARG_HELP: o->help = 1; return 0;
	}
	snprintf(err, n, "%s: --duration and --ops exclude each other (give one)", opt);
	return -1;
}

static int pick_workload(struct run_opts *o, const char *name, char *err, size_t n)
{
	o->wl = wl_workload_find(name);
	if (!o->wl) {
		size_t len = (size_t)snprintf(err, n, "unknown workload '%s' (expected one of:", name);
		for (unsigned i = 0; wl_workloads[i] && len < n; i++)
			len += (size_t)snprintf(err + len, n - len, " %s", wl_workloads[i]->name);
		if (len < n)
			snprintf(err + len, n - len, ")");
		return -1;
	}
	for (unsigned i = 0; i < o->wl->nparams; i++)
		o->param[i] = o->wl->params[i].def;
	return 0;
}

/* The options after the workload (args: "run" then them), through
 * run_args.h with the workload's parameters ahead of the common options. */
static int read_options(struct run_opts *o, int argc, char **args, char *err, size_t n)
{
	struct option opts[WL_MAX_PARAMS + NCOMMON];
	unsigned np = o->wl ? o->wl->nparams : 0;
	struct run_args a;
	char opt[80], **rest;
	int c;

	for (unsigned i = 0; i < np; i++)
		opts[i] = (struct option){ o->wl->params[i].name, required_argument, NULL,
					   OPT_PARAM + (int)i };
	memcpy(opts + np, common, sizeof(common));
	run_args_begin(&a, "run", argc, args, opts);
	if (o->wl)
		snprintf(a.hint, sizeof(a.hint), "for workload %s (see nanobench run --help and --list)",
			 o->wl->name);
	while ((c = run_args_next(&a)) != -1) {
		if (c == '?') {
			snprintf(err, n, "%s", a.err);
			return -1;
		}
		snprintf(opt, sizeof(opt), "--%s", a.opt);
		if (option(o, c, opt, a.val, err, n))
			return -1;
	}
	if (run_args_rest(&a, &rest)) {
		snprintf(err, n, "unexpected argument '%s' (the workload comes first: "
			 "nanobench run WORKLOAD [--OPTION VALUE ...])", rest[0]);
		return -1;
	}
	return 0;
}

int run_opts_parse(struct run_opts *o, int argc, char **argv, char *err, size_t n)
{
	int first = 0, rc;
	defaults(o);
	if (argc > 0 && argv[0][0] != '-') {
		if (pick_workload(o, argv[0], err, n))
			return -1;
		first = 1;
	}
	/* getopt_long wants a program name first, and reorders what it reads:
	 * a copy, so that argv stays as given (it is re-executed) */
	char **args = calloc((size_t)(argc - first) + 2, sizeof(char *));
	if (!args) {
		snprintf(err, n, "out of memory");
		return -1;
	}
	args[0] = "run";
	memcpy(args + 1, argv + first, (size_t)(argc - first) * sizeof(char *));
	rc = read_options(o, argc - first + 1, args, err, n);
	free(args);
	if (rc)
		return -1;
	if (!o->wl && !o->list && !o->help) {
		snprintf(err, n, "no workload given (nanobench run WORKLOAD ...; see nanobench run --list)");
		return -1;
	}
	if (o->header && o->format != RUN_FMT_CSV) {
		snprintf(err, n, "--header goes with --csv");
		return -1;
	}
	return 0;
}

void run_opts_params(const struct run_opts *o, char *out, size_t n)
{
	size_t len = 0;
	out[0] = 0;
	for (unsigned i = 0; o->wl && i < o->wl->nparams && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s=%lld", i ? ";" : "",
					o->wl->params[i].name, (long long)o->param[i]);
}
