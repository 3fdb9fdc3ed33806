/*
 * run_auto.c - the stopping rule of repetitions = auto (see run_auto.h).
 */
#include "run_auto.h"

#include "res_blocks.h"
#include "res_blockstats.h"
#include "res_cols.h"
#include "res_csv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int run_auto_converged(const char *dir, unsigned block, unsigned below)
{
	struct res_table t, view;
	struct res_blocks bs;
	struct res_block_stats st;
	char path[4096], err[512];
	int ok = 0;

	snprintf(path, sizeof(path), "%s/results.csv", dir);
	if (res_table_load(path, &t, err, sizeof(err)))
		return 0;
	/* a view of the block's rows of the rounds so far */
	view = t;
	view.rows = malloc((t.nrows + 1) * sizeof(*view.rows));
	view.nrows = 0;
	for (size_t r = 0; view.rows && r < t.nrows; r++) {
		double b, rep;
		if (res_getd(&t, r, RES_COL(block), &b) == 0 && res_getd(&t, r, RES_COL(rep), &rep) == 0 &&
		    b == block && rep < below)
			view.rows[view.nrows++] = t.rows[r];
	}
	if (view.rows && res_blocks_build(&view, &bs, err, sizeof(err)) == 0) {
		/* one block: the rows share workload, dist, threads, placement */
		if (bs.n == 1) {
			res_block_stats(&bs.b[0], &st);
			ok = res_block_converged(&st, RUN_AUTO_HALFWIDTH);
		}
		res_blocks_free(&bs);
	}
	free(view.rows);
	res_table_free(&t);
	return ok;
}
