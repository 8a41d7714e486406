# tests/lib/dht_swarm.py - a two-node local DHT with a seeder, for
# tests/integration/test_udp.sh (scenario dht). python3-libtorrent 2.0.8.
#
# usage: dht_swarm.py TORRENT SAVE_DIR SEED_IP SEED_PORT HELPER_IP HELPER_PORT READY_FILE [utp]
#
# With "utp" the seeder also takes incoming uTP connections (else TCP only).
#   seeder  SEED_IP:SEED_PORT (TCP peers + UDP DHT node), seeds TORRENT (which
#           has no tracker) and announces it into the DHT every 2 s;
#   helper  HELPER_IP:HELPER_PORT, a DHT node only: the seeder's one contact,
#           so the seeder's announce lands somewhere (a lone DHT node has no
#           one to announce to).
# READY_FILE is written once the helper stored the seeder's announce. Every
# DHT packet either node receives is logged as "dht-in NODE IP:PORT v=yes|no"
# (whether it carried a client version "v") and
# every incoming peer as "peer-in IP:PORT", on stdout, so the test can show
# who reached the DHT and the seeder. Runs until killed (or 300 s).
import re
import sys
import time

import libtorrent as lt

torrent, save, seed_ip, seed_port, helper_ip, helper_port, ready = sys.argv[1:8]
utp = sys.argv[8:9] == ['utp']
cat = lt.alert.category_t
INCOMING = re.compile(r'^\s*<==\s*\[?([0-9.]+:[0-9]+)')


def settings(ip, port):
    return {
        'listen_interfaces': f'{ip}:{port}', 'outgoing_interfaces': ip,
        'enable_dht': True, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
        'enable_outgoing_utp': False, 'enable_incoming_utp': utp,
        'dht_bootstrap_nodes': '',
        # every node here is on 127.0.0.0/8: do not drop "neighbours"
        'dht_restrict_routing_ips': False, 'dht_restrict_search_ips': False,
        'allow_multiple_connections_per_ip': True,
        'alert_mask': cat.status_notification | cat.error_notification | cat.dht_notification
                      | cat.dht_log_notification | cat.peer_notification,
    }


helper = lt.session(settings(helper_ip, helper_port))
seeder = lt.session(settings(seed_ip, seed_port))
seeder.add_dht_node((helper_ip, int(helper_port)))
atp = lt.add_torrent_params()
atp.ti = lt.torrent_info(torrent)
atp.save_path = save
h = seeder.add_torrent(atp)

ready_written = False
next_announce = 0.0
deadline = time.time() + 300
while time.time() < deadline:
    for name, ses in (('helper', helper), ('seeder', seeder)):
        for a in ses.pop_alerts():
            if isinstance(a, lt.dht_pkt_alert):
                msg = a.message()  # the binding lacks .direction/.node
                m = INCOMING.match(msg)
                if m:
                    v = 'v=yes' if "'v':" in msg else 'v=no'  # client version sent?
                    print(f'dht-in {name} {m.group(1)} {v}', flush=True)
            elif isinstance(a, lt.incoming_connection_alert):
                print(f'peer-in {a.endpoint[0]}:{a.endpoint[1]}', flush=True)
            elif isinstance(a, lt.dht_announce_alert) and name == 'helper' and not ready_written:
                print(f'announce {a.ip}:{a.port}', flush=True)
                if h.status().is_seeding:
                    with open(ready, 'w') as r:
                        r.write('ready\n')
                    ready_written = True
            elif isinstance(a, (lt.listen_failed_alert, lt.torrent_error_alert)):
                print(f'error {name}: {a.message()}', flush=True)
    if time.time() >= next_announce and h.status().is_seeding:
        h.force_dht_announce()
        next_announce = time.time() + 2
    time.sleep(0.05)
