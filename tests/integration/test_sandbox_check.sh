#!/usr/bin/env bash
# test_sandbox_check.sh - `meerko-secure --sandbox-check` builds the real
# sandbox and reports every layer active: as root (netns + drop to nobody)
# and as an ordinary user (unprivileged user namespace).
# Usage: test_sandbox_check.sh BUILD_DIR
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:?build dir}
# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"
swarm_isolate "$@"
swarm_require_root
swarm_require_cmds microsocks unshare script
swarm_init
BIN=$SWARM_DIR/bin
mkdir -p "$BIN"
cp "$BUILD_DIR/bin/meerko-secure" "$BUILD_DIR/bin/meerko-engine" "$BIN/"
chmod 755 "$BIN" "$BIN"/*
layers=(network\ namespace mount\ namespace pid\ namespace uts\ namespace ipc\ namespace
	relay capabilities no_new_privs seccomp landlock resource\ limits)
all_active() { # OUTPUT
	local l
	for l in "${layers[@]}"; do
		grep -Eq "^$l +active" <<<"$1" || { echo "layer '$l' not active"; return 1; }
	done
	grep -q "all required layers active" <<<"$1"
}
rc=0
out=$("$BIN/meerko-secure" --sandbox-check 2>&1) || rc=$?
printf '%s\n' "$out"
swarm_check "as root: exit 0 (rc=$rc)" test "$rc" -eq 0
swarm_check "as root: every layer active" all_active "$out"
swarm_check "as root: the user namespace is not needed" grep -q "^user namespace  *not used" <<<"$out"
# On a terminal, as a person runs it: the engine (which refuses to start
# holding a tty, engine/engine_confine.c) must be given none.
pty_all_active() { [[ $rc == 0 ]] && all_active "$out"; }
rc=0
out=$(script -qec "$(printf '%q' "$BIN/meerko-secure") --sandbox-check" /dev/null </dev/null | tr -d '\r') || rc=$?
printf '%s\n' "$out"
swarm_check "on a pty: exit 0 (rc=$rc), every layer active (the engine got no terminal)" pty_all_active
rc=0
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$BIN/meerko-secure" --sandbox-check 2>&1) || rc=$?
printf '%s\n' "$out"
swarm_check "as nobody: exit 0 (rc=$rc)" test "$rc" -eq 0
swarm_check "as nobody: every layer active" all_active "$out"
swarm_check "as nobody: an unprivileged user namespace" grep -Eq "^user namespace +active" <<<"$out"
swarm_check "Landlock is listed with its ABI" grep -Eq "^landlock +(active +ABI [0-9]+|UNAVAILABLE)" <<<"$out"

# A required layer that cannot be built stops everything: with no mount
# namespace left to create (a limit of 0, set in a user namespace of this
# test's own, so the machine's limits stay untouched; the broker runs as
# root there), a download refuses to start: exit 6, one line naming it.
no_mnt=(unshare --user --map-root-user -- sh -c 'echo 0 >/proc/sys/user/max_mnt_namespaces && exec "$@"' sh)
swarm_start_microsocks
mkdir -p "$SWARM_DIR/out"
swarm_meerko_config "$SWARM_DIR/m.ini" "[ui]" "progress = none"
printf 'd8:announce9:http://x/4:infod6:lengthi1e4:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee' >"$SWARM_DIR/t.torrent"
rc=0
out=$("${no_mnt[@]}" "$BIN/meerko-secure" --config "$SWARM_DIR/m.ini" -o "$SWARM_DIR/out" "$SWARM_DIR/t.torrent" 2>&1) || rc=$?
printf '%s\n' "$out"
swarm_check "no mount namespace possible: a download refuses to start, exit 6 (rc=$rc)" test "$rc" -eq 6
swarm_check "no mount namespace possible: one line says the engine's namespaces could not be made" \
	grep -q "cannot create the engine's namespaces (network, mount, PID, UTS, IPC)" <<<"$out"
swarm_check "no mount namespace possible: nothing was written to the save dir" \
	test -z "$(ls -A "$SWARM_DIR/out")"
swarm_summary
