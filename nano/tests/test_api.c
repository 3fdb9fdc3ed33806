/*
 * test_api.c - every call of nano.h at its edges (single thread, pinned to
 * one CPU so that LIFO reuse is predictable).
 *
 * malloc: sizes 0, 1, 16, 17, 255, 256 are nano blocks of the right class,
 *   257 and up go to the helper; every usable byte can be written.
 * calloc: zeroes a reused (dirty) block; n * size overflow gives NULL and
 *   errno ENOMEM; 0 elements; helper sizes zeroed too.
 * realloc: NULL -> malloc; same pointer when the new size fits the class and
 *   is more than half of it; moves (content kept) when shrinking to half or
 *   less or growing past the class; across 256 in both directions (content
 *   kept); foreign pointers stay with the helper; size 0 frees and returns
 *   NULL.
 * free(NULL), free_sized, memalign (helper, aligned, freeable with
 * nano_free), nano_owns and nano_size of foreign, interior and NULL pointers.
 */
#include "nano_internal.h"
#include "nt.h"

#define PATTERN_CHECK(p, n, tag)                                               \
	CHECK_MSG(nt_fill_ok((p), (n), (tag)), "pattern of %p (%zu bytes) lost", \
		  (void *)(p), (size_t)(n))

static uint64_t helper_small(void)
{
	struct nano_totals t;
	nano_stats_totals(&t);
	return t.helper_small;
}

static void test_malloc_sizes(void)
{
	static const size_t sizes[] = { 0, 1, 16, 17, 255, 256, 257, 1000, 100000 };
	static const size_t usable[] = { 16, 16, 16, 32, 256, 256, 0, 0, 0 };
	void *p[9];

	for (unsigned i = 0; i < 9; i++) {
		p[i] = nano_malloc(sizes[i]);
		CHECK(p[i] != NULL);
		CHECK_EQ((uintptr_t)p[i] % 16, 0);
		CHECK_EQ(nano_owns(p[i]), usable[i] != 0);
		CHECK_EQ(nano_size(p[i]), usable[i]);
		size_t n = usable[i] ? usable[i] : sizes[i];
		nt_fill(p[i], n, i);
	}
	for (unsigned i = 0; i < 9; i++) {
		size_t n = usable[i] ? usable[i] : sizes[i];
		PATTERN_CHECK(p[i], n, i);
		nano_free(p[i]);
	}
	/* LIFO on one CPU: the class-16 block freed last comes back first */
	void *a = nano_malloc(1), *b = nano_malloc(16);
	nano_free(a);
	nano_free(b);
	CHECK(nano_malloc(0) == b);
	CHECK(nano_malloc(7) == a);
	nano_free(a);
	nano_free(b);
}

static void test_calloc(void)
{
	/* a dirty block of class 64, freed: calloc gets it back, zeroed */
	unsigned char *d = nano_malloc(64);
	memset(d, 0xa5, 64);
	nano_free(d);
	unsigned char *c = nano_calloc(4, 16);
	CHECK(c == d);
	for (unsigned i = 0; i < 64; i++)
		CHECK_EQ(c[i], 0);
	nano_free(c);

	/* every small total, dirty first */
	for (size_t total = 0; total <= 256; total++) {
		size_t cls = total ? (total + 15) & ~(size_t)15 : 16;
		unsigned char *x = nano_malloc(cls);
		memset(x, 0xff, cls);
		nano_free(x);
		unsigned char *y = total ? nano_calloc(1, total) : nano_calloc(0, 8);
		CHECK(y == x);
		CHECK_EQ(nano_size(y), cls);
		for (size_t i = 0; i < cls; i++)    /* the whole block, not just total */
			CHECK_EQ(y[i], 0);
		nano_free(y);
	}

	/* overflow */
	errno = 0;
	CHECK(nano_calloc(SIZE_MAX, 2) == NULL);
	CHECK_EQ(errno, ENOMEM);
	errno = 0;
	CHECK(nano_calloc(2, SIZE_MAX / 2 + 1) == NULL);
	CHECK_EQ(errno, ENOMEM);
	errno = 0;
	CHECK(nano_calloc((size_t)1 << 32, (size_t)1 << 32) == NULL);
	CHECK_EQ(errno, ENOMEM);
	/* the largest product that does not overflow is a helper request
	 * that fails without crashing */
	CHECK(nano_calloc(SIZE_MAX, 1) == NULL);

	/* helper sizes zeroed */
	unsigned char *h = nano_calloc(3, 100);
	CHECK(h != NULL && !nano_owns(h));
	for (unsigned i = 0; i < 300; i++)
		CHECK_EQ(h[i], 0);
	nano_free(h);
	/* 16 x 16 = 256 is still nano */
	h = nano_calloc(16, 16);
	CHECK(nano_owns(h));
	CHECK_EQ(nano_size(h), 256);
	nano_free(h);
}

static void test_realloc(void)
{
	unsigned char *p, *q;

	/* NULL -> malloc */
	p = nano_realloc(NULL, 40);
	CHECK(nano_owns(p));
	CHECK_EQ(nano_size(p), 48);
	nano_free(p);
	p = nano_realloc(NULL, 0);
	CHECK(p && nano_owns(p));
	CHECK_EQ(nano_size(p), 16);
	nano_free(p);
	p = nano_realloc(NULL, 300);
	CHECK(p && !nano_owns(p));
	nano_free(p);

	/* within the class: kept while the new size is > half of 208 */
	unsigned char copy[256];
	p = nano_malloc(200);
	CHECK_EQ(nano_size(p), 208);
	nt_fill(p, 208, 1);
	memcpy(copy, p, 208);
	CHECK(nano_realloc(p, 208) == p);
	CHECK(nano_realloc(p, 105) == p);
	CHECK(nano_realloc(p, 193) == p);
	CHECK(memcmp(p, copy, 208) == 0);
	/* exactly half: moves into class 112, the first 104 bytes kept */
	q = nano_realloc(p, 104);
	CHECK(q != p && nano_owns(q));
	CHECK_EQ(nano_size(q), 112);
	CHECK(memcmp(q, copy, 104) == 0);
	nano_free(q);

	/* content kept when moving */
	p = nano_malloc(100);                /* class 112 */
	nt_fill(p, 100, 2);
	memcpy(copy, p, 100);
	q = nano_realloc(p, 113);            /* grows past the class: class 128 */
	CHECK(q != p && nano_owns(q));
	CHECK_EQ(nano_size(q), 128);
	CHECK(memcmp(q, copy, 100) == 0);
	p = nano_realloc(q, 20);             /* 20 <= 64: moves to class 32 */
	CHECK(p != q && nano_owns(p));
	CHECK_EQ(nano_size(p), 32);
	CHECK(memcmp(p, copy, 20) == 0);
	q = nano_realloc(p, 17);             /* 17 > 16: stays */
	CHECK(q == p);
	q = nano_realloc(p, 16);             /* 16 <= 16: moves to class 16 */
	CHECK(q != p);
	CHECK_EQ(nano_size(q), 16);
	CHECK(memcmp(q, copy, 16) == 0);
	p = nano_realloc(q, 1);              /* 1 <= 8: moves (same class, new block) */
	CHECK(p != q && nano_owns(p));
	CHECK_EQ(nano_size(p), 16);
	CHECK_EQ(p[0], copy[0]);
	nano_free(p);

	/* across 256, up: nano -> helper, 256 bytes kept */
	p = nano_malloc(256);
	nt_fill(p, 256, 3);
	memcpy(copy, p, 256);
	q = nano_realloc(p, 257);
	CHECK(q && !nano_owns(q));
	CHECK(memcmp(q, copy, 256) == 0);
	/* grow further in the helper */
	q = nano_realloc(q, 5000);
	CHECK(q && !nano_owns(q));
	CHECK(memcmp(q, copy, 256) == 0);
	/* across 256, down: a helper block stays with the helper (v1: a
	 * foreign pointer is the helper's business), content kept, and it
	 * counts as a small request nano did not serve */
	uint64_t h0 = helper_small();
	p = nano_realloc(q, 100);
	CHECK(p && !nano_owns(p));
	CHECK(memcmp(p, copy, 100) == 0);
	CHECK_EQ(helper_small(), h0 + 1);
	nano_free(p);

	/* to 0: frees (the block comes back on the next malloc of its class)
	 * and returns NULL, like glibc */
	struct nano_totals t0, t1;
	p = nano_malloc(80);
	nano_stats_totals(&t0);
	CHECK(nano_realloc(p, 0) == NULL);
	nano_stats_totals(&t1);
	CHECK_EQ(t1.all.frees, t0.all.frees + 1);
	CHECK_EQ(t1.all.in_use, t0.all.in_use - 1);
	q = nano_malloc(80);
	CHECK(q == p);
	nano_free(q);
	/* helper block to 0 */
	p = nano_malloc(1000);
	CHECK(nano_realloc(p, 0) == NULL);
}

static void test_free_and_friends(void)
{
	int local;
	struct nano_totals t0, t1;

	nano_stats_totals(&t0);
	nano_free(NULL);
	nano_free_sized(NULL, 16);
	nano_free_sized(NULL, 0);
	nano_stats_totals(&t1);
	CHECK_EQ(t1.all.frees, t0.all.frees);

	/* sized free with the requested size, then with the class size */
	for (size_t s = 0; s <= 256; s++) {
		void *p = nano_malloc(s);
		nano_free_sized(p, s);
		CHECK(nano_malloc(s) == p);            /* it went back on the list */
		nano_free_sized(p, nano_size(p));
		CHECK(nano_malloc(s) == p);
		nano_free_sized(p, s);
	}
	nano_stats_totals(&t1);
	CHECK_EQ(t1.all.in_use, t0.all.in_use);
	/* sized free of helper blocks */
	void *h = nano_malloc(300);
	nano_free_sized(h, 300);

	/* sized free accepts what a realloc in place allows (above half the
	 * class, C23 free_sized), test_fatal.c checks what it refuses */
	void *r = nano_malloc(200);
	CHECK(nano_realloc(r, 105) == r);
	nano_free_sized(r, 105);
	CHECK(nano_malloc(208) == r);
	nano_free_sized(r, 208);

	/* memalign: always the helper, aligned, freeable with nano_free; a small
	 * one counts as a small request nano did not serve */
	uint64_t h0 = helper_small();
	void *big_aligned = nano_memalign(64, 1000);
	CHECK(big_aligned && !nano_owns(big_aligned));
	nano_free(big_aligned);
	CHECK_EQ(helper_small(), h0);
	for (size_t align = 8; align <= 4096; align *= 2) {
		void *p = nano_memalign(align, 32);
		CHECK_EQ(helper_small(), ++h0);
		CHECK(p != NULL);
		CHECK_EQ((uintptr_t)p % align, 0);
		CHECK(!nano_owns(p));
		CHECK_EQ(nano_size(p), 0);
		memset(p, 1, 32);
		nano_free(p);
	}

	/* ownership and sizes of foreign and odd pointers */
	CHECK(!nano_owns(NULL));
	CHECK_EQ(nano_size(NULL), 0);
	CHECK(!nano_owns(&local));
	CHECK_EQ(nano_size(&local), 0);
	void *g = malloc(32);                  /* glibc's, not nano's */
	CHECK(!nano_owns(g));
	CHECK_EQ(nano_size(g), 0);
	free(g);
	/* a class of a magazine nothing ran on: never carved. (Band 0 below
	 * the random first block also was never carved, but v1's vetting only
	 * checks "below the bump pointer", so nano answers 16 there: a
	 * faithful gap, see the report.) */
	CHECK_EQ(nano_size((void *)(uintptr_t)nano_area_addr(NANO_MAX_MAGAZINES - 1, 0, 3)), 0);
	unsigned char *p = nano_malloc(64);
	CHECK_EQ(nano_size(p), 64);
	CHECK(nano_owns(p + 8));
	CHECK_EQ(nano_size(p + 8), 0);         /* misaligned */
	CHECK_EQ(nano_size(p + 16), 0);        /* off the class grid */
	CHECK_EQ(nano_size(p + 64 * 1000), 0); /* above the bump pointer */
	nano_free(p);
	/* a freed block still answers its class size (it lies below bump) */
	CHECK_EQ(nano_size(p), 64);
}

static void test_settings(void)
{
	struct nano_settings s;
	nano_get_settings(&s);
	CHECK(s.ready);
	CHECK_STR(s.layout, "full");
	CHECK_STR(s.source, "default");
	CHECK_STR(s.map_name, "shift");
	CHECK_EQ(s.map, NANO_MAP_SHIFT);
	CHECK(s.nmags >= 1 && s.nmags <= NANO_MAX_MAGAZINES);
	CHECK(s.ncpus >= 1);
	CHECK(strcmp(s.cpu_source, "rseq") == 0 || strcmp(s.cpu_source, "getcpu") == 0);
	CHECK_EQ(s.stats_compiled, NANO_STATS);
}

int main(void)
{
	int cpu = nt_allowed_cpu(0);
	CHECK(cpu >= 0);
	CHECK(nt_pin(cpu) == 0);
	test_malloc_sizes();
	test_calloc();
	test_realloc();
	test_free_and_friends();
	test_settings();
	printf("api: ok\n");
	return 0;
}
