/*
 * nano.h - the nano zone: Apple's small-object allocator (version 1) on Linux.
 *
 * Blocks of 1..256 bytes come from one reserved address region in which the
 * address of a block says which magazine, 2 MiB band and 16-byte size class own
 * it (docs/nano.md §2). Each (magazine, size class) keeps a LIFO free list updated
 * with a double-width compare-and-swap; the magazine is picked per call by the
 * CPU number, there is no per-thread cache. Larger requests, every aligned
 * request, and anything nano cannot serve go to a helper allocator (by default
 * glibc's __libc_* functions).
 *
 * Everything in this header is safe to call from any thread at any time; the
 * zone initialises itself on first use with the defaults or the NANO_*
 * environment variables unless nano_zone_init() ran first.
 */
#ifndef NANO_H
#define NANO_H

#include <stddef.h>
#include <stdint.h>

#include "nano_magmap.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every function of this header is exported from libnano.so; the zone's
 * internals are hidden. */
#define NANO_API __attribute__((visibility("default")))

#define NANO_QUANTUM 16
#define NANO_MAX_SIZE 256
#define NANO_SLOTS 16

/* ------------------------------------------------------------------------
 * Configuration
 * ---------------------------------------------------------------------- */

/* Where the allocator sends what nano does not serve. Every function must
 * behave like its glibc namesake. */
struct nano_helper {
	void *(*malloc)(size_t size);
	void *(*calloc)(size_t n, size_t size);
	void *(*realloc)(void *p, size_t size);
	void (*free)(void *p);
	void *(*memalign)(size_t align, size_t size);
};

/* In-process configuration. Zero-initialised fields mean "default"; the
 * NANO_* environment variables are NOT read when a config is passed.
 *   hyper_shift     -1 default (from sysfs), else 0..16
 *   max_magazines   0 default, else 1..64
 *   map             NANO_MAP_SHIFT (the faithful default), _TOPOLOGY or _CPU
 *   band_bits       0 = full layout if it can be reserved; 1..17 forces the
 *                   small layout with at most that many band bits (fewer
 *                   when the address space does not allow them)
 *   helper          NULL = glibc's __libc_* functions
 *   topo            NULL = read sysfs; else use this machine description
 *   front           NANO_FRONT_V1 (the faithful zone, the default) or
 *                   NANO_FRONT_RSEQ (per-CPU caches in front of it, see
 *                   nano_front.h); rseq falls back to v1, and says why in
 *                   nano_settings.front_reason, where it cannot run
 *   front_cap       0 default (NANO_FRONT_CAP_DEFAULT), else
 *                   8..NANO_FRONT_CAP_MAX: the most blocks one CPU's cache
 *                   of a size class may grow to (caches start at 64 blocks,
 *                   or front_cap when smaller, and adapt to demand within a
 *                   per-CPU budget; see nano_front.h), and the size of a
 *                   CPU's remote buffer when below 128
 */
enum nano_front { NANO_FRONT_V1 = 0, NANO_FRONT_RSEQ = 1 };
#define NANO_FRONT_CAP_DEFAULT 1904
#define NANO_FRONT_CAP_MAX 1904
#define NANO_FRONT_CAP_MAX_STR "1904"

struct nano_config {
	int hyper_shift;
	int max_magazines;
	enum nano_map map;
	unsigned band_bits;
	const struct nano_helper *helper;
	const struct nano_topo *topo;
	enum nano_front front;
	unsigned front_cap;
	int verbose;    /* 1: one stderr line when a size class is exhausted */
};

/* Initialise the zone explicitly. Returns 0, or -1 when the zone was already
 * initialised (the call changes nothing then) or no region could be
 * reserved (every request then goes to the helper). Pass NULL for the
 * environment-driven defaults (nano_config_from_env, read once, by the
 * thread that starts the zone). */
NANO_API int nano_zone_init(const struct nano_config *cfg);

/* Fill cfg with the defaults, then apply the profile named by NANO_PROFILE
 * (written by `nanobench tune`; see nano_profile.h), then the NANO_*
 * environment variables (NANO_HYPER_SHIFT, NANO_MAX_MAGAZINES, NANO_MAG_MAP,
 * NANO_BAND_BITS, NANO_FRONT=v1|rseq, NANO_FRONT_CAP, NANO_VERBOSE=0|1), each of which overrides the profile's value for its own
 * field. A bad value gets a one-line warning on stderr and is ignored; so is
 * a profile that cannot be read, is malformed, or carries the fingerprint of
 * another topology (the whole profile is then ignored). An empty NANO_PROFILE
 * counts as unset. A profile that took effect sets cfg->topo to the machine
 * it was checked against (static storage: not reentrant while NANO_PROFILE
 * is set). Returns NANO_FROM_PROFILE | NANO_FROM_ENV for what took effect,
 * 0 for nothing. Used by nano_zone_init(NULL). */
#define NANO_FROM_ENV 1
#define NANO_FROM_PROFILE 2
NANO_API int nano_config_from_env(struct nano_config *cfg);
/* The defaults: hyper_shift -1, max_magazines 0, map shift, band_bits 0,
 * front v1, front_cap 0. */
NANO_API void nano_config_default(struct nano_config *cfg);

/* ------------------------------------------------------------------------
 * Allocation API (the malloc family's contracts, glibc flavour)
 * ---------------------------------------------------------------------- */

NANO_API void *nano_malloc(size_t size);
NANO_API void *nano_calloc(size_t n, size_t size);     /* NULL on n*size overflow */
/* v1 rules: NULL -> malloc; foreign -> helper; nano block kept when the new
 * size fits its class and is more than half of it; size 0 frees and returns
 * NULL (glibc's behaviour, not macOS's malloc(1)). */
NANO_API void *nano_realloc(void *p, size_t size);
NANO_API void nano_free(void *p);
/* Trusted sized free (free_definite_size): checks the region and that size
 * fits the class (at most the class size, and above half of it as a realloc
 * in place allows), skips vetting and the double-free scan. */
NANO_API void nano_free_sized(void *p, size_t size);
NANO_API void *nano_memalign(size_t align, size_t size);   /* always the helper */
/* Usable size of a nano block (its class size); 0 for a pointer nano does
 * not own (ask the helper about those). */
NANO_API size_t nano_size(const void *p);
/* 1 when p lies inside the nano region (owned or not), else 0. */
NANO_API int nano_owns(const void *p);

/* Return every page made only of free blocks to the OS (MADV_DONTNEED); the
 * blocks on those pages are retired for good. Returns bytes released. */
NANO_API size_t nano_pressure_relief(void);

/* ------------------------------------------------------------------------
 * Settings and statistics
 * ---------------------------------------------------------------------- */

/* The settings in effect. Strings are static. */
struct nano_settings {
	int ready;                  /* 1 once the zone serves requests */
	const char *layout;         /* "full" or "small" */
	unsigned band_bits;
	uintptr_t region_base;
	size_t region_size;
	unsigned hyper_shift;
	enum nano_map map;
	const char *map_name;
	unsigned nmags;             /* magazines in use by the table */
	unsigned ncpus;
	unsigned split_cores, shared_mags;
	uint64_t fingerprint;       /* of the topology the table came from */
	const char *source;         /* "default", "env", "config", "profile" or
				     * "profile+env" (a profile, then variables
				     * overriding some of its fields) */
	const char *cpu_source;     /* "rseq" or "getcpu" (for the calling thread) */
	int stats_compiled;         /* 0 when built with -Dnano_stats=false */
	const char *front;          /* front end in effect: "v1" or "rseq" */
	const char *front_requested;    /* what the configuration asked for */
	const char *front_reason;   /* why rseq was asked for but is not in
				     * effect ("" otherwise), e.g. "rseq is not
				     * registered (__rseq_size 0)" */
	unsigned front_cap;         /* the most a CPU cache of a class may hold
				     * (0 with the v1 front) */
	int front_drain;            /* 1 when relief can empty other CPUs'
				     * caches (membarrier RSEQ registered) */
};

NANO_API void nano_get_settings(struct nano_settings *out);

/* Counters of one (magazine, size class), or summed. All are monotonic totals
 * since start-up except in_use and free_blocks; subtract two snapshots for an
 * interval.
 *   allocs        blocks handed out by nano (list pops + bump)
 *   bump_allocs   of which carved fresh from a band
 *   frees         blocks given back (pushed on the owner's list, or, with
 *                 the rseq front, put into a CPU cache or a remote chain)
 *   remote_frees  of which freed on a CPU whose magazine is not the owner
 *                 (with the rseq front: every block that went into a remote
 *                 chain, plus the v1 path's when statistics are compiled in)
 *   retries_pop   failed CAS attempts while popping (contention)
 *   retries_push  failed CAS attempts while pushing
 *   in_use        allocs - frees
 *   free_blocks   free blocks: on the free list, and with the rseq front
 *                 also in CPU caches and remote chains
 *   retired       blocks whose pages pressure relief returned to the OS
 *   bands         bands this size class has used
 *   bytes_mapped  bands * 128 KiB (this class's share of committed bands)
 *   bytes_in_use  in_use * class size
 */
struct nano_counts {
	uint64_t allocs, bump_allocs, frees, remote_frees;
	uint64_t retries_pop, retries_push;
	uint64_t in_use, free_blocks, retired;
	uint64_t bands, bytes_mapped, bytes_in_use;
};

/* Whole-zone figures beside the per-class counts:
 *   small_requests   requests of 256 bytes or less that reached nano_malloc,
 *                    nano_calloc or nano_realloc (only counted when stats are
 *                    compiled in)
 *   helper_small     of which nano could not serve (exhausted, not ready)
 *   exhausted_classes  (magazine, class) pairs that can no longer grow (every
 *                    band used, or a commit refused): their requests go to
 *                    the helper
 *   committed_bytes  memory committed over all magazines (whole bands, or
 *                    single areas under a data limit)
 *   relief_bytes     released by pressure relief so far
 */
/* The rseq front's own figures (all zero with the v1 front), monotonic
 * except cached_blocks, chained_blocks and xfer_blocks:
 *   cache_allocs     mallocs served from a CPU's cache (hits)
 *   cache_frees      frees that went into the cache of the freeing CPU
 *   refills          empty caches refilled from the magazine (its transfer
 *                    stage, its list, or a run carved from its bump pointer)
 *   refill_blocks    blocks those refills put into caches
 *   refills_bump     of the refills, those carved from the bump pointer
 *   flushes, flush_blocks   full caches that moved half of themselves to
 *                    the magazine's transfer stage (one step each)
 *   chains, chain_blocks    remote hand-offs: blocks freed on a CPU of
 *                    another magazine, handed to their owner in groups (one
 *                    step per owner and full remote buffer, or by relief);
 *                    chain_blocks / chains is the mean group
 *   drains, drain_blocks    caches, remote buffers and transfer stages
 *                    emptied by pressure relief
 *   aborts           critical sections the kernel restarted (preemption,
 *                    migration or a signal inside one)
 *   v1_allocs, v1_frees     operations that took the v1 path although the
 *                    front is on (a thread without rseq, a CPU number beyond
 *                    the per-CPU table, a CPU being drained, a class exhausted)
 *   cached_blocks    blocks in the CPUs' caches now
 *   chained_blocks   blocks in remote buffers now
 *   xfer_blocks      blocks in the magazines' transfer stages now
 *   grows, shrinks   cache capacity changes (demand, idleness, budget)
 */
struct nano_front_counts {
	uint64_t cache_allocs, cache_frees;
	uint64_t refills, refill_blocks, refills_bump;
	uint64_t flushes, flush_blocks;
	uint64_t chains, chain_blocks;
	uint64_t drains, drain_blocks;
	uint64_t aborts;
	uint64_t v1_allocs, v1_frees;
	uint64_t cached_blocks, chained_blocks;
	uint64_t xfer_blocks, grows, shrinks;
};

struct nano_totals {
	struct nano_counts all;
	uint64_t small_requests, helper_small, exhausted_classes;
	uint64_t committed_bytes, relief_bytes;
	struct nano_front_counts front;
};

/* One (magazine, class) cell; returns -1 for out-of-range indices. */
NANO_API int nano_stats_cell(unsigned mag, unsigned slot, struct nano_counts *out);
/* Sums over every cell, and the zone figures. */
NANO_API void nano_stats_totals(struct nano_totals *out);
/* Write the statistics table (per magazine and class with activity, and the
 * totals) to fd with write(2). */
NANO_API void nano_stats_print(int fd);

#ifdef __cplusplus
}
#endif

#endif
