/*
 * test_stress.c - many threads on few cores, with cross-thread frees, and
 * pressure relief running underneath.
 *
 *   test_stress stress [THREADS [OPS_PER_THREAD]]
 *   test_stress relief [THREADS [OPS_PER_THREAD]]
 *
 * Each worker (a quarter pinned to the first CPU, a quarter to the second,
 * the rest free to migrate between magazines) repeats a random mix of
 *   - exchange: allocate (malloc, or calloc 1 in 8) a block of 1..256 bytes
 *     (1 in 12: 257..2304, the helper), fill it with a pattern derived from
 *     its address and size, and swap it into a random entry of a shared array
 *     with an atomic exchange; the block that comes out, usually allocated by
 *     another thread, is checked and freed (nano_free, or nano_free_sized 1
 *     in 4), so most frees are cross-thread and many are remote;
 *   - local: keep up to 48 blocks in a private stack, then check and free
 *     them all;
 *   - realloc: resize a private block (content checked after the move).
 * `relief` mode adds batches (allocate 256 blocks of one class, check, free
 * them all: pages become wholly free) and a thread that calls
 * nano_pressure_relief() in a loop; any page released under a live block
 * zeroes it and fails the pattern check.
 *
 * At the end everything is freed and the statistics must add up exactly:
 * allocs and frees equal the nano-owned allocations and frees the workers
 * made (the harness allocates nothing through nano), in_use is 0, and the
 * only small requests the helper saw are reallocs of helper blocks to 256
 * bytes or less (v1 keeps a foreign block foreign).
 *
 * Built twice: plain, and with ThreadSanitizer (NT_TSAN=1, linked with a
 * TSan-instrumented libnano); under TSan the full 16 TiB reservation cannot
 * be made and the small layout must be active.
 */
#include "nano.h"
#include "nt.h"

#include <malloc.h>
#include <stdatomic.h>

#ifndef NT_TSAN
#define NT_TSAN 0
#endif

#define SHARED 4096
#define LOCAL 48
#define BATCH 256

static _Atomic uint64_t shared_slots[SHARED];
static atomic_int stop_relief;
static int mode_relief;
static unsigned long ops_per_thread;

struct worker {
	pthread_t tid;
	unsigned idx;
	uint64_t nano_allocs, nano_frees;   /* nano-owned blocks only */
	uint64_t helper_small;              /* small requests nano sends to the helper */
	uint64_t ops;
};

/* A block and its requested size in one word: user addresses fit 47 bits. */
static inline uint64_t pack(void *p, size_t n)
{
	return (uint64_t)(uintptr_t)p << 16 | n;
}

static inline void *unpack(uint64_t v, size_t *n)
{
	*n = v & 0xffff;
	return (void *)(uintptr_t)(v >> 16);
}

static size_t pick_size(uint64_t *rng)
{
	uint64_t r = nt_rand(rng);
	if (r % 12 == 0)
		return 257 + (r >> 8) % 2048;
	return 1 + (r >> 8) % 256;
}

static void *get(struct worker *w, uint64_t *rng, size_t n)
{
	void *p = (nt_rand(rng) & 7) == 0 ? nano_calloc(1, n) : nano_malloc(n);
	CHECK_MSG(p != NULL, "allocation of %zu bytes failed", n);
	if (nano_owns(p)) {
		w->nano_allocs++;
		CHECK_MSG(nano_size(p) >= n && nano_size(p) < n + 16,
			  "nano_size(%p) = %zu for %zu bytes", p, nano_size(p), n);
		CHECK(n <= 256);
	} else {
		CHECK(n > 256);
	}
	nt_fill(p, n, 0);
	return p;
}

/* n is the size the block was last requested with (by malloc, calloc or
 * realloc: C23's free_sized contract, test_free_sized_realloc.c). */
static void put(struct worker *w, uint64_t *rng, void *p, size_t n)
{
	CHECK_MSG(nt_fill_ok(p, n, 0), "block %p (%zu bytes) corrupted", p, n);
	if (nano_owns(p))
		w->nano_frees++;
	if ((nt_rand(rng) & 3) == 0)
		nano_free_sized(p, n);
	else
		nano_free(p);
}

static void op_exchange(struct worker *w, uint64_t *rng)
{
	size_t n = pick_size(rng), on;
	void *p = get(w, rng, n);
	uint64_t old = atomic_exchange(&shared_slots[nt_rand(rng) % SHARED], pack(p, n));
	if (old) {
		void *q = unpack(old, &on);
		put(w, rng, q, on);
	}
}

static void op_local(struct worker *w, uint64_t *rng)
{
	void *v[LOCAL];
	size_t n[LOCAL];
	unsigned k = 1 + (unsigned)(nt_rand(rng) % LOCAL);
	for (unsigned i = 0; i < k; i++) {
		n[i] = pick_size(rng);
		v[i] = get(w, rng, n[i]);
	}
	for (unsigned i = k; i-- > 0;)
		put(w, rng, v[i], n[i]);
}

static void op_realloc(struct worker *w, uint64_t *rng)
{
	unsigned char copy[2400];
	size_t n = pick_size(rng), m = pick_size(rng);
	void *p = get(w, rng, n), *q;
	int owned = nano_owns(p);
	CHECK(nt_fill_ok(p, n, 0));
	memcpy(copy, p, n);
	q = nano_realloc(p, m);
	CHECK(q != NULL);
	CHECK_MSG(memcmp(q, copy, n < m ? n : m) == 0, "realloc %zu -> %zu lost content", n, m);
	if (q != p) {                        /* moved: nano freed p, allocated q */
		w->nano_frees += owned;
		w->nano_allocs += nano_owns(q) != 0;
	}
	if (!owned && m <= 256)              /* v1: a foreign block stays foreign */
		w->helper_small++;
	nt_fill(q, m, 0);
	put(w, rng, q, m);
}

/* Relief mode: a class's worth of blocks, all freed together. */
static void op_batch(struct worker *w, uint64_t *rng)
{
	static __thread void *v[BATCH];
	size_t n = 1 + nt_rand(rng) % 256;
	for (unsigned i = 0; i < BATCH; i++)
		v[i] = get(w, rng, n);
	for (unsigned i = 0; i < BATCH; i++) {
		unsigned j = (unsigned)(nt_rand(rng) % BATCH);   /* free in a random order */
		void *t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
	for (unsigned i = 0; i < BATCH; i++)
		put(w, rng, v[i], n);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t rng = nt_seed(w->idx);
	/* A quarter of the workers on the first CPU, a quarter on the second,
	 * the rest free to migrate: blocks always cross CPUs (and magazines,
	 * with the default map), whatever the scheduler does. */
	int cpu = w->idx % 4 < 2 ? nt_allowed_cpu((int)(w->idx % 4)) : -1;
	if (cpu >= 0 && nt_allowed_cpu(1) >= 0)
		CHECK(nt_pin(cpu) == 0);
	for (unsigned long i = 0; i < ops_per_thread; i++) {
		uint64_t r = nt_rand(&rng) % 100;
		if (mode_relief && r < 2) {
			op_batch(w, &rng);
			i += BATCH;
		} else if (r < 70) {
			op_exchange(w, &rng);
		} else if (r < 95) {
			op_local(w, &rng);
			i += LOCAL / 2;
		} else {
			op_realloc(w, &rng);
		}
	}
	return NULL;
}

static void *relief_main(void *arg)
{
	uint64_t *released = arg, calls = 0;
	while (!atomic_load(&stop_relief)) {
		*released += nano_pressure_relief();
		calls++;
		sched_yield();
	}
	released[1] = calls;
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "stress";
	unsigned nthreads = argc > 2 ? (unsigned)atoi(argv[2]) : 16;
	struct worker *w;
	struct nano_totals t0, t1;
	struct nano_settings st;
	uint64_t allocs = 0, frees = 0, helper_small = 0, relief_out[2] = { 0, 0 };
	pthread_t relief_tid;

	mode_relief = strcmp(mode, "relief") == 0;
	CHECK(mode_relief || strcmp(mode, "stress") == 0);
	ops_per_thread = argc > 3 ? strtoul(argv[3], NULL, 10) : (NT_TSAN ? 60000 : 2000000);
	CHECK(nthreads >= 1 && nthreads <= 256);

#if NT_TSAN
	{
		/* The default helper is glibc's __libc_* family, which TSan does
		 * not intercept: it would not see helper blocks change hands and
		 * would report their reuse as races. Under TSan, hand the helper
		 * requests to the (intercepted) malloc family instead. */
		static const struct nano_helper tsan_helper = {
			malloc, calloc, realloc, free, memalign,
		};
		struct nano_config cfg;
		nano_config_default(&cfg);
		cfg.helper = &tsan_helper;
		CHECK_EQ(nano_zone_init(&cfg), 0);
	}
#else
	CHECK_EQ(nano_zone_init(NULL), 0);
#endif
	nano_get_settings(&st);
	CHECK(st.ready);
	if (NT_TSAN)
		CHECK_STR(st.layout, "small");    /* TSan owns the full layout's range */
	nano_stats_totals(&t0);

	w = calloc(nthreads, sizeof(*w));
	CHECK(w != NULL);
	if (mode_relief)
		CHECK(pthread_create(&relief_tid, NULL, relief_main, relief_out) == 0);
	for (unsigned i = 0; i < nthreads; i++) {
		w[i].idx = i;
		CHECK(pthread_create(&w[i].tid, NULL, worker_main, &w[i]) == 0);
	}
	for (unsigned i = 0; i < nthreads; i++) {
		CHECK(pthread_join(w[i].tid, NULL) == 0);
		allocs += w[i].nano_allocs;
		frees += w[i].nano_frees;
		helper_small += w[i].helper_small;
	}
	/* free what is left in the shared array */
	for (unsigned i = 0; i < SHARED; i++) {
		size_t n;
		uint64_t v = atomic_exchange(&shared_slots[i], 0);
		if (!v)
			continue;
		void *p = unpack(v, &n);
		CHECK_MSG(nt_fill_ok(p, n, 0), "block %p (%zu bytes) corrupted", p, n);
		frees += nano_owns(p) != 0;
		nano_free(p);
	}
	if (mode_relief) {
		atomic_store(&stop_relief, 1);
		CHECK(pthread_join(relief_tid, NULL) == 0);
		/* everything is free now: whatever the relief thread left, this
		 * call finds, so the total cannot be 0 */
		relief_out[0] += nano_pressure_relief();
		CHECK(relief_out[0] > 0);
	}

	nano_stats_totals(&t1);
	CHECK_EQ(allocs, frees);
	CHECK_EQ(t1.all.allocs - t0.all.allocs, allocs);
	CHECK_EQ(t1.all.frees - t0.all.frees, frees);
	CHECK_EQ(t1.all.in_use, 0);
	CHECK_EQ(t1.all.bytes_in_use, 0);
	CHECK_EQ(t1.helper_small - t0.helper_small, helper_small);
	CHECK_EQ(t1.small_requests - t0.small_requests, allocs + helper_small);
	CHECK_EQ(t1.all.free_blocks + t1.all.retired, t1.all.frees - (t1.all.allocs - t1.all.bump_allocs));
	if (mode_relief)
		CHECK_EQ(t1.relief_bytes - t0.relief_bytes, relief_out[0]);
	/* every block comes back after all this */
	for (size_t n = 1; n <= 256; n += 17) {
		void *p = nano_malloc(n);
		CHECK(p && nano_owns(p));
		nt_fill(p, n, 1);
		CHECK(nt_fill_ok(p, n, 1));
		nano_free(p);
	}
	printf("%s%s: %u threads x %lu ops, %" PRIu64 " nano allocs, %" PRIu64
	       " remote frees, %" PRIu64 "/%" PRIu64 " CAS retries pop/push, layout %s, %u magazines",
	       mode, NT_TSAN ? " (tsan)" : "", nthreads, ops_per_thread, allocs,
	       t1.all.remote_frees, t1.all.retries_pop, t1.all.retries_push, st.layout, st.nmags);
	if (mode_relief)
		printf(", relief: %" PRIu64 " calls, %" PRIu64 " bytes released, %" PRIu64 " blocks retired",
		       relief_out[1], relief_out[0], t1.all.retired);
	printf("\n");
	free(w);
	return 0;
}
