/*
 * nano_internal.h - the nano zone's shared structures, documented field by
 * field, and the address arithmetic every part of the zone uses.
 *
 * Address layout (docs/nano.md §2), as an offset from the region base, low bits
 * first:
 *
 *     | mag (6) | band (band_bits) | slot (4) | offset in area (17) |
 *
 * The full layout has 17 band bits and sits at 0x6000_0000_0000, so the region
 * is 2^44 bytes = 16 TiB and, as on macOS, the pointer's top bits read 0x6. The
 * small layout has fewer band bits and sits at any 2 MiB-aligned address (used
 * when 16 TiB cannot be reserved: ThreadSanitizer, ulimit -v, 39-bit aarch64
 * kernels). Either way "is this ours" is `(ptr - base) < size`: one subtract,
 * one compare.
 *
 * A band is 2 MiB of one magazine: 16 areas of 128 KiB, one per size class.
 * Class s of magazine g grows by moving to area s of the next band. Memory is
 * committed (mprotect) in chunks of 2^chunk_log2 neighbouring areas of a band,
 * the first time a class of the chunk needs it: the whole band (fewest
 * mappings) unless a data limit makes unused areas count against the program
 * (nano_zone.c, nano_chunk_init).
 *
 * Exhaustion. A class that cannot grow (its last band is used, or a commit was
 * refused) is "exhausted": its requests go to the helper from then on. Its
 * bump pointer is parked at the end of its last area and never advances
 * again, so vetting, the carved count and relief stay exact, and a bump value
 * is only ever accepted inside an area the class has reached
 * (nano_bump_valid): a pointer nano hands out is always a block nobody else
 * holds.
 */
#ifndef NANO_INTERNAL_H
#define NANO_INTERNAL_H

#include "nano.h"
#include "nano_prim.h"

#include <pthread.h>

#define NANO_OFFSET_BITS 17
#define NANO_SLOT_BITS 4
#define NANO_MAG_BITS 6
#define NANO_BAND_BITS_FULL 17
#define NANO_AREA_SIZE ((uintptr_t)1 << NANO_OFFSET_BITS)              /* 128 KiB */
#define NANO_BAND_SIZE ((uintptr_t)1 << (NANO_OFFSET_BITS + NANO_SLOT_BITS)) /* 2 MiB */
#define NANO_FULL_BASE ((uintptr_t)0x6 << 44)
#define NANO_GEN_PUSH ((uint64_t)1 << 32)

/* ------------------------------------------------------------------------
 * Per (magazine, size class) metadata: 128 bytes, two cache lines.
 *
 * Line 0 is touched by every allocation and free of the class:
 *   head      the LIFO free list: {first free block, generation}, replaced
 *             as a whole with a double-width CAS. The generation counts the
 *             list's successful updates in two halves: +1 for a pop (low 32
 *             bits) and +2^32 for a push (high 32 bits), so it is both the ABA
 *             protection (every update changes it) and an exact, free count of
 *             pops and pushes. A carry out of either half is recorded in
 *             pop_wraps / push_wraps (once per 2^32 operations).
 *   bump      next never-used block; advanced with fetch-add, so it may run
 *             past the end of its area (an "overshoot", recognised by
 *             nano_bump_valid()); parked at the area's end, and never
 *             advanced again, once the class is exhausted.
 *
 * Line 1 is written only under the magazine's grow lock or by rare events:
 *   first       first block of the current band's area (where bump started)
 *   bands       bands this class has used (its current band is bands - 1)
 *   carved_prev blocks carved in the bands before the current one
 *   exhausted   the class cannot grow (every band used, or a commit refused):
 *               all later requests go to the helper, and bump stays parked
 *   adj_pops, adj_pushes   generation steps that were not user allocations or
 *               frees (the double-free scan and pressure relief detach a list
 *               and push it back); subtracted from the counts
 *   retired     blocks taken off the free list for good by pressure relief
 *   first0      first block of band 0 (blocks before it are never carved)
 * ---------------------------------------------------------------------- */

union nano_head {
	nano_u128 raw;
	struct {
		uint64_t ptr;
		uint64_t gen;
	} h;
};

struct nano_meta {
	/* line 0 */
	union nano_head head __attribute__((aligned(64)));
	uint64_t bump;
	uint64_t pop_wraps;
	uint64_t push_wraps;
	char pad0[64 - 16 - 3 * 8];
	/* line 1 */
	uint64_t first;
	uint64_t bands;
	uint64_t carved_prev;
	uint64_t exhausted;
	uint64_t adj_pops;
	uint64_t adj_pushes;
	uint64_t retired;
	uint64_t first0;
};

_Static_assert(sizeof(struct nano_meta) == 128, "two cache lines per (magazine, class)");

/* Per magazine: the grow lock and the bytes committed so far (atomic
 * reads; written under the lock). */
struct nano_mag {
	pthread_mutex_t lock;
	uint64_t committed;
	char pad[64 - sizeof(pthread_mutex_t) % 64];
};

/* Per size class, read-only after start-up (shared by every magazine):
 *   size        block size, 16 * (slot + 1)
 *   limit       usable bytes of an area: the largest multiple of size <= 128 KiB
 *   inv, shift, div_max   the divisibility test `off % size == 0` as
 *               rotr(off * inv, shift) <= div_max, where size = odd << shift,
 *               inv is the inverse of odd mod 2^64, div_max = (2^64-1)/size.
 *               One multiply instead of a division (Hacker's Delight 10-17).
 */
struct nano_class {
	uint64_t size;
	uint64_t limit;
	uint64_t inv;
	uint64_t div_max;
	unsigned shift;
};

enum { NANO_UNINIT = 0, NANO_INITIALISING = 1, NANO_READY = 2, NANO_FAILED = 3 };

/* The zone. One instance, in .bss; nothing in it is ever malloc'ed.
 *   base, size     the region; "ours" is (p - base) < size
 *   mag_shift      21 + band_bits: offset >> mag_shift is the magazine
 *   band_mask      (1 << band_bits) - 1
 *   cookie         secret for guard words (guard = block address ^ cookie)
 *   state          0 not initialised, 1 initialising, 2 ready, 3 failed
 *                  (helper only)
 *   chunk_log2     areas per commit, log2 (0: one area .. 4: a whole band)
 *   verbose        NANO_VERBOSE: say on stderr when a class is exhausted
 *   map            the CPU -> magazine table in effect
 *   lazy_start     starts the zone from the environment (nano_zone.c): how
 *                  the first malloc of a program, in the core, reaches the
 *                  top layer without calling up into it
 */
struct nano_zone {
	uint64_t base;
	uint64_t size;
	unsigned band_bits;
	unsigned mag_shift;
	uint64_t band_mask;
	uint64_t cookie;
	int state;
	unsigned chunk_log2;
	int verbose;
	const char *layout;
	const char *source;
	uint64_t fingerprint;
	struct nano_helper helper;
	struct nano_magmap map;
	void (*lazy_start)(void);
	struct nano_class cls[NANO_SLOTS];
	struct nano_mag mags[NANO_MAX_MAGAZINES];
	struct nano_meta meta[NANO_MAX_MAGAZINES][NANO_SLOTS];
	uint64_t helper_small;      /* atomic: small requests nano did not serve */
	uint64_t exhausted_classes; /* atomic: (magazine, class) pairs exhausted */
	uint64_t relief_bytes;      /* atomic */
};

extern struct nano_zone nano_z __attribute__((visibility("hidden")));

/* ------------------------------------------------------------------------
 * Address arithmetic
 * ---------------------------------------------------------------------- */

static inline unsigned nano_size_to_slot(size_t size)
{
	/* 0 and 1..16 -> 0, 17..32 -> 1, ..., 241..256 -> 15 */
	return (unsigned)((size - (size != 0)) >> 4);
}

static inline unsigned nano_off_slot(uint64_t off)
{
	return (unsigned)(off >> NANO_OFFSET_BITS) & ((1u << NANO_SLOT_BITS) - 1);
}

static inline unsigned nano_off_mag(uint64_t off)
{
	return (unsigned)(off >> nano_z.mag_shift);
}

static inline uint64_t nano_off_band(uint64_t off)
{
	return (off >> (NANO_OFFSET_BITS + NANO_SLOT_BITS)) & nano_z.band_mask;
}

static inline uint64_t nano_area_addr(unsigned mag, uint64_t band, unsigned slot)
{
	return nano_z.base + ((uint64_t)mag << nano_z.mag_shift) + band * NANO_BAND_SIZE +
	       ((uint64_t)slot << NANO_OFFSET_BITS);
}

/* Is a bump value a block class (mag, slot) may hand out? Inside the region,
 * in an area of this magazine and class in a band the class has reached, and
 * wholly below the area's limit. A bump pointer that ran past the end of its
 * area (threads racing a grower) lands in another class's area, a band not
 * reached yet, another magazine or outside the region: never accepted,
 * however far it ran. bands is read after the fetch-add that produced p, so
 * a block of the current band always passes. */
static inline bool nano_bump_valid(const struct nano_meta *m, uint64_t p, unsigned mag,
				   unsigned slot)
{
	uint64_t off = p - nano_z.base;
	return off < nano_z.size && nano_off_mag(off) == mag && nano_off_slot(off) == slot &&
	       (off & (NANO_AREA_SIZE - 1)) + nano_z.cls[slot].size <= nano_z.cls[slot].limit &&
	       nano_off_band(off) < __atomic_load_n(&m->bands, __ATOMIC_ACQUIRE);
}

/* off % size == 0 for the area offset of a block, with one multiply. */
static inline bool nano_divisible(uint64_t area_off, const struct nano_class *c)
{
	uint64_t q = area_off * c->inv;
	q = (q >> c->shift) | (q << ((64 - c->shift) & 63));
	return q <= c->div_max;
}

/* Pointer vetting (docs/nano.md §2): the block lies in the region (caller
 * checked), sits on the class's block grid (so it is 16-byte aligned) and below
 * the class's bump pointer (never handed out otherwise). */
static inline bool nano_vet(uint64_t p, uint64_t off, unsigned mag, unsigned slot)
{
	const struct nano_class *c = &nano_z.cls[slot];
	/* 16-byte alignment needs no test of its own: areas are 128 KiB aligned
	 * and every class size is a multiple of 16, so a block on the grid is. */
	if (!nano_divisible(off & (NANO_AREA_SIZE - 1), c))
		return false;
	if ((off & (NANO_AREA_SIZE - 1)) + c->size > c->limit)
		return false;
	return p < __atomic_load_n(&nano_z.meta[mag][slot].bump, __ATOMIC_RELAXED);
}

static inline unsigned nano_cpu_mag(void)
{
	return nano_magmap_lookup(&nano_z.map, nano_cpu());
}

/* ------------------------------------------------------------------------
 * Between the zone's files
 * ---------------------------------------------------------------------- */

/* nano_config.c: sysfs and environment */
int nano_topo_from_sysfs(struct nano_topo *t);

/* nano_stats.c: thread-local counters of the contended and remote paths */
void nano_stats_init(void);
void nano_stats_count_retry_pop(unsigned mag, unsigned slot);
void nano_stats_count_retry_push(unsigned mag, unsigned slot, unsigned n);
void nano_stats_count_remote(unsigned mag, unsigned slot);
void nano_stats_atfork_prepare(void);
void nano_stats_atfork_parent(void);
void nano_stats_atfork_child(void);

/* nano_relief.c */
void nano_relief_atfork_prepare(void);
void nano_relief_atfork_release(void);

#endif
