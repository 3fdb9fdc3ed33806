/*
 * wl_timing.c - calibration and histogram arithmetic (see wl_timing.h).
 */
#include "wl_timing.h"

#include <stdlib.h>

/* ------------------------------------------------------------------------
 * Calibration
 * ---------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void measure_cost(struct wl_clock *c)
{
	enum { N = 4001 };
	static uint64_t d[N];
	for (int i = 0; i < N; i++) {
		uint64_t a = wl_ticks();
		uint64_t b = wl_ticks();
		d[i] = b - a;
	}
	qsort(d, N, sizeof(d[0]), cmp_u64);
	c->cost_ticks = d[N / 2];
	c->cost_ns = (double)c->cost_ticks * c->ns_per_tick;
	/* Effective resolution: the smallest step between distinct observed
	 * deltas (virtual machines often advance the counter in coarse steps). */
	uint64_t step = 0;
	for (int i = 1; i < N; i++)
		if (d[i] != d[i - 1] && (step == 0 || d[i] - d[i - 1] < step))
			step = d[i] - d[i - 1];
	c->res_ns = (double)(step ? step : 1) * c->ns_per_tick;
}

void wl_clock_calibrate(struct wl_clock *c)
{
#if WL_TICKS_ARE_TSC
	uint64_t n0 = wl_now_ns(), t0 = wl_ticks(), n1, t1;
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	nanosleep(&pause, NULL);
	n1 = wl_now_ns();
	t1 = wl_ticks();
	c->ns_per_tick = t1 > t0 ? (double)(n1 - n0) / (double)(t1 - t0) : 1.0;
#else
	c->ns_per_tick = 1.0;
#endif
	measure_cost(c);
}

/* ------------------------------------------------------------------------
 * Histograms
 * ---------------------------------------------------------------------- */

void wl_hist_merge(struct wl_hist *dst, const struct wl_hist *src)
{
	for (unsigned i = 0; i < WL_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
	if (src->max > dst->max)
		dst->max = src->max;
}

static double bucket_mid(unsigned i)
{
	if (i < 16)
		return i;
	unsigned e = (i - 16) / 16 + 4, m = (i - 16) % 16;
	double lo = (double)((16ull + m) << (e - 4));
	return lo + (double)(1ull << (e - 4)) / 2.0;
}

double wl_hist_quantile(const struct wl_hist *h, double q)
{
	if (h->count == 0)
		return 0;
	if (q >= 1.0)
		return (double)h->max;
	uint64_t want = (uint64_t)(q * (double)h->count) + 1, seen = 0;
	for (unsigned i = 0; i < WL_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want) {
			double v = bucket_mid(i);
			return v > (double)h->max ? (double)h->max : v;
		}
	}
	return (double)h->max;
}
