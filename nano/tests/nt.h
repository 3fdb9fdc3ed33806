/*
 * nt.h - small helpers shared by the nano zone's tests (nano/tests/).
 *
 * The project builds with -DNDEBUG in release mode (b_ndebug=if-release), so
 * the tests never use assert(): CHECK() and its friends always run, print the
 * failing expression with its values and exit(1).
 *
 * Also here: pinning a thread to a CPU, a deterministic random generator,
 * address-derived fill patterns (a block holds bytes that only its own address
 * and size produce, so a block handed out twice, or zeroed by pressure relief,
 * is caught on the check before free), running a function in a forked child
 * with its stderr captured, checking that such a child aborts with nano's
 * one-line message (nt_fatal_case), and the exit code meson treats as
 * "skipped" (77).
 *
 * Header-only (static functions): every test is its own executable.
 */
#ifndef NT_H
#define NT_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define NT_SKIP 77

/* ------------------------------------------------------------------------
 * Checks
 * ---------------------------------------------------------------------- */

__attribute__((noreturn, format(printf, 3, 4), unused))
static void nt_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	exit(1);
}

#define CHECK(cond)                                                                \
	do {                                                                       \
		if (!(cond))                                                       \
			nt_fail(__FILE__, __LINE__, "%s", #cond);                  \
	} while (0)

#define CHECK_MSG(cond, ...)                                                       \
	do {                                                                       \
		if (!(cond))                                                       \
			nt_fail(__FILE__, __LINE__, __VA_ARGS__);                  \
	} while (0)

/* Unsigned equality, both values printed. */
#define CHECK_EQ(a, b)                                                             \
	do {                                                                       \
		uint64_t nt_a_ = (uint64_t)(a), nt_b_ = (uint64_t)(b);             \
		if (nt_a_ != nt_b_)                                                \
			nt_fail(__FILE__, __LINE__, "%s == %s: %" PRIu64 " != %" PRIu64 \
				" (0x%" PRIx64 " != 0x%" PRIx64 ")", #a, #b, nt_a_, nt_b_, \
				nt_a_, nt_b_);                                     \
	} while (0)

#define CHECK_STR(a, b)                                                            \
	do {                                                                       \
		const char *nt_a_ = (a), *nt_b_ = (b);                             \
		if (!nt_a_ || !nt_b_ || strcmp(nt_a_, nt_b_) != 0)                 \
			nt_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, \
				nt_a_ ? nt_a_ : "(null)", nt_b_ ? nt_b_ : "(null)"); \
	} while (0)

/* ------------------------------------------------------------------------
 * CPUs
 * ---------------------------------------------------------------------- */

/* Pin the calling thread to one CPU. 0 or -1 (CPU not allowed / absent).
 * On return the thread runs on that CPU (the kernel migrates it inside the
 * call), so glibc's rseq cpu_id already says so. */
static inline int nt_pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* The idx-th CPU the process may run on (0-based), or -1. */
static inline int nt_allowed_cpu(int idx)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -1;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set) && idx-- == 0)
			return cpu;
	return -1;
}

/* Undo nt_pin: allow every CPU the process started with. */
static inline void nt_unpin(const cpu_set_t *orig)
{
	sched_setaffinity(0, sizeof(*orig), orig);
}

/* ------------------------------------------------------------------------
 * Random numbers (xorshift64*: deterministic per seed)
 * ---------------------------------------------------------------------- */

static inline uint64_t nt_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static inline uint64_t nt_seed(uint64_t i)
{
	uint64_t s = (i + 1) * 0x9e3779b97f4a7c15ull;
	return s ? s : 1;
}

/* ------------------------------------------------------------------------
 * Fill patterns
 * ---------------------------------------------------------------------- */

static inline uint64_t nt_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* Fill n bytes at p with a pattern derived from p, n and a tag. */
static inline void nt_fill(void *p, size_t n, uint64_t tag)
{
	uint64_t h = nt_mix((uint64_t)(uintptr_t)p ^ (n << 48) ^ tag);
	unsigned char *b = p;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w = h + i * 0x0101010101010101ull;
		memcpy(b + i, &w, 8);
	}
	for (; i < n; i++)
		b[i] = (unsigned char)(h >> (8 * (i & 7))) ^ (unsigned char)i;
}

/* 1 when the n bytes at p still hold nt_fill(p, n, tag)'s pattern. */
static inline int nt_fill_ok(const void *p, size_t n, uint64_t tag)
{
	uint64_t h = nt_mix((uint64_t)(uintptr_t)p ^ (n << 48) ^ tag);
	const unsigned char *b = p;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w = h + i * 0x0101010101010101ull, v;
		memcpy(&v, b + i, 8);
		if (v != w)
			return 0;
	}
	for (; i < n; i++)
		if (b[i] != ((unsigned char)(h >> (8 * (i & 7))) ^ (unsigned char)i))
			return 0;
	return 1;
}

/* ------------------------------------------------------------------------
 * Processes
 * ---------------------------------------------------------------------- */

/* /proc/self/statm resident pages, in bytes. */
static inline size_t nt_rss_bytes(void)
{
	char buf[128];
	unsigned long size = 0, rss = 0;
	int fd = open("/proc/self/statm", O_RDONLY);
	ssize_t n;
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	if (sscanf(buf, "%lu %lu", &size, &rss) != 2)
		return 0;
	return rss * (size_t)sysconf(_SC_PAGESIZE);
}

/* Outcome of nt_run_child. */
struct nt_child {
	int status;          /* from waitpid */
	char err[8192];      /* what the child wrote to stderr (cut) */
	size_t err_len;
};

/* Run fn(arg) in a forked child whose stderr goes into a pipe; the child
 * exits 0 when fn returns. Waits for it; core dumps are disabled in the
 * child (it is expected to abort). An alarm kills a child that hangs. */
static inline void nt_run_child(void (*fn)(void *), void *arg, struct nt_child *out)
{
	int pfd[2];
	pid_t pid;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	fflush(NULL);
	CHECK(pipe(pfd) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct rlimit zero = { 0, 0 };
		close(pfd[0]);
		dup2(pfd[1], 2);
		close(pfd[1]);
		setrlimit(RLIMIT_CORE, &zero);     /* no core file for the expected abort */
		alarm(60);
		fn(arg);
		_exit(0);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], out->err + out->err_len,
			 sizeof(out->err) - 1 - out->err_len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		out->err_len += (size_t)n;
		if (out->err_len == sizeof(out->err) - 1) {
			char sink[256];
			while (read(pfd[0], sink, sizeof(sink)) > 0)
				;
			break;
		}
	}
	out->err[out->err_len] = 0;
	close(pfd[0]);
	while (waitpid(pid, &out->status, 0) < 0)
		CHECK(errno == EINTR);
}

/* ------------------------------------------------------------------------
 * Fatal cases: heap misuse that nano must report and abort on
 * ---------------------------------------------------------------------- */

/* The pointer a fatal case's message must name. The case announces it with
 * nt_expect_ptr() in the child just before the fatal call; the page is
 * shared, so the parent reads it after the child died. */
static volatile uint64_t *nt_fatal_ptr;

static inline void nt_expect_ptr(const void *p)
{
	*nt_fatal_ptr = (uint64_t)(uintptr_t)p;
}

/* Run fn(arg) in a child (nt_run_child): it must die of SIGABRT after
 * writing exactly one line on stderr that contains "nano", `expect` and the
 * pointer announced with nt_expect_ptr(), in hex. A child that exits (a
 * CHECK inside it failed, or the misuse went unnoticed) fails the case.
 * Prints one "ok"/"FAIL" line; returns 1 when the case passed. */
__attribute__((unused))
static int nt_fatal_case(const char *name, void (*fn)(void *), void *arg, const char *expect)
{
	struct nt_child r;
	char hex[32];

	if (!nt_fatal_ptr) {
		void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		CHECK(page != MAP_FAILED);
		nt_fatal_ptr = page;
	}
	*nt_fatal_ptr = 0;
	nt_run_child(fn, arg, &r);
	snprintf(hex, sizeof(hex), "0x%" PRIx64, *nt_fatal_ptr);
	int aborted = WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGABRT;
	int named = strstr(r.err, "nano") && strstr(r.err, expect) && *nt_fatal_ptr &&
		    strstr(r.err, hex);
	int one_line = r.err_len > 0 && strchr(r.err, '\n') == r.err + r.err_len - 1;
	if (aborted && named && one_line) {
		printf("ok   %-36s %s", name, r.err);
		return 1;
	}
	printf("FAIL %-36s status 0x%x (%s), stderr: \"%s\", expected \"%s\" naming %s\n", name,
	       r.status, WIFSIGNALED(r.status) ? strsignal(WTERMSIG(r.status)) : "exited", r.err,
	       expect, *nt_fatal_ptr ? hex : "(no pointer announced)");
	return 0;
}

#endif
