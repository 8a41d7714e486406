# bench/lib/seeder.py - a python3-libtorrent seeder for bench/run.sh.
# (Adapted from ../shared/anchors/bench-anchors.sh.)
#
# usage: seeder.py TORRENT SAVE_DIR IP PORT READY_FILE CONNREQ_FILE HEARTBEAT_FILE
#
# Listens on IP:PORT only, announces IP, full hash check, then seeds with
# libtorrent's high_performance_seed() preset. DHT/LSD/UPnP/NAT-PMP off.
# READY_FILE is written once it seeds and the tracker answered an announce.
# "ip port" lines appended to CONNREQ_FILE make it dial that peer
# (Transmission drops 127.0.0.0/8 peers handed out by a tracker as "martian").
# HEARTBEAT_FILE is rewritten every second (the harness checks it is alive).
# It runs until killed.
import os
import sys
import time

import libtorrent as lt

torrent, save, ip, port, ready, connreq, heartbeat = sys.argv[1:8]

s = lt.high_performance_seed()
s.update({
    'listen_interfaces': f'{ip}:{port}', 'outgoing_interfaces': ip, 'announce_ip': ip,
    'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
    'enable_outgoing_utp': False, 'enable_incoming_utp': False,
    'alert_mask': lt.alert.category_t.status_notification | lt.alert.category_t.error_notification
                  | lt.alert.category_t.tracker_notification,
    'user_agent': 'bench-seeder',
    # every proxied client arrives from the proxy's one address
    'allow_multiple_connections_per_ip': True,
})
ses = lt.session(s)
# never dial ourselves (the tracker hands the seeder its own address back)
f = lt.ip_filter()
f.add_rule(ip, ip, 1)
ses.set_ip_filter(f)
atp = lt.add_torrent_params()
atp.ti = lt.torrent_info(torrent)
atp.save_path = save
h = ses.add_torrent(atp)            # full hash check, then seeding

conn_off = 0
last_hb = 0.0
ready_written = False
reannounced = False
reannounce_at = 0.0
while True:
    ses.wait_for_alert(200)
    for a in ses.pop_alerts():
        if isinstance(a, (lt.tracker_error_alert, lt.listen_failed_alert, lt.file_error_alert)):
            print('seeder:', a.message(), file=sys.stderr, flush=True)
        elif isinstance(a, lt.tracker_reply_alert) and reannounced and not ready_written:
            # an answer to an announce made while seeding: the tracker lists us as a seed
            with open(ready, 'w') as r:
                r.write('%d\n' % h.status().num_pieces)
            ready_written = True
            print('seeder: seeding and announced:', a.message(), file=sys.stderr, flush=True)
    try:
        if os.path.getsize(connreq) > conn_off:
            with open(connreq) as cf:
                cf.seek(conn_off)
                data = cf.read()
                conn_off += len(data)
            for line in data.splitlines():
                if line.strip():
                    cip, cport = line.split()
                    h.connect_peer((cip, int(cport)))
                    print('seeder: dialing %s:%s' % (cip, cport), file=sys.stderr, flush=True)
    except FileNotFoundError:
        pass
    if not reannounced and h.status().is_seeding:
        # the first announce may have gone out while checking (as a leecher)
        h.force_reannounce(0, -1, lt.reannounce_flags_t.ignore_min_interval)
        reannounced = True
        reannounce_at = time.time()
    elif reannounced and not ready_written and time.time() - reannounce_at > 5:
        h.force_reannounce(0, -1, lt.reannounce_flags_t.ignore_min_interval)
        reannounce_at = time.time()
    now = time.time()
    if now - last_hb >= 1.0:
        last_hb = now
        with open(heartbeat, 'w') as hb:
            hb.write('%.3f\n' % now)
