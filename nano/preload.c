/*
 * preload.c - libnano_preload.so: the nano zone as the malloc of any program.
 *
 *     LD_PRELOAD=build/nano/libnano_preload.so PROGRAM ...
 *
 * Requests of 1..256 bytes come from nano; larger ones and every aligned
 * request (memalign and friends, whatever the alignment, as in v1) from glibc.
 * C++'s plain and array operator new and delete (sized delete too) are
 * replaced as well, as the allocators nano is compared with replace them.
 * free, realloc and malloc_usable_size route by address: inside the nano
 * region -> nano, anywhere else -> glibc.
 *
 * How glibc is reached without recursion. glibc 2.36 exports its allocator
 * under second names that this library does not interpose: __libc_malloc,
 * __libc_free, __libc_calloc, __libc_realloc, __libc_memalign, __libc_valloc
 * and __libc_pvalloc. libnano's default helper is exactly these. The others
 * are built on them here:
 *   posix_memalign, aligned_alloc, memalign, valloc, pvalloc -> argument
 *       checks, then nano_memalign, which is __libc_memalign (and counts a
 *       request of 256 bytes or less as one nano did not serve);
 *   glibc's usable size           -> glibc has no second name for it, so it is
 *       looked up once in libc.so.6 itself (dlopen RTLD_NOLOAD, then dlsym)
 *       the first time a non-nano block's size is asked for: not with
 *       RTLD_NEXT, which finds the next library in the search order, and a
 *       program may link another allocator (Debian's redis-server links
 *       libjemalloc.so.2, whose malloc_usable_size crashes on glibc's
 *       blocks). dlsym may itself call malloc; by then the zone is ready
 *       (or the request goes to glibc), so that nested call cannot come
 *       back here.
 *
 * Start-up. The first malloc may come from the dynamic loader, a constructor
 * or from code inside the zone's own start-up (pthread_atfork allocates).
 * nano_malloc starts the zone on first use; while it is starting, every
 * request (from this thread's nested calls or from other threads) goes to
 * glibc, and is counted as "small requests nano did not serve". Once the
 * zone is ready, nano serves: NANO_STATS=1 shows the share at exit.
 *
 * realloc(p, 0) frees p and returns NULL, as glibc's does (macOS returns
 * malloc(1); see docs/nano.md §7).
 *
 * Configuration is by environment only: NANO_HYPER_SHIFT, NANO_MAX_MAGAZINES,
 * NANO_MAG_MAP, NANO_BAND_BITS; NANO_STATS=1 prints the statistics table to
 * stderr at exit. A harness reads settings and counters in-process through
 * dlsym(RTLD_DEFAULT, "nano_get_settings") and "nano_stats_totals" (nano.h).
 */
#include "nano.h"
#include "nano_entry.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <malloc.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
/* The entries a program calls all the time lie in a section of their own,
 * each on a cache line, the first (malloc) on a page: their addresses
 * modulo the page stay the same whatever changes elsewhere in the library
 * (moving the same code by 0xc0 bytes cost 3% of threadtest's calls here),
 * and so do the cache sets and predictor entries they use. GNU ld puts the
 * section at the head of .text's hot part, after cold and start-up code. */
#define HOT_ENTRY __attribute__((aligned(64), section(".text.hot.nano_entry")))
#define HOT_FIRST __attribute__((aligned(4096), section(".text.hot.nano_entry")))

/* ------------------------------------------------------------------------
 * The malloc family
 * ---------------------------------------------------------------------- */

/* The entries inline (nano_entry.h): no jump between malloc and the zone.
 * Where they lie: HOT_ENTRY above (a shift of 0xf0 bytes once cost 0.3-0.5
 * ns per pair here with identical code). */
EXPORT HOT_FIRST void *malloc(size_t size)
{
	return nano_malloc_entry(size);
}

EXPORT HOT_ENTRY void free(void *p)
{
	nano_free_entry(p);
}

EXPORT void *calloc(size_t n, size_t size)
{
	return nano_calloc(n, size);
}

EXPORT void *realloc(void *p, size_t size)
{
	return nano_realloc(p, size);
}

EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return nano_realloc(p, total);
}

static int align_ok(size_t align)
{
	return align != 0 && (align & (align - 1)) == 0;
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;
	if (!align_ok(align) || align % sizeof(void *) != 0)
		return EINVAL;
	p = nano_memalign(align, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
	if (!align_ok(align)) {
		errno = EINVAL;
		return NULL;
	}
	return nano_memalign(align, size);
}

EXPORT void *memalign(size_t align, size_t size)
{
	return nano_memalign(align, size);
}

EXPORT void *valloc(size_t size)
{
	return nano_memalign((size_t)sysconf(_SC_PAGESIZE), size);
}

EXPORT void *pvalloc(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t rounded = (size + page - 1) & ~(page - 1);
	if (rounded < size) {
		errno = ENOMEM;
		return NULL;
	}
	return nano_memalign(page, rounded ? rounded : page);
}

typedef size_t (*usable_fn)(void *);
static usable_fn glibc_usable;

EXPORT size_t malloc_usable_size(void *p)
{
	usable_fn f;
	if (!p)
		return 0;
	if (nano_owns(p))
		return nano_size(p);
	f = __atomic_load_n(&glibc_usable, __ATOMIC_ACQUIRE);
	if (!f) {
		void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
		f = libc ? (usable_fn)dlsym(libc, "malloc_usable_size") : NULL;
		if (!f)
			return 0;
		__atomic_store_n(&glibc_usable, f, __ATOMIC_RELEASE);
	}
	return f(p);
}

#if NANO_HAVE_FREE_SIZED
EXPORT void free_sized(void *p, size_t size)
{
	nano_free_sized(p, size);
}

EXPORT void free_aligned_sized(void *p, size_t align, size_t size)
{
	(void)align;
	(void)size;
	nano_free(p);       /* aligned blocks always come from glibc */
}
#endif

/* ------------------------------------------------------------------------
 * C++'s operator new and delete
 * ---------------------------------------------------------------------- */

/* Replaced as jemalloc, mimalloc and tcmalloc replace them, so that a C++
 * program's new and delete reach the zone without libstdc++'s own operator
 * in between (a call and a loop around malloc). A size of 0 is asked as 1,
 * so that every new gets a block of its own. Only when the zone and glibc
 * both give no memory does the request go on to the C++ runtime's own
 * operator new (libstdc++'s, or libc++'s): it calls malloc again, then the
 * program's new_handler, and throws std::bad_alloc, as C++ requires. The
 * nothrow, aligned and other forms stay the runtime's, which reach the zone
 * through the replaced operators, malloc, free and aligned_alloc. */
typedef void *(*new_fn)(size_t);

_Static_assert(sizeof(size_t) == sizeof(unsigned long), "_Znwm and _Znam take an unsigned long");

/* The runtime's own operator of the name, looked up in the runtime itself
 * (dlopen RTLD_NOLOAD, then dlsym on its handle): not with RTLD_NEXT, which
 * finds whatever library comes next in the search order, maybe another
 * allocator (a program that links libjemalloc), whose block nano's free
 * would hand to glibc's. The runtime is found even when it was loaded
 * RTLD_LOCAL (a C program's C++ plugin). Only reached with no memory
 * anywhere. */
__attribute__((noinline, cold)) static void *new_next(size_t size, const char *name)
{
	static const char *const runtimes[] = { "libstdc++.so.6", "libc++.so.1" };
	for (size_t i = 0; i < sizeof runtimes / sizeof runtimes[0]; i++) {
		/* The reference NOLOAD takes is kept (no dlclose): the runtime
		 * must stay while its operator runs, and it may throw through
		 * here. */
		void *h = dlopen(runtimes[i], RTLD_LAZY | RTLD_NOLOAD);
		new_fn next = h ? (new_fn)dlsym(h, name) : NULL;
		if (next)
			return next(size);
	}
	/* operator new was called, yet no C++ runtime is loaded that could
	 * call a new_handler or throw: nothing correct is left to do */
	static const char msg[] = "libnano_preload: operator new: out of memory, and no C++ runtime "
				  "loaded to throw std::bad_alloc\n";
	ssize_t w = write(2, msg, sizeof msg - 1);
	(void)w;
	abort();
}

static inline void *new_or_next(void *p, size_t size, const char *name)
{
	return nano_likely(p != NULL) ? p : new_next(size, name);
}

/* The entries' ways out (nano_malloc_with): malloc's own, then NULL goes on
 * to the next operator. One set per name, so that the fast path of each
 * operator stays malloc's, with no frame and no NULL test. */
#if NANO_FRONT_BUILT
#define NEW_FRONT_WAY(fn, name)                                                  \
	__attribute__((noinline)) static void *fn##_front(size_t size, int cs)       \
	{                                                                             \
		return new_or_next(nano_front_malloc_slow(size, cs), size, name);        \
	}
#define NEW_ENTRY(fn, size) nano_malloc_with((size) + ((size) == 0), fn##_front, fn##_v1)
#else
#define NEW_FRONT_WAY(fn, name)
#define NEW_ENTRY(fn, size) nano_malloc_with((size) + ((size) == 0), NULL, fn##_v1)
#endif
#define NEW_WAYS(fn, name)                                                       \
	__attribute__((noinline)) static void *fn##_v1(size_t size)                  \
	{                                                                             \
		return new_or_next(nano_malloc_v1(size), size, name);                    \
	}                                                                             \
	NEW_FRONT_WAY(fn, name)

NEW_WAYS(new_one, "_Znwm")
NEW_WAYS(new_arr, "_Znam")

/* A size of 0 is asked as 1 (size + (size == 0): no branch). */
EXPORT HOT_ENTRY void *_Znwm(size_t size)                 /* operator new(size_t) */
{
	return NEW_ENTRY(new_one, size);
}

EXPORT HOT_ENTRY void *_Znam(size_t size)                 /* operator new[](size_t) */
{
	return NEW_ENTRY(new_arr, size);
}

EXPORT HOT_ENTRY void _ZdlPv(void *p)                     /* operator delete(void *) */
{
	nano_free_entry(p);
}

EXPORT HOT_ENTRY void _ZdaPv(void *p)                     /* operator delete[](void *) */
{
	nano_free_entry(p);
}

EXPORT HOT_ENTRY void _ZdlPvm(void *p, size_t size)       /* operator delete(void *, size_t) */
{
	(void)size;
	nano_free_entry(p);
}

EXPORT HOT_ENTRY void _ZdaPvm(void *p, size_t size)       /* operator delete[](void *, size_t) */
{
	(void)size;
	nano_free_entry(p);
}

/* ------------------------------------------------------------------------
 * Start and exit
 * ---------------------------------------------------------------------- */

/* The descriptor the table goes to: a private copy of stderr, because
 * programs that close their standard streams at exit (coreutils'
 * close_stdout) close fd 2 before library destructors run. */
static int stats_fd = -1;

__attribute__((constructor))
static void nano_preload_start(void)
{
	const char *s = getenv("NANO_STATS");
	if (s && s[0] == '1') {
		stats_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 100);
		if (stats_fd < 0)
			stats_fd = STDERR_FILENO;
	}
	/* Start the zone now if no allocation has yet (a no-op otherwise), so a
	 * harness reading nano_get_settings() early sees it ready. */
	nano_zone_init(NULL);
}

__attribute__((destructor))
static void nano_preload_exit(void)
{
	if (stats_fd >= 0)
		nano_stats_print(stats_fd);
}
