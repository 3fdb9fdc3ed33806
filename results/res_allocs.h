/*
 * res_allocs.h - the allocators nanobench knows by name: the one list.
 *
 * Every other table of allocators is indexed by these ids, never by a name
 * written again: runners/run_alloc.c (where each one's library is and
 * which Debian package holds it), plots/plot_style.c (its fixed colour and
 * point shape). Messages, `nanobench run --help` and, through it, the bash
 * completion list the names from here. The order is the legend order of
 * every picture and the order of the lists in messages.
 *
 * An allocator outside the list is still welcome as NAME=/path/lib.so or
 * an [allocator NAME] section of a matrix (docs/extending.md); it gets a
 * colour from a hash of its name.
 */
#ifndef RES_ALLOCS_H
#define RES_ALLOCS_H

#include <stddef.h>

#define RES_ALLOCATORS(X) \
	X(GLIBC, "glibc") X(NANO, "nano") X(NANO_RSEQ, "nano-rseq") X(JEMALLOC, "jemalloc") \
	X(MIMALLOC, "mimalloc") X(TCMALLOC, "tcmalloc") X(TBB, "tbb") X(SCUDO, "scudo") \
	X(BUMP, "bump")

#define RES_ALLOC_ID_(id, name) RES_ALLOC_##id,
enum res_alloc_id {
	RES_ALLOCATORS(RES_ALLOC_ID_)
	RES_NALLOCS
};

extern const char *const res_alloc_names[RES_NALLOCS];

/* The id of the allocator named by the first len characters of name, or
 * -1 (a variant, NAME=/path, anything else). */
int res_alloc_find(const char *name, size_t len);

/* The names joined by sep ("glibc, nano, ..." with ", "), into buf. */
void res_alloc_list(char *buf, size_t len, const char *sep);

#endif
