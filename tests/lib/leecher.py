# tests/lib/leecher.py - a python3-libtorrent leecher for test_files.sh's
# seeding test: it may get data only from Meerko.
#
# usage: leecher.py TORRENT SAVE_DIR IP PORT BLOCK_IP MARKER MAX_SECONDS
# Listens on IP:PORT and connects out from IP (so the tracker records IP),
# refuses every connection to or from BLOCK_IP (the original seeder), no
# proxy, DHT/LSD/UPnP/NAT-PMP/uTP off. Prints "announced" after the first
# tracker reply and "peer IP" once per address it connected with (its own
# address shows too: the tracker lists it back, libtorrent drops the loop); writes MARKER when every
# piece is downloaded and verified; exits after MAX_SECONDS (bounded).
import sys
import time

import libtorrent as lt

torrent, save, ip, port, block_ip, marker, max_s = sys.argv[1:8]
ses = lt.session({
    'listen_interfaces': f'{ip}:{port}', 'outgoing_interfaces': ip,
    'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
    'enable_outgoing_utp': False, 'enable_incoming_utp': False,
    'alert_mask': lt.alert.category_t.status_notification | lt.alert.category_t.error_notification
    | lt.alert.category_t.tracker_notification | lt.alert.category_t.connect_notification,
})
f = lt.ip_filter()
f.add_rule(block_ip, block_ip, 1)
ses.set_ip_filter(f)
atp = lt.add_torrent_params()
atp.ti = lt.torrent_info(torrent)
atp.save_path = save
h = ses.add_torrent(atp)
deadline = time.monotonic() + float(max_s)
seen, announced, done = set(), False, False
while time.monotonic() < deadline:
    ses.wait_for_alert(500)
    for a in ses.pop_alerts():
        if isinstance(a, lt.tracker_reply_alert) and not announced:
            announced = True
            print('announced', flush=True)
        elif isinstance(a, lt.peer_connect_alert) or isinstance(a, lt.incoming_connection_alert):
            addr = a.endpoint[0] if isinstance(a.endpoint, tuple) else str(a.endpoint)
            if addr not in seen:
                seen.add(addr)
                print('peer', addr, flush=True)
        elif isinstance(a, lt.torrent_finished_alert) and not done:
            done = True
            open(marker, 'w').write('done\n')
            print('finished', flush=True)
print('exit: progress', h.status().progress, 'downloaded', h.status().total_payload_download, flush=True)
