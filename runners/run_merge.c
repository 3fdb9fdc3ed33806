/*
 * run_merge.c - `nanobench merge --out DIR PART...`: combine the partial run
 * folders of one matrix (jobs of --emit-jobs, run on several hosts) into one
 * run folder that summary, plot and compare read like any other.
 *
 * Refused unless every part ran the same matrix (matrix_hash) built from the
 * same commit (git_commit), and every part's results.csv has the same
 * header; --force accepts different commits (the rows say which host ran
 * them either way). A cell key present in two parts is refused: a job ran
 * twice. The merged folder gets the rows, matrix.ini, each part's topology
 * (topology-PART.xml), a meta.json listing the parts, summary.md and the
 * plots.
 */
#include "run_auto.h"
#include "run_cmds.h"
#include "run_util.h"

#include "res_csv.h"
#include "res_meta.h"
#include "res_summary.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PARTS 4096
#define MAX_AUTO_BLOCKS 65536

static void usage(FILE *f)
{
	fputs("usage: nanobench merge --out DIR [--force] PART_DIR...\n"
	      "\n"
	      "Combines the partial run folders written by the jobs of\n"
	      "`nanobench matrix --emit-jobs` into one run folder. Parts must come from\n"
	      "the same matrix and commit (--force accepts different commits).\n", f);
}

/* Check the parts agree; fills the matrix name and hash. */
static int check_parts(char **parts, int n, int force, char *name, char *hash, size_t len)
{
	char h[64], c[128], c0[128], nm[128];
	for (int i = 0; i < n; i++) {
		if (res_meta_get(parts[i], "matrix_hash", h, sizeof(h)) ||
		    res_meta_get(parts[i], "matrix", nm, sizeof(nm))) {
			fprintf(stderr, "nanobench merge: %s is not a run folder (no meta.json)\n", parts[i]);
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

/* Append every row of every part; refuses a cell key seen twice. */
static int merge_rows(char **parts, int n, const char *csv, const char ***keys, size_t *nkeys)
{
	struct res_writer w;
	char err[1024], path[4096];
	size_t cap = 0;
	int rc = 0;

	*keys = NULL;
	*nkeys = 0;
	w.fd = -1;
	for (int i = 0; i < n && !rc; i++) {
		struct res_table t;
		snprintf(path, sizeof(path), "%s/results.csv", parts[i]);
		if (res_table_load(path, &t, err, sizeof(err))) {
			fprintf(stderr, "nanobench merge: %s\n", err);
			return -1;
		}
		char header[16384];
		size_t l = 0;
		header[0] = 0;
		for (size_t c = 0; c < t.ncols; c++)
			res_csv_field(header, sizeof(header), &l, t.cols[c], c == 0);
		if (w.fd < 0 && res_writer_open(&w, csv, header, err, sizeof(err))) {
			fprintf(stderr, "nanobench merge: %s\n", err);
			res_table_free(&t);
			return -1;
		}
		if (i > 0) {
			/* reopen checks the header: a part with other columns is refused */
			struct res_writer w2;
			if (res_writer_open(&w2, csv, header, err, sizeof(err))) {
				fprintf(stderr, "nanobench merge: %s: results.csv has other columns than %s\n",
					parts[i], parts[0]);
				res_table_free(&t);
				rc = -1;
				break;
			}
			res_writer_close(&w2);
		}
		for (size_t r = 0; r < t.nrows && !rc; r++) {
			const char *key = res_get(&t, r, "cell_key");
			for (size_t k = 0; k < *nkeys; k++) {
				if (!strcmp((*keys)[k], key)) {
					fprintf(stderr, "nanobench merge: cell %s appears in two parts (a job ran twice?)\n",
						key);
					rc = -1;
					break;
				}
			}
			if (rc)
				break;
			if (*nkeys == cap) {
				cap = cap ? cap * 2 : 256;
				*keys = realloc(*keys, cap * sizeof(char *));
			}
			(*keys)[(*nkeys)++] = strdup(key);
			char line[16384];
			l = 0;
			line[0] = 0;
			for (size_t c = 0; c < t.ncols; c++)
				res_csv_field(line, sizeof(line), &l, t.rows[r][c], c == 0);
			if (res_writer_row(&w, line))
				rc = -1;
		}
		res_table_free(&t);
	}
	res_writer_close(&w);
	return rc;
}

int run_cmd_merge(int argc, char **argv)
{
	const char *out = NULL;
	char *parts[MAX_PARTS];
	int n = 0, force = 0;
	char name[128], hash[128], path[4096], err[1024];
	const char **keys;
	size_t nkeys;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			out = argv[++i];
		} else if (!strncmp(argv[i], "--out=", 6)) {
			out = argv[i] + 6;
		} else if (!strcmp(argv[i], "--force")) {
			force = 1;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "nanobench merge: unknown option '%s' (expected --out DIR, --force)\n",
				argv[i]);
			return 2;
		} else if (n < MAX_PARTS) {
			parts[n++] = argv[i];
		}
	}
	if (!out || n == 0) {
		fprintf(stderr, "nanobench merge: usage: nanobench merge --out DIR PART_DIR...\n");
		return 2;
	}
	if (check_parts(parts, n, force, name, hash, sizeof(name)))
		return 2;
	if (access(out, F_OK) == 0) {
		fprintf(stderr, "nanobench merge: --out %s already exists\n", out);
		return 2;
	}
	if (run_mkdirs(out)) {
		fprintf(stderr, "nanobench merge: cannot create %s\n", out);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/results.csv", out);
	if (merge_rows(parts, n, path, &keys, &nkeys)) {
		/* nothing half-merged stays behind */
		unlink(path);
		rmdir(out);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/matrix.ini", parts[0]);
	char dst[4300];
	snprintf(dst, sizeof(dst), "%s/matrix.ini", out);
	run_copy_file(path, dst);
	for (int i = 0; i < n; i++) {
		char base[1024];
		snprintf(base, sizeof(base), "%s", parts[i]);
		snprintf(path, sizeof(path), "%s/topology.xml", parts[i]);
		snprintf(dst, sizeof(dst), "%s/topology-%s.xml", out, basename(base));
		run_copy_file(path, dst);
	}
	/* repetitions = auto: each part recorded its blocks' counts */
	static unsigned auto_reps[MAX_AUTO_BLOCKS], part_reps[MAX_AUTO_BLOCKS];
	unsigned auto_max = 0;
	size_t nblocks = 0;
	memset(auto_reps, 0, sizeof(auto_reps));
	for (int i = 0; i < n; i++) {
		if (res_meta_auto_reps(parts[i], part_reps, MAX_AUTO_BLOCKS, &auto_max) < 0)
			continue;
		for (size_t b = 0; b < MAX_AUTO_BLOCKS; b++) {
			if (!part_reps[b])
				continue;
			auto_reps[b] = part_reps[b];
			nblocks = b + 1 > nblocks ? b + 1 : nblocks;
		}
	}
	struct res_meta meta = {
		.matrix_name = name, .matrix_file = "matrix.ini", .matrix_hash = hash,
		.auto_max = auto_max, .auto_halfwidth = RUN_AUTO_HALFWIDTH, .nblocks = nblocks,
		.auto_reps = auto_reps,
		.topology_summary = "merged: see topology-PART.xml", .cell_keys = keys,
		.ncells = nkeys, .start = time(NULL), .end = time(NULL), .status = "merged",
		.merged_from = (const char *const *)parts, .nmerged = (size_t)n,
	};
	if (res_meta_write(out, &meta, err, sizeof(err)) || res_summary_write(out, err, sizeof(err)))
		fprintf(stderr, "nanobench merge: %s\n", err);
	else
		run_plot_stage(out, "nanobench merge");
	for (size_t k = 0; k < nkeys; k++)
		free((char *)keys[k]);
	free(keys);
	fprintf(stderr, "nanobench merge: %zu rows from %d parts in %s\n", nkeys, n, out);
	return 0;
}
