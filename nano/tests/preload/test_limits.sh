#!/bin/sh
# nano out of room, through the preload: every pointer it hands out is a
# block nobody else holds, a request it cannot serve goes to the helper, and
# programs that complete under a limit with glibc complete with nano too.
#   test_limits.sh PRELOAD LIMITS PERL PYTHON
#
#   - NANO_BAND_BITS=1 (2 bands per class and magazine): `limits past`, 8
#     threads (2 pinned to different CPUs) far past exhaustion;
#   - ulimit -v 2000000: `limits cross`, live blocks of CPU 1 while CPU 0
#     runs the same class dry (it used to hand them out again);
#   - `limits fill` to 90% of an address-space and of a data limit, with
#     glibc and with nano;
#   - perl (1.5 million hash keys) and python (PYTHONMALLOC=malloc, a million
#     strings) under ulimit -v and ulimit -d: same output as with glibc under
#     the same limit. The limits leave glibc about 10-50% of room (measured
#     minimum data limits on the development VM: perl 183 MB with glibc and
#     184 with nano; python 78 with glibc and 86 with nano).
#
# The front under test comes from NANO_FRONT (lib.sh). Under limits nano may
# serve few of the requests (the reservation is capped at an eighth of an
# address-space limit), so the share is printed, not checked; the front is.
PRELOAD=$1
LIMITS=$2
PERL=$3
PYTHON=$4
. "$(dirname "$0")/lib.sh"
setup
need_file "$PRELOAD" "libnano_preload.so"
need_file "$LIMITS" "the limits test program"

# nano_run LABEL LIMIT_OPTION LIMIT_KIB CMD...: CMD under the preload and the
# limit (none when LIMIT_OPTION is -), stdout to $T/LABEL.out, statistics to
# $T/LABEL.err; fails the test when CMD fails.
nano_run() {
	label=$1 opt=$2 kib=$3
	shift 3
	(
		[ "$opt" = - ] || ulimit "$opt" "$kib" || exit 99
		env LD_PRELOAD="$PRELOAD" NANO_STATS=1 NANO_VERBOSE=1 "$@"
	) > "$T/$label.out" 2> "$T/$label.err"
	rc=$?
	[ $rc = 0 ] || { tail -5 "$T/$label.err" >&2; fail "$label: exit status $rc with nano"; }
	head -3 "$T/$label.out" | sed "s|^|$label: |"
	grep '^nano: served\|exhausted (' "$T/$label.err" | sed "s|^|$label: |" | head -8
	check_front "$T/$label.err" "$label"
}

# plain_run LABEL LIMIT_OPTION LIMIT_KIB CMD...: the same with glibc.
plain_run() {
	label=$1 opt=$2 kib=$3
	shift 3
	( ulimit "$opt" "$kib" || exit 99; "$@" ) > "$T/$label.plain" 2> "$T/$label.plainerr" ||
		{ tail -3 "$T/$label.plainerr" >&2; fail "$label: exit status $? with glibc (the limit leaves too little room on this machine?)"; }
}

NANO_BAND_BITS=1 nano_run past - 0 "$LIMITS" past
grep -q 'band_bits 1,' "$T/past.out" || fail "past: NANO_BAND_BITS=1 not in effect"
grep -q ' [1-9][0-9]* exhausted classes' "$T/past.out" || fail "past: no class ran out"

nano_run cross -v 2000000 "$LIMITS" cross
grep -q ' [1-9][0-9]* exhausted classes' "$T/cross.out" || fail "cross: class 64 never ran out"
region=$(sed -n 's/.*region \([0-9]*\) MiB.*/\1/p' "$T/cross.out")
[ "$region" -le $((2000000 / 1024 / 8)) ] ||
	fail "cross: a region of $region MiB under ulimit -v 2000000 (at most an eighth of the limit)"

for lim in "-v 600000 as" "-d 300000 data"; do
	set -- $lim
	plain_run "fill_$3" "$1" "$2" "$LIMITS" fill "$3"
	sed "s|^|fill_$3 (glibc): |" "$T/fill_$3.plain"
	nano_run "fill_$3" "$1" "$2" "$LIMITS" fill "$3"
done

PERL_PROG='my %h; $h{$_}=1 for 1..1500000; print scalar(keys %h),"\n"'
PY_PROG='l=[str(i) for i in range(1000000)]; print(len(l), sum(map(len, l)))'
for lim in "perl -v 8000000" "perl -d 220000" "python -v 2000000" "python -d 120000"; do
	set -- $lim
	label="$1_$(echo "$2" | tr -d -)"
	if [ "$1" = perl ]; then
		plain_run "$label" "$2" "$3" "$PERL" -e "$PERL_PROG"
		nano_run "$label" "$2" "$3" "$PERL" -e "$PERL_PROG"
	else
		plain_run "$label" "$2" "$3" env PYTHONMALLOC=malloc "$PYTHON" -c "$PY_PROG"
		nano_run "$label" "$2" "$3" env PYTHONMALLOC=malloc "$PYTHON" -c "$PY_PROG"
	fi
	same "$T/$label.plain" "$T/$label.out" "$label"
done
note "PASS: limits ($FRONT)"
