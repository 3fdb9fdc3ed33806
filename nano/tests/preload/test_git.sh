#!/bin/sh
# git init, add, commit, log and cat-file on a temporary repository, with and
# without the preload (author, committer, dates and HOME fixed, so commit
# hashes are deterministic): identical outputs, and every git process serves
# >= 90% of its requests of 256 bytes or less from nano.
#   test_git.sh PRELOAD GIT
PRELOAD=$1
GIT=$2
. "$(dirname "$0")/lib.sh"
setup
need_file "$PRELOAD" "libnano_preload.so"

export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME="Nano Tester" GIT_AUTHOR_EMAIL="nano@example.org" \
	GIT_COMMITTER_NAME="Nano Tester" GIT_COMMITTER_EMAIL="nano@example.org" \
	GIT_AUTHOR_DATE="2020-01-02T03:04:05 +0000" GIT_COMMITTER_DATE="2020-01-02T03:04:05 +0000" \
	GIT_TERMINAL_PROMPT=0 LC_ALL=C TZ=UTC
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE 2>/dev/null || true

# session NAME RUNNER: the whole git session in $T/NAME, stdout of every
# command into $T/NAME.out, stderr into $T/NAME.err.
session() {
	d="$T/$1"
	run=$2
	mkdir -p "$d/home" && cd "$d" || fail "mkdir"
	HOME="$d/home"
	export HOME
	{
		$run "$GIT" init -q -b main repo
		cd repo || exit 1
		i=0
		while [ $i -lt 300 ]; do
			mkdir -p "dir$((i % 7))"
			printf 'file %d\nline %d\n' "$i" "$((i * i))" > "dir$((i % 7))/f$i.txt"
			i=$((i + 1))
		done
		$run "$GIT" add -A
		$run "$GIT" commit -q -m "first commit"
		i=0
		while [ $i -lt 300 ]; do
			printf 'edit %d\n' "$i" >> "dir$((i % 7))/f$i.txt"
			i=$((i + 3))
		done
		$run "$GIT" rm -q dir1/f1.txt
		$run "$GIT" commit -q -a -m "second commit"
		$run "$GIT" log --format='%H %T %an <%ae> %ad %s' --stat
		$run "$GIT" cat-file -p HEAD
		$run "$GIT" cat-file -p 'HEAD^{tree}'
		$run "$GIT" ls-tree -r HEAD
		$run "$GIT" diff HEAD~1 HEAD
	} > "$T/$1.out" 2> "$T/$1.err" || { cat "$T/$1.err" >&2; fail "git session '$1' failed"; }
	cd "$T" || fail "cd"
}

session plain env
session nano with_nano
same "$T/plain.out" "$T/nano.out" "git"
[ "$(grep -c '^commit\|^[0-9a-f]\{40\} ' "$T/nano.out")" -ge 2 ] || fail "git: log shows no commits"
check_share "$T/nano.err" "git"
note "PASS: git ($(grep -c '^nano: served ' "$T/nano.err") git processes)"
