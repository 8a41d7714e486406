#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (SC2119: optional args)
# test_udp.sh - SOCKS5 UDP ASSOCIATE through the sandbox's relay, on a real
# swarm (sandbox on, as root: engine as nobody in its own netns).
#
# Usage: test_udp.sh BUILD_DIR SCENARIO
#   udptracker  the torrent's only tracker is udp://127.0.0.1:PORT/announce
#               (opentracker, UDP), proxy danted with username/password (a
#               temporary system user; the relay authenticates for UDP
#               ASSOCIATE as for CONNECT): download completes, hashes
#               match; the announce went over UDP through dante (dante relayed
#               datagrams to meerko; the capture shows UDP to the tracker port from
#               the proxy 127.0.0.3 only; nothing else reached the tracker);
#               the seeder saw only the proxy.
#   dht         no tracker at all: a magnet without tr=, meerko with dht = on
#               and [privacy] dht_bootstrap = the seeder's DHT node (python3
#               libtorrent seeder with DHT on 127.0.1.4, plus a DHT-only
#               helper node it announces to): download completes via DHT
#               through dante's UDP relay, hashes match, the DHT nodes saw
#               meerko only as the proxy's address, and no DHT message of
#               meerko's carried a client version "v" (the relay strips it).
#   utp         as dht, with utp = true on both sides: dante relayed at least
#               the payload's size over UDP to meerko (uTP through the relay).
#   nosupport   proxy microsocks (no UDP ASSOCIATE), config asks for dht and
#               utp: the note is printed exactly once and an HTTP-tracker
#               download still completes.
# Exit: 0 pass, 1 fail, 77 skip (MEERKO_REQUIRE_ALL=1 turns skips into fails).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:?build dir}
SCENARIO=${2:?scenario}
MEERKO_BIN=${MEERKO_BIN:-$BUILD_DIR/bin/meerko-secure}
MEERKO_TIMEOUT=${MEERKO_TIMEOUT:-120}
# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"

case $SCENARIO in
udptracker | dht | utp) proxy_cmd=danted ;;
nosupport) proxy_cmd=microsocks ;;
*) echo "test_udp.sh: unknown scenario '$SCENARIO'" >&2; exit 2 ;;
esac

swarm_isolate "$@"
swarm_require_root
swarm_require_cmds opentracker "$proxy_cmd" aria2c mktorrent transmission-show tcpdump timeout sha256sum
[[ -x $MEERKO_BIN ]] || swarm_skip_or_fail "meerko-secure not built: $MEERKO_BIN"
if [[ $SCENARIO == dht || $SCENARIO == utp ]]; then
	/usr/bin/python3 -c 'import libtorrent' 2>/dev/null ||
		swarm_skip_or_fail "python3-libtorrent is missing (run scripts/deps.sh)"
fi
swarm_init

SEED=$SWARM_DIR/seed
PAYLOAD=$SEED/payload
TORRENT=$SWARM_DIR/u.torrent
OUT=$SWARM_DIR/out
CONFIG=$SWARM_DIR/meerko.ini
mkdir -p "$OUT"
chown nobody "$OUT" # the sandboxed engine runs as nobody
swarm_make_payload "$PAYLOAD" 2 6

show_client() {
	local f
	for f in meerko.out meerko.err; do
		printf -- '----- %s (last 40 lines)\n' "$f"
		tail -n 40 "$SWARM_LOGS/$f" 2>/dev/null | cut -c1-300 || true
	done
}

# dante logs "udp/udpassociate ]: BYTES/PKTS -> client ..." when an association
# ends (the start-up probe's has 0 bytes); the relay's ends when meerko exits
dante_relayed_udp() {
	grep -qE 'udp/udpassociate \]: [1-9][0-9]*/' "$SWARM_LOGS/danted.dante.log"
}

run_meerko() { # INPUT: sets RC and ELAPSED
	local started
	started=$(date +%s)
	RC=0
	swarm_run meerko "$MEERKO_TIMEOUT" "$MEERKO_BIN" --config "$CONFIG" -o "$OUT" "$1" || RC=$?
	ELAPSED=$(($(date +%s) - started))
}

# --------------------------------------------------------------- udptracker
# aria2c announces to UDP trackers only with its DHT on: the seeder gets the
# same info dict with the HTTP announce of the same opentracker (same swarm).
scenario_udptracker() {
	local udp_torrent=$SWARM_DIR/udp-only.torrent
	swarm_make_torrent "$PAYLOAD" "$TORRENT"
	SWARM_ANNOUNCE_URL="udp://$SWARM_TRACKER_IP:$SWARM_TRACKER_PORT/announce" \
		swarm_make_torrent "$PAYLOAD" "$udp_torrent"
	[[ $(swarm_infohash "$udp_torrent") == $(swarm_infohash "$TORRENT") ]] ||
		swarm_die "the UDP-tracker torrent has another info-hash"
	swarm_start_tracker "$TORRENT"
	# username auth: the relay authenticates its UDP ASSOCIATE like CONNECT
	local user=mkudp$$ pass=pw-$RANDOM$RANDOM
	swarm_start_dante "$user" "$pass"
	swarm_start_seeder_aria2 "$TORRENT" "$SEED"
	swarm_meerko_config "$CONFIG" "username = $user" "password = $pass" "[ui]" "progress = plain" \
		"[sandbox]" "mode = required" "[state]" "dir = $SWARM_DIR/state"
	swarm_capture_start "port $SWARM_TRACKER_PORT or port $SWARM_SEED_PORT"
	run_meerko "$udp_torrent"
	local capture_ok=1 udp_ips tcp_ips seeder_ips
	swarm_capture_stop || capture_ok=0
	udp_ips=$(tcpdump -nn -r "$SWARM_CAPTURE_FILE" \
		"udp and dst host $SWARM_TRACKER_IP and dst port $SWARM_TRACKER_PORT" 2>/dev/null |
		awk '$2 == "IP" { n = split($3, a, "."); if (n == 5) print a[1] "." a[2] "." a[3] "." a[4] }' |
		sort -u | grep -vxF "$SWARM_SEED_IP" || true)
	tcp_ips=$(tcpdump -nn -r "$SWARM_CAPTURE_FILE" \
		"tcp and dst host $SWARM_TRACKER_IP and dst port $SWARM_TRACKER_PORT" 2>/dev/null |
		awk '$2 == "IP" { n = split($3, a, "."); if (n == 5) print a[1] "." a[2] "." a[3] "." a[4] }' |
		sort -u | grep -vxF "$SWARM_SEED_IP" | grep -vxF 127.0.0.1 || true)
	seeder_ips=$(swarm_seeder_peer_ips)
	swarm_log "meerko exited $RC after ${ELAPSED}s; UDP to the tracker from: ${udp_ips//$'\n'/ }"
	swarm_check "meerko-secure exited 0 (rc=$RC, ${ELAPSED}s)" test "$RC" -eq 0
	swarm_check "every file arrived with the right SHA-256" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
	swarm_check "the capture is complete" test "$capture_ok" = 1
	swarm_check "capture: UDP announces reached the tracker, only from the proxy $SWARM_PROXY_IP" \
		swarm_only_ips "$SWARM_PROXY_IP" "$udp_ips"
	swarm_check "capture: no TCP from meerko's side reached the tracker" test -z "$tcp_ips"
	swarm_check "dante relayed datagrams to meerko (a UDP association with traffic)" \
		swarm_wait_for -t 5 -i 0.2 dante_relayed_udp
	swarm_check "the seeder saw peers, and only the proxy $SWARM_PROXY_IP" \
		swarm_only_ips "$SWARM_PROXY_IP" "$seeder_ips"
	swarm_check "no 'does not support UDP' note" \
		bash -c "! grep -q 'does not support UDP' '$SWARM_LOGS/meerko.err'"
}

# --------------------------------------------------------------- dht
# Other /24s than the proxy (127.0.0.3): libtorrent's routing table keeps
# one node per /24 by default.
DHT_SEED_IP=127.0.1.4
DHT_HELPER_IP=127.0.2.5

dht_ready() { ! _swarm_alive "$1" || [[ -s $2 ]]; }

scenario_dht() { # [utp]
	local utp=${1:-} hash ready=$SWARM_DIR/dht.ready seed_port=$SWARM_SEED_PORT helper_port=$((SWARM_SEED_PORT + 1))
	# no announce URL at all: only the DHT can find the seeder
	mktorrent -l "$SWARM_PIECE_EXP" -o "$TORRENT" "$PAYLOAD" >/dev/null 2>&1 || swarm_die "mktorrent failed"
	hash=$(swarm_infohash "$TORRENT")
	swarm_start_dante
	swarm_spawn dht /usr/bin/python3 "$HERE/../lib/dht_swarm.py" "$TORRENT" "$SEED" \
		"$DHT_SEED_IP" "$seed_port" "$DHT_HELPER_IP" "$helper_port" "$ready" ${utp:+"$utp"}
	local pid=$SWARM_LAST_PID
	if ! swarm_wait_for -t 60 -i 0.2 dht_ready "$pid" "$ready" || [[ ! -s $ready ]]; then
		swarm_die "the DHT seeder did not announce within 60 s (log: $SWARM_LOGS/dht.log)"
		tail -n 20 "$SWARM_LOGS/dht.log" >&2 || true
		return 1
	fi
	swarm_log "DHT seeder ready: $hash on $DHT_SEED_IP:$seed_port, helper $DHT_HELPER_IP:$helper_port"
	local magnet="magnet:?xt=urn:btih:$hash&dn=payload"
	swarm_meerko_config "$CONFIG" "[privacy]" "dht = true" "dht_bootstrap = $DHT_SEED_IP:$seed_port" \
		"utp = $([[ -n $utp ]] && echo true || echo false)" \
		"[ui]" "progress = plain" "[sandbox]" "mode = required" "[state]" "dir = $SWARM_DIR/state"
	run_meerko "$magnet"
	local dht_from peer_from
	# packets between the seeder's and the helper's own nodes excluded
	dht_from=$(awk '$1 == "dht-in" { split($3, a, ":"); print a[1] }' "$SWARM_LOGS/dht.log" |
		grep -vxF -e "$DHT_SEED_IP" -e "$DHT_HELPER_IP" | sort -u || true)
	peer_from=$(awk '$1 == "peer-in" { split($2, a, ":"); print a[1] }' "$SWARM_LOGS/dht.log" | sort -u || true)
	swarm_log "meerko exited $RC after ${ELAPSED}s; DHT packets from: ${dht_from//$'\n'/ }; peers from: ${peer_from//$'\n'/ }"
	swarm_check "meerko-secure exited 0 (rc=$RC, ${ELAPSED}s)" test "$RC" -eq 0
	swarm_check "every file arrived with the right SHA-256" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
	swarm_check "the DHT nodes got packets from meerko, only via the proxy $SWARM_PROXY_IP" \
		swarm_only_ips "$SWARM_PROXY_IP" "$dht_from"
	swarm_check "the seeder got peers, only the proxy $SWARM_PROXY_IP" \
		swarm_only_ips "$SWARM_PROXY_IP" "$peer_from"
	swarm_check "dante relayed datagrams to meerko (a UDP association with traffic)" \
		swarm_wait_for -t 5 -i 0.2 dante_relayed_udp
	local with_v
	with_v=$(awk -v p="$SWARM_PROXY_IP:" '$1 == "dht-in" && index($3, p) == 1 && $4 == "v=yes"' \
		"$SWARM_LOGS/dht.log" | wc -l)
	swarm_check "no DHT message from meerko carried a client version (got $with_v)" test "$with_v" -eq 0
	if [[ -n $utp ]]; then
		# what dante relayed to the client (see dante_relayed_udp): the payload
		# came over uTP if that is at least the payload's size
		local udp_bytes payload_bytes
		udp_bytes=$(grep -o 'udp/udpassociate \]: [0-9]*' "$SWARM_LOGS/danted.dante.log" |
			awk '{ print $3 }' | sort -n | tail -n 1)
		payload_bytes=$(find "$PAYLOAD" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
		swarm_check "the payload came over uTP: dante relayed ${udp_bytes:-0} UDP bytes to meerko (payload $payload_bytes)" \
			test "${udp_bytes:-0}" -ge "$payload_bytes"
	fi
}

scenario_utp() { scenario_dht utp; }

# --------------------------------------------------------------- nosupport
scenario_nosupport() {
	swarm_make_torrent "$PAYLOAD" "$TORRENT"
	swarm_start_tracker "$TORRENT"
	swarm_start_microsocks
	swarm_start_seeder_aria2 "$TORRENT" "$SEED"
	swarm_meerko_config "$CONFIG" "[privacy]" "dht = true" "utp = true" \
		"[ui]" "progress = plain" "[sandbox]" "mode = required" "[state]" "dir = $SWARM_DIR/state"
	run_meerko "$TORRENT"
	local notes
	notes=$(grep -c 'the proxy does not support UDP ASSOCIATE: uTP, DHT and UDP trackers are off for this run' \
		"$SWARM_LOGS/meerko.err" || true)
	swarm_check "meerko-secure exited 0 (rc=$RC, ${ELAPSED}s)" test "$RC" -eq 0
	swarm_check "every file arrived with the right SHA-256" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
	swarm_check "the note was printed exactly once (got ${notes:-0})" test "${notes:-0}" -eq 1
	swarm_check "the seeder saw peers, and only the proxy $SWARM_PROXY_IP" \
		swarm_only_ips "$SWARM_PROXY_IP" "$(swarm_seeder_peer_ips)"
}

"scenario_$SCENARIO"
((SWARM_FAILED == 0)) || show_client
swarm_summary
