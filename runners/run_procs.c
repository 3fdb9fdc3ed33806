/*
 * run_procs.c - a program cell's processes and their report (see
 * run_procs.h; the report's lines are described in runners/count/run_count.h).
 *
 * Reading. Each start line opens an incarnation, named by its pid and start
 * time; the end line with the same pair closes it (a later one replaces an
 * earlier one: an exec that failed and the exit that followed). A line that
 * cannot be read, or an end without its start, makes the report unreadable,
 * which fails the cell like a missing end: nothing in the report may be
 * taken on trust.
 *
 * Judging, in this order, the first failure being the cell's reason:
 *   - some process loaded the counting library at all;
 *   - every incarnation has its end line (a crash, a kill, an exit that
 *     skipped the library's destructor: unverified);
 *   - every one bound the malloc of the counting library the cell preloaded
 *     (a program that defines its own malloc, a preload that did not load);
 *   - every one forwarded to the allocator under test (libc.so.6 for glibc);
 *   - nano's rseq front ran in every process with calls, where asked for;
 *   - over the processes with RUN_PROCS_EXEMPT_CALLS calls or more: for nano,
 *     nano served at least RUN_PROCS_MIN_SHARE of the small requests,
 *     counting those that went around it, and for every allocator the calls
 *     that went around it are at most RUN_PROCS_MAX_BYPASS of all;
 *   - the calls reach the program's min_calls.
 */
#include "run_procs.h"
#include "run_alloc.h"
#include "run_util.h"

#include "count/run_count.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Before the cell
 * ---------------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void rm_tree(const char *path)
{
	if (access(path, F_OK) == 0)
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void add_env(struct run_procs *p, const char *var, const char *value)
{
	char *d = p->env[p->nenv++];
	size_t cap = sizeof(p->env[0]), lk = strlen(var), lv = strlen(value);
	if (lk + 1 + lv >= cap)
		lv = cap - lk - 2;          /* cannot happen with PATH_MAX paths */
	memcpy(d, var, lk);
	d[lk] = '=';
	memcpy(d + lk + 1, value, lv);
	d[lk + 1 + lv] = 0;
}

int run_procs_prepare(struct run_procs *p, const char *dir, unsigned index, const char *alloc_lib,
		      int rseq, uint64_t min_calls, char *why, size_t len)
{
	const char *shim = alloc_lib[0] ? RUN_COUNT_LIB : RUN_COUNT_GLIBC_LIB;
	char preload[sizeof(p->env[0])], programs[PATH_MAX], abs[PATH_MAX];

	memset(p, 0, sizeof(*p));
	p->rseq = rseq;
	p->min_calls = min_calls;
	if (run_alloc_find_own(shim, "runners/count", p->shim, sizeof(p->shim))) {
		snprintf(why, len, "%s not found next to nanobench (runners/count/) nor where it is "
			 "installed (build it: meson compile)", shim);
		return -1;
	}
	if (alloc_lib[0] && !realpath(alloc_lib, p->target)) {
		snprintf(why, len, "allocator library %s: %s", alloc_lib, strerror(errno));
		return -1;
	}
	/* absolute: the program may change its folder before its processes
	 * write their records (redis.sh, the rptest original) */
	if (!realpath(dir, abs)) {
		snprintf(why, len, "run folder %s: %s", dir, strerror(errno));
		return -1;
	}
	if (snprintf(p->report, sizeof(p->report), "%s/logs/cell-%05u.procs", abs, index) >=
		    (int)sizeof(p->report) ||
	    snprintf(p->scratch, sizeof(p->scratch), "%s/scratch/cell-%05u", abs, index) >=
		    (int)sizeof(p->scratch)) {
		snprintf(why, len, "run folder %.200s...: its path is too long", abs);
		return -1;
	}
	unlink(p->report);
	rm_tree(p->scratch);
	if (run_mkdirs(p->scratch)) {
		snprintf(why, len, "cannot create the cell's folder %s: %s", p->scratch, strerror(errno));
		return -1;
	}
	snprintf(preload, sizeof(preload), "%s%s%s", p->shim, alloc_lib[0] ? ":" : "", alloc_lib);
	add_env(p, "LD_PRELOAD", preload);
	add_env(p, RUN_COUNT_ENV, p->report);
	add_env(p, "NANOBENCH_CELL_DIR", p->scratch);
	if (run_data_dir("programs", "runners/programs", programs, sizeof(programs)) == 0)
		add_env(p, "NANOBENCH_PROGRAMS", programs);
	return 0;
}

void run_procs_cleanup(const struct run_procs *p, int keep_report)
{
	char parent[PATH_MAX];
	rm_tree(p->scratch);
	/* the run folder's scratch/ goes too once no cell uses it */
	snprintf(parent, sizeof(parent), "%s", p->scratch);
	char *slash = strrchr(parent, '/');
	if (slash) {
		*slash = 0;
		rmdir(parent);
	}
	if (!keep_report)
		unlink(p->report);
}

/* ------------------------------------------------------------------------
 * Reading the report
 * ---------------------------------------------------------------------- */

struct proc {
	long pid;
	unsigned long long t, t_end;
	char how[8];
	char exe[256], bound[512], target[512];
	int ended;
	uint64_t allocs, frees, reallocs, bypass, bypass_small, hwm_kib;
	int nano;
	char front[16], reason[256];
	uint64_t nano_small, nano_served;
};

struct report {
	struct proc *v;
	size_t n, cap;
	char bad[256];                /* why it cannot be read; "" when it can */
};

#define MAX_FIELDS 24

struct fields {
	int n;
	char *key[MAX_FIELDS], *val[MAX_FIELDS];
};

/* Undo run_count's percent-encoding in place. */
static void decode(char *s)
{
	char *w = s;
	for (; *s; s++) {
		unsigned hi, lo;
		if (s[0] == '%' && sscanf(s + 1, "%1x%1x", &hi, &lo) == 2) {
			*w++ = (char)(hi * 16 + lo);
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = 0;
}

/* "kind k=v k=v ..." -> the kind, fields; -1 when malformed. */
static int split_line(char *line, char **kind, struct fields *f)
{
	char *save = NULL, *tok;
	line[strcspn(line, "\n")] = 0;
	*kind = strtok_r(line, " ", &save);
	f->n = 0;
	if (!*kind)
		return -1;
	while ((tok = strtok_r(NULL, " ", &save)) != NULL) {
		char *eq = strchr(tok, '=');
		if (!eq || f->n == MAX_FIELDS)
			return -1;
		*eq = 0;
		decode(eq + 1);
		f->key[f->n] = tok;
		f->val[f->n++] = eq + 1;
	}
	return 0;
}

static const char *get(const struct fields *f, const char *key)
{
	for (int i = 0; i < f->n; i++)
		if (!strcmp(f->key[i], key))
			return f->val[i];
	return NULL;
}

/* A number field; -1 when absent or not a number. */
static int get_num(const struct fields *f, const char *key, unsigned long long *out)
{
	const char *v = get(f, key);
	char *end;
	if (!v || !*v)
		return -1;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return *end || errno ? -1 : 0;
}

static void copy_field(char *dst, size_t n, const struct fields *f, const char *key)
{
	const char *v = get(f, key);
	snprintf(dst, n, "%s", v ? v : "");
}

static struct proc *find(struct report *r, long pid, unsigned long long t)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].pid == pid && r->v[i].t == t)
			return &r->v[i];
	return NULL;
}

static int add_start(struct report *r, const struct fields *f)
{
	unsigned long long pid, t;
	if (get_num(f, "pid", &pid) || get_num(f, "t", &t))
		return -1;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct proc *v = realloc(r->v, cap * sizeof(*v));
		if (!v)
			return -1;
		r->v = v;
		r->cap = cap;
	}
	struct proc *p = &r->v[r->n++];
	memset(p, 0, sizeof(*p));
	p->pid = (long)pid;
	p->t = t;
	copy_field(p->how, sizeof(p->how), f, "how");
	copy_field(p->exe, sizeof(p->exe), f, "exe");
	copy_field(p->bound, sizeof(p->bound), f, "bound");
	copy_field(p->target, sizeof(p->target), f, "target");
	return 0;
}

static int add_end(struct report *r, const struct fields *f)
{
	unsigned long long pid, t, a, fr, re, by = 0, bs = 0, hwm;
	struct proc *p;
	if (get_num(f, "pid", &pid) || get_num(f, "t", &t) || !(p = find(r, (long)pid, t)))
		return -1;
	if (get_num(f, "allocs", &a) || get_num(f, "frees", &fr) || get_num(f, "reallocs", &re) ||
	    get_num(f, "vmhwm_kib", &hwm))
		return -1;
	get_num(f, "bypass", &by);
	get_num(f, "bypass_small", &bs);
	if (get_num(f, "t_end", &p->t_end) || p->t_end < p->t)
		p->t_end = 0;
	p->ended = 1;
	p->allocs = a;
	p->frees = fr;
	p->reallocs = re;
	p->bypass = by;
	p->bypass_small = bs;
	p->hwm_kib = hwm;
	p->nano = get(f, "nano_front") != NULL;
	if (p->nano) {
		unsigned long long small, served;
		if (get_num(f, "nano_small", &small) || get_num(f, "nano_served", &served))
			return -1;
		p->nano_small = small;
		p->nano_served = served;
		copy_field(p->front, sizeof(p->front), f, "nano_front");
		copy_field(p->reason, sizeof(p->reason), f, "nano_reason");
	}
	return 0;
}

static void read_report(const char *path, struct report *r)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	unsigned no = 0;

	memset(r, 0, sizeof(*r));
	if (!f)
		return;             /* no process wrote: judged as such */
	while (getline(&line, &cap, f) > 0) {
		char *kind;
		struct fields fl;
		int bad;
		no++;
		if (split_line(line, &kind, &fl))
			bad = 1;
		else if (!strcmp(kind, "start"))
			bad = add_start(r, &fl) != 0;
		else if (!strcmp(kind, "end"))
			bad = add_end(r, &fl) != 0;
		else
			bad = 1;
		if (bad) {
			snprintf(r->bad, sizeof(r->bad), "line %u is not a start or end record of a "
				 "process that started", no);
			break;
		}
	}
	free(line);
	fclose(f);
}

/* ------------------------------------------------------------------------
 * Judging
 * ---------------------------------------------------------------------- */

static uint64_t calls_of(const struct proc *p)
{
	return p->allocs + p->frees + p->reallocs;
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static int same_file(const char *a, const char *real_b)
{
	char ra[PATH_MAX];
	return realpath(a, ra) && !strcmp(ra, real_b);
}

/* Whether process p reached the allocator under test. */
static int right_target(const struct run_procs *x, const struct proc *p)
{
	return x->target[0] ? same_file(p->target, x->target) : !strcmp(base(p->target), "libc.so.6");
}

static void summarise(const struct report *r, struct run_procs_sum *s)
{
	const struct proc *main = NULL;
	uint64_t small = 0, served = 0;
	int nano = 0;

	memset(s, 0, sizeof(*s));
	s->nano_share = -1;
	s->nprocs = (unsigned)r->n;
	for (size_t i = 0; i < r->n; i++) {
		const struct proc *p = &r->v[i];
		s->calls += calls_of(p);
		s->bypass += p->bypass;
		if (!main || calls_of(p) > calls_of(main))
			main = p;
		if (p->nano && calls_of(p) >= RUN_PROCS_EXEMPT_CALLS) {
			nano = 1;
			small += p->nano_small + p->bypass_small;
			served += p->nano_served;
		}
	}
	if (nano)
		s->nano_share = small ? (double)served / (double)small : 1.0;
	if (main) {
		snprintf(s->main_exe, sizeof(s->main_exe), "%s", main->exe);
		s->main_calls = calls_of(main);
		s->main_hwm_kib = main->hwm_kib;
		s->main_s = main->t_end ? (double)(main->t_end - main->t) * 1e-9 : 0;
		if (!realpath(main->target, s->library))
			snprintf(s->library, sizeof(s->library), "%s", main->target);
		snprintf(s->nano_front, sizeof(s->nano_front), "%s", main->nano ? main->front : "");
		snprintf(s->nano_reason, sizeof(s->nano_reason), "%s", main->reason);
	}
}

/* The first process-level check that fails, or NULL. */
static const struct proc *bad_process(const struct run_procs *x, const struct report *r,
				      char *why, size_t len)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct proc *p = &r->v[i];
		if (!p->ended)
			snprintf(why, len, "process %ld (%s) has a start record and no end record: "
				 "unverified (killed, or it left without exit)", p->pid, base(p->exe));
		else if (!same_file(p->bound, x->shim))
			snprintf(why, len, "process %ld (%s) bound the malloc of %s, not the preloaded "
				 "%s: the preload did not take effect", p->pid, base(p->exe), p->bound,
				 base(x->shim));
		else if (!right_target(x, p))
			snprintf(why, len, "process %ld (%s) reached the malloc of %s, not %s: the "
				 "allocator did not take effect", p->pid, base(p->exe), p->target,
				 x->target[0] ? x->target : "libc.so.6");
		else if (x->rseq && p->nano && calls_of(p) && strcmp(p->front, "rseq"))
			snprintf(why, len, "nano-rseq fell back to the %s front in process %ld (%s): %s",
				 p->front[0] ? p->front : "v1", p->pid, base(p->exe),
				 p->reason[0] ? p->reason : "no reason given");
		else
			continue;
		return p;
	}
	return NULL;
}

int run_procs_verdict(const struct run_procs *x, struct run_procs_sum *s, char *why, size_t len)
{
	struct report r;
	uint64_t calls = 0, bypass = 0;
	int rc = -1;

	read_report(x->report, &r);
	summarise(&r, s);
	for (size_t i = 0; i < r.n; i++)
		if (calls_of(&r.v[i]) >= RUN_PROCS_EXEMPT_CALLS) {
			calls += calls_of(&r.v[i]);
			bypass += r.v[i].bypass;
		}
	if (r.bad[0])
		snprintf(why, len, "the processes' report %s: %s", x->report, r.bad);
	else if (!r.n)
		snprintf(why, len, "no process of the cell loaded %s (a statically linked program, or "
			 "LD_PRELOAD dropped before it ran): unverified", base(x->shim));
	else if (bad_process(x, &r, why, len))
		;
	else if (s->nano_share >= 0 && s->nano_share < RUN_PROCS_MIN_SHARE)
		snprintf(why, len, "nano served %.1f%% of the small requests (at least %.0f%% "
			 "expected): the rest went to glibc%s", 100 * s->nano_share,
			 100 * RUN_PROCS_MIN_SHARE, bypass ? ", some called by the program through "
			 "glibc's __libc_* functions, around the preload" : "");
	else if (x->target[0] && calls + bypass && bypass > RUN_PROCS_MAX_BYPASS * (double)(calls + bypass))
		snprintf(why, len, "%llu of %llu allocator calls went to glibc's __libc_* functions, "
			 "around the allocator under test", (unsigned long long)bypass,
			 (unsigned long long)(calls + bypass));
	else if (s->calls < x->min_calls)
		snprintf(why, len, "the processes made %llu allocator calls through the preload, "
			 "fewer than min_calls = %llu", (unsigned long long)s->calls,
			 (unsigned long long)x->min_calls);
	else
		rc = 0;
	free(r.v);
	return rc;
}
