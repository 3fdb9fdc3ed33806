/*
 * run_util.c - shared odds and ends of the subcommands (see run_util.h).
 */
#include "run_util.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

void run_self_exe(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	buf[n > 0 ? n : 0] = 0;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int run_data_dir(const char *name, const char *src_rel, char *buf, size_t len)
{
	char exe[4096], *d;
	const char *env = getenv("NANOBENCH_DATA");

	if (env && *env) {
		snprintf(buf, len, "%s/%s", env, name);
		if (is_dir(buf))
			return 0;
	}
	run_self_exe(exe, sizeof(exe));
	d = dirname(exe);
	snprintf(buf, len, "%s/../share/nanobench/%s", d, name);   /* installed */
	if (is_dir(buf))
		return 0;
	snprintf(buf, len, "%s/%s", RUN_SOURCE_DIR, src_rel);     /* build tree */
	if (is_dir(buf))
		return 0;
	return -1;
}

int run_find_preset(const char *name, char *buf, size_t len)
{
	char dir[4096];
	if (strchr(name, '/') || run_data_dir("matrices", "runners/matrices", dir, sizeof(dir)))
		return -1;
	snprintf(buf, len, "%s/%s.ini", dir, name);
	return access(buf, R_OK) == 0 ? 0 : -1;
}

const char *run_preset_names(void)
{
	static char names[512];
	char dir[4096];
	DIR *d;
	struct dirent *e;
	size_t n = 0;

	names[0] = 0;
	if (run_data_dir("matrices", "runners/matrices", dir, sizeof(dir)) || !(d = opendir(dir)))
		return "(no presets found: is nanobench installed?)";
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l > 4 && !strcmp(e->d_name + l - 4, ".ini") && n + l < sizeof(names) - 2)
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%.*s", n ? ", " : "",
					      (int)(l - 4), e->d_name);
	}
	closedir(d);
	return names;
}

void run_default_dir(const char *name, char *buf, size_t len)
{
	struct utsname u;
	char when[32];
	time_t t = time(NULL);
	uname(&u);
	strftime(when, sizeof(when), "%Y%m%d-%H%M%S", localtime(&t));
	snprintf(buf, len, "results/runs/%s-%s-%s", when, u.nodename, name);
}

int run_mkdirs(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			if (mkdir(tmp, 0755) && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

void run_shell_quote(char *buf, size_t cap, const char *s)
{
	size_t n = strlen(buf);
	int plain = *s != 0;
	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+%@", *p))
			plain = 0;
	if (plain) {
		snprintf(buf + n, cap - n, "%s", s);
		return;
	}
	if (n + 1 < cap)
		buf[n++] = '\'';
	for (const char *p = s; *p && n + 5 < cap; p++) {
		if (*p == '\'') {
			memcpy(buf + n, "'\\''", 4);
			n += 4;
		} else {
			buf[n++] = *p;
		}
	}
	if (n + 1 < cap)
		buf[n++] = '\'';
	buf[n < cap ? n : cap - 1] = 0;
}

int run_copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out;
	char buf[8192];
	size_t n;
	int rc = 0;
	if (!in)
		return -1;
	if (!(out = fopen(to, "wb"))) {
		fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	fclose(in);
	return fclose(out) || rc ? -1 : 0;
}

void run_file_hash(const char *path, char *hex, size_t len)
{
	FILE *f = fopen(path, "rb");
	uint64_t h = 0xcbf29ce484222325ull;
	int c;
	if (!f) {
		snprintf(hex, len, "%s", "");
		return;
	}
	while ((c = fgetc(f)) != EOF) {
		h ^= (unsigned char)c;
		h *= 0x100000001b3ull;
	}
	fclose(f);
	snprintf(hex, len, "%016llx", (unsigned long long)h);
}
