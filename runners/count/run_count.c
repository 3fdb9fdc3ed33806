/*
 * run_count.c - the malloc family of the counting libraries: counted, then
 * forwarded to the allocator under test (see run_count.h for the two builds
 * and the report; run_count_proc.c writes the report).
 *
 * Forwarding. Every function of the family is defined here and passes the
 * call on unchanged: to the next definition of the same name in the
 * loader's search order (dlsym(RTLD_NEXT)), which is the allocator preloaded
 * behind this library; or, built with RUN_COUNT_GLIBC, to libc.so.6's own
 * definitions (looked up in libc's scope with dlopen(RTLD_NOLOAD), so a
 * libjemalloc.so.2 that the program itself links, as redis-server does, is
 * skipped). The functions are resolved once, on the first call of any of
 * them; dlsym and dlopen may allocate while doing it, and those nested calls
 * are served from a small static buffer whose blocks are never freed
 * (free, realloc and malloc_usable_size recognise them by address).
 * reallocarray is realloc after an overflow check, whatever the allocator
 * (glibc's own would reach glibc's realloc with a foreign block).
 *
 * Counting. Each thread claims a counter slot of its own (a cache line) on
 * its first call and increments it with plain loads and stores: one TLS
 * load, a test and an add per call, no atomic instruction and no shared
 * line. The report sums the slots. A thread beyond RUN_COUNT_SLOTS shares
 * one slot with atomic adds. Slots are never released: a program that
 * creates many short threads moves to the shared slot, never loses counts.
 */
#include "run_count_int.h"

#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Counters
 * ---------------------------------------------------------------------- */

#define RUN_COUNT_SLOTS 256

struct slot {
	uint64_t allocs, frees, reallocs;
	uint64_t bypass, bypass_small;  /* glibc's __libc_* names, called by the
					 * program rather than the allocator */
} __attribute__((aligned(64)));

static struct slot slots[RUN_COUNT_SLOTS];
static struct slot shared_slot;            /* threads beyond the slots */
static unsigned slots_claimed;
static __thread struct slot *mine __attribute__((tls_model("initial-exec")));

static struct slot *claim(void)
{
	unsigned i = __atomic_fetch_add(&slots_claimed, 1, __ATOMIC_RELAXED);
	mine = i < RUN_COUNT_SLOTS ? &slots[i] : &shared_slot;
	return mine;
}

/* One call of kind f: plain load and store on the thread's own slot. */
#define COUNT(f)                                                                        \
	do {                                                                            \
		struct slot *s_ = mine;                                                 \
		if (unlikely(!s_))                                                      \
			s_ = claim();                                                   \
		if (unlikely(s_ == &shared_slot))                                       \
			__atomic_fetch_add(&s_->f, 1, __ATOMIC_RELAXED);                \
		else                                                                    \
			__atomic_store_n(&s_->f, __atomic_load_n(&s_->f, __ATOMIC_RELAXED) + 1, \
					 __ATOMIC_RELAXED);                             \
	} while (0)

void run_count_sum(struct run_count_sums *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i <= RUN_COUNT_SLOTS; i++) {
		struct slot *s = i < RUN_COUNT_SLOTS ? &slots[i] : &shared_slot;
		t->allocs += __atomic_load_n(&s->allocs, __ATOMIC_RELAXED);
		t->frees += __atomic_load_n(&s->frees, __ATOMIC_RELAXED);
		t->reallocs += __atomic_load_n(&s->reallocs, __ATOMIC_RELAXED);
		t->bypass += __atomic_load_n(&s->bypass, __ATOMIC_RELAXED);
		t->bypass_small += __atomic_load_n(&s->bypass_small, __ATOMIC_RELAXED);
	}
}

/* ------------------------------------------------------------------------
 * Forwarding, and the buffer that serves the resolver's own allocations
 * ---------------------------------------------------------------------- */

struct fwd {
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*memalign)(size_t, size_t);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
	size_t (*usable)(void *);
};

static struct fwd fwd;
static int fwd_state;                      /* 0 unresolved, 1 resolving, 2 ready */

#define BOOT_SIZE (64 * 1024)
static char boot[BOOT_SIZE] __attribute__((aligned(64)));
static size_t boot_used;

static int in_boot(const void *p)
{
	return (uintptr_t)p - (uintptr_t)boot < BOOT_SIZE;
}

/* A block of the static buffer: a 16-byte header holding its size. Zeroed
 * (the buffer is never reused), so it serves calloc too. */
static void *boot_alloc(size_t n)
{
	size_t need = (n + 15) / 16 * 16 + 16;
	size_t at = __atomic_fetch_add(&boot_used, need, __ATOMIC_RELAXED);
	if (at + need > BOOT_SIZE || n > BOOT_SIZE) {
		errno = ENOMEM;
		return NULL;
	}
	*(size_t *)(boot + at) = n;
	return boot + at + 16;
}

static size_t boot_size(const void *p)
{
	return *(const size_t *)((const char *)p - 16);
}

static void *lookup(void *scope, const char *name)
{
	return dlsym(scope, name);
}

static void resolve_bypass(const void *target);

static void resolve(void)
{
	int expect = 0;
	if (!__atomic_compare_exchange_n(&fwd_state, &expect, 1, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		/* another thread resolves (only at start-up, if ever): wait */
		while (__atomic_load_n(&fwd_state, __ATOMIC_ACQUIRE) != 2)
			;
		return;
	}
#ifdef RUN_COUNT_GLIBC
	void *scope = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
#else
	void *scope = RTLD_NEXT;
#endif
	struct fwd f;
	f.malloc = (void *(*)(size_t))lookup(scope, "malloc");
	f.free = (void (*)(void *))lookup(scope, "free");
	f.calloc = (void *(*)(size_t, size_t))lookup(scope, "calloc");
	f.realloc = (void *(*)(void *, size_t))lookup(scope, "realloc");
	f.memalign = (void *(*)(size_t, size_t))lookup(scope, "memalign");
	f.posix_memalign = (int (*)(void **, size_t, size_t))lookup(scope, "posix_memalign");
	f.aligned_alloc = (void *(*)(size_t, size_t))lookup(scope, "aligned_alloc");
	f.valloc = (void *(*)(size_t))lookup(scope, "valloc");
	f.pvalloc = (void *(*)(size_t))lookup(scope, "pvalloc");
	f.usable = (size_t(*)(void *))lookup(scope, "malloc_usable_size");
	/* before the table is published: the allocator may call glibc's
	 * second names, which land here and must find libc's */
	resolve_bypass((const void *)f.malloc);
	fwd = f;
	__atomic_store_n(&fwd_state, 2, __ATOMIC_RELEASE);
}

/* Whether the forwarding table can be used now; 0 while this thread (or
 * another) is still resolving, when the caller must use the buffer. */
int run_count_ready(void)
{
	if (__atomic_load_n(&fwd_state, __ATOMIC_ACQUIRE) == 2)
		return 1;
	if (__atomic_load_n(&fwd_state, __ATOMIC_ACQUIRE) == 1)
		return 0;
	resolve();
	return __atomic_load_n(&fwd_state, __ATOMIC_ACQUIRE) == 2;
}

/* ------------------------------------------------------------------------
 * The malloc family
 * ---------------------------------------------------------------------- */

/* An aligned request while the functions are being resolved (the resolver
 * makes none). */
static void *no_memory(void)
{
	errno = ENOMEM;
	return NULL;
}

EXPORT void *malloc(size_t n)
{
	if (unlikely(!fwd.malloc) && !run_count_ready())
		return boot_alloc(n);
	COUNT(allocs);
	return fwd.malloc(n);
}

EXPORT void free(void *p)
{
	if (unlikely(in_boot(p)) || (unlikely(!fwd.free) && !run_count_ready()))
		return;
	COUNT(frees);
	fwd.free(p);
}

EXPORT void *calloc(size_t n, size_t size)
{
	if (unlikely(!fwd.calloc) && !run_count_ready()) {
		size_t total;
		if (__builtin_mul_overflow(n, size, &total)) {
			errno = ENOMEM;
			return NULL;
		}
		return boot_alloc(total);
	}
	COUNT(allocs);
	return fwd.calloc(n, size);
}

EXPORT void *realloc(void *p, size_t n)
{
	if (unlikely(in_boot(p))) {     /* moved out of the buffer */
		void *q = malloc(n);
		size_t old = boot_size(p);
		if (q)
			memcpy(q, p, old < n ? old : n);
		return q;
	}
	if (unlikely(!fwd.realloc) && !run_count_ready())
		return p ? no_memory() : boot_alloc(n);     /* no block exists yet */
	COUNT(reallocs);
	return fwd.realloc(p, n);
}

EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, total);
}

EXPORT void *memalign(size_t align, size_t n)
{
	if (!run_count_ready())
		return no_memory();
	COUNT(allocs);
	return fwd.memalign(align, n);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	if (!run_count_ready())
		return ENOMEM;
	COUNT(allocs);
	return fwd.posix_memalign(out, align, n);
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	if (!run_count_ready())
		return no_memory();
	COUNT(allocs);
	return fwd.aligned_alloc(align, n);
}

EXPORT void *valloc(size_t n)
{
	if (!run_count_ready())
		return no_memory();
	COUNT(allocs);
	return fwd.valloc(n);
}

EXPORT void *pvalloc(size_t n)
{
	if (!run_count_ready())
		return no_memory();
	COUNT(allocs);
	return fwd.pvalloc(n);
}

EXPORT size_t malloc_usable_size(void *p)
{
	if (!p)
		return 0;
	if (in_boot(p))
		return boot_size(p);
	run_count_ready();
	return fwd.usable ? fwd.usable(p) : 0;
}

/* ------------------------------------------------------------------------
 * Going around the allocator: glibc's second names
 *
 * glibc exports its allocator a second time as __libc_malloc, __libc_calloc,
 * __libc_realloc, __libc_memalign and __libc_free. A program that calls them
 * allocates from glibc whatever is preloaded; libnano's helper (its large
 * and aligned requests) calls them too, legitimately. The counting shim
 * defines them, forwards to libc's, and counts as bypassing the allocator
 * the calls whose return address is neither in the allocator under test
 * nor in this library. This library is built without sibling calls
 * (-fno-optimize-sibling-calls), so that an allocator which jumps to its
 * helper from its own tail call returns into this library, never into the
 * program that called malloc. The runner's served share counts the
 * bypassing calls against the allocator. The glibc build has nothing to
 * tell apart: there every call reaches glibc, the allocator under test.
 * ---------------------------------------------------------------------- */

#ifndef RUN_COUNT_GLIBC
static struct {
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*memalign)(size_t, size_t);
	uintptr_t lo, hi;               /* the allocator's mapping */
	uintptr_t self_lo, self_hi;     /* this library's */
} libc;

/* The address range of the loaded object that holds addr (its PT_LOAD
 * segments), found with dl_iterate_phdr. */
struct range_query {
	uintptr_t addr, lo, hi;
};

static int range_of(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct range_query *q = arg;
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
		lo = a < lo ? a : lo;
		hi = b > hi ? b : hi;
	}
	if (q->addr - lo < hi - lo) {
		q->lo = lo;
		q->hi = hi;
		return 1;
	}
	return 0;
}

static void resolve_bypass(const void *target)
{
	void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	struct range_query q = { (uintptr_t)target, 0, 0 };
	if (!h)
		return;
	libc.malloc = (void *(*)(size_t))dlsym(h, "__libc_malloc");
	libc.free = (void (*)(void *))dlsym(h, "__libc_free");
	libc.calloc = (void *(*)(size_t, size_t))dlsym(h, "__libc_calloc");
	libc.realloc = (void *(*)(void *, size_t))dlsym(h, "__libc_realloc");
	libc.memalign = (void *(*)(size_t, size_t))dlsym(h, "__libc_memalign");
	if (dl_iterate_phdr(range_of, &q)) {
		libc.lo = q.lo;
		libc.hi = q.hi;
	}
	q.addr = (uintptr_t)&resolve_bypass;
	if (dl_iterate_phdr(range_of, &q)) {
		libc.self_lo = q.lo;
		libc.self_hi = q.hi;
	}
}

/* A call from outside the allocator's code: counted as going around it. */
static void bypassed(const void *from, size_t size)
{
	if ((uintptr_t)from - libc.lo < libc.hi - libc.lo ||
	    (uintptr_t)from - libc.self_lo < libc.self_hi - libc.self_lo)
		return;
	COUNT(bypass);
	if (size <= 256)
		COUNT(bypass_small);
}

#define FROM __builtin_return_address(0)

/* While the functions are being resolved (libc's are not known yet), the
 * second names serve from the static buffer too. */
static int libc_ready(void)
{
	return run_count_ready() && libc.malloc;
}

EXPORT void *__libc_malloc(size_t n)
{
	if (!libc_ready())
		return boot_alloc(n);
	bypassed(FROM, n);
	return libc.malloc(n);
}

EXPORT void __libc_free(void *p)
{
	if (in_boot(p) || !libc_ready())
		return;
	bypassed(FROM, SIZE_MAX);
	libc.free(p);
}

EXPORT void *__libc_calloc(size_t n, size_t size)
{
	size_t total;
	if (!libc_ready())
		return __builtin_mul_overflow(n, size, &total) ? no_memory() : boot_alloc(total);
	bypassed(FROM, n && size <= 256 / n ? n * size : SIZE_MAX);
	return libc.calloc(n, size);
}

EXPORT void *__libc_realloc(void *p, size_t n)
{
	if (!libc_ready() || in_boot(p))
		return realloc(p, n);       /* the buffer's blocks are moved out there */
	bypassed(FROM, n);
	return libc.realloc(p, n);
}

EXPORT void *__libc_memalign(size_t align, size_t n)
{
	if (!libc_ready())
		return no_memory();
	bypassed(FROM, n);
	return libc.memalign(align, n);
}
#else
static void resolve_bypass(const void *target)
{
	(void)target;
}
#endif

void run_count_zero(void)
{
	memset(slots, 0, sizeof(slots));
	memset(&shared_slot, 0, sizeof(shared_slot));
}

const void *run_count_target(void)
{
	return (const void *)fwd.malloc;
}

