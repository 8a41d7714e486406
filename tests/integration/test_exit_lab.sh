#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2034
# (SC2034: SWARM_ANNOUNCE_URL and SWARM_TRACKER_* are the library's, read by it)
# test_exit_lab.sh - the exit the swarm sees, on a lab of real addresses
# (issue 19): the VPN under a working proxy drops mid-download, and a
# single peer that sees us elsewhere.
#
# Namespaces (this test's own, removed by the EXIT trap also on failure):
#   host  (the test's isolated netns: Meerko's broker, microsocks on
#          127.0.0.3) lan0 10.77.1.1/24 = H, "this machine's own address",
#          default route via the vpn router
#   vpn   router: wan0 10.77.1.2/24, vsw0 10.77.2.1/24 = A (the VPN exit)
#          and 10.77.2.9 = B; SNAT of the host's traffic to A = "VPN up";
#          no SNAT (and conntrack flushed) = "VPN dropped": the proxy's
#          connections reach the swarm from H
#   swarm sw0: tracker opentracker 10.77.2.2, python3-libtorrent seeders
#          10.77.2.3, .4, .5 (they send what they see in BEP 10 "yourip")
#
# Scenarios (argument 2; one ctest each):
#   vpn_drop      exit_vpn_drop_stops_never_probes: expected_exit = A,
#                 on_exit_mismatch = pause. Mid-download the VPN drops: within
#                 30 s one line "the swarm sees this machine at 10.77.1.1 (2
#                 peers), one of its own addresses: stopped, state saved, not
#                 checked again"; exit 10 (whatever on_exit_mismatch says: a
#                 probe would connect from this machine's own address again),
#                 a --json exit_mismatch event; from 1 s after that line to the
#                 exit no byte from a seeder reaches H or A (capture in the
#                 swarm netns); resume data saved. The VPN back, a rerun
#                 completes, SHA-256 checked, exit 0.
#   vpn_failover  exit_vpn_failover_pauses_then_resumes: the VPN fails over to
#                 another exit, B, outside expected_exit: paused within 30 s
#                 ("outside [killswitch] expected_exit: torrents paused until
#                 it is right again"), --json status note "paused: exit B (2
#                 peers) wrong"; no byte from a seeder from 1 s after that to
#                 the VPN's return to A; the next probe (60 s) resumes ("again:
#                 resumed"), the download completes, SHA-256 checked, exit 0.
#   vpn_down      exit_vpn_failover_probe_pauses_again: the same failover, and
#                 B stays: the first probe (60 s) reconnects, hears B again and
#                 pauses again within 15 s ("paused again"); no byte from a
#                 seeder while paused, before the probe (up to 55 s after
#                 detection) and from 1 s after the second pause; Ctrl-C then:
#                 exit 130, resume data saved, the download unfinished.
#   lying_peer    exit_single_lying_peer_ignored: three seeders; the one at
#                 10.77.2.5 sees us at B (SNAT to B for it alone), the other
#                 two at A = expected_exit: no pause, no mismatch line, the
#                 download completes (SHA-256), exit 0, status shows A.
#
# Usage: test_exit_lab.sh BUILD_DIR vpn_drop|vpn_failover|vpn_down|lying_peer
# Exit: 0 pass, 1 fail, 77 skip (MEERKO_REQUIRE_ALL=1 turns skips into fails).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:-${BUILD_DIR:-build}}
SCENARIO=${2:-}
MEERKO_BIN=${MEERKO_BIN:-$BUILD_DIR/bin/meerko-secure}
PY=${MEERKO_TEST_PYTHON:-/usr/bin/python3}

# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"

case $SCENARIO in
vpn_drop | vpn_failover | vpn_down | lying_peer) ;;
*) echo "usage: $0 BUILD_DIR vpn_drop|vpn_failover|vpn_down|lying_peer" >&2; exit 2 ;;
esac

swarm_isolate "$@"
swarm_require_root
swarm_require_cmds ip iptables conntrack opentracker microsocks mktorrent transmission-show tcpdump timeout sha256sum jq
swarm_require_libtorrent "$PY"
swarm_require_meerko

H=10.77.1.1          # the host's own address (on lan0, in the broker's netns)
ROUTER_H=10.77.1.2
A=10.77.2.1          # the VPN's exit
B=10.77.2.9          # what the lying peer sees
TRACKER=10.77.2.2
SEEDERS=(10.77.2.3 10.77.2.4)
LIAR=10.77.2.5
SEED_PORT=6881
NS_VPN=exl$$-vpn
NS_SWARM=exl$$-swarm

swarm_init
SWARM_TRACKER_IP=$TRACKER SWARM_TRACKER_PORT=6969 # swarm_tracker_seeders scrapes it
SWARM_ANNOUNCE_URL=http://$TRACKER:6969/announce # read by swarm_make_torrent

# ------------------------------------------------------------------ the lab
lab_remove() { # every process in our namespaces was started by us
	local ns p
	for ns in "$NS_SWARM" "$NS_VPN"; do
		[[ -e /run/netns/$ns ]] || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || swarm_log "could not remove netns $ns"
	done
}
swarm_cleanup_hook after lab_remove

in_vpn() { ip netns exec "$NS_VPN" "$@"; }
in_swarm() { ip netns exec "$NS_SWARM" "$@"; }

lab_build() {
	local ip
	ip netns add "$NS_VPN" && ip netns add "$NS_SWARM" &&
		ip link add lan0 type veth peer name wan0 netns "$NS_VPN" &&
		ip -n "$NS_VPN" link add vsw0 type veth peer name sw0 netns "$NS_SWARM" || return 1
	ip addr add "$H/24" dev lan0 && ip link set lan0 up && ip route add default via "$ROUTER_H" || return 1
	in_vpn ip link set lo up && in_vpn ip addr add "$ROUTER_H/24" dev wan0 && in_vpn ip link set wan0 up &&
		in_vpn ip addr add "$A/24" dev vsw0 && in_vpn ip addr add "$B/24" dev vsw0 &&
		in_vpn ip link set vsw0 up && in_vpn sysctl -qw net.ipv4.ip_forward=1 || return 1
	in_swarm ip link set lo up && in_swarm ip link set sw0 up || return 1
	for ip in "$TRACKER" "${SEEDERS[@]}" "$LIAR"; do
		in_swarm ip addr add "$ip/24" dev sw0 || return 1
	done
	in_swarm ip route add default via "$A"
}

vpn_up() { # the host's traffic leaves as A (B towards the liar, when asked)
	in_vpn iptables -t nat -F POSTROUTING &&
		{ [[ ${1:-} != liar ]] || in_vpn iptables -t nat -A POSTROUTING -s 10.77.1.0/24 -d "$LIAR" -j SNAT --to-source "$B"; } &&
		in_vpn iptables -t nat -A POSTROUTING -s 10.77.1.0/24 -o vsw0 -j SNAT --to-source "$A" &&
		in_vpn conntrack -F >/dev/null 2>&1
}

vpn_drop() { # the VPN under the proxy is gone: the host's own address goes out
	in_vpn iptables -t nat -F POSTROUTING && in_vpn conntrack -F >/dev/null 2>&1
}

vpn_failover() { # the VPN now leaves by another exit, B
	in_vpn iptables -t nat -F POSTROUTING &&
		in_vpn iptables -t nat -A POSTROUTING -s 10.77.1.0/24 -o vsw0 -j SNAT --to-source "$B" &&
		in_vpn conntrack -F >/dev/null 2>&1
}

lab_build || { swarm_die "could not build the lab namespaces"; exit 1; }
vpn_up "${SCENARIO/lying_peer/liar}" || { swarm_die "could not set up the VPN's SNAT"; exit 1; }

# ------------------------------------------------------------------ the swarm
SEED=$SWARM_DIR/seed
TORRENT=$SWARM_DIR/t.torrent
OUT=$SWARM_DIR/out
CONFIG=$SWARM_DIR/meerko.ini
export XDG_STATE_HOME=$SWARM_DIR/state
mkdir -p "$SEED" "$OUT" "$SWARM_DIR/tracker" "$XDG_STATE_HOME"
chown nobody "$OUT"
swarm_make_payload "$SEED/payload" 3 8
swarm_make_torrent "$SEED/payload" "$TORRENT"
chmod 644 "$TORRENT"
HASH=$(swarm_infohash "$TORRENT")
printf '%s\n' "$HASH" >"$SWARM_DIR/tracker/whitelist"
chmod 755 "$SWARM_DIR/tracker" && chmod 644 "$SWARM_DIR/tracker/whitelist"

swarm_spawn tracker ip netns exec "$NS_SWARM" opentracker -d / -i "$TRACKER" -p 6969 -P 6969 \
	-w "$SWARM_DIR/tracker/whitelist"
seed_ips=("${SEEDERS[@]}")
[[ $SCENARIO != lying_peer ]] || seed_ips+=("$LIAR")
for ip in "${seed_ips[@]}"; do
	swarm_spawn "seeder-$ip" ip netns exec "$NS_SWARM" "$PY" "$HERE/../lib/lt_seeder.py" "$ip" "$SEED_PORT" \
		"$SEED" "$TORRENT"
done
seeders_ready() {
	local ip
	for ip in "${seed_ips[@]}"; do
		grep -qx "seeding $HASH" "$SWARM_LOGS/seeder-$ip.log" 2>/dev/null || return 1
	done
	(($(swarm_tracker_seeders "$HASH") >= ${#seed_ips[@]}))
}
swarm_wait_for -t 60 -i 0.3 seeders_ready || { swarm_die "seeders not ready in 60 s"; exit 1; }

# microsocks on the host, no -b: it leaves by the host's route, as a local
# dante in front of a VPN does
swarm_spawn microsocks microsocks -i "$SWARM_PROXY_IP" -p "$SWARM_PROXY_PORT"
swarm_wait_for -t 5 -i 0.05 swarm_port_open "$SWARM_PROXY_IP" "$SWARM_PROXY_PORT" ||
	{ swarm_die "microsocks did not listen"; exit 1; }

# ------------------------------------------------------------------ Meerko in the background
MK_LOG=$SWARM_LOGS/meerko.log # stderr lines and --json lines, interleaved
MK_PID=""
meerko_start() { # LIMIT ARGS...
	local limit=$1
	shift
	swarm_spawn meerko timeout -k 5 "$limit" "$MEERKO_BIN" --config "$CONFIG" -o "$OUT" --json "$@" "$TORRENT"
	MK_PID=$SWARM_LAST_PID
}
meerko_wait() { # sets rc; bounded by the timeout given to meerko_start
	rc=0
	wait "$MK_PID" || rc=$?
}
json() { grep '^{' "$MK_LOG" | jq -e -s "$1" >/dev/null; }
said() { grep -qE "$1" "$MK_LOG"; }
done_ppm() {
	grep '^{"type":"status"' "$MK_LOG" | tail -n 1 | jq -r '.total.progress_ppm // 0' 2>/dev/null || echo 0
}
seeders_sent_after() { # EPOCH_S EPOCH_E PCAP: TCP payload bytes seeders sent to H or A in (S, E)
	tcpdump -r "$3" -nn -tt 2>/dev/null | awk -v s="$1" -v e="$2" '
		$1 > s && $1 < e { for (i = 1; i < NF; i++) if ($i == "length") n += $(i + 1) }
		END { print n + 0 }'
}

# the VPN scenarios share this: Meerko downloads through the VPN, then the
# VPN drops (own: the host's own address H goes out) or fails over (to B);
# Meerko must act on it (sets t_drop, t_detect, PCAP, CAP_PID, SEEN)
drop_mid_download() { # own|failover
	local how=$1 line
	swarm_meerko_config "$CONFIG" "[killswitch]" "expected_exit = $A" "on_exit_mismatch = pause" \
		"[download]" "max_down = 512"
	PCAP=$SWARM_DIR/seeders.pcap
	swarm_spawn tcpdump ip netns exec "$NS_SWARM" tcpdump -i sw0 -nn --immediate-mode -U -s 96 -Z root \
		-w "$PCAP" "tcp and src port $SEED_PORT and (dst net 10.77.1.0/24 or dst host $A or dst host $B)"
	CAP_PID=$SWARM_LAST_PID
	swarm_wait_for -t 5 -i 0.05 grep -q 'listening on' "$SWARM_LOGS/tcpdump.log" ||
		{ swarm_die "tcpdump did not start"; exit 1; }
	meerko_start 115
	seen_vpn_exit() { json "any(.[]; .type == \"status\" and .note == \"exit $A (2 peers)\")"; }
	swarm_check "VPN up: the swarm sees the VPN's exit $A (2 peers)" swarm_wait_for -t 30 -i 0.2 seen_vpn_exit
	under_way() { (($(done_ppm) >= 100000)); }
	swarm_wait_for -t 30 -i 0.2 under_way || true
	ppm_at_drop=$(done_ppm)
	swarm_check "mid-download when the VPN changes (${ppm_at_drop} ppm)" test "$ppm_at_drop" -lt 800000
	if [[ $how == own ]]; then
		vpn_drop
		SEEN=$H
		line="meerko-secure: the swarm sees this machine at ${H//./\\.} \(2 peers\), one of its own addresses: stopped, state saved, not checked again"
	else
		vpn_failover
		SEEN=$B
		line="meerko-secure: the swarm sees this machine at ${B//./\\.} \(2 peers\), outside \[killswitch\] expected_exit: torrents paused until it is right again"
	fi
	t_drop=$EPOCHREALTIME
	# the --json event comes at once; the stop's line is the run's last one
	event() { json 'any(.[]; .type == "event" and .event == "exit_mismatch")'; }
	swarm_check "acted on within 30 s of the change (--json exit_mismatch event)" swarm_wait_for -t 30 -i 0.1 event
	t_detect=$EPOCHREALTIME
	swarm_log "detected $(awk -v a="$t_drop" -v b="$t_detect" 'BEGIN { printf "%.1f", b - a }') s after the change"
	detected() { said "$line"; }
	swarm_check "the line names $SEEN and 2 peers" swarm_wait_for -t 20 -i 0.1 detected
	[[ $how == failover ]] || return 0
	note_paused() { json "any(.[]; .type == \"status\" and .note == \"paused: exit $B (2 peers) wrong\")"; }
	swarm_check "--json: status note 'paused: exit $B (2 peers) wrong'" swarm_wait_for -t 3 -i 0.2 note_paused
	state_paused() { json 'any(.[]; .type == "status" and .torrents[0].state == "paused" and (.note | startswith("paused: exit")))'; }
	swarm_check "--json: the torrent's state is paused" swarm_wait_for -t 3 -i 0.2 state_paused
}
plus1() { awk -v t="$1" 'BEGIN { printf "%.6f", t + 1 }'; }

if [[ $SCENARIO == vpn_drop ]]; then
	drop_mid_download own
	meerko_wait
	t_exit=$EPOCHREALTIME
	swarm_check "stopped with exit 10, not paused to probe later (rc=$rc)" test "$rc" -eq 10
	swarm_check "--json: the exit line says 10" json 'any(.[]; .type == "exit" and .code == 10)'
	swarm_check "resume data was saved" compgen -G "$XDG_STATE_HOME/meerko/*.resume"
	swarm_check "no probe: nothing resumed" bash -c "! grep -q 'again: resumed\\|paused again' '$MK_LOG'"
	swarm_stop "$CAP_PID"
	after=$(seeders_sent_after "$(plus1 "$t_detect")" "$t_exit" "$PCAP")
	before=$(seeders_sent_after 0 "$t_drop" "$PCAP")
	swarm_log "seeders sent $before bytes before the drop, $after from 1 s after detection to the exit"
	swarm_check "the capture saw the download before the drop ($before bytes)" test "$before" -gt 100000
	swarm_check "no byte from a seeder after detection ($after bytes)" test "$after" -eq 0
	vpn_up
	: >"$MK_LOG"
	meerko_start 90
	meerko_wait
	swarm_check "the VPN back, a rerun completes, exit 0 (rc=$rc)" test "$rc" -eq 0
	swarm_check "every file's SHA-256" swarm_sha256_check "$SEED/payload" "$OUT/payload"
elif [[ $SCENARIO == vpn_failover ]]; then
	drop_mid_download failover
	# the torrents stay paused: watch the seeders for 20 s
	sleep 20
	t_restore=$EPOCHREALTIME
	vpn_up
	swarm_check "still running while paused" _swarm_alive "$MK_PID"
	swarm_log "resumed at most 60 s after the pause (the first probe)"
	meerko_wait
	swarm_check "after the VPN's return the probe resumes: 'again: resumed'" \
		said "meerko-secure: the swarm sees this machine at ${A//./\\.} \(2 peers\) again: resumed"
	swarm_check "download completed, exit 0 (rc=$rc)" test "$rc" -eq 0
	swarm_check "every file's SHA-256" swarm_sha256_check "$SEED/payload" "$OUT/payload"
	swarm_stop "$CAP_PID"
	after=$(seeders_sent_after "$(plus1 "$t_detect")" "$t_restore" "$PCAP")
	before=$(seeders_sent_after 0 "$t_drop" "$PCAP")
	swarm_log "seeders sent $before bytes before the failover, $after from 1 s after detection to the VPN's return"
	swarm_check "the capture saw the download before the failover ($before bytes)" test "$before" -gt 100000
	swarm_check "no byte from a seeder after detection, while paused ($after bytes)" test "$after" -eq 0
elif [[ $SCENARIO == vpn_down ]]; then
	drop_mid_download failover
	# B stays: the first probe (60 s after the pause) reconnects, hears B
	# again and must pause again at once
	again_line="meerko-secure: the swarm sees this machine at ${B//./\\.} \(2 peers\), outside \[killswitch\] expected_exit: torrents paused again"
	paused_again() { said "$again_line"; }
	swarm_check "the probe hears $B again: 'paused again'" swarm_wait_for -t 80 -i 0.1 paused_again
	t_again=$EPOCHREALTIME
	# by Meerko's own clock: the probe begins 60 s after the first pause
	# (exit_guard.h), the second pause must follow within 15 s of that
	pauses_ms=$(grep '^{' "$MK_LOG" | jq -s -r '[.[] | select(.type == "event" and .event == "exit_mismatch") | .elapsed_ms] | "\(.[0] // 0) \(.[1] // 0)"')
	read -r first_ms again_ms <<<"$pauses_ms"
	swarm_check "paused again within 15 s of the probe ($first_ms ms, then $again_ms ms)" \
		test "$first_ms" -gt 0 -a $((again_ms - first_ms)) -ge 60000 -a $((again_ms - first_ms)) -le 75000
	sleep 8
	t_int=$EPOCHREALTIME
	broker=$(pgrep -P "$MK_PID" | head -n 1 || true)
	swarm_check "still running, paused, when interrupted" test -n "$broker"
	[[ -z $broker ]] || kill -INT "$broker"
	meerko_wait
	swarm_check "Ctrl-C while paused for the exit: exit 130 (rc=$rc)" test "$rc" -eq 130
	swarm_check "--json: the exit line says 130" json 'any(.[]; .type == "exit" and .code == 130)'
	swarm_check "resume data was saved" compgen -G "$XDG_STATE_HOME/meerko/*.resume"
	not_complete() { ! swarm_sha256_check "$SEED/payload" "$OUT/payload" >/dev/null 2>&1; }
	swarm_check "not downloaded to the end through the wrong exit" not_complete
	swarm_stop "$CAP_PID"
	# the first probe comes 60 s after the pause, the pause came before t_detect
	t_probe=$(awk -v t="$t_detect" 'BEGIN { printf "%.6f", t + 55 }')
	paused1=$(seeders_sent_after "$(plus1 "$t_detect")" "$t_probe" "$PCAP")
	probe=$(seeders_sent_after "$t_probe" "$(plus1 "$t_again")" "$PCAP")
	paused2=$(seeders_sent_after "$(plus1 "$t_again")" "$t_int" "$PCAP")
	swarm_log "seeders sent $paused1 bytes while paused, $probe during the probe, $paused2 after pausing again"
	swarm_check "no byte from a seeder while paused, up to 55 s after it ($paused1 bytes)" test "$paused1" -eq 0
	swarm_check "no byte from a seeder after pausing again ($paused2 bytes)" test "$paused2" -eq 0
else
	swarm_meerko_config "$CONFIG" "[killswitch]" "expected_exit = $A" "on_exit_mismatch = pause" \
		"[download]" "max_down = 1024"
	meerko_start 90
	meerko_wait
	swarm_check "download completed, exit 0 (rc=$rc)" test "$rc" -eq 0
	swarm_check "every file's SHA-256" swarm_sha256_check "$SEED/payload" "$OUT/payload"
	liar_spoke() { grep -qx "peer $B" "$SWARM_LOGS/seeder-$LIAR.log"; }
	swarm_check "the lying seeder was connected (it had its say)" liar_spoke
	swarm_check "no exit mismatch line" bash -c "! grep -q 'the swarm sees this machine at' '$MK_LOG'"
	swarm_check "--json: no exit_mismatch event" json 'all(.[]; .type != "event" or .event != "exit_mismatch")'
	swarm_check "--json status: exit $A (2 peers)" json "any(.[]; .type == \"status\" and .note == \"exit $A (2 peers)\")"
fi

swarm_summary
