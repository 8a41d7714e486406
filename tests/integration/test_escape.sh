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
		printf '[proxy]\nhost = %s\nport = %s\n[ui]\nprogress = none\n[sandbox]\nmode = %s\n[killswitch]\nmax_restarts = 0\n[state]\ndir = %s\n' \
			"$SWARM_PROXY_IP" "$SWARM_PROXY_PORT" "$1" "$SWARM_DIR/state" >"$CONFIG"
	)
}
HASH=0123456789abcdef0123456789abcdef01234567

attempt() { # NAME SANDBOX -> sets RC, ERR
	write_config "$2"
	local log="$SWARM_LOGS/${1%%:*}-$2"
	RC=0
	timeout -k 5 60 "$BIN/meerko-secure" --config "$CONFIG" -o "$OUT" \
		"magnet:?xt=urn:btih:$HASH&dn=escape-$1" >"$log.out" 2>"$log.err" </dev/null || RC=$?
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
swarm_check "write outside the save dir: blocked (Landlock)" blocked write-outside 'denied|Permission'
attempt packet required
# seccomp allows only AF_UNIX/AF_INET/AF_INET6 sockets; other families kill.
swarm_check "AF_PACKET socket: the engine is killed (seccomp), reported as a confinement violation" killed
attempt "read-secret:$CONFIG" required
swarm_check "read the proxy password (config, /proc of the broker, /etc/meerko): blocked" \
	blocked "read-secret:$CONFIG" 'EACCES|ENOENT|denied'

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

# Negative controls: unconfined, the same attempts get through.
attempt connect off
swarm_check "control: unconfined, the direct connect succeeds" succeeded connect
attempt write-outside off
swarm_check "control: unconfined, the write outside succeeds" succeeded write-outside
rm -f /tmp/meerko-escape-* 2>/dev/null || true
swarm_summary
