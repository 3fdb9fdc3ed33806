/*
 * test_front_misuse.c - heap misuse through the rseq front's stages
 * (nano_front.h's guard words), each case in a child that must abort with
 * nano's one-line message naming the pointer (nt_fatal_case); each child
 * first checks (statistics) that its block really took the path the case
 * is about. The caches have a fixed capacity here (FIXED_CAP), so that the
 * cases know when a cache or a remote buffer is full.
 *
 *   test_front_misuse double_free_cache | double_free_chain | guard_corrupt
 *   test_front_misuse guard_corrupt_flushed
 *     "double free":
 *       cache: free, free; free under 20 later frees; sized free then free;
 *         the block flushed from a full cache to the transfer stage (its
 *         free guard intact: caught at once); drained to the list by relief
 *         (v1 guard, v1's scan);
 *       remote buffer (allocated on CPU 0, freed on CPU 1): still in CPU 1's
 *         remote buffer; the buffer handed over to the owner's transfer stage
 *         (filled up), second free on CPU 1 and on the owner's CPU 0.
 *     "corrupted" (a write after free over the first 16 bytes, which hold
 *     the free guard in the second word):
 *       the block on top of the cache, under 8 others, zeroed; in a remote
 *         buffer that was handed over to the owner, caught when the owner's
 *         cache hands it out;
 *       guard_corrupt_flushed: in the cache when a flush moves it to the
 *         transfer stage; then allocated again.
 *     Remote buffers need two CPUs of different magazines (else skipped).
 */
#include "front_test.h"

/* ========================================================================
 * Misuse through the cache and the chains (each case in a child)
 * ====================================================================== */



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
 * scan); a neighbour on its page stays live, so its page is not released.
 * The cache this child inherited may hold blocks of any page (what the
 * parent freed on this CPU before, and what its transfer stage gives), and
 * a block may be the last free one of its page, so p and its neighbour are
 * the first two blocks on one page among up to 4096 allocated, twice the
 * largest cache (past it the bump pointer carves neighbours), all kept live
 * (the child exits after the case). */
enum { NEIGHBOUR_TRIES = 4096 };
_Static_assert(NEIGHBOUR_TRIES >= 2 * NANO_FRONT_CAP_MAX, "past the largest cache");

static void case_df_drained(void *arg)
{
	(void)arg;
	static void *kept[NEIGHBOUR_TRIES];
	pin(cpu0);
	void *p = NULL, *q = NULL;
	for (unsigned i = 0; i < NEIGHBOUR_TRIES && !q; i++) {
		kept[i] = nano_malloc(64);
		for (unsigned j = 0; j < i && !q; j++)
			if ((uintptr_t)kept[j] / 4096 == (uintptr_t)kept[i] / 4096) {
				p = kept[j];
				q = kept[i];
			}
	}
	CHECK_MSG(q != NULL, "no two blocks on one page among %d allocated", NEIGHBOUR_TRIES);
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

/* Cases that need something this machine may lack: run them when ok, else
 * one skip line naming the first and why. */
static int run_cases_if(const struct fcase *c, size_t n, bool ok, const char *why)
{
	if (ok)
		return run_cases(c, n);
	printf("skip %-36s %s\n", c[0].name, why);
	return 0;
}

#define RUN_CASES_IF(table, ok, why) \
	run_cases_if(table, sizeof(table) / sizeof(table[0]), ok, why)

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
	int r = RUN_CASES(cases);         /* first: the order of the output */
	return r | RUN_CASES_IF(drain_cases, st.front_drain,
				"relief cannot drain caches here (no membarrier)");
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
	return r | RUN_CASES_IF(chain_cases, two_magazines(), "needs two CPUs of different magazines");
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

/* ======================================================================== */

static const struct front_mode modes[] = {
	{ "double_free_cache", mode_double_free_cache },
	{ "double_free_chain", mode_double_free_chain },
	{ "guard_corrupt", mode_guard_corrupt },
	{ "guard_corrupt_flushed", mode_guard_corrupt_flushed },
};

FRONT_MAIN(modes, "test_front_misuse double_free_cache | double_free_chain | guard_corrupt | "
		  "guard_corrupt_flushed")
