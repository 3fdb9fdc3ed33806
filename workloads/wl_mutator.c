/*
 * wl_mutator.c - a configurable mutator in the spirit of ACDC and rptest.
 *
 * Each thread keeps a working set of `ws` blocks. A step frees what other
 * threads sent, then replaces one block: the oldest (`fifo` 1: every block
 * lives exactly ws steps) or a random one (`fifo` 0: exponential lifetimes
 * with mean ws steps). The replaced block is freed by this thread, or with
 * probability `remote` percent sent to another thread to free (`target` 0:
 * the next slot, 1: a random slot). `touch` 1 writes the whole block after
 * malloc, so untouched pages cannot flatter an allocator; 0 writes nothing
 * (the tags then cover a sample of the blocks, wl_tag.h). Natural length:
 * `steps` per thread.
 */
#include "wl_inbox.h"

enum { P_STEPS, P_WS, P_FIFO, P_REMOTE, P_TARGET, P_TOUCH };

static const struct wl_param params[] = {
	[P_STEPS] = { "steps", 1000000, 1, 1000000000000LL, "replacements per thread" },
	[P_WS] = { "ws", 4096, 1, 100000000, "working-set blocks per thread" },
	[P_FIFO] = { "fifo", 0, 0, 1, "1: replace the oldest block; 0: a random one" },
	[P_REMOTE] = { "remote", 0, 0, 100, "percent of frees done by another thread" },
	[P_TARGET] = { "target", 0, 0, 1, "remote frees go to 0: the next thread, 1: a random one" },
	[P_TOUCH] = { "touch", 1, 0, 1, "1: write the whole block after malloc; 0: nothing" },
};

struct mut_state {
	struct wl_blk *blk;
	uint64_t next;              /* fifo cursor */
};

static int mut_init(struct wl_run *r)
{
	size_t n = (size_t)wl_p(r, P_WS);
	r->touch = wl_p(r, P_TOUCH) ? WL_TOUCH_ALL : 0;
	for (unsigned i = 0; i < r->nthreads; i++) {
		struct mut_state *s = wl_mem(r, sizeof(*s));
		if (!s || !(s->blk = wl_mem(r, n * sizeof(struct wl_blk))))
			return -1;
		r->threads[i].state = s;
	}
	return wl_p(r, P_REMOTE) ? wl_inbox_init(r, 1 << 14) : 0;
}

static int mut_retire(struct wl_thread *t, struct wl_blk *b)
{
	unsigned nt = t->run->nthreads;
	if (t->run->inbox && wl_rng_pct(&t->rng, (unsigned)wl_p(t->run, P_REMOTE))) {
		unsigned to = wl_p(t->run, P_TARGET) ? (unsigned)wl_rng_below(&t->rng, nt)
						     : (t->id + 1) % nt;
		if (wl_send(t, to, b))
			return 0;
	}
	return wl_go(t) ? wl_free(t, b) : -1;
}

static enum wl_step mut_thread(struct wl_thread *t)
{
	struct mut_state *s = t->state;
	uint64_t n = (uint64_t)wl_p(t->run, P_WS);
	int64_t steps = wl_p(t->run, P_STEPS);
	int fifo = (int)wl_p(t->run, P_FIFO);

	for (int64_t k = 0; !wl_natural(t->run) || k < steps; k++) {
		if (t->run->inbox && wl_drain(t))
			break;
		struct wl_blk *b = &s->blk[fifo ? s->next++ % n : wl_rng_below(&t->rng, n)];
		if (b->p && mut_retire(t, b))
			break;
		if (!wl_go(t) || wl_alloc_draw(t, b))
			break;
	}
	return WL_STEP_DONE;
}

static void mut_teardown(struct wl_run *r)
{
	for (unsigned i = 0; i < r->nthreads; i++) {
		struct mut_state *s = r->threads[i].state;
		if (s)
			wl_release_array(r, s->blk, (size_t)wl_p(r, P_WS));
	}
	wl_inbox_release(r);
}

const struct wl_workload wl_mutator = {
	.name = "mutator",
	.summary = "general mutator: size distribution, lifetime, working set, remote-free fraction",
	.params = params,
	.nparams = WL_COUNT_OF(params),
	.default_dist = "exp:64,4096",
	.original = "none: nanobench's own general mutator",
	.init = mut_init,
	.thread = mut_thread,
	.teardown = mut_teardown,
};
