#!/bin/sh
# do.sh - the two jobs of the quick start, on a fresh Debian 12 machine as root,
# and the real-programs preset.
#
#   ./do.sh quick   install what is missing, build, run the quick benchmark
#   ./do.sh test    install what is missing, build, run every test
#   ./do.sh real    install what is missing (the programs too), build, run the
#                   real-programs preset (redis, z3, lua, ruby, ghostscript,
#                   python, sqlite, cc1 under every allocator)
#
# Each installs the Debian packages it needs (apt-get update once, then
# apt-get install -y, only when something is missing) and builds with meson
# into ./build. BUILD_DIR overrides the build folder.
set -eu

cd "$(dirname "$0")"
BUILD_DIR=${BUILD_DIR:-build}

# What building and running need (the allocators are the baselines we compare
# against: libtbbmalloc2 brings oneTBB's libtbbmalloc_proxy.so.2, and
# libclang-rt-14-dev LLVM's libclang_rt.scudo_standalone-x86_64.so; gnuplot
# draws the plots; hwloc and inih are libraries of the suite).
PKGS_BUILD="meson ninja-build pkg-config gcc g++ libc6-dev libhwloc-dev libinih-dev git"
PKGS_RUN="gnuplot-nox libjemalloc2 libmimalloc2.0 libgoogle-perftools4 libtbbmalloc2 libclang-rt-14-dev sqlite3 python3"
# The programs of the real-programs preset (runners/matrices/real-programs.ini;
# python3, sqlite3 and gcc are above). redis-tools has redis-benchmark and
# redis-cli.
PKGS_REAL="redis-server redis-tools z3 lua5.4 ruby ghostscript"
# What the tests run under the preload (real programs: a tiny cell of each
# program of the preset) and need besides.
# (nano/bench/instructions.sh also wants valgrind; it is a benchmark, not a test.)
PKGS_TEST="python3 git coreutils util-linux $PKGS_REAL"

install_missing() {
	missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "do.sh: missing Debian packages:$missing (run as root, or apt-get install them)" >&2
		exit 2
	fi
	echo "do.sh: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

build() {
	if [ ! -f "$BUILD_DIR/build.ninja" ]; then
		meson setup "$BUILD_DIR" --buildtype=release
	fi
	meson compile -C "$BUILD_DIR"
}

case "${1:-}" in
quick)
	# shellcheck disable=SC2086
	install_missing $PKGS_BUILD $PKGS_RUN
	build
	exec "$BUILD_DIR/nanobench" matrix --preset quick
	;;
test)
	# shellcheck disable=SC2086
	install_missing $PKGS_BUILD $PKGS_RUN $PKGS_TEST
	build
	exec meson test -C "$BUILD_DIR" --print-errorlogs --num-processes 2
	;;
real)
	# shellcheck disable=SC2086
	install_missing $PKGS_BUILD $PKGS_RUN $PKGS_REAL
	build
	exec "$BUILD_DIR/nanobench" matrix --preset real-programs
	;;
*)
	echo "usage: ./do.sh quick | ./do.sh test | ./do.sh real" >&2
	exit 2
	;;
esac
