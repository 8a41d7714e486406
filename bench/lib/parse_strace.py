# bench/lib/parse_strace.py - sandbox setup timings from one
#   strace -f -ttt -T -e trace=execve,unshare,clone,clone3,fork,vfork meerko-secure ...
# usage: parse_strace.py MODE FILE   -> one JSON object on stdout
#   exec_to_fork_ms         execve(meerko-secure) -> the broker forks the engine child
#   fork_to_engine_exec_ms  that fork -> execve(meerko-engine) in the child
#                           (sandbox on: unshare, lo up, relay listener, drop
#                           privileges, save-dir check, report to the broker)
#   unshare_ms              the unshare() call itself (trees before the mount
#                           namespace; since then the namespaces come with:)
#   clone_ns_ms             the broker's clone() into the engine's namespaces
#   fork_to_relay_fork_ms   engine fork -> relay fork (the broker forks the
#                           relay once the child reported the namespace ready)
#   exec_to_engine_exec_ms  execve(meerko-secure) -> execve(meerko-engine)
# Times are syscall entry times; strace adds a little to each traced call.
import json
import re
import sys

mode, path = sys.argv[1:3]
line_re = re.compile(r'^(\d+)\s+(\d+\.\d+)\s+(.*)$')
SPAWN = ('clone', 'clone3', 'fork', 'vfork')
pending = {}          # pid -> (syscall, start time) for "<unfinished ...>"
events = []           # (pid, start, syscall, text of the whole call, duration or None)
broker = None
with open(path, errors='replace') as f:
    for raw in f:
        m = line_re.match(raw.rstrip('\n'))
        if not m:
            continue
        pid, ts, rest = int(m.group(1)), float(m.group(2)), m.group(3)
        if broker is None:
            broker = pid
        r = re.match(r'<\.\.\. (\w+) resumed>(.*)$', rest)
        if r:
            name = r.group(1)
            start, head = pending.pop((pid, name), (ts, ''))
            text = head + r.group(2)
        else:
            n = re.match(r'(\w+)\(', rest)
            if not n:
                continue
            name = n.group(1)
            if rest.endswith('<unfinished ...>'):
                pending[(pid, name)] = (ts, rest[:-len('<unfinished ...>')])
                continue
            start, text = ts, rest
        d = re.search(r'<(\d+\.\d+)>\s*$', text)
        events.append((pid, start, name, text, float(d.group(1)) if d else None))

out = {'mode': mode}
t_exec = t_fork = t_relay = t_eng = None
child = None

for pid, ts, name, text, dur in sorted(events, key=lambda e: e[1]):
    if pid == broker and name == 'execve' and t_exec is None:
        t_exec = ts
    elif pid == broker and name in SPAWN:
        rv = re.search(r'=\s*(\d+)\s*(<[\d.]+>)?\s*$', text)
        if not rv:
            continue
        if child is None:
            child, t_fork = int(rv.group(1)), ts

            if 'CLONE_NEWNS' in text and dur is not None:
                out['clone_ns_ms'] = round(dur * 1000, 3)
        elif t_relay is None:
            t_relay = ts
    elif child is not None and pid == child and name == 'unshare' and dur is not None:
        out['unshare_ms'] = round(dur * 1000, 3)
    # the child, or (sandbox on) its child: the namespace's init forks the
    # engine, and strace prints that fork's result as a pid of the namespace
    elif child is not None and pid != broker and name == 'execve' and 'meerko-engine' in text \
            and t_eng is None:
        t_eng = ts


def ms(a, b):
    return round((b - a) * 1000, 3) if a is not None and b is not None else None


for k, v in (('exec_to_fork_ms', ms(t_exec, t_fork)), ('fork_to_engine_exec_ms', ms(t_fork, t_eng)),
             ('exec_to_engine_exec_ms', ms(t_exec, t_eng)), ('fork_to_relay_fork_ms', ms(t_fork, t_relay))):
    if v is not None:
        out[k] = v
print(json.dumps(out))
