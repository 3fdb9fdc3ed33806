/*
 * run_alloc.h - choosing the allocator of a cell.
 *
 * Owns: turning an allocator name into a library file, re-executing
 * nanobench with that library preloaded in a clean environment, and, in the
 * re-executed child, checking which library really answers malloc.
 *
 * Names: glibc (no preload), nano, bump (built with nanobench), jemalloc,
 * mimalloc, tcmalloc (Debian's packages), or NAME=/path/lib.so.
 */
#ifndef RUN_ALLOC_H
#define RUN_ALLOC_H

#include <limits.h>
#include <stddef.h>

struct run_alloc {
	char name[128];
	char lib[PATH_MAX];         /* library to preload; empty for glibc */
};

/* Find the library. Returns 0, or -1 with a one-line message (unknown name,
 * library not installed: names the Debian package). */
int run_alloc_resolve(const char *name, struct run_alloc *a, char *err, size_t errlen);

/* Re-execute /proc/self/exe with argv + extra arguments, LD_PRELOAD=a->lib,
 * and the environment cleaned of LD_PRELOAD, NANO_*, MALLOC_* (MALLOC_CONF,
 * MALLOC_PERTURB_, ...), MIMALLOC_*,
 * TCMALLOC_*, GLIBC_TUNABLES, then the cell's own VAR=VALUE settings added.
 * Core dumps are turned off. Returns only on failure (-1, message). */
int run_alloc_exec(const struct run_alloc *a, char **argv, int argc, char **extra, int nextra,
		   char *const *cell_env, int ncell_env, char *err, size_t errlen);

/* The library answering malloc now (dladdr), its version when it tells, and
 * whether it is the one expected (lib empty: glibc's libc.so.6). */
void run_alloc_detect(char *path, size_t pathlen, char *version, size_t verlen);
int run_alloc_matches(const char *expected_lib, const char *detected_path);

#endif
