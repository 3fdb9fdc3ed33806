/*
 * test_res_csv.c - results.csv: quoting round trip, append, header check,
 * and a half-written last row dropped on load and cut on reopen.
 */
#include "res_csv.h"

#include <assert.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

	assert(res_table_load(path, &t, err, sizeof(err)) == 0);
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
	assert(strstr(err, "different schema or header"));
}

static void bad_files(const char *path)
{
	struct res_table t;
	char err[256];
	FILE *f = fopen(path, "w");
	fputs("a,b\n1,2\n", f);
	fclose(f);
	assert(res_table_load(path, &t, err, sizeof(err)) == -1);
	assert(strstr(err, "not a nanobench results file"));
	f = fopen(path, "w");
	fprintf(f, "%s\na,b\n1,2,3\n", RES_SCHEMA_LINE);
	fclose(f);
	assert(res_table_load(path, &t, err, sizeof(err)) == -1);
	assert(strstr(err, "row 1"));
	assert(res_table_load("/nonexistent/results.csv", &t, err, sizeof(err)) == -1);
}

int main(void)
{
	char path[] = "/tmp/test_res_csv_XXXXXX";
	int fd = mkstemp(path);
	assert(fd >= 0);
	close(fd);
	quoting_round_trip();
	append_and_load(path);
	bad_files(path);
	unlink(path);
	puts("res_csv: ok");
	return 0;
}
