/*
 * wl_rng.h - the harness's random number generator.
 *
 * Owns: the one RNG every workload uses, so that a run is reproducible from
 * its seed. xoshiro-style generators are overkill here; we use splitmix64 to
 * derive independent per-thread streams from (seed, stream id) and a
 * xorshift64* generator for the hot path (3 shifts, 3 xors, 1 multiply; no
 * memory but the 8-byte state, which lives in the thread's own context).
 */
#ifndef WL_RNG_H
#define WL_RNG_H

#include <stdint.h>

struct wl_rng {
	uint64_t s;
};

/* splitmix64: a bijective mixer; also used to derive tags and streams. */
static inline uint64_t wl_mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Seed stream `id` of a run seeded with `seed` (never a zero state). */
static inline void wl_rng_seed(struct wl_rng *r, uint64_t seed, uint64_t id)
{
	r->s = wl_mix64(seed ^ wl_mix64(id + 1));
	if (r->s == 0)
		r->s = 0x2545f4914f6cdd1dull;
}

static inline uint64_t wl_rng_next(struct wl_rng *r)
{
	uint64_t x = r->s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Uniform in [0, n) (n > 0) by multiply-shift: no division, tiny bias. */
static inline uint64_t wl_rng_below(struct wl_rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)wl_rng_next(r) * n) >> 64);
}

/* 1 with probability pct/100. */
static inline int wl_rng_pct(struct wl_rng *r, unsigned pct)
{
	return wl_rng_below(r, 100) < pct;
}

#endif
