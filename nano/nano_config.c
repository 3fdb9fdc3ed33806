/*
 * nano_config.c - where the zone's settings come from: the machine (sysfs),
 * a per-machine profile (NANO_PROFILE) and the environment.
 *
 * This runs inside the zone's start-up, which may itself be inside the first
 * malloc of a process: no stdio, no opendir, no malloc. Files are read with
 * open/read into stack or static buffers; numbers are parsed by hand.
 *
 * Precedence, lowest first: the defaults (Apple's faithful shift map), then
 * the profile named by NANO_PROFILE (only when that variable is set and not
 * empty, and only when its topology fingerprint is this machine's), then each
 * of NANO_HYPER_SHIFT, NANO_MAG_MAP, NANO_MAX_MAGAZINES, NANO_BAND_BITS that
 * is set and valid, field by field. A profile that cannot be read, is
 * malformed or belongs to another machine is refused as a whole with one
 * warning line; the zone never aborts over its configuration.
 */
#include "nano_internal.h"
#include "nano_msg.h"
#include "nano_profile.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Small parsers
 * ---------------------------------------------------------------------- */

/* Parse a whole decimal number in [lo, hi]; 0 on success. */
static int parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	unsigned long v = 0;
	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > hi)
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Read a small file into buf (NUL-terminated, trailing newline dropped).
 * Returns its length or -1. */
static int read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	if (fd < 0)
		return -1;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n <= 0)
		return -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = 0;
	return (int)n;
}

/* First number of a Linux CPU list ("0-3,8"), or -1. */
static long cpulist_first(const char *s)
{
	long v = -1;
	for (; *s >= '0' && *s <= '9'; s++)
		v = (v < 0 ? 0 : v * 10) + (*s - '0');
	return v;
}

/* Highest number of a Linux CPU list, or -1. */
static long cpulist_last(const char *s)
{
	long v = -1, cur = -1;
	for (;; s++) {
		if (*s >= '0' && *s <= '9') {
			cur = (cur < 0 ? 0 : cur * 10) + (*s - '0');
		} else {
			if (cur > v)
				v = cur;
			cur = -1;
			if (!*s)
				break;
		}
	}
	return v;
}

/* "/sys/devices/system/cpu/cpuN/topology/NAME" */
static void topo_path(char *buf, size_t cap, unsigned cpu, const char *name)
{
	struct nano_msg m = { 0 };
	nano_msg_str(&m, "/sys/devices/system/cpu/cpu");
	nano_msg_u64(&m, cpu);
	nano_msg_str(&m, "/topology/");
	nano_msg_str(&m, name);
	if (m.len >= cap)
		m.len = cap - 1;
	memcpy(buf, m.buf, m.len);
	buf[m.len] = 0;
}

/* ------------------------------------------------------------------------
 * The machine from sysfs
 *
 * A CPU's core key is the lowest CPU number among its core's hardware
 * threads (topology/thread_siblings_list): unique per core on every
 * architecture, unlike core_id, which repeats across packages and dies.
 * A CPU without a readable topology directory (offline) is absent.
 * ---------------------------------------------------------------------- */

static int topo_from_affinity(struct nano_topo *t)
{
	static uint64_t keys[NANO_MAX_CPUS];
	cpu_set_t set;
	unsigned ncpus = 0;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return nano_topo_build(t, 1, (uint64_t[1]){ 0 });
	for (unsigned cpu = 0; cpu < NANO_MAX_CPUS && cpu < CPU_SETSIZE; cpu++) {
		keys[cpu] = CPU_ISSET(cpu, &set) ? cpu : NANO_CPU_ABSENT;
		if (CPU_ISSET(cpu, &set))
			ncpus = cpu + 1;
	}
	return nano_topo_build(t, ncpus ? ncpus : 1, keys);
}

int nano_topo_from_sysfs(struct nano_topo *t)
{
	static uint64_t keys[NANO_MAX_CPUS];
	char buf[256], path[128];
	long last;
	unsigned ncpus;

	if (read_small("/sys/devices/system/cpu/possible", buf, sizeof(buf)) < 0 ||
	    (last = cpulist_last(buf)) < 0)
		return topo_from_affinity(t);
	ncpus = last + 1 > NANO_MAX_CPUS ? NANO_MAX_CPUS : (unsigned)(last + 1);
	for (unsigned cpu = 0; cpu < ncpus; cpu++) {
		long first;
		topo_path(path, sizeof(path), cpu, "thread_siblings_list");
		keys[cpu] = NANO_CPU_ABSENT;
		if (read_small(path, buf, sizeof(buf)) > 0 && (first = cpulist_first(buf)) >= 0)
			keys[cpu] = (uint64_t)first;
	}
	if (nano_topo_build(t, ncpus, keys) != 0)
		return topo_from_affinity(t);
	return 0;
}

/* ------------------------------------------------------------------------
 * The defaults
 * ---------------------------------------------------------------------- */

void nano_config_default(struct nano_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->hyper_shift = -1;
	cfg->map = NANO_MAP_SHIFT;
}

/* ------------------------------------------------------------------------
 * The profile
 *
 * The file is read whole into a static buffer (the zone starts once, under
 * its INITIALISING state, so nothing else uses these statics meanwhile), the
 * machine's topology is read from sysfs into a static nano_topo, and that
 * topology is handed on through cfg->topo so the zone does not read it twice.
 * ---------------------------------------------------------------------- */

/* "nano: warning: NANO_PROFILE='FILE' ...; using the defaults" */
static void profile_warn_begin(struct nano_msg *m, const char *path)
{
	nano_msg_str(m, "nano: warning: NANO_PROFILE='");
	nano_msg_str(m, path);
	nano_msg_str(m, "' ");
}

static void profile_warn_end(struct nano_msg *m)
{
	nano_msg_str(m, "; ignoring the profile, using the defaults\n");
	nano_msg_flush(m, 2);
}

/* Whole file into buf; length, or -1 with errno (EFBIG: too long; EISDIR:
 * a directory; ENODEV: a FIFO, socket or device). It runs inside every
 * preloaded program's first malloc, so it must never wait: the file is
 * opened non-blocking (a FIFO without a writer would otherwise hold the
 * program forever) and anything but a regular file is refused unread. */
static long read_whole(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	size_t len = 0;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size >= cap) {
		int e = S_ISDIR(st.st_mode) ? EISDIR : !S_ISREG(st.st_mode) ? ENODEV : EFBIG;
		close(fd);
		errno = e;
		return -1;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			close(fd);
			errno = EFBIG;
			return -1;
		}
	}
	close(fd);
	return (long)len;
}

static const char *errno_words(int e)
{
	switch (e) {
	case ENOENT: return "no such file";
	case EACCES: return "permission denied";
	case EISDIR: return "a directory";
	case EFBIG: return "longer than 4096 bytes";
	case ENODEV: return "not a regular file: a FIFO, socket or device";
	default: return "a read error";
	}
}

/* Apply the profile at path to cfg. Returns 1 when it took effect. */
static int config_from_profile(struct nano_config *cfg, const char *path)
{
	static char text[NANO_PROFILE_MAX_BYTES + 1];
	static struct nano_topo topo;
	struct nano_profile p;
	struct nano_profile_error e;
	struct nano_msg m = { 0 };
	uint64_t here;
	long len = read_whole(path, text, sizeof(text));

	if (len < 0) {
		profile_warn_begin(&m, path);
		nano_msg_str(&m, "cannot be read (");
		nano_msg_str(&m, errno_words(errno));
		nano_msg_str(&m, ")");
		profile_warn_end(&m);
		return 0;
	}
	if (nano_profile_parse(text, (size_t)len, &p, &e) != 0) {
		profile_warn_begin(&m, path);
		nano_msg_str(&m, "is malformed: ");
		if (e.line) {
			nano_msg_str(&m, "line ");
			nano_msg_u64(&m, e.line);
			nano_msg_str(&m, ": ");
		}
		nano_msg_str(&m, e.what);
		profile_warn_end(&m);
		return 0;
	}
	nano_topo_from_sysfs(&topo);
	here = nano_topo_fingerprint(&topo);
	if (p.fingerprint != here) {
		profile_warn_begin(&m, path);
		nano_msg_str(&m, "was tuned on another topology (its fingerprint ");
		nano_msg_hex(&m, p.fingerprint);
		nano_msg_str(&m, ", this machine's ");
		nano_msg_hex(&m, here);
		nano_msg_str(&m, ")");
		profile_warn_end(&m);
		return 0;
	}
	cfg->hyper_shift = p.hyper_shift;
	cfg->map = p.map;
	cfg->max_magazines = p.max_magazines;
	cfg->topo = &topo;
	return 1;
}

/* ------------------------------------------------------------------------
 * The environment
 * ---------------------------------------------------------------------- */

int nano_config_from_env(struct nano_config *cfg)
{
	unsigned long v;
	const char *s;
	int applied = 0;

	nano_config_default(cfg);
	if ((s = getenv("NANO_PROFILE")) != NULL && *s && config_from_profile(cfg, s))
		applied |= NANO_FROM_PROFILE;
	if ((s = getenv("NANO_HYPER_SHIFT")) != NULL) {
		if (parse_uint(s, 0, 16, &v) == 0) {
			cfg->hyper_shift = (int)v;
			applied |= NANO_FROM_ENV;
		} else {
			nano_warn("NANO_HYPER_SHIFT", s, "an integer from 0 to 16");
		}
	}
	if ((s = getenv("NANO_MAX_MAGAZINES")) != NULL) {
		if (parse_uint(s, 1, NANO_MAX_MAGAZINES, &v) == 0) {
			cfg->max_magazines = (int)v;
			applied |= NANO_FROM_ENV;
		} else {
			nano_warn("NANO_MAX_MAGAZINES", s, "an integer from 1 to 64");
		}
	}
	if ((s = getenv("NANO_MAG_MAP")) != NULL) {
		if (nano_map_parse(s, &cfg->map) == 0)
			applied |= NANO_FROM_ENV;
		else
			nano_warn("NANO_MAG_MAP", s, "one of shift, topology, cpu");
	}
	if ((s = getenv("NANO_BAND_BITS")) != NULL) {
		if (parse_uint(s, 1, NANO_BAND_BITS_FULL, &v) == 0) {
			cfg->band_bits = (unsigned)v;
			applied |= NANO_FROM_ENV;
		} else {
			nano_warn("NANO_BAND_BITS", s, "an integer from 1 to 17");
		}
	}
	/* The front end: reported on its own (nano_settings.front*), so it does
	 * not count as a settings source, which describes the magazine map. */
	if ((s = getenv("NANO_FRONT")) != NULL && *s) {
		if (strcmp(s, "rseq") == 0)
			cfg->front = NANO_FRONT_RSEQ;
		else if (strcmp(s, "v1") == 0)
			cfg->front = NANO_FRONT_V1;
		else
			nano_warn("NANO_FRONT", s, "v1 or rseq");
	}
	if ((s = getenv("NANO_VERBOSE")) != NULL && *s) {
		if (parse_uint(s, 0, 1, &v) == 0)
			cfg->verbose = (int)v;
		else
			nano_warn("NANO_VERBOSE", s, "0 or 1");
	}
	if ((s = getenv("NANO_FRONT_CAP")) != NULL) {
		if (parse_uint(s, 8, NANO_FRONT_CAP_MAX, &v) == 0)
			cfg->front_cap = (unsigned)v;
		else
			nano_warn("NANO_FRONT_CAP", s, "an integer from 8 to " NANO_FRONT_CAP_MAX_STR);
	}
	return applied;
}
