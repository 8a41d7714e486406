#!/bin/bash
# smoke_swarm.sh - runs shim_smoke against a real local swarm inside a private
# network namespace: opentracker (127.0.0.1:6969), microsocks (127.0.0.3:1080),
# microsocks with user/password (127.0.0.3:1081), aria2c seeding (127.0.0.4).
# The shim must reach tracker and seeder only through the proxy (it is given
# -l 127.0.0.2:0, which libtorrent ignores once a proxy is set).
# Needs root (ip netns). KEEP=1 keeps the work dir.
#   shim/smoke_swarm.sh [path/to/shim_smoke]
set -euo pipefail
BIN=$(readlink -f "${1:-build-shim/shim/shim_smoke}")
NS=mkshim$$
W=$(mktemp -d /tmp/mkshim.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	# Anything still in our namespace is ours too (by PID, nothing else).
	for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
	ip netns del "$NS" 2>/dev/null || true
	if [ -n "${KEEP:-}" ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }

chmod 755 "$W" # opentracker runs as nobody
ip netns add "$NS"
ip -n "$NS" link set lo up

mkdir -p "$W/src/payload" "$W/dl"
head -c $((3 * 1024 * 1024)) /dev/urandom >"$W/src/payload/a.bin"
head -c $((1024 * 1024 + 12345)) /dev/urandom >"$W/src/payload/b.bin"
mktorrent -l 16 -a http://127.0.0.1:6969/announce -o "$W/x.torrent" "$W/src/payload" >/dev/null
transmission-show "$W/x.torrent" | awk '/Hash( v1)?:/ {print $NF}' >"$W/wl"
chmod 644 "$W/wl"
echo "info-hash $(cat "$W/wl")"

ip netns exec "$NS" opentracker -d / -i 127.0.0.1 -p 6969 -P 6969 -w "$W/wl" >"$W/tracker.log" 2>&1 &
PIDS+=($!)
ip netns exec "$NS" microsocks -i 127.0.0.3 -p 1080 -b 127.0.0.3 >"$W/socks.log" 2>&1 &
PIDS+=($!)
ip netns exec "$NS" microsocks -i 127.0.0.3 -p 1081 -b 127.0.0.3 -u mkuser -P mkpass >"$W/socks-pw.log" 2>&1 &
PIDS+=($!)
ip netns exec "$NS" tcpdump -i lo -s0 -U -w "$W/lo.pcap" >/dev/null 2>&1 &
TCPDUMP=$!
PIDS+=($!)
ip netns exec "$NS" aria2c --interface=127.0.0.4 --listen-port=6881 --enable-dht=false \
	--bt-enable-lpd=false --enable-peer-exchange=false --seed-ratio=0.0 -V \
	--file-allocation=none --dir="$W/src" --log="$W/seed.log" --log-level=info \
	--summary-interval=0 --console-log-level=warn "$W/x.torrent" >"$W/aria2.out" 2>&1 &
PIDS+=($!)
sleep 2

echo "== download through the proxy (anonymous mode) =="
in_ns "$BIN" -p 127.0.0.3:1080 -l 127.0.0.2:0 -w "$W/resume.dat" -D 3 -Z "$W/x.torrent" "$W/dl" 60 \
	| tee "$W/run1.out" | grep -v '^\[.*\] \(downloading\|checking\)' || fail "download"
for f in a.bin b.bin; do
	a=$(sha256sum <"$W/src/payload/$f") b=$(sha256sum <"$W/dl/payload/$f")
	[ "$a" = "$b" ] || fail "$f differs"
done
echo "sha256 of both files match"

echo "== what the seeder saw =="
grep -o 'From: [0-9.:]* handshake peerId=[^ ]*' "$W/seed.log" | sort -u | tee "$W/peers.txt"
[ -s "$W/peers.txt" ] || fail "seeder saw no handshake"
grep -v 'From: 127\.0\.0\.3:' "$W/peers.txt" && fail "seeder saw an address other than the proxy"
grep -q 'peerId=-LT' "$W/peers.txt" && fail "libtorrent peer id prefix visible (anonymous mode off?)"
echo "seeder saw only 127.0.0.3, no -LT peer id"

grep -a 'From: 127.0.0.3:[0-9]* extended handshake' "$W/seed.log" | sed 's/.* - //' | sort -u
grep -a 'From: .* extended handshake' "$W/seed.log" | grep -q 'client=[^,]' && fail "client version sent"
grep -a 'From: .* extended handshake' "$W/seed.log" | grep -q 'ut_pex' && fail "ut_pex offered with pex off"

echo "== what the tracker and the network saw =="
kill "$TCPDUMP"; wait "$TCPDUMP" 2>/dev/null || true
tcpdump -r "$W/lo.pcap" -A 'tcp dst port 6969 and src host 127.0.0.3' 2>/dev/null \
	| grep -a -o -E 'GET /announce.*HTTP/1.1|User-Agent: .*' \
	| sed 's/info_hash=[^&]*/info_hash=.../; s/peer_id=[^&]*/peer_id=.../; s/key=[^&]*/key=.../' | tee "$W/announces.txt"
grep -q 'event=started' "$W/announces.txt" || fail "no announce through the proxy"
grep -E -q '[?&](ip|ipv4|ipv6)=' "$W/announces.txt" && fail "announce carries an address"
grep -i 'User-Agent' "$W/announces.txt" | grep -qi 'libtorrent' && fail "libtorrent user agent"
# Every TCP connection attempt (SYN) in the namespace: who dialled whom.
tcpdump -r "$W/lo.pcap" -nn 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn' 2>/dev/null \
	| awk '{s=$3; d=$5; sub(/\.[0-9]+$/, "", s); sub(/:$/, "", d); print s " -> " d}' | sort | uniq -c | tee "$W/syns.txt"
# Only the proxy may dial the seeder (6881) or the tracker, apart from aria2 (.4) itself.
awk '$4 ~ /\.6881$|\.6969$/ && $2 != "127.0.0.3" && $2 != "127.0.0.4"' "$W/syns.txt" | grep . && fail "direct connection"
tcpdump -r "$W/lo.pcap" -nn udp 2>/dev/null | awk '{print $3 " > " $5}' | sed 's/\.[0-9]*\( \|:\|$\)/\1/g' | sort | uniq -c \
	| sed 's/^/udp: /' || true
echo "the shim reached tracker and seeder only through 127.0.0.3"

echo "== socks5 with user/password =="
mkdir -p "$W/dl2"
in_ns "$BIN" -p 127.0.0.3:1081 -u mkuser -P mkpass "$W/x.torrent" "$W/dl2" 60 | grep -E 'complete|alert type=[2-9]' \
	|| fail "socks5_pw download"
cmp -s "$W/src/payload/a.bin" "$W/dl2/payload/a.bin" || fail "socks5_pw data differs"
echo "== socks5 with a wrong password (expect a clean tracker error, no download) =="
mkdir -p "$W/dl3"
in_ns "$BIN" -p 127.0.0.3:1081 -u mkuser -P wrong "$W/x.torrent" "$W/dl3" 6 | grep -E "alert type=[2-9]|did not" | head -5 || true
echo "== resume data round trip (complete torrent) =="
in_ns "$BIN" -p 127.0.0.3:1080 -l 127.0.0.2:0 -r "$W/resume.dat" -D 2 "$W/x.torrent" "$W/dl" 20 \
	| tee "$W/run2.out" | grep -E 'complete|alert type=[1-9]|destroyed' || fail "resume run"
grep -q 'complete: state=\(seeding\|finished\) total_download=0$' "$W/run2.out" \
	|| fail "resumed torrent did not come up complete without downloading"
echo "== resume data + magnet (info dict from resume) =="
in_ns "$BIN" -p 127.0.0.3:1080 -l 127.0.0.2:0 -r "$W/resume.dat" \
	-m "magnet:?xt=urn:btih:$(cat "$W/wl")" - "$W/dl" 20 | grep -E 'complete: .* total_download=0$' \
	|| fail "magnet+resume"

echo "== resume data saved mid-way (rate-limited to 1 MB/s, halt at 30%) =="
mkdir -p "$W/dl5"
in_ns "$BIN" -p 127.0.0.3:1080 -L 1000000 -H 0.3 -w "$W/mid.dat" "$W/x.torrent" "$W/dl5" 30 \
	| grep -E 'halting|wrote|destroyed' || fail "mid-way save"
in_ns "$BIN" -p 127.0.0.3:1080 -r "$W/mid.dat" "$W/x.torrent" "$W/dl5" 30 | tee "$W/run5.out" \
	| grep -E 'complete|alert type=[1-9]' || fail "mid-way resume"
got=$(sed -n 's/.*complete: .* total_download=\([0-9]*\)$/\1/p' "$W/run5.out")
echo "second session downloaded $got of 4206649 bytes"
[ "$got" -gt 0 ] && [ "$got" -lt 3600000 ] || fail "resume did not keep the first part"
cmp -s "$W/src/payload/b.bin" "$W/dl5/payload/b.bin" || fail "mid-way resumed data differs"

echo "== magnet through the proxy (metadata from the seeder) =="
mkdir -p "$W/dl4"
in_ns "$BIN" -p 127.0.0.3:1080 -m "magnet:?xt=urn:btih:$(cat "$W/wl")&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce" \
	- "$W/dl4" 60 | tee "$W/run4.out" | grep -E 'complete|alert type=[1-9]|metadata ' | head -8
grep -q 'alert type=3 ' "$W/run4.out" || fail "no METADATA_RECEIVED"
grep -q 'complete:' "$W/run4.out" || fail "magnet download"
cmp -s "$W/src/payload/a.bin" "$W/dl4/payload/a.bin" || fail "magnet data differs"
echo "== control: anonymous mode off shows libtorrent's peer id to the seeder =="
mkdir -p "$W/dl6"
in_ns "$BIN" -A -p 127.0.0.3:1080 "$W/x.torrent" "$W/dl6" 60 | grep -q 'complete:' || fail "-A download"
grep -a -o 'From: [0-9.:]* handshake peerId=-LT[^ ]*' "$W/seed.log" | head -1 | grep . \
	|| fail "control run did not show -LT (the anonymity check would prove nothing)"

echo "== resume data of another torrent is refused =="
{ in_ns "$BIN" -r "$W/resume.dat" -m "magnet:?xt=urn:btih:00000000000000000000000000000000000000aa" \
	- "$W/dl" 5 2>&1 || true; } | grep 'different torrent' || fail "mismatched resume accepted"
echo "ALL OK"
