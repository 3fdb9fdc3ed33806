/*
 * wl_glibc_thread.c - glibc benchtests' bench-malloc-thread.
 *
 * Each thread keeps a working set of `slots` blocks (1024) and replaces a
 * random slot per step: free it if occupied, allocate a new block with a size
 * from 4..32768 under an inverse-square law (invsq:4-32768). Natural length:
 * `iterations` steps per thread.
 */
#include "wl_harness.h"

enum { P_SLOTS, P_ITER };

static const struct wl_param params[] = {
	[P_SLOTS] = { "slots", 1024, 1, 100000000, "working-set slots per thread" },
	[P_ITER] = { "iterations", 2000000, 1, 1000000000000LL, "steps per thread" },
};

static int gt_init(struct wl_run *r)
{
	return wl_give_arrays(r, (size_t)wl_p(r, P_SLOTS));
}

static enum wl_step gt_thread(struct wl_thread *t)
{
	struct wl_blk *blk = t->state;
	uint64_t n = (uint64_t)wl_p(t->run, P_SLOTS);
	int64_t iters = wl_p(t->run, P_ITER);

	for (int64_t i = 0; !wl_natural(t->run) || i < iters; i++) {
		struct wl_blk *b = &blk[wl_rng_below(&t->rng, n)];
		if (!wl_go(t))
			break;
		if (b->p && (wl_free(t, b) || !wl_go(t)))
			break;
		if (wl_alloc_draw(t, b))
			break;
	}
	return WL_STEP_DONE;
}

static void gt_teardown(struct wl_run *r)
{
	wl_release_arrays(r, (size_t)wl_p(r, P_SLOTS));
}

const struct wl_workload wl_glibc_thread = {
	.name = "glibc-thread",
	.summary = "glibc bench-malloc-thread: 1024-slot working set, inverse-square sizes 4..32768",
	.params = params,
	.nparams = WL_COUNT_OF(params),
	.default_dist = "invsq:4-32768",
	.touch = WL_TOUCH_ALL,
	.init = gt_init,
	.thread = gt_thread,
	.teardown = gt_teardown,
};
