/*
 * wl_topo.h - the machine, as hwloc describes it.
 *
 * Owns: loading a topology (the real machine, a synthetic description such as
 * "pack:2 core:16 pu:2", or an XML file), exporting it as XML for a child
 * process, binding the calling thread to one PU, the summary line counts, and
 * the feed of nano's magazine-table builder (core key per CPU number).
 * Everything here runs before or after the measured interval: hwloc allocates.
 */
#ifndef WL_TOPO_H
#define WL_TOPO_H

#include <stddef.h>
#include <stdint.h>

#include <hwloc.h>

struct wl_topo {
	hwloc_topology_t h;       /* the PUs this process may use: placements, binding */
	hwloc_topology_t whole;   /* every PU, where a cgroup cpuset leaves some out: NULL
	                           * when none is left out (h is then the whole machine) */
	int this_system;          /* binding is meaningful (real machine or its XML) */
	char source[160];         /* "machine", "synthetic:SPEC" or "xml:FILE" */
};

/* Counts over the PUs this process may use; smt is the most PUs found on
 * one core; disallowed counts the machine's PUs outside them. */
struct wl_topo_summary {
	unsigned packages, numa_nodes, cores, pus, smt;
	unsigned max_os_index;    /* highest PU os index */
	unsigned disallowed;
};

/* Load: synthetic != NULL or xml != NULL or both NULL (this machine). An XML
 * file is trusted to describe this machine (the parent exported it). PUs that
 * the machine has but this process may not use (a container's cgroup cpuset,
 * outside the CPU affinity this machine's process started with, or outside
 * an XML's allowed_cpuset) stay in `whole`: nano's tables cover every CPU
 * the kernel numbers, as libnano reads them from sysfs, so its fingerprint
 * and default hyper_shift come from the whole machine; placements only from
 * the allowed PUs. Returns 0, or -1 with a one-line message naming the bad
 * value. */
int wl_topo_load(struct wl_topo *t, const char *synthetic, const char *xml,
		 char *err, size_t errlen);
void wl_topo_destroy(struct wl_topo *t);

void wl_topo_summarise(const struct wl_topo *t, struct wl_topo_summary *s);

/* The CPUs placements may use as a list ("0-3,8"), cut with "..." when it
 * does not fit in len; wl_cpu_list: the same for any topology's PUs. */
void wl_topo_cpu_list(const struct wl_topo *t, char *buf, size_t len);
void wl_cpu_list(hwloc_topology_t h, char *buf, size_t len);

/* The whole machine: what nano's tables and the exported XML describe. */
static inline hwloc_topology_t wl_topo_whole(const struct wl_topo *t)
{
	return t->whole ? t->whole : t->h;
}

/* Export as XML into a memfd (no close-on-exec, offset 0): the whole machine
 * with its allowed set, which wl_topo_load restores. Returns the fd or -1. */
int wl_topo_export_memfd(const struct wl_topo *t);

/* Bind the calling thread to the PU with this os index. Returns 0 or -1. */
int wl_topo_bind_self(const struct wl_topo *t, int os_index);

/* Core key per CPU number for nano_topo_build, over the whole machine: the
 * hwloc logical index of the PU's core (the PU's own logical index when there is no core level), or
 * NANO_CPU_ABSENT. Fills keys[0 .. *ncpus-1], ncpus = highest os index + 1,
 * at most `cap`. Returns 0, or -1 when the machine has more CPU numbers. */
int wl_topo_core_keys(const struct wl_topo *t, uint64_t *keys, unsigned cap,
		      unsigned *ncpus);

#endif
