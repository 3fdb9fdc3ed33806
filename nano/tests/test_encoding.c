/*
 * test_encoding.c - size classes and the address encoding, round trip
 * (white box: uses nano_internal.h's helpers and the zone's state).
 *
 *   test_encoding full        the default layout (must be "full" here)
 *   test_encoding small BITS  nano_zone_init with band_bits BITS (small layout)
 *
 * The zone initialises once per process, so each layout is its own run.
 *
 * For every class and every CPU the process may use (the thread pinned
 * there), blocks are carved across at least three bands; each block must
 *   - lie in the region, be 16-byte aligned, have nano_size == class size;
 *   - decode to (mag, band, slot, offset) with mag = the pinned CPU's
 *     magazine, slot = the class, offset on the class's grid and below the
 *     area's limit, and encode back to the same address via nano_area_addr;
 *   - pass nano_vet and nano_bump_valid.
 * Also: the size -> class function at its edges, the multiply-based
 * divisibility test against '%' for every offset of every class, and the
 * layout's geometry (base, size, band bits, alignment).
 */
#include "nano_internal.h"
#include "nt.h"

/* Blocks per class to carve: enough for 3 bands of the largest class and
 * 2+ bands of the smallest (8192 16-byte blocks per band). */
static unsigned blocks_for(unsigned slot)
{
	uint64_t per_band = nano_z.cls[slot].limit / nano_z.cls[slot].size;
	uint64_t bands = nano_z.band_mask + 1 < 3 ? nano_z.band_mask + 1 : 3;
	/* the first band starts up to 1/16 in: stay safely inside `bands` */
	return (unsigned)(per_band * (bands - 1) + per_band / 2);
}

static void check_size_classes(void)
{
	static const struct { size_t size; unsigned slot; } t[] = {
		{ 0, 0 }, { 1, 0 }, { 15, 0 }, { 16, 0 }, { 17, 1 }, { 32, 1 }, { 33, 2 },
		{ 128, 7 }, { 129, 8 }, { 240, 14 }, { 241, 15 }, { 255, 15 }, { 256, 15 },
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECK_EQ(nano_size_to_slot(t[i].size), t[i].slot);
		void *p = nano_malloc(t[i].size);
		CHECK(p != NULL);
		CHECK(nano_owns(p));
		CHECK_EQ(nano_size(p), 16 * (t[i].slot + 1));
		CHECK_EQ(nano_off_slot((uint64_t)(uintptr_t)p - nano_z.base), t[i].slot);
		nano_free(p);
	}
	for (size_t s = 0; s <= NANO_MAX_SIZE; s++)
		CHECK_EQ(nano_size_to_slot(s), s == 0 ? 0 : (s + 15) / 16 - 1);
}

static void check_classes_table(void)
{
	for (unsigned s = 0; s < NANO_SLOTS; s++) {
		const struct nano_class *c = &nano_z.cls[s];
		CHECK_EQ(c->size, 16 * (s + 1));
		CHECK_EQ(c->limit, NANO_AREA_SIZE / c->size * c->size);
		/* the divisibility test agrees with % on every 16-byte offset
		 * of the area, and on a few offsets not multiples of 16 */
		for (uint64_t off = 0; off < NANO_AREA_SIZE; off += 16)
			CHECK_MSG(nano_divisible(off, c) == (off % c->size == 0),
				  "divisible(%" PRIu64 ", %" PRIu64 ")", off, c->size);
		for (uint64_t off = 1; off < 4096; off += 7)
			CHECK_MSG(nano_divisible(off, c) == (off % c->size == 0),
				  "divisible(%" PRIu64 ", %" PRIu64 ")", off, c->size);
	}
}

static void check_layout(int want_full, unsigned want_bits)
{
	struct nano_settings st;
	nano_get_settings(&st);
	CHECK(st.ready);
	CHECK_EQ(st.region_base, nano_z.base);
	CHECK_EQ(st.region_size, nano_z.size);
	CHECK_EQ(st.band_bits, nano_z.band_bits);
	CHECK_EQ(nano_z.mag_shift, NANO_OFFSET_BITS + NANO_SLOT_BITS + st.band_bits);
	CHECK_EQ(nano_z.band_mask, ((uint64_t)1 << st.band_bits) - 1);
	/* the full layout covers every magazine; a small one those in use */
	CHECK_EQ(st.region_size, (uint64_t)(want_full ? NANO_MAX_MAGAZINES : st.nmags)
					 << nano_z.mag_shift);
	if (want_full) {
		CHECK_STR(st.layout, "full");
		CHECK_EQ(st.band_bits, NANO_BAND_BITS_FULL);
		CHECK_EQ(st.region_base, NANO_FULL_BASE);
		CHECK_EQ(st.region_size, (uint64_t)1 << 44);
		CHECK_EQ(st.region_base >> 44, 6);
	} else {
		CHECK_STR(st.layout, "small");
		CHECK_EQ(st.band_bits, want_bits);
		CHECK_EQ(st.region_base % NANO_BAND_SIZE, 0);
	}
	/* nothing outside the region is "owned" */
	CHECK(!nano_owns((void *)(uintptr_t)(nano_z.base - 16)));
	CHECK(!nano_owns((void *)(uintptr_t)(nano_z.base + nano_z.size)));
	CHECK(nano_owns((void *)(uintptr_t)nano_z.base));
	CHECK(nano_owns((void *)(uintptr_t)(nano_z.base + nano_z.size - 16)));
}

/* Carve blocks of one class on the pinned CPU and check every address. */
static void check_class_on_cpu(unsigned slot, int cpu, unsigned mag)
{
	const struct nano_class *c = &nano_z.cls[slot];
	unsigned n = blocks_for(slot);
	void **v = calloc(n, sizeof(*v));
	void *drained[4096];
	unsigned nd = 0;
	struct nano_meta *m = &nano_z.meta[mag][slot];
	uint64_t max_band, prev = 0, bands_before;
	CHECK(v != NULL);

	/* Empty the class's free list first (earlier checks freed blocks), so
	 * that every block below is carved fresh, in address order. */
	while (__atomic_load_n(&m->head.h.ptr, __ATOMIC_RELAXED)) {
		CHECK(nd < sizeof(drained) / sizeof(drained[0]));
		drained[nd++] = nano_malloc(c->size);
	}
	bands_before = __atomic_load_n(&m->bands, __ATOMIC_RELAXED);
	max_band = bands_before ? bands_before - 1 : 0;

	for (unsigned i = 0; i < n; i++) {
		void *p = nano_malloc(c->size - (i % 16));    /* any size of the class */
		uint64_t a = (uint64_t)(uintptr_t)p, off = a - nano_z.base;
		CHECK(p != NULL);
		CHECK_MSG(off < nano_z.size, "block %p outside the region (cpu %d)", p, cpu);
		CHECK_EQ(a % 16, 0);
		CHECK_EQ(nano_size(p), c->size);
		CHECK_EQ(nano_off_mag(off), mag);
		CHECK_EQ(nano_off_slot(off), slot);
		uint64_t band = nano_off_band(off), in_area = off & (NANO_AREA_SIZE - 1);
		CHECK_EQ(in_area % c->size, 0);
		CHECK(in_area + c->size <= c->limit);
		/* encode back */
		CHECK_EQ(nano_area_addr(mag, band, slot) + in_area, a);
		CHECK_EQ(((uint64_t)mag << nano_z.mag_shift) |
			 (band << (NANO_OFFSET_BITS + NANO_SLOT_BITS)) |
			 ((uint64_t)slot << NANO_OFFSET_BITS) | in_area, off);
		CHECK(band <= nano_z.band_mask);
		CHECK(nano_vet(a, off, mag, slot));
		CHECK(nano_bump_valid(&nano_z.meta[mag][slot], a, mag, slot));
		/* single thread, empty list: strictly increasing, band by band */
		CHECK_MSG(a > prev, "block %p not above the previous one", p);
		if (i == 0 && bands_before == 0) {
			/* the first band starts at a random block below 1/16 */
			CHECK_EQ(band, 0);
			CHECK(in_area <= c->limit / 16);
		}
		if (band > max_band) {
			CHECK_EQ(band, max_band + 1);
			CHECK_EQ(in_area, 0);            /* later bands start at block 0 */
			max_band = band;
		}
		prev = a;
		memset(p, (int)slot, c->size);
		v[i] = p;
	}
	CHECK_MSG(max_band >= bands_before + 1, "class %u never grew", slot);
	CHECK_EQ(__atomic_load_n(&m->bands, __ATOMIC_RELAXED), max_band + 1);
	for (unsigned i = 0; i < n; i++) {
		const unsigned char *b = v[i];
		CHECK(b[0] == slot && b[c->size - 1] == slot);
		nano_free(v[i]);
	}
	/* LIFO: the last block freed comes back first */
	void *p = nano_malloc(c->size);
	CHECK(p == v[n - 1]);
	nano_free(p);
	for (unsigned i = 0; i < nd; i++)
		nano_free(drained[i]);
	free(v);
}

int main(int argc, char **argv)
{
	cpu_set_t orig;
	int full = argc < 2 || strcmp(argv[1], "full") == 0;
	unsigned bits = 0;

	if (!full) {
		struct nano_config cfg;
		CHECK(argc >= 3 && strcmp(argv[1], "small") == 0);
		bits = (unsigned)atoi(argv[2]);
		nano_config_default(&cfg);
		cfg.band_bits = bits;
		CHECK_EQ(nano_zone_init(&cfg), 0);
		CHECK_EQ(nano_zone_init(&cfg), (uint64_t)-1);   /* once only */
	}
	CHECK(sched_getaffinity(0, sizeof(orig), &orig) == 0);
	check_size_classes();            /* initialises the default zone if needed */
	check_layout(full, bits);
	check_classes_table();

	for (int i = 0; nt_allowed_cpu(i) >= 0; i++) {
		int cpu = nt_allowed_cpu(i);
		CHECK(nt_pin(cpu) == 0);
		unsigned mag = nano_magmap_lookup(&nano_z.map, cpu);
		CHECK_EQ(nano_cpu(), cpu);
		for (unsigned s = 0; s < NANO_SLOTS; s++)
			check_class_on_cpu(s, cpu, mag);
		nt_unpin(&orig);
	}
	printf("encoding %s: ok (layout %s, band bits %u, base 0x%" PRIx64 ", %u magazines)\n",
	       full ? "full" : "small", nano_z.layout, nano_z.band_bits, nano_z.base, nano_z.map.nmags);
	return 0;
}
