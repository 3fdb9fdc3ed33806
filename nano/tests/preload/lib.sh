# lib.sh - shared helpers of the preload test drivers (POSIX sh, sourced).
#
# Every driver runs a real program twice, without and with
# libnano_preload.so, compares what the program printed, and reads the
# statistics table that NANO_STATS=1 makes the preload write to stderr at
# exit: each process prints one line
#     nano: served A of B requests of 256 bytes or less (P%); ...
# and every such line must show A >= 90% of B (nano really served).
#
# The front under test comes from NANO_FRONT (v1 when unset; meson registers
# every driver twice, the second time with NANO_FRONT=rseq and a name ending
# in _rseq). The preloaded runs inherit it, and check_front makes sure that
# it really was in effect in every process: a fallback from rseq to v1 fails
# the test.

set -u

NANO_MIN_SHARE=${NANO_MIN_SHARE:-90}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

note() {
	echo "$*"
}

# A fresh temporary directory in $T, removed at exit. The environment the
# programs inherit is cleaned of anything that would change the allocator.
setup() {
	unset LD_PRELOAD NANO_HYPER_SHIFT NANO_MAX_MAGAZINES NANO_MAG_MAP NANO_BAND_BITS \
		NANO_PROFILE NANO_STATS NANO_FRONT_CAP MALLOC_CONF GLIBC_TUNABLES 2>/dev/null || true
	FRONT=${NANO_FRONT:-v1}
	case $FRONT in
	v1 | rseq) ;;
	*) fail "NANO_FRONT='$FRONT': the drivers test the fronts v1 and rseq" ;;
	esac
	NANO_FRONT=$FRONT
	export NANO_FRONT
	case $PRELOAD in
	/*) ;;
	*) PRELOAD=$(pwd)/$PRELOAD ;;
	esac
	T=$(mktemp -d "${TMPDIR:-/tmp}/nano_preload_test.XXXXXX") || fail "mktemp"
	trap 'rm -rf "$T"' EXIT
	trap 'exit 1' INT TERM
	ulimit -c 0 2>/dev/null || true
}

# need_file PATH WHAT: the path must exist.
need_file() {
	[ -e "$1" ] || fail "$2 not found at '$1'"
}

# Run "$@" with the preload and NANO_STATS=1.
with_nano() {
	env LD_PRELOAD="$PRELOAD" NANO_STATS=1 "$@"
}

# check_share STDERR_FILE LABEL: every "nano: served" line in the file must
# show a share >= NANO_MIN_SHARE; there must be at least one such line.
# Prints the lines (the numbers go into the test log).
check_share() {
	lines=$(grep '^nano: served ' "$1")
	[ -n "$lines" ] || fail "$2: no 'nano: served ...' line on stderr: the NANO_STATS=1 table is missing (did the program close stderr before the preload's destructor ran?)"
	echo "$lines" | sed "s|^|$2: |"
	echo "$lines" | awk -v min="$NANO_MIN_SHARE" -v label="$2" '
		{ a = $3; b = $5
		  if (b + 0 == 0) { print label ": a process made no request of 256 bytes or less" > "/dev/stderr"; bad = 1; next }
		  if (a * 100 < min * b) { print label ": nano served only " a " of " b " small requests (< " min "%)" > "/dev/stderr"; bad = 1 } }
		END { exit bad }' || fail "$2: nano served less than $NANO_MIN_SHARE% of the small requests"
	check_front "$1" "$2"
}

# check_front STDERR_FILE LABEL: every statistics table in the file (one per
# process: its "nano: served" line) comes with a settings line that names
# the front $FRONT ("nano: layout ..., front rseq") and no fallback reason;
# with rseq, each also has its "nano: rseq front: ..." line, with at least
# one refill (the caches served that process), and without, none.
check_front() {
	tables=$(grep -c '^nano: served ' "$1")
	[ "$tables" -gt 0 ] || fail "$2: no statistics table (NANO_STATS=1) on stderr to read the front from"
	if grep -q '^nano: layout .*(rseq asked for: ' "$1"; then
		fail "$2: the rseq front fell back to v1: $(grep -o '(rseq asked for: .*' "$1" | head -1)"
	fi
	named=$(grep -c "^nano: layout .*, front $FRONT\( (.*\)\{0,1\}\$" "$1")
	[ "$named" -eq "$tables" ] || {
		grep '^nano: layout ' "$1" >&2
		fail "$2: $named of $tables processes report 'front $FRONT' in their settings line"
	}
	fronts=$(grep -c '^nano: rseq front: ' "$1")
	if [ "$FRONT" = rseq ]; then
		[ "$fronts" -eq "$tables" ] || fail "$2: $fronts 'nano: rseq front:' lines for $tables processes"
		grep '^nano: rseq front: ' "$1" | awk -v label="$2" '
			{ for (i = 4; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			  if (v["refills"] + 0 == 0) { print label ": a process whose caches never refilled: " $0 > "/dev/stderr"; bad = 1 }
			  hits += v["cache_allocs"]; aborts += v["aborts"]; v1 += v["v1_allocs"] }
			END { printf "%s: front rseq in %d processes: %d cache hits, %d v1-path allocs, %d rseq aborts\n", label, NR, hits, v1, aborts
			      exit bad }' || fail "$2: the rseq front did not serve every process"
	else
		[ "$fronts" -eq 0 ] || fail "$2: 'nano: rseq front:' lines although the front is v1"
	fi
}

# same FILE_A FILE_B LABEL: byte-identical outputs.
same() {
	cmp -s "$1" "$2" || {
		diff "$1" "$2" | head -20 >&2
		fail "$3: output with the preload differs from the output without it"
	}
}

# No line but the statistics table (and nothing else from nano) on stderr.
strip_stats() {
	grep -v -e '^nano: ' -e '^ mag size ' -e '^ *[0-9][0-9]* *[0-9][0-9]* ' -e '^    total ' "$1"
}
