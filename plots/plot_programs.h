/*
 * plot_programs.h - the data of the two program pictures of a run folder
 * (results/res_programs.h has the numbers): each program's time, or peak
 * RSS, relative to glibc, one bar per allocator, and a last group with the
 * geometric mean over the programs. Drawn with templates/programs.gp.
 */
#ifndef PLOT_PROGRAMS_H
#define PLOT_PROGRAMS_H

#include "plot_data.h"

enum plot_prog {
	PLOT_PROG_TIME,        /* time relative to glibc */
	PLOT_PROG_RSS,         /* peak RSS relative to glibc */
};

/* Write the bars of DIR's programs into path, with the variables
 * programs.gp reads (datafile, series s_, ngroups, groups, empty_groups,
 * threads_note, the log axis). Returns the series written (0: no program
 * with glibc cells, nothing to draw), or -1 with err. */
int plot_data_programs(const char *dir, enum plot_prog kind, const char *path, struct plot_vars *v,
		       char *err, size_t errlen);

#endif
