/*
 * run_opts.c - parsing `nanobench run` (see run_opts.h).
 *
 * The workload comes first (its parameters are options too, so it must be
 * known before they are read); options take their value as the next
 * argument or after '=' (--threads 4, --threads=4).
 */
#include "run_opts.h"

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

static int set_param(struct run_opts *o, int i, const char *opt, const char *val,
		     char *err, size_t n)
{
	const struct wl_param *p = &o->wl->params[i];
	return number(opt, val, p->min, p->max, &o->param[i], err, n);
}

static int flag(struct run_opts *o, const char *name)
{
	if (strcmp(name, "oversubscribe") == 0)
		o->oversubscribe = 1;
	else if (strcmp(name, "csv") == 0)
		o->format = RUN_FMT_CSV;
	else if (strcmp(name, "json") == 0)
		o->format = RUN_FMT_JSON;
	else if (strcmp(name, "header") == 0)
		o->header = 1;
	else if (strcmp(name, "help") == 0)
		o->help = 1;
	else if (strcmp(name, "list") == 0)
		o->list = 1;
	else
		return 0;
	return 1;
}

static int option(struct run_opts *o, const char *opt, const char *name, const char *val,
		  char *err, size_t n)
{
	int64_t v;
	int pi = o->wl ? wl_param_index(o->wl, name) : -1;

	if (pi >= 0)
		return set_param(o, pi, opt, val, err, n);
	if (strcmp(name, "threads") == 0) {
		if (number(opt, val, 1, WL_MAX_THREADS, &v, err, n))
			return -1;
		o->threads = (unsigned)v;
	} else if (strcmp(name, "placement") == 0) {
		return wl_place_parse(&o->placement, val, err, n);
	} else if (strcmp(name, "allocator") == 0) {
		o->allocator = val;
	} else if (strcmp(name, "preloaded") == 0) {
		o->preloaded = val;
	} else if (strcmp(name, "setenv") == 0) {
		if (!strchr(val, '=') || val[0] == '=' || o->nenv == RUN_MAX_ENV) {
			snprintf(err, n, "%s '%s': expected VAR=VALUE (at most %d)", opt, val, RUN_MAX_ENV);
			return -1;
		}
		o->env[o->nenv++] = (char *)val;
	} else if (strcmp(name, "size-dist") == 0) {
		o->size_dist = val;
	} else if (strcmp(name, "seed") == 0) {
		if (number(opt, val, 0, INT64_MAX, &v, err, n))
			return -1;
		o->seed = (uint64_t)v;
	} else if (strcmp(name, "duration") == 0) {
		if (o->end == WL_END_OPS)
			goto both;
		o->end = WL_END_TIME;
		return seconds(opt, val, &o->seconds, err, n);
	} else if (strcmp(name, "ops") == 0) {
		if (o->end == WL_END_TIME)
			goto both;
		if (number(opt, val, 1, 1000000000000000LL, &v, err, n))
			return -1;
		o->end = WL_END_OPS;
		o->ops = (uint64_t)v;
	} else if (strcmp(name, "sample-every") == 0) {
		if (number(opt, val, 1, 1000000000, &v, err, n))
			return -1;
		o->sample_every = (unsigned)v;
	} else if (strcmp(name, "topology-xml") == 0) {
		o->topology_xml = val;
	} else if (strcmp(name, "record-fd") == 0) {
		if (number(opt, val, 0, 65535, &v, err, n))
			return -1;
		if (fcntl((int)v, F_GETFD) < 0) {
			snprintf(err, n, "%s '%s': not an open file descriptor", opt, val);
			return -1;
		}
		o->record_fd = (int)v;
	} else {
		snprintf(err, n, "unknown option '%s' for %s%s (see nanobench run --help%s)", opt,
			 o->wl ? "workload " : "run", o->wl ? o->wl->name : "",
			 o->wl ? " and --list" : "");
		return -1;
	}
	return 0;
both:
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

int run_opts_parse(struct run_opts *o, int argc, char **argv, char *err, size_t n)
{
	int i = 0;
	defaults(o);
	if (argc > 0 && strncmp(argv[0], "--", 2) != 0) {
		if (pick_workload(o, argv[0], err, n))
			return -1;
		i = 1;
	}
	for (; i < argc; i++) {
		const char *arg = argv[i];
		char name[64];
		if (strncmp(arg, "--", 2) != 0) {
			snprintf(err, n, "unexpected argument '%s' (the workload comes first: "
				 "nanobench run WORKLOAD [--OPTION VALUE ...])", arg);
			return -1;
		}
		const char *eq = strchr(arg, '=');
		size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		snprintf(name, sizeof(name), "%.*s", (int)(len < 63 ? len : 63), arg + 2);
		if (!eq && flag(o, name))
			continue;
		const char *val = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
		if (!val) {
			snprintf(err, n, "option '%s' needs a value", arg);
			return -1;
		}
		if (option(o, arg, name, val, err, n))
			return -1;
	}
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
