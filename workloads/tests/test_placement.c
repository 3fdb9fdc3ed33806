/*
 * test_placement.c - placement policies on synthetic machines, CPU by CPU.
 */
#include <string.h>
#include <unistd.h>

#include "wl_check.h"
#include "wl_place.h"
#include "wl_topo.h"

static int got[4096];

static int place(const struct wl_topo *t, const char *policy, unsigned n, int over)
{
	struct wl_placement p;
	char err[256];
	if (wl_place_parse(&p, policy, err, sizeof(err)))
		return -2;
	return wl_place_threads(t->h, &p, n, over, got, err, sizeof(err));
}

static void load(struct wl_topo *t, const char *spec)
{
	char err[256];
	if (wl_topo_load(t, spec, NULL, err, sizeof(err))) {
		fprintf(stderr, "cannot load %s: %s\n", spec, err);
		_exit(1);
	}
}

/* Expected os index of thread i is f(i) for every i < n. */
#define EXPECT_ALL(t, policy, n, expr)                                          \
	do {                                                                    \
		CHECK(place(t, policy, n, 0) == 0, "%s on %s: refused", policy, (t)->source); \
		for (unsigned i = 0; i < (n); i++)                              \
			CHECK(got[i] == (int)(expr), "%s on %s: thread %u on %d, expected %d", \
			      policy, (t)->source, i, got[i], (int)(expr));       \
	} while (0)

static void test_1x2x1(void)
{
	struct wl_topo t;
	load(&t, "pack:1 core:2 pu:1");
	EXPECT_ALL(&t, "compact", 2, i);
	EXPECT_ALL(&t, "scatter", 2, i);
	EXPECT_ALL(&t, "cores", 2, i);
	CHECK(place(&t, "compact", 3, 0) == -1, "3 threads on 2 CPUs must be refused");
	CHECK(place(&t, "compact", 3, 1) == 0 && got[2] == 0, "oversubscribe wraps around");
	EXPECT_ALL(&t, "none", 2, -1);
	wl_topo_destroy(&t);
}

static void test_1x8x2(void)
{
	struct wl_topo t;
	load(&t, "pack:1 core:8 pu:2");
	EXPECT_ALL(&t, "compact", 16, i);
	EXPECT_ALL(&t, "scatter", 16, i < 8 ? 2 * i : 2 * (i - 8) + 1);
	EXPECT_ALL(&t, "cores", 8, 2 * i);
	CHECK(place(&t, "cores", 9, 0) == -1, "9 threads on 8 cores must be refused");
	EXPECT_ALL(&t, "cpus:1,3,8-10", 5, (i < 2 ? 1 + 2 * i : 8 + (i - 2)));
	CHECK(place(&t, "cpus:16", 1, 0) == -1, "CPU 16 does not exist");
	CHECK(place(&t, "cpus:1,3", 3, 0) == -1, "3 threads on a 2-CPU list");
	wl_topo_destroy(&t);
}

static void test_2x16x2(void)
{
	struct wl_topo t;
	load(&t, "pack:2 core:16 pu:2");
	EXPECT_ALL(&t, "compact", 64, i);
	/* thread i: hardware thread i/32, core (i%32)/2, package i%2 */
	EXPECT_ALL(&t, "scatter", 64, (i % 2) * 32 + ((i % 32) / 2) * 2 + i / 32);
	EXPECT_ALL(&t, "cores", 32, 2 * i);
	wl_topo_destroy(&t);
}

static void test_4x8x4_numa(void)
{
	struct wl_topo t;
	load(&t, "pack:4 numa:1 core:8 pu:4");
	EXPECT_ALL(&t, "compact", 128, i);
	EXPECT_ALL(&t, "scatter", 128, (i % 4) * 32 + ((i % 32) / 4) * 4 + i / 32);
	EXPECT_ALL(&t, "cores", 32, 4 * i);
	wl_topo_destroy(&t);
}

/* Packages split into NUMA nodes (AMD's NPS4, Intel's SNC): scatter walks
 * the nodes too, so the first threads get a node each. */
static void test_numa_inside_package(void)
{
	struct wl_topo t;
	load(&t, "pack:1 numa:4 core:4 pu:2");
	/* thread i: node i%4, core (i/4)%4 of it, hardware thread i/16 */
	EXPECT_ALL(&t, "scatter", 32, (i % 4) * 8 + ((i / 4) % 4) * 2 + i / 16);
	wl_topo_destroy(&t);
	load(&t, "pack:2 numa:2 core:4 pu:2");
	/* packages first, then their nodes: 0 16 8 24 2 18 10 26 ... */
	EXPECT_ALL(&t, "scatter", 32, (i % 2) * 16 + ((i / 2) % 2) * 8 + ((i / 4) % 4) * 2 + i / 16);
	wl_topo_destroy(&t);
}

/* Linux numbering: siblings are cpu c and c + 4. */
static void test_split_numbering(void)
{
	static const int compact[8] = { 0, 4, 1, 5, 2, 6, 3, 7 };
	struct wl_topo t;
	load(&t, "pack:1 core:4 pu:2(indexes=0,4,1,5,2,6,3,7)");
	EXPECT_ALL(&t, "compact", 8, compact[i]);
	EXPECT_ALL(&t, "scatter", 8, i);
	EXPECT_ALL(&t, "cores", 4, i);
	wl_topo_destroy(&t);
}

static void test_parse(void)
{
	static const char *const bad[] = { "bogus", "cpus:", "cpus:3-1", "cpus:a", "cpus:1,,2",
					   "Compact", "" };
	struct wl_placement p;
	char err[256];
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(wl_place_parse(&p, bad[i], err, sizeof(err)) == -1, "'%s' accepted", bad[i]);
		CHECK(strchr(err, '\n') == NULL, "multi-line message");
	}
	CHECK(wl_place_parse(&p, "cpus:0,2,4-7", err, sizeof(err)) == 0 && p.nlist == 6 &&
	      p.list[5] == 7, "cpus:0,2,4-7");
}

int main(void)
{
	test_1x2x1();
	test_1x8x2();
	test_2x16x2();
	test_4x8x4_numa();
	test_numa_inside_package();
	test_split_numbering();
	test_parse();
	return CHECK_DONE();
}
