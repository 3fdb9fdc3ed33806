/*
 * nano_front.h - beyond v1: per-CPU caches in front of the nano zone, kept
 * with restartable sequences (NANO_FRONT=rseq; the runner's `nano-rseq`).
 *
 * Version 1 pays one double-width CAS on every malloc and every free. The
 * front keeps, per CPU and size class, a small array stack of free blocks
 * that only code running on that CPU touches, inside rseq critical sections:
 * plain loads and one committing store, which the kernel restarts (at the
 * abort handler) if the thread is preempted, migrated or signalled in the
 * middle. Behind the caches everything is v1: the magazines, the address
 * encoding, the lists, the guard words and their checks.
 *
 * Per CPU c and class s, one record of 1 KiB (struct nano_pslot):
 *   pops, pushes   monotonic counts of blocks taken from and put into the
 *                  cache; the cache holds pushes - pops blocks, in
 *                  blocks[0 .. pushes - pops). Each critical section commits
 *                  by storing one of them, so the counts are also exact
 *                  statistics at no cost.
 *   own            magazine + 1 whose blocks the cache may hold (the magazine
 *                  of c under the map in effect); 0 until the first refill on
 *                  c; NANO_PC_FENCED while pressure relief drains the cache.
 *   chain          remote chain: blocks freed on c that belong to magazine
 *                  chain_own (not c's), linked through their second word;
 *                  head address | length << 48 (addresses are below 2^47),
 *                  0 when empty. chain_tail is its last block.
 *
 * Ownership. A cache holds only blocks of its own magazine. The test is made
 * inside the push's critical section (own == block's magazine + 1): a thread
 * that migrates between deciding and pushing is restarted and re-tests on the
 * new CPU, so a foreign block never enters a cache.
 *
 * Operations (each is one critical section; rseq.c's inline assembly):
 *   pop     malloc: take blocks[count-1], commit pops + 1.
 *   push    local free: own matches and count < cap: blocks[count] = p,
 *           commit pushes + 1.
 *   chain   remote free: prepend p to c's chain if the chain is empty or
 *           belongs to p's magazine and is shorter than cap; commit chain.
 *   take    detach c's whole chain (commit chain = 0).
 *   popn    copy up to k blocks out, commit pops + n (flush and drain).
 *   pushn   copy up to k blocks in if own matches, commit pushes + n
 *           (refill).
 * Every section starts by checking that rseq gave a CPU number below
 * NANO_MAX_CPUS (an unregistered thread reads -1 or -2 and fails that) and
 * that the record is not fenced; a section that cannot run returns "fail"
 * and the caller takes the v1 path for that one operation.
 *
 * Guard words (which checks a block gets, and when). A free block of the
 * front carries a guard of its own, so that a double free whose first free
 * went into a cache or a chain is caught:
 *   - in a cache: the second word holds the cache guard (address ^ cookie);
 *     the first word is left to the user's data. The second word, because
 *     programs (and benchmarks) write the first bytes of a block just before
 *     freeing it, and a load of a word that a narrower store has just
 *     partly written cannot be forwarded from the store buffer: reading the
 *     first word at every free costs ~2.5 ns here, the second ~0.
 *   - in a chain, or on a list it reached through a chain: list format, the
 *     chain guard (address ^ cookie2) in the first word, the link in the
 *     second.
 *   - handed out by the front: the second word holds NANO_LIVE.
 *   - free (any path): region, grid and below-bump vetting as in v1. Then the
 *     second word: NANO_LIVE, the block is live (the common case, one
 *     compare); the cache guard: double free; 0 or an address inside the
 *     region (a link, or the user's data): the first word decides, the chain
 *     guard meaning double free and the v1 guard sending to v1's
 *     detach-and-scan. Then the block gets the cache guard and enters the
 *     cache, or the chain guard and a chain (or, on the v1 path, the v1 guard
 *     and its list).
 *   - malloc from a cache: the second word must still be the cache guard (a
 *     write after free into it is caught here), then becomes NANO_LIVE.
 *   - refill from a list: every detached block taken gets v1's free-list
 *     diligence (magazine, class, grid, below bump, and the v1 or the chain
 *     guard in the first word), then its first word is cleared.
 *   - flush and drain: blocks leave for the list in list format with the v1
 *     guard; a v1 pop accepts the v1 and the chain guard.
 *   - sized free is trusted, as in v1: no vetting and no double-free test.
 *
 * Pressure relief and statistics. Statistics read the counts with relaxed
 * loads (pops and pushes are exact; a chain's length is in its head word).
 * Relief must also get the blocks back: it fences a CPU's records
 * (own = NANO_PC_FENCED), then membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ)
 * on that CPU, which restarts any critical section running there; every
 * section that starts afterwards sees the fence and fails to the v1 path.
 * The records are then the drainer's alone: it moves cached and chained
 * blocks to their lists and unfences. Without membarrier (old kernels,
 * sandboxes) relief leaves the caches alone, which is safe: a block relief
 * does not hold counts as in use, so its page is never released.
 *
 * fork: caches and chains are consistent in the child (every update is one
 * store); relief, the only fencer, holds its lock across fork.
 */
#ifndef NANO_FRONT_H
#define NANO_FRONT_H

#include "nano_internal.h"

#if defined(__x86_64__) && NANO_HAVE_RSEQ
#define NANO_FRONT_BUILT 1
#else
#define NANO_FRONT_BUILT 0
#endif

#define NANO_PC_SLOT_BYTES 1024
#define NANO_PC_CPU_SHIFT 14                  /* 16 classes x 1 KiB per CPU */
#define NANO_PC_FENCED 0xffffffffu
#define NANO_CHAIN_LEN_SHIFT 48
/* The second word of a block the front hands out: a constant, so it says
 * nothing of the cookies or the heap; never a guard, a link or 0, which is
 * what a free block's second word holds. */
#define NANO_LIVE ((uint64_t)0x6f6e616e6576696cull)

struct nano_pslot {
	uint64_t pops;          /* +0 */
	uint64_t pushes;        /* +8 */
	uint32_t own;           /* +16 */
	uint32_t pad0;
	uint64_t chain;         /* +24 */
	uint64_t chain_tail;    /* +32 */
	uint32_t chain_own;     /* +40: the chain's magazine */
	uint32_t pad1;
	uint64_t pad2[10];      /* to 128: the blocks start on a line of their own */
	uint64_t blocks[NANO_FRONT_CAP_MAX];
};

_Static_assert(sizeof(struct nano_pslot) == NANO_PC_SLOT_BYTES, "1 KiB per CPU and class");
_Static_assert(NANO_SLOTS * NANO_PC_SLOT_BYTES == 1 << NANO_PC_CPU_SHIFT, "per-CPU stride");

/* Per (magazine, class) counts of the front's block movements, kept with
 * relaxed atomic adds on the rare paths. Together with the per-CPU pops and
 * pushes and v1's own counts they account for every block (nano_stats.c). */
struct nano_fmeta {
	uint64_t refills;       /* each handed one block to its caller */
	uint64_t refills_bump;
	uint64_t list_out;      /* blocks refills detached from the list */
	uint64_t bump_out;      /* blocks refills carved */
	uint64_t cache_in;      /* blocks refills put into a cache */
	uint64_t relist;        /* refill leftovers pushed back to the list */
	uint64_t flushes, flush_blocks;
	uint64_t chains, chain_blocks;      /* chains pushed onto this list */
	uint64_t drains, drain_blocks;      /* cached blocks drained to this list */
	uint64_t pad[4];
};

_Static_assert(sizeof(struct nano_fmeta) == 128, "two lines per (magazine, class)");

struct nano_front_state {
	char *pc;               /* NANO_MAX_CPUS records of 16 KiB (reserved) */
	uint64_t cookie;        /* cache guard (second word) = address ^ cookie */
	uint64_t cookie2;       /* chain guard (first word) = address ^ cookie2 */
	uint64_t cap, half;
	int on;                 /* 1 when the front serves (set last) */
	int ready;              /* prepared by nano_front_init */
	int drain;              /* membarrier RSEQ registered */
	const char *requested;
	const char *reason;
	uint32_t cpus;          /* 1 + highest CPU whose records were claimed */
	uint64_t aborts;        /* atomic */
	struct nano_fmeta fm[NANO_MAX_MAGAZINES][NANO_SLOTS];
};

extern struct nano_front_state nano_fr;

/* Start-up: nano_front_init prepares (before the zone is READY), then
 * nano_front_start turns the front on (after), so that a thread that sees it
 * on also sees a ready zone. */
void nano_front_init(const struct nano_config *cfg);
void nano_front_start(void);

static inline bool nano_front_on(void)
{
	return __atomic_load_n(&nano_fr.on, __ATOMIC_ACQUIRE) != 0;
}

/* Out of line, only reached when v1's guard test failed: a block that came
 * to a list through one of the front's chains carries the chain guard. */
bool nano_list_block_chained(uint64_t p, unsigned mag, unsigned slot);

/* Free-list diligence (NANO_V1.md 5.2), for v1's pop and the front's
 * refill alike: may p be a free block of (mag, slot)'s list? Region, grid,
 * below bump, and the v1 guard or the chain guard. */
static inline bool nano_list_block_ok(uint64_t p, unsigned mag, unsigned slot)
{
	uint64_t off = p - nano_z.base;
	/* off >> mag_shift == mag < 64 also proves p lies inside the region */
	return nano_likely(nano_off_mag(off) == mag && nano_off_slot(off) == slot &&
			   nano_vet(p, off, mag, slot) &&
			   nano_load_relaxed((uint64_t *)p) == (p ^ nano_z.cookie)) ||
	       nano_list_block_chained(p, mag, slot);
}

/* Slow paths of the inline fast paths in nano_rseq.h, in nano_front.c. */
void *nano_front_alloc_slow(unsigned slot);
bool nano_front_put(uint64_t p, unsigned mag, unsigned slot);
/* A free whose second word is neither NANO_LIVE nor the cache guard: decide
 * by the first word (double free or not), then put the block. false as for
 * nano_front_put. */
bool nano_front_put_suspect(uint64_t p, unsigned mag, unsigned slot);
void nano_front_count_abort(void);
__attribute__((noreturn)) void nano_front_corrupt(uint64_t p);

/* Pressure relief: move every cache's and chain's blocks to their lists
 * (needs membarrier; returns blocks moved, 0 without). Under relief's lock. */
uint64_t nano_front_drain_all(void);

/* Statistics of one (magazine, class): the front's share of its counts. */
struct nano_front_cell {
	uint64_t cache_pops, cache_pushes;  /* sums over the CPUs of the magazine */
	uint64_t chained;                   /* blocks now in chains owned by it */
};
void nano_front_cell(unsigned mag, unsigned slot, struct nano_front_cell *out);

#endif
