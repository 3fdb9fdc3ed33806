/*
 * run_alloc.c - allocator selection, re-execution, detection (run_alloc.h).
 *
 * The allocators known by name are res_allocs.h's list; the table `how`,
 * indexed by their ids, says where each one's library comes from.
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

#include "res_allocs.h"

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

/* A system library under one of several file names: first in
 * $NANOBENCH_ALLOC_DIR (copies carried to a machine without the packages,
 * under the packages' file names, so that a label still names its
 * allocator), then in the system's library folders. */
static int find_system(const char *const *files, char *out, size_t n)
{
	const char *own = getenv("NANOBENCH_ALLOC_DIR");
	const char *const dirs[] = {
		own, "/usr/lib/" RUN_MULTIARCH, "/lib/" RUN_MULTIARCH, "/usr/lib64", "/usr/lib",
		"/usr/local/lib",
	};
	for (size_t d = own && *own ? 0 : 1; d < sizeof(dirs) / sizeof(dirs[0]); d++)
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

static const char *const je[] = { "libjemalloc.so.2", NULL };
static const char *const mi[] = { "libmimalloc.so.2", "libmimalloc.so.2.0", "libmimalloc.so.2.1",
				  NULL };
static const char *const tc[] = { "libtcmalloc.so.4", NULL };
static const char *const tbb[] = { "libtbbmalloc_proxy.so.2", NULL };
static const char *const nano[] = { "libnano_preload.so", NULL };
static const char *const bump[] = { "libnanobench_bump.so", NULL };

#if defined(__x86_64__)
#define SCUDO_FILE "libclang_rt.scudo_standalone-x86_64.so"
#elif defined(__aarch64__)
#define SCUDO_FILE "libclang_rt.scudo_standalone-aarch64.so"
#else
#define SCUDO_FILE "libclang_rt.scudo_standalone.so"
#endif
static const char *const scudo[] = { SCUDO_FILE, NULL };

/* Where each allocator of res_allocs.h comes from, by its id. */
enum source {
	FROM_LIBC = 1,      /* glibc: no preload */
	FROM_BUILD,         /* built with nanobench, in subdir of the build tree */
	FROM_DEBIAN,        /* a Debian package's library, in the library folders */
	FROM_LLVM,          /* compiler-rt's, in clang's versioned resource folder */
};

static const struct how {
	enum source from;
	const char *const *files;   /* the file names it may have */
	const char *where;          /* FROM_BUILD: subdir; otherwise its package */
	const char *env;            /* the setting it carries of its own, or NULL */
} how[RES_NALLOCS] = {
	[RES_ALLOC_GLIBC] = { FROM_LIBC, NULL, NULL, NULL },
	[RES_ALLOC_NANO] = { FROM_BUILD, nano, "nano", NULL },
	/* nano's library, with the per-CPU front asked for */
	[RES_ALLOC_NANO_RSEQ] = { FROM_BUILD, nano, "nano", "NANO_FRONT=rseq" },
	[RES_ALLOC_JEMALLOC] = { FROM_DEBIAN, je, "libjemalloc2", NULL },
	[RES_ALLOC_MIMALLOC] = { FROM_DEBIAN, mi, "libmimalloc2.0", NULL },
	[RES_ALLOC_TCMALLOC] = { FROM_DEBIAN, tc, "libgoogle-perftools4", NULL },
	[RES_ALLOC_TBB] = { FROM_DEBIAN, tbb, "libtbbmalloc2", NULL },
	[RES_ALLOC_SCUDO] = { FROM_LLVM, scudo, "libclang-rt-14-dev (or another libclang-rt-N-dev)",
			      NULL },
	[RES_ALLOC_BUMP] = { FROM_BUILD, bump, "workloads", NULL },
};

static const struct how *how_of(const char *name)
{
	int id = name ? res_alloc_find(name, strlen(name)) : -1;
	return id >= 0 && how[id].from ? &how[id] : NULL;
}

void run_alloc_env(const char *name, char *const *cell_env, int ncell_env, char *out, size_t n)
{
	const struct how *h = how_of(name);
	const char *own = h && h->env ? h->env : "";
	snprintf(out, n, "%s", own[0] && !sets(cell_env, ncell_env, own) ? own : "");
}

/* Scudo: the last match in glob's sorted order, so the newest LLVM of the
 * ones installed side by side (llvm-14 before llvm-15 ...). */
static int find_llvm(const char *file, char *out, size_t n)
{
	char pattern[256];
	glob_t g;
	int rc = -1;
	snprintf(pattern, sizeof(pattern), "/usr/lib/llvm-*/lib/clang/*/lib/linux/%s", file);
	if (glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc) {
		snprintf(out, n, "%s", g.gl_pathv[g.gl_pathc - 1]);
		rc = 0;
	}
	globfree(&g);
	return rc;
}

int run_alloc_known(const char *name)
{
	return how_of(name) != NULL;
}

/* The library of a known allocator into a->lib. 0, or -1 with a message. */
static int find_known(const char *name, const struct how *h, struct run_alloc *a, char *err,
		      size_t errlen)
{
	switch (h->from) {
	case FROM_LIBC:
		return 0;
	case FROM_BUILD:
		if (run_alloc_find_own(h->files[0], h->where, a->lib, sizeof(a->lib)) == 0)
			return 0;
		snprintf(err, errlen, "allocator '%s': %s not found next to nanobench (%s/) nor in "
			 "%s/%s (build it: meson compile)", name, h->files[0], h->where, RUN_PREFIX,
			 RUN_LIBDIR);
		return -1;
	case FROM_DEBIAN:
		if (find_system(h->files, a->lib, sizeof(a->lib)) == 0)
			return 0;
		snprintf(err, errlen, "allocator '%s': %s not found (install the Debian package %s)",
			 name, h->files[0], h->where);
		return -1;
	case FROM_LLVM:
		if (find_llvm(h->files[0], a->lib, sizeof(a->lib)) == 0)
			return 0;
		snprintf(err, errlen, "allocator '%s': %s not found under "
			 "/usr/lib/llvm-*/lib/clang/*/lib/linux (install the Debian package %s)", name,
			 h->files[0], h->where);
		return -1;
	}
	return -1;
}

int run_env_ok(const char *kv)
{
	size_t n = strcspn(kv, "=");
	return n > 0 && kv[n] == '=' && !(kv[0] >= '0' && kv[0] <= '9') &&
	       strspn(kv, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789") == n;
}

int run_alloc_resolve(const char *name, struct run_alloc *a, char *err, size_t errlen)
{
	const char *eq = strchr(name, '=');
	const struct how *h = how_of(name);
	char names[256];

	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	if (eq) {
		char label[sizeof(a->name)];
		snprintf(label, sizeof(label), "%.*s", (int)(eq - name), name);
		if (run_alloc_known(label)) {
			snprintf(err, errlen, "allocator '%s': '%s' is a built-in allocator, whose label "
				 "must mean it (name the library otherwise)", name, label);
			return -1;
		}
		if (eq == name || !exists(eq + 1)) {
			snprintf(err, errlen, "allocator '%s': expected NAME=/path/lib.so with a "
				 "readable library file", name);
			return -1;
		}
		snprintf(a->lib, sizeof(a->lib), "%s", eq + 1);
		return 0;
	}
	if (h) {
		run_alloc_env(name, NULL, 0, a->env, sizeof(a->env));
		return find_known(name, h, a, err, errlen);
	}
	res_alloc_list(names, sizeof(names), ", ");
	snprintf(err, errlen, "unknown allocator '%s' (expected %s or NAME=/path/lib.so)", name, names);
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
	if (!name || res_alloc_find(name, strlen(name)) != RES_ALLOC_NANO_RSEQ)
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
