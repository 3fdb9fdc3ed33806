/*
 * nano_front.c - the rseq front's start-up and slow paths (design:
 * nano_front.h; critical sections: nano_rseq.h; transfer stages and relief:
 * nano_front_stage.c; capacities: nano_front_adapt.c).
 *
 * Slow paths:
 *   refill  the CPU's cache of a class is empty: take up to half its
 *           capacity from the magazine's transfer stage (one locked step, the
 *           pointers copied inside a critical section); when the stage is
 *           empty, off the v1 list (rare: only blocks the v1 path or relief
 *           left there); when that is empty too, carve a run of fresh blocks
 *           with one CAS on the bump pointer, straight into the cache. What
 *           does not fit goes to the transfer stage.
 *   flush   a local free found the cache full: half of it moves to the
 *           transfer stage in one step.
 *   remote  a free of a block owned by another magazine goes into the CPU's
 *           remote buffer (inline in free, nano_entry.h); here when that
 *           push could not: an unclaimed CPU is claimed, a full buffer is
 *           emptied, grouped by owner, and each group appended to its
 *           owner's transfer stage, a fenced CPU sends the block to v1.
 * Each refill and flush is a miss, from which the capacities adapt
 * (nano_front_adapt.c). Whatever the front cannot serve (no rseq on the
 * thread, a fenced CPU, a class exhausted) takes v1's path (nano_core.h).
 */
#include "nano_front_stage.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct nano_front_state nano_fr = { .requested = "v1", .reason = "" };

/* ========================================================================
 * Start-up
 * ====================================================================== */

long nano_membarrier(int cmd, unsigned flags, int cpu)
{
#if defined(__NR_membarrier)
	return syscall(__NR_membarrier, cmd, flags, cpu);
#else
	(void)cmd;
	(void)flags;
	(void)cpu;
	errno = ENOSYS;
	return -1;
#endif
}

/* Why the front cannot run in this process, or NULL when it can. */
static const char *front_obstacle(void)
{
#if !NANO_FRONT_BUILT
	return "the rseq front is built only for x86-64 with glibc 2.35 or later";
#else
	if (__rseq_size == 0)
		return "rseq is not registered (__rseq_size 0: disabled by "
		       "GLIBC_TUNABLES=glibc.pthread.rseq=0, refused by the kernel, or under valgrind)";
	if ((int)__atomic_load_n(&nano_rseq_area()->cpu_id, __ATOMIC_RELAXED) < 0)
		return "rseq is not registered for this thread (cpu_id negative)";
	return NULL;
#endif
}

/* The slabs: NANO_FS_CPU_SHIFT of address space for every CPU the kernel
 * may ever use, since the sections index them by the CPU number unchecked:
 * the possible mask, which no CPU number reaches beyond, or where sysfs
 * cannot be read the kernel's own bound (the size of its CPU mask); no
 * front when that passes NANO_MAX_CPUS. And two strides below them whose
 * header pages are read-only zeros (nano_front.h). Without a data limit
 * every slab is committed now (the kernel provides pages when first
 * touched); under one, whose accounting counts the mapping touched or not,
 * only the page of each class area that holds its header, the rest at the
 * claim. */
static void *header_page(char *slab, unsigned slot)
{
	uintptr_t h = (uintptr_t)slab + slot * NANO_FS_CLS_BYTES;
	return (void *)(h & ~(uintptr_t)(nano_page_size() - 1));
}

_Static_assert(NANO_MAX_CPUS == 1024, "map_slabs' message names the number");

static const char *map_slabs(void)
{
	const size_t stride = (size_t)1 << NANO_FS_CPU_SHIFT, page = nano_page_size();
	unsigned cpus = nano_cpus_possible();
	if (cpus == 0)
		cpus = nano_cpus_kernel(NANO_MAX_CPUS);
	if (cpus == 0 || cpus > NANO_MAX_CPUS)
		return "the kernel may number CPUs past the front's 1024 slabs";
	if (cpus < nano_z.map.ncpus)
		cpus = nano_z.map.ncpus;
	char *lo = nano_reserve(0, (cpus + NANO_FS_NEG_CPUS) * stride, page, false);
	if (!lo)
		return "the per-CPU caches could not be reserved";
	char *pc = lo + NANO_FS_NEG_CPUS * stride;
	nano_fr.lazy_commit = nano_limit_data() != UINT64_MAX;
	for (unsigned c = 0; c < NANO_FS_NEG_CPUS; c++)
		for (unsigned s = 0; s < NANO_SLOTS; s++)
			if (nano_seal(header_page(lo + c * stride, s), page) != 0)
				return "the per-CPU caches' guard headers could not be mapped";
	if (!nano_fr.lazy_commit && nano_commit(pc, cpus * stride) != 0)
		return "the per-CPU caches could not be committed";
	for (unsigned c = 0; nano_fr.lazy_commit && c < cpus; c++)
		for (unsigned s = 0; s < NANO_SLOTS; s++)
			if (nano_commit(header_page(pc + c * stride, s), page) != 0)
				return "the per-CPU caches' headers could not be committed";
	nano_fr.pc = pc;
	nano_fr.slab_cpus = cpus;
	return NULL;
}

void nano_front_init(const struct nano_config *cfg)
{
	const char *why;

	if (cfg->front != NANO_FRONT_RSEQ)
		return;
	nano_fr.requested = "rseq";
	if ((why = front_obstacle()) != NULL || (why = map_slabs()) != NULL) {
		nano_fr.reason = why;
		return;
	}
	nano_fr.cap_max = cfg->front_cap ? cfg->front_cap : NANO_FRONT_CAP_DEFAULT;
	nano_fr.cap_start = nano_fr.cap_max < NANO_FS_CAP_START ? nano_fr.cap_max : NANO_FS_CAP_START;
	nano_fr.rcap = nano_fr.cap_max < NANO_FS_REMOTE_MAX ? nano_fr.cap_max : NANO_FS_REMOTE_MAX;
	for (unsigned s = 0; s < NANO_SLOTS; s++) {
		const struct nano_class *c = &nano_z.cls[s];
		nano_fr.cls[s + 1] = (struct nano_fcls){
			.hb = nano_front_hb_at(s),
			.mul = UINT64_MAX / c->size + 1,
			.limit = c->limit,
			.bump0 = &nano_z.meta[0][s].bump,
		};
	}
	nano_fr.cls[0] = nano_fr.cls[1];
	nano_fr.base = nano_z.base;
	nano_fr.mag_shift = nano_z.mag_shift;
	nano_fr.rs_off = nano_rseq_off;
	do
		nano_fr.cookie = nano_random64();
	while (nano_fr.cookie == nano_z.cookie);
	nano_stage_init();
	nano_fr.drain = nano_membarrier(NANO_MB_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0) == 0;
	nano_fr.ready = 1;
}

void nano_front_start(void)
{
	if (!nano_fr.ready)
		return;
	__atomic_store_n(&nano_fr.on, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&nano_fr.small_max, NANO_MAX_SIZE, __ATOMIC_RELEASE);
	__atomic_store_n(&nano_fr.size, nano_z.size, __ATOMIC_RELEASE);
}

void nano_front_count_abort(void)
{
	__atomic_fetch_add(&nano_fr.aborts, 1, __ATOMIC_RELAXED);
}

uint64_t nano_front_aborts(void)
{
	return __atomic_load_n(&nano_fr.aborts, __ATOMIC_RELAXED);
}

void nano_front_corrupt(uint64_t p)
{
	nano_fatal("free block corrupted in a CPU cache (its guard word was overwritten after free)",
		   (void *)p);
}

__attribute__((noinline, cold))
void nano_front_free_bad(uint64_t p)
{
	nano_fatal("free of a pointer inside the nano region that nano did not allocate", (void *)p);
}

unsigned nano_front_cpus(void)
{
	unsigned n = __atomic_load_n(&nano_fr.cpus, __ATOMIC_RELAXED);
	unsigned t = nano_z.map.ncpus < nano_fr.slab_cpus ? nano_z.map.ncpus : nano_fr.slab_cpus;
	return n > t ? n : t;
}

#if NANO_FRONT_BUILT
/* ========================================================================
 * Claiming a CPU: its class areas, its capacities, its magazine
 * ====================================================================== */

/* Readers (statistics, drain) look at the slabs of CPUs below nano_fr.cpus:
 * raise it before a CPU's slab is first used. */
static void note_cpu(unsigned cpu)
{
	uint32_t top = __atomic_load_n(&nano_fr.cpus, __ATOMIC_RELAXED);
	while (top < cpu + 1 && !__atomic_compare_exchange_n(&nano_fr.cpus, &top, cpu + 1, false,
							     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* Give the CPU's caches their capacities and magazine (the class areas
 * committed first under a data limit). The capacities last, with release: a
 * section that finds room sees the areas and the magazine. Threads on the
 * same CPU may claim it at once; each sets own with a CAS that leaves a
 * fenced header alone: relief may fence a header as soon as its cap is set,
 * and a plain store by a later claimer would unfence it under the drain.
 * false when the kernel refused the memory (the CPU stays on v1). */
static bool claim(unsigned cpu)
{
	struct nano_pcpu *pc = &nano_fr.pcpu[cpu];
	const uint32_t own = nano_magmap_lookup(&nano_z.map, (int)cpu);
	if (__atomic_load_n(&pc->noslab, __ATOMIC_RELAXED))
		return false;
	if (nano_fr.lazy_commit &&
	    nano_commit(nano_front_area(cpu, 0), (size_t)1 << NANO_FS_CPU_SHIFT) != 0) {
		__atomic_store_n(&pc->noslab, 1, __ATOMIC_RELAXED);
		return false;
	}
	note_cpu(cpu);
	for (unsigned s = 0; s < NANO_SLOTS; s++) {
		struct nano_pcls *h = nano_front_pcls(cpu, s);
		uint32_t o = __atomic_load_n(&h->own, __ATOMIC_RELAXED), zero = 0;
		while (o != NANO_PC_FENCED && o != own &&
		       !__atomic_compare_exchange_n(&h->own, &o, own, false, __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED))
			;
		nano_test_widen();
		__atomic_store_n(&h->rcap, nano_fr.rcap, __ATOMIC_RELEASE);
		__atomic_compare_exchange_n(&h->cap, &zero, nano_fr.cap_start, false, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED);
	}
	return true;
}

/* The CPU the caller runs on, if the front can use it: its header of the
 * class, claimed (NULL: the v1 path). */
static struct nano_pcls *usable(int cpu, unsigned slot)
{
	if ((unsigned)cpu >= nano_fr.slab_cpus)
		return NULL;
	struct nano_pcls *h = nano_front_pcls((unsigned)cpu, slot);
	if (__atomic_load_n(&h->own, __ATOMIC_ACQUIRE) == NANO_PC_FENCED ||
	    (__atomic_load_n(&h->cap, __ATOMIC_ACQUIRE) == 0 && !claim((unsigned)cpu)))
		return NULL;
	return h;
}

/* ========================================================================
 * Refill
 * ====================================================================== */

enum { REFILL_V1, REFILL_RETRY, REFILL_NONE };

/* The end of a refill that put n blocks into the cache. */
static void refilled(unsigned mag, unsigned slot, uint64_t n, bool bump)
{
	struct nano_fmeta *f = &nano_fr.fm[mag][slot];
	nano_fm_add(&f->refills, 1);
	nano_fm_add(&f->cache_in, n);
	if (bump)
		nano_fm_add(&f->refills_bump, 1);
}

/* How a refill's critical section ended -> what the caller does. */
static int refill_result(int r)
{
	return r == NANO_CS_FAIL ? REFILL_V1 : REFILL_RETRY;
}

/* Up to want blocks from the transfer stage, in one step. */
static int from_xfer(unsigned mag, unsigned slot, uint64_t want)
{
	struct nano_xfer *x = &nano_fr.xf[mag][slot];
	uint64_t k, got = 0;
	int r;
	if (!__atomic_load_n(&x->n, __ATOMIC_RELAXED))
		return REFILL_NONE;
	pthread_mutex_lock(&x->lock);
	k = x->n < want ? x->n : want;
	if (!k) {
		pthread_mutex_unlock(&x->lock);
		return REFILL_NONE;
	}
	while ((r = nano_cs_pushn(NANO_CS_ARGS(slot), x->arr + x->n - k, k, mag, &got)) ==
	       NANO_CS_ABORT)
		nano_front_count_abort();
	if (r == NANO_CS_OK)
		__atomic_store_n(&x->n, x->n - (uint32_t)got, __ATOMIC_RELAXED);
	/* the pointers the next refill will copy (the stage may have been
	 * written long ago: a big working set evicted it) */
	for (uint64_t i = k; i < 2 * k && i <= x->n; i += 8)
		__builtin_prefetch(x->arr + x->n - i);
	pthread_mutex_unlock(&x->lock);
	if (r == NANO_CS_OK)
		refilled(mag, slot, got, false);
	return refill_result(r);
}

/* Put a chain of unknown length and tail back on a list. Usually the list is
 * still empty (it was just detached) and one CAS does it; otherwise the
 * blocks freed meanwhile are detached, walked (a short private chain) and
 * put in front. */
static void list_put_back(struct nano_meta *m, uint64_t rest)
{
	while (!nano_list_push_if_empty(m, rest)) {
		uint64_t fresh = nano_list_detach(m), tail = fresh;
		if (!fresh)
			continue;
		while (nano_load_relaxed(&((uint64_t *)tail)[1]))
			tail = nano_load_relaxed(&((uint64_t *)tail)[1]);
		nano_store_relaxed(&((uint64_t *)tail)[1], rest);
		rest = fresh;
	}
}

/* Move blocks the front took (free guard written) into the cache, the rest
 * to the transfer stage. */
static int into_cache(const uint64_t *buf, uint64_t n, unsigned mag, unsigned slot)
{
	uint64_t got = 0;
	int r;
	while ((r = nano_cs_pushn(NANO_CS_ARGS(slot), buf, n, mag, &got)) == NANO_CS_ABORT)
		nano_front_count_abort();
	if (r != NANO_CS_OK)
		got = 0;
	if (got)
		refilled(mag, slot, got, false);
	nano_xfer_put(mag, slot, buf, n - got);      /* the bottom of buf */
	return refill_result(r);
}

#define LIST_REFILL 64

/* Up to LIST_REFILL blocks off the v1 list, where only the v1 path and
 * relief put blocks: one CAS detaches it, each block taken gets v1's
 * free-list diligence, the rest goes back. */
static int from_list(unsigned mag, unsigned slot, uint64_t want)
{
	struct nano_meta *m = &nano_z.meta[mag][slot];
	uint64_t buf[LIST_REFILL], b;
	unsigned n = 0;
	if (!nano_load_relaxed(&m->head.h.ptr))
		return REFILL_NONE;
	if (want > LIST_REFILL)
		want = LIST_REFILL;
	b = nano_list_detach(m);
	while (b && n < want) {
		if (nano_unlikely(!nano_list_block_ok(b, mag, slot)))
			nano_fatal("free list corrupted (a block failed free-list diligence)", (void *)b);
		buf[n++] = b;
		b = nano_load_relaxed(&((uint64_t *)b)[1]);
	}
	if (b)
		list_put_back(m, b);
	if (!n)
		return REFILL_NONE;
	nano_fm_add(&nano_fr.fm[mag][slot].from_list, n);
	/* the list's first block on top of the cache */
	for (unsigned i = 0; i < n / 2; i++) {
		uint64_t t = buf[i];
		buf[i] = buf[n - 1 - i];
		buf[n - 1 - i] = t;
	}
	for (unsigned i = 0; i < n; i++) {
		nano_store_relaxed((uint64_t *)buf[i], 0);
		nano_store_relaxed((uint64_t *)buf[i] + 1, buf[i] ^ nano_fr.cookie);
	}
	return into_cache(buf, n, mag, slot);
}

/* A run of fresh blocks with one CAS on the bump pointer, straight into the
 * cache; REFILL_V1 when the class is exhausted (v1's path then asks the
 * helper). */
static int from_bump(unsigned mag, unsigned slot, uint64_t want)
{
	const uint64_t size = nano_z.cls[slot].size;
	uint64_t first = 0, got = 0;
	unsigned n = nano_bump_run(&nano_z.meta[mag][slot], mag, slot, (unsigned)want, &first);
	int r;
	if (!n)
		return REFILL_V1;
	nano_fm_add(&nano_fr.fm[mag][slot].from_bump, n);
	for (unsigned i = 0; i < n; i++) {
		uint64_t p = first + i * size;
		nano_store_relaxed((uint64_t *)p + 1, p ^ nano_fr.cookie);
	}
	while ((r = nano_cs_pushr(NANO_CS_ARGS(slot), first, size, n, mag, &got)) == NANO_CS_ABORT)
		nano_front_count_abort();
	if (r != NANO_CS_OK)
		got = 0;
	if (got)
		refilled(mag, slot, got, true);
	nano_xfer_put_run(mag, slot, first + got * size, size, n - got);
	return refill_result(r);
}

/* The CPU's cache of the class is empty: REFILL_RETRY when the caller
 * should pop again (blocks moved, or the thread moved to another CPU),
 * REFILL_V1 when the front cannot serve this operation. */
static int refill(unsigned slot)
{
	const int cpu = nano_front_cpu();
	struct nano_pcls *h = usable(cpu, slot);
	if (!h)
		return REFILL_V1;
	const unsigned mag = nano_magmap_lookup(&nano_z.map, cpu);
	nano_front_adapt_miss((unsigned)cpu, slot);
	uint64_t want = __atomic_load_n(&h->cap, __ATOMIC_RELAXED) / 2;
	int r;
	if (want == 0)
		want = 1;
	if ((r = from_xfer(mag, slot, want)) != REFILL_NONE)
		return r;
	if ((r = from_list(mag, slot, want)) != REFILL_NONE)
		return r;
	return from_bump(mag, slot, want);
}

/* ========================================================================
 * Flush and remote frees
 * ====================================================================== */

/* A local free found the cache full: half of it moves out. false: the
 * section cannot run (the v1 path takes the block). */
static bool flush(unsigned mag, unsigned slot)
{
	const int cpu = nano_front_cpu();
	struct nano_pcls *h = usable(cpu, slot);
	if (!h)
		return false;
	nano_front_adapt_miss((unsigned)cpu, slot);
	uint64_t cap = __atomic_load_n(&h->cap, __ATOMIC_RELAXED);
	return nano_front_cache_out(mag, slot, cap / 2 ? cap / 2 : 1) != -NANO_CS_FAIL;
}

static bool put(uint64_t p, unsigned mag, unsigned slot, int r);

/* Empty the CPU's remote buffer of the class, grouped by owner, each group
 * to its owner's transfer stage. false when the section cannot run. */
static bool remote_flush(unsigned slot)
{
	uint64_t buf[NANO_FS_REMOTE_MAX], n = 0;
	int r;
	while ((r = nano_cs_rpopn(NANO_CS_ARGS(slot), buf, NANO_FS_REMOTE_MAX, &n)) == NANO_CS_ABORT)
		nano_front_count_abort();
	if (r != NANO_CS_OK)
		return false;
	nano_hand_over(buf, n, slot);
	return true;
}

/* A free of a block of another magazine than the CPU's. */
static bool put_remote(uint64_t p, unsigned mag, unsigned slot)
{
	const int cpu = nano_front_cpu();
	if ((unsigned)cpu >= nano_fr.slab_cpus)
		return false;
	if (__atomic_load_n(&nano_front_pcls((unsigned)cpu, slot)->cap, __ATOMIC_RELAXED) == 0) {
		/* An unclaimed CPU: claim it, then the block may well be local. */
		if (!usable(cpu, slot))
			return false;
		return put(p, mag, slot, nano_front_put_fast(p, mag, slot));
	}
	for (;;) {
		int r = nano_cs_rpush(NANO_CS_ARGS(slot), p);
		if (nano_likely(r == NANO_CS_OK))
			return true;
		if (r == NANO_CS_FAIL)
			return false;
		if (r == NANO_CS_FULL) {
			if (!remote_flush(slot))
				return false;
		} else {
			nano_front_count_abort();
		}
	}
}

/* Whether the CPU the caller runs on keeps blocks of magazine mag, as far as
 * a look from outside any section tells (a push that ended FULL may also
 * have been foreign: it tests the capacity first, nano_rseq.h). A CPU
 * without a slab says yes: the flush then sends the block to v1. */
static bool cpu_keeps(unsigned mag, unsigned slot)
{
	const int cpu = nano_front_cpu();
	if ((unsigned)cpu >= nano_fr.slab_cpus)
		return true;
	return __atomic_load_n(&nano_front_pcls((unsigned)cpu, slot)->own, __ATOMIC_RELAXED) == mag;
}

/* Finish putting a block (free guard written) whose push ended with r.
 * false: the front cannot take it now, the caller pushes it the v1 way. A
 * full cache that is not the block's magazine's is not flushed: the block
 * is remote (a flush would move the CPU's own blocks, and its popn would
 * find the magazine foreign). */
static bool put(uint64_t p, unsigned mag, unsigned slot, int r)
{
	for (;;) {
		switch (r) {
		case NANO_CS_OK:
			return true;
		case NANO_CS_FOREIGN:
			return put_remote(p, mag, slot);
		case NANO_CS_FAIL:
			return false;
		case NANO_CS_FULL:
			if (!cpu_keeps(mag, slot))
				return put_remote(p, mag, slot);
			if (!flush(mag, slot))
				return false;
			break;
		default:
			nano_front_count_abort();
		}
		r = nano_front_put_fast(p, mag, slot);
	}
}

/* ========================================================================
 * The slow paths of the entries (nano_entry.h)
 * ====================================================================== */

/* A block of the class from the front after a pop that ended with r; NULL
 * when the front cannot serve it. */
static void *front_alloc(unsigned slot, int r)
{
	for (;;) {
		uint64_t p = 0;
		if (r == NANO_CS_EMPTY) {
			if (refill(slot) == REFILL_V1)
				return NULL;
		} else if (r == NANO_CS_FAIL) {
			return NULL;
		} else {
			nano_front_count_abort();
		}
		r = nano_front_alloc_fast(slot, &p);
		if (r == NANO_CS_OK)
			return (void *)p;
	}
}

void *nano_front_alloc(unsigned slot)
{
	uint64_t p = 0;
	int r = nano_front_alloc_fast(slot, &p);
	if (r == NANO_CS_OK)
		return (void *)p;
	void *q = front_alloc(slot, r);
	return q ? q : nano_alloc_v1(slot);
}

__attribute__((noinline))
void *nano_front_malloc_slow(size_t size, int cs)
{
	if (!nano_front_on())
		return nano_malloc_v1(size);
	if (size > NANO_MAX_SIZE)
		return nano_z.helper.malloc(size);
	const unsigned slot = nano_size_to_slot(size);
	void *p = front_alloc(slot, cs);
	if (!p)
		p = nano_alloc_v1(slot);
	return p ? p : nano_small_to_helper(size, false);
}

static void put_or_v1(uint64_t p, unsigned mag, unsigned slot, int cs)
{
	if (!put(p, mag, slot, cs))
		nano_v1_push(p, mag, slot);
}

__attribute__((noinline))
void nano_front_free_slow(uint64_t p, int cs)
{
	const uint64_t off = p - nano_z.base;
	put_or_v1(p, nano_off_mag(off), nano_off_slot(off), cs);
}

__attribute__((noinline, cold))
void nano_front_free_odd(uint64_t p, unsigned mag, unsigned slot)
{
	const uint64_t w1 = nano_load_relaxed((uint64_t *)p + 1);
	if (w1 == (p ^ nano_fr.cookie))
		nano_fatal("double free", (void *)p);
	/* 0 or an address in the region: maybe a link of v1's list, so the
	 * first word decides */
	if (nano_load_relaxed((uint64_t *)p) == (p ^ nano_z.cookie) &&
	    nano_list_holds(&nano_z.meta[mag][slot], p))
		nano_fatal("double free", (void *)p);
	nano_store_relaxed((uint64_t *)p + 1, p ^ nano_fr.cookie);
	put_or_v1(p, mag, slot, nano_front_put_fast(p, mag, slot));
}

#else /* !NANO_FRONT_BUILT */
void *nano_front_alloc(unsigned slot)
{
	return nano_alloc_v1(slot);
}
#endif
