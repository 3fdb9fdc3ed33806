/*
 * wl_larson.c - Larson & Krishnan's server simulation (ISMM'98).
 *
 * Warm-up, before the start and not counted, as the original's: the main
 * thread allocates threads * `chunks` blocks, shuffles them, replaces a
 * random one 4 * threads * `chunks` times, and deals them out, `chunks` to
 * each slot. A step frees a random block of the slot's and mallocs a
 * replacement of a size in [min, max) (the original's min + rand % (max -
 * min): uniform:MIN-(MAX-1)), writing its first two bytes. After rounds *
 * chunks steps the slot hands its array to a freshly created successor
 * thread, which goes on freeing blocks it did not allocate. The natural
 * length is `sleep` seconds.
 *
 * The published build (mimalloc-bench's, CPP=1) allocates with `new
 * char[]` and frees with `delete[]`, which an allocator that replaces them
 * serves itself (libstdc++'s call malloc and free, one call more); so by
 * default (cxx=1) the blocks, the warm-up's too, come and go through those
 * operators, bound as a C++ program binds them; cxx=0 calls malloc and
 * free, as the original's C build.
 */
#include "wl_harness.h"

enum { P_SLEEP, P_MIN, P_MAX, P_CHUNKS, P_ROUNDS, P_CXX };

static const struct wl_param params[] = {
	[P_SLEEP] = { "sleep", 5, 1, 86400, "seconds to run when neither --duration nor --ops is given" },
	[P_MIN] = { "min", 8, 1, WL_SIZE_MAX, "smallest block (default size-dist uniform:MIN-(MAX-1))" },
	[P_MAX] = { "max", 1000, 2, WL_SIZE_MAX, "largest block + 1" },
	[P_CHUNKS] = { "chunks", 5000, 1, 10000000, "live blocks per thread" },
	[P_ROUNDS] = { "rounds", 100, 1, 1000000, "a thread hands over after rounds*chunks replacements" },
	[P_CXX] = { "cxx", 1, 0, 1,
		    "1: C++'s operator new[] and delete[], as the published build (CPP=1); 0: malloc and free" },
};

struct larson_state {
	struct wl_blk *blk;
	uint64_t steps;             /* replacements by the current thread */
} __attribute__((aligned(64)));     /* one line per slot: no false sharing */

static void larson_sizes(const int64_t *pv, char *spec, size_t len)
{
	snprintf(spec, len, "uniform:%lld-%lld", (long long)pv[P_MIN], (long long)pv[P_MAX] - 1);
}

static int larson_check(const struct wl_run *r, char *err, size_t len)
{
	if (wl_p(r, P_MIN) >= wl_p(r, P_MAX)) {
		snprintf(err, len, "larson: --min %lld is not below --max %lld",
			 (long long)wl_p(r, P_MIN), (long long)wl_p(r, P_MAX));
		return -1;
	}
	return 0;
}

/* The original's warm-up, in the main thread: every slot's blocks out of
 * one array, shuffled, then 4 * n random replacements. */
static int warm_up(struct wl_run *r, struct wl_blk *all, uint64_t n, uint64_t per)
{
	struct wl_rng rng;
	wl_rng_seed(&rng, r->cfg->seed, 0x6c6172736f6eull);
	for (uint64_t k = 0; k < n; k++)
		if (wl_prealloc(&r->threads[k / per], &all[k]))
			return -1;
	for (uint64_t k = n; k > 1; k--) {
		uint64_t v = wl_rng_below(&rng, k);
		struct wl_blk tmp = all[v];
		all[v] = all[k - 1];
		all[k - 1] = tmp;
	}
	for (uint64_t k = 0; k < 4 * n; k++) {
		uint64_t v = wl_rng_below(&rng, n);
		wl_prealloc_free(&r->threads[v / per], &all[v]);
		if (wl_prealloc(&r->threads[v / per], &all[v]))
			return -1;
	}
	return 0;
}

static int larson_init(struct wl_run *r)
{
	uint64_t per = (uint64_t)wl_p(r, P_CHUNKS), n = per * r->nthreads;
	struct wl_blk *all = wl_mem(r, n * sizeof(struct wl_blk));
	struct larson_state *s = wl_mem(r, r->nthreads * sizeof(*s));
	if (!all || !s)
		return -1;
	if (wl_p(r, P_CXX) && wl_cxx_bind(r) != 0)
		return -1;
	for (unsigned i = 0; i < r->nthreads; i++) {
		s[i].blk = all + i * per;
		r->threads[i].state = &s[i];
	}
	return warm_up(r, all, n, per);
}

/* The loop, once per way of allocating (how: WL_CXX or not), a constant in
 * each copy. */
static inline __attribute__((always_inline)) enum wl_step larson_loop(struct wl_thread *t,
								      unsigned how)
{
	struct larson_state *s = t->state;
	uint64_t n = (uint64_t)wl_p(t->run, P_CHUNKS);
	uint64_t lifetime = n * (uint64_t)wl_p(t->run, P_ROUNDS);

	for (;;) {
		if (s->steps == lifetime) {
			s->steps = 0;
			return WL_STEP_HANDOVER;
		}
		struct wl_blk *b = &s->blk[wl_rng_below(&t->rng, n)];
		if (wl_put(t, b, how | WL_GO) || wl_get(t, b, wl_size_draw(t->sizes, &t->rng), how | WL_GO))
			break;
		s->steps++;
	}
	return WL_STEP_DONE;
}

static enum wl_step larson_thread(struct wl_thread *t)
{
	return wl_p(t->run, P_CXX) ? larson_loop(t, WL_CXX) : larson_loop(t, 0);
}

static void larson_teardown(struct wl_run *r)
{
	for (unsigned i = 0; i < r->nthreads; i++) {
		struct larson_state *s = r->threads[i].state;
		if (s)
			wl_release_array(r, s->blk, (size_t)wl_p(r, P_CHUNKS));
	}
}

const struct wl_workload wl_larson = {
	.name = "larson",
	.summary = "Larson server simulation: random replacement, arrays handed to successor threads",
	.params = params,
	.nparams = WL_COUNT_OF(params),
	.sizes = larson_sizes,
	.touch = 2,
	.original = "daanx/mimalloc-bench bench/larson/larson.cpp (built with CPP=1)",
	.differs = "the threads' random numbers come from nanobench's generator, seeded "
		   "from --seed (the original's lran2 from its seed argument); a successor "
		   "thread joins its predecessor (the original's is detached)",
	.natural_seconds = "sleep",
	.check = larson_check,
	.init = larson_init,
	.thread = larson_thread,
	.teardown = larson_teardown,
};
