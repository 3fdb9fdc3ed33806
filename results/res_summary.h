/*
 * res_summary.h - summary.md of a run folder, and the grouping it rests on.
 *
 * Owns: reading results.csv into comparison blocks (workload label, size
 * distribution, threads, placement) of allocator variants, each with its
 * repetitions; the tables of summary.md (median throughput and spread,
 * ratios to glibc and to the best, RSS, fragmentation, p99, nano's CAS
 * retries per op) and its headline sentences. The plot stage appends its
 * pictures under these tables; `compare` uses the same grouping.
 */
#ifndef RES_SUMMARY_H
#define RES_SUMMARY_H

#include <stddef.h>

#include "res_csv.h"

#define RES_MAX_REPS 64

/* One allocator variant in one block. */
struct res_variant {
	char name[160];          /* alloc_label, plus hyper_shift/map when set */
	size_t n, failed;
	double speed[RES_MAX_REPS];       /* higher is better: ops/s, or 1/wall for programs */
	double rss_kib[RES_MAX_REPS];
	double frag[RES_MAX_REPS];
	double p99[RES_MAX_REPS];
	double retries[RES_MAX_REPS];
	size_t nrss, nfrag, np99, nretries;
	char first_failure[256];
};

struct res_block {
	char workload[96], size_dist[96], placement[64];
	unsigned threads;
	int is_program;
	size_t nvar;
	struct res_variant var[32];
};

struct res_blocks {
	size_t n;
	struct res_block *b;     /* malloc'ed */
};

/* Group the rows of a results table. 0, or -1 with err. */
int res_blocks_build(const struct res_table *t, struct res_blocks *out, char *err, size_t errlen);
void res_blocks_free(struct res_blocks *b);

/* Write DIR/summary.md from DIR/results.csv (atomically). 0 or -1 with err. */
int res_summary_write(const char *dir, char *err, size_t errlen);

#endif
