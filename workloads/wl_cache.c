/*
 * wl_cache.c - Hoard's cache-scratch and cache-thrash (false sharing).
 *
 * Both run the same loop per thread, as the originals do: `iterations` times
 * allocate an object of `objsize` bytes, then `repetitions / threads` times
 * write each of its bytes, read it back into a volatile local and increment
 * that, then free it. The total work is fixed, so the ideal is a T-fold
 * speedup.
 * cache-thrash: every thread allocates its own objects from the start; an
 *   allocator that gives two threads blocks on one cache line makes them
 *   fight over it (active false sharing).
 * cache-scratch: the main thread first allocates one object per thread
 *   (likely neighbours on one line) and hands them out; each thread starts by
 *   freeing its object, so an allocator that recycles a freed block for the
 *   thread that freed it inherits the neighbour's line (passive false sharing).
 *
 * The bytes written are the block's own image as the harness tagged it (every
 * byte of the object is tagged or filled, wl_tag.h), taken once after
 * malloc: each write stores the value the byte already holds, so the tag
 * stays intact while the line is written as often as in the original. A
 * second holder writes its own, different image; the tag is checked every 16
 * repetitions and before free, so the overlap is seen while both write.
 */
#include "wl_harness.h"

enum { P_ITER, P_OBJSIZE, P_REPS };

static const struct wl_param params[] = {
	[P_ITER] = { "iterations", 1000, 1, 1000000000, "objects allocated and freed per thread" },
	[P_OBJSIZE] = { "objsize", 1, 1, 65536, "object size in bytes (default size-dist fixed:OBJSIZE)" },
	[P_REPS] = { "repetitions", 2000000, 0, 2000000000,
		     "times each byte is written, all threads together (each does 1/T)" },
};

#define IMAGE_MAX 65536

struct cache_state {
	struct wl_blk given;        /* cache-scratch: the object from the main thread */
	struct wl_blk cur;
	unsigned char *image;       /* IMAGE_MAX bytes */
} __attribute__((aligned(64)));     /* one line per slot: no false sharing */

static void cache_sizes(const int64_t *pv, char *spec, size_t len)
{
	snprintf(spec, len, "fixed:%lld", (long long)pv[P_OBJSIZE]);
}

/* --objsize is bounded by its parameter; a --size-dist must be too. */
static int cache_check(const struct wl_run *r, char *err, size_t len)
{
	struct wl_sizes d;
	uint32_t max;
	if (!r->cfg->size_dist || wl_sizes_parse(&d, r->cfg->size_dist, err, len))
		return 0;               /* a bad spec is reported by the harness */
	max = wl_sizes_max(&d);
	wl_sizes_free(&d);
	if (max > IMAGE_MAX) {
		snprintf(err, len, "%s: --size-dist %s has blocks up to %u bytes (expected at "
			 "most %u)", r->wl->name, r->cfg->size_dist, max, IMAGE_MAX);
		return -1;
	}
	return 0;
}

static int cache_init_common(struct wl_run *r, int scratch)
{
	struct cache_state *s = wl_mem(r, r->nthreads * sizeof(*s));
	if (!s)
		return -1;
	for (unsigned i = 0; i < r->nthreads; i++) {
		r->threads[i].state = &s[i];
		if (!(s[i].image = wl_mem(r, IMAGE_MAX)))
			return -1;
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

/* The original's inner loops over the object, 16 repetitions at a time,
 * with a tag check after each 16. */
static int write_object(struct wl_thread *t, const struct wl_blk *b, const unsigned char *img,
			int64_t reps)
{
	volatile unsigned char *p = b->p;
	uint32_t n = b->size;
	for (int64_t k = 0; k < reps; k += 16) {
		int64_t m = reps - k < 16 ? reps - k : 16;
		for (int64_t j = 0; j < m; j++) {
			for (uint32_t i = 0; i < n; i++) {
				p[i] = img[i];
				volatile unsigned char ch = p[i];
				ch++;
			}
		}
		if (!wl_tag_check(b, t->touch, t->salt)) {
			wl_fail_tag(t, b);
			return -1;
		}
	}
	return 0;
}

static enum wl_step cache_thread(struct wl_thread *t)
{
	struct cache_state *s = t->state;
	int64_t iters = wl_p(t->run, P_ITER);
	int64_t reps = wl_p(t->run, P_REPS) / t->run->nthreads;

	if (s->given.p && (!wl_go(t) || wl_free(t, &s->given)))
		return WL_STEP_DONE;
	for (int64_t it = 0; !wl_natural(t->run) || it < iters; it++) {
		if (!wl_go(t) || wl_alloc_draw(t, &s->cur))
			break;
		memcpy(s->image, s->cur.p, s->cur.size);
		if (write_object(t, &s->cur, s->image, reps)) {
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

static const char cache_differs[] =
	"the bytes written are the block's own tagged image (the original writes k to byte k), "
	"checked every 16 repetitions";

const struct wl_workload wl_cache_scratch = {
	.name = "cache-scratch",
	.summary = "Hoard cache-scratch: passive false sharing (freed neighbour blocks reused)",
	.params = params,
	.nparams = WL_COUNT_OF(params),
	.sizes = cache_sizes,
	.touch = WL_TOUCH_ALL,
	.check = cache_check,
	.original = "daanx/mimalloc-bench bench/cache-scratch/cache-scratch.cpp",
	.differs = cache_differs,
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
	.touch = WL_TOUCH_ALL,
	.check = cache_check,
	.original = "daanx/mimalloc-bench bench/cache-thrash/cache-thrash.cpp",
	.differs = cache_differs,
	.init = thrash_init,
	.thread = cache_thread,
	.teardown = cache_teardown,
};
