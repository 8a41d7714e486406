#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_userns_blocked.sh - where unprivileged user namespaces are forbidden,
# an ordinary user's run stops with exit 6 and one line that names the
# setting that forbids them (here user.max_user_namespaces = 0) and how to
# change it, instead of a guess; --sandbox-check says the same.
#
# The setting is changed only inside a throwaway user namespace owned by root
# (user.max_user_namespaces is per user namespace): the host's value is never
# touched, which the test checks. Inside it, nobody runs meerko-secure
# against a real microsocks (the proxy is probed before the sandbox is built).
# Usage: test_userns_blocked.sh BUILD_DIR
# Exit: 0 pass, 1 fail, 77 skip (MEERKO_REQUIRE_ALL=1 turns skips into fails).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:?build dir}
# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"
swarm_isolate "$@"
swarm_require_root
swarm_require_cmds microsocks unshare nsenter setpriv timeout mktorrent
swarm_init
BIN=$SWARM_DIR/bin
mkdir -p "$BIN" "$SWARM_DIR/out" "$SWARM_DIR/state"
cp "$BUILD_DIR/bin/meerko-secure" "$BUILD_DIR/bin/meerko-engine" "$BIN/"
chmod 755 "$BIN" "$BIN"/*
chown nobody "$SWARM_DIR/out" "$SWARM_DIR/state"
swarm_make_payload "$SWARM_DIR/seed/payload" 1 1
swarm_make_torrent "$SWARM_DIR/seed/payload" "$SWARM_DIR/t.torrent"
chmod 644 "$SWARM_DIR/t.torrent"
swarm_start_microsocks
swarm_meerko_config "$SWARM_DIR/meerko.ini" "[sandbox]" "mode = required" "[state]" "dir = $SWARM_DIR/state"
chown nobody "$SWARM_DIR/meerko.ini"
host_before=$(cat /proc/sys/user/max_user_namespaces)

# A user namespace owned by root, every id mapped to itself.
unshare --user sleep 300 &
holder=$!
_SWARM_PIDS+=("$holder")
holder_in_own_ns() { [[ $(readlink "/proc/$holder/ns/user") != "$(readlink /proc/self/ns/user)" ]]; }
swarm_wait_for -t 5 -i 0.05 holder_in_own_ns || swarm_die "the holder of the user namespace did not start"
echo '0 0 4294967295' >"/proc/$holder/uid_map"
echo '0 0 4294967295' >"/proc/$holder/gid_map"

# in_blocked CMD...: CMD as nobody, in that namespace, with user.max_user_namespaces = 0 there
in_blocked() {
	nsenter --user --target "$holder" -- sh -c \
		'echo 0 >/proc/sys/user/max_user_namespaces && exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"' \
		sh "$@"
}
inner=$(nsenter --user --target "$holder" -- sh -c 'echo 0 >/proc/sys/user/max_user_namespaces; cat /proc/sys/user/max_user_namespaces')

rc=0
in_blocked timeout -k 5 60 "$BIN/meerko-secure" --config "$SWARM_DIR/meerko.ini" --progress none \
	-o "$SWARM_DIR/out" "$SWARM_DIR/t.torrent" >"$SWARM_LOGS/meerko.out" 2>"$SWARM_LOGS/meerko.err" || rc=$?
err=$(cat "$SWARM_LOGS/meerko.err")
printf 'stderr: %s\n' "$err"
crc=0
check=$(in_blocked "$BIN/meerko-secure" --sandbox-check 2>&1) || crc=$?
printf '%s\n' "$check"
host_after=$(cat /proc/sys/user/max_user_namespaces)

swarm_check "inside the test namespace user.max_user_namespaces is 0 (got $inner)" test "$inner" = 0
swarm_check "the host's user.max_user_namespaces is untouched ($host_before -> $host_after)" \
	test "$host_before" = "$host_after"
swarm_check "as nobody, namespaces forbidden: exit 6 (rc=$rc)" test "$rc" -eq 6
swarm_check "stderr is one line" test "$(wc -l <"$SWARM_LOGS/meerko.err")" -eq 1
swarm_check "the line names user.max_user_namespaces = 0 and the sysctl that allows them" \
	bash -c '[[ $1 == "meerko-secure: "*"user.max_user_namespaces = 0 "*"sysctl -w user.max_user_namespaces="* ]]' _ "$err"
swarm_check "--sandbox-check fails (exit 6, rc=$crc) and names the setting" \
	bash -c '(($1 == 6)) && grep -q "^user namespace .*user.max_user_namespaces = 0 " <<<"$2"' _ "$crc" "$check"
swarm_check "nothing was downloaded" test -z "$(find "$SWARM_DIR/out" -mindepth 1 -print -quit)"
swarm_summary
