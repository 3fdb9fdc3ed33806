/*
 * nano_front_stage.h - between the rseq front's files (nano_front.c,
 * nano_front_stage.c, nano_front_adapt.c, nano_front_stats.c): the transfer
 * stages, the hand-over of remote blocks, and small helpers.
 */
#ifndef NANO_FRONT_STAGE_H
#define NANO_FRONT_STAGE_H

#include "nano_rseq.h"

/* membarrier(2) commands (the kernel's ABI, linux/membarrier.h, whose
 * header has them only as enum constants): restart the rseq critical
 * sections running on a CPU (Linux 5.10 for the CPU flag). */
#define NANO_MB_PRIVATE_EXPEDITED_RSEQ (1 << 7)
#define NANO_MB_REGISTER_PRIVATE_EXPEDITED_RSEQ (1 << 8)
#define NANO_MB_FLAG_CPU 1

long nano_membarrier(int cmd, unsigned flags, int cpu);

static inline void nano_fm_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

#if NANO_FRONT_BUILT
/* The first three arguments of every critical section on the class. */
#define NANO_CS_ARGS(slot) nano_fr.rs_off, nano_front_hb(slot)
#endif

void nano_stage_init(void);

/* libnano_widen (tests only): a pause of NANO_TEST_WIDEN microseconds where
 * relief and the front's other paths race (after the drain's fence has taken
 * effect, inside a claim), so that the relief tests meet those races every
 * run. Nothing in any other build. */
#ifdef NANO_TEST_WIDEN
#include <unistd.h>
static inline void nano_test_widen(void)
{
	usleep(NANO_TEST_WIDEN);
}
#else
static inline void nano_test_widen(void)
{
}
#endif

/* The calling thread's CPU as rseq reports it: negative without rseq (the
 * slow paths then send the operation to v1; nano_cpu() would ask
 * sched_getcpu(), whose CPU the thread's sections cannot use). */
static inline int nano_front_cpu(void)
{
	return (int)__atomic_load_n(&nano_rseq_area()->cpu_id, __ATOMIC_RELAXED);
}

/* Append blocks[0..n) of (mag, slot), each carrying the free guard, to the
 * magazine's transfer stage; what it cannot take goes to the v1 list. */
void nano_xfer_put(unsigned mag, unsigned slot, const uint64_t *blocks, uint64_t n);
/* The same for the run first, first + size, ... of n blocks. */
void nano_xfer_put_run(unsigned mag, unsigned slot, uint64_t first, uint64_t size, uint64_t n);
/* Blocks of any magazines, freed on this CPU (free guard written): group
 * them by owner, each group to its owner's transfer stage in one step. */
void nano_hand_over(uint64_t *blocks, uint64_t n, unsigned slot);

#endif
