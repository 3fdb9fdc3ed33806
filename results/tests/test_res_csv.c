/*
 * test_res_csv.c - results.csv: quoting round trip, append, header check,
 * plain CSV (the header is the first line) and the files of older versions
 * (the schema line, then the header) read and appended alike, a
 * half-written last row (an error on a strict load, set aside by the
 * lenient one, cut on reopen), malformed middle rows reported by line and
 * set aside without losing a good row, lines with NUL bytes likewise (the
 * rows after them still read), and an append that fails half-way
 * (RLIMIT_FSIZE standing in for a full disk) leaving no partial row.
 */
#include "res_csv.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void quoting_round_trip(void)
{
	const char *in[] = { "plain", "with,comma", "with \"quote\"", "", "multi\nline" };
	char buf[512], *f[8];
	size_t len = 0;
	for (int i = 0; i < 5; i++)
		assert(res_csv_field(buf, sizeof(buf), &len, in[i], i == 0) == 0);
	assert(strcmp(buf, "plain,\"with,comma\",\"with \"\"quote\"\"\",,\"multi\nline\"") == 0);
	assert(res_csv_split(buf, f, 8) == 5);
	for (int i = 0; i < 5; i++)
		assert(strcmp(f[i], in[i]) == 0);
	char bad[] = "a,\"unterminated";
	assert(res_csv_split(bad, f, 8) == -1);
	char tiny[8];
	len = 0;
	assert(res_csv_field(tiny, sizeof(tiny), &len, "far too long for it", 1) == -1);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert(f && fputs(text, f) >= 0 && fclose(f) == 0);
}

static char *read_text(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	return buf;
}

static void append_and_load(const char *path)
{
	struct res_writer w;
	struct res_table t;
	char err[256];
	double d;

	unlink(path);
	assert(res_writer_open(&w, path, "a,b_ns,c", err, sizeof(err)) == 0);
	assert(res_writer_row(&w, "x,1.5,\"q,q\"") == 0);
	assert(res_writer_row(&w, "y,2.5,z") == 0);
	res_writer_close(&w);

	/* a crash mid-row: a last line without its newline */
	int fd = open(path, O_WRONLY | O_APPEND);
	assert(fd >= 0);
	assert(write(fd, "half,3", 6) == 6);
	close(fd);

	/* strict: an error naming the line; lenient: set aside, rows kept */
	assert(res_table_load(path, &t, err, sizeof(err)) == -1);
	assert(strstr(err, ":4: the last row is cut short"));
	assert(res_table_load_lenient(path, &t, err, sizeof(err)) == 0);
	assert(t.nrows == 2 && t.nbad == 1 && t.bad[0].line == 4 && t.bad[0].len == 6);
	assert(t.line[0] == 2 && t.line[1] == 3);
	res_table_free(&t);
	assert(res_table_load_lenient(path, &t, err, sizeof(err)) == 0);
	assert(t.ncols == 3 && t.nrows == 2);
	assert(strcmp(res_get(&t, 0, "c"), "q,q") == 0);
	assert(res_getd(&t, 1, "b_ns", &d) == 0 && d == 2.5);
	assert(res_getd(&t, 1, "a", &d) == -1);
	assert(res_col(&t, "missing") == -1 && strcmp(res_get(&t, 0, "missing"), "") == 0);
	res_table_free(&t);

	/* reopening cuts the half row, keeps the complete ones, appends after */
	assert(res_writer_open(&w, path, "a,b_ns,c", err, sizeof(err)) == 0);
	assert(res_writer_row(&w, "w,4,v") == 0);
	res_writer_close(&w);
	assert(res_table_load(path, &t, err, sizeof(err)) == 0);
	assert(t.nrows == 3 && strcmp(res_get(&t, 2, "a"), "w") == 0);
	res_table_free(&t);

	/* a different header is refused */
	assert(res_writer_open(&w, path, "a,b_ns", err, sizeof(err)) == -1);
	assert(strstr(err, "different header"));
}

/* The first line is the header: what Python's csv module, pandas and R
 * read by default. */
static void plain_csv(const char *path)
{
	struct res_writer w;
	char err[256];
	unlink(path);
	assert(res_writer_open(&w, path, "a,b", err, sizeof(err)) == 0);
	assert(res_writer_row(&w, "1,2") == 0);
	res_writer_close(&w);
	assert(strcmp(read_text(path), "a,b\n1,2\n") == 0);
}

/* A file of an older version opens with the schema line: it loads (its
 * lines numbered as they are in the file), takes appended rows with the
 * line kept, and keeps it when bad lines are set aside. */
static void legacy_file(const char *path)
{
	struct res_writer w;
	struct res_table t;
	char err[256], rej[300];
	snprintf(rej, sizeof(rej), "%s.rejected", path);
	unlink(rej);
	write_text(path, RES_LEGACY_SCHEMA_LINE "\na,b\n1,2\n");
	assert(res_table_load(path, &t, err, sizeof(err)) == 0);
	assert(t.ncols == 2 && t.nrows == 1 && t.line[0] == 3 && !strcmp(res_get(&t, 0, "b"), "2"));
	res_table_free(&t);
	assert(res_writer_open(&w, path, "a,b", err, sizeof(err)) == 0);
	assert(res_writer_row(&w, "3,4") == 0);
	assert(res_writer_row(&w, "5") == 0);
	res_writer_close(&w);
	assert(res_writer_open(&w, path, "a,c", err, sizeof(err)) == -1);
	assert(res_table_load_lenient(path, &t, err, sizeof(err)) == 0);
	assert(t.nrows == 2 && t.nbad == 1 && t.bad[0].line == 5);
	assert(res_csv_drop_bad(&t, rej, err, sizeof(err)) == 0);
	res_table_free(&t);
	assert(strcmp(read_text(path), RES_LEGACY_SCHEMA_LINE "\na,b\n1,2\n3,4\n") == 0);
	/* CRLF line ends, as an editor may leave them */
	write_text(path, RES_LEGACY_SCHEMA_LINE "\r\na,b\r\n1,2\r\n");
	assert(res_table_load(path, &t, err, sizeof(err)) == 0);
	assert(t.nrows == 1 && !strcmp(t.cols[1], "b") && !strcmp(res_get(&t, 0, "b"), "2"));
	res_table_free(&t);
	unlink(rej);
}

static void bad_files(const char *path)
{
	struct res_table t;
	char err[256];
	write_text(path, "# another tool's comment\na,b\n1,2\n");
	assert(res_table_load(path, &t, err, sizeof(err)) == -1);
	assert(strstr(err, ":1: '# another tool's comment' is not a results.csv header"));
	assert(strstr(err, RES_LEGACY_SCHEMA_LINE));
	write_text(path, "# nanobench results v2\na,b\n");
	assert(res_table_load(path, &t, err, sizeof(err)) == -1);
	write_text(path, RES_LEGACY_SCHEMA_LINE "\n");
	assert(res_table_load(path, &t, err, sizeof(err)) == -1 && strstr(err, "missing header line"));
	write_text(path, "");
	assert(res_table_load(path, &t, err, sizeof(err)) == -1 && strstr(err, "missing header line"));
	write_text(path, "a,b,a\n1,2,3\n");
	assert(res_table_load_lenient(path, &t, err, sizeof(err)) == -1);
	assert(strstr(err, ":1: column 'a' appears twice in the header"));
	write_text(path, "a,b\n1,2,3\n");
	assert(res_table_load(path, &t, err, sizeof(err)) == -1);
	assert(strstr(err, ":2: the row has 3 fields, the header 2"));
	assert(res_table_load("/nonexistent/results.csv", &t, err, sizeof(err)) == -1);
}

/* A malformed middle row, a cut row glued to the next one with an open
 * quote (it must not swallow the rows after it), a quoted newline that is
 * fine: reported by line, set aside, every good row kept byte for byte. */
static void bad_middle_rows(const char *path)
{
	char rej[300], err[256];
	struct res_table t;
	snprintf(rej, sizeof(rej), "%s.rejected", path);
	unlink(rej);
	write_text(path, "a,b,c\n"
		   "1,2,3\n"              /* line 2 */
		   "x,y\n"                /* 3: too few */
		   "4,\"5\n5\",6\n"        /* 4-5: a quoted newline, fine */
		   "7,\"cut8,9,10\n"       /* 6: open quote glued to a row */
		   "11,12,13\n"           /* 7 */
		   "14,15,16\n");         /* 8 */
	assert(res_table_load(path, &t, err, sizeof(err)) == -1);
	assert(strstr(err, ":3: the row has 2 fields, the header 3"));
	assert(res_table_load_lenient(path, &t, err, sizeof(err)) == 0);
	assert(t.nrows == 4 && t.nbad == 2);
	assert(t.bad[0].line == 3 && t.bad[1].line == 6);
	assert(strstr(t.bad[1].why, "quoting"));
	assert(t.line[0] == 2 && t.line[1] == 4 && t.line[2] == 7 && t.line[3] == 8);
	assert(strcmp(res_get(&t, 1, "b"), "5\n5") == 0 && strcmp(res_get(&t, 3, "c"), "16") == 0);
	/* a good row a reader refuses goes the same way, in file order */
	assert(res_table_reject_row(&t, 2, "refused") == 0 && t.nbad == 3 && t.bad[2].line == 7);
	assert(res_csv_drop_bad(&t, rej, err, sizeof(err)) == 0);
	res_table_free(&t);
	assert(strcmp(read_text(path), "a,b,c\n1,2,3\n4,\"5\n5\",6\n14,15,16\n") == 0);
	assert(strcmp(read_text(rej), "x,y\n7,\"cut8,9,10\n11,12,13\n") == 0);
	assert(res_table_load(path, &t, err, sizeof(err)) == 0 && t.nrows == 3);
	res_table_free(&t);
	unlink(rej);
}

/* An append that fails half-way leaves the file as it was, with errno. */
static void failed_append(const char *path)
{
	struct res_writer w;
	struct rlimit old, lim;
	char err[256], row[200];
	struct stat st;

	unlink(path);
	assert(res_writer_open(&w, path, "a,b", err, sizeof(err)) == 0);
	assert(res_writer_row(&w, "1,2") == 0);
	assert(fstat(w.fd, &st) == 0);
	signal(SIGXFSZ, SIG_IGN);
	assert(getrlimit(RLIMIT_FSIZE, &old) == 0);
	lim = old;
	lim.rlim_cur = (rlim_t)st.st_size + 10;  /* room for 10 bytes only */
	assert(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	memset(row, 'x', 100);
	strcpy(row + 100, ",y");
	errno = 0;
	assert(res_writer_row(&w, row) == -1 && errno == EFBIG);
	assert(setrlimit(RLIMIT_FSIZE, &old) == 0);
	assert(fstat(w.fd, &st) == 0 && st.st_size == (off_t)strlen("a,b\n1,2\n"));
	assert(res_writer_row(&w, "3,4") == 0);
	res_writer_close(&w);
	assert(strcmp(read_text(path), "a,b\n1,2\n3,4\n") == 0);
}

static void write_bytes(const char *path, const char *bytes, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert(f && fwrite(bytes, 1, n, f) == n && fclose(f) == 0);
}

/* NUL bytes, which a crash can leave (a file made longer but never
 * written): a line with one is not a row, named by line; the rows after it
 * are still read, and setting it aside moves the whole line, NULs and all. */
static void nul_lines(const char *path)
{
	static const char text[] = "a,b\n"
				   "1,2\n"              /* line 2 */
				   "3,\0\0\n"            /* 3: NULs in a row */
				   "5,6\n"              /* 4 */
				   "\0\0\0\0\n"           /* 5: a line of NULs */
				   "7,8\n"              /* 6 */
				   "\0\0";               /* 7: NULs at the end, no newline */
	char rej[300], err[256];
	struct res_table t;
	snprintf(rej, sizeof(rej), "%s.rejected", path);
	unlink(rej);
	write_bytes(path, text, sizeof(text) - 1);
	assert(res_table_load(path, &t, err, sizeof(err)) == -1);
	assert(strstr(err, ":3: a NUL byte in the line"));
	assert(res_table_load_lenient(path, &t, err, sizeof(err)) == 0);
	assert(t.nrows == 3 && t.nbad == 3);
	assert(t.bad[0].line == 3 && t.bad[1].line == 5 && t.bad[2].line == 7);
	assert(t.bad[0].len == 5 && t.bad[1].len == 5 && t.bad[2].len == 2);
	assert(!strcmp(res_get(&t, 0, "b"), "2") && !strcmp(res_get(&t, 1, "b"), "6") &&
	       !strcmp(res_get(&t, 2, "b"), "8"));
	assert(t.line[1] == 4 && t.line[2] == 6);
	assert(res_csv_drop_bad(&t, rej, err, sizeof(err)) == 0);
	res_table_free(&t);
	assert(strcmp(read_text(path), "a,b\n1,2\n5,6\n7,8\n") == 0);
	FILE *f = fopen(rej, "rb");
	char got[64];
	size_t n = f ? fread(got, 1, sizeof(got), f) : 0;
	if (f)
		fclose(f);
	assert(n == 13 && !memcmp(got, "3,\0\0\n\0\0\0\0\n\0\0\n", 13));
	/* in the header: an error, strict or not */
	write_bytes(path, "a,\0b\n1,2\n", 9);
	assert(res_table_load_lenient(path, &t, err, sizeof(err)) == -1);
	assert(strstr(err, ":1: a NUL byte in the header"));
	write_bytes(path, RES_LEGACY_SCHEMA_LINE "\na\0\n", sizeof(RES_LEGACY_SCHEMA_LINE) + 3);
	assert(res_table_load(path, &t, err, sizeof(err)) == -1);
	assert(strstr(err, ":2: a NUL byte in the header"));
	unlink(rej);
}

int main(void)
{
	char path[] = "/tmp/test_res_csv_XXXXXX";
	int fd = mkstemp(path);
	assert(fd >= 0);
	close(fd);
	quoting_round_trip();
	append_and_load(path);
	plain_csv(path);
	legacy_file(path);
	bad_files(path);
	bad_middle_rows(path);
	nul_lines(path);
	failed_append(path);
	unlink(path);
	puts("res_csv: ok");
	return 0;
}
