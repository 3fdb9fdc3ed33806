/*
 * wl_shbench.c - SmartHeap's shbench, in spirit.
 *
 * Each thread keeps a buffer of `buffer` pointers. A cycle first frees what
 * other threads sent it, refills every empty slot (sizes 1..1000, small ones
 * more frequent: exp:100,1000), then frees the buffer: the first `fifo`
 * percent of the slots in allocation order, the rest in reverse order, each
 * block surviving to the next cycle with probability `survive` percent. In
 * the cross-thread variant (`cross` > 0) that percentage of the frees is
 * sent to the next thread, which frees it. Natural length: `cycles`.
 */
#include "wl_inbox.h"

enum { P_CYCLES, P_BUFFER, P_SURVIVE, P_FIFO, P_CROSS };

static const struct wl_param params[] = {
	[P_CYCLES] = { "cycles", 2000, 1, 1000000000, "allocate/free cycles per thread" },
	[P_BUFFER] = { "buffer", 1000, 1, 10000000, "pointer buffer per thread" },
	[P_SURVIVE] = { "survive", 10, 0, 100, "percent of blocks that live on to the next cycle" },
	[P_FIFO] = { "fifo", 50, 0, 100, "percent of the buffer freed in allocation order (rest: reverse)" },
	[P_CROSS] = { "cross", 0, 0, 100, "percent of frees handed to the next thread" },
};

static int sh_init(struct wl_run *r)
{
	if (wl_give_arrays(r, (size_t)wl_p(r, P_BUFFER)))
		return -1;
	return wl_p(r, P_CROSS) ? wl_inbox_init(r, 1 << 14) : 0;
}

/* Free, or send to the next thread, or keep for the next cycle. */
static int sh_retire(struct wl_thread *t, struct wl_blk *b)
{
	unsigned cross = (unsigned)wl_p(t->run, P_CROSS);
	if (!b->p || wl_rng_pct(&t->rng, (unsigned)wl_p(t->run, P_SURVIVE)))
		return 0;
	if (cross && wl_rng_pct(&t->rng, cross) &&
	    wl_send(t, (t->id + 1) % t->run->nthreads, b))
		return 0;
	return wl_go(t) ? wl_free(t, b) : -1;
}

static enum wl_step sh_thread(struct wl_thread *t)
{
	struct wl_blk *blk = t->state;
	int64_t n = wl_p(t->run, P_BUFFER), cycles = wl_p(t->run, P_CYCLES);
	int64_t cut = n * wl_p(t->run, P_FIFO) / 100;

	for (int64_t c = 0; !wl_natural(t->run) || c < cycles; c++) {
		if (t->run->inbox && wl_drain(t))
			break;
		for (int64_t i = 0; i < n; i++)
			if (!blk[i].p && (!wl_go(t) || wl_alloc_draw(t, &blk[i])))
				return WL_STEP_DONE;
		for (int64_t i = 0; i < cut; i++)
			if (sh_retire(t, &blk[i]))
				return WL_STEP_DONE;
		for (int64_t i = n - 1; i >= cut; i--)
			if (sh_retire(t, &blk[i]))
				return WL_STEP_DONE;
	}
	return WL_STEP_DONE;
}

static void sh_teardown(struct wl_run *r)
{
	wl_release_arrays(r, (size_t)wl_p(r, P_BUFFER));
	wl_inbox_release(r);
}

const struct wl_workload wl_shbench = {
	.name = "shbench",
	.summary = "shbench-style: mixed sizes, FIFO and reverse free order, survivors, cross-thread variant",
	.params = params,
	.nparams = WL_COUNT_OF(params),
	.default_dist = "exp:100,1000",
	.touch = 8,                     /* a header word, as most programs write */
	.original = "none public: SmartHeap's shbench is not published; written from its description",
	.init = sh_init,
	.thread = sh_thread,
	.teardown = sh_teardown,
};
