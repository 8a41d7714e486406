# bench/lib/ltclient.py - a bare python3-libtorrent downloader for bench/run.sh.
# (Adapted from ../shared/anchors/bench-anchors.sh.)
#
# usage: ltclient.py TORRENT SAVE_DIR IP PORT MARKER PROXY
#   PROXY: "none" or "IP:PORT" of a SOCKS5 proxy (no auth).
# TCP only (uTP off), DHT/LSD/UPnP/NAT-PMP off, libtorrent's default settings
# otherwise. With a proxy: peers, trackers and host names through it, and
# anonymous mode, as Meerko does. Writes the time to MARKER on
# torrent_finished_alert (all pieces downloaded and hash-checked), then keeps
# running until killed.
#
# NB: outgoing_interfaces only without a proxy: libtorrent 2.0.8 drops every
# proxied peer with ENODEV when both are set (shared/swarm.md).
import sys
import time

import libtorrent as lt

torrent, save, ip, port, marker, proxy = sys.argv[1:7]
s = {
    'listen_interfaces': f'{ip}:{port}',
    'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
    'enable_outgoing_utp': False, 'enable_incoming_utp': False,
    'alert_mask': lt.alert.category_t.status_notification | lt.alert.category_t.error_notification,
}
if proxy == 'none':
    s['outgoing_interfaces'] = ip
else:
    ph, pp = proxy.rsplit(':', 1)
    s.update({'proxy_type': lt.proxy_type_t.socks5, 'proxy_hostname': ph, 'proxy_port': int(pp),
              'proxy_peer_connections': True, 'proxy_tracker_connections': True,
              'proxy_hostnames': True, 'anonymous_mode': True})
ses = lt.session(s)
atp = lt.add_torrent_params()
atp.ti = lt.torrent_info(torrent)
atp.save_path = save
h = ses.add_torrent(atp)
done = False
while True:
    ses.wait_for_alert(500)
    for a in ses.pop_alerts():
        if isinstance(a, lt.torrent_finished_alert) and not done:
            done = True
            with open(marker, 'w') as m:
                m.write('%.6f\n' % time.time())
        elif isinstance(a, (lt.tracker_error_alert, lt.listen_failed_alert, lt.file_error_alert)):
            print(a.message(), file=sys.stderr, flush=True)
