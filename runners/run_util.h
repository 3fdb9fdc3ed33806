/*
 * run_util.h - small things the subcommands share: where nanobench itself
 * and its data live, run-folder names, shell quoting.
 */
#ifndef RUN_UTIL_H
#define RUN_UTIL_H

#include <stddef.h>

/* The running executable's path (/proc/self/exe). */
void run_self_exe(char *buf, size_t len);

/* A data folder of nanobench: $NANOBENCH_DATA/NAME, then the installed
 * <exe>/../share/nanobench/NAME, then (a binary in its build tree) the
 * source tree's SRC_REL (e.g. "runners/matrices"). Returns 0 with the path,
 * or -1. */
int run_data_dir(const char *name, const char *src_rel, char *buf, size_t len);

/* Preset NAME -> matrices/NAME.ini. 0 or -1. */
int run_find_preset(const char *name, char *buf, size_t len);
/* "quick, default, ..." for messages. */
const char *run_preset_names(void);

/* results/runs/<date>-<host>-<name> */
void run_default_dir(const char *name, char *buf, size_t len);

/* mkdir -p. 0 or -1 (errno). */
int run_mkdirs(const char *path);

/* Append s to buf, single-quoted for /bin/sh when it needs quoting. */
void run_shell_quote(char *buf, size_t cap, const char *s);

/* Copy a file's bytes. 0 or -1. */
int run_copy_file(const char *from, const char *to);

/* FNV-1a of a file's bytes, as 16 hex digits; "" when unreadable. */
void run_file_hash(const char *path, char *hex, size_t len);

#endif
