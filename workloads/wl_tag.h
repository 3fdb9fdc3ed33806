/*
 * wl_tag.h - block tagging: proof that a block belongs to its holder.
 *
 * Owns: what the harness writes into a block it got from malloc and checks
 * before giving it back, and the bytes a workload writes into its blocks
 * (its "touch", following the original program: wl_fill).
 *
 * The tag is a 32-bit value w of the block's address and a per-block nonce
 * (unique per thread and block): w = (low 32 bits of p, xor the nonce)
 * times an odd constant, one multiply. For one address, distinct nonces give
 * distinct w (the multiply is a bijection on 32 bits), so two holders of a
 * block of 4 bytes or more never share a tag. The block's tagged image is byte i = byte
 * (i mod 4) of w, and the tag is that image in two 4-byte words:
 *   ends   the first and the last 4 bytes of the block (they overlap in a
 *          block of 4 to 7 bytes, and agree there: the last word is w
 *          rotated by 8 (size mod 4) bits, one ror);
 *   first  the first 4 bytes only.
 * Blocks of 1 to 3 bytes are tagged byte by byte with the top bytes of w:
 * the low byte of a product depends on the low byte of its input alone, so
 * two nonces 256 apart would give one address the same low byte; the top
 * ones mix every input bit, and two holders share a 1-byte tag with chance
 * 1/256 (1/65536 for 2 bytes), not by a pattern. Words of 4 bytes, whatever
 * the size from 4 bytes up, keep the size out of the branches: a workload
 * drawing sizes at random (glibc-thread: half its blocks are 4 to 7 bytes)
 * would otherwise mispredict a branch in every tag.
 * Which blocks get what follows the workload's touch T (bytes it writes from
 * the start of each block, WL_TOUCH_ALL for every byte), so the tag never
 * makes the harness touch memory the original leaves alone, except in a
 * sample:
 *   T >= size       ends, every block (the words lie in written bytes);
 *   0 < T < size    first on every block, ends on the sampled ones;
 *   T == 0          ends on the sampled ones, nothing on the others.
 * "Sampled" is the blocks on 1 page in 64, chosen by a hash of the page's
 * address and a run-wide salt: the decision depends on the address only, so
 * both holders of a block handed out twice tag it (and the first check sees
 * the second holder's tag), and an allocator that writes into live blocks is seen in
 * the sample. The first and last words together also catch a block that is
 * smaller than asked for or overlaps its neighbour.
 *
 * Cost: a xor, a multiply and a rotation, two stores; the check the same,
 * two loads and two compares (and, where the workload writes less than the
 * whole block, a second multiply for the sample).
 */
#ifndef WL_TAG_H
#define WL_TAG_H

#include <stdint.h>
#include <string.h>

/* One live block as a workload holds it (16 bytes). */
struct wl_blk {
	void *p;
	uint32_t size;
	uint32_t nonce;
};

#define WL_TOUCH_ALL UINT32_MAX
#define WL_TAG_SAMPLE_BITS 6            /* 1 page in 2^6 */

enum wl_tag_what { WL_TAG_NONE, WL_TAG_FIRST, WL_TAG_ENDS };

static inline uint32_t wl_tag_value(const struct wl_blk *b)
{
	return ((uint32_t)(uintptr_t)b->p ^ b->nonce) * 0x5bd1e995u;
}

/* Is this address in the run's sample? The choice is by 4 KiB page, so a
 * workload that writes nothing into its blocks (linux-scalability) faults
 * in 1 page in 64 for the tags, not most pages (8 blocks of 512 bytes on a
 * page, sampled one by one, would touch 40% of the pages). */
static inline int wl_tag_sampled(const void *p, uint64_t salt)
{
	return ((((uint64_t)(uintptr_t)p >> 12) ^ salt) * 0xbf58476d1ce4e5b9ull) >>
	       (64 - WL_TAG_SAMPLE_BITS) == 0;
}

static inline enum wl_tag_what wl_tag_what(const struct wl_blk *b, uint32_t touch, uint64_t salt)
{
	if (touch >= b->size || wl_tag_sampled(b->p, salt))
		return WL_TAG_ENDS;
	return touch ? WL_TAG_FIRST : WL_TAG_NONE;
}

/* ------------------------------------------------------------------------
 * Writing and checking: 4-byte words, no branch on the size from 4 bytes up
 * ---------------------------------------------------------------------- */

/* The 4 bytes at offset off of the block's image (byte i = byte i mod 4 of
 * w): w rotated right by 8 (off mod 4) bits, one ror. */
static inline uint32_t wl_tag_word(uint32_t w, uint32_t off)
{
	unsigned r = (8 * off) & 31;
	return w >> r | w << (-r & 31);
}

static inline void wl_tag_put(const struct wl_blk *b, enum wl_tag_what what)
{
	uint32_t h = wl_tag_value(b);
	unsigned char *p = b->p;
	uint32_t first = h, last;
	if (what == WL_TAG_NONE)
		return;
	if (__builtin_expect(b->size >= 4, 1)) {
		if (what == WL_TAG_ENDS) {
			last = wl_tag_word(h, b->size - 4);
			memcpy(p + b->size - 4, &last, 4);
		}
		memcpy(p, &first, 4);
	} else {
		for (uint32_t i = 0; i < b->size; i++)
			p[i] = (unsigned char)(h >> (24 - 8 * i));
	}
}

/* 1 when the tag is intact. */
static inline int wl_tag_ok(const struct wl_blk *b, enum wl_tag_what what)
{
	uint32_t h = wl_tag_value(b);
	const unsigned char *p = b->p;
	uint32_t w, e;
	if (what == WL_TAG_NONE)
		return 1;
	if (__builtin_expect(b->size >= 4, 1)) {
		memcpy(&w, p, 4);
		if (what == WL_TAG_FIRST)
			return w == h;
		memcpy(&e, p + b->size - 4, 4);
		return (w == h) & (e == wl_tag_word(h, b->size - 4));
	}
	for (uint32_t i = 0; i < b->size; i++)
		if (p[i] != (unsigned char)(h >> (24 - 8 * i)))
			return 0;
	return 1;
}

static inline void wl_tag_write(const struct wl_blk *b, uint32_t touch, uint64_t salt)
{
	wl_tag_put(b, wl_tag_what(b, touch, salt));
}

static inline int wl_tag_check(const struct wl_blk *b, uint32_t touch, uint64_t salt)
{
	return wl_tag_ok(b, wl_tag_what(b, touch, salt));
}

/* ------------------------------------------------------------------------
 * The workload's own writes
 * ---------------------------------------------------------------------- */

/* Write n bytes from p: overlapping 16-byte stores up to 64 bytes (the
 * common touch sizes), memset above. What is written does not matter (the
 * tag goes on top); the pattern is fixed so that no arithmetic precedes the
 * stores. */
#define WL_FILL_BYTE 0x5a

/* The same bytes' worth of stores a byte at a time, byte k getting k: what
 * a C loop `p[k] = (char)k` compiles to where gcc leaves it scalar, as at
 * -O2 (glibc-thread's original: one store per byte). The empty asm keeps
 * the compiler from vectorizing it. */
static inline void wl_fill_bytes(void *p, size_t n)
{
	unsigned char *q = p;
	for (size_t k = 0; k < n; k++) {
		q[k] = (unsigned char)k;
		__asm__("" : "+r"(k));
	}
}

static inline void wl_fill(void *p, size_t n)
{
	typedef uint64_t wl_v16 __attribute__((vector_size(16)));
	const wl_v16 v = { 0x5a5a5a5a5a5a5a5aull, 0x5a5a5a5a5a5a5a5aull };
	unsigned char *q = p;
	if (n >= 16 && n <= 64) {
		memcpy(q, &v, 16);
		memcpy(q + n - 16, &v, 16);
		if (n > 32) {
			memcpy(q + 16, &v, 16);
			memcpy(q + n - 32, &v, 16);
		}
	} else if (n >= 8 && n < 16) {
		memcpy(q, &v, 8);
		memcpy(q + n - 8, &v, 8);
	} else if (n < 8) {
		for (size_t k = 0; k < n; k++)
			q[k] = WL_FILL_BYTE;
	} else {
		memset(q, WL_FILL_BYTE, n);
	}
}

#endif
