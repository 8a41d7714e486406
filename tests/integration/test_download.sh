#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (SC2119: optional args)
# test_download.sh - Meerko downloads a real torrent through a real SOCKS5
# proxy on loopback, and nothing but the proxy reaches the tracker or the seeder.
#
#   tracker  opentracker  127.0.0.1:6969      (whitelisting the test torrent)
#   proxy    microsocks | danted (no auth)  127.0.0.3:1080
#   seeder   aria2c       127.0.0.4:6881      (logs every peer handshake)
#   capture  tcpdump on lo: tracker port and seeder port
#
# Checks: exit 0; every file's SHA-256; the seeder saw at least one peer and
# only 127.0.0.3; the capture shows only 127.0.0.3 talking to the tracker and
# to the seeder (the seeder's own 127.0.0.4 announces excluded); the peerId the
# seeder got is not libtorrent's "-LT" (anonymous mode randomizes it).
#
# Usage: test_download.sh [BUILD_DIR]
#   BUILD_DIR (or $BUILD_DIR, default ./build) holds bin/meerko-secure
#   (broker/meerko-secure is tried too); MEERKO_BIN overrides the binary.
#   PROXY=microsocks|dante runs one proxy kind; unset runs both, each in its
#   own swarm. MEERKO_TIMEOUT (120 s), MEERKO_TEST_SANDBOX (off|required),
#   MEERKO_TEST_AS (root|user|owner|rootdir): "user" runs meerko-secure as
#   nobody, so the sandbox takes the unprivileged user-namespace path; as root
#   it takes the CLONE_NEWNET + drop-to-nobody path (save dir owned by nobody).
#   "owner": as root, the save dir belongs to a temporary ordinary user, so
#   the engine runs as that user: the line saying so, and every file and dir
#   created owned by them. "rootdir": as root, a root-owned save dir (mode
#   0777): the engine stays nobody, no such line, every file nobody's.
#   SUDO_UID/SUDO_GID are unset for the client (root's own choice is tested).
# Exit: 0 pass, 1 fail, 77 skip (MEERKO_REQUIRE_ALL=1 turns skips into fails).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:-${BUILD_DIR:-build}}
if [[ -z ${MEERKO_BIN:-} ]]; then
	MEERKO_BIN=$BUILD_DIR/bin/meerko-secure
	if [[ ! -x $MEERKO_BIN && -x $BUILD_DIR/broker/meerko-secure ]]; then
		MEERKO_BIN=$BUILD_DIR/broker/meerko-secure
	fi
fi
MEERKO_TIMEOUT=${MEERKO_TIMEOUT:-120}
MEERKO_TEST_SANDBOX=${MEERKO_TEST_SANDBOX:-off}
MEERKO_TEST_AS=${MEERKO_TEST_AS:-root}
export MEERKO_BIN MEERKO_TIMEOUT MEERKO_TEST_SANDBOX MEERKO_TEST_AS

# ------------------------------------------------------------ both proxy kinds
if [[ -z ${PROXY:-} ]]; then
	passed=0 failed=0 skipped=0 results=""
	for kind in microsocks dante; do
		printf '=== PROXY=%s\n' "$kind"
		rc=0
		PROXY=$kind "$BASH" "${BASH_SOURCE[0]}" "$@" || rc=$?
		case $rc in
		0) passed=$((passed + 1)) results+=" $kind=pass" ;;
		77) skipped=$((skipped + 1)) results+=" $kind=skip" ;;
		*) failed=$((failed + 1)) results+=" $kind=FAIL(rc=$rc)" ;;
		esac
	done
	printf '=== proxies:%s\n' "$results"
	if ((skipped > 0)); then
		printf 'download: %d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
	else
		printf 'download: %d passed, %d failed\n' "$passed" "$failed"
	fi
	((failed == 0)) || exit 1
	((passed > 0)) || exit 77
	exit 0
fi

# ------------------------------------------------------------ one proxy kind
# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"

case $PROXY in
microsocks) proxy_cmd=microsocks ;;
dante) proxy_cmd=danted ;;
*)
	echo "test_download.sh: PROXY must be microsocks or dante (got '$PROXY')" >&2
	exit 2
	;;
esac

swarm_isolate "$@"
swarm_require_root
swarm_require_cmds opentracker "$proxy_cmd" aria2c mktorrent transmission-show tcpdump ss \
	setpriv timeout sha256sum
[[ -x $MEERKO_BIN ]] || swarm_skip_or_fail "meerko-secure not built: $MEERKO_BIN (pass BUILD_DIR or set MEERKO_BIN)"

swarm_init

SEED=$SWARM_DIR/seed
PAYLOAD=$SEED/payload
TORRENT=$SWARM_DIR/download-test.torrent
OUT=$SWARM_DIR/out
CONFIG=$SWARM_DIR/meerko.ini
mkdir -p "$OUT"

swarm_make_payload "$PAYLOAD" 3 8
swarm_make_torrent "$PAYLOAD" "$TORRENT"
# MEERKO_TEST_TRACKER_NAME=localhost: meerko gets a torrent whose announce URL
# names a host (same info dict, so the same swarm), which the sandboxed engine
# cannot resolve (no resolver is reachable): the proxy must. The seeder keeps
# the IP announce.
CLIENT_TORRENT=$TORRENT
if [[ -n ${MEERKO_TEST_TRACKER_NAME:-} ]]; then
	CLIENT_TORRENT=$SWARM_DIR/by-name.torrent
	SWARM_ANNOUNCE_URL="http://$MEERKO_TEST_TRACKER_NAME:$SWARM_TRACKER_PORT/announce" \
		swarm_make_torrent "$PAYLOAD" "$CLIENT_TORRENT"
	[[ $(swarm_infohash "$CLIENT_TORRENT") == $(swarm_infohash "$TORRENT") ]] ||
		swarm_die "the by-name torrent has another info-hash"
fi
swarm_start_tracker "$TORRENT"
if [[ $PROXY == microsocks ]]; then
	swarm_start_microsocks
else
	swarm_start_dante
fi
swarm_start_seeder_aria2 "$TORRENT" "$SEED"

swarm_meerko_config "$CONFIG" "[ui]" "progress = plain" "[sandbox]" "mode = $MEERKO_TEST_SANDBOX"

# Who runs the client. The sandboxed engine runs as nobody in both cases, so
# it must be able to write the save dir; as "user" the whole client is nobody,
# and runs from a copy of the binaries nobody can reach (the build dir may
# sit under a 0700 home).
runas=()
OWNER=""
if [[ $MEERKO_TEST_AS == owner ]]; then
	OWNER=mkown$$
	swarm_add_ordinary_user "$OWNER"
	chown "$OWNER:" "$OUT"
elif [[ $MEERKO_TEST_AS == rootdir ]]; then
	chown root:root "$OUT"
	chmod 0777 "$OUT"
elif [[ $MEERKO_TEST_SANDBOX == required || $MEERKO_TEST_AS == user ]]; then
	chown nobody "$OUT"
fi
if [[ $MEERKO_TEST_AS == user ]]; then
	mkdir -p "$SWARM_DIR/bin"
	cp "$MEERKO_BIN" "$(dirname "$MEERKO_BIN")/meerko-engine" "$SWARM_DIR/bin/"
	chmod 755 "$SWARM_DIR/bin" "$SWARM_DIR/bin/"*
	MEERKO_BIN=$SWARM_DIR/bin/meerko-secure
	chown nobody "$CONFIG"
	chmod 644 "$TORRENT" "$CLIENT_TORRENT"
	runas=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
fi

swarm_capture_start "port $SWARM_TRACKER_PORT or port $SWARM_SEED_PORT"

# progress lines go to stdout, messages to stderr: both land in files
# ($SWARM_LOGS/meerko.out, meerko.err) and are shown on failure
meerko_rc=0
started=$(date +%s)
swarm_run meerko "$MEERKO_TIMEOUT" env -u SUDO_UID -u SUDO_GID "${runas[@]}" "$MEERKO_BIN" --config "$CONFIG" -o "$OUT" "$CLIENT_TORRENT" || meerko_rc=$?
elapsed=$(($(date +%s) - started))

capture_ok=1
swarm_capture_stop || capture_ok=0

# ------------------------------------------------------------ checks
seeder_ips=$(swarm_seeder_peer_ips)
seeder_ids=$(swarm_seeder_peer_ids)
seed_port_ips=$(swarm_capture_src_ips "$SWARM_SEED_IP" "$SWARM_SEED_PORT" "$SWARM_SEED_IP" || true)
tracker_ips=$(swarm_tracker_saw "$SWARM_SEED_IP" || true)
swarm_log "meerko exited $meerko_rc after ${elapsed}s"
swarm_log "seeder log saw: ${seeder_ips//$'\n'/ }"
swarm_log "seeder peer ids: ${seeder_ids//$'\n'/ }"
swarm_log "capture, to the seeder port: ${seed_port_ips//$'\n'/ }"
swarm_log "capture, to the tracker: ${tracker_ips//$'\n'/ }"

no_lt_peer_id() {
	if [[ -z $1 ]]; then
		echo "the seeder logged no peerId at all"
		return 1
	fi
	if grep -q '^-LT' <<<"$1"; then
		echo "libtorrent's own peerId reached the seeder: $(grep '^-LT' <<<"$1" | head -n 1)"
		return 1
	fi
}

swarm_check "[$PROXY] meerko-secure exited 0 (sandbox $MEERKO_TEST_SANDBOX, as $MEERKO_TEST_AS, rc=$meerko_rc, ${elapsed}s)" test "$meerko_rc" -eq 0
swarm_check "[$PROXY] every file arrived with the right SHA-256" \
	swarm_sha256_check "$PAYLOAD" "$OUT/payload"
swarm_check "[$PROXY] the seeder saw peers, and only the proxy $SWARM_PROXY_IP" \
	swarm_only_ips "$SWARM_PROXY_IP" "$seeder_ips"
swarm_check "[$PROXY] the peerId is not libtorrent's -LT (anonymous mode)" no_lt_peer_id "$seeder_ids"
swarm_check "[$PROXY] the capture is complete" test "$capture_ok" = 1
swarm_check "[$PROXY] capture: only $SWARM_PROXY_IP reached the tracker" \
	swarm_only_ips "$SWARM_PROXY_IP" "$tracker_ips"
swarm_check "[$PROXY] capture: only $SWARM_PROXY_IP reached the seeder" \
	swarm_only_ips "$SWARM_PROXY_IP" "$seed_port_ips"

# Whose the downloaded files are: every file and dir below the save dir.
all_owned_by() { # USER
	local other
	other=$(find "$OUT" -mindepth 1 ! -user "$1" -printf '%u %p\n' | head -n 3)
	[[ -n $(find "$OUT" -mindepth 1 -print -quit) ]] || { echo "nothing below $OUT"; return 1; }
	[[ -z $other ]] || { echo "not owned by $1: $other"; return 1; }
}
owner_line="meerko-secure: running the engine as $OWNER (uid $(id -u "${OWNER:-root}")), the save dir's owner"
if [[ $MEERKO_TEST_AS == owner ]]; then
	swarm_check "[$PROXY] the save dir's owner $OWNER is said, once" \
		test "$(grep -cxF "$owner_line" "$SWARM_LOGS/meerko.err")" = 1
	swarm_check "[$PROXY] every file and dir created belongs to $OWNER" all_owned_by "$OWNER"
elif [[ $MEERKO_TEST_AS == rootdir ]]; then
	swarm_check "[$PROXY] a root-owned save dir: no owner line" \
		test "$(grep -c 'running the engine as' "$SWARM_LOGS/meerko.err")" = 0
	swarm_check "[$PROXY] a root-owned save dir: every file belongs to nobody" all_owned_by nobody
fi

if ((SWARM_FAILED > 0)); then
	for f in meerko.out meerko.err; do
		printf '\n----- %s (last 60 lines) -----\n' "$f"
		tail -n 60 "$SWARM_LOGS/$f" 2>/dev/null | cut -c1-300 || true
	done
	printf -- '----- end -----\n'
fi
swarm_summary
