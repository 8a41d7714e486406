# shellcheck shell=bash disable=SC2034
# (SC2034: the SWARM_* globals are this library's interface, read by callers)
#
# tests/lib/swarm_capture.sh - packet capture on lo (tcpdump) and what the
# leak checks read from it. Project part of the test library; needs core.sh
# and swarm_daemons.sh (sourced by swarm.sh, the entry point).
#
# Contract:
#   - One capture at a time; it starts listening before swarm_capture_start
#     returns, and swarm_capture_stop fails unless tcpdump wrote every packet
#     the kernel matched (a leak audit on an incomplete capture proves nothing).
#   - A capture still running at exit is stopped politely (SIGINT) before any
#     other process, so its pcap is complete if kept.
#
# Functions:
#   swarm_capture_start FILTER     tcpdump on lo (-U, pcap in $SWARM_DIR), returns
#                                  once tcpdump is listening
#   swarm_capture_stop             SIGINT, bounded wait; the pcap stays readable
#   swarm_capture_src_ips DST_IP DST_PORT [EXCLUDE_IP...]
#                                  distinct source IPs of captured packets (TCP or
#                                  UDP) sent to DST_IP:DST_PORT
#   swarm_tracker_saw [EXCLUDE_IP...]
#                                  swarm_capture_src_ips for the tracker
# Knob: SWARM_CAPTURE_SNAPLEN (256 bytes).

if [[ -n ${_SWARM_CAPTURE_SH_LOADED:-} ]]; then
	return 0
fi
_SWARM_CAPTURE_SH_LOADED=1

: "${SWARM_CAPTURE_SNAPLEN:=256}"
SWARM_CAPTURE_PID=""
SWARM_CAPTURE_FILE=""

# ------------------------------------------------------------------ capture
swarm_capture_start() {
	local filter=$1
	[[ -n $SWARM_DIR ]] || { swarm_die "swarm_capture_start before swarm_init"; return 1; }
	[[ -z $SWARM_CAPTURE_PID ]] || { swarm_die "a capture is already running"; return 1; }
	command -v tcpdump >/dev/null 2>&1 || { swarm_die "tcpdump not installed"; return 1; }
	SWARM_CAPTURE_FILE=$SWARM_DIR/capture-$(date +%H%M%S)-$RANDOM.pcap
	# --immediate-mode: without it libpcap's TPACKET_V3 ring hands packets
	# over in blocks (up to 1 s late) and a SIGINT drops what is still in
	# the ring (seen: 20 of 104 matched packets written). -U: write each
	# packet at once. -Z root: Debian's tcpdump would drop to user tcpdump
	# and then fail to write into the 0755 root-owned dir.
	swarm_spawn tcpdump tcpdump -i lo -nn --immediate-mode -U -s "$SWARM_CAPTURE_SNAPLEN" -Z root \
		-w "$SWARM_CAPTURE_FILE" "$filter" || return 1
	SWARM_CAPTURE_PID=$SWARM_LAST_PID
	if ! swarm_wait_for -t 5 -i 0.05 _swarm_capture_ready; then
		swarm_die "tcpdump did not start listening (log: $SWARM_LOGS/tcpdump.log)"
		cat "$SWARM_LOGS/tcpdump.log" >&2 2>/dev/null || true
		return 1
	fi
}

_swarm_capture_ready() {
	_swarm_alive "$SWARM_CAPTURE_PID" && grep -q '^tcpdump: listening on' "$SWARM_LOGS/tcpdump.log" 2>/dev/null
}

swarm_capture_stop() {
	local pid=$SWARM_CAPTURE_PID i
	[[ -n $pid ]] || return 0
	# give in-flight packets a moment to be written, then SIGINT (clean close)
	sleep 0.2
	kill -INT "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		_swarm_alive "$pid" || break
		sleep 0.1
	done
	swarm_stop "$pid"
	SWARM_CAPTURE_PID=""
	# a leak audit on an incomplete capture proves nothing: insist that
	# tcpdump wrote every packet the kernel matched. On lo the kernel's
	# filter sees each packet twice (as sent and as received) and libpcap
	# drops the "sent" copy, so matched is exactly twice captured there.
	local log=$SWARM_LOGS/tcpdump.log captured matched dropped
	captured=$(awk '/packets captured/ { print $1 }' "$log" 2>/dev/null)
	matched=$(awk '/packets received by filter/ { print $1 }' "$log" 2>/dev/null)
	dropped=$(awk '/packets dropped by kernel/ { print $1 }' "$log" 2>/dev/null)
	swarm_log "tcpdump: ${captured:-?} captured, ${matched:-?} matched the filter, ${dropped:-?} dropped"
	if [[ -z $captured || -z $matched || ${dropped:-1} != 0 ]] ||
		((matched != captured && matched != 2 * captured)); then
		swarm_die "the capture is incomplete (see $log)"
		return 1
	fi
}

swarm_capture_src_ips() {
	local dst_ip=$1 dst_port=$2 file=${SWARM_CAPTURE_FILE}
	shift 2
	[[ -n $file && -f $file ]] || { swarm_die "no capture file"; return 1; }
	local ips
	ips=$(tcpdump -nn -r "$file" "dst host $dst_ip and dst port $dst_port" 2>/dev/null |
		awk '$2 == "IP" { n = split($3, a, "."); if (n == 5) print a[1] "." a[2] "." a[3] "." a[4] }' |
		sort -u) || return 1
	local ex
	for ex in "$@"; do
		ips=$(grep -vxF "$ex" <<<"$ips" || true)
	done
	[[ -z $ips ]] || printf '%s\n' "$ips"
}

swarm_tracker_saw() {
	swarm_capture_src_ips "$SWARM_TRACKER_IP" "$SWARM_TRACKER_PORT" "$@"
}

# a capture first, politely, so its pcap is complete if kept
_swarm_capture_cleanup() {
	if [[ -n $SWARM_CAPTURE_PID ]]; then
		swarm_capture_stop >/dev/null 2>&1 || true
	fi
}
swarm_cleanup_hook before _swarm_capture_cleanup
