/*
 * nano_relief.c - pressure relief: give pages made only of free blocks back
 * to the OS (docs/nano.md §7).
 *
 * For each (magazine, class) with free blocks: take the magazine's grow lock
 * (so its bands do not change under us), detach the class's free list (one
 * CAS: from then on the chain is private), mark the chain's blocks in a
 * bitmap, and release every page whose blocks are all free, as long as the
 * page lies wholly below the bump pointer read at the start (blocks above it
 * may be carved and written at any moment). Blocks that overlap a released
 * page are retired for good: the bump pointer never moves back, so their
 * memory is simply never handed out again. The other blocks go back on the
 * list as one chain.
 *
 * Other threads keep allocating and freeing meanwhile: a pop finds the list
 * empty or holding blocks freed after the detach, and falls back to the bump
 * pointer; a free pushes onto the (new) list. A thread that read the old head
 * just before the detach may read a link word from a page being released;
 * that read returns zero, and its CAS fails on the changed generation.
 *
 * With the rseq front, the CPUs' caches and remote chains are drained onto
 * the lists first (nano_front_drain_all). Blocks the front holds otherwise (a
 * thread's refill or flush in flight, caches that cannot be drained without
 * membarrier) are not on the chain, so they count as in use: their pages stay.
 *
 * The bitmap is static (one relief at a time, under nano_relief_lock) and
 * covers a window of WINDOW bands; classes with more bands are done window by
 * window.
 */
#include "nano_internal.h"
#include "nano_front.h"

#include <string.h>

#define WINDOW 64
#define BLOCKS_PER_AREA (NANO_AREA_SIZE / NANO_QUANTUM)     /* 8192 for 16-byte blocks */
#define MAX_PAGES_PER_AREA (NANO_AREA_SIZE / 4096)

static pthread_mutex_t nano_relief_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t free_bits[WINDOW * BLOCKS_PER_AREA / 64];
static uint64_t page_bits[(WINDOW * MAX_PAGES_PER_AREA + 63) / 64];

static inline void bit_set(uint64_t *b, uint64_t i)
{
	b[i / 64] |= (uint64_t)1 << (i % 64);
}

static inline bool bit_get(const uint64_t *b, uint64_t i)
{
	return (b[i / 64] >> (i % 64)) & 1;
}

/* What one window of one class looks like. */
struct relief_class {
	unsigned mag, slot;
	uint64_t size, limit;
	uint64_t bands;       /* bands used, read under the grow lock */
	uint64_t first0;      /* first block of band 0 (blocks before it: never carved) */
	uint64_t end;         /* end of carved blocks in the last band (bump snapshot) */
	uint64_t w0;          /* first band of the window */
	size_t page;
};

/* Carved range of band k's area: [lo, hi). */
static void carved_range(const struct relief_class *rc, uint64_t k, uint64_t *lo, uint64_t *hi)
{
	uint64_t area = nano_area_addr(rc->mag, k, rc->slot);
	*lo = k == 0 ? rc->first0 : area;
	*hi = k + 1 == rc->bands ? rc->end : area + rc->limit;
}

/* Is every carved block overlapping page [pg, pg+page) of band k free? */
static bool page_all_free(const struct relief_class *rc, uint64_t k, uint64_t pg)
{
	uint64_t area = nano_area_addr(rc->mag, k, rc->slot), lo, hi;
	uint64_t pend = pg + rc->page;
	carved_range(rc, k, &lo, &hi);
	if (pend > area + rc->limit)
		pend = area + rc->limit;       /* the tail past the last block is never used */
	if (pend > hi || pg >= pend)
		return false;                  /* reaches blocks not carved yet */
	uint64_t i0 = (pg - area) / rc->size, i1 = (pend - 1 - area) / rc->size;
	bool any = false;
	for (uint64_t i = i0; i <= i1; i++) {
		uint64_t b = area + i * rc->size;
		if (b < lo)
			continue;                  /* before the first block: never handed out */
		if (!bit_get(free_bits, (k - rc->w0) * BLOCKS_PER_AREA + i))
			return false;
		any = true;
	}
	return any;
}

/* Choose the pages of the window to release (every carved block on them
 * free); marks them in page_bits. Nothing is released yet: the chain's link
 * words live in those pages and must be walked first. */
static void choose_pages(const struct relief_class *rc, uint64_t nb)
{
	size_t pages = NANO_AREA_SIZE / rc->page;
	for (uint64_t k = rc->w0; k < rc->w0 + nb; k++) {
		uint64_t area = nano_area_addr(rc->mag, k, rc->slot);
		for (size_t p = 0; p < pages; p++)
			if (page_all_free(rc, k, area + p * rc->page))
				bit_set(page_bits, (k - rc->w0) * pages + p);
	}
}

/* Release the chosen pages, in runs of adjacent ones. Returns bytes. */
static size_t release_pages(const struct relief_class *rc, uint64_t nb)
{
	size_t released = 0, pages = NANO_AREA_SIZE / rc->page;
	for (uint64_t k = rc->w0; k < rc->w0 + nb; k++) {
		uint64_t area = nano_area_addr(rc->mag, k, rc->slot);
		for (size_t p = 0; p < pages;) {
			size_t q = p;
			while (q < pages && bit_get(page_bits, (k - rc->w0) * pages + q))
				q++;
			if (q > p && nano_release_pages((void *)(area + p * rc->page), (q - p) * rc->page) == 0)
				released += (q - p) * rc->page;
			p = q > p ? q : p + 1;
		}
	}
	return released;
}

/* Does block b (inside the window) overlap a released page? */
static bool block_retired(const struct relief_class *rc, uint64_t b)
{
	uint64_t off = b - nano_z.base, k = nano_off_band(off);
	size_t pages = NANO_AREA_SIZE / rc->page;
	uint64_t in_area = off & (NANO_AREA_SIZE - 1);
	uint64_t p0 = in_area / rc->page, p1 = (in_area + rc->size - 1) / rc->page;
	for (uint64_t p = p0; p <= p1; p++)
		if (bit_get(page_bits, (k - rc->w0) * pages + p))
			return true;
	return false;
}

static bool in_window(const struct relief_class *rc, uint64_t b, uint64_t nb)
{
	uint64_t k = nano_off_band(b - nano_z.base);
	return k >= rc->w0 && k < rc->w0 + nb;
}

/* One window: mark the free blocks, choose the pages, drop the blocks on
 * them from the chain, then release the pages.
 * Returns the new chain head; *last and *retired are updated. */
static uint64_t relieve_window(const struct relief_class *rc, uint64_t chain, uint64_t *last,
			       uint64_t *retired, size_t *released)
{
	uint64_t nb = rc->bands - rc->w0 < WINDOW ? rc->bands - rc->w0 : WINDOW;
	uint64_t head = 0, tail = 0, b, next;

	memset(free_bits, 0, sizeof(free_bits));
	memset(page_bits, 0, sizeof(page_bits));
	for (b = chain; b; b = nano_load_relaxed(&((uint64_t *)b)[1])) {
		if (in_window(rc, b, nb)) {
			uint64_t off = b - nano_z.base;
			uint64_t k = nano_off_band(off);
			bit_set(free_bits, (k - rc->w0) * BLOCKS_PER_AREA +
					   (off & (NANO_AREA_SIZE - 1)) / rc->size);
		}
	}
	choose_pages(rc, nb);
	for (b = chain; b; b = next) {
		next = nano_load_relaxed(&((uint64_t *)b)[1]);
		if (in_window(rc, b, nb) && block_retired(rc, b)) {
			(*retired)++;
			continue;
		}
		if (tail)
			nano_store_relaxed(&((uint64_t *)tail)[1], b);
		else
			head = b;
		tail = b;
	}
	if (tail)
		nano_store_relaxed(&((uint64_t *)tail)[1], 0);
	*last = tail;
	/* Only now, with no link word left on them, may the pages go. */
	*released += release_pages(rc, nb);
	return head;
}

static size_t relieve_class(unsigned mag, unsigned slot)
{
	struct nano_meta *m = &nano_z.meta[mag][slot];
	struct relief_class rc = {
		.mag = mag, .slot = slot,
		.size = nano_z.cls[slot].size, .limit = nano_z.cls[slot].limit,
		.page = nano_page_size(),
	};
	uint64_t chain, last = 0, retired = 0, b;
	size_t released = 0;

	if (!__atomic_load_n(&m->head.h.ptr, __ATOMIC_RELAXED) || rc.page > NANO_AREA_SIZE)
		return 0;
	pthread_mutex_lock(&nano_z.mags[mag].lock);
	rc.bands = m->bands;
	b = __atomic_load_n(&m->bump, __ATOMIC_ACQUIRE);
	rc.end = nano_bump_valid(m, b, mag, slot) ? b : (m->first & ~(NANO_AREA_SIZE - 1)) + rc.limit;
	rc.first0 = m->first0;
	chain = nano_list_detach(m);
	for (rc.w0 = 0; chain && rc.w0 < rc.bands; rc.w0 += WINDOW)
		chain = relieve_window(&rc, chain, &last, &retired, &released);
	if (chain)
		nano_list_push_chain(m, chain, last);
	pthread_mutex_unlock(&nano_z.mags[mag].lock);
	if (retired)
		__atomic_fetch_add(&m->retired, retired, __ATOMIC_RELAXED);
	return released;
}

size_t nano_pressure_relief(void)
{
	size_t released = 0;
	if (__atomic_load_n(&nano_z.state, __ATOMIC_ACQUIRE) != 2)
		return 0;
	pthread_mutex_lock(&nano_relief_lock);
	/* Blocks in the rseq front's caches and chains first go back to their
	 * lists, so their pages can be released too (nano_front.h). */
	nano_front_drain_all();
	for (unsigned g = 0; g < NANO_MAX_MAGAZINES; g++)
		for (unsigned s = 0; s < NANO_SLOTS; s++)
			released += relieve_class(g, s);
	pthread_mutex_unlock(&nano_relief_lock);
	__atomic_fetch_add(&nano_z.relief_bytes, released, __ATOMIC_RELAXED);
	return released;
}

void nano_relief_atfork_prepare(void)
{
	pthread_mutex_lock(&nano_relief_lock);
}

void nano_relief_atfork_release(void)
{
	pthread_mutex_unlock(&nano_relief_lock);
}
