/*
 * late_cpu.c - the rseq front stays inside its per-CPU slabs when the
 * process runs on a CPU that nano could not see when it started.
 *
 * The front's critical sections index a slab by the CPU number with no
 * bounds check, so the slabs must cover every number the kernel may hand
 * out. Started with sysfs hidden (hide_cpu_sysfs.so, preloaded before nano)
 * and on CPU 0 alone, nano learns neither the possible CPUs nor the
 * topology: the program re-executes itself pinned to CPU 0, then widens its
 * affinity, moves to the highest CPU it was first allowed, and allocates
 * and frees blocks of every nano class there, some of them allocated on
 * CPU 0 (remote frees). It must finish (it used to die in malloc: the slabs
 * covered the CPUs of the starting affinity only), with the front NANO_FRONT
 * asks for in effect. Needs 2 CPUs; with one it passes without testing.
 */
#include "nano.h"

#include <dlfcn.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "late_cpu: FAIL: %s\n", what);
	return 1;
}

static int pin(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return sched_setaffinity(0, sizeof(s), &s);
}

/* The child: started on CPU 0 alone; moves to `far` and allocates there. */
static int moved(int far)
{
	void (*settings)(struct nano_settings *) =
		(void (*)(struct nano_settings *))dlsym(RTLD_DEFAULT, "nano_get_settings");
	if (!settings)
		return fail("nano_get_settings not found: run under libnano_preload.so");
	struct nano_settings st;
	settings(&st);
	const char *want = getenv("NANO_FRONT");
	want = want && *want ? want : "v1";
	if (strcmp(st.front, want) != 0) {
		fprintf(stderr, "late_cpu: FAIL: front %s in effect, NANO_FRONT asks for %s (%s)\n",
			st.front, want, st.front_reason);
		return 1;
	}
	enum { PER = 300, CLASSES = 16 };
	static void *early[CLASSES][PER], *late[CLASSES][PER];
	for (int c = 0; c < CLASSES; c++)
		for (int i = 0; i < PER; i++)
			if (!(early[c][i] = malloc(16 * (size_t)(c + 1))))
				return fail("malloc on CPU 0");
	if (pin(far) != 0)
		return fail("cannot move to the far CPU");
	sched_yield();
	if (sched_getcpu() != far)
		return fail("not running on the far CPU after pinning");
	for (int round = 0; round < 4; round++) {
		for (int c = 0; c < CLASSES; c++)
			for (int i = 0; i < PER; i++) {
				size_t size = 16 * (size_t)(c + 1);
				if (!(late[c][i] = malloc(size)))
					return fail("malloc on the far CPU");
				memset(late[c][i], round + 1, size);
			}
		for (int c = 0; c < CLASSES; c++)
			for (int i = 0; i < PER; i++)
				free(late[c][i]);
	}
	for (int c = 0; c < CLASSES; c++)
		for (int i = 0; i < PER; i++)
			free(early[c][i]);
	printf("late_cpu: ok (front %s, started on CPU 0 alone, ran on CPU %d)\n", st.front, far);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "moved") == 0)
		return moved(atoi(argv[2]));
	cpu_set_t s;
	int far = -1;
	if (sched_getaffinity(0, sizeof(s), &s) != 0)
		return fail("sched_getaffinity");
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &s))
			far = c;
	if (far <= 0 || !CPU_ISSET(0, &s)) {
		printf("late_cpu: needs CPU 0 and another CPU; not tested\n");
		return 0;
	}
	char arg[16];
	snprintf(arg, sizeof(arg), "%d", far);
	if (pin(0) != 0)
		return fail("cannot pin to CPU 0");
	execl("/proc/self/exe", argv[0], "moved", arg, (char *)NULL);
	return fail("cannot re-execute itself");
}
