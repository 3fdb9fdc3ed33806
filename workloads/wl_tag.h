/*
 * wl_tag.h - block tagging: proof that a block belongs to its holder.
 *
 * Owns: what the harness writes into every block it gets from malloc and
 * checks before giving it back. The tag is a 64-bit value h derived from the
 * block's address, size and a per-block nonce (unique per thread and block):
 *   size >= 16: h in the first word, ~h in the last 8 bytes, and the bytes in
 *               between, up to 64 bytes into the block, set to (h & 0xff);
 *               so the first and the last cache line are always written.
 *   size < 16:  every byte set to the matching byte of h.
 * An allocator that hands a live block out twice lets the second holder
 * overwrite the first holder's tag (their nonces differ), so the first check
 * fails; one that writes its own metadata into a live block fails the same
 * way. Cost: 2 stores + a memset of at most 48 bytes; the check reads the
 * same bytes back.
 */
#ifndef WL_TAG_H
#define WL_TAG_H

#include <stdint.h>
#include <string.h>

#include "wl_rng.h"

/* One live block as a workload holds it (16 bytes). */
struct wl_blk {
	void *p;
	uint32_t size;
	uint32_t nonce;
};

#define WL_TAG_FILL 64

static inline uint64_t wl_tag_value(const struct wl_blk *b)
{
	return wl_mix64((uintptr_t)b->p ^ ((uint64_t)b->nonce << 32 | b->size));
}

static inline void wl_tag_write(const struct wl_blk *b)
{
	uint64_t h = wl_tag_value(b), nh = ~h;
	unsigned char *p = b->p;

	if (b->size >= 16) {
		size_t fill = (b->size < WL_TAG_FILL ? b->size : WL_TAG_FILL) - 8;
		memset(p + 8, (int)(h & 0xff), fill > 8 ? fill - 8 : 0);
		memcpy(p, &h, 8);
		memcpy(p + b->size - 8, &nh, 8);
	} else {
		for (unsigned i = 0; i < b->size; i++)
			p[i] = (unsigned char)(h >> (8 * (i & 7)));
	}
}

/* 1 when the tag is intact. */
static inline int wl_tag_check(const struct wl_blk *b)
{
	uint64_t h = wl_tag_value(b), w, e;
	const unsigned char *p = b->p;

	if (b->size >= 16) {
		size_t fill = (b->size < WL_TAG_FILL ? b->size : WL_TAG_FILL) - 8;
		memcpy(&w, p, 8);
		memcpy(&e, p + b->size - 8, 8);
		if (w != h || e != ~h)
			return 0;
		for (size_t i = 8; i < fill; i++)
			if (p[i] != (unsigned char)(h & 0xff))
				return 0;
		return 1;
	}
	for (unsigned i = 0; i < b->size; i++)
		if (p[i] != (unsigned char)(h >> (8 * (i & 7))))
			return 0;
	return 1;
}

#endif
