/*
 * wl_magmaps.h - nano's magazine tables for a hwloc topology.
 *
 * Owns: feeding nano's pure table builder (nano_magmap.h) from hwloc, and the
 * diagnosis `nanobench topo` prints: how siblings are numbered (adjacent:
 * cpu i and i+1 share a core; split: cpu i and i+N/2, the usual Linux x86
 * numbering) and what each map does with them (merged cores, split cores).
 */
#ifndef WL_MAGMAPS_H
#define WL_MAGMAPS_H

#include "nano_magmap.h"
#include "wl_topo.h"

enum wl_numbering {
	WL_NUM_NO_SMT,      /* one PU per core */
	WL_NUM_ADJACENT,    /* siblings are consecutive CPU numbers */
	WL_NUM_SPLIT,       /* sibling r of core c is c + r * N/smt */
	WL_NUM_OTHER,
};

struct wl_magmaps {
	struct nano_topo topo;
	unsigned default_shift;
	uint64_t fingerprint;
	enum wl_numbering numbering;
	struct nano_magmap map[NANO_MAP_COUNT];
};

/* hyper_shift < 0: the default. Returns 0, or -1 (too many CPUs for nano). */
int wl_magmaps_build(const struct wl_topo *t, int hyper_shift, struct wl_magmaps *m);
const char *wl_numbering_name(enum wl_numbering n);

#endif
