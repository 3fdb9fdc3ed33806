#!/bin/bash
# test_nano_rseq.sh PART: the allocator nano-rseq (issue 8) as the runner
# sees it: nano's library with NANO_FRONT=rseq, and a failed cell whenever
# libnano does not report the rseq front in effect.
#   front     a nano-rseq cell is ok and records nano_front=rseq, its
#             counters and NANO_FRONT=rseq; a nano cell records v1 and
#             leaves the front's counters empty; glibc leaves every
#             nano_front* column empty
#   fallback  --setenv GLIBC_TUNABLES=glibc.pthread.rseq=0 (set after the
#             runner's clean-up): exit 1, a failed record whose message says
#             the rseq front is not in effect and why
#   matrix    a tiny matrix with nano-rseq and a variant of it without rseq:
#             ok rows and failed rows with the reason, exit 1, summary lines
# front and the front-dependent checks of the others need libnano's rseq
# front (nano/nano_front.c); without it they fail on nano_front.
. "$(dirname "$0")/cli_lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# cell ALLOCATOR [ARGS...]: a short xmalloc cell (cross-thread frees, so
# remote chains too) into $tmp/rec and $tmp/err; sets rc
cell() {
	local alloc=$1
	shift
	"$NB" run xmalloc --threads 2 --size-dist nano --duration 0.2 --allocator "$alloc" "$@" \
		--csv --header >"$tmp/rec" 2>"$tmp/err"
	rc=$?
}

# is COLUMN WANT LABEL: the record's COLUMN equals WANT
is() {
	local got
	got=$(column "$1" "$tmp/rec")
	[ "$got" = "$2" ] || fail "$3: $1 is '$got', expected '$2' ($(cat "$tmp/err"))"
}

# empty COLUMN... : each column is empty in the record (label: $label)
empty() {
	for c in "$@"; do
		is "$c" "" "$label"
	done
}

front_counters="nano_cache_hit_rate nano_refills_per_kop nano_flushes_per_kop nano_chains
	nano_chain_mean_len nano_rseq_aborts nano_front_v1_ops"

front() {
	cell nano-rseq
	[ $rc -eq 0 ] || fail "nano-rseq: exit $rc: $(cat "$tmp/err")"
	is status ok nano-rseq
	is nano_front rseq nano-rseq
	is nano_front_reason "" nano-rseq
	is alloc_version "nano v1 + rseq front" nano-rseq
	is alloc_env NANO_FRONT=rseq nano-rseq
	for c in nano_front_cap $front_counters; do
		[ -n "$(column "$c" "$tmp/rec")" ] || [ "$c" = nano_chain_mean_len ] ||
			fail "nano-rseq: $c is empty"
	done
	awk -v h="$(column nano_cache_hit_rate "$tmp/rec")" 'BEGIN { exit !(h > 0 && h <= 1) }' ||
		fail "nano-rseq: cache hit rate '$(column nano_cache_hit_rate "$tmp/rec")' not in (0, 1]"

	cell nano
	[ $rc -eq 0 ] || fail "nano: exit $rc: $(cat "$tmp/err")"
	is nano_front v1 nano
	is alloc_version "nano v1" nano
	is alloc_env "" nano
	label=nano empty nano_front_reason nano_front_cap $front_counters

	cell glibc
	[ $rc -eq 0 ] || fail "glibc: exit $rc: $(cat "$tmp/err")"
	label=glibc empty nano_front nano_front_reason nano_front_cap $front_counters
}

fallback() {
	cell nano-rseq --setenv GLIBC_TUNABLES=glibc.pthread.rseq=0
	[ $rc -eq 1 ] || fail "rseq off: exit $rc, expected 1"
	is status failed "rseq off"
	grep -q "nano-rseq: the rseq front is not in effect" "$tmp/err" ||
		fail "rseq off: stderr does not say why: $(cat "$tmp/err")"
	column message "$tmp/rec" | grep -q "rseq front is not in effect" ||
		fail "rseq off: message '$(column message "$tmp/rec")'"
	is alloc_env "NANO_FRONT=rseq;GLIBC_TUNABLES=glibc.pthread.rseq=0" "rseq off"
	label="rseq off" empty $front_counters
	# needs libnano's front: it says which front runs and why
	is nano_front v1 "rseq off"
	[ -n "$(column nano_front_reason "$tmp/rec")" ] || fail "rseq off: no nano_front_reason"
	column message "$tmp/rec" | grep -q "rseq front is not in effect (.*rseq" ||
		fail "rseq off: the reason does not name rseq: '$(column message "$tmp/rec")'"

	# the cell's own NANO_FRONT wins over nano-rseq's: v1, so failed too
	cell nano-rseq --setenv NANO_FRONT=v1
	[ $rc -eq 1 ] || fail "NANO_FRONT=v1: exit $rc, expected 1"
	is alloc_env NANO_FRONT=v1 "NANO_FRONT=v1"
}

matrix() {
	cat >"$tmp/m.ini" <<EOF
[matrix]
name = rseq
allocators = glibc nano nano-rseq nano-rseq-off
threads = 2
size_dists = nano
repetitions = 1
warmup = 0
duration = 0.1
timeout = 30

[allocator nano-rseq-off]
base = nano-rseq
env = GLIBC_TUNABLES=glibc.pthread.rseq=0

[workload xmalloc]
EOF
	"$NB" matrix "$tmp/m.ini" --out "$tmp/run" --quiet 2>"$tmp/err"
	rc=$?
	[ $rc -eq 1 ] || fail "matrix: exit $rc, expected 1 (nano-rseq-off fails): $(cat "$tmp/err")"
	python3 - "$tmp/run" <<'PY' || fail "matrix: rows"
import csv, json, sys
d = sys.argv[1]
with open(d + "/results.csv", newline="") as f:
    r = {x["alloc_label"]: x for x in csv.DictReader(f)}
assert sorted(r) == ["glibc", "nano", "nano-rseq", "nano-rseq-off"], sorted(r)
off = r["nano-rseq-off"]
assert off["cell_status"] == "failed", off["cell_status"]
assert "nano-rseq: the rseq front is not in effect" in off["message"], off["message"]
assert "nano-rseq: the rseq front is not in effect" in off["cell_reason"], off["cell_reason"]
assert r["glibc"]["cell_status"] == "ok" and r["nano"]["cell_status"] == "ok"
m = json.load(open(d + "/meta.json"))
env = {a["label"]: a["env"] for a in m["allocators"]}
assert env["nano-rseq"] == ["NANO_FRONT=rseq"], env
assert env["nano-rseq-off"] == ["NANO_FRONT=rseq", "GLIBC_TUNABLES=glibc.pthread.rseq=0"], env
# these need libnano's rseq front
assert r["glibc"]["nano_front"] == "" and r["nano"]["nano_front"] == "v1", r["nano"]["nano_front"]
rs = r["nano-rseq"]
assert rs["cell_status"] == "ok" and rs["nano_front"] == "rseq", (rs["cell_status"], rs["cell_reason"])
PY
	grep -q "^| workload | sizes | threads | best other | nano x best other \[95%\] | verdict | nano-rseq x best other \[95%\] | verdict | nano-rseq x nano \[95%\] | verdict |" "$tmp/run/summary.md" &&
		grep -q "^| xmalloc | nano | 2 | glibc |\( [0-9.]*, n too small | undecided |\)\{3\}$" "$tmp/run/summary.md" ||
		fail "summary.md: no nano table with nano-rseq against nano on xmalloc"
	grep -q "not Google's per-CPU rseq tcmalloc" "$tmp/run/summary.md" ||
		fail "summary.md: no per-CPU vs per-thread caveat"
}

case $1 in
front) front ;;
fallback) fallback ;;
matrix) matrix ;;
*) fail "unknown part '$1'" ;;
esac
finish
