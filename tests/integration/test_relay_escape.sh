#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_relay_escape.sh - a compromised proxy relay cannot leave its
# confinement, and the relay really runs confined.
#
# Scenarios (argument 2):
#   forbidden_syscall  the test-only twin bin-relay-escape/meerko-secure-relay-escape
#                      (MEERKO_RELAY_ESCAPE_TEST, never installed): the engine
#                      announces to http://meerko-relay-escape-NAME.invalid/, so
#                      it sends the relay a SOCKS5 CONNECT for that name (trackers
#                      travel as names), and the relay tries escape NAME itself
#                      (relay/relay_escape_test.c): execve /bin/sh, ptrace of the
#                      broker, socket(AF_PACKET), socket(AF_UNIX), open a file.
#                      Each run must end at once with exit 7 and "the proxy relay
#                      violated its confinement", no restart, no process of the
#                      run left, and no packet on lo but to or from the proxy (no
#                      DNS for the name, no direct connection). Negative control:
#                      MEERKO_RELAY_ESCAPE_UNCONFINED=1 (the twin skips its relay
#                      filter): the same attempts succeed and say so.
#   seccomp_status     during a real download (the real meerko-secure, sandbox
#                      on, as root), the relay (pgrep -P BROKER -x meerko-relay)
#                      shows "Seccomp: 2" (a filter), "NoNewPrivs: 1" and no
#                      capabilities in /proc/PID/status, and runs as nobody.
# Usage: test_relay_escape.sh BUILD_DIR SCENARIO
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:?build dir}
SCENARIO=${2:?scenario}
# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"
swarm_isolate "$@"
swarm_require_root
swarm_require_cmds microsocks aria2c mktorrent transmission-show opentracker tcpdump pgrep
TWIN=$BUILD_DIR/bin-relay-escape/meerko-secure-relay-escape
[[ -x $TWIN ]] || swarm_skip_or_fail "test twin not built: $TWIN"
swarm_init

BIN=$SWARM_DIR/bin
mkdir -p "$BIN"
cp "$TWIN" "$BUILD_DIR/bin/meerko-secure" "$BUILD_DIR/bin/meerko-engine" "$BIN/"
chmod 755 "$BIN" "$BIN"/*
OUT=$SWARM_DIR/out
mkdir -p "$OUT"
chown nobody "$OUT"
CONFIG=$SWARM_DIR/meerko.ini
swarm_start_microsocks
swarm_meerko_config "$CONFIG" "[ui]" "progress = plain" "[sandbox]" "mode = required" \
	"[killswitch]" "max_restarts = 2" "[state]" "dir = $SWARM_DIR/state"

# No process of the run survives it (the broker's children die with it):
# none runs a program from $BIN (the relay is a fork of the broker, the
# engine runs $BIN/meerko-engine; other tests' processes run elsewhere).
none_left() {
	local exe
	for exe in /proc/[0-9]*/exe; do
		[[ $(readlink "$exe" 2>/dev/null) != "$BIN"/* ]] || return 1
	done
}

# ------------------------------------------------------------ forbidden syscalls
HASH=0123456789abcdef0123456789abcdef01234567
attempt() { # NAME -> RC, ERR
	local log=$SWARM_LOGS/relay-escape-$1${MEERKO_RELAY_ESCAPE_UNCONFINED:+-unconfined}
	local magnet="magnet:?xt=urn:btih:$HASH&dn=relay-escape&tr=http%3A%2F%2Fmeerko-relay-escape-$1.invalid%3A80%2Fannounce"
	RC=0
	timeout -k 5 90 "$BIN/meerko-secure-relay-escape" --config "$CONFIG" -o "$OUT" "$magnet" \
		>"$log.out" 2>"$log.err" </dev/null || RC=$?
	ERR=$(cat "$log.err")
	swarm_log "relay escape $1: rc=$RC: $ERR"
}
killed() {
	[[ $RC == 7 && $ERR == *"the proxy relay violated its confinement"* && $ERR != *"restarting the"* &&
		$ERR != *"escape"*"succeeded"* ]]
}
succeeded() { [[ $ERR == *"the proxy relay failed: escape $1 succeeded"* ]]; }
only_proxy_on_lo() { # the capture holds nothing but the proxy's own traffic
	local other
	other=$(tcpdump -nn -r "$SWARM_CAPTURE_FILE" "not host $SWARM_PROXY_IP or port 53" 2>/dev/null | head -5)
	[[ -z $other ]] || { printf 'other traffic on lo: %s\n' "$other"; return 1; }
}

forbidden_syscall() {
	local name
	swarm_capture_start "ip or ip6"
	for name in execve ptrace packet unix open; do
		attempt "$name"
		swarm_check "relay escape $name: the relay is killed, the run stops with exit 7 and the line (rc=$RC)" killed
		swarm_check "relay escape $name: no relay or engine left" swarm_wait_for -t 5 none_left
	done
	swarm_capture_stop
	swarm_check "nothing but the proxy's traffic on lo: no DNS for the name, no direct connection" only_proxy_on_lo
	# Negative control: without the relay's filter the attempts are real.
	for name in open unix; do
		MEERKO_RELAY_ESCAPE_UNCONFINED=1 attempt "$name"
		swarm_check "control, relay unconfined: escape $name succeeds and is said (rc=$RC)" succeeded "$name"
		swarm_check "control: no confinement line without a violation" eval '[[ $ERR != *"violated its confinement"* ]]'
	done
}

# ------------------------------------------------------------ a real download
relay_pid() { RELAY=$(pgrep -P "$BROKER" -x meerko-relay | head -1) && [[ -n $RELAY ]]; }
status_field() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$RELAY/status"; }

seccomp_status() {
	local seed=$SWARM_DIR/seed
	swarm_make_payload "$seed/payload" 2 48
	swarm_make_torrent "$seed/payload" "$SWARM_DIR/t.torrent"
	swarm_start_tracker "$SWARM_DIR/t.torrent"
	swarm_start_seeder_aria2 "$SWARM_DIR/t.torrent" "$seed"
	# slow enough to be looked at while it runs
	"$BIN/meerko-secure" --config "$CONFIG" -o "$OUT" --max-down 4096 "$SWARM_DIR/t.torrent" \
		>"$SWARM_LOGS/meerko.out" 2>"$SWARM_LOGS/meerko.err" </dev/null &
	BROKER=$!
	_SWARM_PIDS+=("$BROKER")
	RELAY=""
	swarm_check "the broker has a child named meerko-relay" swarm_wait_for -t 20 relay_pid
	if [[ -n $RELAY ]]; then
		local sc nnp capeff uid
		sc=$(status_field Seccomp) nnp=$(status_field NoNewPrivs) capeff=$(status_field CapEff)
		uid=$(status_field Uid)
		swarm_log "relay $RELAY: Seccomp=$sc NoNewPrivs=$nnp CapEff=$capeff Uid=$uid"
		swarm_check "the running relay is under a seccomp filter (Seccomp: $sc, want 2)" [ "$sc" = 2 ]
		swarm_check "the running relay has no_new_privs (NoNewPrivs: $nnp)" [ "$nnp" = 1 ]
		swarm_check "the running relay has no capability (CapEff: $capeff)" [ "$capeff" = 0000000000000000 ]
		swarm_check "the running relay is not root (uid $uid)" [ "$uid" != 0 ]
	fi
	local rc=0
	timeout 120 tail --pid="$BROKER" -f /dev/null || true
	wait "$BROKER" || rc=$?
	swarm_check "the download completes under the relay's filter (rc=$rc)" [ "$rc" = 0 ]
	swarm_check "every file's SHA-256" swarm_sha256_check "$seed/payload" "$OUT/payload"
}

case $SCENARIO in
forbidden_syscall) forbidden_syscall ;;
seccomp_status) seccomp_status ;;
*) echo "test_relay_escape.sh: unknown scenario '$SCENARIO'" >&2; exit 2 ;;
esac
swarm_summary
