/*
 * test_units.c - the harness's small modules: sizes, tags, mailbox, histograms.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	/* a mean whose default cap (64 x the mean) passes 32 bits */
	CHECK(wl_sizes_parse(&d, "exp:67108864", err, sizeof(err)) == 0 && d.lo >= 1 &&
	      wl_sizes_max(&d) == WL_SIZE_MAX, "exp:67108864: %s", err);
	wl_sizes_free(&d);
}

/* Histogram files: what they may hold, and the lines they may not. */
static void test_hist_files(void)
{
	static const struct {
		const char *text;
		size_t len;
		int ok;
	} files[] = {
		{ "# sizes\n16 1\r\n\n32 3\n", 0, 1 },
		{ "16 1e308\n32 1e308\n", 0, 0 },            /* the total overflows */
		{ "16 1 trailing garbage\n", 0, 0 },
		{ "16 1\n32 \0 2\n", 12, 0 },                 /* a NUL byte */
		{ NULL, 0, 0 },                                /* a line of 300 bytes */
	};
	char path[] = "/tmp/test_units_hist_XXXXXX", spec[64], err[512], longline[320];
	int fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp");
	close(fd);
	snprintf(spec, sizeof(spec), "hist:%s", path);
	memset(longline, ' ', sizeof(longline));
	memcpy(longline + 290, "16 1 99\n", 8);      /* fits 256 bytes only when cut */
	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const char *text = files[i].text ? files[i].text : longline;
		size_t len = files[i].len ? files[i].len : files[i].text ? strlen(text) : 298;
		FILE *f = fopen(path, "wb");
		CHECK(f && fwrite(text, 1, len, f) == len && fclose(f) == 0, "write %s", path);
		struct wl_sizes d;
		int rc = wl_sizes_parse(&d, spec, err, sizeof(err));
		CHECK(rc == (files[i].ok ? 0 : -1), "hist file %u: rc %d (%s)", i, rc, err);
		if (rc == 0) {
			CHECK(d.lo == 16 && wl_sizes_max(&d) == 32, "hist file %u: range", i);
			wl_sizes_free(&d);
		} else {
			CHECK(strchr(err, '\n') == NULL && strstr(err, "bad line"), "message: %s", err);
		}
	}
	unlink(path);
}

/* A 1-byte block handed to two holders whose nonces are 256 apart (the
 * nonce steps once per block a thread gets): their tags must differ about
 * as often as chance allows (1 in 256 equal), not never. */
static void test_tiny_tags(void)
{
	unsigned char mem[64];
	unsigned same = 0;
	for (uint32_t n = 0; n < 1000; n++) {
		struct wl_blk a = { mem + 8, 1, n }, b = { mem + 8, 1, n + 256 };
		wl_tag_put(&a, WL_TAG_ENDS);
		same += wl_tag_ok(&b, WL_TAG_ENDS);
	}
	CHECK(same <= 20, "1-byte tags 256 nonces apart agree %u times in 1000", same);
}

/* Every size class of the tag layout (1, 2-3, 4-7, 8-15, 16 and more),
 * every touch kind, two holders of one block, and writes into the words. */
static void test_tags(void)
{
	static const uint32_t sizes[] = { 1, 2, 3, 5, 7, 8, 12, 15, 16, 17, 64, 100, 4096 };
	static const uint32_t touches[] = { WL_TOUCH_ALL, 2, 0 };
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (unsigned k = 0; k < 3; k++) {
			uint32_t n = sizes[i], touch = touches[k];
			unsigned char *mem = calloc(1, n + 16);
			struct wl_blk a = { mem + 8, n, 1 }, b = a;
			/* a salt that samples this address, and one that does not */
			uint64_t in = 0, out = 0;
			while (!wl_tag_sampled(a.p, in))
				in++;
			while (wl_tag_sampled(a.p, out))
				out++;
			for (int s = 0; s < 2; s++) {
				uint64_t salt = s ? in : out;
				enum wl_tag_what what = wl_tag_what(&a, touch, salt);
				memset(mem, 0, n + 16);
				b.nonce = 2;
				wl_tag_write(&a, touch, salt);
				CHECK(wl_tag_check(&a, touch, salt), "size %u touch %u: fresh tag", n, touch);
				CHECK(mem[7] == 0 && mem[8 + n] == 0, "size %u: wrote outside", n);
				if (what == WL_TAG_NONE) {
					CHECK(!s && touch == 0, "size %u: untagged though sampled", n);
					continue;
				}
				wl_tag_write(&b, touch, salt);   /* a second holder */
				CHECK(!wl_tag_check(&a, touch, salt), "size %u touch %u: overwrite not seen",
				      n, touch);
				wl_tag_write(&a, touch, salt);
				mem[8] ^= 1;
				CHECK(!wl_tag_check(&a, touch, salt), "size %u: first byte change not seen", n);
				mem[8] ^= 1;
				mem[8 + n - 1] ^= 0x40;
				CHECK(wl_tag_check(&a, touch, salt) == (what == WL_TAG_FIRST && n > 4),
				      "size %u touch %u: last byte change", n, touch);
			}
			free(mem);
		}
	}
}

/* The fill writes exactly n bytes. */
static void test_fill(void)
{
	unsigned char buf[300];
	for (size_t n = 0; n < 260; n++) {
		memset(buf, 0, sizeof(buf));
		wl_fill(buf + 8, n);
		size_t k = 0;
		while (k < sizeof(buf) && buf[k] == (k >= 8 && k < 8 + n ? WL_FILL_BYTE : 0))
			k++;
		CHECK(k == sizeof(buf), "fill %zu: byte %zu", n, k);
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
	test_fill();
	test_mailbox();
	test_hist();
	test_hist_files();
	test_tiny_tags();
	return CHECK_DONE();
}
