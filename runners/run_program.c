/*
 * run_program.c - a program's metric and presence (see run_program.h).
 */
#include "run_program.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What is read of a program's output when looking for its figure. */
#define METRIC_READ_MAX (4u << 20)

int run_metric_check(const char *re, char *msg, size_t len)
{
	regex_t rx;
	int rc = regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE);
	if (rc != 0) {
		char e[128];
		regerror(rc, &rx, e, sizeof(e));
		snprintf(msg, len, "'%s' is not an extended regular expression (%s)", re, e);
		return -1;
	}
	size_t groups = rx.re_nsub;
	regfree(&rx);
	if (groups < 1) {
		snprintf(msg, len, "'%s' has no capture group: put the number in ( )", re);
		return -1;
	}
	return 0;
}

static char *slurp(const char *path)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	char *buf;
	size_t n;
	if (!f)
		return NULL;
	buf = malloc(METRIC_READ_MAX + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, METRIC_READ_MAX, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static int match_in(const regex_t *rx, const char *path, double *value, char *text, size_t len)
{
	regmatch_t m[2];
	char *buf = slurp(path), *end;
	int rc = -1;
	if (!buf)
		return -1;
	if (regexec(rx, buf, 2, m, 0) == 0 && m[1].rm_so >= 0) {
		snprintf(text, len, "%.*s", (int)(m[1].rm_eo - m[1].rm_so), buf + m[1].rm_so);
		errno = 0;
		double v = strtod(text, &end);
		while (isspace((unsigned char)*end))
			end++;
		if (end != text && !*end && !errno && isfinite(v) && v > 0) {
			*value = v;
			rc = 0;
		} else {
			/* a throughput or a time: readers take only a positive figure */
			char bad[64];
			snprintf(bad, sizeof(bad), "%s", text);
			snprintf(text, len, "the metric matched '%s', which is not a positive number", bad);
			rc = -2;
		}
	}
	free(buf);
	return rc;
}

int run_metric_find(const char *re, const char *out_path, const char *err_path, double *value,
		    char *text, size_t len)
{
	regex_t rx;
	int rc;
	if (regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE) != 0) {
		snprintf(text, len, "metric '%s' is not an extended regular expression", re);
		return -1;
	}
	rc = match_in(&rx, out_path, value, text, len);
	if (rc == -1)
		rc = match_in(&rx, err_path, value, text, len);
	regfree(&rx);
	if (rc == -1)
		snprintf(text, len, "the output has no match for metric '%s'", re);
	return rc ? -1 : 0;
}

/* Append the value of the variable named at *p ($NAME or ${NAME}); *p moves
 * past it. -1 with why when it is not set. */
static int expand_var(const char **p, char *out, size_t cap, size_t *l, char *why, size_t wlen)
{
	const char *s = *p + 1;
	int braced = *s == '{';
	char name[128];
	size_t n = 0;
	s += braced;
	while ((isalnum((unsigned char)s[n]) || s[n] == '_') && n + 1 < sizeof(name))
		n++;
	memcpy(name, s, n);
	name[n] = 0;
	if (braced && s[n] != '}') {
		snprintf(why, wlen, "'%s': unterminated ${...}", *p);
		return -1;
	}
	const char *v = n ? getenv(name) : NULL;
	if (!v || !*v) {
		snprintf(why, wlen, "%s is not set", n ? name : "a variable");
		return -1;
	}
	*l += (size_t)snprintf(out + *l, cap - *l, "%s", v);
	*p = s + n + braced;
	return 0;
}

int run_program_present(const char *requires, char *path, size_t plen, char *why, size_t wlen)
{
	size_t l = 0;
	path[0] = 0;
	for (const char *p = requires; *p && l + 1 < plen;) {
		if (*p == '$') {
			if (expand_var(&p, path, plen, &l, why, wlen))
				return -1;
		} else {
			path[l++] = *p++;
			path[l] = 0;
		}
	}
	if (l + 1 >= plen) {
		snprintf(why, wlen, "the path of '%s' is too long", requires);
		return -1;
	}
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || access(path, X_OK) != 0) {
		snprintf(why, wlen, "%s: %s", path, errno == ENOENT ? "not found" :
			 "not an executable file");
		return -1;
	}
	return 0;
}
