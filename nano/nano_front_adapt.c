/*
 * nano_front_adapt.c - the rseq front's cache capacities, per CPU and class,
 * following demand within a per-CPU budget (design: nano_front.h).
 *
 * Every refill and every flush is a miss. On a miss, under the CPU's
 * adaptation lock (taken with one CAS and never waited for: a thread that
 * finds it taken skips adapting, which is only a heuristic):
 *   - a class with two misses since its last resize doubles its capacity, up
 *     to front_cap, as long as the CPU's sum of capacity x block size stays
 *     within NANO_FS_BUDGET; when it would not, classes at most a quarter
 *     as active as this one since the last epoch (pops + pushes) are halved
 *     first, the largest in bytes first, and what is left of the budget is
 *     taken (classes about as busy as each other keep their shares: moving
 *     capacity between them would only move the misses);
 *   - every NANO_FS_EPOCH misses on the CPU, a class with no activity since
 *     the previous epoch is halved (idle), and the epoch's snapshot taken.
 * Capacities never fall below min(64, front_cap). A capacity is lowered only
 * by a critical section on its own CPU that finds the cache holding no more
 * than the new capacity (nano_front_setcap, which moves the excess to the
 * transfer stage first), so cached bytes never exceed the budget. A thread
 * that migrated away from the CPU whose lock it holds can only raise
 * capacities (lowering needs the CPU) and gives up the shrink.
 *
 * Relief resets every drained CPU's capacities (nano_front_adapt_reset).
 */
#include "nano_front_stage.h"

#include <sched.h>

#if NANO_FRONT_BUILT
static bool try_lock(struct nano_pcpu *pc)
{
	uint32_t zero = 0;
	return __atomic_compare_exchange_n(&pc->lock, &zero, 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static void unlock(struct nano_pcpu *pc)
{
	__atomic_store_n(&pc->lock, 0, __ATOMIC_RELEASE);
}

static uint32_t cap_of(const struct nano_pcls *c)
{
	return __atomic_load_n(&c->cap, __ATOMIC_RELAXED);
}

static uint64_t moves(const struct nano_pcls *c)
{
	return __atomic_load_n(&c->pops, __ATOMIC_RELAXED) +
	       __atomic_load_n(&c->pushes, __ATOMIC_RELAXED);
}

/* Sum of capacity x block size over the CPU's classes. */
static uint64_t budget_used(unsigned cpu)
{
	uint64_t u = 0;
	for (unsigned s = 0; s < NANO_SLOTS; s++)
		u += (uint64_t)cap_of(nano_front_pcls(cpu, s)) * nano_z.cls[s].size;
	return u;
}

/* The class to halve so that s can grow: at most a quarter as active as s
 * since the epoch, above the starting capacity, the most bytes; -1 when
 * none. */
static int victim(unsigned cpu, unsigned s)
{
	const struct nano_pcls *cs = nano_front_pcls(cpu, s);
	const uint64_t act = moves(cs) - cs->snap;
	uint64_t best_bytes = 0;
	int best = -1;
	for (unsigned t = 0; t < NANO_SLOTS; t++) {
		const struct nano_pcls *c = nano_front_pcls(cpu, t);
		uint64_t bytes = (uint64_t)cap_of(c) * nano_z.cls[t].size;
		/* a quarter of s's activity at most: among classes about as busy
		 * as s, taking from one to give to another only moves misses */
		if (t == s || cap_of(c) <= nano_fr.cap_start || (moves(c) - c->snap) * 4 > act)
			continue;
		if (bytes > best_bytes) {
			best_bytes = bytes;
			best = (int)t;
		}
	}
	return best;
}

static bool halve(unsigned cpu, unsigned t)
{
	uint32_t cap = cap_of(nano_front_pcls(cpu, t)) / 2;
	if (cap < nano_fr.cap_start)
		cap = nano_fr.cap_start;
	if (!nano_front_setcap(cpu, t, cap))
		return false;
	nano_fm_add(&nano_fr.fm[nano_magmap_lookup(&nano_z.map, (int)cpu)][t].shrinks, 1);
	return true;
}

static void grow(unsigned cpu, unsigned s)
{
	struct nano_pcls *c = nano_front_pcls(cpu, s);
	const uint64_t size = nano_z.cls[s].size;
	const uint32_t cap = cap_of(c);
	uint64_t want = (uint64_t)cap * 2 < nano_fr.cap_max ? (uint64_t)cap * 2 : nano_fr.cap_max;
	uint64_t used = budget_used(cpu);
	int t;

	while (used + (want - cap) * size > NANO_FS_BUDGET && (t = victim(cpu, s)) >= 0 &&
	       halve(cpu, (unsigned)t))
		used = budget_used(cpu);
	if (used + (want - cap) * size > NANO_FS_BUDGET)
		want = cap + (used < NANO_FS_BUDGET ? (NANO_FS_BUDGET - used) / size : 0);
	if (want > cap) {
		__atomic_store_n(&c->cap, (uint32_t)want, __ATOMIC_RELAXED);
		nano_fm_add(&nano_fr.fm[nano_magmap_lookup(&nano_z.map, (int)cpu)][s].grows, 1);
	}
	c->misses = 0;
}

/* Halve the classes idle since the last epoch; a new snapshot. */
static void epoch(unsigned cpu)
{
	for (unsigned t = 0; t < NANO_SLOTS; t++) {
		struct nano_pcls *c = nano_front_pcls(cpu, t);
		if (moves(c) == c->snap && cap_of(c) > nano_fr.cap_start)
			(void)halve(cpu, t);
		c->snap = moves(c);
	}
}

void nano_front_adapt_miss(unsigned cpu, unsigned slot)
{
	struct nano_pcpu *pc = &nano_fr.pcpu[cpu];
	if (nano_fr.cap_start >= nano_fr.cap_max || !try_lock(pc))
		return;
	struct nano_pcls *c = nano_front_pcls(cpu, slot);
	c->misses++;
	if (++pc->clock % NANO_FS_EPOCH == 0)
		epoch(cpu);
	if (c->misses >= 2 && cap_of(c) < nano_fr.cap_max)
		grow(cpu, slot);
	unlock(pc);
}

/* Only the fenced classes: one claimed while relief ran is in use, and a
 * capacity in use falls only through nano_front_setcap. */
void nano_front_adapt_reset(unsigned cpu, uint32_t mask)
{
	struct nano_pcpu *pc = &nano_fr.pcpu[cpu];
	while (!try_lock(pc))
		sched_yield();
	for (unsigned s = 0; s < NANO_SLOTS; s++) {
		struct nano_pcls *c = nano_front_pcls(cpu, s);
		if (!(mask >> s & 1))
			continue;
		__atomic_store_n(&c->cap, nano_fr.cap_start, __ATOMIC_RELAXED);
		c->misses = 0;
		c->snap = moves(c);
	}
	unlock(pc);
}

bool nano_front_setcap(unsigned cpu, unsigned slot, uint32_t cap)
{
	const unsigned mag = nano_magmap_lookup(&nano_z.map, (int)cpu);
	const struct nano_pcls *c = nano_front_pcls(cpu, slot);
	for (int tries = 0; tries < 4; tries++) {
		int r = nano_cs_setcap(NANO_CS_ARGS(slot), cpu, cap);
		if (r == NANO_CS_OK)
			return true;
		if (r == NANO_CS_ABORT) {
			nano_front_count_abort();
			continue;
		}
		if (r != NANO_CS_FULL)
			return false;
		/* pushes first, as a pop loads them: while relief drains the CPU
		 * pushes reads 0, below pops, and there is nothing to move */
		const uint64_t pushes = __atomic_load_n(&c->pushes, __ATOMIC_RELAXED);
		const uint64_t pops = __atomic_load_n(&c->pops, __ATOMIC_RELAXED);
		if (pushes < pops)
			return false;
		if (pushes - pops > cap && nano_front_cache_out(mag, slot, pushes - pops - cap) < 0)
			return false;
	}
	return false;
}
#endif /* NANO_FRONT_BUILT */
