/*
 * wl_counters.h - what the kernel counts for us over the measured interval.
 *
 * Owns: perf software counters (cpu-migrations, context-switches,
 * page-faults) and hardware counters (cycles, instructions, cache-misses),
 * getrusage of the whole process, steal time from /proc/stat, and the
 * resident set from /proc/self/statm. Counters are opened in the main thread
 * before the workers exist, with inherit set, so every worker thread (and
 * larson's successors) is counted. A counter the kernel refuses reads as -1
 * and is recorded empty. Nothing here calls malloc: /proc files are read
 * with read(2) into stack buffers.
 */
#ifndef WL_COUNTERS_H
#define WL_COUNTERS_H

#include <stdint.h>
#include <sys/resource.h>

enum wl_perf_id {
	WL_PERF_MIGRATIONS,
	WL_PERF_CSWITCHES,
	WL_PERF_FAULTS,
	WL_PERF_CYCLES,
	WL_PERF_INSTRUCTIONS,
	WL_PERF_CACHE_MISSES,
	WL_PERF_COUNT
};

struct wl_perf {
	int fd[WL_PERF_COUNT];
};

void wl_perf_open(struct wl_perf *p);
/* Current values (-1 for a counter that is not open). */
void wl_perf_read(const struct wl_perf *p, int64_t out[WL_PERF_COUNT]);
void wl_perf_close(struct wl_perf *p);

/* Steal time so far, all CPUs, in clock ticks (USER_HZ); -1 when unknown. */
int64_t wl_steal_ticks(void);
/* Resident set in KiB from /proc/self/statm; -1 when unknown. */
int64_t wl_rss_kib(void);

#endif
