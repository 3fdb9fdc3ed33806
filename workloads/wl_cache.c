/*
 * wl_cache.c - Hoard's cache-scratch and cache-thrash (false sharing).
 *
 * Both run the same loop per thread: allocate an object, write each of its
 * bytes `repetitions` times, free it; `iterations` times (natural length).
 * cache-thrash: every thread allocates its own objects from the start; an
 *   allocator that gives two threads blocks on one cache line makes them
 *   fight over it (active false sharing).
 * cache-scratch: the main thread first allocates one object per thread
 *   (likely neighbours on one line) and hands them out; each thread starts by
 *   freeing its object, so an allocator that recycles a freed block for the
 *   thread that freed it inherits the neighbour's line (passive false sharing).
 * The writes increment then decrement each byte, so the tag stays intact
 * while the line is written 2 * repetitions times; the tag is also checked
 * every 16 repetitions (one read of the object).
 */
#include "wl_harness.h"

enum { P_ITER, P_OBJSIZE, P_REPS };

static const struct wl_param params[] = {
	[P_ITER] = { "iterations", 1000, 1, 1000000000, "objects allocated and freed per thread" },
	[P_OBJSIZE] = { "objsize", 1, 1, WL_SIZE_MAX, "object size in bytes (default size-dist fixed:OBJSIZE)" },
	[P_REPS] = { "repetitions", 2000000, 0, 1000000000, "times each byte is written per object" },
};

struct cache_state {
	struct wl_blk given;        /* cache-scratch: the object from the main thread */
	struct wl_blk cur;
};

static void cache_sizes(const int64_t *pv, char *spec, size_t len)
{
	snprintf(spec, len, "fixed:%lld", (long long)pv[P_OBJSIZE]);
}

static int cache_init_common(struct wl_run *r, int scratch)
{
	struct cache_state *s = wl_mem(r, r->nthreads * sizeof(*s));
	if (!s)
		return -1;
	for (unsigned i = 0; i < r->nthreads; i++) {
		r->threads[i].state = &s[i];
		/* Allocated by the main thread, back to back, on behalf of slot i. */
		if (scratch && wl_prealloc(&r->threads[i], &s[i].given))
			return -1;
	}
	return 0;
}

static int scratch_init(struct wl_run *r)
{
	return cache_init_common(r, 1);
}

static int thrash_init(struct wl_run *r)
{
	return cache_init_common(r, 0);
}

/* Write every byte 2 * reps times; the tag is checked every 16 repetitions,
 * since a second holder's writes can be undone by our own increment and
 * decrement (last writer wins) and would escape the check before free. */
static int write_object(struct wl_thread *t, const struct wl_blk *b, int64_t reps)
{
	volatile unsigned char *p = b->p;
	for (int64_t k = 0; k < reps; k++) {
		for (uint32_t j = 0; j < b->size; j++) {
			p[j] = (unsigned char)(p[j] + 1);
			p[j] = (unsigned char)(p[j] - 1);
		}
		if ((k & 15) == 15 && !wl_tag_check(b)) {
			wl_fail_tag(t, b);
			return -1;
		}
	}
	return 0;
}

static enum wl_step cache_thread(struct wl_thread *t)
{
	struct cache_state *s = t->state;
	int64_t iters = wl_p(t->run, P_ITER), reps = wl_p(t->run, P_REPS);

	if (s->given.p && (!wl_go(t) || wl_free(t, &s->given)))
		return WL_STEP_DONE;
	for (int64_t it = 0; !wl_natural(t->run) || it < iters; it++) {
		if (!wl_go(t) || wl_alloc_draw(t, &s->cur))
			break;
		if (write_object(t, &s->cur, reps)) {
			s->cur.p = NULL;        /* someone else's too: leave it alone */
			break;
		}
		if (!wl_go(t) || wl_free(t, &s->cur))
			break;
	}
	return WL_STEP_DONE;
}

static void cache_teardown(struct wl_run *r)
{
	for (unsigned i = 0; i < r->nthreads; i++) {
		struct cache_state *s = r->threads[i].state;
		if (s) {
			wl_release(r, &s->given);
			wl_release(r, &s->cur);
		}
	}
}

const struct wl_workload wl_cache_scratch = {
	.name = "cache-scratch",
	.summary = "Hoard cache-scratch: passive false sharing (freed neighbour blocks reused)",
	.params = params,
	.nparams = WL_COUNT_OF(params),
	.sizes = cache_sizes,
	.init = scratch_init,
	.thread = cache_thread,
	.teardown = cache_teardown,
};

const struct wl_workload wl_cache_thrash = {
	.name = "cache-thrash",
	.summary = "Hoard cache-thrash: active false sharing (neighbour blocks to two threads)",
	.params = params,
	.nparams = WL_COUNT_OF(params),
	.sizes = cache_sizes,
	.init = thrash_init,
	.thread = cache_thread,
	.teardown = cache_teardown,
};
