/*
 * run_cmds.h - the subcommands of nanobench, one function each.
 *
 * Each takes the arguments after its own name and returns the exit status
 * (DESIGN.md: 0 success, 1 some cells failed, 2 bad usage or input).
 */
#ifndef RUN_CMDS_H
#define RUN_CMDS_H

int run_cmd_run(int argc, char **argv);
int run_cmd_topo(int argc, char **argv);
int run_cmd_matrix(int argc, char **argv);
int run_cmd_compare(int argc, char **argv);
int run_cmd_merge(int argc, char **argv);

/* One line on stderr, "nanobench: MESSAGE", and exit status 2. */
int run_usage_error(const char *msg);

#endif
