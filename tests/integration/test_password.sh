#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (SC2119: optional args)
# test_password.sh - the proxy password stays out of every process's
# environment, and [proxy] password_file works.
#
# Attack: another process of the same user reads /proc/PID/environ of the
# broker (dumpable until its first prctl) or of the sandbox child (dumpable
# again after map_ids, until exec), and every fork copies the environment
# block. What must stop it: the broker copies $MEERKO_PROXY_PASSWORD and
# overwrites it in its environment first thing in main, so no Meerko process
# ever shows it there.
#
# Scenarios (real danted with username auth, opentracker, aria2c seeder,
# sandbox required, as root; the download is slowed with --max-down so it
# can be watched):
#   env   MEERKO_PROXY_PASSWORD=...: while the download runs, /proc/PID/environ
#         of the broker and of every descendant (relay, engine) is sampled
#         and must never contain the password; a control process started
#         with the password in its environment must be caught by the same
#         sampler (so the check can fail). Exit 0, SHA-256 of every file.
#   file  [proxy] password_file (mode 0600): exit 0, SHA-256 of every file,
#         no environ holds the password either.
#
# Usage: test_password.sh BUILD_DIR env|file
# Exit: 0 pass, 1 fail, 77 skip (MEERKO_REQUIRE_ALL=1 turns skips into fails).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:-${BUILD_DIR:-build}}
SCENARIO=${2:-env}
MEERKO_BIN=${MEERKO_BIN:-$BUILD_DIR/bin/meerko-secure}
MEERKO_TIMEOUT=${MEERKO_TIMEOUT:-120}

# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"

swarm_isolate "$@"
swarm_require_root
swarm_require_cmds opentracker danted aria2c mktorrent transmission-show ss timeout sha256sum useradd chpasswd
[[ -x $MEERKO_BIN ]] || swarm_skip_or_fail "meerko-secure not built: $MEERKO_BIN"
case $SCENARIO in env | file) ;; *) swarm_die "scenario must be env or file (got $SCENARIO)"; exit 2 ;; esac

swarm_init
SEED=$SWARM_DIR/seed
PAYLOAD=$SEED/payload
TORRENT=$SWARM_DIR/t.torrent
OUT=$SWARM_DIR/out
CONFIG=$SWARM_DIR/meerko.ini
mkdir -p "$OUT"
chown nobody "$OUT"
swarm_make_payload "$PAYLOAD" 2 4
swarm_make_torrent "$PAYLOAD" "$TORRENT"
swarm_start_tracker "$TORRENT"
PROXY_USER=mkpw$((RANDOM % 10000))
PROXY_PASS=pw-$RANDOM$RANDOM-secret
swarm_start_dante "$PROXY_USER" "$PROXY_PASS"
swarm_start_seeder_aria2 "$TORRENT" "$SEED"

client_env=()
if [[ $SCENARIO == env ]]; then
	swarm_meerko_config "$CONFIG" "username = $PROXY_USER" "[sandbox]" "mode = required" \
		"[state]" "dir = $SWARM_DIR/state"
	client_env=("MEERKO_PROXY_PASSWORD=$PROXY_PASS")
else
	(umask 077 && printf '%s\n' "$PROXY_PASS" >"$SWARM_DIR/proxy-password")
	swarm_meerko_config "$CONFIG" "username = $PROXY_USER" "password_file = $SWARM_DIR/proxy-password" \
		"[sandbox]" "mode = required" "[state]" "dir = $SWARM_DIR/state"
fi

# environ_hits PID...: "PID COMM" for each whose environment holds the password
environ_hits() {
	local p comm
	for p in "$@"; do
		comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
		if { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qF -- "$PROXY_PASS"; then
			printf '%s %s\n' "$p" "$comm"
		fi
	done
}

# the sampler must see a password that is there
env MEERKO_PROXY_PASSWORD="$PROXY_PASS" sleep 30 &
control=$!
_SWARM_PIDS+=("$control")
swarm_wait_for -t 5 -i 0.05 test "$(cat "/proc/$control/comm" 2>/dev/null)" = sleep || true
control_hits=$(environ_hits "$control")
swarm_stop "$control"

swarm_log "running meerko ($SCENARIO)"
timeout -k 5 "$MEERKO_TIMEOUT" env "${client_env[@]}" "$MEERKO_BIN" --config "$CONFIG" --progress none \
	--max-down 512 -o "$OUT" "$TORRENT" >"$SWARM_LOGS/meerko.out" 2>"$SWARM_LOGS/meerko.err" </dev/null &
runner=$!
_SWARM_PIDS+=("$runner")
hits="" seen="" samples=0
for ((i = 0; i < MEERKO_TIMEOUT * 10; i++)); do
	_swarm_alive "$runner" || break
	mapfile -t tree < <(_swarm_descendants "$runner")
	if ((${#tree[@]} > 0)); then
		hits+=$(environ_hits "${tree[@]}")$'\n'
		for p in "${tree[@]}"; do
			seen+=" $(cat "/proc/$p/comm" 2>/dev/null || true)"
		done
		samples=$((samples + 1))
	fi
	sleep 0.1
done
rc=0
wait "$runner" || rc=$?
seen=$(tr ' ' '\n' <<<"$seen" | sort -u | tr '\n' ' ')
hits=$(sort -u <<<"$hits" | grep -v '^$' || true)
swarm_log "meerko exited $rc; $samples samples of: $seen"

swarm_check "control: the sampler finds a password in a process's environ" test -n "$control_hits"
swarm_check "the broker and the engine were sampled while the download ran ($seen)" \
	bash -c '[[ $1 == *meerko-secure* && $1 == *meerko-engine* ]]' _ "$seen"
swarm_check "no Meerko process had the password in /proc/PID/environ" test -z "$hits"
[[ -z $hits ]] || printf '    held it: %s\n' "$(tr '\n' ' ' <<<"$hits")"
swarm_check "meerko-secure exited 0 ($SCENARIO, rc=$rc)" test "$rc" -eq 0
swarm_check "every file arrived with the right SHA-256" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
if ((SWARM_FAILED > 0)); then
	tail -n 20 "$SWARM_LOGS/meerko.err" | cut -c1-300 || true
fi
swarm_summary
