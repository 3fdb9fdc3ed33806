/*
 * wl_magmaps.c - magazine tables from hwloc (see wl_magmaps.h).
 */
#include "wl_magmaps.h"

#include <string.h>

static enum wl_numbering numbering(const struct nano_topo *t)
{
	int adjacent = 1, split = 1;
	unsigned stride;

	if (t->max_smt <= 1)
		return WL_NUM_NO_SMT;
	/* split numbering: sibling r of a core is r x (the number of cores)
	 * above its first CPU, whether or not every sibling is online */
	stride = t->ncores;
	for (unsigned cpu = 0; cpu < t->ncpus; cpu++) {
		if (t->core[cpu] < 0 || t->rank[cpu] == 0)
			continue;
		/* cpu is sibling r > 0: compare with its core's first CPU. */
		unsigned r = t->rank[cpu], first = cpu;
		for (unsigned c = 0; c < cpu; c++) {
			if (t->core[c] == t->core[cpu] && t->rank[c] == 0) {
				first = c;
				break;
			}
		}
		if (cpu != first + r)
			adjacent = 0;
		if (cpu != first + r * stride)
			split = 0;
	}
	return adjacent ? WL_NUM_ADJACENT : split ? WL_NUM_SPLIT : WL_NUM_OTHER;
}

int wl_magmaps_build(const struct wl_topo *t, int hyper_shift, struct wl_magmaps *m)
{
	static uint64_t keys[NANO_MAX_CPUS];
	unsigned ncpus;

	memset(m, 0, sizeof(*m));
	if (wl_topo_core_keys(t, keys, NANO_MAX_CPUS, &ncpus) ||
	    nano_topo_build(&m->topo, ncpus, keys))
		return -1;
	m->default_shift = nano_topo_default_shift(&m->topo);
	m->fingerprint = nano_topo_fingerprint(&m->topo);
	m->numbering = numbering(&m->topo);
	for (int i = 0; i < NANO_MAP_COUNT; i++)
		if (nano_magmap_build(&m->map[i], &m->topo, (enum nano_map)i, hyper_shift, 0))
			return -1;
	return 0;
}

const char *wl_numbering_name(enum wl_numbering n)
{
	static const char *const names[] = { "none (one PU per core)", "adjacent (cpu i, i+1)",
					    "split (cpu i, i+N/2)", "other" };
	return (unsigned)n < 4 ? names[n] : "?";
}
