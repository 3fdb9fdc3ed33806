/*
 * run_cmd_tune.c - `nanobench tune`: find the nano setting for this machine,
 * with evidence, and write it down as a profile.
 *
 * The steps: load the topology (this machine, or with --topology /
 * --topology-xml a described one, which can only be shown), build the sweep
 * of distinct magazine tables (run_tune_sweep.c), and either print the tables
 * (described machines), print the plan (--dry-run), or generate a matrix
 * (one [allocator] variant per setting, a workload mix of local and remote
 * frees in the nano size range, every CPU busy and pinned, repetitions
 * interleaved) and run it with the matrix runner into an ordinary run
 * folder. Then score it (run_tune_score.c) and write profile.nano, tune.md
 * and the heatmap (run_tune_report.c).
 *
 * --profile FILE names an existing profile: it is checked like libnano
 * checks it (format, then fingerprint), but here a problem is an error (exit
 * 2), and its setting joins the sweep, so a rerun tells whether it still
 * wins.
 */
#include "run_args.h"
#include "run_cmds.h"
#include "run_matrix_run.h"
#include "run_tune.h"
#include "run_util.h"

#include "res_summary.h"
#include "wl_topo.h"
#include "wl_workload.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const default_mix[] = { "threadtest", "larson", "xmalloc" };

struct tune_args {
	const char *out, *profile, *synthetic, *xml;
	struct run_tune_plan plan;
	int dry_run, quiet;
};

static void usage(FILE *f)
{
	fputs("usage: nanobench tune [--duration S] [--repetitions N] [--warmup N] [--threads N]\n"
	      "                      [--workloads A,B,...] [--out DIR] [--profile FILE] [--dry-run]\n"
	      "       nanobench tune --topology SPEC | --topology-xml FILE [--profile FILE]\n"
	      "\n"
	      "Measures every distinct nano magazine table of this machine (hyper_shift 0 up to\n"
	      "log2 of the CPU count x maps shift and topology, and map cpu; settings giving the\n"
	      "same table are measured once) against the faithful default, on workloads with\n"
	      "local and remote frees in the nano size range, every CPU busy, threads pinned,\n"
	      "repetitions interleaved. Writes a run folder (results.csv, meta.json, summary.md)\n"
	      "plus profile.nano, tune.md and tune_heatmap.png/svg, and prints what to set.\n"
	      "\n"
	      "  --duration S       seconds per cell (default 0.5)\n"
	      "  --repetitions N    measured runs per setting and workload (default 5)\n"
	      "  --warmup N         discarded runs per workload and setting first (default 1)\n"
	      "  --threads N        worker threads (default: every CPU)\n"
	      "  --workloads LIST   the mix (default threadtest,larson,xmalloc)\n"
	      "  --out DIR          the run folder (default results/runs/<date>-<host>-tune)\n"
	      "  --profile FILE     an existing profile: checked, and its setting measured too\n"
	      "  --dry-run          print the settings and the generated matrix; run nothing\n"
	      "  --topology SPEC    a synthetic machine (\"pack:2 core:16 pu:2\"): print each\n"
	      "                     setting's magazine table and diagnosis; measure nothing\n"
	      "  --topology-xml F   the same for an hwloc XML file\n"
	      "  --quiet            no progress output\n"
	      "\n"
	      "Exit status: 0 done, 1 some cells failed (scored from the rest), 2 bad usage or input,\n"
	      "3 the run folder could not be written (a full disk; no profile is made).\n",
	      f);
}

/* ------------------------------------------------------------------------
 * Arguments
 * ---------------------------------------------------------------------- */

static int bad(const char *fmt, const char *v, const char *expected)
{
	fprintf(stderr, "nanobench tune: ");
	fprintf(stderr, fmt, v);
	fprintf(stderr, " (expected %s)\n", expected);
	return -1;
}

static int parse_unsigned(const char *opt, const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	char *end, fmt[64];
	unsigned long x;
	errno = 0;
	x = strtoul(v, &end, 10);
	if (!*v || *end || *v == '-' || errno || x < lo || x > hi) {
		char expected[64];
		snprintf(fmt, sizeof(fmt), "%s '%%s' is out of range", opt);
		snprintf(expected, sizeof(expected), "an integer from %u to %u", lo, hi);
		return bad(fmt, v, expected);
	}
	*out = (unsigned)x;
	return 0;
}

static int parse_workloads(const char *v, struct run_tune_plan *p)
{
	static char store[512];
	char *save, *w;
	snprintf(store, sizeof(store), "%s", v);
	p->nwl = 0;
	for (w = strtok_r(store, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
		if (!wl_workload_find(w))
			return bad("--workloads: unknown workload '%s'", w,
				   "names from nanobench run --list");
		if (p->nwl == RUN_TUNE_MAX_WL)
			return bad("--workloads '%s' names too many workloads", v, "at most 8");
		for (unsigned i = 0; i < p->nwl; i++)
			if (!strcmp(p->wl[i], w))
				return bad("--workloads: '%s' is named twice", w, "each workload once");
		p->wl[p->nwl++] = w;
	}
	if (!p->nwl)
		return bad("--workloads '%s' names no workload", v, "a list such as threadtest,larson");
	return 0;
}

/* 0, 1 after --help, or -1 (bad usage, said on stderr). */
static int parse_args(int argc, char **argv, struct tune_args *a)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' }, { "repetitions", required_argument, NULL, 'r' },
		{ "warmup", required_argument, NULL, 'w' }, { "threads", required_argument, NULL, 't' },
		{ "workloads", required_argument, NULL, 'W' }, { "out", required_argument, NULL, 'o' },
		{ "profile", required_argument, NULL, 'p' }, { "dry-run", no_argument, NULL, 'n' },
		{ "topology", required_argument, NULL, 's' },
		{ "topology-xml", required_argument, NULL, 'x' }, { "quiet", no_argument, NULL, 'q' },
		RUN_ARGS_HELP_AND_END,
	};
	struct run_args r;
	char *end, **rest;
	int c;

	memset(a, 0, sizeof(*a));
	a->plan.duration = 0.5;
	a->plan.repetitions = 5;
	a->plan.warmup = 1;
	a->plan.nwl = sizeof(default_mix) / sizeof(default_mix[0]);
	for (unsigned i = 0; i < a->plan.nwl; i++)
		a->plan.wl[i] = default_mix[i];
	run_args_begin(&r, "tune", argc, argv, opts);
	while ((c = run_args_next(&r)) != -1) {
		switch (c) {
		case 'd':
			a->plan.duration = strtod(r.val, &end);
			if (!*r.val || *end || !(a->plan.duration > 0) || a->plan.duration > 3600)
				return bad("--duration '%s' is out of range", r.val,
					   "seconds, more than 0 and at most 3600");
			break;
		case 'r':
			if (parse_unsigned("--repetitions", r.val, 1, RES_MAX_REPS, &a->plan.repetitions))
				return -1;
			break;
		case 'w':
			if (parse_unsigned("--warmup", r.val, 0, 10, &a->plan.warmup))
				return -1;
			break;
		case 't':
			if (parse_unsigned("--threads", r.val, 1, 4096, &a->plan.threads))
				return -1;
			break;
		case 'W':
			if (parse_workloads(r.val, &a->plan))
				return -1;
			break;
		case 'o': a->out = r.val; break;
		case 'p': a->profile = r.val; break;
		case 'n': a->dry_run = 1; break;
		case 's': a->synthetic = r.val; break;
		case 'x': a->xml = r.val; break;
		case 'q': a->quiet = 1; break;
		case RUN_ARG_HELP: usage(stdout); return 1;
		default: run_args_fail("tune", "%s", r.err); return -1;
		}
	}
	if (run_args_rest(&r, &rest))
		return bad("unexpected argument '%s'", rest[0], "options only");
	if (a->synthetic && a->xml)
		return bad("%s", "--topology and --topology-xml together", "one of them");
	return 0;
}

/* ------------------------------------------------------------------------
 * An existing profile (--profile)
 * ---------------------------------------------------------------------- */

static int load_profile(const char *path, struct nano_profile *p)
{
	char text[NANO_PROFILE_MAX_BYTES + 1];
	struct nano_profile_error e;
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		fprintf(stderr, "nanobench tune: --profile '%s' cannot be read: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	if (nano_profile_parse(text, n, p, &e)) {
		if (e.line)
			fprintf(stderr, "nanobench tune: --profile '%s' is malformed: line %u: %s\n", path,
				e.line, e.what);
		else
			fprintf(stderr, "nanobench tune: --profile '%s' is malformed: %s\n", path, e.what);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Measuring
 * ---------------------------------------------------------------------- */

static void print_results(const struct run_tune *t, const char *profile_path)
{
	const struct run_tune_rec *r = &t->rec;
	const struct run_tune_setting *s = &t->s[r->rec];
	char env[160];

	printf("%-22s %9s %11s %14s %9s\n", "setting", "magazines", "x default", "retries/op",
	       "RSS MiB");
	for (unsigned i = 0; i < t->n; i++) {
		const struct run_tune_setting *x = &t->s[i];
		printf("%-22s %9u %11.3f %14.4f %9.1f%s\n", x->label, x->table.used_mags, x->score,
		       x->retries, x->rss_mib, (int)i == r->rec ? "  <- recommended" : "");
	}
	run_tune_env(s, env, sizeof(env));
	printf("\nrecommendation: %s (%s)\n", s->label, r->reason);
	if (s->is_default)
		printf("the faithful default: nothing to set (profile: NANO_PROFILE=%s)\n", profile_path);
	else
		printf("set: NANO_PROFILE=%s\n  or: %s\n", profile_path, env);
}

static void command_line(int argc, char **argv, char *buf, size_t len)
{
	buf[0] = 0;
	run_shell_quote(buf, len, "nanobench");
	for (int i = 1; i < argc; i++) {
		strncat(buf, " ", len - strlen(buf) - 1);
		run_shell_quote(buf, len, argv[i]);
	}
}

/* The 1-minute load average, or NAN. Other work on the machine makes every
 * setting noisy, which pushes the choice towards "within noise". */
static double load_average(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double l = NAN;
	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = NAN;
		fclose(f);
	}
	return l;
}

/* Generate the matrix, run it, score it, write the outputs. */
/* The generated matrix, written to a temporary file (path), loaded and
 * expanded: the number of cells, or -1 after one line on stderr (the file
 * removed). */
static int generate(const struct run_tune *t, const struct tune_args *a, char *path,
		    struct run_matrix *m, struct run_cell **cells)
{
	struct run_machine mach = { t->pus, t->cores };
	char err[1024];
	int fd, rc, n;
	FILE *f;

	if ((fd = mkstemps(path, 4)) < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "nanobench tune: cannot write a temporary matrix file: %s\n", strerror(errno));
		return -1;
	}
	rc = run_tune_matrix_write(t, &a->plan, f);
	if (fclose(f) || rc || run_matrix_load(path, m, err, sizeof(err))) {
		fprintf(stderr, "nanobench tune: generated matrix: %s\n", rc ? "write error" : err);
		unlink(path);
		return -1;
	}
	n = run_matrix_expand(m, &mach, cells, err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "nanobench tune: %s\n", err);
		unlink(path);
	}
	return n;
}

static int measure(struct run_tune *t, const struct tune_args *a, struct wl_topo *topo,
		   const char *command)
{
	static struct run_matrix m;
	struct run_machine mach = { t->pus, t->cores };
	struct run_cell *cells = NULL;
	char path[] = "/tmp/nanobench-tune-XXXXXX.ini", dir[4096], err[1024], summary[256];
	char profile[4200], note[1200] = "";
	int n, rc;

	if ((n = generate(t, a, path, &m, &cells)) < 0)
		return 2;
	t->load = load_average();
	if (t->load > 0.5 * t->pus)
		fprintf(stderr, "nanobench tune: the machine is busy (load average %.1f on %u CPUs): "
			"expect noisy numbers\n", t->load, t->pus);
	if (a->out)
		snprintf(dir, sizeof(dir), "%s", a->out);
	else
		run_default_dir("tune", dir, sizeof(dir));
	snprintf(summary, sizeof(summary), "%u cores, %u PUs", t->cores, t->pus);
	struct run_resolved rv = { mach, 0 };
	rc = run_matrix_execute(&m, path, cells, (size_t)n, topo, summary, &rv, dir, 0, -1, a->quiet);
	free(cells);
	unlink(path);
	if (rc == 2 || rc == RUN_EXIT_WRITE)
		return rc;        /* no profile from a run folder with rows missing */
	if (run_tune_score(t, dir, err, sizeof(err))) {
		fprintf(stderr, "nanobench tune: %s\n", err);
		return 1;
	}
	if (run_tune_write_profile(t, dir, profile, sizeof(profile), err, sizeof(err))) {
		fprintf(stderr, "nanobench tune: %s\n", err);
		return 1;
	}
	if (run_tune_heatmap(t, dir, err, sizeof(err))) {
		fprintf(stderr, "nanobench tune: heatmap not drawn: %s\n", err);
		snprintf(note, sizeof(note), "Not drawn: %s.", err);
	}
	if (run_tune_write_report(t, dir, command, profile, note, err, sizeof(err))) {
		fprintf(stderr, "nanobench tune: %s\n", err);
		return 1;
	}
	print_results(t, profile);
	printf("report: %s/tune.md\n", dir);
	return rc;
}

/* ------------------------------------------------------------------------
 * Main
 * ---------------------------------------------------------------------- */

/* The plan, and the generated matrix checked as measure would load it. */
static int dry_run(const struct run_tune *t, const struct tune_args *a)
{
	static struct run_matrix m;
	struct run_cell *cl = NULL;
	char path[] = "/tmp/nanobench-tune-XXXXXX.ini";
	double cells = (double)t->n * a->plan.nwl * (a->plan.repetitions + a->plan.warmup);

	if (generate(t, a, path, &m, &cl) < 0)
		return 2;
	free(cl);
	unlink(path);
	printf("settings (%u distinct of %u candidates):\n", t->n, t->candidates);
	for (unsigned i = 0; i < t->n; i++) {
		char env[160];
		run_tune_env(&t->s[i], env, sizeof(env));
		printf("  %-22s %2u magazine(s)  %s%s\n", t->s[i].label, t->s[i].table.used_mags,
		       t->s[i].is_default ? "nothing set" : env, run_tune_note(&t->s[i]));
	}
	printf("\ngenerated matrix:\n");
	run_tune_matrix_write(t, &a->plan, stdout);
	printf("\n%.0f cells, about %.0f s\n", cells, cells * (a->plan.duration + RUN_CELL_OVERHEAD_S));
	return 0;
}

int run_cmd_tune(int argc, char **argv)
{
	static struct run_tune t;
	struct tune_args a;
	struct nano_profile prof;
	struct wl_topo topo;
	char err[1024], line[600], command[4096];
	int rc;

	if ((rc = parse_args(argc - 1, argv + 1, &a)))
		return rc > 0 ? 0 : 2;
	if (a.profile && load_profile(a.profile, &prof))
		return 2;
	if (wl_topo_load(&topo, a.synthetic, a.xml, err, sizeof(err))) {
		fprintf(stderr, "nanobench tune: %s\n", err);
		return 2;
	}
	if (run_tune_sweep(&t, &topo, a.profile ? &prof : NULL, err, sizeof(err))) {
		fprintf(stderr, "nanobench tune: %s\n", err);
		wl_topo_destroy(&topo);
		return 2;
	}
	if (a.profile && prof.fingerprint != t.mm.fingerprint) {
		fprintf(stderr, "nanobench tune: --profile '%s' was tuned on another topology (its "
			"fingerprint 0x%016llx, %s has 0x%016llx)\n", a.profile,
			(unsigned long long)prof.fingerprint, t.source, (unsigned long long)t.mm.fingerprint);
		wl_topo_destroy(&topo);
		return 2;
	}
	if (a.plan.threads > t.pus) {
		fprintf(stderr, "nanobench tune: --threads %u is more than the %u CPUs of %s\n",
			a.plan.threads, t.pus, t.source);
		wl_topo_destroy(&topo);
		return 2;
	}
	run_tune_machine_line(&t, line, sizeof(line));
	printf("%s\n", line);
	run_tune_caveat(&t, line, sizeof(line));
	if (line[0])
		fprintf(stderr, "nanobench tune: %s\n", line);
	if (a.synthetic || a.xml) {
		printf("%u candidate settings, %u distinct tables (a described machine is shown, "
		       "not measured)\n\n", t.candidates, t.n);
		run_tune_print_tables(&t, stdout);
		rc = 0;
	} else if (a.dry_run) {
		rc = dry_run(&t, &a);
	} else {
		fflush(stdout);
		command_line(argc, argv, command, sizeof(command));
		rc = measure(&t, &a, &topo, command);
	}
	wl_topo_destroy(&topo);
	return rc;
}
