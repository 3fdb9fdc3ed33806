#!/bin/sh
# tsan_run.sh - run a ThreadSanitizer test binary: tsan_run.sh BINARY ARGS...
#
# gcc 12's TSan runtime refuses to start when the kernel maps libraries where
# its shadow layout does not expect them, which happens with a high ASLR
# entropy (vm.mmap_rnd_bits 32, the default on some distributions): "FATAL:
# ThreadSanitizer: unexpected memory mapping". Then the test is run again
# with ASLR off for that process (setarch -R), and a note says so.
out=$(mktemp)
"$@" 2>"$out"
rc=$?
if [ $rc -ne 0 ] && grep -q "unexpected memory mapping" "$out" && command -v setarch >/dev/null; then
	echo "tsan_run.sh: TSan refused this address-space layout; rerunning under setarch -R" >&2
	rm -f "$out"
	exec setarch -R "$@"
fi
cat "$out" >&2
rm -f "$out"
exit $rc
