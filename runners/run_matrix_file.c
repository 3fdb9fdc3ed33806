/*
 * run_matrix_file.c - parse a matrix file (INI, with libinih) into a
 * run_matrix (see run_matrix.h for the format).
 *
 * libinih calls us once per key; a handler returning 0 makes ini_parse
 * return that line's number, which is how every error names its line. We
 * hand libinih the lines ourselves (ini_parse_stream), counting them, so the
 * line of every list and parameter is kept for the checks made after
 * parsing (run_matrix_check.c), and a line too long for libinih's buffer is
 * named as such instead of as a broken KEY = VALUE. An indented line
 * continues the key above it (libinih hands it over as the same key again):
 * we join it to what came before and read the key again, so a long list or
 * command can span lines; the same key given twice on its own lines is an
 * error, never a silent override. Keys are checked
 * against the section's vocabulary (an unknown key is an error, not a
 * silent no-op), numbers are checked whole, a list item given twice and a
 * section that appears twice are refused.
 */
#include "run_alloc.h"
#include "run_matrix.h"
#include "run_program.h"
#include "run_auto.h"

#include "res_allocs.h"
#include "res_blocks.h"
#include "res_decide.h"

#include <ini.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct parse {
	struct run_matrix *m;
	char msg[256];
	int failed;                      /* the first error is kept; inih goes on */
	FILE *f;
	int lineno;                      /* lines handed to libinih so far */
	int too_long;                    /* the line that did not fit, or 0 */
	int indented;                    /* the line read last starts with a blank */
	char value[8192];                /* the last key's value, continuations joined */
	struct seen_key {                /* keys given so far: section, key, line */
		char name[2 * RUN_NAME + RUN_NAME];
		int line;
	} keys[1024];
	unsigned nkeys;
	char cur[2 * RUN_NAME];          /* current section, to spot duplicates */
	char seen[2 * RUN_MAX_LIST + 2][2 * RUN_NAME];
	unsigned nseen;
};

/* ------------------------------------------------------------------------
 * Values
 * ---------------------------------------------------------------------- */

/* Split "a b, c" into a list; an item given twice is refused. */
static int parse_list(const char *v, struct run_list *l, int line, char *msg, size_t len)
{
	const char *p = v;
	l->n = 0;
	l->line = line;
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
		l->item[l->n][n] = 0;
		for (unsigned i = 0; i < l->n; i++) {
			if (!strcmp(l->item[i], l->item[l->n])) {
				snprintf(msg, len, "'%s' is listed twice (each item makes its own cells; "
					 "give it once)", l->item[i]);
				return -1;
			}
		}
		l->n++;
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
static int axis_key(struct run_axes *a, const char *k, const char *v, int line, char *msg, size_t len,
		    int *handled)
{
	*handled = 1;
	if (!strcmp(k, "threads"))
		return parse_list(v, &a->threads, line, msg, len);
	if (!strcmp(k, "placements") || !strcmp(k, "placement"))
		return parse_list(v, &a->placements, line, msg, len);
	if (!strcmp(k, "size_dists") || !strcmp(k, "size_dist"))
		return parse_list(v, &a->size_dists, line, msg, len);
	if (!strcmp(k, "hyper_shifts") || !strcmp(k, "hyper_shift"))
		return parse_list(v, &a->hyper_shifts, line, msg, len);
	if (!strcmp(k, "maps") || !strcmp(k, "map"))
		return parse_list(v, &a->maps, line, msg, len);
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

static int matrix_key(struct run_matrix *m, const char *k, const char *v, int line, char *msg,
		      size_t len)
{
	int handled;
	int rc = axis_key(&m->axes, k, v, line, msg, len, &handled);
	if (handled)
		return rc;
	if (!strcmp(k, "name")) {
		/* it names the run's folder (results/runs/DATE-HOST-NAME) */
		if (!*v || *v == '.' || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					       "0123456789._+-") != strlen(v)) {
			snprintf(msg, len, "name '%.80s' is not a folder name (letters, digits, "
				 "'.', '_', '+', '-', not first '.')", v);
			return -1;
		}
		return copy_str(m->name, sizeof(m->name), v, msg, len);
	}
	if (!strcmp(k, "description"))
		return copy_str(m->description, sizeof(m->description), v, msg, len);
	if (!strcmp(k, "allocators"))
		return parse_list(v, &m->allocator_names, line, msg, len);
	if (!strcmp(k, "repetitions")) {
		m->auto_reps = !strcmp(v, "auto");
		if (m->auto_reps) {
			m->repetitions = RES_MIN_REPS;
			return 0;
		}
		/* at most what the statistics hold (res_blocks.h) */
		if (parse_uint(v, 1, RES_MAX_REPS, &m->repetitions, msg, len)) {
			snprintf(msg, len, "'%s' is not auto or a whole number from 1 to %d", v,
				 RES_MAX_REPS);
			return -1;
		}
		return 0;
	}
	if (!strcmp(k, "max_repetitions")) {
		m->max_set = 1;
		return parse_uint(v, RES_MIN_REPS, RES_MAX_REPS, &m->max_repetitions, msg, len);
	}
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
		 "threads, placements, size_dists, hyper_shifts, maps, repetitions, max_repetitions, "
		 "warmup, skip_missing, duration, timeout, seed)", k);
	return -1;
}

static int alloc_key(struct run_alloc_def *a, const char *k, const char *v, char *msg, size_t len)
{
	if (!strcmp(k, "base"))
		return copy_str(a->base, sizeof(a->base), v, msg, len);
	if (!strcmp(k, "env")) {
		if (a->nenv == RUN_MATRIX_MAX_ENV || !run_env_ok(v)) {
			snprintf(msg, len, "env '%s' is not KEY=VALUE (at most %d per allocator)", v,
				 RUN_MATRIX_MAX_ENV);
			return -1;
		}
		return copy_str(a->env[a->nenv++], sizeof(a->env[0]), v, msg, len);
	}
	snprintf(msg, len, "unknown key '%s' in [allocator] (expected base, env)", k);
	return -1;
}

static int wl_key(struct run_wl *w, const char *k, const char *v, int line, char *msg, size_t len)
{
	int handled;
	int rc = axis_key(&w->axes, k, v, line, msg, len, &handled);
	if (handled)
		return rc;
	if (w->is_program) {
		if (!strcmp(k, "command")) {
			/* continuation lines arrive joined (see handler()) */
			if (strlen(v) >= sizeof(w->command)) {
				snprintf(msg, len, "command too long (at most %zu characters)",
					 sizeof(w->command) - 1);
				return -1;
			}
			strcpy(w->command, v);
			return 0;
		}
		if (!strcmp(k, "check_output") || !strcmp(k, "higher_is_better")) {
			unsigned x;
			if (parse_uint(v, 0, 1, &x, msg, len))
				return -1;
			*(!strcmp(k, "check_output") ? &w->check_output : &w->higher_is_better) = (int)x;
			return 0;
		}
		if (!strcmp(k, "min_calls"))
			return parse_uint(v, 0, UINT_MAX, &w->min_calls, msg, len);
		if (!strcmp(k, "metric"))
			return copy_str(w->metric, sizeof(w->metric), v, msg, len) ||
			       run_metric_check(v, msg, len);
		if (!strcmp(k, "metric_unit"))
			return copy_str(w->metric_unit, sizeof(w->metric_unit), v, msg, len);
		if (!strcmp(k, "requires"))
			return copy_str(w->requires, sizeof(w->requires), v, msg, len);
		snprintf(msg, len, "unknown key '%s' in [program] (expected command, check_output, "
			 "metric, metric_unit, higher_is_better, requires, min_calls, threads, duration)", k);
		return -1;
	}
	if (!strcmp(k, "workload")) {
		w->wline = line;
		return copy_str(w->workload, sizeof(w->workload), v, msg, len);
	}
	/* Anything else is a workload parameter, checked against the
	 * workload by run_matrix_check once the section is complete. */
	if (w->nparams == RUN_MAX_PARAMS) {
		snprintf(msg, len, "too many parameters (at most %d)", RUN_MAX_PARAMS);
		return -1;
	}
	for (unsigned i = 0; i < w->nparams; i++) {
		if (!strcmp(w->pkey[i], k)) {
			snprintf(msg, len, "parameter '%s' is set twice (line %d and here)", k, w->pline[i]);
			return -1;
		}
	}
	if (copy_str(w->pkey[w->nparams], RUN_NAME, k, msg, len) ||
	    copy_str(w->pval[w->nparams], RUN_NAME, v, msg, len))
		return -1;
	w->pline[w->nparams++] = line;
	return 0;
}

/* Start a section (declare_sections: at its header line). */
static int enter_section(struct parse *ps, const char *section, int line)
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
		if (run_alloc_known(name)) {
			snprintf(ps->msg, sizeof(ps->msg), "[%s]: '%s' is a built-in allocator, whose "
				 "label must mean it (name the variant otherwise, e.g. %s-tuned)",
				 section, name, name);
			return -1;
		}
		struct run_alloc_def *a = &m->alloc[m->nalloc++];
		memset(a, 0, sizeof(*a));
		strcpy(a->name, name);
		a->line = line;
		return 0;
	}
	int program = !strncmp(section, "program ", 8);
	if (program || !strncmp(section, "workload ", 9)) {
		name = section + (program ? 8 : 9);
		if (m->nwl == RUN_MAX_LIST || !*name || strlen(name) >= RUN_NAME)
			goto bad;
		struct run_wl *w = &m->wl[m->nwl++];
		memset(w, 0, sizeof(*w));
		for (unsigned i = 0; i + 1 < m->nwl; i++) {
			if (!strcmp(m->wl[i].name, name)) {
				snprintf(ps->msg, sizeof(ps->msg), "[%s] has the label '%s' of the section of "
					 "line %d (labels name the cells: make them differ)", section, name,
					 m->wl[i].line);
				return -1;
			}
		}
		strcpy(w->name, name);
		w->line = line;
		strcpy(w->workload, program ? "program" : name);
		w->is_program = program;
		w->check_output = 1;
		w->higher_is_better = 1;
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

/* Join a continuation line to the key's value so far (*cont = 1), or start
 * a new value; a key given twice on lines of its own is refused. Returns the
 * value to read, or NULL with the message set. */
static const char *key_value(struct parse *ps, const char *section, const char *k, const char *v,
			     int *cont)
{
	char name[sizeof(ps->keys[0].name)];
	struct seen_key *last = ps->nkeys ? &ps->keys[ps->nkeys - 1] : NULL;

	snprintf(name, sizeof(name), "%s\037%s", section, k);
	*cont = ps->indented && last && !strcmp(last->name, name);
	if (*cont) {
		size_t have = strlen(ps->value);
		if (have + 1 + strlen(v) >= sizeof(ps->value)) {
			snprintf(ps->msg, sizeof(ps->msg), "'%s' is too long (at most %zu characters "
				 "over all its lines)", k, sizeof(ps->value) - 1);
			return NULL;
		}
		snprintf(ps->value + have, sizeof(ps->value) - have, " %s", v);
		return ps->value;
	}
	/* env is the one key given once per variable */
	int repeatable = !strncmp(section, "allocator ", 10) && !strcmp(k, "env");
	for (unsigned i = 0; i < ps->nkeys && !repeatable; i++) {
		if (!strcmp(ps->keys[i].name, name)) {
			snprintf(ps->msg, sizeof(ps->msg), "'%s' is set twice in [%s] (line %d and here; "
				 "a value goes on indented continuation lines)", k, section,
				 ps->keys[i].line);
			return NULL;
		}
	}
	if (ps->nkeys == sizeof(ps->keys) / sizeof(ps->keys[0])) {
		snprintf(ps->msg, sizeof(ps->msg), "too many keys (at most %zu)",
			 sizeof(ps->keys) / sizeof(ps->keys[0]));
		return NULL;
	}
	snprintf(ps->keys[ps->nkeys].name, sizeof(name), "%s", name);
	ps->keys[ps->nkeys++].line = ps->lineno;
	snprintf(ps->value, sizeof(ps->value), "%s", v);
	return ps->value;
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
	int cont;
	if (!(v = key_value(ps, section, k, v, &cont)))
		return 0;
	/* read again with its continuation: a list is parsed whole, and a
	 * workload parameter replaces the one its first line set */
	int line = ps->keys[ps->nkeys - 1].line;
	int rc;
	if (!strcmp(section, "matrix"))
		rc = matrix_key(m, k, v, line, msg, len);
	else if (!strncmp(section, "allocator ", 10)) {
		struct run_alloc_def *a = &m->alloc[idx];
		if (cont && !strcmp(k, "env") && a->nenv)
			a->nenv--;
		rc = alloc_key(a, k, v, msg, len);
	} else {
		struct run_wl *w = &m->wl[idx];
		if (cont && w->nparams && !strcmp(w->pkey[w->nparams - 1], k))
			w->nparams--;
		rc = wl_key(w, k, v, line, msg, len);
	}
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
				snprintf(err, errlen, "%s:%d: [allocator %s] has no base", m->path, a->line, n);
				return -1;
			}
		} else if (strchr(n, '=') || run_alloc_known(n)) {
			snprintf(a->name, sizeof(a->name), "%.*s", (int)strcspn(n, "="), n);
			snprintf(a->base, sizeof(a->base), "%s", n);
		} else {
			char names[256];
			res_alloc_list(names, sizeof(names), ", ");
			snprintf(err, errlen, "%s:%d: unknown allocator '%s' (expected %s, NAME=/path/lib.so "
				 "or an [allocator %s] section)", m->path, m->allocator_names.line, n, names,
				 n);
			return -1;
		}
		int id = res_alloc_find(a->base, strlen(a->base));
		a->is_nano = id == RES_ALLOC_NANO || id == RES_ALLOC_NANO_RSEQ;
		for (unsigned j = 0; j + 1 < m->nalloc; j++) {
			if (!strcmp(m->alloc[j].name, a->name)) {
				snprintf(err, errlen, "%s:%d: allocators: '%s' and '%s' both have the label "
					 "'%s' (labels name the cells: make them differ)", m->path,
					 m->allocator_names.line, m->allocator_names.item[j], n, a->name);
				return -1;
			}
		}
	}
	return 0;
}

/* libinih reports keys only, so a section without keys ([workload larson]
 * with the published defaults) would never be seen: declare every section
 * from its header line first. Duplicates are caught here too, and so is a
 * line longer than libinih's buffer (read the same way as reader() does). */
static int declare_sections(FILE *f, const char *path, struct parse *ps, char *err, size_t errlen)
{
	char line[INI_MAX_LINE];
	int lineno = 0;
	long at = ftell(f);
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t"), *e;
		int c;
		const long was = at;
		lineno++;
		at = ftell(f);
		if (was >= 0 && at >= 0 && (long)strlen(line) != at - was) {
			snprintf(err, errlen, "%s:%d: a NUL byte in the line (not a text file?)", path,
				 lineno);
			return -1;
		}
		if (!strchr(line, '\n') && (c = getc(f)) != EOF) {
			snprintf(err, errlen, "%s:%d: line longer than %d characters (a long value "
				 "goes on indented continuation lines)", path, lineno, INI_MAX_LINE - 2);
			return -1;
		}
		if (*p != '[' || !(e = strchr(p, ']')))
			continue;
		*e = 0;
		ps->cur[0] = 0;      /* every header line opens a section */
		if (enter_section(ps, p + 1, lineno)) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, ps->msg);
			return -1;
		}
	}
	ps->cur[0] = 0;
	return 0;
}

/* libinih's line reader: counts the lines, so the handler knows its own. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	if (!fgets(str, num, ps->f))
		return NULL;
	ps->lineno++;
	ps->indented = str[0] == ' ' || str[0] == '\t';
	return str;
}

/* A matrix file must be a regular file: a directory or a FIFO is named as
 * such (opening a FIFO does not block: O_NONBLOCK). */
static FILE *open_matrix(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	FILE *f;
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open the matrix file (%s)", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s, not a matrix file (an INI file with a [matrix] section)",
			 path, S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
		close(fd);
		return NULL;
	}
	if (!(f = fdopen(fd, "r"))) {
		snprintf(err, errlen, "%s: cannot open the matrix file (%s)", path, strerror(errno));
		close(fd);
	}
	return f;
}

static int parse_file(const char *path, struct parse *ps, char *err, size_t errlen)
{
	FILE *f = open_matrix(path, err, errlen);
	int line;
	if (!f)
		return -1;
	if (declare_sections(f, path, ps, err, errlen)) {
		fclose(f);
		return -1;
	}
	rewind(f);
	ps->f = f;
	line = ini_parse_stream(reader, ps, handler, ps);
	fclose(f);
	ps->f = NULL;
	if (line != 0) {
		snprintf(err, errlen, "%s:%d: %s", path, line,
			 ps->msg[0] ? ps->msg : "not a KEY = VALUE line or [section]");
		return -1;
	}
	return 0;
}

int run_matrix_load(const char *path, struct run_matrix *m, char *err, size_t errlen)
{
	static struct parse ps;

	memset(m, 0, sizeof(*m));
	memset(&ps, 0, sizeof(ps));
	ps.m = m;
	m->repetitions = 3;
	m->max_repetitions = RUN_AUTO_MAX;
	m->warmup = 1;
	m->timeout = 120;
	m->seed = 1;
	m->axes.duration = 1;
	snprintf(m->path, sizeof(m->path), "%s", path);
	if (parse_file(path, &ps, err, errlen))
		return -1;
	if (!m->name[0]) {
		const char *b = strrchr(path, '/');
		snprintf(m->name, sizeof(m->name), "%.*s", (int)strcspn(b ? b + 1 : path, "."),
			 b ? b + 1 : path);
	}
	if (m->max_set && !m->auto_reps) {
		snprintf(err, errlen, "%s: max_repetitions is the cap of repetitions = auto; this matrix "
			 "has repetitions = %u", path, m->repetitions);
		return -1;
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
		const struct run_wl *w = &m->wl[i];
		if (w->is_program && !w->command[0]) {
			snprintf(err, errlen, "%s:%d: [program %s] has no command", path, w->line, w->name);
			return -1;
		}
		if (w->is_program && !w->metric[0] && (w->metric_unit[0] || w->higher_is_better != 1)) {
			snprintf(err, errlen, "%s:%d: [program %s] sets metric_unit or higher_is_better "
				 "without a metric (metric = REGEX with a capture group)", path, w->line,
				 w->name);
			return -1;
		}
	}
	if (!m->axes.threads.n)
		parse_list("1", &m->axes.threads, 0, err, errlen);
	if (!m->axes.placements.n)
		parse_list("compact", &m->axes.placements, 0, err, errlen);
	if (!m->axes.size_dists.n)
		parse_list("classic", &m->axes.size_dists, 0, err, errlen);
	if (!m->axes.hyper_shifts.n)
		parse_list("default", &m->axes.hyper_shifts, 0, err, errlen);
	if (!m->axes.maps.n)
		parse_list("default", &m->axes.maps, 0, err, errlen);
	return resolve_allocators(m, err, errlen);
}
