#!/bin/sh
# test_matrix.sh CASE - nanobench matrix, compare and merge, end to end.
# Each case builds tiny matrices in a temporary folder, runs them for real
# and checks the run folders row by row (python3 reads the CSV and JSON).
. "$(dirname "$0")/cli_lib.sh"
T=$(mktemp -d)
trap "[ -n \"\$KEEP\" ] || rm -rf \"\$T\"" EXIT
CASE=$1

# tiny MATRIX_FILE [extra [matrix] lines]: glibc and nano, threadtest and
# larson at tiny sizes, 1 and 2 threads, 2 repetitions, no warm-up.
tiny() {
	# long library paths (a deep build folder) go on continuation lines
	allocs=${ALLOCS:-glibc nano}
	[ ${#allocs} -lt 150 ] || allocs=$(echo "$allocs" | sed 's/ /\n  /g')
	cat > "$1" <<EOF
[matrix]
name = tiny
allocators = $allocs
threads = 1 2
size_dists = nano
repetitions = ${REPS:-2}
warmup = 0
duration = 0.1
timeout = ${TIMEOUT:-30}

[workload threadtest]
objects = 100

[workload larson]
chunks = 50
rounds = 2
EOF
}

# py SCRIPT ARGS...: run a python check; its exit status is the verdict.
py() {
	code=$1
	shift
	python3 -c "$code" "$@" || fail "python check failed: $CASE"
}

# status DIR: the status meta.json gives
status() {
	sed -n 's/^  "status": "\(.*\)",$/\1/p' "$1/meta.json"
}

# nrows CSV: data rows of a results file (lines after the header)
nrows() {
	echo $(($(wc -l < "$1") - 1))
}

# alive TEXT: is a process whose command line contains TEXT running?
alive() {
	for f in /proc/[0-9]*/cmdline; do
		{ tr '\0' ' ' < "$f"; } 2>/dev/null | grep -qF -- "$1" && return 0
	done
	return 1
}

gone() {
	! alive "$1"
}

# wait_until TRIES CMD...: CMD every 0.05 s, at most TRIES times, until it
# succeeds (TRIES 300: 15 s on a loaded machine); its last status
wait_until() {
	local tries=$1 i
	shift
	for i in $(seq 1 "$tries"); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# rows_at_least FILE N: FILE holds N rows of the tiny matrix
rows_at_least() {
	[ "$(grep -c '^tiny,' "$1" 2>/dev/null || echo 0)" -ge "$2" ] 2>/dev/null
}

# enospc MATCH AFTER CMD...: CMD with a disk that is full for paths holding
# MATCH once AFTER writes to them went through
enospc() {
	match=$1
	after=$2
	shift 2
	FAULT_ENOSPC_MATCH=$match FAULT_ENOSPC_AFTER=$after LD_PRELOAD=$ENOSPC "$@"
}


case $CASE in
end_to_end)
	tiny "$T/m.ini"
	"$NB" matrix "$T/m.ini" --out "$T/run" --quiet || fail "tiny matrix exit $?"
	for f in results.csv meta.json summary.md topology.xml matrix.ini; do
		[ -s "$T/run/$f" ] || fail "run folder lacks $f"
	done
	py "$ROWS"'
r = rows(sys.argv[1] + "/results.csv")
assert len(r) == 16, len(r)                       # 2 workloads x 2 threads x 2 allocs x 2 reps
for x in r:
    assert x["cell_status"] == "ok", x["cell_reason"]
    assert x["status"] == "ok" and float(x["ops_per_s"]) > 0 and int(x["total_ops"]) > 0
    assert x["alloc_label"] in ("glibc", "nano")
    lib = x["alloc_library"]
    assert ("libnano_preload.so" in lib) if x["alloc_label"] == "nano" else ("libc.so" in lib), lib
    assert (x["nano_layout"] != "") == (x["alloc_label"] == "nano"), x["nano_layout"]
    assert x["threads"] in ("1", "2") and x["req_size_dist"] == "nano"
    assert x["command"].split()[1:3] == ["run", x["workload"]], x["command"]
# interleaving: within a block, glibc nano glibc nano with reps 0 0 1 1
for b in sorted(set(x["block"] for x in r)):
    seq = [(x["alloc_label"], x["rep"]) for x in r if x["block"] == b]
    assert seq == [("glibc", "0"), ("nano", "0"), ("glibc", "1"), ("nano", "1")], seq
assert len(set(x["cell_key"] for x in r)) == 16
' "$T/run"
	py '
import json, sys
m = json.load(open(sys.argv[1] + "/meta.json"))
assert m["status"] == "complete" and m["matrix"] == "tiny" and len(m["cells"]) == 16
assert m["matrix_hash"] and m["host"]["kernel"] and m["build"]["compiler"]
assert [a["label"] for a in m["allocators"]] == ["glibc", "nano"]
assert m["allocators"][1]["library"].endswith("libnano_preload.so")
' "$T/run"
	grep -q "^## Winners" "$T/run/summary.md" || fail "summary.md does not open with the winners"
	grep -q "^| threadtest | nano | 2 | \(glibc\|nano\) | \(glibc\|nano\) | [0-9.]*, n too small | undecided |" "$T/run/summary.md" ||
		fail "winners: threadtest at 2 threads, n too small at 2 repetitions, undecided"
	grep -q "| nano | 2 |" "$T/run/summary.md" || fail "summary.md has no nano row with 2 repetitions"
	# the plot stage ran (nano's contention is all zero here: once an empty
	# gnuplot range that failed the stage)
	grep -q "^## Plots" "$T/run/summary.md" || fail "summary.md has no Plots section"
	for p in throughput_nano contention_nano relative_glibc_nano; do
		[ -s "$T/run/plots/$p.png" ] || fail "no $p.png"
	done
	# the recorded command reruns the cell by itself
	cmd=$(python3 -c "$ROWS"'
print(rows(sys.argv[1] + "/results.csv")[1]["command"])' "$T/run")
	sh -c "$cmd --csv --header" > "$T/rerun.csv" || fail "rerun command failed: $cmd"
	[ "$(column status "$T/rerun.csv")" = ok ] || fail "rerun record not ok"
	;;
failures)
	ALLOCS="glibc crash=$CRASH hang=$HANG exitcrash=$CRASH_EXIT exit0=$EXIT0 straggler=$STRAGGLER" \
		TIMEOUT=3 REPS=1 tiny "$T/m.ini"
	"$NB" matrix "$T/m.ini" --out "$T/run" --quiet
	rc=$?
	[ $rc = 1 ] || fail "a matrix with failed cells must exit 1, got $rc"
	py "$ROWS"'
r = rows(sys.argv[1] + "/results.csv")
assert len(r) == 24, len(r)
st = {}
for x in r:
    st.setdefault(x["alloc_label"], set()).add(x["cell_status"])
assert st["glibc"] == {"ok"}, st
assert st["crash"] == {"crashed"}, st
assert st["hang"] == {"timeout"}, st
# the two pairs of docs/results.md: cell_status is the runner'"'"'s verdict on
# the process, status the record'"'"'s; cell_wall_s the whole process, wall_s
# the measured interval inside it
assert st["exitcrash"] == {"crashed"}, st
# exit status 0 before any record: nothing measured, failed
assert st["exit0"] == {"failed"}, st
assert all("without writing its record" in x["cell_reason"] for x in r if x["alloc_label"] == "exit0")
# a helper that outlives the cell holding its record descriptor: the cell
# ends with its process, ok, well before the 3 s timeout
assert st["straggler"] == {"ok"}, st
assert all(float(x["cell_wall_s"]) < 2.5 for x in r if x["alloc_label"] == "straggler")
for x in r:
    if x["alloc_label"] == "exitcrash":
        assert x["status"] == "ok" and float(x["ops_per_s"]) > 0, (x["status"], x["ops_per_s"])
    if x["alloc_label"] == "glibc":
        assert float(x["cell_wall_s"]) > float(x["wall_s"]) > 0, (x["cell_wall_s"], x["wall_s"])
for x in r:
    if x["alloc_label"] == "crash":
        assert "signal 6" in x["cell_reason"], x["cell_reason"]
    if x["alloc_label"] == "hang":
        assert x["cell_reason"].startswith("timeout"), x["cell_reason"]
        assert float(x["cell_wall_s"]) < 10, x["cell_wall_s"]
    if x["alloc_label"] in ("crash", "hang"):
        assert x["status"] == "failed" and x["workload"] in ("threadtest", "larson")
' "$T/run"
	ls "$T/run/logs/"*.log > /dev/null 2>&1 || fail "no log kept for the failed cells"
	grep -q "failed cell" "$T/run/summary.md" || fail "summary.md does not report the failed cells"
	;;
resume)
	REPS=6 tiny "$T/m.ini"
	"$NB" matrix "$T/m.ini" --out "$T/run" --quiet &
	pid=$!
	# wait until a few rows exist, then Ctrl-C
	wait_until 200 rows_at_least "$T/run/results.csv" 5
	kill -INT $pid
	wait $pid
	rc=$?
	[ $rc = 1 ] || fail "an interrupted matrix must exit 1, got $rc"
	grep -q '"status": "interrupted"' "$T/run/meta.json" || fail "meta.json does not say interrupted"
	before=$(grep -c '^tiny,' "$T/run/results.csv")
	[ "$before" -ge 5 ] && [ "$before" -lt 48 ] || fail "expected a partial run, got $before rows"
	# a crash in the middle of a row: the half row must go
	printf 'tiny,vm,0,0,half-written-row' >> "$T/run/results.csv"
	"$NB" matrix --resume "$T/run" --quiet || fail "resume exit $?"
	py "$ROWS"'
r = rows(sys.argv[1] + "/results.csv")
keys = [x["cell_key"] for x in r]
assert len(r) == 48 and len(set(keys)) == 48, (len(r), len(set(keys)))
assert all(x["cell_status"] == "ok" for x in r)
assert not any("half-written" in x["matrix"] + x["cell_key"] for x in r)
' "$T/run"
	grep -q '"status": "complete"' "$T/run/meta.json" || fail "meta.json not complete after resume"
	# a matrix file with no name line is named after the file, and the
	# resumed rows keep that name (the run folder's copy is matrix.ini)
	sed -e '/^name = /d' -e 's/^repetitions = .*/repetitions = 1/' "$T/m.ini" > "$T/unnamed.ini"
	"$NB" matrix "$T/unnamed.ini" --out "$T/unnamed" --quiet || fail "the unnamed matrix: exit $?"
	head -n -2 "$T/unnamed/results.csv" > "$T/x" && mv "$T/x" "$T/unnamed/results.csv"
	"$NB" matrix --resume "$T/unnamed" --quiet || fail "the unnamed matrix's resume: exit $?"
	py "$ROWS"'
r = rows(sys.argv[1] + "/results.csv")
names = sorted({x["matrix"] for x in r})
assert len(r) == 8 and names == ["unnamed"], (len(r), names)
' "$T/unnamed" || fail "resumed rows of an unnamed matrix"
	grep -q '"matrix": "unnamed"' "$T/unnamed/meta.json" ||
		fail "meta.json after the resume: $(grep '"matrix"' "$T/unnamed/meta.json")"
	# a run started under taskset resumes only on the same CPUs: elsewhere
	# its pinned cells would land on other CPUs than the rows it has
	last=$(sed 's/.*[,-]//' /sys/devices/system/cpu/online 2>/dev/null)
	if command -v taskset >/dev/null && [ -n "$last" ] && [ "$last" != 0 ]; then
		sed 's/^threads = .*/threads = 1/' "$T/m.ini" > "$T/one.ini"
		taskset -c "$last" "$NB" matrix "$T/one.ini" --out "$T/aff" --quiet ||
			fail "the run under taskset: exit $?"
		grep -q "\"cpus_allowed\": \"$last\"" "$T/aff/meta.json" ||
			fail "meta.json does not name CPU $last: $(grep cpus_allowed "$T/aff/meta.json")"
		head -n -1 "$T/aff/results.csv" > "$T/x" && mv "$T/x" "$T/aff/results.csv"
		"$NB" matrix --resume "$T/aff" --quiet 2> "$T/err"
		[ $? = 2 ] && grep -q "its cells ran on CPUs $last" "$T/err" ||
			fail "resumed on other CPUs: $(cat "$T/err")"
		taskset -c "$last" "$NB" matrix --resume "$T/aff" --quiet ||
			fail "resumed on the same CPUs: exit $?"
	fi
	;;
merge)
	tiny "$T/m.ini"
	"$NB" matrix "$T/m.ini" --emit-jobs --out "$T/parts" > "$T/jobs" || fail "emit-jobs exit $?"
	[ "$(wc -l < "$T/jobs")" = 4 ] || fail "expected 4 job lines (one per block), got $(wc -l < "$T/jobs")"
	sh "$T/jobs" || fail "running the job lines failed"
	"$NB" merge --out "$T/merged" "$T"/parts/part-* || fail "merge exit $?"
	py "$ROWS"'
r = rows(sys.argv[1] + "/results.csv")
assert len(r) == 16 and len(set(x["cell_key"] for x in r)) == 16
assert sorted(set(x["block"] for x in r)) == ["0", "1", "2", "3"]
' "$T/merged"
	grep -q '"status": "merged"' "$T/merged/meta.json" || fail "merged meta.json"
	[ -s "$T/merged/summary.md" ] || fail "merged summary.md missing"
	# the same part twice is refused, and so is a part of another matrix
	"$NB" merge --out "$T/twice" "$T/parts/part-0" "$T/parts/part-0" 2> "$T/err"
	[ $? = 2 ] && grep -q "appears in two parts" "$T/err" && [ ! -e "$T/twice" ] ||
		fail "merging a part twice must be refused with nothing written"
	sed 's/name = tiny/name = other/' "$T/m.ini" > "$T/other.ini"
	"$NB" matrix "$T/other.ini" --block 0 --out "$T/otherpart" --quiet || fail "other part"
	"$NB" merge --out "$T/mixed" "$T/parts/part-0" "$T/otherpart" 2> "$T/err"
	[ $? = 2 ] && grep -q "another matrix" "$T/err" && [ ! -e "$T/mixed" ] ||
		fail "merging parts of different matrices must be refused"
	# parts whose folders have the same name keep a topology each
	mkdir -p "$T/elsewhere" && cp -r "$T/parts/part-1" "$T/elsewhere/part-0"
	"$NB" merge --out "$T/same" "$T/parts/part-0" "$T/elsewhere/part-0" "$T/parts/part-2" \
		"$T/parts/part-3" 2> "$T/err" ||
		fail "merge of two parts named part-0: $(cat "$T/err")"
	[ -s "$T/same/topology-part-0.xml" ] && [ -s "$T/same/topology-part-0-2.xml" ] ||
		fail "two parts named part-0: a topology overwrote the other ($(ls "$T/same"))"
	# a long field (a 20,000-character reason) is merged whole
	python3 -c '
import csv, io, sys
p = sys.argv[1] + "/results.csv"
rows = list(csv.reader(open(p, newline="")))
rows[1][rows[0].index("cell_reason")] = "x" * 20000
out = io.StringIO(); csv.writer(out, lineterminator="\n").writerows(rows); open(p, "w").write(out.getvalue())
' "$T/parts/part-1" || fail "could not lengthen a field"
	"$NB" merge --out "$T/long" "$T"/parts/part-* 2> "$T/err" || fail "merge with a long field: $(cat "$T/err")"
	py "$ROWS"'
r = rows(sys.argv[1] + "/results.csv")
assert len(r) == 16 and sum(x["cell_reason"] == "x" * 20000 for x in r) == 1
' "$T/long"
	;;
compare)
	# Synthetic run folders with known effects (runners/tests/synth_runs.py,
	# fixed seeds): what `compare` must find and must not invent.
	SYN="python3 $(dirname "$0")/synth_runs.py"
	verdicts='
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1] + "/compare.csv", newline="")))
def v(block, variant):
    return [r["verdict"] for r in rows if r["block"].startswith(block + "|") and r["variant"] == variant][0]
'
	# 1. 200 pairs (25 blocks of 8 allocators), 10 repetitions, CV 3%; in B
	# ten of them are 30% faster: at least 9 found, at most 2 false
	changes=""
	for b in 1 2 3 4 5 6 7 8 9 10; do
		changes="$changes --change wl$b:$(echo glibc nano nano-rseq jemalloc mimalloc tcmalloc tbb scudo | cut -d" " -f$(( (b - 1) % 8 + 1 ))):1.3"
	done
	$SYN "$T/A" --seed 11 --reps 10 --blocks 25 --legacy 1     # as older versions wrote it
	$SYN "$T/B" --seed 12 --reps 10 --blocks 25 $changes
	"$NB" compare "$T/A" "$T/B" --out "$T/ab" > "$T/ab.txt" || fail "compare A B exit $?"
	py "$verdicts"'
changed = {("wl%d" % b, "glibc nano nano-rseq jemalloc mimalloc tcmalloc tbb scudo".split()[(b - 1) % 8]) for b in range(1, 11)}
assert len(rows) == 200, len(rows)
found = sum(1 for r in rows if (r["block"].split("|")[0], r["variant"]) in changed and r["verdict"] == "faster")
false = sum(1 for r in rows if (r["block"].split("|")[0], r["variant"]) not in changed and r["verdict"] != "same")
print("200 pairs, 10 changed by +30%%: %d found, %d false" % (found, false))
assert found >= 9 and false <= 2, (found, false)
for r in rows:
    if r["verdict"] == "faster":
        assert float(r["ci_lo"]) < float(r["ratio"]) < float(r["ci_hi"]), r
' "$T/ab"
	head -1 "$T/ab/compare.csv" | grep -q "^block,variant," || fail "compare.csv: the header first"
	py '
import json, sys
j = json.load(open(sys.argv[1] + "/ab/compare.json"))
assert j == {"compare_schema": 1, "a": sys.argv[1] + "/A", "b": sys.argv[1] + "/B",
             "relative": None, "pairs": 200}, j
' "$T"
	grep -q "B is 1.3[0-9]* x A \[1\.[0-9]*, 1\.[0-9]*\]  faster" "$T/ab.txt" || fail "A vs B: ratios and intervals as [lo, hi]"
	# 2. A against A again (pure noise, exchangeable): at most 5% of pairs
	# get a verdict, at 10 and at 6 repetitions
	for reps in 10 6; do
		$SYN "$T/N1-$reps" --seed 21 --reps $reps --blocks 25
		$SYN "$T/N2-$reps" --seed 22 --reps $reps --blocks 25
		"$NB" compare "$T/N1-$reps" "$T/N2-$reps" --out "$T/nn-$reps" > /dev/null || fail "compare noise exit $?"
		py "$verdicts"'
called = sum(1 for r in rows if r["verdict"] != "same")
print("A vs A, %d pairs: %d verdicts" % (len(rows), called))
assert len(rows) == 200 and called <= 10, called
' "$T/nn-$reps"
	done
	# 3. the issue'"'"'s case: a copy of a run with glibc'"'"'s larson doubled. At 6
	# repetitions (the presets'"'"' count) with 8 allocators in the block it is
	# faster; at 5 the rule says undecided
	for reps in 6 5; do
		$SYN "$T/R$reps" --seed 31 --reps $reps --blocks 6
		$SYN "$T/R$reps-copy" --seed 31 --reps $reps --blocks 6 --change larson:glibc:2
		"$NB" compare "$T/R$reps" "$T/R$reps-copy" --out "$T/rr-$reps" > "$T/rr-$reps.txt" || fail "compare copy exit $?"
		want=$([ $reps = 6 ] && echo faster || echo undecided)
		py "$verdicts"'
assert v("larson", "glibc") == sys.argv[2], (v("larson", "glibc"), sys.argv[2])
assert all(r["verdict"] == ("same" if sys.argv[2] == "faster" else "undecided")
           for r in rows if (r["block"].split("|")[0], r["variant"]) != ("larson", "glibc")), rows
' "$T/rr-$reps" "$want"
	done
	grep -q "larson|classic|t2|compact *glibc *B is 2.000 x A \[" "$T/rr-6.txt" || fail "copy: B is 2.000 x A [lo, hi]"
	grep -q "undecided (n=5/5, need 6 each)" "$T/rr-5.txt" || fail "5 repetitions: undecided, need 6"
	# a time's median and quartiles are those of the times: glibc's six
	# runs take 1..6 s, so the median is 3.5 s (1 / the median speed
	# would say 3.43)
	$SYN "$T/TM" --seed 33 --reps 6 --blocks 1 --allocs 2 --program prog:s:0:glibc=2,nano=1
	python3 - "$T/TM/results.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
k = 0
for r in rows:
    if r["wl_label"] == "prog" and r["alloc_label"] == "glibc":
        k += 1
        r["metric"] = str(k)
w = csv.DictWriter(open(sys.argv[1], "w", newline=""), fieldnames=list(rows[0]), lineterminator="\n")
w.writeheader()
w.writerows(rows)
PY
	"$NB" compare "$T/TM" "$T/TM" --out "$T/tm" > /dev/null || fail "compare of times exit $?"
	grep -q '^prog|program|t2|compact,glibc,6,6,3.5,3.5,' "$T/tm/compare.csv" ||
		fail "a time's median: $(grep glibc "$T/tm/compare.csv")"
	# more repetitions than the statistics hold are refused, never cut
	$SYN "$T/R65" --seed 32 --reps 65 --blocks 1
	"$NB" compare "$T/R65" "$T/R65" > /dev/null 2> "$T/err"
	[ $? = 2 ] && grep -q "more than 64 repetitions of glibc in one block" "$T/err" ||
		fail "65 repetitions: expected exit 2 naming the cap, got: $(cat "$T/err")"
	# 4. a rerun on a machine 15% slower throughout: every absolute pair is
	# "slower", but relative to glibc in the same round nothing changed
	$SYN "$T/D1" --seed 41 --reps 6 --blocks 3
	$SYN "$T/D2" --seed 42 --reps 6 --blocks 3 --drift 0.85 --change wl2:tcmalloc:1.3
	"$NB" compare "$T/D1" "$T/D2" --out "$T/dd" > /dev/null || fail "compare drift exit $?"
	py "$verdicts"'assert sum(r["verdict"] == "slower" for r in rows) >= 20, rows' "$T/dd"
	"$NB" compare "$T/D1" "$T/D2" --relative glibc --out "$T/dr" > "$T/dr.txt" || fail "compare --relative exit $?"
	py "$verdicts"'
assert len(rows) == 21 and not any(r["variant"] == "glibc" for r in rows), len(rows)
assert v("wl2", "tcmalloc") == "faster", rows
assert sum(r["verdict"] != "same" for r in rows) == 1, rows
' "$T/dr"
	grep -q "over glibc's in the same round" "$T/dr.txt" || fail "--relative: the report says what it compared"
	"$NB" compare "$T/A" "$T/missing" 2> "$T/err"
	[ $? = 2 ] && [ "$(wc -l < "$T/err")" = 1 ] || fail "compare with a missing folder: exit 2, one line"
	# values that are not data: refused by file and line, by compare and
	# plot alike (exit 2, one line), never turned into a ratio
	for bad in "ops_per_s:nan:ops_per_s 'nan' is not a finite number" \
		"ops_per_s:-1e308:ops_per_s '-1e308' is not a finite number of at least 0" \
		"ops_per_s:banana:ops_per_s 'banana' is not a finite number" \
		"cell_status:banana:cell_status 'banana' is not ok, failed" \
		"threads:0:threads '0' is not a whole number from 1" \
		"threads:99999999999999999999:threads '99999999999999999999' is more than 2147483647" \
		"dup::cell_key '$(py "$ROWS"'print(rows(sys.argv[1])[0]["cell_key"])' "$T/B/results.csv")' repeats the row of line 2"; do
		col=${bad%%:*}
		rest=${bad#*:}
		val=${rest%%:*}
		want=${rest#*:}
		rm -rf "$T/E"
		python3 - "$T" "$col" "$val" <<'PY'
import csv, os, sys
t, col, val = sys.argv[1:]
os.makedirs(t + "/E")
lines = open(t + "/B/results.csv").read().splitlines()
if col == "dup":
    lines.insert(5, lines[1])          # row 1 again, as line 6
else:
    cols = lines[0].split(",")
    f = lines[4].split(",")            # line 5
    f[cols.index(col)] = val
    lines[4] = ",".join(f)
open(t + "/E/results.csv", "w").write("\n".join(lines) + "\n")
PY
		line=5
		[ "$col" = dup ] && line=6
		"$NB" compare "$T/A" "$T/E" > /dev/null 2> "$T/err"
		rc=$?
		[ $rc = 2 ] && [ "$(wc -l < "$T/err")" = 1 ] || fail "compare, $col=$val: exit $rc, expected 2 and one line: $(cat "$T/err")"
		grep -qF "$T/E/results.csv:$line: $want" "$T/err" || fail "compare, $col=$val: $(cat "$T/err")"
		"$NB" plot "$T/E" > /dev/null 2> "$T/err"
		rc=$?
		[ $rc = 2 ] && grep -qF "$T/E/results.csv:$line: $want" "$T/err" ||
			fail "plot, $col=$val: exit $rc: $(cat "$T/err")"
	done
	;;
legacy)
	# Folders as older versions wrote them, results.csv opening with the
	# line "# nanobench results v1" (stats.csv and compare.csv with theirs):
	# compare, plot, merge and --resume keep reading them. The plot fixtures
	# and the parts of runners/tests/fixtures/v1-parts are such folders, kept
	# as those versions wrote them.
	for d in small failures; do
		cp -r "$FIXTURES/$d" "$T/$d"
		head -1 "$T/$d/results.csv" | grep -qx "# nanobench results v1" || fail "fixture $d is not of the old form"
	done
	cp "$T/small/results.csv" "$T/small.csv"
	"$NB" compare "$T/small" "$T/failures" --out "$T/cmp" > "$T/cmp.txt" 2> "$T/err" || fail "compare of old folders: $(cat "$T/err")"
	grep -q "xmalloc|nano|t1|compact *glibc *B is" "$T/cmp.txt" || fail "compare of old folders: $(cat "$T/cmp.txt")"
	head -1 "$T/cmp/compare.csv" | grep -q "^block,variant," || fail "compare.csv of old folders: the header first"
	"$NB" plot "$T/small" > /dev/null 2> "$T/err" || fail "plot of an old folder: $(cat "$T/err")"
	[ -s "$T/small/plots/throughput_nano.png" ] || fail "plot of an old folder drew no throughput_nano.png"
	cmp -s "$T/small.csv" "$T/small/results.csv" || fail "plot changed an old folder's results.csv"
	"$NB" merge --out "$T/merged" "$RFIXTURES"/v1-parts/part-* 2> "$T/err" || fail "merge of old parts: $(cat "$T/err")"
	py "$ROWS"'
import json
r = rows(sys.argv[1] + "/results.csv")
assert len(r) == 4 and sorted(x["block"] for x in r) == ["0", "0", "1", "1"], r
m = json.load(open(sys.argv[1] + "/meta.json"))
assert m["status"] == "merged" and m["results_schema"] == 1 and "cells_pus" not in m, m
' "$T/merged"
	# --resume of a folder of the old form: made here (the columns of an
	# older build would not match this one's), then cut short
	REPS=2 tiny "$T/m.ini"
	"$NB" matrix "$T/m.ini" --out "$T/run" --quiet || fail "tiny matrix exit $?"
	{ echo "# nanobench results v1"; head -n -3 "$T/run/results.csv"; } > "$T/old.csv"
	mv "$T/old.csv" "$T/run/results.csv"
	"$NB" matrix --resume "$T/run" 2> "$T/err" || fail "resume of an old folder: exit $?: $(cat "$T/err")"
	grep -q "3 cells run, 0 failed" "$T/err" || fail "resume of an old folder: $(cat "$T/err")"
	head -1 "$T/run/results.csv" | grep -qx "# nanobench results v1" || fail "resume dropped the old first line"
	py '
import csv, sys
with open(sys.argv[1] + "/results.csv", newline="") as f:
    f.readline()
    r = list(csv.DictReader(f))
assert len(r) == 16 and len({x["cell_key"] for x in r}) == 16 and all(x["cell_status"] == "ok" for x in r)
' "$T/run"
	[ "$(status "$T/run")" = complete ] || fail "resume of an old folder: meta.json says $(status "$T/run")"
	grep -q "^## Winners" "$T/run/summary.md" || fail "resume of an old folder: no summary"
	;;
program)
	cat > "$T/p.ini" <<'EOF'
[matrix]
allocators = glibc nano
repetitions = 2
warmup = 0
timeout = 30

[program sort]
command = seq 20000 | sort -r | md5sum

[program leaky-output]
; prints which allocator is preloaded: differs from glibc's run, must fail
command = echo "$LD_PRELOAD"

[program segv]
; a child dies of SIGSEGV and the shell exits 139: crashed, signal 11
command = sh -c 'kill -SEGV $$'; exit $?
EOF
	"$NB" matrix "$T/p.ini" --out "$T/run" --quiet
	[ $? = 1 ] || fail "the leaky-output program must fail its nano cells (exit 1)"
	py "$ROWS"'
r = rows(sys.argv[1] + "/results.csv")
assert len(r) == 12, len(r)
for x in r:
    if x["wl_label"] == "segv":
        assert x["cell_status"] == "crashed", (x["cell_status"], x["cell_reason"])
        assert x["cell_reason"].startswith("killed by signal 11"), x["cell_reason"]
    elif x["wl_label"] == "sort":
        assert x["cell_status"] == "ok", x["cell_reason"]
        assert float(x["wall_s"]) > 0 and int(x["peak_rss_kib"]) > 0 and x["minor_faults"] != ""
        assert (x["alloc_label"] == "nano") == ("libnano_preload.so" in x["alloc_library"])
    else:
        want = "ok" if x["alloc_label"] == "glibc" else "failed"
        assert x["cell_status"] == want, (x["alloc_label"], x["cell_status"], x["cell_reason"])
        if want == "failed":
            assert "output differs" in x["cell_reason"]
' "$T/run"
	;;
reference)
	# [program] cells with their own figure, and the reference preset's
	# machinery, on stand-ins for the published programs (CI cannot build
	# those): a stand-in prints a known figure, twice as good under nano.
	mkdir -p "$T/ref"
	cat > "$T/ref/larson" <<'EOF'
#!/bin/sh
j=$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')
case "$LD_PRELOAD" in *libnano_preload*) base=2000000 ;; *) base=1000000 ;; esac
echo "Throughput = $((base + j * 50)) operations per second, relative time: 1.0s."
EOF
	cat > "$T/ref/threadtest" <<'EOF'
#!/bin/sh
j=$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')
case "$LD_PRELOAD" in *libnano_preload*) t=0.5 ;; *) t=1.0 ;; esac
echo "Running threadtest for $1 threads..."
echo "Time elapsed = ${t}0$j" >&2
EOF
	chmod +x "$T/ref/larson" "$T/ref/threadtest"
	cat > "$T/m.ini" <<'EOF'
[matrix]
allocators = glibc nano
threads = 1
size_dists = classic
repetitions = 6
warmup = 0
timeout = 30

[workload larson]
chunks = 50
rounds = 2
duration = 0.05

[program larson-original]
requires = $NANOBENCH_REFERENCE_DIR/larson
command = "$NANOBENCH_REFERENCE_DIR/larson" 5 8 1000 5000 100 4141 "$NANOBENCH_THREADS"
metric = Throughput = *([0-9.]+) operations per second
metric_unit = ops/s
check_output = 0

[program threadtest-original]
requires = ${NANOBENCH_REFERENCE_DIR}/threadtest
command = "$NANOBENCH_REFERENCE_DIR/threadtest" "$NANOBENCH_THREADS" 1000 10000 0 8
metric = Time elapsed = *([0-9.]+)
metric_unit = s
higher_is_better = 0
check_output = 0

[program missing-original]
requires = $NANOBENCH_REFERENCE_DIR/not-built
command = "$NANOBENCH_REFERENCE_DIR/not-built"

[program silent]
command = echo no figure here
metric = Throughput = ([0-9]+)

[program zero]
command = echo Throughput = 0
metric = Throughput = ([0-9]+)
EOF
	NANOBENCH_REFERENCE_DIR="$T/ref" "$NB" matrix "$T/m.ini" --out "$T/run" --quiet 2> "$T/err"
	rc=$?
	[ $rc = 1 ] || fail "the silent and zero programs' cells must fail (exit 1), got $rc: $(cat "$T/err")"
	[ "$(grep -c "skipping program" "$T/err")" = 1 ] &&
		grep -q "skipping program missing-original: $T/ref/not-built: not found" "$T/err" ||
		fail "a missing program: one line naming it, got: $(cat "$T/err")"
	py "$ROWS"'
r = rows(sys.argv[1] + "/results.csv")
assert len(r) == 60, len(r)          # 5 blocks (the missing one skipped) x 2 x 6
assert not any(x["wl_label"] == "missing-original" for x in r)
for x in r:
    wl = x["wl_label"]
    if wl == "larson":
        assert x["cell_status"] == "ok" and x["metric"] == "" and float(x["ops_per_s"]) > 0, x
    elif wl == "silent":
        assert x["cell_status"] == "failed" and "no match for metric" in x["cell_reason"], x
        assert x["metric"] == ""
    elif wl == "zero":   # a figure readers cannot take (they take only positive ones)
        assert x["cell_status"] == "failed" and "not a positive number" in x["cell_reason"], x
        assert x["metric"] == ""
    else:
        assert x["cell_status"] == "ok", x["cell_reason"]
        assert x["ops_per_s"] == "" and float(x["metric"]) > 0, x
        hib = "0" if wl == "threadtest-original" else "1"
        unit = "s" if wl == "threadtest-original" else "ops/s"
        assert x["higher_is_better"] == hib and x["metric_unit"] == unit, x
        v = float(x["metric"])
        nano = x["alloc_label"] == "nano"
        if wl == "larson-original":
            assert 1e6 * (1 + nano) <= v < 1e6 * (1 + nano) + 13000, v
        else:
            assert abs(v - (0.5 if nano else 1.0)) < 0.01, v
' "$T/run"
	py '
import csv, sys
lines = open(sys.argv[1] + "/stats.csv").read().splitlines()
assert lines[0].startswith("workload,size_dist,threads,"), lines[0]
s = {(r["workload"], r["variant"]): r for r in csv.DictReader(lines)}
# a lower-is-better time is inverted: nano at half the time is 2x, faster
for wl in ("larson-original", "threadtest-original"):
    x = s[(wl, "nano")]
    assert abs(float(x["ratio"]) - 2) < 0.05 and x["verdict"] == "faster", x
    assert float(x["ci_lo"]) <= float(x["ratio"]) <= float(x["ci_hi"]), x
    assert s[(wl, "glibc")]["verdict"] == "reference"
assert s[("threadtest-original", "nano")]["unit"] == "s"
assert s[("threadtest-original", "nano")]["higher_is_better"] == "0"
assert abs(float(s[("threadtest-original", "nano")]["median"]) - 0.5) < 0.01
assert s[("silent", "glibc")]["n"] == "0" and s[("silent", "glibc")]["failed"] == "6"
' "$T/run"
	grep -q "^## Fidelity" "$T/run/summary.md" || fail "summary.md has no Fidelity section"
	grep -q "^### larson vs larson-original, 1 thread" "$T/run/summary.md" || fail "Fidelity: larson pair"
	grep -q "^| nano | \(1\.9[89]\|2\.0[0-2]\) \[" "$T/run/summary.md" || fail "Fidelity: nano's ratio under the original"
	grep -q "s (median, lower is better)" "$T/run/summary.md" || fail "a time's table says lower is better"
	# the preset: with every original present nothing is skipped
	for b in larson xmalloc-test glibc-thread threadtest cache-scratch cache-thrash linux-scalability rptest; do
		[ -e "$T/ref/$b" ] || ln -s "$T/ref/larson" "$T/ref/$b"
	done
	NANOBENCH_REFERENCE_DIR="$T/ref" "$NB" matrix --preset reference --dry-run > "$T/dry" 2> "$T/err" ||
		fail "reference preset dry run exit $?"
	! grep -q skipping "$T/err" || fail "reference with every original present skipped: $(cat "$T/err")"
	tail -1 "$T/dry" | grep -q "in 16 blocks" || fail "reference: 8 workloads + 8 originals, got $(tail -1 "$T/dry")"
	env -u NANOBENCH_REFERENCE_DIR "$NB" matrix --preset reference --dry-run > "$T/dry" 2> "$T/err" ||
		fail "reference without its folder must still run its workloads"
	grep -q "skipping program larson-original: NANOBENCH_REFERENCE_DIR is not set" "$T/err" ||
		fail "reference without NANOBENCH_REFERENCE_DIR: $(cat "$T/err")"
	tail -1 "$T/dry" | grep -q "in 8 blocks" || fail "reference without originals: 8 blocks"
	;;
auto)
	# repetitions = auto on stand-in programs: a steady figure stops at the
	# first check (6 repetitions), a noisy one (+-30%) at the cap; the
	# counts go into meta.json, and --resume, --block jobs and merge treat
	# a block with a recorded count as complete.
	mkdir -p "$T/bin"
	printf '#!/bin/sh\necho "figure 1000"\n' > "$T/bin/steady"
	printf '#!/bin/sh\nj=$(od -An -N1 -tu1 /dev/urandom | tr -d " ")\necho "figure $((700 + j * 600 / 255))"\n' > "$T/bin/noisy"
	chmod +x "$T/bin/steady" "$T/bin/noisy"
	cat > "$T/m.ini" <<EOF
[matrix]
allocators = glibc nano
threads = 1
repetitions = auto
max_repetitions = 8
warmup = 0
timeout = 30

[program steady]
command = $T/bin/steady
metric = figure ([0-9]+)
check_output = 0

[program noisy]
command = $T/bin/noisy
metric = figure ([0-9]+)
check_output = 0
EOF
	"$NB" matrix "$T/m.ini" --dry-run > "$T/dry" || fail "auto dry run exit $?"
	grep -q "repetitions = auto: 6 to 8 per block" "$T/dry" || fail "dry run does not explain auto"
	"$NB" matrix "$T/m.ini" --out "$T/run" --quiet || fail "auto matrix exit $?"
	counts='
import csv, json, sys
def check(d, want):
    m = json.load(open(d + "/meta.json"))
    a = m["auto_repetitions"]
    assert a["max"] == 8 and a["blocks"] == want, a
    rows = list(csv.DictReader(open(d + "/results.csv", newline="")))
    for b, n in want.items():
        got = sorted(int(x["rep"]) for x in rows if x["block"] == b and x["alloc_label"] == "glibc")
        assert got == list(range(n)), (b, got)
    return a
'
	py "$counts"'
a = check(sys.argv[1], {"0": 6, "1": 8})
assert a["capped"] == [1], a
' "$T/run"
	# resume of a complete auto run: nothing to do
	cp "$T/run/results.csv" "$T/before.csv"
	"$NB" matrix --resume "$T/run" --quiet || fail "auto resume exit $?"
	cmp -s "$T/before.csv" "$T/run/results.csv" || fail "resume of a complete auto run added rows"
	py "$counts"'check(sys.argv[1], {"0": 6, "1": 8})' "$T/run"
	# a run interrupted inside block 1 (its count not yet recorded): resume
	# continues that block from where it stopped, up to the cap
	cp -r "$T/run" "$T/cut"
	python3 - "$T/cut" <<'PY'
import json, sys
d = sys.argv[1]
lines = open(d + "/results.csv").read().splitlines(True)
# columns: matrix,host,block,rep,...: drop block 1's rounds 6 and 7
keep = lines[:1] + [l for l in lines[1:] if l.split(",")[2:4] not in (["1", "6"], ["1", "7"])]
open(d + "/results.csv", "w").writelines(keep)
m = json.load(open(d + "/meta.json"))
del m["auto_repetitions"]["blocks"]["1"]
json.dump(m, open(d + "/meta.json", "w"), indent=2)
PY
	[ "$(grep -c '^[^,]*,[^,]*,1,[67],' "$T/cut/results.csv")" = 0 ] || fail "test set-up: block 1's last rounds still there"
	"$NB" matrix --resume "$T/cut" --quiet || fail "auto resume after a cut exit $?"
	py "$counts"'check(sys.argv[1], {"0": 6, "1": 8})' "$T/cut"
	# jobs and merge
	"$NB" matrix "$T/m.ini" --emit-jobs --out "$T/parts" > "$T/jobs" || fail "auto emit-jobs"
	sh "$T/jobs" || fail "auto jobs"
	py "$counts"'check(sys.argv[1] + "/part-0", {"0": 6})' "$T/parts"
	"$NB" merge --out "$T/merged" "$T"/parts/part-* || fail "auto merge exit $?"
	py "$counts"'check(sys.argv[1], {"0": 6, "1": 8})' "$T/merged"
	;;
bad_input)
	check2() {   # check2 LABEL EXPECTED-TEXT CMD...: exit 2, one line naming it
		label=$1
		want=$2
		shift 2
		"$@" > /dev/null 2> "$T/err"
		rc=$?
		[ $rc = 2 ] || fail "$label: exit $rc, expected 2"
		[ "$(wc -l < "$T/err")" = 1 ] || fail "$label: expected one line, got: $(cat "$T/err")"
		grep -qF -- "$want" "$T/err" || fail "$label: message lacks '$want': $(cat "$T/err")"
	}
	tiny "$T/good.ini"
	sed 's/^repetitions = 2/repititions = 2/' "$T/good.ini" > "$T/k.ini"
	check2 "unknown key" "k.ini:6: unknown key 'repititions'" "$NB" matrix "$T/k.ini" --out "$T/o1"
	sed 's/^repetitions = 2/repetitions = two/' "$T/good.ini" > "$T/n.ini"
	check2 "bad number" "n.ini:6: repetitions: 'two' is not auto or a whole number" "$NB" matrix "$T/n.ini" --out "$T/o2"
	sed 's/^allocators = .*/allocators = /' "$T/good.ini" > "$T/e.ini"
	check2 "empty allocators" "e.ini:3: allocators: empty list" "$NB" matrix "$T/e.ini" --out "$T/o3"
	cat "$T/good.ini" > "$T/d.ini"
	printf '\n[workload larson]\nchunks = 10\n' >> "$T/d.ini"
	check2 "duplicate section" "section [workload larson] appears twice" "$NB" matrix "$T/d.ini" --out "$T/o4"
	check2 "unknown preset" "unknown preset 'nope'" "$NB" matrix --preset nope --out "$T/o5"
	check2 "unknown allocator" "unknown allocator 'glibcc'" sh -c \
		"sed 's/^allocators = .*/allocators = glibc glibcc/' '$T/good.ini' > '$T/a.ini'; exec '$NB' matrix '$T/a.ini' --out '$T/o6'"
	check2 "bad thread spec" "thread count 'lots'" sh -c \
		"sed 's/^threads = .*/threads = lots/' '$T/good.ini' > '$T/t.ini'; exec '$NB' matrix '$T/t.ini' --out '$T/o7'"
	printf '\n[program p]\ncommand = true\nmetric = Throughput [0-9]+\n' > "$T/g.ini"
	cat "$T/good.ini" "$T/g.ini" > "$T/r.ini"
	check2 "metric without a group" "metric: 'Throughput [0-9]+' has no capture group" "$NB" matrix "$T/r.ini" --out "$T/o8"
	printf '\n[program q]\ncommand = true\nmetric_unit = s\n' > "$T/h.ini"
	cat "$T/good.ini" "$T/h.ini" > "$T/s.ini"
	check2 "metric_unit without metric" "[program q] sets metric_unit or higher_is_better without a metric" "$NB" matrix "$T/s.ini" --out "$T/o9"
	sed 's/^repetitions = 2/repetitions = auto\nmax_repetitions = 5/' "$T/good.ini" > "$T/x.ini"
	check2 "auto cap below 6" "max_repetitions: '5' is not a whole number from 6" "$NB" matrix "$T/x.ini" --out "$T/o10"
	sed 's/^repetitions = 2/repetitions = 2\nmax_repetitions = 9/' "$T/good.ini" > "$T/y.ini"
	check2 "cap without auto" "max_repetitions is the cap of repetitions = auto" "$NB" matrix "$T/y.ini" --out "$T/o11"
	# more variants than a block's results hold (they were dropped, silently)
	sed 's/^repetitions = 2/repetitions = 2\nhyper_shifts = 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\nmaps = shift topology/' \
		"$T/good.ini" > "$T/v.ini"
	check2 "too many variants" "more than 32 allocator variants in one block" "$NB" matrix "$T/v.ini" --out "$T/o12"
	# what only the workloads know, checked before anything is written,
	# by --dry-run as by a real run: FILE:LINE and exit 2
	i=0
	while IFS='|' read -r edit want; do
		i=$((i + 1))
		sed "$edit" "$T/good.ini" > "$T/v$i.ini"
		check2 "$edit (dry run)" "$want" "$NB" matrix "$T/v$i.ini" --dry-run
		check2 "$edit" "$want" "$NB" matrix "$T/v$i.ini" --out "$T/ov$i"
		[ ! -e "$T/ov$i" ] || fail "$edit: a refused matrix wrote $T/ov$i"
	done <<'EDITS'
s/^\[workload larson\]/[workload nosuch]/|v1.ini:14: [workload nosuch] unknown workload 'nosuch'
s/^chunks = 50/s = abc/|v2.ini:15: [workload larson] 's' is not a parameter of workload larson
s/^chunks = 50/chunks = abc/|v3.ini:15: [workload larson] --chunks 'abc': expected an integer
s/^size_dists = nano/size_dists = bogus/|v4.ini:5: [matrix] size_dists: bad size distribution 'bogus'
s/^size_dists = nano/placements = nowhere/|v5.ini:5: [matrix] placements: unknown placement 'nowhere'
s/^allocators = .*/allocators = glibc glibc/|v6.ini:3: allocators: 'glibc' is listed twice
s/^threads = .*/threads = 1 2 1/|v7.ini:4: threads: '1' is listed twice
s/^allocators = .*/allocators = nano=\/x.so nano/|v8.ini:3: allocators: 'nano=/x.so' and 'nano' both have the label 'nano'
s/^size_dists = nano/size_dists = hist:\//|v9.ini:5: [matrix] size_dists: size distribution 'hist:/': a directory
s/^rounds = 2/hyper_shifts = 40/|v10.ini:16: [workload larson] hyper_shifts: '40' is not default or 0..16
s/^size_dists = nano/placements = cpus:4000/|v11.ini:5: [matrix] placements: placement 'cpus:4000'
s/^chunks = 50/chunks = 50\nmin = 100\nmax = 10/|v12.ini:15: [workload larson] larson: --min 100 is not below --max 10
s/^allocators = .*/allocators = nano glibc=\/bin\/sh/|'glibc' is a built-in allocator, whose label must mean it
s/^name = tiny/name = ..\/..\/x/|v14.ini:2: name '../../x' is not a folder name
s/^allocators = .*/allocators = glibc x=\/nonexistent.so/|v15.ini:3: allocator 'x=/nonexistent.so': expected NAME=/path/lib.so
s/^repetitions = 2/repetitions = 65/|v16.ini:6: repetitions: '65' is not auto or a whole number from 1 to 64
EDITS
	printf '\n[allocator glibc]\nbase = nano\n' | cat "$T/good.ini" - > "$T/builtin.ini"
	check2 "a built-in label redefined" "builtin.ini:18: [allocator glibc]: 'glibc' is a built-in allocator" \
		"$NB" matrix "$T/builtin.ini" --dry-run
	printf '[matrix]\nname = t\000x\n' > "$T/nul.ini"
	check2 "a NUL byte" "nul.ini:2: a NUL byte in the line" "$NB" matrix "$T/nul.ini" --dry-run
	printf '[program p]\ncommand = echo %0250d\n' 0 | cat "$T/good.ini" - > "$T/long.ini"
	check2 "a line too long" "long.ini:18: line longer than 198 characters" "$NB" matrix "$T/long.ini" --dry-run
	sed 's/^threads = .*/threads = 1\nthreads = 2/' "$T/good.ini" > "$T/twice.ini"
	check2 "a key twice" "twice.ini:5: 'threads' is set twice in [matrix] (line 4 and here" "$NB" matrix "$T/twice.ini" --dry-run
	sed 's/^chunks = 50/chunks = 50\n  60/' "$T/good.ini" > "$T/pc.ini"
	check2 "a parameter continued" "[workload larson] --chunks '50 60'" "$NB" matrix "$T/pc.ini" --dry-run
	# a list continued on indented lines is one list, items from every line
	sed 's/^allocators = .*/allocators = glibc\n  nano,\n\tjemalloc/; s/^threads = .*/threads = 1\n    2/' \
		"$T/good.ini" > "$T/cont.ini"
	"$NB" matrix "$T/cont.ini" --dry-run > "$T/dry" || fail "continued lists: exit $?"
	grep -q "matrix tiny: 24 cells" "$T/dry" || fail "continued lists: $(tail -1 "$T/dry")"
	sed 's/^allocators = .*/allocators = glibc\n  nano glibc/' "$T/good.ini" > "$T/cd.ini"
	check2 "an item twice across lines" "allocators: 'glibc' is listed twice" "$NB" matrix "$T/cd.ini" --dry-run
	check2 "a directory" "$T: a directory, not a matrix file" "$NB" matrix "$T" --dry-run
	for o in o1 o2 o3 o4 o5 o6 o7 o8 o9 o10 o11; do
		[ ! -e "$T/$o" ] || fail "a refused matrix wrote $T/$o"
	done
	# an --out folder that holds another run; a resume folder of another matrix
	ALLOCS=glibc REPS=1 tiny "$T/small.ini"
	sed -i 's/^threads = .*/threads = 1/' "$T/small.ini"
	# a variant's label in Latin-1, not UTF-8: meta.json stays valid JSON
	printf '[matrix]\nallocators = caf\351\nthreads = 1\nrepetitions = 1\nwarmup = 0\n[allocator caf\351]\nbase = glibc\n[workload threadtest]\nobjects = 10\niterations = 10\n' > "$T/latin1.ini"
	"$NB" matrix "$T/latin1.ini" --out "$T/latin1" --quiet || fail "a Latin-1 label: exit $?"
	py 'import json, sys
m = json.load(open(sys.argv[1] + "/meta.json", encoding="utf-8"))
assert m["allocators"][0]["label"] == "caf\ufffd", m["allocators"]
' "$T/latin1" || fail "meta.json with a Latin-1 label is not valid UTF-8 JSON"
	"$NB" matrix "$T/small.ini" --out "$T/run" --quiet || fail "small run"
	cp "$T/run/results.csv" "$T/before.csv"
	check2 "out holds another run" "already holds a different run" "$NB" matrix "$T/good.ini" --out "$T/run"
	check2 "resume of another matrix" "holds a run of another matrix" "$NB" matrix "$T/good.ini" --resume "$T/run"
	mkdir -p "$T/damaged" && : > "$T/damaged/meta.json"
	check2 "resume of a damaged folder" "not a run folder (its meta.json, empty or damaged, has no \"matrix_hash\")" \
		"$NB" matrix "$T/good.ini" --resume "$T/damaged"
	cmp -s "$T/before.csv" "$T/run/results.csv" || fail "a refused run changed results.csv"
	;;
disk_full)
	# a row that cannot be written stops the run: exit 3, the real errno,
	# no partial row, meta.json not complete; --resume finishes it
	REPS=2 tiny "$T/m.ini"
	enospc results.csv 6 "$NB" matrix "$T/m.ini" --out "$T/run" --quiet 2> "$T/err"
	rc=$?
	[ $rc = 3 ] || fail "a full disk must stop the matrix with exit 3, got $rc"
	grep -q "cannot append a row to $T/run/results.csv: No space left on device" "$T/err" ||
		fail "no clear message with ENOSPC: $(cat "$T/err")"
	[ "$(nrows "$T/run/results.csv")" = 5 ] || fail "expected the 5 rows written, got $(nrows "$T/run/results.csv")"
	[ "$(tail -c 1 "$T/run/results.csv" | od -An -c | tr -d ' ')" = '\n' ] || fail "a partial row stayed behind"
	[ "$(status "$T/run")" = incomplete ] || fail "meta.json says $(status "$T/run") after a lost row"
	[ ! -e "$T/run/summary.md" ] || fail "a summary of an incomplete run"
	"$NB" matrix --resume "$T/run" --quiet 2> "$T/err" || fail "resume after the disk filled: exit $?"
	py "$ROWS"'
r = rows(sys.argv[1] + "/results.csv")
assert len(r) == 16 and len(set(x["cell_key"] for x in r)) == 16, len(r)
' "$T/run"
	[ "$(status "$T/run")" = complete ] || fail "resume did not complete the run"
	# meta.json cannot be written: nothing runs
	ALLOCS=glibc REPS=1 tiny "$T/s.ini"
	enospc meta.json 0 "$NB" matrix "$T/s.ini" --out "$T/nometa" --quiet 2> "$T/err"
	[ $? = 3 ] && grep -q "meta.json.*No space left on device" "$T/err" ||
		fail "meta.json on a full disk: expected exit 3 and ENOSPC: $(cat "$T/err")"
	[ "$(nrows "$T/nometa/results.csv")" = 0 ] || fail "cells ran without a meta.json"
	# every row written, but not summary.md: exit 3, not complete
	enospc summary.md 0 "$NB" matrix "$T/s.ini" --out "$T/nosum" --quiet 2> "$T/err"
	[ $? = 3 ] && grep -q "summary.md: No space left on device" "$T/err" ||
		fail "summary.md on a full disk: expected exit 3 and ENOSPC: $(cat "$T/err")"
	[ "$(status "$T/nosum")" = incomplete ] || fail "meta.json says $(status "$T/nosum") without a summary"
	# pictures cut short by the disk: exit 3 naming the disk, never a
	# silent "wrote no picture" with exit 0
	enospc ".svg.tmp:.nanobench-probe" 0 "$NB" matrix "$T/s.ini" --out "$T/noplot" --quiet 2> "$T/err"
	[ $? = 3 ] && grep -q "plots: .*No space left on device" "$T/err" ||
		fail "plots on a full disk: expected exit 3 and ENOSPC: $(cat "$T/err")"
	[ "$(status "$T/noplot")" = incomplete ] || fail "meta.json says $(status "$T/noplot") without plots"
	# as a real disk does: room again once the cut-short picture is
	# removed, so a check made after that clean-up finds the disk
	# writable; the run is still incomplete, with exit 3
	FAULT_ENOSPC_ROOM=.svg.tmp enospc ".svg.tmp:.nanobench-probe" 0 "$NB" matrix "$T/s.ini" \
		--out "$T/noplot2" --quiet 2> "$T/err"
	[ $? = 3 ] && grep -q "plots: .*No space left on device" "$T/err" ||
		fail "plots on a disk that has room after the clean-up: expected exit 3: $(cat "$T/err")"
	[ "$(status "$T/noplot2")" = incomplete ] || fail "meta.json says $(status "$T/noplot2") without plots"
	grep -q "once the disk has room: nanobench matrix --resume $T/noplot2" "$T/err" ||
		fail "no line says how to finish the run: $(cat "$T/err")"
	# what that line says works: the run gets its plots and is complete
	"$NB" matrix --resume "$T/noplot2" --quiet 2> "$T/err" || fail "resume for the plots: $(cat "$T/err")"
	[ "$(status "$T/noplot2")" = complete ] && ls "$T/noplot2/plots/"*.svg > /dev/null 2>&1 ||
		fail "after the resume: $(status "$T/noplot2"), plots: $(ls "$T/noplot2/plots" 2>&1 | head -n 3)"
	# merge on such a disk: its own files go, the folder with them
	"$NB" matrix "$T/s.ini" --emit-jobs --out "$T/jparts" > "$T/jobs" && sh "$T/jobs" > /dev/null 2>&1 ||
		fail "parts for the merge"
	FAULT_ENOSPC_ROOM=.svg.tmp enospc ".svg.tmp:.nanobench-probe" 0 "$NB" merge --out "$T/jmerged" \
		"$T"/jparts/part-* 2> "$T/err"
	[ $? = 2 ] && [ ! -e "$T/jmerged" ] && grep -q "the disk refused the plots: nothing is left" "$T/err" ||
		fail "merge on a full disk: $(ls "$T/jmerged" 2>&1 | tr '\n' ' '): $(cat "$T/err")"
	enospc ".svg.tmp:.nanobench-probe" 0 "$NB" plot "$T/noplot" > /dev/null 2> "$T/err"
	[ $? = 2 ] && grep -q "cut-short svg picture: cannot write in .*No space left on device" "$T/err" ||
		fail "nanobench plot on a full disk: $(cat "$T/err")"
	"$NB" plot "$T/noplot" > /dev/null || fail "plot once there is room again"
	;;
repair)
	# a malformed middle row (a cut row with the next one glued on, as a
	# disk that filled and emptied left it), a row whose value is not data,
	# a row of a cell that has one already, a cut last row: --resume names
	# each by line, sets it aside, and reruns only the cells left without
	REPS=2 tiny "$T/m.ini"
	"$NB" matrix "$T/m.ini" --out "$T/run" --quiet || fail "tiny matrix exit $?"
	python3 - "$T/run/results.csv" <<'PY' || fail "corrupting results.csv"
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
# lines[0] header, row k at lines[k] (file line k + 1)
good = [l for i, l in enumerate(lines[1:-1]) if i + 1 not in (2, 6, 7)]
open(p + ".good", "w").write("\n".join(good))
f = lines[2].split(",")
f[lines[0].split(",").index("ops_per_s")] = "nan"
lines[2] = ",".join(f)                                    # line 3: nan
glued = lines[6][: len(lines[6]) // 2] + lines[7]         # line 7: rows 6 and 7 glued
lines = lines[:6] + [glued] + lines[8:-1] + [lines[1]]   # line 17: row 1 again
open(p, "w").write("\n".join(lines) + "\ntiny,host,0,0,cut-short-row")  # line 18: cut
PY
	"$NB" matrix --resume "$T/run" 2> "$T/err"
	rc=$?
	[ $rc = 0 ] || fail "resume of a damaged results.csv: exit $rc: $(cat "$T/err")"
	for want in "results.csv:3: ops_per_s 'nan' is not a finite number" "results.csv:7: " \
		"results.csv:17: cell_key repeats the row of line 2" "results.csv:18: the last row is cut short"; do
		grep -qF "$want" "$T/err" || fail "not named by its line: '$want': $(cat "$T/err")"
	done
	[ "$(grep -c "; set aside in $T/run/rejected-rows.txt" "$T/err")" = 4 ] || fail "expected 4 lines set aside"
	grep -q "3 cells run, 0 failed" "$T/err" || fail "resume reran more than the three lost cells: $(cat "$T/err")"
	[ "$(wc -l < "$T/run/rejected-rows.txt")" = 4 ] || fail "rejected-rows.txt should hold the 4 bad lines"
	py "$ROWS"'
r = rows(sys.argv[1] + "/results.csv")
assert len(r) == 16 and len(set(x["cell_key"] for x in r)) == 16, len(r)
assert all(x["cell_status"] == "ok" for x in r)
text = open(sys.argv[1] + "/results.csv").read()
for l in open(sys.argv[1] + "/results.csv.good").read().split("\n"):
    assert l + "\n" in text, "a good row changed or went: " + l[:60]
' "$T/run"
	[ "$(status "$T/run")" = complete ] || fail "meta.json not complete after the repair"
	grep -q "^## Winners" "$T/run/summary.md" || fail "no summary after the repair"
	;;
kill)
	# SIGKILL of the runner takes the running cell with it: a workload
	# cell, and a program cell with a grandchild of its shell
	printf '[matrix]\nallocators = glibc\nrepetitions = 1\nwarmup = 0\nduration = 30\n%s\n%s\n\n%s\n' \
		'seed = 987123' 'timeout = 60' '[workload threadtest]' > "$T/k.ini"
	printf '[matrix]\nallocators = glibc\nrepetitions = 1\nwarmup = 0\ntimeout = 60\n\n%s\n%s\n' \
		'[program sleeper]' 'command = sleep 37.25 & sleep 37.25; wait' > "$T/p.ini"
	for m in "k:--seed=987123" "p:sleep 37.25"; do
		ini=$T/${m%%:*}.ini
		mark=${m#*:}
		"$NB" matrix "$ini" --out "$T/run-${m%%:*}" --quiet &
		pid=$!
		wait_until 300 alive "$mark" || fail "$ini: the cell never started"
		kill -KILL $pid
		wait $pid 2> /dev/null
		wait_until 200 gone "$mark" || fail "$ini: the cell outlived the runner killed with SIGKILL"
	done
	# SIGHUP (the terminal went away) stops the run as Ctrl-C does: the
	# running cell ends, the folder says interrupted, and --resume goes on
	"$NB" matrix "$T/k.ini" --out "$T/run-hup" --quiet &
	pid=$!
	wait_until 300 alive "--seed=987123"
	kill -HUP $pid
	wait $pid
	rc=$?
	[ $rc = 1 ] || fail "a hung-up matrix must exit 1 (interrupted), got $rc"
	grep -q '"status": "interrupted"' "$T/run-hup/meta.json" || fail "SIGHUP: meta.json does not say interrupted"
	alive "--seed=987123" && fail "the cell outlived the runner's SIGHUP"
	;;
merge_partial)
	# job lines with relative paths work from any directory
	tiny "$T/m.ini"
	(cd "$T" && "$NB" matrix m.ini --emit-jobs --out parts > jobs) || fail "emit-jobs exit $?"
	(cd / && sh "$T/jobs") || fail "job lines of relative paths fail from another directory"
	[ -s "$T/parts/part-3/results.csv" ] || fail "the jobs did not write into $T/parts"
	# only some parts: refused, the missing cells listed, nothing written
	"$NB" merge --out "$T/m1" "$T/parts/part-0" 2> "$T/err"
	[ $? = 2 ] && [ ! -e "$T/m1" ] || fail "a merge of part 0 of 4 must be refused with nothing written"
	[ "$(grep -c '^nanobench merge: missing: ' "$T/err")" = 12 ] ||
		fail "expected the 12 missing cells listed: $(cat "$T/err")"
	grep -q "12 of 16 cells missing, 0 broken rows: nothing merged" "$T/err" || fail "no summary line: $(cat "$T/err")"
	# a part with a cut last row and one with a bad value: listed as broken
	csv1=$T/parts/part-1/results.csv
	head -c -20 "$csv1" > "$T/cut" && cat "$T/cut" > "$csv1"
	sed -i '4s/,ok,/,banana,/' "$T/parts/part-2/results.csv"
	"$NB" merge --out "$T/m2" "$T"/parts/part-* 2> "$T/err"
	[ $? = 2 ] && [ ! -e "$T/m2" ] || fail "a merge with broken rows must be refused"
	grep -q "broken: $csv1:5: the last row is cut short" "$T/err" || fail "cut row not named: $(cat "$T/err")"
	grep -q "broken: $T/parts/part-2/results.csv:4: cell_status 'banana'" "$T/err" ||
		fail "bad value not named: $(cat "$T/err")"
	grep -q "2 of 16 cells missing, 2 broken rows" "$T/err" || fail "counts: $(cat "$T/err")"
	# --partial merges what is there and says so
	"$NB" merge --partial --out "$T/m3" "$T"/parts/part-* 2> "$T/err" || fail "--partial merge exit $?"
	[ "$(status "$T/m3")" = merged-partial ] || fail "a partial merge must say merged-partial"
	[ "$(nrows "$T/m3/results.csv")" = 14 ] || fail "expected 14 rows merged"
	"$NB" merge --help | grep -q -- "--partial" || fail "merge --help does not document --partial"
	;;
distributed)
	# --emit-jobs resolves the cells once: jobs emitted on a (synthetic)
	# host of 256 PUs and 128 cores carry --machine 256:128 and name the same
	# cells on any host; a job whose cells need more CPUs than its host has
	# exits 2 before writing anything
	tiny "$T/m.ini"
	sed -i 's/^threads = .*/threads = 1 all/' "$T/m.ini"
	HWLOC_SYNTHETIC="pack:4 core:32 pu:2" "$NB" matrix "$T/m.ini" --emit-jobs --out "$T/parts" > "$T/jobs" ||
		fail "emit-jobs on a synthetic host: exit $?"
	[ "$(grep -c -- " --machine 256:128 --out " "$T/jobs")" = 4 ] || fail "job lines without --machine 256:128: $(cat "$T/jobs")"
	"$NB" matrix "$T/m.ini" --machine 256:128 --dry-run | grep -q "^ *[0-9]* block 1 *threadtest|nano|t256|" ||
		fail "--machine 256:128: block 1 is not threadtest at 256 threads"
	HWLOC_SYNTHETIC="pack:4 core:32 pu:2" "$NB" matrix "$T/m.ini" --emit-jobs --jobs-format slurm --out "$T/parts" |
		grep -q -- '--block "$SLURM_ARRAY_TASK_ID" --machine 256:128 ' || fail "slurm script without --machine"
	b=0
	while read -r job; do
		sh -c "$job" 2> "$T/err"
		rc=$?
		if [ $((b % 2)) = 0 ]; then         # blocks 0 and 2: 1 thread
			[ $rc = 0 ] || fail "job of block $b (1 thread): exit $rc: $(cat "$T/err")"
		else                                # blocks 1 and 3: 256 threads
			[ $rc = 2 ] && [ "$(wc -l < "$T/err")" = 1 ] || fail "job of block $b on a small host: exit $rc: $(cat "$T/err")"
			grep -q "block $b needs 256 CPUs (its cells were resolved for a machine of 256 hardware threads and 128 cores when the jobs were emitted) and this host has [0-9]*: run it on a host with at least 256" "$T/err" ||
				fail "block $b: message: $(cat "$T/err")"
			[ ! -e "$T/parts/part-$b" ] || fail "a refused job wrote $T/parts/part-$b"
		fi
		b=$((b + 1))
	done < "$T/jobs"
	py "$ROWS"'
import json
d = sys.argv[1] + "/part-2"
m = json.load(open(d + "/meta.json"))
assert (m["cells_resolved"], m["cells_pus"], m["cells_cores"], m["block"]) == ("emit-jobs", 256, 128, 2), m
r = rows(d + "/results.csv")
assert len(r) == 4 and {x["cell_key"].split("|")[2] for x in r} == {"t1"} and {x["block"] for x in r} == {"2"}, r
' "$T/parts"
	# --resume of a part: its block and machine come from its meta.json
	sed -i '$d' "$T/parts/part-2/results.csv"
	"$NB" matrix --resume "$T/parts/part-2" 2> "$T/err" || fail "resume of a part: exit $?: $(cat "$T/err")"
	grep -q "1 cells run, 0 failed" "$T/err" || fail "resume of a part ran other cells: $(cat "$T/err")"
	"$NB" matrix --resume "$T/parts/part-2" --machine 2:2 2> "$T/err"
	[ $? = 2 ] && grep -q "its cells were resolved for 256:128, --machine says 2:2" "$T/err" ||
		fail "resume with another --machine: $(cat "$T/err")"
	"$NB" matrix "$T/m.ini" --block 4 --out "$T/b4" 2> "$T/err"
	[ $? = 2 ] && grep -q -- "--block 4: the matrix has 4 blocks (0 to 3)" "$T/err" && [ ! -e "$T/b4" ] ||
		fail "a block that does not exist: $(cat "$T/err")"
	"$NB" matrix "$T/m.ini" --machine 4:8 --dry-run 2> "$T/err"
	[ $? = 2 ] && grep -q -- "--machine '4:8' is not PUS:CORES" "$T/err" || fail "bad --machine: $(cat "$T/err")"
	# merge: parts run on hosts of two (synthetic) topologies. Resolved
	# for one machine they merge; expanded by their own hosts they are
	# refused, both topologies named; resolved for two machines, refused
	sed -i 's/^threads = .*/threads = 1/' "$T/m.ini"
	part() {   # part DIR BLOCK SYNTHETIC [--machine P:C]
		d=$1 blk=$2 syn=$3
		shift 3
		HWLOC_SYNTHETIC=$syn "$NB" matrix "$T/m.ini" --block "$blk" "$@" --out "$T/$d/part-$blk" --quiet ||
			fail "part $d/$blk under $syn: exit $?"
	}
	part emit 0 "pack:2 core:1 pu:1" --machine 2:2
	part emit 1 "pack:1 core:2 pu:1" --machine 2:2
	"$NB" merge --out "$T/merged" "$T"/emit/part-* 2> "$T/err" || fail "merge of parts resolved at emit: $(cat "$T/err")"
	py '
import json, sys
m = json.load(open(sys.argv[1] + "/meta.json"))
assert (m["cells_resolved"], m["cells_pus"], m["cells_cores"]) == ("emit-jobs", 2, 2), m
' "$T/merged"
	part host 0 "pack:2 core:1 pu:1"
	part host 1 "pack:1 core:2 pu:1"
	"$NB" merge --out "$T/mixed" "$T"/host/part-* 2> "$T/err"
	[ $? = 2 ] && [ "$(wc -l < "$T/err")" = 1 ] && [ ! -e "$T/mixed" ] || fail "mixed topologies: $(cat "$T/err")"
	grep -q "part-1 ran on a host of another topology (1 packages, 1 NUMA nodes, 2 cores, 2 PUs[^)]*) than .*part-0 (2 packages, 1 NUMA nodes, 2 cores, 2 PUs[^)]*), and not every part's cells were resolved by --emit-jobs" "$T/err" ||
		fail "mixed topologies: message: $(cat "$T/err")"
	"$NB" merge --out "$T/mixed" "$T/emit/part-0" "$T/host/part-1" 2> "$T/err"
	[ $? = 2 ] && grep -q "another topology" "$T/err" || fail "an emit part and a host part of two topologies: $(cat "$T/err")"
	part two 0 "pack:1 core:2 pu:1" --machine 2:2
	part two 1 "pack:1 core:2 pu:1" --machine 2:1
	"$NB" merge --out "$T/m2" "$T"/two/part-* 2> "$T/err"
	[ $? = 2 ] && grep -q "part-1 expanded the matrix for a machine of 2:1 (PUS:CORES), .*part-0 for 2:2" "$T/err" &&
		[ ! -e "$T/m2" ] || fail "parts resolved for two machines: $(cat "$T/err")"
	;;
presets)
	for p in quick default full real-programs reference; do
		"$NB" matrix --preset $p --dry-run > "$T/$p.txt" 2> "$T/$p.err" || fail "preset $p: dry run exit $?"
		tail -1 "$T/$p.txt" | grep -q "^matrix $p: [0-9]* cells" || fail "preset $p: no estimate line"
	done
	# every preset expands and passes its check on machines of other sizes
	# too (an odd count of CPUs, 16, 128, 1024): an odd thread count once
	# refused xmalloc on every machine above 2 CPUs
	for p in quick default full real-programs reference; do
		for m in 3:3 16:8 128:64 1024:512; do
			"$NB" matrix --preset $p --machine $m --dry-run > "$T/$p.m" 2> "$T/$p.e" ||
				fail "preset $p on a $m machine: dry run exit $?: $(tail -1 "$T/$p.e")"
		done
	done
	# 1..all on the biggest machine nano maps (1024 thread counts; 256
	# were refused), and a count above what a cell runs refused up front
	sed 's/^threads = .*/threads = 1..all/' "$PRESETS/quick.ini" > "$T/all.ini"
	"$NB" matrix "$T/all.ini" --machine 1024:512 --dry-run > "$T/all.txt" 2>&1 ||
		fail "1..all on 1024 CPUs: $(tail -1 "$T/all.txt")"
	sed 's/^threads = .*/threads = 1 all/' "$PRESETS/quick.ini" > "$T/all.ini"
	"$NB" matrix "$T/all.ini" --machine 2048:1024 --dry-run > "$T/all.txt" 2>&1
	[ $? = 2 ] && grep -q "thread count 2048 is more than the 1024 threads a cell runs" "$T/all.txt" ||
		fail "2048 threads: $(tail -1 "$T/all.txt")"
	# default stays within a few hours on 128 CPUs (1..all made it 29)
	"$NB" matrix --preset default --machine 128:64 --dry-run > "$T/d128.txt" 2>&1
	mins=$(tail -1 "$T/d128.txt" | sed -n 's/.*about \([0-9]*\) min.*/\1/p')
	[ -n "$mins" ] && [ "$mins" -lt 240 ] || fail "default preset on 128 CPUs: $(tail -1 "$T/d128.txt")"
	# quick must stay quick on this machine: under 3 minutes as estimated
	secs=$(tail -1 "$T/quick.txt" | awk '{ for (i = 1; i <= NF; i++) { if ($i == "min") m = $(i-1); if ($i == "s") s = $(i-1) } print m * 60 + s }')
	[ "$secs" -lt 180 ] || fail "quick preset estimated at $secs s"
	;;
*)
	fail "unknown case $CASE"
	;;
esac
finish
