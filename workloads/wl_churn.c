/*
 * wl_churn.c - mstress-style churn: short-lived threads of unequal load.
 *
 * Every round each slot runs on a fresh thread (WL_STEP_HANDOVER). A
 * thread's load is `steps` * (1 + (slot + round) % 4) steps, so loads differ
 * by up to four times and rotate between slots. A step picks a random slot
 * of the slot's array: with probability `swap` percent it swaps the block
 * with one from the shared pool (blocks migrate between threads), otherwise
 * it frees it (if any) and allocates a new one. At the end of its round a
 * thread frees all but `keep` percent of its blocks and exits with the rest
 * still live; the next thread of the slot inherits them. Natural length:
 * `rounds` threads per slot.
 */
#include "wl_harness.h"

#include "wl_mailbox.h"

enum { P_ROUNDS, P_STEPS, P_SLOTS, P_KEEP, P_SWAP, P_POOL };

static const struct wl_param params[] = {
	[P_ROUNDS] = { "rounds", 50, 1, 1000000000, "threads per slot, one after another" },
	[P_STEPS] = { "steps", 20000, 1, 1000000000, "base steps of a thread (times 1..4)" },
	[P_SLOTS] = { "slots", 1000, 1, 10000000, "blocks a slot keeps" },
	[P_KEEP] = { "keep", 25, 0, 100, "percent of blocks still live when a thread exits" },
	[P_SWAP] = { "swap", 10, 0, 100, "percent of steps that swap a block with the shared pool" },
	[P_POOL] = { "pool", 1024, 2, 1 << 24, "shared pool capacity (rounded up to a power of two)" },
};

struct churn_slot {
	struct wl_blk *blk;
	int64_t round;
} __attribute__((aligned(64)));     /* one line per slot: no false sharing */

static int churn_init(struct wl_run *r)
{
	uint64_t cap = 2;
	size_t n = (size_t)wl_p(r, P_SLOTS);
	struct wl_mailbox *pool = wl_mem(r, sizeof(*pool));
	struct churn_slot *s = wl_mem(r, r->nthreads * sizeof(*s));

	while (cap < (uint64_t)wl_p(r, P_POOL))
		cap <<= 1;
	struct wl_cell *cells = wl_mem(r, cap * sizeof(*cells));
	if (!pool || !s || !cells)
		return -1;
	wl_mailbox_init(pool, cells, cap);
	r->shared = pool;
	for (unsigned i = 0; i < r->nthreads; i++) {
		if (!(s[i].blk = wl_mem(r, n * sizeof(struct wl_blk))))
			return -1;
		r->threads[i].state = &s[i];
	}
	return 0;
}

/* Put b into the shared pool and take one out (maybe another thread's, maybe
 * b itself); nothing happens when b is empty or the pool is full. */
static void churn_swap(struct wl_mailbox *pool, struct wl_blk *b)
{
	struct wl_blk got;
	if (!b->p || !wl_mailbox_push(pool, b))
		return;
	if (wl_mailbox_pop(pool, &got))
		*b = got;
	else
		b->p = NULL;
}

static int churn_step(struct wl_thread *t, struct churn_slot *s, uint64_t n)
{
	struct wl_blk *b = &s->blk[wl_rng_below(&t->rng, n)];
	if (wl_rng_pct(&t->rng, (unsigned)wl_p(t->run, P_SWAP))) {
		churn_swap(t->run->shared, b);
		return 0;
	}
	if (b->p && (!wl_go(t) || wl_free(t, b)))
		return -1;
	return wl_go(t) ? wl_alloc_draw(t, b) : -1;
}

static enum wl_step churn_thread(struct wl_thread *t)
{
	struct churn_slot *s = t->state;
	uint64_t n = (uint64_t)wl_p(t->run, P_SLOTS);
	int64_t load = wl_p(t->run, P_STEPS) * (1 + (int64_t)((t->id + (uint64_t)s->round) % 4));
	unsigned keep = (unsigned)wl_p(t->run, P_KEEP);

	for (int64_t k = 0; k < load; k++)
		if (churn_step(t, s, n))
			return WL_STEP_DONE;
	for (uint64_t i = 0; i < n; i++)
		if (s->blk[i].p && !wl_rng_pct(&t->rng, keep) && (!wl_go(t) || wl_free(t, &s->blk[i])))
			return WL_STEP_DONE;
	s->round++;
	if (wl_natural(t->run) && s->round >= wl_p(t->run, P_ROUNDS))
		return WL_STEP_DONE;
	return WL_STEP_HANDOVER;
}

static void churn_teardown(struct wl_run *r)
{
	struct wl_blk b;
	for (unsigned i = 0; i < r->nthreads; i++) {
		struct churn_slot *s = r->threads[i].state;
		if (s)
			wl_release_array(r, s->blk, (size_t)wl_p(r, P_SLOTS));
	}
	while (r->shared && wl_mailbox_pop(r->shared, &b))
		wl_release(r, &b);
}

const struct wl_workload wl_churn = {
	.name = "churn",
	.summary = "churn: short-lived threads of unequal load exit with live blocks, swap via a pool",
	.params = params,
	.nparams = WL_COUNT_OF(params),
	.default_dist = "exp:64,1024",
	.touch = 8,                     /* a header word, as most programs write */
	.original = "none: nanobench's own, in the spirit of mimalloc-bench's mstress",
	.init = churn_init,
	.thread = churn_thread,
	.teardown = churn_teardown,
};
