#!/bin/bash
# test_allocators.sh: the optional baselines (tbb, scudo) take effect where
# their Debian packages are installed and are refused by name where not; a
# matrix with skip_missing drops a missing allocator with one line; meta.json
# records each allocator's version as its cells reported it, the machine
# facts (unknown where the machine does not say) and the counter columns
# this machine left empty.
. "$(dirname "$0")/cli_lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect_baseline NAME FILE VERSION_PREFIX PACKAGE: with FILE installed the
# cell runs under it (malloc answered by FILE, the version reported); without
# it, exit 2 naming the package.
expect_baseline() {
	name=$1 file=$2 version=$3 pkg=$4
	"$NB" run threadtest --ops 2000 --objects 100 --allocator "$name" --csv --header \
		>"$tmp/$name.csv" 2>"$tmp/$name.err"
	rc=$?
	if [ -n "$file" ]; then
		[ $rc -eq 0 ] || fail "$name: exit $rc: $(cat "$tmp/$name.err")"
		[ "$(column status "$tmp/$name.csv")" = ok ] || fail "$name: status not ok"
		lib=$(column alloc_library "$tmp/$name.csv")
		[ "$lib" = "$(realpath "$file")" ] || fail "$name: malloc answered by '$lib', expected $file"
		case $(column alloc_version "$tmp/$name.csv") in
		"$version"*) ;;
		*) fail "$name: alloc_version '$(column alloc_version "$tmp/$name.csv")'" ;;
		esac
		echo "$name: $lib ($(column alloc_version "$tmp/$name.csv"))"
	else
		[ $rc -eq 2 ] || fail "$name missing: exit $rc, expected 2"
		[ "$(wc -l <"$tmp/$name.err")" = 1 ] && grep -q "$pkg" "$tmp/$name.err" ||
			fail "$name missing: expected one line naming $pkg: $(cat "$tmp/$name.err")"
		echo "$name: not installed here ($(cat "$tmp/$name.err"))"
	fi
}

tbb=$(ls /usr/lib/*/libtbbmalloc_proxy.so.2 /lib/*/libtbbmalloc_proxy.so.2 2>/dev/null | head -1)
scudo=$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.scudo_standalone-*.so 2>/dev/null |
	grep -E "$(uname -m).so\$" | sort -V | tail -1)
expect_baseline tbb "$tbb" tbbmalloc libtbbmalloc2
expect_baseline scudo "$scudo" "scudo standalone" libclang-rt-14-dev

# A matrix with a missing allocator: skip_missing drops it with one line.
cat >"$tmp/m.ini" <<EOF
[matrix]
name = allocs
allocators = glibc tbb scudo ghost=$tmp/no-such-lib.so
skip_missing = 1
threads = 1
size_dists = nano
repetitions = 1
warmup = 0
duration = 0.05

[workload threadtest]
objects = 100
EOF
"$NB" matrix "$tmp/m.ini" --out "$tmp/run" --quiet 2>"$tmp/m.err" || fail "matrix exit $?: $(cat "$tmp/m.err")"
[ "$(grep -c "skipping allocator ghost" "$tmp/m.err")" = 1 ] || fail "no one-line skip of ghost: $(cat "$tmp/m.err")"
skipped=$(grep -c "skipping allocator" "$tmp/m.err")
want=$((1 + (${#tbb} == 0) + (${#scudo} == 0)))
[ "$skipped" = "$want" ] || fail "$skipped allocators skipped, expected $want: $(cat "$tmp/m.err")"

python3 - "$tmp/run" "${tbb:+tbb}" "${scudo:+scudo}" <<'EOF' || fail "meta.json check"
import csv, json, sys
d = sys.argv[1]
want = ["glibc"] + [a for a in sys.argv[2:] if a]
meta = json.load(open(d + "/meta.json"))
rows = list(csv.DictReader(open(d + "/results.csv", newline="")))
labels = [a["label"] for a in meta["allocators"]]
assert labels == want, (labels, want)
assert sorted({r["alloc_label"] for r in rows}) == sorted(want), "ghost has no cell"
for a in meta["allocators"]:
    reported = {r["alloc_version"] for r in rows if r["alloc_label"] == a["label"]}
    assert a["version"] and a["version"] in reported, (a, reported)
host = meta["host"]
for k in ("smt", "cpu_boost", "cpufreq_governor", "cpufreq_driver", "thp_enabled", "mitigations"):
    assert host.get(k), f"host.{k} missing or empty: {host.get(k)!r}"
assert host["smt"] in ("on", "off", "not supported", "unknown"), host["smt"]
assert host["cpu_boost"] in ("on", "off", "unknown"), host["cpu_boost"]
assert host["mitigations"] == "unknown" or isinstance(host["mitigations"], dict), host["mitigations"]
b = meta["build"]
assert b["compiler"] and "-O" in b["flags"] and "c_std=" in b["options"], b
assert len(meta["topology"]["fingerprint"]) == 16, meta["topology"]
# the counter columns said once: exactly those empty in every ok row
ok = [r for r in rows if r["cell_status"] == "ok"]
empty = [c for c in ("cpu_migrations", "perf_ctx_switches", "perf_page_faults", "cycles",
                     "instructions", "cache_misses", "steal_s") if not any(r[c] for r in ok)]
assert meta["counters_unavailable"] == empty, (meta["counters_unavailable"], empty)
print("meta.json: versions", [a["version"] for a in meta["allocators"]], "counters unavailable", empty)
EOF
"$NB" topo | grep -q "fingerprint $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["topology"]["fingerprint"])' "$tmp/run/meta.json")" ||
	fail "meta.json's fingerprint is not the one nanobench topo prints"
finish
