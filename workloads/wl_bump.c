/*
 * wl_bump.c - libnanobench_bump.so: the harness floor, as a preload library.
 *
 * A thread-local bump pointer: malloc rounds the request up to 16 bytes and
 * moves the pointer; free of a block of the thread's current chunk is a
 * thread-local increment (an atomic decrement only for other chunks and
 * other threads' blocks). Neither path reads or writes the block itself: a
 * block carries no header (its size sits in a table at its chunk's start,
 * one 4-byte store per malloc), so 64-byte requests lie 64 bytes apart and
 * the memory a workload walks is its blocks and nothing else. Its cost per
 * op is close to nothing, so a workload run with it measures what the
 * harness itself costs (counting, touching, tagging), which is the point.
 *
 * Bounded footprint: the rule. Memory comes in 2 MiB chunks aligned to
 * 2 MiB, so a block's chunk is its address rounded down. A chunk keeps one
 * signed counter, live. Frees of other threads, and the owner's frees of
 * blocks of chunks it has retired, decrement it; the owning thread counts
 * its allocations and its own frees of its current chunk privately, and adds
 * the difference once, when it retires the chunk (the chunk is full, or the
 * thread exits). When the owner has freed every block it carved from its
 * current chunk (and nobody else freed one: then the private counts would
 * not meet), the bump pointer goes back to the chunk's start, so a thread
 * that allocates a batch and frees it reuses the same memory, warm in its
 * caches, as any allocator's free list would. Whoever brings
 * live to zero after that -- the owner at retirement or the last free --
 * puts the chunk on a global free list, and the next refill reuses it. So a
 * chunk is recycled exactly when every block carved from it was freed, and
 * the footprint is the chunks that still hold a live block plus one current
 * chunk per thread. Requests above 512 KiB (and large alignments) get their
 * own mapping, with a header before the block, unmapped by free.
 *
 * Whose pointer is it? Chunks are never unmapped, and a bitmap over the
 * address space (one bit per 2 MiB, reserved and touched only where chunks
 * lie) says which 2 MiB ranges are chunks. A pointer outside every chunk is
 * a big block when the word before it holds the big magic, and otherwise not
 * this library's (the dynamic loader's early allocations): free ignores it.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHUNK ((size_t)2 << 20)
#define BIG (CHUNK / 4)
#define GRAIN 16                                /* block alignment and size unit */
#define BIG_MAGIC 0x62756d7062696721ull        /* block with its own mapping */
#define ADDR_BITS 48                            /* x86-64, aarch64 user space */
#define EXPORT __attribute__((visibility("default")))

/* A chunk's start: the counter, the free-list link, then the size of every
 * block by its 16-byte grain (the table's own grains, and the header's,
 * never hold a block); the blocks start after the table. */
struct chunk {
	int64_t live;           /* atomic; allocations added at retirement */
	struct chunk *next;     /* free list */
	char pad[48];
	uint32_t size[CHUNK / GRAIN];
};
#define DATA_START (sizeof(struct chunk))

static pthread_mutex_t free_lock = PTHREAD_MUTEX_INITIALIZER;
static struct chunk *free_list;
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static uint64_t *chunk_bits;    /* bit c: the 2 MiB range c is a chunk */

/* A thread's state, one TLS object (one offset to load on the fast paths). */
struct tstate {
	char *bump, *bump_end;
	struct chunk *cur;
	int64_t nallocs, nfrees;
};
static __thread struct tstate ts __attribute__((tls_model("initial-exec")));
#define bump ts.bump
#define bump_end ts.bump_end
#define cur ts.cur
#define nallocs ts.nallocs
#define nfrees ts.nfrees

static inline struct chunk *chunk_of(const void *p)
{
	return (struct chunk *)((uintptr_t)p & ~(uintptr_t)(CHUNK - 1));
}

static inline uint32_t *size_slot(struct chunk *c, const void *p)
{
	return &c->size[((uintptr_t)p - (uintptr_t)c) / GRAIN];
}

/* Is the 2 MiB range of p one of our chunks? */
static int is_chunk(const void *p)
{
	uint64_t *bits = __atomic_load_n(&chunk_bits, __ATOMIC_ACQUIRE);
	uintptr_t i = (uintptr_t)p / CHUNK;
	if (!bits || (uintptr_t)p >> ADDR_BITS)
		return 0;
	return (__atomic_load_n(&bits[i / 64], __ATOMIC_RELAXED) >> (i % 64)) & 1;
}

/* ------------------------------------------------------------------------
 * Chunks
 * ---------------------------------------------------------------------- */

/* The bitmap of chunks: 2^48 / 2 MiB bits (16 MiB of address space,
 * reserved, not committed: only the words of ranges holding chunks are
 * ever touched). */
static uint64_t *bits_get(void)
{
	uint64_t *bits = __atomic_load_n(&chunk_bits, __ATOMIC_ACQUIRE), *none = NULL;
	size_t len = ((size_t)1 << ADDR_BITS) / CHUNK / 8;
	if (bits)
		return bits;
	bits = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
	if (bits == MAP_FAILED)
		return NULL;
	if (!__atomic_compare_exchange_n(&chunk_bits, &none, bits, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		munmap(bits, len);
		return none;
	}
	return bits;
}

static struct chunk *chunk_map(void)
{
	uint64_t *bits = bits_get();
	if (!bits)
		return NULL;
	char *p = mmap(NULL, 2 * CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	char *c = (char *)(((uintptr_t)p + CHUNK - 1) & ~(uintptr_t)(CHUNK - 1));
	if (c > p)
		munmap(p, (size_t)(c - p));
	munmap(c + CHUNK, (size_t)(p + 2 * CHUNK - (c + CHUNK)));
	uintptr_t i = (uintptr_t)c / CHUNK;
	__atomic_fetch_or(&bits[i / 64], (uint64_t)1 << (i % 64), __ATOMIC_RELEASE);
	return (struct chunk *)c;
}

static void chunk_recycle(struct chunk *c)
{
	pthread_mutex_lock(&free_lock);
	c->next = free_list;
	free_list = c;
	pthread_mutex_unlock(&free_lock);
}

static void chunk_retire(void)
{
	struct chunk *c = cur;
	if (!c)
		return;
	cur = NULL;
	bump = bump_end = NULL;
	if (__atomic_add_fetch(&c->live, nallocs - nfrees, __ATOMIC_ACQ_REL) == 0)
		chunk_recycle(c);
	nallocs = nfrees = 0;
}

static void on_thread_exit(void *unused)
{
	(void)unused;
	chunk_retire();
}

static void make_key(void)
{
	pthread_key_create(&exit_key, on_thread_exit);
}

static int refill(void)
{
	struct chunk *c;
	chunk_retire();
	pthread_mutex_lock(&free_lock);
	c = free_list;
	if (c)
		free_list = c->next;
	pthread_mutex_unlock(&free_lock);
	if (!c && !(c = chunk_map()))
		return -1;
	c->live = 0;
	cur = c;
	bump = (char *)c + DATA_START;
	bump_end = (char *)c + CHUNK;
	pthread_once(&key_once, make_key);
	pthread_setspecific(exit_key, c);
	return 0;
}

/* ------------------------------------------------------------------------
 * Blocks
 * ---------------------------------------------------------------------- */

static void *big_alloc(size_t size, size_t align)
{
	size_t head = align > 64 ? align : 64;
	size_t len = (head + size + 4095) & ~(size_t)4095;
	if (size > ((size_t)1 << 46))
		return NULL;
	char *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	char *p = base + head;
	uint64_t *w = (uint64_t *)p;
	w[-4] = (uint64_t)(uintptr_t)base;
	w[-3] = len;
	w[-2] = size;
	w[-1] = BIG_MAGIC;
	return p;
}

/* The block at p, its size noted, when it fits in the current chunk, else
 * NULL. */
static inline void *carve(uintptr_t p, size_t size, size_t need)
{
	if (!bump || p + need > (uintptr_t)bump_end)
		return NULL;
	*size_slot(cur, (void *)p) = (uint32_t)size;
	bump = (char *)(p + need);
	nallocs++;
	return (void *)p;
}

static void *bump_alloc(size_t size, size_t align)
{
	size_t need = (size + GRAIN - 1) & ~(size_t)(GRAIN - 1);
	void *p;
	if (size > BIG || align > BIG / 4)
		return big_alloc(size, align < GRAIN ? GRAIN : align);
	while (!(p = carve(((uintptr_t)bump + align - 1) & ~(uintptr_t)(align - 1), size, need)))
		if (refill())
			return NULL;
	return p;
}

static __attribute__((noinline)) void *malloc_slow(size_t size)
{
	void *p = bump_alloc(size ? size : 1, GRAIN);
	if (!p)
		errno = ENOMEM;
	return p;
}

/* The fast path: the bump pointer is always 16-byte aligned. */
EXPORT void *malloc(size_t size)
{
	void *p = NULL;
	if (__builtin_expect(size - 1 < BIG, 1))
		p = carve((uintptr_t)bump, size, (size + GRAIN - 1) & ~(size_t)(GRAIN - 1));
	return __builtin_expect(p != NULL, 1) ? p : malloc_slow(size);
}

static int is_big(void *p)
{
	return ((uint64_t *)p)[-1] == BIG_MAGIC;
}

static __attribute__((noinline)) void free_other(void *p)
{
	if (is_chunk(p)) {
		struct chunk *c = chunk_of(p);
		if (__atomic_sub_fetch(&c->live, 1, __ATOMIC_ACQ_REL) == 0)
			chunk_recycle(c);
	} else if (is_big(p)) {
		uint64_t *w = p;
		munmap((void *)(uintptr_t)w[-4], w[-3]);
	}
}

/* The fast path: a block of this thread's current chunk (known by its
 * address alone). */
EXPORT void free(void *p)
{
	struct chunk *c = chunk_of(p);
	if (__builtin_expect(c == cur && c != NULL, 1)) {
		if (++nfrees == nallocs) {      /* every block of it is free */
			nallocs = nfrees = 0;
			bump = (char *)c + DATA_START;
		}
		return;
	}
	if (p)
		free_other(p);
}

EXPORT size_t malloc_usable_size(void *p)
{
	if (!p)
		return 0;
	if (is_chunk(p))
		return *size_slot(chunk_of(p), p);
	return is_big(p) ? ((uint64_t *)p)[-2] : 0;
}

EXPORT void *calloc(size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	/* Not malloc(): the compiler would fold malloc + memset into calloc. */
	void *p = bump_alloc(total ? total : 1, GRAIN);
	if (p)
		memset(p, 0, total);
	else
		errno = ENOMEM;
	return p;
}

EXPORT void *realloc(void *old, size_t size)
{
	if (!old)
		return malloc(size);
	if (size == 0) {
		free(old);
		return NULL;
	}
	void *p = malloc(size);
	size_t have = malloc_usable_size(old);
	if (p && have)
		memcpy(p, old, have < size ? have : size);
	if (p)
		free(old);
	return p;
}

EXPORT void *memalign(size_t align, size_t size)
{
	if (align == 0 || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	void *p = bump_alloc(size ? size : 1, align < GRAIN ? GRAIN : align);
	if (!p)
		errno = ENOMEM;
	return p;
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
	return memalign(align, size);
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	void *p = memalign(align, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

EXPORT void *valloc(size_t size)
{
	return memalign((size_t)sysconf(_SC_PAGESIZE), size);
}

EXPORT void *pvalloc(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	return memalign(page, (size + page - 1) & ~(page - 1));
}
