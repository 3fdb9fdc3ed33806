/*
 * plot_programs.c - data of the program pictures (see plot_programs.h).
 *
 * One row per program of the run that has ok glibc cells, in the order of
 * results.csv, then the row "geometric mean"; one column per allocator other than
 * glibc (glibc is the dashed rule at 1). A failed program is NaN: its bar
 * is missing, never a zero.
 */
#include "plot_programs.h"

#include "res_programs.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void put(FILE *f, double x)
{
	if (isfinite(x))
		fprintf(f, "\t%.10g", x);
	else
		fputs("\tNaN", f);
}

int plot_data_programs(const char *dir, enum plot_prog kind, const char *path, struct plot_vars *v,
		       char *err, size_t errlen)
{
	static struct res_programs p;
	struct res_table t;
	struct res_blocks bs;
	const char *names[RES_PROG_VARS], *groups[RES_PROG_MAX + 1];
	char empty[16 * RES_PROG_MAX] = "";
	FILE *f;

	if (res_blocks_load(dir, &t, &bs, err, errlen))
		return -1;
	res_programs_build(&bs, &p);
	res_blocks_free(&bs);
	res_table_free(&t);
	if (!p.nprog || !p.nvar)
		return 0;
	if (!(f = fopen(path, "w"))) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	double (*col)[RES_PROG_VARS] = kind == PLOT_PROG_TIME ? p.time : p.rss;
	const double *geo = kind == PLOT_PROG_TIME ? p.time_geo : p.rss_geo;
	size_t keep[RES_PROG_VARS], nkeep = 0;
	double far = 1.1;
	/* allocators with a value somewhere (one that failed every program
	 * would be a series without a single bar) */
	for (size_t j = 0; j < p.nvar; j++)
		if (isfinite(geo[j])) {
			keep[nkeep] = j;
			names[nkeep++] = p.var[j];
		}
	fprintf(f, "# %s relative to glibc's (median over median), per program, then the geometric "
		"mean\n# workload\tthreads", kind == PLOT_PROG_TIME ? "time" : "peak RSS");
	for (size_t i = 0; i < nkeep; i++)
		fprintf(f, "\t%s", names[i]);
	fputc('\n', f);
	for (size_t k = 0; k <= p.nprog; k++) {
		int any = 0;
		fprintf(f, "%s\t1", k < p.nprog ? p.prog[k] : "geometric mean");
		for (size_t i = 0; i < nkeep; i++) {
			double x = k < p.nprog ? col[k][keep[i]] : geo[keep[i]];
			put(f, x);
			if (isfinite(x) && x > 0) {
				any = 1;
				far = fmax(far, fmax(x, 1 / x));
			}
		}
		fputc('\n', f);
		groups[k] = k < p.nprog ? p.prog[k] : "geometric mean";
		if (!any)
			snprintf(empty + strlen(empty), sizeof(empty) - strlen(empty), "%s%zu",
				 empty[0] ? " " : "", k);
	}
	if (fclose(f) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	plot_vars_path(v, "datafile", path);
	plot_vars_series(v, "s_", names, NULL, nkeep);
	plot_vars_add(v, "ngroups", "%zu", p.nprog + 1);
	plot_vars_words(v, "groups", groups, p.nprog + 1);
	plot_vars_add(v, "empty_groups", "%s", empty);
	plot_vars_add(v, "threads_note", "(lower is better)");
	/* room for the labels past the longest bar, as the ratio bars do */
	plot_vars_ratio_axis(v, far * 1.1, 1 / 0.75);
	return (int)nkeep;
}
