#!/bin/sh
# run_floor_bench.sh - the harness floor: what nanobench's measured loop
# costs on top of the allocator and the workload's own pattern.
#
#   run_floor_bench.sh NANOBENCH FLOOR_BARE BUMP_LIB [ROUNDS]
#     NANOBENCH   build/nanobench
#     FLOOR_BARE  the bare loop (floor_bare.c)
#     BUMP_LIB    libnanobench_bump.so
#     ROUNDS      rounds (default 7)
#   environment: BENCH_CPU (default: the last CPU this process may use),
#                BENCH_LIBDIR (where mimalloc is; default /usr/lib/x86_64-linux-gnu),
#                BENCH_OBJECTS (default 10000: the published threadtest's),
#                BENCH_ITERATIONS (default 3000: 60 million calls, about 0.3 s)
#
# For bump, glibc and mimalloc, each round measures, pinned to one CPU with
# taskset, in this order (a b a b a b, so drift hits all alike; one round
# before the first is run and thrown away, to warm the machine up):
#   a  floor_bare: Hoard threadtest's loop on one thread in plain C (OBJECTS
#      blocks of 64 bytes malloc'ed, every byte written, then freed in order;
#      ITERATIONS times), ns per call over the whole loop;
#   b  nanobench run threadtest --threads 1 --size-dist fixed:64 --cxx 0 with
#      the same objects and iterations (so the same calls, malloc and free, and
#      the same writes), ns per
#      call = 1e9 / ops_per_s, with the harness's verification and latency
#      sampling as in every cell (the record's verify and sample_every are
#      printed).
# The table: per allocator, the medians over rounds of a and b, and the
# median of the per-round differences b - a (the harness overhead). Goals:
# b - a <= 1.5 ns for every allocator, and b <= 3 ns with bump.
set -u
NB=$1
BARE=$2
BUMP=$3
ROUNDS=${4:-7}
LIBDIR=${BENCH_LIBDIR:-/usr/lib/x86_64-linux-gnu}
OBJECTS=${BENCH_OBJECTS:-10000}
ITERS=${BENCH_ITERATIONS:-3000}

for f in "$NB" "$BARE"; do
	[ -x "$f" ] || { echo "run_floor_bench: '$f' is not an executable" >&2; exit 2; }
done
[ -e "$BUMP" ] || { echo "run_floor_bench: no bump library at '$BUMP'" >&2; exit 2; }
case $BUMP in /*) ;; *) BUMP=$(pwd)/$BUMP ;; esac
if [ -z "${BENCH_CPU:-}" ]; then
	BENCH_CPU=$(taskset -pc $$ 2>/dev/null | sed 's/.*: //; s/.*[,-]//')
	[ -n "$BENCH_CPU" ] || BENCH_CPU=0
fi
unset LD_PRELOAD MALLOC_CONF MIMALLOC_SHOW_STATS GLIBC_TUNABLES MALLOC_PERTURB_ 2>/dev/null || true

# name:library for the bare loop:expected dladdr name:nanobench --allocator
ALLOCS="bump:$BUMP:libnanobench_bump.so:bump
glibc::libc.so.6:glibc
mimalloc:$LIBDIR/libmimalloc.so.2:libmimalloc.so.2:mimalloc"

T=$(mktemp -d "${TMPDIR:-/tmp}/nb_floor.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
: > "$T/all.txt"

# column NAME FILE: one column of a header+row CSV (no quoted commas needed:
# the columns read here are plain numbers and words)
column() {
	awk -F, -v want="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == want) c = i }
		NR == 2 && c { print $c }' "$2"
}

echo "floor: $ROUNDS rounds, threadtest --threads 1 --size-dist fixed:64 --objects $OBJECTS" \
	"--iterations $ITERS, CPU $BENCH_CPU" >&2
round=0
while [ "$round" -le "$ROUNDS" ]; do
	echo "$ALLOCS" | while IFS=: read -r name lib expect alloc; do
		if [ -n "$lib" ] && [ ! -e "$lib" ]; then
			[ "$round" -eq 0 ] && echo "run_floor_bench: $name not installed ($lib); skipped" >&2
			continue
		fi
		if ! env LD_PRELOAD="$lib" taskset -c "$BENCH_CPU" "$BARE" --objects "$OBJECTS" \
			--iterations "$ITERS" --size 64 > "$T/bare.txt"; then
			echo "run_floor_bench: the bare loop failed under $name" >&2
			exit 1
		fi
		from=$(sed -n 's/^malloc_from //p' "$T/bare.txt")
		case $from in */"$expect") ;; *)
			echo "run_floor_bench: $name: malloc is answered by '$from', not $expect; refusing the run" >&2
			exit 1
		esac
		a=$(sed -n 's/^bare ns_per_call=\([0-9.]*\).*/\1/p' "$T/bare.txt")
		taskset -c "$BENCH_CPU" "$NB" run threadtest --threads 1 --size-dist fixed:64 \
			--objects "$OBJECTS" --iterations "$ITERS" --cxx 0 --allocator "$alloc" \
			--csv --header > "$T/nb.csv" 2> "$T/nb.err" || {
			echo "run_floor_bench: nanobench failed under $name: $(cat "$T/nb.err")" >&2
			exit 1
		}
		b=$(awk -v x="$(column ops_per_s "$T/nb.csv")" 'BEGIN { printf "%.3f", 1e9 / x }')
		if [ "$round" -gt 0 ]; then
			echo "$round $name $a $b $(column verify "$T/nb.csv")" \
				"$(column sample_every "$T/nb.csv")" >> "$T/all.txt"
		fi
	done || exit 1
	if [ "$round" -gt 0 ]; then
		printf '  round %d/%d done\n' "$round" "$ROUNDS" >&2
	fi
	round=$((round + 1))
done

# all.txt: ROUND ALLOC A B VERIFY SAMPLE_EVERY
awk -v objects="$OBJECTS" -v iters="$ITERS" '
function median(list,    n, a, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	if (!($2 in seen)) { seen[$2] = 1; names[++n] = $2 }
	a[$2] = a[$2] " " $3; b[$2] = b[$2] " " $4; d[$2] = d[$2] " " ($4 - $3)
	verify = $5; every = $6
}
END {
	printf "\nharness floor: threadtest, 1 thread, 64-byte blocks, objects = %d, iterations = %d (verify = %s, sample_every = %s)\n", objects, iters, verify, every
	printf "ns per call, medians over rounds; b - a is the median of the per-round differences\n"
	printf "  %-10s %10s %12s %10s\n", "allocator", "a: bare C", "b: nanobench", "b - a"
	ok = 1
	for (k = 1; k <= n; k++) {
		x = names[k]; ma = median(a[x]); mb = median(b[x]); md = median(d[x])
		printf "  %-10s %10.2f %12.2f %+10.2f\n", x, ma, mb, md
		if (md > 1.5) ok = 0
		if (x == "bump") bump = mb
	}
	printf "  goal b - a <= 1.5 ns for every allocator: %s\n", ok ? "met" : "NOT met"
	if (bump != "")
		printf "  goal b <= 3 ns with bump: %s (%.2f ns)\n", bump <= 3 ? "met" : "NOT met", bump
}' "$T/all.txt"
