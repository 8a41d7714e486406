#!/usr/bin/env bash
# dev.sh - the two commands of the README.
#   bash dev.sh demo   install what is missing, build, run a real download on a
#                      local swarm (tracker + seeder + SOCKS5 proxy on loopback)
#   bash dev.sh test   install what is missing, build, run every test
#                      (unit, real-swarm integration), then all of them but
#                      fuzz_smoke and bench_quick again in an ASan+UBSan build
# Environment: BUILD_DIR (default ./build), MEERKO_REQUIRE_ALL=1 turns every
# "cannot run here" skip into a failure (CI sets it).
set -euo pipefail
cd "$(dirname "$0")"
BUILD_DIR=${BUILD_DIR:-$PWD/build}
JOBS=${JOBS:-$(nproc)}

configure() { # configure DIR [cmake args...]
	local dir=$1; shift
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
}
build() { # build DIR [cmake args...]
	configure "$@"
	cmake --build "$1" -j "$JOBS"
}

case "${1:-}" in
demo)
	bash scripts/deps.sh
	build "$BUILD_DIR"
	exec bash scripts/demo.sh "$BUILD_DIR"
	;;
test)
	bash scripts/deps.sh
	if [ "${CI:-}" = true ]; then export MEERKO_REQUIRE_ALL=1; fi
	build "$BUILD_DIR"
	build "$BUILD_DIR-asan" -DMEERKO_SANITIZE=ON
	rc=0
	echo "== all tests"
	ctest --test-dir "$BUILD_DIR" --output-on-failure --timeout 600 || rc=1
	# The same suite on ASan+UBSan binaries, sandbox included (the engine's
	# sanitizer rows: policy/seccomp_sanitizer.c). Any sanitizer report fails
	# its test (tests/CMakeLists.txt: mk_sanitizer_test_props).
	echo "== all tests, ASan+UBSan build"
	ctest --test-dir "$BUILD_DIR-asan" --output-on-failure --timeout 600 || rc=1
	exit "$rc"
	;;
*)
	echo "usage: bash dev.sh demo|test" >&2
	exit 2
	;;
esac
