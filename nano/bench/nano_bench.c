/*
 * nano_bench.c - what one malloc+free pair costs in the nano zone, beside
 * glibc and beside the floor: a bare double-width-CAS pop+push pair.
 *
 * Built twice from this file: `nano_bench` links the zone with statistics
 * compiled in, `nano_bench_nostats` without (nano/meson.build's libnano_stats
 * and libnano_nostats). Everything else is identical, so the difference
 * between the two is exactly the statistics.
 *
 * Table mode (the default) measures, for
 *   mode     loop  (malloc, touch, free, repeat: one block in flight) and
 *            batch (malloc 1000, touching each, then free the 1000),
 *   size     16, 64, 256 bytes,
 *   threads  1 and 2, each pinned to its own CPU (so, with nano's default map,
 *            to its own magazine),
 *   alloc    floor  pop+push on a private 16-byte-aligned {ptr, gen} LIFO
 *                   with nano_dwcas, the zone's own CAS (nano_prim.h); the
 *                   LIFO holds as many blocks as the mode keeps in flight,
 *            nano   nano_malloc / nano_free,
 *            glibc  malloc / free,
 * the time of each thread's run divided by its pairs, in ns per pair. Each
 * cell is run R times, the allocators interleaved (floor nano glibc floor
 * nano glibc ...), and the median is printed with the ratios to the floor and
 * to glibc from the same run. Touching the block (a store into its first
 * word) and an empty asm that takes the pointer keep gcc from deleting the
 * pair.
 *
 * Count mode (--count N) runs exactly N pairs of one allocator, mode and size
 * on one thread inside bench_count_pairs(), for
 *   valgrind --tool=callgrind --toggle-collect=bench_count_pairs \
 *            nano_bench --count N ...
 * (instructions per pair = Ir / N; valgrind disables rseq, so the zone takes
 * its CPU from sched_getcpu() there), and, with --tf, counts the instructions
 * of those N pairs natively, with rseq, by single-stepping them (the x86 trap
 * flag and a SIGTRAP handler that counts; minus the same run with N = 0).
 */
#include "nano.h"
#include "../tests/nt.h"   /* pinning helpers shared with the tests */
#include "nano_prim.h"

#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH 1000

enum alloc { A_FLOOR, A_NANO, A_GLIBC, A_COUNT };
static const char *const alloc_names[A_COUNT] = { "floor", "nano", "glibc" };
enum mode { M_LOOP, M_BATCH };

/* ========================================================================
 * The floor: a private LIFO of blocks, popped and pushed with the zone's CAS
 * ====================================================================== */

union lifo_head {
	nano_u128 raw;
	struct {
		uint64_t ptr;
		uint64_t gen;
	} h;
};

struct lifo {
	union lifo_head head __attribute__((aligned(64)));
};

static inline void *lifo_pop(struct lifo *l)
{
	union lifo_head cur, nxt;
	cur.h.ptr = __atomic_load_n(&l->head.h.ptr, __ATOMIC_RELAXED);
	cur.h.gen = __atomic_load_n(&l->head.h.gen, __ATOMIC_RELAXED);
	while (cur.h.ptr) {
		nxt.h.ptr = __atomic_load_n(&((uint64_t *)cur.h.ptr)[1], __ATOMIC_RELAXED);
		nxt.h.gen = cur.h.gen + 1;
		if (nano_dwcas(&l->head.raw, &cur.raw, nxt.raw))
			return (void *)cur.h.ptr;
	}
	return NULL;
}

static inline void lifo_push(struct lifo *l, void *p)
{
	union lifo_head cur, nxt;
	cur.h.ptr = __atomic_load_n(&l->head.h.ptr, __ATOMIC_RELAXED);
	cur.h.gen = __atomic_load_n(&l->head.h.gen, __ATOMIC_RELAXED);
	nxt.h.ptr = (uint64_t)(uintptr_t)p;
	do {
		__atomic_store_n(&((uint64_t *)p)[1], cur.h.ptr, __ATOMIC_RELAXED);
		nxt.h.gen = cur.h.gen + 1;
	} while (!nano_dwcas(&l->head.raw, &cur.raw, nxt.raw));
}

/* ========================================================================
 * The measured loops: one function per (allocator, mode), size a parameter
 * ====================================================================== */

#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

static inline void touch(void *p, uint64_t i)
{
	*(uint64_t *)p = i;
	ESCAPE(p);
}

/* The thread's floor LIFO and its blocks (BATCH of them, 16-byte aligned). */
struct thread_ctx {
	struct lifo lifo;
	void *blocks[BATCH];
	void *batch[BATCH];
};

static void floor_fill(struct thread_ctx *t, size_t size, unsigned n)
{
	while (lifo_pop(&t->lifo))
		;
	for (unsigned i = 0; i < n; i++)
		lifo_push(&t->lifo, t->blocks[i]);
	(void)size;
}

#define DEFINE_LOOP(name, ALLOC, FREE)                                            \
	__attribute__((noinline)) static void name##_loop(struct thread_ctx *t, size_t size, \
							 uint64_t pairs)            \
	{                                                                          \
		(void)t;                                                           \
		(void)size;                                                        \
		for (uint64_t i = 0; i < pairs; i++) {                             \
			void *p = ALLOC;                                           \
			touch(p, i);                                               \
			FREE;                                                      \
		}                                                                  \
	}                                                                          \
	__attribute__((noinline)) static void name##_batch(struct thread_ctx *t, size_t size, \
							  uint64_t batches)         \
	{                                                                          \
		(void)size;                                                        \
		for (uint64_t b = 0; b < batches; b++) {                           \
			for (unsigned i = 0; i < BATCH; i++) {                     \
				void *p = ALLOC;                                   \
				touch(p, i);                                       \
				t->batch[i] = p;                                   \
			}                                                          \
			for (unsigned i = 0; i < BATCH; i++) {                     \
				void *p = t->batch[i];                             \
				FREE;                                              \
			}                                                          \
		}                                                                  \
	}

DEFINE_LOOP(floor, lifo_pop(&t->lifo), lifo_push(&t->lifo, p))
DEFINE_LOOP(nano, nano_malloc(size), nano_free(p))
DEFINE_LOOP(glibc, malloc(size), free(p))

typedef void (*run_fn)(struct thread_ctx *, size_t, uint64_t);
static const run_fn loops[A_COUNT][2] = {
	{ floor_loop, floor_batch },
	{ nano_loop, nano_batch },
	{ glibc_loop, glibc_batch },
};

/* ========================================================================
 * Threads
 * ====================================================================== */

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

struct job {
	enum alloc alloc;
	enum mode mode;
	size_t size;
	uint64_t pairs;          /* per thread */
	pthread_barrier_t *start;
};

struct worker {
	pthread_t tid;
	int cpu;
	struct thread_ctx *ctx;
	struct job job;
	double ns;               /* elapsed */
};

/* Before a job (untimed): the floor's LIFO holds what the mode keeps in
 * flight; every pop is pushed back, so it stays so. */
static void prepare_job(struct thread_ctx *t, const struct job *j)
{
	if (j->alloc == A_FLOOR)
		floor_fill(t, j->size, j->mode == M_LOOP ? 1 : BATCH);
}

static void run_job(struct thread_ctx *t, const struct job *j, uint64_t pairs)
{
	uint64_t n = j->mode == M_LOOP ? pairs : pairs / BATCH;
	loops[j->alloc][j->mode](t, j->size, n);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	double t0;
	if (nt_pin(w->cpu) != 0) {
		fprintf(stderr, "nano_bench: cannot pin a thread to CPU %d\n", w->cpu);
		exit(1);
	}
	prepare_job(w->ctx, &w->job);
	run_job(w->ctx, &w->job, w->job.pairs / 10 + BATCH);     /* warm up */
	pthread_barrier_wait(w->job.start);
	t0 = now_ns();
	run_job(w->ctx, &w->job, w->job.pairs);
	w->ns = now_ns() - t0;
	return NULL;
}

static struct thread_ctx *ctx_new(size_t max_size)
{
	struct thread_ctx *t = aligned_alloc(64, sizeof(*t));
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < BATCH; i++)
		t->blocks[i] = aligned_alloc(16, (max_size + 15) & ~(size_t)15);
	return t;
}

/* ns per pair of one run: the slowest thread's time over its pairs. */
static double run_cell(struct worker *w, unsigned nthreads, const struct job *j)
{
	pthread_barrier_t start;
	double worst = 0;
	pthread_barrier_init(&start, NULL, nthreads);
	for (unsigned i = 0; i < nthreads; i++) {
		w[i].job = *j;
		w[i].job.start = &start;
		pthread_create(&w[i].tid, NULL, worker_main, &w[i]);
	}
	for (unsigned i = 0; i < nthreads; i++) {
		pthread_join(w[i].tid, NULL);
		if (w[i].ns / (double)j->pairs > worst)
			worst = w[i].ns / (double)j->pairs;
	}
	pthread_barrier_destroy(&start);
	return worst;
}

/* ========================================================================
 * Table mode
 * ====================================================================== */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void print_settings(void)
{
	struct nano_settings s;
	nano_get_settings(&s);
	printf("nano: layout %s, map %s, hyper_shift %u, %u magazines, %u cpus, cpu from %s, "
	       "statistics %s\n", s.layout, s.map_name, s.hyper_shift, s.nmags, s.ncpus, s.cpu_source,
	       s.stats_compiled ? "compiled in" : "compiled out");
}

static int table(unsigned runs, uint64_t pairs)
{
	static const size_t sizes[] = { 16, 64, 256 };
	static const unsigned threads[] = { 1, 2 };
	enum { NS = 3, NT = 2, NM = 2 };
	static double res[NM][NS][NT][A_COUNT][64];
	struct worker w[2];
	int cpus[2] = { nt_allowed_cpu(0), nt_allowed_cpu(1) };
	unsigned max_threads = cpus[1] >= 0 ? 2 : 1;

	if (runs > 64)
		runs = 64;
	print_settings();
	for (unsigned i = 0; i < 2; i++) {
		w[i].cpu = cpus[i];
		w[i].ctx = ctx_new(256);
	}
	printf("%u runs per cell, %" PRIu64 " pairs per thread and run, allocators interleaved; "
	       "threads pinned to CPUs %d%s%.0d\n", runs, pairs, cpus[0], max_threads > 1 ? " and " : "",
	       max_threads > 1 ? cpus[1] : 0);
	fflush(stdout);
	for (unsigned r = 0; r < runs; r++)
		for (unsigned m = 0; m < NM; m++)
			for (unsigned s = 0; s < NS; s++)
				for (unsigned t = 0; t < NT; t++) {
					if (threads[t] > max_threads)
						continue;
					for (unsigned a = 0; a < A_COUNT; a++) {
						struct job j = { (enum alloc)a, (enum mode)m, sizes[s], pairs, NULL };
						res[m][s][t][a][r] = run_cell(w, threads[t], &j);
					}
				}

	printf("\nns per malloc+free pair (median of %u runs; 2 threads: the slower thread)\n", runs);
	printf("%-6s %5s %4s %9s %9s %9s %11s %11s %11s\n", "mode", "size", "thr", "floor", "nano",
	       "glibc", "nano-floor", "nano/floor", "nano/glibc");
	for (unsigned m = 0; m < NM; m++)
		for (unsigned s = 0; s < NS; s++)
			for (unsigned t = 0; t < NT; t++) {
				double md[A_COUNT];
				if (threads[t] > max_threads)
					continue;
				for (unsigned a = 0; a < A_COUNT; a++)
					md[a] = median(res[m][s][t][a], runs);
				printf("%-6s %5zu %4u %9.2f %9.2f %9.2f %+11.2f %10.2fx %10.2fx\n",
				       m == M_LOOP ? "loop" : "batch", sizes[s], threads[t], md[A_FLOOR],
				       md[A_NANO], md[A_GLIBC], md[A_NANO] - md[A_FLOOR],
				       md[A_NANO] / md[A_FLOOR], md[A_NANO] / md[A_GLIBC]);
			}
	return 0;
}

/* ========================================================================
 * Count mode
 * ====================================================================== */

/* Exactly `pairs` pairs (pairs a multiple of BATCH in batch mode). The
 * function callgrind's --toggle-collect names. */
__attribute__((noinline)) void bench_count_pairs(struct thread_ctx *t, const struct job *j,
						 uint64_t pairs)
{
	run_job(t, j, pairs);
}

#if defined(__x86_64__)
static volatile uint64_t tf_steps;

static void tf_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	tf_steps++;
}

/* Instructions executed by bench_count_pairs(t, j, pairs), single-stepped. */
static uint64_t tf_count(struct thread_ctx *t, const struct job *j, uint64_t pairs)
{
	tf_steps = 0;
	__asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq" ::: "memory", "cc");
	bench_count_pairs(t, j, pairs);
	__asm__ volatile("pushfq; andq $~0x100, (%%rsp); popfq" ::: "memory", "cc");
	return tf_steps;
}
#endif

static int count_mode(uint64_t pairs, enum alloc a, enum mode m, size_t size, int tf)
{
	struct thread_ctx *t = ctx_new(size);
	struct job j = { a, m, size, pairs, NULL };
	int cpu = nt_allowed_cpu(0);

	if (cpu >= 0)
		nt_pin(cpu);
	if (m == M_BATCH && pairs % BATCH) {
		fprintf(stderr, "nano_bench: --count must be a multiple of %d in batch mode\n", BATCH);
		return 2;
	}
	nano_zone_init(NULL);
	prepare_job(t, &j);
	run_job(t, &j, 10 * BATCH);                /* warm up: blocks carved, lists primed */
	if (!tf) {
		bench_count_pairs(t, &j, pairs);
		printf("%" PRIu64 " %s pairs (%s, %zu bytes) done\n", pairs, alloc_names[a],
		       m == M_LOOP ? "loop" : "batch", size);
		return 0;
	}
#if defined(__x86_64__)
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = tf_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGTRAP, &sa, NULL);
	uint64_t base = tf_count(t, &j, 0), full = tf_count(t, &j, pairs);
	struct nano_settings s;
	nano_get_settings(&s);
	printf("%s %s %zu: %.2f instructions per pair (%" PRIu64 " pairs single-stepped, "
	       "statistics %s, cpu from %s)\n", alloc_names[a], m == M_LOOP ? "loop" : "batch", size,
	       (double)(full - base) / (double)pairs, pairs,
	       s.stats_compiled ? "compiled in" : "compiled out", s.cpu_source);
	return 0;
#else
	fprintf(stderr, "nano_bench: --tf needs x86-64\n");
	return 2;
#endif
}

/* ========================================================================
 * main
 * ====================================================================== */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nano_bench [--runs N] [--pairs N]\n"
		"       nano_bench --count N [--tf] [--alloc floor|nano|glibc] [--mode loop|batch] [--size S]\n"
		"  table mode: ns per malloc+free pair, nano vs glibc vs the floor (a bare\n"
		"              double-width CAS pop+push), loop and batch of %d, sizes 16 64 256,\n"
		"              1 and 2 threads; median of N runs (default 7), N pairs per thread\n"
		"              and run (default 2000000)\n"
		"  count mode: exactly N pairs in bench_count_pairs() (for callgrind's\n"
		"              --toggle-collect); with --tf, count their instructions natively\n"
		"              by single-stepping (x86-64)\n", BATCH);
}

int main(int argc, char **argv)
{
	unsigned runs = 7;
	uint64_t pairs = 2000000, count = 0;
	int tf = 0;
	enum alloc a = A_NANO;
	enum mode m = M_LOOP;
	size_t size = 64;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(o, "--tf")) {
			tf = 1;
			continue;
		}
		if (!v) {
			usage(stderr);
			return 2;
		}
		i++;
		if (!strcmp(o, "--runs")) {
			runs = (unsigned)strtoul(v, NULL, 10);
		} else if (!strcmp(o, "--pairs")) {
			pairs = strtoull(v, NULL, 10);
		} else if (!strcmp(o, "--count")) {
			count = strtoull(v, NULL, 10);
		} else if (!strcmp(o, "--size")) {
			size = strtoul(v, NULL, 10);
		} else if (!strcmp(o, "--mode")) {
			if (!strcmp(v, "loop"))
				m = M_LOOP;
			else if (!strcmp(v, "batch"))
				m = M_BATCH;
			else
				goto bad;
		} else if (!strcmp(o, "--alloc")) {
			unsigned k;
			for (k = 0; k < A_COUNT && strcmp(v, alloc_names[k]); k++)
				;
			if (k == A_COUNT)
				goto bad;
			a = (enum alloc)k;
		} else {
			goto bad;
		}
		continue;
bad:
		fprintf(stderr, "nano_bench: bad option %s %s\n", o, v);
		usage(stderr);
		return 2;
	}
	if (runs == 0 || pairs < BATCH || size == 0 || size > 256) {
		fprintf(stderr, "nano_bench: --runs 1.., --pairs %d.., --size 1..256\n", BATCH);
		return 2;
	}
	pairs -= pairs % BATCH;
	if (tf && !count) {
		fprintf(stderr, "nano_bench: --tf needs --count N (N > 0)\n");
		return 2;
	}
	if (count)
		return count_mode(count, a, m, size, tf);
	nano_zone_init(NULL);
	return table(runs, pairs);
}
