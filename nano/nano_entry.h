/*
 * nano_entry.h - the entry points of malloc and free, inline, so that both
 * nano_malloc/nano_free (nano_zone.c) and the preload's malloc/free
 * (preload.c) contain them whole: a call through the preload then costs the
 * PLT jump and nothing more.
 *
 * Each entry only picks the front. The faithful v1 paths are functions of
 * their own (nano_malloc_v1, nano_free_v1: one tail jump, as before the
 * front existed); the rseq front's fast paths are inline here and every
 * rare case leaves them by a call or a tail jump, so that they need no
 * saved registers (gcc does not shrink-wrap a body shared by both fronts).
 */
#ifndef NANO_ENTRY_H
#define NANO_ENTRY_H

#include "nano_msg.h"
#include "nano_rseq.h"

/* nano_zone.c */
void *nano_malloc_v1(size_t size);
void nano_free_v1(void *ptr);
/* cs: how the fast path's critical section ended (NANO_CS_FAIL when it did
 * not run); an abort is counted there. */
void *nano_malloc_front_slow(size_t size, int cs);
void nano_free_front_slow(uint64_t p, unsigned mag, unsigned slot, int cs);
void nano_free_front_suspect(uint64_t p, unsigned mag, unsigned slot);

/* A pointer outside the region: NULL, or the helper's. */
static inline void nano_free_foreign(void *ptr)
{
	if (ptr)
		nano_z.helper.free(ptr);
}

static inline void *nano_malloc_entry(size_t size)
{
#if NANO_FRONT_BUILT
	if (nano_front_on()) {
		int cs = NANO_CS_FAIL;
		if (nano_likely(size <= NANO_MAX_SIZE)) {
			uint64_t p;
			cs = nano_front_alloc_fast(nano_size_to_slot(size), &p);
			if (nano_likely(cs == NANO_CS_OK))
				return (void *)p;
		}
		return nano_malloc_front_slow(size, cs);
	}
#endif
	return nano_malloc_v1(size);
}

#if NANO_FRONT_BUILT
/* A block checked for freeing goes to the front: its cache guard, then one
 * attempt at a local push; anything else (a foreign block, a full cache, an
 * abort, no rseq) continues out of line. */
static inline void nano_front_free_put(uint64_t p, uint64_t cguard, unsigned mag, unsigned slot)
{
	nano_store_relaxed((uint64_t *)p + 1, cguard);
	const int cs = nano_front_put_fast(p, mag, slot);
	if (nano_likely(cs == NANO_CS_OK))
		return;
	nano_free_front_slow(p, mag, slot, cs);
}

/* free with the rseq front on: v1's vetting, then the second word
 * (nano_front.h): NANO_LIVE is a live block; the cache guard a double free;
 * 0 or an address in the region lets the first word decide, out of line.
 * Then the cache guard, and the block enters the CPU's cache or chain. */
static inline void nano_free_front(void *ptr)
{
	const uint64_t p = (uint64_t)(uintptr_t)ptr;
	const uint64_t off = p - nano_z.base;
	if (nano_unlikely(off >= nano_z.size)) {
		nano_free_foreign(ptr);
		return;
	}
	const unsigned mag = nano_off_mag(off);
	const unsigned slot = nano_off_slot(off);
	const uint64_t cg = p ^ nano_fr.cookie;
	uint64_t *w = (uint64_t *)p;
	uint64_t w1;

	if (nano_unlikely(!nano_vet(p, off, mag, slot)))
		nano_fatal("free of a pointer inside the nano region that nano did not allocate",
			   (void *)p);
	w1 = nano_load_relaxed(&w[1]);
	if (nano_unlikely(w1 != NANO_LIVE)) {
		if (nano_unlikely(w1 == cg))
			nano_fatal("double free", (void *)p);
		if (w1 == 0 || w1 - nano_z.base < nano_z.size) {
			nano_free_front_suspect(p, mag, slot);
			return;
		}
	}
	nano_front_free_put(p, cg, mag, slot);
}
#endif

static inline void nano_free_entry(void *ptr)
{
#if NANO_FRONT_BUILT
	if (nano_front_on()) {
		nano_free_front(ptr);
		return;
	}
#endif
	nano_free_v1(ptr);
}

#endif
