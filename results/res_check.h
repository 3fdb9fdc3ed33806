/*
 * res_check.h - are the rows of a results table fit to be summarised,
 * compared and plotted?
 *
 * Owns: the checks every reader of results.csv makes before it trusts a
 * number (summary, compare, plot, merge): the identity of a row (wl_label,
 * alloc_label, a known cell_status, a cell_key seen once), and the numbers
 * the readers use (threads a whole number from 1, the measured quantities
 * finite and not negative, a program's metric finite, an ok row without a
 * metric with a speed above 0). A row
 * the runner wrote always passes; a hand-edited or damaged one is named by
 * file and line instead of turning into a huge ratio, a "nan x A" or an
 * extra repetition.
 */
#ifndef RES_CHECK_H
#define RES_CHECK_H

#include <stddef.h>

#include "res_csv.h"

/* Row r alone. 0, or -1 with what is wrong in why (no file or line). */
int res_row_check(const struct res_table *t, size_t r, char *why, size_t len);

/* Every row, and no cell_key twice. 0, or -1 with "FILE:LINE: ..." in err
 * for the first problem. */
int res_table_check(const struct res_table *t, char *err, size_t errlen);

/* The first row (by file order) whose cell_key an earlier row has, or -1;
 * *first is that earlier row. Rows flagged in skip (may be NULL) are left
 * out. */
long res_dup_key(const struct res_table *t, const unsigned char *skip, size_t *first);

#endif
