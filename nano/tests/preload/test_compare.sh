#!/bin/sh
# Run a test program of this folder without and with the preload: both runs
# must exit 0 and print the same on stdout, and every process of the
# preloaded run (children included) must show nano serving >= 90% of its
# requests of 256 bytes or less (unless NOSHARE=1: a program that makes
# aligned requests on purpose, which v1 always leaves to glibc; the front in
# effect is checked either way).
#   test_compare.sh PRELOAD LABEL NANO_ARG PROGRAM [ARGS...]
# NANO_ARG is appended to ARGS in the preloaded run only ('-' for none), so
# that a program can check nano-specific facts there.
PRELOAD=$1
LABEL=$2
NANO_ARG=$3
shift 3
. "$(dirname "$0")/lib.sh"
setup
need_file "$PRELOAD" "libnano_preload.so"

"$@" > "$T/plain.txt" 2> "$T/plain.err" || { cat "$T/plain.err" >&2; fail "$LABEL without the preload exited $?"; }
if [ "$NANO_ARG" = - ]; then
	with_nano "$@" > "$T/nano.txt" 2> "$T/nano.err"
else
	with_nano "$@" "$NANO_ARG" > "$T/nano.txt" 2> "$T/nano.err"
fi
rc=$?
strip_stats "$T/nano.err" >&2
[ $rc -eq 0 ] || fail "$LABEL with the preload exited $rc"
grep -q '^nano: \(warning\|.*aborting\)' "$T/nano.err" && fail "$LABEL: nano complained on stderr"
same "$T/plain.txt" "$T/nano.txt" "$LABEL"
if [ "${NOSHARE:-0}" = 1 ]; then
	check_front "$T/nano.err" "$LABEL"
else
	check_share "$T/nano.err" "$LABEL"
fi
cat "$T/nano.txt"
note "PASS: $LABEL"
