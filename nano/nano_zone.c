/*
 * nano_zone.c - the nano zone: region, magazines, allocation and free.
 *
 * Design (NANO_V1.md 2-7). All blocks live in one reserved region; a block's
 * address encodes its magazine, band and size class, so free needs no lookup.
 * Each (magazine, class) has a LIFO free list of freed blocks and a bump
 * pointer into its current band's area.
 *
 * malloc: magazine = table[cpu], pop the list with one double-width CAS; the
 *   popped block passes "free-list diligence" (signature, magazine, class,
 *   grid, guard word) or the process aborts; if the list is empty, carve a
 *   block with one fetch-add on the bump pointer; when the area is used up,
 *   the magazine's grow lock is taken, the state re-checked, and the class
 *   moves to the same area of its next band (committing the band first if no
 *   other class of the magazine has). A class that has used all its bands is
 *   "exhausted" and sends its requests to the helper allocator.
 * free: vet the pointer (region, alignment, grid, below the bump pointer);
 *   if its first word already holds the guard value it may be a double free:
 *   detach the class's list, scan it privately, push it back; then write the
 *   guard and push the block on the list of the magazine encoded in the
 *   pointer, wherever the caller runs.
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
 * same with its limit field. The request, and every later one of the class,
 * goes to the helper; NULL reaches the caller only when the helper fails too.
 *
 * Under limits the layout shrinks to fit (nano_region_init): with `ulimit -v`
 * the reservation takes at most an eighth of the address-space limit (sized
 * for the magazines the CPU table uses), and with `ulimit -d` memory is
 * committed area by area rather than band by band, so that one busy class
 * does not charge 2 MiB of the data limit per 128 KiB it uses.
 *
 * There is no per-thread state: a thread that migrates simply uses the other
 * CPU's magazine on its next call.
 */
#include "nano_internal.h"
#include "nano_msg.h"
#include "nano_entry.h"

#include <errno.h>
#include <string.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

enum { NANO_UNINIT = 0, NANO_INITIALISING = 1, NANO_READY = 2, NANO_FAILED = 3 };

struct nano_zone nano_z = {
	.helper = {
		.malloc = __libc_malloc,
		.calloc = __libc_calloc,
		.realloc = __libc_realloc,
		.free = __libc_free,
		.memalign = __libc_memalign,
	},
	.layout = "none",
	.source = "default",
};

#if NANO_STATS
#define NANO_COUNT(stmt) do { stmt; } while (0)
#else
#define NANO_COUNT(stmt) do { } while (0)
#endif

/* ========================================================================
 * Start-up
 * ====================================================================== */

static void nano_classes_init(void)
{
	for (unsigned s = 0; s < NANO_SLOTS; s++) {
		struct nano_class *c = &nano_z.cls[s];
		uint64_t odd, inv;
		c->size = NANO_QUANTUM * (s + 1);
		c->limit = NANO_AREA_SIZE / c->size * c->size;
		c->shift = (unsigned)__builtin_ctzll(c->size);
		odd = c->size >> c->shift;
		inv = odd;                       /* Newton: each step doubles the good bits */
		for (int i = 0; i < 5; i++)
			inv *= 2 - odd * inv;
		c->inv = inv;
		c->div_max = UINT64_MAX / c->size;
	}
}

static void nano_layout_set(uint64_t base, unsigned band_bits, unsigned nmags, const char *name)
{
	nano_z.base = base;
	nano_z.band_bits = band_bits;
	nano_z.mag_shift = NANO_OFFSET_BITS + NANO_SLOT_BITS + band_bits;
	nano_z.band_mask = ((uint64_t)1 << band_bits) - 1;
	nano_z.size = (uint64_t)nmags << nano_z.mag_shift;
	nano_z.layout = name;
}

/* The full layout at its fixed base, else the largest small layout that can
 * be reserved anywhere. band_bits 0 asks for that search; 1..17 forces a
 * small layout of at most that many band bits. The small layout covers only
 * the magazines the CPU table uses. An address-space limit caps the
 * reservation at an eighth of it (the program needs the rest); below one band
 * per class and magazine nano serves nothing. */
static int nano_region_init(unsigned band_bits)
{
	const uint64_t full_size = (uint64_t)NANO_MAX_MAGAZINES
				   << (NANO_OFFSET_BITS + NANO_SLOT_BITS + NANO_BAND_BITS_FULL);
	const uint64_t as = nano_limit_as();
	const uint64_t budget = as == UINT64_MAX ? UINT64_MAX : as / 8;
	const unsigned nmags = nano_z.map.nmags ? nano_z.map.nmags : 1;

	if (band_bits == 0 && full_size <= budget && nano_reserve(NANO_FULL_BASE, full_size, 0, true)) {
		nano_layout_set(NANO_FULL_BASE, NANO_BAND_BITS_FULL, NANO_MAX_MAGAZINES, "full");
		return 0;
	}
	for (int bb = band_bits ? (int)band_bits : NANO_BAND_BITS_FULL; bb >= 0; bb--) {
		uint64_t size = (uint64_t)nmags << (NANO_OFFSET_BITS + NANO_SLOT_BITS + bb);
		if (size > budget)
			continue;
		void *p = nano_reserve(0, size, NANO_BAND_SIZE, false);
		if (p) {
			nano_layout_set((uint64_t)(uintptr_t)p, (unsigned)bb, nmags, "small");
			return 0;
		}
	}
	return -1;
}

/* How many areas one commit makes usable. Without a data limit, a whole band
 * (neighbouring bands of a magazine merge into one mapping). With one, every
 * committed byte counts against the program, so commit as little as the
 * kernel's map-count limit allows: a class carved across N areas costs up to
 * two mappings per committed chunk, and at most half of the limit goes to
 * nano. */
static void nano_chunk_init(void)
{
	const uint64_t data = nano_limit_data();
	const uint64_t maps = nano_limit_maps();
	unsigned k = 0;
	if (data == UINT64_MAX) {
		nano_z.chunk_log2 = NANO_SLOT_BITS;
		return;
	}
	while (k < NANO_SLOT_BITS && (data / (NANO_AREA_SIZE << k)) * 2 > maps / 2)
		k++;
	nano_z.chunk_log2 = k;
}

static void nano_atfork_prepare(void);
static void nano_atfork_parent(void);
static void nano_atfork_child(void);

/* cfg NULL: the settings come from the environment and NANO_PROFILE, read
 * here, after the state change, so only the thread that starts the zone reads
 * them (and warns about them). */
static int nano_zone_start(const struct nano_config *cfg, const char *source)
{
	static const char *const env_sources[] = { "default", "env", "profile", "profile+env" };
	static struct nano_topo topo;     /* 7 KiB: keep it off the stack */
	static struct nano_config env;
	int expected = NANO_UNINIT;

	if (!__atomic_compare_exchange_n(&nano_z.state, &expected, NANO_INITIALISING, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return -1;
	if (!cfg) {
		source = env_sources[nano_config_from_env(&env) & 3];
		cfg = &env;
	}
	if (cfg->helper)
		nano_z.helper = *cfg->helper;
	nano_z.source = source;
	nano_prim_init();
	nano_classes_init();
	nano_z.cookie = nano_random64();

	if (cfg->topo)
		topo = *cfg->topo;
	else
		nano_topo_from_sysfs(&topo);
	nano_z.fingerprint = nano_topo_fingerprint(&topo);
	if (nano_magmap_build(&nano_z.map, &topo, cfg->map, cfg->hyper_shift, cfg->max_magazines) != 0)
		nano_magmap_build(&nano_z.map, &topo, NANO_MAP_SHIFT, -1, 0);

	for (unsigned g = 0; g < NANO_MAX_MAGAZINES; g++)
		pthread_mutex_init(&nano_z.mags[g].lock, NULL);
	nano_z.verbose = cfg->verbose;
	nano_chunk_init();
	if (nano_region_init(cfg->band_bits) != 0) {
		if (nano_z.verbose)
			nano_warn("region", "reserve",
				  "possible (no address space, or ulimit -v too low); nano serves nothing");
		__atomic_store_n(&nano_z.state, NANO_FAILED, __ATOMIC_RELEASE);
		return -1;
	}
	/* pthread_atfork may allocate: while we are INITIALISING, that request
	 * goes to the helper, which is exactly right. */
	pthread_atfork(nano_atfork_prepare, nano_atfork_parent, nano_atfork_child);
	nano_stats_init();
	nano_front_init(cfg);
	__atomic_store_n(&nano_z.state, NANO_READY, __ATOMIC_RELEASE);
	/* Only now: a thread that sees the front on sees a ready zone. */
	nano_front_start();
	return 0;
}

int nano_zone_init(const struct nano_config *cfg)
{
	return nano_zone_start(cfg, cfg ? "config" : NULL);
}

static inline bool nano_ready(void)
{
	return nano_likely(__atomic_load_n(&nano_z.state, __ATOMIC_ACQUIRE) == NANO_READY);
}

/* First call of a thread that found the zone not ready: start it if nobody
 * has, then say whether it serves. */
static bool nano_ready_slow(void)
{
	if (__atomic_load_n(&nano_z.state, __ATOMIC_ACQUIRE) == NANO_UNINIT)
		nano_zone_init(NULL);
	return nano_ready();
}

/* ========================================================================
 * Free lists
 * ====================================================================== */

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

__attribute__((noinline, cold))
static void nano_pop_retry(unsigned mag, unsigned slot)
{
	NANO_COUNT(nano_stats_count_retry_pop(mag, slot));
	(void)mag;
	(void)slot;
}

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
		nano_pop_retry(mag, slot);
	}
	(void)mag;
	(void)slot;
	return 0;
}

/* A failed push CAS: count it (out of line, so the loop keeps its operands
 * in registers). */
__attribute__((noinline, cold))
static void nano_push_retry(unsigned mag, unsigned slot)
{
	NANO_COUNT(nano_stats_count_retry_push(mag, slot, 1));
	(void)mag;
	(void)slot;
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
		nano_push_retry(mag, slot);
	}
	nano_note_push(m, nxt.h.gen);
}

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

/* Blocks carved so far in this class (racy but monotonic outside growth). */
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

/* ========================================================================
 * The fast paths
 * ====================================================================== */

/* One block of a class from the caller's magazine, or NULL (exhausted). */
static inline void *nano_alloc_v1(unsigned slot)
{
	unsigned mag = nano_cpu_mag();
	struct nano_meta *m = &nano_z.meta[mag][slot];
	uint64_t p = nano_list_pop(m, mag, slot);
	if (nano_likely(p))
		return nano_pop_check(p, mag, slot);
	return nano_bump(m, mag, slot);
}

/* The same through the rseq front when it is on (v1 when it cannot serve). */
static inline void *nano_alloc(unsigned slot)
{
#if NANO_FRONT_BUILT
	if (nano_front_on()) {
		void *p = nano_front_alloc_slow(slot);
		if (nano_likely(p != NULL))
			return p;
	}
#endif
	return nano_alloc_v1(slot);
}

static void *nano_small_to_helper(size_t size, bool zero)
{
	__atomic_fetch_add(&nano_z.helper_small, 1, __ATOMIC_RELAXED);
	return zero ? nano_z.helper.calloc(1, size) : nano_z.helper.malloc(size);
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

#if NANO_FRONT_BUILT
/* malloc with the rseq front on (the zone is ready then). A function of its
 * own, so that neither front's fast path pays for the other's registers. */
__attribute__((noinline))
void *nano_malloc_front_slow(size_t size, int cs)
{
	void *p;
	if (cs == NANO_CS_ABORT)
		nano_front_count_abort();
	if (size > NANO_MAX_SIZE)
		return nano_z.helper.malloc(size);
	p = nano_front_alloc_slow(nano_size_to_slot(size));
	return p ? p : nano_malloc_slow(size);
}

#endif

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

void *nano_malloc(size_t size)
{
	return nano_malloc_entry(size);
}

#if NANO_STATS
__attribute__((noinline, cold))
static void nano_note_remote(unsigned mag, unsigned slot)
{
	nano_stats_count_remote(mag, slot);
}
#endif

/* A freed block onto its owner's list, the v1 way: the v1 guard, one CAS,
 * and (statistics) whether the free was remote. */
static inline void nano_v1_push(uint64_t p, unsigned mag, unsigned slot)
{
	nano_store_relaxed((uint64_t *)p, p ^ nano_z.cookie);
	nano_list_push(&nano_z.meta[mag][slot], mag, slot, p);
	NANO_COUNT(if (nano_unlikely(nano_cpu_mag() != mag)) nano_note_remote(mag, slot));
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

#if NANO_FRONT_BUILT
__attribute__((noinline))
void nano_free_front_slow(uint64_t p, unsigned mag, unsigned slot, int cs)
{
	if (cs == NANO_CS_ABORT)
		nano_front_count_abort();
	if (!nano_front_put(p, mag, slot))
		nano_v1_push(p, mag, slot);
}

/* The second word is 0 or an address in the region: maybe a link, so the
 * first word decides (out of line, like every rare case of nano_free_front). */
__attribute__((noinline, cold))
void nano_free_front_suspect(uint64_t p, unsigned mag, unsigned slot)
{
	if (!nano_front_put_suspect(p, mag, slot))
		nano_v1_push(p, mag, slot);
}

#endif

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

void nano_free(void *ptr)
{
	nano_free_entry(ptr);
}

void nano_free_sized(void *ptr, size_t size)
{
	const uint64_t p = (uint64_t)(uintptr_t)ptr;
	const uint64_t off = p - nano_z.base;
	if (off >= nano_z.size) {
		if (ptr)
			nano_z.helper.free(ptr);
		return;
	}
	const unsigned mag = nano_off_mag(off);
	const unsigned slot = nano_off_slot(off);
	const uint64_t cls = nano_z.cls[slot].size;
	/* The size the caller last asked for: a malloc size rounds up to the
	 * class, and realloc keeps a block for any size above half of it. */
	if (nano_unlikely(size > cls || (cls > NANO_QUANTUM && size <= cls / 2)))
		nano_fatal("sized free with a size that does not match the block's class", ptr);
#if NANO_FRONT_BUILT
	if (nano_front_on()) {
		nano_front_free_put(p, p ^ nano_fr.cookie, mag, slot);
		return;
	}
#endif
	nano_v1_push(p, mag, slot);
}

/* ========================================================================
 * The rest of the malloc family
 * ====================================================================== */

void *nano_calloc(size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	if (total > NANO_MAX_SIZE)
		return nano_z.helper.calloc(n, size);
	if (nano_ready() || nano_ready_slow()) {
		unsigned slot = nano_size_to_slot(total);
		void *p = nano_alloc(slot);
		if (p) {
			memset(p, 0, nano_z.cls[slot].size);
			return p;
		}
	}
	return nano_small_to_helper(total, true);
}

size_t nano_size(const void *ptr)
{
	const uint64_t p = (uint64_t)(uintptr_t)ptr;
	const uint64_t off = p - nano_z.base;
	if (off >= nano_z.size)
		return 0;
	const unsigned mag = nano_off_mag(off);
	const unsigned slot = nano_off_slot(off);
	return nano_vet(p, off, mag, slot) ? nano_z.cls[slot].size : 0;
}

int nano_owns(const void *ptr)
{
	return (uint64_t)(uintptr_t)ptr - nano_z.base < nano_z.size;
}

void *nano_realloc(void *ptr, size_t size)
{
	size_t old;
	void *q;

	if (!ptr)
		return nano_malloc(size);
	if (!nano_owns(ptr)) {
		if (size && size <= NANO_MAX_SIZE)     /* v1: a foreign block stays foreign */
			__atomic_fetch_add(&nano_z.helper_small, 1, __ATOMIC_RELAXED);
		return nano_z.helper.realloc(ptr, size);
	}
	if (size == 0) {            /* glibc: free, return NULL */
		nano_free(ptr);
		return NULL;
	}
	old = nano_size(ptr);
	if (!old)
		nano_fatal("realloc of a pointer inside the nano region that nano did not allocate", ptr);
	if (size <= old && size > old / 2)
		return ptr;
	q = nano_malloc(size);
	if (!q)
		return NULL;
	memcpy(q, ptr, size < old ? size : old);
	nano_free(ptr);
	return q;
}

void *nano_memalign(size_t align, size_t size)
{
	if (size <= NANO_MAX_SIZE)           /* v1: aligned requests are never nano's */
		__atomic_fetch_add(&nano_z.helper_small, 1, __ATOMIC_RELAXED);
	return nano_z.helper.memalign(align, size);
}

/* ========================================================================
 * fork: hold every grow lock (and the relief and statistics locks) across
 * fork, so the child finds them consistent. The free lists need nothing: each
 * update is one CAS, so a list is always whole. What other threads had in
 * flight at fork (a chain detached by a double-free scan or relief) is lost
 * to the child: a leak, never a corruption.
 * ====================================================================== */

static void nano_atfork_prepare(void)
{
	nano_relief_atfork_prepare();
	for (unsigned g = 0; g < NANO_MAX_MAGAZINES; g++)
		pthread_mutex_lock(&nano_z.mags[g].lock);
	nano_stats_atfork_prepare();
}

static void nano_atfork_release(void)
{
	for (unsigned g = 0; g < NANO_MAX_MAGAZINES; g++)
		pthread_mutex_unlock(&nano_z.mags[g].lock);
	nano_relief_atfork_release();
}

static void nano_atfork_parent(void)
{
	nano_stats_atfork_parent();
	nano_atfork_release();
}

static void nano_atfork_child(void)
{
	nano_stats_atfork_child();
	nano_atfork_release();
}
