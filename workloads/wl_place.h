/*
 * wl_place.h - thread placement: which PU each worker thread runs on.
 *
 * Owns: the placement policies and the pure function from (topology, policy,
 * thread count) to a list of PU os indices, one per thread. Pure means no
 * binding and no I/O: the tests check it CPU by CPU on synthetic machines.
 *
 * Policies (T threads):
 *   compact   fill the hardware threads of a core, then the next core, in
 *             hwloc's logical order (packages, NUMA nodes, cores in turn)
 *   scatter   spread over packages first, then over the cores of each
 *             package, then over the hardware threads of each core: thread i
 *             goes to the PU with the i-th smallest key (rank of the PU in its
 *             core, rank of the core in its package, package)
 *   cores     one thread per core (its first PU), never two on one core
 *   none      unpinned (os index -1 for every thread)
 *   cpus:L    explicit os indices, e.g. cpus:0,2,4-7; thread i gets L[i]
 * More threads than the policy has places is an error unless oversubscribe
 * is set; then the list wraps around.
 */
#ifndef WL_PLACE_H
#define WL_PLACE_H

#include <stddef.h>

#include <hwloc.h>

#define WL_PLACE_MAX_LIST 1024
#define WL_PLACE_NONE_CPU (-1)

enum wl_policy {
	WL_POLICY_NONE,
	WL_POLICY_COMPACT,
	WL_POLICY_SCATTER,
	WL_POLICY_CORES,
	WL_POLICY_LIST,
};

struct wl_placement {
	enum wl_policy policy;
	unsigned nlist;                    /* cpus:L only */
	int list[WL_PLACE_MAX_LIST];
	char spec[64];                     /* as given, for the record */
};

/* Parse a policy. Returns 0, or -1 with a one-line message. */
int wl_place_parse(struct wl_placement *p, const char *spec, char *err, size_t errlen);

/* The places of the policy, in order: fills out[0 .. n-1] (n <= cap), returns
 * n, or -1 with a message (a listed CPU the topology lacks). */
int wl_place_order(hwloc_topology_t topo, const struct wl_placement *p,
		   int *out, unsigned cap, char *err, size_t errlen);

/* One os index per thread (or WL_PLACE_NONE_CPU). Returns 0, or -1 with a
 * message (more threads than places without oversubscribe, unknown CPU). */
int wl_place_threads(hwloc_topology_t topo, const struct wl_placement *p,
		     unsigned nthreads, int oversubscribe, int *out,
		     char *err, size_t errlen);

#endif
