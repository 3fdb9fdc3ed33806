/*
 * wl_threadtest.c - Hoard's threadtest: allocate a batch, free the batch.
 *
 * Each of T threads repeatedly allocates objects/T blocks, writing every
 * byte (the original's constructors initialise each 8-byte object of the
 * array it news), then frees them in the same order, with optional busy
 * work between calls. Pure thread-local fast path. The published run,
 * `threadtest P 1000 10000 0 8`, news arrays of 8 objects: 64 bytes. Natural
 * length: `iterations` batches per thread.
 *
 * The original is C++: `new Foo[8]` and `delete[]`. mimalloc, tcmalloc and
 * jemalloc replace operator new[] and delete[] with entry points of their
 * own (under the first two, the original makes no malloc or free call at
 * all), so by default (cxx=1) the blocks come and go through those
 * operators too, bound as a C++ program binds them; cxx=0 calls malloc and
 * free.
 */
#include "wl_harness.h"

enum { P_ITER, P_OBJECTS, P_WORK, P_SIZE, P_CXX };

static const struct wl_param params[] = {
	[P_ITER] = { "iterations", 1000, 1, 1000000000, "batches per thread" },
	[P_OBJECTS] = { "objects", 10000, 1, 100000000, "objects per batch, all threads together" },
	[P_WORK] = { "work", 0, 0, 1000000, "busy-loop steps between calls" },
	[P_SIZE] = { "size", 64, 1, WL_SIZE_MAX,
		     "object size in bytes (default size-dist fixed:SIZE; the original's objSize 8 x 8-byte objects)" },
	[P_CXX] = { "cxx", 1, 0, 1,
		    "1: C++'s operator new[] and delete[], as the original (an allocator that replaces them serves them); 0: malloc and free" },
};

struct tt_state {
	struct wl_blk *blk;
	uint64_t n;
	uint64_t live_lo, live_hi;    /* blk[live_lo, live_hi) hold live blocks when the
				       * loop has ended (the others may hold freed ones) */
};

static void tt_sizes(const int64_t *pv, char *spec, size_t len)
{
	snprintf(spec, len, "fixed:%lld", (long long)pv[P_SIZE]);
}

static int tt_init(struct wl_run *r)
{
	uint64_t per = (uint64_t)wl_p(r, P_OBJECTS) / r->nthreads;
	if (wl_p(r, P_CXX) && wl_cxx_bind(r) != 0)
		return -1;
	if (per == 0)
		per = 1;
	for (unsigned i = 0; i < r->nthreads; i++) {
		struct tt_state *s = wl_mem(r, sizeof(*s));
		if (!s || !(s->blk = wl_mem(r, per * sizeof(struct wl_blk))))
			return -1;
		s->n = per;
		r->threads[i].state = s;
	}
	return 0;
}

/* The loop, once per way of allocating (how: WL_CXX or not) and per busy
 * work (none or some): constants in each copy, so the harness's inline
 * paths fold and the loop tests neither. The loop does not ask wl_go before
 * each call (WL_GO: the stop is seen on the out-of-line path), a fixed
 * size stays in a register, and a free leaves its record as it is
 * (WL_KEEP): where the loop ends says which records are live. */
static inline __attribute__((always_inline)) enum wl_step tt_loop(struct wl_thread *t,
								  unsigned how, int busy)
{
	struct tt_state *s = t->state;
	int64_t work = wl_p(t->run, P_WORK), iters = wl_p(t->run, P_ITER);
	const uint32_t fixed = wl_size_fixed(t->sizes);

	for (int64_t it = 0; !wl_natural(t->run) || it < iters; it++) {
		for (uint64_t i = 0; i < s->n; i++) {
			uint32_t size = fixed ? fixed : wl_size_draw(t->sizes, &t->rng);
			/* stopped or failed at i: blk[0, i) live, blk[i] got
			 * nothing (NULL after a failed malloc) */
			if (wl_get(t, &s->blk[i], size, how | WL_GO)) {
				s->live_hi = i;
				return WL_STEP_DONE;
			}
			if (busy)
				wl_busy(work);
		}
		for (uint64_t i = 0; i < s->n; i++) {
			/* stopped at i: blk[i, n) live; failed: blk[i] is left
			 * alone (NULL), blk[i + 1, n) live */
			if (wl_put(t, &s->blk[i], how | WL_GO | WL_KEEP)) {
				s->live_lo = i;
				s->live_hi = s->n;
				return WL_STEP_DONE;
			}
			if (busy)
				wl_busy(work);
		}
	}
	return WL_STEP_DONE;
}

static enum wl_step tt_thread(struct wl_thread *t)
{
	int busy = wl_p(t->run, P_WORK) != 0;
	if (wl_p(t->run, P_CXX))
		return busy ? tt_loop(t, WL_CXX | WL_WHOLE, 1) : tt_loop(t, WL_CXX | WL_WHOLE, 0);
	return busy ? tt_loop(t, WL_WHOLE, 1) : tt_loop(t, WL_WHOLE, 0);
}

static void tt_teardown(struct wl_run *r)
{
	for (unsigned i = 0; i < r->nthreads; i++) {
		struct tt_state *s = r->threads[i].state;
		if (s)
			wl_release_array(r, s->blk + s->live_lo, s->live_hi - s->live_lo);
	}
}

const struct wl_workload wl_threadtest = {
	.name = "threadtest",
	.summary = "Hoard threadtest: each thread allocates a batch then frees it",
	.params = params,
	.nparams = WL_COUNT_OF(params),
	.sizes = tt_sizes,
	.touch = WL_TOUCH_ALL,
	.original = "emeryberger/Hoard benchmarks/threadtest/threadtest.cpp",
	.init = tt_init,
	.thread = tt_thread,
	.teardown = tt_teardown,
};
