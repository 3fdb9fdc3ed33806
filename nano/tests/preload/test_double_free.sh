#!/bin/sh
# A preloaded double free aborts (SIGABRT) with nano's message on stderr,
# whether the block is the head of its free list or deep inside it (with
# NANO_FRONT=rseq: on top of the CPU's cache, or under two later frees).
#   test_double_free.sh PRELOAD DOUBLE_FREE_PROGRAM
PRELOAD=$1
PROG=$2
. "$(dirname "$0")/lib.sh"
setup
need_file "$PRELOAD" "libnano_preload.so"

for mode in head deep; do
	env LD_PRELOAD="$PRELOAD" "$PROG" "$mode" > "$T/out.txt" 2> "$T/err.txt"
	rc=$?
	cat "$T/err.txt"
	[ $rc -ne 3 ] || fail "double free ($mode): the blocks were not nano's"
	[ $rc -ne 0 ] || fail "double free ($mode) was not detected (the program went on)"
	[ $rc -eq 134 ] || fail "double free ($mode): exit status $rc, expected 134 (SIGABRT)"
	grep -q "^double_free: front $FRONT\$" "$T/err.txt" \
		|| fail "double free ($mode): the front in effect was not $FRONT"
	grep -q '^nano: double free: pointer 0x[0-9a-f]* (nano zone heap corruption or misuse; aborting)$' "$T/err.txt" \
		|| fail "double free ($mode): no 'nano: double free: pointer 0x...' line on stderr"
	ptr=$(sed -n 's/^double_free: freeing \(0x[0-9a-f]*\) twice$/\1/p' "$T/err.txt")
	grep -q "^nano: double free: pointer $ptr " "$T/err.txt" \
		|| fail "double free ($mode): the message does not name the pointer $ptr"
done
note "PASS: double free aborts with the nano message (front $FRONT)"
