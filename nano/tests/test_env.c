/*
 * test_env.c - configuration from the environment.
 *
 *   test_env          run the checks
 *   test_env child    (internal) start the zone from the environment and
 *                     print its settings on one line of stdout
 *
 * In process: nano_config_from_env() with valid and invalid NANO_* values
 * (the zone is never started here), stderr captured: each bad value gives
 * exactly one line naming the variable and the value, and the field keeps
 * its default; valid values are applied and the function returns 1.
 * Through fork + exec of this binary with a clean environment: the zone
 * started from the environment reports the settings in effect (hyper_shift,
 * magazines, map, layout) and source "env" when a variable took effect,
 * "default" when none did (bad values only), and never aborts.
 */
#include "nano.h"
#include "nt.h"

/* ------------------------------------------------------------------------
 * The child: start from the environment, print the settings.
 * ---------------------------------------------------------------------- */

static int child_main(void)
{
	struct nano_settings s;
	void *p = nano_malloc(24);            /* starts the zone from NANO_* */
	nano_get_settings(&s);
	printf("ready=%d owned=%d layout=%s band_bits=%u hyper_shift=%u map=%s nmags=%u source=%s\n",
	       s.ready, nano_owns(p), s.layout, s.band_bits, s.hyper_shift, s.map_name, s.nmags,
	       s.source);
	nano_free(p);
	return 0;
}

struct run {
	char out[1024], err[4096];
	int ready, owned;
	char layout[16], map[16], source[16];
	unsigned band_bits, hyper_shift, nmags;
	unsigned err_lines;
};

static void read_all(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;
	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) != 0) {
		if (n < 0) {
			CHECK(errno == EINTR);
			continue;
		}
		len += (size_t)n;
	}
	buf[len] = 0;
}

/* Run `self child` with exactly the given environment (NULL-terminated). */
static void run_child(const char *self, char *const env[], struct run *r)
{
	int out[2], err[2], status;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	CHECK(pipe(out) == 0 && pipe(err) == 0);
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char *argv[] = { (char *)self, (char *)"child", NULL };
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		execve(self, argv, env);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	read_all(out[0], r->out, sizeof(r->out));
	read_all(err[0], r->err, sizeof(r->err));
	close(out[0]);
	close(err[0]);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x, stderr: %s",
		  status, r->err);
	CHECK_MSG(sscanf(r->out, "ready=%d owned=%d layout=%15s band_bits=%u hyper_shift=%u map=%15s "
			 "nmags=%u source=%15s", &r->ready, &r->owned, r->layout, &r->band_bits,
			 &r->hyper_shift, r->map, &r->nmags, r->source) == 8,
		  "child printed \"%s\"", r->out);
	for (const char *c = r->err; *c; c++)
		r->err_lines += *c == '\n';
}

/* ------------------------------------------------------------------------
 * In process
 * ---------------------------------------------------------------------- */

static const char *vars[] = { "NANO_HYPER_SHIFT", "NANO_MAX_MAGAZINES", "NANO_MAG_MAP",
			      "NANO_BAND_BITS" };

/* nano_config_from_env with one variable set; stderr captured in err. */
static int from_env(const char *var, const char *val, struct nano_config *cfg, char *err,
		    size_t cap)
{
	int pfd[2], saved, r;
	for (unsigned i = 0; i < 4; i++)
		unsetenv(vars[i]);
	if (var)
		setenv(var, val, 1);
	CHECK(pipe(pfd) == 0);
	fflush(stderr);
	saved = dup(2);
	dup2(pfd[1], 2);
	close(pfd[1]);
	r = nano_config_from_env(cfg);
	dup2(saved, 2);
	close(saved);
	read_all(pfd[0], err, cap);
	close(pfd[0]);
	if (var)
		unsetenv(var);
	return r;
}

static void expect_default(const struct nano_config *c)
{
	CHECK_EQ((uint64_t)(int64_t)c->hyper_shift, (uint64_t)-1);
	CHECK_EQ(c->max_magazines, 0);
	CHECK_EQ(c->map, NANO_MAP_SHIFT);
	CHECK_EQ(c->band_bits, 0);
	CHECK(c->helper == NULL && c->topo == NULL);
}

static void test_in_process(void)
{
	static const struct { const char *var, *val; } bad[] = {
		{ "NANO_HYPER_SHIFT", "abc" }, { "NANO_HYPER_SHIFT", "" },
		{ "NANO_HYPER_SHIFT", "-1" }, { "NANO_HYPER_SHIFT", "17" },
		{ "NANO_HYPER_SHIFT", "1x" }, { "NANO_HYPER_SHIFT", " 1" },
		{ "NANO_HYPER_SHIFT", "99999999999999999999999" },
		{ "NANO_MAX_MAGAZINES", "0" }, { "NANO_MAX_MAGAZINES", "65" },
		{ "NANO_MAX_MAGAZINES", "many" }, { "NANO_MAX_MAGAZINES", "-3" },
		{ "NANO_MAG_MAP", "bogus" }, { "NANO_MAG_MAP", "" }, { "NANO_MAG_MAP", "Shift" },
		{ "NANO_BAND_BITS", "0" }, { "NANO_BAND_BITS", "18" }, { "NANO_BAND_BITS", "x" },
	};
	struct nano_config c;
	char err[1024];

	CHECK_EQ(from_env(NULL, NULL, &c, err, sizeof(err)), 0);
	expect_default(&c);
	CHECK_EQ(strlen(err), 0);
	nano_config_default(&c);
	expect_default(&c);

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = from_env(bad[i].var, bad[i].val, &c, err, sizeof(err));
		CHECK_MSG(r == 0, "%s='%s' returned %d", bad[i].var, bad[i].val, r);
		expect_default(&c);
		char *nl = strchr(err, '\n');
		CHECK_MSG(nl && nl[1] == 0, "%s='%s': not one line: \"%s\"", bad[i].var, bad[i].val, err);
		CHECK_MSG(strstr(err, "nano") && strstr(err, bad[i].var) && strstr(err, bad[i].val),
			  "%s='%s': warning \"%s\" does not name the variable and value", bad[i].var,
			  bad[i].val, err);
	}

	CHECK_EQ(from_env("NANO_HYPER_SHIFT", "2", &c, err, sizeof(err)), 1);
	CHECK_EQ(c.hyper_shift, 2);
	CHECK_EQ(strlen(err), 0);
	CHECK_EQ(from_env("NANO_HYPER_SHIFT", "0", &c, err, sizeof(err)), 1);
	CHECK_EQ(c.hyper_shift, 0);
	CHECK_EQ(from_env("NANO_HYPER_SHIFT", "16", &c, err, sizeof(err)), 1);
	CHECK_EQ(c.hyper_shift, 16);
	CHECK_EQ(from_env("NANO_MAX_MAGAZINES", "64", &c, err, sizeof(err)), 1);
	CHECK_EQ(c.max_magazines, 64);
	CHECK_EQ(from_env("NANO_MAX_MAGAZINES", "1", &c, err, sizeof(err)), 1);
	CHECK_EQ(c.max_magazines, 1);
	CHECK_EQ(from_env("NANO_MAG_MAP", "topology", &c, err, sizeof(err)), 1);
	CHECK_EQ(c.map, NANO_MAP_TOPOLOGY);
	CHECK_EQ(from_env("NANO_MAG_MAP", "cpu", &c, err, sizeof(err)), 1);
	CHECK_EQ(c.map, NANO_MAP_CPU);
	CHECK_EQ(from_env("NANO_MAG_MAP", "shift", &c, err, sizeof(err)), 1);
	CHECK_EQ(c.map, NANO_MAP_SHIFT);
	CHECK_EQ(from_env("NANO_BAND_BITS", "17", &c, err, sizeof(err)), 1);
	CHECK_EQ(c.band_bits, 17);
	CHECK_EQ(from_env("NANO_BAND_BITS", "1", &c, err, sizeof(err)), 1);
	CHECK_EQ(c.band_bits, 1);
	CHECK_EQ(strlen(err), 0);
}

/* ------------------------------------------------------------------------
 * Through exec
 * ---------------------------------------------------------------------- */

static void test_exec(const char *self)
{
	struct run base, r;

	run_child(self, (char *[]){ NULL }, &base);
	CHECK_EQ(base.ready, 1);
	CHECK_EQ(base.owned, 1);
	CHECK_STR(base.source, "default");
	CHECK_STR(base.map, "shift");
	CHECK_STR(base.layout, "full");
	CHECK_EQ(base.err_lines, 0);

	/* bad values: one line each, defaults, source "default" */
	static char *const bad_envs[][5] = {
		{ "NANO_HYPER_SHIFT=abc", NULL },
		{ "NANO_MAX_MAGAZINES=0", NULL },
		{ "NANO_MAG_MAP=bogus", NULL },
		{ "NANO_BAND_BITS=18", NULL },
		{ "NANO_HYPER_SHIFT=abc", "NANO_MAX_MAGAZINES=65", "NANO_MAG_MAP=", "NANO_BAND_BITS=x",
		  NULL },
	};
	static const unsigned bad_lines[] = { 1, 1, 1, 1, 4 };
	for (unsigned i = 0; i < 5; i++) {
		run_child(self, bad_envs[i], &r);
		CHECK_MSG(r.err_lines == bad_lines[i], "%s...: %u warning lines: %s", bad_envs[i][0],
			  r.err_lines, r.err);
		for (unsigned k = 0; bad_envs[i][k]; k++) {
			char name[64];
			snprintf(name, sizeof(name), "%.*s", (int)strcspn(bad_envs[i][k], "="),
				 bad_envs[i][k]);
			CHECK_MSG(strstr(r.err, name), "no warning names %s: %s", name, r.err);
		}
		CHECK_EQ(r.ready, 1);
		CHECK_STR(r.source, "default");
		CHECK_EQ(r.hyper_shift, base.hyper_shift);
		CHECK_EQ(r.nmags, base.nmags);
		CHECK_STR(r.map, base.map);
		CHECK_STR(r.layout, "full");
	}

	/* valid values take effect, source "env" */
	run_child(self, (char *[]){ "NANO_HYPER_SHIFT=1", NULL }, &r);
	CHECK_EQ(r.err_lines, 0);
	CHECK_STR(r.source, "env");
	CHECK_EQ(r.hyper_shift, 1);
	CHECK_EQ(r.nmags, (base.nmags + 1) / 2);
	run_child(self, (char *[]){ "NANO_MAX_MAGAZINES=1", NULL }, &r);
	CHECK_STR(r.source, "env");
	CHECK_EQ(r.nmags, 1);
	run_child(self, (char *[]){ "NANO_MAG_MAP=cpu", NULL }, &r);
	CHECK_STR(r.source, "env");
	CHECK_STR(r.map, "cpu");
	CHECK_EQ(r.hyper_shift, 0);
	run_child(self, (char *[]){ "NANO_MAG_MAP=topology", "NANO_HYPER_SHIFT=16", NULL }, &r);
	CHECK_STR(r.map, "topology");
	CHECK_EQ(r.hyper_shift, 16);
	CHECK_EQ(r.nmags, 1);
	run_child(self, (char *[]){ "NANO_BAND_BITS=3", NULL }, &r);
	CHECK_STR(r.source, "env");
	CHECK_STR(r.layout, "small");
	CHECK_EQ(r.band_bits, 3);
	CHECK_EQ(r.owned, 1);
	/* one bad, one good: the good one applies, the bad one warns */
	run_child(self, (char *[]){ "NANO_HYPER_SHIFT=abc", "NANO_MAX_MAGAZINES=1", NULL }, &r);
	CHECK_EQ(r.err_lines, 1);
	CHECK(strstr(r.err, "NANO_HYPER_SHIFT") && strstr(r.err, "abc"));
	CHECK_STR(r.source, "env");
	CHECK_EQ(r.nmags, 1);
	CHECK_EQ(r.hyper_shift, base.hyper_shift);
	printf("env: ok (default: hyper_shift %u, %u magazines, map %s)\n", base.hyper_shift,
	       base.nmags, base.map);
}

int main(int argc, char **argv)
{
	char self[4096];
	ssize_t n;

	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child_main();
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	CHECK(n > 0);
	self[n] = 0;
	test_in_process();
	test_exec(self);
	return 0;
}
