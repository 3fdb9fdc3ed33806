#!/bin/bash
# test_cli.sh: help and listing, the allocator check, record formats, the
# column documentation, and `topo` on a split-numbered machine.
. "$(dirname "$0")/cli_lib.sh"
README=${README:?README must name docs/results.md}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$NB" --help | grep -q "^  run " || fail "--help does not list run"
"$NB" --help | grep -q "^  topo " || fail "--help does not list topo"
"$NB" run --help | grep -q -- "--placement" || fail "run --help"
for sub in run topo matrix plot tune compare merge; do
	"$NB" $sub --help | grep -q "^usage: nanobench $sub" || fail "$sub --help"
	[ "$("$NB" $sub -h)" = "$("$NB" $sub --help)" ] || fail "$sub -h is not --help"
done
"$NB" topo --help | grep -q -- "--topology" || fail "topo --help"
for w in threadtest larson xmalloc cache-scratch cache-thrash linux-scalability shbench \
	glibc-thread rptest churn mutator; do
	"$NB" run --list | grep -q "^$w\$" || fail "run --list lacks $w"
done

# A preload that does not define malloc: the cell must fail, never measure glibc.
libm=$(ls /usr/lib/*/libm.so.6 /lib/*/libm.so.6 2>/dev/null | head -1)
"$NB" run threadtest --ops 100 --allocator "m=$libm" --csv --header >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] || fail "wrong preload not failed"
grep -q "malloc is answered by" "$tmp/err" || fail "mismatch message: $(cat "$tmp/err")"
[ "$(column status "$tmp/out")" = failed ] || fail "mismatch: status not failed"

# glibc through re-execution, pinned, record to a file descriptor, JSON.
"$NB" run threadtest --ops 1000 --allocator glibc --placement cores --json --record-fd 3 \
	3>"$tmp/json" >"$tmp/stdout" || fail "glibc run"
grep -q '"status":"ok"' "$tmp/json" || fail "json record: $(cat "$tmp/json")"
grep -q '"alloc_library":".*libc.so.6"' "$tmp/json" || fail "json alloc_library"
[ -s "$tmp/stdout" ] && fail "record-fd 3 but stdout got output"

# Every column is documented in docs/results.md: the record's, and the
# matrix's own of a run folder's results.csv.
"$NB" run threadtest --ops 100 --csv --header | head -1 | tr , '\n' >"$tmp/cols"
printf '[matrix]\nname = cols\nallocators = glibc\nthreads = 1\nrepetitions = 1\nwarmup = 0\nduration = 0.05\n[workload threadtest]\n' >"$tmp/m.ini"
"$NB" matrix "$tmp/m.ini" --out "$tmp/run" --quiet 2>"$tmp/err" || fail "matrix: $(cat "$tmp/err")"
head -1 "$tmp/run/results.csv" | tr , '\n' >>"$tmp/cols"
[ "$(sort -u "$tmp/cols" | wc -l)" -gt 80 ] || fail "only $(sort -u "$tmp/cols" | wc -l) columns read"
while read -r c; do
	grep -q "^| \`$c\`" "$README" || fail "column $c not documented in docs/results.md"
done < <(sort -u "$tmp/cols")

# topo on Linux-style split numbering diagnoses the shift map.
"$NB" topo --topology "pack:1 core:4 pu:2(indexes=0,4,1,5,2,6,3,7)" >"$tmp/topo" || fail "topo"
grep -q "sibling numbering: split" "$tmp/topo" || fail "topo: no split numbering"
grep -q "merges different cores" "$tmp/topo" || fail "topo: no diagnosis"
"$NB" topo --topology "pack:1 core:4 pu:2" | grep -q "keeps each core" || fail "topo adjacent"
finish
