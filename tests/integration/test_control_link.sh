#!/usr/bin/env bash
# test_control_link.sh - the broker's side of meerko-control
# (broker/control_link.c + control_surface.c), driven by Debian's
# transmission-remote: control_link_run spawns the REAL meerko-control
# through mk_control_link_start and answers with the surface table's real
# handlers. Checks: -si shows our versions and root, -pt says the port is
# closed, a torrent method gets the "not wired yet" error (not a crash);
# the child runs under seccomp (Seccomp: 2), with no_new_privs, an empty
# bounding set and, when started as root, not as root; it is restarted when
# killed, and exits 0 when the broker side closes the pair.
# Usage: test_control_link.sh BUILD_DIR. Exit 77 = skipped.
set -euo pipefail
BUILD=${1:?build dir}
CONTROL=$BUILD/bin/meerko-control
RUN=$BUILD/tests/integration/control_link_run
command -v transmission-remote >/dev/null || { echo "SKIP: transmission-remote not installed"; exit 77; }
[ -x "$CONTROL" ] && [ -x "$RUN" ] || { echo "FAIL: build $CONTROL and $RUN first"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/meerko-control-link.XXXXXX")
chmod 755 "$WORK"
ROOT=$WORK/downloads
mkdir -p "$ROOT"
USER_NAME=rpcuser PASS='pa ss'
cleanup() {
	exec 7>&- 2>/dev/null || true
	[ -n "${RUN_PID:-}" ] && { kill "$RUN_PID" 2>/dev/null || true; wait "$RUN_PID" 2>/dev/null || true; }
	rm -rf "$WORK"
}
trap cleanup EXIT
passed=0 failed=0
check() { # DESC CMD...
	local desc=$1; shift
	if "$@"; then echo "ok - $desc"; passed=$((passed + 1)); else echo "not ok - $desc"; failed=$((failed + 1)); fi
}
wait_for() { # FILE REGEX
	for _ in $(seq 100); do grep -Eq "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

mkfifo "$WORK/stdin"
"$RUN" "$CONTROL" "$ROOT" "$USER_NAME" "$PASS" <"$WORK/stdin" >"$WORK/run.out" 2>"$WORK/run.err" &
RUN_PID=$!
exec 7>"$WORK/stdin"
wait_for "$WORK/run.out" '^port ' || { cat "$WORK/run.err"; exit 1; }
read -r _ PORT _ PID <"$WORK/run.out"
wait_for "$WORK/run.err" 'log: meerko-control: serving' || { cat "$WORK/run.err"; exit 1; }
tr_remote() { transmission-remote "127.0.0.1:$PORT" -n "$USER_NAME:$PASS" "$@"; }
status_of() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

si=$(tr_remote -si 2>&1 || true)
echo "$si" | sed 's/^/# /'
check "-si: version 4.0.6 (meerko) from the real session-get handler" grep -q '4.0.6 (meerko)' <<<"$si"
check "-si: RPC version 17, minimum 14" bash -c 'grep -Eq "RPC version: *17" <<<"$1" && grep -Eq "RPC minimum version: *14" <<<"$1"' _ "$si"
check "-si: the download root" grep -qF "$ROOT" <<<"$si"
pt=$(tr_remote -pt 2>&1 || true)
check "-pt: port is not open (behind SOCKS5)" grep -q 'Port is open: No' <<<"$pt"
l=$(tr_remote -l 2>&1 || true)
check "-l: a torrent method answers 'not available yet', no crash" grep -q 'not available yet' <<<"$l"
check "the broker side logged the requests through the table" grep -q 'request session-get -> success' "$WORK/run.err"
check "meerko-control runs under seccomp (Seccomp: 2)" test "$(status_of "$PID" Seccomp)" = 2
check "... with no_new_privs" test "$(status_of "$PID" NoNewPrivs)" = 1
check "... with an empty bounding set" test "$(status_of "$PID" CapBnd)" = 0000000000000000
check "... with no capability" test "$(status_of "$PID" CapEff)" = 0000000000000000
uid=$(awk '$1 == "Uid:" { print $2 }' "/proc/$PID/status")
if [ "$(id -u)" = 0 ]; then
	check "started as root: meerko-control is not root (uid $uid)" test "$uid" != 0
else
	echo "# not root: the uid drop is not exercised (run as root for it)"
fi
check "its environment is empty" test ! -s "/proc/$PID/environ"
fds=$(ls "/proc/$PID/fd" | sort -n | tr '\n' ' ')
check "its fds are 0-4 and what it opened itself (epoll etc.), fds: $fds" bash -c '
	for fd in 0 1 2 3 4; do [ -e "/proc/$1/fd/$fd" ] || exit 1; done
	[ "$(readlink "/proc/$1/fd/0")" = /dev/null ] && [ "$(readlink "/proc/$1/fd/1")" = /dev/null ]' _ "$PID"

# killed -> restarted, and the new one serves
kill -9 "$PID"
wait_for "$WORK/run.out" '^restarted pid ' || true
NEW=$(awk '/^restarted pid/ { p = $3 } END { print p }' "$WORK/run.out")
check "killed meerko-control is restarted (new pid $NEW)" test -n "$NEW" -a "$NEW" != "$PID"
wait_for "$WORK/run.err" 'serving.*' || true
sleep 0.3
pt=$(tr_remote -pt 2>&1 || true)
check "the restarted one serves on the same socket" grep -q 'Port is open: No' <<<"$pt"

# closing the broker side: meerko-control exits 0
exec 7>&-
wait "$RUN_PID" || true
RUN_PID=
check "closing the pair: meerko-control exits 0" grep -q '^exit 0$' "$WORK/run.out"
check "no meerko-control left" bash -c '! kill -0 "$1" 2>/dev/null' _ "$NEW"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
