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
swarm_require_root
swarm_init
BIN=$SWARM_DIR/bin
mkdir -p "$BIN"
cp "$BUILD_DIR/bin/meerko-secure" "$BUILD_DIR/bin/meerko-engine" "$BIN/"
chmod 755 "$BIN" "$BIN"/*
layers=(network\ namespace relay capabilities no_new_privs seccomp landlock resource\ limits)
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
rc=0
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$BIN/meerko-secure" --sandbox-check 2>&1) || rc=$?
printf '%s\n' "$out"
swarm_check "as nobody: exit 0 (rc=$rc)" test "$rc" -eq 0
swarm_check "as nobody: every layer active" all_active "$out"
swarm_check "as nobody: an unprivileged user namespace" grep -Eq "^user namespace +active" <<<"$out"
swarm_summary
