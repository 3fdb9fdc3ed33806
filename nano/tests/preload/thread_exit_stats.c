/*
 * thread_exit_stats.c - reading nano's statistics stays safe when threads
 * free nano blocks on their way out, after their pthread-key destructors ran.
 *
 * glibc's thread exit runs the pthread-key destructors (nano's folds the
 * thread's counters and unregisters them) and only then
 * __libc_thread_freeres, which frees per-thread libc buffers, e.g. the one
 * strsignal() fills for an unknown signal. When that late free is a remote
 * free (the thread now runs on another magazine's CPU), the statistics must
 * not keep a reference to the dying thread's TLS: a later thread reusing the
 * cached stack (and TLS) would otherwise find it still listed.
 *
 * Each round: a thread calls strsignal(1000) on CPU 0, moves itself to CPU 1
 * and exits; then a thread does a remote free and exits; the main thread
 * reads the totals (dlsym "nano_stats_totals") after each. An alarm turns a
 * hang into a failure. Needs 2 CPUs; with one it passes without testing.
 * The front in effect must be the one NANO_FRONT asks for (v1 when unset):
 * with rseq, the late frees go through the front's remote path at exit.
 */
#include "nano.h"

#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void pin(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
	sched_yield();
}

static void *late_free(void *arg)
{
	(void)arg;
	pin(0);
	char *volatile s = strsignal(1000);   /* a nano block, freed at thread exit */
	(void)s;
	pin(1);
	return NULL;
}

static void *remote_free(void *arg)
{
	(void)arg;
	pin(0);
	void *volatile p = malloc(32);
	pin(1);
	free(p);
	return NULL;
}

static void on_alarm(int sig)
{
	static const char msg[] = "thread_exit_stats: FAIL: reading nano's statistics hangs after threads "
				  "that freed nano blocks at thread exit (the statistics registry still lists "
				  "a dead thread's TLS)\n";
	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

int main(void)
{
	void (*totals)(struct nano_totals *) =
		(void (*)(struct nano_totals *))dlsym(RTLD_DEFAULT, "nano_stats_totals");
	void (*settings)(struct nano_settings *) =
		(void (*)(struct nano_settings *))dlsym(RTLD_DEFAULT, "nano_get_settings");
	const char *want = getenv("NANO_FRONT");
	struct nano_totals t;
	struct nano_settings st;
	cpu_set_t all;

	if (!totals || !settings) {
		fprintf(stderr, "thread_exit_stats: nano_stats_totals not found (preload missing)\n");
		return 1;
	}
	settings(&st);
	if (strcmp(st.front, want && *want ? want : "v1") != 0) {
		fprintf(stderr, "thread_exit_stats: front %s in effect, NANO_FRONT asks for %s (%s)\n",
			st.front, want && *want ? want : "v1", st.front_reason);
		return 1;
	}
	if (sched_getaffinity(0, sizeof(all), &all) != 0 || !CPU_ISSET(0, &all) || !CPU_ISSET(1, &all)) {
		printf("thread_exit_stats: CPUs 0 and 1 are not both available; nothing tested\n");
		return 0;
	}
	signal(SIGALRM, on_alarm);
	alarm(5);
	for (int round = 0; round < 20; round++) {
		pthread_t th;
		pthread_create(&th, NULL, late_free, NULL);
		pthread_join(th, NULL);
		totals(&t);
		pthread_create(&th, NULL, remote_free, NULL);
		pthread_join(th, NULL);
		totals(&t);
	}
	printf("thread_exit_stats: ok (front %s, %llu remote frees counted)\n", st.front,
	       (unsigned long long)t.all.remote_frees);
	return 0;
}
