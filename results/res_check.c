/*
 * res_check.c - checking the rows of a results table (see res_check.h).
 */
#include "res_check.h"
#include "res_cols.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const statuses[] = { "ok", "failed", "crashed", "timeout", "error", NULL };

/* Numbers the readers use: finite and not negative when given; whole
 * numbers where a count is meant, no larger than the readers hold (an int
 * for threads, blocks and repetitions; exact in a double for the others). */
#define WHOLE_MAX 9007199254740992.0           /* 2^53 */
static const struct {
	const char *name;
	int whole;
	double min, max;
} numbers[] = {
	{ RES_COL(threads), 1, 1, 2147483647.0 }, { RES_COL(block), 1, 0, 2147483647.0 },
	{ RES_COL(rep), 1, 0, 2147483647.0 },
	{ RES_COL(cell_wall_s), 0, 0, INFINITY }, { RES_COL(wall_s), 0, 0, INFINITY },
	{ RES_COL(ops_per_s), 0, 0, INFINITY }, { RES_COL(total_ops), 1, 0, WHOLE_MAX },
	{ RES_COL(peak_rss_kib), 1, 0, WHOLE_MAX }, { RES_COL(rss_per_live), 0, 0, INFINITY },
	{ RES_COL(p50_ns), 0, 0, INFINITY }, { RES_COL(p90_ns), 0, 0, INFINITY },
	{ RES_COL(p99_ns), 0, 0, INFINITY }, { RES_COL(p999_ns), 0, 0, INFINITY },
	{ RES_COL(max_ns), 0, 0, INFINITY }, { RES_COL(nano_retries_per_op), 0, 0, INFINITY },
	{ RES_COL(nano_remote_frees), 1, 0, WHOLE_MAX },
	{ RES_COL(metric), 0, -INFINITY, INFINITY },     /* a program's own figure: any finite value */
};

static int check_number(const struct res_table *t, size_t r, size_t i, char *why, size_t len)
{
	const char *s = res_get(t, r, numbers[i].name);
	char *end;
	double v;
	if (!*s)
		return 0;
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno || !isfinite(v) || v < numbers[i].min ||
	    (numbers[i].whole && v != floor(v))) {
		if (isinf(numbers[i].min))
			snprintf(why, len, "%s '%.40s' is not a finite number", numbers[i].name, s);
		else
			snprintf(why, len, "%s '%.40s' is not a %s %s %.0f", numbers[i].name, s,
				 numbers[i].whole ? "whole number" : "finite number",
				 numbers[i].min > 0 ? "from" : "of at least", numbers[i].min);
		return -1;
	}
	if (v > numbers[i].max) {
		snprintf(why, len, "%s '%.40s' is more than %.0f", numbers[i].name, s, numbers[i].max);
		return -1;
	}
	return 0;
}

static int known_status(const char *s)
{
	for (int i = 0; statuses[i]; i++)
		if (!strcmp(s, statuses[i]))
			return 1;
	return 0;
}

int res_row_check(const struct res_table *t, size_t r, char *why, size_t len)
{
	static const char *const names[] = {
		RES_COL(wl_label), RES_COL(alloc_label), RES_COL(cell_key),
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (res_col(t, names[i]) >= 0 && !*res_get(t, r, names[i])) {
			snprintf(why, len, "%s is empty", names[i]);
			return -1;
		}
	}
	const char *st = res_get(t, r, RES_COL(cell_status));
	if (res_col(t, RES_COL(cell_status)) >= 0 && !known_status(st)) {
		snprintf(why, len, "cell_status '%.40s' is not ok, failed, crashed, timeout or error", st);
		return -1;
	}
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
		if (check_number(t, r, i, why, len))
			return -1;
	if (!strcmp(st, "ok") && !*res_get(t, r, RES_COL(metric))) {
		/* what summary, compare and plot rank by: 1/wall for programs
		 * (a program's own metric is whatever it printed) */
		const char *col = strcmp(res_get(t, r, RES_COL(req_size_dist)), "program") ?
				  RES_COL(ops_per_s) : RES_COL(wall_s);
		double v;
		if (res_col(t, col) >= 0 && (res_getd(t, r, col, &v) || !(v > 0))) {
			snprintf(why, len, "an ok row needs %s above 0", col);
			return -1;
		}
	}
	return 0;
}

struct key_ref {
	const char *key;
	size_t row;
};

static int by_key(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->row > y->row) - (x->row < y->row);
}

long res_dup_key(const struct res_table *t, const unsigned char *skip, size_t *first)
{
	int col = res_col(t, RES_COL(cell_key));
	struct key_ref *k;
	size_t n = 0;
	long dup = -1;

	if (col < 0 || !t->nrows || !(k = malloc(t->nrows * sizeof(*k))))
		return -1;
	for (size_t r = 0; r < t->nrows; r++)
		if (!skip || !skip[r])
			k[n++] = (struct key_ref){ t->rows[r][col], r };
	qsort(k, n, sizeof(*k), by_key);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(k[i].key, k[i - 1].key) || (dup >= 0 && k[i].row >= (size_t)dup))
			continue;
		/* the first of this key's rows is where its run of equal keys began */
		size_t j = i - 1;
		while (j > 0 && !strcmp(k[j - 1].key, k[i].key))
			j--;
		dup = (long)k[i].row;
		*first = k[j].row;
	}
	free(k);
	return dup;
}

int res_table_check(const struct res_table *t, char *err, size_t errlen)
{
	char why[256];
	size_t first;
	long dup;
	for (size_t r = 0; r < t->nrows; r++) {
		if (res_row_check(t, r, why, sizeof(why))) {
			snprintf(err, errlen, "%s:%zu: %s", t->path, t->line[r], why);
			return -1;
		}
	}
	if ((dup = res_dup_key(t, NULL, &first)) >= 0) {
		snprintf(err, errlen, "%s:%zu: cell_key '%.200s' repeats the row of line %zu (a row "
			 "counted twice)", t->path, t->line[dup], res_get(t, (size_t)dup, RES_COL(cell_key)),
			 t->line[first]);
		return -1;
	}
	return 0;
}
