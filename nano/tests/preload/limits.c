/*
 * limits.c - a program that runs nano (or any allocator) out of room, for
 * test_limits.sh. It links nothing of nano: with the preload it finds nano's
 * statistics with dlsym and reports them; without, it runs on glibc alone.
 *
 *   limits past     band_bits forced low (NANO_BAND_BITS): 2 threads pinned to
 *                   two CPUs and 6 unpinned ones take 300,000 blocks of 64 B
 *                   in all, far past the point where nano's class runs dry
 *   limits cross    the reported corruption, under `ulimit -v`: 2,000 blocks
 *                   of 64 B allocated and filled on CPU 1, then 200,000 more
 *                   on CPU 0
 *   limits fill as|data   blocks of 64 B until the kernel's count for the
 *                   limit in effect (VmSize for `ulimit -v`, VmData for
 *                   `ulimit -d`) reaches 90% of that limit; no NULL before
 *
 * Every block carries its own address in its last word; "past" and "cross"
 * keep every pointer and check at the end that all are distinct, disjoint
 * and still stamped; "fill" links the blocks through their first word and
 * walks the chain (a block handed out twice breaks the chain or a stamp).
 * Prints one line of facts and exits 0, or names the failure and exits 1.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "nano.h"
#include "../nt.h"

#define BLOCK 64

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("limits: FAIL: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void stamp(uint64_t *w)
{
	w[BLOCK / 8 - 1] = ~(uint64_t)(uintptr_t)w;
}

static int stamped(const uint64_t *w)
{
	return w[BLOCK / 8 - 1] == ~(uint64_t)(uintptr_t)w;
}

static void pin(int cpu)
{
	if (nt_pin(cpu) != 0)
		die("cannot pin to CPU %d", cpu);
}

/* nano's figures when nano is the allocator (dlsym: no link to libnano). */
static void report(const char *what, unsigned long blocks)
{
	void (*totals)(struct nano_totals *) =
		(void (*)(struct nano_totals *))dlsym(RTLD_DEFAULT, "nano_stats_totals");
	void (*settings)(struct nano_settings *) =
		(void (*)(struct nano_settings *))dlsym(RTLD_DEFAULT, "nano_get_settings");
	if (!totals || !settings) {
		printf("limits %s: ok: %lu blocks; allocator without nano\n", what, blocks);
		return;
	}
	struct nano_totals t;
	struct nano_settings s;
	totals(&t);
	settings(&s);
	printf("limits %s: ok: %lu blocks; nano %s layout, band_bits %u, region %zu MiB, front %s; "
	       "served %" PRIu64 " of %" PRIu64 " small requests, %" PRIu64 " exhausted classes, "
	       "%" PRIu64 " KiB committed\n",
	       what, blocks, s.layout, s.band_bits, s.region_size >> 20, s.front, t.all.allocs,
	       t.small_requests, t.exhausted_classes, t.committed_bytes >> 10);
}

/* ========================================================================
 * past, cross: every pointer kept, checked together
 * ====================================================================== */

static uintptr_t *kept;
static unsigned long nkept;
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;

static void take(unsigned long n, uintptr_t *out)
{
	for (unsigned long i = 0; i < n; i++) {
		uint64_t *w = malloc(BLOCK);
		if (!w)
			die("malloc(%d) returned NULL after %lu blocks", BLOCK, i);
		memset(w, 0x5a, BLOCK);
		stamp(w);
		out[i] = (uintptr_t)w;
	}
}

static void keep(const uintptr_t *p, unsigned long n)
{
	pthread_mutex_lock(&kept_lock);
	memcpy(kept + nkept, p, n * sizeof(*p));
	nkept += n;
	pthread_mutex_unlock(&kept_lock);
}

static int by_addr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return x < y ? -1 : x > y;
}

static void check_kept(void)
{
	qsort(kept, nkept, sizeof(*kept), by_addr);
	for (unsigned long i = 0; i < nkept; i++) {
		if (!stamped((uint64_t *)kept[i]))
			die("block %#lx was overwritten (handed out twice?)", (unsigned long)kept[i]);
		if (i + 1 < nkept && kept[i] + BLOCK > kept[i + 1])
			die("blocks %#lx and %#lx overlap", (unsigned long)kept[i],
			    (unsigned long)kept[i + 1]);
	}
	for (unsigned long i = 0; i < nkept; i++)
		free((void *)kept[i]);
}

struct worker {
	int cpu;
	unsigned long n;
	pthread_barrier_t *go;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uintptr_t *mine = calloc(w->n, sizeof(*mine));
	if (!mine)
		die("no memory for a worker's table");
	if (w->cpu >= 0)
		pin(w->cpu);
	pthread_barrier_wait(w->go);
	take(w->n, mine);
	keep(mine, w->n);
	free(mine);
	return NULL;
}

static void run_past(void)
{
	enum { THREADS = 8, EACH = 300000 / THREADS };
	pthread_t t[THREADS];
	struct worker w[THREADS];
	pthread_barrier_t go;
	kept = calloc(THREADS * EACH, sizeof(*kept));
	if (!kept)
		die("no memory for the block table");
	pthread_barrier_init(&go, NULL, THREADS);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .cpu = i < 2 ? nt_allowed_cpu(i) : -1, .n = EACH, .go = &go };
		if (pthread_create(&t[i], NULL, worker_main, &w[i]) != 0)
			die("pthread_create");
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	check_kept();
	report("past", THREADS * EACH);
}

static void run_cross(void)
{
	enum { HELD = 2000, MORE = 200000 };
	int c0 = nt_allowed_cpu(0), c1 = nt_allowed_cpu(1);
	if (c1 < 0)
		c1 = c0;
	kept = calloc(HELD + MORE, sizeof(*kept));
	if (!kept)
		die("no memory for the block table");
	pin(c1);
	take(HELD, kept);
	pin(c0);
	take(MORE, kept + HELD);
	nkept = HELD + MORE;
	for (unsigned long i = 0; i < HELD; i++)
		if (!stamped((uint64_t *)kept[i]))
			die("block %lu of CPU %d (%#lx) was handed out again on CPU %d", i, c1,
			    (unsigned long)kept[i], c0);
	check_kept();
	report("cross", HELD + MORE);
}

/* ========================================================================
 * fill: up to 90% of the limit, as the kernel counts it
 * ====================================================================== */

static uint64_t status_kib(const char *field)
{
	char buf[4096];
	FILE *f = fopen("/proc/self/status", "r");
	uint64_t v = 0;
	size_t len = strlen(field);
	if (!f)
		die("cannot read /proc/self/status");
	while (fgets(buf, sizeof(buf), f))
		if (strncmp(buf, field, len) == 0 && buf[len] == ':')
			v = strtoull(buf + len + 1, NULL, 10);
	fclose(f);
	return v;
}

static void run_fill(const char *which)
{
	const int as = strcmp(which, "as") == 0;
	const char *field = as ? "VmSize" : "VmData";
	struct rlimit rl;
	uint64_t *head = NULL;
	unsigned long n = 0, walked = 0;

	if (getrlimit(as ? RLIMIT_AS : RLIMIT_DATA, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		die("fill %s needs a limit (ulimit -%c)", which, as ? 'v' : 'd');
	const uint64_t goal_kib = rl.rlim_cur / 1024 * 9 / 10;
	for (;;) {
		if (n % 4096 == 0 && status_kib(field) >= goal_kib)
			break;
		uint64_t *w = malloc(BLOCK);
		if (!w)
			die("malloc(%d) returned NULL (errno %d) after %lu blocks, %s %" PRIu64
			    " of %" PRIu64 " KiB", BLOCK, errno, n, field, status_kib(field),
			    (uint64_t)rl.rlim_cur / 1024);
		w[0] = (uint64_t)(uintptr_t)head;
		stamp(w);
		head = w;
		n++;
	}
	for (uint64_t *w = head; w; walked++) {
		if (!stamped(w))
			die("block %#lx of the chain was overwritten (handed out twice?)",
			    (unsigned long)(uintptr_t)w);
		if (walked > n)
			die("the chain of %lu blocks has a cycle", n);
		w = (uint64_t *)(uintptr_t)w[0];
	}
	if (walked != n)
		die("the chain holds %lu of %lu blocks", walked, n);
	char what[64];
	snprintf(what, sizeof(what), "fill %s (%s %" PRIu64 " of %" PRIu64 " KiB)", which, field,
		 status_kib(field), (uint64_t)rl.rlim_cur / 1024);
	report(what, n);
	while (head) {
		uint64_t *next = (uint64_t *)(uintptr_t)head[0];
		free(head);
		head = next;
	}
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "past") == 0)
		run_past();
	else if (argc == 2 && strcmp(argv[1], "cross") == 0)
		run_cross();
	else if (argc == 3 && strcmp(argv[1], "fill") == 0 &&
		 (strcmp(argv[2], "as") == 0 || strcmp(argv[2], "data") == 0))
		run_fill(argv[2]);
	else
		die("usage: limits past | cross | fill as|data");
	return 0;
}
