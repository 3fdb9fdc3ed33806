/*
 * rseq_probe - does this machine really pin threads and run restartable
 * sequences? Run before trusting a thread sweep on an unknown machine (a
 * sandbox may emulate CPU numbers, affinity or rseq).
 *
 *     rseq_probe [SECONDS]
 *
 * Checks, each printed as one "check NAME ok|FAIL detail" line:
 *   pinning   for every CPU of the affinity mask: pinned there alone, the
 *             thread reads that CPU from sched_getcpu() and from rseq's
 *             cpu_id (glibc's registration), each time.
 *   rseq      glibc registered an area (__rseq_size > 0, cpu_id >= 0).
 *   front     the nano zone started with NANO_FRONT_RSEQ runs the front.
 *   restarts  4 threads per CPU churn pattern-checked blocks through the
 *             front for SECONDS (default 2) with cross-thread frees: no
 *             pattern is ever found broken, every block comes back, and the
 *             kernel restarted critical sections (aborts > 0: preemption
 *             inside one really restarts it; on an idle machine with one
 *             thread per CPU it might not, hence the oversubscription).
 * Exit status: 0 every check ok, 1 some check failed, 2 bad usage.
 */
#include "nano.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/rseq.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(const char *name, int ok, const char *detail)
{
	printf("check %s %s %s\n", name, ok ? "ok" : "FAIL", detail);
	failures += !ok;
}

static int rseq_cpu(void)
{
	const struct rseq *rs = (const struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
	return (int)__atomic_load_n(&rs->cpu_id, __ATOMIC_RELAXED);
}

static void check_pinning(void)
{
	cpu_set_t all, one;
	char detail[256] = "";
	int cpus = 0, bad = 0;

	sched_getaffinity(0, sizeof(all), &all);
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &all))
			continue;
		CPU_ZERO(&one);
		CPU_SET(c, &one);
		if (sched_setaffinity(0, sizeof(one), &one) != 0) {
			bad++;
			continue;
		}
		for (int k = 0; k < 100; k++) {
			sched_yield();
			int g = sched_getcpu(), r = rseq_cpu();
			if (g != c || (__rseq_size && r != c)) {
				if (!bad)
					snprintf(detail, sizeof(detail), "pinned to %d, sched_getcpu %d, rseq %d", c,
						 g, r);
				bad++;
				break;
			}
		}
		cpus++;
	}
	sched_setaffinity(0, sizeof(all), &all);
	if (!bad)
		snprintf(detail, sizeof(detail), "%d CPUs, each read back by sched_getcpu and rseq", cpus);
	check("pinning", bad == 0, detail);
}

/* ------------------------------------------------------------------------
 * Oversubscribed churn through the front
 * ---------------------------------------------------------------------- */

#define RING 4096
#define LIVE 256

struct ring {
	pthread_mutex_t lock;
	unsigned char *slot[RING];
	unsigned head, tail;
};

static struct ring ring = { .lock = PTHREAD_MUTEX_INITIALIZER };
static volatile int stop;
static unsigned long broken;

static void fill(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)((uintptr_t)p >> 4) + (unsigned char)i;
}

static int intact(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)((unsigned char)((uintptr_t)p >> 4) + (unsigned char)i))
			return 0;
	return 1;
}

static void drop(unsigned char *p)
{
	if (!intact(p, nano_size(p)))
		__atomic_fetch_add(&broken, 1, __ATOMIC_RELAXED);
	nano_free(p);
}

static void *churn(void *arg)
{
	unsigned char *mine[LIVE] = { 0 };
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u + 1;
	while (!stop) {
		for (int i = 0; i < LIVE; i++) {
			seed = seed * 1103515245u + 12345u;
			if (mine[i]) {
				/* every other block leaves through the ring: freed by
				 * another thread, usually on another CPU */
				unsigned char *give = NULL;
				if (seed & 0x10000) {
					pthread_mutex_lock(&ring.lock);
					if (ring.head - ring.tail < RING) {
						ring.slot[ring.head++ % RING] = mine[i];
						mine[i] = NULL;
					}
					give = ring.head - ring.tail > RING / 2 ? ring.slot[ring.tail++ % RING] : NULL;
					pthread_mutex_unlock(&ring.lock);
				}
				if (mine[i])
					drop(mine[i]);
				if (give)
					drop(give);
			}
			size_t n = 1 + (seed >> 8) % 256;
			mine[i] = nano_malloc(n);
			fill(mine[i], nano_size(mine[i]));
		}
	}
	for (int i = 0; i < LIVE; i++)
		if (mine[i])
			drop(mine[i]);
	return NULL;
}

static void check_front(double seconds)
{
	struct nano_config cfg;
	struct nano_settings s;
	struct nano_totals t;
	char detail[256];
	int n = 4 * (int)sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t th[1024];

	nano_config_default(&cfg);
	cfg.front = NANO_FRONT_RSEQ;
	nano_zone_init(&cfg);
	nano_get_settings(&s);
	snprintf(detail, sizeof(detail), "front %s%s%s", s.front, s.front_reason[0] ? ": " : "",
		 s.front_reason);
	check("front", strcmp(s.front, "rseq") == 0, detail);
	if (strcmp(s.front, "rseq"))
		return;
	if (n > 1024)
		n = 1024;
	for (int i = 0; i < n; i++)
		pthread_create(&th[i], NULL, churn, (void *)(uintptr_t)(i + 1));
	struct timespec ts = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };
	nanosleep(&ts, NULL);
	stop = 1;
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	while (ring.tail != ring.head)
		drop(ring.slot[ring.tail++ % RING]);
	nano_stats_totals(&t);
	snprintf(detail, sizeof(detail),
		 "%d threads: %llu allocs, %llu in use after, %lu broken, %llu aborts, %llu chains "
		 "(mean %.1f blocks), %llu cache hits",
		 n, (unsigned long long)t.all.allocs, (unsigned long long)t.all.in_use, broken,
		 (unsigned long long)t.front.aborts, (unsigned long long)t.front.chains,
		 t.front.chains ? (double)t.front.chain_blocks / (double)t.front.chains : 0.0,
		 (unsigned long long)t.front.cache_allocs);
	check("restarts", broken == 0 && t.all.in_use == 0 && t.front.aborts > 0, detail);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2.0;
	char detail[128];
	if (argc > 2 || seconds <= 0 || seconds > 600) {
		fprintf(stderr, "usage: rseq_probe [SECONDS] (0 < SECONDS <= 600)\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(detail, sizeof(detail), "__rseq_size %u, cpu_id %d", __rseq_size, rseq_cpu());
	check("rseq", __rseq_size > 0 && rseq_cpu() >= 0, detail);
	check_pinning();
	check_front(seconds);
	return failures ? 1 : 0;
}
