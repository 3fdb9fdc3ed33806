/*
 * wl_tag.h - block tagging: proof that a block belongs to its holder.
 *
 * Owns: what the harness writes into a block it got from malloc and checks
 * before giving it back, and the bytes a workload writes into its blocks
 * (its "touch", following the original program: wl_fill).
 *
 * The tag is a 64-bit value h of the block's address and a per-block nonce
 * (unique per thread and block): h = p ^ (nonce, twice) ^ constant, so two
 * holders of one address never share a tag. Where it goes:
 *   ends   the first word of the block is h and the last word ~h (blocks of
 *          16 bytes and more). Smaller blocks are covered by two overlapping
 *          words of the widest power of two that fits (8, 4, 2 or 1 bytes),
 *          laid out so that byte i of the block is byte (i mod 8) of h: the
 *          two words agree where they overlap.
 *   first  only the first word (of that width).
 * Which blocks get what follows the workload's touch T (bytes it writes from
 * the start of each block, WL_TOUCH_ALL for every byte), so the tag never
 * makes the harness touch memory the original leaves alone, except in a
 * sample:
 *   T >= size       ends, every block (the words lie in written bytes);
 *   0 < T < size    first on every block, ends on the sampled ones;
 *   T == 0          ends on the sampled ones, nothing on the others.
 * "Sampled" is 1 block in 16, chosen by a hash of the block's address and a
 * run-wide salt: the decision depends on the address only, so both holders
 * of a block handed out twice tag it (and the first check sees the second
 * holder's tag), and an allocator that writes into live blocks is seen in
 * the sample. The first and last words together also catch a block that is
 * smaller than asked for or overlaps its neighbour.
 *
 * Cost on the 16-byte-and-more path: a shift and three xors, two stores; the
 * check the same, two loads and two compares (and, where the workload writes
 * less than the whole block, a multiply for the sample).
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
#define WL_TAG_SAMPLE_BITS 4            /* 1 block in 2^4 */

enum wl_tag_what { WL_TAG_NONE, WL_TAG_FIRST, WL_TAG_ENDS };

static inline uint64_t wl_tag_value(const struct wl_blk *b)
{
	return (uint64_t)(uintptr_t)b->p ^ ((uint64_t)b->nonce << 32 | b->nonce) ^
	       0x5bd1e9955bd1e995ull;
}

/* Is this address in the run's sample? */
static inline int wl_tag_sampled(const void *p, uint64_t salt)
{
	return (((uint64_t)(uintptr_t)p ^ salt) * 0xbf58476d1ce4e5b9ull) >> (64 - WL_TAG_SAMPLE_BITS)
	       == 0;
}

static inline enum wl_tag_what wl_tag_what(const struct wl_blk *b, uint32_t touch, uint64_t salt)
{
	if (touch >= b->size || wl_tag_sampled(b->p, salt))
		return WL_TAG_ENDS;
	return touch ? WL_TAG_FIRST : WL_TAG_NONE;
}

/* ------------------------------------------------------------------------
 * Blocks under 16 bytes: words of width w = 8, 4, 2 or 1
 * ---------------------------------------------------------------------- */

static inline unsigned wl_tag_width(uint32_t size)
{
	return size >= 8 ? 8 : size >= 4 ? 4 : size >= 2 ? 2 : 1;
}

static inline void wl_put_word(unsigned char *p, uint64_t v, unsigned w)
{
	uint32_t v4 = (uint32_t)v;
	uint16_t v2 = (uint16_t)v;
	switch (w) {
	case 8: memcpy(p, &v, 8); break;
	case 4: memcpy(p, &v4, 4); break;
	case 2: memcpy(p, &v2, 2); break;
	default: *p = (unsigned char)v; break;
	}
}

static inline uint64_t wl_get_word(const unsigned char *p, unsigned w)
{
	uint64_t v8;
	uint32_t v4;
	uint16_t v2;
	switch (w) {
	case 8: memcpy(&v8, p, 8); return v8;
	case 4: memcpy(&v4, p, 4); return v4;
	case 2: memcpy(&v2, p, 2); return v2;
	default: return *p;
	}
}

/* The w-byte word at offset off of a small block's image (byte i = byte
 * (i mod 8) of h). */
static inline uint64_t wl_small_word(uint64_t h, uint32_t off, unsigned w)
{
	unsigned r = 8 * (off & 7);
	uint64_t rot = r ? h >> r | h << (64 - r) : h;
	return w == 8 ? rot : rot & ((1ull << (8 * w)) - 1);
}

static inline void wl_tag_put_small(unsigned char *p, uint32_t size, uint64_t h, int ends)
{
	unsigned w = wl_tag_width(size);
	if (ends)
		wl_put_word(p + size - w, wl_small_word(h, size - w, w), w);
	wl_put_word(p, wl_small_word(h, 0, w), w);
}

static inline int wl_tag_ok_small(const unsigned char *p, uint32_t size, uint64_t h, int ends)
{
	unsigned w = wl_tag_width(size);
	if (wl_get_word(p, w) != wl_small_word(h, 0, w))
		return 0;
	return !ends || wl_get_word(p + size - w, w) == wl_small_word(h, size - w, w);
}

/* ------------------------------------------------------------------------
 * Writing and checking
 * ---------------------------------------------------------------------- */

static inline void wl_tag_put(const struct wl_blk *b, enum wl_tag_what what)
{
	uint64_t h = wl_tag_value(b), nh = ~h;
	unsigned char *p = b->p;
	if (what == WL_TAG_NONE)
		return;
	if (__builtin_expect(b->size >= 16, 1)) {
		if (what == WL_TAG_ENDS)
			memcpy(p + b->size - 8, &nh, 8);
		memcpy(p, &h, 8);
	} else {
		wl_tag_put_small(p, b->size, h, what == WL_TAG_ENDS);
	}
}

/* 1 when the tag is intact. */
static inline int wl_tag_ok(const struct wl_blk *b, enum wl_tag_what what)
{
	uint64_t h = wl_tag_value(b), w, e;
	const unsigned char *p = b->p;
	if (what == WL_TAG_NONE)
		return 1;
	if (__builtin_expect(b->size >= 16, 1)) {
		memcpy(&w, p, 8);
		if (what == WL_TAG_FIRST)
			return w == h;
		memcpy(&e, p + b->size - 8, 8);
		return (w == h) & (e == ~h);
	}
	return wl_tag_ok_small(p, b->size, h, what == WL_TAG_ENDS);
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
