/*
 * nano_entry.h - the entry points of malloc and free, inline, so that both
 * nano_malloc/nano_free (nano_zone.c) and the preload's malloc/free
 * (preload.c) contain them whole: a call through the preload then costs the
 * PLT jump and nothing more.
 *
 * Each entry only picks the front: one branch per front. The faithful v1
 * paths are functions of their own (nano_malloc_v1, nano_free_v1: one tail
 * jump, as before the front existed); the rseq front's fast paths are inline
 * here and every rare case leaves them by a call or a tail jump into the
 * front's slow paths (nano_front.c), so that they need no saved registers
 * (gcc does not shrink-wrap a body shared by both fronts). A new front is
 * its own file plus one branch in each entry below.
 */
#ifndef NANO_ENTRY_H
#define NANO_ENTRY_H

#include "nano_rseq.h"

/* malloc: with the rseq front, one compare says both that the front serves
 * and that the size is 1..256 (small_max is 0 until the front serves, and
 * size - 1 wraps for 0). A failed compare with small_max 0 is the v1 front:
 * a tail jump into v1's malloc, as before the front existed (not through
 * the front's slow path, which cost v1 about 20 instructions a malloc);
 * everything else goes to the front's slow path.
 *
 * The two ways out are parameters, so that an entry with its own rare case
 * (C++'s operator new, whose NULL must reach the new_handler) keeps the same
 * fast path with no stack frame: its ways out are tail jumps into functions
 * that call malloc's and then handle NULL. Inlined with constant arguments,
 * they are direct jumps. */
static inline void *nano_malloc_with(size_t size, void *(*front_slow)(size_t, int),
				     void *(*v1)(size_t))
{
#if NANO_FRONT_BUILT
	int cs = NANO_CS_FAIL;
	const uint32_t small_max = __atomic_load_n(&nano_fr.small_max, __ATOMIC_RELAXED);
	if (nano_likely(size - 1 < small_max)) {
		uint64_t p;
		/* the size in 16-byte units indexes the class table */
		cs = nano_front_alloc_fast_c(&nano_fr.cls[(size + 15) >> 4], &p);
		if (nano_likely(cs == NANO_CS_OK))
			return (void *)p;
	} else if (small_max == 0) {
		return v1(size);
	}
	return front_slow(size, cs);
#else
	(void)front_slow;
	return v1(size);
#endif
}

static inline void *nano_malloc_entry(size_t size)
{
#if NANO_FRONT_BUILT
	return nano_malloc_with(size, nano_front_malloc_slow, nano_malloc_v1);
#else
	return nano_malloc_with(size, NULL, nano_malloc_v1);
#endif
}

#if NANO_FRONT_BUILT
/* A block checked for freeing goes to the front: its free guard cg (p ^ the
 * cookie), then one attempt at a local push and, when the block belongs to
 * another magazine, one at a remote push, both inline. Through calls, a remote free would
 * store saved registers and return addresses, and where frees miss (a
 * consumer freeing blocks a producer wrote) stores wait in order behind
 * the guard's: in xmalloc-test those stores stalled the consumer. Anything
 * else (a full cache or buffer, an abort, no rseq) continues out of line,
 * where the slow path finds the magazine and class again from p, so that
 * nothing else stays live across the sections and this path needs no saved
 * register. */
static inline void nano_front_free_put(uint64_t p, size_t mag, size_t slot, uint64_t cg)
{
	char *const hb = nano_front_hb_at(slot);    /* not the entry's: nano_rseq.h */
	nano_store_relaxed((uint64_t *)p + 1, cg);
	int cs = nano_cs_push(nano_fr.rs_off, hb, p, mag);
	if (nano_likely(cs == NANO_CS_OK))
		return;
	if (cs == NANO_CS_FOREIGN) {
		cs = nano_cs_rpush(nano_fr.rs_off, hb, p);
		if (nano_likely(cs == NANO_CS_OK))
			return;
		/* a full buffer or an unclaimed CPU: the slow path's remote
		 * free (a fenced CPU's FAIL and an ABORT go as they are) */
		if (cs == NANO_CS_FULL)
			cs = NANO_CS_FOREIGN;
	}
	nano_front_free_slow(p, cs);
}

/* free: v1's vetting, then the second word (nano_front.h): the free guard
 * is a double free, 0 or an address in the region maybe a link of v1's
 * list; both are decided out of line (nano_front_free_odd). Anything else
 * (NANO_LIVE, or whatever the program wrote there: the common case in real
 * programs, which fill their blocks) is a live block: it gets the free
 * guard and enters the CPU's cache or remote buffer. No data-dependent
 * branch: every test is one a correct program never takes. The front's copy of the
 * region's size is 0 until the front serves, so that one compare sends
 * every free to v1's path then, as it does a foreign pointer (v1's free
 * gives it to the helper). */
static inline void nano_free_front(void *ptr)
{
	const uint64_t p = (uint64_t)(uintptr_t)ptr;
	const uint64_t off = p - nano_fr.base;
	if (nano_unlikely(off >= __atomic_load_n(&nano_fr.size, __ATOMIC_RELAXED))) {
		nano_free_v1(ptr);
		return;
	}
	const size_t mag = off >> nano_fr.mag_shift;     /* nano_off_mag, nano_off_slot */
	const size_t slot = (off >> NANO_OFFSET_BITS) & (NANO_SLOTS - 1);
	const struct nano_fcls *c = nano_front_cls(slot);
	uint64_t *w = (uint64_t *)p;

	/* one register for the class's entry, whatever field is read */
	__asm__("" : "+r"(c));

	/* The fatal cases leave by tail calls (nano_front_free_bad), so that
	 * this path needs no stack frame. */
	if (nano_unlikely(!nano_front_vet_grid(off, c))) {
		nano_front_free_bad(p);
		return;
	}
	/* (keeps gcc from loading the bump address early, into a register it
	 * would have to save) */
	__asm__("" : "+r"(c));
	if (nano_unlikely(!nano_front_vet_bump(p, mag, c))) {
		nano_front_free_bad(p);
		return;
	}
	/* a plain load: the front never runs under ThreadSanitizer, which
	 * cannot see its sections */
	const uint64_t w1 = w[1], cg = p ^ nano_fr.cookie;
	if (nano_unlikely(w1 == cg || w1 - nano_fr.base < nano_fr.size || w1 == 0)) {
		nano_front_free_odd(p, (unsigned)mag, (unsigned)slot);
		return;
	}
	nano_front_free_put(p, mag, slot, cg);
}
#endif

static inline void nano_free_entry(void *ptr)
{
#if NANO_FRONT_BUILT
	nano_free_front(ptr);           /* v1's free until the front serves */
#else
	nano_free_v1(ptr);
#endif
}

/* A block of the class for calloc (the zone is ready): NULL when nano
 * cannot serve it (the helper's turn). */
static inline void *nano_alloc_entry(unsigned slot)
{
#if NANO_FRONT_BUILT
	if (nano_front_on())
		return nano_front_alloc(slot);
#endif
	return nano_alloc_v1(slot);
}

/* A trusted sized free of a block whose class the caller checked. */
static inline void nano_free_trusted_entry(uint64_t p, unsigned mag, unsigned slot)
{
#if NANO_FRONT_BUILT
	if (nano_front_on()) {
		nano_front_free_put(p, mag, slot, p ^ nano_fr.cookie);
		return;
	}
#endif
	nano_v1_push(p, mag, slot);
}

#endif
