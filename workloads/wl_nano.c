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

void wl_nano_info(struct wl_nano_info *info, const struct wl_nano_snap *before,
		  const struct wl_nano_snap *after)
{
	settings_fn get = (settings_fn)dlsym(RTLD_DEFAULT, "nano_get_settings");
	struct nano_settings s;

	memset(info, 0, sizeof(*info));
	if (!get || !before->present || !after->present)
		return;
	memset(&s, 0, sizeof(s));
	get(&s);
	info->present = 1;
	snprintf(info->layout, sizeof(info->layout), "%s", s.layout ? s.layout : "");
	info->hyper_shift = s.hyper_shift;
	snprintf(info->map, sizeof(info->map), "%s", s.map_name ? s.map_name : "");
	info->nmags = s.nmags;
	snprintf(info->source, sizeof(info->source), "%s", s.source ? s.source : "");
	info->stats_compiled = s.stats_compiled;
	const struct nano_counts *a = &before->t.all, *b = &after->t.all;
	info->retries = (b->retries_pop - a->retries_pop) + (b->retries_push - a->retries_push);
	info->remote_frees = b->remote_frees - a->remote_frees;
	info->allocs = b->allocs - a->allocs;
	info->frees = b->frees - a->frees;
}
