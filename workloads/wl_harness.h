/*
 * wl_harness.h - threads, barrier, timing, sampling, verification, results.
 *
 * Owns: everything around a workload's loop. The caller (nanobench run)
 * fills a wl_config; wl_run_cell() then
 *   1. builds the run: sizes, per-thread slots (mmap'ed, cache-line aligned,
 *      never from the allocator under test), calibrates the cycle counter,
 *   2. calls the workload's init, opens the perf counters, creates the
 *      workers; each binds itself to its PU and waits at the start barrier,
 *   3. snapshots the counters, releases the barrier; the main thread sleeps
 *      in 10 ms steps, sampling the live blocks, until the duration has passed
 *      or every slot has finished, then raises the stop flag and joins,
 *   4. snapshots the counters again, runs the workload's teardown (every
 *      block released, the tagged ones verified, data blocks as each
 *      workload checks them) and reads the RSS left behind.
 *
 * The measured loop's helpers are below: wl_go() (may the thread make
 * another call?), wl_alloc()/wl_free() (count, touch, tag, verify). Calls
 * are counted in stretches (see struct wl_thread): the stop flag and the
 * budget are read once per stretch, and the last call of a stretch is the
 * one whose latency is sampled, so the inline path is a load, a compare and
 * a store per call (of one word that holds the calls left and the tag
 * nonce); --ops stays exact because no stretch runs past the budget.
 * A failed check marks the run failed, stops every thread, and leaves the
 * block alone (it is not freed: it may be someone else's).
 *
 * An "op" is one call to malloc or free made by the measured loop.
 */
#ifndef WL_HARNESS_H
#define WL_HARNESS_H

#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "wl_counters.h"
#include "wl_nano.h"
#include "wl_sizes.h"
#include "wl_tag.h"
#include "wl_timing.h"
#include "wl_workload.h"

struct wl_topo;
struct wl_mailbox;

#define WL_MAX_THREADS 1024
#define WL_MSG 320

#define wl_unlikely(x) __builtin_expect(!!(x), 0)

enum wl_end { WL_END_NATURAL, WL_END_OPS, WL_END_TIME };

/* What one cell is asked to do. */
struct wl_config {
	const struct wl_workload *wl;
	int64_t param[WL_MAX_PARAMS];
	const char *size_dist;        /* NULL: the workload's default */
	unsigned nthreads;
	uint64_t seed;
	enum wl_end end;
	uint64_t ops;                 /* WL_END_OPS */
	double seconds;               /* WL_END_TIME */
	unsigned sample_every;        /* k: one latency sample per k calls */
	const int *cpus;              /* nthreads os indices, or -1 unpinned */
	const struct wl_topo *topo;   /* for binding; NULL when unpinned */
};

/* One worker slot. The first line is what the loop touches: a call costs
 * one load and one store of `lc` (a decrement of its `left` half, and for a
 * malloc a step of its nonce half) and, every `stretch` calls, one
 * out-of-line step (wl_get_last/wl_put_last) that takes the latency sample,
 * reads the stop flag and the budget, and starts the next stretch. */
#define WL_LC_NONCE (1ull << 32)
struct wl_thread {
	uint64_t lc;                  /* low 32 bits, `left`: calls allowed before the
				       * next step, 0: stop; high 32 bits, the nonce:
				       * one step per block got from malloc, from a
				       * per-slot start (wl_tag.h) */
	uint32_t touch;               /* the workload's touch, bytes (wl_tag.h) */
	uint64_t salt;                /* run-wide: which addresses the tags sample */
	uint32_t id;
	struct wl_rng rng;
	const struct wl_sizes *sizes;
	struct wl_run *run;
	void *state;                  /* the workload's per-thread state */
	/* the step */
	uint64_t ops;                 /* calls in the stretches before this one */
	uint64_t budget;              /* calls this slot may make (--ops) */
	uint32_t stretch;             /* calls in this stretch */
	uint32_t sample_left;         /* calls until the next timed call */
	uint32_t sample_every;
	int timed;                    /* the stretch ends with a timed call */
	/* live blocks, for the supervisor (no per-call bookkeeping: a slot's
	 * mallocs are its nonce's steps, its frees the rest of its calls) */
	uint64_t mallocs;             /* nonce steps from the start gate to `mark` */
	uint32_t mark;                /* the nonce at the last step (or the gate) */
	int64_t live_start;           /* blocks set-up left live on its account */
	int64_t quiet_allocs, quiet_frees;  /* calls not counted (wl_alloc_uncounted) */
	uint64_t cost_ticks;
	struct wl_hist *hist;
	/* cold */
	uint64_t start_ns, finish_ns;
	int cpu_target, cpu_seen_first, cpu_seen_last;
	unsigned generations;         /* threads that ran this slot */
	pthread_t tid;                /* the thread running the slot now */
	pthread_t prev;               /* predecessor, joined by its successor */
	int finished;
} __attribute__((aligned(64)));

struct wl_run {
	const struct wl_config *cfg;
	const struct wl_workload *wl;
	const int64_t *param;
	unsigned nthreads;
	struct wl_sizes sizes;
	struct wl_thread *threads;
	void *shared;                 /* the workload's run-wide state */
	uint32_t touch;               /* bytes a workload writes per block (wl_tag.h) */
	uint64_t salt;                /* tag sampling salt, from the seed */
	unsigned release_how;         /* WL_CXX: teardown gives blocks back with delete[] */
	struct wl_mailbox *inbox;     /* per-slot inboxes (wl_inbox.h), or NULL */
	struct wl_clock clock;
	pthread_mutex_t gate_lock;    /* the start gate: workers arrive, main opens */
	pthread_cond_t gate_arrived;
	unsigned arrived;
	int open;                     /* atomic, a futex word: the gate is open */
	int stop;                     /* atomic */
	int failed;                   /* atomic: first failure wins the message */
	unsigned finished;            /* atomic: slots done */
	/* rests (wl_rest): every slot idle together, outside the measured time */
	pthread_mutex_t rest_lock;
	pthread_cond_t rest_done;
	unsigned rest_arrived;
	uint64_t rest_gen;
	uint64_t rest_since;          /* atomic: when the rest now under way began (0: none) */
	uint64_t rest_ns;             /* atomic: the rests so far */
	char fail_msg[WL_MSG];
	struct wl_mapping { void *p; size_t len; } *mem;   /* wl_mem's mappings */
	unsigned nmem, mem_cap;
};

/* What one cell measured. Counters are deltas over the measured interval;
 * -1 means unknown (recorded empty). */
struct wl_result {
	int failed;
	char message[WL_MSG];
	char size_dist[128];
	char verify[32];              /* tag coverage: ends, first+ends/64, ends/64 */
	double seconds;               /* the measured time: the rests taken out */
	double rest_s;                /* the rests (wl_rest) */
	uint64_t total_ops, ops_min, ops_max;
	uint64_t samples;
	double p50_ns, p90_ns, p99_ns, p999_ns, max_ns;
	double timer_cost_ns, timer_res_ns;
	int64_t peak_live_bytes;      /* peak live blocks x the distribution's mean */
	int64_t rss_base_kib, rss_peak_kib, rss_after_free_kib;
	int64_t minflt, majflt, nvcsw, nivcsw;
	double user_s, sys_s, steal_s;
	int64_t perf[WL_PERF_COUNT];
	unsigned threads_created;
	char cpus_used[2048];
	struct wl_nano_info nano;
};

/* Run one cell. Returns 0 when it ran (result->failed says whether it
 * passed), or -1 with result->message for bad input (exit status 2). */
int wl_run_cell(const struct wl_config *cfg, struct wl_result *result);

/* The workload's own refusal of cfg (its parameters against each other, the
 * thread count, the sizes), which wl_run_cell makes first: 0, or -1 with a
 * message. For a matrix's check before anything runs. */
int wl_check_config(const struct wl_config *cfg, char *err, size_t errlen);

/* ------------------------------------------------------------------------
 * For workloads: memory, failure, parameters
 * ---------------------------------------------------------------------- */

/* Zeroed memory from mmap, released after the run. NULL when out of memory. */
void *wl_mem(struct wl_run *r, size_t bytes);
/* Fail the run with a message (first one wins) and stop every thread. */
void wl_fail(struct wl_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wl_fail_tag(struct wl_thread *t, const struct wl_blk *b);

/* A rest, as a published program pauses between its phases: the calling
 * slot waits until every slot of the run has arrived, then all stay idle
 * for `ms` milliseconds together. Allocators that return memory on a timer
 * (mimalloc's delayed decommit, jemalloc's decay) do it in such pauses,
 * and the phase after one pays the page faults. From the last arrival to
 * the end of the rest is outside the measured time (wall_s, and a timed
 * run's deadline); the wait for the others to arrive is inside. Returns -1
 * when the run stops meanwhile (the others may never arrive). */
int wl_rest(struct wl_thread *t, unsigned ms);

static inline int64_t wl_p(const struct wl_run *r, int index)
{
	return r->param[index];
}

static inline int wl_natural(const struct wl_run *r)
{
	return r->cfg->end == WL_END_NATURAL;
}

static inline int wl_stopped(const struct wl_run *r)
{
	return __atomic_load_n(&r->stop, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------------
 * The measured loop's helpers (inline: a handful of instructions each)
 * ---------------------------------------------------------------------- */

/* Calls left before the next step (0: stopped). */
static inline uint32_t wl_left(const struct wl_thread *t)
{
	return (uint32_t)__atomic_load_n(&t->lc, __ATOMIC_RELAXED);
}

/* May the thread make another allocator call? One load and one compare. */
static inline int wl_go(const struct wl_thread *t)
{
	return wl_left(t) != 0;
}

/* How a block is got and given back: the flags of wl_get() and wl_put(),
 * constants at the call site, so the inline paths fold. */
enum {
	WL_UNCOUNTED = 1,       /* not one of the calls the workload's figure counts */
	WL_DATA = 2,            /* the workload keeps its own data in the block: no
				 * touch, no tag (it checks the content itself) */
	WL_CALLOC = 4,          /* calloc(1, size): zeroed by the allocator, no touch */
	WL_ALIGN8 = 8,          /* memalign(8, size) */
	WL_ALIGN16 = 16,        /* memalign(16, size) */
	WL_CXX = 32,            /* C++'s operator new[] and delete[] (wl_cxx_bind) */
	WL_BYTEWISE = 64,       /* touch a byte at a time (wl_fill_bytes) */
	WL_WHOLE = 128,         /* the workload writes every byte of every block: its
				 * touch is WL_TOUCH_ALL and no parameter changes it, so
				 * the touch is the size and the tag is "ends" with no
				 * per-call test */
	WL_GO = 256,            /* the caller does not ask wl_go first: at a stop (left
				 * 0) no call is made and wl_get/wl_put return 1, a test
				 * that sits on the out-of-line path only */
	WL_KEEP = 512,          /* wl_put leaves b->p as it was after the free: the
				 * workload knows which of its records hold live blocks
				 * and its teardown releases only those */
};

/* C++'s operator new[](size_t) and operator delete[](void *), as a C++
 * program binds them: an allocator that replaces them (mimalloc, tcmalloc,
 * jemalloc) serves them itself, otherwise libstdc++'s call malloc and free.
 * Set by wl_cxx_bind before the workers start. new[] throws on failure:
 * the cell then ends in std::terminate, as the C++ original would. */
struct wl_cxx {
	void *(*new_arr)(size_t);
	void (*delete_arr)(void *);
};
extern struct wl_cxx wl_cxx;

/* Bind wl_cxx (loading libstdc++.so.6 when no object in the process defines
 * them) and make WL_CXX the run's way of giving blocks back at teardown.
 * 0, or -1 with the run failed and a message naming what is missing. */
int wl_cxx_bind(struct wl_run *r);

static inline void *wl_raw_get(size_t size, unsigned how)
{
	if (how & WL_CXX)
		return wl_cxx.new_arr(size);
	if (how & WL_CALLOC)
		return calloc(1, size);
	if (how & (WL_ALIGN8 | WL_ALIGN16))
		return memalign(how & WL_ALIGN16 ? 16 : 8, size);
	return malloc(size);
}

static inline void wl_raw_put(void *p, unsigned how)
{
	if (how & WL_CXX)
		wl_cxx.delete_arr(p);
	else
		free(p);
}

/* The last call of a stretch (or a call made past the budget): out of line,
 * where the latency sample is taken. */
void *wl_get_last(struct wl_thread *t, size_t size, unsigned how);
int wl_put_last(struct wl_thread *t, void *p, unsigned how);
/* What wl_get_last returns, with WL_GO, for a call not made at a stop. */
#define WL_STOPPED ((void *)1)

/* The nonce for a block got outside the counted fast path: the current
 * one, stepped. */
static inline uint32_t wl_nonce_take(struct wl_thread *t)
{
	const uint64_t lc = t->lc;
	__atomic_store_n(&t->lc, lc + WL_LC_NONCE, __ATOMIC_RELAXED);
	return (uint32_t)(lc >> 32);
}

/* One allocator call, counted unless WL_UNCOUNTED; *nonce is the block's
 * (on the counted fast path the nonce steps in the same store that counts
 * the call; wl_get_last steps it on the out-of-line one). */
static inline void *wl_call_get(struct wl_thread *t, size_t size, unsigned how, uint32_t *nonce)
{
	const uint64_t lc = t->lc;
	if (how & WL_UNCOUNTED) {
		*nonce = wl_nonce_take(t);
		__atomic_store_n(&t->quiet_allocs, t->quiet_allocs + 1, __ATOMIC_RELAXED);
		return wl_raw_get(size, how);
	}
	*nonce = (uint32_t)(lc >> 32);
	if (wl_unlikely((uint32_t)lc <= 1))
		return wl_get_last(t, size, how);
	__atomic_store_n(&t->lc, lc + WL_LC_NONCE - 1, __ATOMIC_RELAXED);
	return wl_raw_get(size, how);
}

static inline int wl_call_put(struct wl_thread *t, void *p, unsigned how)
{
	const uint64_t lc = t->lc;
	if (how & WL_UNCOUNTED) {
		__atomic_store_n(&t->quiet_frees, t->quiet_frees + 1, __ATOMIC_RELAXED);
		wl_raw_put(p, how);
	} else if (wl_unlikely((uint32_t)lc <= 1)) {
		return wl_put_last(t, p, how);
	} else {
		__atomic_store_n(&t->lc, lc - 1, __ATOMIC_RELAXED);
		wl_raw_put(p, how);
	}
	return 0;
}

int wl_fail_null(struct wl_thread *t, struct wl_blk *b, uint32_t size);

/* Which words of b the tag covers: "ends" for a workload that writes whole
 * blocks (WL_WHOLE, no test), else as its touch and the sample say. */
static inline enum wl_tag_what wl_tag_cover(const struct wl_thread *t, const struct wl_blk *b,
					    unsigned how)
{
	return how & WL_WHOLE ? WL_TAG_ENDS : wl_tag_what(b, t->touch, t->salt);
}

/* Fill in b for the new block p of `size` and `nonce`; write the workload's
 * touch (not into a calloc'ed block: the allocator zeroed it) and the tag. */
static inline void wl_adopt(struct wl_thread *t, struct wl_blk *b, void *p, uint32_t size,
			    uint32_t nonce, unsigned how)
{
	b->p = p;
	b->size = size;
	b->nonce = nonce;
	if (how & WL_DATA)
		return;
	if ((how & WL_WHOLE || t->touch) && !(how & WL_CALLOC)) {
		const uint32_t n = how & WL_WHOLE ? size : t->touch < size ? t->touch : size;
		if (how & WL_BYTEWISE)
			wl_fill_bytes(p, n);
		else
			wl_fill(p, n);
	}
	wl_tag_put(b, wl_tag_cover(t, b, how));
}

/* Get a block of `size` (malloc, or as `how` says), touch and tag it, count
 * the call. 0, or -1 (the run failed), or with WL_GO 1 (stopped: no call
 * was made, b is untouched). */
static inline int wl_get(struct wl_thread *t, struct wl_blk *b, uint32_t size, unsigned how)
{
	uint32_t nonce;
	void *p = wl_call_get(t, size, how, &nonce);
	if (wl_unlikely((uintptr_t)p <= ((how & WL_GO) ? 1 : 0)))
		return p ? 1 : wl_fail_null(t, b, size);
	wl_adopt(t, b, p, size, nonce, how);
	return 0;
}

/* Verify and free a block (with the flags it was got with), count the call;
 * b->p becomes NULL (unless WL_KEEP). 0, or -1 when the tag was damaged
 * (the run failed, the block is left alone), or with WL_GO 1 (stopped: the
 * block was verified and is still held, for the teardown). */
static inline int wl_put(struct wl_thread *t, struct wl_blk *b, unsigned how)
{
	if (!(how & WL_DATA) && wl_unlikely(!wl_tag_ok(b, wl_tag_cover(t, b, how)))) {
		wl_fail_tag(t, b);
		b->p = NULL;
		return -1;
	}
	if (wl_call_put(t, b->p, how))
		return 1;
	if (!(how & WL_KEEP))
		b->p = NULL;
	return 0;
}

/* The common case: malloc, counted. */
static inline int wl_alloc(struct wl_thread *t, struct wl_blk *b, uint32_t size)
{
	return wl_get(t, b, size, 0);
}

/* Same, with a size drawn from the run's distribution. */
static inline int wl_alloc_draw(struct wl_thread *t, struct wl_blk *b)
{
	return wl_get(t, b, wl_size_draw(t->sizes, &t->rng), 0);
}

static inline int wl_free(struct wl_thread *t, struct wl_blk *b)
{
	return wl_put(t, b, 0);
}

/* Busy work between calls (threadtest's "work"): n dependent additions. */
static inline void wl_busy(int64_t n)
{
	volatile uint64_t x = 0;
	for (int64_t i = 0; i < n; i++)
		x = x + (uint64_t)i;
}

/* Waiting for another thread (xmalloc's queue): a pause, and a yield now
 * and then so an oversubscribed machine makes progress. */
static inline void wl_relax(unsigned *spins)
{
	if ((++*spins & 63) == 0)
		sched_yield();
#if defined(__x86_64__) || defined(__i386__)
	else
		__builtin_ia32_pause();
#endif
}

/* Per-slot arrays of blocks, the most common workload state: every slot's
 * state becomes a zeroed array of n blocks (0, or -1 out of memory); and the
 * matching teardown. */
int wl_give_arrays(struct wl_run *r, size_t n);
void wl_release_arrays(struct wl_run *r, size_t n);
void wl_release_array(struct wl_run *r, struct wl_blk *blk, size_t n);

/* Outside the measured interval (init, teardown): verify and free without
 * counting; NULL blocks are skipped. */
void wl_release(struct wl_run *r, struct wl_blk *b);
/* The same for a WL_DATA block (the workload checked its content). */
void wl_release_data(struct wl_run *r, struct wl_blk *b);
/* In init: allocate and tag without counting, on behalf of slot t; and free
 * such a block again (larson's warm-up). */
int wl_prealloc(struct wl_thread *t, struct wl_blk *b);
void wl_prealloc_free(struct wl_thread *t, struct wl_blk *b);

#endif
