/*
 * run_tune_score.c - scoring the settings of a tune run and choosing one
 * (see run_tune.h).
 *
 * The rows of results.csv are grouped into comparison blocks the way every
 * summary groups them (res_blocks_build: one block per workload here, one
 * variant per setting, its repetitions side by side). Per workload, a
 * setting's throughput is its median over repetitions divided by the faithful
 * default's, with the 95% bootstrap interval of that ratio; its score is the
 * geometric mean of those ratios over the workloads, so every workload counts
 * the same however fast it runs. CAS retries per op and peak RSS are the
 * per-workload medians averaged over workloads.
 *
 * Choosing: the fastest setting (highest score) first. The margin of one
 * setting over another is the geometric mean over the workloads of the
 * ratios of their medians; it exceeds the noise when its 95% bootstrap
 * interval (repetitions resampled per workload and side) excludes 1, the
 * rule summary.md uses for a single ratio, or when a Mann-Whitney test per
 * workload, Holm-adjusted over the workloads, finds one setting faster at
 * p < 0.05 in some workload and slower in none. Every setting whose margin
 * behind the fastest is within the noise is a candidate, and among those the
 * one using the fewest magazines wins (less memory stranded in per-magazine
 * free lists and bands), then the faithful default (nothing to set), then
 * the higher score. With a single repetition nothing can be told apart; the
 * fastest is kept and the report says so.
 */
#include "run_tune.h"

#include "res_csv.h"
#include "res_stats.h"
#include "res_rank.h"
#include "res_summary.h"

#include <math.h>
#include <stdio.h>
#include <string.h>


/* Variant per setting and workload (NULL: not measured). */
typedef const struct res_variant *cells_t[RUN_TUNE_MAX][RUN_TUNE_MAX_WL];

static double median_of(const double *x, size_t n)
{
	double tmp[RES_MAX_REPS];
	if (n == 0)
		return NAN;
	memcpy(tmp, x, n * sizeof(double));
	return res_median(tmp, n);
}

/* ------------------------------------------------------------------------
 * Scores
 * ---------------------------------------------------------------------- */

static const struct res_variant *find(const struct res_block *b, const char *label)
{
	for (size_t i = 0; i < b->nvar; i++)
		if (!strcmp(b->var[i].name, label))
			return &b->var[i];
	return NULL;
}

static void score_one(struct run_tune *t, unsigned i, cells_t v)
{
	struct run_tune_setting *s = &t->s[i];
	double logsum = 0, rt = 0, rss = 0;
	unsigned nscore = 0, nrt = 0, nrss = 0, missing = 0;

	for (unsigned w = 0; w < t->nwl; w++) {
		const struct res_variant *a = v[0][w], *b = v[i][w];
		s->ratio[w] = s->lo[w] = s->hi[w] = NAN;
		if (!b) {
			missing++;
			continue;
		}
		s->nok += (unsigned)b->n;
		s->nfailed += (unsigned)b->failed;
		if (b->nretries) {
			rt += median_of(b->retries, b->nretries);
			nrt++;
		}
		if (b->nrss) {
			rss += median_of(b->rss_kib, b->nrss) / 1024.0;
			nrss++;
		}
		if (!a || a->n == 0 || b->n == 0) {
			missing++;
			continue;
		}
		if (res_ratio_ci(a->speed, a->n, b->speed, b->n, 1, &s->ratio[w], &s->lo[w], &s->hi[w]))
			s->ratio[w] = median_of(b->speed, b->n) / median_of(a->speed, a->n);
		logsum += log(s->ratio[w]);
		nscore++;
	}
	/* a setting that failed a whole workload is not a candidate */
	s->score = nscore && !missing ? exp(logsum / nscore) : NAN;
	s->retries = nrt ? rt / nrt : NAN;
	s->rss_mib = nrss ? rss / nrss : NAN;
}

/* ------------------------------------------------------------------------
 * Noise
 * ---------------------------------------------------------------------- */

#define BOOT 2000

static uint64_t rng_next(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dull;
}

/* Median of a resample (with replacement) of x. */
static double resampled_median(const double *x, size_t n, uint64_t *rng)
{
	double tmp[RES_MAX_REPS];
	for (size_t i = 0; i < n; i++)
		tmp[i] = x[rng_next(rng) % n];
	return res_median(tmp, n);
}

/* The margin of a over b, geometric mean over the workloads of median(a) /
 * median(b), and its 95% percentile-bootstrap interval (each workload's
 * repetitions resampled on both sides, seeded: reruns print the same
 * numbers). Returns 0, or -1 when a workload has fewer than 2 repetitions on
 * a side or none is shared. */
static int margin_ci(const struct run_tune *t, cells_t v, int a, int b, double *m, double *lo,
		     double *hi)
{
	static double dist[BOOT];
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	double ls = 0;
	unsigned n = 0;

	for (unsigned w = 0; w < t->nwl; w++) {
		const struct res_variant *va = v[a][w], *vb = v[b][w];
		if (!va || !vb || !va->n || !vb->n)
			continue;
		if (va->n < 2 || vb->n < 2)
			return -1;
		ls += log(median_of(va->speed, va->n) / median_of(vb->speed, vb->n));
		n++;
	}
	if (n == 0)
		return -1;
	*m = exp(ls / n);
	for (unsigned k = 0; k < BOOT; k++) {
		ls = 0;
		for (unsigned w = 0; w < t->nwl; w++) {
			const struct res_variant *va = v[a][w], *vb = v[b][w];
			if (!va || !vb || !va->n || !vb->n)
				continue;
			ls += log(resampled_median(va->speed, va->n, &rng) /
				  resampled_median(vb->speed, vb->n, &rng));
		}
		dist[k] = exp(ls / n);
	}
	res_median(dist, BOOT);              /* sorts */
	*lo = res_quantile_sorted(dist, BOOT, 0.025);
	*hi = res_quantile_sorted(dist, BOOT, 0.975);
	return 0;
}

/* margin_ci in one canonical order, so that a over b and b over a are
 * exact reciprocals (the resampling consumes the generator in a fixed
 * order). */
static int margin(const struct run_tune *t, cells_t v, int a, int b, double *m, double *lo,
		  double *hi)
{
	double mm, l, h;
	if (a < b)
		return margin_ci(t, v, a, b, m, lo, hi);
	if (margin_ci(t, v, b, a, &mm, &l, &h))
		return -1;
	*m = 1 / mm;
	*lo = 1 / h;
	*hi = 1 / l;
	return 0;
}

/* Per workload, Mann-Whitney on the repetitions of a and b, Holm-adjusted
 * over the workloads: 1 when a is faster at p < 0.05 in some workload and
 * slower in none. *p_out: the smallest adjusted p among a's wins. */
static int holm_ahead(const struct run_tune *t, cells_t v, int a, int b, double *p_out)
{
	double p[RUN_TUNE_MAX_WL], adj[RUN_TUNE_MAX_WL];
	int faster[RUN_TUNE_MAX_WL], up = 0, down = 0;
	unsigned n = 0;

	*p_out = NAN;
	for (unsigned w = 0; w < t->nwl; w++) {
		const struct res_variant *va = v[a][w], *vb = v[b][w];
		if (!va || !vb || !va->n || !vb->n)
			continue;
		p[n] = res_rank_p(va->speed, va->n, vb->speed, vb->n);
		faster[n++] = median_of(va->speed, va->n) > median_of(vb->speed, vb->n);
	}
	res_holm(p, n, adj);
	for (unsigned k = 0; k < n; k++) {
		if (adj[k] >= 0.05)
			continue;
		if (!faster[k]) {
			down = 1;
		} else {
			up = 1;
			if (isnan(*p_out) || adj[k] < *p_out)
				*p_out = adj[k];
		}
	}
	return up && !down;
}

/* Is a faster than b beyond the noise? 1 yes, 0 no, -1 too few repetitions
 * to tell. Either test suffices: the interval of the overall margin, or
 * Mann-Whitney per workload (which a single very noisy workload cannot
 * drown, as it can widen the interval of the geometric mean). */
static int ahead(const struct run_tune *t, cells_t v, int a, int b, double *p_out)
{
	double m, lo, hi;
	if (margin(t, v, a, b, &m, &lo, &hi))
		return -1;
	return holm_ahead(t, v, a, b, p_out) || lo > 1.0;
}

/* ------------------------------------------------------------------------
 * The choice
 * ---------------------------------------------------------------------- */

/* Is setting i preferred to j among candidates (fewer magazines, then the
 * default, then the higher score)? */
static int preferred(const struct run_tune *t, int i, int j)
{
	const struct run_tune_setting *a = &t->s[i], *b = &t->s[j];
	if (a->table.used_mags != b->table.used_mags)
		return a->table.used_mags < b->table.used_mags;
	if (a->is_default != b->is_default)
		return a->is_default;
	return a->score > b->score;
}

static void choose(struct run_tune *t, cells_t v)
{
	struct run_tune_rec *r = &t->rec;
	int ncmp = 0, nfew = 0;
	unsigned char comparable[RUN_TUNE_MAX] = { 0 };
	double p;
	char mw[96] = "";

	r->rec = r->next = r->fastest = -1;
	r->margin = r->lo = r->hi = r->p_holm = NAN;
	for (unsigned i = 0; i < t->n; i++)
		if (!isnan(t->s[i].score) && (r->fastest < 0 || t->s[i].score > t->s[r->fastest].score))
			r->fastest = (int)i;
	if (r->fastest < 0)
		return;
	r->rec = r->fastest;
	comparable[r->fastest] = 1;
	for (unsigned i = 0; i < t->n; i++) {
		if (isnan(t->s[i].score) || (int)i == r->fastest)
			continue;
		int d = ahead(t, v, r->fastest, (int)i, &p);
		ncmp++;
		if (d < 0) {
			/* too few repetitions on a side (cells failed, or one
			 * repetition in all): not a candidate, not the next best */
			nfew++;
			continue;
		}
		comparable[i] = 1;
		if (d == 0 && preferred(t, (int)i, r->rec))
			r->rec = (int)i;
	}
	/* the next best among the settings the comparisons could judge, unless
	 * none could (a single repetition) */
	const int judged = ncmp == 0 || nfew < ncmp;
	for (unsigned i = 0; i < t->n; i++)
		if (!isnan(t->s[i].score) && (int)i != r->rec && (!judged || comparable[i]) &&
		    (r->next < 0 || t->s[i].score > t->s[r->next].score))
			r->next = (int)i;
	r->fewer_mags = r->rec != r->fastest &&
			t->s[r->rec].table.used_mags < t->s[r->fastest].table.used_mags;

	const struct run_tune_setting *rec = &t->s[r->rec], *fast = &t->s[r->fastest];
	if (r->next < 0) {
		r->noise = -1;
		snprintf(r->reason, sizeof(r->reason), "%s is the only setting measured", rec->label);
		return;
	}
	const struct run_tune_setting *nx = &t->s[r->next];
	if (margin(t, v, r->rec, r->next, &r->margin, &r->lo, &r->hi) || !judged) {
		r->margin = rec->score / nx->score;
		r->noise = -1;
		snprintf(r->reason, sizeof(r->reason), "a single repetition cannot tell the settings "
			 "apart, so %s is simply the fastest (%.3fx the default); rerun with "
			 "--repetitions 5 or more", rec->label, rec->score);
		return;
	}
	r->noise = r->margin > 1 ? ahead(t, v, r->rec, r->next, &r->p_holm) == 1
				 : ahead(t, v, r->next, r->rec, &r->p_holm) == 1;
	if (!isnan(r->p_holm))
		snprintf(mw, sizeof(mw), "; Mann-Whitney per workload, Holm-adjusted p = %.3g", r->p_holm);
	char why[96];
	snprintf(why, sizeof(why), r->fewer_mags ? "uses fewer magazines (%u vs %u)" :
		 "is the faithful default, with as many magazines (%u)", rec->table.used_mags,
		 fast->table.used_mags);
	if (r->rec != r->fastest)
		snprintf(r->reason, sizeof(r->reason), "the fastest, %s (%.3fx the default), is within "
			 "the noise of %s (%.3fx), which %s, so %s is preferred%s", fast->label,
			 fast->score, rec->label, rec->score, why, rec->label,
			 rec->score < 0.95 * fast->score ? "; but its point estimate is more than 5% "
			 "lower and the interval is wide: rerun with more --repetitions on a quiet "
			 "machine before relying on it" : "");
	else if (r->noise && (r->lo > 1.0 || r->hi < 1.0))
		snprintf(r->reason, sizeof(r->reason), "%s is faster than the next best, %s, by %.3fx, "
			 "beyond the noise (95%% interval %.3f to %.3f%s)", rec->label, nx->label,
			 r->margin, r->lo, r->hi, mw);
	else if (r->noise)
		snprintf(r->reason, sizeof(r->reason), "%s is faster than the next best, %s, by %.3fx: "
			 "the 95%% interval of that overall margin, %.3f to %.3f, contains 1 (one "
			 "noisy workload widens it), but per workload it is faster somewhere and "
			 "slower nowhere beyond the noise%s", rec->label, nx->label, r->margin, r->lo,
			 r->hi, mw);
	else
		snprintf(r->reason, sizeof(r->reason), "%s leads the next best, %s, by %.3fx (95%% "
			 "interval %.3f to %.3f, within the noise), and no setting within the noise "
			 "uses fewer magazines", rec->label, nx->label, r->margin, r->lo, r->hi);
}

int run_tune_score(struct run_tune *t, const char *dir, char *err, size_t errlen)
{
	static cells_t v;
	struct res_table tab;
	struct res_blocks bs;
	char path[4200];

	snprintf(path, sizeof(path), "%s/results.csv", dir);
	if (res_table_load(path, &tab, err, errlen))
		return -1;
	if (res_blocks_build(&tab, &bs, err, errlen)) {
		res_table_free(&tab);
		return -1;
	}
	memset(v, 0, sizeof(v));
	t->nwl = 0;
	for (size_t k = 0; k < bs.n && t->nwl < RUN_TUNE_MAX_WL; k++) {
		const struct res_block *b = &bs.b[k];
		snprintf(t->wl[t->nwl], sizeof(t->wl[0]), "%.63s", b->workload);
		for (unsigned i = 0; i < t->n; i++)
			v[i][t->nwl] = find(b, t->s[i].label);
		t->nwl++;
	}
	for (unsigned i = 0; i < t->n; i++)
		score_one(t, i, v);
	choose(t, v);
	res_blocks_free(&bs);
	res_table_free(&tab);
	if (t->rec.rec < 0) {
		snprintf(err, errlen, "%s: no setting has a successful cell in every workload "
			 "(see the logs/ of the run folder)", path);
		return -1;
	}
	return 0;
}
