/*
 * run_cmd_merge.c - `nanobench merge --out DIR PART...`: combine the partial run
 * folders of one matrix (jobs of --emit-jobs, run on several hosts) into one
 * run folder that summary, plot and compare read like any other.
 *
 * Refused unless every part ran the same matrix (matrix_hash) built from the
 * same commit (git_commit), and every part's results.csv has the same
 * header; --force accepts different commits (the rows say which host ran
 * them either way). A cell key present twice is refused: a job ran twice.
 *
 * A block number names the same cells in every part only when the parts
 * expanded the matrix for one machine: `threads = all` (cores, half, pow2)
 * is another count on a host of another size. Jobs of --emit-jobs carry
 * the emitting machine (--machine), and their parts say so in meta.json
 * (cells_resolved "emit-jobs", cells_pus, cells_cores): those merge from
 * hosts of any topology as long as they were resolved for the same machine.
 * Parts whose cells were expanded by their own host (a `--block N` run
 * without --machine, or the parts of older versions) must come from hosts
 * of one topology (meta.json's topology summary, and fingerprint where both
 * have one); mixed ones are refused with both topologies named.
 *
 * Nothing goes missing silently. The cells expected are the measured cells
 * every part's meta.json lists (each part lists the whole matrix as
 * expanded on its host, so parts of hosts of one shape agree), less the
 * repetitions that repetitions = auto found unneeded in a block; a line of a
 * part's results.csv that is not a row, or a row whose values do not pass
 * res_check, is a broken row. Missing cells and broken rows are each named
 * on stderr; with any of them the merge is refused (exit 2, nothing
 * written) unless --partial is given, which merges the good rows and marks
 * the folder "merged-partial".
 *
 * The merged folder gets the rows, matrix.ini, each part's topology
 * (topology-PART.xml), a meta.json listing the parts, summary.md and the
 * plots.
 */
#include "run_args.h"
#include "run_auto.h"
#include "run_cmds.h"
#include "run_util.h"

#include "res_check.h"
#include "res_cols.h"
#include "res_csv.h"
#include "res_meta.h"
#include "res_summary.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PARTS 4096
#define MAX_AUTO_BLOCKS 65536
#define LIST_MAX 20        /* names printed of a list before "... and N more" */

static void usage(FILE *f)
{
	fputs("usage: nanobench merge --out DIR [--force] [--partial] PART_DIR...\n"
	      "\n"
	      "Combines the partial run folders written by the jobs of\n"
	      "`nanobench matrix --emit-jobs` into one run folder. Parts must come from\n"
	      "the same matrix and commit (--force accepts different commits), and their\n"
	      "cells must have been expanded for one machine: jobs of --emit-jobs are\n"
	      "(their lines carry --machine), so they merge from hosts of any topology;\n"
	      "parts expanded by their own host must come from hosts of one topology.\n"
	      "\n"
	      "Every cell the matrix measures must have a good row in some part: missing\n"
	      "cells and broken rows (a line that is not a row, a value that is not\n"
	      "valid) are listed, and nothing is merged unless --partial is given, which\n"
	      "merges the good rows and marks the folder merged-partial.\n"
	      "\n"
	      "Exit status: 0 merged, 2 refused or not written (nothing is left in DIR).\n", f);
}

/* How a part's cells were expanded: for which machine (0 when the part
 * does not say: an older version), whether the job line named it, and the
 * topology of the host that ran it. */
struct part_shape {
	long pus, cores;
	int at_emit;
	char topo[256], fingerprint[64];
};

static void part_shape(const char *dir, struct part_shape *s)
{
	char by[32];
	memset(s, 0, sizeof(*s));
	if (res_meta_get_long(dir, "cells_pus", &s->pus) || res_meta_get_long(dir, "cells_cores", &s->cores))
		s->pus = s->cores = 0;
	s->at_emit = s->pus && !res_meta_get(dir, "cells_resolved", by, sizeof(by)) &&
		     !strcmp(by, "emit-jobs");
	if (res_meta_get(dir, "summary", s->topo, sizeof(s->topo)))
		snprintf(s->topo, sizeof(s->topo), "unknown");
	if (res_meta_get(dir, "fingerprint", s->fingerprint, sizeof(s->fingerprint)) ||
	    !strcmp(s->fingerprint, "unknown"))
		s->fingerprint[0] = 0;
}

static int same_topology(const struct part_shape *a, const struct part_shape *b)
{
	return !strcmp(a->topo, b->topo) &&
	       (!a->fingerprint[0] || !b->fingerprint[0] || !strcmp(a->fingerprint, b->fingerprint));
}

/* Do the parts' block numbers name the same cells (see the top)? Fills
 * *all with the machine they were resolved for when they agree on one
 * (pus 0 otherwise). 0, or -1 with the reason printed. */
static int check_shapes(char **parts, int n, struct part_shape *all)
{
	struct part_shape s0, s;
	int every_emit = 1;
	part_shape(parts[0], &s0);
	*all = s0;
	for (int i = 0; i < n; i++) {
		part_shape(parts[i], &s);
		every_emit &= s.at_emit;
		if (s.pus && s0.pus && (s.pus != s0.pus || s.cores != s0.cores)) {
			fprintf(stderr, "nanobench merge: %s expanded the matrix for a machine of %ld:%ld "
				"(PUS:CORES), %s for %ld:%ld: a block number names other cells in each "
				"(jobs of two different --emit-jobs?)\n", parts[i], s.pus, s.cores,
				parts[0], s0.pus, s0.cores);
			return -1;
		}
		if (!s.pus)
			all->pus = all->cores = 0;
	}
	for (int i = 1; !every_emit && i < n; i++) {
		part_shape(parts[i], &s);
		if (same_topology(&s, &s0))
			continue;
		int by_print = !strcmp(s.topo, s0.topo);   /* the fingerprints tell them apart */
		fprintf(stderr, "nanobench merge: %s ran on a host of another topology (%s%s%s) than %s "
			"(%s%s%s), and not every part's cells were resolved by --emit-jobs (a part "
			"expanded by its own host reads threads = all, cores, half and pow2 as its own "
			"counts): emit the jobs again, which resolves the cells once for every host, or "
			"run them on hosts of one topology\n",
			parts[i], s.topo, by_print ? ", fingerprint " : "", by_print ? s.fingerprint : "",
			parts[0], s0.topo, by_print ? ", fingerprint " : "", by_print ? s0.fingerprint : "");
		return -1;
	}
	all->at_emit = every_emit;
	return 0;
}

/* Check the parts agree; fills the matrix name and hash. */
static int check_parts(char **parts, int n, int force, char *name, char *hash, size_t len)
{
	char h[64], c[128], c0[128], nm[128];
	for (int i = 0; i < n; i++) {
		if (res_meta_get(parts[i], "matrix_hash", h, sizeof(h)) ||
		    res_meta_get(parts[i], "matrix", nm, sizeof(nm))) {
			fprintf(stderr, "nanobench merge: %s is not a run folder (%s)\n", parts[i],
				res_meta_missing(parts[i], "matrix_hash"));
			return -1;
		}
		if (res_meta_get(parts[i], "git_commit", c, sizeof(c)))
			snprintf(c, sizeof(c), "unknown");
		if (i == 0) {
			snprintf(hash, len, "%s", h);
			snprintf(name, len, "%s", nm);
			snprintf(c0, sizeof(c0), "%s", c);
		} else if (strcmp(hash, h)) {
			fprintf(stderr, "nanobench merge: %s ran another matrix (%s) than %s (%s)\n", parts[i],
				h, parts[0], hash);
			return -1;
		} else if (strcmp(c0, c) && !force) {
			fprintf(stderr, "nanobench merge: %s was built from commit %s, %s from %s "
				"(--force to merge anyway)\n", parts[i], c, parts[0], c0);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * What the parts hold
 * ---------------------------------------------------------------------- */

struct key_at {
	const char *key;
	int part;
	size_t row;
};

struct merge_in {
	char **parts;
	int n, partial;
	struct res_table *t;          /* per part, loaded leniently */
	unsigned char **skip;         /* per part and row: broken, left out */
	struct key_at *idx;           /* the good rows, by key */
	size_t nidx, nbroken, nmissing;
	char **expected;              /* measured cells of the parts' meta.json, sorted */
	size_t nexpected;
	unsigned *auto_reps;          /* repetitions = auto: per block, the count a part */
	unsigned auto_max;            /*   recorded (0: all of them), and the cap */
	size_t nblocks;
};

static int by_key(const void *a, const void *b)
{
	const struct key_at *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	return x->part != y->part ? (x->part > y->part) - (x->part < y->part) :
				    (x->row > y->row) - (x->row < y->row);
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int same_columns(const struct res_table *a, const struct res_table *b)
{
	if (a->ncols != b->ncols)
		return 0;
	for (size_t c = 0; c < a->ncols; c++)
		if (strcmp(a->cols[c], b->cols[c]))
			return 0;
	return 1;
}

static void say_broken(struct merge_in *in, const char *path, size_t line, const char *why)
{
	if (in->nbroken++ < LIST_MAX)
		fprintf(stderr, "nanobench merge: broken: %s:%zu: %s\n", path, line, why);
}

/* Load part i, flag its broken rows. -1: refused. */
static int load_part(struct merge_in *in, int i)
{
	struct res_table *t = &in->t[i];
	char path[4096], err[1024], why[256];
	snprintf(path, sizeof(path), "%s/results.csv", in->parts[i]);
	if (res_table_load_lenient(path, t, err, sizeof(err))) {
		fprintf(stderr, "nanobench merge: %s\n", err);
		return -1;
	}
	if (i > 0 && !same_columns(t, &in->t[0])) {
		fprintf(stderr, "nanobench merge: %s: results.csv has other columns than %s\n", in->parts[i],
			in->parts[0]);
		return -1;
	}
	if (res_col(t, RES_COL(cell_key)) < 0) {
		fprintf(stderr, "nanobench merge: %s has no cell_key column (not a run of nanobench matrix)\n",
			path);
		return -1;
	}
	if (!(in->skip[i] = calloc(t->nrows + 1, 1)))
		return -1;
	for (size_t b = 0; b < t->nbad; b++)
		say_broken(in, path, t->bad[b].line, t->bad[b].why);
	for (size_t r = 0; r < t->nrows; r++) {
		if (res_row_check(t, r, why, sizeof(why)) == 0)
			continue;
		in->skip[i][r] = 1;
		say_broken(in, path, t->line[r], why);
	}
	return 0;
}

/* Index the good rows by key; a key twice is a job that ran twice, refused
 * whatever --partial says. */
static int index_rows(struct merge_in *in)
{
	size_t cap = 1;
	for (int i = 0; i < in->n; i++)
		cap += in->t[i].nrows;
	if (!(in->idx = malloc(cap * sizeof(*in->idx))))
		return -1;
	for (int i = 0; i < in->n; i++)
		for (size_t r = 0; r < in->t[i].nrows; r++)
			if (!in->skip[i][r])
				in->idx[in->nidx++] = (struct key_at){
					res_get(&in->t[i], r, RES_COL(cell_key)), i, r };
	qsort(in->idx, in->nidx, sizeof(*in->idx), by_key);
	for (size_t k = 1; k < in->nidx; k++) {
		const struct key_at *a = &in->idx[k - 1], *b = &in->idx[k];
		if (strcmp(a->key, b->key))
			continue;
		if (a->part == b->part)
			fprintf(stderr, "nanobench merge: cell %s appears twice in %s (lines %zu and %zu)\n",
				a->key, in->parts[a->part], in->t[a->part].line[a->row],
				in->t[b->part].line[b->row]);
		else
			fprintf(stderr, "nanobench merge: cell %s appears in two parts, %s and %s (a job ran "
				"twice?)\n", a->key, in->parts[a->part], in->parts[b->part]);
		return -1;
	}
	return 0;
}

/* repetitions = auto: each part recorded its blocks' counts */
static int read_auto(struct merge_in *in)
{
	unsigned *part = malloc(MAX_AUTO_BLOCKS * sizeof(unsigned));
	in->auto_reps = calloc(MAX_AUTO_BLOCKS, sizeof(unsigned));
	if (!part || !in->auto_reps) {
		free(part);
		return -1;
	}
	for (int i = 0; i < in->n; i++) {
		if (res_meta_auto_reps(in->parts[i], part, MAX_AUTO_BLOCKS, &in->auto_max) < 0)
			continue;
		for (size_t b = 0; b < MAX_AUTO_BLOCKS; b++) {
			if (!part[b])
				continue;
			in->auto_reps[b] = part[b];
			in->nblocks = b + 1 > in->nblocks ? b + 1 : in->nblocks;
		}
	}
	free(part);
	return 0;
}

/* The length of a cell key's block part ("wl|dist|tN|placement"). */
static size_t block_part(const char *key)
{
	const char *p = key;
	for (int bars = 0; *p; p++)
		if (*p == '|' && ++bars == 4)
			break;
	return (size_t)(p - key);
}

/* A part's measured cells, in run order (blocks are numbered as they
 * first appear), less the repetitions auto found unneeded. */
static int add_expected(struct merge_in *in, char **k, long nk, size_t *cap)
{
	size_t block = 0;
	char prev[1024] = "";
	for (long c = 0; c < nk; c++) {
		size_t bl = block_part(k[c]);
		if (c && (bl != strlen(prev) || strncmp(k[c], prev, bl)))
			block++;
		snprintf(prev, sizeof(prev), "%.*s", (int)bl, k[c]);
		const char *rep = strrchr(k[c], '|');
		unsigned r = rep ? (unsigned)strtoul(rep + 2, NULL, 10) : 0;
		if (!res_key_measured(k[c]) ||
		    (block < MAX_AUTO_BLOCKS && in->auto_reps[block] && r >= in->auto_reps[block])) {
			free(k[c]);
			continue;
		}
		if (in->nexpected == *cap) {
			*cap = *cap ? *cap * 2 : 256;
			char **ne = realloc(in->expected, *cap * sizeof(char *));
			if (!ne) {
				res_meta_cells_free(k + c, nk - c);
				return -1;
			}
			in->expected = ne;
		}
		in->expected[in->nexpected++] = k[c];
	}
	return 0;
}

/* The cells the parts were to measure, and which of them no part has a
 * good row of. */
static int find_missing(struct merge_in *in)
{
	size_t cap = 0;
	if (read_auto(in))
		return -1;
	for (int i = 0; i < in->n; i++) {
		char **k;
		long nk = res_meta_cells(in->parts[i], &k);
		if (nk < 0) {
			fprintf(stderr, "nanobench merge: %s/meta.json lists no cells\n", in->parts[i]);
			return -1;
		}
		int rc = add_expected(in, k, nk, &cap);
		free(k);
		if (rc)
			return -1;
	}
	qsort(in->expected, in->nexpected, sizeof(char *), by_str);
	size_t u = 0;
	for (size_t c = 0; c < in->nexpected; c++) {
		if (u && !strcmp(in->expected[u - 1], in->expected[c])) {
			free(in->expected[c]);
			continue;
		}
		in->expected[u++] = in->expected[c];
	}
	in->nexpected = u;
	for (size_t c = 0; c < in->nexpected; c++) {
		const char *want = in->expected[c];
		size_t lo = 0, hi = in->nidx;
		while (lo < hi) {        /* the first index entry >= want */
			size_t mid = (lo + hi) / 2;
			if (strcmp(in->idx[mid].key, want) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if ((lo == in->nidx || strcmp(in->idx[lo].key, want)) && in->nmissing++ < LIST_MAX)
			fprintf(stderr, "nanobench merge: missing: %s\n", want);
	}
	return 0;
}

static void free_in(struct merge_in *in)
{
	for (int i = 0; in->t && i < in->n; i++) {
		res_table_free(&in->t[i]);
		free(in->skip[i]);
	}
	free(in->t);
	free(in->skip);
	free(in->idx);
	free(in->auto_reps);
	res_meta_cells_free(in->expected, (long)in->nexpected);
}

/* Load and check every part. 0: merge (with --partial, what there is);
 * -1: refused, the reasons printed. */
static int read_parts(struct merge_in *in)
{
	in->t = calloc((size_t)in->n, sizeof(*in->t));
	in->skip = calloc((size_t)in->n, sizeof(*in->skip));
	if (!in->t || !in->skip)
		return -1;
	for (int i = 0; i < in->n; i++)
		if (load_part(in, i))
			return -1;
	if (index_rows(in) || find_missing(in))
		return -1;
	if (in->nbroken > LIST_MAX)
		fprintf(stderr, "nanobench merge: ... and %zu more broken rows\n", in->nbroken - LIST_MAX);
	if (in->nmissing > LIST_MAX)
		fprintf(stderr, "nanobench merge: ... and %zu more missing cells\n", in->nmissing - LIST_MAX);
	if ((in->nbroken || in->nmissing) && !in->partial) {
		fprintf(stderr, "nanobench merge: %zu of %zu cells missing, %zu broken rows: nothing merged "
			"(rerun the jobs of the missing cells, or merge what there is with --partial)\n",
			in->nmissing, in->nexpected, in->nbroken);
		return -1;
	}
	if (in->nbroken || in->nmissing)
		fprintf(stderr, "nanobench merge: --partial: merging without %zu of %zu cells (%zu broken "
			"rows left out)\n", in->nmissing, in->nexpected, in->nbroken);
	return 0;
}

/* ------------------------------------------------------------------------
 * Writing the merged folder
 * ---------------------------------------------------------------------- */

/* n fields as one CSV line, in memory sized for the worst quoting (every
 * character a doubled quote, two quotes and a comma a field), so that no
 * row is ever cut; NULL out of memory. */
static char *csv_line(char *const *fields, size_t n)
{
	size_t cap = 1, l = 0;
	for (size_t c = 0; c < n; c++)
		cap += 2 * strlen(fields[c]) + 3;
	char *line = malloc(cap);
	if (!line)
		return NULL;
	line[0] = 0;
	for (size_t c = 0; c < n; c++)
		res_csv_field(line, cap, &l, fields[c], c == 0);
	return line;
}

/* The good rows of every part, in part order, into csv. */
static int write_rows(struct merge_in *in, const char *csv, const char ***keys, size_t *nkeys)
{
	struct res_writer w;
	char err[1024];
	const struct res_table *t0 = &in->t[0];
	char *header = csv_line(t0->cols, t0->ncols);

	*nkeys = 0;
	*keys = malloc((in->nidx + 1) * sizeof(char *));
	if (!*keys || !header || res_writer_open(&w, csv, header, err, sizeof(err))) {
		fprintf(stderr, "nanobench merge: %s\n", *keys && header ? err : "out of memory");
		free(header);
		return -1;
	}
	free(header);
	for (int i = 0; i < in->n; i++) {
		const struct res_table *t = &in->t[i];
		for (size_t r = 0; r < t->nrows; r++) {
			if (in->skip[i][r])
				continue;
			char *line = csv_line(t->rows[r], t->ncols);
			if (!line || res_writer_row(&w, line)) {
				fprintf(stderr, "nanobench merge: cannot append a row to %s: %s\n", csv,
					line ? strerror(errno) : "out of memory");
				free(line);
				res_writer_close(&w);
				return -1;
			}
			free(line);
			(*keys)[(*nkeys)++] = res_get(t, r, RES_COL(cell_key));
		}
	}
	res_writer_close(&w);
	return 0;
}

/* OUT/topology-PART.xml for part i: PART is its folder's name, with -N
 * (N = i + 1) where an earlier part's folder has the same name (a/part,
 * b/part), so that no part's topology overwrites another's. */
static void part_topology(char *buf, size_t len, const char *out, char **parts, int i)
{
	char a[1024], b[1024];
	int clash = 0;
	snprintf(a, sizeof(a), "%s", parts[i]);
	const char *name = basename(a);
	for (int j = 0; j < i && !clash; j++) {
		snprintf(b, sizeof(b), "%s", parts[j]);
		clash = !strcmp(basename(b), name);
	}
	if (clash)
		snprintf(buf, len, "%s/topology-%s-%d.xml", out, name, i + 1);
	else
		snprintf(buf, len, "%s/topology-%s.xml", out, name);
}

/* matrix.ini, the topologies, meta.json, summary.md, the plots. */
static int finish_merge(const char *out, const struct merge_in *in, const char *name,
			const char *hash, const char **keys, size_t nkeys, const char *status,
			const struct part_shape *shape)
{
	char **parts = in->parts;
	int n = in->n;
	char path[4096], dst[4300], err[1024];
	snprintf(path, sizeof(path), "%s/matrix.ini", parts[0]);
	snprintf(dst, sizeof(dst), "%s/matrix.ini", out);
	if (run_copy_file(path, dst)) {
		fprintf(stderr, "nanobench merge: cannot write %s: %s\n", dst, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/topology.xml", parts[i]);
		part_topology(dst, sizeof(dst), out, parts, i);
		if (run_copy_file(path, dst)) {
			fprintf(stderr, "nanobench merge: cannot copy %s to %s: %s\n", path, dst,
				strerror(errno));
			return -1;
		}
	}
	struct res_meta meta = {
		.matrix_name = name, .matrix_file = "matrix.ini", .matrix_hash = hash,
		.auto_max = in->auto_max, .auto_halfwidth = RUN_AUTO_HALFWIDTH, .nblocks = in->nblocks,
		.auto_reps = in->auto_reps,
		.topology_summary = "merged: see topology-PART.xml", .cell_keys = keys,
		.ncells = nkeys, .start = time(NULL), .end = time(NULL), .status = status,
		.merged_from = (const char *const *)parts, .nmerged = (size_t)n,
		.cells_pus = (unsigned)shape->pus, .cells_cores = (unsigned)shape->cores,
		.cells_at_emit = shape->at_emit,
	};
	if (res_meta_write(out, &meta, err, sizeof(err)) || res_summary_write(out, err, sizeof(err))) {
		fprintf(stderr, "nanobench merge: %s\n", err);
		return -1;
	}
	if (run_plot_stage(out, "nanobench merge") == RUN_PLOTS_DISK) {
		fprintf(stderr, "nanobench merge: the disk refused the plots: nothing is left in %s "
			"(merge again once it has room)\n", out);
		return -1;
	}
	return 0;
}

/* Remove what a failed merge wrote into out (it did not exist before):
 * only the files merge writes, then the folder. */
static void remove_out(const char *out, char **parts, int n)
{
	static const char *const names[] = { "results.csv", "matrix.ini", "meta.json", "summary.md",
					     "stats.csv" };
	char path[4300];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", out, names[i]);
		unlink(path);
	}
	for (int i = 0; i < n; i++) {
		part_topology(path, sizeof(path), out, parts, i);
		unlink(path);
	}
	rmdir(out);
}

int run_cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' }, { "force", no_argument, NULL, 'f' },
		{ "partial", no_argument, NULL, 'p' }, RUN_ARGS_HELP_AND_END,
	};
	const char *out = NULL;
	char **parts;
	int force = 0, partial = 0, ch;
	char name[128], hash[128], path[4096];
	const char **keys = NULL;
	size_t nkeys = 0;
	struct run_args a;

	run_args_begin(&a, "merge", argc - 1, argv + 1, opts);
	while ((ch = run_args_next(&a)) != -1) {
		switch (ch) {
		case 'o': out = a.val; break;
		case 'f': force = 1; break;
		case 'p': partial = 1; break;
		case RUN_ARG_HELP: usage(stdout); return 0;
		default: return run_args_fail("merge", "%s", a.err);
		}
	}
	int n = run_args_rest(&a, &parts);
	if (!out || n == 0)
		return run_args_fail("merge", "usage: nanobench merge --out DIR [--force] [--partial] "
				     "PART_DIR...");
	if (n > MAX_PARTS)
		return run_args_fail("merge", "%d part folders given (at most %d)", n, MAX_PARTS);
	struct part_shape shape;
	if (check_parts(parts, n, force, name, hash, sizeof(name)) || check_shapes(parts, n, &shape))
		return 2;
	if (access(out, F_OK) == 0) {
		fprintf(stderr, "nanobench merge: --out %s already exists\n", out);
		return 2;
	}
	struct merge_in in = { .parts = parts, .n = n, .partial = partial };
	int rc = read_parts(&in) ? 2 : 0;
	if (rc == 0 && run_mkdirs(out)) {
		fprintf(stderr, "nanobench merge: cannot create %s: %s\n", out, strerror(errno));
		rc = 2;
	}
	snprintf(path, sizeof(path), "%s/results.csv", out);
	if (rc == 0 && (write_rows(&in, path, &keys, &nkeys) ||
			finish_merge(out, &in, name, hash, keys, nkeys,
				     in.nbroken || in.nmissing ? "merged-partial" : "merged", &shape))) {
		remove_out(out, parts, n);     /* nothing half-merged stays behind */
		rc = 2;
	}
	if (rc == 0)
		fprintf(stderr, "nanobench merge: %zu rows from %d parts in %s\n", nkeys, n, out);
	free(keys);
	free_in(&in);
	return rc;
}
