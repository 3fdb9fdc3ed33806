/*
 * hide_cpu_sysfs.c - a preloadable library for tests: open() of anything
 * under /sys/devices/system/cpu fails with ENOENT, as in a sandbox or a
 * chroot without sysfs. Preloaded before libnano_preload.so, nano then
 * knows neither the possible CPUs nor the topology (late_cpu.c).
 *
 * The real open goes through the system call itself: no dlsym, which may
 * allocate while nano starts.
 */
/* open and open64 are both defined here: the header must not rename open */
#undef _FILE_OFFSET_BITS
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int hidden_open(const char *path, int flags, va_list ap)
{
	static const char dir[] = "/sys/devices/system/cpu";
	mode_t mode = 0;
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	if (path && strncmp(path, dir, sizeof(dir) - 1) == 0) {
		errno = ENOENT;
		return -1;
	}
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	int fd = hidden_open(path, flags, ap);
	va_end(ap);
	return fd;
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));
