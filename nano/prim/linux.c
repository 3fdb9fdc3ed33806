/*
 * prim/linux.c - the nano zone's platform primitives on Linux (nano_prim.h).
 */
#include "../nano_prim.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* ------------------------------------------------------------------------
 * CPU number
 * ---------------------------------------------------------------------- */

ptrdiff_t nano_rseq_off;

void nano_prim_init(void)
{
#if NANO_HAVE_RSEQ
	nano_rseq_off = __rseq_offset;
#endif
}

int nano_cpu_slow(void)
{
	int cpu = sched_getcpu();
	return cpu < 0 ? 0 : cpu;
}

int nano_cpu_uses_rseq(void)
{
#if NANO_HAVE_RSEQ
	const struct rseq *rs = (const struct rseq *)
		((char *)__builtin_thread_pointer() + __rseq_offset);
	return __rseq_size != 0 && (int)__atomic_load_n(&rs->cpu_id, __ATOMIC_RELAXED) >= 0;
#else
	return 0;
#endif
}

/* ------------------------------------------------------------------------
 * Address space
 * ---------------------------------------------------------------------- */

void *nano_reserve(uintptr_t addr, size_t size, size_t align, bool fixed)
{
	const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

	if (fixed) {
		void *p = mmap((void *)addr, size, PROT_NONE, flags | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		if ((uintptr_t)p != addr) {     /* a kernel before 4.17 took it as a hint */
			munmap(p, size);
			return NULL;
		}
		return p;
	}
	/* Over-reserve by the alignment, then trim both ends. */
	if (size + align < size)
		return NULL;
	char *p = mmap(NULL, size + align, PROT_NONE, flags, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	uintptr_t start = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
	size_t head = start - (uintptr_t)p;
	if (head)
		munmap(p, head);
	if (align - head)
		munmap((char *)start + size, align - head);
	return (void *)start;
}

int nano_commit(void *addr, size_t size)
{
	return mprotect(addr, size, PROT_READ | PROT_WRITE);
}

int nano_seal(void *addr, size_t size)
{
	return mprotect(addr, size, PROT_READ);
}

int nano_release_pages(void *addr, size_t size)
{
	return madvise(addr, size, MADV_DONTNEED);
}

size_t nano_page_size(void)
{
	static size_t page;
	if (!page)
		page = (size_t)sysconf(_SC_PAGESIZE);
	return page;
}

/* ------------------------------------------------------------------------
 * Limits
 * ---------------------------------------------------------------------- */

static uint64_t limit_of(int resource)
{
	struct rlimit rl;
	if (getrlimit(resource, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return UINT64_MAX;
	return (uint64_t)rl.rlim_cur;
}

uint64_t nano_limit_as(void)
{
	return limit_of(RLIMIT_AS);
}

uint64_t nano_limit_data(void)
{
	return limit_of(RLIMIT_DATA);
}

uint64_t nano_limit_maps(void)
{
	char buf[32];
	uint64_t v = 0;
	int fd = open("/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(buf[i] - '0');
	return v ? v : 65530;
}

unsigned nano_cpus_possible(void)
{
	char buf[256];
	unsigned v = 0, last = 0;
	int fd = open("/sys/devices/system/cpu/possible", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0 || n == (ssize_t)sizeof(buf) - 1)
		return 0;
	/* "0-127" or "0,2-5,8": the last number is the highest */
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] >= '0' && buf[i] <= '9') {
			v = v * 10 + (unsigned)(buf[i] - '0');
			last = v;
		} else {
			v = 0;
		}
	}
	return last + 1;
}

unsigned nano_cpus_kernel(unsigned max)
{
	/* The raw call answers with the size of the kernel's CPU mask, which
	 * covers every CPU number it hands out, or EINVAL when that needs more
	 * than the buffer (glibc's wrapper would hide both). */
	unsigned long mask[1024 / (8 * sizeof(unsigned long))];
	if (max > 8 * sizeof(mask))
		max = 8 * sizeof(mask);
	long n = syscall(SYS_sched_getaffinity, 0, (size_t)max / 8, mask);
	return n > 0 ? (unsigned)n * 8 : 0;
}

/* ------------------------------------------------------------------------
 * Odds and ends
 * ---------------------------------------------------------------------- */

uint64_t nano_random64(void)
{
	uint64_t v = 0;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		v = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)ts.tv_sec;
		v ^= (uint64_t)(uintptr_t)&v * 0xbf58476d1ce4e5b9ull;
	}
	return v ? v : 0x9e3779b97f4a7c15ull;
}

void nano_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}
