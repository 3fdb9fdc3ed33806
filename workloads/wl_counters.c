/*
 * wl_counters.c - perf events and /proc readers (see wl_counters.h).
 */
#include "wl_counters.h"

#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * perf_event_open
 * ---------------------------------------------------------------------- */

static int perf_open(uint32_t type, uint64_t config)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = type;
	a.config = config;
	a.inherit = 1;
	a.exclude_hv = 1;
	/* Counting only this process's threads, on any CPU. */
	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

void wl_perf_open(struct wl_perf *p)
{
	static const struct { uint32_t type; uint64_t config; } ev[WL_PERF_COUNT] = {
		[WL_PERF_MIGRATIONS] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS },
		[WL_PERF_CSWITCHES] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
		[WL_PERF_FAULTS] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
		[WL_PERF_CYCLES] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
		[WL_PERF_INSTRUCTIONS] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
		[WL_PERF_CACHE_MISSES] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES },
	};
	for (int i = 0; i < WL_PERF_COUNT; i++)
		p->fd[i] = perf_open(ev[i].type, ev[i].config);
}

void wl_perf_read(const struct wl_perf *p, int64_t out[WL_PERF_COUNT])
{
	for (int i = 0; i < WL_PERF_COUNT; i++) {
		uint64_t v;
		out[i] = -1;
		if (p->fd[i] >= 0 && read(p->fd[i], &v, sizeof(v)) == (ssize_t)sizeof(v))
			out[i] = (int64_t)v;
	}
}

void wl_perf_close(struct wl_perf *p)
{
	for (int i = 0; i < WL_PERF_COUNT; i++) {
		if (p->fd[i] >= 0)
			close(p->fd[i]);
		p->fd[i] = -1;
	}
}

/* ------------------------------------------------------------------------
 * /proc readers
 * ---------------------------------------------------------------------- */

static ssize_t read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	if (fd < 0)
		return -1;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

int64_t wl_steal_ticks(void)
{
	char buf[512];
	unsigned long long v[8];

	/* The first line: "cpu  user nice system idle iowait irq softirq steal ..." */
	if (read_file("/proc/stat", buf, sizeof(buf)) <= 0)
		return -1;
	if (sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		return -1;
	return (int64_t)v[7];
}

int64_t wl_rss_kib(void)
{
	char buf[256];
	unsigned long long size, resident;

	if (read_file("/proc/self/statm", buf, sizeof(buf)) <= 0)
		return -1;
	if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
		return -1;
	return (int64_t)(resident * (unsigned long long)sysconf(_SC_PAGESIZE) / 1024);
}
