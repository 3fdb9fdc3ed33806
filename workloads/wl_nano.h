/*
 * wl_nano.h - the nano zone's settings and counters, when nano is preloaded.
 *
 * Owns: finding libnano's nano_get_settings and nano_stats_totals at run time
 * with dlsym(RTLD_DEFAULT) (the suite never links libnano), and the deltas of
 * its counters over the measured interval. With any other allocator the
 * symbols are absent and present stays 0: the record's nano fields are empty.
 *
 * The front end (v1, or the rseq per-CPU caches of nano-rseq) is reported by
 * name; a libnano built before the rseq front leaves those settings NULL and
 * the counters 0, which read here as "" and 0.
 */
#ifndef WL_NANO_H
#define WL_NANO_H

#include <stdint.h>

#include "nano.h"

struct wl_nano_info {
	int present;
	char layout[16];
	unsigned hyper_shift;
	char map[16];
	unsigned nmags;
	char source[16];
	int stats_compiled;
	char front[8];              /* front end in effect: "v1", "rseq", "" unknown */
	char front_reason[256];     /* why rseq was asked for but is not in effect */
	unsigned front_cap;         /* rseq front: blocks per CPU cache and class */
	uint64_t retries;           /* retries_pop + retries_push over the interval */
	uint64_t remote_frees;
	uint64_t allocs, frees;
	struct nano_front_counts fc;    /* the front's counters over the interval;
					 * cached_blocks, chained_blocks: at its end */
};

/* A snapshot of the totals (zero when nano is absent). */
struct wl_nano_snap {
	int present;
	struct nano_totals t;
};

void wl_nano_snapshot(struct wl_nano_snap *s);
/* The settings alone (no interval): 0, or -1 with present 0 when libnano is
 * not loaded. */
int wl_nano_settings(struct wl_nano_info *info);
/* Settings now and the difference of two snapshots. */
void wl_nano_info(struct wl_nano_info *info, const struct wl_nano_snap *before,
		  const struct wl_nano_snap *after);

#endif
