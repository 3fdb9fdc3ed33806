/*
 * test_nano_info.c - wl_nano against a stand-in libnano.
 *
 * This executable defines nano_get_settings and nano_stats_totals itself and
 * exports them (export_dynamic), so wl_nano's dlsym(RTLD_DEFAULT) finds them
 * as it would find libnano preloaded. Three libnanos are played: one built
 * before the rseq front (its new fields left NULL and 0), one running the
 * rseq front with known counters, and one that fell back to v1 with a
 * reason. wl_nano must turn NULL into "", carry the front and its reason,
 * and give the front's counters as differences over the interval (the two
 * gauges as they end).
 */
#include <string.h>

#include "wl_check.h"
#include "wl_nano.h"

enum lib { OLD_LIB, RSEQ, FALLBACK };
static enum lib lib;
static uint64_t tick;            /* 0 for the first snapshot, 1 for the second */

NANO_API void nano_get_settings(struct nano_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->layout = "full";
	s->map_name = "shift";
	s->source = NULL;            /* a NULL string must read as "" */
	s->nmags = 2;
	s->stats_compiled = 1;
	if (lib == RSEQ) {
		s->front = "rseq";
		s->front_requested = "rseq";
		s->front_reason = "";
		s->front_cap = 64;
	} else if (lib == FALLBACK) {
		s->front = "v1";
		s->front_requested = "rseq";
		s->front_reason = "rseq is not registered (__rseq_size 0)";
	}
}

/* Front counter k (the struct is all uint64_t) reads 100 k + (k + 1) tick:
 * distinct values per field, and a known growth over the interval. */
NANO_API void nano_stats_totals(struct nano_totals *t)
{
	memset(t, 0, sizeof(*t));
	t->all.allocs = 1000 + 500 * tick;
	if (lib != RSEQ)
		return;
	uint64_t *c = (uint64_t *)&t->front;
	for (size_t k = 0; k < sizeof(t->front) / sizeof(uint64_t); k++)
		c[k] = 100 * k + (k + 1) * tick;
}

static void interval(struct wl_nano_info *info)
{
	struct wl_nano_snap a, b;
	tick = 0;
	wl_nano_snapshot(&a);
	tick = 1;
	wl_nano_snapshot(&b);
	wl_nano_info(info, &a, &b);
}

static void test_old_lib(void)
{
	struct wl_nano_info i;
	lib = OLD_LIB;
	interval(&i);
	CHECK(i.present && i.allocs == 500, "present %d allocs %llu", i.present,
	      (unsigned long long)i.allocs);
	CHECK(!strcmp(i.front, "") && !strcmp(i.front_reason, "") && !strcmp(i.source, ""),
	      "front '%s' reason '%s' source '%s'", i.front, i.front_reason, i.source);
	CHECK(i.front_cap == 0 && i.fc.cache_allocs == 0 && i.fc.aborts == 0, "front counters");
}

static void test_rseq(void)
{
	struct wl_nano_info i;
	lib = RSEQ;
	interval(&i);
	CHECK(!strcmp(i.front, "rseq") && !strcmp(i.front_reason, "") && i.front_cap == 64,
	      "front '%s' reason '%s' cap %u", i.front, i.front_reason, i.front_cap);
	/* monotonic counter k grew by k + 1; the gauges are the second value */
	CHECK(i.fc.cache_allocs == 1 && i.fc.cache_frees == 2 && i.fc.refills == 3, "caches");
	CHECK(i.fc.flushes == 6 && i.fc.chains == 8 && i.fc.chain_blocks == 9, "flushes, chains");
	CHECK(i.fc.aborts == 12 && i.fc.v1_allocs == 13 && i.fc.v1_frees == 14, "aborts, v1 path");
	CHECK(i.fc.cached_blocks == 1400 + 15 && i.fc.chained_blocks == 1500 + 16,
	      "gauges %llu %llu", (unsigned long long)i.fc.cached_blocks,
	      (unsigned long long)i.fc.chained_blocks);
}

static void test_fallback(void)
{
	struct wl_nano_info i;
	lib = FALLBACK;
	CHECK(wl_nano_settings(&i) == 0, "settings");
	CHECK(!strcmp(i.front, "v1") && strstr(i.front_reason, "__rseq_size"),
	      "front '%s' reason '%s'", i.front, i.front_reason);
}

int main(void)
{
	test_old_lib();
	test_rseq();
	test_fallback();
	return CHECK_DONE();
}
