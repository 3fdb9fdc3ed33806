/*
 * run_tune_sweep.c - the settings `nanobench tune` measures, their tables,
 * and the matrix that measures them (see run_tune.h).
 *
 * The sweep: the faithful default first (map shift with Apple's hyper_shift,
 * run as plain `nano` so its cells read source "default"), then hyper_shift
 * 0 .. ceil(log2(PUs)) for the maps shift and topology, then the cpu map
 * (which has no shift), then the setting of --profile when one is given.
 * Every table is built by nano's own builder (nano_magmap_build) on the
 * hwloc description of the machine, so it is the table libnano would use.
 *
 * Two settings that put the same CPUs together in magazines behave alike
 * (magazine numbers only move blocks around the address space), so a setting
 * whose grouping equals one already in the list is not measured again; it is
 * named in that one's `same` list instead. The default is kept whatever it
 * equals: it is the baseline every ratio is taken against.
 */
#include "run_tune.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Settings
 * ---------------------------------------------------------------------- */

/* The grouping of a table: magazine numbers relabelled in order of first
 * use by CPU number, absent CPUs 0xff. */
static void grouping(const struct nano_magmap *m, const struct nano_topo *t, uint8_t *g)
{
	uint8_t relabel[NANO_MAX_MAGAZINES];
	unsigned next = 0;
	memset(relabel, 0xff, sizeof(relabel));
	for (unsigned cpu = 0; cpu < t->ncpus; cpu++) {
		if (t->core[cpu] < 0) {
			g[cpu] = 0xff;
			continue;
		}
		if (relabel[m->mag[cpu]] == 0xff)
			relabel[m->mag[cpu]] = (uint8_t)next++;
		g[cpu] = relabel[m->mag[cpu]];
	}
}

static int same_grouping(const struct nano_magmap *a, const struct nano_magmap *b,
			 const struct nano_topo *t)
{
	static uint8_t ga[NANO_MAX_CPUS], gb[NANO_MAX_CPUS];
	grouping(a, t, ga);
	grouping(b, t, gb);
	return memcmp(ga, gb, t->ncpus) == 0;
}

static void label_of(char *buf, size_t len, enum nano_map map, unsigned hs, int from_profile)
{
	if (from_profile)
		snprintf(buf, len, "nano-profile");
	else if (map == NANO_MAP_CPU)
		snprintf(buf, len, "nano-cpu");
	else
		snprintf(buf, len, "nano-hs%u-%s", hs, nano_map_name(map));
}

/* Add a setting unless its grouping is already listed (the default always
 * goes in). Returns 0, or -1 when the list is full. */
static int add(struct run_tune *t, enum nano_map map, unsigned hs, int max_mags, int is_default,
	       int from_profile)
{
	struct run_tune_setting *s;
	struct nano_magmap m;
	char label[RUN_NAME];

	if (nano_magmap_build(&m, &t->mm.topo, map, (int)hs, max_mags) != 0)
		return -1;
	label_of(label, sizeof(label), map, hs, from_profile);
	t->candidates++;
	for (unsigned i = 0; i < t->n && !is_default; i++) {
		if (!same_grouping(&t->s[i].table, &m, &t->mm.topo))
			continue;
		size_t l = strlen(t->s[i].same);
		if (from_profile)
			t->s[i].from_profile = 1;      /* the profile is this setting */
		else
			snprintf(t->s[i].same + l, sizeof(t->s[i].same) - l, "%s%s", l ? ", " : "", label);
		return 0;
	}
	if (t->n == RUN_TUNE_MAX)
		return -1;
	s = &t->s[t->n++];
	memset(s, 0, sizeof(*s));
	if (is_default)
		snprintf(s->label, sizeof(s->label), "nano");
	else
		snprintf(s->label, sizeof(s->label), "%s", label);
	s->is_default = is_default;
	s->from_profile = from_profile;
	s->map = map;
	s->hyper_shift = m.hyper_shift;
	s->max_mags = max_mags;
	s->table = m;
	s->score = s->retries = s->rss_mib = NAN;
	return 0;
}

int run_tune_sweep(struct run_tune *t, const struct wl_topo *topo, const struct nano_profile *prof,
		   char *err, size_t errlen)
{
	struct wl_topo_summary sum;

	memset(t, 0, sizeof(*t));
	snprintf(t->source, sizeof(t->source), "%s", topo->source);
	if (wl_magmaps_build(topo, -1, &t->mm)) {
		snprintf(err, errlen, "%s has more CPU numbers than nano supports (%d)", topo->source,
			 NANO_MAX_CPUS);
		return -1;
	}
	wl_topo_summarise(topo, &sum);
	t->pus = sum.pus;
	t->cores = sum.cores ? sum.cores : sum.pus;
	t->smt = t->mm.topo.max_smt ? t->mm.topo.max_smt : 1;
	t->disallowed = sum.disallowed;
	t->max_shift = nano_topo_max_shift(&t->mm.topo);
	if (add(t, NANO_MAP_SHIFT, t->mm.default_shift, 0, 1, 0))
		goto full;
	for (unsigned hs = 0; hs <= t->max_shift; hs++)
		for (int map = NANO_MAP_SHIFT; map <= NANO_MAP_TOPOLOGY; map++)
			if (add(t, (enum nano_map)map, hs, 0, 0, 0))
				goto full;
	if (add(t, NANO_MAP_CPU, 0, 0, 0, 0))
		goto full;
	if (prof && add(t, prof->map, prof->map == NANO_MAP_CPU ? 0 : (unsigned)prof->hyper_shift,
			prof->max_magazines, 0, 1))
		goto full;
	return 0;
full:
	snprintf(err, errlen, "more than %d distinct settings (cannot happen below %d CPUs)",
		 RUN_TUNE_MAX, NANO_MAX_CPUS);
	return -1;
}

const char *run_tune_note(const struct run_tune_setting *s)
{
	if (s->is_default)
		return s->from_profile ? " (faithful default; the --profile's setting)" : " (faithful default)";
	return s->from_profile ? " (the --profile's setting)" : "";
}

void run_tune_env(const struct run_tune_setting *s, char *buf, size_t len)
{
	size_t l = 0;
	buf[0] = 0;
	if (s->is_default)
		return;
	if (s->map != NANO_MAP_CPU)
		l += (size_t)snprintf(buf + l, len - l, "NANO_HYPER_SHIFT=%u ", s->hyper_shift);
	if (l < len)
		l += (size_t)snprintf(buf + l, len - l, "NANO_MAG_MAP=%s", nano_map_name(s->map));
	if (s->max_mags > 0 && l < len)
		snprintf(buf + l, len - l, " NANO_MAX_MAGAZINES=%d", s->max_mags);
}

/* ------------------------------------------------------------------------
 * Saying what the machine allows
 * ---------------------------------------------------------------------- */

void run_tune_machine_line(const struct run_tune *t, char *buf, size_t len)
{
	char smt[16] = "no SMT", cut[96] = "";
	if (t->smt > 1)
		snprintf(smt, sizeof(smt), "SMT %u", t->smt);
	/* nano's tables (and so the fingerprint and default) cover the whole
	 * machine; the measured threads only the CPUs this process may use */
	if (t->disallowed)
		snprintf(cut, sizeof(cut), " (and %u more not allowed to this process: nano's tables "
			 "cover them)", t->disallowed);
	snprintf(buf, len, "%s: %u CPUs%s, %u cores, %s; sibling numbering %s; faithful default "
		 "hyper_shift %u (map shift); topology fingerprint 0x%016llx",
		 strcmp(t->source, "machine") ? t->source : "this machine", t->pus, cut,
		 t->cores, smt, wl_numbering_name(t->mm.numbering), t->mm.default_shift,
		 (unsigned long long)t->mm.fingerprint);
}

void run_tune_caveat(const struct run_tune *t, char *buf, size_t len)
{
	buf[0] = 0;
	if (t->pus >= 8 && t->n > 2)
		return;
	if (t->smt > 1)
		snprintf(buf, len, "%u CPUs, SMT %u: only %u distinct tables; the result says little "
			 "about larger machines", t->pus, t->smt, t->n);
	else
		snprintf(buf, len, "%u CPUs, no SMT: only %u distinct tables; the result says little "
			 "about larger machines", t->pus, t->n);
}

/* ------------------------------------------------------------------------
 * Tables
 * ---------------------------------------------------------------------- */

/* The CPUs of magazine g as a list with ranges ("0-3,8"). */
static void cpus_of(const struct nano_magmap *m, const struct nano_topo *t, unsigned g, char *buf,
		    size_t len)
{
	size_t l = 0;
	int start = -1, prev = -2;
	buf[0] = 0;
	for (unsigned cpu = 0; cpu <= t->ncpus && l < len; cpu++) {
		int in = cpu < t->ncpus && t->core[cpu] >= 0 && m->mag[cpu] == g;
		if (in && (int)cpu == prev + 1) {
			prev = (int)cpu;
			continue;
		}
		if (start >= 0)
			l += (size_t)(prev > start ? snprintf(buf + l, len - l, "%s%d-%d", l ? "," : "", start, prev)
						   : snprintf(buf + l, len - l, "%s%d", l ? "," : "", start));
		start = in ? (int)cpu : -1;
		prev = in ? (int)cpu : -2;
	}
}

static void print_one(const struct run_tune *t, const struct run_tune_setting *s, FILE *f)
{
	const struct nano_magmap *m = &s->table;
	char env[160], cpus[512];
	unsigned col = 3;

	run_tune_env(s, env, sizeof(env));
	fprintf(f, "%s%s: map %s, hyper_shift %u, %u magazine(s), %u used\n", s->label,
		run_tune_note(s), nano_map_name(m->map), m->hyper_shift, m->nmags, m->used_mags);
	fprintf(f, "  set: %s\n", s->is_default ? "nothing (the default)" : env);
	if (s->same[0])
		fprintf(f, "  same table as: %s\n", s->same);
	fprintf(f, "  diagnosis: %u core(s) with siblings split over magazines, %u magazine(s) "
		"merging cores, %u of %u magazines used%s\n", m->split_cores, m->shared_mags,
		m->used_mags, m->nmags, !m->split_cores && !m->shared_mags ? " (one core per magazine, "
		"siblings together)" : "");
	fprintf(f, "  magazine: CPUs\n   ");
	for (unsigned g = 0; g < m->nmags; g++) {
		char item[600];
		cpus_of(m, &t->mm.topo, g, cpus, sizeof(cpus));
		if (!cpus[0])
			continue;
		int n = snprintf(item, sizeof(item), " m%u: %s", g, cpus);
		if (col + (unsigned)n > 100) {
			fprintf(f, "\n   ");
			col = 3;
		}
		fputs(item, f);
		col += (unsigned)n;
	}
	fprintf(f, "\n");
}

void run_tune_print_tables(const struct run_tune *t, FILE *f)
{
	for (unsigned i = 0; i < t->n; i++) {
		print_one(t, &t->s[i], f);
		if (i + 1 < t->n)
			fputc('\n', f);
	}
}

/* ------------------------------------------------------------------------
 * The matrix
 * ---------------------------------------------------------------------- */

int run_tune_matrix_write(const struct run_tune *t, const struct run_tune_plan *p, FILE *f)
{
	double timeout = p->duration * 20 > 60 ? p->duration * 20 : 60;

	fprintf(f, "; generated by `nanobench tune`: the %u distinct nano magazine tables of\n"
		"; %s (%u candidate settings)\n", t->n, t->source, t->candidates);
	fprintf(f, "[matrix]\nname = tune\n"
		"description = nano hyper_shift x map settings, all CPUs busy, pinned\n"
		"allocators =");
	/* a big machine has a dozen settings: the list goes on indented
	 * continuation lines (a matrix line holds 198 characters) */
	for (unsigned i = 0, col = 12; i < t->n; i++) {
		if (col + 1 + strlen(t->s[i].label) > 100) {
			fprintf(f, "\n ");
			col = 1;
		}
		col += (unsigned)fprintf(f, " %s", t->s[i].label);
	}
	fprintf(f, "\nskip_missing = 0\n");
	if (p->threads)
		fprintf(f, "threads = %u\n", p->threads);
	else
		fprintf(f, "threads = all\n");
	fprintf(f, "placements = compact\nsize_dists = nano\nrepetitions = %u\nwarmup = %u\n"
		"duration = %g\ntimeout = %g\n", p->repetitions, p->warmup, p->duration, timeout);
	for (unsigned i = 0; i < t->n; i++) {
		const struct run_tune_setting *s = &t->s[i];
		if (s->is_default)
			continue;
		fprintf(f, "\n[allocator %s]\nbase = nano\n", s->label);
		if (s->map != NANO_MAP_CPU)
			fprintf(f, "env = NANO_HYPER_SHIFT=%u\n", s->hyper_shift);
		fprintf(f, "env = NANO_MAG_MAP=%s\n", nano_map_name(s->map));
		if (s->max_mags > 0)
			fprintf(f, "env = NANO_MAX_MAGAZINES=%d\n", s->max_mags);
	}
	for (unsigned w = 0; w < p->nwl; w++)
		fprintf(f, "\n[workload %s]\n", p->wl[w]);
	return ferror(f) ? -1 : 0;
}
