/*
 * run_matrix_run.h - running the cells of a matrix into a run folder.
 *
 * Owns: the execution of an expanded matrix (run_matrix.h is the model: what
 * a matrix says and the cells it expands into). Each cell runs in its own
 * process (run_exec.h), its row (run_row.h) is appended to results.csv as it
 * ends, and meta.json, summary.md and the plots are written around them.
 */
#ifndef RUN_MATRIX_RUN_H
#define RUN_MATRIX_RUN_H

#include <stddef.h>

#include "run_matrix.h"

/* The exit status of a run whose folder could not be written (a row,
 * meta.json, summary.md or the plots: a full disk, a failing one). */
#define RUN_EXIT_WRITE 3

/* Run the cells into the run folder dir (run_matrix_run.c). topo is the
 * machine (exported as topology.xml, whole, with its allowed PUs); summary
 * describes it; rv is the
 * machine the cells were expanded for (meta.json records it). Returns
 * the exit status: 0, 1 (some cells failed or interrupted), 2 (refused),
 * RUN_EXIT_WRITE (the folder could not be written; the rows written are
 * kept and --resume continues). */
struct wl_topo;
int run_matrix_execute(const struct run_matrix *m, const char *matrix_path, struct run_cell *cells,
		       size_t n, const struct wl_topo *topo, const char *summary,
		       const struct run_resolved *rv, const char *dir, int resume, long only_block,
		       int quiet);

#endif
