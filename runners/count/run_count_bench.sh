#!/bin/sh
# run_count_bench.sh BENCH BUILD_DIR [ROUNDS] - what the counting libraries
# of program cells cost per allocator call.
#
#   BENCH      nano/bench/preload's preload_bench (malloc+free pairs through
#              whatever malloc the process has)
#   BUILD_DIR  the build folder (libnanobench_count.so, libnanobench_glibc.so,
#              libnano_preload.so)
#   ROUNDS     default 5
#   environment: BENCH_CPU (default: the last CPU this process may use),
#                BENCH_LIBDIR (jemalloc, mimalloc, tcmalloc; default
#                /usr/lib/x86_64-linux-gnu), BENCH_PAIRS (default 200000)
#
# Every round runs each allocator twice, as the matrix would without the
# counting library and as a program cell runs it (glibc: no preload, then
# libnanobench_glibc.so; the others: the allocator, then
# libnanobench_count.so ahead of it), interleaved (A A' B B' ...), pinned
# to one CPU. The table: per allocator, pattern (loop: malloc, touch, free;
# batch: 1000 mallocs then 1000 frees) and 64 bytes, the median over rounds
# of ns per pair alone and counted, and the median of the per-round
# difference divided by 2: what one call costs more when it is counted.
set -u
BENCH=$1
BUILD=$2
ROUNDS=${3:-5}
LIBDIR=${BENCH_LIBDIR:-/usr/lib/x86_64-linux-gnu}
PAIRS=${BENCH_PAIRS:-200000}
COUNT=$BUILD/runners/count/libnanobench_count.so
FORWARD=$BUILD/runners/count/libnanobench_glibc.so
NANO=$BUILD/nano/libnano_preload.so

for f in "$BENCH" "$COUNT" "$FORWARD" "$NANO"; do
	[ -e "$f" ] || { echo "run_count_bench: '$f' is missing (build first: meson compile)" >&2; exit 2; }
done
if [ -z "${BENCH_CPU:-}" ]; then
	BENCH_CPU=$(taskset -pc $$ 2>/dev/null | sed 's/.*: //; s/.*[,-]//')
	[ -n "$BENCH_CPU" ] || BENCH_CPU=0
fi
unset LD_PRELOAD NANO_FRONT NANOBENCH_ALLOC_REPORT MALLOC_CONF GLIBC_TUNABLES 2>/dev/null || true

# name|LD_PRELOAD alone|LD_PRELOAD counted|NANO_FRONT
ALLOCS="glibc||$FORWARD|v1
jemalloc|$LIBDIR/libjemalloc.so.2|$COUNT:$LIBDIR/libjemalloc.so.2|v1
mimalloc|$LIBDIR/libmimalloc.so.2|$COUNT:$LIBDIR/libmimalloc.so.2|v1
tcmalloc|$LIBDIR/libtcmalloc.so.4|$COUNT:$LIBDIR/libtcmalloc.so.4|v1
nano|$NANO|$COUNT:$NANO|v1
nano-rseq|$NANO|$COUNT:$NANO|rseq"

T=$(mktemp -d "${TMPDIR:-/tmp}/nb_count_bench.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
: > "$T/all.txt"
echo "run_count_bench: $ROUNDS rounds, $PAIRS pairs, 64 bytes, CPU $BENCH_CPU" >&2

one() {   # one ROUND NAME VARIANT PRELOAD FRONT
	env LD_PRELOAD="$4" NANO_FRONT="$5" taskset -c "$BENCH_CPU" "$BENCH" --pairs "$PAIRS" \
		--reps 7 --sizes 64 > "$T/run.txt" || { echo "run_count_bench: $2 ($3) failed" >&2; exit 1; }
	sed -n "s/^bench api=malloc /$1 $2 $3 /p" "$T/run.txt" >> "$T/all.txt"
}

round=1
while [ "$round" -le "$ROUNDS" ]; do
	echo "$ALLOCS" | while IFS='|' read -r name plain counted front; do
		if [ -n "$plain" ] && [ ! -e "$plain" ]; then
			[ "$round" -eq 1 ] && echo "run_count_bench: $name not installed ($plain); skipped" >&2
			continue
		fi
		one "$round" "$name" plain "$plain" "$front"
		one "$round" "$name" counted "$counted" "$front"
	done || exit 1
	round=$((round + 1))
done

# all.txt: ROUND NAME plain|counted mode=M size=S ns=X
python3 - "$T/all.txt" <<'PY'
import statistics, sys
ns, order = {}, []
for line in open(sys.argv[1]):
    rnd, name, how, *kv = line.split()
    f = dict(x.split("=") for x in kv)
    key = (name, f["mode"])
    if key not in order:
        order.append(key)
    ns[(rnd, key, how)] = float(f["ns"])
print("%-10s %-6s %13s %9s %13s" % ("allocator", "mode", "alone ns/pair", "counted", "+ns per call"))
for key in order:
    rounds = [r for (r, k, h) in ns if k == key and h == "plain" and (r, k, "counted") in ns]
    if not rounds:
        continue
    alone = [ns[(r, key, "plain")] for r in rounds]
    counted = [ns[(r, key, "counted")] for r in rounds]
    extra = [(c - a) / 2 for a, c in zip(alone, counted)]
    print("%-10s %-6s %13.2f %9.2f %+13.2f" % (key[0], key[1], statistics.median(alone),
          statistics.median(counted), statistics.median(extra)))
PY
