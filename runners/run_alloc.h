/*
 * run_alloc.h - choosing the allocator of a cell.
 *
 * Owns: turning an allocator name into a library file, re-executing
 * nanobench with that library preloaded in a clean environment, and, in the
 * re-executed child, checking which library really answers malloc.
 *
 * Names: those of results/res_allocs.h, the one list: glibc (no preload),
 * nano, nano-rseq, bump (built with nanobench), jemalloc, mimalloc, tcmalloc
 * (gperftools), tbb (oneTBB's scalable allocator through its proxy
 * library), scudo (LLVM's standalone Scudo) from Debian's packages; or
 * NAME=/path/lib.so.
 * nano-rseq is nano's library with NANO_FRONT=rseq: an allocator can carry
 * one environment setting of its own, which the child gets after the clean
 * up and which the child then checks took effect (run_alloc_verify).
 */
#ifndef RUN_ALLOC_H
#define RUN_ALLOC_H

#include <limits.h>
#include <stddef.h>

struct run_alloc {
	char name[128];
	char lib[PATH_MAX];         /* library to preload; empty for glibc */
	char env[64];               /* VAR=VALUE the allocator itself needs
				     * (nano-rseq: NANO_FRONT=rseq), or "" */
};

/* Whether NAME is one of res_allocs.h's (not NAME=/path, not a matrix
 * variant). */
int run_alloc_known(const char *name);

/* Whether kv is VAR=VALUE with VAR a variable name ([A-Za-z_][A-Za-z0-9_]*),
 * as --setenv and an [allocator]'s env take them. */
int run_env_ok(const char *kv);

/* Find the library. Returns 0, or -1 with a one-line message (unknown name,
 * library not installed: names the Debian package). */
int run_alloc_resolve(const char *name, struct run_alloc *a, char *err, size_t errlen);

/* A library built with nanobench (file, e.g. "libnano_preload.so"): next to
 * the executable in subdir (the build tree), then where an installed
 * nanobench keeps its libraries. 0 with its real path, or -1. */
int run_alloc_find_own(const char *file, const char *subdir, char *out, size_t n);

/* The setting allocator NAME carries of its own (what resolve puts in
 * a->env): "NANO_FRONT=rseq" for nano-rseq, "" for the others, and "" when
 * the cell's own settings (cell_env) give that variable: theirs wins. For
 * the record, and for cells set up without run_alloc_exec (programs). */
void run_alloc_env(const char *name, char *const *cell_env, int ncell_env, char *out, size_t n);

/* Re-execute /proc/self/exe with argv + extra arguments, LD_PRELOAD=a->lib,
 * and the environment cleaned of LD_PRELOAD, NANO_*, MALLOC_* (MALLOC_CONF,
 * MALLOC_PERTURB_, ...), MIMALLOC_*,
 * TCMALLOC_*, GLIBC_TUNABLES, then a->env (unless the cell sets that
 * variable itself) and the cell's own VAR=VALUE settings added.
 * Core dumps are turned off. Returns only on failure (-1, message). */
int run_alloc_exec(const struct run_alloc *a, char **argv, int argc, char **extra, int nextra,
		   char *const *cell_env, int ncell_env, char *err, size_t errlen);

/* The library answering malloc now (dladdr), its version when it tells, and
 * whether it is the one expected (lib empty: glibc's libc.so.6). */
void run_alloc_detect(char *path, size_t pathlen, char *version, size_t verlen);
int run_alloc_matches(const char *expected_lib, const char *detected_path);

/* In the child, after run_alloc_matches: whether what the allocator NAME
 * asks for beyond its library took effect. nano-rseq: libnano must report
 * the rseq front in effect. Returns 0, or -1 with a one-line reason (the
 * cell then fails, like a preload that did not take effect). */
int run_alloc_verify(const char *name, char *msg, size_t msglen);

#endif
