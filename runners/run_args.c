/*
 * run_args.c - reading a subcommand's command line (see run_args.h).
 *
 * getopt_long does the reading; what it refuses is reworded here from the
 * argument it stopped at, because its own messages (opterr) are two lines
 * in a format of its own, and a refusal here is one line naming the value.
 */
#include "run_args.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void run_args_begin(struct run_args *a, const char *who, int argc, char **argv,
		    const struct option *opts)
{
	memset(a, 0, sizeof(*a));
	a->who = who;
	a->argc = argc;
	a->argv = argv;
	a->opts = opts;
	snprintf(a->hint, sizeof(a->hint), "(see nanobench %s --help)", who);
	optind = 0;           /* glibc: start over, whatever was parsed before */
	opterr = 0;
}

/* Long options whose name starts with the len characters of name: how
 * many, and the last one (its index). */
static int matches(const struct option *opts, const char *name, size_t len, int *last)
{
	int n = 0;
	for (int i = 0; opts[i].name; i++) {
		if (strncmp(opts[i].name, name, len))
			continue;
		if (strlen(opts[i].name) == len) {
			*last = i;
			return 1;     /* an exact name is never ambiguous */
		}
		*last = i;
		n++;
	}
	return n;
}

/* The message for what getopt_long refused: text is the argument it
 * stopped at. */
static void refused(struct run_args *a, int c, const char *text)
{
	if (text[0] != '-' || text[1] != '-') {
		snprintf(a->err, sizeof(a->err), "unknown option '-%c' %s", optopt ? optopt : '?',
			 a->hint);
		return;
	}
	if (c == ':') {
		snprintf(a->err, sizeof(a->err), "option '%s' needs a value", text);
		return;
	}
	const char *name = text + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	int at = -1, n = matches(a->opts, name, len, &at);
	if (n == 1 && eq && a->opts[at].has_arg == no_argument)
		snprintf(a->err, sizeof(a->err), "option '--%s' takes no value (given '%s')",
			 a->opts[at].name, text);
	else if (n > 1)
		snprintf(a->err, sizeof(a->err), "option '%.*s' is ambiguous %s", (int)(len + 2), text,
			 a->hint);
	else
		snprintf(a->err, sizeof(a->err), "unknown option '%.*s' %s", (int)(len + 2), text,
			 a->hint);
}

int run_args_next(struct run_args *a)
{
	int idx = -1;
	int c = getopt_long(a->argc, a->argv, ":h", a->opts, &idx);

	a->val = optarg;
	a->opt = NULL;
	if (c == -1)
		return -1;
	if (c == '?' || c == ':') {
		refused(a, c, optind > 0 && optind <= a->argc ? a->argv[optind - 1] : "?");
		return '?';
	}
	a->opt = idx >= 0 ? a->opts[idx].name : "h";
	if (optarg && !*optarg) {
		/* a path, a name or a number: none of them is empty */
		snprintf(a->err, sizeof(a->err), "option '--%s' needs a value (it is empty)", a->opt);
		return '?';
	}
	return c;
}

int run_args_rest(const struct run_args *a, char ***rest)
{
	*rest = a->argv + optind;
	return a->argc - optind;
}

int run_args_fail(const char *who, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "nanobench %s: ", who);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}
