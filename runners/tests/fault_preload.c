/*
 * fault_preload.c - a test allocator that misbehaves on purpose, to check
 * that the matrix records a broken cell as failed and goes on.
 *
 * It is glibc's malloc (through the __libc_* names) until the FAULT_AFTERth
 * call, then: built with -DFAULT_HANG it stops forever (the cell must time
 * out), otherwise it aborts (the cell must be recorded as crashed). Built
 * with -DFAULT_AT_EXIT it never faults in a call but aborts when the
 * process exits, after the cell wrote its record: the row keeps the
 * record's `status` ok and says `cell_status` crashed. Built with
 * -DFAULT_EXIT0 the FAULT_AFTERth call ends the process with status 0, before
 * any record: the cell must be failed, not ok. Built with -DFAULT_STRAGGLER
 * it never faults, but forks a helper at start-up that outlives the cell and
 * keeps its record descriptor open: the cell must still end when it exits,
 * ok, and the helper with it.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

/* low enough that a 0.1 s cell reaches it on a loaded machine (at 20000 a
 * cell starved of CPU time could end first, ok) */
#define FAULT_AFTER 2000

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static unsigned long calls;

#ifdef FAULT_STRAGGLER
__attribute__((constructor)) static void straggler(void)
{
	if (fork() == 0) {
		for (;;)
			pause();
	}
}
#endif

#ifdef FAULT_AT_EXIT
__attribute__((destructor)) static void fault_at_exit(void)
{
	abort();
}
#endif

static void maybe_fault(void)
{
#if defined(FAULT_AT_EXIT) || defined(FAULT_STRAGGLER)
	return;
#endif
	if (__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED) != FAULT_AFTER)
		return;
#if defined(FAULT_HANG)
	for (;;)
		pause();
#elif defined(FAULT_EXIT0)
	_exit(0);
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
