#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_relay_dest.sh - a compromised engine cannot use the relay and the
# proxy to reach the proxy host's loopback or its LAN.
#
# The lab: the proxy host (this test's network namespace) runs dante whose
# outside is a LAN (a veth pair to a "router" namespace, 192.168.77.0/24,
# default route through it): "a SOCKS5 proxy in front of a VPN that keeps
# the LAN route". On the router: a NAT-PMP responder (UDP 5351, answers with
# a fake public IP) and an SSDP listener (239.255.255.250:1900). On the proxy
# host: a stand-in stub resolver on 127.0.0.53:53 and a TCP service on
# 127.0.0.1. Every one logs each byte that reaches it.
#
# From inside the confined test engine (bin-escape/, dn=escape-NAME), CONNECT
# and UDP ASSOCIATE through the relay try each of them, by address and by
# name. With allow_private_destinations = false (the default) the relay must
# refuse every attempt (CONNECT reply 0x02, datagrams dropped) and no
# listener may see a byte. Negative control: = true, the same attempts reach
# them (the test can fail), and the CONNECT reply's BND is 0.0.0.0:0 (dante
# puts its egress address there). Then real downloads still work in the lab
# with the predicate on, from a seeder and tracker on a global address.
# Usage: test_relay_dest.sh BUILD_DIR
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:?build dir}
# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"
swarm_isolate "$@"
swarm_require_root
swarm_require_cmds danted python3 ip nsenter unshare aria2c mktorrent transmission-show opentracker sha256sum
[[ -x $BUILD_DIR/bin-escape/meerko-engine ]] || swarm_skip_or_fail "test engine not built: $BUILD_DIR/bin-escape/meerko-engine"
swarm_init

LAN_PROXY=192.168.77.2 LAN_ROUTER=192.168.77.1 # lab.py's NAT-PMP answer: 203.0.113.77
SVC_PORT=7777
BIN=$SWARM_DIR/bin
mkdir -p "$BIN" "$SWARM_DIR/out"
cp "$BUILD_DIR/bin/meerko-secure" "$BIN/"
cp "$BUILD_DIR/bin-escape/meerko-engine" "$BIN/meerko-engine"
chmod 755 "$BIN" "$BIN"/*
chown nobody "$SWARM_DIR/out"

# ------------------------------------------------------------ the router namespace
swarm_spawn router-ns unshare --net -- sleep 3600
RPID=$SWARM_LAST_PID
own_ns=$(readlink /proc/self/ns/net)
other_ns() { [[ $(readlink "/proc/$RPID/ns/net" 2>/dev/null) != "$own_ns" ]]; }
swarm_wait_for -t 5 other_ns || { swarm_die "router namespace not up"; exit 1; }
in_router() { nsenter --net="/proc/$RPID/ns/net" -- "$@"; }
ip link add lanp type veth peer name lanr
ip link set lanr netns "$RPID"
ip addr add "$LAN_PROXY/24" dev lanp
ip link set lanp up
ip route add default via "$LAN_ROUTER" dev lanp
in_router ip link set lo up
in_router ip addr add "$LAN_ROUTER/24" dev lanr
in_router ip link set lanr up
in_router ip route add 239.0.0.0/8 dev lanr

# ------------------------------------------------------------ the listeners
cat >"$SWARM_DIR/lab.py" <<'EOF'
# lab.py KIND ADDR PORT LOG [GROUP]: log every datagram/connection, answer it.
import socket, struct, sys
kind, addr, port, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
answers = {"natpmp": bytes([0, 128, 0, 0, 0, 0, 0, 1]) + socket.inet_aton("203.0.113.77"),
           "ssdp": b"HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\nLOCATION: http://192.168.77.1/\r\n\r\n",
           "dns": b"dns-answer-from-the-proxy-host", "tcp": b"secret-service-on-loopback\n"}
out = open(log, "a", buffering=1)
if kind == "tcp":
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(8); out.write("ready\n")
    while True:
        c, peer = s.accept()
        out.write("got connection from %s:%d\n" % peer)
        c.sendall(answers[kind]); c.settimeout(2)
        try:
            c.recv(100)  # read the client's bytes: a close with unread data would be a RST
        except OSError:
            pass
        c.close()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
if len(sys.argv) > 5:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                 socket.inet_aton(sys.argv[5]) + socket.inet_aton("192.168.77.1"))
out.write("ready\n")
while True:
    data, peer = s.recvfrom(65536)
    out.write("got %d bytes from %s:%d\n" % ((len(data),) + peer))
    s.sendto(answers[kind], peer)
EOF
L=$SWARM_LOGS
swarm_spawn natpmp nsenter --net="/proc/$RPID/ns/net" -- python3 "$SWARM_DIR/lab.py" natpmp "$LAN_ROUTER" 5351 "$L/lab-natpmp"
swarm_spawn ssdp nsenter --net="/proc/$RPID/ns/net" -- python3 "$SWARM_DIR/lab.py" ssdp 0.0.0.0 1900 "$L/lab-ssdp" 239.255.255.250
swarm_spawn resolver python3 "$SWARM_DIR/lab.py" dns 127.0.0.53 53 "$L/lab-dns"
swarm_spawn service python3 "$SWARM_DIR/lab.py" tcp 127.0.0.1 "$SVC_PORT" "$L/lab-tcp"
for f in natpmp ssdp dns tcp; do
	swarm_wait_for -t 10 grep -q ready "$L/lab-$f" || { swarm_die "lab listener $f not ready"; exit 1; }
done
heard() { grep -c '^got' "$L/lab-$1" || true; }

# ------------------------------------------------------------ dante, outside = the LAN
cat >"$SWARM_DIR/danted.conf" <<EOF
logoutput: $L/danted.dante.log
internal: $SWARM_PROXY_IP port = $SWARM_PROXY_PORT
external: $LAN_PROXY
socksmethod: none
clientmethod: none
user.privileged: root
user.unprivileged: nobody
client pass {
	from: 127.0.0.0/8 to: 0.0.0.0/0
	log: connect
}
socks pass {
	from: 0.0.0.0/0 to: 0.0.0.0/0
	command: connect bind udpassociate bindreply udpreply
	log: connect disconnect error
}
EOF
swarm_spawn danted danted -f "$SWARM_DIR/danted.conf" -p "$SWARM_DIR/danted.pid"
SWARM_PROXY_PID=$SWARM_LAST_PID
swarm_wait_for -t 10 swarm_port_open "$SWARM_PROXY_IP" "$SWARM_PROXY_PORT" || { swarm_die "danted not listening"; exit 1; }

CONFIG=$SWARM_DIR/meerko.ini
HASH=0123456789abcdef0123456789abcdef01234567
attempt() { # ALLOW_PRIVATE NAME -> RC, ERR
	SWARM_ALLOW_PRIVATE=$1 swarm_meerko_config "$CONFIG" "[ui]" "progress = none" "[sandbox]" \
		"mode = required" "[killswitch]" "max_restarts = 0" "[state]" "dir = $SWARM_DIR/state"
	local log="$L/attempt-$1-${2//[^a-z0-9.-]/_}"
	RC=0
	timeout -k 5 60 "$BIN/meerko-secure" --config "$CONFIG" -o "$SWARM_DIR/out" \
		"magnet:?xt=urn:btih:$HASH&dn=escape-$2" >"$log.out" 2>"$log.err" </dev/null || RC=$?
	ERR=$(cat "$log.err")
	swarm_log "escape $2 (allow_private_destinations = $1): rc=$RC: $ERR"
}
refused() { [[ $ERR == *"escape $1: blocked (relay reply 0x02"* && $ERR != *SUCCEEDED* ]]; }
dropped() { [[ $ERR == *"escape $1: blocked (no answer"* && $ERR != *SUCCEEDED* ]]; }
reached() { [[ $ERR == *"escape $1: SUCCEEDED"* && $ERR == *"$2"* ]]; }
none_heard() { local f; for f in natpmp ssdp dns tcp; do [[ $(heard $f) == 0 ]] || return 1; done; }

# ------------------------------------------------------------ the attacks: refused
TCP_SVC=127.0.0.1:$SVC_PORT
for a in "relay-connect:$TCP_SVC" "relay-connect-name:localhost:$SVC_PORT" \
	"relay-connect-name:127.1:$SVC_PORT" "relay-connect-name:2130706433:$SVC_PORT" \
	"relay-connect:$LAN_ROUTER:5351" "relay-connect:$SWARM_PROXY_IP:$SWARM_PROXY_PORT"; do
	attempt false "$a"
	swarm_check "CONNECT through the relay to ${a#*:}: refused (reply 0x02), the proxy never asked" refused "$a"
done
for a in "relay-udp:$LAN_ROUTER:5351" "relay-udp:239.255.255.250:1900" "relay-udp:127.0.0.53:53" \
	"relay-udp-name:localhost:53" "relay-udp-name:router.lan:5351" "relay-udp-name:127.0.0.53:53" "relay-udp:::ffff:$LAN_ROUTER:5351" \
	"relay-udp:64:ff9b::$LAN_ROUTER:5351"; do
	attempt false "$a"
	swarm_check "datagram through the relay to ${a#*:}: dropped, no answer" dropped "$a"
done
swarm_check "NAT-PMP responder, SSDP listener, stub resolver and loopback service saw nothing" none_heard
swarm_check "a refused CONNECT is noted on stderr once" \
	grep -q 'meerko-secure: note: the relay refused a connection to 127.0.0.1 port' "$L"/attempt-false-relay-connect_127.0.0.1*.err

# A full UDP association table must cost the proxy nothing: 48 requests
# (the table holds 8) may not make 48 logins at the user's proxy.
logins() { grep -c 'tcp/accept' "$L/danted.dante.log" || true; }
before=$(logins)
attempt false "relay-udp-flood:48"
after=$(logins)
swarm_log "proxy logins during 48 UDP ASSOCIATE requests: $((after - before))"
swarm_check "48 UDP ASSOCIATEs, 8 slots: the refused ones cost the proxy no login ($((after - before)) logins)" \
	test $((after - before)) -le 16 -a "${ERR//*done (/}" != "$ERR"

# ------------------------------------------------------------ negative control
attempt true "relay-connect:$TCP_SVC"
swarm_check "control (allow_private_destinations = true): CONNECT to the loopback service reads its answer" \
	reached "relay-connect:$TCP_SVC" secret-service-on-loopback
swarm_check "the CONNECT reply carries BND 0.0.0.0:0, not dante's egress address" \
	reached "relay-connect:$TCP_SVC" "BND 0.0.0.0:0"
attempt true "relay-connect-name:localhost:$SVC_PORT"
swarm_check "control: CONNECT to 'localhost' (dante resolves it) reaches the service" \
	reached "relay-connect-name:localhost:$SVC_PORT" secret-service-on-loopback
attempt true "relay-udp:$LAN_ROUTER:5351"
swarm_check "control: NAT-PMP to the LAN router answers (fake public IP)" \
	reached "relay-udp:$LAN_ROUTER:5351" 'answer'
attempt true "relay-udp:127.0.0.53:53"
swarm_check "control: the stub resolver on the proxy host answers" \
	reached "relay-udp:127.0.0.53:53" dns-answer-from-the-proxy-host
attempt true "relay-udp:239.255.255.250:1900"
swarm_check "control: the SSDP multicast reaches the LAN listener" test "$(heard ssdp)" -gt 0
swarm_check "control: the listeners logged what reached them" \
	test "$(heard natpmp)" -gt 0 -a "$(heard dns)" -gt 0 -a "$(heard tcp)" -gt 0

# ------------------------------------------------------------ downloads still work
# With the predicate ON: the tracker and the seeder get a global-looking
# address (198.51.100.4, TEST-NET-2: not in the refused table) on this
# namespace's lo; dante reaches it from its LAN side. Once over an HTTP
# tracker (CONNECT by IP), once over a udp:// tracker (datagrams; libtorrent
# names the tracker host, an IP literal, as a SOCKS5 name).
GLOBAL=198.51.100.4
ip addr add "$GLOBAL/32" dev lo
SWARM_TRACKER_IP=$GLOBAL SWARM_SEED_IP=$GLOBAL
SWARM_ANNOUNCE_URL="http://$GLOBAL:$SWARM_TRACKER_PORT/announce"
SEED=$SWARM_DIR/seed
swarm_make_payload "$SEED/payload" 2 4
swarm_make_torrent "$SEED/payload" "$SWARM_DIR/t.torrent"
SWARM_ANNOUNCE_URL="udp://$GLOBAL:$SWARM_TRACKER_PORT/announce" swarm_make_torrent "$SEED/payload" "$SWARM_DIR/udp.torrent"
swarm_start_tracker "$SWARM_DIR/t.torrent"
swarm_start_seeder_aria2 "$SWARM_DIR/t.torrent" "$SEED"
chmod 644 "$SWARM_DIR/t.torrent" "$SWARM_DIR/udp.torrent"
for kind in t udp; do
	mkdir -p "$SWARM_DIR/dl-$kind"
	chown nobody "$SWARM_DIR/dl-$kind"
	SWARM_ALLOW_PRIVATE=false swarm_meerko_config "$CONFIG" "[ui]" "progress = none" "[sandbox]" "mode = required"
	rc=0
	swarm_run "download-$kind" 180 "$BIN/meerko-secure" --config "$CONFIG" -o "$SWARM_DIR/dl-$kind" \
		"$SWARM_DIR/$kind.torrent" || rc=$?
	swarm_check "allow_private_destinations = false: a real download ($kind tracker) from a global peer works (rc=$rc)" \
		test "$rc" = 0
	swarm_check "downloaded files match the seeder's (SHA-256)" swarm_sha256_check "$SEED/payload" "$SWARM_DIR/dl-$kind/payload"
done
swarm_check "the seeder's peers came only from dante's LAN side" swarm_only_ips "$LAN_PROXY" \
	"$(swarm_seeder_peer_ips "$SWARM_SEED_LOG")"
swarm_summary
