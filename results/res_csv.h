/*
 * res_csv.h - results.csv: reading, writing and appending rows safely.
 *
 * Owns: the on-disk form of a run's rows. A results file is
 *
 *     # nanobench results v1
 *     col_a,col_b,...          (header; units are part of the names)
 *     ...one row per cell and repetition...
 *
 * Rows are RFC 4180 CSV (fields with a comma, quote or newline are quoted,
 * quotes doubled). A row is appended with one write(2) of the whole line and
 * then fdatasync, so a crash or Ctrl-C between two cells leaves every earlier
 * row intact; the only damage possible is a last line without its newline,
 * which res_table_load drops (and res_csv_repair truncates away).
 */
#ifndef RES_CSV_H
#define RES_CSV_H

#include <stddef.h>

#define RES_SCHEMA_LINE "# nanobench results v1"

/* A loaded table: every field as a string. */
struct res_table {
	size_t ncols, nrows;
	char **cols;           /* ncols names */
	char ***rows;          /* nrows arrays of ncols fields */
	char *mem;             /* the file's text, which every field points into */
};

/* Load a results file. Returns 0, or -1 with a one-line reason in err. */
int res_table_load(const char *path, struct res_table *t, char *err, size_t errlen);
void res_table_free(struct res_table *t);
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

/* Appending writer. */
struct res_writer {
	int fd;
};
/* Open (create with schema + header when new or empty). When the file exists
 * its header must equal `header`; a last line without newline is truncated
 * away first. Returns 0, or -1 with err. */
int res_writer_open(struct res_writer *w, const char *path, const char *header,
		    char *err, size_t errlen);
/* Append one complete line (a newline is added); durable on return. */
int res_writer_row(struct res_writer *w, const char *line);
void res_writer_close(struct res_writer *w);

#endif
