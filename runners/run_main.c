/*
 * run_main.c - nanobench's main(): the table of subcommands.
 *
 * Each subcommand is a name, a one-line summary and a function that gets the
 * whole argv (argv[1] is its name) and returns the exit status.
 * `nanobench --version` prints the version, commit and dirty flag baked in
 * at build time (results/res_build.h). The man page (runners/gen_man.py)
 * and the bash completion (runners/nanobench.bash) are made from what
 * --help prints here and in each subcommand, so they cannot drift apart.
 */
#include <stdio.h>
#include <string.h>

#include "res_build.h"
#include "run_cmds.h"

struct subcommand {
	const char *name;
	const char *summary;
	int (*fn)(int argc, char **argv);
};

static const struct subcommand subcommands[] = {
	{ "run", "run one cell: a workload, threads, placement, allocator -> one record", run_cmd_run },
	{ "topo", "show the topology, placements and nano's magazine maps", run_cmd_topo },
	{ "matrix", "run a benchmark matrix (file or preset) into a run folder", run_cmd_matrix },
	{ "plot", "draw the plots of a run folder (PNG + SVG) and add them to summary.md", run_cmd_plot },
	{ "tune", "find nano's best hyper_shift / magazine map here; write a profile", run_cmd_tune },
	{ "compare", "compare two run folders cell by cell, beyond the noise", run_cmd_compare },
	{ "merge", "combine the partial run folders of --emit-jobs into one", run_cmd_merge },
};

#define NSUB (sizeof(subcommands) / sizeof(subcommands[0]))

int run_usage_error(const char *msg)
{
	fprintf(stderr, "nanobench: %s\n", msg);
	return 2;
}

static void print_help(void)
{
	printf("usage: nanobench SUBCOMMAND [OPTIONS]   (nanobench SUBCOMMAND --help)\n"
	       "       nanobench --version\n\n"
	       "A benchmark suite for multithreaded memory allocators, built around a Linux\n"
	       "port of Apple's nano zone: matrices of allocator x workload x threads, each\n"
	       "cell in its own process with the allocator preloaded.\n\n"
	       "subcommands:\n");
	for (size_t i = 0; i < NSUB; i++)
		printf("  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
	printf("\n  --version  the version, the git commit it was built from and whether\n"
	       "             that tree had uncommitted changes\n"
	       "\nexit status: 0 success, 1 some cells failed, 2 bad usage or input,\n"
	       "3 a run folder could not be written (matrix, tune: a full disk)\n");
}

/* "nanobench 0.1.0, commit 842ffac9759c (clean tree)": NB_COMMIT is `git
 * describe --always --dirty` at build time, "unknown" outside a git tree. */
static void print_version(void)
{
	const char *c = NB_COMMIT, *d = strstr(c, "-dirty");
	int n = d ? (int)(d - c) : (int)strlen(c);
	printf("nanobench %s, commit %.*s (%s)\n", NB_VERSION, n, c,
	       d ? "dirty: the tree had uncommitted changes" :
	       strcmp(c, "unknown") ? "clean tree" : "not built from a git tree");
}

int main(int argc, char **argv)
{
	char msg[256];

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		print_help();
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		if (argc > 2)
			return run_usage_error("--version takes no arguments");
		print_version();
		return 0;
	}
	for (size_t i = 0; i < NSUB; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].fn(argc, argv);
	snprintf(msg, sizeof(msg), "unknown subcommand '%s' (expected run, topo, matrix, compare, merge, plot or tune; "
		 "see nanobench --help)", argv[1]);
	return run_usage_error(msg);
}
