# tests/lib/lt_seeder.py - a python3-libtorrent seeder for the integration
# tests (swarm_start_seeder_lt in swarm.sh). Unlike aria2c it serves metadata
# (ut_metadata), so a magnet link can be downloaded from it.
#
# usage: lt_seeder.py IP PORT SAVE_DIR TORRENT...
#
# Listens on IP:PORT only, announces IP, checks every torrent fully, then
# seeds them all. DHT/LSD/UPnP/NAT-PMP/uTP off. Prints "seeding HASH" once a
# torrent seeds and re-announced, and "peer IP" for every peer that connects
# (the tests check only the proxy's address shows up). Runs until killed; it
# also stops when its parent (the test shell) is gone.
import os
import sys
import time

import libtorrent as lt

ip, port, save = sys.argv[1], int(sys.argv[2]), sys.argv[3]
torrents = sys.argv[4:]
parent = os.getppid()

s = {
    'listen_interfaces': f'{ip}:{port}', 'outgoing_interfaces': ip, 'announce_ip': ip,
    'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
    'enable_outgoing_utp': False, 'enable_incoming_utp': False,
    'alert_mask': lt.alert.category_t.status_notification | lt.alert.category_t.error_notification
                  | lt.alert.category_t.tracker_notification | lt.alert.category_t.peer_notification
                  | lt.alert.category_t.connect_notification,
    'user_agent': 'meerko-test-seeder',
    'allow_multiple_connections_per_ip': True,
}
ses = lt.session(s)
f = lt.ip_filter()
f.add_rule(ip, ip, 1)  # never dial ourselves
ses.set_ip_filter(f)
handles = []
for t in torrents:
    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(t)
    atp.save_path = save
    handles.append(ses.add_torrent(atp))

reannounced = {}
announced = set()
seen = set()
while os.getppid() == parent:
    ses.wait_for_alert(200)
    for a in ses.pop_alerts():
        if isinstance(a, (lt.tracker_error_alert, lt.listen_failed_alert, lt.file_error_alert)):
            print('error:', a.message(), flush=True)
        elif isinstance(a, lt.listen_succeeded_alert):
            print('listening', flush=True)
        elif isinstance(a, lt.tracker_reply_alert):
            h = str(a.handle.info_hash())
            if h in reannounced and h not in announced:
                announced.add(h)
                print('seeding', h, flush=True)
        elif isinstance(a, (lt.peer_connect_alert, lt.incoming_connection_alert)):
            addr = a.endpoint if hasattr(a, 'endpoint') else a.ip
            pip = addr[0] if isinstance(addr, tuple) else str(addr)
            if pip not in seen:
                seen.add(pip)
                print('peer', pip, flush=True)
    now = time.time()
    for h in handles:
        key = str(h.info_hash())
        if key in announced or not h.status().is_seeding:
            continue
        # the first announce may have gone out while checking (as a leecher)
        if now - reannounced.get(key, 0) > 3:
            h.force_reannounce(0, -1, lt.reannounce_flags_t.ignore_min_interval)
            reannounced[key] = now
