#!/bin/sh
# test_programs.sh CASE [NAME] - program cells and the report of their
# processes (runners/run_procs.h), end to end.
#
#   program NAME   a tiny version of the real-programs preset's program NAME
#                  (same scripts, small inputs) under glibc, nano and
#                  nano-rseq: every cell ok and verified, the report's
#                  figures in the row. Skipped, with one line, when a Debian
#                  package the program needs is not installed.
#   bypass         programs that go around the preloaded allocator, each in
#                  its own way, fail their cells with the reason
#   redis_cleanup  a redis cell that times out, and one whose server
#                  crashes, leave no process and no socket behind, and the
#                  failed cell's log is kept
. "$(dirname "$0")/cli_lib.sh"
T=$(mktemp -d)
trap "[ -n \"\${KEEP:-}\" ] || rm -rf \"\$T\"" EXIT
CASE=$1
NAME=${2:-}

py() {
	code=$1
	shift
	python3 -c "$ROWS$code" "$@" || fail "python check failed: $CASE $NAME"
}

# need PROGRAM PACKAGE...: skip the test (exit 77, one line) when a program
# is not installed
need() {
	prog=$1
	shift
	command -v "$prog" > /dev/null 2>&1 && return 0
	echo "SKIP: $prog is not installed (Debian package $*; ./do.sh test installs it)"
	exit 77
}

# leftovers DIR: processes whose working folder is under DIR (the cells'
# scratch folders), and the scratch folders themselves
leftovers() {
	for p in /proc/[0-9]*; do
		cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
		case $cwd in "$1"/*) echo "process ${p#/proc/} in $cwd: $(tr '\0' ' ' < "$p/cmdline" 2>/dev/null)" ;; esac
	done
	[ -e "$1/scratch" ] && echo "scratch folder left: $(find "$1/scratch" | head -5)"
	return 0
}

# matrix FILE ALLOCATORS TIMEOUT: the [matrix] section of a one-repetition run
matrix() {
	cat > "$1" <<EOF
[matrix]
name = programs-test
allocators = $2
repetitions = 1
warmup = 0
timeout = $3

EOF
}

case $CASE in
program)
	# NAME -> the tiny command, the process expected to make most calls,
	# and the extra [program] lines
	extra=""
	case $NAME in
	redis)
		need redis-server redis-server
		need redis-benchmark redis-tools
		need taskset util-linux
		cmd='sh "$NANOBENCH_PROGRAMS/redis.sh" 16 2000 1000'
		main=redis-check-rdb
		extra='metric = redis: ([0-9.]+) requests/s
metric_unit = requests/s' ;;
	z3)
		need z3 z3
		cmd='awk -v K=3 -f "$NANOBENCH_PROGRAMS/z3.awk" | z3 -in'
		main=z3 ;;
	lua)
		need lua5.4 lua5.4
		cmd='lua5.4 "$NANOBENCH_PROGRAMS/churn.lua" 5000'
		main=lua5.4 ;;
	ruby)
		need ruby ruby
		cmd='ruby --disable-gems "$NANOBENCH_PROGRAMS/churn.rb" 3000'
		main=ruby ;;
	ghostscript)
		need gs ghostscript
		cmd='gs -q -dBATCH -dNOPAUSE -dSAFER -dPages=2 -sDEVICE=txtwrite -sOutputFile=- "$NANOBENCH_PROGRAMS/gs.ps" | md5sum'
		main=gs ;;
	python-threads)
		need python3 python3
		cmd='PYTHONMALLOC=malloc python3 "$NANOBENCH_PROGRAMS/threads.py" 2 2000'
		main=python3 ;;
	sqlite)
		need sqlite3 sqlite3
		cmd='sqlite3 -cmd ".parameter set @rows 3000" :memory: < "$NANOBENCH_PROGRAMS/sqlite.sql"'
		main=sqlite3 ;;
	cc1)
		need gcc gcc
		cmd='awk -v N=3 -f "$NANOBENCH_PROGRAMS/cc1.awk" | gcc -O2 -S -x c - -o - | md5sum'
		main=cc1 ;;
	*)
		fail "unknown program '$NAME'"
		finish ;;
	esac
	matrix "$T/m.ini" "glibc nano nano-rseq" 60
	printf '[program %s]\ncommand = %s\nmin_calls = 1000\n%s\n' "$NAME" "$cmd" "$extra" >> "$T/m.ini"
	"$NB" matrix "$T/m.ini" --out "$T/run" --quiet 2> "$T/err" ||
		fail "$NAME: matrix exit $?: $(cat "$T/err"; cat "$T"/run/logs/*.log 2>/dev/null | tail -5)"
	py '
r = rows(sys.argv[1] + "/results.csv")
assert len(r) == 3, len(r)
for x in r:
    a = x["alloc_label"]
    assert x["cell_status"] == "ok", (a, x["cell_reason"])
    assert int(x["prog_alloc_calls"]) >= 1000, (a, x["prog_alloc_calls"])
    assert int(x["prog_procs"]) >= 1 and float(x["prog_calls_per_s"]) > 0, x
    assert sys.argv[2] in os.path.basename(x["prog_main"]), (a, x["prog_main"])
    assert 0 < float(x["wall_s"]) <= float(x["cell_wall_s"]), (x["wall_s"], x["cell_wall_s"])
    assert int(x["peak_rss_kib"]) > 0
    if a == "glibc":
        assert x["alloc_library"].endswith("/libc.so.6"), x["alloc_library"]
        assert x["prog_nano_served"] == "" and x["nano_front"] == ""
    else:
        assert x["alloc_library"].endswith("libnano_preload.so"), x["alloc_library"]
        assert float(x["prog_nano_served"]) >= 0.9, x["prog_nano_served"]
        assert x["nano_front"] == ("rseq" if a == "nano-rseq" else "v1"), (a, x["nano_front"])
' "$T/run" "$main"
	[ -z "$(ls "$T/run/logs" | grep '\.procs$')" ] || fail "$NAME: reports of ok cells were kept"
	left=$(leftovers "$T/run")
	[ -z "$left" ] || fail "$NAME: $left"
	;;
relative)
	# a run folder named relative to the current one (the presets'
	# default is), and a program that changes its folder first, as redis.sh
	# and the rptest original do: its processes' records must still reach
	# the cell's report
	BP=${BYPASS:?BYPASS names bypass_prog}
	matrix "$T/m.ini" "glibc nano" 30
	printf '[program cd-first]\ncommand = cd / && "%s" malloc 20000 && sh -c true\nmin_calls = 20000\n' \
		"$BP" >> "$T/m.ini"
	(cd "$T" && "$NB" matrix m.ini --out rel --quiet) 2> "$T/err" ||
		fail "relative: exit $?: $(cat "$T/err")"
	py '
r = rows(sys.argv[1] + "/results.csv")
assert len(r) == 2 and all(x["cell_status"] == "ok" for x in r), [(x["alloc_label"], x["cell_reason"]) for x in r]
' "$T/rel"
	;;
bypass)
	BP=${BYPASS:?BYPASS names bypass_prog}
	OWN=${BYPASS_OWN:?BYPASS_OWN names bypass_prog built with its own malloc}
	matrix "$T/m.ini" "glibc nano jemalloc" 30
	cat >> "$T/m.ini" <<EOF
[program honest]
command = "$BP" malloc 20000
min_calls = 20000

[program libc]
; glibc's own names called by the program: around any preloaded allocator
command = "$BP" libc 20000

[program aligned]
; aligned requests nano leaves to glibc: nano serves a tenth
command = "$BP" aligned 20000

[program own]
; the executable defines malloc: no preload can take it over
command = "$OWN" malloc 20000

[program rawexit]
; leaves without exit: a start record without an end
command = "$BP" rawexit 20000

[program too-few]
command = "$BP" malloc 2000
min_calls = 20000
EOF
	"$NB" matrix "$T/m.ini" --out "$T/run" --quiet 2> "$T/err"
	[ $? = 1 ] || fail "bypass: the matrix must end with failed cells (exit 1): $(cat "$T/err")"
	py '
r = rows(sys.argv[1] + "/results.csv")
assert len(r) == 18, len(r)
want = {
    "honest": {},
    "libc": {"nano": "around the preload", "jemalloc": "__libc_* functions, around the allocator"},
    "aligned": {"nano": "nano served"},
    "own": {a: "bypass_own, not the preloaded" for a in ("glibc", "nano", "jemalloc")},
    "rawexit": {a: "no end record" for a in ("glibc", "nano", "jemalloc")},
    "too-few": {a: "fewer than min_calls = 20000" for a in ("glibc", "nano", "jemalloc")},
}
for i, x in enumerate(r):
    reason = want[x["wl_label"]].get(x["alloc_label"])
    where = (x["wl_label"], x["alloc_label"], x["cell_status"], x["cell_reason"])
    if reason:
        assert x["cell_status"] == "failed" and reason in x["cell_reason"], where
        assert os.path.exists("%s/logs/cell-%05d.procs" % (sys.argv[1], i)), where
    else:
        assert x["cell_status"] == "ok", where
    if x["wl_label"] == "honest":
        assert int(x["prog_alloc_calls"]) >= 40000, x["prog_alloc_calls"]
    if x["wl_label"] in ("aligned", "libc") and x["alloc_label"] == "nano":
        assert float(x["prog_nano_served"]) < 0.2, x["prog_nano_served"]
        assert "nano served" in x["cell_reason"], where
' "$T/run"
	;;
redis_cleanup)
	need redis-server redis-server
	need redis-benchmark redis-tools
	need taskset util-linux
	# redis_run NAME ALLOCATOR TIMEOUT ARGS STATUS: one redis cell, its
	# status as expected, nothing left running, no socket or scratch left
	redis_run() {
		matrix "$T/$1.ini" "$2" "$3"
		printf '[program redis-%s]\ncommand = sh "$NANOBENCH_PROGRAMS/redis.sh" %s\ncheck_output = 0\n' \
			"$1" "$4" >> "$T/$1.ini"
		"$NB" matrix "$T/$1.ini" --out "$T/$1" --quiet 2> "$T/err"
		[ $? = 1 ] || fail "redis $1: exit 1 expected: $(cat "$T/err")"
		py '
r = rows(sys.argv[1] + "/results.csv")
assert len(r) == 1 and r[0]["cell_status"] == sys.argv[2], (r[0]["cell_status"], r[0]["cell_reason"])
' "$T/$1" "$5"
		left=$(leftovers "$T/$1")
		[ -z "$left" ] || fail "redis $1: $left"
	}
	# a cell that cannot finish in its 3 s: killed at the timeout
	redis_run timeout glibc 3 "16 100000000 1000" timeout
	# a server that aborts at its 20000th allocator call (the crashing test
	# allocator): the cell fails and its log (the server's and the script's
	# lines) is kept
	redis_run crash "crash=${CRASH:?CRASH names the crashing preload}" 30 "16 20000 1000" failed
	grep -q "redis.sh: " "$T"/crash/logs/cell-00000.log 2>/dev/null ||
		fail "redis crash: the cell's log is not kept or lacks redis.sh's line"
	;;
*)
	fail "unknown case $CASE"
	;;
esac
finish
