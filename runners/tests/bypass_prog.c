/*
 * bypass_prog.c - a program that goes around the preloaded allocator in the
 * ways a program cell's report must catch (runners/run_procs.h):
 *
 *   bypass_prog MODE N
 *     malloc    N malloc/free pairs of 48 bytes: the honest program
 *     libc      N pairs through glibc's __libc_malloc/__libc_free, and N/10
 *               through malloc: most calls go around the allocator
 *     aligned   N pairs of aligned_alloc(16, 48), N/10 of malloc: nano
 *               gives aligned requests to glibc, so it serves a tenth
 *     rawexit   N malloc/free pairs, then the exit_group system call: no
 *               exit handlers run, the report has no end line
 *
 * Built a second time with -DOWN_MALLOC, it defines malloc and free itself
 * (a bump allocator in the executable, found before any preload): the
 * report shows that the process bound its own malloc.
 * Prints "done N" on success.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);

#ifdef OWN_MALLOC
static char arena[1 << 24];
static size_t used;

void *malloc(size_t n)
{
	size_t at = used;
	used += (n + 15) / 16 * 16;
	return used <= sizeof(arena) ? arena + at : NULL;
}

void free(void *p)
{
	(void)p;
}

void *calloc(size_t n, size_t size)
{
	return malloc(n * size);        /* the arena is zero and never reused */
}

void *realloc(void *p, size_t n)
{
	void *q = malloc(n);
	if (q && p)
		memcpy(q, p, n);        /* the arena is large enough to over-read */
	return q;
}
#endif

static void touch(volatile char *p)
{
	p[0] = 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 2 ? argv[1] : "";
	long n = argc > 2 ? atol(argv[2]) : 0;
	int libc = !strcmp(mode, "libc"), aligned = !strcmp(mode, "aligned");

	if (n <= 0 || (!libc && !aligned && strcmp(mode, "malloc") && strcmp(mode, "rawexit"))) {
		fprintf(stderr, "usage: bypass_prog malloc|libc|aligned|rawexit N\n");
		return 2;
	}
	for (long i = 0; i < n; i++) {
		char *p = libc ? __libc_malloc(48) : aligned ? aligned_alloc(16, 48) : malloc(48);
		touch(p);
		if (libc)
			__libc_free(p);
		else
			free(p);
	}
	for (long i = 0; (libc || aligned) && i < n / 10; i++) {
		char *p = malloc(32);
		touch(p);
		free(p);
	}
	printf("done %ld\n", n);
	fflush(stdout);
	if (!strcmp(mode, "rawexit"))
		syscall(SYS_exit_group, 0);
	return 0;
}
