#!/usr/bin/python3
"""fake_peer.py - a peer that is listed by the tracker but gives no data.

Usage: fake_peer.py TRACKER_IP TRACKER_PORT INFO_HASH PEER_IP PEER_PORT MODE SECONDS

Announces PEER_IP:PEER_PORT to the real tracker (opentracker) as a seeder of
INFO_HASH (an HTTP announce sent from PEER_IP, which is what opentracker
records), then, for at most SECONDS:
  MODE refuse: listens nowhere, so every connection to it is refused;
  MODE close:  accepts every connection and closes it at once, the way a
               seeder that refuses us (or a proxy that drops the peer) does.
Prints "announced" once the tracker answered, "closed N" for each connection
closed. Used by tests/integration/test_stall.sh. Loopback addresses only.
"""
import socket
import sys
import time
import urllib.parse


def announce(tracker_ip, tracker_port, info_hash, peer_ip, peer_port):
    q = urllib.parse.urlencode({
        "peer_id": "-FP0001-" + "0" * 12,
        "port": str(peer_port), "uploaded": "0", "downloaded": "0", "left": "0",
        "compact": "1", "event": "started", "numwant": "0",
    })
    ih = urllib.parse.quote_from_bytes(bytes.fromhex(info_hash))
    req = f"GET /announce?info_hash={ih}&{q} HTTP/1.0\r\nHost: {tracker_ip}\r\n\r\n"
    with socket.create_connection((tracker_ip, tracker_port), timeout=5,
                                  source_address=(peer_ip, 0)) as s:
        s.sendall(req.encode())
        resp = b""
        while len(resp) < 65536:
            chunk = s.recv(4096)
            if not chunk:
                break
            resp += chunk
    if b"interval" not in resp:
        sys.exit("fake_peer: the tracker did not accept the announce: %r" % resp[:200])


def serve_closing(peer_ip, peer_port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((peer_ip, peer_port))
    srv.listen(16)
    srv.settimeout(0.5)
    return srv


def main():
    if len(sys.argv) != 8:
        sys.exit(__doc__)
    tip, tport, ih, pip, pport, mode, secs = sys.argv[1:]
    tport, pport, secs = int(tport), int(pport), float(secs)
    if not (tip.startswith("127.") and pip.startswith("127.")) or len(ih) != 40:
        sys.exit("fake_peer: loopback addresses and a 40-hex info-hash only")
    if mode not in ("refuse", "close"):
        sys.exit("fake_peer: MODE is refuse or close")
    srv = serve_closing(pip, pport) if mode == "close" else None
    announce(tip, tport, ih, pip, pport)
    print("announced", flush=True)
    deadline = time.monotonic() + secs
    closed = 0
    while time.monotonic() < deadline:
        if srv is None:
            time.sleep(0.5)
            continue
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        conn.close()
        closed += 1
        print("closed", closed, flush=True)


if __name__ == "__main__":
    main()
