#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_engine_aslr.sh - a parent that turned off address-space randomisation
# (setarch -R, a debugger) cannot make the engine's runs linkable.
#
# libtorrent derives each tracker's announce `key` from its own heap
# addresses: with ADDR_NO_RANDOMIZE inherited by the engine, the key (and
# more) repeats from run to run, and a tracker links the runs (the BEP 37
# audit of meerko-leaktest reports it). The broker clears the flag for the
# engine it starts (launch/spawn.c). Tried: meerko-secure run under
# `setarch -R` downloads from a real swarm; while it runs, the broker must
# show the flag (the setarch took effect: the control) and the engine
# (meerko-engine below the broker) must not. The download completes,
# SHA-256 of every file checked.
# Usage: test_engine_aslr.sh BUILD_DIR
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:?build dir}
# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"
swarm_isolate "$@"
swarm_require_root
swarm_require_cmds microsocks aria2c mktorrent opentracker pgrep setarch
MEERKO_BIN=$BUILD_DIR/bin/meerko-secure
swarm_require_meerko
swarm_init
swarm_meerko_dirs
swarm_start_microsocks
swarm_meerko_config "$CONFIG" "[ui]" "progress = plain" "[sandbox]" "mode = required"

ADDR_NO_RANDOMIZE=$((0x0040000))
no_randomize() { # PID: is the flag set in its personality?
	local p
	p=$(cat "/proc/$1/personality" 2>/dev/null) || return 2
	(((16#$p & ADDR_NO_RANDOMIZE) != 0))
}
below() { # PID ANCESTOR: is ANCESTOR an ancestor of PID (bounded walk)?
	local pid=$1 i
	for ((i = 0; i < 16 && pid > 1; i++)); do
		pid=$(awk '$1 == "PPid:" { print $2 }' "/proc/$pid/status" 2>/dev/null) || return 1
		[[ $pid == "$2" ]] && return 0
	done
	return 1
}
engine_pid() {
	local p
	for p in $(pgrep -x meerko-engine); do
		if below "$p" "$BROKER"; then ENGINE=$p; return 0; fi
	done
	return 1
}

swarm_make_payload "$SEED/payload" 2 48
swarm_make_torrent "$SEED/payload" "$SWARM_DIR/t.torrent"
swarm_start_tracker "$SWARM_DIR/t.torrent"
swarm_start_seeder_aria2 "$SWARM_DIR/t.torrent" "$SEED"
# slow enough to be looked at while it runs
setarch "$(uname -m)" -R "$MEERKO_BIN" --config "$CONFIG" -o "$OUT" --max-down 4096 "$SWARM_DIR/t.torrent" \
	>"$SWARM_LOGS/meerko.out" 2>"$SWARM_LOGS/meerko.err" </dev/null &
BROKER=$!
_SWARM_PIDS+=("$BROKER")
ENGINE=""
swarm_check "an engine runs below the broker" swarm_wait_for -t 20 engine_pid
swarm_check "control: the broker runs with ASLR off (setarch -R took effect)" no_randomize "$BROKER"
if [[ -n $ENGINE ]]; then
	swarm_log "engine $ENGINE personality $(cat "/proc/$ENGINE/personality" 2>/dev/null || echo '?')"
	rc=0
	no_randomize "$ENGINE" || rc=$?
	swarm_check "the engine's address layout is randomised (ADDR_NO_RANDOMIZE cleared)" [ "$rc" = 1 ]
fi
rc=0
timeout 120 tail --pid="$BROKER" -f /dev/null || true
wait "$BROKER" || rc=$?
swarm_check "the download completes (rc=$rc)" [ "$rc" = 0 ]
swarm_check "every file's SHA-256" swarm_sha256_check "$SEED/payload" "$OUT/payload"
swarm_summary
