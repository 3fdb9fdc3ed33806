/*
 * run_count.h - the per-process report of a program cell: what the counting
 * libraries write and the runner reads (run_report.c).
 *
 * A [program] cell preloads, ahead of the allocator under test, one of two
 * builds of run_count.c:
 *
 *   libnanobench_count.so   the counting shim: every function of the malloc
 *                           family counts the call and forwards it to the
 *                           next definition of the same name (RTLD_NEXT),
 *                           i.e. to the allocator preloaded behind it
 *                           (jemalloc, mimalloc, tcmalloc, nano, any
 *                           NAME=/path library);
 *   libnanobench_glibc.so   the glibc cell's forwarding library: the same
 *                           counting, forwarding to libc.so.6's own
 *                           definitions (malloc is __libc_malloc), so that a
 *                           program linked against another allocator
 *                           (Debian's redis-server needs libjemalloc.so.2)
 *                           runs on glibc's malloc in the glibc cell.
 *
 * When RUN_COUNT_ENV names a file, each process that loads the library
 * appends one start line when it loads (or is forked) and one end line when
 * it exits (exit, _exit or exec). Lines are single write(2) calls with
 * O_APPEND, so the processes of a cell never interleave inside a line. A
 * line is a keyword and space-separated KEY=VALUE fields; text values are
 * percent-encoded (space %20, percent %25, newline %0A), numbers decimal:
 *
 *   start pid=P ppid=Q t=NS how=load|fork bound=FILE target=FILE exe=FILE
 *       t        CLOCK_MONOTONIC ns at load or fork: with pid, the identity
 *                of this incarnation (an exec starts a new one, same pid)
 *       bound    the file that defines the malloc the process bound:
 *                dladdr(dlsym(RTLD_DEFAULT, "malloc")); the counting library
 *                itself when the preload took effect
 *       target   the file of the malloc the library forwards to: the
 *                allocator under test (libc.so.6 for the glibc build)
 *
 *   end pid=P t=NS t_end=NS how=exit|_exit|exec allocs=A frees=F
 *       reallocs=R bypass=B bypass_small=BS vmhwm_kib=K [nano_front=F
 *       nano_reason=TEXT nano_small=S nano_served=N]
 *       t        the t of the start line this one closes; t_end: now
 *       allocs   malloc, calloc, memalign, posix_memalign, aligned_alloc,
 *                valloc, pvalloc calls; frees: free calls; reallocs:
 *                realloc and reallocarray calls (since load, or since fork)
 *       bypass   calls of glibc's __libc_malloc, __libc_free, ... made by the
 *                program itself (not by the allocator under test): they go
 *                around it; bypass_small: those of 256 bytes or less
 *       vmhwm_kib  the process's peak resident set (/proc/self/status)
 *       nano_*   only when libnano is the allocator: the front in effect
 *                and why rseq is not (nano_get_settings), the small
 *                requests (1..256 bytes) that reached nano and those it
 *                served itself (nano_stats_totals: small_requests and
 *                all.allocs), since load or fork
 *
 * An exec that fails leaves an end line and the process goes on: its later
 * end line (same pid and t) replaces the first.
 */
#ifndef RUN_COUNT_H
#define RUN_COUNT_H

/* The environment variable naming the report file. */
#define RUN_COUNT_ENV "NANOBENCH_ALLOC_REPORT"

/* The two builds' file names (run_report.c finds them like libnano). */
#define RUN_COUNT_LIB "libnanobench_count.so"
#define RUN_COUNT_GLIBC_LIB "libnanobench_glibc.so"

#endif
