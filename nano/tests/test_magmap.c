/*
 * test_magmap.c - the pure CPU -> magazine table builder on hand-written
 * machines (nano_magmap.h): no allocator, no I/O.
 *
 * Machines: 8 and 16 CPUs with two hardware threads per core, numbered
 * adjacently (cpu 2k and 2k+1 are siblings) or split (cpu i and i+N/2), a
 * 4-way SMT machine, a machine without SMT, one with absent CPUs and one with
 * 128 CPUs. For each: the expected table of every map at hyper_shift 0/1/2,
 * the magazine count (natural and capped by max_magazines), the split_cores /
 * shared_mags / used_mags diagnosis, the fingerprint (equal for one machine
 * given with different raw core keys, different between machines), lookups
 * beyond the table, and the -1 returns on bad input.
 */
#include "nano_magmap.h"
#include "nt.h"

static struct nano_topo topo;       /* 7 KiB each: not on the stack */
static struct nano_topo topo2;
static struct nano_magmap mm;

/* Through a volatile, so that gcc does not warn (-Warray-bounds) about the
 * table branch of nano_magmap_lookup for a constant CPU beyond the table. */
static unsigned lookup(int cpu)
{
	volatile int v = cpu;
	return nano_magmap_lookup(&mm, v);
}

/* Core keys for n CPUs with `smt` threads per core. adjacent: cpu c*smt+r;
 * split: cpu r*(n/smt)+c. kscale/kbase disguise the raw key values. */
static void keys_smt(uint64_t *k, unsigned n, unsigned smt, int adjacent, uint64_t kscale,
		     uint64_t kbase)
{
	unsigned cores = n / smt;
	for (unsigned cpu = 0; cpu < n; cpu++) {
		unsigned core = adjacent ? cpu / smt : cpu % cores;
		k[cpu] = kbase + core * kscale;
	}
}

static void build_topo(struct nano_topo *t, unsigned n, const uint64_t *k)
{
	CHECK_EQ(nano_topo_build(t, n, k), 0);
}

/* Build and compare with an expected table. */
static void expect_map(const struct nano_topo *t, enum nano_map map, int hs, int maxm,
		       const uint8_t *want, unsigned nmags, unsigned split, unsigned shared,
		       unsigned used)
{
	CHECK_EQ(nano_magmap_build(&mm, t, map, hs, maxm), 0);
	CHECK_EQ(mm.map, map);
	CHECK_EQ(mm.ncpus, t->ncpus);
	CHECK_MSG(mm.nmags == nmags, "map %s hs %d max %d: nmags %u, want %u",
		  nano_map_name(map), hs, maxm, mm.nmags, nmags);
	for (unsigned cpu = 0; cpu < t->ncpus; cpu++) {
		CHECK_MSG(mm.mag[cpu] == want[cpu], "map %s hs %d max %d: cpu %u -> %u, want %u",
			  nano_map_name(map), hs, maxm, cpu, mm.mag[cpu], want[cpu]);
		CHECK_EQ(nano_magmap_lookup(&mm, (int)cpu), want[cpu]);
		CHECK(mm.mag[cpu] < mm.nmags);
	}
	CHECK_MSG(mm.split_cores == split, "map %s hs %d: split_cores %u, want %u",
		  nano_map_name(map), hs, mm.split_cores, split);
	CHECK_MSG(mm.shared_mags == shared, "map %s hs %d: shared_mags %u, want %u",
		  nano_map_name(map), hs, mm.shared_mags, shared);
	CHECK_MSG(mm.used_mags == used, "map %s hs %d: used_mags %u, want %u",
		  nano_map_name(map), hs, mm.used_mags, used);
}

/* ------------------------------------------------------------------------ */

static void test_normalise(void)
{
	uint64_t k[16];

	/* adjacent 8: cores {0,1} {2,3} ... */
	keys_smt(k, 8, 2, 1, 1, 0);
	build_topo(&topo, 8, k);
	CHECK_EQ(topo.ncpus, 8);
	CHECK_EQ(topo.npus, 8);
	CHECK_EQ(topo.ncores, 4);
	CHECK_EQ(topo.max_smt, 2);
	for (unsigned cpu = 0; cpu < 8; cpu++) {
		CHECK_EQ(topo.core[cpu], cpu / 2);
		CHECK_EQ(topo.rank[cpu], cpu % 2);
		CHECK_EQ(topo.order[cpu], cpu);
	}
	CHECK_EQ(nano_topo_default_shift(&topo), 1);
	CHECK_EQ(nano_topo_max_shift(&topo), 3);

	/* split 8: cores {0,4} {1,5} {2,6} {3,7}; raw keys scattered */
	keys_smt(k, 8, 2, 0, 1000, 7);
	build_topo(&topo, 8, k);
	CHECK_EQ(topo.ncores, 4);
	CHECK_EQ(topo.max_smt, 2);
	static const uint16_t order8[] = { 0, 4, 1, 5, 2, 6, 3, 7 };
	for (unsigned cpu = 0; cpu < 8; cpu++) {
		CHECK_EQ(topo.core[cpu], cpu % 4);
		CHECK_EQ(topo.rank[cpu], cpu / 4);
		CHECK_EQ(topo.order[cpu], order8[cpu]);
	}

	/* 4-way SMT, split: default shift 2 */
	keys_smt(k, 16, 4, 0, 1, 0);
	build_topo(&topo, 16, k);
	CHECK_EQ(topo.ncores, 4);
	CHECK_EQ(topo.max_smt, 4);
	CHECK_EQ(nano_topo_default_shift(&topo), 2);
	CHECK_EQ(nano_topo_max_shift(&topo), 4);

	/* no SMT: default shift 0 */
	for (unsigned i = 0; i < 6; i++)
		k[i] = 100 + i;
	build_topo(&topo, 6, k);
	CHECK_EQ(topo.ncores, 6);
	CHECK_EQ(topo.max_smt, 1);
	CHECK_EQ(nano_topo_default_shift(&topo), 0);
	CHECK_EQ(nano_topo_max_shift(&topo), 3);   /* ceil(log2 6) */

	/* absent CPUs: 0 1 _ 3 _ 5 (cores {0,1} {3,5}) */
	uint64_t ka[6] = { 9, 9, NANO_CPU_ABSENT, 4, NANO_CPU_ABSENT, 4 };
	build_topo(&topo, 6, ka);
	CHECK_EQ(topo.ncpus, 6);
	CHECK_EQ(topo.npus, 4);
	CHECK_EQ(topo.ncores, 2);
	CHECK_EQ((uint64_t)(int64_t)topo.core[2], (uint64_t)-1);
	CHECK_EQ((uint64_t)(int64_t)topo.core[4], (uint64_t)-1);
	CHECK_EQ(topo.core[3], 1);
	CHECK_EQ(topo.rank[5], 1);
	static const uint16_t order_a[] = { 0, 1, 3, 5 };
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(topo.order[i], order_a[i]);
	/* topology map over present CPUs only, shift 1: one magazine per core */
	static const uint8_t want_a[] = { 0, 0, 0, 1, 0, 1 };
	expect_map(&topo, NANO_MAP_TOPOLOGY, 1, 0, want_a, 2, 0, 0, 2);
}

static void test_adjacent(void)
{
	uint64_t k[16];

	/* 8 CPUs, adjacent siblings */
	keys_smt(k, 8, 2, 1, 1, 0);
	build_topo(&topo, 8, k);
	{
		static const uint8_t hs0[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
		static const uint8_t hs1[] = { 0, 0, 1, 1, 2, 2, 3, 3 };
		static const uint8_t hs2[] = { 0, 0, 0, 0, 1, 1, 1, 1 };
		/* shift 0 splits every core, shares none */
		expect_map(&topo, NANO_MAP_SHIFT, 0, 0, hs0, 8, 4, 0, 8);
		/* shift 1 is exactly one magazine per core */
		expect_map(&topo, NANO_MAP_SHIFT, 1, 0, hs1, 4, 0, 0, 4);
		expect_map(&topo, NANO_MAP_SHIFT, -1, 0, hs1, 4, 0, 0, 4);   /* default = 1 */
		/* shift 2: two cores per magazine */
		expect_map(&topo, NANO_MAP_SHIFT, 2, 0, hs2, 2, 0, 2, 2);
		/* topology agrees with shift on adjacent numbering */
		expect_map(&topo, NANO_MAP_TOPOLOGY, 0, 0, hs0, 8, 4, 0, 8);
		expect_map(&topo, NANO_MAP_TOPOLOGY, 1, 0, hs1, 4, 0, 0, 4);
		expect_map(&topo, NANO_MAP_TOPOLOGY, 2, 0, hs2, 2, 0, 2, 2);
		/* cpu: one magazine per CPU whatever hyper_shift says */
		expect_map(&topo, NANO_MAP_CPU, 2, 0, hs0, 8, 4, 0, 8);
		CHECK_EQ(mm.hyper_shift, 0);
		/* capping: 3 magazines, modulo */
		static const uint8_t cap3[] = { 0, 0, 1, 1, 2, 2, 0, 0 };
		expect_map(&topo, NANO_MAP_SHIFT, 1, 3, cap3, 3, 0, 1, 3);
		static const uint8_t cpu3[] = { 0, 1, 2, 0, 1, 2, 0, 1 };
		expect_map(&topo, NANO_MAP_CPU, 0, 3, cpu3, 3, 4, 3, 3);
		/* a cap above the natural count changes nothing */
		expect_map(&topo, NANO_MAP_SHIFT, 1, 64, hs1, 4, 0, 0, 4);
		/* one magazine */
		static const uint8_t one[8] = { 0 };
		expect_map(&topo, NANO_MAP_TOPOLOGY, 1, 1, one, 1, 0, 1, 1);
		expect_map(&topo, NANO_MAP_SHIFT, 3, 0, one, 1, 0, 1, 1);
	}

	/* 16 CPUs, adjacent */
	keys_smt(k, 16, 2, 1, 1, 0);
	build_topo(&topo, 16, k);
	{
		uint8_t w0[16], w1[16], w2[16];
		for (unsigned c = 0; c < 16; c++) {
			w0[c] = (uint8_t)c;
			w1[c] = (uint8_t)(c >> 1);
			w2[c] = (uint8_t)(c >> 2);
		}
		expect_map(&topo, NANO_MAP_SHIFT, 0, 0, w0, 16, 8, 0, 16);
		expect_map(&topo, NANO_MAP_SHIFT, 1, 0, w1, 8, 0, 0, 8);
		expect_map(&topo, NANO_MAP_SHIFT, 2, 0, w2, 4, 0, 4, 4);
		expect_map(&topo, NANO_MAP_TOPOLOGY, 1, 0, w1, 8, 0, 0, 8);
		expect_map(&topo, NANO_MAP_TOPOLOGY, 2, 0, w2, 4, 0, 4, 4);
		expect_map(&topo, NANO_MAP_CPU, -1, 0, w0, 16, 8, 0, 16);
		uint8_t c5[16];
		for (unsigned c = 0; c < 16; c++)
			c5[c] = (uint8_t)((c >> 1) % 5);
		/* 8 cores in 5 magazines: magazines 0,1,2 get two cores each */
		expect_map(&topo, NANO_MAP_SHIFT, 1, 5, c5, 5, 0, 3, 5);
	}
}

static void test_split(void)
{
	uint64_t k[16];

	/* 8 CPUs, split siblings: cpu i and i+4 */
	keys_smt(k, 8, 2, 0, 1, 0);
	build_topo(&topo, 8, k);
	{
		static const uint8_t hs0[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
		static const uint8_t sh1[] = { 0, 0, 1, 1, 2, 2, 3, 3 };
		static const uint8_t sh2[] = { 0, 0, 0, 0, 1, 1, 1, 1 };
		static const uint8_t tp1[] = { 0, 1, 2, 3, 0, 1, 2, 3 };
		static const uint8_t tp2[] = { 0, 0, 1, 1, 0, 0, 1, 1 };
		/* the faithful shift pairs cpu 0 with cpu 1: two different cores
		 * in every magazine, and every core split over two */
		expect_map(&topo, NANO_MAP_SHIFT, 1, 0, sh1, 4, 4, 4, 4);
		expect_map(&topo, NANO_MAP_SHIFT, -1, 0, sh1, 4, 4, 4, 4);
		/* shift 2: core 0 (cpu 0, 4) lands in magazines 0 and 1 */
		expect_map(&topo, NANO_MAP_SHIFT, 2, 0, sh2, 2, 4, 2, 2);
		expect_map(&topo, NANO_MAP_SHIFT, 0, 0, hs0, 8, 4, 0, 8);
		/* topology keeps siblings together whatever the numbering */
		expect_map(&topo, NANO_MAP_TOPOLOGY, 1, 0, tp1, 4, 0, 0, 4);
		expect_map(&topo, NANO_MAP_TOPOLOGY, 2, 0, tp2, 2, 0, 2, 2);
		expect_map(&topo, NANO_MAP_TOPOLOGY, 0, 0, (const uint8_t[]){ 0, 2, 4, 6, 1, 3, 5, 7 },
			   8, 4, 0, 8);
		expect_map(&topo, NANO_MAP_CPU, 1, 0, hs0, 8, 4, 0, 8);
		/* capped topology: 4 cores in 3 magazines */
		static const uint8_t tc3[] = { 0, 1, 2, 0, 0, 1, 2, 0 };
		expect_map(&topo, NANO_MAP_TOPOLOGY, 1, 3, tc3, 3, 0, 1, 3);
	}

	/* 16 CPUs, split siblings: cpu i and i+8 */
	keys_smt(k, 16, 2, 0, 1, 0);
	build_topo(&topo, 16, k);
	{
		uint8_t sh1[16], tp1[16], tp2[16];
		for (unsigned c = 0; c < 16; c++) {
			sh1[c] = (uint8_t)(c >> 1);
			tp1[c] = (uint8_t)(c % 8);
			tp2[c] = (uint8_t)((c % 8) >> 1);
		}
		expect_map(&topo, NANO_MAP_SHIFT, 1, 0, sh1, 8, 8, 8, 8);
		expect_map(&topo, NANO_MAP_TOPOLOGY, 1, 0, tp1, 8, 0, 0, 8);
		expect_map(&topo, NANO_MAP_TOPOLOGY, 2, 0, tp2, 4, 0, 4, 4);
		uint8_t sh2[16];
		for (unsigned c = 0; c < 16; c++)
			sh2[c] = (uint8_t)(c >> 2);
		expect_map(&topo, NANO_MAP_SHIFT, 2, 0, sh2, 4, 8, 4, 4);
	}

	/* 16 CPUs, 4-way SMT split: core c = {c, c+4, c+8, c+12} */
	keys_smt(k, 16, 4, 0, 1, 0);
	build_topo(&topo, 16, k);
	{
		uint8_t tp2[16];
		for (unsigned c = 0; c < 16; c++)
			tp2[c] = (uint8_t)(c % 4);
		expect_map(&topo, NANO_MAP_TOPOLOGY, -1, 0, tp2, 4, 0, 0, 4);
		uint8_t sh2[16];
		for (unsigned c = 0; c < 16; c++)
			sh2[c] = (uint8_t)(c >> 2);
		expect_map(&topo, NANO_MAP_SHIFT, -1, 0, sh2, 4, 4, 4, 4);
	}
}

/* A core with fewer threads than the others (an offline sibling, a
 * cpuset): the topology map still keeps every core's threads together. 8
 * CPUs, Linux numbering (core c = {c, c+4}), CPU 4 absent: core 0 has one
 * thread. Placing the CPUs one after another (0; 1, 5; 2, 6; ...) would put
 * every later core across a magazine boundary at hyper_shift 1. */
static void test_uneven(void)
{
	uint64_t k[8];
	keys_smt(k, 8, 2, 0, 1, 0);
	k[4] = NANO_CPU_ABSENT;
	build_topo(&topo, 8, k);
	CHECK_EQ(topo.ncores, 4);
	CHECK_EQ(topo.npus, 7);
	/* cpu:                           0  1  2  3  4  5  6  7   (4 absent: 0) */
	static const uint8_t tp1[] = { 0, 1, 2, 3, 0, 1, 2, 3 };
	expect_map(&topo, NANO_MAP_TOPOLOGY, 1, 0, tp1, 4, 0, 0, 4);
	static const uint8_t tp2[] = { 0, 0, 1, 1, 0, 0, 1, 1 };
	expect_map(&topo, NANO_MAP_TOPOLOGY, 2, 0, tp2, 2, 0, 2, 2);
}

static void test_many_cpus(void)
{
	static uint64_t k[1024];
	static uint8_t want[1024];

	/* 128 CPUs without SMT: the natural count 128 is capped at 64, then
	 * modulo */
	for (unsigned c = 0; c < 128; c++) {
		k[c] = c;
		want[c] = (uint8_t)(c % 64);
	}
	build_topo(&topo, 128, k);
	expect_map(&topo, NANO_MAP_SHIFT, 0, 0, want, 64, 0, 64, 64);
	expect_map(&topo, NANO_MAP_CPU, 0, 0, want, 64, 0, 64, 64);
	expect_map(&topo, NANO_MAP_TOPOLOGY, 0, 0, want, 64, 0, 64, 64);
	/* CPU numbers beyond the table: modulo; negative: magazine 0 */
	CHECK_EQ(lookup(128), 0);
	CHECK_EQ(lookup(200), 200 % 64);
	CHECK_EQ(lookup(5000), 5000 % 64);
	CHECK_EQ(lookup(-1), 0);

	/* 256 CPUs, 2-way SMT split (i, i+128), shift 1: 128 magazines capped
	 * at 64; the modulo happens to bring cpu i and i+128 back together
	 * ((i+128)/2 = i/2 + 64), so no core is split, but every magazine
	 * holds two cores */
	keys_smt(k, 256, 2, 0, 1, 0);
	for (unsigned c = 0; c < 256; c++)
		want[c] = (uint8_t)((c >> 1) % 64);
	build_topo(&topo, 256, k);
	CHECK_EQ(topo.ncores, 128);
	expect_map(&topo, NANO_MAP_SHIFT, 1, 0, want, 64, 0, 64, 64);
	for (unsigned c = 0; c < 256; c++)
		want[c] = (uint8_t)((c % 128) % 64);
	expect_map(&topo, NANO_MAP_TOPOLOGY, 1, 0, want, 64, 0, 64, 64);
	/* the cap also applies under it */
	for (unsigned c = 0; c < 256; c++)
		want[c] = (uint8_t)((c % 128) % 48);
	expect_map(&topo, NANO_MAP_TOPOLOGY, 1, 48, want, 48, 0, 48, 48);

	/* the largest machine the table takes */
	for (unsigned c = 0; c < 1024; c++)
		k[c] = c / 2;
	build_topo(&topo, 1024, k);
	CHECK_EQ(topo.ncores, 512);
	CHECK_EQ(nano_magmap_build(&mm, &topo, NANO_MAP_SHIFT, -1, 0), 0);
	CHECK_EQ(mm.nmags, 64);
	CHECK_EQ(mm.mag[1023], (1023 >> 1) % 64);
	CHECK_EQ(lookup(1024), 1024 % 64);
}

static void test_fingerprint(void)
{
	uint64_t k[16], fa, fb, fs;

	/* one machine, three spellings of its core keys */
	keys_smt(k, 16, 2, 0, 1, 0);
	build_topo(&topo, 16, k);
	fa = nano_topo_fingerprint(&topo);
	keys_smt(k, 16, 2, 0, (uint64_t)1 << 32, 77);       /* package << 32 style */
	build_topo(&topo2, 16, k);
	CHECK_EQ(nano_topo_fingerprint(&topo2), fa);
	for (unsigned c = 0; c < 16; c++)   /* key = lowest sibling's CPU number */
		k[c] = c % 8;
	build_topo(&topo2, 16, k);
	CHECK_EQ(nano_topo_fingerprint(&topo2), fa);
	for (unsigned c = 0; c < 16; c++)   /* keys in decreasing order */
		k[c] = 1000 - (c % 8);
	build_topo(&topo2, 16, k);
	CHECK_EQ(nano_topo_fingerprint(&topo2), fa);
	CHECK(memcmp(topo.core, topo2.core, sizeof(topo.core)) == 0);

	/* other machines: adjacent numbering, fewer CPUs, no SMT, one absent */
	keys_smt(k, 16, 2, 1, 1, 0);
	build_topo(&topo2, 16, k);
	fb = nano_topo_fingerprint(&topo2);
	CHECK(fb != fa);
	keys_smt(k, 8, 2, 0, 1, 0);
	build_topo(&topo2, 8, k);
	fs = nano_topo_fingerprint(&topo2);
	CHECK(fs != fa && fs != fb);
	for (unsigned c = 0; c < 16; c++)
		k[c] = c;
	build_topo(&topo2, 16, k);
	CHECK(nano_topo_fingerprint(&topo2) != fa);
	CHECK(nano_topo_fingerprint(&topo2) != fb);
	keys_smt(k, 16, 2, 0, 1, 0);
	k[15] = NANO_CPU_ABSENT;
	build_topo(&topo2, 16, k);
	CHECK(nano_topo_fingerprint(&topo2) != fa);
	/* deterministic */
	keys_smt(k, 16, 2, 0, 1, 0);
	build_topo(&topo2, 16, k);
	CHECK_EQ(nano_topo_fingerprint(&topo2), fa);
}

static void test_bad_input(void)
{
	static uint64_t k[1100];
	enum nano_map map;

	for (unsigned c = 0; c < 1100; c++)
		k[c] = c;
	CHECK_EQ(nano_topo_build(&topo, 0, k), (uint64_t)-1);
	CHECK_EQ(nano_topo_build(&topo, 1025, k), (uint64_t)-1);
	for (unsigned c = 0; c < 4; c++)
		k[c] = NANO_CPU_ABSENT;
	CHECK_EQ(nano_topo_build(&topo, 4, k), (uint64_t)-1);     /* nothing present */
	CHECK_EQ(nano_topo_build(&topo, 1024, (k[0] = 0, k)), 0);   /* the maximum is fine */

	keys_smt(k, 8, 2, 1, 1, 0);
	build_topo(&topo, 8, k);
	CHECK_EQ(nano_magmap_build(&mm, &topo, NANO_MAP_SHIFT, 17, 0), (uint64_t)-1);
	CHECK_EQ(nano_magmap_build(&mm, &topo, NANO_MAP_TOPOLOGY, 100, 0), (uint64_t)-1);
	CHECK_EQ(nano_magmap_build(&mm, &topo, (enum nano_map)3, 1, 0), (uint64_t)-1);
	CHECK_EQ(nano_magmap_build(&mm, &topo, (enum nano_map)-1, 1, 0), (uint64_t)-1);
	CHECK_EQ(nano_magmap_build(&mm, &topo, NANO_MAP_SHIFT, 16, 0), 0);   /* legal, one mag */
	CHECK_EQ(mm.nmags, 1);
	/* max_mags <= 0 means natural */
	CHECK_EQ(nano_magmap_build(&mm, &topo, NANO_MAP_SHIFT, 1, -5), 0);
	CHECK_EQ(mm.nmags, 4);

	CHECK_EQ(nano_map_parse("shift", &map), 0);
	CHECK_EQ(map, NANO_MAP_SHIFT);
	CHECK_EQ(nano_map_parse("topology", &map), 0);
	CHECK_EQ(map, NANO_MAP_TOPOLOGY);
	CHECK_EQ(nano_map_parse("cpu", &map), 0);
	CHECK_EQ(map, NANO_MAP_CPU);
	CHECK_EQ(nano_map_parse("CPU", &map), (uint64_t)-1);
	CHECK_EQ(nano_map_parse("", &map), (uint64_t)-1);
	CHECK_EQ(nano_map_parse("shiftx", &map), (uint64_t)-1);
	CHECK_STR(nano_map_name(NANO_MAP_SHIFT), "shift");
	CHECK_STR(nano_map_name(NANO_MAP_TOPOLOGY), "topology");
	CHECK_STR(nano_map_name(NANO_MAP_CPU), "cpu");
	CHECK_STR(nano_map_name((enum nano_map)9), "?");
}

int main(void)
{
	test_normalise();
	test_adjacent();
	test_split();
	test_uneven();
	test_many_cpus();
	test_fingerprint();
	test_bad_input();
	printf("magmap: ok\n");
	return 0;
}
