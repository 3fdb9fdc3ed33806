/*
 * test_relief.c - pressure relief returns memory and keeps live blocks
 * intact (single thread pinned to one CPU, so one magazine holds everything;
 * the concurrent case is test_stress.c's `relief` mode).
 *
 * 1. RSS: allocate 200 MiB of 64-byte blocks (each filled), free them all,
 *    call nano_pressure_relief(): /proc/self/statm's RSS falls by at least
 *    90% of it, the returned byte count is between 95% and 100% of the
 *    blocks' bytes (64-byte blocks tile pages exactly, so it can never be
 *    more), relief_bytes and the retired count agree with it, and allocation
 *    keeps working afterwards (and a second round releases again). The
 *    free list holds exactly the blocks that were not retired.
 * 2. Partial frees in classes whose blocks straddle pages (48 and 208 bytes):
 *    free every other block of a region, then whole runs; after relief every
 *    live block still holds its pattern, no page holding a live block was
 *    released (mincore), and the retired count equals the number of freed
 *    blocks that overlap a released page (mincore says which).
 */
#include "nano_internal.h"
#include "nt.h"

#include <sys/mman.h>

#define MIB ((size_t)1 << 20)

static size_t page;

static void *map_array(size_t bytes)
{
	void *a = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(a != MAP_FAILED);
	memset(a, 0, bytes);                /* resident before the first RSS reading */
	return a;
}

static int resident(const void *p)
{
	unsigned char v = 0;
	uintptr_t pg = (uintptr_t)p & ~(uintptr_t)(page - 1);
	CHECK(mincore((void *)pg, page, &v) == 0);
	return v & 1;
}

/* Does the block [p, p+size) overlap a page that is not resident? */
static int overlaps_released(const void *p, size_t size)
{
	for (uintptr_t a = (uintptr_t)p & ~(uintptr_t)(page - 1); a < (uintptr_t)p + size; a += page)
		if (!resident((void *)a))
			return 1;
	return 0;
}

/* Length of a class's free list (single thread: nobody else touches it). */
static size_t list_len(unsigned mag, unsigned slot)
{
	size_t n = 0;
	for (uint64_t b = nano_z.meta[mag][slot].head.h.ptr; b; b = ((uint64_t *)b)[1])
		n++;
	return n;
}

static void test_rss(unsigned mag)
{
	const size_t total = 200 * MIB, n = total / 64;
	void **v = map_array(n * sizeof(void *));
	struct nano_counts c0, c1;
	struct nano_totals t0, t1;
	size_t rss0, rss1, rss2, rss3, released;

	nano_stats_cell(mag, 3, &c0);
	nano_stats_totals(&t0);
	rss0 = nt_rss_bytes();
	for (size_t i = 0; i < n; i++) {
		v[i] = nano_malloc(64);
		CHECK(v[i] && nano_owns(v[i]));
		nt_fill(v[i], 64, 5);
	}
	rss1 = nt_rss_bytes();
	CHECK_MSG(rss1 - rss0 >= total / 100 * 95, "RSS grew by %zu for %zu bytes of blocks",
		  rss1 - rss0, total);
	for (size_t i = 0; i < n; i++) {
		CHECK_MSG(nt_fill_ok(v[i], 64, 5), "block %p corrupted", v[i]);
		nano_free(v[i]);
	}
	rss2 = nt_rss_bytes();
	released = nano_pressure_relief();
	rss3 = nt_rss_bytes();
	printf("relief: RSS %zu MiB -> %zu MiB (after free %zu MiB) -> %zu MiB after relief; "
	       "relief returned %zu bytes\n", rss0 / MIB, rss1 / MIB, rss2 / MIB, rss3 / MIB, released);
	CHECK_MSG(rss2 > rss3 && rss2 - rss3 >= total / 100 * 90, "RSS fell by %zd bytes only",
		  (ssize_t)(rss2 - rss3));
	/* 64-byte blocks tile pages; only the first band's first page may be
	 * partly before the first block, so at most one page more */
	CHECK_MSG(released >= total / 100 * 95 && released <= total + page,
		  "relief returned %zu bytes for %zu bytes of free 64-byte blocks", released, total);
	CHECK_EQ(released % page, 0);

	/* every block on a released page is retired, and no other */
	size_t expect_retired = 0, on_released = 0;
	uintptr_t last_pg = 0;
	int last_res = 1;
	for (size_t i = 0; i < n; i++) {
		uintptr_t pg = (uintptr_t)v[i] & ~(uintptr_t)(page - 1);
		if (pg != last_pg) {
			last_pg = pg;
			last_res = resident((void *)pg);
			on_released += !last_res;
		}
		expect_retired += !last_res;
	}
	nano_stats_cell(mag, 3, &c1);
	nano_stats_totals(&t1);
	CHECK_MSG(c1.retired - c0.retired == expect_retired,
		  "relief retired %" PRIu64 " blocks, but %zu free blocks lie on released pages",
		  c1.retired - c0.retired, expect_retired);
	CHECK_EQ(on_released * page, released);
	CHECK_EQ(t1.relief_bytes - t0.relief_bytes, released);
	CHECK_EQ(c1.free_blocks, n - expect_retired);
	CHECK_MSG(list_len(mag, 3) == n - expect_retired,
		  "the free list holds %zu blocks after relief, expected %zu", list_len(mag, 3),
		  n - expect_retired);
	CHECK_EQ(c1.in_use, 0);

	/* allocation keeps working: the surviving free blocks first, then fresh
	 * ones; none is a retired block (its guard would read 0 and abort) */
	size_t n2 = n / 4;
	for (size_t i = 0; i < n2; i++) {
		v[i] = nano_malloc(64);
		CHECK(v[i] && nano_owns(v[i]));
		nt_fill(v[i], 64, 6);
	}
	for (size_t i = 0; i < n2; i++) {
		CHECK(nt_fill_ok(v[i], 64, 6));
		nano_free(v[i]);
	}
	released = nano_pressure_relief();
	CHECK_MSG(released >= n2 * 64 / 100 * 90, "second relief returned %zu bytes", released);
	munmap(v, n * sizeof(void *));
}

/* Partial frees: a class whose blocks straddle page boundaries. */
static void test_partial(unsigned mag, size_t size)
{
	const unsigned slot = nano_size_to_slot(size);
	const size_t n = 20000;
	void **v = map_array(n * sizeof(void *));
	unsigned char *live = map_array(n);
	struct nano_counts c0, c1;
	size_t released, expect_retired = 0;

	nano_stats_cell(mag, slot, &c0);
	for (size_t i = 0; i < n; i++) {
		v[i] = nano_malloc(size);
		CHECK(v[i] && nano_owns(v[i]));
		nt_fill(v[i], size, 7);
		live[i] = 1;
	}
	/* free every other block of the first third (no page becomes wholly
	 * free), every block of the second third, and every block but one in
	 * 64 of the last third */
	for (size_t i = 0; i < n; i++) {
		int f = i < n / 3 ? i % 2 == 0 : i < 2 * n / 3 ? 1 : i % 64 != 0;
		if (f) {
			nano_free(v[i]);
			live[i] = 0;
		}
	}
	released = nano_pressure_relief();
	CHECK(released > 0);
	for (size_t i = 0; i < n; i++) {
		if (live[i]) {
			CHECK_MSG(!overlaps_released(v[i], size), "relief released a page under live block %p", v[i]);
			CHECK_MSG(nt_fill_ok(v[i], size, 7), "live block %p corrupted by relief", v[i]);
		} else {
			expect_retired += (size_t)overlaps_released(v[i], size);
		}
	}
	nano_stats_cell(mag, slot, &c1);
	printf("relief: class %zu: %zu bytes released, %" PRIu64 " blocks retired\n", size, released,
	       c1.retired - c0.retired);
	CHECK_MSG(c1.retired - c0.retired == expect_retired,
		  "relief retired %" PRIu64 " blocks, but %zu free blocks lie on released pages",
		  c1.retired - c0.retired, expect_retired);
	CHECK(expect_retired > 0);
	CHECK_MSG(list_len(mag, slot) == c1.free_blocks,
		  "the free list holds %zu blocks after relief, the statistics say %" PRIu64,
		  list_len(mag, slot), c1.free_blocks);
	/* allocate the survivors back and more: all usable, none corrupt */
	for (size_t i = 0; i < n; i++) {
		if (live[i])
			continue;
		v[i] = nano_malloc(size);
		CHECK(v[i] && nano_owns(v[i]));
		nt_fill(v[i], size, 8);
		live[i] = 2;
	}
	for (size_t i = 0; i < n; i++) {
		CHECK(nt_fill_ok(v[i], size, live[i] == 1 ? 7 : 8));
		nano_free(v[i]);
	}
	nano_stats_cell(mag, slot, &c1);
	CHECK_EQ(c1.in_use, 0);
	munmap(v, n * sizeof(void *));
	munmap(live, n);
}

int main(void)
{
	int cpu = nt_allowed_cpu(0);
	struct nano_settings st;
	CHECK(cpu >= 0 && nt_pin(cpu) == 0);
	page = (size_t)sysconf(_SC_PAGESIZE);
	CHECK_EQ(nano_zone_init(NULL), 0);
	nano_get_settings(&st);
	unsigned mag = nano_magmap_lookup(&nano_z.map, cpu);
	CHECK_EQ(nano_pressure_relief(), 0);             /* nothing free yet */
	test_rss(mag);
	test_partial(mag, 48);
	test_partial(mag, 208);
	printf("relief: ok (layout %s)\n", st.layout);
	return 0;
}
