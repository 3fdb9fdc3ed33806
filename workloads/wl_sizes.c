/*
 * wl_sizes.c - size distributions (see wl_sizes.h).
 *
 * Table-driven shapes are stored as quantiles: entry i holds the size at
 * cumulative probability (i + 0.5) / 4096. Drawing a uniform index then
 * samples the distribution with a resolution of 1/4096, which is plenty for
 * allocator workloads and keeps the draw branch-free and deterministic. The
 * table is mmap'ed, not malloc'ed: the allocator under test serves only the
 * workload.
 */
#include "wl_sizes.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

static int parse_u32(const char *s, char **end, uint32_t *out)
{
	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	unsigned long long v = strtoull(s, end, 10);
	if (errno || v < 1 || v > WL_SIZE_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_range(const char *s, uint32_t *a, uint32_t *b)
{
	char *end;
	if (parse_u32(s, &end, a) || *end != '-' || parse_u32(end + 1, &end, b) || *end)
		return -1;
	return *a <= *b ? 0 : -1;
}

static uint32_t *table_new(void)
{
	void *p = mmap(NULL, WL_SIZE_TABLE * sizeof(uint32_t), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void table_minmax(struct wl_sizes *d)
{
	d->lo = UINT32_MAX;
	d->hi = 0;
	for (unsigned i = 0; i < WL_SIZE_TABLE; i++) {
		if (d->table[i] < d->lo)
			d->lo = d->table[i];
		if (d->table[i] > d->hi)
			d->hi = d->table[i];
	}
}

static double quantile_u(unsigned i)
{
	return (i + 0.5) / WL_SIZE_TABLE;
}

/* ------------------------------------------------------------------------
 * Table-driven shapes
 * ---------------------------------------------------------------------- */

static void fill_exp(uint32_t *t, double mean, uint32_t max)
{
	for (unsigned i = 0; i < WL_SIZE_TABLE; i++) {
		double s = ceil(-mean * log(1.0 - quantile_u(i)));
		t[i] = s < 1 ? 1 : s > max ? max : (uint32_t)s;
	}
}

/* CDF of 1/s^2 on [a, b]: F(s) = (1/a - 1/s) / (1/a - 1/b); invert. */
static void fill_invsq(uint32_t *t, uint32_t a, uint32_t b)
{
	double ia = 1.0 / a, ib = 1.0 / b;
	for (unsigned i = 0; i < WL_SIZE_TABLE; i++) {
		double inv = ia - quantile_u(i) * (ia - ib);
		double s = floor(1.0 / inv);
		t[i] = s < a ? a : s > b ? b : (uint32_t)s;
	}
}

/* density proportional to (B + 1 - s) on [A, B]: small sizes more likely,
 * falling linearly. */
static void fill_lin(uint32_t *t, uint32_t a, uint32_t b)
{
	double w = (double)b - a + 1;
	for (unsigned i = 0; i < WL_SIZE_TABLE; i++) {
		/* CDF F(x) = 1 - (1 - x/w)^2 for x in [0, w]; invert. */
		double x = w * (1.0 - sqrt(1.0 - quantile_u(i)));
		uint32_t s = a + (uint32_t)x;
		t[i] = s > b ? b : s;
	}
}

/* rptest's "linear" and "exp" size modes: A + (B - A) * x, where x is the
 * product of a uniform and |1 - U - V| (linear; CDF x^2 - 2x ln x), or of
 * three uniforms (exp; CDF x (1 - ln x + ln^2 x / 2)). Quantiles by
 * bisection of the CDF. */
static double cdf_rplin(double x)
{
	return x * x - 2 * x * log(x);
}

static double cdf_rpexp(double x)
{
	double l = log(x);
	return x * (1 - l + l * l / 2);
}

static void fill_rpprod(uint32_t *t, uint32_t a, uint32_t b, double (*cdf)(double))
{
	for (unsigned i = 0; i < WL_SIZE_TABLE; i++) {
		double lo = 0, hi = 1, u = quantile_u(i);
		for (int k = 0; k < 60; k++) {
			double mid = (lo + hi) / 2;
			if (cdf(mid) < u)
				lo = mid;
			else
				hi = mid;
		}
		uint32_t s = a + (uint32_t)((double)(b - a) * hi);
		t[i] = s > b ? b : s;
	}
}

/* Powers of two and their midpoints in [A, B], equally likely (xmalloc's
 * "-s -1": 17 sizes from 8 to 2048). */
static void fill_steps(uint32_t *t, uint32_t a, uint32_t b)
{
	uint32_t steps[64];
	unsigned n = 0;
	for (uint64_t p = 1; p <= b && n < 62; p <<= 1) {
		if (p >= a)
			steps[n++] = (uint32_t)p;
		if (p + p / 2 >= a && p + p / 2 <= b && p >= 2)
			steps[n++] = (uint32_t)(p + p / 2);
	}
	if (n == 0)
		steps[n++] = a;
	for (unsigned i = 0; i < WL_SIZE_TABLE; i++)
		t[i] = steps[(uint64_t)i * n / WL_SIZE_TABLE];
}

static void fill_nano(uint32_t *t)
{
	for (unsigned i = 0; i < WL_SIZE_TABLE; i++)
		t[i] = 16 * (1 + i % 16);
}

/* The histogram file, which must be a regular file: a directory would read
 * as empty and a FIFO would block (hence O_NONBLOCK). */
static FILE *open_regular(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	FILE *f = NULL;
	if (fd < 0) {
		snprintf(err, errlen, "size distribution 'hist:%s': cannot open the file (%s)",
			 path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		snprintf(err, errlen, "size distribution 'hist:%s': %s, not a file of 'SIZE WEIGHT' "
			 "lines", path, S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
	else if (!(f = fdopen(fd, "r")))
		snprintf(err, errlen, "size distribution 'hist:%s': cannot open the file (%s)",
			 path, strerror(errno));
	if (!f)
		close(fd);
	return f;
}

/* Histogram file: up to 1024 "SIZE WEIGHT" pairs. */
static int fill_hist(uint32_t *t, const char *path, char *err, size_t errlen)
{
	enum { MAXB = 1024 };
	static uint32_t size[MAXB];
	static double cum[MAXB];
	unsigned n = 0;
	double total = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f = open_regular(path, err, errlen);

	if (!f)
		return -1;
	/* whole lines, however long; one with a NUL byte, anything after the
	 * weight, or a weight that makes the total overflow is a bad line */
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *p = line;
		unsigned long long s;
		double w;
		int used = 0;
		const int nul = strlen(line) != (size_t)len;
		while (*p == ' ' || *p == '\t')
			p++;
		if ((*p == '#' || *p == '\n' || *p == '\r' || *p == 0) && !nul)
			continue;
		if (nul || sscanf(p, "%llu %lf %n", &s, &w, &used) != 2 || p[used] != 0 || s < 1 ||
		    s > WL_SIZE_MAX || !(w >= 0) || !isfinite(w) || !isfinite(total + w) || n == MAXB) {
			const size_t shown = strcspn(p, "\r\n");
			snprintf(err, errlen, "size distribution 'hist:%s': bad line '%.*s' "
				 "(expected 'SIZE WEIGHT', size 1..%u, a finite total, at most %u lines)",
				 path, (int)(shown < 60 ? shown : 60), p, WL_SIZE_MAX, MAXB);
			free(line);
			fclose(f);
			return -1;
		}
		total += w;
		size[n] = (uint32_t)s;
		cum[n++] = total;
	}
	free(line);
	fclose(f);
	if (n == 0 || total <= 0) {
		snprintf(err, errlen, "size distribution 'hist:%s': no positive weights", path);
		return -1;
	}
	for (unsigned i = 0, k = 0; i < WL_SIZE_TABLE; i++) {
		double u = quantile_u(i) * total;
		while (k + 1 < n && cum[k] < u)
			k++;
		t[i] = size[k];
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Parsing
 * ---------------------------------------------------------------------- */

static int parse_table(struct wl_sizes *d, const char *spec, char *err, size_t errlen)
{
	uint32_t a, b;
	char *end;

	d->table = table_new();
	if (!d->table) {
		snprintf(err, errlen, "size distribution '%s': out of memory", spec);
		return -1;
	}
	d->kind = WL_SIZE_TABLE_KIND;
	if (strcmp(spec, "nano") == 0) {
		fill_nano(d->table);
	} else if (strncmp(spec, "exp:", 4) == 0) {
		uint32_t max;
		if (parse_u32(spec + 4, &end, &a))
			return 1;
		max = (uint64_t)a * 64 > WL_SIZE_MAX ? WL_SIZE_MAX : a * 64;
		if (*end == ',' && (parse_u32(end + 1, &end, &max) || max < a))
			return 1;
		if (*end)
			return 1;
		fill_exp(d->table, a, max);
	} else if (strncmp(spec, "invsq:", 6) == 0) {
		if (parse_range(spec + 6, &a, &b))
			return 1;
		fill_invsq(d->table, a, b);
	} else if (strncmp(spec, "lin:", 4) == 0) {
		if (parse_range(spec + 4, &a, &b))
			return 1;
		fill_lin(d->table, a, b);
	} else if (strncmp(spec, "rplin:", 6) == 0 || strncmp(spec, "rpexp:", 6) == 0) {
		if (parse_range(spec + 6, &a, &b))
			return 1;
		fill_rpprod(d->table, a, b, spec[2] == 'l' ? cdf_rplin : cdf_rpexp);
	} else if (strncmp(spec, "steps:", 6) == 0) {
		if (parse_range(spec + 6, &a, &b))
			return 1;
		fill_steps(d->table, a, b);
	} else if (strncmp(spec, "hist:", 5) == 0) {
		if (fill_hist(d->table, spec + 5, err, errlen))
			return -1;
	} else {
		return 1;
	}
	table_minmax(d);
	return 0;
}

int wl_sizes_parse(struct wl_sizes *d, const char *spec, char *err, size_t errlen)
{
	char *end;
	int rc = 0;

	memset(d, 0, sizeof(*d));
	snprintf(d->spec, sizeof(d->spec), "%s", spec);
	if (strncmp(spec, "fixed:", 6) == 0) {
		d->kind = WL_SIZE_FIXED;
		if (parse_u32(spec + 6, &end, &d->lo) || *end)
			rc = 1;
		d->hi = d->lo;
	} else if (strncmp(spec, "uniform:", 8) == 0) {
		d->kind = WL_SIZE_UNIFORM;
		if (parse_range(spec + 8, &d->lo, &d->hi))
			rc = 1;
	} else {
		rc = parse_table(d, spec, err, errlen);
	}
	if (rc > 0)
		snprintf(err, errlen, "bad size distribution '%s' (expected fixed:N, uniform:A-B, "
			 "exp:MEAN[,MAX], invsq:A-B, lin:A-B, rplin:A-B, rpexp:A-B, steps:A-B, nano "
			 "or hist:FILE; "
			 "sizes 1..%u)",
			 spec, WL_SIZE_MAX);
	if (rc)
		wl_sizes_free(d);
	return rc ? -1 : 0;
}

double wl_sizes_mean(const struct wl_sizes *d)
{
	double sum = 0;
	if (d->kind != WL_SIZE_TABLE_KIND)
		return ((double)d->lo + (double)d->hi) / 2;
	for (unsigned i = 0; i < WL_SIZE_TABLE; i++)
		sum += d->table[i];
	return sum / WL_SIZE_TABLE;
}

void wl_sizes_free(struct wl_sizes *d)
{
	if (d->table)
		munmap(d->table, WL_SIZE_TABLE * sizeof(uint32_t));
	d->table = NULL;
}
