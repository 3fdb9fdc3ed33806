/*
 * test_front.c - the rseq front (nano_front.h): per-CPU caches, remote
 * chains, guard words and drain, under load and under misuse.
 *
 *   test_front stress [CAP [THREADS [SECONDS]]]
 *       THREADS (16) workers on the 2 CPUs (a quarter pinned to each of the
 *       first two CPUs, the rest free to migrate, so that preemption and
 *       migration inside critical sections happen) allocate blocks of 1..256
 *       bytes, fill each over its whole usable size with a pattern derived
 *       from its address and a unique block id (so two live blocks that
 *       overlap, or one block handed out twice, fail the check), and pass a
 *       share of them, singly and in bursts of one class, through
 *       mutex-protected inboxes to other workers, which check and free them
 *       (remote frees: chains). Every block is checked before its free; every
 *       pointer must be 16-byte aligned with nano_size() its class size. At
 *       the end (all joined, all freed) the statistics must match the
 *       workers' own counts exactly, in_use 0, carved = in use + free +
 *       retired, and the front must have served: cache hits, refills,
 *       flushes, chains (chain_blocks >= chains), no operation on the v1
 *       path. Aborts are printed (not asserted: they need a preemption inside
 *       a critical section). CAP 8 makes flushes and chain pushes frequent.
 *       Under GLIBC_TUNABLES=glibc.pthread.rseq=0 the same load must pass on
 *       the v1 path (front "v1", a reason naming rseq, front counters 0);
 *       without rseq otherwise, the test is skipped (77).
 *   test_front relief_concurrent [CAP]
 *       stress (8 threads, 3 s) with a thread calling nano_pressure_relief()
 *       in a loop: the drain fences CPUs' records and restarts their critical
 *       sections under the workers' feet; patterns and exact totals as above,
 *       and drains must have happened when front_drain is 1.
 *   test_front fallback [env]
 *       re-executes itself with GLIBC_TUNABLES=glibc.pthread.rseq=0: rseq is
 *       asked for (by the config, or with `env` by NANO_FRONT=rseq and
 *       nano_zone_init(NULL)) but the settings say front "v1", front_reason
 *       names rseq, front_cap 0, cpu from getcpu; a multithreaded churn
 *       works and every front counter stays 0.
 *   test_front double_free_cache | double_free_chain | guard_corrupt
 *   test_front guard_corrupt_flushed
 *       heap misuse through the cache and chain paths, each case in a child
 *       that must abort with nano's one-line message naming the pointer
 *       (nt_fatal_case); each child first checks (statistics) that its block
 *       really took the path the case is about. "double free":
 *         cache: free, free; free under 20 later frees; sized free then
 *           free; the block flushed from a full cache to the list, or
 *           drained there by relief (v1 guard, v1's scan);
 *         chain (allocated on CPU 0, freed on CPU 1): still in CPU 1's
 *           chain; the chain pushed whole onto the owner's list (filled to
 *           cap), second free on CPU 1 and on the owner's CPU 0.
 *       "corrupted" (a write after free over the first 16 bytes, which
 *       holds the front's cache guard in the second word):
 *         the block on top of the cache, under 8 others, zeroed; in a chain
 *           (chain guard, first word) that reached the owner's list, caught
 *           by the refill's list diligence;
 *         guard_corrupt_flushed: in the cache when a flush moves it to the
 *           list; then allocated again.
 *       Chains need two CPUs of different magazines (else 77).
 *   test_front relief
 *       two pinned threads allocate 64 MiB of 64-byte blocks and free them
 *       (caches full, and a remote chain pending); relief must release bytes,
 *       RSS must fall, and with front_drain the caches and chains must be
 *       empty afterwards (drain_blocks = what they held); blocks work again.
 *   test_front stats_exact
 *       one pinned thread, N mallocs then N frees of one class: the exact
 *       counts, and the cache's refills and flushes as a model predicts.
 *   test_front stats_remote
 *       blocks of CPU 0 freed on CPU 1, which never allocated: they are
 *       free (frees, in_use 0, chained), and relief drains the chain.
 *   test_front aborts
 *       a malloc/free loop hit by tens of thousands of signals from another
 *       thread: front.aborts must count the restarted critical sections.
 *   test_front fork
 *       workers churn as in stress while one of them forks 8 times; each
 *       child (front still on) checks and frees that worker's blocks, churns
 *       in two threads with patterns, runs relief, churns again, exits 0.
 *
 * Built twice: plain, and with ThreadSanitizer (NT_TSAN=1), which cannot see
 * rseq critical sections and runs `stress` on the fallback path only.
 */
#include "nano_front.h"
#include "nt.h"

#include <malloc.h>
#include <stdatomic.h>
#include <time.h>

#ifndef NT_TSAN
#define NT_TSAN 0
#endif

#define TUNABLE "glibc.pthread.rseq=0"
/* The misuse and exact-count modes fix the capacity (a cache starts at
 * min(64, cap) and grows to cap: 64 means no adaptation), so that they know
 * when a cache or a remote buffer is full. */
#define FIXED_CAP 64

static int cpu0, cpu1;
static struct nano_settings st;

/* ========================================================================
 * Start-up
 * ====================================================================== */

static int rseq_registered(void)
{
#if NANO_HAVE_RSEQ
	return __rseq_size != 0;
#else
	return 0;
#endif
}

static int tunable_off(void)
{
	const char *t = getenv("GLIBC_TUNABLES");
	return t && strstr(t, TUNABLE);
}

/* The settings of a zone that was asked for rseq and fell back. */
static void check_fallback_settings(void)
{
	CHECK_STR(st.front, "v1");
	CHECK_STR(st.front_requested, "rseq");
	CHECK_MSG(st.front_reason && strstr(st.front_reason, "rseq"),
		  "front_reason \"%s\" does not say why rseq is not in effect",
		  st.front_reason ? st.front_reason : "(null)");
	CHECK_EQ(st.front_cap, 0);
	if (!rseq_registered())
		CHECK_STR(st.cpu_source, "getcpu");
}

/* Start the zone with the rseq front (cap 0: the default). 1: the front is
 * on; 0: it fell back, which is only allowed where rseq is unavailable. */
static int start_front(unsigned cap)
{
	struct nano_config cfg;
	nano_config_default(&cfg);
	cfg.front = NANO_FRONT_RSEQ;
	cfg.front_cap = cap;
#if NT_TSAN
	/* As in test_stress.c: helper requests through the intercepted malloc
	 * family, which TSan sees. */
	static const struct nano_helper tsan_helper = { malloc, calloc, realloc, free, memalign };
	cfg.helper = &tsan_helper;
#endif
	CHECK_EQ(nano_zone_init(&cfg), 0);
	nano_get_settings(&st);
	CHECK(st.ready);
	if (NT_TSAN)
		CHECK_STR(st.layout, "small");
	CHECK_STR(st.front_requested, "rseq");
	if (strcmp(st.front, "rseq") == 0) {
		CHECK_STR(st.front_reason, "");
		CHECK_EQ(st.front_cap, cap ? cap : NANO_FRONT_CAP_DEFAULT);
		CHECK_STR(st.cpu_source, "rseq");
		return 1;
	}
	CHECK_MSG(!NANO_FRONT_BUILT || !rseq_registered(),
		  "the rseq front fell back to v1 although rseq is registered: front %s (%s)", st.front,
		  st.front_reason);
	check_fallback_settings();
	return 0;
}

/* Modes that are about the front itself: skip where it cannot run. */
static void need_front(unsigned cap)
{
	if (!start_front(cap)) {
		printf("skipped: the rseq front is not available here: %s\n", st.front_reason);
		exit(NT_SKIP);
	}
}

/* Both CPUs exist and map to different magazines (remote frees). */
static int two_magazines(void)
{
	return cpu1 >= 0 && st.nmags >= 2 &&
	       nano_magmap_lookup(&nano_z.map, cpu0) != nano_magmap_lookup(&nano_z.map, cpu1);
}

static struct nano_totals totals(void)
{
	struct nano_totals t;
	nano_stats_totals(&t);
	return t;
}

/* carved = in use + free + retired, whatever the front holds. */
static void check_identity(const struct nano_totals *t)
{
	CHECK_MSG(t->all.free_blocks == t->all.bump_allocs - t->all.in_use - t->all.retired,
		  "free_blocks %" PRIu64 " != carved %" PRIu64 " - in_use %" PRIu64 " - retired %" PRIu64,
		  t->all.free_blocks, t->all.bump_allocs, t->all.in_use, t->all.retired);
	CHECK(t->front.cached_blocks + t->front.chained_blocks + t->front.xfer_blocks <=
	      t->all.free_blocks);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t class_of(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

/* ========================================================================
 * Blocks with an id: a record, its pattern, its checks
 * ====================================================================== */

struct rec {
	uint64_t p, id;
	uint32_t n;             /* requested size */
};

static struct rec blk_new(size_t n, uint64_t id)
{
	void *p = nano_malloc(n);
	size_t cls = class_of(n);
	CHECK_MSG(p != NULL && nano_owns(p), "malloc(%zu) = %p is not a nano block", n, p);
	CHECK_MSG(((uintptr_t)p & 15) == 0, "malloc(%zu) = %p is not 16-byte aligned", n, p);
	CHECK_MSG(nano_size(p) == cls, "nano_size(malloc(%zu) = %p) = %zu, class %zu", n, p,
		  nano_size(p), cls);
	nt_fill(p, cls, id);
	return (struct rec){ (uint64_t)(uintptr_t)p, id, (uint32_t)n };
}

static void blk_check(const struct rec *r)
{
	void *p = (void *)(uintptr_t)r->p;
	size_t cls = class_of(r->n);
	CHECK_MSG(nano_size(p) == cls, "nano_size(%p) = %zu, class %zu", p, nano_size(p), cls);
	CHECK_MSG(nt_fill_ok(p, cls, r->id),
		  "block %p (id %#" PRIx64 ", class %zu) corrupted: handed out twice, overlapping "
		  "another live block, or released under its owner", p, r->id, cls);
}

/* Check, then free (1 in 4 with the trusted sized free). */
static void blk_free(const struct rec *r, uint64_t *rng)
{
	blk_check(r);
	if ((nt_rand(rng) & 3) == 0)
		nano_free_sized((void *)(uintptr_t)r->p, r->n);
	else
		nano_free((void *)(uintptr_t)r->p);
}

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

static struct rec w_new(struct worker *w, size_t n)
{
	w->allocs++;
	return blk_new(n, (uint64_t)w->idx << 40 | ++w->ids);
}

static void w_free(struct worker *w, const struct rec *r)
{
	w->frees++;
	blk_free(r, &w->rng);
}

static struct worker *other(struct worker *w)
{
	unsigned j = (unsigned)(nt_rand(&w->rng) % (nwk - 1));
	return &wk[j >= w->idx ? j + 1 : j];
}

/* Hand k blocks to worker t (all or nothing), else free them here. */
static void w_send(struct worker *w, struct worker *t, const struct rec *r, unsigned k)
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

static void w_drain_inbox(struct worker *w)
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
static void w_release_one(struct worker *w)
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
static void w_burst(struct worker *w)
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

static void *worker_main(void *arg)
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

static void *relief_main(void *arg)
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
	/* results */
	uint64_t allocs, frees, sent, relief_bytes, relief_calls;
};

static void run_load(struct load *l)
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
static void check_after_load(const struct nano_totals *t0, const struct nano_totals *t1,
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
static void check_front_served(const struct nano_totals *t0, const struct nano_totals *t1,
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

static void print_load(const char *what, const struct nano_totals *t, const struct load *l)
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

static int mode_stress(int argc, char **argv)
{
	unsigned cap = argc > 2 ? (unsigned)atoi(argv[2]) : 0;
	struct load l = { .threads = argc > 3 ? (unsigned)atoi(argv[3]) : 16,
			  .seconds = argc > 4 ? atof(argv[4]) : (NT_TSAN ? 2.0 : 3.0) };
	struct nano_totals t0, t1;
	int front = start_front(cap);

	if (!front && !tunable_off()) {
		printf("skipped: the rseq front is not available here: %s\n", st.front_reason);
		return NT_SKIP;
	}
	/* under the tunable, the run is about the v1 path (TSan's too) */
	CHECK_MSG(!front || !tunable_off(), "GLIBC_TUNABLES=" TUNABLE " is set, yet the front is on");
	t0 = totals();
	run_load(&l);
	t1 = totals();
	print_load("stress", &t1, &l);
	check_after_load(&t0, &t1, &l);
	if (front) {
		check_front_served(&t0, &t1, &l);
	} else {
		CHECK_MSG(memcmp(&t1.front, &zero_front, sizeof(zero_front)) == 0,
			  "the v1 front reports front counters (cache_allocs %" PRIu64 ", refills %" PRIu64 ")",
			  t1.front.cache_allocs, t1.front.refills);
	}
	return 0;
}

static int mode_relief_concurrent(int argc, char **argv)
{
	unsigned cap = argc > 2 ? (unsigned)atoi(argv[2]) : 0;
	struct load l = { .threads = 8, .seconds = 3.0, .relief = 1 };
	struct nano_totals t0, t1;

	need_front(cap);
	t0 = totals();
	run_load(&l);
	/* everything is free now: the drain and the release find it all */
	l.relief_bytes += nano_pressure_relief();
	t1 = totals();
	print_load("relief_concurrent", &t1, &l);
	CHECK(l.relief_bytes > 0);
	check_after_load(&t0, &t1, &l);
	check_front_served(&t0, &t1, &l);
	if (st.front_drain) {
		CHECK(t1.front.drains > 0 && t1.front.drain_blocks > 0);
		CHECK_EQ(t1.front.cached_blocks, 0);
		CHECK_EQ(t1.front.chained_blocks, 0);
	}
	return 0;
}

/* ========================================================================
 * fallback
 * ====================================================================== */

static int mode_fallback(int argc, char **argv)
{
	int by_env = argc > 2 && strcmp(argv[2], "env") == 0;
	struct load l = { .threads = 4, .seconds = 1.0 };
	struct nano_totals t0, t1;

	if (!tunable_off()) {
		/* glibc reads the tunable at start-up: run again with it */
		CHECK(setenv("GLIBC_TUNABLES", TUNABLE, 1) == 0);
		fflush(NULL);
		execv("/proc/self/exe", argv);
		CHECK_MSG(0, "execv(/proc/self/exe): %s", strerror(errno));
	}
	CHECK_MSG(!rseq_registered(), "GLIBC_TUNABLES=" TUNABLE " did not disable rseq");
	if (by_env) {
		CHECK(setenv("NANO_FRONT", "rseq", 1) == 0);
		CHECK(setenv("NANO_FRONT_CAP", "16", 1) == 0);
		CHECK_EQ(nano_zone_init(NULL), 0);
		nano_get_settings(&st);
		CHECK(st.ready);
		check_fallback_settings();
	} else {
		CHECK_EQ(start_front(16), 0);
	}
	printf("fallback: front %s (requested %s): %s\n", st.front, st.front_requested,
	       st.front_reason);
	t0 = totals();
	run_load(&l);
	t1 = totals();
	print_load("fallback", &t1, &l);
	check_after_load(&t0, &t1, &l);
	CHECK(memcmp(&t1.front, &zero_front, sizeof(zero_front)) == 0);
	return 0;
}

/* ========================================================================
 * Misuse through the cache and the chains (each case in a child)
 * ====================================================================== */

static void pin(int cpu)
{
	CHECK(nt_pin(cpu) == 0);
}

/* blocks of one size on the current CPU */
static void alloc_n(void **v, unsigned n, size_t size)
{
	for (unsigned i = 0; i < n; i++) {
		v[i] = nano_malloc(size);
		CHECK(v[i] && nano_owns(v[i]));
	}
}

/* free(p) on this CPU: it must go into the cache (1) or a chain (0). */
static void free_into(void *p, int cache)
{
	struct nano_totals a = totals(), b;
	nano_free(p);
	b = totals();
	if (cache) {
		CHECK_EQ(b.front.cache_frees - a.front.cache_frees, 1);
		CHECK_EQ(b.front.cached_blocks - a.front.cached_blocks, 1);
	} else {
		CHECK_EQ(b.front.chained_blocks - a.front.chained_blocks, 1);
		CHECK_EQ(b.front.cache_frees, a.front.cache_frees);
	}
}

/* Local frees of v[0..n) after which p is in the top half of a full cache:
 * the next local free flushes it to the transfer stage. Returns the blocks
 * of v used. */
static unsigned fill_cache_with_p_on_top(void **v, unsigned n, void *p)
{
	uint64_t cached = totals().front.cached_blocks, room = st.front_cap - cached;
	CHECK(cached < st.front_cap && room <= n);
	for (unsigned i = 0; i + 1 < room; i++)
		nano_free(v[i]);
	nano_free(p);
	CHECK_EQ(totals().front.cached_blocks, st.front_cap);
	return (unsigned)room - 1;
}

static void flush_with(void *q)
{
	struct nano_totals a = totals(), b;
	nano_free(q);
	b = totals();
	CHECK_EQ(b.front.flushes - a.front.flushes, 1);
}

static void case_df_cache(void *arg)
{
	(void)arg;
	pin(cpu0);
	void *p = nano_malloc(32);
	free_into(p, 1);
	nt_expect_ptr(p);
	nano_free(p);
}

/* p under 20 later frees of its class, all in the cache */
static void case_df_cache_deep(void *arg)
{
	void *v[20];
	(void)arg;
	pin(cpu0);
	void *p = nano_malloc(96);
	alloc_n(v, 20, 96);
	free_into(p, 1);
	for (int i = 0; i < 20; i++)
		free_into(v[i], 1);
	nt_expect_ptr(p);
	nano_free(p);
}

/* the first free was a (trusted) sized free into the cache */
static void case_df_sized_then_free(void *arg)
{
	(void)arg;
	pin(cpu0);
	void *p = nano_malloc(200);
	struct nano_totals a = totals();
	nano_free_sized(p, 200);
	CHECK_EQ(totals().front.cache_frees - a.front.cache_frees, 1);
	nt_expect_ptr(p);
	nano_free(p);
}

static void scribble(uint64_t *p, uint64_t value);

/* A 64-byte block of cpu0, freed on top of a full cache, then moved to the
 * transfer stage by the flush one more local free makes; written over
 * (scribble) while in the cache when value is not 0. */
static uint64_t *flushed_block(uint64_t value)
{
	static void *v[FIXED_CAP + 2];
	pin(cpu0);
	uint64_t *p = nano_malloc(64);
	alloc_n(v, st.front_cap + 1, 64);
	unsigned used = fill_cache_with_p_on_top(v, st.front_cap + 1, p);
	if (value) {
		scribble(p, value);
		nt_expect_ptr(p);       /* caught when a cache hands it out */
	}
	flush_with(v[used]);
	return p;
}

/* p left the cache with a flush: in the transfer stage, free guard intact */
static void case_df_flushed(void *arg)
{
	(void)arg;
	void *p = flushed_block(0);
	nt_expect_ptr(p);
	nano_free(p);
}

/* Move to cpu1 and allocate there once (mode_stats_remote tests a CPU that
 * never allocated on its own); here the chains are what is tested. */
static void to_cpu1(void)
{
	pin(cpu1);
	CHECK(nano_malloc(16) != NULL);
}

/* p went into the cache, relief drained it to the list (v1 guard, v1's
 * scan); its neighbour stays live, so its page is not released */
static void case_df_drained(void *arg)
{
	(void)arg;
	pin(cpu0);
	void *p = nano_malloc(64), *q;
	int tries = 0;
	do                                   /* a neighbour on p's page, kept */
		q = nano_malloc(64);
	while ((uintptr_t)q / 4096 != (uintptr_t)p / 4096 && ++tries < 64);
	CHECK((uintptr_t)q / 4096 == (uintptr_t)p / 4096);
	free_into(p, 1);
	struct nano_totals a = totals(), b;
	(void)nano_pressure_relief();
	b = totals();
	CHECK(b.front.drain_blocks > a.front.drain_blocks);
	CHECK_EQ(b.front.cached_blocks, 0);
	nt_expect_ptr(p);
	nano_free(p);
}

/* allocated on cpu0, freed on cpu1: in cpu1's chain for cpu0's magazine */
static void case_df_chain(void *arg)
{
	(void)arg;
	pin(cpu0);
	void *p = nano_malloc(64);
	to_cpu1();
	free_into(p, 0);
	nt_expect_ptr(p);
	nano_free(p);
}

/* A remote buffer's capacity (nano_front.h). */
static unsigned remote_cap(void)
{
	return st.front_cap < NANO_FS_REMOTE_MAX ? st.front_cap : NANO_FS_REMOTE_MAX;
}

/* A 64-byte block of cpu0 freed on cpu1 into its remote buffer, which then
 * fills up (p at its bottom); *last is the free that will hand it over. */
static uint64_t *chained_block(void **last)
{
	static void *v[NANO_FS_REMOTE_MAX + 1];
	unsigned cap = remote_cap();
	pin(cpu0);
	uint64_t *p = nano_malloc(64);
	alloc_n(v, cap, 64);
	to_cpu1();
	free_into(p, 0);
	for (unsigned i = 0; i + 1 < cap; i++)
		free_into(v[i], 0);
	CHECK_EQ(totals().front.chained_blocks, cap);
	*last = v[cap - 1];
	return p;
}

/* The buffer is full: the next remote free hands it over to the owner's
 * transfer stage (one group: every block is cpu0's) and starts anew. */
static void push_chain(void *last)
{
	struct nano_totals a = totals(), b;
	nano_free(last);
	b = totals();
	CHECK_EQ(b.front.chains - a.front.chains, 1);
	CHECK_EQ(b.front.chain_blocks - a.front.chain_blocks, remote_cap());
	CHECK_EQ(b.front.xfer_blocks - a.front.xfer_blocks, remote_cap());
	CHECK_EQ(b.front.chained_blocks, 1);
}

/* the buffer holding p was handed over to the owner's transfer stage (it
 * filled up); the second free on cpu1 (arg NULL) or on the owner's CPU cpu0 */
static void case_df_chain_pushed(void *arg)
{
	void *last, *p = chained_block(&last);
	push_chain(last);
	if (arg)
		pin(cpu0);
	nt_expect_ptr(p);
	nano_free(p);
}

/* A write after free over a block's first 16 bytes (the front's free
 * guard is its second word, nano_front.h; v1's is the first). */
static void scribble(uint64_t *p, uint64_t value)
{
	p[0] = value;
	p[1] = value;
}

/* a write after free into a cached block: caught when the cache hands it
 * out (value: what is written over the guard; deep: 8 frees on top) */
static void corrupt_cached(uint64_t value, int deep)
{
	void *v[8];
	pin(cpu0);
	uint64_t *p = nano_malloc(48);
	alloc_n(v, 8, 48);
	free_into(p, 1);
	for (int i = 0; deep && i < 8; i++)
		free_into(v[i], 1);
	scribble(p, value);
	nt_expect_ptr(p);
	for (int i = 0; i < 20; i++)
		(void)nano_malloc(48);
}

static void case_gc_top(void *arg)
{
	(void)arg;
	corrupt_cached(0xdeadbeefdeadbeefull, 0);
}

static void case_gc_zero(void *arg)
{
	(void)arg;
	corrupt_cached(0, 0);
}

static void case_gc_deep(void *arg)
{
	(void)arg;
	corrupt_cached(0x4141414141414141ull, 1);
}

/* Allocate on cpu0 until p comes back (or give up after n): a corrupted p
 * must abort before that. */
static void malloc_until(const void *p, size_t size, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		CHECK_MSG(nano_malloc(size) != p, "the corrupted block %p was handed out again", p);
}

/* corrupted in a remote buffer, which was then handed over to the owner's
 * transfer stage: caught when the owner's cache hands it out */
static void case_gc_chain(void *arg)
{
	void *last;
	(void)arg;
	uint64_t *p = chained_block(&last);
	p[1] = 0x4242424242424242ull;        /* the free guard */
	push_chain(last);
	pin(cpu0);
	nt_expect_ptr(p);
	malloc_until(p, 64, 4 * NANO_FRONT_CAP_MAX);
}

/* corrupted in the cache, which then flushed it to the list */
static void case_gc_flushed(void *arg)
{
	(void)arg;
	uint64_t *p = flushed_block(0x4343434343434343ull);
	malloc_until(p, 64, 4 * NANO_FRONT_CAP_MAX);
}

struct fcase {
	const char *name;
	void (*fn)(void *);
	void *arg;
	const char *expect;
};

static int run_cases(const struct fcase *c, size_t n)
{
	int failed = 0;
	for (size_t i = 0; i < n; i++)
		failed += !nt_fatal_case(c[i].name, c[i].fn, c[i].arg, c[i].expect);
	return failed ? 1 : 0;
}

#define RUN_CASES(table) run_cases(table, sizeof(table) / sizeof(table[0]))

static int mode_double_free_cache(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	static const struct fcase cases[] = {
		{ "double free, block in the cache", case_df_cache, NULL, "double free" },
		{ "double free, under 20 in the cache", case_df_cache_deep, NULL, "double free" },
		{ "sized free, then free", case_df_sized_then_free, NULL, "double free" },
		{ "double free, flushed to transfer", case_df_flushed, NULL, "double free" },
	};
	static const struct fcase drain_cases[] = {
		{ "double free, drained by relief", case_df_drained, NULL, "double free" },
	};
	need_front(FIXED_CAP);
	int r = RUN_CASES(cases);
	if (st.front_drain)
		r |= RUN_CASES(drain_cases);
	else
		printf("skip %-36s relief cannot drain caches here (no membarrier)\n", drain_cases[0].name);
	return r;
}

static void need_two_magazines(void)
{
	need_front(FIXED_CAP);
	if (!two_magazines()) {
		printf("skipped: needs two CPUs of different magazines (%u magazines)\n", st.nmags);
		exit(NT_SKIP);
	}
}

static int mode_double_free_chain(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	static int owner = 1;
	static const struct fcase cases[] = {
		{ "double free, in a remote buffer", case_df_chain, NULL, "double free" },
		{ "double free, handed over", case_df_chain_pushed, NULL, "double free" },
		{ "double free on owner, handed over", case_df_chain_pushed, &owner, "double free" },
	};
	need_two_magazines();
	return RUN_CASES(cases);
}

static int mode_guard_corrupt(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	static const struct fcase cases[] = {
		{ "guard overwritten, top of cache", case_gc_top, NULL, "corrupted" },
		{ "guard zeroed, top of cache", case_gc_zero, NULL, "corrupted" },
		{ "guard overwritten, under 8", case_gc_deep, NULL, "corrupted" },
	};
	static const struct fcase chain_cases[] = {
		{ "guard overwritten, remote buffer", case_gc_chain, NULL, "corrupted" },
	};
	need_front(FIXED_CAP);
	int r = RUN_CASES(cases);
	if (two_magazines())
		r |= RUN_CASES(chain_cases);
	else
		printf("skip %-36s needs two CPUs of different magazines\n", chain_cases[0].name);
	return r;
}

/* A write after free into a cached block that a flush then moves to the
 * list: the flush checks each block's cache guard before it rewrites both
 * words. */
static int mode_guard_corrupt_flushed(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	static const struct fcase cases[] = {
		{ "guard overwritten, then flushed", case_gc_flushed, NULL, "corrupted" },
	};
	need_front(FIXED_CAP);
	return RUN_CASES(cases);
}

/* ========================================================================
 * relief: the drain gives cached and chained blocks back
 * ====================================================================== */

#define MIB ((size_t)1 << 20)
#define RELIEF_BYTES (64 * MIB)
#define RELIEF_KEEP 10

struct rthread {
	pthread_t tid;
	int cpu;
	uint64_t tag;
	size_t n;
	void **v;
	void **foreign;             /* free these too (another CPU's blocks) */
	size_t nforeign;
};

static void *relief_alloc(void *arg)
{
	struct rthread *r = arg;
	pin(r->cpu);
	for (size_t i = 0; i < r->n; i++) {
		r->v[i] = nano_malloc(64);
		CHECK(r->v[i] && nano_owns(r->v[i]));
		nt_fill(r->v[i], 64, r->tag);
	}
	return NULL;
}

static void *relief_free(void *arg)
{
	struct rthread *r = arg;
	pin(r->cpu);
	for (size_t i = 0; i < r->n; i++) {
		CHECK_MSG(nt_fill_ok(r->v[i], 64, r->tag), "block %p corrupted", r->v[i]);
		nano_free(r->v[i]);
	}
	for (size_t i = 0; i < r->nforeign; i++)
		nano_free(r->foreign[i]);
	return NULL;
}

static void relief_phase(struct rthread *r, void *(*fn)(void *))
{
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&r[i].tid, NULL, fn, &r[i]) == 0);
	for (int i = 0; i < 2; i++)
		CHECK(pthread_join(r[i].tid, NULL) == 0);
}

static int mode_relief(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	const size_t per = RELIEF_BYTES / 2 / 64;
	struct rthread r[2];
	struct nano_totals t0, t1;
	size_t rss0, rss1, released;

	need_two_magazines();
	for (int round = 0; round < 2; round++) {
		memset(r, 0, sizeof(r));
		for (int i = 0; i < 2; i++) {
			r[i].cpu = i ? cpu1 : cpu0;
			r[i].tag = (uint64_t)round << 8 | (uint64_t)i;
			r[i].n = per;
			r[i].v = calloc(per, sizeof(void *));
			CHECK(r[i].v != NULL);
		}
		relief_phase(r, relief_alloc);
		/* the first thread's last blocks are freed by the second: a remote
		 * chain on the second CPU that nothing pushes */
		r[0].n -= RELIEF_KEEP;
		r[1].foreign = r[0].v + r[0].n;
		r[1].nforeign = RELIEF_KEEP;
		for (size_t i = 0; i < RELIEF_KEEP; i++)
			CHECK(nt_fill_ok(r[1].foreign[i], 64, r[0].tag));
		relief_phase(r, relief_free);
		t0 = totals();
		CHECK_EQ(t0.all.in_use, 0);
		CHECK(t0.front.cached_blocks > 0);
		CHECK_EQ(t0.front.chained_blocks, RELIEF_KEEP);
		rss0 = nt_rss_bytes();
		released = nano_pressure_relief();
		rss1 = nt_rss_bytes();
		t1 = totals();
		printf("relief round %d: %" PRIu64 " cached, %" PRIu64 " remote, %" PRIu64
		       " transfer blocks; RSS %zu MiB -> "
		       "%zu MiB, %zu bytes released; drains %" PRIu64 " (%" PRIu64 " blocks), front_drain %d\n",
		       round, t0.front.cached_blocks, t0.front.chained_blocks, t0.front.xfer_blocks,
		       rss0 / MIB, rss1 / MIB,
		       released, t1.front.drains - t0.front.drains,
		       t1.front.drain_blocks - t0.front.drain_blocks, st.front_drain);
		CHECK(released > 0);
		CHECK_MSG(rss1 < rss0 && rss0 - rss1 >= released / 2,
			  "RSS fell from %zu to %zu bytes for %zu bytes released", rss0, rss1, released);
		CHECK_EQ(t1.relief_bytes - t0.relief_bytes, released);
		check_identity(&t1);
		if (st.front_drain) {
			/* every cached, remote and transferred block reached its
			 * list, and every page of them was wholly free */
			CHECK_EQ(t1.front.cached_blocks, 0);
			CHECK_EQ(t1.front.chained_blocks, 0);
			CHECK_EQ(t1.front.xfer_blocks, 0);
			CHECK_EQ(t1.front.drain_blocks - t0.front.drain_blocks,
				 t0.front.cached_blocks + t0.front.chained_blocks + t0.front.xfer_blocks);
			CHECK_EQ(t1.front.chain_blocks - t0.front.chain_blocks, RELIEF_KEEP);
			CHECK_MSG(released >= RELIEF_BYTES / 100 * 95,
				  "relief released %zu bytes of %zu bytes of free blocks", released,
				  RELIEF_BYTES);
		} else {
			CHECK_EQ(t1.front.cached_blocks, t0.front.cached_blocks);
		}
		for (int i = 0; i < 2; i++)
			free(r[i].v);
	}
	/* and blocks still work (round 1 allocated, checked and freed them
	 * again after round 0's relief) */
	return 0;
}

/* ========================================================================
 * stats_exact
 * ====================================================================== */

#define EXACT_N 1000
#define EXACT_SIZE 48

/* The cache model (a fixed capacity): a miss refills half a cache, then
 * the malloc takes one of them; a push into a full cache first flushes half
 * of it. */
struct model {
	uint64_t cached, hits, refills, flushes;
};

static void model_malloc(struct model *m, uint64_t half)
{
	if (m->cached) {
		m->cached--;
		m->hits++;
	} else {
		m->cached = half - 1;
		m->refills++;
		m->hits++;
	}
}

static void model_free(struct model *m, uint64_t cap, uint64_t half)
{
	if (m->cached == cap) {
		m->cached -= half;
		m->flushes++;
	}
	m->cached++;
}

static void check_model(const struct nano_totals *t0, const struct nano_totals *t,
			const struct model *m, uint64_t half)
{
	CHECK_EQ(t->front.cached_blocks, m->cached);
	CHECK_EQ(t->front.cache_allocs - t0->front.cache_allocs, m->hits);
	CHECK_EQ(t->front.refills - t0->front.refills, m->refills);
	CHECK_EQ(t->front.refills_bump - t0->front.refills_bump, m->refills);  /* fresh class */
	CHECK_EQ(t->front.refill_blocks - t0->front.refill_blocks, m->refills * half);
	CHECK_EQ(t->front.flushes - t0->front.flushes, m->flushes);
	CHECK_EQ(t->front.flush_blocks - t0->front.flush_blocks, m->flushes * half);
	CHECK_EQ(t->front.v1_allocs + t->front.v1_frees, 0);
	CHECK_EQ(t->front.chains + t->front.chained_blocks, 0);
}

static int mode_stats_exact(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	static void *v[EXACT_N];
	struct nano_totals t0, t1, t2;
	struct nano_counts c;
	struct model m = { 0 };
	const unsigned slot = nano_size_to_slot(EXACT_SIZE);

	pin(cpu0);
	need_front(FIXED_CAP);
	const uint64_t cap = st.front_cap, half = cap / 2;
	const unsigned mag = nano_magmap_lookup(&nano_z.map, cpu0);
	t0 = totals();
	check_identity(&t0);
	for (int i = 0; i < EXACT_N; i++) {
		v[i] = nano_malloc(EXACT_SIZE);
		CHECK(v[i] && nano_owns(v[i]));
		model_malloc(&m, half);
	}
	t1 = totals();
	CHECK_EQ(t1.all.allocs - t0.all.allocs, EXACT_N);
	CHECK_EQ(t1.all.frees, t0.all.frees);
	CHECK_EQ(t1.all.in_use - t0.all.in_use, EXACT_N);
	CHECK_EQ(t1.all.bump_allocs - t0.all.bump_allocs, m.refills * half);
	CHECK_EQ(t1.all.free_blocks - t0.all.free_blocks, m.cached);
	check_identity(&t1);
	check_model(&t0, &t1, &m, half);
	for (int i = 0; i < EXACT_N; i++) {
		nano_free(v[i]);
		model_free(&m, cap, half);
	}
	t2 = totals();
	CHECK_EQ(t2.all.allocs, t1.all.allocs);
	CHECK_EQ(t2.all.frees - t0.all.frees, EXACT_N);
	CHECK_EQ(t2.all.in_use, t0.all.in_use);
	CHECK_EQ(t2.all.bytes_in_use, t0.all.bytes_in_use);
	CHECK_EQ(t2.all.remote_frees, t0.all.remote_frees);
	CHECK_EQ(t2.front.cache_frees - t0.front.cache_frees, EXACT_N);
	CHECK_EQ(t2.all.free_blocks, t2.all.bump_allocs - t2.all.in_use - t2.all.retired);
	check_identity(&t2);
	check_model(&t0, &t2, &m, half);
	/* one cell did it all */
	CHECK_EQ(nano_stats_cell(mag, slot, &c), 0);
	CHECK_EQ(c.allocs, t2.all.allocs);
	CHECK_EQ(c.frees, t2.all.frees);
	CHECK_EQ(c.free_blocks, t2.all.free_blocks);
	CHECK_EQ(c.bump_allocs, t2.all.bump_allocs);
	/* again: the cache first, then the flushed blocks from the transfer
	 * stage */
	for (int i = 0; i < EXACT_N; i++) {
		v[i] = nano_malloc(EXACT_SIZE);
		CHECK(v[i] && nano_owns(v[i]));
	}
	t1 = totals();
	CHECK_EQ(t1.all.allocs - t2.all.allocs, EXACT_N);
	CHECK_EQ(t1.all.bump_allocs, t2.all.bump_allocs);          /* no block carved */
	CHECK_EQ(t1.front.cache_allocs - t2.front.cache_allocs, EXACT_N);
	CHECK(t1.front.refill_blocks - t2.front.refill_blocks >= EXACT_N - cap);
	CHECK_EQ(t1.front.refills_bump, t2.front.refills_bump);
	check_identity(&t1);
	for (int i = 0; i < EXACT_N; i++)
		nano_free(v[i]);
	t2 = totals();
	CHECK_EQ(t2.all.in_use, 0);
	check_identity(&t2);
	printf("stats_exact: %d + %d blocks of %d bytes, cap %" PRIu64 ": %" PRIu64 " hits, %" PRIu64
	       " refills, %" PRIu64 " flushes, %" PRIu64 " cached at the end\n", EXACT_N, EXACT_N,
	       EXACT_SIZE, cap, t2.front.cache_allocs, t2.front.refills, t2.front.flushes,
	       t2.front.cached_blocks);
	return 0;
}

/* Remote frees on a CPU that never allocated: its chain still counts (the
 * blocks are free, not in use) and relief drains it. */
#define REMOTE_N 10

static int mode_stats_remote(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	void *v[REMOTE_N];
	struct nano_totals t0, t1, t2;

	need_two_magazines();
	pin(cpu0);
	t0 = totals();
	alloc_n(v, REMOTE_N, 64);
	pin(cpu1);                           /* nothing was ever allocated here */
	for (int i = 0; i < REMOTE_N; i++)
		nano_free(v[i]);
	t1 = totals();
	printf("stats_remote: %d blocks of CPU %d freed on CPU %d: allocs %" PRIu64 ", frees %" PRIu64
	       ", in_use %" PRIu64 ", chained %" PRIu64 ", remote %" PRIu64 "\n", REMOTE_N, cpu0, cpu1,
	       t1.all.allocs - t0.all.allocs, t1.all.frees - t0.all.frees, t1.all.in_use,
	       t1.front.chained_blocks, t1.all.remote_frees);
	CHECK_EQ(t1.all.allocs - t0.all.allocs, REMOTE_N);
	CHECK_EQ(t1.all.frees - t0.all.frees, REMOTE_N);
	CHECK_EQ(t1.all.in_use, 0);
	CHECK_EQ(t1.front.chained_blocks, REMOTE_N);
	CHECK_EQ(t1.all.remote_frees - t0.all.remote_frees, REMOTE_N);
	check_identity(&t1);
	(void)nano_pressure_relief();
	t2 = totals();
	if (st.front_drain) {
		CHECK_EQ(t2.front.chained_blocks, 0);
		CHECK_EQ(t2.front.chain_blocks - t1.front.chain_blocks, REMOTE_N);
	}
	check_identity(&t2);
	return 0;
}

/* ========================================================================
 * aborts: signals delivered inside critical sections are counted
 * ====================================================================== */

static atomic_long signals_seen;
static atomic_int stop_signals;

static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add_explicit(&signals_seen, 1, memory_order_relaxed);
}

static void *signaller(void *arg)
{
	pthread_t target = *(pthread_t *)arg;
	if (cpu1 >= 0)
		pin(cpu1);
	while (!atomic_load_explicit(&stop_signals, memory_order_relaxed)) {
		pthread_kill(target, SIGUSR1);
		for (volatile int i = 0; i < 200; i++)
			;
	}
	return NULL;
}

/* A malloc/free loop (cache hits only: the fast paths) under a rain of
 * signals: a signal that arrives inside a critical section restarts it, and
 * nano.h says every restart counts in front.aborts. About one signal in ten
 * lands inside a section here; with tens of thousands of signals, a count
 * of 0 means restarts go uncounted. */
static int mode_aborts(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	pthread_t self = pthread_self(), t;
	struct nano_totals t0, t1;
	long pairs = 0;
	double start, end;

	need_front(0);
	pin(cpu0);
	CHECK(signal(SIGUSR1, on_usr1) != SIG_ERR);
	nano_free(nano_malloc(32));          /* the class's cache is ready */
	t0 = totals();
	CHECK(pthread_create(&t, NULL, signaller, &self) == 0);
	/* at least 0.5 s and 2000 signals (a loaded machine gives the
	 * signaller little time), at most 20 s */
	start = now_s();
	end = start + 0.5;
	while (now_s() < end || (atomic_load(&signals_seen) < 2000 && now_s() < start + 20)) {
		for (int i = 0; i < 1000; i++) {
			void *volatile p = nano_malloc(32);
			nano_free(p);
		}
		pairs += 1000;
	}
	atomic_store(&stop_signals, 1);
	CHECK(pthread_join(t, NULL) == 0);
	t1 = totals();
	printf("aborts: %ld malloc/free pairs, %ld signals handled, %" PRIu64 " rseq aborts counted, "
	       "%" PRIu64 " refills\n", pairs, atomic_load(&signals_seen),
	       t1.front.aborts - t0.front.aborts, t1.front.refills - t0.front.refills);
	CHECK(atomic_load(&signals_seen) >= 1000);
	CHECK_EQ(t1.front.cache_allocs - t0.front.cache_allocs, pairs);
	CHECK_MSG(t1.front.aborts > t0.front.aborts,
		  "%ld signals into %ld malloc/free pairs, and not one rseq abort counted",
		  atomic_load(&signals_seen), pairs);
	return 0;
}

/* ========================================================================
 * fork from a worker while the others churn
 * ====================================================================== */

#define FORKS 8

static unsigned forks_done;

static void *child_churn(void *arg)
{
	uint64_t rng = nt_seed((uint64_t)(uintptr_t)arg), id = (uint64_t)(uintptr_t)arg << 40;
	struct rec keep[64];
	unsigned n = 0;
	for (int i = 0; i < 50000; i++) {
		if (n == 64 || (n && (nt_rand(&rng) & 1)))
			blk_free(&keep[--n], &rng);
		else
			keep[n++] = blk_new(1 + nt_rand(&rng) % 256, ++id);
	}
	while (n)
		blk_free(&keep[--n], &rng);
	return NULL;
}

/* In the child: one thread now (the forking worker's). */
static void fork_child(struct worker *w)
{
	struct nano_settings s;
	struct nano_totals a, b;
	pthread_t t;
	alarm(30);
	nano_get_settings(&s);
	CHECK_STR(s.front, "rseq");
	a = totals();
	while (w->nlocal)                   /* the parent's blocks */
		blk_free(&w->local[--w->nlocal], &w->rng);
	CHECK(pthread_create(&t, NULL, child_churn, (void *)(uintptr_t)1) == 0);
	child_churn((void *)(uintptr_t)2);
	CHECK(pthread_join(t, NULL) == 0);
	(void)nano_pressure_relief();
	child_churn((void *)(uintptr_t)3);
	b = totals();
	CHECK(b.front.cache_allocs > a.front.cache_allocs);
	fflush(NULL);
	_exit(0);
}

/* Worker 0's extra step: a fork every 0.25 s, FORKS in all. */
static void fork_step(struct worker *w)
{
	static double next;
	int status;
	if (forks_done == FORKS || now_s() < next)
		return;
	next = now_s() + 0.25;
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		fork_child(w);
	while (waitpid(pid, &status, 0) < 0)
		CHECK(errno == EINTR);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "fork child %u: status 0x%x (%s)", forks_done, status,
		  WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exited");
	forks_done++;
}

static int mode_fork(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct load l = { .threads = 8, .seconds = 3.0, .extra = fork_step };
	struct nano_totals t0, t1;

	need_front(0);
	t0 = totals();
	run_load(&l);
	t1 = totals();
	print_load("fork", &t1, &l);
	printf("fork: %u children forked by a worker, all exited 0\n", forks_done);
	CHECK_MSG(forks_done >= 3, "only %u forks happened in %.1f s", forks_done, l.seconds);
	check_after_load(&t0, &t1, &l);
	check_front_served(&t0, &t1, &l);
	return 0;
}

/* ======================================================================== */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} modes[] = {
	{ "stress", mode_stress },
	{ "relief_concurrent", mode_relief_concurrent },
	{ "fallback", mode_fallback },
	{ "double_free_cache", mode_double_free_cache },
	{ "double_free_chain", mode_double_free_chain },
	{ "guard_corrupt", mode_guard_corrupt },
	{ "guard_corrupt_flushed", mode_guard_corrupt_flushed },
	{ "relief", mode_relief },
	{ "stats_exact", mode_stats_exact },
	{ "stats_remote", mode_stats_remote },
	{ "aborts", mode_aborts },
	{ "fork", mode_fork },
};

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "stress";
	setvbuf(stdout, NULL, _IOLBF, 0);
	cpu0 = nt_allowed_cpu(0);
	cpu1 = nt_allowed_cpu(1);
	CHECK(cpu0 >= 0);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(mode, modes[i].name) == 0)
			return modes[i].fn(argc, argv);
	fprintf(stderr, "usage: test_front stress [CAP [THREADS [SECONDS]]] | relief_concurrent [CAP] | "
			"fallback [env] | MODE (see the head comment)\n");
	return 2;
}
