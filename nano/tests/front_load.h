/*
 * front_load.h - the oversubscribed load of the rseq front's tests
 * (test_front.c's head comment): workers with private stacks of
 * pattern-checked blocks and mutex-protected inboxes to each other (remote
 * frees), bursts of one class, a relief thread underneath when asked, and
 * the checks that the zone's counts are exactly the workers'.
 */
#ifndef FRONT_LOAD_H
#define FRONT_LOAD_H

#include "front_test.h"

/* ========================================================================
 * The load: workers with private stacks and inboxes
 * ====================================================================== */

#define LOCAL 128
#define INBOX 2048
#define BURST 96

struct worker {
	pthread_t tid;
	unsigned idx;
	uint64_t rng, ids;
	uint64_t allocs, frees, sent;
	unsigned nlocal;
	struct rec local[LOCAL];
	pthread_mutex_t mu;             /* guards inbox and ninbox */
	unsigned ninbox;
	struct rec inbox[INBOX];
	struct rec taken[INBOX];        /* the inbox, moved out under mu */
	void (*extra)(struct worker *); /* fork mode: worker 0 forks */
} __attribute__((aligned(64)));

static struct worker *wk;
static unsigned nwk;
static atomic_int stop;
static pthread_barrier_t stopped;

static inline struct rec w_new(struct worker *w, size_t n)
{
	w->allocs++;
	return blk_new(n, (uint64_t)w->idx << 40 | ++w->ids);
}

static inline void w_free(struct worker *w, const struct rec *r)
{
	w->frees++;
	blk_free(r, &w->rng);
}

static inline struct worker *other(struct worker *w)
{
	unsigned j = (unsigned)(nt_rand(&w->rng) % (nwk - 1));
	return &wk[j >= w->idx ? j + 1 : j];
}

/* Hand k blocks to worker t (all or nothing), else free them here. */
static inline void w_send(struct worker *w, struct worker *t, const struct rec *r, unsigned k)
{
	pthread_mutex_lock(&t->mu);
	if (t->ninbox + k <= INBOX) {
		memcpy(&t->inbox[t->ninbox], r, k * sizeof(*r));
		t->ninbox += k;
		k = 0;
		w->sent++;
	}
	pthread_mutex_unlock(&t->mu);
	for (unsigned i = 0; i < k; i++)
		w_free(w, &r[i]);
}

static inline void w_drain_inbox(struct worker *w)
{
	unsigned n;
	pthread_mutex_lock(&w->mu);
	n = w->ninbox;
	memcpy(w->taken, w->inbox, n * sizeof(w->taken[0]));
	w->ninbox = 0;
	pthread_mutex_unlock(&w->mu);
	for (unsigned i = 0; i < n; i++)
		w_free(w, &w->taken[i]);
}

/* Take a random block off the private stack: free it or send it. */
static inline void w_release_one(struct worker *w)
{
	unsigned i = (unsigned)(nt_rand(&w->rng) % w->nlocal);
	struct rec r = w->local[i];
	w->local[i] = w->local[--w->nlocal];
	if (nt_rand(&w->rng) & 1)
		w_send(w, other(w), &r, 1);
	else
		w_free(w, &r);
}

/* k blocks of one class at once: freed here in reverse order (the cache
 * fills and flushes), or all sent to one worker (its frees of them chain). */
static inline void w_burst(struct worker *w)
{
	struct rec b[BURST];
	size_t n = 1 + nt_rand(&w->rng) % 256;
	unsigned k = 1 + (unsigned)(nt_rand(&w->rng) % BURST);
	for (unsigned i = 0; i < k; i++)
		b[i] = w_new(w, n);
	if (nt_rand(&w->rng) & 1) {
		w_send(w, other(w), b, k);
	} else {
		for (unsigned i = k; i-- > 0;)
			w_free(w, &b[i]);
	}
}

static inline void *worker_main(void *arg)
{
	struct worker *w = arg;
	int cpu = w->idx % 4 < 2 ? (w->idx % 4 ? cpu1 : cpu0) : -1;
	if (cpu >= 0)
		CHECK(nt_pin(cpu) == 0);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint64_t r = nt_rand(&w->rng) % 100;
		if (r < 50) {
			if (w->nlocal == LOCAL)
				w_release_one(w);
			w->local[w->nlocal++] = w_new(w, 1 + nt_rand(&w->rng) % 256);
		} else if (r < 75) {
			if (w->nlocal)
				w_release_one(w);
		} else if (r < 88) {
			w_drain_inbox(w);
		} else if (r < 98) {
			w_burst(w);
		} else if (w->extra) {
			w->extra(w);
		}
	}
	/* Nobody sends once every worker is past the barrier. */
	pthread_barrier_wait(&stopped);
	while (w->nlocal)
		w_free(w, &w->local[--w->nlocal]);
	w_drain_inbox(w);
	return NULL;
}

static atomic_int stop_relief;

static inline void *relief_main(void *arg)
{
	uint64_t *out = arg;        /* bytes released, calls */
	while (!atomic_load(&stop_relief)) {
		out[0] += nano_pressure_relief();
		out[1]++;
		usleep(500);
	}
	return NULL;
}

struct load {
	unsigned threads;
	double seconds;
	int relief;                             /* a relief thread underneath */
	void (*extra)(struct worker *);         /* worker 0's extra step */
	int (*more)(void);                      /* after `seconds`, go on while it says 1 */
	/* results */
	uint64_t allocs, frees, sent, relief_bytes, relief_calls;
};

static inline void run_load(struct load *l)
{
	pthread_t rt;
	uint64_t rout[2] = { 0, 0 };
	struct timespec ts = { (time_t)l->seconds,
			       (long)((l->seconds - (double)(time_t)l->seconds) * 1e9) };

	CHECK(l->threads >= 2);
	nwk = l->threads;
	wk = aligned_alloc(64, nwk * sizeof(*wk));
	CHECK(wk != NULL);
	memset(wk, 0, nwk * sizeof(*wk));
	atomic_store(&stop, 0);
	atomic_store(&stop_relief, 0);
	CHECK(pthread_barrier_init(&stopped, NULL, nwk) == 0);
	if (l->relief)
		CHECK(pthread_create(&rt, NULL, relief_main, rout) == 0);
	for (unsigned i = 0; i < nwk; i++) {     /* every inbox before any sender */
		wk[i].idx = i;
		wk[i].rng = nt_seed(i + 1000);
		wk[i].extra = i == 0 ? l->extra : NULL;
		CHECK(pthread_mutex_init(&wk[i].mu, NULL) == 0);
	}
	for (unsigned i = 0; i < nwk; i++)
		CHECK(pthread_create(&wk[i].tid, NULL, worker_main, &wk[i]) == 0);
	while (nanosleep(&ts, &ts) != 0)
		CHECK(errno == EINTR);
	while (l->more && l->more()) {
		struct timespec tick = { 0, 10000000 };
		nanosleep(&tick, NULL);
	}
	atomic_store(&stop, 1);
	for (unsigned i = 0; i < nwk; i++) {
		CHECK(pthread_join(wk[i].tid, NULL) == 0);
		l->allocs += wk[i].allocs;
		l->frees += wk[i].frees;
		l->sent += wk[i].sent;
	}
	if (l->relief) {
		atomic_store(&stop_relief, 1);
		CHECK(pthread_join(rt, NULL) == 0);
		l->relief_bytes = rout[0];
		l->relief_calls = rout[1];
	}
	pthread_barrier_destroy(&stopped);
	free(wk);
}

/* After a load: the zone's counts are exactly the workers'. */
static inline void check_after_load(const struct nano_totals *t0, const struct nano_totals *t1,
			     const struct load *l)
{
	CHECK_EQ(l->allocs, l->frees);
	CHECK_EQ(t1->all.allocs - t0->all.allocs, l->allocs);
	CHECK_EQ(t1->all.frees - t0->all.frees, l->frees);
	CHECK_EQ(t1->all.in_use, 0);
	CHECK_EQ(t1->all.bytes_in_use, 0);
	CHECK_EQ(t1->small_requests - t0->small_requests, l->allocs);
	CHECK_EQ(t1->helper_small - t0->helper_small, 0);
	CHECK_EQ(t1->relief_bytes - t0->relief_bytes, l->relief_bytes);
	check_identity(t1);
	/* every class still hands out good blocks */
	uint64_t rng = nt_seed(7);
	for (size_t n = 1; n <= 256; n += 15) {
		struct rec r = blk_new(n, 0xc1a55 + n);
		blk_free(&r, &rng);
	}
}

/* The front served the load, every block took it, and the counters add
 * up with what the workers did. */
static inline void check_front_served(const struct nano_totals *t0, const struct nano_totals *t1,
			       const struct load *l)
{
	const struct nano_front_counts *f = &t1->front, *g = &t0->front;
	CHECK(f->cache_allocs - g->cache_allocs > 0);
	CHECK(f->cache_frees - g->cache_frees > 0);
	CHECK(f->refills - g->refills > 0);
	CHECK(f->refill_blocks - g->refill_blocks >= f->refills - g->refills);
	/* flushed and handed-over blocks went through the transfer stages and
	 * came back: refills took more than they carved */
	CHECK(f->refill_blocks - g->refill_blocks > f->refills_bump - g->refills_bump);
	CHECK(f->flushes - g->flushes > 0);
	CHECK(f->flush_blocks - g->flush_blocks >= f->flushes - g->flushes);
	if (two_magazines()) {
		CHECK(f->chains - g->chains > 0);
		CHECK(f->chain_blocks - g->chain_blocks >= f->chains - g->chains);
	}
	if (!l->relief) {
		/* nothing fences a CPU: every operation took the front */
		CHECK_EQ(f->v1_allocs - g->v1_allocs, 0);
		CHECK_EQ(f->v1_frees - g->v1_frees, 0);
	}
	/* each malloc: a cache hit (a refill only fills the cache) or the v1
	 * path; each free: into a cache, a remote buffer (handed over since, or
	 * still there), or the v1 path */
	CHECK_EQ((f->cache_allocs - g->cache_allocs) + (f->v1_allocs - g->v1_allocs), l->allocs);
	CHECK_EQ((f->cache_frees - g->cache_frees) + (f->chain_blocks - g->chain_blocks) +
		 (f->chained_blocks - g->chained_blocks) + (f->v1_frees - g->v1_frees), l->frees);
}

static inline void print_load(const char *what, const struct nano_totals *t, const struct load *l)
{
	const struct nano_front_counts *f = &t->front;
	printf("%s: %s front, cap %u, %u threads x %.1f s: %" PRIu64 " allocs, %" PRIu64
	       " handoffs; cache allocs %" PRIu64 " frees %" PRIu64 ", refills %" PRIu64
	       ", flushes %" PRIu64 ", hand-overs %" PRIu64 " (mean %.1f blocks), drains %" PRIu64
	       " (%" PRIu64 " blocks), v1 %" PRIu64 "/%" PRIu64 ", rseq aborts %" PRIu64 "\n",
	       what, st.front, st.front_cap, l->threads, l->seconds, l->allocs, l->sent,
	       f->cache_allocs, f->cache_frees, f->refills, f->flushes, f->chains,
	       f->chains ? (double)f->chain_blocks / (double)f->chains : 0.0, f->drains,
	       f->drain_blocks, f->v1_allocs, f->v1_frees, f->aborts);
	if (l->relief)
		printf("%s: relief: %" PRIu64 " calls, %" PRIu64 " bytes released, %" PRIu64
		       " blocks retired\n", what, l->relief_calls, l->relief_bytes, t->all.retired);
}


static const struct nano_front_counts zero_front;

#endif
