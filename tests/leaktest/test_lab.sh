#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_lab.sh - meerko-leaktest end to end, as root:
#   1. `meerko-leaktest lab` (every scenario: plain, proxy-kill,
#      wrong-password, magnet, dht-lsd-upnp, udp-tracker, rerun) must exit 0:
#      Meerko leaked nothing, did what each scenario expects, showed no BEP 37
#      fingerprint, and no run (the rerun with the same state dir included)
#      repeated a peer id, tracker key, port or DHT node id of an earlier one;
#   2. `meerko-leaktest lab --negative-control` (aria2c straight to the
#      swarm, no proxy) must exit 1 and list the leaks: direct flows, the
#      DNS query, ip=A in the announce, the client's peer id - a detector
#      that never fires is a defect;
#   3. `meerko-leaktest audit` on two throwaway namespaces of this test's
#      own: a connection to the "proxy" is clean (exit 0), one to another
#      address is a leak (exit 1).
#
# Usage: test_lab.sh [BUILD_DIR]   (BUILD_DIR/bin holds meerko-leaktest and
#   meerko-secure; LEAKTEST_BIN / MEERKO_BIN override each).
# Exit: 0 pass, 1 fail, 77 skip (not root, tools missing); with
# MEERKO_REQUIRE_ALL=1 a skip is a failure.
# Every wait is bounded; the EXIT trap stops what is still running (by pid),
# removes what a killed run left (`meerko-leaktest cleanup --pid`), this
# test's namespaces and its temp dir - also when a check fails.
set -euo pipefail
# swarm_sanitizer_reports only (this test builds its own lab, not a swarm)
# shellcheck source=../lib/swarm.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/swarm.sh"

BUILD_DIR=${1:-${BUILD_DIR:-build}}
LEAKTEST_BIN=${LEAKTEST_BIN:-$BUILD_DIR/bin/meerko-leaktest}
MEERKO_BIN=${MEERKO_BIN:-$BUILD_DIR/bin/meerko-secure}
LAB_LIMIT=${LEAKTEST_LAB_LIMIT:-480}   # seconds for all scenarios
NEG_LIMIT=${LEAKTEST_NEG_LIMIT:-180}   # seconds for the negative control

skip_or_fail() {
	if [[ ${MEERKO_REQUIRE_ALL:-0} == 1 ]]; then
		printf 'FAIL: %s (MEERKO_REQUIRE_ALL=1 forbids skipping)\n' "$*"
		exit 1
	fi
	printf 'SKIP: %s\n' "$*"
	exit 77
}

[[ $(id -u) == 0 ]] || skip_or_fail "needs root (network namespaces, packet capture, a temporary user)"
missing=()
for c in ip opentracker danted aria2c mktorrent useradd userdel chpasswd timeout; do
	command -v "$c" >/dev/null 2>&1 || missing+=("$c")
done
((${#missing[@]} == 0)) || skip_or_fail "missing: ${missing[*]} (run scripts/deps.sh)"
[[ -x $LEAKTEST_BIN ]] || skip_or_fail "meerko-leaktest not built: $LEAKTEST_BIN"
[[ -x $MEERKO_BIN ]] || skip_or_fail "meerko-secure not built: $MEERKO_BIN"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mkleak-test.XXXXXX")
AUDIT_NS=(mkleak-t$$-a mkleak-t$$-b)
RUN_PIDS=()
PASSED=0
FAILED=0

cleanup() {
	local rc=$? p ns i
	trap - EXIT INT TERM
	for p in "${RUN_PIDS[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null || true # the tool tears its lab down itself
			for ((i = 0; i < 300 && $(kill -0 "$p" 2>/dev/null && echo 1 || echo 0) == 1; i++)); do
				sleep 0.1
			done
			kill -KILL "$p" 2>/dev/null || true
		fi
		"$LEAKTEST_BIN" cleanup --pid "$p" >/dev/null 2>&1 || true
	done
	for ns in "${AUDIT_NS[@]}"; do
		if [[ -e /run/netns/$ns ]]; then
			for p in $(ip netns pids "$ns" 2>/dev/null); do
				kill -KILL "$p" 2>/dev/null || true
			done
			ip netns del "$ns" 2>/dev/null || true
		fi
		rm -rf "/etc/netns/$ns"
	done
	# sanitizer builds: a report of meerko-leaktest itself, or one it copied
	# from a client's log (which its run dir takes away), fails the test
	if [[ -d $WORK ]] && swarm_sanitizer_reports "$WORK"; then
		printf 'FAIL: a sanitizer report was found (above)\n'
		rc=1
	fi
	case $WORK in */mkleak-test.*) rm -rf -- "$WORK" ;; esac
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

check() { # DESC CMD...
	local desc=$1
	shift
	if "$@"; then
		PASSED=$((PASSED + 1))
		printf 'ok - %s\n' "$desc"
	else
		FAILED=$((FAILED + 1))
		printf 'not ok - %s\n' "$desc"
	fi
}

# run_tool NAME LIMIT ARGS...: meerko-leaktest in the background (its pid is
# what names its lab), bounded; sets RC; output in $WORK/NAME.out/.err
run_tool() {
	local name=$1 limit=$2 pid i
	shift 2
	"$LEAKTEST_BIN" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null &
	pid=$!
	RUN_PIDS+=("$pid")
	for ((i = 0; i < limit * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		printf '%s: still running after %ss: stopping it\n' "$name" "$limit"
		kill -TERM "$pid" 2>/dev/null || true # it tears its lab down itself
		for ((i = 0; i < 300; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	RC=0
	wait "$pid" || RC=$?
	"$LEAKTEST_BIN" cleanup --pid "$pid" >/dev/null 2>&1 || true
}

has() { grep -qF -- "$2" "$WORK/$1.out"; }
no_leftovers() { # PID: nothing of that run is left
	! compgen -G "/run/netns/mkleak-$1-*" >/dev/null &&
		! getent passwd "mkleak$1" >/dev/null &&
		! compgen -G "${TMPDIR:-/tmp}/mkleak-$1.*" >/dev/null
}
show() { # NAME: the report, for the log
	printf -- '----- %s: stdout -----\n' "$1"
	cat "$WORK/$1.out"
	printf -- '----- %s: stderr (last 20 lines) -----\n' "$1"
	tail -n 20 "$WORK/$1.err"
}

# ------------------------------------------------------------------ 1. lab
run_tool lab "$LAB_LIMIT" lab --meerko "$MEERKO_BIN" --json="$WORK/lab.json"
lab_pid=${RUN_PIDS[-1]}
show lab
# Sanitizer builds (tests/CMakeLists.txt sets ASAN_OPTIONS for them): ASan's
# allocator puts libtorrent's objects at the same addresses in every run, and
# libtorrent 2.0.8 derives the BEP 7 tracker key from those addresses
# (torrent::tracker_key), so there the key repeats across runs and the lab
# rightly says so. There, and only for that, the lab may fail: every failing
# line must be such a repeat. Release builds (an ASLR'd heap) must be clean.
KEY_REPEAT='across runs: tracker key [0-9a-f]+ was also shown'
if [[ -n ${ASAN_OPTIONS:-} ]]; then
	others=$(grep -E '^    (LEAK|DNS-LEAK|undecoded)' "$WORK/lab.out" | grep -vE "$KEY_REPEAT" || true)
	check "sanitizer build: nothing fails but repeated tracker keys (rc=$RC)" \
		test "$RC" -le 1 -a -z "$others"
	ok_verdict='(CLEAN|LEAK)'
else
	check "meerko-leaktest lab exits 0 (rc=$RC)" test "$RC" -eq 0
	ok_verdict=CLEAN
fi
for s in plain proxy-kill wrong-password magnet dht-lsd-upnp udp-tracker rerun; do
	check "scenario $s: $ok_verdict" grep -qE "^  $s +$ok_verdict " "$WORK/lab.out"
done
# BEP 37 across runs: the rerun (udp-tracker again, same state dir) showed a
# DHT node id, peer ids and a tracker key, was compared with every earlier
# run, and none of its values had been shown before
section() { awk -v s="== scenario $2:" 'index($0, s) == 1 {on = 1; print; next} /^== / {on = 0} on' "$WORK/$1.out"; }
section lab rerun >"$WORK/rerun.section"
check "rerun: its peer ids, tracker key and DHT node id were compared with the 6 earlier runs" \
	grep -qE 'identity: [1-9][0-9]* peer ids, [1-9][0-9]* tracker keys, [0-9]+ announced ports, [1-9][0-9]* DHT node ids; compared with 6 earlier runs: [0-9]+ repeated' "$WORK/rerun.section"
if [[ -z ${ASAN_OPTIONS:-} ]]; then
	check "rerun: nothing repeated" grep -qE 'compared with 6 earlier runs: 0 repeated' "$WORK/rerun.section"
fi
check "no run repeated a peer id, port or DHT node id of an earlier one" \
	bash -c "! grep 'was also shown in the earlier run' '$WORK/lab.out' | grep -qvE '$KEY_REPEAT'"
check "no BEP 37 fingerprint in any run" bash -c "! grep -qE 'LEAK +.*(neutral set|reqq=|listen port|is sent only by)' '$WORK/lab.out'"
check "the report shows captured packets and flows" has lab "packets (not flows)"
if [[ -z ${ASAN_OPTIONS:-} ]]; then
	check "JSON report written and says clean" grep -q '"exit_code":0,"verdict":"clean"' "$WORK/lab.json"
else
	check "JSON report written, exit code $RC" grep -q "\"exit_code\":$RC,\"verdict\"" "$WORK/lab.json"
fi
check "lab run left nothing behind (namespaces, user, run dir)" no_leftovers "$lab_pid"

# ------------------------------------------------------------------ 2. negative control
run_tool neg "$NEG_LIMIT" lab --negative-control
neg_pid=${RUN_PIDS[-1]}
show neg
check "negative control exits 1: the leak is found (rc=$RC)" test "$RC" -eq 1
check "negative control: verdict LEAK" grep -qE '^  negative-control +LEAK' "$WORK/neg.out"
check "negative control: direct flow to the tracker listed" \
	grep -qE 'LEAK +tcp 10\.213\.0\.2:[0-9]+ -> 10\.213\.0\.4:6969' "$WORK/neg.out"
check "negative control: direct flow to the seeder listed" \
	grep -qE 'LEAK +tcp 10\.213\.0\.2:[0-9]+ -> 10\.213\.0\.4:6881' "$WORK/neg.out"
check "negative control: DNS query listed" grep -qE 'DNS-LEAK +udp 10\.213\.0\.2:[0-9]+ -> 10\.213\.0\.1:53' "$WORK/neg.out"
check "negative control: ip=A in the announce found" has neg "tracker announce carries ip=10.213.0.2"
check "negative control: A in the payload found" has neg "client address 10.213.0.2 (text) found"
check "negative control: client peer id found" has neg "Mainline-style client prefix"
check "negative control: aria2c's default-range port in the announce found" has neg "is a client's default (the classic BitTorrent range"
check "negative control: aria2c's listen port in the extension handshake found" has neg "extension handshake carries a listen port p="
check "negative control: the swarm host saw A" has neg "received packets from 10.213.0.2, which is not the proxy"
check "negative control left nothing behind" no_leftovers "$neg_pid"

# ------------------------------------------------------------------ 3. audit
# two namespaces of this test: A (10.213.9.1) and B (10.213.9.2 = "proxy",
# 10.213.9.3 = somewhere else), one veth pair, nothing else
audit_setup() {
	local a=${AUDIT_NS[0]} b=${AUDIT_NS[1]}
	ip netns add "$a" && ip netns add "$b" &&
		ip -n "$a" link add va type veth peer name vb netns "$b" &&
		ip -n "$a" addr add 10.213.9.1/24 dev va && ip -n "$a" link set va up &&
		ip -n "$a" link set lo up &&
		ip -n "$b" addr add 10.213.9.2/24 dev vb && ip -n "$b" addr add 10.213.9.3/24 dev vb &&
		ip -n "$b" link set vb up && ip -n "$b" link set lo up
}
if audit_setup; then
	# a TCP connect attempt; nothing listens, B answers with a RST at once
	# shellcheck disable=SC2016 # $0/$1 expand in the inner bash
	probe='exec 3<>/dev/tcp/$0/$1 || true'
	rc=0
	timeout -k 5 60 ip netns exec "${AUDIT_NS[0]}" "$LEAKTEST_BIN" audit --proxy 10.213.9.2:1080 \
		-- bash -c "$probe" 10.213.9.2 1080 >"$WORK/audit-clean.out" 2>&1 || rc=$?
	check "audit: only the proxy contacted -> exit 0 (rc=$rc)" test "$rc" -eq 0
	rc=0
	timeout -k 5 60 ip netns exec "${AUDIT_NS[0]}" "$LEAKTEST_BIN" audit --proxy 10.213.9.2:1080 \
		-- bash -c "$probe" 10.213.9.3 80 >"$WORK/audit-leak.out" 2>&1 || rc=$?
	check "audit: another address contacted -> exit 1 (rc=$rc)" test "$rc" -eq 1
	check "audit: the flow is listed" grep -qE 'LEAK +tcp 10\.213\.9\.1:[0-9]+ -> 10\.213\.9\.3:80' "$WORK/audit-leak.out"
	if ((FAILED > 0)); then
		cat "$WORK/audit-clean.out" "$WORK/audit-leak.out"
	fi
else
	check "audit: test namespaces set up" false
fi

printf 'leaktest: %d passed, %d failed\n' "$PASSED" "$FAILED"
((FAILED == 0))
