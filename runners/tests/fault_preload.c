/*
 * fault_preload.c - a test allocator that misbehaves on purpose, to check
 * that the matrix records a broken cell as failed and goes on.
 *
 * It is glibc's malloc (through the __libc_* names) until the FAULT_AFTERth
 * call, then: built with -DFAULT_HANG it stops forever (the cell must time
 * out), otherwise it aborts (the cell must be recorded as crashed).
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#define FAULT_AFTER 20000

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static unsigned long calls;

static void maybe_fault(void)
{
	if (__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED) != FAULT_AFTER)
		return;
#ifdef FAULT_HANG
	for (;;)
		pause();
#else
	abort();
#endif
}

void *malloc(size_t n)
{
	maybe_fault();
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t s)
{
	return __libc_calloc(n, s);
}

void *realloc(void *p, size_t n)
{
	return __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}
