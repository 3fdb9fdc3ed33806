/*
 * test_exhaust.c - a size class that cannot grow sends its requests to the
 * helper, and nano never hands out a block twice nor one it does not own.
 *
 *   test_exhaust full   v1|rseq   every band used: small layout with 2 bands
 *                                 per class and magazine (band_bits 1)
 *   test_exhaust commit v1|rseq   commits refused: a data limit (RLIMIT_DATA)
 *                                 set before the zone starts, full layout
 *
 * Every block the test gets is stamped with its own address in its first and
 * last word and kept; at the end all of them must be distinct, must not
 * overlap, and must still carry their stamps (a block handed out twice, or a
 * pointer into memory another block owns, breaks one of the three). Each
 * exhausted class keeps being asked for at least 16 areas' worth of blocks
 * past the point where it ran out, far beyond the distance at which a
 * drifting bump pointer used to reach the next band or magazine.
 *
 * full:
 *   1. one thread pinned to CPU a, class 256: nano serves up to 2 bands
 *      (fewer blocks: the first band starts at a random block), then only
 *      the helper; helper_small and exhausted_classes count exactly that;
 *      calloc and realloc of the class fall back; the magazine's other
 *      classes (sharing its two bands) are still served; a freed nano block
 *      comes back before the helper is asked again; CPU b's magazine is not
 *      exhausted.
 *   2. the reported corruption: a thread on CPU b allocates 2000 blocks of
 *      48 bytes and keeps them; a thread on CPU a then runs class 48 of its
 *      own magazine dry and far beyond; then two threads, one on each CPU,
 *      exhaust class 64 of their magazines at the same time.
 *   3. eight unpinned threads (migrating between the CPUs) exhaust class 32
 *      of every magazine together.
 * commit:
 *   the data limit leaves 6 MiB for the zone; under it nano commits area by
 *   area, so class 64 gets most of those 6 MiB, then exhausts (the kernel
 *   refused the next commit) and the helper serves until it fails too: NULL
 *   with ENOMEM, and every later call is NULL or a fresh block. Blocks freed
 *   afterwards are served by nano again.
 *
 * Both fronts: with rseq the per-CPU caches sit in front of the same bump
 * pointer, and a refill that finds the class exhausted falls back to v1,
 * which falls back to the helper.
 */
#include "nano_internal.h"
#include "nt.h"

#define MAX_HELD 400000

struct held {
	uint64_t p;
	uint32_t size;
	uint32_t owner;     /* which phase and thread, for messages */
};

static struct held held[MAX_HELD];
static unsigned nheld;
static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;

static void stamp(void *p, size_t size)
{
	uint64_t *w = p;
	w[0] = (uint64_t)(uintptr_t)p;
	w[size / 8 - 1] = ~(uint64_t)(uintptr_t)p;
}

static int stamp_ok(uint64_t p, size_t size)
{
	const uint64_t *w = (const uint64_t *)(uintptr_t)p;
	return w[0] == p && w[size / 8 - 1] == ~p;
}

/* A thread's blocks go into held[] in one batch (keeps the lock off the
 * allocation loop). */
static void keep(const struct held *h, unsigned n)
{
	pthread_mutex_lock(&held_lock);
	CHECK(nheld + n <= MAX_HELD);
	memcpy(&held[nheld], h, n * sizeof(*h));
	nheld += n;
	pthread_mutex_unlock(&held_lock);
}

/* n mallocs of size; returns how many were nano's. Every non-NULL block is
 * stamped and recorded in out[]; *got says how many. */
static unsigned take(size_t size, unsigned n, unsigned owner, struct held *out, unsigned *got)
{
	unsigned owned = 0;
	*got = 0;
	for (unsigned i = 0; i < n; i++) {
		void *p = nano_malloc(size);
		if (!p)
			continue;
		stamp(p, size);
		owned += nano_owns(p) != 0;
		out[(*got)++] = (struct held){ (uint64_t)(uintptr_t)p, (uint32_t)size, owner };
	}
	return owned;
}

static int by_addr(const void *a, const void *b)
{
	uint64_t x = ((const struct held *)a)->p, y = ((const struct held *)b)->p;
	return x < y ? -1 : x > y;
}

/* Distinct, disjoint, stamps intact; then free them all. */
static void check_and_free_all(void)
{
	qsort(held, nheld, sizeof(held[0]), by_addr);
	for (unsigned i = 0; i < nheld; i++) {
		const struct held *h = &held[i];
		CHECK_MSG(stamp_ok(h->p, h->size), "block %#" PRIx64 " (%u B, owner %u) was overwritten",
			  h->p, h->size, h->owner);
		if (i + 1 < nheld)
			CHECK_MSG(h->p + h->size <= held[i + 1].p,
				  "blocks %#" PRIx64 " (%u B, owner %u) and %#" PRIx64
				  " (owner %u) overlap",
				  h->p, h->size, h->owner, held[i + 1].p, held[i + 1].owner);
	}
	for (unsigned i = 0; i < nheld; i++)
		nano_free((void *)(uintptr_t)held[i].p);
	nheld = 0;
}

static void start_zone(enum nano_front front, unsigned band_bits)
{
	struct nano_config cfg;
	struct nano_settings st;
	nano_config_default(&cfg);
	cfg.band_bits = band_bits;
	cfg.front = front;
	CHECK_EQ(nano_zone_init(&cfg), 0);
	nano_get_settings(&st);
	if (front == NANO_FRONT_RSEQ && !nano_cpu_uses_rseq()) {
		printf("SKIP: no rseq here: %s\n", st.front_reason);
		exit(NT_SKIP);
	}
	/* rseq works: the front must run, data limit or not */
	CHECK_STR(st.front, front == NANO_FRONT_RSEQ ? "rseq" : "v1");
}

static unsigned per_area(size_t size)
{
	return (unsigned)(NANO_AREA_SIZE / size);
}

/* ========================================================================
 * full: the region's bands used up
 * ====================================================================== */

static int cpu_a, cpu_b;

static void phase_one_thread(void)
{
	static struct held h[1024 + 16 * 512];
	struct nano_totals t0, t1;
	struct nano_counts c;
	const unsigned n = 1024 + 16 * per_area(256);
	unsigned got, owned = 0, helper = 0;

	CHECK(nt_pin(cpu_a) == 0);
	unsigned mag = nano_magmap_lookup(&nano_z.map, cpu_a);
	nano_stats_totals(&t0);
	for (unsigned i = 0; i < n; i++) {
		take(256, 1, 1, &h[i], &got);
		CHECK_MSG(got == 1, "malloc(256) returned NULL at call %u", i);
		if (nano_owns((void *)(uintptr_t)h[i].p)) {
			CHECK_MSG(helper == 0, "block %u owned by nano after the helper took over", i);
			CHECK(nano_off_band(h[i].p - nano_z.base) <= 1);
			owned++;
		} else {
			CHECK_EQ(nano_size((void *)(uintptr_t)h[i].p), 0);
			helper++;
		}
	}
	/* 2 bands of 512 blocks minus the random start (< 1/16 of a band) */
	CHECK_MSG(owned > 1024 - 512 / 16 - 1 && owned <= 1024, "%u blocks from nano", owned);
	nano_stats_totals(&t1);
	CHECK_EQ(t1.helper_small - t0.helper_small, helper);
	CHECK_EQ(t1.exhausted_classes - t0.exhausted_classes, 1);
	CHECK_EQ(t1.small_requests - t0.small_requests, n);
	CHECK_EQ(nano_stats_cell(mag, 15, &c), 0);
	CHECK_EQ(c.bands, 2);
	CHECK_EQ(nano_z.meta[mag][15].exhausted, 1);
	/* parked: bump sits at the end of the last area, not beyond */
	CHECK_EQ(nano_z.meta[mag][15].bump,
		 nano_area_addr(mag, 1, 15) + nano_z.cls[15].limit);

	/* calloc and realloc of the exhausted class: the helper */
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
	CHECK(nano_owns((void *)(uintptr_t)h[k].p));
	nano_free((void *)(uintptr_t)h[k].p);
	take(256, 1, 1, &h[k], &got);
	CHECK(got == 1 && nano_owns((void *)(uintptr_t)h[k].p));
	void *again = nano_malloc(256);
	CHECK(again && !nano_owns(again));
	nano_free(again);

	/* another CPU's magazine is not exhausted */
	if (nano_magmap_lookup(&nano_z.map, cpu_b) != mag) {
		CHECK(nt_pin(cpu_b) == 0);
		void *p = nano_malloc(256);
		CHECK(nano_owns(p));
		nano_free(p);
	}
	keep(h, n);
}

struct worker {
	int cpu;                  /* -1: unpinned */
	size_t size;
	unsigned n, owner;
	pthread_barrier_t *go;
	struct held *h;
	unsigned got, owned;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	if (w->cpu >= 0)
		CHECK(nt_pin(w->cpu) == 0);
	if (w->go)
		pthread_barrier_wait(w->go);
	w->owned = take(w->size, w->n, w->owner, w->h, &w->got);
	CHECK_MSG(w->got == w->n, "thread %u: %u of %u mallocs of %zu B returned NULL", w->owner,
		  w->n - w->got, w->n, w->size);
	return NULL;
}

static void run_workers(struct worker *w, unsigned nw)
{
	pthread_t t[16];
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, nw);
	for (unsigned i = 0; i < nw; i++) {
		w[i].go = &go;
		w[i].h = calloc(w[i].n, sizeof(struct held));
		CHECK(w[i].h && pthread_create(&t[i], NULL, worker_main, &w[i]) == 0);
	}
	for (unsigned i = 0; i < nw; i++) {
		pthread_join(t[i], NULL);
		keep(w[i].h, w[i].got);
		free(w[i].h);
	}
	pthread_barrier_destroy(&go);
}

static void phase_cross_cpu(void)
{
	/* CPU b's live blocks of 48 B, then CPU a's class 48 run dry */
	struct worker hold = { .cpu = cpu_b, .size = 48, .n = 2000, .owner = 20 };
	struct worker dry = { .cpu = cpu_a, .size = 48, .n = 2 * per_area(48) + 16 * per_area(48),
			      .owner = 21 };
	run_workers(&hold, 1);
	CHECK_EQ(hold.owned, hold.n);
	run_workers(&dry, 1);
	CHECK_MSG(dry.owned < dry.n, "class 48 never ran out (%u owned)", dry.owned);

	/* class 64 on both CPUs at once */
	struct worker both[2] = {
		{ .cpu = cpu_a, .size = 64, .n = 18 * per_area(64), .owner = 22 },
		{ .cpu = cpu_b, .size = 64, .n = 18 * per_area(64), .owner = 23 },
	};
	run_workers(both, 2);
	for (int i = 0; i < 2; i++)
		CHECK_MSG(both[i].owned < both[i].n, "thread %d: class 64 never ran out", i);
}

static void phase_migrating(void)
{
	struct worker w[8];
	for (unsigned i = 0; i < 8; i++)
		w[i] = (struct worker){ .cpu = -1, .size = 32, .n = 12000, .owner = 30 + i };
	run_workers(w, 8);
}

static void test_full(void)
{
	struct nano_totals t;
	phase_one_thread();
	phase_cross_cpu();
	phase_migrating();
	nano_stats_totals(&t);
	/* 256 on a; 48 on a; 64 on a and b; 32 wherever the 8 threads ran */
	CHECK_MSG(t.exhausted_classes >= 4, "%" PRIu64 " exhausted classes", t.exhausted_classes);
	unsigned n = nheld;
	check_and_free_all();
	nano_stats_totals(&t);
	CHECK_EQ(t.all.in_use, 0);
	printf("exhaust full: ok (%u blocks checked, %" PRIu64 " classes exhausted)\n", n,
	       t.exhausted_classes);
}

/* ========================================================================
 * commit: the kernel refuses to commit (a data limit)
 * ====================================================================== */

static uint64_t vm_data_bytes(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	CHECK(n > 0);
	buf[n] = 0;
	const char *s = strstr(buf, "VmData:");
	CHECK(s != NULL);
	return strtoull(s + 7, NULL, 10) * 1024;
}

static void test_commit(enum nano_front front)
{
	static struct held h[MAX_HELD];
	const uint64_t headroom = 6 << 20;
	struct nano_totals t0, t1;
	unsigned n = 0, owned = 0, nulls = 0;

	CHECK(nt_pin(cpu_a) == 0);
	struct rlimit rl = { .rlim_cur = vm_data_bytes() + headroom, .rlim_max = RLIM_INFINITY };
	CHECK(setrlimit(RLIMIT_DATA, &rl) == 0);
	start_zone(front, 0);
	CHECK_STR(nano_z.layout, "full");
	CHECK_EQ(nano_z.chunk_log2, 0);          /* area by area under a data limit */
	nano_stats_totals(&t0);

	/* nano's blocks, then the helper's, then NULL */
	for (;;) {
		CHECK(n < MAX_HELD);
		void *p = nano_malloc(64);
		if (!p)
			break;
		stamp(p, 64);
		if (nano_owns(p)) {
			CHECK_MSG(n == owned, "a nano block after the helper's (call %u)", n);
			owned++;
		}
		h[n++] = (struct held){ (uint64_t)(uintptr_t)p, 64, 40 };
	}
	CHECK_EQ(errno, ENOMEM);
	nano_stats_totals(&t1);
	CHECK_EQ(t1.exhausted_classes - t0.exhausted_classes, 1);
	CHECK_EQ(t1.helper_small - t0.helper_small, n - owned + 1);
	/* most of the headroom went to nano: areas, not 2 MiB bands */
	CHECK_MSG((uint64_t)owned * 64 >= headroom / 2, "nano served %u blocks of 64 B in %" PRIu64
		  " bytes of headroom", owned, headroom);

	/* far beyond: NULL or fresh blocks, on this CPU and on the other */
	for (unsigned i = 0; i < 16 * per_area(64); i++) {
		if (i == 8 * per_area(64))
			CHECK(nt_pin(cpu_b) == 0);
		void *p = nano_malloc(64);
		if (!p) {
			nulls++;
			continue;
		}
		CHECK(n < MAX_HELD);
		stamp(p, 64);
		h[n++] = (struct held){ (uint64_t)(uintptr_t)p, 64, 41 };
	}
	CHECK_MSG(nulls > 0, "the helper never failed under the data limit");

	/* blocks freed on CPU a are nano's to give again */
	CHECK(nt_pin(cpu_a) == 0);
	for (unsigned i = 0; i < owned; i += 2)
		nano_free((void *)(uintptr_t)h[i].p);
	for (unsigned i = 0; i < owned; i += 2) {
		void *p = nano_malloc(64);
		CHECK_MSG(p && nano_owns(p), "freed nano blocks not served again (%u of %u)", i / 2,
			  owned / 2);
		stamp(p, 64);
		h[i].p = (uint64_t)(uintptr_t)p;
	}
	keep(h, n);
	unsigned total = nheld;
	check_and_free_all();
	printf("exhaust commit: ok (%u blocks from nano in %u MiB of headroom, %u checked, %u NULLs)\n",
	       owned, (unsigned)(headroom >> 20), total, nulls);
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "full") && strcmp(argv[1], "commit")) ||
	    (strcmp(argv[2], "v1") && strcmp(argv[2], "rseq"))) {
		fprintf(stderr, "usage: test_exhaust full|commit v1|rseq\n");
		return 2;
	}
	enum nano_front front = strcmp(argv[2], "rseq") == 0 ? NANO_FRONT_RSEQ : NANO_FRONT_V1;
	cpu_a = nt_allowed_cpu(0);
	cpu_b = nt_allowed_cpu(1);
	CHECK(cpu_a >= 0);
	if (cpu_b < 0) {
		printf("SKIP: needs two CPUs\n");
		return NT_SKIP;
	}
	if (strcmp(argv[1], "full") == 0) {
		start_zone(front, 1);
		CHECK_STR(nano_z.layout, "small");
		CHECK_EQ(nano_z.band_bits, 1);
		test_full();
	} else {
		test_commit(front);
	}
	return 0;
}
