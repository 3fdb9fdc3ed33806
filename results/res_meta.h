/*
 * res_meta.h - meta.json: everything about a run except its rows.
 *
 * Owns: gathering the facts of the machine (host, CPU model, kernel, glibc,
 * transparent huge pages, and res_host.h's SMT, boost, cpufreq and
 * mitigations), of the build (compiler, flags, git commit and dirtiness,
 * baked in at build time) and writing them with what the runner knows
 * (allocators, their libraries, the environment of each, the expanded
 * matrix, the topology's fingerprint, start and end) and what the rows of
 * DIR/results.csv say so far (each allocator's version as its cells
 * reported it, the counter columns this machine left empty) atomically:
 * written to a temporary name, then renamed.
 */
#ifndef RES_META_H
#define RES_META_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

struct res_meta_alloc {
	const char *label;          /* name in the results */
	const char *base;           /* what was requested */
	const char *library;        /* the file preloaded ("" for glibc) */
	const char *version;        /* "" or NULL: the version its rows report */
	const char *const *env;     /* KEY=VALUE the cells set */
	size_t nenv;
};

struct res_meta {
	const char *matrix_name;
	const char *matrix_file;    /* the copy inside the run folder */
	const char *matrix_hash;    /* identity of the matrix, for resume/merge */
	const char *topology_summary;
	const char *topology_fingerprint; /* nano's fingerprint ("%016llx"); NULL: unknown */
	const char *topology_cpus;  /* the CPUs placements could use ("0-3,8"); NULL: unknown */
	const struct res_meta_alloc *allocs;
	size_t nalloc;
	const char *const *cell_keys;
	size_t ncells;
	time_t start, end;          /* end 0: still running */
	const char *status;         /* running, complete, interrupted, failed-cells, incomplete,
				     * merged, merged-partial */
	int partial;                /* a job of --emit-jobs: one block only */
	long block;                 /* partial: that block (-1: none) */
	/* the machine the cells were expanded for (0: unknown) and whether it
	 * was named by the job line (--machine, from --emit-jobs) rather than
	 * being the host's own */
	unsigned cells_pus, cells_cores;
	int cells_at_emit;
	const char *const *merged_from;   /* the part folders of a merge */
	size_t nmerged;
	/* repetitions = auto: per block (0..nblocks), the repetitions it took
	 * (0: not decided yet) and whether it stopped at the cap */
	unsigned auto_max;                /* 0: not an auto run */
	double auto_halfwidth;
	size_t nblocks;
	const unsigned *auto_reps;
	const unsigned char *auto_capped;
};

/* The repetitions recorded for the blocks of an auto run: reps[b] for b <
 * nblocks, 0 where none is recorded; *max (when not NULL) the cap. Returns
 * how many blocks have a count, or -1 when DIR/meta.json has no
 * "auto_repetitions" (not an auto run). */
long res_meta_auto_reps(const char *dir, unsigned *reps, size_t nblocks, unsigned *max);

/* Write dir/meta.json. Returns 0, or -1 with err. */
int res_meta_write(const char *dir, const struct res_meta *m, char *err, size_t errlen);

/* A string field of DIR/meta.json as written by res_meta_write ("key":
 * "value" on one line; the first match in document order). 0, or -1 when
 * there is no meta.json or no such field. */
int res_meta_get(const char *dir, const char *key, char *buf, size_t len);

/* Why DIR is not a run folder, when res_meta_get found no field it needs:
 * "no meta.json", or that the file (empty or damaged) lacks the field. */
const char *res_meta_missing(const char *dir, const char *key);

/* A whole-number field of DIR/meta.json ("key": 12 on one line; the first
 * match). 0, or -1 when there is none. */
int res_meta_get_long(const char *dir, const char *key, long *out);

/* The "cells" list of DIR/meta.json: every cell key of the matrix in run
 * order, warm-ups included. Returns the count with *keys malloc'ed (free
 * with res_meta_cells_free), or -1 when there is no such list. */
long res_meta_cells(const char *dir, char ***keys);
void res_meta_cells_free(char **keys, long n);

/* Is a cell key a measured repetition ("...|rN"), not a warm-up ("|wN")? */
int res_key_measured(const char *key);

/* Can DIR take more data? Writes and syncs a 64 KiB file in it, then
 * removes it. 0, or -1 with "cannot write in DIR: REASON" (so a plot or a
 * summary that failed can say it was the disk). */
int res_dir_probe(const char *dir, char *err, size_t errlen);

/* Facts used elsewhere (summary, plot titles): "host (CPU model, N CPUs)". */
void res_machine_line(char *buf, size_t len);

/* The build's git commit (with "-dirty" when the tree was dirty). */
const char *res_build_commit(void);

/* Read a one-line file into buf (newline dropped). 0 or -1. */
int res_read_line(const char *path, char *buf, size_t len);

/* Atomically replace path with the contents written by fn into a temporary
 * file beside it. Returns 0 or -1 (errno set). */
int res_write_atomic(const char *path, int (*fn)(void *ctx, FILE *f), void *ctx);

#endif
