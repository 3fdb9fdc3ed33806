/*
 * test_magmap.c - nano's magazine tables fed from hwloc: the diagnosis for
 * adjacent and for split (Linux) sibling numbering.
 */
#include <unistd.h>

#include "wl_check.h"
#include "wl_magmaps.h"

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

int main(void)
{
	test_adjacent();
	test_split();
	test_split_one_offline();
	test_no_smt_same_fingerprint();
	return CHECK_DONE();
}
