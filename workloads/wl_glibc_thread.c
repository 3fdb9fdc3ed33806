/*
 * wl_glibc_thread.c - glibc benchtests' bench-malloc-thread.
 *
 * Before the start, the run draws two tables, as the original does: `sizes`
 * block sizes from the size distribution (default 4..32768 under an
 * inverse-square law, invsq:4-32768) and `offsets` slot numbers below
 * `slots`. Every thread keeps `slots` blocks (1024) and walks both tables
 * from their start, round and round: a step frees the block in the slot the
 * offset table names (when it holds one) and mallocs a block of the size the
 * size table names into it, writing every byte. All threads replay the same
 * tables, each in its own working set. Natural length: `seconds` (the
 * original runs 2 seconds).
 *
 * The original writes its blocks with a byte loop that gcc -O2 leaves
 * scalar, one store per byte, a cost per step that every allocator pays
 * alike (about 36 bytes a block on average under this law); by default
 * (bytewise=1) the blocks are written the same way, bytewise=0 writes them
 * with the harness's wide stores.
 */
#include "wl_harness.h"

enum { P_SLOTS, P_SECONDS, P_SIZES, P_OFFSETS, P_BYTEWISE };

static const struct wl_param params[] = {
	[P_SLOTS] = { "slots", 1024, 1, 100000000, "working-set slots per thread" },
	[P_SECONDS] = { "seconds", 2, 1, 86400, "seconds to run when neither --duration nor --ops is given" },
	[P_SIZES] = { "sizes", 8000, 1, 100000000, "entries of the precomputed size table" },
	[P_OFFSETS] = { "offsets", 4096, 1, 100000000, "entries of the precomputed slot table" },
	[P_BYTEWISE] = { "bytewise", 1, 0, 1,
			 "1: write each block a byte at a time, as the original's loop compiles; 0: wide stores" },
};

struct gt_tables {
	uint32_t *size;
	uint32_t *slot;
};

struct gt_state {
	struct wl_blk *blk;
	uint64_t next_size, next_slot;  /* table positions */
};

/* The tables come from their own stream of the run's seed, so every thread
 * sees the same ones. */
static int gt_init(struct wl_run *r)
{
	uint64_t ns = (uint64_t)wl_p(r, P_SIZES), no = (uint64_t)wl_p(r, P_OFFSETS);
	uint64_t slots = (uint64_t)wl_p(r, P_SLOTS);
	struct gt_tables *tb = wl_mem(r, sizeof(*tb));
	struct wl_rng rng;

	if (!tb || !(tb->size = wl_mem(r, ns * sizeof(uint32_t))) ||
	    !(tb->slot = wl_mem(r, no * sizeof(uint32_t))))
		return -1;
	wl_rng_seed(&rng, r->cfg->seed, 0x7461626c6573ull);
	for (uint64_t i = 0; i < ns; i++)
		tb->size[i] = wl_size_draw(&r->sizes, &rng);
	for (uint64_t i = 0; i < no; i++)
		tb->slot[i] = (uint32_t)wl_rng_below(&rng, slots);
	for (unsigned i = 0; i < r->nthreads; i++) {
		struct gt_state *s = wl_mem(r, sizeof(*s));
		if (!s || !(s->blk = wl_mem(r, slots * sizeof(struct wl_blk))))
			return -1;
		r->threads[i].state = s;
	}
	r->shared = tb;
	return 0;
}

/* The loop, once per way of writing (how: 0 or WL_BYTEWISE, a constant in
 * each copy). Every block is written whole (WL_WHOLE), and the stop is seen
 * in the calls (WL_GO): each step makes at least the malloc. */
static inline __attribute__((always_inline)) enum wl_step gt_loop(struct wl_thread *t,
								  unsigned how)
{
	const struct gt_tables *tb = t->run->shared;
	struct gt_state *s = t->state;
	uint64_t ns = (uint64_t)wl_p(t->run, P_SIZES), no = (uint64_t)wl_p(t->run, P_OFFSETS);

	for (;;) {
		struct wl_blk *b = &s->blk[tb->slot[s->next_slot]];
		uint32_t size = tb->size[s->next_size];
		if (b->p && wl_put(t, b, how | WL_WHOLE | WL_GO))
			break;
		if (wl_get(t, b, size, how | WL_WHOLE | WL_GO))
			break;
		s->next_slot = s->next_slot + 1 == no ? 0 : s->next_slot + 1;
		s->next_size = s->next_size + 1 == ns ? 0 : s->next_size + 1;
	}
	return WL_STEP_DONE;
}

static enum wl_step gt_thread(struct wl_thread *t)
{
	return wl_p(t->run, P_BYTEWISE) ? gt_loop(t, WL_BYTEWISE) : gt_loop(t, 0);
}

static void gt_teardown(struct wl_run *r)
{
	for (unsigned i = 0; i < r->nthreads; i++) {
		struct gt_state *s = r->threads[i].state;
		if (s)
			wl_release_array(r, s->blk, (size_t)wl_p(r, P_SLOTS));
	}
}

const struct wl_workload wl_glibc_thread = {
	.name = "glibc-thread",
	.summary = "glibc bench-malloc-thread: 1024-slot working set, precomputed tables, inverse-square sizes 4..32768",
	.params = params,
	.nparams = WL_COUNT_OF(params),
	.default_dist = "invsq:4-32768",
	.touch = WL_TOUCH_ALL,
	.original = "daanx/mimalloc-bench bench/glibc-bench/bench-malloc-thread.c",
	.natural_seconds = "seconds",
	.init = gt_init,
	.thread = gt_thread,
	.teardown = gt_teardown,
	.differs = "the tables are drawn from nanobench's generator and seed (the original's "
		   "from rand() unseeded); a slot that holds no block is not freed (the "
		   "original calls free(NULL) for it)",
};
