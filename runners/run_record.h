/*
 * run_record.h - the record of one cell: its fields and how it is written.
 *
 * Owns: the record struct, the one table of its columns (name with unit,
 * help text, where the value lives), and the three ways it is written: CSV
 * (optionally with the header line), JSON lines, and a human-readable list.
 * docs/results.md documents every column; the test in runners/tests checks
 * that the two agree.
 */
#ifndef RUN_RECORD_H
#define RUN_RECORD_H

#include <limits.h>
#include <stdint.h>

#include "wl_harness.h"

/* Strings are empty and numbers RUN_EMPTY / NaN when a value is unknown. */
#define RUN_EMPTY INT64_MIN

struct run_record {
	char workload[32];
	char params[512];
	char size_dist[160];
	uint64_t seed;
	int64_t threads;
	char placement[64];
	char cpus[WL_MAX_THREADS * 6 + 8];   /* "65535;" a thread */
	char end[16];
	char alloc_requested[128];
	char alloc_library[PATH_MAX];
	char alloc_version[64];
	char alloc_env[512];
	char topology[192];
	int64_t sample_every;
	struct wl_result res;
	char status[8];
};

enum run_format { RUN_FMT_TEXT, RUN_FMT_CSV, RUN_FMT_JSON };

void run_record_init(struct run_record *rec);

/* Write the record to fd (header first when asked, CSV only). 0 or -1. */
int run_record_write(const struct run_record *rec, int fd, enum run_format fmt, int header);

/* The column table, for --help and the documentation test. */
struct run_column {
	const char *name;
	const char *help;
};
unsigned run_columns(const struct run_column **out);

#endif
