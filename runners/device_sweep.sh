#!/bin/sh
# device_sweep.sh - the nano-range thread sweep (threadtest, larson, xmalloc
# over 1..N threads, every allocator, both nano fronts) on a machine with
# more CPUs than the development VM, after checking that the machine really
# pins threads and restarts rseq critical sections (a sandbox may emulate
# CPU numbers, affinity and rseq; then per-CPU results mean little).
#
#   runners/device_sweep.sh OUT_DIR [BUILD_DIR]
#
# BUILD_DIR (default: build) holds nanobench, nano/libnano_preload.so and
# nano/bench/rseq_probe; when nanobench cannot run there and meson is
# installed, the script builds into OUT_DIR/build first. jemalloc, mimalloc
# and tcmalloc come from the system, or from $NANOBENCH_LIBS: a folder of
# carried shared libraries (it also goes on LD_LIBRARY_PATH, for nanobench's
# own libraries on a machine without them).
#
# Before the sweep, every allocator runs one short threadtest cell: one that
# cannot run (a library that does not load, a front that fell back to v1)
# stops the script with status 3, rather than leaving a sweep with a column
# silently missing. Then the phases SWEEP_PHASES names (default "pair sweep
# originals"), in this order whatever the order named:
#   pair       nano/bench/preload/run_preload_bench.sh on one CPU (the
#              single-thread malloc+free pair, loop and batch of 1000) into
#              OUT_DIR/pair.txt, when BUILD_DIR has preload_bench;
#              SWEEP_PAIR_ROUNDS rounds (default 5; 0 skips it).
#   sweep      the matrix, into OUT_DIR/sweep/.
#   originals  when NANOBENCH_REFERENCE_DIR names a folder of the published
#              programs (built elsewhere: threadtest, linux-scalability,
#              larson, xmalloc-test), the same allocators run them with
#              nano-range sizes at SWEEP_ORIG_THREADS threads (default: every
#              usable CPU; xmalloc-test's are half producers, half
#              consumers), SWEEP_ORIG_REPS repetitions (default 3), into
#              OUT_DIR/originals/.
#   fidelity   (needs NANOBENCH_REFERENCE_DIR; refused without it) the
#              reference preset (runners/matrices/reference.ini: the eight
#              classic workloads beside the originals, every program found
#              in the folder) under glibc, jemalloc, mimalloc and tcmalloc at
#              SWEEP_FID_THREADS threads (default every usable CPU),
#              SWEEP_FID_REPS repetitions (default 5), no warm-up, with
#              larson and xmalloc cut to 1 s each side as the README's
#              fidelity tables are, into OUT_DIR/fidelity/ (its summary.md
#              has the Fidelity section); SWEEP_FID_DURATION, when set,
#              runs nanobench's workloads that many seconds instead of
#              their natural length. Not in the default phases: at 5
#              repetitions it took 13 to 15 minutes on the 2-vCPU
#              development VM (most of it the programs' own lengths, which
#              do not grow with the CPUs), more than one call's 10
#              minutes: run it again to continue (below), or give it
#              SWEEP_FID_REPS=3.
#
# A phase whose run folder is already there from an earlier call (a call
# cut by its time limit, then the script run again with the same OUT_DIR)
# continues it (`nanobench matrix --resume`) when its matrix is the same;
# when it is not, the script stops with status 2 before anything runs. So a
# lent machine's time can be
# spent in several calls, e.g. SWEEP_PHASES="pair sweep", then
# SWEEP_PHASES=originals, then SWEEP_PHASES=fidelity as often as it takes.
#
# Environment: SWEEP_THREADS (default "1 2 4 8 12 16", capped at the CPUs
# this process may use, which are always included), SWEEP_REPS (10: the
# rseq front's goals in the README are judged on at least 10 interleaved
# repetitions; `--dry-run --machine 16:16` estimates 7.5 minutes for 16
# CPUs), SWEEP_DURATION (0.3 s), SWEEP_PROBE_SECONDS (2). On a lent 16-CPU
# Xeon, SWEEP_THREADS="1 2 4 8" (16 added) with the pair's 5 rounds and the
# programs at 3 repetitions took about 590 s in all: the checks and the pair
# 20 s, the sweep (900 cells) 6 to 7 minutes, the programs 2 to 3 minutes;
# a call limited to 10 minutes leaves little room, so give the programs a
# second call (see above).
#
# Writes OUT_DIR/machine.txt (what the machine is), OUT_DIR/probe.txt (the
# checks, each allocator's short cell among them), OUT_DIR/pair.txt,
# OUT_DIR/sweep.ini (the matrix) and OUT_DIR/sweep/ (the run folder:
# results.csv, meta.json, summary.md; plots where gnuplot is installed, else
# draw them later with `nanobench plot OUT_DIR/sweep`).
# OUT_DIR/originals.ini and OUT_DIR/originals/ when the programs are given;
# OUT_DIR/fidelity.ini and OUT_DIR/fidelity/ for the fidelity phase.
# Every setting is checked before anything runs or is written: a bad one
# is named on one line, with exit status 2 (a typo must not surface after
# the sweep's minutes). A phase that is skipped says so on one line.
# Exit status: 0 when every phase ran and every cell was ok; 1 when some
# sweep cell failed or the pair, the programs' matrix or the fidelity
# matrix did not succeed; 2 bad input, or a phase's run folder from an
# earlier call that holds another matrix; 3 when nanobench or one of the
# allocators could not be run.
set -u
out=${1:?usage: device_sweep.sh OUT_DIR [BUILD_DIR]}
build=${2:-build}

bad() {
	echo "device_sweep: $1" >&2
	exit 2
}
# count NAME VALUE MIN MAX: VALUE must be a whole number in [MIN, MAX]
count() {
	case $2 in
	'' | *[!0-9]*) bad "$1='$2' is not a whole number" ;;
	esac
	[ ${#2} -le 9 ] && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ] ||
		bad "$1='$2' is not between $3 and $4"
}
# seconds NAME VALUE MAX: VALUE must be a decimal number of seconds in (0, MAX]
seconds() {
	case $2 in
	'' | . | *[!0-9.]* | *.*.*) bad "$1='$2' is not a number of seconds" ;;
	esac
	awk -v v="$2" -v m="$3" 'BEGIN { exit !(v + 0 > 0 && v + 0 <= m) }' ||
		bad "$1='$2' is not above 0 and at most $3 seconds"
}
# nproc alone obeys OMP_NUM_THREADS (a batch job's setting): the CPUs this
# process may use, whatever that says
cpus=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc 2>/dev/null || echo 1)
count SWEEP_REPS "${SWEEP_REPS:-10}" 1 1000                 # the matrix's own bound
count SWEEP_PAIR_ROUNDS "${SWEEP_PAIR_ROUNDS:-5}" 0 1000
count SWEEP_ORIG_REPS "${SWEEP_ORIG_REPS:-3}" 1 1000
[ -z "${SWEEP_ORIG_THREADS:-}" ] || count SWEEP_ORIG_THREADS "$SWEEP_ORIG_THREADS" 1 "$cpus"
count SWEEP_FID_REPS "${SWEEP_FID_REPS:-5}" 1 1000
[ -z "${SWEEP_FID_THREADS:-}" ] || count SWEEP_FID_THREADS "$SWEEP_FID_THREADS" 1 "$cpus"
[ -z "${SWEEP_FID_DURATION:-}" ] || seconds SWEEP_FID_DURATION "$SWEEP_FID_DURATION" 86400
seconds SWEEP_PROBE_SECONDS "${SWEEP_PROBE_SECONDS:-2}" 600  # rseq_probe's bound
seconds SWEEP_DURATION "${SWEEP_DURATION:-0.3}" 86400         # the matrix's bound
set -f                  # the list is split, never globbed
[ -n "$(echo ${SWEEP_THREADS-1})" ] || bad "SWEEP_THREADS='${SWEEP_THREADS}' names no thread count"
n=0
for t in ${SWEEP_THREADS:-1}; do
	count "SWEEP_THREADS entry" "$t" 1 100000
	n=$((n + 1))
done
phases=" "
for ph in ${SWEEP_PHASES-pair sweep originals}; do
	case $ph in
	pair | sweep | originals | fidelity) phases="$phases$ph " ;;
	*) bad "SWEEP_PHASES entry '$ph' is not a phase (pair, sweep, originals, fidelity)" ;;
	esac
done
set +f
[ "$phases" != " " ] || bad "SWEEP_PHASES='${SWEEP_PHASES}' names no phase"
# a matrix list holds 32 items, the CPU count among them
[ "$n" -le 31 ] || bad "SWEEP_THREADS names $n thread counts (at most 31, with the CPU count added)"
if [ -n "${NANOBENCH_REFERENCE_DIR:-}" ] && [ ! -d "$NANOBENCH_REFERENCE_DIR" ]; then
	bad "NANOBENCH_REFERENCE_DIR='$NANOBENCH_REFERENCE_DIR' is not a folder"
fi
case $phases in
*" fidelity "*)
	[ -n "${NANOBENCH_REFERENCE_DIR:-}" ] ||
		bad "SWEEP_PHASES names fidelity, which needs NANOBENCH_REFERENCE_DIR (the published programs)"
	[ -r "$(dirname "$0")/matrices/reference.ini" ] ||
		bad "SWEEP_PHASES names fidelity, which needs $(dirname "$0")/matrices/reference.ini (carry runners/ whole)"
	;;
esac
if [ -n "${NANOBENCH_LIBS:-}" ] && [ ! -d "$NANOBENCH_LIBS" ]; then
	bad "NANOBENCH_LIBS='$NANOBENCH_LIBS' is not a folder"
fi
has() { case $phases in *" $1 "*) return 0 ;; esac; return 1; }

mkdir -p "$out" || exit 2

# The phases' matrices (ini NAME prints NAME's), built before anything
# runs so that a run folder an earlier call left can be checked against
# them first.
threads=
for t in ${SWEEP_THREADS:-1 2 4 8 12 16}; do
	[ "$t" -lt "$cpus" ] && threads="$threads $t"
done
threads="$threads $cpus"

allocs="glibc nano nano-rseq"
# carried copies are found under the packages' file names by nanobench
# itself (NANOBENCH_ALLOC_DIR), so that the labels still name the allocators
# (a built-in label cannot be given another library)
if [ -n "${NANOBENCH_LIBS:-}" ]; then
	NANOBENCH_ALLOC_DIR=$NANOBENCH_LIBS
	export NANOBENCH_ALLOC_DIR
fi
allocs="$allocs jemalloc mimalloc tcmalloc"

ini() {
	case $1 in
	sweep)
		cat <<-EOF
		; written by runners/device_sweep.sh
		[matrix]
		name = sweep
		description = threadtest, larson and xmalloc in the nano range over 1..$cpus threads
		allocators = $allocs
		skip_missing = 1
		threads =$threads
		placements = compact
		size_dists = nano
		repetitions = ${SWEEP_REPS:-10}
		warmup = 1
		duration = ${SWEEP_DURATION:-0.3}
		timeout = 60

		[workload threadtest]
		[workload larson]
		[workload xmalloc]
		EOF
		;;
	originals)
		cat <<-EOF
		; written by runners/device_sweep.sh
		[matrix]
		name = originals
		description = the published programs with nano-range sizes at ${SWEEP_ORIG_THREADS:-$cpus} threads
		allocators = $allocs
		skip_missing = 1
		threads = ${SWEEP_ORIG_THREADS:-$cpus}
		placements = compact
		repetitions = ${SWEEP_ORIG_REPS:-3}
		warmup = 1
		duration = natural
		timeout = 120

		[program threadtest-nano]
		requires = \$NANOBENCH_REFERENCE_DIR/threadtest
		command = "\$NANOBENCH_REFERENCE_DIR/threadtest" "\$NANOBENCH_THREADS" 1000 10000 0 8
		metric = Time elapsed = *([0-9.eE+-]+)
		metric_unit = s
		higher_is_better = 0
		check_output = 0

		[program linux-scalability-nano]
		requires = \$NANOBENCH_REFERENCE_DIR/linux-scalability
		command = "\$NANOBENCH_REFERENCE_DIR/linux-scalability" 128 1000000 "\$NANOBENCH_THREADS"
		metric = Average execution time = *([0-9.]+) seconds
		metric_unit = s
		higher_is_better = 0
		check_output = 0

		[program larson-nano]
		requires = \$NANOBENCH_REFERENCE_DIR/larson
		command = "\$NANOBENCH_REFERENCE_DIR/larson" 1 8 256 5000 100 4141 "\$NANOBENCH_THREADS"
		metric = Throughput = *([0-9.]+) operations per second
		metric_unit = ops/s
		check_output = 0

		[program xmalloc-nano]
		requires = \$NANOBENCH_REFERENCE_DIR/xmalloc-test
		command = "\$NANOBENCH_REFERENCE_DIR/xmalloc-test" -w \$(( (NANOBENCH_THREADS + 1) / 2 )) -t 1 -s 64
		metric = free/sec: *([0-9.]+) M
		metric_unit = M frees/s
		check_output = 0
		EOF
		;;
	fidelity)
		sed -e '/^\[matrix\]/,/^\[workload/{' \
			-e 's/^name = .*/name = fidelity/' \
			-e 's/^allocators = .*/allocators = glibc jemalloc mimalloc tcmalloc/' \
			-e "s/^threads = .*/threads = ${SWEEP_FID_THREADS:-$cpus}/" \
			-e "s/^repetitions = .*/repetitions = ${SWEEP_FID_REPS:-5}/" \
			-e 's/^warmup = .*/warmup = 0/' -e "s/^duration = .*/duration = ${SWEEP_FID_DURATION:-natural}/" -e '}' \
			-e '/^\[workload larson\]$/a\
sleep = 1' -e '/^\[workload xmalloc\]$/a\
t = 1' \
			-e 's|"$NANOBENCH_REFERENCE_DIR/larson" 5 |"$NANOBENCH_REFERENCE_DIR/larson" 1 |' \
			-e 's/xmalloc-test" -w "$w" -t 5 /xmalloc-test" -w "$w" -t 1 /' \
			"$(dirname "$0")/matrices/reference.ini"
		;;
	esac
}

# A phase's folder from an earlier call is continued only with the same
# matrix: anything else is refused now, not after the phases before it.
for ph in sweep originals fidelity; do
	has "$ph" && [ -e "$out/$ph/meta.json" ] || continue
	ini "$ph" > "$out/.$ph.ini.new" || bad "cannot write $out/.$ph.ini.new"
	cmp -s "$out/.$ph.ini.new" "$out/$ph/matrix.ini" || {
		rm -f "$out/.$ph.ini.new"
		bad "$out/$ph holds a run of another matrix (settings changed since the call that began it?): move it away"
	}
	rm -f "$out/.$ph.ini.new"
done

if [ -n "${NANOBENCH_LIBS:-}" ]; then
	LD_LIBRARY_PATH=$NANOBENCH_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
fi

{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "uname: $(uname -a)"
	echo "cpus online: $(cat /sys/devices/system/cpu/online 2>/dev/null)"
	echo "cpus usable: $cpus"
	echo "cpu model: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | sort | uniq -c | tr -s ' ')"
	echo "smt siblings of cpu0: $(cat /sys/devices/system/cpu/cpu0/topology/thread_siblings_list 2>/dev/null)"
	echo "glibc: $(ldd --version 2>/dev/null | head -n 1)"
	echo "memory: $(sed -n 's/^MemTotal: *//p' /proc/meminfo)"
} > "$out/machine.txt"
cat "$out/machine.txt"

if ! "$build/nanobench" --help > /dev/null 2>&1; then
	echo "device_sweep: $build/nanobench does not run here; building" >&2
	"$build/nanobench" --help 2>&1 | head -n 3 >&2
	if command -v meson > /dev/null 2>&1 && meson setup "$out/build" > "$out/build.log" 2>&1 &&
		meson compile -C "$out/build" >> "$out/build.log" 2>&1; then
		build=$out/build
	else
		echo "device_sweep: no nanobench (no meson, or the build failed: $out/build.log)" >&2
		exit 3
	fi
fi

probe=$build/nano/bench/rseq_probe
if [ -x "$probe" ]; then
	"$probe" "${SWEEP_PROBE_SECONDS:-2}" > "$out/probe.txt" 2>&1
	echo "probe exit status: $?" >> "$out/probe.txt"
else
	echo "check probe FAIL $probe not built" > "$out/probe.txt"
fi
cat "$out/probe.txt"
grep -q ' FAIL ' "$out/probe.txt" &&
	echo "device_sweep: a check failed: per-CPU results from this machine need that caveat" >&2

# One short cell per allocator: a sweep never silently lacks one.
for a in $allocs; do
	name=${a%%=*}
	if "$build/nanobench" run threadtest --allocator "$a" --threads 1 --size-dist nano \
		--duration 0.05 > "$out/check.txt" 2>&1; then
		echo "check allocator-$name ok" >> "$out/probe.txt"
	else
		echo "check allocator-$name FAIL $(tail -n 1 "$out/check.txt")" >> "$out/probe.txt"
		echo "device_sweep: allocator $name does not run here: $(tail -n 1 "$out/check.txt")" >&2
		exit 3
	fi
done
rm -f "$out/check.txt"
grep '^check allocator' "$out/probe.txt"

phase_rc=0       # the pair's and the programs' failures (the sweep's is rc)
rc=0

# run_matrix NAME: NAME's matrix into OUT_DIR/NAME.ini and run it into
# OUT_DIR/NAME, continuing the run an earlier call left there (the same
# matrix: checked above); the matrix's exit status
run_matrix() {
	ini "$1" > "$out/$1.ini" || return 2
	if [ -e "$out/$1/meta.json" ]; then
		echo "device_sweep: $out/$1 is there from an earlier call: continuing it"
		"$build/nanobench" matrix --resume "$out/$1" --quiet
	else
		"$build/nanobench" matrix "$out/$1.ini" --dry-run 2>&1 | tail -n 2
		"$build/nanobench" matrix "$out/$1.ini" --out "$out/$1" --quiet
	fi
}

bench=$build/nano/bench/preload/preload_bench
if ! has pair; then
	echo "device_sweep: SWEEP_PHASES has no pair: the pair is skipped"
elif [ "${SWEEP_PAIR_ROUNDS:-5}" -eq 0 ]; then
	echo "device_sweep: SWEEP_PAIR_ROUNDS=0: the pair is skipped"
elif [ ! -x "$bench" ]; then
	echo "device_sweep: no $bench (built only on x86-64): the pair is skipped"
else
	BENCH_LIBDIR=${NANOBENCH_LIBS:-/usr/lib/x86_64-linux-gnu} \
		sh "$(dirname "$0")/../nano/bench/preload/run_preload_bench.sh" "$bench" \
		"$build/nano/libnano_preload.so" "${SWEEP_PAIR_ROUNDS:-5}" > "$out/pair.txt" 2>&1
	prc=$?
	echo "device_sweep: pair exit status $prc; $out/pair.txt"
	[ $prc -eq 0 ] || phase_rc=1
	grep -E 'bytes:|nano-rseq /' "$out/pair.txt"
fi

if ! has sweep; then
	echo "device_sweep: SWEEP_PHASES has no sweep: the sweep is skipped"
else
	run_matrix sweep
	rc=$?
	echo "device_sweep: matrix exit status $rc; run folder $out/sweep"
fi

# The published programs, when a folder of them is given: the same
# allocators at one thread count, nano-range sizes as in
# nano/bench/front_originals.ini (larson sleeps 1 s, not 2).
ref=${NANOBENCH_REFERENCE_DIR:-}
if ! has originals; then
	echo "device_sweep: SWEEP_PHASES has no originals: the published programs are skipped"
elif [ -z "$ref" ]; then
	echo "device_sweep: NANOBENCH_REFERENCE_DIR is not set: the published programs are skipped"
else
	run_matrix originals
	orc=$?
	echo "device_sweep: originals exit status $orc; run folder $out/originals"
	[ $orc -eq 0 ] || phase_rc=1
fi

# The fidelity check at full width: the reference preset with the baselines
# only, the machine's width and the two long programs cut to 1 s (larson's
# sleep, xmalloc-test's -t), nanobench's two workloads likewise.
if has fidelity; then
	run_matrix fidelity
	frc=$?
	echo "device_sweep: fidelity exit status $frc; run folder $out/fidelity"
	[ $frc -eq 0 ] || phase_rc=1
fi
[ $rc -ne 0 ] || rc=$phase_rc
exit $rc
