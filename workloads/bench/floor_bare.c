/*
 * floor_bare.c - threadtest's pattern as a bare C loop: the "a" of the
 * harness-floor benchmark (run_floor_bench.sh).
 *
 *   floor_bare [--objects N] [--iterations I] [--size S]
 *
 * What Hoard's threadtest does on one thread, with nothing of nanobench in
 * between: I times, malloc N blocks of S bytes into an array of pointers,
 * writing every byte of each (the original's constructors write every
 * 8-byte object of the array), then free the N blocks in the same order.
 * Like the original (and nanobench's workers), the loop runs on a thread of
 * its own, not the main thread (glibc serves other threads from another
 * arena than the main one).
 * Prints the file of the library that answers malloc (so the driver can
 * refuse a preload that did not take effect) and the time of the whole loop
 * per call (2 * N * I calls):
 *     malloc_from /usr/lib/x86_64-linux-gnu/libmimalloc.so.2
 *     bare ns_per_call=X.XX calls=C
 * Built with -fno-builtin-malloc/-free, and every pointer goes through an
 * empty asm, so the compiler can drop neither the calls nor the writes.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline void escape(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Every byte of the block, a word at a time (what the constructors do). */
static inline void fill(uint64_t *w, size_t size)
{
	size_t n = size / 8;
	for (size_t k = 0; k < n; k++)
		w[k] = 0x0000001d0000000eull;
	memset((char *)w + n * 8, 0x0e, size - n * 8);
}

struct job {
	void **a;
	long objects, iterations;
	size_t size;
	double ns_per_call;
};

static void *run(void *arg)
{
	struct job *j = arg;
	void **a = j->a;
	long objects = j->objects, iterations = j->iterations;
	size_t size = j->size;
	double t0 = now_ns();
	for (long it = 0; it < iterations; it++) {
		for (long i = 0; i < objects; i++) {
			a[i] = malloc(size);
			fill(a[i], size);
			escape(a[i]);
		}
		for (long i = 0; i < objects; i++)
			free(a[i]);
	}
	j->ns_per_call = (now_ns() - t0) / (2.0 * (double)objects * (double)iterations);
	return NULL;
}

/* The file of the object whose malloc the dynamic linker binds to. */
static const char *malloc_file(void)
{
	Dl_info info;
	void *sym = dlsym(RTLD_DEFAULT, "malloc");
	return sym && dladdr(sym, &info) && info.dli_fname ? info.dli_fname : "?";
}

static long arg_long(const char *name, const char *v, long lo, long hi)
{
	char *end;
	long x = strtol(v, &end, 10);
	if (*v == 0 || *end || x < lo || x > hi) {
		fprintf(stderr, "floor_bare: %s '%s' is not %ld..%ld\n", name, v, lo, hi);
		exit(2);
	}
	return x;
}

int main(int argc, char **argv)
{
	long objects = 10000, iterations = 1000, size = 64;

	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--objects") == 0)
			objects = arg_long("--objects", argv[++i], 1, 100000000);
		else if (i + 1 < argc && strcmp(argv[i], "--iterations") == 0)
			iterations = arg_long("--iterations", argv[++i], 1, 1000000000);
		else if (i + 1 < argc && strcmp(argv[i], "--size") == 0)
			size = arg_long("--size", argv[++i], 1, 1 << 20);
		else {
			fprintf(stderr, "usage: floor_bare [--objects N] [--iterations I] [--size S]\n");
			return 2;
		}
	}
	struct job j = { calloc((size_t)objects, sizeof(void *)), objects, iterations, (size_t)size, 0 };
	pthread_t tid;
	if (!j.a || pthread_create(&tid, NULL, run, &j)) {
		fprintf(stderr, "floor_bare: out of memory for %ld pointers and a thread\n", objects);
		return 1;
	}
	pthread_join(tid, NULL);
	printf("malloc_from %s\n", malloc_file());
	printf("bare ns_per_call=%.3f calls=%ld\n", j.ns_per_call, 2 * objects * iterations);
	free(j.a);
	return 0;
}
