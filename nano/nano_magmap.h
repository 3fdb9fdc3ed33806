/*
 * nano_magmap.h - the pure CPU -> magazine table builder.
 *
 * The nano zone picks a magazine with `table[cpu]`. This module builds that
 * table from a description of the machine: for each CPU number, which core it
 * belongs to. It holds no allocator state, does no I/O and never allocates, so
 * that three very different callers compute exactly the same tables:
 *   - libnano at start-up, fed from sysfs (nano_sysfs.c),
 *   - `nanobench topo` / `tune`, fed from hwloc (real, synthetic or XML),
 *   - the tests, fed from hand-written CPU tables.
 *
 * Input is a raw "core key" per CPU: any integer that is equal for the hardware
 * threads of one core and different between cores (sysfs: package << 32 |
 * core_id; hwloc: the core's logical index), or NANO_CPU_ABSENT. The builder
 * normalises it: cores are numbered densely in the order of their lowest CPU
 * number, and each CPU gets its sibling rank (position among its core's CPUs by
 * CPU number). The fingerprint is computed over that normalised form only, so
 * sysfs and hwloc descriptions of one machine give the same fingerprint.
 *
 * The maps (docs/nano.md §3):
 *   shift     mag = (cpu >> hyper_shift) % nmags           Apple's v1 rule
 *   topology  mag = (pos >> hyper_shift) % nmags, where pos = core << w |
 *             sibling rank, w = ceil(log2(max_smt)) (dense core numbers), so
 *             the hardware threads of one core share a magazine whatever
 *             their numbering, and a core with fewer of them (an offline
 *             sibling) does not shift the cores after it
 *   cpu       mag = cpu % nmags                           one magazine per CPU
 */
#ifndef NANO_MAGMAP_H
#define NANO_MAGMAP_H

#include <stdint.h>

#define NANO_MAX_MAGAZINES 64   /* hard maximum (6 magazine bits in the address) */
#define NANO_MAX_CPUS 1024      /* CPU numbers at or above this use cpu % nmags */
#define NANO_CPU_ABSENT UINT64_MAX

enum nano_map {
	NANO_MAP_SHIFT = 0,
	NANO_MAP_TOPOLOGY = 1,
	NANO_MAP_CPU = 2,
};
#define NANO_MAP_COUNT 3

/* A machine, normalised. Field by field:
 *   ncpus   CPU numbers 0 .. ncpus-1 are described (the highest present + 1)
 *   npus    CPUs actually present (not NANO_CPU_ABSENT)
 *   ncores  distinct cores
 *   max_smt most hardware threads found on one core
 *   core    dense core index per CPU, -1 for an absent CPU
 *   rank    sibling rank per CPU (0 for the lowest-numbered thread of a core)
 *   order   CPU numbers in topology order (core 0's threads, core 1's, ...);
 *           npus entries
 */
struct nano_topo {
	unsigned ncpus;
	unsigned npus;
	unsigned ncores;
	unsigned max_smt;
	int16_t core[NANO_MAX_CPUS];
	uint8_t rank[NANO_MAX_CPUS];
	uint16_t order[NANO_MAX_CPUS];
};

/* A CPU -> magazine table and how it relates to the cores:
 *   split_cores  cores whose hardware threads land in more than one magazine
 *   shared_mags  magazines that serve hardware threads of more than one core
 *   used_mags    magazines that at least one present CPU maps to
 */
struct nano_magmap {
	enum nano_map map;
	unsigned hyper_shift;
	unsigned nmags;
	unsigned ncpus;
	unsigned split_cores;
	unsigned shared_mags;
	unsigned used_mags;
	uint8_t mag[NANO_MAX_CPUS];
};

/* Normalise a machine. Returns 0, or -1 when ncpus is 0 or above
 * NANO_MAX_CPUS or no CPU is present. */
__attribute__((visibility("default"))) int nano_topo_build(struct nano_topo *t, unsigned ncpus, const uint64_t *core_key);

/* Apple's default: floor(log2(max hardware threads per core)). */
__attribute__((visibility("default"))) unsigned nano_topo_default_shift(const struct nano_topo *t);

/* Largest meaningful hyper_shift: ceil(log2(npus)) (everything in one magazine). */
__attribute__((visibility("default"))) unsigned nano_topo_max_shift(const struct nano_topo *t);

/* 64-bit FNV-1a over the normalised topology (ncpus, then core and rank per CPU). */
__attribute__((visibility("default"))) uint64_t nano_topo_fingerprint(const struct nano_topo *t);

/* Build a table. hyper_shift < 0 means the default shift; max_mags <= 0 means
 * the map's natural count (shift/topology: ceil(npus-or-ncpus / 2^shift),
 * cpu: ncpus), always capped at NANO_MAX_MAGAZINES. Returns 0, or -1 for a
 * hyper_shift above 16 or an unknown map. */
__attribute__((visibility("default"))) int nano_magmap_build(struct nano_magmap *m, const struct nano_topo *t,
		      enum nano_map map, int hyper_shift, int max_mags);

/* Magazine of a CPU number beyond the table (a CPU hot-plugged after
 * start-up, or one above NANO_MAX_CPUS): cpu % nmags. Out of line, so that
 * the division stays off the fast path. */
__attribute__((visibility("default"))) unsigned nano_magmap_lookup_far(const struct nano_magmap *m, int cpu);

/* Magazine of a CPU: one bounds check and one byte load. */
static inline unsigned nano_magmap_lookup(const struct nano_magmap *m, int cpu)
{
	if (__builtin_expect((unsigned)cpu < m->ncpus, 1))
		return m->mag[cpu];
	return nano_magmap_lookup_far(m, cpu);
}

__attribute__((visibility("default"))) const char *nano_map_name(enum nano_map map);
/* Parse "shift", "topology" or "cpu"; returns 0 or -1. */
__attribute__((visibility("default"))) int nano_map_parse(const char *s, enum nano_map *out);

#endif
