/*
 * wl_timing.h - the cycle counter, its calibration, and latency histograms.
 *
 * Owns: everything about sampled latency. A sample is two reads of the cycle
 * counter around one allocator call; the harness takes one every k-th call
 * per thread. The counter is calibrated against CLOCK_MONOTONIC before the
 * run; the cost of a back-to-back pair of reads (its median) is measured and
 * subtracted from every sample, and the resolution (the smallest step seen
 * between distinct deltas: one tick on bare metal, often tens of ticks on a
 * virtual machine) is recorded.
 *
 * Histograms are log-linear: values below 16 ticks have a bucket each; above,
 * each power of two is cut into 16 buckets (relative error <= 1/32). One
 * histogram is 976 counters, per thread, merged after the run.
 */
#ifndef WL_TIMING_H
#define WL_TIMING_H

#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
/* lfence keeps the read from drifting before the call being timed. */
static inline uint64_t wl_ticks(void)
{
	_mm_lfence();
	uint64_t t = __rdtsc();
	_mm_lfence();
	return t;
}
#define WL_TICKS_ARE_TSC 1
#else
static inline uint64_t wl_ticks(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
#define WL_TICKS_ARE_TSC 0
#endif

static inline uint64_t wl_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct wl_clock {
	double ns_per_tick;
	uint64_t cost_ticks;      /* median cost of a pair of reads, subtracted */
	double cost_ns;
	double res_ns;            /* smallest step seen between distinct deltas */
};

/* Calibrate over about 20 ms. */
void wl_clock_calibrate(struct wl_clock *c);

/* ------------------------------------------------------------------------
 * Histograms
 * ---------------------------------------------------------------------- */

#define WL_HIST_BUCKETS 976

struct wl_hist {
	uint64_t count;
	uint64_t max;
	uint32_t b[WL_HIST_BUCKETS];
};

static inline unsigned wl_hist_index(uint64_t v)
{
	if (v < 16)
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v);
	return 16 + (e - 4) * 16 + (unsigned)((v >> (e - 4)) & 15);
}

static inline void wl_hist_add(struct wl_hist *h, uint64_t v)
{
	h->b[wl_hist_index(v)]++;
	h->count++;
	if (v > h->max)
		h->max = v;
}

/* dst += src */
void wl_hist_merge(struct wl_hist *dst, const struct wl_hist *src);
/* Value at quantile q (0..1): the middle of the bucket holding it (the exact
 * max for q = 1). 0 for an empty histogram. */
double wl_hist_quantile(const struct wl_hist *h, double q);

#endif
