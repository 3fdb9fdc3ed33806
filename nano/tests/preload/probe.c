/*
 * probe.c - in-process checks of libnano_preload.so, run by the drivers
 * test_api.sh and test_settings.sh with and without the preload.
 *
 *   probe api       the malloc family's contracts (glibc's behaviour) for
 *                   sizes around 256 and alignments 8..4096; with nano
 *                   present, also the class sizes and ownership
 *   probe serve     the preload really serves: dladdr on malloc names
 *                   libnano_preload.so, settings say ready, blocks of 1..256
 *                   bytes are nano's, larger and aligned ones are not
 *   probe ready     (the first thing main does) nano_get_settings says ready
 *                   although this program has not called malloc yet: the
 *                   preload's constructor must have started the zone
 *   probe settings  print the settings in effect (map, hyper_shift, ...,
 *                   the front and why rseq is not in effect, if it is not)
 * serve and ready also check that the front in effect is the one NANO_FRONT
 * asks for (v1 when unset): a fallback from rseq fails them.
 *
 * Exit 0 when every check passed; each failed check prints one line.
 * nano's functions are found with dlsym, so the program links nothing of
 * nano and runs unchanged without the preload.
 */
#include "nano.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...)                                                    \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "probe: FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                       \
			fputc('\n', stderr);                                \
			failures++;                                         \
		}                                                           \
	} while (0)

/* Keep the compiler from reasoning about the allocator's results. */
static void *opaque(void *p)
{
	__asm__ volatile("" : "+r"(p) : : "memory");
	return p;
}

static size_t opaque_size(size_t n)
{
	__asm__ volatile("" : "+r"(n));
	return n;
}

static int (*n_owns)(const void *);
static void (*n_settings)(struct nano_settings *);
static void (*n_totals)(struct nano_totals *);

static void find_nano(void)
{
	n_owns = (int (*)(const void *))dlsym(RTLD_DEFAULT, "nano_owns");
	n_settings = (void (*)(struct nano_settings *))dlsym(RTLD_DEFAULT, "nano_get_settings");
	n_totals = (void (*)(struct nano_totals *))dlsym(RTLD_DEFAULT, "nano_stats_totals");
}

static int owned(const void *p)
{
	return n_owns && n_owns(p);
}

/* The front must be the one NANO_FRONT asks for (v1 when unset). */
static void check_front(const struct nano_settings *s)
{
	const char *want = getenv("NANO_FRONT");
	if (!want || !*want)
		want = "v1";
	CHECK(strcmp(s->front, want) == 0, "front %s in effect, NANO_FRONT asks for %s%s%s", s->front,
	      want, s->front_reason[0] ? ": " : "", s->front_reason);
}

static void pin_to_current_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();
	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* ------------------------------------------------------------------------
 * api
 * ---------------------------------------------------------------------- */

static void check_sizes(void)
{
	for (size_t size = 240; size <= 272; size++) {
		char *p = opaque(malloc(size));
		size_t u;
		CHECK(p != NULL, "malloc(%zu) = NULL", size);
		if (!p)
			continue;
		memset(p, 0xab, size);
		u = malloc_usable_size(p);
		CHECK(u >= size, "malloc_usable_size(malloc(%zu)) = %zu < %zu", size, u, size);
		if (n_owns) {
			int want_nano = size <= 256;
			CHECK(owned(p) == want_nano, "malloc(%zu): nano_owns = %d, expected %d", size,
			      owned(p), want_nano);
			if (want_nano)
				CHECK(u == (size + 15) / 16 * 16,
				      "malloc_usable_size(malloc(%zu)) = %zu, expected the class size %zu",
				      size, u, (size + 15) / 16 * 16);
		}
		free(p);
	}
	/* Every class, from nano's point of view. */
	for (size_t size = 1; size <= 256 && n_owns; size++) {
		char *p = opaque(malloc(size));
		CHECK(owned(p), "malloc(%zu) is not a nano block", size);
		CHECK(malloc_usable_size(p) == (size + 15) / 16 * 16,
		      "malloc_usable_size(malloc(%zu)) = %zu", size, malloc_usable_size(p));
		free(p);
	}
	CHECK(malloc_usable_size(NULL) == 0, "malloc_usable_size(NULL) != 0");
}

static void check_aligned(void)
{
	for (size_t align = 8; align <= 4096; align *= 2) {
		for (size_t size = 240; size <= 272; size += 8) {
			void *p = NULL;
			int r = posix_memalign(&p, align, size);
			CHECK(r == 0 && p, "posix_memalign(%zu, %zu) = %d", align, size, r);
			if (r == 0) {
				CHECK((uintptr_t)p % align == 0, "posix_memalign(%zu, %zu) = %p misaligned",
				      align, size, p);
				CHECK(malloc_usable_size(p) >= size, "usable size of posix_memalign(%zu, %zu) = %zu",
				      align, size, malloc_usable_size(p));
				memset(p, 0x5a, size);
				free(p);
			}
			p = opaque(aligned_alloc(align, size));
			CHECK(p != NULL, "aligned_alloc(%zu, %zu) = NULL", align, size);
			if (p) {
				CHECK((uintptr_t)p % align == 0, "aligned_alloc(%zu, %zu) = %p misaligned",
				      align, size, p);
				CHECK(malloc_usable_size(p) >= size, "usable size of aligned_alloc(%zu, %zu) = %zu",
				      align, size, malloc_usable_size(p));
				memset(p, 0x5a, size);
				free(p);
			}
			p = opaque(memalign(align, size));
			CHECK(p && (uintptr_t)p % align == 0, "memalign(%zu, %zu) = %p", align, size, p);
			free(p);
		}
	}
	/* Bad alignments: not a power of two, or not a multiple of sizeof(void *). */
	static const size_t bad[] = { 0, 1, 2, 4, 3, 12, 24, 48, 100, 4097 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		void *p = (void *)0x1;
		int r = posix_memalign(&p, bad[i], 64);
		CHECK(r == EINVAL, "posix_memalign(align %zu) = %d, expected EINVAL", bad[i], r);
		CHECK(p == (void *)0x1, "posix_memalign(align %zu) wrote *memptr on failure", bad[i]);
	}
	void *v = opaque(valloc(100));
	CHECK(v && (uintptr_t)v % 4096 == 0, "valloc(100) = %p", v);
	free(v);
	v = opaque(pvalloc(100));
	CHECK(v && (uintptr_t)v % 4096 == 0 && malloc_usable_size(v) >= 4096, "pvalloc(100) = %p", v);
	free(v);
}

static void check_realloc(void)
{
	struct nano_totals a, b;
	char *p = opaque(malloc(100)), *q;

	memset(p, 7, 100);
	q = opaque(realloc(p, 120));            /* class 112 -> class 128: moves */
	CHECK(q && q[0] == 7 && q[99] == 7, "realloc(100 -> 120) lost the contents");
	q = opaque(realloc(q, 1000));           /* to the helper */
	CHECK(q && q[0] == 7 && q[99] == 7, "realloc(120 -> 1000) lost the contents");
	q = opaque(realloc(q, 50));             /* back below 256 */
	CHECK(q && q[0] == 7 && q[49] == 7, "realloc(1000 -> 50) lost the contents");

	free(q);

	/* realloc(p, 0) frees p and returns NULL (glibc), for a nano block... */
	q = opaque(malloc(40));
	if (n_totals)
		n_totals(&a);
	q = opaque(realloc(q, 0));
	CHECK(q == NULL, "realloc(p, 0) = %p, expected NULL (glibc frees and returns NULL)", (void *)q);
	if (n_totals) {
		n_totals(&b);
		CHECK(b.all.frees == a.all.frees + 1, "realloc(nano block, 0) did not free it (frees %llu -> %llu)",
		      (unsigned long long)a.all.frees, (unsigned long long)b.all.frees);
	}
	/* ...and for a large block. */
	q = opaque(malloc(5000));
	q = opaque(realloc(q, 0));
	CHECK(q == NULL, "realloc(large, 0) = %p, expected NULL", (void *)q);
	/* realloc(NULL, n) is malloc(n). */
	q = opaque(realloc(NULL, 33));
	CHECK(q != NULL && malloc_usable_size(q) >= 33, "realloc(NULL, 33)");
	CHECK(!n_owns || owned(q), "realloc(NULL, 33) is not a nano block");

	/* reallocarray: overflow -> NULL with ENOMEM, the block untouched. */
	q[0] = 42;
	errno = 0;
	p = opaque(reallocarray(opaque(q), opaque_size(SIZE_MAX / 2), 3));
	CHECK(p == NULL && errno == ENOMEM, "reallocarray overflow = %p errno %d, expected NULL/ENOMEM",
	      (void *)p, errno);
	q = opaque(q);
	CHECK(q[0] == 42, "reallocarray overflow changed the block");
	p = opaque(reallocarray(opaque(q), 10, 20));
	CHECK(p && p[0] == 42 && malloc_usable_size(p) >= 200, "reallocarray(q, 10, 20)");
	free(p);
}

static void check_calloc(void)
{
	pin_to_current_cpu();      /* same magazine: the LIFO hands the dirty block back */
	for (size_t size = 1; size <= 272; size += 7) {
		unsigned char *p = opaque(malloc(size)), *q;
		size_t u = malloc_usable_size(p);
		memset(p, 0xee, u);
		free(p);
		q = opaque(calloc(1, size));
		CHECK(q != NULL, "calloc(1, %zu) = NULL", size);
		for (size_t i = 0; q && i < size; i++) {
			if (q[i]) {
				CHECK(0, "calloc(1, %zu): byte %zu = %#x (reused block %s)", size, i, q[i],
				      p == q ? "yes" : "no");
				break;
			}
		}
		free(q);
	}
	unsigned char *z = opaque(calloc(16, 16));
	for (size_t i = 0; z && i < 256; i++)
		CHECK(z[i] == 0, "calloc(16, 16) byte %zu", i);
	free(z);
	errno = 0;
	z = opaque(calloc(opaque_size(SIZE_MAX / 4), 8));
	CHECK(z == NULL && errno == ENOMEM, "calloc overflow = %p errno %d", (void *)z, errno);
	free(NULL);
	free(opaque(NULL));
}

static int do_api(void)
{
	check_sizes();
	check_aligned();
	check_realloc();
	check_calloc();
	printf("api: %s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}

/* ------------------------------------------------------------------------
 * serve
 * ---------------------------------------------------------------------- */

static int do_serve(void)
{
	void *sym = dlsym(RTLD_DEFAULT, "malloc");
	Dl_info info;
	struct nano_settings s;

	CHECK(sym && dladdr(sym, &info) && info.dli_fname, "dladdr(malloc) failed");
	if (sym && dladdr(sym, &info) && info.dli_fname) {
		CHECK(strstr(info.dli_fname, "libnano_preload.so") != NULL,
		      "malloc comes from '%s', not libnano_preload.so", info.dli_fname);
		printf("malloc from %s\n", strrchr(info.dli_fname, '/') ? strrchr(info.dli_fname, '/') + 1
									: info.dli_fname);
	}
	CHECK(n_settings && n_owns && n_totals, "nano_get_settings / nano_owns / nano_stats_totals not found by dlsym");
	if (!n_settings || !n_owns || !n_totals)
		return 1;
	free(opaque(malloc(16)));       /* the zone runs after a first small request, at the latest */
	n_settings(&s);
	CHECK(s.ready == 1, "nano_get_settings: ready = %d after a malloc(16)", s.ready);
	CHECK(s.nmags >= 1 && s.region_size > 0, "settings: %u magazines, region of %zu bytes", s.nmags,
	      s.region_size);
	check_front(&s);
	printf("layout %s, map %s, %u magazines, cpu from %s, front %s\n", s.layout, s.map_name, s.nmags,
	       s.cpu_source, s.front);

	/* Every size of 1..256 is served by nano, through every entry point. */
	for (size_t size = 0; size <= 256; size++) {
		void *a = opaque(malloc(size)), *b = opaque(calloc(1, size)), *c = opaque(realloc(NULL, size));
		CHECK(n_owns(a) && n_owns(b) && n_owns(c), "size %zu: malloc %d calloc %d realloc %d nano-owned",
		      size, n_owns(a), n_owns(b), n_owns(c));
		free(a);
		free(b);
		free(c);
	}
	/* Larger and aligned requests are glibc's. */
	void *big = opaque(malloc(257)), *al = opaque(memalign(16, 64)), *pa = NULL;
	CHECK(!n_owns(big), "malloc(257) is a nano block");
	CHECK(!n_owns(al), "memalign(16, 64) is a nano block (v1 sends aligned requests to the helper)");
	CHECK(posix_memalign(&pa, 32, 32) == 0 && !n_owns(pa), "posix_memalign(32, 32) is a nano block");
	free(big);
	free(al);
	free(pa);

	/* The counters move with the calls. */
	struct nano_totals t0, t1;
	void *v[1000];
	n_totals(&t0);
	for (int i = 0; i < 1000; i++)
		v[i] = opaque(malloc(1 + i % 256));
	for (int i = 0; i < 1000; i++)
		free(v[i]);
	n_totals(&t1);
	CHECK(t1.all.allocs - t0.all.allocs >= 1000 && t1.all.frees - t0.all.frees >= 1000,
	      "1000 malloc/free pairs moved the counters by %llu allocs, %llu frees",
	      (unsigned long long)(t1.all.allocs - t0.all.allocs),
	      (unsigned long long)(t1.all.frees - t0.all.frees));
	printf("serve: %s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}

/* ------------------------------------------------------------------------
 * ready, settings
 * ---------------------------------------------------------------------- */

static int do_ready(void)
{
	struct nano_settings s;
	struct nano_totals t;
	if (!n_settings || !n_totals) {
		fprintf(stderr, "probe: FAIL nano_get_settings not found by dlsym (preload missing)\n");
		return 1;
	}
	n_settings(&s);
	n_totals(&t);
	if (!s.ready) {
		fprintf(stderr, "probe: FAIL at the start of main, before this program's first malloc, "
				"nano_get_settings says ready = 0 (layout %s, %u magazines; %llu small "
				"requests so far): the preload's constructor did not start the zone\n",
			s.layout, s.nmags, (unsigned long long)t.small_requests);
		return 1;
	}
	check_front(&s);
	printf("ready at start: layout %s, %u magazines, front %s\n", s.layout, s.nmags, s.front);
	return failures != 0;
}

static int do_settings(void)
{
	struct nano_settings s;
	free(opaque(malloc(1)));        /* the zone runs, whatever the constructor did */
	if (!n_settings) {
		fprintf(stderr, "probe: FAIL nano_get_settings not found by dlsym (preload missing)\n");
		return 1;
	}
	n_settings(&s);
	/* the reason is words: one field, with '_' for ' ' ('-' when empty) */
	char reason[256];
	snprintf(reason, sizeof(reason), "%s", s.front_reason[0] ? s.front_reason : "-");
	for (char *c = reason; *c; c++)
		if (*c == ' ')
			*c = '_';
	printf("ready=%d map=%s hyper_shift=%u nmags=%u source=%s front=%s front_requested=%s "
	       "front_cap=%u front_drain=%d front_reason=%s\n", s.ready, s.map_name, s.hyper_shift,
	       s.nmags, s.source, s.front, s.front_requested, s.front_cap, s.front_drain, reason);
	return 0;
}

int main(int argc, char **argv)
{
	find_nano();                    /* dlsym allocates nothing on success */
	if (argc == 2 && strcmp(argv[1], "ready") == 0)
		return do_ready();
	if (argc == 2 && strcmp(argv[1], "api") == 0)
		return do_api();
	if (argc == 2 && strcmp(argv[1], "serve") == 0)
		return do_serve();
	if (argc == 2 && strcmp(argv[1], "settings") == 0)
		return do_settings();
	fprintf(stderr, "usage: probe api|serve|ready|settings\n");
	return 2;
}
