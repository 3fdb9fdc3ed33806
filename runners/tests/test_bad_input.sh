#!/bin/bash
# test_bad_input.sh: every kind of bad input ends with exit status 2 and one
# line on stderr that names the offending value.
. "$(dirname "$0")/cli_lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect WORD ARGS...: exit 2, exactly one stderr line, containing WORD.
expect() {
	local word=$1
	shift
	"$NB" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$? lines
	lines=$(wc -l <"$tmp/err")
	[ $rc -eq 2 ] || fail "nanobench $*: exit $rc, expected 2"
	[ "$lines" -eq 1 ] || fail "nanobench $*: $lines stderr lines, expected 1: $(cat "$tmp/err")"
	grep -qF -- "$word" "$tmp/err" || fail "nanobench $*: message does not name '$word': $(cat "$tmp/err")"
}

expect frobnicate frobnicate
expect nosuch run nosuch
expect "--bogus" run larson --bogus 1
expect abc run larson --chunks abc
expect "'0'" run larson --threads 0
expect 100000 run larson --threads 100000
expect 12x run larson --threads 12x
expect diagonal run larson --placement diagonal
expect "cpus:" run larson --placement cpus:
expect gauss:3 run larson --size-dist gauss:3
expect "uniform:9-8" run larson --size-dist uniform:9-8
expect nosuchalloc run larson --allocator nosuchalloc
expect /nonexistent.so run larson --allocator x=/nonexistent.so
expect "'glibc' is a built-in allocator" run larson --allocator glibc=/bin/sh
expect "2 threads" run larson --threads 2 --placement cpus:0 --ops 10
expect "CPU 4000" run larson --placement cpus:4000 --ops 10
expect "names CPU 0 twice" run larson --threads 2 --placement cpus:0,0 --ops 10
expect "'cpus:0-1024': it lists more than 1024 CPUs" run larson --placement cpus:0-1024 --ops 10
expect "'cpus:70000': CPU numbers go up to 65535" run larson --placement cpus:70000 --ops 10
expect "--ops" run larson --duration 1 --ops 5
expect "-1" run larson --duration -1
expect "'0'" run larson --ops 0
expect 999 run larson --record-fd 999
expect "open for reading only" run larson --record-fd 0 --ops 10 < /dev/null
expect "'A B=1': expected VAR=VALUE" run larson --setenv 'A B=1' --ops 10
expect "--seed" run larson --seed -5
expect "--min 2000" run larson --min 2000 --ops 10
expect "--min 2000" run larson --min 2000 --ops 10 --allocator glibc
expect "a directory" run larson --size-dist hist:/
expect "not a regular file" run larson --size-dist hist:/dev/null
expect "bogus:3" topo --topology "bogus:3"
# a huge synthetic machine is refused by its size before hwloc spends
# minutes building it (the test's timeout is the check)
expect "describes 100000 PUs" topo --topology "pack:10 core:100 pu:100"
expect "describes 100000 PUs" tune --topology "pack:10 core:100 pu:100"
expect "/nonexistent.xml" topo --topology-xml /nonexistent.xml
expect "--hyper-shift" topo --hyper-shift 99
# every subcommand reads its options the same way (runners/run_args.h)
for sub in run topo matrix plot tune compare merge; do
	expect "'--bogus'" $sub --bogus
	expect "'-x'" $sub -x
done
expect "'--out' needs a value" compare a b --out
expect "'--preset' needs a value" matrix --preset
expect "'--topology' needs a value" topo --topology
expect "'--force' takes no value" merge --force=1 --out x a
expect "'--dry-run' takes no value" matrix --preset quick --dry-run=yes
expect "'--t' is ambiguous" tune --t 3
expect "unexpected argument 'c'" compare a b c
expect "'a' and 'b'" plot a b
expect "unexpected argument 'b'" matrix a b
expect "unexpected argument 'foo'" topo foo
expect "unexpected argument 'foo'" tune foo
expect "--header" run larson --header
expect "needs a value" run larson --threads
expect "'--out' needs a value (it is empty)" matrix --preset quick --out ''
expect "'--size-dist' needs a value (it is empty)" run larson --size-dist ''
: > "$tmp/afile"
expect "--out $tmp/afile: cannot create $tmp/afile/logs: Not a directory" matrix --preset quick --out "$tmp/afile"
finish
