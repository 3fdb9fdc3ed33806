/*
 * test_stats.c - the statistics add up after known sequences.
 *
 * Single thread pinned to the first CPU (one magazine, one thread):
 *   100 x malloc(32), 50 x malloc(256), free 30 of the 32s, 10 more 32s
 *   (popped from the list), 5 sized frees of 256s: exact allocs,
 *   bump_allocs, frees, in_use, free_blocks, bands, bytes for both cells and
 *   the totals; then enough 16-byte blocks to move the class to its second
 *   band (bands 2, committed bytes 2 bands of the magazine); then everything
 *   freed: in_use 0, bytes_in_use 0. A double-free scan that finds nothing
 *   (a live block holding its guard value) does not disturb the counts.
 * Remote frees (needs two CPUs with different magazines, else exit 77):
 *   a thread pinned to the second CPU allocates 100 blocks, the main thread
 *   pinned to the first frees them: the owner cell counts 100 frees and 100
 *   remote frees (read while the freeing thread is alive), and again for a
 *   freeing thread that has exited (its counts folded into the totals).
 *   Without statistics compiled in, remote_frees must read 0.
 */
#include "nano_internal.h"
#include "nt.h"

static int cpu0, cpu1;
static void *blocks[100];

static void counts_eq(const struct nano_counts *c, uint64_t allocs, uint64_t bump, uint64_t frees,
		      uint64_t size)
{
	CHECK_EQ(c->allocs, allocs);
	CHECK_EQ(c->bump_allocs, bump);
	CHECK_EQ(c->frees, frees);
	CHECK_EQ(c->in_use, allocs - frees);
	CHECK_EQ(c->free_blocks, frees - (allocs - bump));
	CHECK_EQ(c->bytes_in_use, (allocs - frees) * size);
	CHECK_EQ(c->retries_pop, 0);
	CHECK_EQ(c->retries_push, 0);
	CHECK_EQ(c->remote_frees, 0);
	CHECK_EQ(c->retired, 0);
}

static void test_sequence(unsigned mag)
{
	static void *a[110], *b[50], *s16[9000];
	struct nano_counts c32, c256, c16;
	struct nano_totals t;

	nano_stats_totals(&t);
	CHECK_EQ(t.all.allocs, 0);
	CHECK_EQ(t.committed_bytes, 0);

	for (int i = 0; i < 100; i++)
		a[i] = nano_malloc(32);
	for (int i = 0; i < 50; i++)
		b[i] = nano_malloc(256);
	for (int i = 0; i < 30; i++)
		nano_free(a[i]);
	for (int i = 0; i < 10; i++)
		a[100 + i] = nano_malloc(32);
	for (int i = 0; i < 5; i++)
		nano_free_sized(b[i], 256);

	nano_stats_cell(mag, 1, &c32);
	nano_stats_cell(mag, 15, &c256);
	counts_eq(&c32, 110, 100, 30, 32);
	counts_eq(&c256, 50, 50, 5, 256);
	CHECK_EQ(c32.bands, 1);
	CHECK_EQ(c32.bytes_mapped, NANO_AREA_SIZE);
	nano_stats_totals(&t);
	CHECK_EQ(t.all.allocs, 160);
	CHECK_EQ(t.all.bump_allocs, 150);
	CHECK_EQ(t.all.frees, 35);
	CHECK_EQ(t.all.in_use, 125);
	CHECK_EQ(t.all.free_blocks, 25);
	CHECK_EQ(t.all.bytes_in_use, 80 * 32 + 45 * 256);
	CHECK_EQ(t.all.bands, 2);
	CHECK_EQ(t.all.bytes_mapped, 2 * NANO_AREA_SIZE);
	CHECK_EQ(t.committed_bytes, NANO_BAND_SIZE);
	CHECK_EQ(t.small_requests, 160);
	CHECK_EQ(t.helper_small, 0);

	/* helper requests are not nano's */
	void *big = nano_malloc(1000);
	nano_free(big);
	nano_stats_totals(&t);
	CHECK_EQ(t.all.allocs, 160);
	CHECK_EQ(t.small_requests, 160);

	/* a live block holding its guard value: the double-free scan detaches
	 * and pushes back the class list, which must not count */
	uint64_t *g = a[50];
	g[0] = (uint64_t)(uintptr_t)g ^ nano_z.cookie;
	nano_free(g);
	nano_stats_cell(mag, 1, &c32);
	counts_eq(&c32, 110, 100, 31, 32);
	a[50] = nano_malloc(32);
	CHECK(a[50] == g);
	nano_stats_cell(mag, 1, &c32);
	counts_eq(&c32, 111, 100, 31, 32);

	/* 9000 blocks of 16 bytes: more than one band holds (8192) */
	for (int i = 0; i < 9000; i++)
		s16[i] = nano_malloc(16);
	nano_stats_cell(mag, 0, &c16);
	counts_eq(&c16, 9000, 9000, 0, 16);
	CHECK_EQ(c16.bands, 2);
	nano_stats_totals(&t);
	CHECK_EQ(t.committed_bytes, 2 * NANO_BAND_SIZE);
	CHECK_EQ(t.all.bands, 4);

	for (int i = 0; i < 9000; i++)
		nano_free(s16[i]);
	for (int i = 30; i < 110; i++)
		nano_free(a[i]);
	for (int i = 5; i < 50; i++)
		nano_free(b[i]);
	nano_stats_totals(&t);
	CHECK_EQ(t.all.in_use, 0);
	CHECK_EQ(t.all.bytes_in_use, 0);
	CHECK_EQ(t.all.allocs, t.all.frees);
	CHECK_EQ(t.all.allocs, 9000 + 111 + 50);
	CHECK_EQ(t.all.free_blocks, t.all.bump_allocs);
	CHECK_EQ(t.all.retries_pop + t.all.retries_push + t.all.remote_frees, 0);
}

static void *alloc_on_cpu1(void *arg)
{
	(void)arg;
	CHECK(nt_pin(cpu1) == 0);
	for (int i = 0; i < 100; i++)
		blocks[i] = nano_malloc(64);
	return NULL;
}

static void *free_on_cpu0(void *arg)
{
	(void)arg;
	CHECK(nt_pin(cpu0) == 0);
	for (int i = 0; i < 100; i++)
		nano_free(blocks[i]);
	return NULL;
}

static int test_remote(void)
{
	struct nano_counts c0, c1;
	struct nano_settings st;
	pthread_t t;

	nano_get_settings(&st);
	if (cpu1 < 0 || st.nmags < 2 ||
	    nano_magmap_lookup(&nano_z.map, cpu0) == nano_magmap_lookup(&nano_z.map, cpu1)) {
		printf("stats: remote frees skipped (one CPU or one magazine)\n");
		return NT_SKIP;
	}
	unsigned owner = nano_magmap_lookup(&nano_z.map, cpu1);

	/* freed by this (live) thread */
	CHECK(pthread_create(&t, NULL, alloc_on_cpu1, NULL) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	nano_stats_cell(owner, 3, &c0);
	for (int i = 0; i < 100; i++)
		CHECK_EQ(nano_off_mag((uint64_t)(uintptr_t)blocks[i] - nano_z.base), owner);
	CHECK(nt_pin(cpu0) == 0);
	for (int i = 0; i < 100; i++)
		nano_free(blocks[i]);
	nano_stats_cell(owner, 3, &c1);
	CHECK_EQ(c1.frees - c0.frees, 100);
	CHECK_EQ(c1.remote_frees - c0.remote_frees, NANO_STATS ? 100 : 0);

	/* freed by a thread that has exited since */
	CHECK(pthread_create(&t, NULL, alloc_on_cpu1, NULL) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(pthread_create(&t, NULL, free_on_cpu0, NULL) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	nano_stats_cell(owner, 3, &c0);
	CHECK_EQ(c0.frees - c1.frees, 100);
	CHECK_EQ(c0.remote_frees - c1.remote_frees, NANO_STATS ? 100 : 0);
	CHECK_EQ(c0.in_use, 0);

	/* a local free is not remote */
	CHECK(nt_pin(cpu1) == 0);
	void *p = nano_malloc(64);
	nano_free(p);
	nano_stats_cell(owner, 3, &c1);
	CHECK_EQ(c1.remote_frees, c0.remote_frees);
	return 0;
}

int main(void)
{
	cpu0 = nt_allowed_cpu(0);
	cpu1 = nt_allowed_cpu(1);
	CHECK(cpu0 >= 0 && nt_pin(cpu0) == 0);
	CHECK_EQ(nano_zone_init(NULL), 0);
	test_sequence(nano_magmap_lookup(&nano_z.map, cpu0));
	int r = test_remote();
	printf("stats: ok%s\n", r == NT_SKIP ? " (remote part skipped)" : "");
	return r;
}
