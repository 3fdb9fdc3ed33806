/*
 * nano_rseq.h - the rseq critical sections of the front (nano_front.h), in
 * x86-64 inline assembly.
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
 * counts the abort and starts over. rseq_cs is left set after a section: the kernel
 * clears it lazily once the instruction pointer is outside.
 *
 * Inside, a section reads cpu_id (kept current by the kernel), fails when it
 * is not a CPU number below NANO_MAX_CPUS (-1/-2: rseq not registered for
 * this thread), locates the CPU's record for the class, and commits with its
 * last instruction: one store. Everything it writes before that store is
 * either private to the caller (its own block, its own buffer) or lies where
 * no one reads it until a commit says so (slots above the cache's count, the
 * tail of an empty chain).
 *
 * Each function returns one of enum nano_cs; outputs are only meaningful with
 * NANO_CS_OK.
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

#define NANO_STR_(x) #x
#define NANO_STR(x) NANO_STR_(x)

/* The record, the store of its address, the CPU number and the record of
 * the caller's CPU (into t0). base = per-CPU area + class * 1 KiB. */
#define NANO_CS_BEGIN                                                          \
	".pushsection __rseq_cs, \"aw\"\n\t"                                   \
	".balign 32\n\t"                                                       \
	"70:\n\t"                                                              \
	".long 0, 0\n\t"                                                       \
	".quad 71f, 72f - 71f, 73f\n\t"                                        \
	".popsection\n\t"                                                      \
	"leaq 70b(%%rip), %[t0]\n\t"                                           \
	"movq %[t0], 8(%[rs])\n\t"                                             \
	"71:\n\t"                                                              \
	"movl 4(%[rs]), %k[t0]\n\t"                                            \
	"cmpl $" NANO_STR(NANO_MAX_CPUS) ", %k[t0]\n\t"                        \
	"jae 93f\n\t"                                                          \
	"shlq $" NANO_STR(NANO_PC_CPU_SHIFT) ", %[t0]\n\t"                     \
	"addq %[base], %[t0]\n\t"

/* The end of the section, and its exits: the status in st (enum nano_cs),
 * NANO_CS_OK on the straight path, the others set by stubs in the
 * __rseq_failure section, the abort handler among them. A plain asm with
 * outputs, not asm goto: an asm goto's outputs have no defined value on its
 * goto paths, and the refill once relied on one (test_front's stress lost
 * frees from the statistics when the inlining changed). */
#define NANO_CS_END                                                            \
	"72:\n\t"                                                              \
	"xorl %k[st], %k[st]\n\t"                                              \
	"99:\n\t"                                                              \
	".pushsection __rseq_failure, \"ax\"\n\t"                              \
	"90: movl $" NANO_STR(NANO_CS_EMPTY_N) ", %k[st]\n\tjmp 99b\n\t"          \
	"91: movl $" NANO_STR(NANO_CS_FULL_N) ", %k[st]\n\tjmp 99b\n\t"           \
	"92: movl $" NANO_STR(NANO_CS_FOREIGN_N) ", %k[st]\n\tjmp 99b\n\t"        \
	"93: movl $" NANO_STR(NANO_CS_FAIL_N) ", %k[st]\n\tjmp 99b\n\t"           \
	".byte 0x0f, 0xb9, 0x3d\n\t"                                           \
	".long " NANO_STR(RSEQ_SIG) "\n\t"                                     \
	"73: movl $" NANO_STR(NANO_CS_ABORT_N) ", %k[st]\n\tjmp 99b\n\t"          \
	".popsection\n\t"

#define NANO_CS_FENCE_CHECK                                                    \
	"cmpl $-1, 16(%[t0])\n\t"                                              \
	"je 93f\n\t"

/* malloc: *out = blocks[count - 1], pops + 1. */
static inline __attribute__((always_inline)) int nano_cs_pop(struct rseq *rs, char *base,
							      uint64_t *out)
{
	uint64_t t0, t1, p;
	int st;
	__asm__ volatile(NANO_CS_BEGIN NANO_CS_FENCE_CHECK
		     "movq (%[t0]), %[t1]\n\t"
		     "movq 8(%[t0]), %[p]\n\t"
		     "subq %[t1], %[p]\n\t"
		     "jz 90f\n\t"
		     "movq 120(%[t0],%[p],8), %[p]\n\t"
		     "addq $1, %[t1]\n\t"
		     "movq %[t1], (%[t0])\n\t"
		     NANO_CS_END
		     : [st] "=&r"(st), [t0] "=&r"(t0), [t1] "=&r"(t1), [p] "=&r"(p)
		     : [rs] "r"(rs), [base] "r"(base)
		     : "memory", "cc");
	*out = p;
	return st;
}

/* Local free: own must be the block's magazine + 1, count below cap. */
static inline __attribute__((always_inline)) int nano_cs_push(struct rseq *rs, char *base,
							       uint64_t p, uint64_t own,
							       uint64_t cap)
{
	uint64_t t0, t1, t2;
	int st;
	__asm__ volatile(NANO_CS_BEGIN
		     "cmpl %k[own], 16(%[t0])\n\t"
		     "jne 92f\n\t"
		     "movq 8(%[t0]), %[t1]\n\t"
		     "movq %[t1], %[t2]\n\t"
		     "subq (%[t0]), %[t2]\n\t"
		     "cmpq %[cap], %[t2]\n\t"
		     "jae 91f\n\t"
		     "movq %[p], 128(%[t0],%[t2],8)\n\t"
		     "addq $1, %[t1]\n\t"
		     "movq %[t1], 8(%[t0])\n\t"
		     NANO_CS_END
		     : [st] "=&r"(st), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2)
		     : [rs] "r"(rs), [base] "r"(base), [p] "r"(p), [own] "r"(own), [cap] "r"(cap)
		     : "memory", "cc");
	return st;
}

/* Remote free: prepend p (of magazine omag) to the CPU's chain. FULL when
 * the chain belongs to another magazine or has cap blocks. */
static inline __attribute__((always_inline)) int nano_cs_chain(struct rseq *rs, char *base,
								uint64_t p, uint64_t omag,
								uint64_t cap)
{
	uint64_t t0, t1, t2;
	int st;
	__asm__ volatile(NANO_CS_BEGIN NANO_CS_FENCE_CHECK
		     "movq 24(%[t0]), %[t1]\n\t"
		     "testq %[t1], %[t1]\n\t"
		     "jz 75f\n\t"
		     "cmpl %k[omag], 40(%[t0])\n\t"
		     "jne 91f\n\t"
		     "movq %[t1], %[t2]\n\t"
		     "shrq $48, %[t2]\n\t"
		     "cmpq %[cap], %[t2]\n\t"
		     "jae 91f\n\t"
		     "addq $1, %[t2]\n\t"
		     "shlq $48, %[t2]\n\t"
		     "orq %[p], %[t2]\n\t"
		     "shlq $16, %[t1]\n\t"
		     "shrq $16, %[t1]\n\t"
		     "movq %[t1], 8(%[p])\n\t"
		     "jmp 76f\n\t"
		     "75:\n\t"
		     "movq %[p], 32(%[t0])\n\t"
		     "movl %k[omag], 40(%[t0])\n\t"
		     "movq $0, 8(%[p])\n\t"
		     "movq %[p], %[t2]\n\t"
		     "btsq $48, %[t2]\n\t"
		     "76:\n\t"
		     "movq %[t2], 24(%[t0])\n\t"
		     NANO_CS_END
		     : [st] "=&r"(st), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2)
		     : [rs] "r"(rs), [base] "r"(base), [p] "r"(p), [omag] "r"(omag), [cap] "r"(cap)
		     : "memory", "cc");
	return st;
}

/* Detach the CPU's chain: *word = head | len << 48, *tail, *omag. */
static inline int nano_cs_take(struct rseq *rs, char *base, uint64_t *word, uint64_t *tail,
			       uint64_t *omag)
{
	uint64_t t0, w, t, o;
	int st;
	__asm__ volatile(NANO_CS_BEGIN NANO_CS_FENCE_CHECK
		     "movq 24(%[t0]), %[w]\n\t"
		     "testq %[w], %[w]\n\t"
		     "jz 90f\n\t"
		     "movq 32(%[t0]), %[t]\n\t"
		     "movl 40(%[t0]), %k[o]\n\t"
		     "movq $0, 24(%[t0])\n\t"
		     NANO_CS_END
		     : [st] "=&r"(st), [t0] "=&r"(t0), [w] "=&r"(w), [t] "=&r"(t), [o] "=&r"(o)
		     : [rs] "r"(rs), [base] "r"(base)
		     : "memory", "cc");
	*word = w;
	*tail = t;
	*omag = o;
	return st;
}

/* Take up to k blocks off the top of the cache into buf: *n of them, which
 * belong to magazine *own - 1. */
static inline int nano_cs_popn(struct rseq *rs, char *base, uint64_t *buf, uint64_t k,
			       uint64_t *n_out, uint64_t *own_out)
{
	uint64_t t0, t1, t2, i, n, o;
	int st;
	__asm__ volatile(NANO_CS_BEGIN
		     "movl 16(%[t0]), %k[o]\n\t"
		     "cmpl $-1, %k[o]\n\t"
		     "je 93f\n\t"
		     "movq 8(%[t0]), %[t1]\n\t"
		     "subq (%[t0]), %[t1]\n\t"
		     "movq %[k], %[n]\n\t"
		     "cmpq %[t1], %[n]\n\t"
		     "cmovaq %[t1], %[n]\n\t"
		     "subq %[n], %[t1]\n\t"
		     "leaq 128(%[t0],%[t1],8), %[t1]\n\t"
		     "xorl %k[i], %k[i]\n\t"
		     "77:\n\t"
		     "cmpq %[n], %[i]\n\t"
		     "jae 78f\n\t"
		     "movq (%[t1],%[i],8), %[t2]\n\t"
		     "movq %[t2], (%[buf],%[i],8)\n\t"
		     "addq $1, %[i]\n\t"
		     "jmp 77b\n\t"
		     "78:\n\t"
		     "movq (%[t0]), %[t1]\n\t"
		     "addq %[n], %[t1]\n\t"
		     "movq %[t1], (%[t0])\n\t"
		     NANO_CS_END
		     : [st] "=&r"(st), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [i] "=&r"(i), [n] "=&r"(n),
		       [o] "=&r"(o)
		     : [rs] "r"(rs), [base] "r"(base), [buf] "r"(buf), [k] "r"(k)
		     : "memory", "cc");
	*n_out = n;
	*own_out = o;
	return st;
}

/* Put up to k blocks of buf (of magazine own - 1) into the cache, as many as
 * fit under cap: *n of them. */
static inline int nano_cs_pushn(struct rseq *rs, char *base, const uint64_t *buf, uint64_t k,
				uint64_t own, uint64_t cap, uint64_t *n_out)
{
	uint64_t t0, t1, t2, i, n;
	int st;
	__asm__ volatile(NANO_CS_BEGIN
		     "cmpl %k[own], 16(%[t0])\n\t"
		     "jne 92f\n\t"
		     "movq 8(%[t0]), %[t1]\n\t"
		     "subq (%[t0]), %[t1]\n\t"
		     "movq %[cap], %[n]\n\t"
		     "subq %[t1], %[n]\n\t"
		     "cmpq %[k], %[n]\n\t"
		     "cmovaq %[k], %[n]\n\t"
		     "leaq 128(%[t0],%[t1],8), %[t1]\n\t"
		     "xorl %k[i], %k[i]\n\t"
		     "77:\n\t"
		     "cmpq %[n], %[i]\n\t"
		     "jae 78f\n\t"
		     "movq (%[buf],%[i],8), %[t2]\n\t"
		     "movq %[t2], (%[t1],%[i],8)\n\t"
		     "addq $1, %[i]\n\t"
		     "jmp 77b\n\t"
		     "78:\n\t"
		     "movq 8(%[t0]), %[t1]\n\t"
		     "addq %[n], %[t1]\n\t"
		     "movq %[t1], 8(%[t0])\n\t"
		     NANO_CS_END
		     : [st] "=&r"(st), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [i] "=&r"(i), [n] "=&r"(n)
		     : [rs] "r"(rs), [base] "r"(base), [buf] "r"(buf), [k] "r"(k), [own] "r"(own),
		       [cap] "r"(cap)
		     : "memory", "cc");
	*n_out = n;
	return st;
}

/* ------------------------------------------------------------------------
 * The fast paths (inlined into nano_malloc and nano_free)
 * ---------------------------------------------------------------------- */

static inline char *nano_front_base(unsigned slot)
{
	return nano_fr.pc + (size_t)slot * NANO_PC_SLOT_BYTES;
}

/* One attempt at a block of the class from the CPU's cache: NANO_CS_OK with
 * the block in *out, or why not (empty, aborted, cannot run): the caller then
 * goes to its slow path, out of line, so that this path needs no saved
 * registers. */
static inline int nano_front_alloc_fast(unsigned slot, uint64_t *out)
{
	uint64_t p;
	int r = nano_cs_pop(nano_rseq_area(), nano_front_base(slot), &p);
	if (nano_likely(r == NANO_CS_OK)) {
		uint64_t *w = (uint64_t *)p;
		/* A cached block still carries the cache guard: anything else
		 * is a write after free. */
		if (nano_unlikely(nano_load_relaxed(&w[1]) != (p ^ nano_fr.cookie)))
			nano_front_corrupt(p);
		nano_store_relaxed(&w[1], NANO_LIVE);
		*out = p;
	}
	return r;
}

/* One attempt at a local push of a block whose second word already holds
 * the cache guard: NANO_CS_OK, or why not (the caller then goes to
 * nano_front_put, and counts an abort). */
static inline int nano_front_put_fast(uint64_t p, unsigned mag, unsigned slot)
{
	return nano_cs_push(nano_rseq_area(), nano_front_base(slot), p, mag + 1, nano_fr.cap);
}

#endif /* NANO_FRONT_BUILT */
#endif
