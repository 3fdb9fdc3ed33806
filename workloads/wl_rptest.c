/*
 * wl_rptest.c - rpmalloc's benchmark, rptest (as in mimalloc-bench).
 *
 * Each thread keeps `allocs` block slots and makes rounds of two passes of
 * `loops` loops, each round on a fresh thread (WL_STEP_HANDOVER), as the
 * original starts its threads anew for its second round. A loop:
 *   1. takes the batches other threads sent it;
 *   2. frees up to 0.8 * `loop_ops` * f% blocks, f from a table of 257
 *      percentages (30..99), walking its slots with a prime stride (skipping
 *      empty ones);
 *   3. frees the received batches: their blocks, their pointer arrays and
 *      their headers;
 *   4. makes `loop_ops` * a% allocations (a from a table of 311), walking
 *      its slots with another prime stride, freeing the slot's block first
 *      when it holds one; blocks under 4096 bytes come from calloc,
 *      memalign(8) and memalign(16) in turn (memalign'ed ones memset), larger
 *      ones from calloc, which then gets a byte written in every page;
 *   5. every `cross_rate` loops, unless some thread has finished this pass,
 *      mallocs a batch (a 32-byte header and a pointer array, both memalign'ed
 *      and memset) with as many fresh blocks as step 4 made, and hands it to
 *      the next other thread, round robin.
 * After a pass a thread frees every block it holds and the batches sent to
 * it. With `rest_ms`, the threads first wait for each other after a pass's
 * loops and rest together (the original's main thread samples the memory
 * and pauses a second or more there, and before each round). The rests are
 * outside the measured time (wl_rest), as the original's pauses are outside
 * its timed sections, but allocators that give memory back on a timer
 * (mimalloc's delayed decommit) do it there, and the next pass pays the
 * page faults. Off by default: with them the workload agreed less with
 * the original (docs/workloads.md).
 * Sizes: `mode` 0 draws them over [min, max] by `dist` (0 even, 1 rptest's
 * linear: rplin, 2 its exp: rpexp), `mode` 1 always takes `min`.
 * The strides: the first prime from 7 up that does not divide `allocs`, and
 * the next such prime. Every call counts, the batches' arrays and headers
 * included, as in the original's "memory ops". Natural length: two rounds,
 * as the original (then a thread waits, freeing what is sent to it, until
 * every thread is done).
 *
 * Verification: blocks carry the harness's tags; a batch's header and
 * pointer array hold the workload's own data (WL_DATA), so the receiver
 * checks them against the sender's record in harness memory (the header
 * names it in its last word, where the original keeps an accounting
 * pointer).
 */
#include "wl_harness.h"

enum { P_MODE, P_DIST, P_CROSS, P_LOOPS, P_ALLOCS, P_OPS, P_MIN, P_MAX, P_REST };

static const struct wl_param params[] = {
	[P_MODE] = { "mode", 0, 0, 1, "0: random sizes over [min, max]; 1: every block of size min" },
	[P_DIST] = { "dist", 1, 0, 2, "size distribution: 0 even, 1 linear (rplin), 2 exp (rpexp)" },
	[P_CROSS] = { "cross_rate", 2, 0, 1000000, "send a batch to another thread every N loops (0 never)" },
	[P_LOOPS] = { "loops", 500, 1, 1000000000, "loops per pass (two rounds of two passes)" },
	[P_ALLOCS] = { "allocs", 1000, 8, 10000000, "block slots per thread" },
	[P_OPS] = { "loop_ops", 100, 1, 1000000, "operations per loop (rptest's op count)" },
	[P_MIN] = { "min", 8, 1, WL_SIZE_MAX, "smallest block (the block size in mode 1)" },
	[P_MAX] = { "max", 16000, 1, WL_SIZE_MAX, "largest block" },
	[P_REST] = { "rest_ms", 0, 0, 60000,
		     "idle pause of all threads before each round and between a pass's loops and its "
		     "frees, not measured (the original pauses 1-2 s there; 0: none)" },
};

#define NALLOC_PCT 311
#define NFREE_PCT 257
#define RING_BYTES (64u << 20) /* batch records: at most this many bytes a thread */
#define ROUNDS 2                /* rounds of two passes in a natural run */
#define PAGE 4096

/* One batch in flight, in harness memory. */
struct rp_batch {
	struct rp_batch *next;      /* the receiver's list */
	int busy;                   /* atomic: sent and not yet freed */
	uint32_t count;
	struct wl_blk head, array;  /* WL_DATA: 4 words; count pointers */
	struct wl_blk obj[];
};

struct rp_slot {
	struct wl_blk *blk;
	struct rp_batch *inbox;     /* atomic: batches sent to this slot */
	struct rp_batch *pending;   /* taken, not all freed when the run stopped */
	char *ring;                 /* the records of this slot's batches */
	uint64_t free_idx, alloc_idx;
	unsigned how_k, ring_k, cross;
	uint64_t pass, loop;
} __attribute__((aligned(64)));     /* one line per slot: no false sharing */

struct rp_shared {
	uint8_t alloc_pct[NALLOC_PCT], free_pct[NFREE_PCT];
	uint64_t alloc_stride, free_stride;
	uint64_t passes_done;       /* atomic: passes some thread has finished */
	unsigned finished;          /* atomic: threads through their last pass */
	size_t batch_bytes;
	uint64_t ring;              /* batch records a thread has */
};

static void rp_sizes(const int64_t *pv, char *spec, size_t len)
{
	static const char *const kind[] = { "uniform", "rplin", "rpexp" };
	long long lo = pv[P_MIN], hi = pv[P_MAX];
	if (pv[P_MODE] == 1)
		snprintf(spec, len, "fixed:%lld", lo);
	else
		snprintf(spec, len, "%s:%lld-%lld", kind[pv[P_DIST]], lo, hi);
}

static int rp_check(const struct wl_run *r, char *err, size_t len)
{
	if (wl_p(r, P_MODE) == 0 && wl_p(r, P_MIN) > wl_p(r, P_MAX)) {
		snprintf(err, len, "rptest: --min %lld is above --max %lld",
			 (long long)wl_p(r, P_MIN), (long long)wl_p(r, P_MAX));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Set-up
 * ---------------------------------------------------------------------- */

/* The first prime >= from that does not divide n. */
static uint64_t stride_prime(uint64_t from, uint64_t n)
{
	for (uint64_t p = from;; p++) {
		int prime = p > 1;
		for (uint64_t d = 2; d * d <= p && prime; d++)
			prime = p % d != 0;
		if (prime && n % p)
			return p;
	}
}

/* Batch records per thread: every batch of two passes (the original never
 * holds one back, however far its receiver falls behind; a receiver frees
 * what it was sent by the end of its pass, so a record two passes old is
 * free), within RING_BYTES. */
static uint64_t ring_size(const struct wl_run *r, size_t batch_bytes)
{
	uint64_t cross = (uint64_t)wl_p(r, P_CROSS), loops = (uint64_t)wl_p(r, P_LOOPS);
	uint64_t want = cross ? 2 * ((loops + cross - 1) / cross) + 1 : 1;
	uint64_t cap = RING_BYTES / batch_bytes;
	if (want > cap)
		want = cap;
	return want < 8 ? 8 : want;
}

static int rp_init(struct wl_run *r)
{
	uint64_t allocs = (uint64_t)wl_p(r, P_ALLOCS);
	struct rp_shared *sh = wl_mem(r, sizeof(*sh));
	struct rp_slot *slots = wl_mem(r, r->nthreads * sizeof(*slots));
	struct wl_rng rng;

	if (!sh || !slots)
		return -1;
	wl_rng_seed(&rng, r->cfg->seed, 0x7270746573747470ull);
	for (unsigned i = 0; i < NALLOC_PCT; i++)
		sh->alloc_pct[i] = (uint8_t)(30 + wl_rng_below(&rng, 70));
	for (unsigned i = 0; i < NFREE_PCT; i++)
		sh->free_pct[i] = (uint8_t)(30 + wl_rng_below(&rng, 70));
	sh->alloc_stride = stride_prime(7, allocs);
	sh->free_stride = stride_prime(sh->alloc_stride + 1, allocs);
	sh->batch_bytes = sizeof(struct rp_batch) + (size_t)wl_p(r, P_OPS) * sizeof(struct wl_blk);
	sh->ring = ring_size(r, sh->batch_bytes);
	for (unsigned i = 0; i < r->nthreads; i++) {
		slots[i].blk = wl_mem(r, allocs * sizeof(struct wl_blk));
		slots[i].ring = wl_mem(r, sh->ring * sh->batch_bytes);
		if (!slots[i].blk || !slots[i].ring)
			return -1;
		r->threads[i].state = &slots[i];
	}
	r->shared = sh;
	return 0;
}

/* ------------------------------------------------------------------------
 * Blocks
 * ---------------------------------------------------------------------- */

/* calloc, memalign(8), memalign(16) in turn under 4096 bytes; calloc above,
 * with a byte written in every page (the memalign'ed ones are memset by the
 * harness's touch). */
static int get_block(struct wl_thread *t, struct rp_slot *s, struct wl_blk *b)
{
	uint32_t size = wl_size_draw(t->sizes, &t->rng);
	unsigned k = size < PAGE ? s->how_k++ % 3 : 0;
	int rc = k == 0 ? wl_get(t, b, size, WL_CALLOC) :
		 k == 1 ? wl_get(t, b, size, WL_ALIGN8) : wl_get(t, b, size, WL_ALIGN16);
	if (rc == 0 && k == 0)
		for (size_t page = 1; page < (size - 1) / PAGE; page++)
			((volatile char *)b->p)[page * PAGE] = 1;
	return rc;
}

/* Before any call: may the thread make one? (-1: no) */
static int go(struct wl_thread *t)
{
	return wl_go(t) ? 0 : -1;
}

/* ------------------------------------------------------------------------
 * Batches
 * ---------------------------------------------------------------------- */

static struct rp_batch *ring_batch(const struct wl_run *r, struct rp_slot *s, unsigned k)
{
	const struct rp_shared *sh = r->shared;
	return (struct rp_batch *)(s->ring + (size_t)(k % sh->ring) * sh->batch_bytes);
}

static int get_data(struct wl_thread *t, struct wl_blk *b, uint32_t size)
{
	if (go(t) || wl_get(t, b, size, WL_ALIGN16 | WL_DATA))
		return -1;
	memset(b->p, 0xcd, size);
	return 0;
}

/* Make a batch of n blocks and push it onto slot `to`'s list. The records
 * hold every batch of two passes (ring_size), so a natural run never finds
 * its record still in flight; a longer timed run, or a ring cut down to
 * RING_BYTES, whose receiver is that far behind goes on without sending. */
static int send_batch(struct wl_thread *t, struct rp_slot *s, uint32_t n, unsigned to)
{
	struct rp_batch *b = ring_batch(t->run, s, s->ring_k);
	struct rp_slot *dst = t->run->threads[to].state;
	if (__atomic_load_n(&b->busy, __ATOMIC_ACQUIRE))
		return 0;
	s->ring_k++;
	b->count = 0;
	if (get_data(t, &b->head, 4 * sizeof(void *)) ||
	    get_data(t, &b->array, n * (uint32_t)sizeof(void *)))
		return -1;
	void **head = b->head.p, **array = b->array.p;
	head[0] = array;
	head[1] = (void *)(uintptr_t)n;
	head[3] = b;
	for (uint32_t i = 0; i < n; i++) {
		if (go(t) || get_block(t, s, &b->obj[i]))
			return -1;
		array[i] = b->obj[i].p;
		b->count = i + 1;
	}
	b->busy = 1;
	struct rp_batch *top = __atomic_load_n(&dst->inbox, __ATOMIC_RELAXED);
	do {
		b->next = top;
		head[2] = top ? top->head.p : NULL;     /* the original's link */
	} while (!__atomic_compare_exchange_n(&dst->inbox, &top, b, 1, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
	return 0;
}

static int bad_batch(struct wl_thread *t, const struct rp_batch *b)
{
	wl_fail(t->run, "block verification failed: the batch header %p or its pointer array %p "
		"freed by thread %u was written by someone else (handed out twice or overwritten)",
		b->head.p, b->array.p, t->id);
	return -1;
}

/* Free a received batch: its blocks, its array, its header. */
static int free_batch(struct wl_thread *t, struct rp_batch *b)
{
	void **head = b->head.p, **array = b->array.p;
	if (head[3] != b || head[0] != array || head[1] != (void *)(uintptr_t)b->count)
		return bad_batch(t, b);
	for (uint32_t i = 0; i < b->count; i++) {
		if (array[i] != b->obj[i].p)
			return bad_batch(t, b);
		if (go(t) || wl_free(t, &b->obj[i]))
			return -1;
	}
	if (go(t) || wl_put(t, &b->array, WL_DATA) || go(t) || wl_put(t, &b->head, WL_DATA))
		return -1;
	__atomic_store_n(&b->busy, 0, __ATOMIC_RELEASE);
	return 0;
}

/* Free every batch on a list; what is left when the run stops stays on the
 * slot's pending list for teardown. */
static int free_batches(struct wl_thread *t, struct rp_batch *list, struct rp_slot *s)
{
	for (; list; list = list->next) {
		if (free_batch(t, list)) {
			s->pending = list;
			return -1;
		}
	}
	return 0;
}

static int take_batches(struct wl_thread *t, struct rp_slot *s)
{
	return free_batches(t, __atomic_exchange_n(&s->inbox, NULL, __ATOMIC_ACQUIRE), s);
}

/* ------------------------------------------------------------------------
 * The loop
 * ---------------------------------------------------------------------- */

static unsigned next_target(const struct wl_thread *t, struct rp_slot *s)
{
	unsigned n = t->run->nthreads;
	s->cross = (s->cross + 1) % n;
	if (n > 1 && s->cross == t->id)
		s->cross = (s->cross + 1) % n;
	return s->cross;
}

static int rp_loop(struct wl_thread *t, struct rp_slot *s)
{
	struct rp_shared *sh = t->run->shared;
	uint64_t n = (uint64_t)wl_p(t->run, P_ALLOCS), ops = (uint64_t)wl_p(t->run, P_OPS);
	uint64_t cross = (uint64_t)wl_p(t->run, P_CROSS), k = s->pass + s->loop;
	uint64_t nfree = (uint64_t)(0.8 * (double)ops * sh->free_pct[k % NFREE_PCT] / 100.0);
	uint32_t nalloc = (uint32_t)(ops * sh->alloc_pct[k % NALLOC_PCT] / 100);
	struct rp_batch *got = __atomic_exchange_n(&s->inbox, NULL, __ATOMIC_ACQUIRE);

	for (uint64_t i = 0; i < nfree; i++, s->free_idx = (s->free_idx + sh->free_stride) % n)
		if (s->blk[s->free_idx].p && (go(t) || wl_free(t, &s->blk[s->free_idx])))
			return -1;
	if (free_batches(t, got, s))
		return -1;
	for (uint32_t i = 0; i < nalloc; i++, s->alloc_idx = (s->alloc_idx + sh->alloc_stride) % n) {
		struct wl_blk *b = &s->blk[s->alloc_idx];
		if ((b->p && (go(t) || wl_free(t, b))) || go(t) || get_block(t, s, b))
			return -1;
	}
	if (cross && t->run->nthreads > 1 && s->loop % cross == 0 &&
	    __atomic_load_n(&sh->passes_done, __ATOMIC_RELAXED) <= s->pass)
		return send_batch(t, s, nalloc, next_target(t, s));
	return 0;
}

/* The end of a pass's loops: no thread sends another batch in this pass
 * (the original stops sending once one thread is through). */
static void loops_done(struct wl_thread *t, const struct rp_slot *s)
{
	struct rp_shared *sh = t->run->shared;
	uint64_t done = s->pass + 1, seen = __atomic_load_n(&sh->passes_done, __ATOMIC_RELAXED);
	while (seen < done && !__atomic_compare_exchange_n(&sh->passes_done, &seen, done, 1,
							   __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* The end of a pass: every block this thread holds, and what it was sent. */
static int end_pass(struct wl_thread *t, struct rp_slot *s)
{
	uint64_t n = (uint64_t)wl_p(t->run, P_ALLOCS);
	for (uint64_t i = 0; i < n; i++)
		if (s->blk[i].p && (go(t) || wl_free(t, &s->blk[i])))
			return -1;
	return take_batches(t, s);
}

/* After both passes: free what others still send until all are done. */
static void wait_others(struct wl_thread *t, struct rp_slot *s)
{
	struct rp_shared *sh = t->run->shared;
	__atomic_add_fetch(&sh->finished, 1, __ATOMIC_ACQ_REL);
	while (!wl_stopped(t->run) &&
	       __atomic_load_n(&sh->finished, __ATOMIC_ACQUIRE) < t->run->nthreads) {
		if (take_batches(t, s))
			return;
		sched_yield();
	}
	take_batches(t, s);
}

static enum wl_step rp_thread(struct wl_thread *t)
{
	struct rp_slot *s = t->state;
	uint64_t loops = (uint64_t)wl_p(t->run, P_LOOPS);
	unsigned rest = (unsigned)wl_p(t->run, P_REST);
	for (;;) {
		/* the original's main thread starts a round's threads, then
		 * pauses before it lets them go */
		if (rest && s->pass % 2 == 0 && wl_rest(t, rest))
			return WL_STEP_DONE;
		for (s->loop = 0; s->loop < loops; s->loop++)
			if (rp_loop(t, s))
				return WL_STEP_DONE;
		loops_done(t, s);
		/* and after the loops (the original's threads free what they
		 * are sent while they wait, until the main thread, which samples
		 * the memory once all are through, lets them free their blocks):
		 * what was sent, then the rest */
		if (rest && (take_batches(t, s) || wl_rest(t, rest)))
			return WL_STEP_DONE;
		if (end_pass(t, s))
			return WL_STEP_DONE;
		if (++s->pass == 2 * ROUNDS && wl_natural(t->run))
			break;
		/* a round is two passes; the next runs on a fresh thread */
		if (s->pass % 2 == 0)
			return WL_STEP_HANDOVER;
	}
	wait_others(t, s);
	return WL_STEP_DONE;
}

/* ------------------------------------------------------------------------
 * Teardown
 * ---------------------------------------------------------------------- */

static void release_batch(struct wl_run *r, struct rp_batch *b)
{
	for (uint32_t i = 0; i < b->count; i++)
		wl_release(r, &b->obj[i]);
	wl_release_data(r, &b->array);
	wl_release_data(r, &b->head);
}

static void rp_teardown(struct wl_run *r)
{
	for (unsigned i = 0; i < r->nthreads; i++) {
		struct rp_slot *s = r->threads[i].state;
		if (!s)
			continue;
		wl_release_array(r, s->blk, (size_t)wl_p(r, P_ALLOCS));
		for (struct rp_batch *b = s->inbox; b; b = b->next)
			release_batch(r, b);
		for (struct rp_batch *b = s->pending; b; b = b->next)
			release_batch(r, b);
	}
	/* and batches made but never sent (the run stopped while one was
	 * filled); releasing one twice does nothing (its blocks are NULL) */
	const struct rp_shared *sh = r->shared;
	for (unsigned i = 0; sh && i < r->nthreads; i++) {
		struct rp_slot *s = r->threads[i].state;
		for (uint64_t k = 0; s && s->ring && k < sh->ring; k++)
			release_batch(r, ring_batch(r, s, k));
	}
}

const struct wl_workload wl_rptest = {
	.name = "rptest",
	.summary = "rpmalloc's rptest: slot churn with prime strides, calloc/memalign, batches to other threads",
	.params = params,
	.nparams = WL_COUNT_OF(params),
	.sizes = rp_sizes,
	.touch = WL_TOUCH_ALL,
	.original = "daanx/mimalloc-bench bench/rptest/rptest.c",
	.check = rp_check,
	.init = rp_init,
	.thread = rp_thread,
	.teardown = rp_teardown,
	.differs = "sizes are drawn from the distribution (the original walks a fixed table of "
		   "2000) and the percentage tables are nanobench's own draws of the same range; "
		   "the slot array is the harness's memory; no pauses between passes unless rest_ms "
		   "(the original's last one to two seconds, idle); the figure is calls per second "
		   "of the run less its rests (the original's per second of the threads' summed "
		   "measured sections)",
};
