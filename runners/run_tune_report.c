/*
 * run_tune_report.c - what `nanobench tune` leaves in its run folder besides
 * the matrix's own files (see run_tune.h): profile.nano, tune.md and the
 * heatmap.
 *
 * Every file is written to a temporary name and renamed, so a folder never
 * holds half a profile. The profile is written by nano's own formatter
 * (nano_profile_format), the one libnano's parser is tested against. The
 * heatmap's numbers go to tune_heatmap.dat (setting x workload, throughput
 * relative to the faithful default, with the geometric mean as the last
 * column, -1 where nothing was measured) and gnuplot draws them with
 * plots/templates/tune_heatmap.gp.
 */
#include "run_tune.h"
#include "run_util.h"

#include "plot_render.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Files
 * ---------------------------------------------------------------------- */

/* Open DIR/NAME.tmp for writing; *final gets DIR/NAME. */
static FILE *open_tmp(const char *dir, const char *name, char *tmp, char *final, size_t len)
{
	snprintf(final, len, "%s/%s", dir, name);
	snprintf(tmp, len, "%s/%s.tmp", dir, name);
	return fopen(tmp, "w");
}

static int close_rename(FILE *f, const char *tmp, const char *final, char *err, size_t errlen)
{
	int bad = ferror(f);
	if (fclose(f) != 0 || bad || rename(tmp, final) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", final, strerror(errno ? errno : EIO));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];
	snprintf(buf, len, "unknown CPU");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (!strncmp(line, "model name", 10) && colon) {
			colon += 1 + strspn(colon + 1, " \t");
			snprintf(buf, len, "%.*s", (int)strcspn(colon, "\n"), colon);
			break;
		}
	}
	if (f)
		fclose(f);
}

/* ------------------------------------------------------------------------
 * The profile
 * ---------------------------------------------------------------------- */

int run_tune_write_profile(const struct run_tune *t, const char *dir, char *path, size_t pathlen,
			   char *err, size_t errlen)
{
	const struct run_tune_setting *s = &t->s[t->rec.rec];
	struct nano_profile p = {
		.fingerprint = t->mm.fingerprint,
		.hyper_shift = (int)s->hyper_shift,
		.map = s->map,
		.max_magazines = (int)s->table.nmags,
	};
	char text[NANO_PROFILE_MAX_BYTES], tmp[4200], final[4200], model[128], day[16];
	struct utsname u;
	time_t now = time(NULL);
	FILE *f;
	int n;

	uname(&u);
	cpu_model(model, sizeof(model));
	strftime(day, sizeof(day), "%Y-%m-%d", localtime(&now));
	snprintf(p.written_by, sizeof(p.written_by), "nanobench tune %s on %.40s (%.80s)", day,
		 u.nodename, model);
	n = nano_profile_format(text, sizeof(text), &p);
	if (n < 0) {
		snprintf(err, errlen, "cannot format the profile of %s", s->label);
		return -1;
	}
	if (!(f = open_tmp(dir, "profile.nano", tmp, final, sizeof(final)))) {
		snprintf(err, errlen, "cannot write %s: %s", final, strerror(errno));
		return -1;
	}
	fwrite(text, 1, (size_t)n, f);
	if (close_rename(f, tmp, final, err, errlen))
		return -1;
	if (!realpath(final, path))
		snprintf(path, pathlen, "%s", final);
	return 0;
}

/* ------------------------------------------------------------------------
 * tune.md
 * ---------------------------------------------------------------------- */

static void cell(FILE *f, double v, const char *fmt)
{
	if (isnan(v))
		fputs(" - |", f);
	else {
		fputc(' ', f);
		fprintf(f, fmt, v);
		fputs(" |", f);
	}
}

static void settings_table(const struct run_tune *t, FILE *f)
{
	fprintf(f, "| setting | what to set | magazines used | split cores | merged-core magazines "
		"| throughput x default |");
	for (unsigned w = 0; w < t->nwl; w++)
		fprintf(f, " %s |", t->wl[w]);
	fprintf(f, " CAS retries/op | peak RSS MiB | cells ok / failed |\n|---|---|---|---|---|---|");
	for (unsigned w = 0; w < t->nwl; w++)
		fprintf(f, "---|");
	fprintf(f, "---|---|---|\n");
	for (unsigned i = 0; i < t->n; i++) {
		const struct run_tune_setting *s = &t->s[i];
		char env[160];
		run_tune_env(s, env, sizeof(env));
		fprintf(f, "| %s%s%s%s | %s | %u | %u | %u |", (int)i == t->rec.rec ? "**" : "", s->label,
			run_tune_note(s), (int)i == t->rec.rec ? "**" : "",
			s->is_default ? "nothing" : env, s->table.used_mags, s->table.split_cores,
			s->table.shared_mags);
		cell(f, s->score, "%.3f");
		for (unsigned w = 0; w < t->nwl; w++) {
			if (isnan(s->ratio[w]))
				fputs(" - |", f);
			else if (isnan(s->lo[w]))
				fprintf(f, " %.3f |", s->ratio[w]);
			else
				fprintf(f, " %.3f +- %.3f |", s->ratio[w], (s->hi[w] - s->lo[w]) / 2);
		}
		cell(f, s->retries, "%.4f");
		cell(f, s->rss_mib, "%.1f");
		fprintf(f, " %u / %u |\n", s->nok, s->nfailed);
	}
	fprintf(f, "\nThroughput ratios are the median over the repetitions divided by the faithful "
		"default's, per workload (\"+-\" is half the 95%% bootstrap interval); \"throughput x "
		"default\" is their geometric mean. CAS retries per op and peak RSS are medians per "
		"workload, averaged over the workloads. Split cores: cores whose hardware threads "
		"land in different magazines; merged-core magazines: magazines shared by different "
		"cores.\n");
	int any = 0;
	for (unsigned i = 0; i < t->n; i++)
		if (t->s[i].same[0]) {
			if (!any++)
				fprintf(f, "\nNot measured again because their magazine table groups the CPUs "
					"exactly like a measured one:\n\n");
			fprintf(f, "- %s: same table as %s\n", t->s[i].same, t->s[i].label);
		}
}

static void recommendation(const struct run_tune *t, FILE *f, const char *profile_path)
{
	const struct run_tune_rec *r = &t->rec;
	const struct run_tune_setting *s = &t->s[r->rec];
	char env[160];

	run_tune_env(s, env, sizeof(env));
	fprintf(f, "\n## Recommendation\n\n**%s**: map %s, hyper_shift %u, %u magazine(s) used; "
		"%.3fx the faithful default's throughput (geometric mean over %u workloads).\n\n",
		s->label, nano_map_name(s->map), s->hyper_shift, s->table.used_mags, s->score, t->nwl);
	if (r->next >= 0 && r->noise >= 0)
		fprintf(f, "Margin over the next best (%s): %.3fx, 95%% bootstrap interval %.3f to "
			"%.3f: %s.\n\n", t->s[r->next].label, r->margin, r->lo, r->hi,
			!r->noise ? "within the noise"
			: (r->lo > 1.0 || r->hi < 1.0) ? "beyond the noise"
			: "the interval contains 1, but the per-workload tests (Mann-Whitney, Holm) "
			  "put it beyond the noise");
	else if (r->next >= 0)
		fprintf(f, "Margin over the next best (%s): %.3fx; too few repetitions to tell whether "
			"it exceeds the noise.\n\n", t->s[r->next].label, r->margin);
	fprintf(f, "Why: %s.\n\n", r->reason);
	if (s->is_default) {
		fprintf(f, "The faithful default is the recommendation: nothing needs to be set. "
			"The profile holds the same setting, should you want to pin it:\n\n"
			"    NANO_PROFILE=%s\n", profile_path);
		return;
	}
	fprintf(f, "To use it, set in the environment of the program (with libnano_preload.so "
		"preloaded):\n\n    NANO_PROFILE=%s\n\nor, equivalently, on this machine:\n\n    %s\n\n"
		"The profile carries this machine's topology fingerprint (0x%016llx): libnano refuses "
		"it, with one warning line, on any other topology. NANO_HYPER_SHIFT, NANO_MAG_MAP and "
		"NANO_MAX_MAGAZINES, when set, override the profile's values field by field (settings "
		"source \"profile+env\").\n", profile_path, env, (unsigned long long)t->mm.fingerprint);
}

int run_tune_write_report(const struct run_tune *t, const char *dir, const char *command,
			  const char *profile_path, const char *heatmap_note, char *err, size_t errlen)
{
	char tmp[4200], final[4200], machine[512], caveat[256];
	FILE *f = open_tmp(dir, "tune.md", tmp, final, sizeof(final));

	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", final, strerror(errno));
		return -1;
	}
	run_tune_machine_line(t, machine, sizeof(machine));
	run_tune_caveat(t, caveat, sizeof(caveat));
	machine[0] = (char)toupper((unsigned char)machine[0]);
	fprintf(f, "# nanobench tune\n\n%s.\n\n", machine);
	if (caveat[0])
		fprintf(f, "**%s.**\n\n", caveat);
	if (t->load > 0.5 * t->pus)
		fprintf(f, "**The machine was busy before the run (load average %.1f on %u CPUs): other "
			"work competed with the cells, so the intervals below are wider than they would "
			"be on a quiet machine.**\n\n", t->load, t->pus);
	fprintf(f, "Command: `%s`\n\n%u candidate settings (hyper_shift 0..%u x maps shift, topology; "
		"map cpu), %u distinct magazine tables measured. The run folder holds the cells "
		"(results.csv, meta.json, summary.md, matrix.ini).\n\n## Settings\n\n", command,
		t->candidates, t->max_shift, t->n);
	settings_table(t, f);
	recommendation(t, f, profile_path);
	fprintf(f, "\n## Heatmap\n\n");
	if (heatmap_note[0])
		fprintf(f, "%s\n", heatmap_note);
	else
		fprintf(f, "Throughput of each setting relative to the faithful default, per workload "
			"(1.0 = the default; above 1 is faster):\n\n![tune heatmap](tune_heatmap.png)\n");
	return close_rename(f, tmp, final, err, errlen);
}

/* ------------------------------------------------------------------------
 * The heatmap
 * ---------------------------------------------------------------------- */

static int write_heatmap_data(const struct run_tune *t, const char *dir, char *path, size_t len,
			      double *span, char *err, size_t errlen)
{
	char tmp[4200];
	FILE *f = open_tmp(dir, "tune_heatmap.dat", tmp, path, len);

	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	*span = 0.02;
	fprintf(f, "# throughput / the faithful default's (median over repetitions); -1: not measured\n"
		"setting");
	for (unsigned w = 0; w < t->nwl; w++)
		fprintf(f, " %s", t->wl[w]);
	fprintf(f, " geomean\n");
	for (unsigned i = 0; i < t->n; i++) {
		const struct run_tune_setting *s = &t->s[i];
		fprintf(f, "%s", s->label);
		for (unsigned w = 0; w <= t->nwl; w++) {
			double v = w < t->nwl ? s->ratio[w] : s->score;
			if (isnan(v)) {
				fprintf(f, " -1");
				continue;
			}
			fprintf(f, " %.4f", v);
			if (fabs(v - 1) > *span)
				*span = fabs(v - 1);
		}
		fputc('\n', f);
	}
	return close_rename(f, tmp, path, err, errlen);
}

int run_tune_heatmap(const struct run_tune *t, const char *dir, char *err, size_t errlen)
{
	char data[4200], tpl[4096], base[4200], title[512], v[5][4400];
	double span;

	if (write_heatmap_data(t, dir, data, sizeof(data), &span, err, errlen))
		return -1;
	if (run_data_dir("plots", "plots/templates", tpl, sizeof(tpl))) {
		snprintf(err, errlen, "the gnuplot templates were not found (plots/templates); the numbers "
			 "are in %s", data);
		return -1;
	}
	snprintf(title, sizeof(title), "nano settings: throughput relative to the faithful default "
		 "(%u CPUs, %s)", t->pus, t->smt > 1 ? "SMT" : "no SMT");
	snprintf(base, sizeof(base), "%s/tune_heatmap", dir);
	snprintf(v[0], sizeof(v[0]), "datafile=%s", data);
	snprintf(v[1], sizeof(v[1]), "plot_title=%s", title);
	snprintf(v[2], sizeof(v[2]), "nrows=%u", t->n);
	snprintf(v[3], sizeof(v[3]), "ncols=%u", t->nwl + 1);
	snprintf(v[4], sizeof(v[4]), "span=%.4f", span);
	const char *vars[] = { v[0], v[1], v[2], v[3], v[4], NULL };
	return plot_render(tpl, "tune_heatmap.gp", vars, base, err, errlen);
}
