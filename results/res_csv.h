/*
 * res_csv.h - results.csv: reading, writing and appending rows safely.
 *
 * Owns: the on-disk form of a run's rows. A results file is plain CSV, so
 * that every CSV reader (Python's csv, pandas, R) loads it with its
 * defaults:
 *
 *     col_a,col_b,...          (header; units are part of the names)
 *     ...one row per cell and repetition...
 *
 * The schema's version is in the run folder's meta.json
 * ("results_schema"), not in the file. Folders written by older versions
 * open with one more line, RES_LEGACY_SCHEMA_LINE, before the header: the
 * loader skips it, and the writer appends to such a file as it is (the
 * line stays; the rows are the same), so --resume, merge, compare and plot
 * keep reading them.
 *
 * Rows are RFC 4180 CSV (fields with a comma, quote or newline are quoted,
 * quotes doubled). A row is appended with one write(2) of the whole line and
 * then fdatasync, so a crash or Ctrl-C between two cells leaves every earlier
 * row intact. A write that fails (a full disk) is cut back off at once, so a
 * failed append leaves no partial row behind; a crash in the middle of one
 * can still leave a last line without its newline.
 *
 * Loading is strict by default: a line that is not a row (another number of
 * fields, broken quoting, a NUL byte, a last line cut short) is an error naming the file
 * and line. The lenient load collects such lines instead (--resume sets them
 * aside with res_csv_drop_bad and reruns their cells; merge lists them).
 */
#ifndef RES_CSV_H
#define RES_CSV_H

#include <stddef.h>

/* The version of results.csv's columns (meta.json "results_schema"):
 * columns are only ever added within one version, and every reader finds
 * them by name, so a file of an older build still loads. */
#define RES_SCHEMA_VERSION 1
/* The first line of results.csv in folders of older versions. */
#define RES_LEGACY_SCHEMA_LINE "# nanobench results v1"

/* A line of a results file that is not a row. */
struct res_bad {
	size_t line;           /* its line number in the file (1 = the header) */
	size_t off, len;       /* its bytes in the file, newline included */
	char why[128];
};

/* Where a row is in the file: its bytes, newline included. */
struct res_span {
	size_t off, len;
};

/* A loaded table: every field as a string. */
struct res_table {
	size_t ncols, nrows;
	char **cols;           /* ncols names */
	char ***rows;          /* nrows arrays of ncols fields */
	size_t *line;          /* the file line of each row, for messages */
	struct res_span *span; /* and its bytes */
	char *path;            /* the file, for messages */
	size_t nbad;           /* lenient load: the lines that are not rows */
	struct res_bad *bad;
	char *mem;             /* the file's text, which every field points into */
};

/* Load a results file. Returns 0, or -1 with a one-line reason in err
 * ("FILE:LINE: ..." for a line that is not a row). */
int res_table_load(const char *path, struct res_table *t, char *err, size_t errlen);
/* The same, but lines that are not rows are collected in t->bad and left
 * out; fails only when the file cannot be read or has no header. */
int res_table_load_lenient(const char *path, struct res_table *t, char *err, size_t errlen);
void res_table_free(struct res_table *t);

/* Count row r among the bad lines (a row whose values a reader refuses:
 * res_check.h). It stays in t->rows; res_csv_drop_bad sets it aside. 0, or
 * -1 out of memory. */
int res_table_reject_row(struct res_table *t, size_t r, const char *why);

/* Set aside the bad lines of a leniently loaded path: append their bytes to
 * reject_path (in file order), then replace path with itself minus those
 * lines (atomically; a single cut last line is truncated in place). 0, or
 * -1 with err. */
int res_csv_drop_bad(struct res_table *t, const char *reject_path, char *err, size_t errlen);
/* Column index by name, or -1. */
int res_col(const struct res_table *t, const char *name);
/* Field of row r by column name ("" when the column is missing). */
const char *res_get(const struct res_table *t, size_t r, const char *name);
/* Numeric field; returns 0 and sets *out, or -1 when empty or not a number. */
int res_getd(const struct res_table *t, size_t r, const char *name, double *out);

/* Split one CSV line (no trailing newline) into at most max fields, in place
 * (quotes removed). Returns the number of fields, or -1 for a malformed line. */
int res_csv_split(char *line, char **fields, int max);

/* Append field s to buf (quoted when needed), preceded by a comma unless
 * first. Returns 0 or -1 when buf is too small. */
int res_csv_field(char *buf, size_t cap, size_t *len, const char *s, int first);

/* write(2) all n bytes (retrying short writes). 0, or -1 with errno (a
 * write that makes no progress is ENOSPC). */
int res_write_all(int fd, const void *buf, size_t n);

/* Appending writer. */
struct res_writer {
	int fd;
};
/* Open (create with the header when new or empty). When the file exists
 * its header must equal `header` (after the legacy schema line, if it has
 * one); a last line without newline is truncated away first. Returns 0, or
 * -1 with err. */
int res_writer_open(struct res_writer *w, const char *path, const char *header,
		    char *err, size_t errlen);
/* Append one complete line (a newline is added); durable on return. On
 * failure returns -1 with errno (ENOSPC for a full disk) and the file is cut
 * back to where it was: no partial row stays behind. */
int res_writer_row(struct res_writer *w, const char *line);
void res_writer_close(struct res_writer *w);

#endif
