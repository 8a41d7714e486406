#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_escape.sh - a compromised engine cannot get out of the sandbox.
#
# Uses the test-only engine build (bin-escape/meerko-engine, compiled with
# MEERKO_ESCAPE_TEST, never installed): given a magnet whose dn is
# "escape-NAME", the confined engine tries that escape and reports the
# outcome, or is killed trying. Each attempt is one check with its expected
# outcome. Negative controls run two attempts with the sandbox off, where
# they must succeed: proof that the attempts are real and the checks can fail.
# Usage: test_escape.sh BUILD_DIR
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:?build dir}
# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"
swarm_isolate "$@"
swarm_require_root
swarm_require_cmds microsocks aria2c mktorrent transmission-show opentracker script
[[ -x $BUILD_DIR/bin-escape/meerko-engine ]] || swarm_skip_or_fail "test engine not built: $BUILD_DIR/bin-escape/meerko-engine"
swarm_init

# A client made of the real broker and the escape engine, where nobody can run it.
BIN=$SWARM_DIR/bin
mkdir -p "$BIN"
cp "$BUILD_DIR/bin/meerko-secure" "$BIN/"
cp "$BUILD_DIR/bin-escape/meerko-engine" "$BIN/meerko-engine"
chmod 755 "$BIN" "$BIN"/*
OUT=$SWARM_DIR/out
mkdir -p "$OUT"
chown nobody "$OUT"

# A real seeder to try to reach directly, and a real proxy for the relay.
SEED=$SWARM_DIR/seed
swarm_make_payload "$SEED/payload" 1 1
swarm_make_torrent "$SEED/payload" "$SWARM_DIR/t.torrent"
swarm_start_tracker "$SWARM_DIR/t.torrent"
swarm_start_microsocks
swarm_start_seeder_aria2 "$SWARM_DIR/t.torrent" "$SEED"

# The secret a compromised engine would want: the proxy password in the config.
CONFIG=$SWARM_DIR/meerko.ini
write_config() { # SANDBOX_MODE
	(
		umask 077
		printf '[proxy]\nhost = %s\nport = %s\nallow_private_destinations = true\n[ui]\nprogress = none\n[sandbox]\nmode = %s\n[killswitch]\nmax_restarts = 0\n[state]\ndir = %s\n' \
			"$SWARM_PROXY_IP" "$SWARM_PROXY_PORT" "$1" "${STATE_DIR:-$SWARM_DIR/state}" >"$CONFIG"
	)
}
HASH=0123456789abcdef0123456789abcdef01234567

RUN_PREFIX=() # a command the client runs under (set by one attempt)
attempt() { # NAME SANDBOX -> sets RC, ERR
	write_config "$2"
	local log="$SWARM_LOGS/${1%%:*}-$2"
	RC=0
	"${RUN_PREFIX[@]}" timeout -k 5 60 "$BIN/meerko-secure" --config "$CONFIG" -o "${ATTEMPT_OUT:-$OUT}" \
		"${ATTEMPT_MAGNET:-magnet:?xt=urn:btih:$HASH}&dn=escape-$1${ATTEMPT_TAIL:-}" >"$log.out" 2>"$log.err" </dev/null || RC=$?
	ERR=$(cat "$log.err")
	local shown=$ERR # an expected sanitizer report must not look like a finding
	[[ $1 != sanitizer ]] || shown="(a sanitizer report of ${#ERR} bytes, checked below)"
	swarm_log "escape $1 (sandbox $2): rc=$RC: $shown"
}
blocked() { # NAME REASON-REGEX
	[[ $RC != 0 && $ERR == *"escape $1: blocked"* && $ERR != *SUCCEEDED* ]] && grep -Eq "$2" <<<"$ERR"
}
killed() {
	[[ $RC == 7 && $ERR == *"confinement violation"* && $ERR != *SUCCEEDED* ]]
}
succeeded() { [[ $ERR == *"escape $1: SUCCEEDED"* ]]; }

attempt execve required
swarm_check "execve /bin/sh: the engine is killed, the broker reports a confinement violation (rc=$RC)" killed
attempt ptrace required
swarm_check "ptrace of the broker: killed, reported as a confinement violation (rc=$RC)" killed
attempt connect required
# Two layers stop it: Landlock's network rules (connect only to the relay
# port, kernels with Landlock ABI >= 4) and the namespace (no route out).
swarm_check "direct connect to the seeder: blocked (Landlock net rule / namespace)" \
	blocked connect 'denied|refused|unreachable|Network'
attempt write-outside required
swarm_check "write outside the save dir: blocked (no such path in the engine's root / Landlock)" \
	blocked write-outside 'denied|Permission|ENOENT|EROFS'
attempt packet required
# seccomp allows only AF_UNIX/AF_INET/AF_INET6 sockets; other families kill.
swarm_check "AF_PACKET socket: the engine is killed (seccomp), reported as a confinement violation" killed
# seccomp allows only SOCK_STREAM and SOCK_DGRAM sockets of AF_INET/AF_INET6:
# a raw or SOCK_PACKET socket is killed by the filter, not merely refused
# for want of CAP_NET_RAW (which a future layout might hand out).
attempt raw-socket required
swarm_check "socket(AF_INET, SOCK_RAW, IPPROTO_UDP): killed (seccomp type check), rc=$RC" killed
attempt raw-socket6 required
swarm_check "socket(AF_INET6, SOCK_RAW, IPPROTO_TCP): killed (seccomp type check), rc=$RC" killed
attempt packet-socket-inet required
swarm_check "socket(AF_INET, SOCK_PACKET, 0): killed (seccomp type check), rc=$RC" killed
attempt "read-secret:$CONFIG" required
swarm_check "read the proxy password (config, /proc of the broker, /etc/meerko): blocked" \
	blocked "read-secret:$CONFIG" 'EACCES|ENOENT|denied'

# The filesystem and process view (own mount, PID and UTS namespaces):
# Landlock stops reads, not stat/readlink, and has no say over /proc/PID
# directories or uname(). $CONFIG exists on the host.
attempt "host-view:$CONFIG" required
swarm_check "stat/readlink of host paths (~, /etc/machine-id, /etc/localtime, the config): nothing exists" \
	blocked "host-view:$CONFIG" 'ENOENT'
attempt processes required
swarm_check "probe /proc/1..65535 for the machine's other processes: only the engine itself" \
	blocked processes 'only itself'
attempt identity required
no_host_names() { [[ $ERR != *"$SWARM_DIR"* && $ERR != *"$(hostname)"* ]]; }
swarm_check "host name, cwd and --write-dir: neutral (/, /data) or unreadable, no host path or host name" \
	eval 'blocked identity "cwd ./." && no_host_names'

# Without Landlock (forced in this test engine by a marker in the save
# dir, as on kernels before 5.13 or with Landlock off at boot), the mount
# namespace alone must keep the secrets and the user's files out of reach.
touch "$OUT/.meerko-escape-no-landlock"
chown nobody "$OUT/.meerko-escape-no-landlock"
attempt "read-secret:$CONFIG" required
swarm_check "no Landlock: read the proxy password and the broker's /proc: blocked (not in the engine's root)" \
	blocked "read-secret:$CONFIG" 'ENOENT'
attempt write-outside required
swarm_check "no Landlock: write outside the save dir: blocked (read-only root, nothing of the host)" \
	blocked write-outside 'ENOENT|EROFS|EACCES'
attempt "host-view:$CONFIG" required
swarm_check "no Landlock: stat of host paths: nothing exists" blocked "host-view:$CONFIG" 'ENOENT'
attempt identity required
swarm_check "no Landlock: the host name read from /proc is the sandbox's (meerko), cwd /, argv /data" \
	eval 'blocked identity "hostname .meerko., cwd ./., argv .meerko-engine --write-dir /data" && no_host_names'
rm -f "$OUT/.meerko-escape-no-landlock"

# The same view as an ordinary user (user namespace path): the engine runs
# as that user, so only the namespaces stand between it and their files.
UCONF=$SWARM_DIR/user.ini
write_config required
sed "s|^dir = .*|dir = $SWARM_DIR/ustate|" "$CONFIG" >"$UCONF"
chown nobody "$UCONF"
chmod 600 "$UCONF"
install -d -o nobody -m 700 "$SWARM_DIR/ustate"
attempt_user() { # NAME
	local log="$SWARM_LOGS/${1%%:*}-user"
	RC=0
	timeout -k 5 60 setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		"$BIN/meerko-secure" --config "$UCONF" -o "$OUT" \
		"magnet:?xt=urn:btih:$HASH&dn=escape-$1" >"$log.out" 2>"$log.err" </dev/null || RC=$?
	ERR=$(cat "$log.err")
	swarm_log "escape $1 (ordinary user): rc=$RC: $ERR"
}
attempt_user "host-view:$UCONF"
swarm_check "ordinary user: stat of host paths and the user's own config: nothing exists" \
	blocked "host-view:$UCONF" 'ENOENT'
attempt_user processes
swarm_check "ordinary user: the machine's other processes: invisible" blocked processes 'only itself'
attempt_user "read-secret:$UCONF"
swarm_check "ordinary user: read the user's own config with the password: blocked" \
	blocked "read-secret:$UCONF" 'EACCES|ENOENT'
# The engine runs as the user here: without Landlock, file permissions do
# not stand between it and the user's files; only the mount namespace does.
install -o nobody -m 600 /dev/null "$OUT/.meerko-escape-no-landlock"
attempt_user "read-secret:$UCONF"
swarm_check "ordinary user, no Landlock: read the user's own config with the password: not in the engine's root" \
	blocked "read-secret:$UCONF" 'ENOENT'
attempt_user write-outside
swarm_check "ordinary user, no Landlock: write a file the user could write (/tmp): blocked" \
	blocked write-outside 'ENOENT|EROFS|EACCES'
rm -f "$OUT/.meerko-escape-no-landlock"
# As root with a save dir owned by an ordinary user, the engine runs as that
# user: it must not reach the user's other processes (own PID namespace,
# seccomp) nor leave a setuid file of theirs in the folder.
OWNER=mkesc$$
swarm_add_ordinary_user "$OWNER"
OWN_OUT=$SWARM_DIR/owned
install -d -o "$OWNER" -g "$(id -g "$OWNER")" -m 755 "$OWN_OUT"
setpriv --reuid="$OWNER" --regid="$(id -g "$OWNER")" --clear-groups -- sleep 300 &
VICTIM=$!
_SWARM_PIDS+=("$VICTIM")
owner_said() { [[ $ERR == *"running the engine as $OWNER (uid $(id -u "$OWNER")), the save dir's owner"* ]]; }
ATTEMPT_OUT=$OWN_OUT attempt "signal:$VICTIM" required
swarm_check "as the save dir's owner: the engine runs as $OWNER (said)" owner_said
swarm_check "as the save dir's owner: SIGKILL to the owner's own process: the engine is killed (seccomp)" killed
swarm_check "as the save dir's owner: the owner's process is still alive" kill -0 "$VICTIM"
ATTEMPT_OUT=$OWN_OUT attempt ptrace required
swarm_check "as the save dir's owner: ptrace: killed (seccomp)" killed
ATTEMPT_OUT=$OWN_OUT attempt processes required
swarm_check "as the save dir's owner: the owner's other processes are invisible" blocked processes 'only itself'
ATTEMPT_OUT=$OWN_OUT attempt setuid-file required
no_setuid_left() { [[ -z $(find "$OWN_OUT" -perm /6000 -print -quit) ]]; }
swarm_check "as the save dir's owner: create a setuid file of theirs: killed (seccomp), none left" \
	eval 'killed && no_setuid_left'

# The user's terminal: the client runs on a real pty (script(1)), so its
# stdin, stdout and stderr are a terminal as for a person. The engine must
# hold none of it: it tries to find a tty among fds 0..2 and writes a window
# title, a cursor query and a fake green "meerko-secure: done" to fd 2. What
# arrives must be sanitised (no ESC byte at all: progress is off, so the
# broker prints none either) and behind "meerko-engine: ".
attempt_on_pty() { # NAME SANDBOX -> sets RC, ERR (everything the pty showed)
	write_config "$2"
	local log="$SWARM_LOGS/$1-$2" cmd
	printf -v cmd '%q ' timeout -k 5 60 "$BIN/meerko-secure" --config "$CONFIG" -o "$OUT" \
		"magnet:?xt=urn:btih:$HASH&dn=escape-$1"
	RC=0
	script -qec "$cmd" /dev/null >"$log.pty" </dev/null || RC=$?
	ERR=$(tr -d '\r' <"$log.pty")
	swarm_log "escape $1 (sandbox $2, on a pty): rc=$RC: $(cat -v "$log.pty")"
}
no_raw_escape() { ! grep -q $'\e' "$SWARM_LOGS/terminal-required.pty"; }
# A line that starts (after a carriage return or escape sequences) with the
# broker's words, as a terminal would show it.
no_fake_broker_line() {
	! grep -Pq '(^|\r)(\e\][^\a]*\a|\e\[[0-9;?]*[A-Za-z])*meerko-secure: done' \
		"$SWARM_LOGS/terminal-required.pty"
}
engine_text_prefixed() { grep -q '^meerko-engine: .*meerko-secure: done' <<<"$ERR"; }
attempt_on_pty terminal required
swarm_check "engine looks for a tty among fds 0..2: blocked (stderr is a pipe, rc=$RC)" \
	blocked terminal 'no fd of 0..2 is a tty'
swarm_check "engine writes escapes to fd 2: no raw ESC byte reaches the terminal" no_raw_escape
swarm_check "engine prints a fake 'meerko-secure: done': no line starts with it" no_fake_broker_line
swarm_check "what the engine wrote arrives sanitised behind 'meerko-engine: '" engine_text_prefixed

# Sanitizer builds: a finding in the confined engine is reported in full
# (symbolized) and ends the engine with SIGABRT, not with SIGSYS from a
# call of the sanitizer runtime that seccomp forbids: proof that the
# sanitizer rows of the policy suffice and that findings fail loudly. The
# expected report is then removed, so the harness does not count it.
reported() {
	[[ $RC == 7 && $ERR == *"ERROR: AddressSanitizer: heap-use-after-free"* &&
		$ERR == *"in try_sanitizer"*"escape_test.c"* && $ERR == *"killed by signal 6"* &&
		$ERR != *"confinement violation"* ]]
}
if grep -q '^MEERKO_SANITIZE:BOOL=ON' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
	attempt sanitizer required
	swarm_check "sanitizer build: a use after free in the confined engine is reported, symbolized, SIGABRT (rc=$RC)" reported
	if reported; then
		rm -f "$SWARM_LOGS/sanitizer-required".*
	fi
fi

# ---- Resource limits (the engine's own: broker/rlimits.c, relay.c).
# Threads: the user's process quota (ulimit -u, here LIMIT for the client)
# must survive an engine that creates threads until it cannot. A fork by
# the same user (nobody: the engine's uid in both modes) while the engine
# holds its threads must work. As root the engine's cap is the uid's tasks
# at start + 64 + the relay's threads (<= 515); as a user, 64 in the
# engine's own user namespace.
USER_CONFIG=$SWARM_DIR/meerko-user.ini
mkdir -p "$SWARM_DIR/state-user"
chown nobody "$SWARM_DIR/state-user"
write_user_config() {
	printf '[proxy]\nhost = %s\nport = %s\n[ui]\nprogress = none\n[sandbox]\nmode = required\n[killswitch]\nmax_restarts = 0\n[state]\ndir = %s\n' \
		"$SWARM_PROXY_IP" "$SWARM_PROXY_PORT" "$SWARM_DIR/state-user" >"$USER_CONFIG"
	chown nobody "$USER_CONFIG"
	chmod 600 "$USER_CONFIG"
}
nobody_tasks() { ps -L -u nobody --no-headers | wc -l; }
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
attempt_bg() { # NAME AS(root|user) PRLIMIT-OPTION...: starts meerko, sets MEERKO_PID, LOG
	local name=$1 as=$2 runas=() config=$CONFIG
	shift 2
	write_config required
	if [[ $as == user ]]; then
		write_user_config
		runas=("${NOBODY[@]}")
		config=$USER_CONFIG
	fi
	LOG=$SWARM_LOGS/$name-$as
	timeout -k 5 90 prlimit "$@" -- "${runas[@]}" "$BIN/meerko-secure" --config "$config" -o "$OUT" \
		"magnet:?xt=urn:btih:$HASH&dn=escape-$name" >"$LOG.out" 2>"$LOG.err" </dev/null &
	MEERKO_PID=$!
}
finish_bg() { # NAME AS -> RC, ERR
	RC=0
	wait "$MEERKO_PID" || RC=$?
	ERR=$(cat "$LOG.err")
	swarm_log "escape $1 (as $2): rc=$RC: $ERR"
}
user_can_fork() { # LIMIT: nobody, under ulimit -u LIMIT, starts a child
	"${NOBODY[@]}" prlimit --nproc="$1" -- /usr/bin/python3 -c '
import os
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
print("forked")' 2>&1 | grep -q '^forked$'
}
threads_attempt() { # AS
	local as=$1 base i
	base=$(nobody_tasks)
	QUOTA=$((base + 64 + 515 + 300))
	rm -f "$OUT"/escape-threads-*
	attempt_bg threads "$as" --nproc="$QUOTA"
	for ((i = 0; i < 300; i++)); do
		[[ ! -e $OUT/escape-threads-holding ]] || break
		sleep 0.1
	done
	FORKED=0
	user_can_fork "$QUOTA" && FORKED=1
	swarm_log "threads ($as): nobody had $base tasks, quota $QUOTA, $(nobody_tasks) while the engine held its threads, fork as nobody: $FORKED"
	touch "$OUT/escape-threads-release"
	finish_bg threads "$as"
	rm -f "$OUT"/escape-threads-*
	THREADS=$(sed -n 's/.*escape threads: blocked ([^)]* after \([0-9]*\) threads).*/\1/p' <<<"$ERR")
}
threads_capped() { # CAP
	[[ $FORKED == 1 && -n $THREADS ]] && ((THREADS < $1)) && blocked threads 'EAGAIN'
}
threads_attempt user
swarm_check "threads (as a user): stop at the engine's cap of 64 (got ${THREADS:-none}) and the user can still fork" \
	threads_capped 64
threads_attempt root
swarm_check "threads (as root, engine as nobody): stop before the user's quota (got ${THREADS:-none}) and nobody can still fork" \
	threads_capped $((QUOTA - 300))

# Memory: 3 GiB malloc'd and touched must fail at RLIMIT_DATA (1024 MiB).
# Sanitizer builds do not set RLIMIT_DATA (their shadow memory exceeds it).
if ! grep -q '^MEERKO_SANITIZE:BOOL=ON' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
	attempt memory required
	swarm_check "memory: 3 GiB allocated and touched: refused (ENOMEM) below 1024 MiB" \
		blocked memory 'ENOMEM.*after ([0-9]|[1-9][0-9]|[1-9][0-9][0-9]|10[01][0-9]) MiB'
fi

# The way around RLIMIT_DATA: shared anonymous memory (not counted by it).
attempt memory-shared required
swarm_check "memory-shared: 3 GiB of MAP_SHARED|MAP_ANONYMOUS: the engine is killed (seccomp)" killed

# File size: before any file list, no file may grow past 16 MiB.
attempt bigfile required
swarm_check "bigfile: writing past RLIMIT_FSIZE in the save dir fails with EFBIG (no silent death by SIGXFSZ)" \
	blocked bigfile 'EFBIG'
[[ ! -e $OUT/escape-bigfile ]] || rm -f "$OUT/escape-bigfile"

# Relay descriptors: with the client's RLIMIT_NOFILE at 1024 (a common
# default), 1100 connections held open through the relay must be refused
# past its cap, reported as the engine's doing, never as "proxy down".
attempt_bg relay-fds root --nofile=1024
finish_bg relay-fds root
relay_refused() {
	blocked relay-fds 'refused' && [[ $ERR == *"the engine opened too many connections"* && $ERR != *"proxy down"* ]]
}
swarm_check "relay-fds: 1100 connections with 1024 descriptors: refused past the relay's cap, 'too many connections', no 'proxy down'" \
	relay_refused
# A hostile engine's memory bomb: one 16 MiB frame of ~8 million empty
# entries, which protobuf-c once unpacked into 1.39 GB (Status) / 870 MB
# (FileList) of the broker's heap. The broker must refuse it before
# unpacking and stop the engine; the peak RSS of the client's processes
# (broker, engine, relay: RUSAGE_CHILDREN) stays far below that.
MAXRSS=$SWARM_DIR/maxrss
# shellcheck disable=SC2016
RUN_PREFIX=(/usr/bin/python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)' "$MAXRSS")
refused_small() { # REASON: refused with a clear line, peak RSS < 256 MiB
	local kb
	kb=$(cat "$MAXRSS")
	swarm_log "peak RSS of the client's processes: $kb KiB"
	[[ $RC == 7 && $ERR == *"engine protocol violation: $1; stopped it"* && $ERR != *SUCCEEDED* ]] &&
		((kb < 262144))
}
attempt ipc-bomb required
swarm_check "a 16 MiB Status of empty entries: refused before unpacking, engine stopped, RSS small" \
	refused_small "status for more torrents than the broker can add"
attempt ipc-bomb:files required
swarm_check "a 16 MiB FileList of empty entries: refused before unpacking, engine stopped, RSS small" \
	refused_small "file list longer than the file limit"
RUN_PREFIX=()

# Poisoned resume data: the engine sends resume data for the real torrent
# with a payload key, peer lists, its own tracker, seed_mode and every piece
# marked verified, then crashes. What the broker stores must hold none of it
# (no piece claims either: an engine that crashed is not believed). Then,
# with the unclean-stop marker gone (as after a later run that stopped
# cleanly without rewriting this torrent's state), the real engine resumes
# from what was stored, over files of the right size and wrong content: it
# must check them and download, not believe the poison.
POISON_OUT=$SWARM_DIR/out-poison
STATE_DIR=$SWARM_DIR/state-poison
mkdir -p "$POISON_OUT/payload" "$STATE_DIR"
for f in "$SEED/payload"/*; do
	head -c "$(stat -c %s "$f")" /dev/zero >"$POISON_OUT/payload/${f##*/}"
done
/usr/bin/python3 - "$SWARM_DIR/t.torrent" "$POISON_OUT/poison.resume" <<'PY'
import hashlib, sys
import libtorrent as lt
ti = lt.torrent_info(sys.argv[1])
info = ti.info_section()
def s(b): return b"%d:%s" % (len(b), b)
entries = [  # sorted by key: canonical bencode
    (b"file-format", s(b"libtorrent resume file")), (b"file-version", b"i1e"),
    (b"info", info), (b"info-hash", s(hashlib.sha1(info).digest())),
    (b"payload", s(b"EVIL-PERSISTENT-PAYLOAD")), (b"peers", s(b"\x0a\x09\x09\x09\x1a\xe1")),
    (b"pieces", s(b"\x03" * ti.num_pieces())), (b"seed_mode", b"i1e"),
    (b"trackers", b"ll" + s(b"http://evil.example/announce") + b"ee")]
open(sys.argv[2], "wb").write(b"d" + b"".join(s(k) + v for k, v in entries) + b"e")
PY
chmod 644 "$POISON_OUT/poison.resume"
chown -R nobody "$POISON_OUT"
POISON_HASH=$(/usr/bin/python3 -c 'import sys, libtorrent as lt; print(lt.torrent_info(sys.argv[1]).info_hashes().v1)' "$SWARM_DIR/t.torrent")
ATTEMPT_OUT=$POISON_OUT ATTEMPT_MAGNET="magnet:?xt=urn:btih:$POISON_HASH" \
	ATTEMPT_TAIL="&tr=$SWARM_ANNOUNCE_URL" attempt "resume-poison:/data/poison.resume" required # the save dir, as the engine sees it
STORED=$(compgen -G "$STATE_DIR/*.resume" | head -n 1 || true)
stored_keys() { # the top-level keys of the stored resume data, sorted, one line
	/usr/bin/python3 -c 'import sys, libtorrent as lt
d = lt.bdecode(open(sys.argv[1], "rb").read())
print(" ".join(sorted(k.decode() for k in d)) if isinstance(d, dict) else "not-a-dict")' "$1"
}
stored_clean() {
	[[ $RC == 7 && -n $STORED ]] || return 1
	local keys
	keys=$(stored_keys "$STORED")
	swarm_log "stored resume data keys: $keys"
	[[ $keys == "file-format file-version info info-hash" ]] && ! grep -aq EVIL "$STORED"
}
swarm_check "poisoned resume data: stored without the payload, peers, tracker, seed_mode, piece claims" stored_clean
rm -f -- "$STORED.running"
BIN_REAL=$SWARM_DIR/bin-real
mkdir -p "$BIN_REAL"
cp "$BUILD_DIR/bin/meerko-secure" "$BUILD_DIR/bin/meerko-engine" "$BIN_REAL/"
chmod 755 "$BIN_REAL" "$BIN_REAL"/*
write_config required
RC=0
timeout -k 5 120 "$BIN_REAL/meerko-secure" --config "$CONFIG" -o "$POISON_OUT" \
	"magnet:?xt=urn:btih:$POISON_HASH&dn=escape-resume-poison:/data/poison.resume&tr=$SWARM_ANNOUNCE_URL" \
	>"$SWARM_LOGS/resume-rerun.out" 2>"$SWARM_LOGS/resume-rerun.err" </dev/null || RC=$?
swarm_log "rerun after the poison: rc=$RC: $(cat "$SWARM_LOGS/resume-rerun.err")"
swarm_check "rerun over wrong files: pieces checked and downloaded, not believed (rc=$RC, SHA-256)" \
	swarm_sha256_check "$SEED/payload" "$POISON_OUT/payload"
unset STATE_DIR

# Negative controls: unconfined, the same attempts get through.
attempt connect off
swarm_check "control: unconfined, the direct connect succeeds" succeeded connect
attempt write-outside off
swarm_check "control: unconfined, the write outside succeeds" succeeded write-outside
attempt "host-view:$CONFIG" off
swarm_check "control: unconfined, stat sees the host" succeeded "host-view:$CONFIG"
attempt processes off
swarm_check "control: unconfined, the machine's processes are visible" succeeded processes
ATTEMPT_OUT=$OWN_OUT attempt setuid-file off
swarm_check "control: unconfined, the setuid file is created" succeeded setuid-file
rm -f "$OWN_OUT/escape-setuid"
rm -f /tmp/meerko-escape-* 2>/dev/null || true
swarm_summary
