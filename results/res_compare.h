/*
 * res_compare.h - compare two run folders cell by cell.
 *
 * Owns: matching the comparison blocks and allocator variants of run A and
 * run B, the change of each median (B / A) with its 95% bootstrap interval,
 * a Mann-Whitney U test per pair corrected for the number of pairs (Holm),
 * and the verdict: "faster" or "slower" when the corrected p-value is below
 * 0.05 and the interval excludes 1, "same" otherwise, "undecided" when either
 * side has fewer than RES_COMPARE_MIN_REPS repetitions (too few to tell a
 * regression from noise). Written as compare.csv (for the plot) and as text.
 */
#ifndef RES_COMPARE_H
#define RES_COMPARE_H

#include <stddef.h>
#include <stdio.h>

#define RES_COMPARE_MIN_REPS 5
#define RES_COMPARE_SCHEMA "# nanobench compare v1"

struct res_cmp_row {
	char block[400];       /* workload|size_dist|tN|placement */
	char variant[160];
	size_t n_a, n_b;
	double median_a, median_b;
	double ratio, ci_lo, ci_hi;    /* B / A */
	double p, p_adj;
	const char *verdict;   /* faster, slower, same, undecided */
	int is_program;        /* speed is 1/wall */
};

struct res_cmp {
	size_t n;
	struct res_cmp_row *rows;
	size_t only_a, only_b;   /* pairs present on one side only */
};

/* Compare DIR_A/results.csv with DIR_B/results.csv. 0, or -1 with err. */
int res_compare_dirs(const char *dir_a, const char *dir_b, struct res_cmp *out, char *err,
		     size_t errlen);
void res_compare_free(struct res_cmp *c);

/* compare.csv, atomically. 0 or -1. */
int res_compare_write_csv(const struct res_cmp *c, const char *path);
/* The human-readable report ("B is 1.12 +- 0.03 x A ..."). */
void res_compare_print(const struct res_cmp *c, const char *a, const char *b, FILE *f);

#endif
