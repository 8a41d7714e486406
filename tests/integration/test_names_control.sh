#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_names_control.sh - file names with control characters are saved with
# '_' in their place, on disk and on screen, and names that then collide do
# not overwrite each other.
#
# A real torrent (made by python3-libtorrent, v1) whose paths hold a tab, an
# escape sequence, SOH/STX, DEL and a control character in a directory name,
# next to clean names they collide with once replaced, is downloaded through
# a real SOCKS5 proxy (microsocks) from a python3-libtorrent seeder. Every
# file must be at its replaced path (the table below) with the SHA-256 of the
# file it came from, nothing else may exist, and --list must show the same
# replaced names. Collisions are numbered ".1", ".2" before the extension, in
# the torrent's file order (libtorrent's own rule, which Meerko follows for
# DEL too). Once with the sandbox on, once with --sandbox off, then as a
# magnet (the names arrive with the metadata; sandbox on).
#
#   tracker opentracker 127.0.0.1   proxy microsocks 127.0.0.3
#   seeder  python3-libtorrent 127.0.0.4
#
# Usage: test_names_control.sh BUILD_DIR
# Exit: 0 pass, 1 fail, 77 skip (MEERKO_REQUIRE_ALL=1 turns skips into fails).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:-${BUILD_DIR:-build}}
MEERKO_BIN=${MEERKO_BIN:-$BUILD_DIR/bin/meerko-secure}
PY=${MEERKO_TEST_PYTHON:-/usr/bin/python3}

# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"

swarm_isolate "$@"
swarm_require_root
swarm_require_cmds opentracker microsocks transmission-show ss timeout sha256sum
swarm_require_libtorrent "$PY"
swarm_require_meerko

swarm_init

SRC=$SWARM_DIR/src  # the files under their raw names, as the torrent names them
SEED=$SWARM_DIR/seed
TORRENT=$SWARM_DIR/control.torrent
OUT=$SWARM_DIR/out
CONFIG=$SWARM_DIR/meerko.ini
export XDG_STATE_HOME=$SWARM_DIR/state
mkdir -p "$SRC/ctl" "$SEED" "$XDG_STATE_HOME"

# raw name (in torrent order) | where Meerko must put it (below OUT/ctl)
RAW=(
	$'tab\there.bin'
	$'esc\e[31mred.bin'
	$'a\x01b.bin'
	$'a\x02b.bin'
	'x_y.bin'
	$'x\x7fy.bin'
	$'del\x7fete.bin'
	$'dir\x1fname/inner.bin'
)
WANT=(
	'tab_here.bin'
	'esc_[31mred.bin'
	'a_b.bin'
	'a_b.1.bin'
	'x_y.bin'
	'x_y.1.bin'
	'del_ete.bin'
	'dir_name/inner.bin'
)
size=$((300 * 1024 + 123))
for raw in "${RAW[@]}"; do
	mkdir -p "$SRC/ctl/$(dirname "$raw")"
	head -c "$size" /dev/urandom >"$SRC/ctl/$raw"
	size=$((size + 40961))
done

# The torrent, in RAW's order; the seeder's copy of each file at the path its
# own libtorrent reads (it writes bytes < 0x20 as '_' but keeps DEL).
"$PY" - "$SRC" "$SEED" "$TORRENT" "$SWARM_ANNOUNCE_URL" "${RAW[@]}" <<'PYEOF' ||
import os, shutil, sys
import libtorrent as lt
src, seed, out, announce, raws = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
fs = lt.file_storage()
for r in raws:
    fs.add_file('ctl/' + r, os.path.getsize(os.path.join(src, 'ctl', r)))
t = lt.create_torrent(fs, 65536, flags=lt.create_torrent.v1_only)
t.add_tracker(announce)
lt.set_piece_hashes(t, src)
data = lt.bencode(t.generate())
assert b'x\x7fy.bin' in data and b'a\x01b.bin' in data, 'raw names not in the torrent'
open(out, 'wb').write(data)
f = lt.torrent_info(out).files()
for i, r in enumerate(raws):
    dst = os.path.join(seed, f.file_path(i))
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(os.path.join(src, 'ctl', r), dst)
PYEOF
	{ swarm_die "could not make the torrent with control characters (python3-libtorrent)"; exit 1; }
chmod 644 "$TORRENT"

swarm_start_tracker "$TORRENT"
swarm_start_microsocks
swarm_start_seeder_lt "$SEED" "$TORRENT"

meerko() { # NAME ARGS...: rc in $rc
	swarm_meerko "$1" 120 --config "$CONFIG" -o "$OUT" "${@:2}"
	rc=$SWARM_RC
}

# every file at its replaced path with its source's SHA-256, nothing else there
replaced_paths() {
	local i bad=0 got want
	for i in "${!RAW[@]}"; do
		want=$OUT/ctl/${WANT[i]}
		if [[ ! -f $want ]]; then
			printf '    missing: %q (from %q)\n' "ctl/${WANT[i]}" "ctl/${RAW[i]}"
			bad=1
		elif [[ $(sha256sum <"$want") != "$(sha256sum <"$SRC/ctl/${RAW[i]}")" ]]; then
			printf '    wrong content: %q (want that of %q)\n' "ctl/${WANT[i]}" "ctl/${RAW[i]}"
			bad=1
		fi
	done
	got=$(cd "$OUT" && find . -type f | LC_ALL=C sort | sed 's|^\./||')
	if [[ $got != "$(printf 'ctl/%s\n' "${WANT[@]}" | LC_ALL=C sort)" ]]; then
		printf '    on disk:\n'
		cat -v <<<"$got" | sed 's/^/      /'
		bad=1
	fi
	return "$bad"
}

listed_replaced() { # OUTFILE: every replaced name listed, no control byte
	local w bad=0
	for w in "${WANT[@]}"; do
		grep -qF -- " ctl/$w" "$1" || { printf '    not listed: ctl/%s\n' "$w"; bad=1; }
	done
	no_control_bytes "$1" || bad=1
	return "$bad"
}

no_control_bytes() { # FILE...
	local f
	for f in "$@"; do
		if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$f"; then
			printf '    a control byte in %s: %s\n' "${f##*/}" "$(cat -v "$f" | tr '\n' '|' | cut -c1-300)"
			return 1
		fi
	done
}

for sandbox in required off; do
	rm -rf "$OUT" "${XDG_STATE_HOME:?}"/*
	mkdir -p "$OUT"
	chown nobody "$OUT" # the sandboxed engine runs as nobody
	swarm_meerko_config "$CONFIG" "[sandbox]" "mode = $sandbox"
	meerko "list-$sandbox" --list "$TORRENT"
	swarm_check "[$sandbox] --list: exit 0 (rc=$rc)" test "$rc" -eq 0
	swarm_check "[$sandbox] --list shows the replaced names, no control byte" \
		listed_replaced "$SWARM_LOGS/list-$sandbox.out"
	meerko "run-$sandbox" --progress plain "$TORRENT"
	swarm_check "[$sandbox] the download finishes (rc=$rc)" test "$rc" -eq 0
	swarm_check "[$sandbox] every file at its replaced path with its SHA-256, nothing else" replaced_paths
	swarm_check "[$sandbox] no control byte in the run's output" no_control_bytes \
		"$SWARM_LOGS/run-$sandbox.out" "$SWARM_LOGS/run-$sandbox.err"
done
# A magnet: the names come with the metadata from the seeder, and are
# replaced the same way before any file exists (sandbox on).
HASH=$(swarm_infohash "$TORRENT")
MAGNET="magnet:?xt=urn:btih:$HASH&tr=$(sed 's/:/%3A/g; s|/|%2F|g' <<<"$SWARM_ANNOUNCE_URL")"
rm -rf "$OUT" "${XDG_STATE_HOME:?}"/*
mkdir -p "$OUT"
chown nobody "$OUT"
swarm_meerko_config "$CONFIG" "[sandbox]" "mode = required"
meerko list-magnet --list "$MAGNET"
swarm_check "[magnet] --list: exit 0 (rc=$rc)" test "$rc" -eq 0
swarm_check "[magnet] --list shows the replaced names, no control byte" listed_replaced "$SWARM_LOGS/list-magnet.out"
meerko run-magnet --progress plain "$MAGNET"
swarm_check "[magnet] the download finishes (rc=$rc)" test "$rc" -eq 0
swarm_check "[magnet] every file at its replaced path with its SHA-256, nothing else" replaced_paths

if ((SWARM_FAILED > 0)); then
	for f in "$SWARM_LOGS"/*.err "$SWARM_LOGS"/seeder-lt.log; do
		printf -- '----- %s\n' "${f##*/}"
		tail -n 10 "$f" | cat -v
	done
fi
swarm_summary
