/*
 * preload_bench.c - ns per malloc+free pair through whatever malloc this
 * process has (glibc, or an LD_PRELOAD'ed allocator), and, in the same
 * process, through nano's direct API (libnano linked statically, a zone of
 * its own, NOT the preload's).
 *
 *   preload_bench [--direct] [--pairs N] [--reps R] [--sizes 16,64,256]
 *
 * Two patterns per size:
 *   loop    malloc, touch one byte, free; N times
 *   batch   1000 mallocs (each touched), then 1000 frees, in the same order;
 *           N/1000 times
 * Each (pattern, size) is warmed up once, then timed R times over N pairs
 * per API, the APIs interleaved; the best of the R times is printed as one
 * line per API:
 *     bench api=malloc|direct mode=loop|batch size=S ns=X.XX
 * plus one line naming the library that answers malloc (dladdr on
 * dlsym(RTLD_DEFAULT, "malloc")), so the driver can refuse a run whose
 * preload did not take effect.
 *
 * The calls cannot be optimised away: built with -fno-builtin-malloc and
 * -fno-builtin-free, and every pointer goes through an empty asm that the
 * compiler must assume reads and writes it.
 */
#include "nano.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 1000
#define MAX_REPS 1000

static inline void escape(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* One pattern over one API, as a function with the calls inlined into it
 * (no function pointer between the loop and the allocator). */
#define DEFINE_BENCH(api, MALLOC, FREE)                                        \
	static void loop_##api(size_t size, long pairs)                        \
	{                                                                      \
		for (long i = 0; i < pairs; i++) {                             \
			char *p = MALLOC(size);                                \
			p[0] = (char)i;                                        \
			escape(p);                                             \
			FREE(p);                                               \
		}                                                              \
	}                                                                      \
	static void batch_##api(size_t size, long pairs)                       \
	{                                                                      \
		static char *v[BATCH];                                         \
		for (long b = 0; b < pairs / BATCH; b++) {                     \
			for (int i = 0; i < BATCH; i++) {                      \
				v[i] = MALLOC(size);                           \
				v[i][0] = (char)i;                             \
				escape(v[i]);                                  \
			}                                                      \
			for (int i = 0; i < BATCH; i++)                        \
				FREE(v[i]);                                    \
		}                                                              \
	}

DEFINE_BENCH(malloc, malloc, free)
DEFINE_BENCH(direct, nano_malloc, nano_free)

typedef void (*bench_fn)(size_t, long);

static double time_once(bench_fn fn, size_t size, long pairs)
{
	double t0 = now_ns();
	fn(size, pairs);
	return (now_ns() - t0) / (double)(pairs / BATCH * BATCH);
}

/* One pattern and size: R timed repetitions of each API, interleaved (a b a
 * b ...) so that both see the same machine; each API's figure is its best
 * repetition (the one least disturbed by other processes on a shared VM). */
static void measure(const char *mode, bench_fn via_malloc, bench_fn via_direct, size_t size,
		    long pairs, int reps)
{
	double best_m = 1e30, best_d = 1e30;
	via_malloc(size, pairs);                /* warm up: bands, caches, lists */
	if (via_direct)
		via_direct(size, pairs);
	for (int r = 0; r < reps; r++) {
		double t = time_once(via_malloc, size, pairs);
		best_m = t < best_m ? t : best_m;
		if (via_direct) {
			t = time_once(via_direct, size, pairs);
			best_d = t < best_d ? t : best_d;
		}
	}
	printf("bench api=malloc mode=%s size=%zu ns=%.2f\n", mode, size, best_m);
	if (via_direct)
		printf("bench api=direct mode=%s size=%zu ns=%.2f\n", mode, size, best_d);
}

static const char *malloc_library(void)
{
	Dl_info info;
	void *sym = dlsym(RTLD_DEFAULT, "malloc");
	if (!sym || !dladdr(sym, &info) || !info.dli_fname)
		return "?";
	return strrchr(info.dli_fname, '/') ? strrchr(info.dli_fname, '/') + 1 : info.dli_fname;
}

/* The front of the preloaded nano ("v1" or "rseq"), "-" for other
 * allocators: a nano-rseq run that fell back to v1 is refused by the driver. */
static const char *nano_front_name(void)
{
	struct nano_settings s;
	void (*get)(struct nano_settings *) =
		(void (*)(struct nano_settings *))dlsym(RTLD_DEFAULT, "nano_get_settings");
	if (!get)
		return "-";
	memset(&s, 0, sizeof(s));
	void *volatile first = malloc(1);   /* the zone starts on first use */
	free(first);
	get(&s);
	return s.front ? s.front : "-";
}

int main(int argc, char **argv)
{
	long pairs = 200000;
	int reps = 11, direct = 0;
	size_t sizes[16];
	int nsizes = 0;
	char sizebuf[128] = "16,64,256";

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--direct") == 0)
			direct = 1;
		else if (strcmp(argv[i], "--pairs") == 0 && i + 1 < argc)
			pairs = atol(argv[++i]);
		else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (strcmp(argv[i], "--sizes") == 0 && i + 1 < argc)
			snprintf(sizebuf, sizeof(sizebuf), "%s", argv[++i]);
		else {
			fprintf(stderr, "usage: preload_bench [--direct] [--pairs N] [--reps R] [--sizes 16,64,256]\n");
			return 2;
		}
	}
	if (pairs < BATCH || reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "preload_bench: --pairs must be >= %d and --reps 1..%d\n", BATCH, MAX_REPS);
		return 2;
	}
	for (char *tok = strtok(sizebuf, ","); tok && nsizes < 16; tok = strtok(NULL, ",")) {
		long s = atol(tok);
		if (s < 1 || s > 256) {
			fprintf(stderr, "preload_bench: size '%s' is not 1..256\n", tok);
			return 2;
		}
		sizes[nsizes++] = (size_t)s;
	}

	printf("malloc_from %s\n", malloc_library());
	printf("nano_front %s\n", nano_front_name());
	for (int k = 0; k < nsizes; k++) {
		size_t s = sizes[k];
		measure("loop", loop_malloc, direct ? loop_direct : NULL, s, pairs, reps);
		measure("batch", batch_malloc, direct ? batch_direct : NULL, s, pairs, reps);
		fflush(stdout);
	}
	return 0;
}
