#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (SC2119: optional args)
# test_swarm_selfcheck.sh - proves the loopback swarm harness (tests/lib/swarm.sh)
# works, without Meerko: a plain aria2c client on 127.0.0.2 downloads directly
# from an aria2c seeder on 127.0.0.4 via opentracker on 127.0.0.1, and the
# checks the Meerko tests rely on are shown to see that client:
#   - the seeder's log names 127.0.0.2 (so "seeder saw only the proxy" can fail)
#   - the capture shows 127.0.0.2 at the tracker and the seeder
#   - the leak assertion fires on this direct client (negative control)
#   - the cleanup does not signal a process it did not start that holds a
#     registered pid's number (pid reuse)
# plus both SOCKS5 proxies (microsocks, dante with and without username auth)
# relaying a tracker scrape from 127.0.0.3, when curl is installed.
#
# Usage: test_swarm_selfcheck.sh            exit 0 pass, 1 fail, 77 skip
# SELFCHECK_FAULT=kill-seeder makes it fail on purpose (to see cleanup work).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"

swarm_require_root
swarm_require_cmds opentracker microsocks danted aria2c mktorrent transmission-show \
	tcpdump ss setpriv timeout sha256sum
HAVE_CURL=0
command -v curl >/dev/null 2>&1 && HAVE_CURL=1

swarm_init

# ---------------------------------------------------------------- the swarm
SEED=$SWARM_DIR/seed
PAYLOAD=$SEED/payload
TORRENT=$SWARM_DIR/selfcheck.torrent
swarm_make_payload "$PAYLOAD" 3 6
swarm_make_torrent "$PAYLOAD" "$TORRENT"
HASH=$(swarm_infohash "$TORRENT")

swarm_start_tracker "$TORRENT"
swarm_start_microsocks
swarm_start_seeder_aria2 "$TORRENT" "$SEED"
swarm_capture_start "port $SWARM_TRACKER_PORT or port $SWARM_SEED_PORT"

if [[ ${SELFCHECK_FAULT:-} == kill-seeder ]]; then
	swarm_log "SELFCHECK_FAULT=kill-seeder: stopping the seeder before the download"
	swarm_stop "$SWARM_SEED_PID"
fi

# ---------------------------------------------------------------- the client
DL=$SWARM_DIR/download
mkdir -p "$DL"
client_rc=0
swarm_run client 120 aria2c --no-conf=true \
	--interface="$SWARM_CLIENT_IP" --listen-port="$SWARM_CLIENT_PORT" \
	--enable-dht=false --enable-dht6=false --bt-enable-lpd=false \
	--enable-peer-exchange=false --seed-time=0 --bt-stop-timeout=20 \
	--file-allocation=none --summary-interval=0 --console-log-level=warn \
	--log="$SWARM_LOGS/client.aria2.log" --log-level=info \
	--stop-with-process=$$ --dir="$DL" "$TORRENT" || client_rc=$?

# ---------------------------------------------------------------- proxies
# a tracker scrape through each proxy must reach the tracker from 127.0.0.3
SCRAPE_URL="http://$SWARM_TRACKER_IP:$SWARM_TRACKER_PORT/scrape?info_hash="
for ((i = 0; i < 40; i += 2)); do
	SCRAPE_URL+="%${HASH:i:2}"
done

# curl_scrape [USER:PASS]: scrape through the proxy; the seeder must be counted
curl_scrape() {
	local auth=${1:+$1@}
	curl -sS --max-time 5 --socks5 "${auth}$SWARM_PROXY_IP:$SWARM_PROXY_PORT" "$SCRAPE_URL" |
		tr -c '[:print:]' '.' | grep -q '8:completei[1-9]'
}

PROXY_USER=mkswarm$$
PROXY_PASS=pw-$RANDOM$RANDOM
ms_ok=1 dante_ok=1 dante_auth_ok=1 dante_badpw_refused=1
if ((HAVE_CURL)); then
	curl_scrape || ms_ok=0
	swarm_stop "$SWARM_PROXY_PID"
	swarm_start_dante
	curl_scrape || dante_ok=0
	swarm_stop "$SWARM_PROXY_PID"
	swarm_start_dante "$PROXY_USER" "$PROXY_PASS"
	curl_scrape "$PROXY_USER:$PROXY_PASS" || dante_auth_ok=0
	if curl_scrape "$PROXY_USER:wrong-$PROXY_PASS" 2>/dev/null; then
		dante_badpw_refused=0
	fi
else
	swarm_log "curl not installed: proxy relay checks skipped"
fi
swarm_capture_stop

# ---------------------------------------------------------------- checks
seeder_ips=$(swarm_seeder_peer_ips)
seeder_ids=$(swarm_seeder_peer_ids)
seed_port_ips=$(swarm_capture_src_ips "$SWARM_SEED_IP" "$SWARM_SEED_PORT" "$SWARM_SEED_IP")
tracker_ips=$(swarm_tracker_saw "$SWARM_SEED_IP")
swarm_log "seeder log saw: ${seeder_ips//$'\n'/ }"
swarm_log "seeder peer ids: ${seeder_ids//$'\n'/ }"
swarm_log "capture, to the seeder port: ${seed_port_ips//$'\n'/ }"
swarm_log "capture, to the tracker: ${tracker_ips//$'\n'/ }"

has_ip() { grep -qxF "$1" <<<"$2"; }
# the leak assertion must fail (fire) on a list that has a non-proxy address
assertion_fires() { ! swarm_only_ips "$SWARM_PROXY_IP" "$1" >/dev/null; }
all_aria2_ids() { [[ -n $1 ]] && ! grep -qv '^A2-' <<<"$1"; }

swarm_check "aria2c client exited 0 (rc=$client_rc)" test "$client_rc" -eq 0
swarm_check "downloaded files match the payload (sha256)" swarm_sha256_check "$PAYLOAD" "$DL/payload"
swarm_check "seeder log names exactly the client 127.0.0.2" swarm_only_ips "$SWARM_CLIENT_IP" "$seeder_ips"
swarm_check "seeder log shows the client's aria2 peerId (A2-...)" all_aria2_ids "$seeder_ids"
swarm_check "capture: the seeder port was reached from 127.0.0.2 only" \
	swarm_only_ips "$SWARM_CLIENT_IP" "$seed_port_ips"
swarm_check "capture: the tracker saw 127.0.0.2" has_ip "$SWARM_CLIENT_IP" "$tracker_ips"
# negative control: the assertion the Meerko test makes must fire here
swarm_check "leak assertion 'tracker saw only the proxy' fires on a direct client" \
	assertion_fires "$tracker_ips"
swarm_check "leak assertion 'seeder saw only the proxy' fires on a direct client" \
	assertion_fires "$seeder_ips"
if ((HAVE_CURL)); then
	swarm_check "microsocks relays a scrape to the tracker" test "$ms_ok" = 1
	swarm_check "dante (no auth) relays a scrape to the tracker" test "$dante_ok" = 1
	swarm_check "dante (username auth, temp user $PROXY_USER) relays a scrape" test "$dante_auth_ok" = 1
	swarm_check "dante refuses a wrong password" test "$dante_badpw_refused" = 1
	swarm_check "capture: proxied scrapes reached the tracker from 127.0.0.3" \
		has_ip "$SWARM_PROXY_IP" "$tracker_ips"
fi

# The cleanup signals only its own. A registered pid whose process exited is
# a free number; on a busy machine (pid_max 32768) another process soon gets
# it - another run's shell or ctest - and the cleanup stopped that stranger
# and all below it (their traps then removed their own temp dirs mid-run).
# Shown without waiting for a reuse: a child run registers the pid of a
# process that is not its child, as a reused number is.
stranger_survives_cleanup() {
	local stranger alive=0
	stranger=$(bash -c 'sleep 60 >/dev/null 2>&1 & echo $!')
	# shellcheck disable=SC2016 # $1, $2 expand in the child
	SWARM_QUIET=1 bash -c '. "$1"; swarm_init; _SWARM_PIDS+=("$2")' _ "$HERE/../lib/swarm.sh" "$stranger" \
		>/dev/null 2>&1 || true
	_swarm_alive "$stranger" && alive=1
	kill "$stranger" 2>/dev/null || true
	((alive == 1)) || echo "    the child run's cleanup killed pid $stranger, which it did not start"
	((alive == 1))
}
swarm_check "cleanup leaves alone a process that got a registered pid's number" stranger_survives_cleanup

swarm_summary
