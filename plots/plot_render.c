/*
 * plot_render.c - running gnuplot on one template (see plot_render.h).
 *
 * The script. The caller's variables, then the template with every
 * `load nb_tpldir.'/X.gp'` line replaced by X.gp's own lines (so the one
 * file is the whole picture), go to OUT_BASE.gp, beside the pictures: a
 * reader (and the tests) see exactly what gnuplot drew from, and
 * `gnuplot NAME.gp` in that folder redraws NAME.png (the script sets a PNG
 * terminal when nobody else has). Data paths under the folder are given
 * relative to it (plot_vars_path), and gnuplot runs in it.
 *
 * One gnuplot process draws both formats:
 *
 *     gnuplot -e "nb_format='png'; nb_terminal=...; eval sprintf(...);
 *                 set output 'NAME.png.tmp'" NAME.gp.tmp
 *             -e "unset multiplot; set output; reset; ...svg..." NAME.gp.tmp
 *             -e "unset multiplot; set output"
 *
 * gnuplot's stdout and stderr share one pipe; a template is silent when all
 * is well, so any byte read back is a complaint and the render fails with
 * its most telling line (the one naming the script's line, else the first
 * non-blank one). Only when both pictures are whole do the three files get
 * their final names.
 */
#include "plot.h"
#include "plot_render.h"
#include "res_meta.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define GNUPLOT "gnuplot"
#define MISSING_MSG "gnuplot not found: install Debian package gnuplot-nox"

/* ------------------------------------------------------------------------
 * The script
 * ---------------------------------------------------------------------- */

/* A gnuplot single-quoted string: only ' needs escaping, as ''. */
static void put_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		if (*s != '\n' && *s != '\r')
			fputc(*s, f);
	}
	fputc('\'', f);
}

static int is_identifier(const char *s, size_t len)
{
	if (!len || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

static int is_number(const char *s)
{
	char *end;
	double d;
	if (!*s || *s == ' ' || *s == '\t')
		return 0;
	errno = 0;
	d = strtod(s, &end);
	/* strtod accepts "nan", "inf" and hex: gnuplot does not. */
	return *end == 0 && errno == 0 && isfinite(d) && !strpbrk(s, "xXnNiI");
}

static int put_vars(FILE *f, const char *const *vars, char *err, size_t errlen)
{
	for (size_t i = 0; vars && vars[i]; i++) {
		const char *eq = strchr(vars[i], '=');
		if (!eq || !is_identifier(vars[i], (size_t)(eq - vars[i]))) {
			snprintf(err, errlen, "bad template variable '%s' (expected NAME=VALUE)", vars[i]);
			return -1;
		}
		fprintf(f, "%.*s=", (int)(eq - vars[i]), vars[i]);
		if (is_number(eq + 1))
			fputs(eq + 1, f);
		else
			put_quoted(f, eq + 1);
		fputs(";\n", f);
	}
	return 0;
}

/* tail: how a whole picture ends (PNG: its IEND chunk; SVG: its closing
 * tag), so one cut short by a full disk is not taken for a picture */
static const struct {
	const char *ext, *terminal, *tail;
} formats[] = {
	{ "png", "set terminal pngcairo noenhanced font 'DejaVu Sans,11' size %d,%d",
	  "IEND\xae\x42\x60\x82" },
	{ "svg", "set terminal svg noenhanced font 'DejaVu Sans,11' size %d,%d background '#ffffff'",
	  "</svg>" },
};
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

/* Copy template NAME of tpl_dir into f, with its loads of other templates
 * inlined (depth: how deep we are; a loop of loads is refused). */
static int inline_template(FILE *f, const char *tpl_dir, const char *name, int depth, char *err,
			   size_t errlen)
{
	static const char load[] = "load nb_tpldir.'/";
	char *path = NULL, *line = NULL;
	size_t cap = 0;
	FILE *in;

	if (depth > 4) {
		snprintf(err, errlen, "template %s: loads nested too deep (a loop?)", name);
		return -1;
	}
	if (asprintf(&path, "%s/%s", tpl_dir, name) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	in = fopen(path, "r");
	if (!in)
		snprintf(err, errlen, "template %s: %s", path, strerror(errno));
	free(path);
	if (!in)
		return -1;
	fprintf(f, "# ---- %s\n", name);
	while (getline(&line, &cap, in) > 0) {
		char *p = line + strspn(line, " \t"), *q;
		if (!strncmp(p, load, sizeof(load) - 1) && (q = strchr(p + sizeof(load) - 1, '\'')) &&
		    q[1 + strspn(q + 1, " \t\r\n")] == 0) {
			char sub[256];
			snprintf(sub, sizeof(sub), "%.*s", (int)(q - p - (sizeof(load) - 1)),
				 p + sizeof(load) - 1);
			if (inline_template(f, tpl_dir, sub, depth + 1, err, errlen)) {
				free(line);
				fclose(in);
				return -1;
			}
			fprintf(f, "# ---- %s (continued)\n", name);
			continue;
		}
		fputs(line, f);
		if (line[strlen(line) - 1] != '\n')
			fputc('\n', f);
	}
	free(line);
	fclose(in);
	return 0;
}

/* The script saved as BASE.gp (BASE: the pictures' file name without its
 * extension, in the folder gnuplot runs in). */
static int write_script(const char *path, const char *tpl_dir, const char *tpl,
			const char *const *vars, const char *base, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	char png[1100];
	int rc;

	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "# %s.gp - the gnuplot script of %s.png and %s.svg, written by nanobench\n"
		"# from the template %s (the templates it loads inlined) and the variables\n"
		"# below. In this folder, `gnuplot %s.gp` redraws %s.png.\n", base, base, base, tpl,
		base, base);
	fprintf(f, "if (!exists('nb_format')) {\n\tnb_format = 'png'\n\tnb_terminal = ");
	put_quoted(f, formats[0].terminal);
	fprintf(f, "\n\teval sprintf(nb_terminal, %d, %d)\n\tset output ", PLOT_WIDTH, PLOT_HEIGHT);
	snprintf(png, sizeof(png), "%s.png", base);
	put_quoted(f, png);
	fputs("\n}\n", f);
	rc = put_vars(f, vars, err, errlen);
	fputs("nb_tpldir=", f);
	put_quoted(f, tpl_dir);
	fputs(";\n", f);
	if (rc == 0)
		rc = inline_template(f, tpl_dir, tpl, 0, err, errlen);
	if (ferror(f) && rc == 0) {
		snprintf(err, errlen, "cannot write %s", path);
		rc = -1;
	}
	if (fclose(f) != 0 && rc == 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		rc = -1;
	}
	return rc;
}

/* The -e text that starts pass i: its terminal and output. */
static char *pass_prelude(size_t i, const char *base)
{
	char *buf = NULL, out[4200];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	if (i > 0)
		fputs("unset multiplot; set output; reset; ", f);
	fprintf(f, "nb_format='%s'; nb_terminal=", formats[i].ext);
	put_quoted(f, formats[i].terminal);
	fprintf(f, "; eval sprintf(nb_terminal, %d, %d); set output ", PLOT_WIDTH, PLOT_HEIGHT);
	snprintf(out, sizeof(out), "%s.%s.tmp", base, formats[i].ext);
	put_quoted(f, out);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ------------------------------------------------------------------------
 * Running gnuplot
 * ---------------------------------------------------------------------- */

/* Start gnuplot with argv in folder cwd (NULL: ours), both outputs into
 * *out (malloc'ed, NUL-ended). Returns the exit status, -2 when gnuplot is
 * missing, -1 on other errors. */
static int run_gnuplot(char *const argv[], const char *cwd, char **out)
{
	posix_spawn_file_actions_t fa;
	int pfd[2], status, rc;
	pid_t pid;
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	*out = NULL;
	if (!buf || pipe2(pfd, O_CLOEXEC) != 0) {
		free(buf);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	if (cwd)
		posix_spawn_file_actions_addchdir_np(&fa, cwd);
	rc = posix_spawnp(&pid, GNUPLOT, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (rc != 0) {
		close(pfd[0]);
		free(buf);
		return rc == ENOENT || rc == EACCES ? -2 : -1;
	}
	for (;;) {
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(pfd[0], buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(pfd[0]);
	buf[len] = 0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			free(buf);
			return -1;
		}
	*out = buf;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The line of gnuplot's output that says most: one naming a script line
 * ("FILE" line N: ...), else the first non-blank one. */
static void telling_line(const char *out, char *buf, size_t len)
{
	const char *best = NULL, *p = out;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		const char *q = p;
		while (q < p + n && (*q == ' ' || *q == '\t' || *q == '^'))
			q++;
		if (q < p + n) {
			if (!best)
				best = p;
			if (memmem(p, n, " line ", 6) && memchr(p, ':', n)) {
				best = p;
				break;
			}
		}
		p = e ? e + 1 : p + n;
	}
	if (!best) {
		snprintf(buf, len, "(no message)");
		return;
	}
	size_t n = strcspn(best, "\n");
	while (*best == ' ' || *best == '\t') {
		best++;
		n--;
	}
	snprintf(buf, len, "%.*s", (int)n, best);
}

static void unlink_outputs(const char *out_base, const char *suffix)
{
	char path[4096];
	for (size_t i = 0; i < NFORMATS; i++) {
		snprintf(path, sizeof(path), "%s.%s%s", out_base, formats[i].ext, suffix);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s.gp%s", out_base, suffix);
	unlink(path);
}

/* After a failure: PLOT_EDISK when folder dir cannot be written now, else -1. */
static int disk_or_not(const char *dir)
{
	char why[4300];
	return res_dir_probe(dir, why, sizeof(why)) == 0 ? -1 : PLOT_EDISK;
}

/* 1: the file ends as a whole picture does (tail, maybe followed by
 * white space); 0: missing or empty; -1: cut short. */
static int picture_state(const char *path, const char *tail)
{
	char buf[64];
	size_t tl = strlen(tail), n;
	FILE *f = fopen(path, "rb");
	long size;
	if (!f)
		return 0;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) <= 0) {
		fclose(f);
		return 0;
	}
	fseek(f, size > (long)sizeof(buf) ? size - (long)sizeof(buf) : 0, SEEK_SET);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\r'))
		n--;
	return n >= tl && !memcmp(buf + n - tl, tail, tl) ? 1 : -1;
}

int plot_render_check(char *err, size_t errlen)
{
	char *argv[] = { GNUPLOT, "--version", NULL }, *out;
	int rc = run_gnuplot(argv, NULL, &out);
	free(out);
	if (rc == -2 || rc == 127) {
		snprintf(err, errlen, MISSING_MSG);
		return -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "cannot run gnuplot --version (exit %d)", rc);
		return -1;
	}
	return 0;
}

/* out_base split into its folder (made absolute) and file name. */
static int split_base(const char *out_base, char *dir, size_t dlen, char *base, size_t blen)
{
	const char *slash = strrchr(out_base, '/');
	char d[4096];
	snprintf(d, sizeof(d), "%.*s", slash ? (int)(slash - out_base) : 1, slash ? out_base : ".");
	if (!d[0])
		snprintf(d, sizeof(d), "/");
	snprintf(base, blen, "%s", slash ? slash + 1 : out_base);
	return realpath(d, dir) && strlen(dir) < dlen ? 0 : -1;
}

int plot_render(const char *template_dir, const char *template_name, const char *const *vars,
		const char *out_base, char *err, size_t errlen)
{
	char path[4096], to[4096], line[512], tpl[PATH_MAX], dir[PATH_MAX], base[1024], script[1100];
	char *out = NULL, *pre[NFORMATS] = { NULL };
	int rc, disk = 0;

	snprintf(path, sizeof(path), "%s/%s", template_dir, template_name);
	if (access(path, R_OK) != 0 || !realpath(template_dir, tpl)) {
		snprintf(err, errlen, "template %s: %s", path, strerror(errno));
		return -1;
	}
	if (split_base(out_base, dir, sizeof(dir), base, sizeof(base))) {
		snprintf(err, errlen, "cannot draw into %s: %s", out_base, strerror(errno));
		return -1;
	}
	snprintf(script, sizeof(script), "%s.gp.tmp", base);
	snprintf(path, sizeof(path), "%s.gp.tmp", out_base);
	if (write_script(path, tpl, template_name, vars, base, err, errlen)) {
		rc = disk_or_not(dir);
		unlink(path);
		return rc;
	}
	for (size_t i = 0; i < NFORMATS; i++)
		if (!(pre[i] = pass_prelude(i, base))) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			goto out;
		}
	char *argv[] = { GNUPLOT, "-e", pre[0], script, "-e", pre[1], script, "-e",
			 "unset multiplot; set output", NULL };
	rc = run_gnuplot(argv, dir, &out);
	if (rc == -2 || rc == 127) {
		snprintf(err, errlen, MISSING_MSG);
	} else if (rc == -1) {
		snprintf(err, errlen, "cannot run gnuplot: %s", strerror(errno));
	} else if (out[0]) {
		telling_line(out, line, sizeof(line));
		snprintf(err, errlen, "gnuplot on %s: %s", template_name, line);
		rc = -1;
	} else if (rc != 0) {
		snprintf(err, errlen, "gnuplot on %s exited with status %d", template_name, rc);
	}
	for (size_t i = 0; rc == 0 && i < NFORMATS; i++) {
		snprintf(path, sizeof(path), "%s.%s.tmp", out_base, formats[i].ext);
		int whole = picture_state(path, formats[i].tail);
		if (whole != 1) {
			/* gnuplot does not say when its output could not be
			 * written: ask the disk whether that is why */
			char why[4300];
			if (res_dir_probe(dir, why, sizeof(why)) == 0)
				why[0] = 0;
			else
				disk = 1;
			snprintf(err, errlen, "gnuplot on %s wrote %s %s picture%s%.600s", template_name,
				 whole == 0 ? "no" : "a cut-short", formats[i].ext, why[0] ? ": " : "", why);
			rc = -1;
		}
	}
	for (size_t i = 0; rc == 0 && i <= NFORMATS; i++) {
		const char *ext = i < NFORMATS ? formats[i].ext : "gp";
		snprintf(path, sizeof(path), "%s.%s.tmp", out_base, ext);
		snprintf(to, sizeof(to), "%s.%s", out_base, ext);
		if (rename(path, to) != 0) {
			snprintf(err, errlen, "cannot rename %s: %s", path, strerror(errno));
			unlink_outputs(out_base, "");
			rc = -1;
		}
	}
out:
	free(out);
	for (size_t i = 0; i < NFORMATS; i++)
		free(pre[i]);
	if (rc != 0) {
		/* asked before the cut-short files go, which would give the disk
		 * room again */
		rc = disk ? PLOT_EDISK : disk_or_not(dir);
		unlink_outputs(out_base, ".tmp");
		return rc;
	}
	return 0;
}
