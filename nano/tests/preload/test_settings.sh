#!/bin/sh
# The preload's settings follow the environment: NANO_MAG_MAP,
# NANO_HYPER_SHIFT, NANO_MAX_MAGAZINES; a bad NANO_HYPER_SHIFT prints exactly
# one warning line and leaves the default in effect.
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

def=$(settings)
note "default: $def"
[ "$(field "$def" ready)" = 1 ] || fail "the zone is not ready: $def"
[ "$(field "$def" source)" = default ] || fail "default settings say source $(field "$def" source)"
[ -s "$T/err.txt" ] && fail "default settings printed on stderr: $(cat "$T/err.txt")"
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
	[ "$(wc -l < "$T/err.txt")" -eq 1 ] || { cat "$T/err.txt" >&2; fail "NANO_HYPER_SHIFT='$bad': expected exactly one line on stderr"; }
	grep -q "^nano: warning: NANO_HYPER_SHIFT='$bad' is not .*; using the default\$" "$T/err.txt" \
		|| { cat "$T/err.txt" >&2; fail "NANO_HYPER_SHIFT='$bad': no warning naming the variable and value"; }
	[ "$(field "$s" hyper_shift)" = "$def_shift" ] || fail "NANO_HYPER_SHIFT='$bad' gave hyper_shift $(field "$s" hyper_shift), expected the default $def_shift"
	[ "$(field "$s" ready)" = 1 ] || fail "NANO_HYPER_SHIFT='$bad': the zone is not ready"
done
note "PASS: settings follow the environment"
