/*
 * run_count_int.h - between the two files of a counting library: the
 * counting and forwarding (run_count.c) and the per-process report
 * (run_count_proc.c). Nothing here is exported from the library.
 */
#ifndef RUN_COUNT_INT_H
#define RUN_COUNT_INT_H

#include "run_count.h"

#include <stdint.h>

#define EXPORT __attribute__((visibility("default")))
#define unlikely(x) __builtin_expect(!!(x), 0)

/* The calls counted since load (or since the fork that made this process),
 * summed over the threads' slots. */
struct run_count_sums {
	uint64_t allocs, frees, reallocs;
	uint64_t bypass, bypass_small;
};
void run_count_sum(struct run_count_sums *out);

/* Zero every counter (a fork child, which has one thread). */
void run_count_zero(void);

/* Resolve the forwarding now if it is not yet; 1 when it can be used. */
int run_count_ready(void);

/* The malloc the calls are forwarded to (the allocator under test). */
const void *run_count_target(void);

#endif
