/*
 * run_matrix_run.c - run the cells of a matrix into a run folder.
 *
 * The run folder is created (or, with --resume, checked) before the first
 * cell: matrix.ini (a copy; its hash is the run's identity), topology.xml,
 * meta.json (status "running"), results.csv (schema line and header).
 * Each cell then runs in its own process; its row is appended the moment it
 * ends. meta.json is rewritten at the end with the final status, and the
 * summary and plots are made from results.csv.
 */
#include "run_alloc.h"
#include "run_cmds.h"
#include "run_exec.h"
#include "run_matrix.h"
#include "run_procs.h"
#include "run_row.h"
#include "run_util.h"

#include "res_csv.h"
#include "res_meta.h"
#include "res_summary.h"

#include <errno.h>
#include <stdarg.h>
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define ROW_MAX 16384

struct exec_ctx {
	const struct run_matrix *m;
	const char *dir;
	char self[4096];
	char host[256];
	char xml[4200];
	char hash[32];
	int tty, quiet;
	time_t t0;
	double planned_s, done_planned_s;
	const char **alloc_lib;       /* per matrix allocator: resolved library */
	char glibc_out[RUN_MAX_LIST][4400];   /* program cells: reference output per wl */
};

/* ------------------------------------------------------------------------
 * The run folder
 * ---------------------------------------------------------------------- */

static int dir_is_empty(const char *dir)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	if (access(path, F_OK) == 0)
		return 0;
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	return access(path, F_OK) != 0;
}

/* Check or create the folder; nothing is written when it is refused. */
static int prepare_dir(struct exec_ctx *x, const char *matrix_path, int resume,
		       hwloc_topology_t topo)
{
	char path[4200], have[32];

	run_file_hash(matrix_path, x->hash, sizeof(x->hash));
	if (res_meta_get(x->dir, "matrix_hash", have, sizeof(have)))
		have[0] = 0;
	if (resume) {
		if (!have[0]) {
			fprintf(stderr, "nanobench matrix: --resume %s: not a run folder (no meta.json)\n", x->dir);
			return 2;
		}
		if (strcmp(have, x->hash)) {
			fprintf(stderr, "nanobench matrix: --resume %s: that folder holds a run of another matrix "
				"(hash %s, this one %s)\n", x->dir, have, x->hash);
			return 2;
		}
	} else if (have[0] || !dir_is_empty(x->dir)) {
		if (have[0] && !strcmp(have, x->hash))
			fprintf(stderr, "nanobench matrix: --out %s already holds a run of this matrix "
				"(use --resume %s)\n", x->dir, x->dir);
		else
			fprintf(stderr, "nanobench matrix: --out %s already holds a different run\n", x->dir);
		return 2;
	}
	if (run_mkdirs(x->dir)) {
		fprintf(stderr, "nanobench matrix: cannot create %s: %s\n", x->dir, strerror(errno));
		return 2;
	}
	snprintf(path, sizeof(path), "%s/logs", x->dir);
	run_mkdirs(path);
	snprintf(path, sizeof(path), "%s/matrix.ini", x->dir);
	if (!resume && run_copy_file(matrix_path, path)) {
		fprintf(stderr, "nanobench matrix: cannot write %s\n", path);
		return 2;
	}
	snprintf(x->xml, sizeof(x->xml), "%s/topology.xml", x->dir);
	if (hwloc_topology_export_xml(topo, x->xml, 0) != 0) {
		fprintf(stderr, "nanobench matrix: cannot write %s\n", x->xml);
		return 2;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Meta
 * ---------------------------------------------------------------------- */

static int write_meta(const struct exec_ctx *x, const struct run_cell *cells, size_t n,
		      const char *summary, const char *status, int partial)
{
	const struct run_matrix *m = x->m;
	struct res_meta_alloc al[RUN_MAX_LIST];
	const char *env[RUN_MAX_LIST][RUN_MATRIX_MAX_ENV + 1];
	char own[RUN_MAX_LIST][64];
	const char **keys = malloc((n ? n : 1) * sizeof(char *));
	char err[512];
	int rc;

	if (!keys)
		return -1;
	for (unsigned i = 0; i < m->nalloc; i++) {
		const struct run_alloc_def *a = &m->alloc[i];
		unsigned ne = 0;
		/* the allocator's own setting first, as its cells get it */
		run_alloc_env(a->base, NULL, 0, own[i], sizeof(own[i]));
		if (own[i][0])
			env[i][ne++] = own[i];
		for (unsigned k = 0; k < a->nenv; k++)
			env[i][ne++] = a->env[k];
		al[i] = (struct res_meta_alloc){ a->name, a->base, x->alloc_lib[i], "", env[i], ne };
	}
	for (size_t i = 0; i < n; i++)
		keys[i] = cells[i].key;
	struct res_meta meta = {
		.matrix_name = m->name, .matrix_file = "matrix.ini", .matrix_hash = x->hash,
		.topology_summary = summary, .allocs = al, .nalloc = m->nalloc,
		.cell_keys = keys, .ncells = n, .start = x->t0,
		.end = strcmp(status, "running") ? time(NULL) : 0, .status = status,
		.partial = partial,
	};
	rc = res_meta_write(x->dir, &meta, err, sizeof(err));
	if (rc)
		fprintf(stderr, "nanobench matrix: %s\n", err);
	free(keys);
	return rc;
}

/* ------------------------------------------------------------------------
 * Resume: which cells already have a row
 * ---------------------------------------------------------------------- */

static char *done_keys(const char *csv, size_t *len)
{
	struct res_table t;
	char err[512], *keys;
	size_t n = 0;
	*len = 0;
	if (access(csv, F_OK) || res_table_load(csv, &t, err, sizeof(err)))
		return NULL;
	size_t cap = 1;
	for (size_t r = 0; r < t.nrows; r++)
		cap += strlen(res_get(&t, r, "cell_key")) + 1;
	keys = malloc(cap);
	if (keys) {
		for (size_t r = 0; r < t.nrows; r++)
			n += (size_t)sprintf(keys + n, "%s\n", res_get(&t, r, "cell_key"));
		keys[n] = 0;
		*len = n;
	}
	res_table_free(&t);
	return keys;
}

static int is_done(const char *keys, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = keys; p && *p; p = strchr(p, '\n') + 1)
		if (!strncmp(p, key, kl) && p[kl] == '\n')
			return 1;
	return 0;
}

/* ------------------------------------------------------------------------
 * One cell
 * ---------------------------------------------------------------------- */

struct argv_buf {
	int n;
	char *v[160];
	char store[16384];
	size_t used;
};

static void push(struct argv_buf *a, const char *s)
{
	size_t l = strlen(s) + 1;
	if (a->n >= 158 || a->used + l > sizeof(a->store))
		return;
	memcpy(a->store + a->used, s, l);
	a->v[a->n++] = a->store + a->used;
	a->v[a->n] = NULL;
	a->used += l;
}

static void pushf(struct argv_buf *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pushf(struct argv_buf *a, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	push(a, buf);
}

/* The nano settings a variant asks for, as environment. */
static void nano_env(const struct run_cell *c, struct argv_buf *e, int as_setenv)
{
	if (!c->alloc->is_nano)
		return;
	if (c->hyper_shift >= 0) {
		if (as_setenv)
			push(e, "--setenv");
		pushf(e, "NANO_HYPER_SHIFT=%d", c->hyper_shift);
	}
	if (c->map[0]) {
		if (as_setenv)
			push(e, "--setenv");
		pushf(e, "NANO_MAG_MAP=%s", c->map);
	}
}

static void workload_argv(const struct exec_ctx *x, const struct run_cell *c, struct argv_buf *a,
			  int with_fd)
{
	const struct run_wl *w = c->wl;
	a->n = 0;
	a->used = 0;
	push(a, x->self);
	push(a, "run");
	push(a, w->workload);
	for (unsigned i = 0; i < w->nparams; i++) {
		pushf(a, "--%s", w->pkey[i]);
		push(a, w->pval[i]);
	}
	pushf(a, "--threads=%u", c->threads);
	pushf(a, "--placement=%s", c->placement);
	if (strcmp(c->size_dist, "classic"))
		pushf(a, "--size-dist=%s", c->size_dist);
	if (c->duration != RUN_NATURAL)
		pushf(a, "--duration=%g", c->duration);
	pushf(a, "--seed=%lu", x->m->seed);
	pushf(a, "--allocator=%s", c->alloc->base);
	for (unsigned i = 0; i < c->alloc->nenv; i++) {
		push(a, "--setenv");
		push(a, c->alloc->env[i]);
	}
	nano_env(c, a, 1);
	pushf(a, "--topology-xml=%s", x->xml);
	if (with_fd) {
		push(a, "--csv");
		push(a, "--header");
		pushf(a, "--record-fd=%d", RUN_RECORD_FD);
	}
}

static void clean_env(struct argv_buf *e)
{
	const char *home = getenv("HOME"), *libs = getenv("LD_LIBRARY_PATH");
	e->n = 0;
	e->used = 0;
	push(e, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	pushf(e, "HOME=%s", home ? home : "/");
	push(e, "LC_ALL=C");
	/* nanobench's own libraries may live outside the loader's paths (an
	 * install in a prefix, libraries carried to a machine without them):
	 * the cell's process must find them as the runner did */
	if (libs && libs[0])
		pushf(e, "LD_LIBRARY_PATH=%s", libs);
}

/* Whether the environment built so far asks for nano's rseq front. */
static int asks_rseq(const struct argv_buf *e)
{
	int rseq = 0;
	for (int i = 0; i < e->n; i++)
		if (!strncmp(e->v[i], "NANO_FRONT=", 11))
			rseq = !strcmp(e->v[i] + 11, "rseq");     /* the last one wins */
	return rseq;
}

/* Program cells: the command under /bin/sh, a counting library and the
 * allocator preloaded (run_procs.h), the allocator's settings. */
static int program_cell(struct exec_ctx *x, const struct run_cell *c, unsigned ai,
			struct argv_buf *a, struct argv_buf *e, struct run_procs *procs,
			char *why, size_t len)
{
	a->n = 0;
	a->used = 0;
	push(a, "/bin/sh");
	push(a, "-c");
	push(a, c->wl->command);
	clean_env(e);
	pushf(e, "NANOBENCH_THREADS=%u", c->threads);
	for (unsigned i = 0; i < c->alloc->nenv; i++)
		push(e, c->alloc->env[i]);
	nano_env(c, e, 0);
	/* what `run --allocator` adds by itself (nano-rseq: NANO_FRONT=rseq) */
	char own[64];
	run_alloc_env(c->alloc->base, e->v, e->n, own, sizeof(own));
	if (own[0])
		push(e, own);
	if (run_procs_prepare(procs, x->dir, c->index, x->alloc_lib[ai], asks_rseq(e), c->wl->min_calls,
			      why, len))
		return -1;
	for (unsigned i = 0; i < procs->nenv; i++)
		push(e, procs->env[i]);
	return 0;
}

static int same_file(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int same = fa && fb, ca, cb;
	while (same) {
		ca = fgetc(fa);
		cb = fgetc(fb);
		if (ca != cb)
			same = 0;
		if (ca == EOF || cb == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

static size_t program_known(const struct run_cell *c, const struct run_outcome *o,
			    const struct run_procs_sum *ps, const char *status, struct run_row_known *k)
{
	size_t n = 0;
#define KNOWN(name_, ...) do { k[n].name = name_; snprintf(k[n].value, sizeof(k[n].value), __VA_ARGS__); n++; } while (0)
	KNOWN("workload", "%s", c->wl->name);
	KNOWN("threads", "%u", c->threads);
	KNOWN("placement", "%s", c->placement);
	KNOWN("alloc_requested", "%s", c->alloc->base);
	KNOWN("alloc_library", "%.255s", ps->library);
	KNOWN("wall_s", "%.6f", o->wall_s);
	KNOWN("user_s", "%.6f", (double)o->ru.ru_utime.tv_sec + (double)o->ru.ru_utime.tv_usec * 1e-6);
	KNOWN("sys_s", "%.6f", (double)o->ru.ru_stime.tv_sec + (double)o->ru.ru_stime.tv_usec * 1e-6);
	/* the measured program's own peak, not the largest of the pipeline's */
	if (ps->main_hwm_kib)
		KNOWN("peak_rss_kib", "%llu", (unsigned long long)ps->main_hwm_kib);
	else
		KNOWN("peak_rss_kib", "%ld", o->ru.ru_maxrss);
	KNOWN("minor_faults", "%ld", o->ru.ru_minflt);
	KNOWN("major_faults", "%ld", o->ru.ru_majflt);
	KNOWN("vol_ctx_switches", "%ld", o->ru.ru_nvcsw);
	KNOWN("invol_ctx_switches", "%ld", o->ru.ru_nivcsw);
	KNOWN("prog_procs", "%u", ps->nprocs);
	KNOWN("prog_alloc_calls", "%llu", (unsigned long long)ps->calls);
	KNOWN("prog_calls_per_s", "%.0f", o->wall_s > 0 ? (double)ps->calls / o->wall_s : 0.0);
	KNOWN("prog_main", "%.255s", ps->main_exe);
	if (ps->nano_share >= 0)
		KNOWN("prog_nano_served", "%.4f", ps->nano_share);
	if (ps->nano_front[0]) {
		KNOWN("nano_front", "%s", ps->nano_front);
		KNOWN("nano_front_reason", "%.255s", ps->nano_reason);
	}
	KNOWN("status", "%s", status);
#undef KNOWN
	return n;
}

static size_t failed_known(const struct run_cell *c, const char *reason, struct run_row_known *k)
{
	k[0].name = "workload";
	snprintf(k[0].value, sizeof(k[0].value), "%s", c->wl->workload);
	k[1].name = "threads";
	snprintf(k[1].value, sizeof(k[1].value), "%u", c->threads);
	k[2].name = "alloc_requested";
	snprintf(k[2].value, sizeof(k[2].value), "%s", c->alloc->base);
	k[3].name = "status";
	snprintf(k[3].value, sizeof(k[3].value), "failed");
	k[4].name = "message";
	snprintf(k[4].value, sizeof(k[4].value), "%.255s", reason);
	k[5].name = "placement";
	snprintf(k[5].value, sizeof(k[5].value), "%.255s", c->placement);
	return 6;
}

static unsigned alloc_index(const struct run_matrix *m, const struct run_alloc_def *a)
{
	return (unsigned)(a - m->alloc);
}

/* Run one cell and append its row (warm-ups: run only). Returns the
 * cell's status. */
static enum run_status run_cell(struct exec_ctx *x, const struct run_cell *c, struct res_writer *w)
{
	static struct argv_buf a, e;
	static char row[ROW_MAX];
	char log[4400], out[4400], cmd[8192];
	struct run_outcome o;
	struct run_row_known known[24];
	size_t nknown = 0;
	unsigned ai = alloc_index(x->m, c->alloc);
	const char *status, *reason;
	static struct run_procs procs;
	struct run_procs_sum psum;
	char why[600];
	int started = 1;

	snprintf(log, sizeof(log), "%s/logs/cell-%05u.log", x->dir, c->index);
	snprintf(out, sizeof(out), "%s/logs/cell-%05u.out", x->dir, c->index);
	if (c->wl->is_program) {
		started = program_cell(x, c, ai, &a, &e, &procs, why, sizeof(why)) == 0;
		run_row_command(cmd, sizeof(cmd), a.v);
	} else {
		workload_argv(x, c, &a, 0);
		run_row_command(cmd, sizeof(cmd), a.v);   /* the rerun command: no record fd */
		workload_argv(x, c, &a, 1);
		clean_env(&e);
	}
	if (!started) {
		memset(&o, 0, sizeof(o));
		o.status = RUN_ERROR;
		snprintf(o.reason, sizeof(o.reason), "%.500s", why);
	} else if (run_exec(a.v, e.v, x->m->timeout, log, c->wl->is_program ? out : NULL, &o) != 0) {
		o.status = RUN_ERROR;
	}
	status = run_status_name(o.status);
	reason = o.reason;
	memset(&psum, 0, sizeof(psum));
	psum.nano_share = -1;
	/* first the processes' own report: a cell whose allocator did not
	 * serve it never becomes the reference output */
	if (c->wl->is_program && started && run_procs_verdict(&procs, &psum, why, sizeof(why)) &&
	    o.status == RUN_OK) {
		o.status = RUN_FAILED;
		status = "failed";
		reason = why;
	}
	if (c->wl->is_program && o.status == RUN_OK && c->wl->check_output) {
		unsigned wi = (unsigned)(c->wl - x->m->wl);
		if (!strcmp(c->alloc->base, "glibc") && !x->glibc_out[wi][0])
			snprintf(x->glibc_out[wi], sizeof(x->glibc_out[wi]), "%s", out);
		else if (x->glibc_out[wi][0] && !same_file(x->glibc_out[wi], out)) {
			o.status = RUN_FAILED;
			status = "failed";
			reason = "output differs from the glibc run";
		}
	}
	if (c->wl->is_program && o.status == RUN_OK) {
		/* ld.so only warns when a preload cannot be loaded: that is a
		 * silent glibc measurement, so it fails the cell */
		FILE *f = fopen(log, "r");
		char line[1024];
		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, "cannot be preloaded")) {
				o.status = RUN_FAILED;
				status = "failed";
				reason = "the preload did not take effect (ld.so: cannot be preloaded)";
			}
		if (f)
			fclose(f);
	}
	if (!c->warmup && o.status != RUN_INTERRUPTED) {
		const char *rec = !c->wl->is_program && o.record_len ? o.record : NULL;
		if (c->wl->is_program)
			nknown = program_known(c, &o, &psum, status, known);
		else if (!rec)
			nknown = failed_known(c, reason, known);
		if (run_row_format(row, sizeof(row), x->m->name, x->host, c, status, reason, o.wall_s,
				   cmd, rec, known, nknown) != 0 && rec) {
			/* a record we cannot read is a failed cell, not a lost one */
			nknown = failed_known(c, "unreadable record from the cell", known);
			run_row_format(row, sizeof(row), x->m->name, x->host, c, "failed",
				       "unreadable record from the cell", o.wall_s, cmd, NULL, known, nknown);
			o.status = RUN_FAILED;
		}
		if (res_writer_row(w, row) != 0)
			fprintf(stderr, "nanobench matrix: cannot append to results.csv: %s\n", strerror(errno));
	}
	if (o.status == RUN_OK)
		unlink(log);        /* keep the logs of failed cells only */
	if (c->wl->is_program && started)
		run_procs_cleanup(&procs, o.status != RUN_OK);
	if (!c->wl->is_program || (x->glibc_out[c->wl - x->m->wl][0] && strcmp(out, x->glibc_out[c->wl - x->m->wl])))
		unlink(out);
	run_outcome_free(&o);
	return o.status;
}

/* ------------------------------------------------------------------------
 * Progress
 * ---------------------------------------------------------------------- */

static void progress(struct exec_ctx *x, size_t i, size_t n, const struct run_cell *c,
		     enum run_status st)
{
	double el = difftime(time(NULL), x->t0);
	double eta = x->done_planned_s > 0 ? el / x->done_planned_s * (x->planned_s - x->done_planned_s) : 0;
	if (x->quiet)
		return;
	if (x->tty)
		fprintf(stderr, "\r\033[K[%zu/%zu] %s  %s  %.0fs elapsed, ~%.0fs left", i + 1, n, c->key,
			run_status_name(st), el, eta);
	else
		fprintf(stderr, "[%zu/%zu] %s %s (%.0fs elapsed, ~%.0fs left)\n", i + 1, n, c->key,
			run_status_name(st), el, eta);
}

/* ------------------------------------------------------------------------
 * The loop
 * ---------------------------------------------------------------------- */

static int resolve_libs(struct exec_ctx *x, const char **libs, char (*store)[4096])
{
	for (unsigned i = 0; i < x->m->nalloc; i++) {
		struct run_alloc ra;
		char err[512];
		if (run_alloc_resolve(x->m->alloc[i].base, &ra, err, sizeof(err)) != 0) {
			fprintf(stderr, "nanobench matrix: %s\n", err);
			return -1;
		}
		snprintf(store[i], 4096, "%s", ra.lib);
		libs[i] = store[i];
	}
	return 0;
}

int run_matrix_execute(const struct run_matrix *m, const char *matrix_path, struct run_cell *cells,
		       size_t n, struct hwloc_topology *topo, const char *summary, const char *dir,
		       int resume, long only_block, int quiet)
{
	static struct exec_ctx x;
	static char libstore[RUN_MAX_LIST][4096];
	const char *libs[RUN_MAX_LIST];
	struct res_writer w;
	struct utsname u;
	char header[ROW_MAX], csv[4200], err[1024], *done;
	size_t ndone_len, nrun = 0, failed = 0;
	int rc, interrupted = 0;

	memset(&x, 0, sizeof(x));
	x.m = m;
	x.dir = dir;
	x.quiet = quiet;
	x.tty = isatty(2);
	x.t0 = time(NULL);
	x.alloc_lib = libs;
	run_self_exe(x.self, sizeof(x.self));
	uname(&u);
	snprintf(x.host, sizeof(x.host), "%s", u.nodename);
	if (resolve_libs(&x, libs, libstore))
		return 2;
	if ((rc = prepare_dir(&x, matrix_path, resume, topo)) != 0)
		return rc;
	snprintf(csv, sizeof(csv), "%s/results.csv", dir);
	done = resume ? done_keys(csv, &ndone_len) : NULL;
	run_row_header(header, sizeof(header));
	if (res_writer_open(&w, csv, header, err, sizeof(err))) {
		fprintf(stderr, "nanobench matrix: %s\n", err);
		free(done);
		return 2;
	}
	write_meta(&x, cells, n, summary, "running", only_block >= 0);
	for (size_t i = 0; i < n; i++)
		if ((only_block < 0 || cells[i].block == (unsigned)only_block) && !(done && is_done(done, cells[i].key)))
			x.planned_s += run_cell_estimate_s(&cells[i]);
	if (!quiet)
		fprintf(stderr, "nanobench matrix: %s -> %s (about %.0f s)\n", m->name, dir, x.planned_s);
	run_exec_catch_signals();
	for (size_t i = 0; i < n; i++) {
		const struct run_cell *c = &cells[i];
		if (only_block >= 0 && c->block != (unsigned)only_block)
			continue;
		if (done && is_done(done, c->key))
			continue;
		enum run_status st = run_cell(&x, c, &w);
		x.done_planned_s += run_cell_estimate_s(c);
		nrun++;
		progress(&x, i, n, c, st);
		if (st == RUN_INTERRUPTED || run_exec_interrupted()) {
			interrupted = 1;
			break;
		}
		if (st != RUN_OK && !c->warmup)
			failed++;
	}
	if (x.tty && !quiet)
		fputc('\n', stderr);
	res_writer_close(&w);
	free(done);
	write_meta(&x, cells, n, summary, interrupted ? "interrupted" : failed ? "failed-cells" : "complete",
		   only_block >= 0);
	if (interrupted) {
		fprintf(stderr, "nanobench matrix: interrupted; every completed cell is in %s "
			"(continue with: nanobench matrix --resume %s)\n", csv, dir);
		return 1;
	}
	if (res_summary_write(dir, err, sizeof(err)) != 0)
		fprintf(stderr, "nanobench matrix: summary: %s\n", err);
	else
		run_plot_stage(dir, "nanobench matrix");
	if (!quiet)
		fprintf(stderr, "nanobench matrix: %zu cells run, %zu failed; results in %s\n", nrun, failed, dir);
	return failed ? 1 : 0;
}
