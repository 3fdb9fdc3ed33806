/*
 * wl_nano.h - the nano zone's settings and counters, when nano is preloaded.
 *
 * Owns: finding libnano's nano_get_settings and nano_stats_totals at run time
 * with dlsym(RTLD_DEFAULT) (the suite never links libnano), and the deltas of
 * its counters over the measured interval. With any other allocator the
 * symbols are absent and present stays 0: the record's nano fields are empty.
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
	uint64_t retries;           /* retries_pop + retries_push over the interval */
	uint64_t remote_frees;
	uint64_t allocs, frees;
};

/* A snapshot of the totals (zero when nano is absent). */
struct wl_nano_snap {
	int present;
	struct nano_totals t;
};

void wl_nano_snapshot(struct wl_nano_snap *s);
/* Settings now and the difference of two snapshots. */
void wl_nano_info(struct wl_nano_info *info, const struct wl_nano_snap *before,
		  const struct wl_nano_snap *after);

#endif
