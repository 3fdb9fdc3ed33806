/*
 * bench_floor.c - libbench_floor.so and libbench_floor_list.so: the floor of
 * the pair benchmark, not an allocator anyone should use. Sixteen size
 * classes of 16..256 bytes and one of 4 KiB, each a region of its own carved
 * by a bump pointer, with a LIFO of freed blocks; free finds the class from
 * the address. No checks, no locks (one thread only), nothing returned to
 * the system; a request above 4 KiB, or one a full region cannot carve,
 * gets NULL. Preloaded into preload_bench, it shows how little of a pair's
 * time is left to any allocator once the benchmark loop, the calls through
 * the PLT and the touches of the blocks are paid (run_preload_bench.sh's
 * "floor" rows).
 *
 * Two builds, because no one LIFO is the cheapest in both of the
 * benchmark's patterns; run_preload_bench.sh takes the faster in each
 * round as the floor:
 *   stack  (libbench_floor.so) an array of pointers and a count per class.
 *          In the loop (malloc, touch, free, again) each free stores its
 *          block at an address computed from the count the malloc has just
 *          stored, and the next malloc loads from that address, a wait the
 *          batch does not have.
 *   list   (libbench_floor_list.so, FLOOR_LIST) a head per class and the
 *          link in each free block's first word, as a thread cache's free
 *          list: every store goes to an address known early, but a batch
 *          of mallocs follows the links one block after another.
 * On the Intel development VM (README, nano-rseq's goals) the list took
 * 4.3-4.6 ns a pair in the loop against the stack's 6.9-7.1, and 5.7-6.7
 * in the batch against 4.8-5.7.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CLASSES 17                      /* 16..256 by 16, and 4096 */
#define REGION (4u << 20)               /* bytes per class */
#define STACK (REGION / 16)
#define EXPORT __attribute__((visibility("default")))

static char pool[CLASSES][REGION] __attribute__((aligned(4096)));
#ifdef FLOOR_LIST
static void *head[CLASSES];
#else
static void *stack[CLASSES][STACK];
static unsigned top[CLASSES];
#endif
static unsigned carved[CLASSES];

static unsigned class_size(unsigned c)
{
	return c < 16 ? 16 * (c + 1) : 4096;
}

EXPORT void *malloc(size_t n)
{
	unsigned c = n <= 256 ? (unsigned)(n + 15) / 16 - (n != 0) : 16;
	if (__builtin_expect(n > 4096, 0)) {
		errno = ENOMEM;
		return NULL;
	}
#ifdef FLOOR_LIST
	void *p = head[c];
	if (__builtin_expect(p != NULL, 1)) {
		head[c] = *(void **)p;
		return p;
	}
#else
	if (__builtin_expect(top[c] != 0, 1))
		return stack[c][--top[c]];
#endif
	if (carved[c] + class_size(c) > REGION) {
		errno = ENOMEM;
		return NULL;
	}
	carved[c] += class_size(c);
	return pool[c] + carved[c] - class_size(c);
}

EXPORT void free(void *p)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)pool;
	if (p && off < sizeof(pool)) {
		unsigned c = (unsigned)(off / REGION);
#ifdef FLOOR_LIST
		*(void **)p = head[c];
		head[c] = p;
#else
		stack[c][top[c]++] = p;
#endif
	}
}

EXPORT void *calloc(size_t n, size_t size)
{
	void *p = n && size > 4096 / n ? NULL : malloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

EXPORT void *realloc(void *p, size_t n)
{
	void *q = malloc(n);
	if (q && p)
		memcpy(q, p, n < 16 ? n : 16);  /* the benchmark never reallocs */
	free(p);
	return q;
}

EXPORT void *memalign(size_t align, size_t n)
{
	return align <= 16 ? malloc(n) : align <= 4096 ? malloc(4096) : NULL;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	return memalign(align, n);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	void *p = memalign(align, n);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

EXPORT size_t malloc_usable_size(void *p)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)pool;
	return p && off < sizeof(pool) ? class_size((unsigned)(off / REGION)) : 0;
}
