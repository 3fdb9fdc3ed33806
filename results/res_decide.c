/*
 * res_decide.c - verdicts for a family of comparisons (see res_decide.h).
 */
#include "res_decide.h"
#include "res_rank.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

const char *res_verdict_name(enum res_verdict v)
{
	static const char *const names[] = { "undecided", "same", "faster", "slower" };
	return (unsigned)v < 4 ? names[v] : "undecided";
}

/* log of the positive, finite values of x into out; returns the count. */
static size_t logs(const double *x, size_t n, double *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (isfinite(x[i]) && x[i] > 0)
			out[k++] = log(x[i]);
	return k;
}

static void one_pair(struct res_pair *r)
{
	double *la = malloc((r->na + 1) * sizeof(double)), *lb = malloc((r->nb + 1) * sizeof(double));
	double est, lo, hi;

	r->ratio = r->lo = r->hi = r->p = r->q = NAN;
	r->verdict = RES_UNDECIDED;
	r->dir = 0;
	if (!la || !lb) {
		free(la);
		free(lb);
		return;
	}
	size_t na = logs(r->a, r->na, la), nb = logs(r->b, r->nb, lb);
	r->na = na;
	r->nb = nb;
	if (na && nb && res_hl_shift(la, na, lb, nb, RES_CI_LEVEL, &est, &lo, &hi) >= 0) {
		r->ratio = exp(est);
		r->lo = exp(lo);                  /* NaN stays NaN */
		r->hi = exp(hi);
	}
	if (na && nb)
		r->p = res_rank_p(la, na, lb, nb);
	/* the side the test found, from the pairs themselves: the estimate
	 * says it too unless more than half the differences are 0 (tied
	 * figures, a program that prints few digits), when it is exactly 1 */
	long side = 0;
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			side += (lb[j] > la[i]) - (lb[j] < la[i]);
	r->dir = (side > 0) - (side < 0);
	free(la);
	free(lb);
}

void res_decide(struct res_pair *pairs, size_t n)
{
	double *p = calloc(n + 1, sizeof(double)), *q = calloc(n + 1, sizeof(double));
	size_t *idx = malloc((n + 1) * sizeof(size_t)), m = 0;

	for (size_t i = 0; i < n; i++) {
		one_pair(&pairs[i]);
		if (p && q && idx && pairs[i].na >= RES_MIN_REPS && pairs[i].nb >= RES_MIN_REPS &&
		    isfinite(pairs[i].p)) {
			idx[m] = i;
			p[m++] = pairs[i].p;
		}
	}
	if (p && q && idx) {
		res_bh(p, m, q);
		for (size_t j = 0; j < m; j++) {
			struct res_pair *r = &pairs[idx[j]];
			r->q = q[j];
			if (q[j] < RES_FDR && r->dir > 0)
				r->verdict = RES_FASTER;
			else if (q[j] < RES_FDR && r->dir < 0)
				r->verdict = RES_SLOWER;
			else
				r->verdict = RES_SAME;
		}
	}
	free(p);
	free(q);
	free(idx);
}

void res_interval_text(const struct res_pair *p, int digits, char *buf, size_t len)
{
	if (isfinite(p->lo) && isfinite(p->hi))
		snprintf(buf, len, "[%.*f, %.*f]", digits, p->lo, digits, p->hi);
	else
		snprintf(buf, len, "n too small");
}
