/*
 * res_meta.c - meta.json (see res_meta.h).
 */
#include "res_meta.h"
#include "res_csv.h"
#include "res_host.h"
#include "res_json.h"
#include "res_summary.h"
#include "res_build.h"
#include "res_cols.h"

#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

int res_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* The first line of DIR/meta.json with `"key": ` (and then quote, for a
 * string) into line; returns where the value starts in it, or NULL. */
static char *meta_field(const char *dir, const char *key, int string, char *line, size_t len)
{
	char path[4096], pat[128], *k = NULL;
	FILE *f;
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	snprintf(pat, sizeof(pat), "\"%s\": %s", key, string ? "\"" : "");
	if (!(f = fopen(path, "r")))
		return NULL;
	while (!k && fgets(line, (int)len, f))
		if ((k = strstr(line, pat)))
			k += strlen(pat);
	fclose(f);
	return k;
}

int res_meta_get(const char *dir, const char *key, char *buf, size_t len)
{
	char line[1024], *k = meta_field(dir, key, 1, line, sizeof(line));
	if (!k)
		return -1;
	snprintf(buf, len, "%.*s", (int)strcspn(k, "\""), k);
	return 0;
}

const char *res_meta_missing(const char *dir, const char *key)
{
	static char why[160];
	char path[4096];
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	if (access(path, F_OK) != 0)
		return "no meta.json";
	snprintf(why, sizeof(why), "its meta.json, empty or damaged, has no \"%s\"", key);
	return why;
}

int res_meta_get_long(const char *dir, const char *key, long *out)
{
	char line[1024], *end, *k = meta_field(dir, key, 0, line, sizeof(line));
	long v;
	if (!k)
		return -1;
	errno = 0;
	v = strtol(k, &end, 10);
	if (end == k || errno || (*end != ',' && *end != '\n' && *end))
		return -1;
	*out = v;
	return 0;
}

/* One JSON string starting at p (at its opening quote) into out. */
static int json_string(const char *p, char *out, size_t cap)
{
	size_t n = 0;
	if (*p++ != '"')
		return -1;
	for (; *p && *p != '"'; p++) {
		char c = *p;
		if (c == '\\') {
			switch (*++p) {
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				unsigned v;
				if (sscanf(p + 1, "%4x", &v) != 1)
					return -1;
				c = (char)v;
				p += 4;
				break;
			}
			case 0: return -1;
			default: c = *p; break;
			}
		}
		if (n + 1 >= cap)
			return -1;
		out[n++] = c;
	}
	out[n] = 0;
	return *p == '"' ? 0 : -1;
}

long res_meta_cells(const char *dir, char ***keys)
{
	char path[4096], *line = NULL, key[2048];
	size_t cap = 0, n = 0, kcap = 0;
	int in = 0, done = 0;
	char **k = NULL;
	FILE *f;

	*keys = NULL;
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	if (!(f = fopen(path, "r")))
		return -1;
	while (!done && getline(&line, &cap, f) > 0) {
		char *p = line + strspn(line, " \t");
		if (!in) {
			if (!strncmp(p, "\"cells\": [", 10)) {
				in = 1;
				done = strchr(p + 10, ']') != NULL;   /* "cells": [] */
			}
			continue;
		}
		if (*p == ']') {
			done = 1;
			break;
		}
		if (json_string(p, key, sizeof(key)))
			continue;
		if (n == kcap) {
			kcap = kcap ? kcap * 2 : 256;
			char **nk = realloc(k, kcap * sizeof(*nk));
			if (!nk)
				break;
			k = nk;
		}
		if (!(k[n] = strdup(key)))
			break;
		n++;
	}
	free(line);
	fclose(f);
	if (!done) {
		res_meta_cells_free(k, (long)n);
		return -1;
	}
	*keys = k;
	return (long)n;
}

void res_meta_cells_free(char **keys, long n)
{
	for (long i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

int res_key_measured(const char *key)
{
	const char *bar = strrchr(key, '|');
	return bar && bar[1] == 'r' && bar[2] && strspn(bar + 2, "0123456789") == strlen(bar + 2);
}

int res_dir_probe(const char *dir, char *err, size_t errlen)
{
	static char block[65536];
	char path[4200];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/.nanobench-probe-%ld", dir, (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		rc = -1;
	if (rc == 0 && (res_write_all(fd, block, sizeof(block)) || fsync(fd) != 0))
		rc = -1;
	if (rc)
		snprintf(err, errlen, "cannot write in %s: %s", dir, strerror(errno));
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	return rc;
}

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];
	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		/* x86: "model name"; aarch64 has no model name, so "CPU part" */
		if (!strncmp(line, "model name", 10) || !strncmp(line, "Processor", 9)) {
			char *c = strchr(line, ':');
			if (c) {
				c += 1 + strspn(c + 1, " \t");
				c[strcspn(c, "\n")] = 0;
				snprintf(buf, len, "%s", c);
				break;
			}
		}
	}
	fclose(f);
}

/* "always [madvise] never" -> "madvise" */
static void bracketed(const char *path, char *buf, size_t len)
{
	char line[256];
	char *a, *b;
	if (res_read_line(path, line, sizeof(line)) || !(a = strchr(line, '[')) || !(b = strchr(a, ']'))) {
		snprintf(buf, len, "unknown");
		return;
	}
	snprintf(buf, len, "%.*s", (int)(b - a - 1), a + 1);
}

void res_machine_line(char *buf, size_t len)
{
	struct utsname u;
	char model[256];
	uname(&u);
	cpu_model(model, sizeof(model));
	snprintf(buf, len, "%s (%s, %ld CPUs)", u.nodename, model, sysconf(_SC_NPROCESSORS_ONLN));
}

const char *res_build_commit(void)
{
	return NB_COMMIT;
}

/* The text is made in memory first and then written with write(2), so a
 * failure reports the errno the disk gave (stdio's buffering loses it). */
int res_write_atomic(const char *path, int (*fn)(void *ctx, FILE *f), void *ctx)
{
	size_t n = strlen(path) + 16, len = 0;
	char *tmp = malloc(n), *text = NULL;
	FILE *mem = open_memstream(&text, &len);
	int fd = -1, rc = -1, e = ENOMEM;

	if (!tmp || !mem)
		goto out;
	rc = fn(ctx, mem);
	if (fclose(mem) != 0 || rc != 0) {
		mem = NULL;
		rc = -1;
		goto out;
	}
	mem = NULL;
	snprintf(tmp, n, "%s.tmp", path);
	rc = -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || res_write_all(fd, text, len) || fsync(fd)) {
		e = errno;
		goto out;
	}
	if (close(fd) != 0) {
		e = errno;
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		e = errno;
		goto out;
	}
	rc = 0;
out:
	if (mem)
		fclose(mem);
	if (fd >= 0)
		close(fd);
	if (rc && tmp)
		unlink(tmp);
	free(tmp);
	free(text);
	if (rc)
		errno = e;
	return rc;
}

static void write_host(struct res_json *j)
{
	struct utsname u;
	char buf[256];
	uname(&u);
	res_json_obj(j, "host");
	res_json_str(j, "name", u.nodename);
	cpu_model(buf, sizeof(buf));
	res_json_str(j, "cpu_model", buf);
	res_json_int(j, "cpus_online", sysconf(_SC_NPROCESSORS_ONLN));
	res_json_str(j, "kernel", u.release);
	res_json_str(j, "machine", u.machine);
	res_json_str(j, "glibc", gnu_get_libc_version());
	bracketed("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf));
	res_json_str(j, "thp_enabled", buf);
	bracketed("/sys/kernel/mm/transparent_hugepage/defrag", buf, sizeof(buf));
	res_json_str(j, "thp_defrag", buf);
	res_host_write(j);
	res_json_end_obj(j);
}

static void write_build(struct res_json *j)
{
	const char *c = NB_COMMIT;
	res_json_obj(j, "build");
	res_json_str(j, "compiler", NB_COMPILER);
	res_json_str(j, "flags", NB_CFLAGS);
	res_json_str(j, "nano_flags", NB_NANO_FLAGS);
	res_json_str(j, "options", NB_OPTIONS);
	res_json_str(j, "version", NB_VERSION);
	res_json_str(j, "git_commit", c);
	res_json_bool(j, "git_dirty", strstr(c, "-dirty") != NULL);
	res_json_end_obj(j);
}

/* "auto_repetitions": { "max", "halfwidth", "blocks": { "B": N }, "capped": [B] }
 * (res_meta_auto_reps reads "blocks" back, one "B": N per line) */
static void write_auto(struct res_json *j, const struct res_meta *m)
{
	char key[32];
	res_json_obj(j, "auto_repetitions");
	res_json_int(j, "max", m->auto_max);
	res_json_num(j, "halfwidth", m->auto_halfwidth);
	res_json_obj(j, "blocks");
	for (size_t b = 0; b < m->nblocks; b++) {
		if (!m->auto_reps[b])
			continue;
		snprintf(key, sizeof(key), "%zu", b);
		res_json_int(j, key, m->auto_reps[b]);
	}
	res_json_end_obj(j);
	res_json_arr(j, "capped");
	for (size_t b = 0; b < m->nblocks; b++)
		if (m->auto_reps[b] && m->auto_capped && m->auto_capped[b])
			res_json_int(j, NULL, (long long)b);
	res_json_end_arr(j);
	res_json_end_obj(j);
}

long res_meta_auto_reps(const char *dir, unsigned *reps, size_t nblocks, unsigned *max)
{
	char path[4096], line[1024];
	FILE *f;
	int state = 0;             /* 0 before, 1 in auto_repetitions, 2 in its blocks */
	long n = -1;

	for (size_t b = 0; b < nblocks; b++)
		reps[b] = 0;
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	if (!(f = fopen(path, "r")))
		return -1;
	while (state < 3 && fgets(line, sizeof(line), f)) {
		unsigned long b, r;
		if (state == 0 && strstr(line, "\"auto_repetitions\": {")) {
			state = 1;
			n = 0;
		} else if (state == 1 && max && sscanf(line, " \"max\": %lu", &r) == 1) {
			*max = (unsigned)r;
		} else if (state == 1 && strstr(line, "\"blocks\": {")) {
			state = 2;
			if (strchr(line, '}'))
				state = 3;
		} else if (state == 2 && sscanf(line, " \"%lu\": %lu", &b, &r) == 2) {
			if (b < nblocks && r > 0) {
				reps[b] = (unsigned)r;
				n++;
			}
		} else if (state == 2 && strchr(line, '}')) {
			state = 3;
		}
	}
	fclose(f);
	return n;
}

/* ------------------------------------------------------------------------
 * What the rows so far say
 * ---------------------------------------------------------------------- */

/* The counter columns a machine may leave empty (docs/results.md): the
 * perf events, the migrations count and steal time. nano's own columns are
 * not machine facts (empty for every other allocator). */
static const char *const counter_cols[] = {
	RES_COL(cpu_migrations), RES_COL(perf_ctx_switches), RES_COL(perf_page_faults),
	RES_COL(cycles), RES_COL(instructions), RES_COL(cache_misses), RES_COL(steal_s),
};
#define NCOUNTERS (sizeof(counter_cols) / sizeof(counter_cols[0]))

struct row_facts {
	struct res_table t;
	int loaded;
	size_t nwork;                    /* successful workload (not program) rows */
	unsigned char seen[NCOUNTERS];   /* counter i has a value in one of them */
};

static void facts_load(const char *dir, struct row_facts *rf)
{
	char path[4096], err[256];
	memset(rf, 0, sizeof(*rf));
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	if (access(path, R_OK) || res_table_load(path, &rf->t, err, sizeof(err)))
		return;
	rf->loaded = 1;
	for (size_t r = 0; r < rf->t.nrows; r++) {
		if (strcmp(res_get(&rf->t, r, RES_COL(cell_status)), "ok") ||
		    !strcmp(res_get(&rf->t, r, RES_COL(req_size_dist)), "program"))
			continue;
		rf->nwork++;
		for (size_t c = 0; c < NCOUNTERS; c++)
			rf->seen[c] |= res_get(&rf->t, r, counter_cols[c])[0] != 0;
	}
}

/* The version allocator label's successful cells reported, or "". */
static const char *facts_version(const struct row_facts *rf, const char *label)
{
	for (size_t r = 0; rf->loaded && r < rf->t.nrows; r++)
		if (!strcmp(res_get(&rf->t, r, RES_COL(alloc_label)), label) &&
		    !strcmp(res_get(&rf->t, r, RES_COL(cell_status)), "ok") &&
		    res_get(&rf->t, r, RES_COL(alloc_version))[0])
			return res_get(&rf->t, r, RES_COL(alloc_version));
	return "";
}

/* "counters_unavailable": the counter columns empty in every successful
 * workload row; "unknown" before there is one. */
static void facts_counters(struct res_json *j, const struct row_facts *rf)
{
	if (!rf->nwork) {
		res_json_str(j, "counters_unavailable", "unknown");
		return;
	}
	res_json_arr(j, "counters_unavailable");
	for (size_t c = 0; c < NCOUNTERS; c++)
		if (!rf->seen[c])
			res_json_str(j, NULL, counter_cols[c]);
	res_json_end_arr(j);
}

struct meta_ctx {
	const struct res_meta *m;
	struct row_facts rf;
};

static int write_meta(void *vctx, FILE *f)
{
	struct meta_ctx *x = vctx;
	const struct res_meta *m = x->m;
	struct res_json j;
	char when[64];

	res_json_init(&j, f, 1);
	res_json_obj(&j, NULL);
	res_json_int(&j, "schema", 1);
	/* the versions of the CSV files, which carry none themselves */
	res_json_int(&j, "results_schema", RES_SCHEMA_VERSION);
	res_json_int(&j, "stats_schema", RES_STATS_SCHEMA_VERSION);
	res_json_str(&j, "matrix", m->matrix_name);
	res_json_str(&j, "matrix_file", m->matrix_file);
	res_json_str(&j, "matrix_hash", m->matrix_hash);
	res_json_str(&j, "status", m->status);
	res_json_bool(&j, "partial", m->partial);
	if (m->partial && m->block >= 0)
		res_json_int(&j, "block", m->block);
	if (m->cells_pus) {
		res_json_str(&j, "cells_resolved", m->cells_at_emit ? "emit-jobs" : "host");
		res_json_int(&j, "cells_pus", m->cells_pus);
		res_json_int(&j, "cells_cores", m->cells_cores);
	}
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", localtime(&m->start));
	res_json_str(&j, "start", when);
	if (m->end) {
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", localtime(&m->end));
		res_json_str(&j, "end", when);
	} else {
		res_json_str(&j, "end", NULL);
	}
	write_host(&j);
	write_build(&j);
	res_json_obj(&j, "topology");
	res_json_str(&j, "summary", m->topology_summary);
	res_json_str(&j, "fingerprint", m->topology_fingerprint && m->topology_fingerprint[0] ?
		     m->topology_fingerprint : "unknown");
	res_json_str(&j, "xml", "topology.xml");
	if (m->topology_cpus)
		res_json_str(&j, "cpus_allowed", m->topology_cpus);
	res_json_end_obj(&j);
	res_json_arr(&j, "allocators");
	for (size_t i = 0; i < m->nalloc; i++) {
		const struct res_meta_alloc *a = &m->allocs[i];
		res_json_obj(&j, NULL);
		res_json_str(&j, "label", a->label);
		res_json_str(&j, "requested", a->base);
		res_json_str(&j, "library", a->library);
		res_json_str(&j, "version", a->version && a->version[0] ? a->version :
			     facts_version(&x->rf, a->label));
		res_json_arr(&j, "env");
		for (size_t k = 0; k < a->nenv; k++)
			res_json_str(&j, NULL, a->env[k]);
		res_json_end_arr(&j);
		res_json_end_obj(&j);
	}
	res_json_end_arr(&j);
	facts_counters(&j, &x->rf);
	if (m->nmerged) {
		res_json_arr(&j, "merged_from");
		for (size_t i = 0; i < m->nmerged; i++)
			res_json_str(&j, NULL, m->merged_from[i]);
		res_json_end_arr(&j);
	}
	if (m->auto_max)
		write_auto(&j, m);
	res_json_arr(&j, "cells");
	for (size_t i = 0; i < m->ncells; i++)
		res_json_str(&j, NULL, m->cell_keys[i]);
	res_json_end_arr(&j);
	res_json_end_obj(&j);
	fputc('\n', f);
	return ferror(f) ? -1 : 0;
}

int res_meta_write(const char *dir, const struct res_meta *m, char *err, size_t errlen)
{
	char path[4096];
	struct meta_ctx x = { .m = m };
	int rc = 0;
	facts_load(dir, &x.rf);
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	if (res_write_atomic(path, write_meta, &x) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	if (x.rf.loaded)
		res_table_free(&x.rf.t);
	return rc;
}
