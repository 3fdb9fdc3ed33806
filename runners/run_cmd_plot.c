/*
 * run_cmd_plot.c - `nanobench plot DIR`, and the plot stage at the end of
 * `nanobench matrix`.
 *
 * Both find the gnuplot templates with run_data_dir ($NANOBENCH_DATA/plots,
 * the installed share/nanobench/plots, or plots/templates of the source
 * tree for a binary in its build folder) and hand the folder to
 * plot_run_folder (plots/plot.h), which draws everything or changes
 * nothing. Errors are one line, "nanobench plot: ...", exit status 2.
 */
#include "run_args.h"
#include "run_cmds.h"
#include "run_util.h"

#include "plot.h"
#include "res_meta.h"

#include <stdio.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nanobench plot DIR\n\n"
		"Draw the plots of run folder DIR (made by nanobench matrix, or merged by\n"
		"nanobench merge) from DIR/results.csv: PNG and SVG under DIR/plots/, the data\n"
		"gnuplot read under DIR/plots/data/, and a \"## Plots\" section at the end of\n"
		"DIR/summary.md, replacing an earlier one. nanobench matrix does this itself at\n"
		"the end of a run; use this to redraw. Needs gnuplot (Debian: gnuplot-nox).\n"
		"Templates: $NANOBENCH_DATA/plots, else the installed or source-tree ones.\n\n"
		"exit status: 0 drawn, 2 bad usage or input, or the pictures could not be\n"
		"written (a full disk): either way nothing in DIR is changed\n");
}

static int templates(char *buf, size_t len, char *err, size_t errlen)
{
	if (run_data_dir("plots", "plots/templates", buf, len) == 0)
		return 0;
	snprintf(err, errlen, "cannot find the gnuplot templates (set NANOBENCH_DATA to the folder "
		 "holding plots/, or reinstall nanobench)");
	return -1;
}

int run_plot_stage(const char *dir, const char *who)
{
	char tpl[4096], err[1024];
	int rc = templates(tpl, sizeof(tpl), err, sizeof(err));
	if (rc == 0 && (rc = plot_run_folder(dir, tpl, err, sizeof(err))) == 0)
		return 0;
	fprintf(stderr, "%s: plots: %s\n", who, err);
	/* a failure the plot stage did not blame on the disk (templates not
	 * found, say) on a disk that proves full now is the disk's too */
	if (rc != PLOT_EDISK && res_dir_probe(dir, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: plots: %s\n", who, err);
		rc = PLOT_EDISK;
	}
	return rc == PLOT_EDISK ? RUN_PLOTS_DISK : -1;
}

int run_cmd_plot(int argc, char **argv)
{
	static const struct option opts[] = { RUN_ARGS_HELP_AND_END };
	char tpl[4096], err[1024], **dirs;
	struct run_args a;
	int ch;

	run_args_begin(&a, "plot", argc - 1, argv + 1, opts);
	while ((ch = run_args_next(&a)) != -1) {
		if (ch != RUN_ARG_HELP)
			return run_args_fail("plot", "%s", a.err);
		usage(stdout);
		return 0;
	}
	int nd = run_args_rest(&a, &dirs);
	if (nd > 1)
		return run_args_fail("plot", "one run folder expected, got '%s' and '%s'", dirs[0],
				     dirs[1]);
	if (nd == 0)
		return run_args_fail("plot", "which run folder? (usage: nanobench plot DIR)");
	const char *dir = dirs[0];
	if (templates(tpl, sizeof(tpl), err, sizeof(err)) ||
	    plot_run_folder(dir, tpl, err, sizeof(err)))
		return run_args_fail("plot", "%s", err);
	printf("nanobench plot: pictures in %s/plots, shown in %s/summary.md\n", dir, dir);
	return 0;
}
