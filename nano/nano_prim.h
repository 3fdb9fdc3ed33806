/*
 * nano_prim.h - the platform under the nano zone, reduced to a few primitives.
 *
 * Everything that depends on the CPU architecture or on Linux lives here, each
 * primitive with its contract. The zone above uses nothing else of the
 * platform (besides pthread mutexes for the grow locks).
 *
 *   nano_cpu()            the CPU the caller runs on, right now
 *   nano_dwcas()          16-byte compare-and-swap of a {pointer, generation}
 *   nano_load_relaxed()   word load that may race with writers (validated by a
 *                         later CAS)
 *   nano_reserve()        reserve address space nobody else can map into
 *   nano_commit()         make part of a reservation readable and writable
 *   nano_seal()           make committed memory read-only
 *   nano_release_pages()  give pages back to the OS, keeping them mapped
 *   nano_limit_*()        the resource limits that shape the layout
 *   nano_random64()       a secret for the guard-word cookie
 *   nano_write_all()      write(2) without stdio (which may malloc)
 */
#ifndef NANO_PRIM_H
#define NANO_PRIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define nano_likely(x) __builtin_expect(!!(x), 1)
#define nano_unlikely(x) __builtin_expect(!!(x), 0)

/* ------------------------------------------------------------------------
 * CPU number
 *
 * glibc 2.35+ registers a restartable-sequences area for every thread and
 * exports its offset from the thread pointer; the kernel keeps its cpu_id
 * current. Reading it is one load. cpu_id is negative when the area is not
 * registered (-1 before registration, -2 when registration failed or was
 * disabled with GLIBC_TUNABLES=glibc.pthread.rseq=0, and under valgrind);
 * then sched_getcpu() (a vDSO call) answers. We never register an area of
 * our own and never write to glibc's.
 * ---------------------------------------------------------------------- */

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
#include <sys/rseq.h>
#define NANO_HAVE_RSEQ 1
#else
#define NANO_HAVE_RSEQ 0
#endif

int nano_cpu_slow(void);

/* __rseq_offset, copied by nano_prim_init(): one load from our own data
 * instead of two through the GOT on every call. */
extern ptrdiff_t nano_rseq_off;

/* Run once before nano_cpu() is used. */
void nano_prim_init(void);

#if NANO_HAVE_RSEQ
/* The calling thread's rseq area (glibc's registration). */
static inline struct rseq *nano_rseq_area(void)
{
	return (struct rseq *)((char *)__builtin_thread_pointer() + nano_rseq_off);
}
#endif

/* Contract: returns a CPU number >= 0 that the caller ran on at some instant
 * during the call (it may migrate right after: callers must stay correct
 * whatever CPU they end up on). Only valid after nano_prim_init(). */
static inline int nano_cpu(void)
{
#if NANO_HAVE_RSEQ
	int cpu = (int)__atomic_load_n(&nano_rseq_area()->cpu_id, __ATOMIC_RELAXED);
	if (nano_likely(cpu >= 0))
		return cpu;
#endif
	return nano_cpu_slow();
}

/* 1 when the calling thread's CPU number comes from rseq. */
int nano_cpu_uses_rseq(void);

/* ------------------------------------------------------------------------
 * Double-width compare-and-swap
 *
 * x86-64: cmpxchg16b. gcc inlines __sync_val_compare_and_swap on a 16-byte
 * integer when built with -mcx16 (its __atomic_* 16-byte builtins call
 * libatomic instead), and ThreadSanitizer understands the __sync builtin,
 * whereas it cannot see inline assembly. The instruction is a full barrier.
 *
 * aarch64: __atomic_compare_exchange_n on 16 bytes, which gcc lowers to a call
 * into libatomic; libatomic uses LSE `casp` where the CPU has it and an
 * exclusive pair (ldaxp/stlxp) loop otherwise. Both are lock-free on every
 * aarch64 CPU, so the zone's lock-freedom argument holds there too; we ask
 * for seq_cst so the ordering is at least what x86's locked instruction gives.
 * ---------------------------------------------------------------------- */

typedef unsigned __int128 nano_u128;

/* Contract: if *p equals *expected, store desired and return true; otherwise
 * re-read *p into *expected and return false. The re-read is two relaxed
 * word loads, so it may be torn; callers loop, and the next CAS validates.
 *
 * On x86-64 the success test is the instruction's own ZF flag
 * (__sync_bool_compare_and_swap): comparing the 128-bit old value instead
 * makes gcc spill both halves through the stack on every call. */
static inline bool nano_dwcas(nano_u128 *p, nano_u128 *expected, nano_u128 desired)
{
#if defined(__x86_64__)
	if (__builtin_expect(__sync_bool_compare_and_swap(p, *expected, desired), 1))
		return true;
	const uint64_t *w = (const uint64_t *)p;
	*expected = (nano_u128)__atomic_load_n(&w[0], __ATOMIC_RELAXED) |
		    (nano_u128)__atomic_load_n(&w[1], __ATOMIC_RELAXED) << 64;
	return false;
#else
	return __atomic_compare_exchange_n(p, expected, desired, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
#endif
}

/* Racy read of a word another thread may be writing; the caller validates
 * what it read with a CAS. A relaxed atomic load rather than a plain one: a
 * plain load would be a data race in C and a false report under TSan. */
static inline uint64_t nano_load_relaxed(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void nano_store_relaxed(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------------
 * Address space
 * ---------------------------------------------------------------------- */

/* Reserve size bytes (PROT_NONE, MAP_NORESERVE). With fixed, exactly at
 * addr or fail (MAP_FIXED_NOREPLACE; an older kernel that treats it as a
 * hint is detected); without, anywhere, aligned to align (a power of two).
 * Returns the address or NULL. */
void *nano_reserve(uintptr_t addr, size_t size, size_t align, bool fixed);

/* Make [addr, addr+size) of a reservation readable and writable. 0 or -1. */
int nano_commit(void *addr, size_t size);

/* Make [addr, addr+size) read-only (its contents stay). 0 or -1. */
int nano_seal(void *addr, size_t size);

/* Drop the contents of whole pages (MADV_DONTNEED: RSS falls at once; the
 * range stays mapped and reads back as zeros). 0 or -1. */
int nano_release_pages(void *addr, size_t size);

size_t nano_page_size(void);

/* ------------------------------------------------------------------------
 * Limits that shape the layout (read at start-up; no allocation)
 *
 * Contract: each returns bytes (or a count), UINT64_MAX where the limit is
 * not set. The address-space limit (RLIMIT_AS, `ulimit -v`) counts every
 * reservation, PROT_NONE included; the data limit (RLIMIT_DATA, `ulimit -d`)
 * counts private writable mappings, so committed bands but not the
 * reservation; the map-count limit (vm.max_map_count, 65530 when it cannot
 * be read) caps how many separately committed pieces the process may have.
 * ---------------------------------------------------------------------- */

uint64_t nano_limit_as(void);
uint64_t nano_limit_data(void);
uint64_t nano_limit_maps(void);

/* 1 + the highest CPU number the kernel may ever use (the possible mask:
 * CPUs hot-plugged later included); 0 when it cannot be read. */
unsigned nano_cpus_possible(void);

/* A bound on the CPU numbers the kernel hands out, from the size of its CPU
 * mask (a multiple of 64, at least 1 + the highest possible CPU); 0 when
 * that is more than max (a multiple of 64, at most 1024) or cannot be
 * read. */
unsigned nano_cpus_kernel(unsigned max);

/* ------------------------------------------------------------------------
 * Odds and ends
 * ---------------------------------------------------------------------- */

/* 64 random bits from getrandom(); falls back to mixing the clock and
 * addresses when the kernel has no entropy call. Never returns 0. */
uint64_t nano_random64(void);

/* write(2) the whole buffer to fd, retrying on EINTR and short writes. */
void nano_write_all(int fd, const char *buf, size_t len);

#endif
