/*
 * test_exhaust.c - a size class that has used all its bands falls back to
 * the helper, and everything keeps working.
 *
 * Small layout with band_bits 1: each magazine has 2 bands, so a class holds
 * at most 2 x 512 blocks of 256 bytes (fewer: the first band starts at a
 * random block). Pinned to one CPU, allocate 1500 such blocks: the first
 * ones are nano's (owned, in bands 0 and 1), the rest come from the helper
 * (not owned, still usable); totals.helper_small counts exactly those. Then:
 * other classes of the magazine (sharing the same two bands) still work; a
 * freed nano block is reused before the helper is asked again; a magazine of
 * another CPU is not exhausted; calloc and realloc of exhausted classes also
 * fall back; freeing everything leaves in_use at 0.
 */
#include "nano_internal.h"
#include "nt.h"

#define N 1500

int main(void)
{
	struct nano_config cfg;
	struct nano_settings st;
	struct nano_totals t0, t1;
	struct nano_counts c;
	static void *v[N];
	unsigned owned = 0, helper = 0;

	int cpu = nt_allowed_cpu(0);
	CHECK(cpu >= 0 && nt_pin(cpu) == 0);
	nano_config_default(&cfg);
	cfg.band_bits = 1;
	CHECK_EQ(nano_zone_init(&cfg), 0);
	nano_get_settings(&st);
	CHECK_STR(st.layout, "small");
	CHECK_EQ(st.band_bits, 1);
	CHECK_STR(st.source, "config");
	unsigned mag = nano_magmap_lookup(&nano_z.map, cpu);
	nano_stats_totals(&t0);

	for (unsigned i = 0; i < N; i++) {
		v[i] = nano_malloc(256);
		CHECK(v[i] != NULL);
		nt_fill(v[i], 256, 1);
		if (nano_owns(v[i])) {
			CHECK_MSG(helper == 0, "block %u owned by nano after the helper took over", i);
			CHECK(nano_off_band((uint64_t)(uintptr_t)v[i] - nano_z.base) <= 1);
			owned++;
		} else {
			CHECK_EQ(nano_size(v[i]), 0);
			helper++;
		}
	}
	/* 2 bands of 512 blocks minus the random start (< 1/16 of a band) */
	CHECK_MSG(owned > 1024 - 512 / 16 - 1 && owned <= 1024, "%u blocks from nano", owned);
	CHECK_EQ(owned + helper, N);
	nano_stats_totals(&t1);
	CHECK_EQ(t1.helper_small - t0.helper_small, helper);
	CHECK_EQ(t1.all.allocs - t0.all.allocs, owned);
	CHECK_EQ(t1.small_requests - t0.small_requests, N);
	CHECK_EQ(nano_stats_cell(mag, 15, &c), 0);
	CHECK_EQ(c.bands, 2);
	CHECK_EQ(nano_z.meta[mag][15].exhausted, 1);

	/* calloc, realloc and zero-sized... of the exhausted class: helper */
	unsigned char *z = nano_calloc(1, 250);
	CHECK(z && !nano_owns(z));
	for (int i = 0; i < 250; i++)
		CHECK_EQ(z[i], 0);
	void *r = nano_realloc(nano_malloc(16), 250);
	CHECK(r && !nano_owns(r));
	nano_free(z);
	nano_free(r);

	/* the other classes share the two bands: still served */
	for (size_t s = 16; s < 256; s += 16) {
		void *p = nano_malloc(s);
		CHECK_MSG(nano_owns(p), "class %zu not served", s);
		nano_free(p);
	}
	/* a freed nano block comes back before the helper */
	unsigned k = owned / 2;
	CHECK(nano_owns(v[k]) && nt_fill_ok(v[k], 256, 1));
	nano_free(v[k]);
	v[k] = nano_malloc(256);
	CHECK(nano_owns(v[k]));
	nt_fill(v[k], 256, 1);
	void *again = nano_malloc(256);
	CHECK(!nano_owns(again));
	nano_free(again);

	/* another CPU's magazine is not exhausted */
	int cpu1 = nt_allowed_cpu(1);
	if (cpu1 >= 0 && nano_magmap_lookup(&nano_z.map, cpu1) != mag) {
		CHECK(nt_pin(cpu1) == 0);
		void *p = nano_malloc(256);
		CHECK(nano_owns(p));
		nano_free(p);
		CHECK(nt_pin(cpu) == 0);
	}

	for (unsigned i = 0; i < N; i++) {
		CHECK_MSG(nt_fill_ok(v[i], 256, 1), "block %u (%p) corrupted", i, v[i]);
		nano_free(v[i]);
	}
	nano_stats_totals(&t1);
	CHECK_EQ(t1.all.in_use, 0);
	printf("exhaust: ok (%u blocks from nano, %u from the helper)\n", owned, helper);
	return 0;
}
