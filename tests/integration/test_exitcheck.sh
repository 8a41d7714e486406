#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_exitcheck.sh - Meerko knows the exit the swarm sees.
#
# Two python3-libtorrent seeders each tell the client, in their BEP 10
# extension handshake ("yourip"), the address its connection came from:
# the proxy's (127.0.0.3). With [killswitch] expected_exit = 10.99.0.0/16
# and on_exit_mismatch = exit the run must stop with exit 10, one line
# naming 127.0.0.3 and "2 peers", a --json exit_mismatch event, and the
# download unfinished. With expected_exit = 127.0.0.3 it must download
# normally (SHA-256 of every file) and --json must show the exit in its
# status note. (libtorrent's own external-address voting ignores loopback,
# but the handshake carries it: the engine's peer plugin reads it raw.)
#
#   tracker opentracker 127.0.0.1   proxy microsocks 127.0.0.3
#   seeders python3-libtorrent 127.0.0.4 and 127.0.0.5
#
# Usage: test_exitcheck.sh BUILD_DIR
# Exit: 0 pass, 1 fail, 77 skip (MEERKO_REQUIRE_ALL=1 turns skips into fails).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:-${BUILD_DIR:-build}}
MEERKO_BIN=${MEERKO_BIN:-$BUILD_DIR/bin/meerko-secure}
PY=${MEERKO_TEST_PYTHON:-/usr/bin/python3}

# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"

swarm_isolate "$@"
swarm_require_root
swarm_require_cmds opentracker microsocks mktorrent transmission-show ss timeout sha256sum jq
swarm_require_libtorrent "$PY"
swarm_require_meerko

SEED2_IP=127.0.0.5
SEED2_PORT=6893

swarm_init

SEED=$SWARM_DIR/seed
TORRENT=$SWARM_DIR/t.torrent
OUT=$SWARM_DIR/out
CONFIG=$SWARM_DIR/meerko.ini
export XDG_STATE_HOME=$SWARM_DIR/state
mkdir -p "$SEED" "$XDG_STATE_HOME"
swarm_make_payload "$SEED/payload" 3 24
swarm_make_torrent "$SEED/payload" "$TORRENT"
chmod 644 "$TORRENT"
HASH=$(swarm_infohash "$TORRENT")

swarm_start_tracker "$TORRENT"
swarm_start_microsocks
swarm_start_seeder_lt "$SEED" "$TORRENT"
# the second seeder: the same helper on its own address
swarm_port_busy "$SEED2_IP" "$SEED2_PORT" && { swarm_die "$SEED2_IP:$SEED2_PORT is busy"; exit 1; }
swarm_spawn seeder-lt2 "$PY" "$HERE/../lib/lt_seeder.py" "$SEED2_IP" "$SEED2_PORT" "$SEED" "$TORRENT"
SEED2_PID=$SWARM_LAST_PID
seed2_ready() {
	_swarm_alive "$SEED2_PID" && grep -qx "seeding $HASH" "$SWARM_LOGS/seeder-lt2.log" &&
		(($(swarm_tracker_seeders "$HASH") >= 2))
}
swarm_wait_for -t 60 -i 0.2 seed2_ready || { swarm_die "second seeder not ready"; exit 1; }

meerko() { # NAME ARGS...: rc in $rc
	swarm_meerko "$1" 90 --config "$CONFIG" -o "$OUT" "${@:2}"
	rc=$SWARM_RC
}

fresh() {
	rm -rf "$OUT" "${XDG_STATE_HOME:?}"/*
	mkdir -p "$OUT"
	chown nobody "$OUT" # the sandboxed engine runs as nobody
}

# 1. the swarm sees the proxy, 127.0.0.3: outside 10.99.0.0/16 -> exit 10
fresh
swarm_meerko_config "$CONFIG" "[killswitch]" "expected_exit = 10.99.0.0/16" "on_exit_mismatch = exit" \
	"[download]" "max_down = 256"
meerko wrong --json "$TORRENT"
ERR=$SWARM_LOGS/wrong.err
swarm_check "expected_exit elsewhere: exit 10 (rc=$rc)" test "$rc" -eq 10
swarm_check "the line names the address the swarm sees and two peers" \
	grep -qE 'meerko-secure: the swarm sees this machine at 127\.0\.0\.3 \(2 peers\), outside \[killswitch\] expected_exit' "$ERR"
swarm_check "--json: an exit_mismatch event with code 10" \
	jq -e -s 'any(.[]; .type == "event" and .event == "exit_mismatch" and .code == 10)' "$SWARM_LOGS/wrong.out"
swarm_check "--json: the exit line says 10" jq -e -s 'any(.[]; .type == "exit" and .code == 10)' "$SWARM_LOGS/wrong.out"
not_complete() { ! swarm_sha256_check "$SEED/payload" "$OUT/payload" >/dev/null 2>&1; }
swarm_check "not downloaded to the end" not_complete

# 2. expected_exit is the proxy: a normal download, the exit shown
fresh
swarm_meerko_config "$CONFIG" "[killswitch]" "expected_exit = 127.0.0.3" "on_exit_mismatch = exit" \
	"[download]" "max_down = 8192"
meerko right --json "$TORRENT"
swarm_check "expected_exit = the proxy: exit 0 (rc=$rc)" test "$rc" -eq 0
swarm_check "every file's SHA-256" swarm_sha256_check "$SEED/payload" "$OUT/payload"
swarm_check "--json status shows the exit the swarm sees" \
	jq -e -s 'any(.[]; .type == "status" and .note == "exit 127.0.0.3 (2 peers)")' "$SWARM_LOGS/right.out"
swarm_check "--json: an exit_seen event" \
	jq -e -s 'any(.[]; .type == "event" and .event == "exit_seen")' "$SWARM_LOGS/right.out"

if ((SWARM_FAILED > 0)); then
	for f in "$SWARM_LOGS"/*.err "$SWARM_LOGS"/seeder-lt*.log; do
		printf -- '----- %s\n' "${f##*/}"
		tail -n 10 "$f" | cat -v
	done
fi
swarm_summary
