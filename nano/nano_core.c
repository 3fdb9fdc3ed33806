/*
 * nano_core.c - the v1 zone: lists, bump pointers, growth, and v1's malloc
 * and free (the lowest layer, nano_core.h; design: docs/nano.md §4-6 and
 * nano_internal.h).
 *
 * Free lists: a LIFO per (magazine, class) whose head {first block,
 * generation} changes with one double-width CAS. The operations here are the
 * rare ones (detach, chain push, the double-free scan); v1's pop and push are
 * inline in nano_core.h.
 *
 * The v1 front (nano_malloc_v1, nano_free_v1):
 * malloc: magazine = table[cpu], pop the list with one double-width CAS; the
 *   popped block passes "free-list diligence" (signature, magazine, class,
 *   grid, guard word) or the process aborts; if the list is empty, carve a
 *   block with one fetch-add on the bump pointer (growing the class when its
 *   area is used up). A class that has used all its bands, or whose memory
 *   the kernel refused, is "exhausted" and sends its requests to the helper
 *   allocator; NULL reaches the caller only when the helper fails too.
 * free: vet the pointer (region, alignment, grid, below the bump pointer);
 *   if its first word already holds the guard value it may be a double free:
 *   detach the class's list, scan it privately, push it back; then write the
 *   guard and push the block on the list of the magazine encoded in the
 *   pointer, wherever the caller runs.
 *
 * Bump allocation: one fetch-add on the bump pointer per block (nano_bump),
 * or one CAS for a run of blocks (nano_bump_run, for a front's refill). When
 * the area is used up, the magazine's grow lock is taken, the state
 * re-checked, and the class moves to the same area of its next band
 * (committing the band's chunk first if no other class of the chunk has).
 *
 * Why the bump pointer needs no limit field: fetch-add may run past the end of
 * the area, but such an overshoot lands in the next class's area, a band the
 * class has not reached, another magazine or outside the region, which
 * nano_bump_valid recognises. The grower re-checks under the lock whether
 * bump already points into a fresh area, and publishes the new area with a
 * release store of bump; every thread that sees the new bump value through
 * its acquire fetch-add also sees the committed band. No valid block is ever
 * skipped.
 *
 * Exhaustion (a class whose last band is used, or whose commit the kernel
 * refused: ulimit -d, strict overcommit, the map-count limit) is sticky: the
 * grower parks bump at the end of the class's last area, and no thread
 * advances it again (nano_bump tests the flag first). Apple's zone does the
 * same with its limit field.
 */
#include "nano_core.h"

/* ========================================================================
 * Counting the contended and remote paths (statistics builds)
 * ====================================================================== */

__attribute__((noinline, cold))
void nano_core_retry_pop(unsigned mag, unsigned slot)
{
	NANO_COUNT(nano_stats_count_retry_pop(mag, slot));
	(void)mag;
	(void)slot;
}

/* A failed push CAS: count it (out of line, so the loop keeps its operands
 * in registers). */
__attribute__((noinline, cold))
void nano_core_retry_push(unsigned mag, unsigned slot)
{
	NANO_COUNT(nano_stats_count_retry_push(mag, slot, 1));
	(void)mag;
	(void)slot;
}

#if NANO_STATS
__attribute__((noinline, cold))
void nano_core_note_remote(unsigned mag, unsigned slot)
{
	nano_stats_count_remote(mag, slot);
}
#endif

/* ========================================================================
 * Free lists
 * ====================================================================== */

uint64_t nano_list_detach(struct nano_meta *m)
{
	union nano_head cur, nxt;
	nano_head_read(m, &cur);
	nxt.h.ptr = 0;
	do
		nxt.h.gen = cur.h.gen + 1;
	while (!nano_dwcas(&m->head.raw, &cur.raw, nxt.raw));
	nano_note_pop(m, nxt.h.gen);
	__atomic_fetch_add(&m->adj_pops, 1, __ATOMIC_RELAXED);
	return cur.h.ptr;
}

void nano_list_push_chain(struct nano_meta *m, uint64_t first, uint64_t last)
{
	union nano_head cur, nxt;
	nano_head_read(m, &cur);
	nxt.h.ptr = first;
	for (;;) {
		nano_store_relaxed(&((uint64_t *)last)[1], cur.h.ptr);
		nxt.h.gen = cur.h.gen + NANO_GEN_PUSH;
		if (nano_dwcas(&m->head.raw, &cur.raw, nxt.raw))
			break;
	}
	nano_note_push(m, nxt.h.gen);
	__atomic_fetch_add(&m->adj_pushes, 1, __ATOMIC_RELAXED);
}

void nano_list_push_array(const uint64_t *blocks, uint64_t n, unsigned mag, unsigned slot)
{
	if (!n)
		return;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t *w = (uint64_t *)blocks[i];
		nano_store_relaxed(&w[0], blocks[i] ^ nano_z.cookie);
		nano_store_relaxed(&w[1], i + 1 < n ? blocks[i + 1] : 0);
	}
	nano_list_push_chain(&nano_z.meta[mag][slot], blocks[0], blocks[n - 1]);
}

bool nano_list_push_if_empty(struct nano_meta *m, uint64_t first)
{
	union nano_head cur, nxt;
	nano_head_read(m, &cur);
	while (cur.h.ptr == 0) {
		nxt.h.ptr = first;
		nxt.h.gen = cur.h.gen + NANO_GEN_PUSH;
		if (nano_dwcas(&m->head.raw, &cur.raw, nxt.raw)) {
			nano_note_push(m, nxt.h.gen);
			__atomic_fetch_add(&m->adj_pushes, 1, __ATOMIC_RELAXED);
			return true;
		}
	}
	return false;
}

/* Is p on its class's free list? Detach the whole list with one swap, walk
 * the detached chain privately (never a list other threads are popping, whose
 * blocks may be user memory again), push it back. Only reached when a freed
 * block's first word already holds its guard value. */
__attribute__((noinline, cold))
bool nano_list_holds(struct nano_meta *m, uint64_t p)
{
	uint64_t chain = nano_list_detach(m), last = 0;
	bool found = false;
	for (uint64_t b = chain; b; b = nano_load_relaxed(&((uint64_t *)b)[1])) {
		found |= b == p;
		last = b;
	}
	if (chain)
		nano_list_push_chain(m, chain, last);
	return found;
}

/* ========================================================================
 * Bump allocation and growth
 * ====================================================================== */

uint64_t nano_carved(const struct nano_meta *m, unsigned mag, unsigned slot)
{
	const struct nano_class *c = &nano_z.cls[slot];
	uint64_t bands = __atomic_load_n(&m->bands, __ATOMIC_ACQUIRE);
	uint64_t first = __atomic_load_n(&m->first, __ATOMIC_RELAXED);
	uint64_t b = __atomic_load_n(&m->bump, __ATOMIC_RELAXED);
	uint64_t end;
	if (!bands)
		return 0;
	end = nano_bump_valid(m, b, mag, slot) && b >= first ? b
	      : (first & ~(NANO_AREA_SIZE - 1)) + c->limit;
	return __atomic_load_n(&m->carved_prev, __ATOMIC_RELAXED) + (end - first) / c->size;
}

/* A little address entropy: the first band of a class starts at a random
 * block, below 1/16 of the area. */
static uint64_t nano_first_offset(unsigned mag, unsigned slot)
{
	const struct nano_class *c = &nano_z.cls[slot];
	uint64_t x = nano_z.cookie ^ ((uint64_t)(mag * NANO_SLOTS + slot + 1) * 0x9e3779b97f4a7c15ull);
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	return x % (c->limit / c->size / 16 + 1) * c->size;
}

/* Under the magazine's lock: make area (mag, band, slot) usable. Its chunk
 * (2^chunk_log2 neighbouring areas) is committed already when a class of the
 * chunk has reached this band (classes grow one band at a time, each under
 * this lock). 0, or -1 when the kernel refused. */
static int nano_commit_area(unsigned mag, uint64_t band, unsigned slot)
{
	const unsigned k = nano_z.chunk_log2;
	const unsigned s0 = slot >> k << k;
	struct nano_mag *g = &nano_z.mags[mag];
	for (unsigned s = s0; s < s0 + (1u << k); s++)
		if (nano_z.meta[mag][s].bands > band)
			return 0;
	if (nano_commit((void *)nano_area_addr(mag, band, s0), NANO_AREA_SIZE << k) != 0)
		return -1;
	__atomic_store_n(&g->committed, g->committed + (NANO_AREA_SIZE << k), __ATOMIC_RELAXED);
	return 0;
}

/* Under the magazine's lock, for an exhausted class: put bump back at the end
 * of its last area (0 when it never had one), undoing the fetch-adds of
 * threads that were past nano_bump's test when the class ran out. */
static void nano_park(struct nano_meta *m, unsigned slot)
{
	const struct nano_class *c = &nano_z.cls[slot];
	__atomic_store_n(&m->bump, m->bands ? (m->first & ~(NANO_AREA_SIZE - 1)) + c->limit : 0,
			 __ATOMIC_RELEASE);
}

/* Under the magazine's lock: the class cannot grow. Mark it, park bump,
 * count it, and say so when asked to. */
static void nano_exhaust(struct nano_meta *m, unsigned mag, unsigned slot, const char *why)
{
	const struct nano_class *c = &nano_z.cls[slot];
	__atomic_store_n(&m->exhausted, 1, __ATOMIC_RELAXED);
	nano_park(m, slot);
	__atomic_fetch_add(&nano_z.exhausted_classes, 1, __ATOMIC_RELAXED);
	if (nano_z.verbose) {
		struct nano_msg msg = { 0 };
		nano_msg_str(&msg, "nano: magazine ");
		nano_msg_u64(&msg, mag);
		nano_msg_str(&msg, ", class ");
		nano_msg_u64(&msg, c->size);
		nano_msg_str(&msg, " B exhausted (");
		nano_msg_str(&msg, why);
		nano_msg_str(&msg, "): its requests go to the helper\n");
		nano_msg_flush(&msg, 2);
	}
}

/* Under the magazine's lock: move the class to its next band. Returns 1 with
 * the new area's first block in *out, 0 when another thread already grew the
 * class (retry), -1 when the class is exhausted (helper). */
static int nano_grow(struct nano_meta *m, unsigned mag, unsigned slot, uint64_t *out)
{
	const struct nano_class *c = &nano_z.cls[slot];
	struct nano_mag *g = &nano_z.mags[mag];
	uint64_t band, area, first;
	int r = 1;

	pthread_mutex_lock(&g->lock);
	band = m->bands;
	if (m->exhausted) {
		nano_park(m, slot);
		r = -1;
	} else if (nano_bump_valid(m, __atomic_load_n(&m->bump, __ATOMIC_RELAXED), mag, slot)) {
		r = 0;
	} else if (band > nano_z.band_mask) {
		nano_exhaust(m, mag, slot, "every band used");
		r = -1;
	} else if (nano_commit_area(mag, band, slot) != 0) {
		nano_exhaust(m, mag, slot, "the kernel refused to commit memory");
		r = -1;
	} else {
		area = nano_area_addr(mag, band, slot);
		first = area + (band == 0 ? nano_first_offset(mag, slot) : 0);
		if (band == 0)
			m->first0 = first;
		if (band > 0) {
			uint64_t prev_end = (m->first & ~(NANO_AREA_SIZE - 1)) + c->limit;
			__atomic_store_n(&m->carved_prev, m->carved_prev + (prev_end - m->first) / c->size,
					 __ATOMIC_RELAXED);
		}
		__atomic_store_n(&m->first, first, __ATOMIC_RELAXED);
		__atomic_store_n(&m->bands, band + 1, __ATOMIC_RELEASE);
		__atomic_store_n(&m->bump, first + c->size, __ATOMIC_RELEASE);
		*out = first;
	}
	pthread_mutex_unlock(&g->lock);
	return r;
}

/* One fresh block, or NULL once the class is exhausted. The flag is tested
 * before every fetch-add, so an exhausted class's bump pointer moves at most
 * once per thread that was already past the test, and the grower parks it
 * again. */
void *nano_bump(struct nano_meta *m, unsigned mag, unsigned slot)
{
	const uint64_t size = nano_z.cls[slot].size;
	for (;;) {
		if (nano_unlikely(__atomic_load_n(&m->exhausted, __ATOMIC_RELAXED)))
			return NULL;
		uint64_t p = __atomic_fetch_add(&m->bump, size, __ATOMIC_ACQUIRE);
		if (nano_likely(nano_bump_valid(m, p, mag, slot)))
			return (void *)p;
		int r = nano_grow(m, mag, slot, &p);
		if (r > 0)
			return (void *)p;
		if (r < 0)
			return NULL;
	}
}

/* Up to want blocks from b on, if bump still is b: one CAS, never past the
 * end of b's area (no overshoot to undo). 0 when bump moved meanwhile. */
static unsigned nano_bump_take(struct nano_meta *m, const struct nano_class *c, uint64_t b,
			       unsigned want)
{
	uint64_t end = (b & ~(NANO_AREA_SIZE - 1)) + c->limit;
	uint64_t k = (end - b) / c->size;
	if (k > want)
		k = want;
	return k && __atomic_compare_exchange_n(&m->bump, &b, b + k * c->size, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE) ? (unsigned)k : 0;
}

/* A run of fresh blocks with one CAS. When the area is used up, v1's path
 * grows the class by one block, and the run continues from it when no other
 * thread carved in between. */
unsigned nano_bump_run(struct nano_meta *m, unsigned mag, unsigned slot, unsigned want,
		       uint64_t *first)
{
	const struct nano_class *c = &nano_z.cls[slot];
	for (;;) {
		uint64_t b = __atomic_load_n(&m->bump, __ATOMIC_ACQUIRE);
		unsigned k;
		if (!nano_bump_valid(m, b, mag, slot)) {
			void *p = nano_bump(m, mag, slot);
			if (!p)
				return 0;
			*first = (uint64_t)(uintptr_t)p;
			return want > 1 ? 1 + nano_bump_take(m, c, *first + c->size, want - 1) : 1;
		}
		if ((k = nano_bump_take(m, c, b, want)) != 0) {
			*first = b;
			return k;
		}
	}
}

/* ========================================================================
 * The v1 front (malloc and free pick it in nano_entry.h)
 * ====================================================================== */

/* First call of a thread that found the zone not ready: start it if nobody
 * has (through the top layer's hook, nano_z.lazy_start), then say whether
 * it serves. */
bool nano_ready_slow(void)
{
	if (__atomic_load_n(&nano_z.state, __ATOMIC_ACQUIRE) == NANO_UNINIT)
		nano_z.lazy_start();
	return nano_ready();
}

__attribute__((noinline))
static void *nano_malloc_slow(size_t size)
{
	if (nano_ready_slow()) {
		void *p = nano_alloc_v1(nano_size_to_slot(size));
		if (p)
			return p;
	}
	return nano_small_to_helper(size, false);
}

/* malloc with the faithful v1 front. */
__attribute__((noinline))
void *nano_malloc_v1(size_t size)
{
	if (nano_likely(size <= NANO_MAX_SIZE)) {
		if (nano_likely(nano_ready())) {
			void *p = nano_alloc_v1(nano_size_to_slot(size));
			if (nano_likely(p != NULL))
				return p;
		}
		return nano_malloc_slow(size);
	}
	return nano_z.helper.malloc(size);
}

/* Vet a block being freed and push it on its owner's list. */
static inline void nano_free_block(uint64_t p, uint64_t off)
{
	const unsigned mag = nano_off_mag(off);
	const unsigned slot = nano_off_slot(off);
	struct nano_meta *m = &nano_z.meta[mag][slot];
	const uint64_t guard = p ^ nano_z.cookie;
	uint64_t *w = (uint64_t *)p;

	if (nano_unlikely(!nano_vet(p, off, mag, slot)))
		nano_fatal("free of a pointer inside the nano region that nano did not allocate",
			   (void *)p);
	if (nano_unlikely(nano_load_relaxed(&w[0]) == guard) && nano_list_holds(m, p))
		nano_fatal("double free", (void *)p);
	nano_v1_push(p, mag, slot);
}

__attribute__((noinline))
void nano_free_v1(void *ptr)
{
	const uint64_t p = (uint64_t)(uintptr_t)ptr;
	const uint64_t off = p - nano_z.base;
	if (nano_unlikely(off >= nano_z.size)) {
		nano_free_foreign(ptr);
		return;
	}
	nano_free_block(p, off);
}

/* ========================================================================
 * Start-up and fork
 * ====================================================================== */

void nano_core_init(void)
{
	for (unsigned g = 0; g < NANO_MAX_MAGAZINES; g++)
		pthread_mutex_init(&nano_z.mags[g].lock, NULL);
}

void nano_core_atfork_prepare(void)
{
	for (unsigned g = 0; g < NANO_MAX_MAGAZINES; g++)
		pthread_mutex_lock(&nano_z.mags[g].lock);
}

void nano_core_atfork_release(void)
{
	for (unsigned g = 0; g < NANO_MAX_MAGAZINES; g++)
		pthread_mutex_unlock(&nano_z.mags[g].lock);
}

void *nano_small_to_helper(size_t size, bool zero)
{
	__atomic_fetch_add(&nano_z.helper_small, 1, __ATOMIC_RELAXED);
	return zero ? nano_z.helper.calloc(1, size) : nano_z.helper.malloc(size);
}
