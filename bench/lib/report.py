# bench/lib/report.py - turns one bench/run.sh result dir into table.md,
# summary.json and report.md (table + ratios vs. targets + setup + idle).
# usage: report.py RESULT_DIR
import csv
import json
import os
import statistics
import sys

out = sys.argv[1]
meta = json.load(open(os.path.join(out, 'meta.json')))
try:
    extras = json.load(open(os.path.join(out, 'extras.json')))
except (OSError, ValueError):
    extras = {}
rows = list(csv.DictReader(open(os.path.join(out, 'runs.csv'))))
size_gib = meta['size_bytes'] / 2**30


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def stats(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return {'median': statistics.median(vals), 'min': min(vals), 'max': max(vals), 'n': len(vals)}


def fmt(st, nd=2, spread=True):
    if not st:
        return 'n/a'
    m = '%.*f' % (nd, st['median'])
    if spread and st['n'] > 1:
        m += ' (%.*f–%.*f)' % (nd, st['min'], nd, st['max'])
    return m


order = []
for r in rows:
    if r['client'] not in order:
        order.append(r['client'])
FIELDS = ['seconds', 'mib_s', 'first_byte_s', 'full_s', 'transfer_mib_s', 'cpu_s', 'cpu_total_s',
          'relay_cpu_s', 'time_cpu_s', 'hwm_sum_mib', 'rss_sum_peak_mib', 'anon_sum_peak_mib',
          'seeder_lt_cpu_s', 'seeder_aria2_cpu_s', 'proxy_cpu_s', 'other_cpu_s', 'broker_cpu_s', 'engine_cpu_s']
clients = {}
for c in order:
    rs = [r for r in rows if r['client'] == c]
    good = [r for r in rs if r['ok'] == '1']
    d = {'label': rs[0]['label'], 'path': rs[0]['path'], 'runs': len(rs), 'ok_runs': len(good),
         'notes': sorted({r['note'] for r in rs if r['note']})}
    for f in FIELDS:
        d[f] = stats([num(r.get(f)) for r in good])
    # exec -> last payload byte on disk: comparable across clients (no completion signalling)
    d['to_last_byte_mib_s'] = stats([meta['size_bytes'] / 2**20 / num(r['full_s']) for r in good if num(r['full_s'])])
    d['cpu_s_per_gib'] = stats([num(r['cpu_s']) / size_gib for r in good if num(r['cpu_s']) is not None])
    clients[c] = d


def med(c, f):
    st = clients.get(c, {}).get(f)
    return st['median'] if st else None


def ratio(a, b):
    return a / b if a is not None and b else None


ratios = {}
targets = []


def target(name, value, op, goal, unit='', how=''):
    met = None
    if value is not None:
        met = value >= goal if op == '>=' else value <= goal if op == '<=' else value < goal
    targets.append({'what': name, 'value': value, 'target': '%s %s%s' % (op, goal, unit), 'met': met, 'how': how})


ratios['sandbox_on_over_off_throughput'] = ratio(med('meerko-sandbox', 'mib_s'), med('meerko-nosandbox', 'mib_s'))
ratios['meerko_over_qbt_throughput'] = ratio(med('meerko-sandbox', 'mib_s'), med('qbt-dante', 'mib_s'))
ratios['meerko_nosandbox_over_qbt_throughput'] = ratio(med('meerko-nosandbox', 'mib_s'), med('qbt-dante', 'mib_s'))
ratios['meerko_over_qbt_transfer'] = ratio(med('meerko-sandbox', 'transfer_mib_s'), med('qbt-dante', 'transfer_mib_s'))
ratios['sandbox_on_over_off_transfer'] = ratio(med('meerko-sandbox', 'transfer_mib_s'), med('meerko-nosandbox', 'transfer_mib_s'))
ratios['sandbox_on_over_off_to_last_byte'] = ratio(med('meerko-sandbox', 'to_last_byte_mib_s'), med('meerko-nosandbox', 'to_last_byte_mib_s'))
ratios['meerko_over_qbt_to_last_byte'] = ratio(med('meerko-sandbox', 'to_last_byte_mib_s'), med('qbt-dante', 'to_last_byte_mib_s'))
ratios['meerko_over_qbt_cpu'] = ratio(med('meerko-sandbox', 'cpu_s'), med('qbt-dante', 'cpu_s'))
ratios['meerko_over_lt_throughput'] = ratio(med('meerko-sandbox', 'mib_s'), med('lt-dante', 'mib_s'))
relay = med('meerko-sandbox', 'relay_cpu_s')
ratios['relay_cpu_s_per_gib'] = relay / size_gib if relay is not None else None
on, off = med('meerko-sandbox', 'cpu_s'), med('meerko-nosandbox', 'cpu_s')
ratios['relay_cpu_s_per_gib_by_difference'] = (on - off) / size_gib if on is not None and off is not None else None

target('sandbox-on / sandbox-off throughput', ratios['sandbox_on_over_off_throughput'], '>=', 0.95, '×',
       'median MiB/s (wall, exec → exit 0) of meerko sandbox on / off')
target('meerko (sandbox on) / qbittorrent-nox throughput, same proxy', ratios['meerko_over_qbt_throughput'], '>=', 1.0, '×',
       'median MiB/s (wall)')
target('relay CPU per GiB', ratios['relay_cpu_s_per_gib'], '<=', 1.0, ' CPU-s',
       'relay process in its own cgroup, median run, / payload GiB')

setup = extras.get('setup') or {}
st_on = [s for s in setup.get('strace', []) if s.get('mode') == 'required']
st_off = [s for s in setup.get('strace', []) if s.get('mode') == 'off']


def smed(lst, k):
    v = [s[k] for s in lst if k in s]
    return statistics.median(v) if v else None


setup_summary = {
    'fork_to_engine_exec_ms_on': smed(st_on, 'fork_to_engine_exec_ms'),
    'fork_to_engine_exec_ms_off': smed(st_off, 'fork_to_engine_exec_ms'),
    'unshare_ms': smed(st_on, 'unshare_ms'),
    'clone_ns_ms': smed(st_on, 'clone_ns_ms'),
    'fork_to_relay_fork_ms': smed(st_on, 'fork_to_relay_fork_ms'),
    'exec_to_engine_exec_ms_on': smed(st_on, 'exec_to_engine_exec_ms'),
    'exec_to_engine_exec_ms_off': smed(st_off, 'exec_to_engine_exec_ms'),
    'sandbox_check_wall_ms': (statistics.median([x['wall_s'] for x in setup.get('sandbox_check', [])]) * 1000
                              if setup.get('sandbox_check') else None),
    'sandbox_check_exit': sorted({x['exit'] for x in setup.get('sandbox_check', [])}),
}
a, b = setup_summary['fork_to_engine_exec_ms_on'], setup_summary['fork_to_engine_exec_ms_off']
setup_summary['sandbox_cost_ms'] = a - b if a is not None and b is not None else None
target('sandbox setup time', setup_summary['fork_to_engine_exec_ms_on'], '<', 50, ' ms',
       'strace: engine fork → execve(meerko-engine), sandbox on (median of %d)' % len(st_on))

idle = extras.get('idle') or []
idle_on = next((i for i in idle if i.get('mode') == 'required'), None)
idle_off = next((i for i in idle if i.get('mode') == 'off'), None)
target('idle CPU of broker+engine', idle_on['broker_engine_cpu_pct'] if idle_on else None, '<', 1.0, ' %',
       'sandbox on, torrent with no seeder, %ss window' % (idle_on['window_s'] if idle_on else '?'))

summary = {'meta': meta, 'clients': clients, 'ratios': ratios, 'targets': targets,
           'setup': setup_summary, 'idle': idle, 'raw_setup': setup}
json.dump(summary, open(os.path.join(out, 'summary.json'), 'w'), indent=1)

# ---------------------------------------------------------------- markdown
L = []
L.append('| client | path | ok | seconds | MiB/s (wall) | 1st byte s | last byte s | MiB/s 1st→last byte | CPU s | CPU s/GiB | relay CPU s | Σ peak RSS MiB | Σ anon MiB | seeders CPU s (lt+aria2) | dante CPU s | other CPU s |')
L.append('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|')
for c in order:
    d = clients[c]
    if d['ok_runs'] == 0:
        L.append('| %s | %s | 0/%d | FAILED: %s | | | | | | | | | | | | |' % (d['label'], d['path'], d['runs'], '; '.join(d['notes'])[:200]))
        continue
    seed = None
    if d['seeder_lt_cpu_s'] and d['seeder_aria2_cpu_s']:
        seed = '%.2f+%.2f' % (d['seeder_lt_cpu_s']['median'], d['seeder_aria2_cpu_s']['median'])
    L.append('| %s | %s | %d/%d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
        d['label'], d['path'], d['ok_runs'], d['runs'], fmt(d['seconds']), fmt(d['mib_s'], 1),
        fmt(d['first_byte_s'], 2, False), fmt(d['full_s'], 2, False), fmt(d['transfer_mib_s'], 1, False), fmt(d['cpu_s']),
        fmt(d['cpu_s_per_gib'], 2, False), fmt(d['relay_cpu_s']) if d['relay_cpu_s'] else '-',
        fmt(d['hwm_sum_mib'], 0, False), fmt(d['anon_sum_peak_mib'], 0, False), seed or 'n/a',
        fmt(d['proxy_cpu_s'], 2, False) if 'direct' not in d['path'] else '-', fmt(d['other_cpu_s'], 2, False)))
table = '\n'.join(L) + '\n'
open(os.path.join(out, 'table.md'), 'w').write(table)


def pct(v):
    return 'n/a' if v is None else '%.3f' % v


R = []
R.append('# Meerko benchmark: %s, %d run%s per client' % (
    ('%d MiB' % meta['size_mb']) + (' (%d files)' % meta['files'] if meta['multi'] else ' (one file)'),
    meta['runs'], '' if meta['runs'] == 1 else 's'))
R.append('')
R.append('- Date: %s. Machine: %s × %s, %s RAM, kernel %s, Debian %s, temp dir on %s.' % (
    meta['date'], meta['nproc'], meta['cpu'], meta['mem'], meta['kernel'], meta['debian'], meta['fs']))
v = meta['versions']
R.append('- Meerko `%s` (git %s, %d modified tracked files outside bench/ at run time), libtorrent %s, %s, %s, %s, dante %s.' % (
    v['meerko'], v['git'], v['modified_tracked_files_outside_bench'], v['libtorrent'], v['qbittorrent'],
    v['transmission'], v['aria2'], v['dante']))
R.append('- Piece size %d KiB; TCP only everywhere; CPU from a cgroup per run (%s).' % (meta['piece_bytes'] // 1024, meta['cgroup']))
R.append('')
bg = [num(r.get('other_cpu_s')) for r in rows if num(r.get('other_cpu_s')) is not None]
waited = [num(r.get('waited_s')) or 0 for r in rows]
R.append('Medians, with (min–max) over the runs. Definitions in bench/README.md. '
         'CPU used by other jobs on the machine during a run ("other CPU s"): median %s s, max %s s; '
         'waited for a quiet machine before runs: %d s in all.' % (
             '%.2f' % statistics.median(bg) if bg else 'n/a', '%.2f' % max(bg) if bg else 'n/a', sum(waited)))
R.append('')
R.append(table)
R.append('## Targets')
R.append('')
R.append('| target | measured | goal | met? | how |')
R.append('|---|---|---|---|---|')
for t in targets:
    val = 'n/a' if t['value'] is None else ('%.3f' % t['value'])
    R.append('| %s | %s | %s | %s | %s |' % (t['what'], val, t['target'],
                                             'n/a' if t['met'] is None else ('yes' if t['met'] else '**no**'), t['how']))
R.append('')
R.append('## Other ratios')
R.append('')
for k, label in (('meerko_nosandbox_over_qbt_throughput', 'meerko (sandbox off) / qbittorrent-nox throughput'),
                 ('sandbox_on_over_off_to_last_byte', 'sandbox on / off, MiB/s from exec to the last byte on disk'),
                 ('meerko_over_qbt_to_last_byte', 'meerko (sandbox on) / qbittorrent-nox, MiB/s from exec to the last byte on disk'),
                 ('sandbox_on_over_off_transfer', 'sandbox on / off, first→last byte on disk rate'),
                 ('meerko_over_qbt_transfer', 'meerko (sandbox on) / qbittorrent-nox, first→last byte on disk rate'),
                 ('meerko_over_qbt_cpu', 'meerko (sandbox on) / qbittorrent-nox CPU seconds (lower is better)'),
                 ('meerko_over_lt_throughput', 'meerko (sandbox on) / bare libtorrent throughput (same proxy)'),
                 ('relay_cpu_s_per_gib_by_difference', 'relay CPU-s per GiB by difference (CPU sandbox on − off)')):
    R.append('- %s: %s' % (label, pct(ratios.get(k))))
R.append('')
R.append('## Meerko CPU by process (median CPU s until exit)')
R.append('')
R.append('| | broker | engine | relay | total |')
R.append('|---|---|---|---|---|')
for c in ('meerko-sandbox', 'meerko-nosandbox'):
    if c in clients and clients[c]['ok_runs']:
        d = clients[c]
        R.append('| %s | %s | %s | %s | %s |' % (d['label'], fmt(d['broker_cpu_s']), fmt(d['engine_cpu_s']),
                                                 fmt(d['relay_cpu_s']) if d['relay_cpu_s'] else '-', fmt(d['cpu_total_s'])))
R.append('')
R.append('(The engine is moved into its own cgroup within 20 ms of its exec; what it used before that counts as broker.)')
R.append('')
R.append('## Sandbox setup (ms, median of the strace runs)')
R.append('')
for k, label in (('fork_to_engine_exec_ms_on', 'engine fork → execve(meerko-engine), sandbox on'),
                 ('fork_to_engine_exec_ms_off', 'the same, sandbox off'),
                 ('sandbox_cost_ms', 'difference: the sandbox\'s own cost'),
                 ('unshare_ms', 'of which unshare(CLONE_NEWNET)'),
                 ('clone_ns_ms', 'of which the clone() into the engine\'s namespaces (net, mnt, pid, uts, ipc[, user])'),
                 ('fork_to_relay_fork_ms', 'engine fork → relay fork (namespace ready)'),
                 ('exec_to_engine_exec_ms_on', 'execve(meerko-secure) → execve(meerko-engine), sandbox on'),
                 ('exec_to_engine_exec_ms_off', 'the same, sandbox off'),
                 ('sandbox_check_wall_ms', '`meerko-secure --sandbox-check` wall time (upper bound)')):
    R.append('- %s: %s' % (label, pct(setup_summary.get(k))))
if setup_summary['sandbox_check_exit']:
    R.append('- `--sandbox-check` exit codes: %s' % setup_summary['sandbox_check_exit'])
R.append('')
R.append('## Idle CPU (torrent with no seeder)')
R.append('')
for i in idle:
    term = ('exited %s after %s s' % (i.get('exit_after_term'), i.get('exit_after_term_s'))
            if i.get('exit_after_term_s') is not None else '**did not exit within 20 s**')
    R.append('- sandbox %s: broker+engine %s %%, relay %s %% of one core over %.1f s (alive throughout: %s; on SIGTERM: %s)' % (
        'on' if i['mode'] == 'required' else 'off', pct(i['broker_engine_cpu_pct']), pct(i['relay_cpu_pct']),
        i['window_s'], i['alive'], term))
R.append('')
failed = [c for c in order if clients[c]['ok_runs'] < clients[c]['runs']]
if failed:
    R.append('**Failed runs:** ' + '; '.join('%s: %s' % (c, ', '.join(clients[c]['notes'])) for c in failed))
    R.append('')
open(os.path.join(out, 'report.md'), 'w').write('\n'.join(R))
