/*
 * front_test.h - what the rseq front's tests share (test_front.c,
 * test_front_misuse.c, test_front_stats.c; see each file's head comment):
 * starting the zone with the front, the statistics' identities, blocks with
 * an id and a pattern, pinning, and the mode dispatch.
 *
 * Header-only (static functions), like nt.h: every test is its own
 * executable.
 */
#ifndef FRONT_TEST_H
#define FRONT_TEST_H

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

static inline int rseq_registered(void)
{
#if NANO_HAVE_RSEQ
	return __rseq_size != 0;
#else
	return 0;
#endif
}

static inline int tunable_off(void)
{
	const char *t = getenv("GLIBC_TUNABLES");
	return t && strstr(t, TUNABLE);
}

/* The settings of a zone that was asked for rseq and fell back. */
static inline void check_fallback_settings(void)
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
static inline int start_front(unsigned cap)
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
static inline void need_front(unsigned cap)
{
	if (!start_front(cap)) {
		printf("skipped: the rseq front is not available here: %s\n", st.front_reason);
		exit(NT_SKIP);
	}
}

/* Both CPUs exist and map to different magazines (remote frees). */
static inline int two_magazines(void)
{
	return cpu1 >= 0 && st.nmags >= 2 &&
	       nano_magmap_lookup(&nano_z.map, cpu0) != nano_magmap_lookup(&nano_z.map, cpu1);
}

static inline struct nano_totals totals(void)
{
	struct nano_totals t;
	nano_stats_totals(&t);
	return t;
}

/* carved = in use + free + retired, whatever the front holds. */
static inline void check_identity(const struct nano_totals *t)
{
	CHECK_MSG(t->all.free_blocks == t->all.bump_allocs - t->all.in_use - t->all.retired,
		  "free_blocks %" PRIu64 " != carved %" PRIu64 " - in_use %" PRIu64 " - retired %" PRIu64,
		  t->all.free_blocks, t->all.bump_allocs, t->all.in_use, t->all.retired);
	CHECK(t->front.cached_blocks + t->front.chained_blocks + t->front.xfer_blocks <=
	      t->all.free_blocks);
}

static inline double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline size_t class_of(size_t n)
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

static inline struct rec blk_new(size_t n, uint64_t id)
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

static inline void blk_check(const struct rec *r)
{
	void *p = (void *)(uintptr_t)r->p;
	size_t cls = class_of(r->n);
	CHECK_MSG(nano_size(p) == cls, "nano_size(%p) = %zu, class %zu", p, nano_size(p), cls);
	CHECK_MSG(nt_fill_ok(p, cls, r->id),
		  "block %p (id %#" PRIx64 ", class %zu) corrupted: handed out twice, overlapping "
		  "another live block, or released under its owner", p, r->id, cls);
}

/* Check, then free (1 in 4 with the trusted sized free). */
static inline void blk_free(const struct rec *r, uint64_t *rng)
{
	blk_check(r);
	if ((nt_rand(rng) & 3) == 0)
		nano_free_sized((void *)(uintptr_t)r->p, r->n);
	else
		nano_free((void *)(uintptr_t)r->p);
}


/* ========================================================================
 * Pinning and small helpers of the single-thread modes
 * ====================================================================== */

static inline void pin(int cpu)
{
	CHECK(nt_pin(cpu) == 0);
}

/* blocks of one size on the current CPU */
static inline void alloc_n(void **v, unsigned n, size_t size)
{
	for (unsigned i = 0; i < n; i++) {
		v[i] = nano_malloc(size);
		CHECK(v[i] && nano_owns(v[i]));
	}
}

static inline void need_two_magazines(void)
{
	need_front(FIXED_CAP);
	if (!two_magazines()) {
		printf("skipped: needs two CPUs of different magazines (%u magazines)\n", st.nmags);
		exit(NT_SKIP);
	}
}

/* ========================================================================
 * Modes
 * ====================================================================== */

struct front_mode {
	const char *name;
	int (*fn)(int argc, char **argv);
};

/* Run the mode argv[1] names (default: the first), after finding the two
 * CPUs the modes pin to; 2 with USAGE for an unknown mode. */
static inline int front_main(int argc, char **argv, const struct front_mode *modes, size_t n,
			     const char *usage)
{
	const char *mode = argc > 1 ? argv[1] : modes[0].name;
	setvbuf(stdout, NULL, _IOLBF, 0);
	cpu0 = nt_allowed_cpu(0);
	cpu1 = nt_allowed_cpu(1);
	CHECK(cpu0 >= 0);
	for (size_t i = 0; i < n; i++)
		if (strcmp(mode, modes[i].name) == 0)
			return modes[i].fn(argc, argv);
	fprintf(stderr, "usage: %s\n", usage);
	return 2;
}

#define FRONT_MAIN(modes, usage)                                               \
	int main(int argc, char **argv)                                        \
	{                                                                      \
		return front_main(argc, argv, modes, sizeof(modes) / sizeof(modes[0]), usage); \
	}

#endif
