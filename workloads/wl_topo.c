/*
 * wl_topo.c - loading, exporting and binding with hwloc (see wl_topo.h).
 *
 * The child process of a cell gets the parent's topology as an XML file
 * (docs/design.md: no discovery inside the measured process). hwloc treats XML as
 * a foreign machine unless told otherwise, so such a topology is loaded with
 * HWLOC_TOPOLOGY_FLAG_IS_THISSYSTEM: binding through it then really binds.
 * Synthetic topologies are for showing and testing placements only; binding
 * through them is refused.
 */
#include "wl_topo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nano_magmap.h"

/* ------------------------------------------------------------------------
 * Loading
 * ---------------------------------------------------------------------- */

static int load_fail(struct wl_topo *t, char *err, size_t errlen, const char *what,
		     const char *value, const char *expected)
{
	snprintf(err, errlen, "%s '%s' rejected by hwloc (%s)", what, value, expected);
	wl_topo_destroy(t);
	return -1;
}

/* PUs a synthetic description makes: the product of its levels' arities
 * ("TYPE:N" or "N", attributes in parentheses and memory children in
 * brackets left aside), saturating; 0 when it cannot tell (hwloc judges). */
static unsigned long long synthetic_pus(const char *s)
{
	unsigned long long pus = 1;
	int levels = 0;
	while (*(s += strspn(s, " \t"))) {
		const char *close = *s == '[' ? strchr(s, ']') : NULL;
		if (*s == '[') {
			if (!close)
				return 0;
			s = close + 1;
			continue;
		}
		size_t n = strcspn(s, " \t(");
		const char *colon = memchr(s, ':', n), *num = colon ? colon + 1 : s;
		char *end;
		unsigned long long v = strtoull(num, &end, 10);
		if (end == num || *num == '-')
			return 0;
		pus = v && pus > ~0ull / v ? ~0ull : pus * v;
		levels++;
		s += n;
		if (*s == '(') {
			if (!(close = strchr(s, ')')))
				return 0;
			s = close + 1;
		}
	}
	return levels ? pus : 0;
}

/* The discovered machine's allowed set narrowed to the CPU affinity the
 * process started with (taskset, numactl, a batch scheduler's binding), so
 * that placements stay where the user put nanobench; the exported XML
 * carries the narrowed set to the cells. An affinity that leaves no allowed
 * PU is ignored (the cgroup's set stands). */
static void narrow_to_affinity(struct wl_topo *t)
{
	hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(t->h);
	hwloc_bitmap_t aff = hwloc_bitmap_alloc();

	if (aff && hwloc_get_cpubind(t->h, aff, HWLOC_CPUBIND_THREAD) == 0) {
		hwloc_bitmap_and(aff, aff, allowed);
		if (!hwloc_bitmap_iszero(aff) && !hwloc_bitmap_isincluded(allowed, aff))
			hwloc_topology_allow(t->h, aff, NULL, HWLOC_ALLOW_FLAG_CUSTOM);
	}
	hwloc_bitmap_free(aff);
}

/* Where the machine has PUs this process may not use, keep it whole in
 * t->whole and make t->h a copy restricted to the allowed ones. */
static int restrict_to_allowed(struct wl_topo *t, char *err, size_t errlen)
{
	hwloc_const_cpuset_t all = hwloc_topology_get_topology_cpuset(t->h);
	hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(t->h);
	hwloc_topology_t r;

	if (hwloc_bitmap_isincluded(all, allowed))
		return 0;
	if (!hwloc_bitmap_intersects(all, allowed))
		return load_fail(t, err, errlen, "topology", t->source,
				 "none of its PUs is allowed to this process");
	if (hwloc_topology_dup(&r, t->h))
		return load_fail(t, err, errlen, "topology", t->source, "hwloc_topology_dup failed");
	/* packages and NUMA nodes left with no allowed PU go too, so that
	 * the counts describe what placements can use */
	if (hwloc_topology_restrict(r, allowed, HWLOC_RESTRICT_FLAG_REMOVE_CPULESS)) {
		hwloc_topology_destroy(r);
		return load_fail(t, err, errlen, "topology", t->source,
				 "restricting it to the allowed PUs failed");
	}
	t->whole = t->h;
	t->h = r;
	return 0;
}

int wl_topo_load(struct wl_topo *t, const char *synthetic, const char *xml,
		 char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	/* hwloc builds a synthetic machine object by object: a huge one
	 * takes it minutes, so the size is checked first */
	unsigned long long pus = synthetic ? synthetic_pus(synthetic) : 0;
	if (pus > NANO_MAX_CPUS) {
		snprintf(err, errlen, "topology '%.200s' describes %llu PUs (at most %d: nano supports "
			 "%d CPUs)", synthetic, pus, NANO_MAX_CPUS, NANO_MAX_CPUS);
		return -1;
	}
	if (hwloc_topology_init(&t->h)) {
		snprintf(err, errlen, "hwloc_topology_init failed: %s", strerror(errno));
		return -1;
	}
	if (synthetic) {
		snprintf(t->source, sizeof(t->source), "synthetic:%s", synthetic);
		if (hwloc_topology_set_synthetic(t->h, synthetic))
			return load_fail(t, err, errlen, "topology", synthetic,
					 "expected a synthetic description such as 'pack:2 core:16 pu:2'");
	} else if (xml) {
		snprintf(t->source, sizeof(t->source), "xml:%s", xml);
		if (access(xml, R_OK))
			return load_fail(t, err, errlen, "topology XML file", xml,
					 "cannot read the file");
		if (hwloc_topology_set_xml(t->h, xml))
			return load_fail(t, err, errlen, "topology XML file", xml,
					 "expected an XML file written by hwloc");
		hwloc_topology_set_flags(t->h, HWLOC_TOPOLOGY_FLAG_IS_THISSYSTEM |
						       HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
		t->this_system = 1;
	} else {
		snprintf(t->source, sizeof(t->source), "machine");
		hwloc_topology_set_flags(t->h, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
		t->this_system = 1;
	}
	if (hwloc_topology_load(t->h))
		return load_fail(t, err, errlen, synthetic ? "topology" : "topology XML file",
				 synthetic ? synthetic : xml ? xml : "machine",
				 "loading failed");
	if (hwloc_get_nbobjs_by_type(t->h, HWLOC_OBJ_PU) <= 0)
		return load_fail(t, err, errlen, "topology", t->source, "it has no PUs");
	if (!synthetic && !xml)
		narrow_to_affinity(t);
	return restrict_to_allowed(t, err, errlen);
}

void wl_topo_destroy(struct wl_topo *t)
{
	if (t->whole)
		hwloc_topology_destroy(t->whole);
	if (t->h)
		hwloc_topology_destroy(t->h);
	t->h = t->whole = NULL;
}

/* ------------------------------------------------------------------------
 * Queries
 * ---------------------------------------------------------------------- */

static unsigned count(hwloc_topology_t h, hwloc_obj_type_t type)
{
	int n = hwloc_get_nbobjs_by_type(h, type);
	return n > 0 ? (unsigned)n : 0;
}

static void summarise(hwloc_topology_t h, struct wl_topo_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->packages = count(h, HWLOC_OBJ_PACKAGE);
	s->numa_nodes = count(h, HWLOC_OBJ_NUMANODE);
	s->cores = count(h, HWLOC_OBJ_CORE);
	s->pus = count(h, HWLOC_OBJ_PU);
	for (unsigned i = 0; i < s->cores; i++) {
		hwloc_obj_t c = hwloc_get_obj_by_type(h, HWLOC_OBJ_CORE, i);
		int n = hwloc_get_nbobjs_inside_cpuset_by_type(h, c->cpuset, HWLOC_OBJ_PU);
		if (n > 0 && (unsigned)n > s->smt)
			s->smt = (unsigned)n;
	}
	if (s->smt == 0)
		s->smt = 1;
	for (unsigned i = 0; i < s->pus; i++) {
		hwloc_obj_t pu = hwloc_get_obj_by_type(h, HWLOC_OBJ_PU, i);
		if (pu->os_index > s->max_os_index)
			s->max_os_index = pu->os_index;
	}
}

void wl_topo_summarise(const struct wl_topo *t, struct wl_topo_summary *s)
{
	summarise(t->h, s);
	if (t->whole) {
		unsigned all = count(t->whole, HWLOC_OBJ_PU);
		s->disallowed = all > s->pus ? all - s->pus : 0;
	}
}

void wl_cpu_list(hwloc_topology_t h, char *buf, size_t len)
{
	int n = hwloc_bitmap_list_snprintf(buf, len, hwloc_topology_get_topology_cpuset(h));
	if (n >= 0 && (size_t)n >= len && len >= 4)
		memcpy(buf + len - 4, "...", 4);
}

void wl_topo_cpu_list(const struct wl_topo *t, char *buf, size_t len)
{
	wl_cpu_list(t->h, buf, len);
}

int wl_topo_core_keys(const struct wl_topo *t, uint64_t *keys, unsigned cap,
		      unsigned *ncpus)
{
	struct wl_topo_summary s;
	hwloc_topology_t h = wl_topo_whole(t);

	summarise(h, &s);
	if (s.max_os_index + 1 > cap)
		return -1;
	*ncpus = s.max_os_index + 1;
	for (unsigned i = 0; i < *ncpus; i++)
		keys[i] = NANO_CPU_ABSENT;
	for (unsigned i = 0; i < s.pus; i++) {
		hwloc_obj_t pu = hwloc_get_obj_by_type(h, HWLOC_OBJ_PU, i);
		hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(h, HWLOC_OBJ_CORE, pu);
		keys[pu->os_index] = core ? core->logical_index : (1ull << 32) + pu->logical_index;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Export and binding
 * ---------------------------------------------------------------------- */

int wl_topo_export_memfd(const struct wl_topo *t)
{
	char *buf = NULL;
	int len = 0;
	int fd;

	hwloc_topology_t h = wl_topo_whole(t);

	if (hwloc_topology_export_xmlbuffer(h, &buf, &len, 0))
		return -1;
	fd = memfd_create("nanobench-topology", 0);
	if (fd >= 0) {
		/* len counts the terminating NUL, which hwloc does not want in a file. */
		size_t n = len > 0 ? (size_t)len - 1 : 0, off = 0;
		while (off < n) {
			ssize_t w = write(fd, buf + off, n - off);
			if (w <= 0) {
				close(fd);
				fd = -1;
				break;
			}
			off += (size_t)w;
		}
		if (fd >= 0)
			lseek(fd, 0, SEEK_SET);
	}
	hwloc_free_xmlbuffer(h, buf);
	return fd;
}

int wl_topo_bind_self(const struct wl_topo *t, int os_index)
{
	hwloc_bitmap_t set;
	int rc;

	if (!t->this_system)
		return -1;
	set = hwloc_bitmap_alloc();
	if (!set)
		return -1;
	hwloc_bitmap_only(set, (unsigned)os_index);
	rc = hwloc_set_cpubind(t->h, set, HWLOC_CPUBIND_THREAD);
	hwloc_bitmap_free(set);
	return rc;
}
