/*
 * test_magmap.c - nano's magazine tables fed from hwloc: the diagnosis for
 * adjacent and for split (Linux) sibling numbering; a machine with PUs this
 * process may not use (a container's cgroup cpuset, a taskset affinity).
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wl_check.h"
#include "wl_magmaps.h"
#include "wl_place.h"

static void build(const char *spec, struct wl_magmaps *m)
{
	struct wl_topo t;
	char err[256];
	if (wl_topo_load(&t, spec, NULL, err, sizeof(err)) || wl_magmaps_build(&t, -1, m)) {
		fprintf(stderr, "cannot build %s\n", spec);
		_exit(1);
	}
	wl_topo_destroy(&t);
}

static void test_adjacent(void)
{
	static struct wl_magmaps m;
	build("pack:1 core:4 pu:2", &m);
	CHECK(m.numbering == WL_NUM_ADJACENT, "numbering %s", wl_numbering_name(m.numbering));
	CHECK(m.default_shift == 1, "default shift %u", m.default_shift);
	const struct nano_magmap *s = &m.map[NANO_MAP_SHIFT];
	CHECK(s->nmags == 4 && s->split_cores == 0 && s->shared_mags == 0,
	      "shift: nmags %u split %u shared %u", s->nmags, s->split_cores, s->shared_mags);
	for (unsigned cpu = 0; cpu < 8; cpu++)
		CHECK(s->mag[cpu] == cpu / 2, "shift: cpu %u -> %u", cpu, s->mag[cpu]);
	const struct nano_magmap *c = &m.map[NANO_MAP_CPU];
	CHECK(c->nmags == 8 && c->split_cores == 4, "cpu map: nmags %u split %u", c->nmags,
	      c->split_cores);
}

static void test_split(void)
{
	static struct wl_magmaps m;
	build("pack:1 core:4 pu:2(indexes=0,4,1,5,2,6,3,7)", &m);
	CHECK(m.numbering == WL_NUM_SPLIT, "numbering %s", wl_numbering_name(m.numbering));
	CHECK(m.default_shift == 1, "default shift %u", m.default_shift);
	/* shift: cpu>>1 puts cpus 0,1 (cores 0 and 1) together and splits core 0
	 * (cpus 0 and 4) over magazines 0 and 2. */
	const struct nano_magmap *s = &m.map[NANO_MAP_SHIFT];
	CHECK(s->split_cores == 4 && s->shared_mags == 4,
	      "shift: split %u shared %u", s->split_cores, s->shared_mags);
	/* topology map: siblings together whatever the numbering. */
	const struct nano_magmap *t = &m.map[NANO_MAP_TOPOLOGY];
	CHECK(t->split_cores == 0 && t->shared_mags == 0 && t->nmags == 4,
	      "topology: split %u shared %u nmags %u", t->split_cores, t->shared_mags, t->nmags);
	for (unsigned core = 0; core < 4; core++)
		CHECK(t->mag[core] == t->mag[core + 4], "topology: core %u split", core);
}

/* Linux numbering with one sibling offline (CPU 5, core 1's second thread):
 * still split numbering, and the topology map splits no core. */
static void test_split_one_offline(void)
{
	static struct wl_magmaps m;
	struct wl_topo t;
	char err[256];
	CHECK(wl_topo_load(&t, "pack:1 core:4 pu:2(indexes=0,4,1,5,2,6,3,7)", NULL, err,
			   sizeof(err)) == 0, "%s", err);
	hwloc_bitmap_t keep = hwloc_bitmap_dup(hwloc_topology_get_topology_cpuset(t.h));
	hwloc_bitmap_clr(keep, 5);
	CHECK(hwloc_topology_restrict(t.h, keep, 0) == 0, "restrict");
	hwloc_bitmap_free(keep);
	CHECK(wl_magmaps_build(&t, -1, &m) == 0, "build");
	wl_topo_destroy(&t);
	CHECK(m.numbering == WL_NUM_SPLIT, "numbering %s", wl_numbering_name(m.numbering));
	const struct nano_magmap *tp = &m.map[NANO_MAP_TOPOLOGY];
	CHECK(tp->split_cores == 0, "topology: %u cores split", tp->split_cores);
}

static void test_no_smt_same_fingerprint(void)
{
	static struct wl_magmaps a, b;
	build("pack:1 core:2 pu:1", &a);
	build("pack:2 core:1 pu:1", &b);
	CHECK(a.numbering == WL_NUM_NO_SMT && a.default_shift == 0, "1x2x1");
	CHECK(a.fingerprint == b.fingerprint, "same normalised machine, same fingerprint");
}

/* An XML of "pack:1 core:4 pu:2" (CPUs 2c, 2c+1 on core c) whose allowed
 * set is `allowed` (two hex digits), in a temporary file: what hwloc reads on
 * a machine whose cgroup cpuset leaves CPUs out. Returns the path (static,
 * until the next call). */
static const char *restricted_xml(const char *allowed)
{
	static char path[64];
	hwloc_topology_t h;
	char *buf, *at;
	int len, fd;

	CHECK(hwloc_topology_init(&h) == 0 && hwloc_topology_set_synthetic(h, "pack:1 core:4 pu:2") == 0 &&
	      hwloc_topology_load(h) == 0, "synthetic");
	CHECK(hwloc_topology_export_xmlbuffer(h, &buf, &len, 0) == 0, "export");
	at = strstr(buf, "allowed_cpuset=\"0x000000ff\"");
	CHECK(at != NULL, "the XML names its allowed set");
	if (!at)
		_exit(1);
	memcpy(at + strlen("allowed_cpuset=\"0x000000"), allowed, 2);
	snprintf(path, sizeof(path), "/tmp/test_wl_magmap_XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, buf, strlen(buf)) == (ssize_t)strlen(buf) && close(fd) == 0,
	      "write %s", path);
	hwloc_free_xmlbuffer(h, buf);
	hwloc_topology_destroy(h);
	return path;
}

/* One hardware thread of each core allowed (CPUs 0, 2, 4, 6): placements
 * use only those, while nano's tables, fingerprint and default hyper_shift
 * are the whole machine's, as libnano reads them from sysfs (before, the
 * fingerprint was that of a 4-CPU machine without SMT, so a tuned profile
 * never matched libnano's). An exported copy keeps both. */
static void test_disallowed(void)
{
	static struct wl_magmaps whole, m, again;
	struct wl_topo t, t2;
	struct wl_topo_summary s;
	struct wl_placement p;
	int order[16], n;
	char err[256];
	const char *xml = restricted_xml("55");

	build("pack:1 core:4 pu:2", &whole);
	CHECK(wl_topo_load(&t, NULL, xml, err, sizeof(err)) == 0, "%s", err);
	wl_topo_summarise(&t, &s);
	CHECK(s.pus == 4 && s.disallowed == 4 && s.cores == 4 && s.smt == 1,
	      "allowed view: %u PUs, %u disallowed, %u cores, SMT %u", s.pus, s.disallowed, s.cores,
	      s.smt);
	CHECK(wl_magmaps_build(&t, -1, &m) == 0, "build");
	CHECK(m.fingerprint == whole.fingerprint, "fingerprint %016llx, the whole machine's %016llx",
	      (unsigned long long)m.fingerprint, (unsigned long long)whole.fingerprint);
	CHECK(m.default_shift == 1 && m.numbering == WL_NUM_ADJACENT, "default shift %u, numbering %s",
	      m.default_shift, wl_numbering_name(m.numbering));
	CHECK(wl_place_parse(&p, "compact", err, sizeof(err)) == 0, "%s", err);
	n = wl_place_order(t.h, &p, order, 16, err, sizeof(err));
	CHECK(n == 4 && order[0] == 0 && order[1] == 2 && order[2] == 4 && order[3] == 6,
	      "compact over the allowed CPUs: %d of them, %d %d ...", n, order[0], order[1]);
	CHECK(wl_place_parse(&p, "cpus:1", err, sizeof(err)) == 0, "%s", err);
	CHECK(wl_place_order(t.h, &p, order, 16, err, sizeof(err)) == -1, "CPU 1 is not allowed");

	/* the child's copy (wl_topo_export_memfd) says the same */
	int fd = wl_topo_export_memfd(&t);
	char fdpath[64];
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	CHECK(fd >= 0 && wl_topo_load(&t2, NULL, fdpath, err, sizeof(err)) == 0, "reload: %s", err);
	wl_topo_summarise(&t2, &s);
	CHECK(s.pus == 4 && s.disallowed == 4, "exported: %u PUs, %u disallowed", s.pus, s.disallowed);
	CHECK(wl_magmaps_build(&t2, -1, &again) == 0 && again.fingerprint == whole.fingerprint,
	      "exported fingerprint");
	wl_topo_destroy(&t2);
	close(fd);
	wl_topo_destroy(&t);
	unlink(xml);

	/* nothing allowed: refused with a reason */
	xml = restricted_xml("00");
	CHECK(wl_topo_load(&t, NULL, xml, err, sizeof(err)) == -1 && strstr(err, "allowed"),
	      "no allowed PU: '%s'", err);
	unlink(xml);
}

/* Started under `taskset -c LAST` (this machine, at least two CPUs): the
 * placements keep to LAST, the tables and fingerprint stay the machine's,
 * and the XML a cell gets says the same whatever the cell's own affinity. */
static void test_affinity(void)
{
	static struct wl_magmaps whole, m;
	cpu_set_t saved, one;
	struct wl_topo t, t2;
	struct wl_topo_summary s;
	struct wl_placement p;
	int order[1024], n, last = -1;
	char err[256], fdpath[64];

	CHECK(sched_getaffinity(0, sizeof(saved), &saved) == 0, "sched_getaffinity");
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &saved))
			last = c;
	if (CPU_COUNT(&saved) < 2) {
		printf("affinity: skipped (one CPU)\n");
		return;
	}
	CHECK(wl_topo_load(&t, NULL, NULL, err, sizeof(err)) == 0, "%s", err);
	CHECK(wl_magmaps_build(&t, -1, &whole) == 0, "build");
	wl_topo_destroy(&t);

	CPU_ZERO(&one);
	CPU_SET(last, &one);
	CHECK(sched_setaffinity(0, sizeof(one), &one) == 0, "sched_setaffinity");
	CHECK(wl_topo_load(&t, NULL, NULL, err, sizeof(err)) == 0, "%s", err);
	CHECK(sched_setaffinity(0, sizeof(saved), &saved) == 0, "restore the affinity");
	wl_topo_summarise(&t, &s);
	CHECK(s.pus == 1 && s.disallowed >= 1, "under taskset -c %d: %u PUs, %u not allowed", last,
	      s.pus, s.disallowed);
	CHECK(wl_magmaps_build(&t, -1, &m) == 0 && m.fingerprint == whole.fingerprint,
	      "fingerprint %016llx, the machine's %016llx", (unsigned long long)m.fingerprint,
	      (unsigned long long)whole.fingerprint);
	CHECK(wl_place_parse(&p, "compact", err, sizeof(err)) == 0, "%s", err);
	n = wl_place_order(t.h, &p, order, 1024, err, sizeof(err));
	CHECK(n == 1 && order[0] == last, "compact: %d CPU(s), the first %d (expected %d alone)", n,
	      order[0], last);

	int fd = wl_topo_export_memfd(&t);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	CHECK(fd >= 0 && wl_topo_load(&t2, NULL, fdpath, err, sizeof(err)) == 0, "reload: %s", err);
	wl_topo_summarise(&t2, &s);
	CHECK(s.pus == 1, "the cell's copy: %u PUs allowed", s.pus);
	wl_topo_destroy(&t2);
	close(fd);
	wl_topo_destroy(&t);
}

int main(void)
{
	test_adjacent();
	test_split();
	test_split_one_offline();
	test_no_smt_same_fingerprint();
	test_disallowed();
	test_affinity();
	return CHECK_DONE();
}
