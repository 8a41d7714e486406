#!/usr/bin/env bash
# tests/fuzz/run.sh - build the libFuzzer targets with clang and run each one
# for a while on a scratch copy of its seed corpus.
#
#   bash tests/fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 10); TARGET names (engine_msg, frame_reader,
# socks5, udp, config, cli, input, sanitize, json, resume, control_request,
# leak_scan, daemon_store, control_prescan) select targets, default all.
# Environment:
#   FUZZ_BUILD_DIR    build dir (default <repo>/build-fuzz)
#   FUZZ_KEEP_CORPUS  a dir: the grown corpora are kept there (<dir>/<target>)
#   CC                the compiler (default clang)
#   MEERKO_REQUIRE_ALL=1  no clang/libFuzzer is a failure, not a skip
# Prints executions and coverage (cov = edges, ft = features) per target.
# Exit: 0 all clean, 1 a crash/leak/timeout/invariant failure (the input is
# kept in $FUZZ_BUILD_DIR/artifacts/<target>/ and its path printed), 2 usage,
# 77 skipped (no clang).
# The committed corpus (tests/fuzz/corpus) is only read: libFuzzer writes new
# inputs into a temporary copy, removed at exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SECONDS_PER=${1:-10}
shift || true
BUILD=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
CC=${CC:-clang}
ALL=(engine_msg frame_reader socks5 udp config cli input sanitize json resume control_request leak_scan daemon_store control_prescan)

# -max_len per target: the largest input that still means something
declare -A MAXLEN=(
	[engine_msg]=16384   # a few frames of Status/Event (text <= 1024, names <= 4096)
	[frame_reader]=8192  # 2 seed bytes + a stream of many small frames
	[socks5]=300         # a request is at most 262 bytes
	[udp]=2048           # SOCKS5 UDP header + a DHT message
	[config]=8192        # meerko.ini.example is ~6 KiB
	[cli]=1024           # argv, NUL-separated
	[input]=4096         # small .torrent files and magnet links
	[sanitize]=4096      # names and messages
	[json]=4096          # names and messages, as --json strings
	[resume]=8192        # resume data: ~1.3 KiB for a small torrent, info dict included
	[control_request]=8192 # one Transmission RPC request body (meerko-control)
	[leak_scan]=8192     # an announce, a handshake + extension handshake, a DHT message
	[daemon_store]=4096  # one torrent record (dir, labels, a small source)
	[control_prescan]=8192 # one ControlRequest (ids, lists, labels)
)

# Memory limits per target (libFuzzer -malloc_limit_mb / -rss_limit_mb): a
# decoder of hostile bytes that allocates past them is a finding. engine_msg
# and frame_reader: one frame (16 MiB) plus the unpack budget (64 MiB,
# ipc/unpack_guard.h) is the most a hostile engine may cost the broker;
# resume: its output is never larger than its input (<= 8 MiB, here 8 KiB).
# control_request: json-c holds about 100 bytes per JSON value, so an 8 KiB
# body stays far below 16 MiB (meerko-control's own cap is RLIMIT_DATA).
declare -A MALLOC_MB=([engine_msg]=80 [frame_reader]=80 [resume]=16 [control_request]=16 [daemon_store]=16 [control_prescan]=80)
declare -A RSS_MB=([engine_msg]=1024 [frame_reader]=1024 [resume]=1024 [control_request]=1024 [daemon_store]=1024 [control_prescan]=1024)

if ! [[ $SECONDS_PER =~ ^[0-9]+$ ]] || ((SECONDS_PER < 1 || SECONDS_PER > 86400)); then
	echo "usage: run.sh [SECONDS] [TARGET...]" >&2
	exit 2
fi
targets=("$@")
((${#targets[@]} > 0)) || targets=("${ALL[@]}")
for t in "${targets[@]}"; do
	[[ -n ${MAXLEN[$t]:-} ]] || { echo "run.sh: unknown target '$t' (one of: ${ALL[*]})" >&2; exit 2; }
done

skip_or_fail() {
	if [[ ${MEERKO_REQUIRE_ALL:-0} == 1 ]]; then
		echo "FAIL: $* (MEERKO_REQUIRE_ALL=1 forbids skipping)"
		exit 1
	fi
	echo "SKIP: $*"
	exit 77
}

command -v "$CC" >/dev/null 2>&1 || skip_or_fail "$CC not installed (apt-get install clang)"
probe_dir=$(mktemp -d)
trap 'rm -rf -- "$probe_dir"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
	>"$probe_dir/p.c"
"$CC" -fsanitize=fuzzer,address,undefined "$probe_dir/p.c" -o "$probe_dir/p" >/dev/null 2>&1 ||
	skip_or_fail "$CC cannot link -fsanitize=fuzzer (apt-get install libclang-rt-14-dev)"
command -v protoc-c >/dev/null 2>&1 || skip_or_fail "protoc-c not installed"

echo "== building fuzz targets in $BUILD"
cmake -S "$HERE" -B "$BUILD" -DCMAKE_C_COMPILER="$CC" >"$probe_dir/cmake.log" 2>&1 ||
	{ cat "$probe_dir/cmake.log"; echo "FAIL: cmake configure"; exit 1; }
cmake --build "$BUILD" -j "$(nproc)" >"$probe_dir/build.log" 2>&1 ||
	{ tail -n 50 "$probe_dir/build.log"; echo "FAIL: build"; exit 1; }

failed=0
summary=()
for t in "${targets[@]}"; do
	work=$probe_dir/corpus-$t
	art=$BUILD/artifacts/$t
	rm -rf -- "$art"
	mkdir -p "$work" "$art"
	cp -- "$HERE/corpus/$t"/* "$work/" 2>/dev/null || true
	log=$probe_dir/$t.log
	rss=${RSS_MB[$t]:-2048}
	mem=${MALLOC_MB[$t]:-$rss}
	echo "== fuzz_$t: ${SECONDS_PER}s, -max_len=${MAXLEN[$t]}, -malloc_limit_mb=$mem, -rss_limit_mb=$rss"
	rc=0
	# TMPDIR: the targets that need a temp file make it there, so nothing is
	# left in /tmp even if a target dies before its atexit cleanup.
	mkdir -p "$probe_dir/tmp-$t"
	TMPDIR=$probe_dir/tmp-$t ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		timeout -k 10 $((SECONDS_PER + 120)) "$BUILD/fuzz_$t" "$work" \
		-max_total_time="$SECONDS_PER" -max_len="${MAXLEN[$t]}" -timeout=10 \
		-rss_limit_mb="$rss" -malloc_limit_mb="$mem" -error_exitcode=1 -timeout_exitcode=1 \
		-print_final_stats=1 -artifact_prefix="$art/" \
		>"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1 || true)
	corp=$(grep -oE 'corp: [0-9]+/[0-9]+[bKM]b?' "$log" | tail -n 1 || true)
	line=$(printf '%-13s execs=%-10s %-22s %s' "$t" "${execs:-?}" "${cov:-cov: ?}" "${corp:-}")
	if ((rc != 0)) || grep -qE '^==[0-9]+==ERROR|runtime error:|^SUMMARY: ' "$log"; then
		failed=$((failed + 1))
		line+="  FAILED (rc=$rc)"
		echo "---- fuzz_$t log (last 60 lines) ----"
		tail -n 60 "$log"
		echo "---- crashing inputs kept in $art/:"
		find "$art" -type f -printf '    %p\n'
	fi
	echo "$line"
	summary+=("$line")
	if [[ -n ${FUZZ_KEEP_CORPUS:-} ]]; then
		mkdir -p "$FUZZ_KEEP_CORPUS/$t"
		cp -- "$work"/* "$FUZZ_KEEP_CORPUS/$t/" 2>/dev/null || true
	fi
	rm -rf -- "$work" "$probe_dir/tmp-$t"
done

echo "== summary (${SECONDS_PER}s per target)"
printf '%s\n' "${summary[@]}"
echo "$(( ${#targets[@]} - failed )) passed, $failed failed"
((failed == 0))
