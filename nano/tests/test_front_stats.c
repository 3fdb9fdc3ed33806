/*
 * test_front_stats.c - the rseq front's books and bounds: exact counts,
 * relief's drain and release, capacities that follow demand within the
 * per-CPU budget, and remote frees handed to many magazines.
 *
 *   test_front_stats relief
 *       two pinned threads allocate 64 MiB of 64-byte blocks and free them
 *       (caches full, the transfer stages holding most, and a remote buffer
 *       pending); relief must release bytes, RSS must fall, and with
 *       front_drain every stage must be empty afterwards (drain_blocks =
 *       what they held); blocks work again.
 *   test_front_stats stats_exact
 *       one pinned thread, a fixed capacity, N mallocs then N frees of one
 *       class: the exact counts, and the cache's refills and flushes as a
 *       model predicts; then the same blocks again, from the cache and the
 *       transfer stage, none carved.
 *   test_front_stats stats_remote
 *       blocks of CPU 0 freed on CPU 1, which never allocated: they are
 *       free (frees, in_use 0, in a remote buffer), and relief drains it.
 *   test_front_stats adapt
 *       one pinned thread, the default (adaptive) capacity: after a few
 *       batches, a batch of 1000 mallocs then 1000 frees of 16, 64, 128 and
 *       256 bytes takes no refill and no flush (the cache holds it); with
 *       every class busy in turn, the CPU's sum of capacity x size and its
 *       cached bytes stay within NANO_FS_BUDGET (and classes gave capacity
 *       away); after many batches of one class alone the idle classes are
 *       back at the starting capacity; relief resets every capacity.
 *   test_front_stats stream
 *       one pinned thread, two classes interleaved: blocks freed in the
 *       order they were allocated (each class a stream of one stride) leave
 *       each class's free prefetch NANO_FS_AHEAD strides ahead (and its
 *       malloc prefetch as far the other way); freed in a shuffled order,
 *       they leave both at 0.
 *   test_front_stats spread
 *       a synthetic topology of 16 CPUs with a magazine each: blocks of 14
 *       magazines no thread runs on (carved with the core's bump run) are
 *       freed by four threads on the two real CPUs: every free goes into a
 *       remote buffer, and each full buffer is handed over as one group per
 *       owner (groups of several blocks, not one); the counts add up, the
 *       owners' transfer stages hold the blocks, relief drains them all.
 */
#include "front_test.h"

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
 * adapt: capacities follow demand within the budget
 * ====================================================================== */

#define ADAPT_N 1000

static void *adapt_v[3 * ADAPT_N];

/* n mallocs of size, each touched, then n frees in allocation order. */
static void adapt_batch(size_t size, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		adapt_v[i] = nano_malloc(size);
		CHECK(adapt_v[i] && nano_owns(adapt_v[i]));
		memset(adapt_v[i], (int)i, size);
	}
	for (unsigned i = 0; i < n; i++)
		nano_free(adapt_v[i]);
}

/* The CPU's sum of capacity x size (*caps) and of cached bytes, from its
 * slab. */
static uint64_t cached_bytes(unsigned cpu, uint64_t *caps)
{
	uint64_t cached = 0;
	*caps = 0;
	for (unsigned s = 0; s < NANO_SLOTS; s++) {
		const struct nano_pcls *h = nano_front_pcls(cpu, s);
		*caps += (uint64_t)h->cap * nano_z.cls[s].size;
		cached += (h->pushes - h->pops) * nano_z.cls[s].size;
	}
	return cached;
}

static int mode_adapt(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	static const size_t sizes[] = { 16, 64, 128, 256 };
	struct nano_totals t0, t1;
	uint64_t caps, cached;

	pin(cpu0);
	need_front(0);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (int w = 0; w < 8; w++)
			adapt_batch(sizes[k], ADAPT_N);
		t0 = totals();
		adapt_batch(sizes[k], ADAPT_N);
		t1 = totals();
		printf("adapt: a batch of %d blocks of %zu bytes: %" PRIu64 " refills, %" PRIu64
		       " flushes, capacity %u\n", ADAPT_N, sizes[k], t1.front.refills - t0.front.refills,
		       t1.front.flushes - t0.front.flushes,
		       nano_front_pcls((unsigned)cpu0, nano_size_to_slot(sizes[k]))->cap);
		CHECK_EQ(t1.front.refills - t0.front.refills, 0);
		CHECK_EQ(t1.front.flushes - t0.front.flushes, 0);
		CHECK_EQ(t1.front.cache_allocs - t0.front.cache_allocs, ADAPT_N);
		CHECK_EQ(t1.front.cache_frees - t0.front.cache_frees, ADAPT_N);
	}
	/* every class busy in turn: the budget holds, and some gave way */
	t0 = totals();
	for (int round = 0; round < 6; round++)
		for (unsigned s = 0; s < NANO_SLOTS; s++) {
			adapt_batch(nano_z.cls[s].size, ADAPT_N);
			cached = cached_bytes((unsigned)cpu0, &caps);
			CHECK_MSG(caps <= NANO_FS_BUDGET && cached <= NANO_FS_BUDGET,
				  "CPU %d: capacities %" PRIu64 " bytes, cached %" PRIu64
				  " bytes, budget %" PRIu64, cpu0, caps, cached, NANO_FS_BUDGET);
		}
	t1 = totals();
	printf("adapt: every class in turn: capacities %" PRIu64 " bytes, cached %" PRIu64
	       " bytes (budget %" PRIu64 "); %" PRIu64 " grows, %" PRIu64 " shrinks\n", caps, cached,
	       NANO_FS_BUDGET, t1.front.grows - t0.front.grows, t1.front.shrinks - t0.front.shrinks);
	CHECK(t1.front.shrinks > t0.front.shrinks);
	check_identity(&t1);
	/* one class alone, missing all the time (3000 blocks do not fit): the
	 * idle classes go back to the start */
	for (int round = 0; round < 300; round++)
		adapt_batch(64, 3 * ADAPT_N);
	for (unsigned s = 0; s < NANO_SLOTS; s++) {
		const struct nano_pcls *h = nano_front_pcls((unsigned)cpu0, s);
		CHECK_MSG(s == nano_size_to_slot(64) || h->cap == NANO_FS_CAP_START,
			  "class %u: capacity %u after a long idle time", s, h->cap);
	}
	printf("adapt: after one class alone, the others are back at %d blocks\n", NANO_FS_CAP_START);
	if (st.front_drain) {
		(void)nano_pressure_relief();
		cached = cached_bytes((unsigned)cpu0, &caps);
		CHECK_EQ(cached, 0);
		for (unsigned s = 0; s < NANO_SLOTS; s++)
			CHECK_EQ(nano_front_pcls((unsigned)cpu0, s)->cap, NANO_FS_CAP_START);
	}
	return 0;
}

/* ========================================================================
 * stream: a flush follows the stride of a stream of frees
 * ====================================================================== */

#define STREAM_N 20000              /* blocks of each class: many flushes */

static void *stream_v[2 * STREAM_N];

/* Allocate STREAM_N blocks of each size, interleaved, then free them in
 * the order perm gives (NULL: allocation order); the two classes' ahead. */
static void stream_round(const size_t size[2], const uint32_t *perm, int64_t ahead[2])
{
	for (unsigned i = 0; i < 2 * STREAM_N; i++) {
		stream_v[i] = nano_malloc(size[i & 1]);
		CHECK(stream_v[i] && nano_owns(stream_v[i]));
	}
	for (unsigned i = 0; i < 2 * STREAM_N; i++)
		nano_free(stream_v[perm ? perm[i] : i]);
	for (unsigned k = 0; k < 2; k++) {
		const struct nano_pcls *h = nano_front_pcls((unsigned)cpu0, nano_size_to_slot(size[k]));
		ahead[k] = h->ahead;
		/* the mallocs follow the stream back */
		CHECK_EQ(h->pahead, -h->ahead);
	}
}

static int mode_stream(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	static const size_t size[2] = { 64, 160 };
	static uint32_t perm[2 * STREAM_N];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int64_t ahead[2];

	pin(cpu0);
	need_front(0);
	for (int round = 0; round < 3; round++) {
		stream_round(size, NULL, ahead);
		printf("stream: in allocation order, ahead %" PRId64 " and %" PRId64 " bytes\n",
		       ahead[0], ahead[1]);
		for (unsigned k = 0; k < 2; k++)
			CHECK_MSG(ahead[k] == NANO_FS_AHEAD * (int64_t)size[k] ||
				  ahead[k] == -NANO_FS_AHEAD * (int64_t)size[k],
				  "round %d, %zu-byte blocks freed in a stream: ahead %" PRId64, round,
				  size[k], ahead[k]);
	}
	/* the same blocks freed in a shuffled order (Fisher-Yates, xorshift) */
	for (uint32_t i = 0; i < 2 * STREAM_N; i++)
		perm[i] = i;
	for (uint32_t i = 2 * STREAM_N - 1; i > 0; i--) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint32_t j = (uint32_t)(x % (i + 1)), t = perm[i];
		perm[i] = perm[j], perm[j] = t;
	}
	stream_round(size, perm, ahead);
	printf("stream: shuffled, ahead %" PRId64 " and %" PRId64 " bytes\n", ahead[0], ahead[1]);
	CHECK_EQ(ahead[0], 0);
	CHECK_EQ(ahead[1], 0);
	return 0;
}

/* ========================================================================
 * spread: remote frees of many owners
 * ====================================================================== */

#define SPREAD_MAGS 16
#define SPREAD_PER 1200             /* blocks per foreign magazine */
#define SPREAD_THREADS 4
#define SPREAD_SIZE 64

static uint64_t spread_blocks[SPREAD_MAGS * SPREAD_PER];
static unsigned spread_n;

static void *spread_free(void *arg)
{
	unsigned t = (unsigned)(uintptr_t)arg;
	pin(t & 1 ? cpu1 : cpu0);
	for (unsigned i = t; i < spread_n; i += SPREAD_THREADS) {
		void *p = (void *)(uintptr_t)spread_blocks[i];
		CHECK_MSG(nt_fill_ok(p, SPREAD_SIZE, spread_blocks[i]), "block %p corrupted", p);
		nano_free(p);
	}
	return NULL;
}

static int mode_spread(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	static struct nano_topo topo;
	uint64_t keys[SPREAD_MAGS];
	struct nano_config cfg;
	struct nano_totals t0, t1, t2;
	pthread_t th[SPREAD_THREADS];
	const unsigned slot = nano_size_to_slot(SPREAD_SIZE);

	for (unsigned c = 0; c < SPREAD_MAGS; c++)
		keys[c] = c;                 /* every CPU its own core */
	CHECK_EQ(nano_topo_build(&topo, SPREAD_MAGS, keys), 0);
	nano_config_default(&cfg);
	cfg.front = NANO_FRONT_RSEQ;
	cfg.map = NANO_MAP_CPU;
	cfg.topo = &topo;
	CHECK_EQ(nano_zone_init(&cfg), 0);
	nano_get_settings(&st);
	if (strcmp(st.front, "rseq") || cpu1 < 0 || cpu1 >= SPREAD_MAGS || cpu0 >= SPREAD_MAGS) {
		printf("skipped: needs the rseq front and two CPUs below %d (%s)\n", SPREAD_MAGS, st.front);
		return NT_SKIP;
	}
	CHECK_EQ(st.nmags, SPREAD_MAGS);
	/* blocks of every magazine but the two real CPUs' (core API: a run of
	 * fresh blocks, as a refill carves them) */
	for (unsigned m = 0; m < SPREAD_MAGS; m++) {
		if (m == nano_magmap_lookup(&nano_z.map, cpu0) || m == nano_magmap_lookup(&nano_z.map, cpu1))
			continue;
		for (unsigned got = 0; got < SPREAD_PER;) {
			uint64_t first;
			unsigned k = nano_bump_run(&nano_z.meta[m][slot], m, slot, SPREAD_PER - got, &first);
			CHECK(k > 0);
			for (unsigned i = 0; i < k; i++, got++) {
				uint64_t p = first + i * SPREAD_SIZE;
				nt_fill((void *)(uintptr_t)p, SPREAD_SIZE, p);
				spread_blocks[spread_n++] = p;
			}
		}
	}
	/* interleave the owners */
	uint64_t rng = nt_seed(9);
	for (unsigned i = spread_n; i > 1; i--) {
		unsigned j = (unsigned)(nt_rand(&rng) % i);
		uint64_t x = spread_blocks[i - 1];
		spread_blocks[i - 1] = spread_blocks[j];
		spread_blocks[j] = x;
	}
	t0 = totals();
	for (unsigned t = 0; t < SPREAD_THREADS; t++)
		CHECK(pthread_create(&th[t], NULL, spread_free, (void *)(uintptr_t)t) == 0);
	for (unsigned t = 0; t < SPREAD_THREADS; t++)
		CHECK(pthread_join(th[t], NULL) == 0);
	t1 = totals();
	uint64_t groups = t1.front.chains - t0.front.chains;
	uint64_t handed = t1.front.chain_blocks - t0.front.chain_blocks;
	printf("spread: %u blocks of %d magazines freed on 2 CPUs: %" PRIu64 " handed over in %" PRIu64
	       " groups (mean %.1f), %" PRIu64 " still in remote buffers, %" PRIu64
	       " in transfer stages\n", spread_n, SPREAD_MAGS - 2, handed, groups,
	       groups ? (double)handed / (double)groups : 0.0, t1.front.chained_blocks,
	       t1.front.xfer_blocks);
	CHECK_EQ(t1.all.frees - t0.all.frees, spread_n);
	CHECK_EQ(handed + t1.front.chained_blocks - t0.front.chained_blocks, spread_n);
	CHECK_EQ(t1.all.remote_frees - t0.all.remote_frees, spread_n);
	CHECK(groups > 0 && handed >= 4 * groups);
	CHECK(t1.front.xfer_blocks - t0.front.xfer_blocks >= handed);
	check_identity(&t1);
	(void)nano_pressure_relief();
	t2 = totals();
	check_identity(&t2);
	if (st.front_drain) {
		CHECK_EQ(t2.front.chained_blocks, 0);
		CHECK_EQ(t2.front.xfer_blocks, 0);
	}
	return 0;
}

/* ======================================================================== */

static const struct front_mode modes[] = {
	{ "relief", mode_relief },
	{ "stats_exact", mode_stats_exact },
	{ "stats_remote", mode_stats_remote },
	{ "adapt", mode_adapt },
	{ "stream", mode_stream },
	{ "spread", mode_spread },
};

FRONT_MAIN(modes, "test_front_stats relief | stats_exact | stats_remote | adapt | stream | spread")
