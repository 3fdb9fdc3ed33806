/*
 * wl_registry.c - the list of workloads, in the order `run --list` shows.
 */
#include <string.h>

#include "wl_workload.h"

extern const struct wl_workload wl_threadtest, wl_larson, wl_xmalloc, wl_cache_scratch,
	wl_cache_thrash, wl_lscale, wl_shbench, wl_glibc_thread, wl_rptest, wl_churn,
	wl_mutator;

const struct wl_workload *const wl_workloads[] = {
	&wl_threadtest, &wl_larson, &wl_xmalloc, &wl_cache_scratch, &wl_cache_thrash,
	&wl_lscale, &wl_shbench, &wl_glibc_thread, &wl_rptest, &wl_churn, &wl_mutator,
	NULL,
};

const struct wl_workload *wl_workload_find(const char *name)
{
	for (unsigned i = 0; wl_workloads[i]; i++)
		if (strcmp(wl_workloads[i]->name, name) == 0)
			return wl_workloads[i];
	return NULL;
}

int wl_param_index(const struct wl_workload *w, const char *name)
{
	for (unsigned i = 0; i < w->nparams; i++)
		if (strcmp(w->params[i].name, name) == 0)
			return (int)i;
	return -1;
}
