/*
 * wl_lscale.c - linux-scalability (Lever & Boreham, as in Hoard's benchmarks):
 * bulk allocate, then bulk free.
 *
 * After the start barrier each thread mallocs `blocks` blocks of one size
 * (the original's defaults: 1,000,000 blocks of 512 bytes), never writing
 * into them, then frees them all in allocation order; `rounds` times
 * (natural length: once, as the original).
 */
#include "wl_harness.h"

enum { P_BLOCKS, P_ROUNDS, P_SIZE };

static const struct wl_param params[] = {
	[P_BLOCKS] = { "blocks", 1000000, 1, 100000000, "blocks per thread per round" },
	[P_ROUNDS] = { "rounds", 1, 1, 1000000000, "allocate-all/free-all rounds per thread" },
	[P_SIZE] = { "size", 512, 1, WL_SIZE_MAX, "block size (default size-dist fixed:SIZE)" },
};

static void ls_sizes(const int64_t *pv, char *spec, size_t len)
{
	snprintf(spec, len, "fixed:%lld", (long long)pv[P_SIZE]);
}

static int ls_init(struct wl_run *r)
{
	return wl_give_arrays(r, (size_t)wl_p(r, P_BLOCKS));
}

static enum wl_step ls_thread(struct wl_thread *t)
{
	struct wl_blk *blk = t->state;
	int64_t n = wl_p(t->run, P_BLOCKS), rounds = wl_p(t->run, P_ROUNDS);

	for (int64_t round = 0; !wl_natural(t->run) || round < rounds; round++) {
		for (int64_t i = 0; i < n; i++)
			if (wl_get(t, &blk[i], wl_size_draw(t->sizes, &t->rng), WL_GO))
				return WL_STEP_DONE;
		for (int64_t i = 0; i < n; i++)
			if (wl_put(t, &blk[i], WL_GO))
				return WL_STEP_DONE;
	}
	return WL_STEP_DONE;
}

static void ls_teardown(struct wl_run *r)
{
	wl_release_arrays(r, (size_t)wl_p(r, P_BLOCKS));
}

const struct wl_workload wl_lscale = {
	.name = "linux-scalability",
	.summary = "linux-scalability: each thread mallocs N blocks of one size, then frees them",
	.params = params,
	.nparams = WL_COUNT_OF(params),
	.sizes = ls_sizes,
	.original = "emeryberger/Hoard benchmarks/linux-scalability/linux-scalability.c",
	.differs = "the pointer array is the harness's memory (the original mallocs it, 8 MB, "
		   "inside its timing, and never frees it)",
	.init = ls_init,
	.thread = ls_thread,
	.teardown = ls_teardown,
};
