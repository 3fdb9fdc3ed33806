/*
 * wl_xmalloc.c - Lever & Boreham's xmalloc-test: producers and consumers.
 *
 * --threads T counts every thread: W = T/2 producers and W consumers, all on
 * one queue, as in the original (its -w W runs 2W threads); an odd T > 1
 * has one consumer more than producers (the original cannot run an odd
 * count), so that a sweep such as 1..all or a machine with an odd number of
 * CPUs runs every count. A producer
 * mallocs a batch array (a link word and `batch` pointers), mallocs `batch`
 * objects into it, writing the first min(size, 128) bytes of each, and
 * pushes the array onto the queue: a LIFO stack under one mutex, at most
 * `queue` batches deep, producers waiting on one condition variable while
 * it is full and consumers on another while it is empty. A consumer pops a
 * batch, frees its objects and then the array: 100% remote frees. The
 * figure counts the objects' frees only, as the original's does: the
 * producers' calls and the arrays' are made but not counted (--ops N ends
 * after N frees). T = 1 is one thread playing both parts (fill a batch,
 * free it), which the original cannot do. Natural length: `t` seconds.
 *
 * Verification: the objects carry the harness's tags (wl_tag.h). The batch
 * array holds the workload's own data (WL_DATA), so the consumer checks it
 * against what the producer recorded in harness memory (a descriptor per
 * batch in flight: the array's address and every object's block): the array
 * names its descriptor in its second word, and every pointer the consumer
 * reads from it must be the recorded one. So the array is one word longer
 * than the original's (32784 bytes for 4096 pointers instead of 32776: the
 * same size class in glibc, jemalloc, mimalloc and tcmalloc).
 */
#include "wl_harness.h"

#include "wl_mailbox.h"

enum { P_T, P_S, P_BATCH, P_QUEUE };

static const struct wl_param params[] = {
	[P_T] = { "t", 5, 1, 86400, "seconds to run when neither --duration nor --ops is given" },
	[P_S] = { "s", 64, -1, WL_SIZE_MAX, "object size; -1 cycles 17 sizes 8..2048 (steps:8-2048)" },
	[P_BATCH] = { "batch", 4096, 1, 1 << 20, "objects per batch" },
	[P_QUEUE] = { "queue", 100, 1, 1 << 16, "batches the queue holds at most" },
};

/* One batch in flight, in harness memory. */
struct xm_desc {
	struct xm_desc *next;       /* the queue's link */
	struct wl_blk array;        /* the batch array (WL_DATA) */
	uint32_t filled, freed;     /* objects made, objects freed */
	struct wl_blk obj[];        /* `batch` objects */
};

struct xm_queue {
	pthread_mutex_t lock;
	pthread_cond_t not_full, not_empty;
	struct xm_desc *top;
	unsigned count, limit;
	unsigned producers, consumers;  /* still running */
	struct wl_mailbox pool;         /* descriptors not in flight */
	struct wl_run *run;
};

/* A slot's descriptor in its hands (filling or freeing), for teardown. */
struct xm_slot {
	struct xm_desc *cur;
} __attribute__((aligned(64)));     /* one line per slot: no false sharing */

#define ARRAY_WORDS(n) ((size_t)(n) + 2)    /* link, descriptor, pointers */

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
	return 0;
}

/* T/2 producers (slots 0 .. T/2-1) and T - T/2 consumers; T = 1 is one
 * thread in both parts. */
static unsigned nproducers(const struct wl_run *r)
{
	return r->nthreads == 1 ? 1 : r->nthreads / 2;
}

static unsigned nconsumers(const struct wl_run *r)
{
	return r->nthreads == 1 ? 1 : r->nthreads - r->nthreads / 2;
}

static int is_producer(const struct wl_thread *t)
{
	return t->id < nproducers(t->run);
}

/* ------------------------------------------------------------------------
 * Set-up: the queue, the descriptor pool, the budgets
 * ---------------------------------------------------------------------- */

static size_t desc_bytes(const struct wl_run *r)
{
	return sizeof(struct xm_desc) + (size_t)wl_p(r, P_BATCH) * sizeof(struct wl_blk);
}

/* In flight at most: `queue` batches queued, one in each producer's hands
 * (full, waiting to push), one in each consumer's. */
static int make_pool(struct wl_run *r, struct xm_queue *q)
{
	uint64_t n = (uint64_t)wl_p(r, P_QUEUE) + 2 * r->nthreads + 1, cap = 2;
	while (cap < n)
		cap <<= 1;
	struct wl_cell *cells = wl_mem(r, cap * sizeof(*cells));
	char *descs = wl_mem(r, n * desc_bytes(r));
	if (!cells || !descs)
		return -1;
	wl_mailbox_init(&q->pool, cells, cap);
	for (uint64_t i = 0; i < n; i++) {
		struct wl_blk b = { descs + i * desc_bytes(r), 0, 0 };
		wl_mailbox_push(&q->pool, &b);
	}
	return 0;
}

/* --ops counts the consumers' frees: the budget is theirs. */
static void split_budget(struct wl_run *r)
{
	unsigned w = nconsumers(r), first = r->nthreads == 1 ? 0 : nproducers(r);
	uint64_t ops = r->cfg->ops;
	for (unsigned i = 0; i < r->nthreads; i++) {
		struct wl_thread *t = &r->threads[i];
		unsigned k = i - first;
		t->budget = i < first ? 0 : ops / w + (k < ops % w);
	}
}

static int xm_init(struct wl_run *r)
{
	struct xm_queue *q = wl_mem(r, sizeof(*q));
	struct xm_slot *slots = wl_mem(r, r->nthreads * sizeof(*slots));
	if (!q || !slots || make_pool(r, q))
		return -1;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->not_full, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	q->limit = (unsigned)wl_p(r, P_QUEUE);
	q->producers = nproducers(r);
	q->consumers = nconsumers(r);
	q->run = r;
	for (unsigned i = 0; i < r->nthreads; i++)
		r->threads[i].state = &slots[i];
	if (r->cfg->end == WL_END_OPS)
		split_budget(r);
	r->shared = q;
	return 0;
}

static void xm_wake(struct wl_run *r)
{
	struct xm_queue *q = r->shared;
	pthread_mutex_lock(&q->lock);
	pthread_cond_broadcast(&q->not_full);
	pthread_cond_broadcast(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
}

/* ------------------------------------------------------------------------
 * The queue
 * ---------------------------------------------------------------------- */

/* Push d, waiting while the queue is full; no wait once the run stops or
 * no consumer is left (then d is pushed anyway, for teardown to release). */
static void enqueue(struct xm_queue *q, struct xm_desc *d)
{
	pthread_mutex_lock(&q->lock);
	while (q->count >= q->limit && q->consumers && !wl_stopped(q->run))
		pthread_cond_wait(&q->not_full, &q->lock);
	void **array = d->array.p;
	array[0] = q->top ? q->top->array.p : NULL;     /* the original's link */
	d->next = q->top;
	q->top = d;
	q->count++;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
}

/* Pop a batch, waiting while the queue is empty; NULL once the run stops or
 * the queue is empty with no producer left. */
static struct xm_desc *dequeue(struct xm_queue *q)
{
	struct xm_desc *d;
	pthread_mutex_lock(&q->lock);
	while (!q->top && q->producers && !wl_stopped(q->run))
		pthread_cond_wait(&q->not_empty, &q->lock);
	d = wl_stopped(q->run) ? NULL : q->top;
	if (d) {
		q->top = d->next;
		q->count--;
		pthread_cond_signal(&q->not_full);
	}
	pthread_mutex_unlock(&q->lock);
	return d;
}

static void leave(struct xm_queue *q, int producer)
{
	pthread_mutex_lock(&q->lock);
	if (producer)
		q->producers--;
	else
		q->consumers--;
	pthread_cond_broadcast(producer ? &q->not_empty : &q->not_full);
	pthread_mutex_unlock(&q->lock);
}

/* ------------------------------------------------------------------------
 * Filling and freeing a batch
 * ---------------------------------------------------------------------- */

static struct xm_desc *take_desc(struct wl_thread *t, struct xm_queue *q)
{
	struct wl_blk b;
	if (!wl_mailbox_pop(&q->pool, &b)) {
		wl_fail(t->run, "xmalloc: more batches in flight than the queue allows");
		return NULL;
	}
	return b.p;
}

static void give_desc(struct xm_queue *q, struct xm_desc *d)
{
	struct wl_blk b = { d, 0, 0 };
	wl_mailbox_push(&q->pool, &b);
}

/* The producer's part: a batch array and `batch` objects. 0, or -1 (the run
 * stopped or failed; what was made stays in the slot for teardown). */
static int fill(struct wl_thread *t, struct xm_slot *s, struct xm_desc *d)
{
	uint32_t n = (uint32_t)wl_p(t->run, P_BATCH);
	d->filled = d->freed = 0;
	s->cur = d;
	if (wl_get(t, &d->array, (uint32_t)(ARRAY_WORDS(n) * sizeof(void *)),
		   WL_UNCOUNTED | WL_DATA))
		return -1;
	void **array = d->array.p;
	array[1] = d;
	for (uint32_t i = 0; i < n; i++) {
		if (wl_get(t, &d->obj[i], wl_size_draw(t->sizes, &t->rng), WL_UNCOUNTED))
			return -1;
		array[2 + i] = d->obj[i].p;
		d->filled = i + 1;
	}
	return 0;
}

static int bad_array(struct wl_thread *t, const struct xm_desc *d)
{
	wl_fail(t->run, "block verification failed: the batch array %p (%u bytes) consumed by "
		"thread %u was written by someone else (handed out twice or overwritten)",
		d->array.p, d->array.size, t->id);
	return -1;
}

/* The consumer's part: free the objects (counted) and the array. 0, or -1
 * (the budget ran out or the run failed; the rest stays for teardown). */
static int drain(struct wl_thread *t, struct xm_queue *q, struct xm_slot *s, struct xm_desc *d)
{
	void **array = d->array.p;
	s->cur = d;
	if (array[1] != d)
		return bad_array(t, d);
	for (uint32_t i = d->freed; i < d->filled; i++) {
		if (!wl_go(t))
			return -1;
		if (array[2 + i] != d->obj[i].p)
			return bad_array(t, d);
		if (wl_free(t, &d->obj[i]))
			return -1;
		d->freed = i + 1;
	}
	if (wl_put(t, &d->array, WL_UNCOUNTED | WL_DATA))
		return -1;
	s->cur = NULL;
	give_desc(q, d);
	return 0;
}

/* ------------------------------------------------------------------------
 * The threads
 * ---------------------------------------------------------------------- */

static void produce(struct wl_thread *t, struct xm_queue *q, struct xm_slot *s)
{
	while (!wl_stopped(t->run) && __atomic_load_n(&q->consumers, __ATOMIC_RELAXED)) {
		struct xm_desc *d = take_desc(t, q);
		if (!d || fill(t, s, d))
			break;
		s->cur = NULL;
		enqueue(q, d);
	}
	leave(q, 1);
}

static void consume(struct wl_thread *t, struct xm_queue *q, struct xm_slot *s)
{
	struct xm_desc *d;
	while (wl_go(t) && (d = dequeue(q)))
		if (drain(t, q, s, d))
			break;
	leave(q, 0);
}

/* T = 1: fill a batch, then free it. */
static void alone(struct wl_thread *t, struct xm_queue *q, struct xm_slot *s)
{
	struct xm_desc *d;
	while (wl_go(t) && (d = take_desc(t, q)))
		if (fill(t, s, d) || drain(t, q, s, d))
			break;
}

static enum wl_step xm_thread(struct wl_thread *t)
{
	struct xm_queue *q = t->run->shared;
	if (t->run->nthreads == 1)
		alone(t, q, t->state);
	else if (is_producer(t))
		produce(t, q, t->state);
	else
		consume(t, q, t->state);
	return WL_STEP_DONE;
}

/* ------------------------------------------------------------------------
 * Teardown
 * ---------------------------------------------------------------------- */

/* A batch left in the queue or in a thread's hands at the stop: its array
 * is checked as a consumer checks it (fill writes its second word and each
 * object's pointer as it goes), then everything goes back. */
static void release_desc(struct wl_run *r, struct xm_desc *d)
{
	void **array = d->array.p;
	int ok = !array || array[1] == d;
	for (uint32_t i = d->freed; ok && i < d->filled; i++)
		ok = array[2 + i] == d->obj[i].p;
	if (!ok)
		wl_fail(r, "block verification failed: the batch array %p (%u bytes) left at the "
			"stop was written by someone else (handed out twice or overwritten)",
			d->array.p, d->array.size);
	for (uint32_t i = d->freed; i < d->filled; i++)
		wl_release(r, &d->obj[i]);
	wl_release_data(r, &d->array);
}

static void xm_teardown(struct wl_run *r)
{
	struct xm_queue *q = r->shared;
	if (!q)
		return;
	for (unsigned i = 0; i < r->nthreads; i++) {
		struct xm_slot *s = r->threads[i].state;
		if (s && s->cur)
			release_desc(r, s->cur);
	}
	for (struct xm_desc *d = q->top; d; d = d->next)
		release_desc(r, d);
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->not_empty);
	pthread_mutex_destroy(&q->lock);
}

const struct wl_workload wl_xmalloc = {
	.name = "xmalloc",
	.summary = "xmalloc-test: T/2 producers fill batches, the other threads free them (100% remote frees)",
	.params = params,
	.nparams = WL_COUNT_OF(params),
	.sizes = xm_sizes,
	.touch = 128,
	.original = "daanx/mimalloc-bench bench/xmalloc-test/xmalloc-test.c",
	.natural_seconds = "t",
	.check = xm_check,
	.init = xm_init,
	.thread = xm_thread,
	.teardown = xm_teardown,
	.wake = xm_wake,
	.differs = "counts the objects' frees only, as the original does (every call is made, "
		   "the producers' and the batch arrays' are not counted); --threads 1 is one "
		   "thread filling and freeing batches (the original needs 2), an odd T has one "
		   "consumer more than producers (the original runs 2W threads); the batch array "
		   "is one word longer (it names the harness's record of its blocks)",
};
