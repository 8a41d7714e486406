#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (SC2119: optional args)
# scripts/demo.sh - Meerko's built-in local demo: a real swarm on loopback
# (opentracker, a microsocks SOCKS5 proxy, an aria2c seeder), a fresh 64 MiB
# two-file torrent, and meerko-secure downloading it through the proxy with
# live progress. It checks every file's SHA-256, shows which address the
# seeder saw (only the proxy's), and tears everything down. Builds nothing.
#
# Usage: scripts/demo.sh BUILD_DIR [--keep]
#   BUILD_DIR  holds bin/meerko-secure (or broker/meerko-secure);
#              MEERKO_BIN overrides the binary
#   --keep     keep the temp dir (torrent, files, logs) afterwards
# Environment: DEMO_SIZE_MB (64), MEERKO_DEMO_SANDBOX (required | off)
set -euo pipefail
ORIG_ARGS=("$@")

usage() {
	sed -n 's/^# \{0,1\}//; /^Usage:/,/^Environment:/p' "$0" >&2
	exit 2
}

(($# >= 1)) || usage
BUILD_DIR=$1
shift
KEEP=0
while (($# > 0)); do
	case $1 in
	--keep) KEEP=1 ;;
	-h | --help) usage ;;
	*) echo "demo.sh: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -z ${MEERKO_BIN:-} ]]; then
	MEERKO_BIN=$BUILD_DIR/bin/meerko-secure
	if [[ ! -x $MEERKO_BIN && -x $BUILD_DIR/broker/meerko-secure ]]; then
		MEERKO_BIN=$BUILD_DIR/broker/meerko-secure
	fi
fi
if [[ ! -x $MEERKO_BIN ]]; then
	echo "demo.sh: no meerko-secure at $MEERKO_BIN: build first (cmake -B $BUILD_DIR && cmake --build $BUILD_DIR)" >&2
	exit 1
fi
DEMO_SIZE_MB=${DEMO_SIZE_MB:-64}
SANDBOX=${MEERKO_DEMO_SANDBOX:-required}

missing=()
for c in opentracker microsocks aria2c mktorrent transmission-show ss sha256sum timeout; do
	command -v "$c" >/dev/null 2>&1 || missing+=("$c")
done
if ((${#missing[@]} > 0)); then
	echo "demo.sh: missing ${missing[*]}: run scripts/deps.sh first" >&2
	exit 1
fi

SWARM_KEEP=$KEEP
SWARM_QUIET=${SWARM_QUIET:-1}
SWARM_DUMP_ON_FAIL=0 # meerko-secure's own messages are on the terminal already
# shellcheck source=../tests/lib/swarm.sh
. "$ROOT/tests/lib/swarm.sh"

if [[ -t 1 ]]; then
	BOLD=$'\033[1m' PLAIN=$'\033[0m'
else
	BOLD="" PLAIN=""
fi
say() { printf '%sdemo:%s %s\n' "$BOLD" "$PLAIN" "$*"; }

swarm_isolate "${ORIG_ARGS[@]}"   # as root: a private network namespace, no port clashes
swarm_init
SEED=$SWARM_DIR/seed
PAYLOAD=$SEED/meerko-demo
TORRENT=$SWARM_DIR/meerko-demo.torrent
OUT=$SWARM_DIR/downloads
CONFIG=$SWARM_DIR/meerko.ini
mkdir -p "$OUT"
# As root, the sandboxed engine runs as the sudo user or nobody: let it write.
if ((EUID == 0)); then chown "${SUDO_UID:-nobody}" "$OUT"; fi

say "making a ${DEMO_SIZE_MB} MiB two-file torrent of random data"
swarm_make_payload "$PAYLOAD" 2 "$DEMO_SIZE_MB"
swarm_make_torrent "$PAYLOAD" "$TORRENT"
say "starting opentracker on $SWARM_TRACKER_IP:$SWARM_TRACKER_PORT"
swarm_start_tracker "$TORRENT"
say "starting the SOCKS5 proxy (microsocks) on $SWARM_PROXY_IP:$SWARM_PROXY_PORT"
swarm_start_microsocks
say "starting the seeder (aria2c) on $SWARM_SEED_IP:$SWARM_SEED_PORT; it checks its data first"
swarm_start_seeder_aria2 "$TORRENT" "$SEED"

swarm_meerko_config "$CONFIG" "[ui]" "progress = auto" "[sandbox]" "mode = $SANDBOX"

say "running: $MEERKO_BIN --config $CONFIG -o $OUT $TORRENT"
echo
rc=0
started=$(_swarm_now_ms)
# in the foreground: Ctrl-C reaches meerko-secure, then the trap tears down
"$MEERKO_BIN" --config "$CONFIG" -o "$OUT" "$TORRENT" || rc=$?
ms=$(($(_swarm_now_ms) - started))
echo
if ((rc != 0)); then
	say "meerko-secure exited $rc"
	if ((rc == 6)); then
		say "(6 = sandbox unavailable; MEERKO_DEMO_SANDBOX=off runs it without the sandbox)"
	fi
	((KEEP)) || say "(--keep keeps the swarm's logs for a look)"
	exit "$rc"
fi
say "meerko-secure finished in $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s"

say "checking every file's SHA-256 against the seeder's copy"
sha_rc=0
sha_report=$(swarm_sha256_check "$PAYLOAD" "$OUT/meerko-demo") || sha_rc=$?
printf '%s\n' "$sha_report" | sed 's/^/  /'
if ((sha_rc != 0)); then
	say "the download does not match the seeder's data"
	exit 1
fi
seen=$(swarm_seeder_peer_ips)
say "addresses the seeder saw: ${seen//$'\n'/ } (the proxy is $SWARM_PROXY_IP; a direct connection would come from 127.0.0.1)"
if ! swarm_only_ips "$SWARM_PROXY_IP" "$seen" >/dev/null; then
	say "unexpected: the seeder saw an address other than the proxy's"
	exit 1
fi

echo
say "where things are:"
printf '  torrent     %s\n  downloaded  %s\n  config      %s\n  logs        %s\n' \
	"$TORRENT" "$OUT/meerko-demo" "$CONFIG" "$SWARM_LOGS"
if ((KEEP)); then
	say "kept (--keep); remove with: rm -rf $SWARM_DIR"
else
	say "all of it is removed now (--keep keeps it); stopping tracker, proxy and seeder"
fi
