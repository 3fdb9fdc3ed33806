/*
 * double_free.c - free a nano block twice; run preloaded by
 * test_double_free.sh, which expects SIGABRT and the nano message.
 *
 *   double_free head   free(a); free(a)               (a is the list head)
 *   double_free deep   free(a); free(b); free(c); free(a)  (a is deep in the list)
 *
 * Exit 3 (not an abort) when the blocks are not nano's: then the test would
 * only be testing glibc. Exit 0 when the second free returned: undetected.
 * Before the frees it prints "double_free: front F" (the front in effect,
 * from nano_get_settings), so that the driver knows which path caught it.
 */
#include "nano.h"

#include <dlfcn.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *opaque(void *p)
{
	__asm__ volatile("" : "+r"(p) : : "memory");
	return p;
}

int main(int argc, char **argv)
{
	int (*owns)(const void *) = (int (*)(const void *))dlsym(RTLD_DEFAULT, "nano_owns");
	cpu_set_t set;
	CPU_ZERO(&set);                 /* one magazine for every block */
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);

	void *a = opaque(malloc(48)), *b = opaque(malloc(48)), *c = opaque(malloc(40));
	if (!owns || !owns(a) || !owns(b) || !owns(c)) {
		fprintf(stderr, "double_free: the blocks are not nano's (preload missing?)\n");
		return 3;
	}
	void (*settings)(struct nano_settings *) =
		(void (*)(struct nano_settings *))dlsym(RTLD_DEFAULT, "nano_get_settings");
	struct nano_settings s;
	if (!settings) {
		fprintf(stderr, "double_free: nano_get_settings not found (preload missing?)\n");
		return 3;
	}
	settings(&s);
	fprintf(stderr, "double_free: front %s\n", s.front);
	fprintf(stderr, "double_free: freeing %p twice\n", a);
	free(a);
	if (argc > 1 && strcmp(argv[1], "deep") == 0) {
		free(b);
		free(c);
	}
	free(opaque(a));
	fprintf(stderr, "double_free: the second free of %p returned\n", a);
	return 0;
}
