#!/bin/sh
# sort on a generated file of 1e6 lines, with and without the preload: the
# outputs must be identical and nano must serve >= 90% of sort's requests of
# 256 bytes or less. (sort keeps its lines in one large buffer, so it makes
# few small requests; the test log shows how many.)
#   test_sort.sh PRELOAD SORT
PRELOAD=$1
SORT=$2
. "$(dirname "$0")/lib.sh"
setup
need_file "$PRELOAD" "libnano_preload.so"

# 1e6 deterministic lines: a MINSTD sequence (exact in awk's doubles).
awk 'BEGIN { x = 12345
	for (i = 0; i < 1000000; i++) {
		x = (x * 48271) % 2147483647
		printf "%08x %d w%d\n", x, x % 977, i % 100003
	} }' > "$T/in.txt" || fail "generating the input"

for args in "" "-k2,2n -k3,3"; do
	# shellcheck disable=SC2086
	LC_ALL=C "$SORT" $args "$T/in.txt" > "$T/plain.txt" || fail "sort $args without the preload"
	# shellcheck disable=SC2086
	LC_ALL=C with_nano "$SORT" $args "$T/in.txt" > "$T/nano.txt" 2> "$T/err.txt" \
		|| { cat "$T/err.txt" >&2; fail "sort $args with the preload exited $?"; }
	[ "$(wc -l < "$T/nano.txt")" -eq 1000000 ] || fail "sort $args: not 1e6 lines"
	same "$T/plain.txt" "$T/nano.txt" "sort ${args:-(whole lines)}"
	check_share "$T/err.txt" "sort ${args:-(whole lines)}"
done
note "PASS: sort"
