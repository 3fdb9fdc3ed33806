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

static size_t count_newlines(const char *p, const char *end)
{
	size_t n = 0;
	for (; p < end; p++)
		n += *p == '\n';
	return n;
}

struct loader {
	struct res_table *t;
	int lenient;
	size_t cap;
	char *err;
	size_t errlen;
};

static int add_bad(struct res_table *t, size_t line, size_t off, size_t len, const char *why)
{
	struct res_bad *nb = realloc(t->bad, (t->nbad + 1) * sizeof(*nb));
	if (!nb)
		return -1;
	t->bad = nb;
	nb[t->nbad++] = (struct res_bad){ line, off, len, "" };
	snprintf(nb[t->nbad - 1].why, sizeof(nb->why), "%s", why);
	return 0;
}

int res_table_reject_row(struct res_table *t, size_t r, const char *why)
{
	return add_bad(t, t->line[r], t->span[r].off, t->span[r].len, why);
}

/* A line that is not a row: an error (strict), or one more bad line. */
static int bad_line(struct loader *ld, size_t line, const char *p, size_t len, const char *why)
{
	struct res_table *t = ld->t;
	if (!ld->lenient) {
		snprintf(ld->err, ld->errlen, "%s:%zu: %s", t->path, line, why);
		return -1;
	}
	if (add_bad(t, line, (size_t)(p - t->mem), len, why)) {
		snprintf(ld->err, ld->errlen, "%s: out of memory", t->path);
		return -1;
	}
	return 0;
}

/* Split the row [p, e) into fields; 0, or -1 when it is not a row of the
 * table (why says how). Nothing is changed unless it is one. */
static int split_row(struct loader *ld, char *p, char *e, char ***out, char *why, size_t len)
{
	struct res_table *t = ld->t;
	int n = (int)t->ncols;
	char **f = calloc(t->ncols + 1, sizeof(char *));   /* room to see one too many */
	char *scratch = strndup(p, (size_t)(e - p));
	int got = scratch && f ? res_csv_split(scratch, f, n + 1) : -2;

	free(scratch);
	if (got == -2) {
		free(f);
		snprintf(why, len, "out of memory");
		return -1;
	}
	if (got != n) {
		if (got < 0)
			snprintf(why, len, "malformed quoting (not a row of %d fields)", n);
		else
			snprintf(why, len, "the row has %d fields, the header %d", got, n);
		free(f);
		return -1;
	}
	*e = 0;
	res_csv_split(p, f, n);
	*out = f;
	return 0;
}

/* Row f, found on line `line` at bytes [p, e] (e: its newline). */
static int add_row(struct loader *ld, char **f, size_t line, const char *p, const char *e)
{
	struct res_table *t = ld->t;
	if (t->nrows == ld->cap) {
		size_t nc = ld->cap ? ld->cap * 2 : 64;
		char ***nr = realloc(t->rows, nc * sizeof(*nr));
		size_t *nl = nr ? realloc(t->line, nc * sizeof(*nl)) : NULL;
		struct res_span *ns = nl ? realloc(t->span, nc * sizeof(*ns)) : NULL;
		if (nr)
			t->rows = nr;
		if (nl)
			t->line = nl;
		if (ns)
			t->span = ns;
		if (!ns) {
			snprintf(ld->err, ld->errlen, "%s: out of memory", t->path);
			return -1;
		}
		ld->cap = nc;
	}
	t->line[t->nrows] = line;
	t->span[t->nrows] = (struct res_span){ (size_t)(p - t->mem), (size_t)(e - p) + 1 };
	t->rows[t->nrows++] = f;
	return 0;
}

/* The rows after the header, from p on (line is p's line number). A line
 * that is not a row is skipped up to its own newline, not the quote-aware
 * end, so that a cut row glued to the next one cannot swallow those after. */
static int load_rows(struct loader *ld, char *p, size_t line)
{
	char why[128];
	while (*p) {
		char *phys = strchr(p, '\n'), *e;
		if (*p == '#' || *p == '\n' || (*p == '\r' && p[1] == '\n')) {
			if (!phys)
				break;
			p = phys + 1;
			line++;
			continue;
		}
		if (!phys)
			return bad_line(ld, line, p, strlen(p),
					"the last row is cut short (no newline at its end)");
		e = line_end(p);
		if (!e)
			e = phys;        /* an open quote: the row ends where its line does */
		char *end = e;
		if (end > p && end[-1] == '\r')
			end--;
		char **f;
		if (split_row(ld, p, end, &f, why, sizeof(why)) == 0) {
			if (add_row(ld, f, line, p, e)) {
				free(f);
				return -1;
			}
			line += count_newlines(p, e) + 1;
			p = e + 1;
			continue;
		}
		if (!strcmp(why, "out of memory") || bad_line(ld, line, p, (size_t)(phys - p) + 1, why))
			return -1;
		p = phys + 1;
		line++;
	}
	return 0;
}

/* A NUL byte, which a crash can leave behind (a file made longer but never
 * written), would end the text there and hide every row after it. The
 * header (the line at hdr, line number hline) must have none; a line with
 * one is not a row. In a lenient load such a line becomes a comment in
 * memory, which load_rows skips (the file keeps its bytes, for
 * res_csv_drop_bad). */
static int nul_lines(struct loader *ld, char *hdr, size_t hline, char *end)
{
	char *q = memchr(hdr, 0, (size_t)(end - hdr));
	if (!q)
		return 0;
	char *h = memchr(hdr, '\n', (size_t)(end - hdr));
	if (!h || q < h) {
		snprintf(ld->err, ld->errlen, "%s:%zu: a NUL byte in the header", ld->t->path, hline);
		return -1;
	}
	size_t line = hline + 1;
	for (char *counted = h + 1; q; ) {
		char *s = q, *eol = memchr(q, '\n', (size_t)(end - q));
		while (s > h + 1 && s[-1] != '\n')
			s--;
		line += count_newlines(counted, s);
		counted = s;
		if (bad_line(ld, line, s, (size_t)((eol ? eol + 1 : end) - s),
			     "a NUL byte in the line (a crash's leftover?)"))
			return -1;
		memset(s, '#', (size_t)((eol ? eol : end) - s));
		q = eol ? memchr(eol + 1, 0, (size_t)(end - eol - 1)) : NULL;
	}
	return 0;
}

/* Where the header starts: the first line, or the second in a file that
 * opens with the schema line of older folders. NULL with err for a file
 * that opens with any other comment line (another schema, another tool). */
static char *header_start(char *buf, const char *path, size_t *line, char *err, size_t errlen)
{
	size_t sl = strlen(RES_LEGACY_SCHEMA_LINE);
	*line = 1;
	if (*buf != '#')
		return buf;
	if (!strncmp(buf, RES_LEGACY_SCHEMA_LINE, sl) &&
	    (buf[sl] == '\n' || buf[sl] == 0 || (buf[sl] == '\r' && buf[sl + 1] == '\n'))) {
		char *nl = strchr(buf, '\n');
		*line = 2;
		return nl ? nl + 1 : buf + sl;
	}
	int n = (int)strcspn(buf, "\r\n");
	snprintf(err, errlen, "%s:1: '%.*s' is not a results.csv header (a header of column "
		 "names, or '%s' then the header in folders of older versions)", path,
		 n < 60 ? n : 60, buf, RES_LEGACY_SCHEMA_LINE);
	return NULL;
}

static int load(const char *path, struct res_table *t, int lenient, char *err, size_t errlen)
{
	size_t len, hline;
	char *buf, *p, *e;
	int ncols;
	struct loader ld = { t, lenient, 0, err, errlen };

	memset(t, 0, sizeof(*t));
	if (!(t->path = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (!(buf = slurp(path, &len, err, errlen))) {
		res_table_free(t);
		return -1;
	}
	t->mem = buf;
	if (!(p = header_start(buf, path, &hline, err, errlen)) ||
	    nul_lines(&ld, p, hline, buf + len)) {
		res_table_free(t);
		return -1;
	}
	if (!*p || *p == '\n' || !(e = line_end(p))) {
		snprintf(err, errlen, "%s: missing header line", path);
		res_table_free(t);
		return -1;
	}
	*e = 0;
	if (e > p && e[-1] == '\r')
		e[-1] = 0;
	ncols = count_fields(p);
	t->cols = calloc((size_t)ncols, sizeof(char *));
	if (!t->cols || res_csv_split(p, t->cols, ncols) != ncols) {
		snprintf(err, errlen, "%s:%zu: malformed header line", path, hline);
		res_table_free(t);
		return -1;
	}
	t->ncols = (size_t)ncols;
	for (int a = 0; a < ncols; a++) {
		for (int b = 0; b < a; b++) {
			if (!strcmp(t->cols[a], t->cols[b])) {
				/* a reader finds a column by name: which one would it read? */
				snprintf(err, errlen, "%s:%zu: column '%.60s' appears twice in the header",
					 path, hline, t->cols[a]);
				res_table_free(t);
				return -1;
			}
		}
	}
	if (load_rows(&ld, e + 1, hline + 1)) {
		res_table_free(t);
		return -1;
	}
	return 0;
}

int res_table_load(const char *path, struct res_table *t, char *err, size_t errlen)
{
	return load(path, t, 0, err, errlen);
}

int res_table_load_lenient(const char *path, struct res_table *t, char *err, size_t errlen)
{
	return load(path, t, 1, err, errlen);
}

void res_table_free(struct res_table *t)
{
	free(t->mem);
	for (size_t i = 0; i < t->nrows; i++)
		free(t->rows[i]);
	free(t->rows);
	free(t->line);
	free(t->span);
	free(t->cols);
	free(t->bad);
	free(t->path);
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

/* Does the file open with `header` as its first line, or (a folder of an
 * older version) with the schema line and then `header`? */
static int header_matches(int fd, const char *header)
{
	size_t hl = strlen(header), sl = strlen(RES_LEGACY_SCHEMA_LINE), cap = sl + hl + 3;
	char *buf = malloc(cap), *h;
	int ok = 0;
	if (!buf || read_header(fd, buf, cap) != 0) {
		free(buf);
		return 0;
	}
	h = strncmp(buf, RES_LEGACY_SCHEMA_LINE "\n", sl + 1) ? buf : buf + sl + 1;
	ok = !strncmp(h, header, hl) && h[hl] == '\n';
	free(buf);
	return ok;
}

int res_writer_open(struct res_writer *w, const char *path, const char *header,
		    char *err, size_t errlen)
{
	struct stat st;

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
		int rc = res_writer_row(w, header);
		if (rc) {
			snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
			close(w->fd);
			w->fd = -1;
		}
		return rc;
	}
	if (!header_matches(w->fd, header)) {
		snprintf(err, errlen, "%s: exists with a different header", path);
		close(w->fd);
		return -1;
	}
	return 0;
}

int res_writer_row(struct res_writer *w, const char *line)
{
	size_t n = strlen(line), done = 0;
	char *buf = malloc(n + 1);
	off_t start = lseek(w->fd, 0, SEEK_END);
	int e = 0;

	if (!buf)
		return -1;
	memcpy(buf, line, n);
	buf[n] = '\n';
	/* O_APPEND: one write, one row; a short one (the disk filled up) is
	 * retried once for the real error, then the part written is cut off */
	while (done < n + 1) {
		ssize_t r = write(w->fd, buf + done, n + 1 - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			e = r < 0 ? errno : ENOSPC;
			break;
		}
		done += (size_t)r;
	}
	free(buf);
	if (e) {
		if (done && start >= 0 && ftruncate(w->fd, start) != 0) {
			/* the row stays cut; --resume drops it */
		}
		errno = e;
		return -1;
	}
	return fdatasync(w->fd);
}

void res_writer_close(struct res_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

/* ------------------------------------------------------------------------
 * Setting bad lines aside
 * ---------------------------------------------------------------------- */

int res_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = ENOSPC;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Append the bad lines to reject_path (each ends with a newline there). */
static int save_rejected(const struct res_table *t, const char *raw, size_t len,
			 const char *reject_path)
{
	int fd = open(reject_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644), rc = 0;
	if (fd < 0)
		return -1;
	for (size_t i = 0; i < t->nbad && rc == 0; i++) {
		const struct res_bad *b = &t->bad[i];
		if (b->off + b->len > len)
			continue;
		rc = res_write_all(fd, raw + b->off, b->len);
		if (rc == 0 && (b->len == 0 || raw[b->off + b->len - 1] != '\n'))
			rc = res_write_all(fd, "\n", 1);
	}
	if (rc == 0)
		rc = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* path minus the bad lines, written beside it and renamed over it. */
static int rewrite_without(const struct res_table *t, const char *raw, size_t len)
{
	size_t n = strlen(t->path) + 8, at = 0;
	char *tmp = malloc(n);
	int fd, rc = 0, e;
	if (!tmp)
		return -1;
	snprintf(tmp, n, "%s.tmp", t->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(tmp);
		return -1;
	}
	for (size_t i = 0; i <= t->nbad && rc == 0; i++) {
		size_t to = i < t->nbad ? t->bad[i].off : len;
		if (to > at)
			rc = res_write_all(fd, raw + at, to - at);
		if (i < t->nbad)
			at = t->bad[i].off + t->bad[i].len;
	}
	if (rc == 0)
		rc = fsync(fd);
	e = errno;
	close(fd);
	if (rc == 0 && rename(tmp, t->path) != 0) {
		rc = -1;
		e = errno;
	}
	if (rc)
		unlink(tmp);
	free(tmp);
	errno = e;
	return rc;
}

static int by_offset(const void *a, const void *b)
{
	const struct res_bad *x = a, *y = b;
	return (x->off > y->off) - (x->off < y->off);
}

int res_csv_drop_bad(struct res_table *t, const char *reject_path, char *err, size_t errlen)
{
	size_t len;
	char *raw;
	int rc;

	if (!t->nbad)
		return 0;
	qsort(t->bad, t->nbad, sizeof(*t->bad), by_offset);
	if (!(raw = slurp(t->path, &len, err, errlen)))
		return -1;
	if (save_rejected(t, raw, len, reject_path)) {
		snprintf(err, errlen, "cannot write %s: %s", reject_path, strerror(errno));
		free(raw);
		return -1;
	}
	const struct res_bad *last = &t->bad[t->nbad - 1];
	if (t->nbad == 1 && last->off + last->len == len)
		rc = truncate(t->path, (off_t)last->off);    /* needs no space */
	else
		rc = rewrite_without(t, raw, len);
	if (rc)
		snprintf(err, errlen, "cannot rewrite %s: %s", t->path, strerror(errno));
	free(raw);
	return rc;
}
