/*
 * run_alloc.c - allocator selection, re-execution, detection (run_alloc.h).
 *
 * Library search. nano and bump are built with nanobench, so they are looked
 * for next to the executable first (the build tree: <exe dir>/nano/,
 * <exe dir>/workloads/), then where an installed nanobench would have them
 * (<exe dir>/../lib/<multiarch>/, <exe dir>/../lib/, and the configured
 * prefix/libdir). Debian's allocators are looked for in the multiarch and
 * plain library directories under the file names their packages install:
 * TBB's scalable allocator through its proxy library (libtbbmalloc_proxy,
 * which defines malloc and friends over libtbbmalloc; the plain
 * libtbbmalloc only exports scalable_malloc), and LLVM's Scudo as the
 * standalone runtime of compiler-rt (libclang_rt.scudo_standalone, in
 * clang's versioned resource folder; the older libclang_rt.scudo is the
 * sanitizer-based one that LLVM has since removed), the newest installed.
 *
 * Detection. In the child, dlsym(RTLD_DEFAULT, "malloc") is the definition
 * the dynamic linker binds to; dladdr names its file. The cell fails when
 * that file is not the requested library (compared by real path), so a
 * preload that did not take effect never turns into a glibc measurement.
 * nano-rseq is one step further: the library is nano's, so the child also
 * asks libnano which front is in effect (run_alloc_verify); rseq can be
 * unavailable (no glibc registration, GLIBC_TUNABLES=glibc.pthread.rseq=0
 * set by the cell) and libnano then quietly runs v1, which must not be
 * recorded as a nano-rseq measurement.
 */
#include "run_alloc.h"
#include "wl_nano.h"

#include <dlfcn.h>
#include <glob.h>
#include <gnu/libc-version.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#ifndef RUN_PREFIX
#define RUN_PREFIX "/usr/local"
#endif
#ifndef RUN_LIBDIR
#define RUN_LIBDIR "lib"
#endif

#if defined(__x86_64__)
#define RUN_MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define RUN_MULTIARCH "aarch64-linux-gnu"
#else
#define RUN_MULTIARCH ""
#endif

extern char **environ;

/* ------------------------------------------------------------------------
 * Finding libraries
 * ---------------------------------------------------------------------- */

static int exists(const char *path)
{
	return access(path, R_OK) == 0;
}

static void exe_dir(char *out, size_t n)
{
	char buf[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	buf[len > 0 ? len : 0] = 0;
	snprintf(out, n, "%s", len > 0 ? dirname(buf) : ".");
}

int run_alloc_find_own(const char *file, const char *subdir, char *out, size_t n)
{
	char dir[PATH_MAX];
	exe_dir(dir, sizeof(dir));
	const char *fmts[][2] = {
		{ dir, subdir }, { dir, "../lib/" RUN_MULTIARCH }, { dir, "../lib" },
		{ RUN_PREFIX, RUN_LIBDIR },
	};
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		snprintf(out, n, "%s/%s/%s", fmts[i][0], fmts[i][1], file);
		if (exists(out)) {
			char real[PATH_MAX];
			if (realpath(out, real))
				snprintf(out, n, "%s", real);
			return 0;
		}
	}
	return -1;
}

/* A system library under one of several file names. */
static int find_system(const char *const *files, char *out, size_t n)
{
	static const char *const dirs[] = {
		"/usr/lib/" RUN_MULTIARCH, "/lib/" RUN_MULTIARCH, "/usr/lib64", "/usr/lib",
		"/usr/local/lib",
	};
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++)
		for (size_t f = 0; files[f]; f++) {
			snprintf(out, n, "%s/%s", dirs[d], files[f]);
			if (exists(out))
				return 0;
		}
	return -1;
}

/* Whether one of the cell's VAR=VALUE settings sets the variable of var:
 * the cell's own value wins (one definition only: getenv takes the first). */
static int sets(char *const *cell_env, int n, const char *var)
{
	size_t len = strcspn(var, "=") + 1;
	for (int i = 0; i < n; i++)
		if (strncmp(cell_env[i], var, len) == 0)
			return 1;
	return 0;
}

void run_alloc_env(const char *name, char *const *cell_env, int ncell_env, char *out, size_t n)
{
	/* nano-rseq: nano's library, with the per-CPU front asked for */
	const char *own = name && strcmp(name, "nano-rseq") == 0 ? "NANO_FRONT=rseq" : "";
	snprintf(out, n, "%s", own[0] && !sets(cell_env, ncell_env, own) ? own : "");
}

static const char *const je[] = { "libjemalloc.so.2", NULL };
static const char *const mi[] = { "libmimalloc.so.2", "libmimalloc.so.2.0", "libmimalloc.so.2.1",
				  NULL };
static const char *const tc[] = { "libtcmalloc.so.4", NULL };
static const char *const tbb[] = { "libtbbmalloc_proxy.so.2", NULL };

/* Debian's allocators: name, the files that may hold it, the package. */
static const struct {
	const char *name;
	const char *const *files;
	const char *pkg;
} sys[] = {
	{ "jemalloc", je, "libjemalloc2" },
	{ "mimalloc", mi, "libmimalloc2.0" },
	{ "tcmalloc", tc, "libgoogle-perftools4" },
	{ "tbb", tbb, "libtbbmalloc2" },
};
#define NSYS (sizeof(sys) / sizeof(sys[0]))

#if defined(__x86_64__)
#define SCUDO_FILE "libclang_rt.scudo_standalone-x86_64.so"
#elif defined(__aarch64__)
#define SCUDO_FILE "libclang_rt.scudo_standalone-aarch64.so"
#else
#define SCUDO_FILE "libclang_rt.scudo_standalone.so"
#endif
#define SCUDO_PKG "libclang-rt-14-dev (or another libclang-rt-N-dev)"

/* Scudo: the last match in glob's sorted order, so the newest LLVM of the
 * ones installed side by side (llvm-14 before llvm-15 ...). */
static int find_scudo(char *out, size_t n)
{
	glob_t g;
	int rc = -1;
	if (glob("/usr/lib/llvm-*/lib/clang/*/lib/linux/" SCUDO_FILE, 0, NULL, &g) == 0 &&
	    g.gl_pathc) {
		snprintf(out, n, "%s", g.gl_pathv[g.gl_pathc - 1]);
		rc = 0;
	}
	globfree(&g);
	return rc;
}

int run_alloc_known(const char *name)
{
	static const char *const own[] = { "glibc", "nano", "nano-rseq", "bump", "scudo" };
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (!strcmp(name, own[i]))
			return 1;
	for (size_t i = 0; i < NSYS; i++)
		if (!strcmp(name, sys[i].name))
			return 1;
	return 0;
}

int run_alloc_resolve(const char *name, struct run_alloc *a, char *err, size_t errlen)
{
	const char *eq = strchr(name, '=');

	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	if (eq) {
		if (eq == name || !exists(eq + 1)) {
			snprintf(err, errlen, "allocator '%s': expected NAME=/path/lib.so with a "
				 "readable library file", name);
			return -1;
		}
		snprintf(a->lib, sizeof(a->lib), "%s", eq + 1);
		return 0;
	}
	if (strcmp(name, "glibc") == 0)
		return 0;
	if (strcmp(name, "nano") == 0 || strcmp(name, "nano-rseq") == 0) {
		run_alloc_env(name, NULL, 0, a->env, sizeof(a->env));
		if (run_alloc_find_own("libnano_preload.so", "nano", a->lib, sizeof(a->lib)) == 0)
			return 0;
		snprintf(err, errlen, "allocator '%s': libnano_preload.so not found next to "
			 "nanobench (nano/) nor in %s/%s (build it: meson compile)", name, RUN_PREFIX,
			 RUN_LIBDIR);
		return -1;
	}
	if (strcmp(name, "bump") == 0) {
		if (run_alloc_find_own("libnanobench_bump.so", "workloads", a->lib, sizeof(a->lib)) == 0)
			return 0;
		snprintf(err, errlen, "allocator 'bump': libnanobench_bump.so not found next to "
			 "nanobench (workloads/) nor in %s/%s", RUN_PREFIX, RUN_LIBDIR);
		return -1;
	}
	if (strcmp(name, "scudo") == 0) {
		if (find_scudo(a->lib, sizeof(a->lib)) == 0)
			return 0;
		snprintf(err, errlen, "allocator 'scudo': " SCUDO_FILE " not found under "
			 "/usr/lib/llvm-*/lib/clang/*/lib/linux (install the Debian package " SCUDO_PKG ")");
		return -1;
	}
	for (size_t i = 0; i < NSYS; i++) {
		if (strcmp(name, sys[i].name))
			continue;
		if (find_system(sys[i].files, a->lib, sizeof(a->lib)) == 0)
			return 0;
		snprintf(err, errlen, "allocator '%s': %s not found (install the Debian package %s)",
			 name, sys[i].files[0], sys[i].pkg);
		return -1;
	}
	snprintf(err, errlen, "unknown allocator '%s' (expected " RUN_ALLOC_NAMES " or "
		 "NAME=/path/lib.so)", name);
	return -1;
}

/* ------------------------------------------------------------------------
 * Re-execution
 * ---------------------------------------------------------------------- */

static int cleared(const char *var)
{
	/* MALLOC_ covers jemalloc's MALLOC_CONF and glibc's MALLOC_PERTURB_,
	 * MALLOC_ARENA_MAX, MALLOC_CHECK_ ... */
	static const char *const prefixes[] = { "LD_PRELOAD=", "NANO_", "MALLOC_", "MIMALLOC_",
						"TCMALLOC_", "TBB_MALLOC_", "SCUDO_OPTIONS=",
						"GLIBC_TUNABLES=" };
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(var, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

int run_alloc_exec(const struct run_alloc *a, char **argv, int argc, char **extra, int nextra,
		   char *const *cell_env, int ncell_env, char *err, size_t errlen)
{
	static char preload[PATH_MAX + 16], own[sizeof(a->env)];
	size_t nenv = 0, k = 0;
	struct rlimit nocore = { 0, 0 };

	while (environ[nenv])
		nenv++;
	char **env = calloc(nenv + (size_t)ncell_env + 3, sizeof(char *));
	char **args = calloc((size_t)argc + (size_t)nextra + 1, sizeof(char *));
	if (!env || !args) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < nenv; i++)
		if (!cleared(environ[i]))
			env[k++] = environ[i];
	if (a->lib[0]) {
		snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", a->lib);
		env[k++] = preload;
	}
	/* after the clean-up, so an inherited NANO_FRONT cannot undo it */
	if (a->env[0] && !sets(cell_env, ncell_env, a->env)) {
		snprintf(own, sizeof(own), "%s", a->env);
		env[k++] = own;
	}
	for (int i = 0; i < ncell_env; i++)
		env[k++] = cell_env[i];
	for (int i = 0; i < argc; i++)
		args[i] = argv[i];
	for (int i = 0; i < nextra; i++)
		args[argc + i] = extra[i];
	setrlimit(RLIMIT_CORE, &nocore);
	execve("/proc/self/exe", args, env);
	snprintf(err, errlen, "cannot re-execute /proc/self/exe with allocator '%s'", a->name);
	return -1;
}

/* ------------------------------------------------------------------------
 * Detection
 * ---------------------------------------------------------------------- */

/* The real path of the file defining sym ("" when unknown). */
static void file_of(void *sym, char *out, size_t n)
{
	Dl_info info;
	char real[PATH_MAX];
	out[0] = 0;
	if (sym && dladdr(sym, &info) && info.dli_fname)
		snprintf(out, n, "%s", realpath(info.dli_fname, real) ? real : info.dli_fname);
}

/* TBB and Scudo do not report a version: TBB's is in the file name of
 * libtbbmalloc (libtbbmalloc.so.2.8 for oneTBB 2021.8), Scudo's is that of
 * the compiler-rt it came with (.../lib/clang/14.0.6/lib/linux/...). */
static void version_from_file(void *sym, const char *what, char *out, size_t n)
{
	char path[PATH_MAX];
	const char *base, *clang;
	file_of(sym, path, sizeof(path));
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!strcmp(what, "scudo") && (clang = strstr(path, "/clang/")))
		snprintf(out, n, "scudo standalone (compiler-rt %.*s)",
			 (int)strcspn(clang + 7, "/"), clang + 7);
	else
		snprintf(out, n, "%s (%s)", what, base[0] ? base : "unknown file");
}

static void version_of(char *out, size_t n)
{
	struct wl_nano_info nano;
	void *f;
	out[0] = 0;
	if ((f = dlsym(RTLD_DEFAULT, "mallctl"))) {
		const char *v = NULL;
		size_t len = sizeof(v);
		int (*mallctl)(const char *, void *, size_t *, void *, size_t) = f;
		if (mallctl("version", &v, &len, NULL, 0) == 0 && v)
			snprintf(out, n, "jemalloc %s", v);
	} else if ((f = dlsym(RTLD_DEFAULT, "mi_version"))) {
		int v = ((int (*)(void))f)();
		snprintf(out, n, "mimalloc %d.%d.%d", v / 100, (v / 10) % 10, v % 10);
	} else if ((f = dlsym(RTLD_DEFAULT, "tc_version"))) {
		int ma = 0, mi = 0;
		const char *patch = NULL;
		const char *s = ((const char *(*)(int *, int *, const char **))f)(&ma, &mi, &patch);
		snprintf(out, n, "%s", s ? s : "gperftools");
	} else if ((f = dlsym(RTLD_DEFAULT, "scalable_malloc"))) {
		version_from_file(f, "tbbmalloc", out, n);
	} else if ((f = dlsym(RTLD_DEFAULT, "__scudo_print_stats"))) {
		version_from_file(f, "scudo", out, n);
	} else if (wl_nano_settings(&nano) == 0) {
		snprintf(out, n, strcmp(nano.front, "rseq") ? "nano v1" : "nano v1 + rseq front");
	}
}

void run_alloc_detect(char *path, size_t pathlen, char *version, size_t verlen)
{
	Dl_info info;
	void *m = dlsym(RTLD_DEFAULT, "malloc");
	path[0] = 0;
	if (m && dladdr(m, &info) && info.dli_fname) {
		char real[PATH_MAX];
		snprintf(path, pathlen, "%s", realpath(info.dli_fname, real) ? real : info.dli_fname);
	}
	version_of(version, verlen);
	if (!version[0] && strstr(path, "/libc.so"))
		snprintf(version, verlen, "glibc %s", gnu_get_libc_version());
}

int run_alloc_matches(const char *expected_lib, const char *detected)
{
	char real[PATH_MAX];
	if (!expected_lib[0]) {
		const char *base = strrchr(detected, '/');
		return strcmp(base ? base + 1 : detected, "libc.so.6") == 0;
	}
	if (!realpath(expected_lib, real))
		return 0;
	return strcmp(real, detected) == 0;
}

int run_alloc_verify(const char *name, char *msg, size_t msglen)
{
	struct wl_nano_info nano;
	if (!name || strcmp(name, "nano-rseq"))
		return 0;
	if (wl_nano_settings(&nano) == 0 && strcmp(nano.front, "rseq") == 0)
		return 0;
	snprintf(msg, msglen, "nano-rseq: the rseq front is not in effect (%.260s)",
		 !nano.present ? "libnano's nano_get_settings is not loaded" :
		 nano.front_reason[0] ? nano.front_reason :
		 nano.front[0] ? "libnano runs the v1 front and gives no reason" :
		 "this libnano reports no front: built before the rseq front?");
	return -1;
}
