/*
 * dup_preload.c - a broken allocator for the tests: it hands out a live block
 * twice now and then.
 *
 * malloc, calloc, memalign and free wrap glibc's (__libc_malloc, ...). After
 * DUP_AFTER calls (default 50), every DUP_EVERY-th allocation (default 97)
 * returns, instead of a new block, the most recently allocated block that is
 * still live, large enough and aligned as asked (it remembers the last RECENT
 * blocks handed out and forgets them when they are freed); calloc zeroes it. One later free of such a block is
 * swallowed, so the test sees the harness's verification fail and not
 * glibc's double-free abort. Every workload must fail against it. With
 * DUP_SIZE set, only requests of exactly that many bytes are counted and
 * duplicated (a workload's own data blocks, xmalloc's batch arrays). With
 * DUP_REPORT set it says at exit how many blocks it handed out again
 * ("dup_preload: N duplicates"), for tests whose duplicate depends on timing.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

#define MAX_DUPS 256

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long calls, after = 50, every = 97, only, made;
#define RECENT 16
static void *recent[RECENT];     /* most recent at the highest index in use */
static unsigned nrecent;
static void *dups[MAX_DUPS];
static unsigned ndups;

__attribute__((destructor)) static void dup_report(void)
{
	char line[64];
	if (!getenv("DUP_REPORT"))
		return;
	int n = snprintf(line, sizeof(line), "dup_preload: %lu duplicates\n", made);
	if (write(2, line, (size_t)n) < 0)
		return;
}

__attribute__((constructor)) static void dup_setup(void)
{
	const char *a = getenv("DUP_AFTER"), *e = getenv("DUP_EVERY"), *z = getenv("DUP_SIZE");
	if (z)
		only = strtoul(z, NULL, 10);
	if (a)
		after = strtoul(a, NULL, 10);
	if (e && strtoul(e, NULL, 10) > 0)
		every = strtoul(e, NULL, 10);
}

static void remember(void *p)
{
	if (nrecent == RECENT) {
		for (unsigned i = 1; i < RECENT; i++)
			recent[i - 1] = recent[i];
		nrecent--;
	}
	recent[nrecent++] = p;
}

static void forget(void *p)
{
	for (unsigned i = 0; i < nrecent; i++) {
		if (recent[i] == p) {
			for (unsigned k = i + 1; k < nrecent; k++)
				recent[k - 1] = recent[k];
			nrecent--;
			return;
		}
	}
}

static void *pick_live(size_t n, size_t align)
{
	for (unsigned i = nrecent; i-- > 0;)
		if (malloc_usable_size(recent[i]) >= n && (uintptr_t)recent[i] % align == 0)
			return recent[i];
	return NULL;
}

/* Every allocation: now and then a live block again, else glibc's. */
static void *get(size_t n, size_t align)
{
	void *p = NULL;
	const int counted = !only || n == only;
	pthread_mutex_lock(&lock);
	calls += counted;
	if (counted && calls > after && calls % every == 0 && ndups < MAX_DUPS &&
	    (p = pick_live(n, align)))
		dups[ndups++] = p, made++;
	pthread_mutex_unlock(&lock);
	if (p)
		return p;
	p = align > 16 ? __libc_memalign(align, n) : __libc_malloc(n);
	pthread_mutex_lock(&lock);
	if (p && counted)
		remember(p);
	pthread_mutex_unlock(&lock);
	return p;
}

__attribute__((visibility("default"))) void *malloc(size_t n)
{
	return get(n, 1);
}

__attribute__((visibility("default"))) void *calloc(size_t k, size_t n)
{
	size_t total;
	void *p;
	if (__builtin_mul_overflow(k, n, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	if ((p = get(total, 1)))
		memset(p, 0, total);
	return p;
}

__attribute__((visibility("default"))) void *memalign(size_t align, size_t n)
{
	return get(n, align ? align : 1);
}

__attribute__((visibility("default"))) void free(void *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&lock);
	forget(p);
	for (unsigned i = 0; i < ndups; i++) {
		if (dups[i] == p) {
			dups[i] = dups[--ndups];
			pthread_mutex_unlock(&lock);
			return;
		}
	}
	pthread_mutex_unlock(&lock);
	__libc_free(p);
}
