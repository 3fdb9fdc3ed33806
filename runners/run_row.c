/*
 * run_row.c - one row of results.csv (see run_row.h).
 */
#include "run_row.h"
#include "run_record.h"
#include "run_util.h"

#include "res_cols.h"
#include "res_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The matrix's own columns, before the record's (res_cols.h). */
#define MATRIX_COL_(name) RES_COL(name),
static const char *const matrix_cols[] = { RES_MATRIX_COLUMNS(MATRIX_COL_) };
#undef MATRIX_COL_
#define NMATRIX (sizeof(matrix_cols) / sizeof(matrix_cols[0]))

void run_row_header(char *buf, size_t len)
{
	const struct run_column *cols;
	unsigned n = run_columns(&cols);
	size_t l = 0;
	buf[0] = 0;
	for (size_t i = 0; i < NMATRIX; i++)
		res_csv_field(buf, len, &l, matrix_cols[i], i == 0);
	for (unsigned i = 0; i < n; i++)
		res_csv_field(buf, len, &l, cols[i].name, 0);
}

void run_row_command(char *buf, size_t len, char *const argv[])
{
	buf[0] = 0;
	for (int i = 0; argv[i]; i++) {
		if (i)
			strncat(buf, " ", len - strlen(buf) - 1);
		run_shell_quote(buf, len, argv[i]);
	}
}

/* Split the child's "header\nrow\n" into fields; checks the header. */
static int record_fields(const char *record_csv, char ***fields, char **mem)
{
	const struct run_column *cols;
	unsigned n = run_columns(&cols);
	char *copy = strdup(record_csv), *nl, *row;
	char **hf = calloc(n + 1, sizeof(char *)), **rf = calloc(n + 1, sizeof(char *));

	if (!copy || !hf || !rf || !(nl = strchr(copy, '\n')))
		goto bad;
	*nl = 0;
	row = nl + 1;
	row[strcspn(row, "\n")] = 0;
	if (res_csv_split(copy, hf, (int)n + 1) != (int)n || res_csv_split(row, rf, (int)n + 1) != (int)n)
		goto bad;
	for (unsigned i = 0; i < n; i++)
		if (strcmp(hf[i], cols[i].name))
			goto bad;
	free(hf);
	*fields = rf;
	*mem = copy;
	return 0;
bad:
	free(copy);
	free(hf);
	free(rf);
	return -1;
}

int run_row_format(char *buf, size_t len, const char *matrix, const char *host,
		   const struct run_cell *c, const char *status, const char *reason,
		   double cell_wall_s, const char *command, const struct run_row_metric *metric,
		   const char *record_csv, const struct run_row_known *known, size_t nknown)
{
	const struct run_column *cols;
	unsigned n = run_columns(&cols);
	char **rf = NULL, *mem = NULL, num[64];
	size_t l = 0;
	int rc = 0;

	if (record_csv && record_fields(record_csv, &rf, &mem))
		rc = -1;
	buf[0] = 0;
	res_csv_field(buf, len, &l, matrix, 1);
	res_csv_field(buf, len, &l, host, 0);
	snprintf(num, sizeof(num), "%u", c->block);
	res_csv_field(buf, len, &l, num, 0);
	snprintf(num, sizeof(num), "%u", c->rep);
	res_csv_field(buf, len, &l, num, 0);
	res_csv_field(buf, len, &l, c->key, 0);
	res_csv_field(buf, len, &l, c->wl->name, 0);
	res_csv_field(buf, len, &l, c->size_dist, 0);
	res_csv_field(buf, len, &l, c->alloc->name, 0);
	if (c->alloc->is_nano && c->hyper_shift >= 0)
		snprintf(num, sizeof(num), "%d", c->hyper_shift);
	else
		snprintf(num, sizeof(num), "%s", c->alloc->is_nano ? "default" : "");
	res_csv_field(buf, len, &l, num, 0);
	res_csv_field(buf, len, &l, c->alloc->is_nano ? (c->map[0] ? c->map : "default") : "", 0);
	res_csv_field(buf, len, &l, status, 0);
	res_csv_field(buf, len, &l, reason, 0);
	snprintf(num, sizeof(num), "%.3f", cell_wall_s);
	res_csv_field(buf, len, &l, num, 0);
	res_csv_field(buf, len, &l, command, 0);
	res_csv_field(buf, len, &l, metric ? metric->value : "", 0);
	res_csv_field(buf, len, &l, metric ? metric->unit : "", 0);
	res_csv_field(buf, len, &l, metric ? (metric->higher_is_better ? "1" : "0") : "", 0);
	for (unsigned i = 0; i < n; i++) {
		const char *v = rf ? rf[i] : "";
		if (!rf) {
			for (size_t k = 0; k < nknown; k++)
				if (!strcmp(known[k].name, cols[i].name))
					v = known[k].value;
		}
		if (res_csv_field(buf, len, &l, v, 0))
			rc = -1;
	}
	free(rf);
	free(mem);
	return rc;
}
