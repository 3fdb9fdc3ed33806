#!/bin/sh
# instructions.sh - instructions per malloc+free pair, statistics on and off.
#
#   sh nano/bench/instructions.sh BUILD_DIR [SIZE]
#
# Two independent counts of the same N pairs (nano_bench --count, see
# nano_bench.c), for the floor (bare double-width CAS pop+push), nano and
# glibc, in loop and batch mode, with nano_bench (statistics compiled in) and
# nano_bench_nostats (compiled out):
#   callgrind  valgrind --tool=callgrind --toggle-collect=bench_count_pairs:
#              exact, but valgrind disables rseq, so the zone reads its CPU
#              with sched_getcpu() there (once per malloc, and once more per
#              free when statistics count remote frees): this inflates nano's
#              count, and the statistics' share of it.
#   native     nano_bench --tf: the same pairs single-stepped with the x86 trap
#              flag in the real process, rseq working (slow: ~10 us a step on
#              a VM, so fewer pairs).
# Both subtract nothing but the call into the loop: the loop itself (counter,
# the touch, the escape) is in every figure, including the floor's.
set -eu
build=${1:?usage: instructions.sh BUILD_DIR [SIZE]}
size=${2:-64}
cg_pairs=100000
tf_pairs=2000
bins="nano_bench nano_bench_nostats"

command -v valgrind >/dev/null 2>&1 || { echo "instructions.sh: valgrind not found" >&2; exit 2; }
for b in $bins; do
	[ -x "$build/nano/bench/$b" ] || { echo "instructions.sh: $build/nano/bench/$b not built" >&2; exit 2; }
done

cg() {   # binary alloc mode -> instructions per pair under callgrind
	out=$(valgrind --tool=callgrind --toggle-collect=bench_count_pairs \
		--callgrind-out-file=/dev/null "$build/nano/bench/$1" \
		--count $cg_pairs --alloc "$2" --mode "$3" --size "$size" 2>&1 >/dev/null |
		sed -n 's/.*Collected : *\([0-9]*\).*/\1/p')
	awk -v n="$out" -v p=$cg_pairs 'BEGIN { printf "%.1f", n / p }'
}

tf() {   # binary alloc mode -> instructions per pair, single-stepped natively
	"$build/nano/bench/$1" --count $tf_pairs --tf --alloc "$2" --mode "$3" --size "$size" |
		sed -n 's/.*: \([0-9.]*\) instructions per pair.*/\1/p' |
		awk '{ printf "%.1f", $1 }'
}

echo "instructions per malloc+free pair, size $size (callgrind: $cg_pairs pairs; native: $tf_pairs pairs)"
printf '%-6s %-6s %14s %14s %10s %14s %14s %10s\n' mode alloc \
	"cg stats" "cg nostats" "cg delta" "native stats" "native nost." "nat. delta"
for mode in loop batch; do
	for alloc in floor nano glibc; do
		c1=$(cg nano_bench $alloc $mode)
		c0=$(cg nano_bench_nostats $alloc $mode)
		t1=$(tf nano_bench $alloc $mode)
		t0=$(tf nano_bench_nostats $alloc $mode)
		awk -v m=$mode -v a=$alloc -v c1="$c1" -v c0="$c0" -v t1="$t1" -v t0="$t0" 'BEGIN {
			printf "%-6s %-6s %14.1f %14.1f %+10.1f %14.1f %14.1f %+10.1f\n",
			       m, a, c1, c0, c1 - c0, t1, t0, t1 - t0 }'
	done
done
