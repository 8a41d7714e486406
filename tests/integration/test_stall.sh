#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2016,SC2119 # (SC2016: bash -c scripts; SC2119: optional args)
# test_stall.sh - a torrent that gets no data says why, and --stall-timeout
# gives up on it (exit 11) while the others of the run go on. Real swarm,
# sandbox on (as root: the engine runs as nobody), microsocks, opentracker.
#
#   tracker  opentracker  127.0.0.1      proxy  microsocks  127.0.0.3
#   seeder   aria2c       127.0.0.4      fake peer (fake_peer.py) 127.0.0.5
#   empty tracker (python3 http.server: a valid reply, no peer)  127.0.0.6
#
# Scenarios (first argument):
#   nopeers  two torrents, --stall-timeout 5: alpha (seeded) completes with
#            the right SHA-256; beta (its tracker answers with no peer)
#            gives up with exit 11 within 30 s, and its one stderr line says
#            "0 peers from trackers" and why.
#   refused  beta listed by the tracker at an address where nothing listens
#            (a seeder that is gone), --json --stall-timeout 5: exit 11; a
#            "stalled" event with giving_up, tracker_peers >= 1 and
#            conn_refused >= 1; an "error" event with code 11; the exit line
#            says code 11; stderr says "N peers from trackers" and "refused"
#            (opentracker lists our own announce back too: also refused).
#   closed   beta's only peer accepts each connection and closes it at once
#            (a seeder that closes connections), --stall-timeout 5: exit 11,
#            stderr counts the connections "closed after connecting" and
#            says "the peers close the connections".
#   notice   gamma, whose tracker cannot be reached through the proxy, no
#            --stall-timeout, [ui] stall_notice = 2: the diagnosis line
#            (tracker errors, the last one's text) comes once within 15 s,
#            not again in the next 4 s (repeats are 5 minutes apart), the
#            run goes on; then SIGTERM: 143.
# Exit: 0 pass, 1 fail, 77 skip (MEERKO_REQUIRE_ALL=1 turns skips into fails).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:?build dir}
SCENARIO=${2:?scenario}
MEERKO_BIN=${MEERKO_BIN:-$BUILD_DIR/bin/meerko-secure}
PY=${MEERKO_TEST_PYTHON:-/usr/bin/python3}
FAKE_PEER_IP=127.0.0.5
FAKE_PEER_PORT=6890
EMPTY_TRACKER_IP=127.0.0.6
EMPTY_TRACKER_PORT=6970
DEAD_TRACKER_PORT=6971 # on EMPTY_TRACKER_IP, where nothing listens
# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"

swarm_isolate "$@"
swarm_require_root
swarm_require_cmds opentracker microsocks aria2c mktorrent transmission-show timeout sha256sum jq "$PY"
swarm_require_meerko
swarm_init
swarm_meerko_dirs # SEED, OUT (owned by nobody, as the sandboxed engine runs), CONFIG

swarm_make_payload "$SEED/alpha" 2 2
swarm_make_payload "$SWARM_DIR/nobody/beta" 1 1 # beta's data exists nowhere the swarm can see
swarm_make_torrent "$SEED/alpha" "$SWARM_DIR/alpha.torrent"
swarm_make_torrent "$SWARM_DIR/nobody/beta" "$SWARM_DIR/beta.torrent"
BETA_HASH=$(swarm_infohash "$SWARM_DIR/beta.torrent")
torrent_at() { # TRACKER_URL OUT.torrent: beta's data announced there
	mktorrent -l "$SWARM_PIECE_EXP" -a "$1" -o "$2" "$SWARM_DIR/nobody/beta" >/dev/null
	chmod 644 "$2"
}
torrent_at "http://$EMPTY_TRACKER_IP:$EMPTY_TRACKER_PORT/announce" "$SWARM_DIR/empty.torrent"
torrent_at "http://$EMPTY_TRACKER_IP:$DEAD_TRACKER_PORT/announce" "$SWARM_DIR/gamma.torrent"

config() { # extra LINES...
	swarm_meerko_config "$CONFIG" "[ui]" "progress = plain" "plain_interval = 1" "$@" \
		"[sandbox]" "mode = required" "[state]" "dir = $SWARM_DIR/state"
}

RC=""
run_meerko() { # LIMIT ARGS...: output in $SWARM_LOGS/meerko.{out,err}, rc in RC, seconds in ELAPSED
	swarm_meerko meerko "$1" --config "$CONFIG" -o "$OUT" "${@:2}"
	RC=$SWARM_RC ELAPSED=$SWARM_ELAPSED
}
has_line() { # FILE REGEX
	grep -qE "$2" "$SWARM_LOGS/$1" || { printf '    no line matching /%s/ in %s\n' "$2" "$1"; return 1; }
}
count_lines() { grep -cE "$2" "$SWARM_LOGS/$1" || true; }

# beta's one peer (tests/lib/fake_peer.py), announced before meerko starts
start_fake_peer() { # refuse|close
	swarm_spawn fakepeer "$PY" "$HERE/../lib/fake_peer.py" "$SWARM_TRACKER_IP" "$SWARM_TRACKER_PORT" \
		"$BETA_HASH" "$FAKE_PEER_IP" "$FAKE_PEER_PORT" "$1" 60
	swarm_wait_for -t 10 grep -q '^announced' "$SWARM_LOGS/fakepeer.log" ||
		swarm_die "the fake peer did not announce itself"
}

# A real HTTP tracker whose every answer is valid and lists no peer (as a
# tracker does for a torrent nobody else announced; opentracker would list
# our own announce back).
start_empty_tracker() {
	swarm_spawn empty-tracker "$PY" -c '
import sys, http.server
body = b"d8:intervali1800e5:peers0:e"
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.HTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
' "$EMPTY_TRACKER_IP" "$EMPTY_TRACKER_PORT"
	swarm_wait_for -t 5 swarm_port_open "$EMPTY_TRACKER_IP" "$EMPTY_TRACKER_PORT"
}

case $SCENARIO in
nopeers)
	swarm_start_tracker "$SWARM_DIR/alpha.torrent"
	swarm_start_microsocks
	swarm_start_seeder_aria2 "$SWARM_DIR/alpha.torrent" "$SEED"
	start_empty_tracker
	config
	run_meerko 60 --stall-timeout 5 "$SWARM_DIR/alpha.torrent" "$SWARM_DIR/empty.torrent"
	swarm_check "exit 11 (rc=$RC)" test "$RC" = 11
	swarm_check "within 30 s (${ELAPSED}s)" test "$ELAPSED" -le 30
	swarm_check "alpha completed, SHA-256 right" swarm_sha256_check "$SEED/alpha" "$OUT/alpha"
	swarm_check "beta: one line, 0 peers from trackers, gave up" has_line meerko.err \
		"^meerko-secure: .*/empty\.torrent: stalled, gave up \(\[download\] stall_timeout = 5 s\): no data for [0-9]+ s - 0 peers from trackers \([0-9]+ repl(y|ies)\); connections: 0 refused, 0 failed, 0 closed after connecting; 0 peers connected - the trackers know no other peer$"
	swarm_check "stderr: that line and the summary only" test "$(wc -l <"$SWARM_LOGS/meerko.err")" = 2
	swarm_check "alpha's done line" has_line meerko.out '^done: alpha saved in '
	;;
refused)
	swarm_start_tracker "$SWARM_DIR/beta.torrent"
	swarm_start_microsocks
	start_fake_peer refuse
	config
	run_meerko 60 --json --stall-timeout 5 "$SWARM_DIR/beta.torrent"
	swarm_check "exit 11 (rc=$RC)" test "$RC" = 11
	swarm_check "within 30 s (${ELAPSED}s)" test "$ELAPSED" -le 30
	swarm_check "a stalled event: giving up, the tracker's peer, refused connections" \
		jq -se 'any(.[]; .type == "event" and .event == "stalled" and .id == 1 and .giving_up
			and .stalled_s >= 5 and .why.tracker_peers >= 1 and .why.tracker_replies >= 1
			and .why.conn_refused >= 1 and .why.conn_closed == 0 and .why.peers == 0
			and (.message | test("refused")))' "$SWARM_LOGS/meerko.out"
	swarm_check "an error event with code 11" \
		jq -se 'any(.[]; .type == "event" and .event == "error" and .id == 1 and .code == 11)' "$SWARM_LOGS/meerko.out"
	swarm_check "the exit line: code 11, beta failed with 11" \
		bash -c 'tail -n 1 "$1" | jq -e ".type == \"exit\" and .code == 11 and .torrents[0].result == \"failed\" and .torrents[0].code == 11" >/dev/null' _ "$SWARM_LOGS/meerko.out"
	# the tracker lists the fake peer and our own announce (through the proxy)
	swarm_check "stderr: peers from trackers, refused, cannot be reached" has_line meerko.err \
		"^meerko-secure: .*/beta\.torrent: stalled, gave up .* - [12] peers? from trackers \([0-9]+ repl(y|ies)\); connections: [1-9][0-9]* refused, 0 failed, 0 closed after connecting; 0 peers connected - the peers cannot be reached through the proxy$"
	;;
closed)
	swarm_start_tracker "$SWARM_DIR/beta.torrent"
	swarm_start_microsocks
	start_fake_peer close
	config
	run_meerko 60 --stall-timeout 5 "$SWARM_DIR/beta.torrent"
	swarm_check "exit 11 (rc=$RC)" test "$RC" = 11
	swarm_check "within 30 s (${ELAPSED}s)" test "$ELAPSED" -le 30
	swarm_check "the fake peer closed connections" has_line fakepeer.log '^closed [0-9]+'
	# a reconnect may be under way at that second: then one peer is connected
	swarm_check "stderr: connections closed after connecting, the peers close them" has_line meerko.err \
		"^meerko-secure: .*/beta\.torrent: stalled, gave up .* - [12] peers? from trackers .*; connections: [0-9]+ refused, 0 failed, [1-9][0-9]* closed after connecting; [01] peers? connected - the peers close the connections( or send nothing)?$"
	;;
notice)
	swarm_start_microsocks
	config "stall_notice = 2"
	timeout -k 5 60 "$MEERKO_BIN" --config "$CONFIG" -o "$OUT" "$SWARM_DIR/gamma.torrent" \
		>"$SWARM_LOGS/meerko.out" 2>"$SWARM_LOGS/meerko.err" </dev/null &
	MPID=$!
	_SWARM_PIDS+=("$MPID")
	swarm_check "the diagnosis line within 15 s" swarm_wait_for -t 15 -i 0.2 \
		grep -qE '^meerko-secure: .*/gamma\.torrent: stalled, no data for [0-9]+ s - [0-9]+ tracker errors? \(last: ' "$SWARM_LOGS/meerko.err"
	sleep 4
	swarm_check "said once (the next one is 5 minutes later)" test "$(count_lines meerko.err 'stalled, ')" = 1
	swarm_check "still running: no stall_timeout, no exit" kill -0 "$MPID"
	kill -TERM "$MPID"
	RC=0
	wait "$MPID" || RC=$?
	swarm_check "SIGTERM: exit 143 (rc=$RC)" test "$RC" = 143
	swarm_check "the line names the tracker's error and the cause" has_line meerko.err \
		'stalled, no data for [0-9]+ s - [0-9]+ tracker errors? \(last: [^)]*refused[^)]*\); connections: 0 refused, 0 failed, 0 closed after connecting; 0 peers connected - no tracker can be reached through the proxy$'
	;;
*)
	swarm_die "unknown scenario $SCENARIO"
	;;
esac
swarm_summary
