/*
 * nano_rseq.h - the rseq critical sections of the front (nano_front.h), in
 * x86-64 inline assembly, and the fast paths built on them.
 *
 * A critical section is the code between two labels, described by a
 * struct rseq_cs record {version 0, flags 0, start_ip, post_commit_offset,
 * abort_ip} emitted into the __rseq_cs section. The section first stores the
 * record's address into the rseq_cs field of the thread's rseq area (glibc's
 * registration: we never register an area of our own and write nothing else
 * into it); if the kernel preempts, migrates or signals the thread while its
 * instruction pointer is inside [start_ip, start_ip + post_commit_offset), it
 * resumes the thread at abort_ip instead. The kernel checks that the 4 bytes
 * before abort_ip hold the signature glibc registered (RSEQ_SIG); we place it
 * as the immediate of a ud1 instruction, so that the signature is also an
 * invalid instruction should anything ever fall through into it. The abort
 * handler, in the __rseq_failure section, returns NANO_CS_ABORT to C, which
 * counts the abort and starts over. rseq_cs is left set after a section: the
 * kernel clears it lazily once the instruction pointer is outside.
 *
 * Inside, a section reads cpu_id (kept current by the kernel; -1/-2 when rseq
 * is not registered for the thread, which find read-only zero headers: own
 * 0, capacities 0, so that before any write pop finds its cache empty, push
 * its cache full or the block foreign, rpush its buffer full), locates the
 * CPU's header for the class, fails on a fenced one, and commits with its
 * last instruction: one store. Everything it writes before that store is
 * either private to the caller (its own block, its own buffer) or lies where
 * no one reads it until a commit says so (slots above a count).
 *
 * Addressing. hb = slabs + class * 16 KiB is the class's header on CPU 0;
 * the section adds cpu << NANO_FS_CPU_SHIFT; the slots follow the header
 * (struct nano_parea). Every offset, the rseq area's fields and the slab's,
 * is an offsetof operand: nothing is hard-coded that the structures could
 * contradict.
 *
 * Each function returns one of enum nano_cs; outputs are only meaningful with
 * NANO_CS_OK. The fast paths' sections (pop, push, rpush) are asm goto:
 * their common path falls through with no status to set and test, and
 * their other exits jump to C labels that only return a status. An asm
 * goto's outputs have no defined value on its goto paths, so nothing there
 * reads them (the refill once relied on one, and test_front's stress lost
 * frees from the statistics when the inlining changed); the slow paths'
 * sections are plain asm with a status output.
 */
#ifndef NANO_RSEQ_H
#define NANO_RSEQ_H

#include "nano_front.h"

#if NANO_FRONT_BUILT

/* How a critical section ended; the numbers are also the assembly's. */
#define NANO_CS_EMPTY_N 1
#define NANO_CS_FULL_N 2
#define NANO_CS_FOREIGN_N 3
#define NANO_CS_FAIL_N 4
#define NANO_CS_ABORT_N 5
enum nano_cs { NANO_CS_OK = 0, NANO_CS_EMPTY = NANO_CS_EMPTY_N, NANO_CS_FULL = NANO_CS_FULL_N,
	       NANO_CS_FOREIGN = NANO_CS_FOREIGN_N, NANO_CS_FAIL = NANO_CS_FAIL_N,
	       NANO_CS_ABORT = NANO_CS_ABORT_N };

/* The kernel's record layout (linux/rseq.h), which the assembly emits. */
_Static_assert(sizeof(struct rseq_cs) == 32 && offsetof(struct rseq_cs, start_ip) == 8 &&
	       offsetof(struct rseq_cs, post_commit_offset) == 16 &&
	       offsetof(struct rseq_cs, abort_ip) == 24, "struct rseq_cs as emitted");

/* The operands every section uses. rs is the offset of the thread's rseq
 * area from the thread pointer (%fs), glibc's __rseq_offset. */
#define NANO_CS_IN                                                             \
	[rs] "r"(rs), [hb] "r"(hb),                                            \
	[o_rscs] "i"(offsetof(struct rseq, rseq_cs)),                          \
	[o_cpu] "i"(offsetof(struct rseq, cpu_id)),                            \
	[sh] "i"(NANO_FS_CPU_SHIFT),                                           \
	[sig] "i"(RSEQ_SIG),                                                   \
	[o_pops] "i"(offsetof(struct nano_pcls, pops)),                        \
	[o_pushes] "i"(offsetof(struct nano_pcls, pushes)),                    \
	[o_own] "i"(offsetof(struct nano_pcls, own)),                          \
	[o_cap] "i"(offsetof(struct nano_pcls, cap)),                          \
	[o_rpops] "i"(offsetof(struct nano_pcls, rpops)),                      \
	[o_rpushes] "i"(offsetof(struct nano_pcls, rpushes)),                  \
	[o_rcap] "i"(offsetof(struct nano_pcls, rcap)),                        \
	[o_slot] "i"(offsetof(struct nano_parea, slot)),                       \
	[o_rslot] "i"(offsetof(struct nano_parea, rslot)),                     \
	[maxmag] "i"(NANO_MAX_MAGAZINES)

/* Arming a section: the store of its record's address into rseq_cs. Built
 * with NANO_FRONT_NO_RESTART (the test that proves the stress tests can
 * fail, nano/tests/meson.build), the store is left out: the kernel then
 * never restarts a section, and threads that share a CPU corrupt the
 * caches. Never in a library anyone uses. */
#ifdef NANO_FRONT_NO_RESTART
#define NANO_CS_ARM ""
#else
#define NANO_CS_ARM "movq %[t0], %%fs:%c[o_rscs](%[rs])\n\t"
#endif

/* Built with NANO_TEST_WIDEN (libnano_widen, a test build only), a pause
 * loop between the pop's two loads of the counts: the test that relief's
 * restore of the counts and a pop's loads are ordered right meets the
 * interleaving every run, where the plain build meets it once in hundreds
 * of runs. R: a scratch register of the section. */
#ifdef NANO_TEST_WIDEN
#define NANO_CS_WIDEN(R)                                                       \
	"movl $256, %k[" R "]\n\t"                                             \
	"60: pause\n\t"                                                        \
	"subl $1, %k[" R "]\n\t"                                               \
	"jnz 60b\n\t"
#else
#define NANO_CS_WIDEN(R) ""
#endif

/* The record, the store of its address, and the CPU number into t0, sign
 * extended: -1 and -2 (no rseq) land on read-only zero headers below the
 * slabs (nano_front.h), so no bounds check is needed. */
#define NANO_CS_BEGIN_CPU                                                      \
	".pushsection __rseq_cs, \"aw\"\n\t"                                   \
	".balign 32\n\t"                                                       \
	"70:\n\t"                                                              \
	".long 0, 0\n\t"                                                       \
	".quad 71f, 72f - 71f, 73f\n\t"                                        \
	".popsection\n\t"                                                      \
	"leaq 70b(%%rip), %[t0]\n\t"                                           \
	NANO_CS_ARM                                                            \
	"71:\n\t"                                                              \
	"movslq %%fs:%c[o_cpu](%[rs]), %[t0]\n\t"

/* t0: the CPU number -> the header of (CPU, class). */
#define NANO_CS_BEGIN_HDR                                                      \
	"shlq %[sh], %[t0]\n\t"                                                \
	"addq %[hb], %[t0]\n\t"

#define NANO_CS_BEGIN NANO_CS_BEGIN_CPU NANO_CS_BEGIN_HDR

/* The end of the section, and its exits: the status in st (enum nano_cs),
 * NANO_CS_OK on the straight path, the others set by stubs in the
 * __rseq_failure section, the abort handler among them. */
#define NANO_CS_END                                                            \
	"72:\n\t"                                                              \
	"xorl %k[st], %k[st]\n\t"                                              \
	"99:\n\t"                                                              \
	".pushsection __rseq_failure, \"ax\"\n\t"                              \
	"90: movl $1, %k[st]\n\tjmp 99b\n\t"                                   \
	"91: movl $2, %k[st]\n\tjmp 99b\n\t"                                   \
	"92: movl $3, %k[st]\n\tjmp 99b\n\t"                                   \
	"93: movl $4, %k[st]\n\tjmp 99b\n\t"                                   \
	".byte 0x0f, 0xb9, 0x3d\n\t"                                           \
	".long %c[sig]\n\t"                                                    \
	"73: movl $5, %k[st]\n\tjmp 99b\n\t"                                   \
	".popsection\n\t"

/* The end of a section written as asm goto (the fast paths): the straight
 * path falls through with its outputs, every other exit jumps to a C label,
 * whose code never reads the outputs (they are undefined there). The abort
 * handler carries the signature. */
#define NANO_CS_END_GOTO                                                       \
	"72:\n\t"                                                              \
	".pushsection __rseq_failure, \"ax\"\n\t"                              \
	".byte 0x0f, 0xb9, 0x3d\n\t"                                           \
	".long %c[sig]\n\t"                                                    \
	"73: jmp %l[abort]\n\t"                                                \
	".popsection\n\t"

_Static_assert(NANO_CS_EMPTY_N == 1 && NANO_CS_FULL_N == 2 && NANO_CS_FOREIGN_N == 3 &&
	       NANO_CS_FAIL_N == 4 && NANO_CS_ABORT_N == 5, "the stubs' numbers");

/* A fenced CPU fails every section that tests this (all but pop, which
 * relief stops by the count: nano_front.h). */
#define NANO_CS_FENCE_CHECK                                                    \
	"cmpl $-1, %c[o_own](%[t0])\n\t"                                       \
	"je 93f\n\t"

/* The CPU's magazine must be own (FOREIGN otherwise, out by EXIT: "92f" in
 * a plain section, a C label in an asm goto; a fenced CPU never matches a
 * magazine, an unclaimed one reads 0: the sections that put blocks in test
 * the capacity first). */
#define NANO_CS_OWN_CHECK(EXIT)                                                \
	"cmpl %k[own], %c[o_own](%[t0])\n\t"                                   \
	"jne " EXIT "\n\t"

/* The CPU must not be fenced (FAIL otherwise, out by EXIT: "93f" or a C
 * label; own a magazine; an unclaimed CPU's buffer has no capacity). */
#define NANO_CS_CLAIMED_CHECK(EXIT)                                            \
	"cmpl %[maxmag], %c[o_own](%[t0])\n\t"                                 \
	"jae " EXIT "\n\t"

/* malloc: *out = the cache's top block, pops + 1; EMPTY when the count is 0
 * or below (relief fencing, a zero header). The block below it, which the
 * next malloc of the class will hand out, is prefetched (when the cache
 * held one block, the slot below is the header's last word, the two hints:
 * a prefetch of whatever address that is does no harm, since a prefetch
 * never faults), and so is p + pahead, where a stream of mallocs will be
 * NANO_FS_AHEAD mallocs later (nano_front.h). An asm goto: the common path
 * sets no status and tests none.
 *
 * pushes is loaded before pops. Pop is the one section relief does not
 * fence: it stops pops by storing pushes = 0, and once the cache is drained
 * restores pops, then pushes, to the same value. x86 keeps loads in order
 * and stores in order, so a pop that sees the restored pushes also sees the
 * restored pops (count 0); loading pops first, a pop could pair the old pops
 * with the restored pushes, take a slot relief had already moved to a list
 * and store pops back below pushes, leaving drained slots in the cache. */
static inline __attribute__((always_inline)) int nano_cs_pop(ptrdiff_t rs, char *hb,
							      uint64_t *out)
{
	uint64_t t0, t1, t2, p;
	__asm__ volatile goto(NANO_CS_BEGIN_CPU NANO_CS_BEGIN_HDR
		     "movq %c[o_pushes](%[t0]), %[p]\n\t"
		     NANO_CS_WIDEN("t2")
		     "movq %c[o_pops](%[t0]), %[t1]\n\t"
		     "subq %[t1], %[p]\n\t"
		     "jle %l[empty]\n\t"
		     "movq %c[o_slot]-16(%[t0],%[p],8), %[t2]\n\t"
		     "movq %c[o_slot]-8(%[t0],%[p],8), %[p]\n\t"
		     "prefetcht0 (%[t2])\n\t"
		     "movslq %c[o_pahead](%[t0]), %[t2]\n\t"
		     "prefetcht0 (%[p],%[t2])\n\t"
		     "addq $1, %[t1]\n\t"
		     "movq %[t1], %c[o_pops](%[t0])\n\t"
		     NANO_CS_END_GOTO
		     : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [p] "=&r"(p)
		     : NANO_CS_IN, [o_pahead] "i"(offsetof(struct nano_pcls, pahead))
		     : "memory", "cc"
		     : empty, abort);
	*out = p;
	return NANO_CS_OK;
empty:
	return NANO_CS_EMPTY;
abort:
	return NANO_CS_ABORT;
}

/* Local free: the count below cap (FULL otherwise, an unclaimed CPU
 * included), then own the block's magazine (FOREIGN otherwise, fenced
 * included). Capacity first: an unclaimed CPU's own reads 0, magazine 0's
 * number, and a claim stores own before cap (nano_front.c), so a section
 * that finds a capacity finds the claimed own (x86 keeps loads in order,
 * and stores); tested the other way round, a claim made from another CPU
 * between the two loads would let a block of magazine 0 into a cache of
 * another magazine. Before committing it prefetches p + ahead, where a
 * stream of frees will be NANO_FS_AHEAD frees later (nano_front.h). */
static inline __attribute__((always_inline)) int nano_cs_push(ptrdiff_t rs, char *hb,
							       uint64_t p, uint64_t own)
{
	uint64_t t0, t1, t2;
	__asm__ volatile goto(NANO_CS_BEGIN_CPU NANO_CS_BEGIN_HDR
		     "movq %c[o_pushes](%[t0]), %[t1]\n\t"
		     "movq %[t1], %[t2]\n\t"
		     "subq %c[o_pops](%[t0]), %[t2]\n\t"
		     "cmpl %c[o_cap](%[t0]), %k[t2]\n\t"
		     "jae %l[full]\n\t"
		     NANO_CS_OWN_CHECK("%l[foreign]")
		     "movq %[p], %c[o_slot](%[t0],%[t2],8)\n\t"
		     "movslq %c[o_ahead](%[t0]), %[t2]\n\t"
		     "prefetcht0 (%[p],%[t2])\n\t"
		     "addq $1, %[t1]\n\t"
		     "movq %[t1], %c[o_pushes](%[t0])\n\t"
		     NANO_CS_END_GOTO
		     : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2)
		     : NANO_CS_IN, [p] "r"(p), [own] "r"(own),
		       [o_ahead] "i"(offsetof(struct nano_pcls, ahead))
		     : "memory", "cc"
		     : full, foreign, abort);
	return NANO_CS_OK;
full:
	return NANO_CS_FULL;
foreign:
	return NANO_CS_FOREIGN;
abort:
	return NANO_CS_ABORT;
}

/* Remote free: into the CPU's remote buffer of the class, whoever owns p.
 * FULL at rcap blocks (an unclaimed CPU's rcap is 0); FAIL on a fenced
 * CPU. An asm goto, as push: the free's fast path runs it inline when push
 * finds the block foreign (nano_entry.h). */
static inline __attribute__((always_inline)) int nano_cs_rpush(ptrdiff_t rs, char *hb,
								uint64_t p)
{
	uint64_t t0, t1, t2;
	__asm__ volatile goto(NANO_CS_BEGIN_CPU NANO_CS_BEGIN_HDR
		     NANO_CS_CLAIMED_CHECK("%l[fail]")
		     "movq %c[o_rpushes](%[t0]), %[t1]\n\t"
		     "movq %[t1], %[t2]\n\t"
		     "subq %c[o_rpops](%[t0]), %[t2]\n\t"
		     "cmpl %c[o_rcap](%[t0]), %k[t2]\n\t"
		     "jae %l[full]\n\t"
		     "movq %[p], %c[o_rslot](%[t0],%[t2],8)\n\t"
		     "addq $1, %[t1]\n\t"
		     "movq %[t1], %c[o_rpushes](%[t0])\n\t"
		     NANO_CS_END_GOTO
		     : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2)
		     : NANO_CS_IN, [p] "r"(p)
		     : "memory", "cc"
		     : full, fail, abort);
	return NANO_CS_OK;
full:
	return NANO_CS_FULL;
fail:
	return NANO_CS_FAIL;
abort:
	return NANO_CS_ABORT;
}

/* The body of popn and rpopn: n = min(k, PUSHES - POPS) blocks off the top
 * of a stack whose slot i is at DISP(t1 + i * 8) once t1 points at the
 * first of them, copied to dst[0..n), taken out by POPS + n. */
#define NANO_CS_TAKE_TOP(POPS, PUSHES, DISP)                                   \
	"movq %c[" PUSHES "](%[t0]), %[t1]\n\t"                                 \
	"subq %c[" POPS "](%[t0]), %[t1]\n\t"                                   \
	"movq %[k], %[n]\n\t"                                                  \
	"cmpq %[t1], %[n]\n\t"                                                 \
	"cmovaq %[t1], %[n]\n\t"                                               \
	"subq %[n], %[t1]\n\t"                                                 \
	"leaq (%[t0],%[t1],8), %[t1]\n\t"                                      \
	"xorl %k[i], %k[i]\n\t"                                                \
	"77:\n\t"                                                              \
	"cmpq %[n], %[i]\n\t"                                                  \
	"jae 78f\n\t"                                                          \
	"movq " DISP "(%[t1],%[i],8), %[t2]\n\t"                               \
	"movq %[t2], (%[dst],%[i],8)\n\t"                                      \
	"addq $1, %[i]\n\t"                                                    \
	"jmp 77b\n\t"                                                          \
	"78:\n\t"                                                              \
	"movq %c[" POPS "](%[t0]), %[t1]\n\t"                                   \
	"addq %[n], %[t1]\n\t"                                                 \
	"movq %[t1], %c[" POPS "](%[t0])\n\t"

#define NANO_CS_TAKE_OUT                                                       \
	: [st] "=&r"(st), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [i] "=&r"(i), \
	  [n] "=&r"(n)

/* Flush: copy up to k blocks off the top of the cache (of magazine own)
 * to dst[0..n), in the cache's order, and take them out (pops + n). */
static inline int nano_cs_popn(ptrdiff_t rs, char *hb, uint64_t *dst, uint64_t k,
			       uint64_t own, uint64_t *n_out)
{
	uint64_t t0, t1, t2, i, n;
	int st;
	__asm__ volatile(NANO_CS_BEGIN NANO_CS_OWN_CHECK("92f")
		     NANO_CS_TAKE_TOP("o_pops", "o_pushes", "%c[o_slot]")
		     NANO_CS_END
		     NANO_CS_TAKE_OUT
		     : NANO_CS_IN, [dst] "r"(dst), [k] "r"(k), [own] "r"(own)
		     : "memory", "cc");
	*n_out = n;
	return st;
}

/* The start of pushn and pushr: n = min(k, cap - count) blocks fit (FULL
 * when none), t1 = the first free slot. Their own check comes after it, for
 * push's reason. */
#define NANO_CS_ROOM                                                           \
	"movq %c[o_pushes](%[t0]), %[t1]\n\t"                                   \
	"subq %c[o_pops](%[t0]), %[t1]\n\t"                                     \
	"movl %c[o_cap](%[t0]), %k[n]\n\t"                                      \
	"subq %[t1], %[n]\n\t"                                                 \
	"jbe 91f\n\t"                                                          \
	"cmpq %[k], %[n]\n\t"                                                  \
	"cmovaq %[k], %[n]\n\t"                                                \
	"leaq %c[o_slot](%[t0],%[t1],8), %[t1]\n\t"

/* Their commit: pushes + n. */
#define NANO_CS_PUSHED_N                                                       \
	"movq %c[o_pushes](%[t0]), %[t1]\n\t"                                   \
	"addq %[n], %[t1]\n\t"                                                 \
	"movq %[t1], %c[o_pushes](%[t0])\n\t"

/* Refill: put the top n of src[0..k) (n = as many as fit under cap) into
 * the cache (pushes + n); FULL when none fit. */
static inline int nano_cs_pushn(ptrdiff_t rs, char *hb, const uint64_t *src,
				uint64_t k, uint64_t own, uint64_t *n_out)
{
	uint64_t t0, t1, t2, t3, i, n;
	int st;
	__asm__ volatile(NANO_CS_BEGIN NANO_CS_ROOM
		     NANO_CS_OWN_CHECK("92f")
		     "movq %[k], %[t2]\n\t"
		     "subq %[n], %[t2]\n\t"
		     "leaq (%[src],%[t2],8), %[t2]\n\t"
		     "xorl %k[i], %k[i]\n\t"
		     "77:\n\t"
		     "cmpq %[n], %[i]\n\t"
		     "jae 78f\n\t"
		     "movq (%[t2],%[i],8), %[t3]\n\t"
		     "movq %[t3], (%[t1],%[i],8)\n\t"
		     "addq $1, %[i]\n\t"
		     "jmp 77b\n\t"
		     "78:\n\t"
		     NANO_CS_PUSHED_N
		     NANO_CS_END
		     : [st] "=&r"(st), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3),
		       [i] "=&r"(i), [n] "=&r"(n)
		     : NANO_CS_IN, [src] "r"(src), [k] "r"(k), [own] "r"(own)
		     : "memory", "cc");
	*n_out = n;
	return st;
}

/* Refill from the bump pointer: the run first, first + size, ... of k fresh
 * blocks; as many as fit go into the cache (n), the lowest address on top,
 * so that mallocs carve upwards. FULL when none fit. */
static inline int nano_cs_pushr(ptrdiff_t rs, char *hb, uint64_t first,
				uint64_t size, uint64_t k, uint64_t own, uint64_t *n_out)
{
	uint64_t t0, t1, t2, i, n;
	int st;
	__asm__ volatile(NANO_CS_BEGIN NANO_CS_ROOM
		     NANO_CS_OWN_CHECK("92f")
		     "movq %[n], %[i]\n\t"
		     "movq %[first], %[t2]\n\t"
		     "77:\n\t"
		     "testq %[i], %[i]\n\t"
		     "jz 78f\n\t"
		     "subq $1, %[i]\n\t"
		     "movq %[t2], (%[t1],%[i],8)\n\t"
		     "addq %[size], %[t2]\n\t"
		     "jmp 77b\n\t"
		     "78:\n\t"
		     NANO_CS_PUSHED_N
		     NANO_CS_END
		     : [st] "=&r"(st), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [i] "=&r"(i),
		       [n] "=&r"(n)
		     : NANO_CS_IN, [first] "r"(first), [size] "r"(size), [k] "r"(k), [own] "r"(own)
		     : "memory", "cc");
	*n_out = n;
	return st;
}

/* Empty the remote buffer: up to k blocks (its top) to dst[0..n). */
static inline int nano_cs_rpopn(ptrdiff_t rs, char *hb, uint64_t *dst, uint64_t k,
				uint64_t *n_out)
{
	uint64_t t0, t1, t2, i, n;
	int st;
	__asm__ volatile(NANO_CS_BEGIN NANO_CS_CLAIMED_CHECK("93f")
		     NANO_CS_TAKE_TOP("o_rpops", "o_rpushes", "%c[o_rslot]")
		     NANO_CS_END
		     NANO_CS_TAKE_OUT
		     : NANO_CS_IN, [dst] "r"(dst), [k] "r"(k)
		     : "memory", "cc");
	*n_out = n;
	return st;
}

/* Lower the capacity of (cpu, class) to cap: only on that CPU (FOREIGN
 * elsewhere), only when the cache holds at most cap blocks (FULL). */
static inline int nano_cs_setcap(ptrdiff_t rs, char *hb, uint64_t cpu, uint64_t cap)
{
	uint64_t t0, t1;
	int st;
	__asm__ volatile(NANO_CS_BEGIN_CPU
		     "cmpl %k[cpu], %k[t0]\n\t"
		     "jne 92f\n\t"
		     NANO_CS_BEGIN_HDR NANO_CS_FENCE_CHECK
		     "movq %c[o_pushes](%[t0]), %[t1]\n\t"
		     "subq %c[o_pops](%[t0]), %[t1]\n\t"
		     "cmpq %[cap], %[t1]\n\t"
		     "ja 91f\n\t"
		     "movl %k[cap], %c[o_cap](%[t0])\n\t"
		     NANO_CS_END
		     : [st] "=&r"(st), [t0] "=&r"(t0), [t1] "=&r"(t1)
		     : NANO_CS_IN, [cpu] "r"(cpu), [cap] "r"(cap)
		     : "memory", "cc");
	return st;
}

/* ------------------------------------------------------------------------
 * The fast paths (inlined into malloc and free)
 * ---------------------------------------------------------------------- */

/* A class's entry in the front's table (struct nano_fcls). */
static inline const struct nano_fcls *nano_front_cls(size_t slot)
{
	return &nano_fr.cls[slot + 1];
}

/* The class's header on CPU 0. */
static inline char *nano_front_hb(size_t slot)
{
	return nano_front_cls(slot)->hb;
}

/* The same address by arithmetic (the table's hb is set from it), for
 * free, where the class comes from the block's address. There a load of
 * the entry's hb would add one more load to the chain that runs from the
 * block a malloc took out of a slot, through the class, the header and
 * the count the malloc just stored, to the slot the free stores the block
 * into, which the next malloc of a program that frees what it has just
 * allocated (malloc, use, free, again) loads: the loop of the pair
 * benchmark ran at 8.9-9.8 ns a pair instead of 10.3-10.9 on the Intel
 * development VM, the batch even (README, nano-rseq's goals). */
static inline char *nano_front_hb_at(size_t slot)
{
	return nano_fr.pc + slot * NANO_FS_CLS_BYTES;
}

/* One attempt at a block of the class from the CPU's cache: NANO_CS_OK with
 * the block in *out, or why not (empty, aborted, cannot run): the caller then
 * goes to its slow path, out of line, so that this path needs no saved
 * registers. */
static inline int nano_front_alloc_fast_c(const struct nano_fcls *c, uint64_t *out)
{
	uint64_t p;
	int r = nano_cs_pop(nano_fr.rs_off, c->hb, &p);
	if (nano_likely(r == NANO_CS_OK)) {
		uint64_t *w = (uint64_t *)p;
		/* A free block still carries the free guard: anything else is a
		 * write after free. */
		if (nano_unlikely((nano_load_relaxed(&w[1]) ^ p) != nano_fr.cookie))
			nano_front_corrupt(p);
		nano_store_relaxed(&w[1], NANO_LIVE);
		*out = p;
	}
	return r;
}

static inline int nano_front_alloc_fast(size_t slot, uint64_t *out)
{
	return nano_front_alloc_fast_c(nano_front_cls(slot), out);
}

/* One attempt at a local push of a block whose second word already holds
 * the free guard: NANO_CS_OK, or why not (the caller's slow path follows:
 * nano_entry.h, nano_front_free_odd). */
static inline int nano_front_put_fast(uint64_t p, size_t mag, size_t slot)
{
	return nano_cs_push(nano_fr.rs_off, nano_front_hb_at(slot), p, mag);
}

/* v1's pointer vetting (region checked by the caller): on the class's grid
 * (struct nano_fcls) and below the area's limit ... */
static inline bool nano_front_vet_grid(uint64_t off, const struct nano_fcls *c)
{
	const uint64_t in_area = off & (NANO_AREA_SIZE - 1);
	return in_area * c->mul < c->mul && in_area < c->limit;
}

/* ... and below the bump pointer. */
static inline bool nano_front_vet_bump(uint64_t p, size_t mag, const struct nano_fcls *c)
{
	const uint64_t *bump = (const uint64_t *)((const char *)c->bump0 + (mag << 11));
	return p < __atomic_load_n(bump, __ATOMIC_RELAXED);
}

#endif /* NANO_FRONT_BUILT */
#endif
