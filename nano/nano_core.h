/*
 * nano_core.h - the lowest layer of the nano zone: the v1 zone itself, its
 * free lists, its bump pointers, the checks a block passes and v1's own
 * malloc and free (docs/nano.md §4-6), which every front builds on.
 *
 * Layers, each calling only the ones below it:
 *
 *     nano_zone.c         start-up, the malloc family's API, fork
 *     nano_entry.h        malloc and free inline: one branch per front
 *     nano_stats.c, nano_relief.c   statistics and pressure relief
 *     nano_front*.c       the rseq front (nano_front.h)
 *     nano_core.c         the v1 zone and its front (this header)
 *     nano_prim.h         the platform
 *
 * A front never reads another front's state; the statistics and relief
 * reach the rseq front only through its accessors (nano_front_cell,
 * nano_front_settings, nano_front_drain_all). The one way up is a hook:
 * the first malloc of a program, in the core, starts the zone through
 * nano_z.lazy_start, which the top layer set.
 *
 * The list operations here are inline where v1's fast paths use them (pop,
 * push, the free-list diligence), out of line otherwise (nano_core.c, in
 * the same unit as v1's malloc and free, so that their code is v1's as it
 * always was).
 */
#ifndef NANO_CORE_H
#define NANO_CORE_H

#include "nano_internal.h"
#include "nano_msg.h"

#if NANO_STATS
#define NANO_COUNT(stmt) do { stmt; } while (0)
#else
#define NANO_COUNT(stmt) do { } while (0)
#endif

/* ------------------------------------------------------------------------
 * Free lists (out of line: nano_core.c)
 * ---------------------------------------------------------------------- */

/* Detach the whole list with one CAS (counted as an adjustment, not a user
 * pop); returns its first block, 0 when it was empty. */
uint64_t nano_list_detach(struct nano_meta *m);
/* Push a chain whose last link is already 0 (tail unknown) as the whole list,
 * if the list is empty; false when it is not (nothing pushed). */
bool nano_list_push_if_empty(struct nano_meta *m, uint64_t first);
/* Is p on the list? Detach, scan privately, push back (the double-free test). */
bool nano_list_holds(struct nano_meta *m, uint64_t p);
/* Push a linked chain first..last with one CAS (an adjustment). */
void nano_list_push_chain(struct nano_meta *m, uint64_t first, uint64_t last);
/* Link blocks[0..n) of (mag, slot) into a chain in list format (the v1 guard
 * in the first word, the link in the second) and push it with one CAS. */
void nano_list_push_array(const uint64_t *blocks, uint64_t n, unsigned mag, unsigned slot);

/* ------------------------------------------------------------------------
 * Bump allocation and growth (nano_core.c)
 * ---------------------------------------------------------------------- */

/* Blocks carved so far in this class (racy but monotonic outside growth). */
uint64_t nano_carved(const struct nano_meta *m, unsigned mag, unsigned slot);
/* One fresh block of (mag, slot) from the bump pointer, growing the class
 * when its area is used up; NULL when exhausted. */
void *nano_bump(struct nano_meta *m, unsigned mag, unsigned slot);
/* Up to want fresh blocks with one CAS on the bump pointer: the first in
 * *first, the count returned (consecutive, size apart, never past the end of
 * the current area). When the area is used up, one block from nano_bump
 * (which grows the class); 0 when the class is exhausted. */
unsigned nano_bump_run(struct nano_meta *m, unsigned mag, unsigned slot, unsigned want,
		       uint64_t *first);
/* fork: every grow lock */
void nano_core_atfork_prepare(void);
void nano_core_atfork_release(void);
void nano_core_init(void);

/* ------------------------------------------------------------------------
 * The v1 fast paths' list operations (inline)
 * ---------------------------------------------------------------------- */

static inline void nano_head_read(struct nano_meta *m, union nano_head *h)
{
	h->h.ptr = nano_load_relaxed(&m->head.h.ptr);
	h->h.gen = nano_load_relaxed(&m->head.h.gen);
}

static inline void nano_note_pop(struct nano_meta *m, uint64_t gen)
{
	if (nano_unlikely((uint32_t)gen == 0))
		__atomic_fetch_add(&m->pop_wraps, 1, __ATOMIC_RELAXED);
}

static inline void nano_note_push(struct nano_meta *m, uint64_t gen)
{
	if (nano_unlikely((gen >> 32) == 0))
		__atomic_fetch_add(&m->push_wraps, 1, __ATOMIC_RELAXED);
}

/* Free-list diligence (docs/nano.md §5, step 2), for v1's pop and a
 * front's refill alike: may p be a free block of (mag, slot)'s list?
 * Region, grid, below bump, and the v1 guard in its first word. */
static inline bool nano_list_block_ok(uint64_t p, unsigned mag, unsigned slot)
{
	uint64_t off = p - nano_z.base;
	/* off >> mag_shift == mag < 64 also proves p lies inside the region */
	return nano_off_mag(off) == mag && nano_off_slot(off) == slot && nano_vet(p, off, mag, slot) &&
	       nano_load_relaxed((uint64_t *)p) == (p ^ nano_z.cookie);
}

/* Free-list diligence on a popped block, then clear the guard and link
 * words. */
static inline void *nano_pop_check(uint64_t p, unsigned mag, unsigned slot)
{
	uint64_t *w = (uint64_t *)p;
	if (!nano_list_block_ok(p, mag, slot))
		nano_fatal("free list corrupted (a block failed free-list diligence)", (void *)p);
	nano_store_relaxed(&w[0], 0);
	nano_store_relaxed(&w[1], 0);
	return (void *)p;
}

void nano_core_retry_pop(unsigned mag, unsigned slot);
void nano_core_retry_push(unsigned mag, unsigned slot);

/* Pop one block: 0 when the list is empty. */
static inline uint64_t nano_list_pop(struct nano_meta *m, unsigned mag, unsigned slot)
{
	union nano_head cur, nxt;
	nano_head_read(m, &cur);
	while (cur.h.ptr) {
		nxt.h.ptr = nano_load_relaxed(&((uint64_t *)cur.h.ptr)[1]);
		nxt.h.gen = cur.h.gen + 1;
		if (nano_dwcas(&m->head.raw, &cur.raw, nxt.raw)) {
			nano_note_pop(m, nxt.h.gen);
			return cur.h.ptr;
		}
		nano_core_retry_pop(mag, slot);
	}
	(void)mag;
	(void)slot;
	return 0;
}

/* Push one block whose guard word is already written. */
static inline void nano_list_push(struct nano_meta *m, unsigned mag, unsigned slot, uint64_t p)
{
	union nano_head cur, nxt;
	nano_head_read(m, &cur);
	nxt.h.ptr = p;
	for (;;) {
		nano_store_relaxed(&((uint64_t *)p)[1], cur.h.ptr);
		nxt.h.gen = cur.h.gen + NANO_GEN_PUSH;
		if (nano_likely(nano_dwcas(&m->head.raw, &cur.raw, nxt.raw)))
			break;
		nano_core_retry_push(mag, slot);
	}
	nano_note_push(m, nxt.h.gen);
}

#if NANO_STATS
void nano_core_note_remote(unsigned mag, unsigned slot);
#endif

/* A freed block onto its owner's list, the v1 way: the v1 guard, one CAS,
 * and (statistics) whether the free was remote. */
static inline void nano_v1_push(uint64_t p, unsigned mag, unsigned slot)
{
	nano_store_relaxed((uint64_t *)p, p ^ nano_z.cookie);
	nano_list_push(&nano_z.meta[mag][slot], mag, slot, p);
	NANO_COUNT(if (nano_unlikely(nano_cpu_mag() != mag)) nano_core_note_remote(mag, slot));
}

/* One block of a class from the caller's magazine, the v1 way (pop the
 * list, else carve), or NULL (exhausted). */
static inline void *nano_alloc_v1(unsigned slot)
{
	unsigned mag = nano_cpu_mag();
	struct nano_meta *m = &nano_z.meta[mag][slot];
	uint64_t p = nano_list_pop(m, mag, slot);
	if (nano_likely(p))
		return nano_pop_check(p, mag, slot);
	return nano_bump(m, mag, slot);
}

/* A small request nano cannot serve (exhausted, not ready): the helper's,
 * counted. */
void *nano_small_to_helper(size_t size, bool zero);

static inline bool nano_ready(void)
{
	return nano_likely(__atomic_load_n(&nano_z.state, __ATOMIC_ACQUIRE) == NANO_READY);
}

/* The zone is not ready: start it if nobody has; whether it serves now. */
bool nano_ready_slow(void);

/* A pointer outside the region: NULL, or the helper's. */
static inline void nano_free_foreign(void *ptr)
{
	if (ptr)
		nano_z.helper.free(ptr);
}

/* The v1 front: malloc and free (nano_core.c). */
void *nano_malloc_v1(size_t size);
void nano_free_v1(void *ptr);

#endif
