#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_names.sh - file names in several scripts reach the disk byte for byte.
#
# A torrent whose paths are UTF-8 in Latin with accents, Cyrillic, Greek, CJK
# and an emoji (a 4-byte sequence) is downloaded through a real SOCKS5 proxy
# (microsocks) from an aria2c seeder; every file must exist at exactly the
# byte path the torrent names, with the right SHA-256, and nothing else may
# exist (libtorrent in the "C" locale turns every non-ASCII byte into '.':
# `naïve café.dat` became `na.ve caf..dat`).
#
#   tracker opentracker 127.0.0.1   proxy microsocks 127.0.0.3
#   seeder  aria2c      127.0.0.4
#
# Scenarios (first argument):
#   sandbox    [sandbox] mode = required (as root: the engine runs as nobody
#              in its own mount namespace, where only /usr, /lib* ... exist)
#   nosandbox  --sandbox off
#   resume     sandbox on, slowed to 1 MiB/s and stopped with SIGINT part-way
#              (exit 130), then rerun: the rerun finishes the same paths
#              (resume data and the partial files are found, nothing is
#              downloaded twice at another name)
#   --list shows the same names (checked in every scenario).
#
# Usage: test_names.sh BUILD_DIR SCENARIO
# Exit: 0 pass, 1 fail, 77 skip (MEERKO_REQUIRE_ALL=1 turns skips into fails).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:-${BUILD_DIR:-build}}
SCENARIO=${2:-sandbox}
MEERKO_BIN=${MEERKO_BIN:-$BUILD_DIR/bin/meerko-secure}

# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"

swarm_isolate "$@"
swarm_require_root
swarm_require_cmds opentracker microsocks aria2c mktorrent transmission-show ss timeout sha256sum
swarm_require_meerko

swarm_init

SEED=$SWARM_DIR/seed
PAYLOAD=$SEED/payload
TORRENT=$SWARM_DIR/names.torrent
OUT=$SWARM_DIR/out
CONFIG=$SWARM_DIR/meerko.ini
export XDG_STATE_HOME=$SWARM_DIR/state
mkdir -p "$OUT" "$XDG_STATE_HOME"
chown nobody "$OUT" # the sandboxed engine runs as nobody

# One file per script; sizes off piece boundaries, so pieces span names.
NAMES=(
	"sub dir/ünïcødé/naïve café.dat"
	"Кириллица/файл данных.bin"
	"Ελληνικά/αρχείο.bin"
	"日本語/中文文件名.bin"
	"emoji 🎵 music.bin"
)
mkdir -p "$PAYLOAD"
size=$((1536 * 1024 + 777))
for name in "${NAMES[@]}"; do
	mkdir -p "$PAYLOAD/$(dirname "$name")"
	head -c "$size" /dev/urandom >"$PAYLOAD/$name"
	size=$((size + 54321))
done
swarm_make_torrent "$PAYLOAD" "$TORRENT"
chmod 644 "$TORRENT"

swarm_start_tracker "$TORRENT"
swarm_start_microsocks
swarm_start_seeder_aria2 "$TORRENT" "$SEED"
sandbox=required
[[ $SCENARIO == nosandbox ]] && sandbox=off
swarm_meerko_config "$CONFIG" "[ui]" "progress = plain" "plain_interval = 1" "[sandbox]" "mode = $sandbox"

meerko() { # NAME ARGS...: rc in $rc
	swarm_meerko "$1" 120 --config "$CONFIG" -o "$OUT" "${@:2}"
	rc=$SWARM_RC
}

# every name at its exact bytes below OUT/payload, and nothing else there
exact_names() {
	local name bad=0 got
	for name in "${NAMES[@]}"; do
		[[ -f $OUT/payload/$name ]] || { printf '    missing: %q\n' "$name"; bad=1; }
	done
	got=$(cd "$OUT/payload" 2>/dev/null && find . -type f | LC_ALL=C sort | sed 's|^\./||')
	if [[ $got != "$(printf '%s\n' "${NAMES[@]}" | LC_ALL=C sort)" ]]; then
		printf '    on disk:\n'
		sed 's/^/      /' <<<"$got"
		bad=1
	fi
	return "$bad"
}

listed_names() { # every name appears in --list, exactly
	local name bad=0
	for name in "${NAMES[@]}"; do
		grep -qF -- "payload/$name" "$SWARM_LOGS/list.out" || { printf '    not listed: %s\n' "$name"; bad=1; }
	done
	return "$bad"
}

meerko list --list "$TORRENT"
swarm_check "[$SCENARIO] --list exit 0 (rc=$rc)" test "$rc" -eq 0
swarm_check "[$SCENARIO] --list shows every name unchanged" listed_names

case $SCENARIO in
sandbox | nosandbox)
	meerko run --sandbox "$sandbox" "$TORRENT"
	swarm_check "[$SCENARIO] exit 0 (rc=$rc)" test "$rc" -eq 0
	;;
resume)
	timeout -k 5 120 "$MEERKO_BIN" --config "$CONFIG" -o "$OUT" --max-down 1024 "$TORRENT" \
		>"$SWARM_LOGS/part.out" 2>"$SWARM_LOGS/part.err" </dev/null &
	pid=$!
	_SWARM_PIDS+=("$pid")
	got_some() { grep -qE '^ *([2-9][0-9])(\.[0-9])?%' "$SWARM_LOGS/part.out"; }
	swarm_wait_for -t 60 -i 0.2 got_some || true
	kill -INT "$(pgrep -P "$pid" | head -n 1)" 2>/dev/null || true
	prc=0
	wait "$pid" || prc=$?
	swarm_check "[resume] the first run stopped part-way on SIGINT (rc=$prc)" test "$prc" -eq 130
	swarm_check "[resume] resume data was saved" compgen -G "$XDG_STATE_HOME/meerko/*.resume"
	meerko run "$TORRENT"
	swarm_check "[resume] the rerun finishes (rc=$rc)" test "$rc" -eq 0
	got=$(sed -n 's/.*(\([0-9]*\) bytes downloaded this run).*/\1/p' "$SWARM_LOGS/run.out" | tail -n 1)
	total=$(du -sb --apparent-size "$PAYLOAD" | cut -f1)
	swarm_check "[resume] the rerun fetched only the rest (${got:-?} of $total bytes)" \
		test "${got:-$total}" -lt "$total"
	;;
*) swarm_die "unknown scenario $SCENARIO" ;;
esac
swarm_check "[$SCENARIO] every file at its exact byte path, nothing else" exact_names
swarm_check "[$SCENARIO] every file's SHA-256 matches" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
if ((SWARM_FAILED > 0)); then
	for f in "$SWARM_LOGS"/*.err; do
		printf -- '----- %s\n' "${f##*/}"
		tail -n 10 "$f"
	done
fi
swarm_summary
