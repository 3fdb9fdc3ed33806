/*
 * run_matrix.h - a benchmark matrix: what a matrix file says, and the cells
 * it expands into.
 *
 * Owns: the matrix model (run_matrix_file.c parses it from INI,
 * run_matrix_check.c checks it against what `nanobench run` accepts,
 * run_expand.c turns it into cells for one machine), the cell's identity and
 * its planned cost. Running the cells into a run folder is run_matrix_run.h
 * (each cell's process: run_exec.h); the command line is run_cmd_matrix.c.
 *
 * A matrix file:
 *
 *   [matrix]                   ; the axes every workload gets unless it says
 *   name = quick               ;   otherwise
 *   allocators = glibc nano nano-rseq jemalloc mimalloc tcmalloc
 *   threads = 1 all            ; numbers, all, cores, half, 1..N, pow2
 *   placements = compact
 *   size_dists = classic nano  ; classic: the workload's published sizes
 *   hyper_shifts = default     ; nano cells only: default or 0..16
 *   maps = shift               ; nano cells only: shift topology cpu
 *   skip_missing = 1           ; drop allocators that are not installed
 *   repetitions = 3            ; or auto: per block, from 6 until every
 *                              ;   allocator's 95% interval of its ratio to
 *                              ;   glibc is within +-5% (run_auto.h)
 *   max_repetitions = 15       ; the cap of repetitions = auto
 *   warmup = 1                 ; runs per block and allocator, discarded
 *   duration = 1               ; seconds per cell, or natural: the workload's
 *                              ;   own fixed amount of work (its published
 *                              ;   iteration counts; measured as time taken)
 *   timeout = 60               ; seconds before a cell is killed
 *   seed = 1
 *
 *   [allocator jemalloc-percpu]   ; a named variant
 *   base = jemalloc
 *   env = MALLOC_CONF=percpu_arena:percpu
 *
 *   [workload larson]          ; any other key is a workload parameter
 *   chunks = 5000
 *   threads = 1 all            ; per-workload overrides of the axes
 *
 *   [program sqlite-insert]    ; an external program, measured whole
 *   command = sqlite3 :memory:  ; run with /bin/sh -c; lines are at most
 *     "CREATE TABLE ..."       ;   198 characters, so a long value (command
 *                              ;   or list) goes on indented continuation
 *                              ;   lines; a key given twice is refused
 *   check_output = 1           ; compare stdout with the glibc run
 *   metric = Throughput = *([0-9.]+)  ; the program's own figure: an extended
 *                              ;   regex, first capture group, first match in
 *                              ;   stdout, then stderr (none: 1 / wall time)
 *   metric_unit = ops/s        ; its unit, for the tables
 *   higher_is_better = 1       ; 0 for a time: ratios are inverted so that
 *                              ;   above 1 still means faster
 *   requires = $NANOBENCH_REFERENCE_DIR/larson  ; an executable that must
 *                              ;   exist ($VAR expanded), else the section is
 *                              ;   skipped with one line (never failed)
 *   min_calls = 1000000        ; fail a cell whose processes made fewer
 *                              ;   allocator calls through the preload
 *                              ;   (run_procs.h: every program cell is
 *                              ;   checked to have run on its allocator)
 *
 * Comments start with ; or # at the start of a line, or after whitespace.
 *
 * Everything is checked before anything is written, and an error names the
 * file and line: an unknown key, workload, parameter, allocator, size
 * distribution, placement, hyper_shift, map or thread spec, a value that is
 * not a number, a list that names one item twice, a line too long.
 */
#ifndef RUN_MATRIX_H
#define RUN_MATRIX_H

#include <stddef.h>

#define RUN_MAX_LIST 32
/* Thread counts a thread list expands to: 1..all on a machine of 1024
 * hardware threads, the most a cell runs (WL_MAX_THREADS). */
#define RUN_MAX_THREAD_COUNTS 1024
#define RUN_MATRIX_MAX_ENV 8
#define RUN_MAX_PARAMS 24
#define RUN_NAME 64
#define RUN_ITEM 256      /* a list item: may be NAME=/path/lib.so */

struct run_list {
	unsigned n;
	char item[RUN_MAX_LIST][RUN_ITEM];
	int line;                     /* where the file set it (0: a default) */
};

/* An allocator of the matrix: a plain name (glibc, nano, ...), NAME=/path,
 * or a [allocator NAME] section with a base and environment settings. */
struct run_alloc_def {
	char name[RUN_NAME];          /* label in the results */
	char base[256];               /* what `nanobench run --allocator` gets */
	unsigned nenv;
	char env[RUN_MATRIX_MAX_ENV][256];   /* KEY=VALUE the cell sets */
	int is_nano;                  /* multiplies by hyper_shifts x maps */
	int line;                     /* [allocator NAME] header, for messages */
};

/* Per-section axes; an empty list means "use the [matrix] one". */
#define RUN_NATURAL (-1.0)
/* What a natural-length cell is assumed to take, for estimates only. */
#define RUN_NATURAL_ESTIMATE_S 1.0

struct run_axes {
	struct run_list threads, placements, size_dists, hyper_shifts, maps;
	double duration;              /* 0: inherit; RUN_NATURAL: the workload's own length */
};

struct run_wl {
	char name[RUN_NAME];          /* section name: the label in the results */
	char workload[RUN_NAME];      /* workload to run (= name unless workload=) */
	int is_program;
	char command[1024];           /* [program]: run with /bin/sh -c */
	int check_output;
	unsigned min_calls;           /* [program]: fewer allocator calls fail the cell */
	char metric[256];             /* [program]: regex of its figure, "" = 1 / wall */
	char metric_unit[32];
	int higher_is_better;         /* of the metric (default 1) */
	char requires[512];           /* [program]: executable that must exist */
	unsigned nparams;
	char pkey[RUN_MAX_PARAMS][RUN_NAME];
	char pval[RUN_MAX_PARAMS][RUN_NAME];
	int pline[RUN_MAX_PARAMS];    /* the line of each parameter */
	struct run_axes axes;
	int line;                     /* where the section starts, for messages */
	int wline;                    /* the line of workload = (0: none) */
};

struct run_matrix {
	char name[RUN_NAME];
	char description[256];
	char path[1024];              /* the file it came from */
	struct run_list allocator_names;
	unsigned nalloc;
	struct run_alloc_def alloc[RUN_MAX_LIST];
	unsigned nwl;
	struct run_wl wl[RUN_MAX_LIST];
	struct run_axes axes;
	unsigned repetitions, warmup;  /* auto: repetitions is the first count checked */
	int auto_reps;                 /* repetitions = auto */
	unsigned max_repetitions;      /* its cap (default RUN_AUTO_MAX) */
	int max_set;                   /* max_repetitions was given */
	int skip_missing;             /* drop allocators that are not installed */
	double timeout;
	unsigned long seed;
};

/* Parse a matrix file. Returns 0, or -1 with "FILE:LINE: what is wrong" in
 * err (exit status 2 for the caller). A list that names an item twice
 * (allocators = glibc glibc) is refused: it would make two cells of one
 * key. */
int run_matrix_load(const char *path, struct run_matrix *m, char *err, size_t errlen);

/* The machine a matrix is expanded for. */
struct run_machine {
	unsigned npus, ncores;
};

/* Which machine a run's cells were expanded for (meta.json "cells_pus",
 * "cells_cores", "cells_resolved"): the host that runs them, or the one
 * where `--emit-jobs` resolved them once for every job (its job lines carry
 * `--machine PUS:CORES`), so that block N is the same cells on hosts of any
 * size. */
struct run_resolved {
	struct run_machine mach;
	int at_emit;                  /* 1: by --emit-jobs (or --machine), 0: this host */
};

/* "PUS:CORES" (1..4096 each, cores at most PUS) into *m. 0, or -1. */
int run_machine_parse(const char *s, struct run_machine *m);

/* One cell: a point of the matrix, one repetition. */
struct run_cell {
	unsigned index;               /* position in run order */
	unsigned block;               /* comparison block (workload, dist, threads, placement) */
	unsigned rep;                 /* repetition, or warm-up number */
	int warmup;                   /* 1: run and discard */
	const struct run_wl *wl;
	const struct run_alloc_def *alloc;
	char size_dist[RUN_ITEM];     /* "classic" or a size-dist spec */
	unsigned threads;
	char placement[RUN_ITEM];
	int hyper_shift;              /* nano: -1 default */
	char map[RUN_NAME];           /* nano: "" default */
	double duration;              /* seconds, or RUN_NATURAL */
	char key[1024];               /* stable identity, for resume and merge */
};

/* Check everything the cells will be given before anything runs or is
 * written (run_matrix_check.c): each workload exists and takes its
 * parameters with valid values, each size distribution, placement,
 * hyper_shift, map and thread spec is one `nanobench run` accepts on this
 * machine (topo: its hwloc topology; NULL skips whether each placement has
 * room for its thread counts). Returns 0, or -1 with "FILE:LINE: what is
 * wrong" in err. */
struct hwloc_topology;
int run_matrix_check(const struct run_matrix *m, const struct run_machine *mach,
		     struct hwloc_topology *topo, char *err, size_t errlen);

/* Cells expanded for another machine (struct run_resolved): can this host
 * (host, its topology topo) run the selected ones (block only_block, or all
 * when it is below 0)? Each needs as many CPUs as threads, and a workload's
 * placement must place them here. 0, or -1 with what is missing in err
 * (the caller exits 2 before anything is written). */
int run_cells_fit_host(const struct run_cell *cells, size_t n, long only_block,
		       const struct run_resolved *rv, const struct run_machine *host,
		       struct hwloc_topology *topo, char *err, size_t errlen);

/* A hyper_shift item: "default" (-1) or 0..16; a map item: default, shift,
 * topology or cpu ("" for default). 0, or -1 when not one. */
int run_hyper_shift_parse(const char *s, int *out);
int run_map_parse(const char *s, const char **out);

/* Expand into cells in run order: block by block; inside a block the
 * warm-ups, then repetitions interleaved across allocators (A B C A B C).
 * *cells is malloc'ed. Returns the count, or -1 with err (a thread spec that
 * does not fit the machine, say). */
int run_matrix_expand(const struct run_matrix *m, const struct run_machine *mach,
		      struct run_cell **cells, char *err, size_t errlen);

/* Parse a thread spec list into counts for a machine (sorted, unique). */
int run_threads_expand(const struct run_list *spec, const struct run_machine *mach,
		       unsigned *out, unsigned max, char *err, size_t errlen);

/* Planned cost of a cell beyond its duration (process start, re-exec with
 * the preload, topology import, timer calibration, collection), for
 * estimates: about 45 ms measured with bump on the development VM, plus
 * the workload's own set-up and teardown. */
#define RUN_CELL_OVERHEAD_S 0.08

/* Planned seconds of a cell, for the estimate of --dry-run and the progress
 * line. */
double run_cell_estimate_s(const struct run_cell *c);

#endif
