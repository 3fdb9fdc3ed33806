/*
 * run_tune.h - `nanobench tune`: the settings it sweeps, how it scores them,
 * what it writes.
 *
 * Owns: the sweep (every distinct CPU -> magazine table that hyper_shift
 * 0..max and the maps shift, topology and cpu give on one machine, the
 * faithful default first), the generated matrix that measures them, the
 * scoring of the run folder (throughput relative to the default, CAS retries
 * per op, peak RSS, and which differences exceed the noise), and the outputs
 * (profile.nano, tune.md, the heatmap).
 *
 *   run_cmd_tune.c     the command line and the order of the steps
 *   run_tune_sweep.c   the settings and their tables; the generated matrix
 *   run_tune_score.c   scores and the recommendation
 *   run_tune_report.c  tune.md, profile.nano, tune_heatmap.{dat,png,svg}
 */
#ifndef RUN_TUNE_H
#define RUN_TUNE_H

#include <stdint.h>
#include <stdio.h>

#include "nano_magmap.h"
#include "nano_profile.h"
#include "run_matrix.h"
#include "wl_magmaps.h"

#define RUN_TUNE_MAX 28          /* settings: 2 * (log2(1024) + 1) + 1 + the profile fit */
#define RUN_TUNE_MAX_WL 8

/* One setting of the sweep. Field by field:
 *   label        its allocator name in the matrix and the results: "nano"
 *                for the faithful default, "nano-hs1-topology",
 *                "nano-cpu", "nano-profile"
 *   is_default   the faithful default: plain `nano`, no NANO_* variable
 *   from_profile the setting of --profile FILE (it adds a row only when its
 *                table differs from every swept one)
 *   map, hyper_shift, max_mags   what to set; max_mags 0: the natural count
 *   table        the CPU -> magazine table it gives on this machine
 *   same         the other settings that give the same grouping of CPUs
 *                into magazines and so were not measured again
 * Scores (run_tune_score.c), NAN where nothing was measured:
 *   ratio[w], lo[w], hi[w]   median throughput / the default's, workload w,
 *                            with its 95% bootstrap interval
 *   score        geometric mean of ratio[] over the workloads
 *   retries      CAS retries per op: median per workload, mean over them
 *   rss_mib      peak RSS: median per workload, mean over them
 *   nok, nfailed cells measured and failed
 */
struct run_tune_setting {
	char label[RUN_NAME];
	int is_default, from_profile;
	enum nano_map map;
	unsigned hyper_shift;
	int max_mags;
	struct nano_magmap table;
	char same[256];
	double ratio[RUN_TUNE_MAX_WL], lo[RUN_TUNE_MAX_WL], hi[RUN_TUNE_MAX_WL];
	double score, retries, rss_mib;
	unsigned nok, nfailed;
};

/* The recommendation. rec is the setting to use; next the best other one;
 * fastest the highest score. margin: rec's throughput over next's
 * (geometric mean over workloads of the ratios of medians) with its 95%
 * bootstrap interval [lo, hi]; noise 1 when the difference exceeds the noise
 * (run_tune_score.c says how; p_holm the Mann-Whitney p behind it), 0
 * when it does not, -1 too few repetitions to tell; fewer_mags 1 when rec
 * was chosen over a faster setting within noise for using fewer magazines. */
struct run_tune_rec {
	int rec, next, fastest;
	double margin, lo, hi, p_holm;
	int noise, fewer_mags;
	char reason[512];
};

/* Everything tune knows. */
struct run_tune {
	struct wl_magmaps mm;             /* topology, default shift, fingerprint */
	char source[160];                 /* machine, synthetic:SPEC, xml:FILE */
	unsigned pus, cores;              /* those this process may use */
	unsigned smt;                     /* of the whole machine, as nano sees it */
	unsigned disallowed;              /* PUs of the machine outside pus */
	unsigned max_shift;               /* ceil(log2(PUs)) */
	double load;                      /* 1-minute load average before measuring */
	unsigned candidates;              /* settings before deduplication */
	unsigned n;
	struct run_tune_setting s[RUN_TUNE_MAX];
	unsigned nwl;
	char wl[RUN_TUNE_MAX_WL][RUN_NAME];
	struct run_tune_rec rec;
};

/* ---- run_tune_sweep.c ---- */

/* Build the settings for a loaded topology; prof (may be NULL) adds its
 * setting. Returns 0, or -1 with a one-line err. */
int run_tune_sweep(struct run_tune *t, const struct wl_topo *topo, const struct nano_profile *prof,
		   char *err, size_t errlen);
/* " (faithful default)", " (the --profile's setting)", both or "". */
const char *run_tune_note(const struct run_tune_setting *s);
/* The variables a setting sets, space separated ("" for the default). */
void run_tune_env(const struct run_tune_setting *s, char *buf, size_t len);
/* The machine in one line, and (when few CPUs make the sweep small) the
 * caveat sentence; "" when there is none. */
void run_tune_machine_line(const struct run_tune *t, char *buf, size_t len);
void run_tune_caveat(const struct run_tune *t, char *buf, size_t len);
/* Every setting: its magazine table (magazine -> CPUs) and diagnosis. */
void run_tune_print_tables(const struct run_tune *t, FILE *f);

/* The matrix that measures the sweep. */
struct run_tune_plan {
	double duration;
	unsigned repetitions, warmup, threads;   /* threads 0: all */
	unsigned nwl;
	const char *wl[RUN_TUNE_MAX_WL];
};
/* Write it as a matrix file. 0, or -1 on a write error. */
int run_tune_matrix_write(const struct run_tune *t, const struct run_tune_plan *p, FILE *f);

/* ---- run_tune_score.c ---- */

/* Score every setting from DIR/results.csv and choose one. Returns 0, or -1
 * with err (no usable rows, no successful default cell). */
int run_tune_score(struct run_tune *t, const char *dir, char *err, size_t errlen);

/* ---- run_tune_report.c ---- */

/* DIR/profile.nano for the recommended setting. 0, or -1 with err. */
int run_tune_write_profile(const struct run_tune *t, const char *dir, char *path, size_t pathlen,
			   char *err, size_t errlen);
/* DIR/tune.md. 0, or -1 with err. */
int run_tune_write_report(const struct run_tune *t, const char *dir, const char *command,
			  const char *profile_path, const char *heatmap_note, char *err, size_t errlen);
/* DIR/tune_heatmap.dat and, through gnuplot, .png/.svg. 0, or -1 with err
 * (the data file is written even then). */
int run_tune_heatmap(const struct run_tune *t, const char *dir, char *err, size_t errlen);

#endif
