/*
 * run_opts.h - the options of `nanobench run`, parsed and checked.
 *
 * Owns: the command line of one cell. Every value is checked here, before
 * anything runs or re-executes, so bad input always ends the same way: one
 * line on stderr naming the value and what is accepted, exit status 2.
 */
#ifndef RUN_OPTS_H
#define RUN_OPTS_H

#include <stdint.h>

#include "run_record.h"
#include "wl_harness.h"
#include "wl_place.h"

#define RUN_MAX_ENV 32

struct run_opts {
	const struct wl_workload *wl;
	int64_t param[WL_MAX_PARAMS];
	const char *size_dist;
	unsigned threads;
	struct wl_placement placement;
	int oversubscribe;
	const char *allocator;          /* NULL: whatever this process has */
	const char *preloaded;          /* hidden: set in the re-executed child */
	char *env[RUN_MAX_ENV];         /* --setenv VAR=VALUE */
	int nenv;
	uint64_t seed;
	enum wl_end end;
	uint64_t ops;
	double seconds;
	unsigned sample_every;
	const char *topology_xml;
	enum run_format format;
	int header;
	int record_fd;
	int list, help;
};

/* Parse argv (after "run"). Returns 0, or -1 with a one-line message. */
int run_opts_parse(struct run_opts *o, int argc, char **argv, char *err, size_t errlen);

/* "NAME=VALUE;..." of the workload parameters in effect. */
void run_opts_params(const struct run_opts *o, char *out, size_t n);

#endif
