/*
 * wl_place.c - placement policies (see wl_place.h).
 *
 * Each policy first produces its ordered list of places (PU os indices);
 * assigning threads is then the same for all of them: thread i takes place
 * i, wrapping only when oversubscription is allowed. Scatter sorts PUs by a
 * key whose most significant part is the PU's rank inside its core, then the
 * core's rank inside its NUMA node, then the NUMA node's rank inside its
 * package, then the package: that walks packages round-robin, then the NUMA
 * nodes of each (a package split into several, as AMD's NPS and Intel's SNC
 * modes do), then cores, then hardware threads.
 */
#include "wl_place.h"
#include "wl_topo.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Parsing
 * ---------------------------------------------------------------------- */

static const char *const policy_help =
	"expected compact, scatter, cores, none or cpus:LIST such as cpus:0,2,4-7";

/* A CPU number at *s; -1 when there is none, with *why set when it is one
 * past the limit. */
static int parse_num(const char **s, long *out, char *why, size_t len)
{
	char *end;
	if (**s < '0' || **s > '9')
		return -1;
	errno = 0;
	*out = strtol(*s, &end, 10);
	if (errno || *out > 65535) {
		snprintf(why, len, "CPU numbers go up to 65535");
		return -1;
	}
	*s = end;
	return 0;
}

/* cpus:LIST into p->list; -1 when it is not one, with *why set when the
 * list is well formed but refused (a CPU twice, too many, too high). */
static int parse_list(struct wl_placement *p, const char *s, char *why, size_t len)
{
	p->nlist = 0;
	for (;;) {
		long a, b;
		if (parse_num(&s, &a, why, len))
			return -1;
		b = a;
		if (*s == '-') {
			s++;
			if (parse_num(&s, &b, why, len))
				return -1;
			if (b < a) {
				snprintf(why, len, "a range runs upwards");
				return -1;
			}
		}
		for (long c = a; c <= b; c++) {
			if (p->nlist == WL_PLACE_MAX_LIST) {
				snprintf(why, len, "it lists more than %d CPUs", WL_PLACE_MAX_LIST);
				return -1;
			}
			/* a CPU named twice would put two threads on it unasked
			 * (--oversubscribe is how to ask) */
			for (unsigned k = 0; k < p->nlist; k++) {
				if (p->list[k] == (int)c) {
					snprintf(why, len, "it names CPU %ld twice (--oversubscribe puts "
						 "threads together)", c);
					return -1;
				}
			}
			p->list[p->nlist++] = (int)c;
		}
		if (*s == 0)
			return 0;
		if (*s++ != ',')
			return -1;
	}
}

int wl_place_parse(struct wl_placement *p, const char *spec, char *err, size_t errlen)
{
	static const struct { const char *name; enum wl_policy policy; } names[] = {
		{ "none", WL_POLICY_NONE },       { "compact", WL_POLICY_COMPACT },
		{ "scatter", WL_POLICY_SCATTER }, { "cores", WL_POLICY_CORES },
	};

	memset(p, 0, sizeof(*p));
	snprintf(p->spec, sizeof(p->spec), "%s", spec);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(spec, names[i].name) == 0) {
			p->policy = names[i].policy;
			return 0;
		}
	}
	char why[96] = "";
	if (strncmp(spec, "cpus:", 5) == 0 && parse_list(p, spec + 5, why, sizeof(why)) == 0) {
		p->policy = WL_POLICY_LIST;
		return 0;
	}
	if (why[0]) {
		snprintf(err, errlen, "placement '%s': %s", spec, why);
		return -1;
	}
	snprintf(err, errlen, "unknown placement '%s' (%s)", spec, policy_help);
	return -1;
}

/* ------------------------------------------------------------------------
 * Orders
 * ---------------------------------------------------------------------- */

/* Index of obj among the objects of its type inside `within` (0 when no such
 * ancestor exists). */
static unsigned rank_inside(hwloc_topology_t topo, hwloc_obj_t obj, hwloc_obj_type_t within)
{
	hwloc_obj_t anc = hwloc_get_ancestor_obj_by_type(topo, within, obj);
	if (!anc)
		return obj->logical_index;
	hwloc_obj_t first = hwloc_get_next_obj_inside_cpuset_by_type(topo, anc->cpuset,
								      obj->type, NULL);
	return obj->logical_index - (first ? first->logical_index : 0);
}

static unsigned order_compact(hwloc_topology_t topo, int *out, unsigned cap)
{
	unsigned n = (unsigned)hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	for (unsigned i = 0; i < n && i < cap; i++)
		out[i] = (int)hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, i)->os_index;
	return n < cap ? n : cap;
}

static unsigned order_cores(hwloc_topology_t topo, int *out, unsigned cap)
{
	int n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
	unsigned k = 0;
	if (n <= 0)
		return order_compact(topo, out, cap);
	for (int i = 0; i < n && k < cap; i++) {
		hwloc_obj_t core = hwloc_get_obj_by_type(topo, HWLOC_OBJ_CORE, (unsigned)i);
		hwloc_obj_t pu = hwloc_get_next_obj_inside_cpuset_by_type(topo, core->cpuset,
									 HWLOC_OBJ_PU, NULL);
		if (pu)
			out[k++] = (int)pu->os_index;
	}
	return k;
}

struct scatter_key {
	uint64_t key;
	int os;
};

static int cmp_key(const void *a, const void *b)
{
	const struct scatter_key *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* The NUMA node whose CPUs hold all of obj's and lie inside within's, so
 * that it splits within (NULL: none; a machine-wide node is every core's). */
static hwloc_obj_t numa_of(hwloc_topology_t topo, hwloc_obj_t obj, hwloc_obj_t within)
{
	hwloc_obj_t n = NULL;
	while ((n = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, n)) != NULL)
		if (!hwloc_bitmap_iszero(n->cpuset) && hwloc_bitmap_isincluded(obj->cpuset, n->cpuset))
			return hwloc_bitmap_isincluded(n->cpuset, within->cpuset) ? n : NULL;
	return NULL;
}

/* obj's rank among the objects of its type whose CPUs lie inside set. */
static unsigned rank_in_set(hwloc_topology_t topo, hwloc_obj_t obj, hwloc_const_cpuset_t set)
{
	hwloc_obj_t o = NULL;
	unsigned r = 0;
	while ((o = hwloc_get_next_obj_by_type(topo, obj->type, o)) != NULL && o != obj)
		r += !hwloc_bitmap_iszero(o->cpuset) && hwloc_bitmap_isincluded(o->cpuset, set);
	return r;
}

static unsigned order_scatter(hwloc_topology_t topo, int *out, unsigned cap)
{
	unsigned n = (unsigned)hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	static struct scatter_key keys[65536];

	if (n > sizeof(keys) / sizeof(keys[0]))
		n = sizeof(keys) / sizeof(keys[0]);
	for (unsigned i = 0; i < n; i++) {
		hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, i);
		hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, pu);
		hwloc_obj_t pack = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_PACKAGE, pu);
		hwloc_obj_t numa = core && pack ? numa_of(topo, core, pack) : NULL;
		uint64_t smt = core ? rank_inside(topo, pu, HWLOC_OBJ_CORE) : 0;
		uint64_t crank = !core ? i : numa ? rank_in_set(topo, core, numa->cpuset) :
				 rank_inside(topo, core, HWLOC_OBJ_PACKAGE);
		uint64_t nrank = numa ? rank_in_set(topo, numa, pack->cpuset) : 0;
		uint64_t prank = pack ? pack->logical_index : 0;
		keys[i].key = smt << 48 | crank << 32 | nrank << 16 | prank;
		keys[i].os = (int)pu->os_index;
	}
	qsort(keys, n, sizeof(keys[0]), cmp_key);
	for (unsigned i = 0; i < n && i < cap; i++)
		out[i] = keys[i].os;
	return n < cap ? n : cap;
}

int wl_place_order(hwloc_topology_t topo, const struct wl_placement *p,
		   int *out, unsigned cap, char *err, size_t errlen)
{
	switch (p->policy) {
	case WL_POLICY_NONE:
		return 0;
	case WL_POLICY_COMPACT:
		return (int)order_compact(topo, out, cap);
	case WL_POLICY_SCATTER:
		return (int)order_scatter(topo, out, cap);
	case WL_POLICY_CORES:
		return (int)order_cores(topo, out, cap);
	case WL_POLICY_LIST:
		break;
	}
	for (unsigned i = 0; i < p->nlist && i < cap; i++) {
		if (!hwloc_get_pu_obj_by_os_index(topo, (unsigned)p->list[i])) {
			char cpus[256];
			wl_cpu_list(topo, cpus, sizeof(cpus));
			snprintf(err, errlen, "placement '%s': CPU %d is not one this process may use "
				 "(expected one of CPUs %s: the topology's, less any a cgroup cpuset or "
				 "the starting affinity leaves out)", p->spec, p->list[i], cpus);
			return -1;
		}
		out[i] = p->list[i];
	}
	return (int)(p->nlist < cap ? p->nlist : cap);
}

/* ------------------------------------------------------------------------
 * Threads
 * ---------------------------------------------------------------------- */

int wl_place_threads(hwloc_topology_t topo, const struct wl_placement *p,
		     unsigned nthreads, int oversubscribe, int *out,
		     char *err, size_t errlen)
{
	static int order[65536];
	int n;

	if (p->policy == WL_POLICY_NONE) {
		for (unsigned i = 0; i < nthreads; i++)
			out[i] = WL_PLACE_NONE_CPU;
		return 0;
	}
	n = wl_place_order(topo, p, order, sizeof(order) / sizeof(order[0]), err, errlen);
	if (n < 0)
		return -1;
	if (n == 0) {
		snprintf(err, errlen, "placement '%s' has no CPUs on this topology", p->spec);
		return -1;
	}
	if (nthreads > (unsigned)n && !oversubscribe) {
		snprintf(err, errlen, "%u threads but placement '%s' has %d CPUs "
			 "(use fewer threads or --oversubscribe)", nthreads, p->spec, n);
		return -1;
	}
	for (unsigned i = 0; i < nthreads; i++)
		out[i] = order[i % (unsigned)n];
	return 0;
}
