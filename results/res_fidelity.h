/*
 * res_fidelity.h - the Fidelity section of summary.md: does a nanobench
 * workload rank the allocators as the published program it re-implements?
 *
 * Owns: pairing, by name, a [program NAME-original] block with the block of
 * the workload NAME at the same thread count (its `classic` size
 * distribution when there is one, as the originals run their published
 * sizes), and per allocator other than glibc: its ratio to glibc under the
 * original, under nanobench (each the Hodges-Lehmann estimate with its 95%
 * interval, res_blockstats.h), nanobench's over the original's, and whether
 * they agree (within RES_FIDELITY_TOL either way, or nanobench's ratio
 * inside the original's interval when that is wider); per pair, each
 * side's winner, and whether they are the same (judged only when the
 * original's winner is decided faster than its runner-up). Nothing is
 * written when the run holds no such pair.
 */
#ifndef RES_FIDELITY_H
#define RES_FIDELITY_H

#include <stdio.h>

#include "res_blockstats.h"

#define RES_FIDELITY_SUFFIX "-original"
#define RES_FIDELITY_TOL 1.15

/* "## Fidelity" and its tables, when bs pairs a workload with its original
 * (st[i] are the stats of bs->b[i]). */
void res_fidelity_section(FILE *f, const struct res_blocks *bs, const struct res_block_stats *st);

#endif
