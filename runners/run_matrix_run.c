/*
 * run_matrix_run.c - run the cells of a matrix into a run folder.
 *
 * The run folder is created (or, with --resume, checked) before the first
 * cell: matrix.ini (a copy; its hash is the run's identity), topology.xml,
 * meta.json (status "running"), results.csv (schema line and header).
 * Each cell then runs in its own process; its row is appended the moment it
 * ends. meta.json is rewritten at the end with the final status, and the
 * summary and plots are made from results.csv.
 *
 * Nothing is lost silently. A row that cannot be written (a full disk)
 * stops the run at once: the part written is cut off again, meta.json says
 * "incomplete" (when it can still be written) and the exit status is
 * RUN_EXIT_WRITE. At the end results.csv is read back and every cell the
 * run was to measure must have its row, or the run is "incomplete" too.
 * --resume first sets aside the lines of results.csv that are not rows (a
 * row cut by a crash, a malformed one), each named by its line, into
 * rejected-rows.txt, and then runs exactly the cells without a row.
 */
#include "run_alloc.h"
#include "run_auto.h"
#include "run_cmds.h"
#include "run_exec.h"
#include "run_matrix_run.h"
#include "run_procs.h"
#include "run_program.h"
#include "run_row.h"
#include "run_util.h"

#include "res_check.h"
#include "res_cols.h"
#include "res_csv.h"
#include "res_meta.h"
#include "res_summary.h"
#include "wl_topo.h"

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
	char fingerprint[24];         /* nano's topology fingerprint, for meta.json */
	char cpus[900];               /* the CPUs placements may use, for meta.json (one
	                               * line of it: res_meta_get reads 1024 bytes) */
	int tty, quiet;
	time_t t0;
	double planned_s, done_planned_s;
	const char **alloc_lib;       /* per matrix allocator: resolved library */
	int write_err;                /* errno of a row that could not be written */
	char glibc_out[RUN_MAX_LIST][4400];   /* program cells: reference output per wl */
	size_t nblocks;               /* repetitions = auto: per block, the count */
	unsigned *auto_reps;          /*   it took (0: not decided yet) and */
	unsigned char *auto_capped;   /*   whether the cap stopped it */
	const struct run_resolved *rv;   /* the machine the cells were expanded for */
	long only_block;              /* a job's block (-1: all) */
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
		       const struct wl_topo *topo)
{
	char path[4200], have[32], cpus[1024];

	run_file_hash(matrix_path, x->hash, sizeof(x->hash));
	if (res_meta_get(x->dir, "matrix_hash", have, sizeof(have)))
		have[0] = 0;
	if (resume) {
		if (!have[0]) {
			fprintf(stderr, "nanobench matrix: --resume %s: not a run folder (%s)\n", x->dir,
				res_meta_missing(x->dir, "matrix_hash"));
			return 2;
		}
		if (strcmp(have, x->hash)) {
			fprintf(stderr, "nanobench matrix: --resume %s: that folder holds a run of another matrix "
				"(hash %s, this one %s)\n", x->dir, have, x->hash);
			return 2;
		}
		/* the same CPUs, or the resumed cells would be pinned elsewhere
		 * (folders of older versions do not say: not checked) */
		if (!res_meta_get(x->dir, "cpus_allowed", cpus, sizeof(cpus)) && strcmp(cpus, x->cpus)) {
			fprintf(stderr, "nanobench matrix: --resume %s: its cells ran on CPUs %s, and this "
				"process may use CPUs %s (another taskset or cgroup cpuset): resume it on "
				"the same CPUs, or start a new run\n", x->dir, cpus, x->cpus);
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
	snprintf(path, sizeof(path), "%s/logs", x->dir);
	if (run_mkdirs(x->dir) || run_mkdirs(path)) {
		/* a full disk is exit 3; a folder that cannot be one (a file on
		 * the way, no such parent, no permission) is bad input */
		const int e = errno, full = e == ENOSPC || e == EDQUOT || e == EIO;
		fprintf(stderr, "nanobench matrix: %s%s: cannot create %s: %s\n",
			resume ? "--resume " : "--out ", x->dir, path, strerror(e));
		return full ? RUN_EXIT_WRITE : 2;
	}
	snprintf(path, sizeof(path), "%s/matrix.ini", x->dir);
	if (!resume && run_copy_file(matrix_path, path)) {
		fprintf(stderr, "nanobench matrix: cannot write %s: %s\n", path, strerror(errno));
		return RUN_EXIT_WRITE;
	}
	snprintf(x->xml, sizeof(x->xml), "%s/topology.xml", x->dir);
	errno = 0;
	if (hwloc_topology_export_xml(wl_topo_whole(topo), x->xml, 0) != 0) {
		fprintf(stderr, "nanobench matrix: cannot write %s: %s\n", x->xml,
			strerror(errno ? errno : EIO));
		return RUN_EXIT_WRITE;
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
		.topology_summary = summary, .topology_fingerprint = x->fingerprint,
		.topology_cpus = x->cpus,
		.allocs = al, .nalloc = m->nalloc,
		.cell_keys = keys, .ncells = n, .start = x->t0,
		.end = strcmp(status, "running") ? time(NULL) : 0, .status = status,
		.partial = partial,
		.auto_max = m->auto_reps ? m->max_repetitions : 0, .auto_halfwidth = RUN_AUTO_HALFWIDTH,
		.nblocks = x->nblocks, .auto_reps = x->auto_reps, .auto_capped = x->auto_capped,
		.block = x->only_block, .cells_pus = x->rv->mach.npus,
		.cells_cores = x->rv->mach.ncores, .cells_at_emit = x->rv->at_emit,
	};
	rc = res_meta_write(x->dir, &meta, err, sizeof(err));
	if (rc)
		fprintf(stderr, "nanobench matrix: %s\n", err);
	free(keys);
	return rc;
}

/* ------------------------------------------------------------------------
 * Resume: repair results.csv, then which cells already have a row
 * ---------------------------------------------------------------------- */

static int by_line(const void *a, const void *b)
{
	const struct res_bad *x = a, *y = b;
	return (x->line > y->line) - (x->line < y->line);
}

/* Rows a reader would refuse (res_check.h: a value that is not data) and
 * the second row of one cell join the lines that are not rows; skip[r] is
 * set for each. -1: out of memory. */
static int reject_rows(struct res_table *t, unsigned char *skip)
{
	char why[256];
	size_t first;
	long d;
	for (size_t r = 0; r < t->nrows; r++) {
		if (res_row_check(t, r, why, sizeof(why)) == 0)
			continue;
		skip[r] = 1;
		if (res_table_reject_row(t, r, why))
			return -1;
	}
	while ((d = res_dup_key(t, skip, &first)) >= 0) {
		skip[d] = 1;
		snprintf(why, sizeof(why), "cell_key repeats the row of line %zu", t->line[first]);
		if (res_table_reject_row(t, (size_t)d, why))
			return -1;
	}
	return 0;
}

/* The cell keys of csv's good rows, one per line ("" for a new file).
 * Lines that are not rows (and rows reject_rows refuses) are named, and set
 * aside when repair is set (else they make it fail). NULL with a message
 * printed and errno set when the file cannot be read or repaired. */
static char *done_keys(const char *dir, const char *csv, int repair)
{
	struct res_table t;
	char err[1024], reject[4200], *keys = NULL;
	unsigned char *skip;
	size_t n = 0, cap = 1;
	int e = 0;

	if (access(csv, F_OK))
		return strdup("");
	if (res_table_load_lenient(csv, &t, err, sizeof(err))) {
		e = errno;
		fprintf(stderr, "nanobench matrix: %s\n", err);
		errno = e;
		return NULL;
	}
	if (!(skip = calloc(t.nrows + 1, 1)) || reject_rows(&t, skip)) {
		e = ENOMEM;
		goto out;
	}
	snprintf(reject, sizeof(reject), "%s/rejected-rows.txt", dir);
	qsort(t.bad, t.nbad, sizeof(*t.bad), by_line);
	for (size_t i = 0; i < t.nbad; i++)
		fprintf(stderr, "nanobench matrix: %s:%zu: %s%s%s\n", csv, t.bad[i].line, t.bad[i].why,
			repair ? "; set aside in " : "", repair ? reject : "");
	if (!repair && t.nbad) {
		e = EINVAL;
		goto out;
	}
	if (res_csv_drop_bad(&t, reject, err, sizeof(err))) {
		e = errno;
		fprintf(stderr, "nanobench matrix: --resume %s: %s\n", dir, err);
		goto out;
	}
	for (size_t r = 0; r < t.nrows; r++)
		cap += strlen(res_get(&t, r, RES_COL(cell_key))) + 1;
	if (!(keys = malloc(cap))) {
		e = ENOMEM;
		goto out;
	}
	for (size_t r = 0; r < t.nrows; r++)
		if (!skip[r])
			n += (size_t)sprintf(keys + n, "%s\n", res_get(&t, r, RES_COL(cell_key)));
	keys[n] = 0;
out:
	free(skip);
	res_table_free(&t);
	errno = e;
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

static int selected(const struct run_cell *c, long only_block)
{
	return only_block < 0 || c->block == (unsigned)only_block;
}

/* After the run: does every measured cell of the run have its row (a
 * repetition that repetitions = auto found unneeded has none)? Returns how
 * many have none (0), or -1 when results.csv cannot be read back. */
static long rows_missing(const struct exec_ctx *x, const char *csv, const struct run_cell *cells,
			 size_t n, long only_block)
{
	char *keys = done_keys(x->dir, csv, 0);
	long missing = 0;
	if (!keys)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct run_cell *c = &cells[i];
		int unneeded = x->m->auto_reps && x->auto_reps[c->block] && c->rep >= x->auto_reps[c->block];
		if (c->warmup || unneeded || !selected(c, only_block) || is_done(keys, c->key))
			continue;
		if (!missing++)
			fprintf(stderr, "nanobench matrix: cell %s has no row in %s\n", cells[i].key, csv);
	}
	free(keys);
	return missing;
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
	/* where the `reference` preset's programs live (run_program.h) */
	const char *ref = getenv("NANOBENCH_REFERENCE_DIR");
	if (ref && ref[0])
		pushf(e, "NANOBENCH_REFERENCE_DIR=%s", ref);
	/* nanobench's own libraries may live outside the loader's paths (an
	 * install in a prefix, libraries carried to a machine without them):
	 * the cell's process must find them as the runner did */
	if (libs && libs[0])
		pushf(e, "LD_LIBRARY_PATH=%s", libs);
	/* and the same copies of the allocators (run_alloc.c) */
	const char *own = getenv("NANOBENCH_ALLOC_DIR");
	if (own && own[0])
		pushf(e, "NANOBENCH_ALLOC_DIR=%s", own);
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

/* k[n++] = column name_ (res_cols.h) with a value made by printf. */
#define KNOWN(name_, ...) do { k[n].name = RES_COL(name_); \
		snprintf(k[n].value, sizeof(k[n].value), __VA_ARGS__); n++; } while (0)

static size_t program_known(const struct run_cell *c, const struct run_outcome *o,
			    const struct run_procs_sum *ps, const char *status, struct run_row_known *k)
{
	size_t n = 0;
	KNOWN(workload, "%s", c->wl->name);
	KNOWN(threads, "%u", c->threads);
	KNOWN(placement, "%s", c->placement);
	KNOWN(alloc_requested, "%s", c->alloc->base);
	KNOWN(alloc_library, "%.255s", ps->library);
	/* the measured program's own time: the pipeline around it (its shell,
	 * an input generator) is in cell_wall_s */
	KNOWN(wall_s, "%.6f", ps->main_s > 0 ? ps->main_s : o->wall_s);
	KNOWN(user_s, "%.6f", (double)o->ru.ru_utime.tv_sec + (double)o->ru.ru_utime.tv_usec * 1e-6);
	KNOWN(sys_s, "%.6f", (double)o->ru.ru_stime.tv_sec + (double)o->ru.ru_stime.tv_usec * 1e-6);
	/* the measured program's own peak, not the largest of the pipeline's */
	if (ps->main_hwm_kib)
		KNOWN(peak_rss_kib, "%llu", (unsigned long long)ps->main_hwm_kib);
	else
		KNOWN(peak_rss_kib, "%ld", o->ru.ru_maxrss);
	KNOWN(minor_faults, "%ld", o->ru.ru_minflt);
	KNOWN(major_faults, "%ld", o->ru.ru_majflt);
	KNOWN(vol_ctx_switches, "%ld", o->ru.ru_nvcsw);
	KNOWN(invol_ctx_switches, "%ld", o->ru.ru_nivcsw);
	KNOWN(prog_procs, "%u", ps->nprocs);
	KNOWN(prog_alloc_calls, "%llu", (unsigned long long)ps->calls);
	KNOWN(prog_calls_per_s, "%.0f", o->wall_s > 0 ? (double)ps->calls / o->wall_s : 0.0);
	KNOWN(prog_main, "%.255s", ps->main_exe);
	if (ps->nano_share >= 0)
		KNOWN(prog_nano_served, "%.4f", ps->nano_share);
	if (ps->nano_front[0]) {
		KNOWN(nano_front, "%s", ps->nano_front);
		KNOWN(nano_front_reason, "%.255s", ps->nano_reason);
	}
	KNOWN(status, "%s", status);
	return n;
}

static size_t failed_known(const struct run_cell *c, const char *reason, struct run_row_known *k)
{
	size_t n = 0;
	KNOWN(workload, "%s", c->wl->workload);
	KNOWN(threads, "%u", c->threads);
	KNOWN(alloc_requested, "%s", c->alloc->base);
	KNOWN(status, "failed");
	KNOWN(message, "%.255s", reason);
	KNOWN(placement, "%.255s", c->placement);
	return n;
}
#undef KNOWN

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
	char pwhy[600];
	int started = 1;

	snprintf(log, sizeof(log), "%s/logs/cell-%05u.log", x->dir, c->index);
	snprintf(out, sizeof(out), "%s/logs/cell-%05u.out", x->dir, c->index);
	if (c->wl->is_program) {
		started = program_cell(x, c, ai, &a, &e, &procs, pwhy, sizeof(pwhy)) == 0;
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
		snprintf(o.reason, sizeof(o.reason), "%.500s", pwhy);
	} else if (run_exec(a.v, e.v, x->m->timeout, log, c->wl->is_program ? out : NULL, &o) != 0)
		o.status = RUN_ERROR;
	else if (c->wl->is_program)
		run_outcome_shell(&o);      /* 128+N from /bin/sh: killed by signal N */
	if (!c->wl->is_program && o.status == RUN_OK && !o.record_len) {
		/* exit status 0 but no record: nothing was measured */
		o.status = RUN_FAILED;
		snprintf(o.reason, sizeof(o.reason), "the cell exited 0 without writing its record");
	}
	status = run_status_name(o.status);
	reason = o.reason;
	memset(&psum, 0, sizeof(psum));
	psum.nano_share = -1;
	/* first the processes' own report: a cell whose allocator did not
	 * serve it never becomes the reference output */
	if (c->wl->is_program && started && run_procs_verdict(&procs, &psum, pwhy, sizeof(pwhy)) &&
	    o.status == RUN_OK) {
		o.status = RUN_FAILED;
		status = "failed";
		reason = pwhy;
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
	struct run_row_metric metric, *mp = NULL;
	char why[512];
	if (c->wl->is_program && o.status == RUN_OK && c->wl->metric[0]) {
		double v;
		if (run_metric_find(c->wl->metric, out, log, &v, metric.value, sizeof(metric.value))) {
			snprintf(why, sizeof(why), "%.500s", metric.value);
			o.status = RUN_FAILED;
			status = "failed";
			reason = why;
		} else {
			metric.unit = c->wl->metric_unit;
			metric.higher_is_better = c->wl->higher_is_better;
			mp = &metric;
		}
	}
	if (!c->warmup && o.status != RUN_INTERRUPTED) {
		const char *rec = !c->wl->is_program && o.record_len ? o.record : NULL;
		if (c->wl->is_program)
			nknown = program_known(c, &o, &psum, status, known);
		else if (!rec)
			nknown = failed_known(c, reason, known);
		if (run_row_format(row, sizeof(row), x->m->name, x->host, c, status, reason, o.wall_s,
				   cmd, mp, rec, known, nknown) != 0 && rec) {
			/* a record we cannot read is a failed cell, not a lost one */
			nknown = failed_known(c, "unreadable record from the cell", known);
			run_row_format(row, sizeof(row), x->m->name, x->host, c, "failed",
				       "unreadable record from the cell", o.wall_s, cmd, NULL, NULL, known,
				       nknown);
			o.status = RUN_FAILED;
		}
		if (res_writer_row(w, row) != 0)
			x->write_err = errno ? errno : EIO;
	}
	if (o.status == RUN_OK)
		unlink(log);        /* keep the logs of failed cells only */
	if (c->wl->is_program && started)
		run_procs_cleanup(&procs, o.status != RUN_OK);
	/* a program's stdout stays when the cell failed, or as the reference
	 * output of the matrix's glibc cells */
	if (!c->wl->is_program || (o.status == RUN_OK && strcmp(out, x->glibc_out[c->wl - x->m->wl])))
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
 * repetitions = auto (run_auto.h)
 * ---------------------------------------------------------------------- */

/* Is cells[i] the first cell of a measured round of its block? */
static int round_start(const struct run_cell *cells, size_t i)
{
	const struct run_cell *c = &cells[i], *p = i ? &cells[i - 1] : NULL;
	return !c->warmup && (!p || p->block != c->block || p->warmup || p->rep != c->rep);
}

static int block_end(const struct run_cell *cells, size_t n, size_t i)
{
	return i + 1 == n || cells[i + 1].block != cells[i].block;
}

static void auto_decided(struct exec_ctx *x, const struct run_cell *cells, size_t n,
			 const char *summary, int partial, unsigned block, unsigned reps, int capped)
{
	x->auto_reps[block] = reps;
	x->auto_capped[block] = (unsigned char)capped;
	write_meta(x, cells, n, summary, "running", partial);
	if (!x->quiet)
		fprintf(stderr, "%snanobench matrix: block %u: %u repetitions (%s)\n", x->tty ? "\r\033[K" : "",
			block, reps, capped ? "the cap; some interval is still wider than +-5%" :
			"every ratio to glibc within +-5%");
}

/* Before cell i: does its block stop here? (A block whose count is known
 * skips the rest of its cells.) Returns 1 when cell i is not to run. */
static int auto_skip(struct exec_ctx *x, const struct run_cell *cells, size_t n, size_t i,
		     const char *summary, int partial)
{
	const struct run_cell *c = &cells[i];
	if (!x->m->auto_reps || c->warmup)
		return 0;
	if (!x->auto_reps[c->block] && c->rep >= x->m->repetitions && round_start(cells, i) &&
	    run_auto_converged(x->dir, c->block, c->rep))
		auto_decided(x, cells, n, summary, partial, c->block, c->rep, 0);
	return x->auto_reps[c->block] && c->rep >= x->auto_reps[c->block];
}

/* After the last cell of a block: the cap, when the rule never stopped it. */
static void auto_block_end(struct exec_ctx *x, const struct run_cell *cells, size_t n, size_t i,
			   const char *summary, int partial)
{
	const struct run_cell *c = &cells[i];
	if (!x->m->auto_reps || !block_end(cells, n, i) || x->auto_reps[c->block])
		return;
	int ok = run_auto_converged(x->dir, c->block, x->m->max_repetitions);
	auto_decided(x, cells, n, summary, partial, c->block, x->m->max_repetitions, !ok);
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

/* The run's memory goes; returns rc. */
static int end_run(struct exec_ctx *x, int rc)
{
	free(x->auto_reps);
	free(x->auto_capped);
	x->auto_reps = NULL;
	x->auto_capped = NULL;
	return rc;
}

/* Exit status of a file that could not be written or read: the disk's
 * fault (full, read-only, failing) or the folder's (bad input). */
static int io_status(int e)
{
	return e == ENOSPC || e == EDQUOT || e == EIO || e == EROFS || e == EFBIG ? RUN_EXIT_WRITE : 2;
}

/* Run the selected cells without a row. Returns 0, 1 (interrupted) or
 * RUN_EXIT_WRITE (a row could not be written: the run stopped there). */
static int run_cells(struct exec_ctx *x, const struct run_cell *cells, size_t n, const char *done,
		     const char *summary, long only_block, struct res_writer *w, size_t *nrun,
		     size_t *failed)
{
	int rc = 0, partial = only_block >= 0;
	for (size_t i = 0; i < n && !rc; i++) {
		const struct run_cell *c = &cells[i];
		if (!selected(c, only_block) || auto_skip(x, cells, n, i, summary, partial))
			continue;
		if (done && is_done(done, c->key)) {
			auto_block_end(x, cells, n, i, summary, partial);
			continue;
		}
		enum run_status st = run_cell(x, c, w);
		x->done_planned_s += run_cell_estimate_s(c);
		(*nrun)++;
		progress(x, i, n, c, st);
		if (x->write_err) {
			rc = RUN_EXIT_WRITE;
		} else if (st == RUN_INTERRUPTED || run_exec_interrupted()) {
			rc = 1;
		} else {
			if (st != RUN_OK && !c->warmup)
				(*failed)++;
			auto_block_end(x, cells, n, i, summary, partial);
		}
	}
	if (x->tty && !x->quiet)
		fputc('\n', stderr);
	return rc;
}

/* After the last cell: read the rows back, then meta.json, summary.md and
 * the plots. Returns the exit status. */
static int finish_run(struct exec_ctx *x, const struct run_cell *cells, size_t n, const char *summary,
		      long only_block, const char *csv, size_t failed)
{
	char err[1024];
	long missing = rows_missing(x, csv, cells, n, only_block);
	if (missing != 0) {
		write_meta(x, cells, n, summary, "incomplete", only_block >= 0);
		if (missing > 0)
			fprintf(stderr, "nanobench matrix: %ld cell%s of the run %s no row in %s: the run is "
				"incomplete (run the missing ones with: nanobench matrix --resume %s)\n",
				missing, missing == 1 ? "" : "s", missing == 1 ? "has" : "have", csv, x->dir);
		return RUN_EXIT_WRITE;
	}
	if (write_meta(x, cells, n, summary, failed ? "failed-cells" : "complete", only_block >= 0))
		return RUN_EXIT_WRITE;
	if (res_summary_write(x->dir, err, sizeof(err)) != 0) {
		fprintf(stderr, "nanobench matrix: summary: %s\n", err);
		write_meta(x, cells, n, summary, "incomplete", only_block >= 0);
		return RUN_EXIT_WRITE;
	}
	if (run_plot_stage(x->dir, "nanobench matrix") == RUN_PLOTS_DISK) {
		/* a plot that failed on a full disk is a run folder left
		 * incomplete, not a cosmetic warning */
		fprintf(stderr, "nanobench matrix: the run is incomplete without its plots (once the "
			"disk has room: nanobench matrix --resume %s)\n", x->dir);
		write_meta(x, cells, n, summary, "incomplete", only_block >= 0);
		return RUN_EXIT_WRITE;
	}
	return failed ? 1 : 0;
}

int run_matrix_execute(const struct run_matrix *m, const char *matrix_path, struct run_cell *cells,
		       size_t n, const struct wl_topo *topo, const char *summary,
		       const struct run_resolved *rv, const char *dir, int resume, long only_block,
		       int quiet)
{
	static struct exec_ctx x;
	static char libstore[RUN_MAX_LIST][4096];
	const char *libs[RUN_MAX_LIST];
	struct res_writer w;
	struct utsname u;
	char header[ROW_MAX], csv[4200], err[1024], *done = NULL;
	size_t nrun = 0, failed = 0;
	int rc;

	memset(&x, 0, sizeof(x));
	x.m = m;
	x.dir = dir;
	x.quiet = quiet;
	x.tty = isatty(2);
	x.t0 = time(NULL);
	x.alloc_lib = libs;
	x.rv = rv;
	x.only_block = only_block;
	run_topo_fingerprint(topo, x.fingerprint, sizeof(x.fingerprint));
	wl_topo_cpu_list(topo, x.cpus, sizeof(x.cpus));
	run_self_exe(x.self, sizeof(x.self));
	uname(&u);
	snprintf(x.host, sizeof(x.host), "%s", u.nodename);
	if (resolve_libs(&x, libs, libstore))
		return 2;
	if ((rc = prepare_dir(&x, matrix_path, resume, topo)) != 0)
		return rc;
	snprintf(csv, sizeof(csv), "%s/results.csv", dir);
	x.nblocks = n ? cells[n - 1].block + 1 : 0;
	x.auto_reps = calloc(x.nblocks + 1, sizeof(unsigned));
	x.auto_capped = calloc(x.nblocks + 1, 1);
	if (!x.auto_reps || !x.auto_capped) {
		fprintf(stderr, "nanobench matrix: out of memory\n");
		return end_run(&x, 2);
	}
	/* the counts of auto blocks already decided (before meta.json is
	 * rewritten below) */
	if (resume && m->auto_reps)
		res_meta_auto_reps(dir, x.auto_reps, x.nblocks, NULL);
	if (resume && !(done = done_keys(dir, csv, 1)))
		return end_run(&x, io_status(errno));
	run_row_header(header, sizeof(header));
	if (res_writer_open(&w, csv, header, err, sizeof(err))) {
		rc = io_status(errno);
		fprintf(stderr, "nanobench matrix: %s\n", err);
		free(done);
		return end_run(&x, rc);
	}
	if (write_meta(&x, cells, n, summary, "running", only_block >= 0)) {
		res_writer_close(&w);
		free(done);
		return end_run(&x, RUN_EXIT_WRITE);
	}
	for (size_t i = 0; i < n; i++)
		if (selected(&cells[i], only_block) && !(done && is_done(done, cells[i].key)))
			x.planned_s += run_cell_estimate_s(&cells[i]);
	if (!quiet)
		fprintf(stderr, "nanobench matrix: %s -> %s (about %.0f s)\n", m->name, dir, x.planned_s);
	run_exec_catch_signals();
	rc = run_cells(&x, cells, n, done, summary, only_block, &w, &nrun, &failed);
	res_writer_close(&w);
	free(done);
	if (rc == RUN_EXIT_WRITE) {
		fprintf(stderr, "nanobench matrix: cannot append a row to %s: %s; the run stops here "
			"(every row before it is kept; make room, then: nanobench matrix --resume %s)\n",
			csv, strerror(x.write_err), dir);
		write_meta(&x, cells, n, summary, "incomplete", only_block >= 0);
		return end_run(&x, rc);
	}
	if (rc == 1) {
		write_meta(&x, cells, n, summary, "interrupted", only_block >= 0);
		fprintf(stderr, "nanobench matrix: interrupted; every completed cell is in %s "
			"(continue with: nanobench matrix --resume %s)\n", csv, dir);
		return end_run(&x, 1);
	}
	rc = finish_run(&x, cells, n, summary, only_block, csv, failed);
	if (!quiet && rc != RUN_EXIT_WRITE)
		fprintf(stderr, "nanobench matrix: %zu cells run, %zu failed; results in %s\n", nrun, failed, dir);
	return end_run(&x, rc);
}
