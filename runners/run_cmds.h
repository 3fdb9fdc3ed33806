/*
 * run_cmds.h - the subcommands of nanobench, one function each.
 *
 * Each lives in its own file, runners/run_cmd_NAME.c, takes main's whole
 * argv (argv[1] is its own name), reads its options with run_args.h, and
 * returns the exit status (docs/design.md, "Contracts": 0 success, 1 some
 * cells failed, 2 bad usage or input, 3 a run folder that could not be
 * written).
 */
#ifndef RUN_CMDS_H
#define RUN_CMDS_H

int run_cmd_run(int argc, char **argv);
int run_cmd_topo(int argc, char **argv);
int run_cmd_matrix(int argc, char **argv);
int run_cmd_plot(int argc, char **argv);
int run_cmd_tune(int argc, char **argv);
int run_cmd_compare(int argc, char **argv);
int run_cmd_merge(int argc, char **argv);

/* The plot stage at the end of a matrix run: pictures into DIR/plots/ and
 * summary.md. Says on stderr ("WHO: plots: ...") when it cannot; returns
 * 0, RUN_PLOTS_DISK when the disk refused them or cannot be written now
 * (the run folder is then incomplete), or -1 for any other failure (the
 * cells' exit status does not depend on it: gnuplot missing, say). */
#define RUN_PLOTS_DISK (-2)
int run_plot_stage(const char *dir, const char *who);

/* nano's fingerprint of a loaded machine (what `topo` prints and profiles
 * carry: the CPU numbers, their cores and sibling ranks, allowed or not), as
 * 16 hex digits; "" when nano cannot map the machine. For meta.json. */
struct wl_topo;
void run_topo_fingerprint(const struct wl_topo *topo, char *buf, unsigned long len);

/* One line on stderr, "nanobench: MESSAGE", and exit status 2. */
int run_usage_error(const char *msg);

#endif
