/*
 * run_matrix_file.c - parse a matrix file (INI, with libinih) into a
 * run_matrix (see run_matrix.h for the format).
 *
 * libinih calls us once per key; a handler returning 0 makes ini_parse
 * return that line's number, which is how every error names its line. Keys
 * are checked against the section's vocabulary (an unknown key is an error,
 * not a silent no-op), numbers are checked whole, and a section that appears
 * twice is refused.
 */
#include "run_matrix.h"

#include <ini.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parse {
	struct run_matrix *m;
	char msg[256];
	int failed;                      /* the first error is kept; inih goes on */
	char cur[2 * RUN_NAME];          /* current section, to spot duplicates */
	char seen[2 * RUN_MAX_LIST + 2][2 * RUN_NAME];
	unsigned nseen;
};

/* ------------------------------------------------------------------------
 * Values
 * ---------------------------------------------------------------------- */

/* Split "a b, c" into a list. */
static int parse_list(const char *v, struct run_list *l, char *msg, size_t len)
{
	const char *p = v;
	l->n = 0;
	while (*p) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, " ,\t");
		if (l->n == RUN_MAX_LIST || n >= RUN_ITEM) {
			snprintf(msg, len, "list '%s' is too long (at most %d items of %d characters)",
				 v, RUN_MAX_LIST, RUN_ITEM - 1);
			return -1;
		}
		memcpy(l->item[l->n], p, n);
		l->item[l->n++][n] = 0;
		p += n;
	}
	if (l->n == 0) {
		snprintf(msg, len, "empty list");
		return -1;
	}
	return 0;
}

static int parse_uint(const char *v, unsigned lo, unsigned hi, unsigned *out, char *msg, size_t len)
{
	char *end;
	errno = 0;
	unsigned long x = strtoul(v, &end, 10);
	if (!*v || *end || errno || x < lo || x > hi || *v == '-') {
		snprintf(msg, len, "'%s' is not a whole number from %u to %u", v, lo, hi);
		return -1;
	}
	*out = (unsigned)x;
	return 0;
}

static int parse_seconds(const char *v, double *out, char *msg, size_t len)
{
	char *end;
	errno = 0;
	double x = strtod(v, &end);
	if (!*v || *end || errno || !isfinite(x) || x <= 0 || x > 86400) {
		snprintf(msg, len, "'%s' is not a number of seconds (above 0, at most 86400)", v);
		return -1;
	}
	*out = x;
	return 0;
}

static int copy_str(char *dst, size_t cap, const char *v, char *msg, size_t len)
{
	if (strlen(v) >= cap) {
		snprintf(msg, len, "value too long (at most %zu characters)", cap - 1);
		return -1;
	}
	strcpy(dst, v);
	return 0;
}

/* Keys that set an axis, in [matrix], [workload] and [program]. */
static int axis_key(struct run_axes *a, const char *k, const char *v, char *msg, size_t len, int *handled)
{
	*handled = 1;
	if (!strcmp(k, "threads"))
		return parse_list(v, &a->threads, msg, len);
	if (!strcmp(k, "placements") || !strcmp(k, "placement"))
		return parse_list(v, &a->placements, msg, len);
	if (!strcmp(k, "size_dists") || !strcmp(k, "size_dist"))
		return parse_list(v, &a->size_dists, msg, len);
	if (!strcmp(k, "hyper_shifts") || !strcmp(k, "hyper_shift"))
		return parse_list(v, &a->hyper_shifts, msg, len);
	if (!strcmp(k, "maps") || !strcmp(k, "map"))
		return parse_list(v, &a->maps, msg, len);
	if (!strcmp(k, "duration")) {
		if (!strcmp(v, "natural")) {      /* the workload's own length */
			a->duration = RUN_NATURAL;
			return 0;
		}
		return parse_seconds(v, &a->duration, msg, len);
	}
	*handled = 0;
	return 0;
}

/* ------------------------------------------------------------------------
 * Sections
 * ---------------------------------------------------------------------- */

static int matrix_key(struct run_matrix *m, const char *k, const char *v, char *msg, size_t len)
{
	int handled;
	int rc = axis_key(&m->axes, k, v, msg, len, &handled);
	if (handled)
		return rc;
	if (!strcmp(k, "name"))
		return copy_str(m->name, sizeof(m->name), v, msg, len);
	if (!strcmp(k, "description"))
		return copy_str(m->description, sizeof(m->description), v, msg, len);
	if (!strcmp(k, "allocators"))
		return parse_list(v, &m->allocator_names, msg, len);
	if (!strcmp(k, "repetitions"))
		return parse_uint(v, 1, 1000, &m->repetitions, msg, len);
	if (!strcmp(k, "warmup"))
		return parse_uint(v, 0, 100, &m->warmup, msg, len);
	if (!strcmp(k, "skip_missing")) {
		unsigned x;
		if (parse_uint(v, 0, 1, &x, msg, len))
			return -1;
		m->skip_missing = (int)x;
		return 0;
	}
	if (!strcmp(k, "timeout"))
		return parse_seconds(v, &m->timeout, msg, len);
	if (!strcmp(k, "seed")) {
		unsigned s;
		if (parse_uint(v, 0, 4000000000u, &s, msg, len))
			return -1;
		m->seed = s;
		return 0;
	}
	snprintf(msg, len, "unknown key '%s' in [matrix] (expected name, description, allocators, "
		 "threads, placements, size_dists, hyper_shifts, maps, repetitions, warmup, "
		 "skip_missing, duration, timeout, seed)", k);
	return -1;
}

static int alloc_key(struct run_alloc_def *a, const char *k, const char *v, char *msg, size_t len)
{
	if (!strcmp(k, "base"))
		return copy_str(a->base, sizeof(a->base), v, msg, len);
	if (!strcmp(k, "env")) {
		if (a->nenv == RUN_MATRIX_MAX_ENV || !strchr(v, '=') || v[0] == '=') {
			snprintf(msg, len, "env '%s' is not KEY=VALUE (at most %d per allocator)", v,
				 RUN_MATRIX_MAX_ENV);
			return -1;
		}
		return copy_str(a->env[a->nenv++], sizeof(a->env[0]), v, msg, len);
	}
	snprintf(msg, len, "unknown key '%s' in [allocator] (expected base, env)", k);
	return -1;
}

static int wl_key(struct run_wl *w, const char *k, const char *v, char *msg, size_t len)
{
	int handled;
	int rc = axis_key(&w->axes, k, v, msg, len, &handled);
	if (handled)
		return rc;
	if (w->is_program) {
		if (!strcmp(k, "command")) {
			/* libinih reads lines of up to 200 characters: a longer
			 * command goes on indented continuation lines, which
			 * arrive as the same key again and are joined with a space */
			size_t have = strlen(w->command);
			if (have + 1 + strlen(v) >= sizeof(w->command)) {
				snprintf(msg, len, "command too long (at most %zu characters)",
					 sizeof(w->command) - 1);
				return -1;
			}
			snprintf(w->command + have, sizeof(w->command) - have, "%s%s", have ? " " : "", v);
			return 0;
		}
		if (!strcmp(k, "check_output")) {
			unsigned x;
			if (parse_uint(v, 0, 1, &x, msg, len))
				return -1;
			w->check_output = (int)x;
			return 0;
		}
		if (!strcmp(k, "min_calls"))
			return parse_uint(v, 0, UINT_MAX, &w->min_calls, msg, len);
		snprintf(msg, len, "unknown key '%s' in [program] (expected command, check_output, "
			 "min_calls, threads, duration)", k);
		return -1;
	}
	if (!strcmp(k, "workload"))
		return copy_str(w->workload, sizeof(w->workload), v, msg, len);
	/* Anything else is a workload parameter, checked by `nanobench run`
	 * when the matrix is validated. */
	if (w->nparams == RUN_MAX_PARAMS) {
		snprintf(msg, len, "too many parameters (at most %d)", RUN_MAX_PARAMS);
		return -1;
	}
	if (copy_str(w->pkey[w->nparams], RUN_NAME, k, msg, len) ||
	    copy_str(w->pval[w->nparams], RUN_NAME, v, msg, len))
		return -1;
	w->nparams++;
	return 0;
}

/* Start a section the first time a key of it arrives. */
static int enter_section(struct parse *ps, const char *section)
{
	struct run_matrix *m = ps->m;
	if (!strcmp(ps->cur, section))
		return 0;
	for (unsigned i = 0; i < ps->nseen; i++) {
		if (!strcmp(ps->seen[i], section)) {
			snprintf(ps->msg, sizeof(ps->msg), "section [%s] appears twice", section);
			return -1;
		}
	}
	if (ps->nseen == sizeof(ps->seen) / sizeof(ps->seen[0]) || strlen(section) >= sizeof(ps->cur)) {
		snprintf(ps->msg, sizeof(ps->msg), "too many sections or a name too long: [%s]", section);
		return -1;
	}
	strcpy(ps->seen[ps->nseen++], section);
	strcpy(ps->cur, section);

	const char *name;
	if (!strcmp(section, "matrix"))
		return 0;
	if (!strncmp(section, "allocator ", 10)) {
		name = section + 10;
		if (m->nalloc == RUN_MAX_LIST || !*name || strlen(name) >= RUN_NAME)
			goto bad;
		struct run_alloc_def *a = &m->alloc[m->nalloc++];
		memset(a, 0, sizeof(*a));
		strcpy(a->name, name);
		return 0;
	}
	int program = !strncmp(section, "program ", 8);
	if (program || !strncmp(section, "workload ", 9)) {
		name = section + (program ? 8 : 9);
		if (m->nwl == RUN_MAX_LIST || !*name || strlen(name) >= RUN_NAME)
			goto bad;
		struct run_wl *w = &m->wl[m->nwl++];
		memset(w, 0, sizeof(*w));
		strcpy(w->name, name);
		strcpy(w->workload, program ? "program" : name);
		w->is_program = program;
		w->check_output = 1;
		return 0;
	}
bad:
	snprintf(ps->msg, sizeof(ps->msg), "unknown or too many sections: [%s] (expected [matrix], "
		 "[allocator NAME], [workload NAME], [program NAME])", section);
	return -1;
}

/* The section a key belongs to was declared by declare_sections(). */
static int find_section(struct parse *ps, const char *section)
{
	struct run_matrix *m = ps->m;
	if (!strcmp(section, "matrix"))
		return 0;
	if (!strncmp(section, "allocator ", 10)) {
		for (unsigned i = 0; i < m->nalloc; i++)
			if (!strcmp(m->alloc[i].name, section + 10))
				return (int)i;
	} else {
		const char *name = section + (strncmp(section, "program ", 8) ? 9 : 8);
		for (unsigned i = 0; i < m->nwl; i++)
			if (!strcmp(m->wl[i].name, name))
				return (int)i;
	}
	return -1;
}

static int handler(void *user, const char *section, const char *k, const char *v)
{
	struct parse *ps = user;
	struct run_matrix *m = ps->m;
	char *msg = ps->msg;
	size_t len = sizeof(ps->msg);

	if (ps->failed)
		return 0;
	ps->failed = 1;
	if (!*section) {
		snprintf(msg, len, "key '%s' before any [section]", k);
		return 0;
	}
	int idx = find_section(ps, section);
	if (idx < 0) {
		snprintf(msg, len, "key '%s' outside a known section", k);
		return 0;
	}
	msg[0] = 0;
	int rc;
	if (!strcmp(section, "matrix"))
		rc = matrix_key(m, k, v, msg, len);
	else if (!strncmp(section, "allocator ", 10))
		rc = alloc_key(&m->alloc[idx], k, v, msg, len);
	else
		rc = wl_key(&m->wl[idx], k, v, msg, len);
	if (rc && !msg[0])
		snprintf(msg, len, "bad value '%s' for '%s'", v, k);
	else if (rc && !strstr(msg, k)) {
		char tmp[sizeof(ps->msg)];
		snprintf(tmp, sizeof(tmp), "%s", msg);
		snprintf(msg, len, "%s: %.200s", k, tmp);
	}
	ps->failed = rc != 0;
	return rc == 0;
}

/* ------------------------------------------------------------------------
 * After parsing: resolve allocators and check what must be there
 * ---------------------------------------------------------------------- */

static const char *const known_allocs[] = {
	"glibc", "nano", "nano-rseq", "jemalloc", "mimalloc", "tcmalloc", "bump", NULL
};

static int known(const char *name)
{
	for (int i = 0; known_allocs[i]; i++)
		if (!strcmp(known_allocs[i], name))
			return 1;
	return 0;
}

static int resolve_allocators(struct run_matrix *m, char *err, size_t errlen)
{
	struct run_alloc_def sections[RUN_MAX_LIST];
	unsigned nsections = m->nalloc;

	memcpy(sections, m->alloc, sizeof(sections[0]) * nsections);
	m->nalloc = 0;
	for (unsigned i = 0; i < m->allocator_names.n; i++) {
		char n[RUN_ITEM];
		memcpy(n, m->allocator_names.item[i], sizeof(n));
		struct run_alloc_def *a = &m->alloc[m->nalloc++];
		const struct run_alloc_def *s = NULL;
		for (unsigned j = 0; j < nsections; j++)
			if (!strcmp(sections[j].name, n))
				s = &sections[j];
		memset(a, 0, sizeof(*a));
		if (s) {
			*a = *s;
			if (!a->base[0]) {
				snprintf(err, errlen, "%s: [allocator %s] has no base", m->path, n);
				return -1;
			}
		} else if (strchr(n, '=') || known(n)) {
			snprintf(a->name, sizeof(a->name), "%.*s", (int)strcspn(n, "="), n);
			snprintf(a->base, sizeof(a->base), "%s", n);
		} else {
			snprintf(err, errlen, "%s: unknown allocator '%s' (expected glibc, nano, nano-rseq, "
				 "jemalloc, mimalloc, tcmalloc, bump, NAME=/path/lib.so or an "
				 "[allocator %s] section)", m->path, n, n);
			return -1;
		}
		const char *b = a->base;
		a->is_nano = !strcmp(b, "nano") || !strcmp(b, "nano-rseq");
	}
	return 0;
}

/* libinih reports keys only, so a section without keys ([workload larson]
 * with the published defaults) would never be seen: declare every section
 * from its header line first. Duplicates are caught here too. */
static int declare_sections(const char *path, struct parse *ps, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int lineno = 0;
	if (!f) {
		snprintf(err, errlen, "%s: cannot open the matrix file", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t"), *e;
		lineno++;
		if (*p != '[' || !(e = strchr(p, ']')))
			continue;
		*e = 0;
		ps->cur[0] = 0;      /* every header line opens a section */
		if (enter_section(ps, p + 1)) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, ps->msg);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	ps->cur[0] = 0;
	return 0;
}

int run_matrix_load(const char *path, struct run_matrix *m, char *err, size_t errlen)
{
	static struct parse ps;
	int line;

	memset(m, 0, sizeof(*m));
	memset(&ps, 0, sizeof(ps));
	ps.m = m;
	m->repetitions = 3;
	m->warmup = 1;
	m->timeout = 120;
	m->seed = 1;
	m->axes.duration = 1;
	snprintf(m->path, sizeof(m->path), "%s", path);
	if (declare_sections(path, &ps, err, errlen))
		return -1;
	line = ini_parse(path, handler, &ps);
	if (line < 0) {
		snprintf(err, errlen, "%s: cannot open the matrix file", path);
		return -1;
	}
	if (line > 0) {
		snprintf(err, errlen, "%s:%d: %s", path, line,
			 ps.msg[0] ? ps.msg : "not a KEY = VALUE line or [section]");
		return -1;
	}
	if (!m->name[0]) {
		const char *b = strrchr(path, '/');
		snprintf(m->name, sizeof(m->name), "%.*s", (int)strcspn(b ? b + 1 : path, "."),
			 b ? b + 1 : path);
	}
	if (m->allocator_names.n == 0) {
		snprintf(err, errlen, "%s: [matrix] has no allocators (allocators = glibc nano ...)", path);
		return -1;
	}
	if (m->nwl == 0) {
		snprintf(err, errlen, "%s: no [workload NAME] or [program NAME] section", path);
		return -1;
	}
	for (unsigned i = 0; i < m->nwl; i++) {
		if (m->wl[i].is_program && !m->wl[i].command[0]) {
			snprintf(err, errlen, "%s: [program %s] has no command", path, m->wl[i].name);
			return -1;
		}
	}
	if (!m->axes.threads.n)
		parse_list("1", &m->axes.threads, err, errlen);
	if (!m->axes.placements.n)
		parse_list("compact", &m->axes.placements, err, errlen);
	if (!m->axes.size_dists.n)
		parse_list("classic", &m->axes.size_dists, err, errlen);
	if (!m->axes.hyper_shifts.n)
		parse_list("default", &m->axes.hyper_shifts, err, errlen);
	if (!m->axes.maps.n)
		parse_list("default", &m->axes.maps, err, errlen);
	return resolve_allocators(m, err, errlen);
}
