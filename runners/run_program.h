/*
 * run_program.h - what the matrix needs to know about an external benchmark
 * program ([program NAME] sections) beyond running it: its own figure, and
 * whether it is there at all.
 *
 * Owns: the `metric` key, an extended regular expression whose first
 * capture group is the number the program prints (a throughput, or a time
 * when higher_is_better = 0), looked for in the program's stdout and then
 * its stderr, first match wins; and the `requires` key, a file that must be
 * an executable for the program's cells to run ($NAME and ${NAME} are
 * replaced by the environment's values), so a preset of programs that are
 * built outside nanobench (the `reference` preset) skips a missing one with
 * one line instead of failing its cells.
 */
#ifndef RUN_PROGRAM_H
#define RUN_PROGRAM_H

#include <stddef.h>

/* Is re an extended regular expression with at least one capture group?
 * 0, or -1 with what is wrong in msg. */
int run_metric_check(const char *re, char *msg, size_t len);

/* The first capture group of the first match of re in the file out_path,
 * else in err_path (either may be NULL), as a number. 0 with *value and the
 * text matched in text; -1 with why in text. */
int run_metric_find(const char *re, const char *out_path, const char *err_path, double *value,
		    char *text, size_t len);

/* Expand $NAME / ${NAME} in a `requires` path and check it is an
 * executable file. 0 with the path in path; -1 with one line saying what is
 * missing (an unset variable, a missing or non-executable file) in why. */
int run_program_present(const char *requires, char *path, size_t plen, char *why, size_t wlen);

#endif
