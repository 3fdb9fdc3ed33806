/*
 * wl_nano.c - nano's statistics through dlsym (see wl_nano.h).
 */
#include "wl_nano.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef void (*settings_fn)(struct nano_settings *);
typedef void (*totals_fn)(struct nano_totals *);

static totals_fn find_totals(void)
{
	return (totals_fn)dlsym(RTLD_DEFAULT, "nano_stats_totals");
}

void wl_nano_snapshot(struct wl_nano_snap *s)
{
	totals_fn f = find_totals();
	memset(s, 0, sizeof(*s));
	if (f) {
		f(&s->t);
		s->present = 1;
	}
}

/* libnano's strings may be NULL (a field it does not fill yet). */
static void copy(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s ? s : "");
}

int wl_nano_settings(struct wl_nano_info *info)
{
	settings_fn get = (settings_fn)dlsym(RTLD_DEFAULT, "nano_get_settings");
	struct nano_settings s;

	memset(info, 0, sizeof(*info));
	if (!get)
		return -1;
	memset(&s, 0, sizeof(s));
	get(&s);
	info->present = 1;
	copy(info->layout, sizeof(info->layout), s.layout);
	info->hyper_shift = s.hyper_shift;
	copy(info->map, sizeof(info->map), s.map_name);
	info->nmags = s.nmags;
	copy(info->source, sizeof(info->source), s.source);
	info->stats_compiled = s.stats_compiled;
	copy(info->front, sizeof(info->front), s.front);
	copy(info->front_reason, sizeof(info->front_reason), s.front_reason);
	info->front_cap = s.front_cap;
	return 0;
}

/* The front's counters over the interval; the two gauges as they end. */
static void front_delta(struct nano_front_counts *d, const struct nano_front_counts *a,
			const struct nano_front_counts *b)
{
#define D(f) d->f = b->f - a->f
	D(cache_allocs);
	D(cache_frees);
	D(refills);
	D(refill_blocks);
	D(refills_bump);
	D(flushes);
	D(flush_blocks);
	D(chains);
	D(chain_blocks);
	D(drains);
	D(drain_blocks);
	D(aborts);
	D(v1_allocs);
	D(v1_frees);
#undef D
	d->cached_blocks = b->cached_blocks;
	d->chained_blocks = b->chained_blocks;
}

void wl_nano_info(struct wl_nano_info *info, const struct wl_nano_snap *before,
		  const struct wl_nano_snap *after)
{
	if (wl_nano_settings(info) || !before->present || !after->present) {
		memset(info, 0, sizeof(*info));
		return;
	}
	const struct nano_counts *a = &before->t.all, *b = &after->t.all;
	info->retries = (b->retries_pop - a->retries_pop) + (b->retries_push - a->retries_push);
	info->remote_frees = b->remote_frees - a->remote_frees;
	info->allocs = b->allocs - a->allocs;
	info->frees = b->frees - a->frees;
	front_delta(&info->fc, &before->t.front, &after->t.front);
}
