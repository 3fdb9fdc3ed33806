/*
 * nano_magmap.c - the pure CPU -> magazine table builder (see nano_magmap.h).
 *
 * Everything here works on caller-provided memory and fixed-size arrays: it
 * runs inside libnano's start-up, where malloc is not available yet.
 */
#include "nano_magmap.h"

#include <string.h>

/* ------------------------------------------------------------------------
 * Normalising a machine description
 * ---------------------------------------------------------------------- */

int nano_topo_build(struct nano_topo *t, unsigned ncpus, const uint64_t *core_key)
{
	/* first_cpu[c]: lowest CPU of dense core c; its key identifies the core. */
	static const unsigned none = ~0u;
	uint16_t first_cpu[NANO_MAX_CPUS];
	uint8_t members[NANO_MAX_CPUS];

	if (ncpus == 0 || ncpus > NANO_MAX_CPUS)
		return -1;
	memset(t, 0, sizeof(*t));
	t->ncpus = ncpus;
	for (unsigned cpu = 0; cpu < ncpus; cpu++) {
		t->core[cpu] = -1;
		if (core_key[cpu] == NANO_CPU_ABSENT)
			continue;
		unsigned c = none;
		for (unsigned k = 0; k < t->ncores; k++) {
			if (core_key[first_cpu[k]] == core_key[cpu]) {
				c = k;
				break;
			}
		}
		if (c == none) {
			c = t->ncores++;
			first_cpu[c] = (uint16_t)cpu;
			members[c] = 0;
		}
		t->core[cpu] = (int16_t)c;
		t->rank[cpu] = members[c];
		if (members[c] < 255)
			members[c]++;
		if (members[c] > t->max_smt)
			t->max_smt = members[c];
		t->npus++;
	}
	if (t->npus == 0)
		return -1;
	/* Trailing absent CPUs say nothing about the machine: sysfs lists every
	 * possible CPU (VMs reserve hot-plug slots), hwloc only present ones.
	 * Both must describe (and fingerprint) the same machine. */
	while (t->ncpus > 0 && t->core[t->ncpus - 1] < 0)
		t->ncpus--;

	/* Topology order: core by core, each core's threads by sibling rank.
	 * Ranks follow CPU numbers, so a stable scan per core is enough. */
	unsigned pos = 0;
	for (unsigned c = 0; c < t->ncores; c++)
		for (unsigned cpu = first_cpu[c]; cpu < ncpus; cpu++)
			if (t->core[cpu] == (int)c)
				t->order[pos++] = (uint16_t)cpu;
	return 0;
}

static unsigned log2_floor(unsigned v)
{
	unsigned r = 0;
	while (v >>= 1)
		r++;
	return r;
}

static unsigned log2_ceil(unsigned v)
{
	unsigned r = log2_floor(v);
	return (1u << r) < v ? r + 1 : r;
}

unsigned nano_topo_default_shift(const struct nano_topo *t)
{
	return log2_floor(t->max_smt ? t->max_smt : 1);
}

unsigned nano_topo_max_shift(const struct nano_topo *t)
{
	return log2_ceil(t->npus ? t->npus : 1);
}

uint64_t nano_topo_fingerprint(const struct nano_topo *t)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const uint64_t prime = 0x100000001b3ull;
	uint32_t words[3];

	words[0] = t->ncpus;
	for (unsigned i = 0; i < 4; i++) {
		h ^= (words[0] >> (8 * i)) & 0xff;
		h *= prime;
	}
	for (unsigned cpu = 0; cpu < t->ncpus; cpu++) {
		words[1] = (uint32_t)(int32_t)t->core[cpu];
		words[2] = t->rank[cpu];
		for (unsigned w = 1; w < 3; w++) {
			for (unsigned i = 0; i < 4; i++) {
				h ^= (words[w] >> (8 * i)) & 0xff;
				h *= prime;
			}
		}
	}
	return h;
}

/* ------------------------------------------------------------------------
 * Building a table
 * ---------------------------------------------------------------------- */

static void diagnose(struct nano_magmap *m, const struct nano_topo *t)
{
	/* core_mag[c]: first magazine seen for core c (-1 none, -2 several);
	 * mag_core[g]: first core seen in magazine g (likewise). */
	int core_mag[NANO_MAX_CPUS];
	int mag_core[NANO_MAX_MAGAZINES];

	for (unsigned c = 0; c < t->ncores; c++)
		core_mag[c] = -1;
	for (unsigned g = 0; g < NANO_MAX_MAGAZINES; g++)
		mag_core[g] = -1;
	for (unsigned cpu = 0; cpu < t->ncpus; cpu++) {
		int c = t->core[cpu];
		int g = m->mag[cpu];
		if (c < 0)
			continue;
		if (core_mag[c] == -1)
			core_mag[c] = g;
		else if (core_mag[c] != g)
			core_mag[c] = -2;
		if (mag_core[g] == -1)
			mag_core[g] = c;
		else if (mag_core[g] != c)
			mag_core[g] = -2;
	}
	for (unsigned c = 0; c < t->ncores; c++)
		m->split_cores += core_mag[c] == -2;
	for (unsigned g = 0; g < NANO_MAX_MAGAZINES; g++) {
		m->shared_mags += mag_core[g] == -2;
		m->used_mags += mag_core[g] != -1;
	}
}

int nano_magmap_build(struct nano_magmap *m, const struct nano_topo *t,
		      enum nano_map map, int hyper_shift, int max_mags)
{
	unsigned hs = hyper_shift < 0 ? nano_topo_default_shift(t) : (unsigned)hyper_shift;
	unsigned natural;

	if (hs > 16 || (unsigned)map >= NANO_MAP_COUNT)
		return -1;
	memset(m, 0, sizeof(*m));
	m->map = map;
	m->hyper_shift = map == NANO_MAP_CPU ? 0 : hs;
	m->ncpus = t->ncpus;
	switch (map) {
	case NANO_MAP_SHIFT:
		natural = (t->ncpus + (1u << hs) - 1) >> hs;
		break;
	case NANO_MAP_TOPOLOGY:
		natural = ((t->ncores << log2_ceil(t->max_smt ? t->max_smt : 1)) + (1u << hs) - 1) >> hs;
		break;
	default:
		natural = t->ncpus;
		break;
	}
	m->nmags = max_mags > 0 && (unsigned)max_mags < natural ? (unsigned)max_mags : natural;
	if (m->nmags > NANO_MAX_MAGAZINES)
		m->nmags = NANO_MAX_MAGAZINES;
	if (m->nmags == 0)
		m->nmags = 1;

	switch (map) {
	case NANO_MAP_SHIFT:
		for (unsigned cpu = 0; cpu < t->ncpus; cpu++)
			m->mag[cpu] = (uint8_t)((cpu >> hs) % m->nmags);
		break;
	case NANO_MAP_TOPOLOGY: {
		/* A CPU's place: its core's, padded to the widest core's threads
		 * (a power of two), plus its sibling rank, so that a core with
		 * fewer threads (an offline sibling, a cpuset) does not shift the
		 * cores after it across a magazine boundary. Absent CPUs keep
		 * magazine 0; they never run anything. */
		const unsigned w = log2_ceil(t->max_smt ? t->max_smt : 1);
		for (unsigned cpu = 0; cpu < t->ncpus; cpu++)
			if (t->core[cpu] >= 0)
				m->mag[cpu] = (uint8_t)(((((unsigned)t->core[cpu] << w) | t->rank[cpu]) >> hs) %
							m->nmags);
		break;
	}
	default:
		for (unsigned cpu = 0; cpu < t->ncpus; cpu++)
			m->mag[cpu] = (uint8_t)(cpu % m->nmags);
		break;
	}
	diagnose(m, t);
	return 0;
}

__attribute__((noinline, cold))
unsigned nano_magmap_lookup_far(const struct nano_magmap *m, int cpu)
{
	return (unsigned)(cpu < 0 ? 0 : cpu) % (m->nmags ? m->nmags : 1);
}

/* ------------------------------------------------------------------------
 * Names
 * ---------------------------------------------------------------------- */

static const char *const map_names[NANO_MAP_COUNT] = { "shift", "topology", "cpu" };

const char *nano_map_name(enum nano_map map)
{
	return (unsigned)map < NANO_MAP_COUNT ? map_names[map] : "?";
}

int nano_map_parse(const char *s, enum nano_map *out)
{
	for (unsigned i = 0; i < NANO_MAP_COUNT; i++) {
		if (strcmp(s, map_names[i]) == 0) {
			*out = (enum nano_map)i;
			return 0;
		}
	}
	return -1;
}
