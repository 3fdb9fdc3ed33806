#!/bin/sh
# redis.sh VALUE_BYTES REQUESTS [KEYS] - the redis program cell.
#
# redis-server runs under the cell's allocator (it inherits LD_PRELOAD),
# with no persistence, on a unix socket in the cell's own folder
# ($NANOBENCH_CELL_DIR, which the runner empties and removes), pinned to
# CPU 0. The clients run without the preload, pinned to CPU 1 (CPU 0 on a
# one-CPU machine):
#   1. redis-cli --pipe fills KEYS keys (key:000000000000 ...) with values of
#      VALUE_BYTES bytes;
#   2. redis-benchmark (-P 16, 50 clients) sends REQUESTS requests of each of
#      SET, GET and MSET (10 keys) over those keys (-r KEYS: random keys, all
#      of which exist, so the key count stays KEYS), and of LRANGE_100 on a
#      list it first fills with REQUESTS LPUSHes;
#   3. redis-cli reads what is deterministic: DBSIZE, the list's LLEN, an md5
#      of its first 1000 elements; that is this script's stdout, which the
#      runner compares with the glibc cell's.
# The throughput, requests per second over all the benchmark's requests
# (their count over the sum of each test's time), goes to stderr as
# "redis: N requests/s", never to stdout: it differs from run to run.
#
# The server is stopped with SHUTDOWN NOSAVE (it exits through exit(), so its
# report ends) and waited for; on any failure it is killed, its log (the
# cell's log) kept by the runner, and the exit status is 1. A crash or a
# timeout of the cell kills the whole process group, server included.
set -u
VALUE=${1:?value size}
REQUESTS=${2:?requests}
KEYS=${3:-10000}
cd "${NANOBENCH_CELL_DIR:?the runner sets NANOBENCH_CELL_DIR}" || exit 2
SOCK=redis.sock
CLIENT_CPU=1
[ "$(nproc)" -gt 1 ] || CLIENT_CPU=0
client() { env -u LD_PRELOAD taskset -c "$CLIENT_CPU" "$@"; }
fail() { echo "redis.sh: $*" >&2; exit 1; }

# fd 3 (the runner's record pipe) closed for the server: the cell ends when
# this script does, whatever the server does
taskset -c 0 redis-server --daemonize no --port 0 --unixsocket "$SOCK" --save '' \
	--appendonly no --logfile '' 3>&- >&2 &
SERVER=$!
trap 'kill -9 "$SERVER" 2>/dev/null' EXIT
# The socket file appears when the server binds it, a moment before it
# listens (a connect in between is refused): wait for an answer to PING.
i=0
until [ -S "$SOCK" ] && [ "$(client redis-cli -s "$SOCK" ping 2>/dev/null)" = PONG ]; do
	kill -0 "$SERVER" 2>/dev/null || fail "redis-server exited before it listened"
	i=$((i + 1))
	[ $i -le 1000 ] || fail "redis-server did not answer within 10 s"
	sleep 0.01
done

awk -v n="$KEYS" -v d="$VALUE" 'BEGIN {
	v = ""; while (length(v) < d) v = v "x"
	for (i = 0; i < n; i++) printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$%d\r\n%s\r\n", i, d, v
}' | client redis-cli -s "$SOCK" --pipe > /dev/null || fail "filling the keys failed"

client redis-benchmark -s "$SOCK" -q --csv -P 16 -c 50 -d "$VALUE" -r "$KEYS" -n "$REQUESTS" \
	-t set,get,mset,lrange_100 > bench.csv || fail "redis-benchmark failed"
awk -F '","' -v n="$REQUESTS" 'NR > 1 { t += n / $2; k++ }
	END { if (!k || t <= 0) exit 1; printf "redis: %.0f requests/s\n", k * n / t }' bench.csv >&2 ||
	fail "redis-benchmark printed no throughput: $(head -c 200 bench.csv)"

echo "dbsize $(client redis-cli -s "$SOCK" dbsize)"
echo "llen $(client redis-cli -s "$SOCK" llen mylist)"
echo "lrange $(client redis-cli -s "$SOCK" lrange mylist 0 999 | md5sum | cut -d' ' -f1)"

client redis-cli -s "$SOCK" shutdown nosave > /dev/null 2>&1
wait "$SERVER"
status=$?
trap - EXIT
[ $status = 0 ] || fail "redis-server exited with status $status"
