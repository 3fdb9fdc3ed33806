/*
 * fault_enospc.c - a disk that fills up on demand, for the tests of what the
 * runner does when its run folder cannot be written.
 *
 * Preloaded into nanobench (and so into the gnuplot it starts), it makes
 * writes to files whose path contains one of the ':'-separated strings of
 * FAULT_ENOSPC_MATCH fail with ENOSPC once FAULT_ENOSPC_AFTER such writes
 * have succeeded (default 0). The first write that fails writes half of its
 * bytes and returns the short count, as a filling disk does; every later
 * one returns -1 with ENOSPC. Files opened with open(2) are caught in
 * write(2) (results.csv rows); files opened with fopen are handed a stdio
 * stream whose writes go the same way (meta.json, summary.md, pictures).
 * With FAULT_ENOSPC_ROOM=STRING, unlinking a file whose path contains
 * STRING gives the disk room again (every write succeeds from then on), as
 * removing a cut-short file does on a real one: a check made after such a
 * clean-up finds the disk writable.
 */
/* both open and open64, fopen and fopen64 are defined here: without this
 * the large-file headers would make each pair the same symbol */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FD 4096

static unsigned char watched[MAX_FD];
static long ok_left = -2;          /* -2: not read yet; -1: failing already */

static int matches(const char *path)
{
	const char *m = getenv("FAULT_ENOSPC_MATCH");
	if (!m || !*m || !path)
		return 0;
	while (*m) {
		size_t n = strcspn(m, ":");
		char want[512];
		if (n && n < sizeof(want)) {
			memcpy(want, m, n);
			want[n] = 0;
			if (strstr(path, want))
				return 1;
		}
		m += n + (m[n] == ':');
	}
	return 0;
}

static ssize_t real_write(int fd, const void *buf, size_t n)
{
	static ssize_t (*w)(int, const void *, size_t);
	if (!w)
		w = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	return w(fd, buf, n);
}

/* A write to a watched file: fine, half, or ENOSPC. */
static ssize_t fault_write(int fd, const void *buf, size_t n)
{
	if (ok_left == -2) {
		const char *a = getenv("FAULT_ENOSPC_AFTER");
		ok_left = a ? atol(a) : 0;
	}
	if (ok_left > 0) {
		ok_left--;
		return real_write(fd, buf, n);
	}
	if (ok_left == 0 && n > 1) {
		ok_left = -1;
		return real_write(fd, buf, n / 2);
	}
	ok_left = -1;
	errno = ENOSPC;
	return -1;
}

static int watch(int fd, const char *path)
{
	if (fd >= 0 && fd < MAX_FD)
		watched[fd] = (unsigned char)matches(path);
	return fd;
}

static int real_open(const char *name, const char *path, int flags, mode_t mode)
{
	int (*o)(const char *, int, ...) = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, name);
	return watch(o(path, flags, mode), path);
}

#define OPEN_MODE(flags) ({                                         \
	mode_t m_ = 0;                                              \
	if ((flags) & (O_CREAT | O_TMPFILE)) {                      \
		va_list ap;                                         \
		va_start(ap, flags);                                \
		m_ = (mode_t)va_arg(ap, int);                       \
		va_end(ap);                                         \
	}                                                           \
	m_; })

int open(const char *path, int flags, ...)
{
	return real_open("open", path, flags, OPEN_MODE(flags));
}

int open64(const char *path, int flags, ...)
{
	return real_open("open64", path, flags, OPEN_MODE(flags));
}

int openat(int dirfd, const char *path, int flags, ...)
{
	int (*o)(int, const char *, int, ...) =
		(int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
	return watch(o(dirfd, path, flags, OPEN_MODE(flags)), path);
}

/* FAULT_ENOSPC_ROOM=STRING: removing a file whose path holds STRING frees
 * the disk for good. */
int unlink(const char *path)
{
	static int (*u)(const char *);
	if (!u)
		u = (int (*)(const char *))dlsym(RTLD_NEXT, "unlink");
	const char *room = getenv("FAULT_ENOSPC_ROOM");
	int rc = u(path);
	if (rc == 0 && room && *room && strstr(path, room))
		ok_left = 1L << 40;
	return rc;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	if (fd >= 0 && fd < MAX_FD && watched[fd])
		return fault_write(fd, buf, n);
	return real_write(fd, buf, n);
}

int close(int fd)
{
	static int (*c)(int);
	if (!c)
		c = (int (*)(int))dlsym(RTLD_NEXT, "close");
	if (fd >= 0 && fd < MAX_FD)
		watched[fd] = 0;
	return c(fd);
}

/* stdio: a cookie stream over a watched descriptor */
static ssize_t ck_read(void *c, char *buf, size_t n)
{
	return read((int)(long)c, buf, n);
}

static ssize_t ck_write(void *c, const char *buf, size_t n)
{
	return fault_write((int)(long)c, buf, n);
}

static int ck_seek(void *c, off64_t *off, int whence)
{
	off64_t r = lseek64((int)(long)c, *off, whence);
	if (r < 0)
		return -1;
	*off = r;
	return 0;
}

static int ck_close(void *c)
{
	return close((int)(long)c);
}

static FILE *real_fopen(const char *name, const char *path, const char *mode)
{
	FILE *(*f)(const char *, const char *) =
		(FILE *(*)(const char *, const char *))dlsym(RTLD_NEXT, name);
	if (!matches(path) || mode[0] == 'r')
		return f(path, mode);
	int flags = O_CREAT | O_CLOEXEC | (strchr(mode, '+') ? O_RDWR : O_WRONLY) |
		    (mode[0] == 'a' ? O_APPEND : O_TRUNC);
	int fd = open(path, flags, 0644);
	if (fd < 0)
		return NULL;
	cookie_io_functions_t io = { ck_read, ck_write, ck_seek, ck_close };
	FILE *s = fopencookie((void *)(long)fd, mode, io);
	if (!s)
		close(fd);
	return s;
}

FILE *fopen(const char *path, const char *mode)
{
	return real_fopen("fopen", path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
	return real_fopen("fopen64", path, mode);
}
