#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_engine_surface.sh - a compromised engine sends what the engine->broker
# table (broker/engine_surface.c, docs/ipc.md) does not permit now: the broker
# must stop it, with "unpermitted" on one line and exit 7, and take nothing
# from the message.
#
# Uses the test-only engine build (bin-escape/meerko-engine, see
# test_escape.sh): a magnet whose dn is "escape-out-of-turn:KIND" makes the
# engine send KIND out of turn while it runs; a marker file in the save dir
# makes it send ResumeData before its Ready. Each check fails without its
# row's rule: without the phase rule a second Ready or an unasked
# ShutdownDone is taken (the run ends with the attempt's own failure, exit
# 3, and an unasked ShutdownDone would mark the stop clean); without the
# once rule a second FileList is refused only by its check, with another line.
# Usage: test_engine_surface.sh BUILD_DIR
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:?build dir}
# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"
swarm_isolate "$@"
swarm_require_root
swarm_require_cmds microsocks
[[ -x $BUILD_DIR/bin-escape/meerko-engine ]] || swarm_skip_or_fail "test engine not built: $BUILD_DIR/bin-escape/meerko-engine"
swarm_init

# The real broker with the escape engine, where nobody can run it.
BIN=$SWARM_DIR/bin
mkdir -p "$BIN"
cp "$BUILD_DIR/bin/meerko-secure" "$BIN/"
cp "$BUILD_DIR/bin-escape/meerko-engine" "$BIN/meerko-engine"
chmod 755 "$BIN" "$BIN"/*
OUT=$SWARM_DIR/out
STATE=$SWARM_DIR/state
mkdir -p "$OUT" "$STATE"
chown nobody "$OUT"
swarm_start_microsocks

CONFIG=$SWARM_DIR/meerko.ini
printf '[proxy]\nhost = %s\nport = %s\n[ui]\nprogress = none\n[sandbox]\nmode = required\n[killswitch]\nmax_restarts = 0\n[state]\ndir = %s\n' \
	"$SWARM_PROXY_IP" "$SWARM_PROXY_PORT" "$STATE" >"$CONFIG"
HASH=0123456789abcdef0123456789abcdef01234567

attempt() { # NAME [ARG...] -> RC, ERR
	local name=$1 log="$SWARM_LOGS/${1//[:\/]/_}"
	shift
	RC=0
	timeout -k 5 60 "$BIN/meerko-secure" --config "$CONFIG" -o "$OUT" "$@" \
		"magnet:?xt=urn:btih:$HASH&dn=escape-$name" >"$log.out" 2>"$log.err" </dev/null || RC=$?
	ERR=$(cat "$log.err")
	swarm_log "escape $name: rc=$RC: $ERR"
}
stopped_with() { # LINE: exit 7, that line, the attempt never reported success
	[[ $RC == 7 && $ERR == *"meerko-secure: engine $1; stopped it"* && $ERR != *SUCCEEDED* ]]
}

attempt out-of-turn:ready
swarm_check "a second Ready while running: engine stopped, 'unpermitted while running' (rc=$RC)" \
	stopped_with "sent Ready, unpermitted while running"
attempt out-of-turn:shutdown-done
swarm_check "ShutdownDone before any Shutdown (a false clean stop): engine stopped (rc=$RC)" \
	stopped_with "sent ShutdownDone, unpermitted while running"
attempt out-of-turn:file-list-twice --files 0
swarm_check "a second FileList for the same torrent: engine stopped, once per torrent (rc=$RC)" \
	stopped_with "sent a second FileList for torrent 1, unpermitted (once per torrent)"

# ResumeData, the only message that leads to a file write, before Ready:
# no torrent is added yet, nothing may be written.
install -o nobody -m 644 /dev/null "$OUT/.meerko-escape-resume-before-ready"
attempt resume-before-ready
rm -f "$OUT/.meerko-escape-resume-before-ready"
nothing_stored() { [[ -z $(find "$STATE" -name '*.resume' -print -quit) ]]; }
swarm_check "ResumeData before Ready: engine stopped, 'unpermitted while starting' (rc=$RC)" \
	stopped_with "sent ResumeData, unpermitted while starting"
swarm_check "ResumeData before Ready: no resume data stored" nothing_stored

# Control: the same engine, asked for nothing out of turn, is not stopped by
# the table (its attempt ends the run as a failed add, exit 3).
attempt out-of-turn:none
swarm_check "control: an attempt that sends nothing out of turn ends as a failed add, not 'unpermitted' (rc=$RC)" \
	eval '[[ $RC == 3 && $ERR == *"escape out-of-turn:none: unknown kind"* && $ERR != *unpermitted* ]]'
swarm_summary
