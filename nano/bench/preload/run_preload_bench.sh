#!/bin/sh
# run_preload_bench.sh - malloc+free through LD_PRELOAD of each allocator.
#
#   run_preload_bench.sh BENCH PRELOAD [ROUNDS]
#     BENCH    the preload_bench binary
#     PRELOAD  libnano_preload.so
#     ROUNDS   rounds (default 5)
#   environment: BENCH_CPU (default: the last CPU this process may use),
#                BENCH_LIBDIR (where jemalloc, mimalloc and tcmalloc are;
#                default /usr/lib/x86_64-linux-gnu),
#                BENCH_PAIRS (default 200000), BENCH_REPS (default 11),
#                BENCH_SIZES (default 16,64,128,256),
#                BENCH_FLOOR, BENCH_FLOOR_LIST (libbench_floor.so,
#                libbench_floor_list.so; default: beside BENCH)
#
# Every round runs glibc (no preload), jemalloc, mimalloc, tcmalloc, nano,
# nano-rseq (the same preload with NANO_FRONT=rseq) and the two floors (a
# LIFO with no checks, as an array stack and as a linked list: what is left
# of a pair's time to any allocator, bench_floor.c) once each, in that order
# (A B C D E F G H A B C D E F G H ...), pinned to one CPU with
# taskset, so that drift of the machine hits all of them alike. The nano run
# also measures nano's direct API (nano_malloc/nano_free of a statically
# linked libnano) in the same process. A run whose malloc does not come from
# the allocator it was meant to preload is an error, never a glibc number.
#
# The tables: per pattern and size, the fastest and slowest round ("*" when
# they differ by more than 25%: an allocator whose processes land in one of
# two speeds shows here), the median over rounds of the best-of-REPS ns per pair,
# the median over rounds of the ratio to glibc's time in the same round, and
# for nano the median of the per-round difference "through the preload minus
# direct" (goal: within 1.5 ns), and nano-rseq's and the floor's time over
# the best of jemalloc, mimalloc and tcmalloc in the same round (nano-rseq's
# goal: at most 0.9). The floor is, per round, the faster of the two
# floors (neither is the faster in both patterns); its ratio is the lowest
# reachable.
# A nano-rseq run whose front fell back to v1 is refused.
set -u
BENCH=$1
PRELOAD=$2
ROUNDS=${3:-5}
LIBDIR=${BENCH_LIBDIR:-/usr/lib/x86_64-linux-gnu}
PAIRS=${BENCH_PAIRS:-200000}
REPS=${BENCH_REPS:-11}
SIZES=${BENCH_SIZES:-16,64,128,256}
FLOOR=${BENCH_FLOOR:-$(dirname "$BENCH")/libbench_floor.so}
FLOOR_LIST=${BENCH_FLOOR_LIST:-$(dirname "$BENCH")/libbench_floor_list.so}

[ -x "$BENCH" ] || { echo "run_preload_bench: '$BENCH' is not an executable" >&2; exit 2; }
[ -e "$PRELOAD" ] || { echo "run_preload_bench: no preload at '$PRELOAD'" >&2; exit 2; }
case $PRELOAD in /*) ;; *) PRELOAD=$(pwd)/$PRELOAD ;; esac
if [ -z "${BENCH_CPU:-}" ]; then
	BENCH_CPU=$(taskset -pc $$ 2>/dev/null | sed 's/.*: //; s/.*[,-]//')
	[ -n "$BENCH_CPU" ] || BENCH_CPU=0
fi

unset LD_PRELOAD NANO_HYPER_SHIFT NANO_MAX_MAGAZINES NANO_MAG_MAP NANO_BAND_BITS NANO_PROFILE \
	NANO_STATS MALLOC_CONF MIMALLOC_SHOW_STATS GLIBC_TUNABLES MALLOC_PERTURB_ 2>/dev/null || true

# name:library:expected dladdr name ('' = no preload)
ALLOCS="glibc::libc.so.6
jemalloc:$LIBDIR/libjemalloc.so.2:libjemalloc.so.2
mimalloc:$LIBDIR/libmimalloc.so.2:libmimalloc.so.2
tcmalloc:$LIBDIR/libtcmalloc.so.4:libtcmalloc.so.4
nano:$PRELOAD:libnano_preload.so
nano-rseq:$PRELOAD:libnano_preload.so
floor-stack:$FLOOR:libbench_floor.so
floor-list:$FLOOR_LIST:libbench_floor_list.so"

T=$(mktemp -d "${TMPDIR:-/tmp}/nano_preload_bench.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
: > "$T/all.txt"

echo "preload_bench: $ROUNDS rounds, $PAIRS pairs x $REPS reps per cell, CPU $BENCH_CPU, sizes $SIZES" >&2
round=1
while [ "$round" -le "$ROUNDS" ]; do
	echo "$ALLOCS" | while IFS=: read -r name lib expect; do
		if [ -n "$lib" ] && [ ! -e "$lib" ]; then
			[ "$round" -eq 1 ] && echo "run_preload_bench: $name not installed ($lib); skipped" >&2
			continue
		fi
		extra=
		front=v1
		[ "$name" = nano ] && extra=--direct
		[ "$name" = nano-rseq ] && front=rseq
		env LD_PRELOAD="$lib" NANO_FRONT=$front taskset -c "$BENCH_CPU" "$BENCH" $extra --pairs "$PAIRS" \
			--reps "$REPS" --sizes "$SIZES" > "$T/run.txt" || {
			echo "run_preload_bench: $name failed" >&2
			exit 1
		}
		got=$(sed -n 's/^malloc_from //p' "$T/run.txt")
		if [ "$got" != "$expect" ]; then
			echo "run_preload_bench: $name: malloc comes from '$got', expected '$expect'; refusing the run" >&2
			exit 1
		fi
		case $name in nano*)
			got=$(sed -n 's/^nano_front //p' "$T/run.txt")
			if [ "$got" != "$front" ]; then
				echo "run_preload_bench: $name: the nano front in effect is '$got', expected '$front'; refusing the run" >&2
				exit 1
			fi
		esac
		sed -n "s/^bench /$round $name /p" "$T/run.txt" >> "$T/all.txt"
	done || exit 1
	printf '  round %d/%d done\n' "$round" "$ROUNDS" >&2
	round=$((round + 1))
done

# all.txt: ROUND ALLOC api=A mode=M size=S ns=X
awk '
# the same-round ratios of one allocator to the best of the three baselines
function to_best(name, cell,    q, rd, best, bl, b) {
	q = ""
	for (rd in rounds) {
		if (!((name, cell, rd) in ns)) continue
		best = ""
		split("jemalloc mimalloc tcmalloc", bl, " ")
		for (b = 1; b <= 3; b++)
			if (((bl[b], cell, rd) in ns) && (best == "" || ns[bl[b], cell, rd] + 0 < best + 0))
				best = ns[bl[b], cell, rd]
		if (best != "" && best > 0) q = q " " ns[name, cell, rd] / best
	}
	return q
}
# the fastest and the slowest round, "*" when they differ by more than 25%
# (the max/min bound that docs/results.md calls unstable)
function spread(list,    n, a, i, lo, hi) {
	n = split(list, a, " ")
	lo = hi = a[1] + 0
	for (i = 2; i <= n; i++) { if (a[i] + 0 < lo) lo = a[i] + 0; if (a[i] + 0 > hi) hi = a[i] + 0 }
	return sprintf("%.2f..%.2f%s", lo, hi, lo > 0 && hi / lo > 1.25 ? "*" : " ")
}
function median(list,    n, a, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	round = $1; alloc = $2
	for (i = 3; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	name = f["api"] == "direct" ? "nano-direct" : alloc
	cell = f["mode"] " " f["size"]
	ns[name, cell, round] = f["ns"]
	if (!(cell in seen_cell)) { seen_cell[cell] = 1; cells[++ncells] = cell }
	if (!(name in seen_name)) { seen_name[name] = 1; names[++nnames] = name }
	rounds[round] = 1
	# the floor: per round, the faster of the two floors
	if (name ~ /^floor-/ && (!(("floor", cell, round) in ns) || f["ns"] + 0 < ns["floor", cell, round] + 0))
		ns["floor", cell, round] = f["ns"]
}
END {
	for (c = 1; c <= ncells; c++) {
		cell = cells[c]; split(cell, cs, " ")
		printf "\n%s, %s bytes: ns per malloc+free pair (median of rounds), ratio to glibc (median of same-round ratios)\n", cs[1], cs[2]
		printf "  %-30s %15s %10s %10s\n", "allocator", "rounds", "ns/pair", "x glibc"
		for (k = 1; k <= nnames + 1; k++) {
			name = k <= nnames ? names[k] : "floor"; v = ""; r = ""
			for (rd in rounds) if ((name, cell, rd) in ns) {
				v = v " " ns[name, cell, rd]
				if ((("glibc", cell, rd) in ns) && ns["glibc", cell, rd] > 0)
					r = r " " ns[name, cell, rd] / ns["glibc", cell, rd]
			}
			if (v == "") continue
			label = name == "nano" ? "nano (preload)" : name == "nano-direct" ? "nano direct API (same run)" : name == "floor" ? "floor (the faster of the two)" : name == "floor-stack" ? "floor, array stack" : name == "floor-list" ? "floor, linked list" : name
			printf "  %-30s %15s %10.2f %10s\n", label, spread(v), median(v), r == "" ? "-" : sprintf("%.2f", median(r))
		}
		d = ""
		for (rd in rounds) if ((("nano", cell, rd) in ns) && (("nano-direct", cell, rd) in ns))
			d = d " " ns["nano", cell, rd] - ns["nano-direct", cell, rd]
		if (d != "") {
			m = median(d)
			printf "  nano preload - direct: %+.2f ns (median of per-round differences; goal <= 1.5 ns: %s)\n", m, m <= 1.5 ? "met" : "NOT met"
		}
		q = to_best("nano-rseq", cell)
		if (q != "") {
			m = median(q)
			printf "  nano-rseq / best of jemalloc, mimalloc, tcmalloc: %.2f (median of same-round ratios; goal <= 0.9: %s)\n", m, m <= 0.9 ? "met" : "NOT met"
		}
		q = to_best("floor", cell)
		if (q != "")
			printf "  floor / best of jemalloc, mimalloc, tcmalloc: %.2f (the lowest ratio the pattern allows)\n", median(q)
	}
}' "$T/all.txt"
