#!/bin/bash
# test_workloads.sh MODE WORKLOAD THREADS [PARAMS...]
#   MODE count: at tiny scale with --ops N the cell passes and counts exactly N
#               calls (checked for two values of N)
#   MODE dup:   against the dup preload (hands out a live block twice) the cell
#               fails with exit status 1 and a verification message
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
*)
	fail "unknown mode $mode"
	;;
esac
finish
