/*
 * test_profile.c - per-machine profiles (NANO_PROFILE, nano_profile.h).
 *
 * In process, the pure format: every valid profile written by
 * nano_profile_format parses back to the same fields; out-of-range fields are
 * refused by the writer; each kind of malformed text is refused by the parser
 * with the right line number and a message naming the offending text.
 *
 * In forked children (the zone starts fresh in each, from the environment):
 * a profile carrying this machine's fingerprint takes effect (settings source
 * "profile", no message); NANO_* variables override its fields one by one
 * (source "profile+env"); a profile with a foreign fingerprint, a malformed
 * one, an unreadable one, a FIFO and a device (refused unread: opening a
 * FIFO would block the program) are each refused with exactly one warning line
 * that names NANO_PROFILE and the file (and, for the foreign one, both
 * fingerprints), and the defaults apply (source "default"); an empty
 * NANO_PROFILE is the same as none.
 */
#include "nano.h"
#include "nano_profile.h"
#include "nt.h"

#include <sys/stat.h>

static char dir[] = "/tmp/nano-test-profile-XXXXXX";

/* ------------------------------------------------------------------------
 * The format, in process
 * ---------------------------------------------------------------------- */

static void round_trip(uint64_t fp, int hs, enum nano_map map, int mags, const char *by)
{
	struct nano_profile p = { fp, hs, map, mags, "" }, q;
	struct nano_profile_error e;
	char text[NANO_PROFILE_MAX_BYTES];
	int n;

	snprintf(p.written_by, sizeof(p.written_by), "%s", by);
	n = nano_profile_format(text, sizeof(text), &p);
	CHECK(n > 0 && (size_t)n == strlen(text));
	CHECK(strncmp(text, NANO_PROFILE_HEADER "\n", strlen(NANO_PROFILE_HEADER) + 1) == 0);
	CHECK_MSG(nano_profile_parse(text, (size_t)n, &q, &e) == 0, "line %u: %s", e.line, e.what);
	CHECK_EQ(q.fingerprint, fp);
	CHECK_EQ(q.hyper_shift, hs);
	CHECK_EQ(q.map, map);
	CHECK_EQ(q.max_magazines, mags);
	CHECK_STR(q.written_by, by);
}

static void refused(const char *text, unsigned line, const char *what)
{
	struct nano_profile p;
	struct nano_profile_error e;
	CHECK_MSG(nano_profile_parse(text, strlen(text), &p, &e) == -1, "accepted: %s", text);
	CHECK_MSG(e.line == line, "line %u, expected %u (%s) for: %s", e.line, line, e.what, text);
	CHECK_MSG(strstr(e.what, what) != NULL, "'%s' does not say '%s'", e.what, what);
}

#define H NANO_PROFILE_HEADER "\n"
#define OK_BODY "fingerprint = 0x1\nhyper_shift = 1\nmap = shift\nmax_magazines = 2\n"

static void test_format(void)
{
	struct nano_profile p = { 1, 1, NANO_MAP_SHIFT, 2, "" }, q;
	struct nano_profile_error e;
	char text[NANO_PROFILE_MAX_BYTES + 64];

	round_trip(0x0123456789abcdefull, 1, NANO_MAP_TOPOLOGY, 8, "nanobench tune 2026-11-26 on host (CPU)");
	round_trip(0, 0, NANO_MAP_SHIFT, 1, "");
	round_trip(UINT64_MAX, 16, NANO_MAP_CPU, 64, "x");

	/* the writer refuses what the parser would */
	p.hyper_shift = 17;
	CHECK(nano_profile_format(text, sizeof(text), &p) == -1);
	p.hyper_shift = 1;
	p.max_magazines = 0;
	CHECK(nano_profile_format(text, sizeof(text), &p) == -1);
	p.max_magazines = 65;
	CHECK(nano_profile_format(text, sizeof(text), &p) == -1);
	p.max_magazines = 2;
	snprintf(p.written_by, sizeof(p.written_by), "two\nlines");
	CHECK(nano_profile_format(text, sizeof(text), &p) == -1);
	p.written_by[0] = 0;
	CHECK(nano_profile_format(text, 40, &p) == -1);       /* too small a buffer */

	/* comments, blank lines, blanks around '=', CRLF, upper-case hex */
	const char *loose = H "\r\n# tuned\r\n  fingerprint=0xABC \r\n\thyper_shift =  3\r\n"
			    "map= topology\r\nmax_magazines =64\r\n";
	CHECK_MSG(nano_profile_parse(loose, strlen(loose), &q, &e) == 0, "line %u: %s", e.line, e.what);
	CHECK_EQ(q.fingerprint, 0xabc);
	CHECK_EQ(q.hyper_shift, 3);
	CHECK_EQ(q.map, NANO_MAP_TOPOLOGY);
	CHECK_EQ(q.max_magazines, 64);

	/* malformed: line number and the offending text */
	refused("", 0, "empty");
	refused("hello\n" OK_BODY, 1, "first line 'hello'");
	refused("\n" H OK_BODY, 1, "first line");
	refused(H "fingerprint = 0xzz\nhyper_shift = 1\nmap = shift\nmax_magazines = 2\n", 2,
		"fingerprint '0xzz'");
	refused(H "fingerprint = 12\n", 2, "fingerprint '12'");
	refused(H "fingerprint = 0x12345678901234567\n", 2, "fingerprint");
	refused(H "fingerprint = 0x1\nhyper_shift = 17\n", 3, "hyper_shift '17'");
	refused(H "fingerprint = 0x1\nhyper_shift = -1\n", 3, "hyper_shift '-1'");
	refused(H "fingerprint = 0x1\nhyper_shift = 1\n\n# c\nmap = diagonal\n", 6, "map 'diagonal'");
	refused(H "fingerprint = 0x1\nmax_magazines = 0\n", 3, "max_magazines '0'");
	refused(H "fingerprint = 0x1\nmax_magazines = 65\n", 3, "max_magazines '65'");
	refused(H "fingerprint = 0x1\nhyper_shfit = 1\n", 3, "unknown key 'hyper_shfit'");
	refused(H "fingerprint = 0x1\nfingerprint = 0x2\n", 3, "appears twice");
	refused(H "fingerprint 0x1\n", 2, "expected 'key = value'");
	refused(H "fingerprint = 0x1\nhyper_shift = 1\nmax_magazines = 2\n", 0, "missing key 'map'");
	refused(H "# only a header\n", 0, "missing key 'fingerprint'");
	memset(text, '#', sizeof(text));
	memcpy(text, H, strlen(H));
	text[sizeof(text) - 1] = 0;
	refused(text, 0, "longer than 4096 bytes");
}

/* ------------------------------------------------------------------------
 * The zone, in forked children
 * ---------------------------------------------------------------------- */

/* What a child saw: its settings (last stderr line) and the lines before. */
struct seen {
	unsigned hyper_shift, nmags, warnings;
	char map[16], source[16];
	unsigned long long fingerprint;
	char err[8192];
};

static const char *const nano_vars[] = { "NANO_PROFILE", "NANO_HYPER_SHIFT", "NANO_MAG_MAP",
					 "NANO_MAX_MAGAZINES", "NANO_BAND_BITS" };

/* In the child: the environment is set, so the first nano_malloc starts the
 * zone from it. */
static void child(void *arg)
{
	char *const *env = arg;
	struct nano_settings s;
	for (unsigned i = 0; i < sizeof(nano_vars) / sizeof(nano_vars[0]); i++)
		unsetenv(nano_vars[i]);
	for (unsigned i = 0; env[i]; i += 2)
		setenv(env[i], env[i + 1], 1);
	void *p = nano_malloc(40);
	nano_get_settings(&s);
	fprintf(stderr, "settings hyper_shift=%u map=%s nmags=%u source=%s fingerprint=%llx\n",
		s.hyper_shift, s.map_name, s.nmags, s.source, (unsigned long long)s.fingerprint);
	nano_free(p);
}

/* env: NAME, VALUE, ..., NULL */
static void start(struct seen *r, const char *name, const char *value, const char *name2,
		  const char *value2)
{
	const char *env[] = { name, value, name2, value2, NULL };
	struct nt_child c;
	const char *last;

	if (!name)
		env[0] = NULL;
	else if (!name2)
		env[2] = NULL;
	nt_run_child(child, (void *)env, &c);
	CHECK_MSG(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0, "child status 0x%x: %s",
		  c.status, c.err);
	memset(r, 0, sizeof(*r));
	snprintf(r->err, sizeof(r->err), "%s", c.err);
	last = strstr(c.err, "settings ");
	CHECK_MSG(last && sscanf(last, "settings hyper_shift=%u map=%15s nmags=%u source=%15s "
				  "fingerprint=%llx", &r->hyper_shift, r->map, &r->nmags, r->source,
				  &r->fingerprint) == 5, "child said: %s", c.err);
	for (const char *p = c.err; p < last; p++)
		r->warnings += *p == '\n';
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CHECK(f && fputs(text, f) >= 0 && fclose(f) == 0);
}

static void write_profile(const char *path, uint64_t fp, int hs, enum nano_map map, int mags)
{
	struct nano_profile p = { fp, hs, map, mags, "test_profile" };
	char text[NANO_PROFILE_MAX_BYTES];
	CHECK(nano_profile_format(text, sizeof(text), &p) > 0);
	write_file(path, text);
}

static void expect_refused(const struct seen *r, const struct seen *def, const char *path,
			   const char *what)
{
	CHECK_MSG(r->warnings == 1, "%u warning lines: %s", r->warnings, r->err);
	CHECK_MSG(strstr(r->err, "NANO_PROFILE") && strstr(r->err, path) && strstr(r->err, what),
		  "warning does not name NANO_PROFILE, %s and '%s': %s", path, what, r->err);
	CHECK_STR(r->source, "default");
	CHECK_STR(r->map, def->map);
	CHECK_EQ(r->hyper_shift, def->hyper_shift);
	CHECK_EQ(r->nmags, def->nmags);
}

static void test_zone(void)
{
	struct seen def, r;
	char good[128], foreign[128], bad[128], missing[128], msg[128];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(good, sizeof(good), "%s/good.nano", dir);
	snprintf(foreign, sizeof(foreign), "%s/foreign.nano", dir);
	snprintf(bad, sizeof(bad), "%s/bad.nano", dir);
	snprintf(missing, sizeof(missing), "%s/missing.nano", dir);

	/* the faithful default, and this machine's fingerprint */
	start(&def, NULL, NULL, NULL, NULL);
	CHECK_STR(def.source, "default");
	CHECK_STR(def.map, "shift");
	CHECK_EQ(def.warnings, 0);

	/* a profile for this machine takes effect, silently */
	write_profile(good, def.fingerprint, 1, NANO_MAP_TOPOLOGY, 1);
	start(&r, "NANO_PROFILE", good, NULL, NULL);
	CHECK_MSG(r.warnings == 0, "%s", r.err);
	CHECK_STR(r.source, "profile");
	CHECK_STR(r.map, "topology");
	CHECK_EQ(r.hyper_shift, 1);
	CHECK_EQ(r.nmags, 1);
	CHECK_EQ(r.fingerprint, def.fingerprint);

	/* explicit variables override the profile field by field */
	start(&r, "NANO_PROFILE", good, "NANO_MAG_MAP", "cpu");
	CHECK_STR(r.source, "profile+env");
	CHECK_STR(r.map, "cpu");
	CHECK_EQ(r.nmags, 1);                    /* max_magazines still the profile's */
	start(&r, "NANO_PROFILE", good, "NANO_HYPER_SHIFT", "0");
	CHECK_STR(r.source, "profile+env");
	CHECK_STR(r.map, "topology");
	CHECK_EQ(r.hyper_shift, 0);
	CHECK_MSG(r.warnings == 0, "%s", r.err);

	/* a profile of another topology: one line with both fingerprints */
	write_profile(foreign, def.fingerprint ^ 0x5a5a, 1, NANO_MAP_TOPOLOGY, 1);
	start(&r, "NANO_PROFILE", foreign, NULL, NULL);
	snprintf(msg, sizeof(msg), "0x%llx", def.fingerprint ^ 0x5a5a);
	expect_refused(&r, &def, foreign, msg);
	snprintf(msg, sizeof(msg), "0x%llx", def.fingerprint);
	CHECK_MSG(strstr(r.err, msg), "this machine's fingerprint missing: %s", r.err);
	/* ... while a valid variable beside it still applies */
	start(&r, "NANO_PROFILE", foreign, "NANO_HYPER_SHIFT", "2");
	CHECK_EQ(r.warnings, 1);
	CHECK_STR(r.source, "env");
	CHECK_EQ(r.hyper_shift, 2);

	/* malformed: the line is named */
	write_file(bad, NANO_PROFILE_HEADER "\nfingerprint = 0x1\nmap = diagonal\n");
	start(&r, "NANO_PROFILE", bad, NULL, NULL);
	expect_refused(&r, &def, bad, "line 3: map 'diagonal'");

	/* unreadable */
	start(&r, "NANO_PROFILE", missing, NULL, NULL);
	expect_refused(&r, &def, missing, "cannot be read");
	start(&r, "NANO_PROFILE", dir, NULL, NULL);
	expect_refused(&r, &def, dir, "cannot be read");
	/* a FIFO (with no writer it would block an open for reading) and a
	 * device: refused at once, unread */
	char fifo[160];
	snprintf(fifo, sizeof(fifo), "%s/fifo.nano", dir);
	CHECK(mkfifo(fifo, 0600) == 0);
	start(&r, "NANO_PROFILE", fifo, NULL, NULL);
	expect_refused(&r, &def, fifo, "not a regular file");
	unlink(fifo);
	start(&r, "NANO_PROFILE", "/dev/zero", NULL, NULL);
	expect_refused(&r, &def, "/dev/zero", "not a regular file");

	/* empty: as if unset */
	start(&r, "NANO_PROFILE", "", NULL, NULL);
	CHECK_MSG(r.warnings == 0, "%s", r.err);
	CHECK_STR(r.source, "default");

	unlink(good);
	unlink(foreign);
	unlink(bad);
	rmdir(dir);
}

int main(void)
{
	test_format();
	test_zone();
	printf("profile: ok\n");
	return 0;
}
