/*
 * run_procs.h - the processes of a [program] cell: what surrounds them and
 * what they reported about their allocator.
 *
 * Owns: a program cell's scratch folder, its preload (a counting library of
 * runners/count/ ahead of the allocator under test), the report file the
 * processes write (format in runners/count/run_count.h), and the verdict
 * over that report: whether every process ended, bound the preload, reached
 * the allocator under test, ran nano's rseq front where asked, and got its
 * small requests served by nano (at least RUN_PROCS_MIN_SHARE of them).
 * Running the cell is run_matrix_run.c's; this module never starts a
 * process.
 *
 * The environment a program cell gets from here:
 *   LD_PRELOAD              libnanobench_count.so:ALLOCATOR, or, for glibc,
 *                           libnanobench_glibc.so (forwarding to libc's own
 *                           malloc even where the program links another)
 *   NANOBENCH_ALLOC_REPORT  the report file (logs/cell-N.procs, kept when
 *                           the cell fails)
 *   NANOBENCH_CELL_DIR      an empty folder of the cell's own, removed with
 *                           everything in it when the cell ends, however it
 *                           ends (a server's socket, temporary files)
 *   NANOBENCH_PROGRAMS      the folder of the scripts the shipped programs
 *                           run (runners/programs, installed under
 *                           share/nanobench/programs), when it exists
 */
#ifndef RUN_PROCS_H
#define RUN_PROCS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* Share of the small requests nano must serve in a nano cell. */
#define RUN_PROCS_MIN_SHARE 0.90
/* Processes with fewer calls are left out of the share (a shell, a pipe's
 * tail): what they do is start-up, not the program. */
#define RUN_PROCS_EXEMPT_CALLS 1000
/* Share of all calls that may go around the allocator (glibc's __libc_*
 * names called by the program) before a cell fails. */
#define RUN_PROCS_MAX_BYPASS 0.10

#define RUN_PROCS_NENV 4

struct run_procs {
	char report[PATH_MAX];
	char scratch[PATH_MAX];
	char shim[PATH_MAX];          /* the counting library (real path) */
	char target[PATH_MAX];        /* the allocator's library; "" = glibc */
	int rseq;                     /* the cell asks for nano's rseq front */
	uint64_t min_calls;           /* fewer calls fail the cell (0: no minimum) */
	unsigned nenv;
	char env[RUN_PROCS_NENV][2 * PATH_MAX + 32];   /* VAR=VALUE for the cell */
};

/* What the report says, summed over the cell's processes. */
struct run_procs_sum {
	unsigned nprocs;              /* incarnations: loads, forks and execs */
	uint64_t calls;               /* allocs + frees + reallocs, all processes */
	uint64_t bypass;              /* calls around the allocator */
	double nano_share;            /* served / small requests; < 0: not nano */
	char main_exe[256];           /* the process with the most calls */
	uint64_t main_calls;
	uint64_t main_hwm_kib;        /* its peak resident set (VmHWM) */
	double main_s;                /* its lifetime, load to exit (0: unknown) */
	char library[PATH_MAX];       /* the file its calls were forwarded to */
	char nano_front[16];          /* its nano front, "" when not nano */
	char nano_reason[256];
};

/* Set up a cell: index numbers its files in the run folder dir; alloc_lib
 * is the allocator's library ("" for glibc); rseq says whether the cell
 * asks for nano's rseq front. Creates the scratch folder (empty) and
 * removes a report left by an earlier try. 0, or -1 with why. */
int run_procs_prepare(struct run_procs *p, const char *dir, unsigned index, const char *alloc_lib,
		      int rseq, uint64_t min_calls, char *why, size_t len);

/* Read the report and judge it. 0 when every check passes; -1 with the
 * first failed check in why (one line). s is filled either way, with what
 * could be read. */
int run_procs_verdict(const struct run_procs *p, struct run_procs_sum *s, char *why, size_t len);

/* After the cell: remove the scratch folder and everything in it, and the
 * report unless keep_report. */
void run_procs_cleanup(const struct run_procs *p, int keep_report);

#endif
