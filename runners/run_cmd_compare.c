/*
 * run_cmd_compare.c - `nanobench compare DIR_A DIR_B`: is B faster, slower or the
 * same as A, cell by cell, beyond the noise? (results/res_compare.h does the
 * statistics; this is the command line.)
 */
#include "run_args.h"
#include "run_cmds.h"
#include "run_util.h"

#include "plot.h"
#include "res_compare.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fputs("usage: nanobench compare DIR_A DIR_B [--out DIR] [--relative NAME]\n"
	      "\n"
	      "For every comparison block and allocator present in both run folders:\n"
	      "B / A as the Hodges-Lehmann estimate of the ratio of speeds (a time is\n"
	      "inverted: above 1 is faster) with its 95% interval [lo, hi], and a verdict\n"
	      "from the exact rank-sum test, Benjamini-Hochberg within each block at 2%:\n"
	      "faster, slower, same (within noise), or undecided when a side has fewer\n"
	      "than 6 repetitions. An unstable side (CV > 5% or max/min > 1.25) is noted.\n"
	      "--out DIR also writes DIR/compare.csv and DIR/compare.json (the schema\n"
	      "version, A, B; docs/results.md) and draws it as DIR/compare.png and .svg\n"
	      "(gnuplot; its script DIR/compare.gp, its data DIR/compare.tsv): B / A per\n"
	      "block and allocator on a log axis centred on 1, with the intervals and the\n"
	      "verdicts.\n"
	      "--relative NAME compares each repetition's speed over allocator NAME's in\n"
	      "the same round instead (a drift of the machine between the runs cancels:\n"
	      "use it for reruns of one build, e.g. --relative glibc).\n"
	      "\n"
	      "Every row is checked first: a line that is not a row, a number that is not\n"
	      "finite or is negative (nan, -1e308, banana), an unknown cell_status or a\n"
	      "cell_key seen twice is refused with FILE:LINE (exit status 2).\n", f);
}

/* DIR/compare.png and .svg from DIR/compare.csv. The table is the result:
 * a picture that cannot be drawn (no gnuplot) is said in one line and does
 * not change the exit status, as for the plots of `matrix`. */
static void draw(const char *csv, const char *out)
{
	char tpl[4096], base[4200], err[1024];
	snprintf(base, sizeof(base), "%s/compare", out);
	if (run_data_dir("plots", "plots/templates", tpl, sizeof(tpl)))
		fprintf(stderr, "nanobench compare: no picture: cannot find the gnuplot templates (set "
			"NANOBENCH_DATA, or reinstall nanobench)\n");
	else if (plot_compare(csv, tpl, base, err, sizeof(err)))
		fprintf(stderr, "nanobench compare: no picture: %s\n", err);
	else
		fprintf(stderr, "nanobench compare: drew %s.png and %s.svg\n", base, base);
}

int run_cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' }, { "relative", required_argument, NULL, 'r' },
		RUN_ARGS_HELP_AND_END,
	};
	const char *out = NULL, *relative = NULL;
	struct run_args a;
	struct res_cmp c;
	char err[1024], path[4096], json[4200], **dirs;
	int ch;

	run_args_begin(&a, "compare", argc - 1, argv + 1, opts);
	while ((ch = run_args_next(&a)) != -1) {
		switch (ch) {
		case 'o': out = a.val; break;
		case 'r': relative = a.val; break;
		case RUN_ARG_HELP: usage(stdout); return 0;
		default: return run_args_fail("compare", "%s", a.err);
		}
	}
	int nd = run_args_rest(&a, &dirs);
	if (nd > 2)
		return run_args_fail("compare", "unexpected argument '%s' (expected two run folders)",
				     dirs[2]);
	if (nd != 2)
		return run_args_fail("compare", "name two run folders (nanobench compare DIR_A DIR_B)");
	if (relative && !*relative)
		return run_args_fail("compare", "--relative needs an allocator name (e.g. glibc)");
	if (res_compare_dirs(dirs[0], dirs[1], relative, &c, err, sizeof(err)))
		return run_args_fail("compare", "%s", err);
	if (!c.n) {
		if (relative)
			fprintf(stderr, "nanobench compare: %s and %s have no successful cell in common "
				"with a successful %s in its round\n", dirs[0], dirs[1], relative);
		else
			fprintf(stderr, "nanobench compare: %s and %s have no successful cell in common\n",
				dirs[0], dirs[1]);
		res_compare_free(&c);
		return 2;
	}
	res_compare_print(&c, dirs[0], dirs[1], stdout);
	if (out) {
		snprintf(path, sizeof(path), "%s/compare.csv", out);
		snprintf(json, sizeof(json), "%s/compare.json", out);
		int bad = run_mkdirs(out) || res_compare_write_csv(&c, path);
		if (bad || res_compare_write_json(&c, dirs[0], dirs[1], json)) {
			fprintf(stderr, "nanobench compare: cannot write %s\n", bad ? path : json);
			res_compare_free(&c);
			return 2;
		}
		fprintf(stderr, "nanobench compare: wrote %s\n", path);
		draw(path, out);
	}
	res_compare_free(&c);
	return 0;
}
