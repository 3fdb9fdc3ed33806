/*
 * wl_xmalloc.c - Lever & Boreham's xmalloc-test: producers and consumers.
 *
 * --threads T counts every thread: W = T/2 producers and W consumers, paired
 * (producer i feeds consumer i through its own bounded mailbox). A producer
 * allocates a batch of `batch` blocks and pushes them, waiting while the
 * mailbox is full; its consumer pops and frees: 100% remote frees. T = 1 is
 * one thread playing both parts (produce a batch, then free it). Natural
 * length: `t` seconds. With --ops, slot budgets are spread so that every
 * producer gets at least its consumer's budget, so the count stays exact.
 */
#include "wl_harness.h"

#include "wl_mailbox.h"

enum { P_T, P_S, P_BATCH, P_QUEUE };

static const struct wl_param params[] = {
	[P_T] = { "t", 5, 1, 86400, "seconds to run when neither --duration nor --ops is given" },
	[P_S] = { "s", 64, -1, WL_SIZE_MAX, "object size; -1 cycles 17 sizes 8..2048 (steps:8-2048)" },
	[P_BATCH] = { "batch", 256, 1, 1000000, "blocks a producer allocates before yielding them" },
	[P_QUEUE] = { "queue", 4096, 2, 1 << 24, "mailbox capacity in blocks (rounded up to a power of two)" },
};

struct xm_pair {
	struct wl_mailbox box;
	struct wl_blk pending;      /* a producer's block that found no room */
	int producer_done;          /* atomic */
	int consumer_done;          /* atomic */
};

static void xm_sizes(const int64_t *pv, char *spec, size_t len)
{
	if (pv[P_S] <= 0)
		snprintf(spec, len, "steps:8-2048");
	else
		snprintf(spec, len, "fixed:%lld", (long long)pv[P_S]);
}

static int xm_check(const struct wl_run *r, char *err, size_t len)
{
	if (wl_p(r, P_S) == 0) {
		snprintf(err, len, "xmalloc: --s 0 is not a size (expected -1 or 1..%u)", WL_SIZE_MAX);
		return -1;
	}
	if (r->nthreads > 1 && r->nthreads % 2) {
		snprintf(err, len, "xmalloc: --threads %u is odd (expected 1, or an even count: "
			 "T/2 producers + T/2 consumers)", r->nthreads);
		return -1;
	}
	return 0;
}

static unsigned npairs(const struct wl_run *r)
{
	return r->nthreads == 1 ? 1 : r->nthreads / 2;
}

static int xm_init(struct wl_run *r)
{
	unsigned w = npairs(r);
	uint64_t cap = 2;
	struct xm_pair *pairs = wl_mem(r, w * sizeof(*pairs));

	while (cap < (uint64_t)wl_p(r, P_QUEUE) || cap < (uint64_t)wl_p(r, P_BATCH))
		cap <<= 1;
	if (!pairs)
		return -1;
	for (unsigned i = 0; i < w; i++) {
		struct wl_cell *cells = wl_mem(r, cap * sizeof(*cells));
		if (!cells)
			return -1;
		wl_mailbox_init(&pairs[i].box, cells, cap);
	}
	for (unsigned i = 0; i < r->nthreads; i++)
		r->threads[i].state = &pairs[i % w];
	r->shared = pairs;
	return 0;
}

/* Push, waiting for room while the consumer is still at work. */
static int xm_push(struct wl_thread *t, struct xm_pair *p, struct wl_blk *b)
{
	unsigned spins = 0;
	while (!wl_mailbox_push(&p->box, b)) {
		if (wl_stopped(t->run) || __atomic_load_n(&p->consumer_done, __ATOMIC_ACQUIRE)) {
			p->pending = *b;
			return -1;
		}
		wl_relax(&spins);
	}
	return 0;
}

static void xm_produce(struct wl_thread *t, struct xm_pair *p)
{
	int64_t batch = wl_p(t->run, P_BATCH);
	while (wl_go(t)) {
		for (int64_t i = 0; i < batch && wl_go(t); i++) {
			struct wl_blk b;
			if (wl_alloc_draw(t, &b) || xm_push(t, p, &b))
				goto out;
		}
	}
out:
	__atomic_store_n(&p->producer_done, 1, __ATOMIC_RELEASE);
}

static void xm_consume(struct wl_thread *t, struct xm_pair *p)
{
	unsigned spins = 0;
	while (wl_go(t)) {
		struct wl_blk b;
		if (wl_mailbox_pop(&p->box, &b)) {
			if (wl_free(t, &b))
				break;
			continue;
		}
		if (__atomic_load_n(&p->producer_done, __ATOMIC_ACQUIRE)) {
			/* Nothing more will come once the box is empty now. */
			if (!wl_mailbox_pop(&p->box, &b) || wl_free(t, &b))
				break;
			continue;
		}
		wl_relax(&spins);
	}
	__atomic_store_n(&p->consumer_done, 1, __ATOMIC_RELEASE);
}

/* T = 1: produce a batch into the mailbox, then drain it. */
static void xm_alone(struct wl_thread *t, struct xm_pair *p)
{
	int64_t batch = wl_p(t->run, P_BATCH);
	while (wl_go(t)) {
		struct wl_blk b;
		for (int64_t i = 0; i < batch && wl_go(t); i++) {
			if (wl_alloc_draw(t, &b))
				return;
			if (!wl_mailbox_push(&p->box, &b)) {
				p->pending = b;
				return;
			}
		}
		while (wl_go(t) && wl_mailbox_pop(&p->box, &b))
			if (wl_free(t, &b))
				return;
	}
}

static enum wl_step xm_thread(struct wl_thread *t)
{
	struct xm_pair *p = t->state;
	if (t->run->nthreads == 1)
		xm_alone(t, p);
	else if (t->id < npairs(t->run))
		xm_produce(t, p);
	else
		xm_consume(t, p);
	return WL_STEP_DONE;
}

static void xm_teardown(struct wl_run *r)
{
	struct xm_pair *pairs = r->shared;
	for (unsigned i = 0; pairs && i < npairs(r); i++) {
		struct wl_blk b;
		if (!pairs[i].box.cells)
			continue;
		wl_release(r, &pairs[i].pending);
		while (wl_mailbox_pop(&pairs[i].box, &b))
			wl_release(r, &b);
	}
}

const struct wl_workload wl_xmalloc = {
	.name = "xmalloc",
	.summary = "xmalloc-test: W producers allocate, W consumers free (100% remote frees)",
	.params = params,
	.nparams = WL_COUNT_OF(params),
	.sizes = xm_sizes,
	.touch = 128,
	.natural_seconds = "t",
	.check = xm_check,
	.init = xm_init,
	.thread = xm_thread,
	.teardown = xm_teardown,
};
