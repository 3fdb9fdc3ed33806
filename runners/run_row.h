/*
 * run_row.h - one row of a run folder's results.csv.
 *
 * Owns: the matrix's own columns (where the row sits in the matrix, how the
 * cell ended, the command that reruns it, a program's own figure) and how they are joined to the
 * record columns of `nanobench run` (run_record.h, the one table of those).
 * A cell without a record (crash, timeout, external program) still gets a
 * full row: what is known is filled by column name, the rest left empty.
 */
#ifndef RUN_ROW_H
#define RUN_ROW_H

#include <stddef.h>

#include "run_matrix.h"

/* The full header line (matrix columns, then the record's). */
void run_row_header(char *buf, size_t len);

/* Values known without a record, by record column name. */
struct run_row_known {
	const char *name;
	char value[256];
};

/* A [program] cell's own figure (run_program.h): the number as printed,
 * its unit and direction. */
struct run_row_metric {
	char value[64];
	const char *unit;
	int higher_is_better;
};

/* Format the row of a finished cell. record_csv is what the child wrote
 * ("header\nrow\n"), or NULL; known fills record columns when there is no
 * record (or overrides nothing when there is). status and reason describe
 * the cell; metric, when not NULL, fills metric, metric_unit and
 * higher_is_better (empty otherwise: workload cells, failed programs).
 * Returns 0, or -1 when the record's header is not ours (a
 * different nanobench wrote it). */
int run_row_format(char *buf, size_t len, const char *matrix, const char *host,
		   const struct run_cell *c, const char *status, const char *reason,
		   double cell_wall_s, const char *command, const struct run_row_metric *metric,
		   const char *record_csv, const struct run_row_known *known, size_t nknown);

/* The shell command that reruns a cell by itself (argv joined, quoted). */
void run_row_command(char *buf, size_t len, char *const argv[]);

#endif
