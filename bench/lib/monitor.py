# bench/lib/monitor.py - watches one benchmark run for bench/run.sh.
#
# Started just before the client; the client's wrapper writes its pid to
# --pidfile. Every --interval (20 ms) it:
#   - sums the allocated bytes (st_blocks * 512) of the torrent's payload files
#     (only the paths listed in --manifest, so control files such as aria2's
#     .aria2 do not count; Transmission's NAME.part counts) -> t_first: first
#     payload byte on disk, t_full: allocated >= payload size;
#   - checks for completion: --marker non-empty, or (with --exit-is-done) the
#     client process is gone or a zombie, or (with --qbt-url, every 100 ms)
#     qBittorrent's WebUI reports progress 1 -> t_done, and reads the cgroup
#     CPU counters at that moment (cpu_done_*);
#   - with --relay-detect: once the broker (the client pid) has a child
#     running meerko-engine (directly, or under the sandbox's meerko-init),
#     any other child named meerko-secure or meerko-relay (its name once it runs) is the
#     relay; it is moved into --cg-relay so its CPU is counted on its own.
#     With --cg-engine, the meerko-engine child is moved into that cgroup
#     (its CPU before the move, the first <= 20 ms after exec, stays with the
#     broker).
# Every 5th tick (100 ms) it samples memory of every process in the cgroups
# (or, without cgroups, of the client's process tree): per-pid maximum VmHWM
# (summed at the end: "sum of peak RSS"), and the peak of the summed VmRSS
# and of the summed RssAnon.
# It stops at completion or at --timeout, writes --out (JSON) and exits 0.
# It never signals anything: stopping the client is the harness's job.
import argparse
import json
import os
import signal
import sys
import time
import urllib.request

ap = argparse.ArgumentParser()
ap.add_argument('--pidfile', required=True)
ap.add_argument('--marker', default='')
ap.add_argument('--exit-is-done', action='store_true')
ap.add_argument('--dl', required=True)
ap.add_argument('--manifest', required=True, help='lines "SIZE RELPATH"')
ap.add_argument('--cg-kind', default='none', choices=['v2', 'v1', 'none'])
ap.add_argument('--cg-main', default='')
ap.add_argument('--cg-relay', default='')
ap.add_argument('--relay-detect', action='store_true')
ap.add_argument('--cg-engine', default='')
ap.add_argument('--timeout', type=float, default=300)
ap.add_argument('--interval', type=float, default=0.02)
ap.add_argument('--qbt-url', default='', help='also poll this qBittorrent WebUI (every 100 ms)')
ap.add_argument('--out', required=True)
a = ap.parse_args()

stop = False


def on_term(_sig, _frm):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)

files = []
total = 0
with open(a.manifest) as mf:
    for line in mf:
        line = line.rstrip('\n')
        if not line:
            continue
        sz, rel = line.split(' ', 1)
        files.append(os.path.join(a.dl, rel))
        total += int(sz)


def allocated():
    n = 0
    for p in files:
        best = 0
        # Transmission writes to NAME.part until the file is complete
        for q in (p, p + '.part'):
            try:
                best = max(best, os.stat(q).st_blocks * 512)
            except OSError:
                pass
        n += best
    return n


def qbt_done():
    """qBittorrent's own view: progress 1 and a seeding state (WebUI API)."""
    try:
        with urllib.request.urlopen(a.qbt_url + '/api/v2/torrents/info', timeout=1) as r:
            info = json.load(r)
    except Exception:  # not up yet, or busy: ask again next time
        return False
    return bool(info) and all(t.get('progress') == 1 and t.get('state') in QBT_DONE for t in info)


QBT_DONE = ('uploading', 'stalledUP', 'queuedUP', 'forcedUP', 'pausedUP', 'checkingUP')


def cg_cpu_us(d):
    if not d or a.cg_kind == 'none':
        return None
    try:
        if a.cg_kind == 'v2':
            with open(os.path.join(d, 'cpu.stat')) as f:
                for line in f:
                    k, v = line.split()
                    if k == 'usage_usec':
                        return int(v)
        else:
            with open(os.path.join(d, 'cpuacct.usage')) as f:
                return int(f.read()) // 1000
    except OSError:
        return None
    return None


def cg_pids(d):
    try:
        with open(os.path.join(d, 'cgroup.procs')) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def stat_of(pid):
    """(state, ppid, comm) or None."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            s = f.read()
    except OSError:
        return None
    comm = s[s.index('(') + 1:s.rindex(')')]
    rest = s[s.rindex(')') + 2:].split()
    return rest[0], int(rest[1]), comm


def mem_of(pid):
    r = {}
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith(('VmHWM:', 'VmRSS:', 'RssAnon:')):
                    k, v = line.split(':', 1)
                    r[k] = int(v.split()[0])
    except OSError:
        pass
    return r


def tree_pids(root):
    """root and its descendants, by ppid (fallback without cgroups)."""
    kids = {}
    for e in os.listdir('/proc'):
        if not e.isdigit():
            continue
        st = stat_of(int(e))
        if st:
            kids.setdefault(st[1], []).append(int(e))
    out, todo = [], [root]
    while todo and len(out) < 1000:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


res = {'client_pid': None, 't_first': None, 't_full': None, 't_done': None, 'done_reason': None,
       'cpu_done_main_us': None, 'cpu_done_relay_us': None, 'cpu_done_engine_us': None,
       'relay_pid': None, 't_relay_moved': None, 't_engine_moved': None,
       'engine_pid': None, 'hwm_sum_kb': 0, 'rss_sum_peak_kb': 0, 'anon_sum_peak_kb': 0,
       'payload_bytes': total, 'samples': 0}
hwm = {}
start = time.time()
deadline = start + a.timeout
pid = None
tick = 0
while not stop:
    now = time.time()
    if now >= deadline:
        res['done_reason'] = 'timeout'
        break
    if pid is None:
        try:
            with open(a.pidfile) as f:
                txt = f.read().strip()
            if txt:
                pid = int(txt)
                res['client_pid'] = pid
        except (OSError, ValueError):
            pass
    if res['t_first'] is None or res['t_full'] is None:
        al = allocated()
        if al > 0 and res['t_first'] is None:
            res['t_first'] = now
        if total > 0 and al >= total and res['t_full'] is None:
            res['t_full'] = now
    # The engine's parent: the broker (sandbox off) or the sandbox's init
    # (meerko-init, the broker's child and pid 1 of the engine's namespace).
    parents = {pid}
    if pid is not None:
        for p in cg_pids(a.cg_main):
            st = stat_of(p) if p != pid else None
            if st and st[1] == pid and st[2] == 'meerko-init':
                parents.add(p)
    if pid is not None and a.cg_engine and res['t_engine_moved'] is None:
        for p in cg_pids(a.cg_main):
            st = stat_of(p) if p != pid else None
            if st and st[1] in parents and st[2] == 'meerko-engine':
                try:
                    with open(os.path.join(a.cg_engine, 'cgroup.procs'), 'w') as f:
                        f.write('%d\n' % p)
                    res['engine_pid'] = p
                except OSError as e:
                    print('monitor: cannot move engine %d: %s' % (p, e), file=sys.stderr)
                res['t_engine_moved'] = now
                break
    if pid is not None and a.relay_detect and res['relay_pid'] is None and a.cg_relay:
        kids = [(p, stat_of(p)) for p in cg_pids(a.cg_main) + (cg_pids(a.cg_engine) if a.cg_engine else []) if p != pid]
        eng = [p for p, st in kids if st and st[1] in parents and st[2] == 'meerko-engine']
        kids = [(p, st) for p, st in kids if st and st[1] == pid]
        if eng:
            res['engine_pid'] = eng[0]
            # the relay names itself meerko-relay (relay.c) right after its fork
            rel = [p for p, st in kids if st[2] in ('meerko-secure', 'meerko-relay')]
            if rel:
                try:
                    with open(os.path.join(a.cg_relay, 'cgroup.procs'), 'w') as f:
                        f.write('%d\n' % rel[0])
                    res['relay_pid'] = rel[0]
                    res['t_relay_moved'] = now
                except OSError as e:
                    print('monitor: cannot move relay %d: %s' % (rel[0], e), file=sys.stderr)
                    res['relay_pid'] = -rel[0]
    done = None
    if a.marker:
        try:
            if os.path.getsize(a.marker) > 0:
                done = 'marker'
        except OSError:
            pass
    if done is None and a.qbt_url and tick % 5 == 0 and qbt_done():
        done = 'api'
    if done is None and pid is not None and a.exit_is_done:
        st = stat_of(pid)
        if st is None or st[0] in ('Z', 'X'):
            done = 'exit'
    if done is None and pid is not None and not a.exit_is_done:
        st = stat_of(pid)
        if st is None or st[0] in ('Z', 'X'):
            done = 'exited-early'
    if done:
        res['t_done'] = now
        res['done_reason'] = done
        res['cpu_done_main_us'] = cg_cpu_us(a.cg_main)
        res['cpu_done_relay_us'] = cg_cpu_us(a.cg_relay)
        res['cpu_done_engine_us'] = cg_cpu_us(a.cg_engine)
        # a final allocation reading
        al = allocated()
        if al > 0 and res['t_first'] is None:
            res['t_first'] = now
        if total > 0 and al >= total and res['t_full'] is None:
            res['t_full'] = now
    if pid is not None and (tick % 5 == 0 or done):
        if a.cg_kind != 'none':
            pids = (cg_pids(a.cg_main) + (cg_pids(a.cg_relay) if a.cg_relay else [])
                    + (cg_pids(a.cg_engine) if a.cg_engine else []))
        else:
            pids = tree_pids(pid)
        rss = anon = 0
        for p in pids:
            m = mem_of(p)
            if not m:
                continue
            hwm[p] = max(hwm.get(p, 0), m.get('VmHWM', 0))
            rss += m.get('VmRSS', 0)
            anon += m.get('RssAnon', 0)
        res['rss_sum_peak_kb'] = max(res['rss_sum_peak_kb'], rss)
        res['anon_sum_peak_kb'] = max(res['anon_sum_peak_kb'], anon)
        res['samples'] += 1
    if done:
        break
    tick += 1
    time.sleep(a.interval)

if res['done_reason'] is None:
    res['done_reason'] = 'stopped'
res['hwm_sum_kb'] = sum(hwm.values())
res['hwm_per_pid_kb'] = {str(k): v for k, v in hwm.items()}
with open(a.out, 'w') as f:
    json.dump(res, f)
