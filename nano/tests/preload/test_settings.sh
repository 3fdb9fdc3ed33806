#!/bin/sh
# The preload's settings follow the environment: NANO_MAG_MAP,
# NANO_HYPER_SHIFT, NANO_MAX_MAGAZINES, NANO_FRONT and NANO_FRONT_CAP (and
# NANO_FRONT=rseq falls back to v1, saying why, when glibc's rseq is off); a
# bad value prints exactly one warning line and leaves the default in
# effect. The front inherited from the driver's NANO_FRONT is in effect
# whenever a run does not set its own.
#   test_settings.sh PRELOAD PROBE
PRELOAD=$1
PROBE=$2
. "$(dirname "$0")/lib.sh"
setup
need_file "$PRELOAD" "libnano_preload.so"

# settings VAR=VALUE...: the probe's settings line, stderr into $T/err.txt.
settings() {
	env LD_PRELOAD="$PRELOAD" "$@" "$PROBE" settings 2> "$T/err.txt" || {
		cat "$T/err.txt" >&2
		fail "probe settings with $* failed"
	}
}
field() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# one_warning VAR VALUE: exactly one line on stderr, the warning about it.
one_warning() {
	[ "$(wc -l < "$T/err.txt")" -eq 1 ] || { cat "$T/err.txt" >&2; fail "$1='$2': expected exactly one line on stderr"; }
	grep -q "^nano: warning: $1='$2' is not .*; using the default\$" "$T/err.txt" \
		|| { cat "$T/err.txt" >&2; fail "$1='$2': no warning naming the variable and value"; }
}

def=$(settings)
note "default: $def"
[ "$(field "$def" ready)" = 1 ] || fail "the zone is not ready: $def"
[ "$(field "$def" source)" = default ] || fail "default settings say source $(field "$def" source)"
[ -s "$T/err.txt" ] && fail "default settings printed on stderr: $(cat "$T/err.txt")"
[ "$(field "$def" front)" = "$FRONT" ] || fail "NANO_FRONT=$FRONT gave front $(field "$def" front) ($(field "$def" front_reason))"
def_shift=$(field "$def" hyper_shift)

for map in cpu topology shift; do
	s=$(settings NANO_MAG_MAP=$map)
	note "NANO_MAG_MAP=$map: $s"
	[ "$(field "$s" map)" = $map ] || fail "NANO_MAG_MAP=$map gave map $(field "$s" map)"
	[ "$(field "$s" source)" = env ] || fail "NANO_MAG_MAP=$map: source $(field "$s" source), expected env"
done

s=$(settings NANO_HYPER_SHIFT=1)
note "NANO_HYPER_SHIFT=1: $s"
[ "$(field "$s" hyper_shift)" = 1 ] || fail "NANO_HYPER_SHIFT=1 gave hyper_shift $(field "$s" hyper_shift)"
[ "$(field "$s" source)" = env ] || fail "NANO_HYPER_SHIFT=1: source $(field "$s" source)"

s=$(settings NANO_MAX_MAGAZINES=1)
note "NANO_MAX_MAGAZINES=1: $s"
[ "$(field "$s" nmags)" = 1 ] || fail "NANO_MAX_MAGAZINES=1 gave $(field "$s" nmags) magazines"

for bad in bogus 17 -1 ""; do
	s=$(settings NANO_HYPER_SHIFT="$bad")
	note "NANO_HYPER_SHIFT='$bad': $s"
	one_warning NANO_HYPER_SHIFT "$bad"
	[ "$(field "$s" hyper_shift)" = "$def_shift" ] || fail "NANO_HYPER_SHIFT='$bad' gave hyper_shift $(field "$s" hyper_shift), expected the default $def_shift"
	[ "$(field "$s" ready)" = 1 ] || fail "NANO_HYPER_SHIFT='$bad': the zone is not ready"
done
s=$(settings NANO_FRONT=rseq)
note "NANO_FRONT=rseq: $s"
[ "$(field "$s" front)" = rseq ] || fail "NANO_FRONT=rseq gave front $(field "$s" front) ($(field "$s" front_reason))"
[ "$(field "$s" front_requested)" = rseq ] && [ "$(field "$s" front_reason)" = - ] \
	|| fail "NANO_FRONT=rseq: requested $(field "$s" front_requested), reason $(field "$s" front_reason)"
[ -s "$T/err.txt" ] && fail "NANO_FRONT=rseq printed on stderr: $(cat "$T/err.txt")"
def_cap=$(field "$s" front_cap)
[ "$def_cap" -ge 8 ] || fail "NANO_FRONT=rseq: front_cap $def_cap"

s=$(settings NANO_FRONT=rseq NANO_FRONT_CAP=8)
note "NANO_FRONT=rseq NANO_FRONT_CAP=8: $s"
[ "$(field "$s" front_cap)" = 8 ] || fail "NANO_FRONT_CAP=8 gave front_cap $(field "$s" front_cap)"

s=$(settings NANO_FRONT=v1 NANO_FRONT_CAP=8)
note "NANO_FRONT=v1: $s"
[ "$(field "$s" front)" = v1 ] && [ "$(field "$s" front_requested)" = v1 ] && [ "$(field "$s" front_cap)" = 0 ] \
	|| fail "NANO_FRONT=v1 gave front $(field "$s" front) (requested $(field "$s" front_requested), cap $(field "$s" front_cap))"

s=$(settings NANO_FRONT=rseq GLIBC_TUNABLES=glibc.pthread.rseq=0)
note "NANO_FRONT=rseq, glibc's rseq off: $s"
[ "$(field "$s" front)" = v1 ] || fail "NANO_FRONT=rseq without rseq gave front $(field "$s" front)"
[ "$(field "$s" front_requested)" = rseq ] || fail "NANO_FRONT=rseq without rseq: requested $(field "$s" front_requested)"
field "$s" front_reason | grep -q rseq || fail "NANO_FRONT=rseq without rseq: the reason '$(field "$s" front_reason)' does not name rseq"
[ "$(field "$s" ready)" = 1 ] || fail "NANO_FRONT=rseq without rseq: the zone is not ready"

s=$(settings NANO_FRONT=bogus)
note "NANO_FRONT='bogus': $s"
one_warning NANO_FRONT bogus
[ "$(field "$s" front)" = v1 ] || fail "NANO_FRONT='bogus' gave front $(field "$s" front), expected the default v1"

for bad in 7 1905 x ""; do
	s=$(settings NANO_FRONT=rseq NANO_FRONT_CAP="$bad")
	note "NANO_FRONT_CAP='$bad': $s"
	one_warning NANO_FRONT_CAP "$bad"
	[ "$(field "$s" front_cap)" = "$def_cap" ] || fail "NANO_FRONT_CAP='$bad' gave front_cap $(field "$s" front_cap), expected the default $def_cap"
done
note "PASS: settings follow the environment (front $FRONT)"
