/*
 * res_programs.h - a run's [program] blocks against glibc, the two pictures
 * users know from mimalloc-bench: each program's time and peak RSS relative
 * to glibc's, and their geometric mean over the programs per allocator.
 *
 * Owns: the numbers (res_programs_build), which summary.md's "Programs
 * against glibc" section (res_programs_section) and the plots
 * (plots/plot_programs.c) both take from here, so they agree.
 *
 *   time  glibc's median speed / the allocator's median speed (res_blocks.h:
 *         a speed is 1 / the measured program's time, or a throughput the
 *         program printed, such as redis-benchmark's requests per second):
 *         the time the allocator needs for glibc's work, lower is better;
 *   rss   the allocator's median peak_rss_kib / glibc's: the measured
 *         program's own peak resident set (its VmHWM), lower is better.
 *
 * A program counts when its block has ok glibc cells; an allocator's value
 * is NAN where all its cells of that program failed, and its geometric
 * mean is over the programs where it has a value (the count is kept, and
 * printed when it is not all of them).
 */
#ifndef RES_PROGRAMS_H
#define RES_PROGRAMS_H

#include <stdio.h>

#include "res_blocks.h"

#define RES_PROG_MAX 32      /* programs */
#define RES_PROG_VARS 32     /* allocator variants */

struct res_programs {
	size_t nprog, nvar;
	char prog[RES_PROG_MAX][96];
	char var[RES_PROG_VARS][160];    /* every variant but glibc, in run order */
	double time[RES_PROG_MAX][RES_PROG_VARS], rss[RES_PROG_MAX][RES_PROG_VARS];
	double time_geo[RES_PROG_VARS], rss_geo[RES_PROG_VARS];
	size_t time_n[RES_PROG_VARS], rss_n[RES_PROG_VARS];
};

/* The programs of bs that have glibc cells. Returns nprog (0: nothing to
 * show). */
size_t res_programs_build(const struct res_blocks *bs, struct res_programs *out);

/* "## Programs against glibc": the two tables with their geometric means,
 * when the run has at least one such program. */
void res_programs_section(FILE *f, const struct res_blocks *bs);

#endif
