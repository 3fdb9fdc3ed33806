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
 *      in 10 ms steps, sampling the live bytes, until the duration has passed
 *      or every slot has finished, then raises the stop flag and joins,
 *   4. snapshots the counters again, runs the workload's teardown (every
 *      block released and verified) and reads the RSS left behind.
 *
 * The measured loop's helpers are below: wl_go() (budget and stop flag),
 * wl_alloc()/wl_free() (count, sample latency every k-th call, tag, verify).
 * A failed check marks the run failed, stops every thread, and leaves the
 * block alone (it is not freed: it may be someone else's).
 *
 * An "op" is one call to malloc or free made by the measured loop.
 */
#ifndef WL_HARNESS_H
#define WL_HARNESS_H

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

/* One worker slot. The first line is what the loop touches. */
struct wl_thread {
	uint64_t ops;
	uint64_t budget;
	uint32_t sample_left;
	uint32_t sample_every;
	uint32_t nonce;
	uint32_t id;
	int64_t live;                 /* requested bytes held (remote frees: < 0) */
	struct wl_rng rng;
	struct wl_run *run;
	const struct wl_sizes *sizes;
	struct wl_hist *hist;
	void *state;                  /* the workload's per-thread state */
	/* cold */
	uint64_t cost_ticks;
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
	struct wl_mailbox *inbox;     /* per-slot inboxes (wl_inbox.h), or NULL */
	struct wl_clock clock;
	pthread_mutex_t gate_lock;    /* the start gate: workers arrive, main opens */
	pthread_cond_t gate_arrived, gate_open;
	unsigned arrived;
	int open;
	int stop;                     /* atomic */
	int failed;                   /* atomic: first failure wins the message */
	unsigned finished;            /* atomic: slots done */
	char fail_msg[WL_MSG];
	void *mem[64];
	size_t mem_len[64];
	unsigned nmem;
};

/* What one cell measured. Counters are deltas over the measured interval;
 * -1 means unknown (recorded empty). */
struct wl_result {
	int failed;
	char message[WL_MSG];
	char size_dist[128];
	double seconds;
	uint64_t total_ops, ops_min, ops_max;
	uint64_t samples;
	double p50_ns, p90_ns, p99_ns, p999_ns, max_ns;
	double timer_cost_ns, timer_res_ns;
	int64_t peak_live_bytes;
	int64_t rss_base_kib, rss_peak_kib, rss_after_free_kib;
	int64_t minflt, majflt, nvcsw, nivcsw;
	double user_s, sys_s, steal_s;
	int64_t perf[WL_PERF_COUNT];
	unsigned threads_created;
	char cpus_used[512];
	struct wl_nano_info nano;
};

/* Run one cell. Returns 0 when it ran (result->failed says whether it
 * passed), or -1 with result->message for bad input (exit status 2). */
int wl_run_cell(const struct wl_config *cfg, struct wl_result *result);

/* ------------------------------------------------------------------------
 * For workloads: memory, failure, parameters
 * ---------------------------------------------------------------------- */

/* Zeroed memory from mmap, released after the run. NULL when out of memory. */
void *wl_mem(struct wl_run *r, size_t bytes);
/* Fail the run with a message (first one wins) and stop every thread. */
void wl_fail(struct wl_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wl_fail_tag(struct wl_thread *t, const struct wl_blk *b);

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

/* May the thread make another allocator call? One compare and one load. */
static inline int wl_go(const struct wl_thread *t)
{
	return t->ops < t->budget && !wl_stopped(t->run);
}

static inline void wl_sample(struct wl_thread *t, uint64_t a, uint64_t b)
{
	uint64_t d = b - a;
	wl_hist_add(t->hist, d > t->cost_ticks ? d - t->cost_ticks : 0);
}

static inline void wl_live_add(struct wl_thread *t, int64_t d)
{
	__atomic_store_n(&t->live, t->live + d, __ATOMIC_RELAXED);
}

/* malloc a block of `size`, tag it, count the call. 0, or -1 (run failed). */
static inline int wl_alloc(struct wl_thread *t, struct wl_blk *b, uint32_t size)
{
	void *p;
	if (wl_unlikely(--t->sample_left == 0)) {
		t->sample_left = t->sample_every;
		uint64_t a = wl_ticks();
		p = malloc(size);
		wl_sample(t, a, wl_ticks());
	} else {
		p = malloc(size);
	}
	t->ops++;
	if (wl_unlikely(!p)) {
		b->p = NULL;
		wl_fail(t->run, "malloc(%u) returned NULL in thread %u", size, t->id);
		return -1;
	}
	b->p = p;
	b->size = size;
	b->nonce = t->nonce++;
	wl_tag_write(b);
	wl_live_add(t, size);
	return 0;
}

/* Same, with a size drawn from the run's distribution. */
static inline int wl_alloc_draw(struct wl_thread *t, struct wl_blk *b)
{
	return wl_alloc(t, b, wl_size_draw(t->sizes, &t->rng));
}

/* Verify and free a block, count the call; b->p becomes NULL. 0, or -1 when
 * the tag was damaged (the run failed, the block is left alone). */
static inline int wl_free(struct wl_thread *t, struct wl_blk *b)
{
	if (wl_unlikely(!wl_tag_check(b))) {
		wl_fail_tag(t, b);
		b->p = NULL;
		return -1;
	}
	if (wl_unlikely(--t->sample_left == 0)) {
		t->sample_left = t->sample_every;
		uint64_t a = wl_ticks();
		free(b->p);
		wl_sample(t, a, wl_ticks());
	} else {
		free(b->p);
	}
	t->ops++;
	wl_live_add(t, -(int64_t)b->size);
	b->p = NULL;
	return 0;
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
/* In init: allocate and tag without counting, on behalf of slot t. */
int wl_prealloc(struct wl_thread *t, struct wl_blk *b);

#endif
