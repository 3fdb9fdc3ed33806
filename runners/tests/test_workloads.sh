#!/bin/bash
# test_workloads.sh MODE WORKLOAD THREADS [PARAMS...]
#   MODE count: at tiny scale with --ops N the cell passes and counts exactly N
#               calls (checked for two values of N)
#   MODE dup:   against the dup preload (hands out a live block twice) the cell
#               fails with exit status 1 and a verification message
#   MODE dupdata SIZE: the dup preload duplicating only SIZE-byte requests
#               (xmalloc's batch arrays): a duplicate left in the queue at
#               the stop, which no consumer checks, fails at teardown. Whether
#               a run makes its duplicate depends on timing (the consumer may
#               free the first array first): every run that made one must
#               fail, and at least 3 of up to 20 must make one
#   MODE setup: a set-up that cannot get its memory (ulimit -v) is a failed
#               cell (exit 1, status failed, a message), never an ok one
#               that measured nothing
#   MODE rest:  a workload with rests (rptest's rest_ms): they are outside
#               wall_s and inside the process, and a timed run still measures
#               its whole duration
# Environment: NB (nanobench), DUP (the dup preload library).
. "$(dirname "$0")/cli_lib.sh"
mode=$1 wl=$2 threads=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

case $mode in
count)
	for ops in 1000 4321; do
		"$NB" run "$wl" "$@" --threads "$threads" --ops $ops --csv --header >"$tmp/out" 2>"$tmp/err"
		rc=$?
		[ $rc -eq 0 ] || fail "$wl --ops $ops: exit $rc: $(cat "$tmp/err")"
		[ "$(column status "$tmp/out")" = ok ] || fail "$wl: status $(column status "$tmp/out")"
		[ "$(column total_ops "$tmp/out")" = $ops ] ||
			fail "$wl: total_ops $(column total_ops "$tmp/out"), expected $ops"
		[ -n "$(column peak_rss_kib "$tmp/out")" ] || fail "$wl: no peak_rss_kib"
	done
	;;
dup)
	ops=20000
	# linux-scalability writes nothing into its blocks, so only the blocks
	# on 1 page in 64 carry a tag: at 20000 calls a fifth of the runs saw
	# no duplicate there, at 200000 none of 240 (milliseconds still)
	case $wl in cache-*) ops=60000 ;; linux-scalability) ops=200000 ;; esac
	"$NB" run "$wl" "$@" --threads "$threads" --ops $ops \
		--allocator "dup=$DUP" --setenv DUP_AFTER=50 --csv --header >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 1 ] || fail "$wl against the dup preload: exit $rc, expected 1 ($(cat "$tmp/err"))"
	grep -q "verification failed" "$tmp/err" || fail "$wl: no verification message: $(cat "$tmp/err")"
	[ "$(column status "$tmp/out")" = failed ] || fail "$wl: record status not failed"
	;;
dupdata)
	size=$1
	shift
	# the 2nd array is the 1st again: the consumer takes the 2nd (the queue
	# is a stack), the run stops after its 16 frees, the 1st stays queued
	made=0
	for seed in $(seq 1 20); do
		"$NB" run "$wl" "$@" --threads "$threads" --seed $seed --allocator "dup=$DUP" \
			--setenv DUP_SIZE="$size" --setenv DUP_AFTER=0 --setenv DUP_EVERY=2 \
			--setenv DUP_REPORT=1 --csv --header >"$tmp/out" 2>"$tmp/err"
		rc=$?
		grep -q "^dup_preload: [1-9]" "$tmp/err" || continue
		made=$((made + 1))
		[ $rc -eq 1 ] && grep -q "verification failed" "$tmp/err" ||
			fail "$wl seed $seed, a duplicated data block: exit $rc ($(cat "$tmp/err"))"
		[ $made -lt 3 ] || break
	done
	[ $made -ge 3 ] || fail "$wl: only $made of 20 runs made a duplicate"
	;;
setup)
	(ulimit -v 400000 && exec "$NB" run "$wl" "$@" --threads "$threads" --ops 1000 --csv --header) \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 1 ] || fail "$wl with a set-up out of memory: exit $rc, expected 1 ($(cat "$tmp/err"))"
	[ "$(column status "$tmp/out")" = failed ] || fail "$wl: record status $(column status "$tmp/out")"
	grep -q "the set-up failed" "$tmp/err" || fail "$wl: no set-up message: $(cat "$tmp/err")"
	;;
rest)
	# natural length: 2 rounds, each 1 rest at its start and 1 after each
	# of its 2 passes' loops, 6 in all; nanosleep sleeps at least that long
	t0=$(date +%s.%N)
	"$NB" run "$wl" "$@" --threads "$threads" --rest_ms 300 --csv --header >"$tmp/out" 2>"$tmp/err" ||
		fail "$wl with rests: exit $?: $(cat "$tmp/err")"
	t1=$(date +%s.%N)
	[ "$(column status "$tmp/out")" = ok ] || fail "$wl: status $(column status "$tmp/out")"
	wall=$(column wall_s "$tmp/out") rest=$(column rest_s "$tmp/out")
	awk -v w="$wall" -v r="$rest" -v t0="$t0" -v t1="$t1" 'BEGIN {
		exit !(r >= 1.8 && w > 0 && w < r && w + r <= t1 - t0) }' ||
		fail "$wl: wall_s $wall, rest_s $rest (6 rests of 0.3 s), process $t0 .. $t1"
	# timed: the deadline moves by the rests, so the measured time is the
	# whole duration, however many rests fell inside it (longer passes, so
	# that they are a few dozen)
	"$NB" run "$wl" "$@" --loops 5000 --threads "$threads" --rest_ms 20 --duration 0.3 --csv --header \
		>"$tmp/out" 2>"$tmp/err" || fail "$wl timed with rests: exit $?: $(cat "$tmp/err")"
	wall=$(column wall_s "$tmp/out") rest=$(column rest_s "$tmp/out")
	awk -v w="$wall" -v r="$rest" 'BEGIN { exit !(w >= 0.3 && r >= 0.02) }' ||
		fail "$wl timed: wall_s $wall (at least the 0.3 s asked), rest_s $rest"
	# and no rest at all with rest_ms 0
	"$NB" run "$wl" "$@" --threads "$threads" --rest_ms 0 --csv --header >"$tmp/out" 2>"$tmp/err" ||
		fail "$wl without rests: exit $?: $(cat "$tmp/err")"
	[ "$(column rest_s "$tmp/out")" = 0.000 ] || fail "$wl: rest_s $(column rest_s "$tmp/out") with rest_ms 0"
	;;
*)
	fail "unknown mode $mode"
	;;
esac
finish
