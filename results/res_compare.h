/*
 * res_compare.h - compare two run folders cell by cell.
 *
 * Owns: matching the comparison blocks and allocator variants of run A and
 * run B, and for each pair the verdict of res_decide.h: the Hodges-Lehmann
 * estimate of B / A (a ratio of speeds: higher is better whatever the
 * figure) with the 95% interval that inverts the exact rank-sum test, the
 * exact p-value, Benjamini-Hochberg within the block (one family per
 * block), and faster / slower / same / undecided (fewer than RES_MIN_REPS
 * repetitions on a side). Each side's noise (coefficient of variation,
 * max/min, outliers) is reported beside the verdict. Written as compare.csv
 * (for the plot) and as text.
 */
#ifndef RES_COMPARE_H
#define RES_COMPARE_H

#include <stddef.h>
#include <stdio.h>

#include "res_decide.h"
#include "res_stats.h"

/* compare.csv is plain CSV: the header, then one row per pair. Its
 * version is "compare_schema" in compare.json beside it (written with it:
 * the schema, which folders were A and B, --relative); files of older
 * versions open with RES_COMPARE_LEGACY_SCHEMA_LINE, which readers skip. */
#define RES_COMPARE_SCHEMA_VERSION 1
#define RES_COMPARE_LEGACY_SCHEMA_LINE "# nanobench compare v1"
#define RES_COMPARE_HEADER "block,variant,n_a,n_b,median_a,median_b,ratio,ci_lo,ci_hi,p_adj,verdict"

struct res_cmp_row {
	char block[400];       /* workload|size_dist|tN|placement */
	char variant[160];
	size_t n_a, n_b;
	double median_a, median_b;     /* in the figure's own unit */
	char unit[40];                 /* "ops/s", "s", or a program's metric_unit */
	struct res_pair pair;          /* ratio, lo, hi, p, q, verdict */
	double sa[64], sb[64];         /* the speeds compared (RES_MAX_REPS) */
	size_t family;                 /* pairs compared in this block */
	struct res_noise noise_a, noise_b;
};

struct res_cmp {
	size_t n;
	struct res_cmp_row *rows;
	size_t only_a, only_b;   /* pairs present on one side only */
	char relative[160];      /* "" or the allocator the speeds are relative to */
};

/* Compare DIR_A/results.csv with DIR_B/results.csv. relative NULL: the
 * speeds themselves; relative NAME: each repetition's speed over the speed
 * of allocator NAME in the same round of the same block (the cells of a
 * round run back to back, so a drift of the machine between or during the
 * two runs cancels; NAME's own pair is left out). 0, or -1 with err. */
int res_compare_dirs(const char *dir_a, const char *dir_b, const char *relative,
		     struct res_cmp *out, char *err, size_t errlen);
void res_compare_free(struct res_cmp *c);

/* compare.csv, atomically. 0 or -1. */
int res_compare_write_csv(const struct res_cmp *c, const char *path);
/* compare.json beside it: the schema version of compare.csv, the folders
 * compared (as given) and --relative (null: none). Atomically; 0 or -1. */
int res_compare_write_json(const struct res_cmp *c, const char *dir_a, const char *dir_b,
			   const char *path);
/* The human-readable report ("B is 1.12 x A [1.05, 1.19] faster ..."). */
void res_compare_print(const struct res_cmp *c, const char *a, const char *b, FILE *f);

#endif
