#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (SC2119: optional args)
# test_audit.sh - `meerko-leaktest audit` on a real loopback swarm of this
# test's own (opentracker, an aria2c seeder, microsocks), in a network
# namespace of its own:
#   1. a client without SOCKS support (aria2c, no proxy settings) downloads
#      straight from the seeder: nothing goes to the proxy, its flows stay on
#      loopback. The audit must not call that CLEAN: verdict NO-PROXY, "the
#      client never used the proxy", exit 3, its loopback flows "not judged";
#   2. meerko-secure through the proxy (sandbox on): CLEAN, exit 0, the
#      download's SHA-256 right (the proxy's own loopback flows not judged).
# Usage: test_audit.sh [BUILD_DIR]
# Exit: 0 pass, 1 fail, 77 skip (MEERKO_REQUIRE_ALL=1 turns skips into fails).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:-${BUILD_DIR:-build}}
LEAKTEST_BIN=${LEAKTEST_BIN:-$BUILD_DIR/bin/meerko-leaktest}
MEERKO_BIN=${MEERKO_BIN:-$BUILD_DIR/bin/meerko-secure}
# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"
swarm_isolate "$@"
swarm_require_root
swarm_require_cmds opentracker microsocks aria2c mktorrent transmission-show timeout sha256sum
[[ -x $LEAKTEST_BIN && -x $MEERKO_BIN ]] || swarm_skip_or_fail "not built: $LEAKTEST_BIN, $MEERKO_BIN"
swarm_init

SEED=$SWARM_DIR/seed
TORRENT=$SWARM_DIR/t.torrent
swarm_make_payload "$SEED/payload" 2 2
swarm_make_torrent "$SEED/payload" "$TORRENT"
swarm_start_tracker "$TORRENT"
swarm_start_microsocks
swarm_start_seeder_aria2 "$TORRENT" "$SEED"
PROXY=$SWARM_PROXY_IP:$SWARM_PROXY_PORT

# 1. aria2c with no proxy settings: straight to the tracker and the seeder.
DIRECT=$SWARM_DIR/direct
mkdir -p "$DIRECT"
rc=0
timeout -k 5 90 "$LEAKTEST_BIN" audit --proxy "$PROXY" -- aria2c --no-conf=true \
	--listen-port=6899 --enable-dht=false --enable-dht6=false --bt-enable-lpd=false \
	--enable-peer-exchange=false --seed-time=0 --file-allocation=none --summary-interval=0 \
	--console-log-level=warn --dir="$DIRECT" "$TORRENT" >"$SWARM_LOGS/audit-direct.out" 2>&1 || rc=$?
D=$SWARM_LOGS/audit-direct.out
swarm_check "no proxy: aria2c really downloaded from the seeder (SHA-256)" \
	swarm_sha256_check "$SEED/payload" "$DIRECT/payload"
swarm_check "no proxy: exit 3, the client never used the proxy (rc=$rc)" test "$rc" -eq 3
swarm_check "no proxy: the verdict is NO-PROXY and names it" \
	grep -qE '^  verdict +NO-PROXY \(the client never used the proxy' "$D"
never_clean() { ! grep -q CLEAN "$1"; }
swarm_check "no proxy: the report never says CLEAN" never_clean "$D"
swarm_check "no proxy: its loopback flows are counted as not judged" \
	grep -qE 'flows +[0-9]+: 0 to the proxy, [1-9][0-9]* loopback not judged' "$D"
swarm_check "no proxy: the summary says exit 3, never used the proxy" \
	grep -q 'exit 3: the client never used the proxy' "$D"

# 2. meerko-secure through the proxy: clean.
OUT=$SWARM_DIR/out
CONFIG=$SWARM_DIR/meerko.ini
mkdir -p "$OUT"
chown nobody "$OUT"
swarm_meerko_config "$CONFIG" "[ui]" "progress = plain" "[sandbox]" "mode = required"
rc=0
timeout -k 5 120 env -u SUDO_UID -u SUDO_GID "$LEAKTEST_BIN" audit --proxy "$PROXY" -- \
	"$MEERKO_BIN" --config "$CONFIG" -o "$OUT" "$TORRENT" >"$SWARM_LOGS/audit-meerko.out" 2>&1 || rc=$?
M=$SWARM_LOGS/audit-meerko.out
swarm_check "meerko through the proxy: every file's SHA-256 right" \
	swarm_sha256_check "$SEED/payload" "$OUT/payload"
swarm_check "meerko through the proxy: exit 0 (rc=$rc)" test "$rc" -eq 0
swarm_check "meerko through the proxy: verdict CLEAN" grep -qE '^  verdict +CLEAN \(no leak' "$M"
swarm_check "meerko through the proxy: it did use the proxy" \
	grep -qE '^  into proxy +[1-9][0-9]* packets scanned' "$M"

if ((SWARM_FAILED > 0)); then
	for f in "$D" "$M"; do
		printf '\n----- %s -----\n' "$f"
		tail -n 40 "$f" | cut -c1-300
	done
fi
swarm_summary
