#!/bin/bash
# test_device_sweep.sh PART: runners/device_sweep.sh, the script a lent
# many-CPU machine runs, at tiny sizes on this machine.
#   ok      every phase: the probe's checks, one short cell per allocator,
#           the pair (one round), the sweep (1 thread, 1 repetition) and the
#           published programs, here stand-ins that print each original's
#           figure and record their arguments (xmalloc-test's producers are
#           half the threads, rounded up: 2 threads give -w 1); exit 0, every
#           row ok
#   bad     each bad setting (a count that is not a whole number or is out
#           of range, a thread list or entry, a duration that is not a
#           number of seconds or is out of range, a folder that is not one;
#           fractional seconds are fine, as `ok` uses them): exit 2 with one
#           line naming it, before anything is written; and a pair that
#           fails makes the exit status 1 although every sweep cell is ok
#           (its programs at 1 thread: xmalloc-test's -w 1, rounded up)
#   phases  SWEEP_PHASES: the fidelity phase alone (the reference preset
#           at 1 thread, stand-ins for all eight originals: every workload
#           and program under the four baselines, the Fidelity section,
#           larson and xmalloc-test cut to 1 s) and nothing else; then the
#           sweep alone, cut short (its last rows removed, as a call's time
#           limit leaves it) and run again: the script continues the run
#           folder and its rows are whole again; run once more with other
#           settings: exit 2, the folder left as it was
#   broken  a carried jemalloc that does not load: exit 3 before any sweep,
#           the failing check named in probe.txt, no run folder
# Both need jemalloc, mimalloc and tcmalloc (./do.sh test installs them):
# without them the test is skipped (exit 77) with one line.
. "$(dirname "$0")/cli_lib.sh"
BUILD=${BUILD:?BUILD must name the build folder}
SCRIPT=${SWEEP_SCRIPT:?SWEEP_SCRIPT must name runners/device_sweep.sh}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
libdir=/usr/lib/x86_64-linux-gnu
for l in libjemalloc.so.2 libmimalloc.so.2 libtcmalloc.so.4; do
	if [ ! -e "$libdir/$l" ]; then
		echo "SKIP: $libdir/$l is not installed (./do.sh test installs it)"
		exit 77
	fi
done

# tiny sizes for every phase
export SWEEP_THREADS=1 SWEEP_REPS=1 SWEEP_DURATION=.05 SWEEP_PROBE_SECONDS=0.5
export SWEEP_PAIR_ROUNDS=1 BENCH_PAIRS=2000 BENCH_REPS=1 BENCH_SIZES=64
export SWEEP_ORIG_THREADS=2 SWEEP_ORIG_REPS=1
unset NANOBENCH_LIBS NANOBENCH_REFERENCE_DIR

# stand-in NAME LINE: a program that records its arguments and prints LINE
stand_in() {
	printf '#!/bin/sh\necho "$*" >> "%s/args.%s"\necho "%s"\n' "$tmp" "$1" "$2" > "$tmp/ref/$1"
	chmod +x "$tmp/ref/$1"
}

stand_ins() {
	mkdir -p "$tmp/ref"
	stand_in threadtest "Time elapsed = 0.25"
	stand_in linux-scalability "Average execution time = 0.125 seconds"
	stand_in larson "Throughput =    1234567 operations per second, relative time: 0.8s."
	stand_in xmalloc-test "rtime: 1.000, free/sec: 12.500 M"
}

# the four programs only the reference preset runs (cache-* print nothing:
# their figure is their time)
more_stand_ins() {
	stand_in glibc-thread "4096 iterations"
	stand_in rptest "250000 memory ops/CPU second"
	stand_in cache-scratch ""
	stand_in cache-thrash ""
}

ok() {
	stand_ins
	# the baselines carried to the machine, as a lent one without the
	# packages gets them (copies, so their paths say where they came from);
	# OMP_NUM_THREADS, which a batch job sets, must not shrink the sweep
	mkdir -p "$tmp/libs"
	for l in libjemalloc.so.2 libmimalloc.so.2 libtcmalloc.so.4; do
		cp "$libdir/$l" "$tmp/libs/$l"
	done
	NANOBENCH_LIBS=$tmp/libs NANOBENCH_REFERENCE_DIR=$tmp/ref OMP_NUM_THREADS=1 \
		sh "$SCRIPT" "$tmp/out" "$BUILD" > "$tmp/log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || fail "exit $rc, expected 0: $(tail -n 5 "$tmp/log")"
	grep -qx "cpus usable: $(env -u OMP_NUM_THREADS nproc)" "$tmp/out/machine.txt" ||
		fail "machine.txt: $(grep 'cpus usable' "$tmp/out/machine.txt")"
	for a in glibc nano nano-rseq jemalloc mimalloc tcmalloc; do
		grep -q "^check allocator-$a ok" "$tmp/out/probe.txt" ||
			fail "probe.txt lacks 'check allocator-$a ok'"
	done
	grep -q '^check pinning ' "$tmp/out/probe.txt" || fail "probe.txt lacks the pinning check"
	grep -q '^  nano-rseq / best of jemalloc, mimalloc, tcmalloc: ' "$tmp/out/pair.txt" ||
		fail "pair.txt has no nano-rseq ratio: $(tail -n 3 "$tmp/out/pair.txt")"
	# both floors ran, and the floor is the faster of them (one round: each
	# row's median is its one time)
	awk '/^  floor, array stack /{s = $(NF - 1)}
	     /^  floor, linked list /{l = $(NF - 1)}
	     /^  floor \(the faster of the two\) /{
		n++; if (s == "" || l == "" || $(NF - 1) + 0 != (s + 0 < l + 0 ? s : l) + 0) bad++
		s = l = "" }
	     END { exit !(n > 0 && !bad) }' "$tmp/out/pair.txt" ||
		fail "pair.txt: the floor is not the faster of the two floors: $(grep floor "$tmp/out/pair.txt")"
	# every row's rounds column brackets its median (one round: all equal)
	awk 'NF >= 3 && $(NF - 2) ~ /^[0-9.]+\.\.[0-9.]+\*?$/ {
		n++; split($(NF - 2), q, "\\.\\."); sub(/\*$/, "", q[2])
		if (q[1] + 0 > $(NF - 1) + 0 || q[2] + 0 < $(NF - 1) + 0) bad++ }
	     END { exit !(n >= 8 && !bad) }' "$tmp/out/pair.txt" ||
		fail "pair.txt: a rounds column does not bracket its median: $(sed -n 1,12p "$tmp/out/pair.txt")"
	python3 - "$tmp/out" "$tmp/libs" <<EOF || fail "the run folders"
$ROWS
import sys
out = sys.argv[1]
sweep = rows(out + "/sweep/results.csv")
cells = {(r["wl_label"], r["alloc_label"]) for r in sweep if r["cell_status"] == "ok"}
libs = {r["alloc_label"]: r["alloc_library"] for r in sweep if r["alloc_label"] in ("jemalloc", "mimalloc", "tcmalloc")}
assert all(v.startswith(sys.argv[2] + "/") for v in libs.values()), ("not the carried copies", libs)
want = {(w, a) for w in ("threadtest", "larson", "xmalloc")
        for a in ("glibc", "nano", "nano-rseq", "jemalloc", "mimalloc", "tcmalloc")}
assert cells == want, ("sweep", sorted(want - cells), len(sweep))
orig = rows(out + "/originals/results.csv")
figures = {}
for r in orig:
    assert r["cell_status"] == "ok", (r["cell_key"], r["cell_reason"])
    figures.setdefault(r["wl_label"], set()).add((float(r["metric"]), r["higher_is_better"]))
assert len(orig) == 4 * 6, len(orig)
# each program's own figure, read with the metric the script wrote for it
assert figures["threadtest-nano"] == {(0.25, "0")}, figures
assert figures["linux-scalability-nano"] == {(0.125, "0")}, figures
assert figures["larson-nano"] == {(1234567.0, "1")}, figures
assert figures["xmalloc-nano"] == {(12.5, "1")}, figures
EOF
	grep -qx -- '-w 1 -t 1 -s 64' "$tmp/args.xmalloc-test" ||
		fail "xmalloc-test got '$(head -n 1 "$tmp/args.xmalloc-test")', expected '-w 1 -t 1 -s 64'"
	grep -qx '2 1000 10000 0 8' "$tmp/args.threadtest" ||
		fail "threadtest got '$(head -n 1 "$tmp/args.threadtest")'"
}

phases() {
	stand_ins
	more_stand_ins
	NANOBENCH_REFERENCE_DIR=$tmp/ref SWEEP_PHASES=fidelity SWEEP_FID_THREADS=1 \
		SWEEP_FID_REPS=1 SWEEP_FID_DURATION=0.05 sh "$SCRIPT" "$tmp/out" "$BUILD" > "$tmp/log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || fail "fidelity: exit $rc, expected 0: $(tail -n 5 "$tmp/log")"
	for f in pair.txt sweep originals; do
		[ ! -e "$tmp/out/$f" ] || fail "fidelity alone wrote $f"
	done
	grep -q '^## Fidelity' "$tmp/out/fidelity/summary.md" || fail "no Fidelity section"
	python3 - "$tmp/out" <<EOF || fail "the fidelity run folder"
$ROWS
import sys
got = {(r["wl_label"], r["alloc_label"]) for r in rows(sys.argv[1] + "/fidelity/results.csv")
       if r["cell_status"] == "ok" and r["threads"] == "1"}
names = ("larson", "xmalloc", "glibc-thread", "threadtest", "cache-scratch",
         "cache-thrash", "linux-scalability", "rptest")
want = {(w + s, a) for w in names for s in ("", "-original")
        for a in ("glibc", "jemalloc", "mimalloc", "tcmalloc")}
assert got == want, (sorted(want - got), sorted(got - want))
EOF
	grep -qx '1 8 1000 5000 100 4141 1' "$tmp/args.larson" ||
		fail "larson got '$(head -n 1 "$tmp/args.larson")', expected the 1 s run"
	grep -qx -- '-w 1 -t 1 -s 64' "$tmp/args.xmalloc-test" ||
		fail "xmalloc-test got '$(head -n 1 "$tmp/args.xmalloc-test")', expected '-w 1 -t 1 -s 64'"

	# a sweep cut short by a call's limit, then the same call again
	SWEEP_PHASES=sweep sh "$SCRIPT" "$tmp/out" "$BUILD" > "$tmp/log" 2>&1 ||
		fail "sweep alone: exit $?: $(tail -n 3 "$tmp/log")"
	csv=$tmp/out/sweep/results.csv
	whole=$(wc -l < "$csv")
	head -n $((whole - 3)) "$csv" > "$tmp/cut" && cp "$tmp/cut" "$csv"
	SWEEP_PHASES=sweep sh "$SCRIPT" "$tmp/out" "$BUILD" > "$tmp/log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || fail "continued sweep: exit $rc: $(tail -n 3 "$tmp/log")"
	grep -q 'sweep is there from an earlier call: continuing it' "$tmp/log" ||
		fail "the second call did not say it continues the sweep"
	[ "$(wc -l < "$csv")" -eq "$whole" ] || fail "continued sweep: $(wc -l < "$csv") lines, expected $whole"
	cp "$csv" "$tmp/before"
	cp "$tmp/out/sweep.ini" "$tmp/before.ini"
	rm "$tmp/out/machine.txt"
	SWEEP_PHASES=sweep SWEEP_REPS=2 sh "$SCRIPT" "$tmp/out" "$BUILD" > "$tmp/log" 2>&1
	rc=$?
	[ $rc -eq 2 ] || fail "other settings on the same folder: exit $rc, expected 2"
	grep -q 'holds a run of another matrix' "$tmp/log" || fail "no line says why: $(tail -n 2 "$tmp/log")"
	cmp -s "$csv" "$tmp/before" || fail "the refused call changed the sweep's rows"
	cmp -s "$tmp/out/sweep.ini" "$tmp/before.ini" || fail "the refused call rewrote sweep.ini"
	[ ! -e "$tmp/out/machine.txt" ] || fail "the refused call ran (it wrote machine.txt)"
	# refused before any phase, the one before it too: the programs' folder
	# with other settings, named after a sweep that would run first
	stand_ins
	NANOBENCH_REFERENCE_DIR=$tmp/ref SWEEP_PHASES=originals SWEEP_ORIG_THREADS=1 \
		sh "$SCRIPT" "$tmp/out" "$BUILD" > "$tmp/log" 2>&1 || fail "originals alone: exit $?"
	cp "$csv" "$tmp/before"
	NANOBENCH_REFERENCE_DIR=$tmp/ref SWEEP_PHASES="sweep originals" SWEEP_ORIG_THREADS=1 \
		SWEEP_ORIG_REPS=2 sh "$SCRIPT" "$tmp/out" "$BUILD" > "$tmp/log" 2>&1
	rc=$?
	[ $rc -eq 2 ] && grep -q 'originals holds a run of another matrix' "$tmp/log" ||
		fail "changed programs' settings: exit $rc, expected 2 naming originals: $(tail -n 2 "$tmp/log")"
	grep -q 'continuing it' "$tmp/log" && fail "the sweep ran before the refusal"
	cmp -s "$csv" "$tmp/before" || fail "the refused call changed the sweep's rows"
}

broken() {
	mkdir -p "$tmp/libs"
	echo 'not a library' > "$tmp/libs/libjemalloc.so.2"
	NANOBENCH_LIBS=$tmp/libs sh "$SCRIPT" "$tmp/out" "$BUILD" > "$tmp/log" 2>&1
	rc=$?
	[ $rc -eq 3 ] || fail "exit $rc, expected 3: $(tail -n 3 "$tmp/log")"
	grep -q '^check allocator-jemalloc FAIL ' "$tmp/out/probe.txt" ||
		fail "probe.txt does not name jemalloc's failed check"
	grep -q 'allocator jemalloc does not run here' "$tmp/log" || fail "no line names jemalloc"
	[ ! -e "$tmp/out/sweep" ] || fail "a sweep ran after a failed check"
}

bad() {
	for setting in SWEEP_REPS=x SWEEP_REPS=1001 SWEEP_REPS=99999999999999999999 \
		SWEEP_PAIR_ROUNDS=-1 SWEEP_ORIG_REPS=0 SWEEP_PROBE_SECONDS=601 SWEEP_ORIG_THREADS=two \
		SWEEP_ORIG_THREADS=100000 "SWEEP_THREADS=1 2,4" "SWEEP_THREADS= " "SWEEP_THREADS=*" \
		SWEEP_DURATION=0.3s SWEEP_DURATION=1.2.3 SWEEP_DURATION=0 SWEEP_DURATION=86401 \
		NANOBENCH_REFERENCE_DIR=$tmp/none NANOBENCH_LIBS=$tmp/none \
		"SWEEP_THREADS=$(seq -s ' ' 1 40)" SWEEP_PHASES=bogus "SWEEP_PHASES= " \
		SWEEP_PHASES=fidelity SWEEP_FID_REPS=0 SWEEP_FID_THREADS=100000 SWEEP_FID_DURATION=x; do
		env "$setting" sh "$SCRIPT" "$tmp/out" "$BUILD" > "$tmp/log" 2>&1
		rc=$?
		name=${setting%%=*}
		[ $rc -eq 2 ] || fail "$setting: exit $rc, expected 2: $(tail -n 2 "$tmp/log")"
		[ "$(wc -l < "$tmp/log")" -eq 1 ] && grep -q "^device_sweep: $name" "$tmp/log" ||
			fail "$setting: not one line naming $name: $(head -n 3 "$tmp/log")"
		[ ! -e "$tmp/out" ] || fail "$setting: $tmp/out was written"
	done
	# the fidelity phase with the script carried without its presets
	mkdir -p "$tmp/alone"
	cp "$SCRIPT" "$tmp/alone/"
	NANOBENCH_REFERENCE_DIR=$tmp SWEEP_PHASES=fidelity sh "$tmp/alone/$(basename "$SCRIPT")" \
		"$tmp/out" "$BUILD" > "$tmp/log" 2>&1
	rc=$?
	[ $rc -eq 2 ] && [ "$(wc -l < "$tmp/log")" -eq 1 ] && grep -q 'reference.ini' "$tmp/log" ||
		fail "fidelity without reference.ini: exit $rc: $(head -n 2 "$tmp/log")"
	[ ! -e "$tmp/out" ] || fail "fidelity without reference.ini: $tmp/out was written"
	# a pair that fails (no such size) with a sweep whose every cell is ok
	stand_ins
	NANOBENCH_REFERENCE_DIR=$tmp/ref BENCH_SIZES=huge SWEEP_ORIG_THREADS=1 \
		sh "$SCRIPT" "$tmp/out" "$BUILD" > "$tmp/log" 2>&1
	rc=$?
	[ $rc -eq 1 ] || fail "a failed pair: exit $rc, expected 1: $(tail -n 3 "$tmp/log")"
	grep -q '^device_sweep: pair exit status [1-9]' "$tmp/log" || fail "no line gives the pair's status"
	grep -q '^device_sweep: matrix exit status 0' "$tmp/log" || fail "the sweep did not run whole"
	grep -q '^device_sweep: originals exit status 0' "$tmp/log" || fail "the programs did not run"
	grep -qx -- '-w 1 -t 1 -s 64' "$tmp/args.xmalloc-test" ||
		fail "xmalloc-test at 1 thread got '$(head -n 1 "$tmp/args.xmalloc-test")', expected '-w 1 -t 1 -s 64'"
}

case ${1:-} in
ok | phases | broken | bad) "$1" ;;
*)
	echo "usage: test_device_sweep.sh ok|phases|broken|bad" >&2
	exit 2
	;;
esac
[ $failures -eq 0 ] || exit 1
echo "device_sweep $1: ok"
