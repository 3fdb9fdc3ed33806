/*
 * run_cmd_matrix.c - `nanobench matrix`: run a matrix into a run folder.
 *
 * The driver: load the matrix (a file or a preset), describe the machine
 * (hwloc; the topology is exported as XML into the run folder and handed to
 * every cell, so the measured process does no discovery), expand the cells,
 * then run each in its own process (run_exec) and append its row to
 * results.csv as soon as it ends. A crash, a non-zero exit, a timeout or a
 * preload that did not take effect is a failed row with its reason; the
 * matrix goes on and exits 1 at the end. Ctrl-C stops the running cell
 * (marked interrupted in meta.json, no row) and keeps every completed one;
 * `--resume DIR` runs only the cells that have no row yet.
 *
 * Row = the matrix's own columns (run_row.c) + the record of
 * `nanobench run` (or, for [program] cells, the process's own usage).
 */
#include "run_args.h"
#include "run_cmds.h"
#include "run_matrix_run.h"
#include "run_alloc.h"
#include "run_exec.h"
#include "run_program.h"
#include "run_row.h"
#include "run_util.h"
#include "wl_topo.h"

#include "res_csv.h"
#include "res_meta.h"
#include "res_summary.h"

#include <errno.h>
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct matrix_args {
	const char *file, *preset, *out, *resume;
	int dry_run, emit_jobs, quiet;
	long only_block;
	const char *jobs_format;      /* parallel | slurm */
	struct run_machine machine;   /* --machine: expand for it, not this host */
	int machine_set;
};

static void usage(FILE *f)
{
	fputs("usage: nanobench matrix FILE|--preset NAME [--out DIR] [--dry-run]\n"
	      "       nanobench matrix --resume DIR\n"
	      "       nanobench matrix FILE|--preset NAME --emit-jobs [--jobs-format parallel|slurm] --out DIR\n"
	      "\n"
	      "Runs every cell of a matrix, each in its own process with its allocator\n"
	      "preloaded, into a run folder: results.csv (one row per cell, appended as\n"
	      "cells finish), meta.json, topology.xml, matrix.ini, logs/, summary.md and\n"
	      "plots/. Default folder: results/runs/<date>-<host>-<name>.\n"
	      "\n"
	      "  --preset NAME      a shipped matrix, one of\n", f);
	fprintf(f, "                     %s\n", run_preset_names());
	fputs("                     (reference runs the published programs, built by\n"
	      "                     you, from $NANOBENCH_REFERENCE_DIR)\n"
	      "  --out DIR          the run folder (must not hold a different run)\n"
	      "  --resume DIR       run the cells of DIR that have no row yet\n"
	      "  --dry-run          print the expanded cells and the estimated time\n"
	      "  --emit-jobs        print one job line per comparison block (GNU parallel\n"
	      "                     or a Slurm array); each job writes DIR/part-BLOCK;\n"
	      "                     combine them with `nanobench merge`\n"
	      "  --block N          run comparison block N only (what a job runs)\n"
	      "  --machine PUS:CORES  expand the matrix for a machine of PUS hardware\n"
	      "                     threads and CORES cores, not this host (--emit-jobs\n"
	      "                     puts its own in every job line, so block N is the\n"
	      "                     same cells on hosts of any size; a host too small\n"
	      "                     for the cells it is to run is refused, exit 2)\n"
	      "  --quiet            no progress output\n"
	      "\n"
	      "The matrix is checked whole before anything runs or is written: an unknown\n"
	      "workload, parameter, size distribution or placement, a bad number, an item\n"
	      "listed twice is refused with FILE:LINE (--dry-run too). A row that cannot be\n"
	      "written (a full disk) stops the run; --resume repairs results.csv (lines that\n"
	      "are not rows go to rejected-rows.txt, named by line) and runs what is missing.\n"
	      "\n"
	      "Exit status: 0 all cells ok, 1 some cells failed or interrupted, 2 bad usage\n"
	      "or input, 3 the run folder could not be written (every row written is kept).\n", f);
}

/* 0, -1 after --help, or 2 (bad usage, said on stderr). */
static int parse_args(int argc, char **argv, struct matrix_args *a)
{
	static const struct option opts[] = {
		{ "preset", required_argument, NULL, 'p' }, { "out", required_argument, NULL, 'o' },
		{ "resume", required_argument, NULL, 'r' }, { "dry-run", no_argument, NULL, 'n' },
		{ "emit-jobs", no_argument, NULL, 'e' }, { "jobs-format", required_argument, NULL, 'f' },
		{ "block", required_argument, NULL, 'b' }, { "quiet", no_argument, NULL, 'q' },
		{ "machine", required_argument, NULL, 'm' }, RUN_ARGS_HELP_AND_END,
	};
	struct run_args r;
	char **rest, *end;
	int c;

	memset(a, 0, sizeof(*a));
	a->only_block = -1;
	a->jobs_format = "parallel";
	run_args_begin(&r, "matrix", argc, argv, opts);
	while ((c = run_args_next(&r)) != -1) {
		switch (c) {
		case 'p': a->preset = r.val; break;
		case 'o': a->out = r.val; break;
		case 'r': a->resume = r.val; break;
		case 'n': a->dry_run = 1; break;
		case 'e': a->emit_jobs = 1; break;
		case 'f': a->jobs_format = r.val; break;
		case 'q': a->quiet = 1; break;
		case 'b':
			a->only_block = strtol(r.val, &end, 10);
			if (!*r.val || *end || a->only_block < 0)
				return run_args_fail("matrix", "--block '%s' is not a block number (0 or more)",
						     r.val);
			break;
		case 'm':
			if (run_machine_parse(r.val, &a->machine))
				return run_args_fail("matrix", "--machine '%s' is not PUS:CORES (hardware "
						     "threads and cores, 1 to 4096, cores at most PUS; "
						     "e.g. 128:64)", r.val);
			a->machine_set = 1;
			break;
		case RUN_ARG_HELP: usage(stdout); return -1;
		default: return run_args_fail("matrix", "%s", r.err);
		}
	}
	int nrest = run_args_rest(&r, &rest);
	if (nrest > 1)
		return run_args_fail("matrix", "unexpected argument '%s' (one matrix FILE at most)",
				     rest[1]);
	a->file = nrest ? rest[0] : NULL;
	if (!!a->file + !!a->preset + (a->resume && !a->file && !a->preset) != 1)
		return run_args_fail("matrix", "name one matrix: a FILE, --preset NAME or --resume DIR");
	if (strcmp(a->jobs_format, "parallel") && strcmp(a->jobs_format, "slurm"))
		return run_args_fail("matrix", "--jobs-format '%s' is not parallel or slurm",
				     a->jobs_format);
	if (a->emit_jobs && !a->out)
		return run_args_fail("matrix", "--emit-jobs needs --out DIR (where the parts go)");
	return 0;
}

/* ------------------------------------------------------------------------
 * The machine
 * ---------------------------------------------------------------------- */

static int describe_machine(struct wl_topo *topo, struct run_machine *mach, char *summary,
			    size_t len)
{
	struct wl_topo_summary s;
	char err[512];

	if (wl_topo_load(topo, NULL, NULL, err, sizeof(err))) {
		fprintf(stderr, "nanobench matrix: hwloc could not read this machine's topology: %s\n",
			err);
		return -1;
	}
	wl_topo_summarise(topo, &s);
	mach->npus = s.pus;
	mach->ncores = s.cores ? s.cores : s.pus;
	int l = snprintf(summary, len, "%u packages, %u NUMA nodes, %u cores, %u PUs", s.packages,
			 s.numa_nodes, mach->ncores, mach->npus);
	if (s.disallowed && l > 0 && (size_t)l < len) {
		char cpus[1024];
		wl_topo_cpu_list(topo, cpus, sizeof(cpus));
		snprintf(summary + l, len - (size_t)l, " (CPUs %s; %u more not allowed to this process)",
			 cpus, s.disallowed);
	}
	return 0;
}

/* Allocators whose library cannot be found: an error, or (skip_missing)
 * dropped with a warning, so that a preset means "every installed one". */
static int check_allocators(struct run_matrix *m)
{
	unsigned kept = 0;
	for (unsigned i = 0; i < m->nalloc; i++) {
		struct run_alloc ra;
		char err[512];
		if (run_alloc_resolve(m->alloc[i].base, &ra, err, sizeof(err)) != 0) {
			if (!m->skip_missing) {
				/* the [allocator] section, or the allocators line */
				int line = m->alloc[i].line ? m->alloc[i].line : m->allocator_names.line;
				fprintf(stderr, "nanobench matrix: %s:%d: %s\n", m->path, line, err);
				return -1;
			}
			fprintf(stderr, "nanobench matrix: skipping allocator %s: %s\n", m->alloc[i].name, err);
			continue;
		}
		if (kept != i)
			m->alloc[kept] = m->alloc[i];
		kept++;
	}
	m->nalloc = kept;
	if (!kept) {
		fprintf(stderr, "nanobench matrix: %s: none of the allocators is available\n", m->path);
		return -1;
	}
	return 0;
}

/* [program] sections whose `requires` is missing are dropped with one line
 * each (a preset of programs built outside nanobench: `reference`); a
 * matrix left with nothing to run is refused. */
static int check_programs(struct run_matrix *m)
{
	unsigned kept = 0;
	for (unsigned i = 0; i < m->nwl; i++) {
		char path[1024], why[1200];
		const struct run_wl *w = &m->wl[i];
		if (w->is_program && w->requires[0] &&
		    run_program_present(w->requires, path, sizeof(path), why, sizeof(why))) {
			fprintf(stderr, "nanobench matrix: skipping program %s: %s\n", w->name, why);
			continue;
		}
		if (kept != i)
			m->wl[kept] = m->wl[i];
		kept++;
	}
	m->nwl = kept;
	if (!kept) {
		fprintf(stderr, "nanobench matrix: %s: nothing to run (every program's `requires` is "
			"missing%s)\n", m->path, getenv("NANOBENCH_REFERENCE_DIR") ? "" :
			"; NANOBENCH_REFERENCE_DIR is not set");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Dry run and jobs
 * ---------------------------------------------------------------------- */

static double estimate_s(const struct run_cell *c, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += run_cell_estimate_s(&c[i]);
	return s;
}

static void dry_run(const struct run_matrix *m, const struct run_cell *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%5zu block %-3u %s%s\n", i, c[i].block, c[i].key, c[i].warmup ? "  (warm-up)" : "");
	double s = estimate_s(c, n);
	if (m->auto_reps)
		printf("repetitions = auto: %u to %u per block (until every ratio to glibc is known "
		       "within +-5%%); the cells and the estimate count %u\n", m->repetitions,
		       m->max_repetitions, m->max_repetitions);
	printf("matrix %s: %zu cells in %u blocks, about %.0f min %.0f s\n", m->name, n,
	       n ? c[n - 1].block + 1 : 0, s / 60 > 1 ? (double)(long)(s / 60) : 0,
	       s - 60 * (double)(long)(s / 60));
}

/* path made absolute (the folder need not exist yet): job lines run from
 * any directory, on any host that has the same paths. */
static int absolute(const char *path, char *buf, size_t len)
{
	char cwd[4096];
	if (path[0] == '/') {
		snprintf(buf, len, "%s", path);
		return 0;
	}
	if (!getcwd(cwd, sizeof(cwd)) || strlen(cwd) + strlen(path) + 2 > len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcat(strcat(strcpy(buf, cwd), "/"), path);
	return 0;
}

/* One job line per block, each carrying the machine the cells were
 * resolved for here (--machine), so that every job runs the cells this
 * expansion names, whatever the size of the host that picks it up. */
static int emit_jobs(const struct matrix_args *a, const char *matrix_path, const struct run_cell *c,
		     size_t n, const struct run_machine *mach)
{
	unsigned blocks = n ? c[n - 1].block + 1 : 0;
	char self[4096], mq[8300] = "", oq[8300] = "", mabs[4096], oabs[4096], part[4120];
	if (!realpath(matrix_path, mabs) || absolute(a->out, oabs, sizeof(oabs))) {
		fprintf(stderr, "nanobench matrix: cannot make the paths of the job lines absolute: %s\n",
			strerror(errno));
		return 2;
	}
	run_self_exe(self, sizeof(self));
	run_shell_quote(mq, sizeof(mq), mabs);
	if (!strcmp(a->jobs_format, "slurm")) {
		snprintf(part, sizeof(part), "%s/part-", oabs);
		run_shell_quote(oq, sizeof(oq), part);
		printf("#!/bin/sh\n#SBATCH --array=0-%u\n#SBATCH --exclusive\n", blocks ? blocks - 1 : 0);
		printf("exec '%s' matrix %s --block \"$SLURM_ARRAY_TASK_ID\" --machine %u:%u --out "
		       "%s\"$SLURM_ARRAY_TASK_ID\" --quiet\n", self, mq, mach->npus, mach->ncores, oq);
		return 0;
	}
	for (unsigned b = 0; b < blocks; b++) {
		snprintf(part, sizeof(part), "%s/part-%u", oabs, b);
		oq[0] = 0;
		run_shell_quote(oq, sizeof(oq), part);
		printf("'%s' matrix %s --block %u --machine %u:%u --out %s --quiet\n", self, mq, b,
		       mach->npus, mach->ncores, oq);
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Main
 * ---------------------------------------------------------------------- */

/* --resume DIR of a folder that recorded the machine its cells were
 * expanded for, and (a job's part) its block: the same cells again, unless
 * the command line says otherwise (and then it must agree). 0, or -1 with a
 * message. */
static int resume_resolution(struct matrix_args *a, struct run_resolved *rv)
{
	long pus, cores, block;
	char by[32];
	if (res_meta_get_long(a->resume, "cells_pus", &pus) ||
	    res_meta_get_long(a->resume, "cells_cores", &cores))
		return 0;             /* a folder of an older version: this host */
	struct run_machine was = { (unsigned)pus, (unsigned)cores };
	if (a->machine_set && (was.npus != a->machine.npus || was.ncores != a->machine.ncores)) {
		fprintf(stderr, "nanobench matrix: --resume %s: its cells were resolved for %ld:%ld, "
			"--machine says %u:%u\n", a->resume, pus, cores, a->machine.npus,
			a->machine.ncores);
		return -1;
	}
	a->machine = was;
	a->machine_set = 1;
	rv->at_emit = !res_meta_get(a->resume, "cells_resolved", by, sizeof(by)) &&
		      !strcmp(by, "emit-jobs");
	if (a->only_block < 0 && !res_meta_get_long(a->resume, "block", &block) && block >= 0)
		a->only_block = block;
	return 0;
}

/* After expanding: a --block that names no block, and cells expanded for
 * another machine that this host cannot run, are refused before anything
 * is written. */
static int check_selection(const struct matrix_args *a, const struct run_cell *cells, size_t n,
			   const struct run_resolved *rv, const struct run_machine *host,
			   hwloc_topology_t topo)
{
	unsigned blocks = n ? cells[n - 1].block + 1 : 0;
	char err[1024];
	if (a->only_block >= (long)blocks) {
		fprintf(stderr, "nanobench matrix: --block %ld: the matrix has %u blocks (0 to %u) on "
			"a machine of %u:%u\n", a->only_block, blocks, blocks ? blocks - 1 : 0,
			rv->mach.npus, rv->mach.ncores);
		return -1;
	}
	if (a->machine_set && !a->dry_run && !a->emit_jobs &&
	    run_cells_fit_host(cells, n, a->only_block, rv, host, topo, err, sizeof(err))) {
		fprintf(stderr, "nanobench matrix: %s\n", err);
		return -1;
	}
	return 0;
}

static int run_matrix_main(int argc, char **argv)
{
	struct matrix_args a;
	static struct run_matrix m;
	struct run_machine host;
	struct run_resolved rv = { { 0, 0 }, 0 };
	struct run_cell *cells = NULL;
	struct wl_topo topo;
	char err[1024], summary[1400], path[4096], dir[4096];
	int n, rc;

	if ((rc = parse_args(argc, argv, &a)))
		return rc < 0 ? 0 : rc;
	if (a.resume && resume_resolution(&a, &rv))
		return 2;
	if (a.resume && !a.file && !a.preset)
		snprintf(path, sizeof(path), "%s/matrix.ini", a.resume);
	else if (a.preset && run_find_preset(a.preset, path, sizeof(path)) != 0) {
		fprintf(stderr, "nanobench matrix: unknown preset '%s' (expected one of: %s)\n", a.preset,
			run_preset_names());
		return 2;
	} else if (a.file)
		snprintf(path, sizeof(path), "%s", a.file);
	if (run_matrix_load(path, &m, err, sizeof(err))) {
		fprintf(stderr, "nanobench matrix: %s\n", err);
		return 2;
	}
	/* a matrix without a name line is named after its file, which a run
	 * folder keeps as matrix.ini: the run's own name is in its meta.json */
	if (a.resume && !res_meta_get(a.resume, "matrix", err, sizeof(err)) && err[0])
		snprintf(m.name, sizeof(m.name), "%.*s", (int)sizeof(m.name) - 1, err);
	if (check_allocators(&m) || check_programs(&m) ||
	    describe_machine(&topo, &host, summary, sizeof(summary)))
		return 2;
	rv.mach = a.machine_set ? a.machine : host;
	rv.at_emit = rv.at_emit || (a.machine_set && !a.resume);
	/* cells for another machine: whether a placement has room is a
	 * question for the host that runs them (check_selection) */
	if (run_matrix_check(&m, &rv.mach, a.machine_set ? NULL : topo.h, err, sizeof(err))) {
		fprintf(stderr, "nanobench matrix: %s\n", err);
		wl_topo_destroy(&topo);
		return 2;
	}
	n = run_matrix_expand(&m, &rv.mach, &cells, err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "nanobench matrix: %s: %s\n", path, err);
		wl_topo_destroy(&topo);
		return 2;
	}
	if (check_selection(&a, cells, (size_t)n, &rv, &host, topo.h)) {
		rc = 2;
	} else if (a.dry_run) {
		dry_run(&m, cells, (size_t)n);
		rc = 0;
	} else if (a.emit_jobs) {
		rc = emit_jobs(&a, path, cells, (size_t)n, &rv.mach);
	} else {
		if (a.resume)
			snprintf(dir, sizeof(dir), "%s", a.resume);
		else if (a.out)
			snprintf(dir, sizeof(dir), "%s", a.out);
		else
			run_default_dir(m.name, dir, sizeof(dir));
		rc = run_matrix_execute(&m, path, cells, (size_t)n, &topo, summary, &rv, dir,
					!!a.resume, a.only_block, a.quiet);
	}
	free(cells);
	wl_topo_destroy(&topo);
	return rc;
}

int run_cmd_matrix(int argc, char **argv)
{
	return run_matrix_main(argc - 1, argv + 1);
}
