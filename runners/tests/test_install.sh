#!/bin/bash
# test_install.sh: `meson install` into a scratch folder puts nanobench, its
# man page and its bash completion in place; the installed binary reports
# the version it was built as and finds its presets; the man page holds
# every subcommand's --help; the completion offers subcommands, options,
# presets and workloads by asking the installed binary.
. "$(dirname "$0")/cli_lib.sh"
MESON=${MESON:?MESON must name meson}
BUILD=${BUILD:?BUILD must name the build folder}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$MESON" install -C "$BUILD" --no-rebuild --destdir "$tmp/root" --quiet >"$tmp/log" 2>&1 ||
	{ fail "meson install: $(tail -3 "$tmp/log")"; finish; }
bin=$(find "$tmp/root" -path '*/bin/nanobench' -type f | head -1)
man=$(find "$tmp/root" -path '*/man1/nanobench.1' -type f | head -1)
comp=$(find "$tmp/root" -path '*/bash-completion/completions/nanobench' -type f | head -1)
[ -x "$bin" ] || fail "no bin/nanobench installed"
[ -s "$man" ] || fail "no share/man/man1/nanobench.1 installed"
[ -s "$comp" ] || fail "no share/bash-completion/completions/nanobench installed"
[ -x "$bin" ] && [ -s "$man" ] && [ -s "$comp" ] || finish

# --version: the project version, the commit, clean or dirty; the same as
# the build tree's binary
v=$("$bin" --version) || fail "installed --version exit $?"
echo "$v" | grep -Eq '^nanobench [0-9]+\.[0-9]+\.[0-9]+, commit [^ ]+ \((clean tree|dirty: .*|not built from a git tree)\)$' ||
	fail "--version says '$v'"
[ "$v" = "$("$NB" --version)" ] || fail "installed and built --version differ"
"$bin" --version extra 2>/dev/null && fail "--version with an argument accepted"
"$bin" matrix --preset quick --dry-run >/dev/null 2>"$tmp/err" || fail "installed binary: quick preset: $(cat "$tmp/err")"

# the man page: every subcommand, with its own --help text
subs=$("$bin" --help | sed -n '/^subcommands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
[ "$(echo "$subs" | wc -w)" -ge 7 ] || fail "subcommands from --help: $subs"
for s in $subs; do
	grep -q "^\.SH \"NANOBENCH ${s^^}\"" "$man" || fail "man page lacks a section for $s"
	first=$("$bin" "$s" --help | head -1 | sed 's/-/\\-/g')
	grep -qF "$first" "$man" || fail "man page lacks $s's usage line: $first"
done
grep -qF "$(echo "$v" | sed 's/-/\\-/g')" "$man" || fail "man page lacks the version line"
if command -v man >/dev/null; then
	MANWIDTH=80 man -l "$man" 2>"$tmp/manerr" >"$tmp/man.txt" || fail "man -l: $(cat "$tmp/manerr")"
	grep -q "NANOBENCH MATRIX" "$tmp/man.txt" || fail "man -l shows no matrix section"
fi

# the completion, run as bash would, against the installed binary
PATH=$(dirname "$bin"):$PATH bash -c '
. "$1"
t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _nanobench; echo "${COMPREPLY[*]}"; }
[ "$(t nanobench "")" = "run topo matrix plot tune compare merge --help --version" ] || exit 11
[ "$(t nanobench mat)" = matrix ] || exit 12
t nanobench matrix --preset "" | grep -qw quick || exit 13
t nanobench run "" | grep -qw xmalloc || exit 14
# the workloads and nothing else (not the words of the prose above the list):
# each word offered is one that `run WORD --help` takes
n=0
for w in $(t nanobench run ""); do
	nanobench run "$w" --help > /dev/null 2>&1 || exit 17
	n=$((n + 1))
done
[ $n -ge 11 ] || exit 18
[ "$(t nanobench run xmalloc --thr)" = --threads ] || exit 15
t nanobench run xmalloc --allocator "" | grep -qw scudo || exit 16
' _ "$comp" || fail "completion check $? failed (see the numbered step)"

# the library as the README shows it: #include <nano/nano.h>, flags from
# pkg-config, whatever the prefix (here the scratch folder's)
pc=$(find "$tmp/root" -name nano.pc | head -1)
if [ -z "$pc" ]; then
	fail "no nano.pc installed"
elif ! command -v pkg-config > /dev/null || ! command -v cc > /dev/null; then
	echo "note: no pkg-config or cc here: the program using nano/nano.h is not built"
else
	prefix=$(sed -n 's/^prefix=//p' "$pc")
	flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --define-variable=prefix="$tmp/root$prefix" \
		--cflags --libs nano) || fail "pkg-config nano: exit $?"
	printf '#include <nano/nano.h>\nint main(void) { void *p = nano_malloc(24); nano_free(p); return !p; }\n' \
		> "$tmp/use.c"
	# shellcheck disable=SC2086
	if cc "$tmp/use.c" $flags -o "$tmp/use" 2> "$tmp/ccerr"; then
		LD_LIBRARY_PATH=$(dirname "$(find "$tmp/root" -name 'libnano.so*' | head -1)") "$tmp/use" ||
			fail "the program linked against the installed libnano: exit $?"
	else
		fail "a program using nano/nano.h: $(head -n 3 "$tmp/ccerr")"
	fi
fi
finish
