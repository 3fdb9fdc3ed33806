/*
 * run_args.h - the one way the subcommands read their command lines.
 *
 * Every subcommand describes its options as a getopt_long table and reads
 * them through run_args_next, which adds what each would otherwise repeat:
 * --help and -h, a fresh start of getopt's state on every call (one process
 * parses several command lines: `matrix` checks each workload's parameters
 * with the parser of `run`), and one wording for what getopt_long refuses:
 *
 *   unknown option '--bogus' (see nanobench SUB --help)
 *   option '--out' needs a value
 *   option '--dry-run' takes no value
 *   option '--s' is ambiguous (see nanobench SUB --help)
 *
 * Options take their value as the next argument or after '=' (--out DIR,
 * --out=DIR), and a unique prefix of a long name stands for it (getopt_long).
 * Operands (run folders, a matrix file) may come before, between or after
 * the options; they are what is left in argv[optind..argc-1].
 */
#ifndef RUN_ARGS_H
#define RUN_ARGS_H

#include <getopt.h>
#include <stddef.h>

/* What run_args_next returns for --help or -h. */
#define RUN_ARG_HELP 'h'
/* The last two entries of every table. */
#define RUN_ARGS_HELP_AND_END { "help", no_argument, NULL, RUN_ARG_HELP }, { NULL, 0, NULL, 0 }

struct run_args {
	const char *who;             /* the subcommand, for messages ("matrix") */
	int argc;
	char **argv;                 /* argv[0] is the subcommand's name */
	const struct option *opts;   /* ends with RUN_ARGS_HELP_AND_END */
	char hint[200];              /* after an unknown option: "(see nanobench
	                              * WHO --help)" unless the caller says more */
	const char *val;             /* the value of the option just read */
	const char *opt;             /* that option's long name ("out"; "h" for -h) */
	char err[512];               /* why run_args_next returned '?' */
};

/* Start reading argv[1..argc-1] (argv[0]: the subcommand). */
void run_args_begin(struct run_args *a, const char *who, int argc, char **argv,
		    const struct option *opts);

/* The `val` of the next option, RUN_ARG_HELP, -1 after the last option, or
 * '?' with a one-line message in a->err. */
int run_args_next(struct run_args *a);

/* The operands, once run_args_next returned -1: their count, *rest the
 * first. */
int run_args_rest(const struct run_args *a, char ***rest);

/* "nanobench WHO: MESSAGE" on stderr; returns 2, the exit status of bad
 * usage, so that `return run_args_fail(...)` ends a subcommand. */
int run_args_fail(const char *who, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
