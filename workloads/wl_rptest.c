/*
 * wl_rptest.c - rpmalloc's benchmark (rptest), in spirit.
 *
 * Per thread and loop: free what other threads sent; fill a live array of
 * `allocs` blocks; make `loop_ops` (rptest's "ops") replacements at random positions; every
 * `cross_rate` loops send an eighth of the array to the next thread to free;
 * then free the rest in a scattered order (stride 7919). Sizes over
 * [min, max] by `dist`: 0 even (uniform), 1 linear (small ones more likely),
 * 2 exponential (mean max/16). `mode` 0 frees scattered, 1 in order.
 * Natural length: `loops`.
 */
#include "wl_inbox.h"

enum { P_MODE, P_DIST, P_CROSS, P_LOOPS, P_ALLOCS, P_OPS, P_MIN, P_MAX };

static const struct wl_param params[] = {
	[P_MODE] = { "mode", 0, 0, 1, "free order at the end of a loop: 0 scattered, 1 in order" },
	[P_DIST] = { "dist", 1, 0, 2, "size distribution: 0 even, 1 linear, 2 exponential" },
	[P_CROSS] = { "cross_rate", 2, 0, 1000000, "send blocks to the next thread every N loops (0 never)" },
	[P_LOOPS] = { "loops", 500, 1, 1000000000, "loops per thread" },
	[P_ALLOCS] = { "allocs", 1000, 8, 10000000, "live blocks per loop" },
	[P_OPS] = { "loop_ops", 100, 0, 1000000000, "random replacements per loop (rptest's ops)" },
	[P_MIN] = { "min", 8, 1, WL_SIZE_MAX, "smallest block" },
	[P_MAX] = { "max", 16000, 1, WL_SIZE_MAX, "largest block" },
};

static void rp_sizes(const int64_t *pv, char *spec, size_t len)
{
	long long lo = pv[P_MIN], hi = pv[P_MAX];
	if (pv[P_DIST] == 0)
		snprintf(spec, len, "uniform:%lld-%lld", lo, hi);
	else if (pv[P_DIST] == 1)
		snprintf(spec, len, "lin:%lld-%lld", lo, hi);
	else
		snprintf(spec, len, "exp:%lld,%lld", hi / 16 > 0 ? hi / 16 : 1, hi);
}

static int rp_check(const struct wl_run *r, char *err, size_t len)
{
	if (wl_p(r, P_MIN) > wl_p(r, P_MAX)) {
		snprintf(err, len, "rptest: --min %lld is above --max %lld",
			 (long long)wl_p(r, P_MIN), (long long)wl_p(r, P_MAX));
		return -1;
	}
	return 0;
}

static int rp_init(struct wl_run *r)
{
	if (wl_give_arrays(r, (size_t)wl_p(r, P_ALLOCS)))
		return -1;
	return wl_inbox_init(r, 1 << 16);
}

static int rp_loop(struct wl_thread *t, struct wl_blk *blk, int64_t loop)
{
	int64_t n = wl_p(t->run, P_ALLOCS), ops = wl_p(t->run, P_OPS);
	int64_t cross = wl_p(t->run, P_CROSS);
	int64_t stride = wl_p(t->run, P_MODE) == 0 && n % 7919 ? 7919 : 1;

	if (wl_drain(t))
		return -1;
	for (int64_t i = 0; i < n; i++)
		if (!blk[i].p && (!wl_go(t) || wl_alloc_draw(t, &blk[i])))
			return -1;
	for (int64_t k = 0; k < ops; k++) {
		struct wl_blk *b = &blk[wl_rng_below(&t->rng, (uint64_t)n)];
		if (!wl_go(t) || wl_free(t, b) || !wl_go(t) || wl_alloc_draw(t, b))
			return -1;
	}
	if (cross && loop % cross == 0)
		for (int64_t i = 0; i < n; i += 8)
			wl_send(t, (t->id + 1) % t->run->nthreads, &blk[i]);
	for (int64_t k = 0, i = 0; k < n; k++, i = (i + stride) % n)
		if (blk[i].p && (!wl_go(t) || wl_free(t, &blk[i])))
			return -1;
	return 0;
}

static enum wl_step rp_thread(struct wl_thread *t)
{
	int64_t loops = wl_p(t->run, P_LOOPS);
	for (int64_t loop = 1; !wl_natural(t->run) || loop <= loops; loop++)
		if (rp_loop(t, t->state, loop))
			break;
	return WL_STEP_DONE;
}

static void rp_teardown(struct wl_run *r)
{
	wl_release_arrays(r, (size_t)wl_p(r, P_ALLOCS));
	wl_inbox_release(r);
}

const struct wl_workload wl_rptest = {
	.name = "rptest",
	.summary = "rptest-style: live array churn, size distributions, controlled remote-free rate",
	.params = params,
	.nparams = WL_COUNT_OF(params),
	.sizes = rp_sizes,
	.touch = WL_TOUCH_ALL,
	.check = rp_check,
	.init = rp_init,
	.thread = rp_thread,
	.teardown = rp_teardown,
};
