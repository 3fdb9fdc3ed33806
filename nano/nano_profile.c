/*
 * nano_profile.c - the profile format, parsed and written (see
 * nano_profile.h).
 *
 * The parser walks the text line by line with pointers and lengths: nothing is
 * copied except a value short enough to hold in a small stack buffer, and
 * nothing is allocated. Messages are assembled with a bounded appender (no
 * snprintf: this runs inside the zone's start-up, where stdio is off limits).
 * The first problem found ends the parse; the caller reports it as one line.
 */
#include "nano_profile.h"

#include <string.h>

/* ------------------------------------------------------------------------
 * A bounded string builder
 * ---------------------------------------------------------------------- */

struct out {
	char *buf;
	size_t cap, len;
	int overflow;
};

static void out_mem(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->overflow = 1;
		n = o->cap > o->len + 1 ? o->cap - o->len - 1 : 0;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = 0;
}

static void out_str(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static void out_u64(struct out *o, uint64_t v, unsigned base, unsigned min_digits)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[24];
	unsigned n = 0;
	do {
		tmp[sizeof(tmp) - 1 - n++] = digits[v % base];
		v /= base;
	} while (v || n < min_digits);
	out_mem(o, tmp + sizeof(tmp) - n, n);
}

/* ------------------------------------------------------------------------
 * Parsing
 * ---------------------------------------------------------------------- */

enum key { K_FINGERPRINT, K_HYPER_SHIFT, K_MAP, K_MAX_MAGAZINES, K_WRITTEN_BY, K_COUNT };
static const char *const key_names[K_COUNT] = {
	"fingerprint", "hyper_shift", "map", "max_magazines", "written_by",
};
#define REQUIRED_KEYS ((1u << K_WRITTEN_BY) - 1)

static int fail(struct nano_profile_error *e, unsigned line, const char *a, const char *v,
		size_t vlen, const char *b)
{
	struct out o = { e->what, sizeof(e->what), 0, 0 };
	e->line = line;
	e->what[0] = 0;
	out_str(&o, a);
	if (v) {
		out_str(&o, " '");
		out_mem(&o, v, vlen > 48 ? 48 : vlen);
		out_str(&o, vlen > 48 ? "...'" : "'");
	}
	out_str(&o, b);
	return -1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* [s, s+n) without surrounding blanks. */
static void trim(const char **s, size_t *n)
{
	while (*n && is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_space((*s)[*n - 1]))
		(*n)--;
}

/* Decimal in [lo, hi]; 0 or -1. */
static int parse_dec(const char *s, size_t n, unsigned lo, unsigned hi, int *out)
{
	unsigned v = 0;
	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* 0x followed by 1..16 hex digits; 0 or -1. */
static int parse_hex64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n < 3 || n > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -1;
	for (size_t i = 2; i < n; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/* One `key = value` line into p; seen collects the keys met so far. */
static int parse_pair(const char *s, size_t n, unsigned line, unsigned *seen,
		      struct nano_profile *p, struct nano_profile_error *e)
{
	const char *eq = memchr(s, '=', n);
	const char *k = s, *v;
	size_t kn, vn;
	int key = -1;

	if (!eq)
		return fail(e, line, "expected 'key = value', got", s, n, "");
	kn = (size_t)(eq - s);
	v = eq + 1;
	vn = n - kn - 1;
	trim(&k, &kn);
	trim(&v, &vn);
	for (int i = 0; i < K_COUNT; i++)
		if (strlen(key_names[i]) == kn && memcmp(key_names[i], k, kn) == 0)
			key = i;
	if (key < 0)
		return fail(e, line, "unknown key", k, kn,
			    " (expected fingerprint, hyper_shift, map, max_magazines, written_by)");
	if (*seen & (1u << key))
		return fail(e, line, "key", k, kn, " appears twice");
	*seen |= 1u << key;

	switch (key) {
	case K_FINGERPRINT:
		if (parse_hex64(v, vn, &p->fingerprint))
			return fail(e, line, "fingerprint", v, vn, " is not 0x and 1 to 16 hex digits");
		break;
	case K_HYPER_SHIFT:
		if (parse_dec(v, vn, 0, 16, &p->hyper_shift))
			return fail(e, line, "hyper_shift", v, vn, " is not an integer from 0 to 16");
		break;
	case K_MAP: {
		char name[16];
		if (vn == 0 || vn >= sizeof(name))
			return fail(e, line, "map", v, vn, " is not shift, topology or cpu");
		memcpy(name, v, vn);
		name[vn] = 0;
		if (nano_map_parse(name, &p->map))
			return fail(e, line, "map", v, vn, " is not shift, topology or cpu");
		break;
	}
	case K_MAX_MAGAZINES:
		if (parse_dec(v, vn, 1, NANO_MAX_MAGAZINES, &p->max_magazines))
			return fail(e, line, "max_magazines", v, vn, " is not an integer from 1 to 64");
		break;
	default: {
		struct out o = { p->written_by, sizeof(p->written_by), 0, 0 };
		out_mem(&o, v, vn);
		break;
	}
	}
	return 0;
}

int nano_profile_parse(const char *text, size_t len, struct nano_profile *p,
		       struct nano_profile_error *err)
{
	const char *s = text, *end = text + len;
	unsigned line = 0, seen = 0;

	memset(p, 0, sizeof(*p));
	err->line = 0;
	err->what[0] = 0;
	if (len > NANO_PROFILE_MAX_BYTES)
		return fail(err, 0, "longer than 4096 bytes: not a profile", NULL, 0, "");
	if (memchr(text, 0, len))
		return fail(err, 0, "binary data (a NUL byte): not a profile", NULL, 0, "");
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *l = s;
		size_t n = (size_t)((nl ? nl : end) - s);
		s = nl ? nl + 1 : end;
		line++;
		trim(&l, &n);
		if (line == 1) {
			size_t hn = strlen(NANO_PROFILE_HEADER);
			if (n != hn || memcmp(l, NANO_PROFILE_HEADER, hn))
				return fail(err, 1, "first line", l, n,
					    " is not '" NANO_PROFILE_HEADER "'");
			continue;
		}
		if (n == 0 || l[0] == '#')
			continue;
		if (parse_pair(l, n, line, &seen, p, err))
			return -1;
	}
	if (line == 0)
		return fail(err, 0, "empty file: not a profile", NULL, 0, "");
	for (int k = 0; k < K_COUNT; k++)
		if ((REQUIRED_KEYS & (1u << k)) && !(seen & (1u << k)))
			return fail(err, 0, "missing key", key_names[k], strlen(key_names[k]), "");
	return 0;
}

/* ------------------------------------------------------------------------
 * Writing
 * ---------------------------------------------------------------------- */

int nano_profile_format(char *buf, size_t cap, const struct nano_profile *p)
{
	struct out o = { buf, cap, 0, 0 };

	if (cap == 0 || p->hyper_shift < 0 || p->hyper_shift > 16 ||
	    (unsigned)p->map >= NANO_MAP_COUNT || p->max_magazines < 1 ||
	    p->max_magazines > NANO_MAX_MAGAZINES || memchr(p->written_by, '\n', strlen(p->written_by)))
		return -1;
	buf[0] = 0;
	out_str(&o, NANO_PROFILE_HEADER "\n");
	out_str(&o, "# libnano reads this file when NANO_PROFILE names it, and only on the\n"
		    "# machine whose topology fingerprint it carries.\n");
	out_str(&o, "fingerprint = 0x");
	out_u64(&o, p->fingerprint, 16, 16);
	out_str(&o, "\nhyper_shift = ");
	out_u64(&o, (uint64_t)p->hyper_shift, 10, 1);
	out_str(&o, "\nmap = ");
	out_str(&o, nano_map_name(p->map));
	out_str(&o, "\nmax_magazines = ");
	out_u64(&o, (uint64_t)p->max_magazines, 10, 1);
	out_str(&o, "\n");
	if (p->written_by[0]) {
		out_str(&o, "written_by = ");
		out_str(&o, p->written_by);
		out_str(&o, "\n");
	}
	return o.overflow ? -1 : (int)o.len;
}
