#!/bin/sh
# python3 with PYTHONMALLOC=malloc (so that Python's own allocator does not
# serve objects up to 512 bytes) building and dropping a few million small
# dicts and strings, with and without the preload: same output, and nano
# serves >= 90% of the requests of 256 bytes or less.
#   test_python.sh PRELOAD PYTHON
PRELOAD=$1
PYTHON=$2
. "$(dirname "$0")/lib.sh"
setup
need_file "$PRELOAD" "libnano_preload.so"

cat > "$T/churn.py" <<'PY'
# Deterministic churn: ~1.2 million dicts, ~3.6 million strings.
import sys
keep = []
total = 0
for i in range(1200000):
    d = {'k': i, 's': 'v%d' % i, 't': str(i * 7), 'u': ('x' * (i % 40)) + str(i)}
    if i % 64 == 0:
        keep.append(d)
    if len(keep) > 4000:
        total += sum(len(e['u']) for e in keep)
        keep = keep[2000:]          # drop the older half
    total += len(d['s']) + len(d['t'])
words = sorted({'w%05d' % ((j * 7919) % 50021) for j in range(200000)})
print(total, len(keep), sum(e['k'] for e in keep), len(words), words[:3], words[-1])
PY

PYTHONMALLOC=malloc "$PYTHON" "$T/churn.py" > "$T/plain.txt" || fail "python without the preload"
PYTHONMALLOC=malloc with_nano "$PYTHON" "$T/churn.py" > "$T/nano.txt" 2> "$T/err.txt" \
	|| { cat "$T/err.txt" >&2; fail "python with the preload failed"; }
same "$T/plain.txt" "$T/nano.txt" "python3"
check_share "$T/err.txt" "python3"
note "PASS: python3"
