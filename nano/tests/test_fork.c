/*
 * test_fork.c - fork() while other threads are growing bands; the child
 * keeps using nano.
 *
 * 1. Four threads allocate blocks of every class without freeing (so they
 *    carve and grow bands all the time) and publish them in per-thread
 *    arrays (count stored with release). Meanwhile the main thread forks five
 *    times. Each child (one thread now; an alarm kills it if a lock was left
 *    held) checks and frees every block the parent had published before the
 *    fork, plus the main thread's own blocks, then allocates enough new
 *    blocks of one class to move it into a new band (16-byte class: more
 *    than 8192 blocks), fills, checks and frees them, checks that the
 *    statistics say in_use went back to what the parent's unpublished blocks
 *    account for, and exits 0. The parent waits for each child.
 * 2. After the threads are done: fork a child that uses nano normally
 *    (malloc/calloc/realloc/free of every class, relief) and exits 0.
 */
#include "nano_internal.h"
#include "nt.h"

#include <stdatomic.h>

#define WORKERS 4
#define PER_WORKER 150000
#define FORKS 5

struct worker {
	pthread_t tid;
	unsigned idx;
	void *blk[PER_WORKER];
	_Atomic unsigned published;
};

static struct worker workers[WORKERS];
static atomic_int started;

/* Workers may not run ahead of the forks: worker i may carve block k only
 * when k < allowed(), so that they are still allocating when each fork
 * happens (the main thread forks once every worker is past (f+1)*STEP). */
#define STEP (PER_WORKER / (FORKS + 1))
static atomic_uint forks_done;

static unsigned allowed(void)
{
	unsigned a = (atomic_load(&forks_done) + 1) * STEP + STEP / 2;
	return atomic_load(&forks_done) >= FORKS ? PER_WORKER : a;
}

static size_t size_of(unsigned w, unsigned i)
{
	return 1 + (w * 7919 + i * 31) % 256;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	atomic_fetch_add(&started, 1);
	for (unsigned i = 0; i < PER_WORKER; i++) {
		while (i >= allowed())
			sched_yield();
		size_t n = size_of(w->idx, i);
		void *p = nano_malloc(n);
		CHECK(p && nano_owns(p));
		nt_fill(p, n, w->idx);
		w->blk[i] = p;
		atomic_store_explicit(&w->published, i + 1, memory_order_release);
	}
	return NULL;
}

static void *own[2000];
static void child_after_fork(void *arg)
{
	unsigned snap[WORKERS];
	uint64_t freed = 0;
	struct nano_totals t0, t1;
	(void)arg;

	for (unsigned w = 0; w < WORKERS; w++)
		snap[w] = atomic_load_explicit(&workers[w].published, memory_order_acquire);
	nano_stats_totals(&t0);
	/* the parent's blocks */
	for (unsigned w = 0; w < WORKERS; w++) {
		for (unsigned i = 0; i < snap[w]; i++) {
			void *p = workers[w].blk[i];
			size_t n = size_of(w, i);
			CHECK_MSG(nt_fill_ok(p, n, w), "child: parent block %p corrupted", p);
			nano_free(p);
			freed++;
		}
	}
	for (unsigned i = 0; i < 2000; i++) {
		CHECK(nt_fill_ok(own[i], 100, 99));
		nano_free(own[i]);
		freed++;
	}
	/* grow: 16-byte blocks beyond what the free list and the current band
	 * hold (8192 blocks a band), so the class moves to a new band */
	int cpu = nt_allowed_cpu(0);
	CHECK(nt_pin(cpu) == 0);
	unsigned mag = nano_magmap_lookup(&nano_z.map, cpu);
	struct nano_counts c;
	nano_stats_cell(mag, 0, &c);
	size_t n = c.free_blocks + 2 * 8192 + 100;
	uint64_t bands_before = c.bands;
	void **v = calloc(n, sizeof(*v));           /* glibc's, not nano's */
	CHECK(v != NULL);
	for (size_t i = 0; i < n; i++) {
		v[i] = nano_malloc(16);
		CHECK(v[i] && nano_owns(v[i]));
		nt_fill(v[i], 16, 5);
	}
	nano_stats_cell(mag, 0, &c);
	CHECK_MSG(c.bands > bands_before, "child: no new band (%" PRIu64 ")", c.bands);
	for (size_t i = 0; i < n; i++) {
		CHECK(nt_fill_ok(v[i], 16, 5));
		nano_free(v[i]);
	}
	free(v);
	nano_stats_totals(&t1);
	CHECK_EQ(t0.all.in_use - t1.all.in_use, freed);
	/* and the grow locks are usable again */
	void *p = nano_malloc(200);
	CHECK(nano_owns(p));
	nano_free(p);
}

static void child_normal(void *arg)
{
	struct nano_totals t0, t1;
	(void)arg;
	nano_stats_totals(&t0);
	for (size_t n = 0; n <= 300; n++) {
		unsigned char *p = nano_malloc(n), *q = nano_calloc(1, n), *r;
		CHECK(p && q);
		for (size_t i = 0; i < n; i++)
			CHECK_EQ(q[i], 0);
		unsigned char copy[300];
		nt_fill(p, n, 1);
		memcpy(copy, p, n);
		r = nano_realloc(p, n + 40);
		CHECK(r && memcmp(r, copy, n) == 0);
		nano_free(r);
		nano_free(q);
	}
	(void)nano_pressure_relief();
	nano_stats_totals(&t1);
	CHECK_EQ(t1.all.in_use, t0.all.in_use);
}

static void expect_exit0(const char *what, const struct nt_child *r)
{
	CHECK_MSG(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0,
		  "%s: child status 0x%x (%s), stderr: %s", what, r->status,
		  WIFSIGNALED(r->status) ? strsignal(WTERMSIG(r->status)) : "exit", r->err);
}

int main(void)
{
	struct nt_child r;

	CHECK_EQ(nano_zone_init(NULL), 0);
	for (unsigned i = 0; i < 2000; i++) {
		own[i] = nano_malloc(100);
		nt_fill(own[i], 100, 99);
	}
	for (unsigned w = 0; w < WORKERS; w++) {
		workers[w].idx = w;
		CHECK(pthread_create(&workers[w].tid, NULL, worker_main, &workers[w]) == 0);
	}
	while (atomic_load(&started) < WORKERS)
		sched_yield();
	unsigned forks_during = 0;
	for (unsigned f = 0; f < FORKS; f++) {
		unsigned busy = 0, least;
		/* fork number f once every worker is (f+1)/(FORKS+1) through */
		do {
			least = PER_WORKER;
			for (unsigned w = 0; w < WORKERS; w++) {
				unsigned k = atomic_load(&workers[w].published);
				least = k < least ? k : least;
			}
			if (least < (f + 1) * STEP)
				sched_yield();
		} while (least < (f + 1) * STEP);
		for (unsigned w = 0; w < WORKERS; w++)
			busy += atomic_load(&workers[w].published) < PER_WORKER;
		forks_during += busy > 0;
		nt_run_child(child_after_fork, NULL, &r);
		atomic_fetch_add(&forks_done, 1);
		expect_exit0("fork while growing", &r);
		/* the parent is fine too */
		void *p = nano_malloc(48);
		CHECK(nano_owns(p));
		nano_free(p);
	}
	for (unsigned w = 0; w < WORKERS; w++)
		CHECK(pthread_join(workers[w].tid, NULL) == 0);
	for (unsigned w = 0; w < WORKERS; w++) {
		for (unsigned i = 0; i < PER_WORKER; i++) {
			CHECK(nt_fill_ok(workers[w].blk[i], size_of(w, i), w));
			nano_free(workers[w].blk[i]);
		}
	}
	nt_run_child(child_normal, NULL, &r);
	expect_exit0("fork after the threads", &r);
	printf("fork: ok (%u of %d forks while workers were allocating)\n", forks_during, FORKS);
	return 0;
}
