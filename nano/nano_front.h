/*
 * nano_front.h - beyond v1: per-CPU caches in front of the nano zone, kept
 * with restartable sequences (NANO_FRONT=rseq; the runner's `nano-rseq`).
 *
 * Version 1 pays one double-width CAS on every malloc and every free. The
 * front keeps, per CPU and size class, an array stack of free blocks that
 * only code running on that CPU touches, inside rseq critical sections:
 * plain loads and one committing store, which the kernel restarts (at the
 * abort handler) if the thread is preempted, migrated or signalled in the
 * middle. Behind the caches everything is v1's: the magazines, the address
 * encoding, the bump pointers, the lists and their checks (nano_core.h).
 *
 * Where free blocks live (each a stage of pointer arrays; no list is walked
 * on the way between them):
 *
 *   cache      per (CPU, class): blocks of the CPU's magazine, LIFO; malloc
 *              pops, a local free pushes.
 *   remote     per (CPU, class): a buffer of blocks freed on this CPU that
 *              belong to other magazines, any mix of them. A free whose
 *              push finds its block foreign pushes it here in a second
 *              section, still inline in free (nano_entry.h). Full, it is
 *              emptied in one critical section, grouped by owner, and each
 *              group appended to its owner's transfer stage in one locked
 *              step (however many magazines the hand-offs spread over, a
 *              group per owner, never a block at a time).
 *   transfer   per (magazine, class): a stack of block pointers under a
 *              mutex, between the magazine's CPUs and the remote buffers. A
 *              full cache moves half of itself there in one step (flush); an
 *              empty one takes up to half its capacity back (refill). Its
 *              array is reserved lazily (2^20 pointers) and committed 64 KiB
 *              at a time; beyond that, or when the kernel refuses memory,
 *              blocks overflow to the v1 list.
 *   v1 list    only when the front cannot serve an operation (no rseq on the
 *              thread, a CPU fenced by relief: the v1 path runs) and under
 *              memory pressure (relief drains every stage onto the lists, a
 *              transfer stage that cannot grow overflows). A refill takes
 *              from it, with v1's free-list diligence, only when the transfer
 *              stage is empty.
 *   bump       a refill that finds both empty carves up to half a cache with
 *              one CAS on the bump pointer, straight into the cache.
 *
 * The per-CPU slab (NANO_FS_CPU_SHIFT: 256 KiB of address space per CPU the
 * kernel may use, reserved at start-up): 16 class areas of 16 KiB - 64
 * (NANO_FS_CLS_BYTES: 16 KiB apart, the 16 headers of a CPU would share one
 * set of the L1 cache), each a header line (struct nano_pcls) followed by
 * NANO_FS_CACHE_MAX cache slots and NANO_FS_REMOTE_MAX remote slots, so that
 * a section reaches a slot from the header at a constant displacement. The
 * header holds the monotonic counts pops, pushes (the cache holds pushes -
 * pops blocks, in slots [0, pushes - pops)) and rpops, rpushes (the remote
 * buffer likewise), own (the CPU's magazine; NANO_PC_FENCED while relief
 * drains the CPU), cap and rcap (the capacities now; both 0 until a thread
 * first uses the CPU, which claims it: until then a pop finds the cache
 * empty and a push finds it full, and the slow paths claim). Every critical
 * section commits by storing one count, so the counts are also exact
 * statistics at no cost. Without a data limit the slabs are committed at
 * start-up (pages the kernel provides when first touched); under one, only
 * the page of each class area that holds its header, the rest at the
 * claim. Two more strides below CPU 0 hold read-only zero headers for the
 * cpu_id of a thread without rseq (-1, -2: the kernel's only negative
 * values): there a pop finds the cache empty, a push finds it full or
 * foreign and a remote push finds its buffer full (rcap 0), all before
 * writing anything, and the slow paths, which read
 * cpu_id themselves, send the operation to v1. The sections need no bounds
 * check of the CPU number.
 *
 * Capacity adapts per class (nano_front_adapt.c). A cache starts at
 * min(64, front_cap) blocks. A class that misses (refills or flushes) twice
 * since its last resize doubles, up to front_cap (NANO_FS_CACHE_MAX = 1904
 * by default), within a per-CPU budget: the sum over classes of capacity x
 * block size never exceeds NANO_FS_BUDGET (1.5 MiB, tcmalloc's default
 * per-CPU limit; 512 KiB until threadtest's batch of 10000 blocks, 1.36 MB
 * of nano sizes, was seen to pass through the transfer stage every round).
 * A class that needs more
 * takes it from classes at most a quarter as active since the last epoch
 * (one epoch = 64 misses on the CPU), which are halved; at each epoch a
 * class that did nothing since the previous one is halved (idle); relief
 * resets them all. A capacity only falls once the cache holds no more blocks
 * than the new capacity (a critical section on the CPU checks it and stores
 * the new cap), so the bound on cached bytes per CPU is hard: at most
 * NANO_FS_BUDGET in the caches, plus at most NANO_FS_REMOTE_MAX blocks per
 * class in the remote buffers (128 x 2176 bytes = 272 KiB), 1808 KiB in all.
 * A batch of 1000 blocks of one class (up to 256 bytes) fits a cache. The
 * transfer stages are not bounded by the budget: they hold what v1's lists
 * would (plus 8 bytes a block), and relief drains them.
 *
 * Ownership. A cache holds only blocks of its own magazine. The test is made
 * inside the push's critical section (own == the block's magazine): a thread
 * that migrates between deciding and pushing is restarted and re-tests on
 * the new CPU, so a foreign block never enters a cache. The section tests
 * the capacity before own: a CPU not yet claimed reads own 0 (magazine 0's
 * number) and cap 0, and a claim, which may run from another CPU, stores
 * own before cap, so a section that sees a capacity sees the new own. A transfer stage
 * holds only blocks of its magazine: a flush's and a refill's critical
 * sections check own against the stage's magazine.
 *
 * Operations (critical sections, nano_rseq.h): pop (malloc; it also
 * prefetches the block the next malloc of the class will take, and the one
 * at p + pahead, below), push (local free; it also prefetches the block at
 * p + ahead), rpush (remote free), popn (flush: the top of the cache into a
 * transfer stage's array), pushn (refill: the top of a transfer stage into
 * the cache), pushr (refill from the bump pointer: a run of fresh blocks),
 * rpopn (empty the remote buffer), setcap (lower a capacity). Every section
 * but pop checks, before it writes anything, that the CPU is not fenced; a
 * section that cannot run returns "fail" and the caller takes the v1 path
 * for that one operation.
 *
 * Streams of frees. A free reads its block's second word (the double-free
 * test below), and a program that frees many blocks it has not touched
 * since their malloc (a list torn down in the order it was built) pays a
 * miss on each: with one size class the hardware prefetcher follows the
 * addresses, with several classes interleaved it does not (16 classes of
 * 16..256 bytes, 1,000,000 blocks: 26-28 ns a free against 12-13 with the
 * blocks prefetched, 15 against 11 ns a malloc). Every flush (in such a
 * program, one every half capacity of frees) looks at the blocks it moves
 * out, in the order they were freed: when the last 32 steps between them
 * (at least 8) are at least 3 in 4 one stride d, 0 < |d| <=
 * NANO_FS_STRIDE_MAX, it sets the header's ahead to NANO_FS_AHEAD x d,
 * else to 0, and every push prefetches p + ahead, the block the stream's
 * free NANO_FS_AHEAD frees later will read (p itself, already loaded, when
 * 0). The blocks come back in the reverse order (a cache and a transfer
 * stage are stacks), and the malloc of a block reads its second word too
 * (the write-after-free test), so pahead = -ahead and every pop prefetches
 * p + pahead. The hints are per CPU and class; a stale value, or one
 * another CPU's flush wrote after a migration, only misdirects a prefetch.
 *
 * Guard words (which checks a block gets, and when). Every free block of the
 * front, in a cache, a remote buffer or a transfer stage, carries the free
 * guard (address ^ cookie) in its second word, written at its free; the first
 * word is left to the user's data (programs write the first bytes of a block
 * just before freeing it, and a load of a word that a narrower store has just
 * partly written cannot be forwarded from the store buffer: reading the first
 * word at every free costs ~2.5 ns here, the second ~0).
 *   - handed out by the front: the second word holds NANO_LIVE (never a
 *     guard, 0 or an address in the region, whatever the program then writes
 *     there).
 *   - free (any path): region, grid and below-bump vetting as in v1. Then the
 *     second word: the free guard is a double free, caught at once wherever
 *     the first free put the block; 0 or an address inside the region (maybe
 *     a link of v1's list, maybe the user's data): the first word decides,
 *     the v1 guard sending to v1's detach-and-scan. Anything else (NANO_LIVE,
 *     or the program's data) is a live block. Then the free guard, and the
 *     block enters the cache or the remote buffer (or, on the v1 path, gets
 *     the v1 guard and its list).
 *   - malloc from a cache: the second word must still be the free guard (a
 *     write after free into it, in any stage, is caught here), then becomes
 *     NANO_LIVE.
 *   - to a v1 list (overflow, drain): the free guard is checked, then the
 *     block takes list format (v1 guard, link); a v1 pop or a refill from the
 *     list gives it v1's free-list diligence.
 *   - sized free is trusted, as in v1: no vetting and no double-free test.
 *
 * Pressure relief and statistics. Statistics read the counts with relaxed
 * loads (exact once the threads are quiet); a remote buffer's blocks are
 * attributed to their owners by reading its slots. Relief must also get the
 * blocks back: it fences a CPU's headers (own = NANO_PC_FENCED), then
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) on that CPU, which
 * restarts any critical section running there; every section that starts
 * afterwards sees the fence and fails to the v1 path, except pop, which has
 * no fence test of its own: the drainer then sets pushes to 0, so that a pop
 * finds the count negative (empty), and calls membarrier once more, after
 * which no pop is in flight either and pops says which blocks are left. The
 * CPU's stages are then the drainer's alone: it moves cached and remote
 * blocks to their lists, restores pops and pushes (pops first; a pop loads
 * pushes first, so that it never pairs an old pops with the restored pushes
 * and reads a positive count), resets the capacities and unfences. Transfer
 * stages are drained under their mutexes, their pages given back. Without
 * membarrier (old kernels, sandboxes) relief leaves the caches and remote
 * buffers alone, which is safe: a block relief does not hold counts as in
 * use, so its page is never released.
 *
 * fork: caches and remote buffers are consistent in the child (every update
 * is one store); the transfer mutexes are held across fork; an adaptation
 * lock another thread held is reset in the child.
 */
#ifndef NANO_FRONT_H
#define NANO_FRONT_H

#include "nano_core.h"

#include <stddef.h>

#if defined(__x86_64__) && NANO_HAVE_RSEQ
#define NANO_FRONT_BUILT 1
#else
#define NANO_FRONT_BUILT 0
#endif

#define NANO_FS_CPU_SHIFT 18                 /* 256 KiB of address space per CPU */
#define NANO_FS_NEG_CPUS 2                   /* cpu_id -1 and -2: zero headers */
/* 16 KiB - 64 per class area: the 16 headers of a CPU fall in 16 different
 * sets of a 64-set L1 cache (a stride of 16 KiB would put them all in one,
 * and they would evict each other under any load that streams memory). */
#define NANO_FS_CLS_BYTES ((size_t)16320)
#define NANO_FS_REMOTE_MAX 128
#define NANO_FS_CACHE_MAX ((NANO_FS_CLS_BYTES - 64) / 8 - NANO_FS_REMOTE_MAX)  /* 1904 */
#define NANO_FS_BUDGET ((uint64_t)1536 << 10) /* sum of capacity x size per CPU */
#define NANO_FS_CAP_START 64
#define NANO_FS_EPOCH 64                      /* misses on a CPU between idle checks */
#define NANO_FS_AHEAD 8                       /* hints reach 8 frees (mallocs) ahead */
#define NANO_FS_STRIDE_MAX 1024               /* the largest stride followed, bytes */
#define NANO_PC_FENCED 0xffffffffu         /* own while relief drains the CPU */
/* The second word of a block the front hands out: a constant, so it says
 * nothing of the cookies or the heap; never a guard, a link or 0, which is
 * what a free block's second word holds. */
#define NANO_LIVE ((uint64_t)0x6f6e616e6576696cull)

_Static_assert(NANO_SLOTS * NANO_FS_CLS_BYTES <= (size_t)1 << NANO_FS_CPU_SHIFT,
	       "16 class areas per CPU stride");
_Static_assert(NANO_FRONT_CAP_MAX == NANO_FS_CACHE_MAX, "nano.h's cap limit is the slab's");

/* One (CPU, class) header: one cache line at the start of its class area,
 * all a fast path touches besides the slot it reads or writes. The critical
 * sections address its fields, and the slots after it, with offsetof and
 * sizeof operands (nano_rseq.h). */
struct nano_pcls {
	uint64_t pops;          /* cache: blocks taken out (malloc, flush, drain) */
	uint64_t pushes;        /* cache: blocks put in (free, refill) */
	uint32_t own;           /* the CPU's magazine; NANO_PC_FENCED */
	uint32_t cap;           /* the cache's capacity now; 0 before the claim */
	uint64_t rpops;         /* remote buffer: blocks taken out (emptied, drained) */
	uint64_t rpushes;       /* remote buffer: blocks put in (remote frees) */
	uint32_t rcap;          /* the remote buffer's capacity; 0 before the claim */
	/* slow paths only (under the CPU's adaptation lock) */
	uint32_t misses;        /* refills and flushes since the last resize */
	uint64_t snap;          /* pops + pushes at the last epoch */
	/* hints, under no lock (flushes write them, push and pop read them):
	 * where a stream of frees (of mallocs) will be NANO_FS_AHEAD calls
	 * later, from the block freed (handed out) now, in bytes; 0 when there
	 * is no stream */
	int32_t ahead;
	int32_t pahead;
};

_Static_assert(sizeof(struct nano_pcls) == 64, "one line per (CPU, class)");

/* A class area: the header, then the slots. */
struct nano_parea {
	struct nano_pcls h;
	uint64_t slot[NANO_FS_CACHE_MAX];
	uint64_t rslot[NANO_FS_REMOTE_MAX];
};

_Static_assert(sizeof(struct nano_parea) == NANO_FS_CLS_BYTES, "a class area");

/* Per CPU, beside the slabs (nano_fr.pcpu). */
struct nano_pcpu {
	uint32_t lock;          /* adaptation: taken with a CAS, never waited for */
	uint32_t clock;         /* misses on this CPU, all classes */
	uint32_t noslab;        /* the claim's commit was refused: v1 path */
	uint32_t pad;
};

/* A transfer stage: one per (magazine, class). */
struct nano_xfer {
	pthread_mutex_t lock;
	uint64_t *arr;          /* reserved NANO_XFER_MAX pointers, or NULL */
	uint32_t n;             /* blocks held (read relaxed without the lock) */
	uint32_t room;          /* committed slots */
	int failed;             /* the reservation or a commit was refused */
} __attribute__((aligned(64)));

#define NANO_XFER_MAX ((uint32_t)1 << 20)
#define NANO_XFER_CHUNK ((uint32_t)8192)      /* slots per commit: 64 KiB */

/* Per (magazine, class) counts of the front's block movements, kept with
 * relaxed atomic adds on the rare paths. Together with the per-CPU counts,
 * the transfer stages and v1's own counts they account for every block
 * (nano_front_cell). */
struct nano_fmeta {
	uint64_t refills;       /* refills of caches of this magazine */
	uint64_t refills_bump;  /* of which carved from the bump pointer */
	uint64_t cache_in;      /* blocks refills put into caches */
	uint64_t cache_drained; /* blocks relief took out of caches */
	uint64_t from_bump;     /* blocks the front carved */
	uint64_t from_list;     /* blocks the front took off the v1 list */
	uint64_t to_list;       /* blocks the front put on the v1 list */
	uint64_t flushes, flush_blocks;     /* caches -> transfer or list */
	uint64_t rflushes, rflush_blocks;   /* remote buffers -> this owner: groups */
	uint64_t drains, drain_blocks;      /* relief */
	uint64_t grows, shrinks;            /* capacity changes on this magazine's CPUs */
	uint64_t pad;
};

_Static_assert(sizeof(struct nano_fmeta) == 128, "two lines per (magazine, class)");

/* What the fast paths need of a class, on one half line:
 *   hb          where its critical sections look (nano_rseq.h): its header
 *               on CPU 0 (slabs + class * NANO_FS_CLS_BYTES; free computes
 *               the same address instead: nano_front_hb_at)
 *   mul, limit  v1's grid and area-limit vetting without a division or a
 *               variable shift: an offset in the area is on the grid when
 *               offset * mul (mod 2^64) < mul, mul = ceil(2^64 / size)
 *               (exact for offsets below 2^32: Lemire, Kaser and Kurz,
 *               "Faster remainder by direct computation", 2019), and a
 *               block when, moreover, offset < limit.
 *   bump0       &nano_z.meta[0][class].bump: magazine m's is m * 2 KiB on */
struct nano_fcls {
	char *hb;
	uint64_t mul;
	uint64_t limit;
	const uint64_t *bump0;
};

_Static_assert(sizeof(struct nano_meta) * NANO_SLOTS == 2048, "a magazine's records: 2 KiB");

_Static_assert(sizeof(struct nano_fcls) == 32, "half a line per class");

struct nano_front_state {
	/* line 0: what the fast paths read */
	char *pc;               /* the slabs: CPU c's at pc + (c << NANO_FS_CPU_SHIFT) */
	uint64_t cookie;        /* free guard (second word) = address ^ cookie */
	uint32_t small_max;     /* NANO_MAX_SIZE once the front serves malloc,
				 * 0 before: malloc tests size - 1 < small_max */
	int on;                 /* 1 when the front serves (set last) */
	uint32_t rcap;          /* remote buffer capacity */
	ptrdiff_t rs_off;       /* nano_rseq_off: the rseq area from %fs */
	uint64_t base;          /* the region, as nano_z.base */
	uint64_t size;          /* the region's size once the front serves free,
				 * 0 before: every free then takes v1's path */
	uint64_t mag_shift;     /* nano_z.mag_shift */
	uint64_t pad0;
	/* per class, indexed by its size in 16-byte units (class + 1; entry 0,
	 * for malloc(0), repeats entry 1): nano_front_cls */
	struct nano_fcls cls[NANO_SLOTS + 1];
	/* the rest */
	uint32_t cap_max, cap_start;
	int ready;              /* prepared by nano_front_init */
	int drain;              /* membarrier RSEQ registered */
	const char *requested;
	const char *reason;
	uint32_t cpus;          /* 1 + highest CPU whose slab was claimed */
	uint32_t slab_cpus;     /* CPUs the slabs were reserved for */
	int lazy_commit;        /* a data limit: class areas committed at the claim */
	uint64_t aborts;        /* atomic */
	struct nano_pcpu pcpu[NANO_MAX_CPUS];
	struct nano_xfer xf[NANO_MAX_MAGAZINES][NANO_SLOTS];
	struct nano_fmeta fm[NANO_MAX_MAGAZINES][NANO_SLOTS];
};

extern struct nano_front_state nano_fr;

static inline struct nano_parea *nano_front_area(unsigned cpu, unsigned slot)
{
	return (struct nano_parea *)(nano_fr.pc + ((size_t)cpu << NANO_FS_CPU_SHIFT) +
				     (size_t)slot * NANO_FS_CLS_BYTES);
}

static inline struct nano_pcls *nano_front_pcls(unsigned cpu, unsigned slot)
{
	return &nano_front_area(cpu, slot)->h;
}

/* Start-up: nano_front_init prepares (before the zone is READY), then
 * nano_front_start turns the front on (after), so that a thread that sees it
 * on also sees a ready zone. */
void nano_front_init(const struct nano_config *cfg);
void nano_front_start(void);

static inline bool nano_front_on(void)
{
	return __atomic_load_n(&nano_fr.on, __ATOMIC_ACQUIRE) != 0;
}

/* Slow paths of the inline fast paths in nano_rseq.h (nano_front.c), each
 * falling back to v1's path (nano_core.h) for what the front cannot serve.
 * cs: how the fast path's critical section ended (an abort is counted); for
 * free, FOREIGN when the inline remote push found its buffer full (or the
 * CPU unclaimed), FAIL or ABORT when it failed or aborted. */
void *nano_front_malloc_slow(size_t size, int cs);
void nano_front_free_slow(uint64_t p, int cs);
/* A free whose second word is the free guard (a double free), or 0 or an
 * address inside the region: the first word decides (v1's guard: v1's
 * scan). Then the block is put. */
void nano_front_free_odd(uint64_t p, unsigned mag, unsigned slot);
/* A block of the class for calloc: the front, else v1; NULL when exhausted. */
void *nano_front_alloc(unsigned slot);
void nano_front_count_abort(void);
/* A free of a pointer inside the region that nano did not allocate. Never
 * returns (declared as returning, so that the fast path reaches it by a tail
 * jump and needs no stack frame). */
void nano_front_free_bad(uint64_t p);
__attribute__((noreturn)) void nano_front_corrupt(uint64_t p);

/* Pressure relief: move every stage's blocks to their lists (caches and
 * remote buffers need membarrier) and reset the capacities; returns blocks
 * moved. Under relief's lock. */
uint64_t nano_front_drain_all(void);

/* fork */
void nano_front_atfork_prepare(void);
void nano_front_atfork_release(int child);

/* ------------------------------------------------------------------------
 * Statistics (nano_front_stats.c): the front's share of one (magazine,
 * class), for nano_stats.c to combine with v1's counts.
 * ---------------------------------------------------------------------- */
struct nano_front_cell {
	uint64_t hits;          /* mallocs served from caches */
	uint64_t cache_frees;   /* frees into caches */
	uint64_t remote_frees;  /* frees of this magazine's blocks into remote buffers */
	uint64_t cached, remote, xfer;      /* blocks held now in each stage */
	uint64_t from_bump;     /* blocks the front carved (not v1 bump allocations) */
	uint64_t from_list, to_list;        /* blocks the front moved off / onto the list */
	const struct nano_fmeta *fm;        /* the movement counts */
};
void nano_front_cell(unsigned mag, unsigned slot, struct nano_front_cell *out);
/* The settings' front fields. */
void nano_front_settings(struct nano_settings *out);
uint64_t nano_front_aborts(void);

/* Between the front's files */
void nano_front_adapt_miss(unsigned cpu, unsigned slot);
/* The classes in mask of a fenced, drained CPU: capacities back to the
 * start. */
void nano_front_adapt_reset(unsigned cpu, uint32_t mask);
/* Move up to k blocks from the top of the current CPU's cache of the class
 * (which must belong to magazine mag) to mag's transfer stage (or its list
 * when the stage cannot take them); returns the blocks moved, or -1 when the
 * critical section could not run (fenced, no rseq) or the CPU's magazine is
 * not mag. */
long nano_front_cache_out(unsigned mag, unsigned slot, uint64_t k);
/* Lower (cpu, slot)'s capacity to cap, first moving out what does not fit;
 * false when the thread is not on cpu. */
bool nano_front_setcap(unsigned cpu, unsigned slot, uint32_t cap);
/* The CPUs whose slabs readers visit. */
unsigned nano_front_cpus(void);

#endif
