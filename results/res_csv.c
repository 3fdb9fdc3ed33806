/*
 * res_csv.c - results.csv: reading, writing and appending rows safely
 * (see res_csv.h).
 */
#include "res_csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Fields
 * ---------------------------------------------------------------------- */

int res_csv_split(char *line, char **fields, int max)
{
	int n = 0;
	char *r = line, *w = line;

	for (;;) {
		if (n == max)
			return -1;
		fields[n++] = w;
		if (*r == '"') {
			r++;
			for (;;) {
				if (*r == 0)
					return -1;                 /* unterminated quote */
				if (*r == '"' && r[1] == '"') {
					*w++ = '"';
					r += 2;
				} else if (*r == '"') {
					r++;
					break;
				} else {
					*w++ = *r++;
				}
			}
			if (*r != ',' && *r != 0)
				return -1;
		} else {
			while (*r && *r != ',')
				*w++ = *r++;
		}
		if (*r == 0) {
			*w = 0;
			return n;
		}
		*w++ = 0;
		r++;
	}
}

int res_csv_field(char *buf, size_t cap, size_t *len, const char *s, int first)
{
	size_t n = *len;
	int quote = strpbrk(s, ",\"\n\r") != NULL;

	if (!first) {
		if (n + 1 >= cap)
			return -1;
		buf[n++] = ',';
	}
	if (quote) {
		if (n + 1 >= cap)
			return -1;
		buf[n++] = '"';
	}
	for (; *s; s++) {
		if (n + 2 >= cap)
			return -1;
		if (*s == '"')
			buf[n++] = '"';
		buf[n++] = *s;
	}
	if (quote) {
		if (n + 1 >= cap)
			return -1;
		buf[n++] = '"';
	}
	buf[n] = 0;
	*len = n;
	return 0;
}

/* ------------------------------------------------------------------------
 * Loading
 * ---------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (n + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 131072;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				snprintf(err, errlen, "%s: out of memory", path);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

/* Lines of a CSV file may contain quoted newlines: find the end of the
 * logical line starting at p. Returns NULL when the line has no newline. */
static char *line_end(char *p)
{
	int inq = 0;
	for (; *p; p++) {
		if (*p == '"')
			inq = !inq;
		else if (*p == '\n' && !inq)
			return p;
	}
	return NULL;
}

static int count_fields(const char *line)
{
	int n = 1, inq = 0;
	for (; *line; line++) {
		if (*line == '"')
			inq = !inq;
		else if (*line == ',' && !inq)
			n++;
	}
	return n;
}

int res_table_load(const char *path, struct res_table *t, char *err, size_t errlen)
{
	size_t len, cap = 0;
	char *buf = slurp(path, &len, err, errlen), *p, *e;
	int ncols;

	memset(t, 0, sizeof(*t));
	if (!buf)
		return -1;
	p = buf;
	if (strncmp(p, RES_SCHEMA_LINE, strlen(RES_SCHEMA_LINE)) != 0) {
		snprintf(err, errlen, "%s: not a nanobench results file (first line must be '%s')",
			 path, RES_SCHEMA_LINE);
		free(buf);
		return -1;
	}
	p = strchr(p, '\n');
	if (!p || !(e = line_end(++p))) {
		snprintf(err, errlen, "%s: missing header line", path);
		free(buf);
		return -1;
	}
	*e = 0;
	ncols = count_fields(p);
	t->cols = calloc((size_t)ncols, sizeof(char *));
	if (!t->cols || res_csv_split(p, t->cols, ncols) != ncols) {
		snprintf(err, errlen, "%s: malformed header line", path);
		free(t->cols);
		free(buf);
		t->cols = NULL;
		return -1;
	}
	t->ncols = (size_t)ncols;
	t->mem = buf;
	for (p = e + 1; *p && (e = line_end(p)) != NULL; p = e + 1) {
		*e = 0;
		if (e > p && e[-1] == '\r')
			e[-1] = 0;
		if (*p == 0 || *p == '#')
			continue;
		char **f = calloc(t->ncols, sizeof(char *));
		if (!f)
			break;
		if (res_csv_split(p, f, ncols) != ncols) {
			snprintf(err, errlen, "%s: row %zu has a different number of fields than the header",
				 path, t->nrows + 1);
			free(f);
			res_table_free(t);
			return -1;
		}
		if (t->nrows == cap) {
			cap = cap ? cap * 2 : 64;
			char ***nr = realloc(t->rows, cap * sizeof(*nr));
			if (!nr) {
				free(f);
				break;
			}
			t->rows = nr;
		}
		t->rows[t->nrows++] = f;
	}
	/* a last line without newline is a half-written row: dropped */
	return 0;
}

void res_table_free(struct res_table *t)
{
	free(t->mem);
	for (size_t i = 0; i < t->nrows; i++)
		free(t->rows[i]);
	free(t->rows);
	free(t->cols);
	memset(t, 0, sizeof(*t));
}

int res_col(const struct res_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i], name) == 0)
			return (int)i;
	return -1;
}

const char *res_get(const struct res_table *t, size_t r, const char *name)
{
	int c = res_col(t, name);
	return c < 0 || r >= t->nrows ? "" : t->rows[r][c];
}

int res_getd(const struct res_table *t, size_t r, const char *name, double *out)
{
	const char *s = res_get(t, r, name);
	char *end;
	if (!*s)
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	return *end || errno ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * Appending
 * ---------------------------------------------------------------------- */

/* Cut a last line that has no newline (a row cut by a crash). */
static int drop_partial_tail(int fd)
{
	struct stat st;
	char c;
	off_t end;

	if (fstat(fd, &st) != 0)
		return -1;
	end = st.st_size;
	while (end > 0) {
		if (pread(fd, &c, 1, end - 1) != 1)
			return -1;
		if (c == '\n')
			break;
		end--;
	}
	return end == st.st_size ? 0 : ftruncate(fd, end);
}

static int read_header(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap - 1, 0);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

int res_writer_open(struct res_writer *w, const char *path, const char *header,
		    char *err, size_t errlen)
{
	struct stat st;
	size_t hl = strlen(header), sl = strlen(RES_SCHEMA_LINE);

	w->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(w->fd, &st) != 0 || drop_partial_tail(w->fd) != 0 || fstat(w->fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(w->fd);
		return -1;
	}
	if (st.st_size == 0) {
		char *first = malloc(sl + hl + 3);
		if (!first)
			return -1;
		sprintf(first, "%s\n%s", RES_SCHEMA_LINE, header);
		int rc = res_writer_row(w, first);
		free(first);
		return rc;
	}
	char *buf = malloc(sl + hl + 3);
	if (!buf || read_header(w->fd, buf, sl + hl + 3) != 0 ||
	    strncmp(buf, RES_SCHEMA_LINE "\n", sl + 1) != 0 ||
	    strncmp(buf + sl + 1, header, hl) != 0 || buf[sl + 1 + hl] != '\n') {
		snprintf(err, errlen, "%s: exists with a different schema or header", path);
		free(buf);
		close(w->fd);
		return -1;
	}
	free(buf);
	return 0;
}

int res_writer_row(struct res_writer *w, const char *line)
{
	size_t n = strlen(line);
	char *buf = malloc(n + 1);
	ssize_t r;

	if (!buf)
		return -1;
	memcpy(buf, line, n);
	buf[n] = '\n';
	r = write(w->fd, buf, n + 1);     /* O_APPEND: one write, one row */
	free(buf);
	if (r != (ssize_t)(n + 1))
		return -1;
	return fdatasync(w->fd);
}

void res_writer_close(struct res_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}
