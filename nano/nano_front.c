/*
 * nano_front.c - the rseq front's start-up, slow paths, drain and statistics
 * (design: nano_front.h; critical sections: nano_rseq.h).
 *
 * Slow paths:
 *   refill  the CPU's cache of a class is empty: take half a cache of blocks
 *           from the magazine, either by detaching its whole list with one
 *           CAS (the blocks beyond those taken go back with one more CAS), or,
 *           when the list is empty, by advancing the bump pointer over several
 *           blocks with one CAS. One block goes to the caller, the rest into
 *           the cache (pushn); what does not fit (another thread filled the
 *           cache meanwhile, or the thread migrated to a CPU of another
 *           magazine) goes back to the list as one chain.
 *   flush   a local free found the cache full: take half of it (popn) and
 *           push it onto the list as one chain (one CAS).
 *   remote  a free of a block owned by another magazine: prepend it to the
 *           CPU's chain; a chain that is full, or that belongs to another
 *           magazine than the new block, is first detached and pushed onto
 *           its owner's list whole (one CAS for up to cap blocks, where v1
 *           pays one contended CAS per block).
 */
#include "nano_rseq.h"
#include "nano_msg.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* membarrier(2) commands (the kernel's ABI, linux/membarrier.h, whose
 * header has them only as enum constants): restart the rseq critical
 * sections running on a CPU (Linux 5.10 for the CPU flag). */
#define NANO_MB_PRIVATE_EXPEDITED_RSEQ (1 << 7)
#define NANO_MB_REGISTER_PRIVATE_EXPEDITED_RSEQ (1 << 8)
#define NANO_MB_FLAG_CPU 1

struct nano_front_state nano_fr = { .requested = "v1", .reason = "" };

/* The cache guard (second word) and the chain guard (first word). */
static inline __attribute__((unused)) uint64_t cguard(uint64_t p)
{
	return p ^ nano_fr.cookie;
}

static inline __attribute__((unused)) uint64_t hguard(uint64_t p)
{
	return p ^ nano_fr.cookie2;
}

static inline uint64_t vguard(uint64_t p)
{
	return p ^ nano_z.cookie;
}

static inline struct nano_pslot *pslot(unsigned cpu, unsigned slot)
{
	return (struct nano_pslot *)(nano_fr.pc + ((size_t)cpu << NANO_PC_CPU_SHIFT) +
				     (size_t)slot * NANO_PC_SLOT_BYTES);
}

static inline void fm_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

/* The CPUs whose records readers visit: every CPU of the topology, and any
 * other whose records were used (nano_fr.cpus; a thread can free into a
 * chain on a CPU that migrated in before it is noted: the window is a few
 * instructions, on a CPU missing from the topology at start-up). */
static unsigned front_cpus(void)
{
	unsigned n = __atomic_load_n(&nano_fr.cpus, __ATOMIC_RELAXED);
	unsigned t = nano_z.map.ncpus < NANO_MAX_CPUS ? nano_z.map.ncpus : NANO_MAX_CPUS;
	return n > t ? n : t;
}

/* ========================================================================
 * Start-up
 * ====================================================================== */

static __attribute__((unused)) long membarrier_call(int cmd, unsigned flags, int cpu)
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

void nano_front_init(const struct nano_config *cfg)
{
	const char *why;

	if (cfg->front != NANO_FRONT_RSEQ)
		return;
	nano_fr.requested = "rseq";
	if ((why = front_obstacle()) != NULL) {
		nano_fr.reason = why;
		return;
	}
#if NANO_FRONT_BUILT
	/* 16 KiB per CPU the kernel may ever use (the possible mask, which no
	 * CPU number reaches beyond; all NANO_MAX_CPUS when it cannot be read):
	 * limits on address space and data count the mapping, touched or not.
	 * Only the records of CPUs that allocate are ever touched. */
	unsigned cpus = nano_cpus_possible();
	if (cpus < nano_z.map.ncpus)
		cpus = nano_z.map.ncpus;
	if (cpus == 0 || cpus > NANO_MAX_CPUS)
		cpus = NANO_MAX_CPUS;
	const size_t bytes = (size_t)cpus << NANO_PC_CPU_SHIFT;
	void *pc = nano_reserve(0, bytes, nano_page_size(), false);
	if (!pc || nano_commit(pc, bytes) != 0) {
		nano_fr.reason = "the per-CPU caches could not be mapped";
		return;
	}
	nano_fr.pc = pc;
	nano_fr.cap = cfg->front_cap ? cfg->front_cap : NANO_FRONT_CAP_DEFAULT;
	nano_fr.half = nano_fr.cap / 2;
	do {
		nano_fr.cookie = nano_random64();
		nano_fr.cookie2 = nano_random64();
	} while (nano_fr.cookie == nano_z.cookie || nano_fr.cookie2 == nano_z.cookie ||
		 nano_fr.cookie2 == nano_fr.cookie);
	nano_fr.drain = membarrier_call(NANO_MB_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0) == 0;
	nano_fr.ready = 1;
#endif
}

void nano_front_start(void)
{
	if (nano_fr.ready)
		__atomic_store_n(&nano_fr.on, 1, __ATOMIC_RELEASE);
}

#if NANO_FRONT_BUILT
/* ========================================================================
 * Slow paths
 * ====================================================================== */

/* Link buf[0..n), blocks of a cache, into a chain with the v1 guard (they
 * are going onto a list) and push it onto the list of (mag, slot) with one
 * CAS. Each must still carry the cache guard: a write after free into a
 * cached block is caught here if the block leaves the cache before it is
 * allocated again. */
static void chain_to_list(const uint64_t *buf, uint64_t n, unsigned mag, unsigned slot)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t *w = (uint64_t *)buf[i];
		if (nano_unlikely(nano_load_relaxed(&w[1]) != cguard(buf[i])))
			nano_front_corrupt(buf[i]);
		nano_store_relaxed(&w[0], vguard(buf[i]));
		nano_store_relaxed(&w[1], i + 1 < n ? buf[i + 1] : 0);
	}
	nano_list_push_chain(&nano_z.meta[mag][slot], buf[0], buf[n - 1]);
}


void nano_front_count_abort(void)
{
	__atomic_fetch_add(&nano_fr.aborts, 1, __ATOMIC_RELAXED);
}

void nano_front_corrupt(uint64_t p)
{
	nano_fatal("free block corrupted in a CPU cache (its guard word was overwritten after free)",
		   (void *)p);
}

/* Readers (statistics, drain) look at the records of CPUs below
 * nano_fr.cpus: raise it before a CPU's records are first used. */
static void note_cpu(unsigned cpu)
{
	uint32_t top = __atomic_load_n(&nano_fr.cpus, __ATOMIC_RELAXED);
	while (top < cpu + 1 && !__atomic_compare_exchange_n(&nano_fr.cpus, &top, cpu + 1, false,
							     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* Let CPU cpu's cache of the class hold blocks of its magazine (first use). */
static void claim(unsigned cpu, unsigned slot, unsigned mag)
{
	struct nano_pslot *ps;
	uint32_t zero = 0;
	if (cpu >= NANO_MAX_CPUS)
		return;
	note_cpu(cpu);
	ps = pslot(cpu, slot);
	if (__atomic_load_n(&ps->own, __ATOMIC_RELAXED) == 0)
		__atomic_compare_exchange_n(&ps->own, &zero, mag + 1, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED);
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

/* Up to want blocks off the magazine's list: one CAS detaches the whole list;
 * each block taken gets v1's free-list diligence (its guard may be v1's or,
 * when it came through a chain, the chain guard). */
static unsigned take_from_list(struct nano_meta *m, unsigned mag, unsigned slot, uint64_t *buf,
			       unsigned want)
{
	uint64_t b;
	unsigned n = 0;
	if (!nano_load_relaxed(&m->head.h.ptr))
		return 0;
	b = nano_list_detach(m);
	while (b && n < want) {
		if (nano_unlikely(!nano_list_block_ok(b, mag, slot)))
			nano_fatal("free list corrupted (a block failed free-list diligence)", (void *)b);
		buf[n++] = b;
		b = nano_load_relaxed(&((uint64_t *)b)[1]);
	}
	if (b)
		list_put_back(m, b);
	return n;
}

/* Up to want fresh blocks: one CAS advances the bump pointer over several
 * blocks of the current area (never past its end, so no overshoot); when the
 * area is used up, v1's bump path grows the class by one block. */
static unsigned take_from_bump(struct nano_meta *m, unsigned mag, unsigned slot, uint64_t *buf,
			       unsigned want)
{
	const struct nano_class *c = &nano_z.cls[slot];
	unsigned n = 0;
	while (n < want) {
		uint64_t b = __atomic_load_n(&m->bump, __ATOMIC_ACQUIRE);
		if (!nano_bump_valid(m, b, mag, slot)) {
			void *p = nano_bump(m, mag, slot);
			if (!p)
				break;
			buf[n++] = (uint64_t)(uintptr_t)p;
			continue;
		}
		uint64_t end = (b & ~(NANO_AREA_SIZE - 1)) + c->limit;
		uint64_t k = (end - b) / c->size;
		if (k > want - n)
			k = want - n;
		if (__atomic_compare_exchange_n(&m->bump, &b, b + k * c->size, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			for (uint64_t i = 0; i < k; i++)
				buf[n++] = b + i * c->size;
	}
	return n;
}

static void *nano_front_refill(unsigned slot)
{
	const int cpu = nano_cpu();
	const unsigned mag = nano_magmap_lookup(&nano_z.map, cpu);
	struct nano_meta *m = &nano_z.meta[mag][slot];
	struct nano_fmeta *f = &nano_fr.fm[mag][slot];
	uint64_t buf[NANO_FRONT_CAP_MAX], put = 0, k;
	unsigned n;
	bool bump = false;

	claim((unsigned)cpu, slot, mag);
	n = take_from_list(m, mag, slot, buf, (unsigned)nano_fr.half);
	if (n) {
		fm_add(&f->list_out, n);
	} else {
		n = take_from_bump(m, mag, slot, buf, (unsigned)nano_fr.half);
		if (!n)
			return NULL;      /* exhausted: the helper serves */
		bump = true;
		fm_add(&f->bump_out, n);
	}
	k = n - 1;
	for (uint64_t i = 1; i < n; i++) {
		nano_store_relaxed((uint64_t *)buf[i], 0);
		nano_store_relaxed((uint64_t *)buf[i] + 1, cguard(buf[i]));
	}
	/* The cache pops its top first: reversed, the blocks leave in the order
	 * they were taken (the list's, or the bump's ascending addresses), so a
	 * program that frees in allocation order keeps memory in order and the
	 * next refill walks it with the hardware prefetcher's help. */
	for (uint64_t i = 1, j = n - 1; i < j; i++, j--) {
		uint64_t t = buf[i];
		buf[i] = buf[j];
		buf[j] = t;
	}
	while (k) {
		uint64_t got = 0;
		int r = nano_cs_pushn(nano_rseq_area(), nano_front_base(slot), buf + 1, k, mag + 1,
				      nano_fr.cap, &got);
		if (r == NANO_CS_OK)
			put = got;            /* outputs mean something only then */
		if (r != NANO_CS_ABORT)
			break;
		nano_front_count_abort();
	}
	if (put < k) {
		chain_to_list(buf + 1 + put, k - put, mag, slot);
		fm_add(&f->relist, k - put);
	}
	fm_add(&f->cache_in, put);
	fm_add(&f->refills, 1);
	if (bump)
		fm_add(&f->refills_bump, 1);
	nano_store_relaxed((uint64_t *)buf[0], 0);
	nano_store_relaxed((uint64_t *)buf[0] + 1, NANO_LIVE);
	return (void *)buf[0];
}

static void nano_front_flush(unsigned slot)
{
	uint64_t buf[NANO_FRONT_CAP_MAX], n = 0, own = 0;
	for (;;) {
		int r = nano_cs_popn(nano_rseq_area(), nano_front_base(slot), buf, nano_fr.half, &n,
				     &own);
		if (r == NANO_CS_OK)
			break;
		if (r == NANO_CS_FAIL)
			return;
		nano_front_count_abort();
	}
	if (!n || !own)
		return;
	chain_to_list(buf, n, (unsigned)own - 1, slot);
	fm_add(&nano_fr.fm[own - 1][slot].flushes, 1);
	fm_add(&nano_fr.fm[own - 1][slot].flush_blocks, n);
}

/* Push a detached chain (its head word and tail) onto its owner's list whole,
 * with one CAS. The blocks keep the chain guard: a double free of one of them
 * is caught even after it reached the list. Returns the chain's length. */
static uint64_t chain_push(uint64_t word, uint64_t tail, unsigned omag, unsigned slot)
{
	uint64_t head = word & (((uint64_t)1 << NANO_CHAIN_LEN_SHIFT) - 1);
	uint64_t len = word >> NANO_CHAIN_LEN_SHIFT;
	nano_list_push_chain(&nano_z.meta[omag][slot], head, tail);
	fm_add(&nano_fr.fm[omag][slot].chains, 1);
	fm_add(&nano_fr.fm[omag][slot].chain_blocks, len);
	return len;
}

/* Detach the CPU's chain and push it (chain_push). */
static bool chain_flush(unsigned slot)
{
	uint64_t word = 0, tail = 0, omag = 0;
	for (;;) {
		int r = nano_cs_take(nano_rseq_area(), nano_front_base(slot), &word, &tail, &omag);
		if (r == NANO_CS_OK)
			break;
		if (r != NANO_CS_ABORT)
			return r == NANO_CS_EMPTY;
		nano_front_count_abort();
	}
	chain_push(word, tail, (unsigned)omag, slot);
	return true;
}

static bool nano_front_put_remote(uint64_t p, unsigned mag, unsigned slot)
{
	const int cpu = nano_cpu();
	if ((unsigned)cpu < NANO_MAX_CPUS && nano_magmap_lookup(&nano_z.map, cpu) == mag &&
	    __atomic_load_n(&pslot((unsigned)cpu, slot)->own, __ATOMIC_RELAXED) == 0) {
		/* Not foreign: this CPU's cache was never claimed. Claim it and
		 * let the caller retry the local push. */
		claim((unsigned)cpu, slot, mag);
		return nano_front_put(p, mag, slot);
	}
	/* List format: the chain guard here, the link (written by the
	 * section) in the second word. */
	nano_store_relaxed((uint64_t *)p, hguard(p));
	if ((unsigned)cpu < NANO_MAX_CPUS)
		note_cpu((unsigned)cpu);
	for (;;) {
		int r = nano_cs_chain(nano_rseq_area(), nano_front_base(slot), p, mag, nano_fr.cap);
		if (nano_likely(r == NANO_CS_OK))
			return true;
		if (r == NANO_CS_FAIL)
			return false;
		if (r == NANO_CS_FULL) {
			if (!chain_flush(slot))
				return false;
		} else {
			nano_front_count_abort();
		}
	}
}

/* The cache's slow side: retry after an abort, refill when empty; NULL when
 * the front cannot run (the caller takes v1's path). */
void *nano_front_alloc_slow(unsigned slot)
{
	for (;;) {
		uint64_t p = 0;
		int r = nano_front_alloc_fast(slot, &p);
		if (r == NANO_CS_OK)
			return (void *)p;
		if (r == NANO_CS_EMPTY)
			return nano_front_refill(slot);
		if (r == NANO_CS_FAIL)
			return NULL;
		nano_front_count_abort();
	}
}

/* Give a vetted block whose second word holds the cache guard to the CPU's
 * cache (local) or chain (remote); false: the front cannot take it now, the
 * caller pushes it the v1 way. */
bool nano_front_put(uint64_t p, unsigned mag, unsigned slot)
{
	for (;;) {
		int r = nano_front_put_fast(p, mag, slot);
		if (r == NANO_CS_OK)
			return true;
		if (r == NANO_CS_FOREIGN)
			return nano_front_put_remote(p, mag, slot);
		if (r == NANO_CS_FAIL)
			return false;
		if (r == NANO_CS_FULL)
			nano_front_flush(slot);
		else
			nano_front_count_abort();
	}
}

bool nano_front_put_suspect(uint64_t p, unsigned mag, unsigned slot)
{
	const uint64_t w0 = nano_load_relaxed((uint64_t *)p);
	if (w0 == hguard(p))
		nano_fatal("double free", (void *)p);
	if (w0 == vguard(p) && nano_list_holds(&nano_z.meta[mag][slot], p))
		nano_fatal("double free", (void *)p);
	nano_store_relaxed((uint64_t *)p + 1, cguard(p));
	return nano_front_put(p, mag, slot);
}

/* ========================================================================
 * Drain (pressure relief)
 * ====================================================================== */

/* The records of one CPU are fenced: move their blocks to the lists. */
static uint64_t drain_fenced(unsigned cpu, uint32_t fenced_mask, const uint32_t *owns)
{
	uint64_t moved = 0;
	for (unsigned s = 0; s < NANO_SLOTS; s++) {
		if (!(fenced_mask >> s & 1))
			continue;
		struct nano_pslot *ps = pslot(cpu, s);
		unsigned mag = owns[s] - 1;
		uint64_t pops = ps->pops, n = ps->pushes - pops;
		if (n && owns[s]) {
			chain_to_list(ps->blocks, n, mag, s);
			__atomic_store_n(&ps->pops, pops + n, __ATOMIC_RELAXED);
			fm_add(&nano_fr.fm[mag][s].drains, 1);
			fm_add(&nano_fr.fm[mag][s].drain_blocks, n);
			moved += n;
		}
		if (ps->chain) {
			moved += chain_push(ps->chain, ps->chain_tail, ps->chain_own, s);
			__atomic_store_n(&ps->chain, 0, __ATOMIC_RELAXED);
		}
		__atomic_store_n(&ps->own, owns[s], __ATOMIC_RELEASE);
	}
	return moved;
}

uint64_t nano_front_drain_all(void)
{
	uint64_t moved = 0;
	if (!nano_fr.on || !nano_fr.drain)
		return 0;
	unsigned cpus = front_cpus();
	for (unsigned c = 0; c < cpus; c++) {
		uint32_t owns[NANO_SLOTS], mask = 0;
		for (unsigned s = 0; s < NANO_SLOTS; s++) {
			struct nano_pslot *ps = pslot(c, s);
			owns[s] = __atomic_load_n(&ps->own, __ATOMIC_RELAXED);
			/* A CPU that only freed remote blocks has a chain but no
			 * claimed cache (own 0): fenced all the same. */
			if (owns[s] == NANO_PC_FENCED ||
			    (owns[s] == 0 && !__atomic_load_n(&ps->chain, __ATOMIC_RELAXED)))
				continue;
			if (__atomic_compare_exchange_n(&ps->own, &owns[s], NANO_PC_FENCED, false,
							__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
				mask |= 1u << s;
		}
		if (!mask)
			continue;
		/* Restart whatever critical section runs on CPU c now; every
		 * later one sees the fence. Without the CPU flag (kernels before
		 * 5.10 refuse it) every CPU running this process is interrupted. */
		if (membarrier_call(NANO_MB_PRIVATE_EXPEDITED_RSEQ, NANO_MB_FLAG_CPU, (int)c) != 0 &&
		    membarrier_call(NANO_MB_PRIVATE_EXPEDITED_RSEQ, 0, 0) != 0) {
			for (unsigned s = 0; s < NANO_SLOTS; s++)
				if (mask >> s & 1)
					__atomic_store_n(&pslot(c, s)->own, owns[s], __ATOMIC_RELEASE);
			break;
		}
		moved += drain_fenced(c, mask, owns);
	}
	return moved;
}

#else
uint64_t nano_front_drain_all(void)
{
	return 0;
}
#endif /* NANO_FRONT_BUILT */

__attribute__((noinline, cold))
bool nano_list_block_chained(uint64_t p, unsigned mag, unsigned slot)
{
	uint64_t off = p - nano_z.base;
	return nano_front_on() && nano_off_mag(off) == mag && nano_off_slot(off) == slot &&
	       nano_vet(p, off, mag, slot) && nano_load_relaxed((uint64_t *)p) == (p ^ nano_fr.cookie2);
}

/* ========================================================================
 * Statistics
 * ====================================================================== */

void nano_front_cell(unsigned mag, unsigned slot, struct nano_front_cell *out)
{
	memset(out, 0, sizeof(*out));
	if (!nano_fr.on)
		return;
	unsigned cpus = front_cpus();
	for (unsigned c = 0; c < cpus; c++) {
		const struct nano_pslot *ps = pslot(c, slot);
		if (nano_magmap_lookup(&nano_z.map, (int)c) == mag) {
			out->cache_pops += __atomic_load_n(&ps->pops, __ATOMIC_RELAXED);
			out->cache_pushes += __atomic_load_n(&ps->pushes, __ATOMIC_RELAXED);
		}
		uint64_t w = __atomic_load_n(&ps->chain, __ATOMIC_RELAXED);
		if (w && __atomic_load_n(&ps->chain_own, __ATOMIC_RELAXED) == mag)
			out->chained += w >> NANO_CHAIN_LEN_SHIFT;
	}
}
