/*
 * res_summary.h - summary.md and stats.csv of a run folder.
 *
 * Owns: summary.md: first the winners (per block, the best median, its
 * margin over the runner-up with its interval and the compare rule's
 * verdict on that pair), then nano's rows (nano and nano-rseq against the
 * best allocator that is not a nano, nano-rseq against nano), then the
 * tables, one per comparison block (res_blocks.h):
 * median figure and interquartile range, the ratio to glibc with its 95%
 * interval and verdict (res_decide.h: the block's comparisons with glibc
 * are one Benjamini-Hochberg family), the ratio to the block's best, the
 * noise of each cell (coefficient of variation, steal time, and the flag
 * "unstable" with the thresholds of res_stats.h), RSS, fragmentation, p99,
 * nano's CAS retries per op; the Fidelity section
 * (res_fidelity.h) when the run holds a workload and its original program.
 * stats.csv holds the same per-cell numbers for programs. The plot stage
 * appends its pictures under these tables; `compare` uses the same grouping.
 */
#ifndef RES_SUMMARY_H
#define RES_SUMMARY_H

#include <stddef.h>

#include "res_blocks.h"

/* stats.csv: one row per block and allocator variant, the numbers of
 * summary.md's tables (documented in docs/results.md). Plain CSV, the
 * header first; its version is meta.json's "stats_schema" (files of older
 * versions open with the line "# nanobench stats v1"). */
#define RES_STATS_SCHEMA_VERSION 1
#define RES_STATS_HEADER "workload,size_dist,threads,placement,variant,n,failed,median,unit," \
	"higher_is_better,cv,max_min,shape,steal_s,unstable,reference,ratio,ci_lo,ci_hi,p,p_adj,verdict"

/* Write DIR/summary.md and DIR/stats.csv from DIR/results.csv (atomically).
 * 0 or -1 with err. */
int res_summary_write(const char *dir, char *err, size_t errlen);

#endif
