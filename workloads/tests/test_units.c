/*
 * test_units.c - the harness's small modules: sizes, tags, mailbox, histograms.
 */
#include <stdlib.h>
#include <string.h>

#include "wl_check.h"
#include "wl_mailbox.h"
#include "wl_sizes.h"
#include "wl_tag.h"
#include "wl_timing.h"

static void test_sizes(void)
{
	static const char *const good[] = { "fixed:64", "uniform:8-1000", "exp:64", "exp:64,512",
					    "invsq:4-32768", "lin:8-16000", "steps:8-2048", "nano" };
	static const char *const bad[] = { "fixed:0", "fixed:", "uniform:9-8", "uniform:8",
					   "exp:", "nano2", "hist:/nonexistent", "gauss:5", "" };
	struct wl_sizes d;
	struct wl_rng r;
	char err[256];

	wl_rng_seed(&r, 1, 0);
	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK(wl_sizes_parse(&d, good[i], err, sizeof(err)) == 0, "%s: %s", good[i], err);
		for (int k = 0; k < 10000; k++) {
			uint32_t s = wl_size_draw(&d, &r);
			CHECK(s >= d.lo && s <= wl_sizes_max(&d), "%s drew %u", good[i], s);
		}
		wl_sizes_free(&d);
	}
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(wl_sizes_parse(&d, bad[i], err, sizeof(err)) == -1, "'%s' accepted", bad[i]);
		CHECK(strchr(err, '\n') == NULL && strstr(err, bad[i]), "message: %s", err);
	}
	CHECK(wl_sizes_parse(&d, "nano", err, sizeof(err)) == 0, "nano");
	for (int k = 0; k < 1000; k++) {
		uint32_t s = wl_size_draw(&d, &r);
		CHECK(s % 16 == 0 && s >= 16 && s <= 256, "nano drew %u", s);
	}
	wl_sizes_free(&d);
	CHECK(wl_sizes_parse(&d, "steps:8-2048", err, sizeof(err)) == 0 && d.lo == 8 && d.hi == 2048,
	      "steps range");
	wl_sizes_free(&d);
}

static void test_tags(void)
{
	static const uint32_t sizes[] = { 1, 7, 15, 16, 17, 64, 100, 4096 };
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct wl_blk a = { malloc(sizes[i]), sizes[i], 1 }, b = a;
		b.nonce = 2;
		wl_tag_write(&a);
		CHECK(wl_tag_check(&a), "size %u: fresh tag", sizes[i]);
		wl_tag_write(&b);         /* a second holder of the same block */
		CHECK(!wl_tag_check(&a), "size %u: overwrite not seen", sizes[i]);
		wl_tag_write(&a);
		((unsigned char *)a.p)[sizes[i] - 1] ^= 1;
		CHECK(!wl_tag_check(&a), "size %u: last byte change not seen", sizes[i]);
		free(a.p);
	}
}

static void test_mailbox(void)
{
	static struct wl_cell cells[4];
	struct wl_mailbox m;
	struct wl_blk b = { (void *)0x10, 16, 0 }, out;
	wl_mailbox_init(&m, cells, 4);
	CHECK(!wl_mailbox_pop(&m, &out), "empty pop");
	for (int i = 0; i < 4; i++) {
		b.nonce = (uint32_t)i;
		CHECK(wl_mailbox_push(&m, &b), "push %d", i);
	}
	CHECK(!wl_mailbox_push(&m, &b), "push into a full box");
	for (int i = 0; i < 4; i++)
		CHECK(wl_mailbox_pop(&m, &out) && out.nonce == (uint32_t)i, "FIFO pop %d", i);
	CHECK(!wl_mailbox_pop(&m, &out), "empty again");
}

static void test_hist(void)
{
	static struct wl_hist h;
	for (uint64_t v = 1; v <= 1000; v++)
		wl_hist_add(&h, v);
	double p50 = wl_hist_quantile(&h, 0.5), p99 = wl_hist_quantile(&h, 0.99);
	CHECK(p50 > 480 && p50 < 520, "p50 %f", p50);
	CHECK(p99 > 960 && p99 <= 1000, "p99 %f", p99);
	CHECK(wl_hist_quantile(&h, 1.0) == 1000, "max");
	for (uint64_t v = 0; v < 100000; v += 7)
		CHECK(wl_hist_index(v) < WL_HIST_BUCKETS, "index of %llu", (unsigned long long)v);
	CHECK(wl_hist_index(UINT64_MAX) < WL_HIST_BUCKETS, "index of max");
}

int main(void)
{
	test_sizes();
	test_tags();
	test_mailbox();
	test_hist();
	return CHECK_DONE();
}
