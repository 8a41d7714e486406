#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (SC2119: optional args)
# test_files.sh - --list, --files, --sequential, --max-down and seeding to a
# ratio, each through the sandbox (mode = required, as root: the engine runs
# as nobody in its own network namespace) and a real SOCKS5 proxy.
#
#   tracker  opentracker  127.0.0.1      proxy  microsocks  127.0.0.3
#   seeder A aria2c       127.0.0.4      leecher B (seed only) 127.0.0.5
#
# Scenarios (first argument):
#   list          --list of a .torrent: index/size/path/total right, exit 0,
#                 nothing in the save dir or the state dir, no peer contacted;
#                 names with format/bidi controls (U+2067 RLI, ZWSP, BOM...)
#                 are listed with '?', with --json as \u2067: none raw on stdout
#   list_magnet   --list of a magnet: metadata through the proxy, then stop;
#                 no payload byte written
#   list_offline  the configured proxy is down (its port closed): --list of
#                 the .torrent still exits 0 with the whole list, sandbox on
#                 and off, and under strace (sandbox off) no process makes an
#                 inet socket (the engine makes no libtorrent session); a
#                 magnet's --list still needs the proxy: exit 4
#   files_index   --files by index (from --list): only those files exist,
#                 SHA-256 right, exit 0 once the wanted bytes are complete
#   files_glob    --files '*.iso': the same by glob
#   sequential    --sequential (and connection limits): completes, SHA-256 right
#   maxdown       --max-down 1024 on a 12 MiB torrent: average rate over the
#                 download <= 1.3 x the limit (a functional check)
#   seed          leecher B (python3-libtorrent, blocks A's address) starts
#                 first; meerko downloads from A, learns B from the tracker,
#                 uploads to B through the proxy and exits 0 at ratio 1.0;
#                 B's files are identical; progress showed "seeding" + ratio
#   seed_time     --seed-time 1: exits 0 about a minute after completing
#   tracker_bidi  an HTTP tracker whose failure reason holds U+202E (RLO: it
#                 makes "gpj.exe" read "exe.jpg"): the tracker warning on
#                 stderr shows '?', the --json tracker_error event \u202e,
#                 neither has a raw RLO
# files_index also reruns the same command (resume data: nothing fetched),
# then runs without --files (the rest arrives).
#
# Usage: test_files.sh BUILD_DIR SCENARIO
#   MEERKO_BIN overrides the binary; MEERKO_TEST_SANDBOX=off runs unconfined
#   (debugging; sanitizer builds run confined too, see docs/sandbox.md).
# Exit: 0 pass, 1 fail, 77 skip (MEERKO_REQUIRE_ALL=1 turns skips into fails).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:-${BUILD_DIR:-build}}
SCENARIO=${2:-list}
MEERKO_BIN=${MEERKO_BIN:-$BUILD_DIR/bin/meerko-secure}
MEERKO_TIMEOUT=${MEERKO_TIMEOUT:-120}
PY=${MEERKO_TEST_PYTHON:-/usr/bin/python3}

# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"

swarm_isolate "$@"
swarm_require_root
swarm_require_cmds opentracker microsocks aria2c mktorrent transmission-show ss timeout sha256sum
[[ $SCENARIO != list_offline ]] || swarm_require_cmds strace
[[ -x $MEERKO_BIN ]] || swarm_skip_or_fail "meerko-secure not built: $MEERKO_BIN"
MEERKO_BIN=$(cd "$(dirname "$MEERKO_BIN")" && pwd)/$(basename "$MEERKO_BIN")
if [[ $SCENARIO == seed ]] && ! "$PY" -c 'import libtorrent' 2>/dev/null; then
	swarm_skip_or_fail "python3-libtorrent is missing ($PY)"
fi

swarm_init

SEED=$SWARM_DIR/seed
PAYLOAD=$SEED/payload
TORRENT=$SWARM_DIR/files-test.torrent
OUT=$SWARM_DIR/out
CONFIG=$SWARM_DIR/meerko.ini
export XDG_STATE_HOME=$SWARM_DIR/state
mkdir -p "$OUT" "$XDG_STATE_HOME"
chown nobody "$OUT"

# 4 files (the last in sub/), two renamed to .iso for the glob
mb=8
[[ $SCENARIO == maxdown ]] && mb=12
swarm_make_payload "$PAYLOAD" 4 "$mb"
mv "$PAYLOAD/file-2.bin" "$PAYLOAD/file-2.iso"
mv "$PAYLOAD/sub/file-4.bin" "$PAYLOAD/sub/file-4.iso"
swarm_make_torrent "$PAYLOAD" "$TORRENT"
chmod 644 "$TORRENT"
HASH=$(swarm_infohash "$TORRENT")
MAGNET="magnet:?xt=urn:btih:$HASH&tr=$(sed 's/:/%3A/g; s|/|%2F|g' <<<"$SWARM_ANNOUNCE_URL")"
TOTAL=$(find "$PAYLOAD" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')

swarm_start_tracker "$TORRENT"
swarm_start_microsocks
swarm_start_seeder_aria2 "$TORRENT" "$SEED"
swarm_meerko_config "$CONFIG" "[ui]" "progress = plain" "plain_interval = 1" "[sandbox]" \
	"mode = ${MEERKO_TEST_SANDBOX:-required}"

meerko() { # NAME ARGS...: runs meerko-secure, rc in $rc, timing in $elapsed_ms
	local name=$1
	shift
	local t0
	t0=$(_swarm_now_ms)
	rc=0
	swarm_run "$name" "$MEERKO_TIMEOUT" "$MEERKO_BIN" --config "$CONFIG" -o "$OUT" "$@" || rc=$?
	elapsed_ms=$(($(_swarm_now_ms) - t0))
	swarm_log "$name exited $rc after ${elapsed_ms} ms"
}

# ------------------------------------------------------------ checks
empty_dir() { # DIR: no file at all below it
	local left
	left=$(find "$1" -mindepth 1 | head -n 5)
	[[ -z $left ]] && return 0
	printf '    left in %s: %s\n' "$1" "$(tr '\n' ' ' <<<"$left")"
	return 1
}

# the listing has every payload file with its size, and the right total
list_matches() { # OUTFILE
	local out=$1 rel size idx bad=0 n=0
	while IFS= read -r -d '' rel; do
		rel=${rel#./}
		size=$(stat -c %s "$PAYLOAD/$rel")
		idx=$(awk -v p="payload/$rel" -v s="$size" '$1 ~ /^[0-9]+$/ && $NF == p && $2 == s { print $1 }' "$out")
		if [[ -z $idx ]]; then
			printf '    payload/%s (%s bytes) not listed\n' "$rel" "$size"
			bad=1
		fi
		n=$((n + 1))
	done < <(cd "$PAYLOAD" && find . -type f -print0)
	grep -q "^total: $n files, $TOTAL bytes" "$out" || { printf '    no "total: %s files, %s bytes" line\n' "$n" "$TOTAL"; bad=1; }
	return "$bad"
}

index_of() { # PATH (as listed): its index
	awk -v p="$1" '$1 ~ /^[0-9]+$/ && $NF == p { print $1 }' "$SWARM_LOGS/list.out"
}

# exactly these payload files exist in OUT, each identical; the others absent
only_these() { # REL...
	local rel bad=0 want=" $* "
	while IFS= read -r -d '' rel; do
		rel=${rel#./}
		if [[ $want == *" $rel "* ]]; then
			cmp -s "$PAYLOAD/$rel" "$OUT/payload/$rel" || { printf '    %s differs or is missing\n' "$rel"; bad=1; }
		elif [[ -e $OUT/payload/$rel ]]; then
			printf '    %s was not selected but exists\n' "$rel"
			bad=1
		fi
	done < <(cd "$PAYLOAD" && find . -type f -print0)
	return "$bad"
}

no_seeder_contact() {
	local ips
	ips=$(swarm_seeder_peer_ips)
	[[ -z $ips ]] && return 0
	printf '    the seeder saw: %s\n' "$ips"
	return 1
}

show_logs_on_failure() {
	if ((SWARM_FAILED > 0)); then
		local f
		for f in "$SWARM_LOGS"/*.out "$SWARM_LOGS"/*.err "$SWARM_LOGS"/leecher.log; do
			[[ -f $f ]] || continue
			printf '\n----- %s (last 30 lines) -----\n' "${f##*/}"
			tail -n 30 "$f" | cut -c1-300
		done
	fi
}

# ------------------------------------------------------------ scenarios
list_torrent() {
	meerko list --list "$TORRENT"
	swarm_check "[list] exit 0 (rc=$rc)" test "$rc" -eq 0
	swarm_check "[list] every file listed with its size, and the total" list_matches "$SWARM_LOGS/list.out"
	swarm_check "[list] nothing written in the save dir" empty_dir "$OUT"
	swarm_check "[list] nothing written in the state dir" empty_dir "$XDG_STATE_HOME"
	swarm_check "[list] no peer contacted (a .torrent needs no network)" no_seeder_contact
	swarm_check "[list] stderr is empty" test ! -s "$SWARM_LOGS/list.err"
	meerko listsel --list --files '*.iso' "$TORRENT"
	swarm_check "[list] with --files, exactly the .iso files are marked" \
		test "$(awk '$1 == "*" { print $NF }' "$SWARM_LOGS/listsel.out" | sort | tr '\n' ' ')" = \
		"payload/file-2.iso payload/sub/file-4.iso "
	swarm_check "[list] still nothing in the save dir" empty_dir "$OUT"
}

# A hostile torrent: format and bidi controls in file names. libtorrent
# already drops RLO/LRO & co. (U+202A..U+202E, U+200E/F) from paths, so
# these are the ones that reach meerko: RLI...PDI (U+2067, U+2069: "exe.gpj"
# shown for "gpj.exe"), a zero width space, a BOM, the Arabic letter mark.
RLI=$'\xe2\x81\xa7' PDI=$'\xe2\x81\xa9' ZWSP=$'\xe2\x80\x8b' BOM=$'\xef\xbb\xbf' ALM=$'\xd8\x9c'
no_format_controls() { # FILE: none of those byte sequences in it
	local c
	for c in "$RLI" "$PDI" "$ZWSP" "$BOM" "$ALM"; do
		! grep -qF "$c" "$1" || { printf '    raw %s in %s\n' "$(od -An -tx1 <<<"$c" | head -c 10)" "${1##*/}"; return 1; }
	done
}
list_format_controls() {
	local dir=$SWARM_DIR/bidi/payload t=$SWARM_DIR/bidi.torrent
	mkdir -p "$dir"
	head -c 65536 /dev/urandom >"$dir/invoice${RLI}gpj.exe${PDI}"
	head -c 65536 /dev/urandom >"$dir/${BOM}zero${ZWSP}width${ALM}.txt"
	swarm_make_torrent "$dir" "$t"
	chmod 644 "$t"
	meerko bidi --list "$t"
	swarm_check "[list] names with format/bidi controls: exit 0 (rc=$rc)" test "$rc" -eq 0
	swarm_check "[list] each control listed as '?'" grep -qF 'payload/invoice?gpj.exe?' "$SWARM_LOGS/bidi.out"
	swarm_check "[list] ... in the other name too" grep -qF 'payload/?zero?width?.txt' "$SWARM_LOGS/bidi.out"
	swarm_check "[list] no raw format/bidi control on stdout" no_format_controls "$SWARM_LOGS/bidi.out"
	meerko bidijson --list --json "$t"
	swarm_check "[list] --json: the controls escaped (\\u2067 ... \\u2069)" \
		grep -qF 'invoice\u2067gpj.exe\u2069' "$SWARM_LOGS/bidijson.out"
	swarm_check "[list] --json: no raw format/bidi control on stdout" no_format_controls "$SWARM_LOGS/bidijson.out"
}

# A tracker that answers every announce with a failure reason holding RLO.
BIDI_TRACKER_IP=127.0.0.6 BIDI_TRACKER_PORT=6970
start_bidi_tracker() {
	swarm_spawn bidi-tracker "$PY" -c '
import sys, http.server
reason = "invoice\u202egpj.exe is not registered".encode()
body = b"d14:failure reason%d:%se" % (len(reason), reason)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.HTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
' "$BIDI_TRACKER_IP" "$BIDI_TRACKER_PORT"
	swarm_wait_for -t 5 swarm_port_open "$BIDI_TRACKER_IP" "$BIDI_TRACKER_PORT"
}
no_rlo() { # FILE
	! grep -qF $'\xe2\x80\xae' "$1" || { printf '    raw U+202E in %s\n' "${1##*/}"; return 1; }
}
tracker_bidi() {
	local t=$SWARM_DIR/bidi-tracker.torrent
	swarm_check "[tracker_bidi] the hostile tracker listens" start_bidi_tracker
	rm -f "$t"
	mktorrent -l "$SWARM_PIECE_EXP" -a "http://$BIDI_TRACKER_IP:$BIDI_TRACKER_PORT/announce" \
		-o "$t" "$PAYLOAD" >/dev/null
	chmod 644 "$t"
	# no peer ever comes: the run is cut after the first announces
	MEERKO_TIMEOUT=10 meerko trbidi "$t"
	swarm_check "[tracker_bidi] the tracker's failure reason was shown, RLO as '?'" \
		grep -qF 'invoice?gpj.exe is not registered' "$SWARM_LOGS/trbidi.err"
	swarm_check "[tracker_bidi] no raw U+202E on stderr" no_rlo "$SWARM_LOGS/trbidi.err"
	rm -rf "${OUT:?}"/* "${XDG_STATE_HOME:?}"/*
	MEERKO_TIMEOUT=10 meerko trbidijson --json "$t"
	swarm_check "[tracker_bidi] --json: the tracker_error event has \\u202e" \
		grep -qF 'invoice\u202egpj.exe is not registered' "$SWARM_LOGS/trbidijson.out"
	swarm_check "[tracker_bidi] --json: no raw U+202E on stdout" no_rlo "$SWARM_LOGS/trbidijson.out"
	swarm_check "[tracker_bidi] --json: no raw U+202E on stderr" no_rlo "$SWARM_LOGS/trbidijson.err"
}

list_magnet() {
	meerko list --list "$MAGNET"
	swarm_check "[list_magnet] exit 0 (rc=$rc)" test "$rc" -eq 0
	swarm_check "[list_magnet] every file listed with its size, and the total" list_matches "$SWARM_LOGS/list.out"
	swarm_check "[list_magnet] no payload byte written (save dir empty)" empty_dir "$OUT"
	swarm_check "[list_magnet] nothing written in the state dir" empty_dir "$XDG_STATE_HOME"
	swarm_check "[list_magnet] the metadata came through the proxy only" \
		swarm_only_ips "$SWARM_PROXY_IP" "$(swarm_seeder_peer_ips)"
}

# strace -f of a whole run: no AF_INET/AF_INET6/AF_NETLINK/AF_PACKET socket by
# the broker or the engine, and the engine's syscalls are in the log (it was followed)
no_inet_socket() { # STRACE_LOG
	local bad pids
	bad=$(grep -E 'socket\(AF_(INET|INET6|NETLINK|PACKET)|connect\([0-9]+, \{sa_family=AF_INET' "$1" | head -n 5)
	pids=$(awk '{ print $1 }' "$1" | sort -u | wc -l)
	if [[ -n $bad ]]; then
		printf '    network syscalls:\n'
		sed 's/^/      /' <<<"$bad"
		return 1
	fi
	((pids >= 2)) || { printf '    strace saw only %s process(es): the engine was not followed\n' "$pids"; return 1; }
}

list_offline() {
	swarm_stop "$SWARM_PROXY_PID"
	swarm_check "[list_offline] the configured proxy's port is closed" \
		bash -c "! (exec 3<>/dev/tcp/$SWARM_PROXY_IP/$SWARM_PROXY_PORT) 2>/dev/null"
	meerko list --list "$TORRENT"
	swarm_check "[list_offline] --list of a .torrent, proxy down, sandbox on: exit 0 (rc=$rc)" test "$rc" -eq 0
	swarm_check "[list_offline] every file listed with its size, and the total" list_matches "$SWARM_LOGS/list.out"
	swarm_check "[list_offline] stderr is empty" test ! -s "$SWARM_LOGS/list.err"
	swarm_check "[list_offline] nothing written in the save dir" empty_dir "$OUT"
	swarm_check "[list_offline] nothing written in the state dir" empty_dir "$XDG_STATE_HOME"
	local st=$SWARM_LOGS/list-strace.log
	if ldd "$MEERKO_BIN" 2>/dev/null | grep -q libasan; then
		# LeakSanitizer cannot run under ptrace; the normal build runs this part
		swarm_log "[list_offline] the strace part is skipped in a sanitizer build"
	else
		rc=0
		swarm_run liststrace "$MEERKO_TIMEOUT" strace -f -qq -o "$st" -e trace=socket,connect,bind,sendto \
			"$MEERKO_BIN" --config "$CONFIG" -o "$OUT" --sandbox off --list "$TORRENT" || rc=$?
		swarm_check "[list_offline] sandbox off, under strace: exit 0 (rc=$rc)" test "$rc" -eq 0
		swarm_check "[list_offline] ... the whole list" list_matches "$SWARM_LOGS/liststrace.out"
		swarm_check "[list_offline] ... no process made a network socket" no_inet_socket "$st"
	fi
	swarm_check "[list_offline] no peer contacted" no_seeder_contact
	meerko listmagnet --list "$MAGNET"
	swarm_check "[list_offline] --list of a magnet still needs the proxy: exit 4 (rc=$rc)" test "$rc" -eq 4
	swarm_check "[list_offline] ... 'cannot connect to proxy'" \
		grep -q "cannot connect to proxy $SWARM_PROXY_IP:$SWARM_PROXY_PORT" "$SWARM_LOGS/listmagnet.err"
	meerko listboth --list "$TORRENT" "$MAGNET"
	swarm_check "[list_offline] a .torrent and a magnet together: the proxy too, exit 4 (rc=$rc)" test "$rc" -eq 4
}

files_index() {
	local target=$1 a b
	meerko list --list "$TORRENT"
	a=$(index_of payload/file-1.bin)
	b=$(index_of payload/sub/file-4.iso)
	swarm_log "file-1.bin is $a, sub/file-4.iso is $b"
	if [[ $target == magnet ]]; then
		meerko files --files "$b,$a" "$MAGNET"
	else
		meerko files --files "$a,$b" "$TORRENT"
	fi
	swarm_check "[files_index/$target] exit 0 (rc=$rc)" test "$rc" -eq 0
	swarm_check "[files_index/$target] only file-1.bin and sub/file-4.iso, identical" \
		only_these file-1.bin sub/file-4.iso
	swarm_check "[files_index/$target] only the wanted bytes were fetched" \
		fetched_at_most "$(stat -c %s "$PAYLOAD/file-1.bin" "$PAYLOAD/sub/file-4.iso" | awk '{ s += $1 } END { print s }')"
	[[ $target == torrent ]] || return 0
	# the same command again: resume data says complete, nothing is fetched
	meerko files --files "$a,$b" "$TORRENT"
	swarm_check "[files_index/rerun] exit 0, nothing fetched again (rc=$rc)" \
		grep -q '(0 bytes downloaded this run)' "$SWARM_LOGS/files.out"
	# without --files: the rest arrives, every file identical
	meerko all "$TORRENT"
	swarm_check "[files_index/rest] exit 0 (rc=$rc)" test "$rc" -eq 0
	swarm_check "[files_index/rest] then every file identical" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
}

# "done: ... (N bytes downloaded this run)": at most the selected bytes plus
# the pieces they share with neighbours (2 per file), and less than all
fetched_at_most() { # SELECTED_BYTES
	local got slack=$((4 << SWARM_PIECE_EXP))
	got=$(sed -n 's/.*(\([0-9]*\) bytes downloaded this run).*/\1/p' "$SWARM_LOGS/files.out")
	swarm_log "fetched ${got:-?} bytes for $1 selected of $TOTAL"
	[[ -n $got ]] && ((got <= $1 + slack && got < TOTAL))
}

files_glob() {
	meerko files --files '*.iso' "$TORRENT"
	swarm_check "[files_glob] exit 0 (rc=$rc)" test "$rc" -eq 0
	swarm_check "[files_glob] only the two .iso files, identical" only_these file-2.iso sub/file-4.iso
	swarm_check "[files_glob] only the wanted bytes were fetched" \
		fetched_at_most "$(stat -c %s "$PAYLOAD/file-2.iso" "$PAYLOAD/sub/file-4.iso" | awk '{ s += $1 } END { print s }')"
}

sequential() {
	meerko seq --sequential --max-connections 10 --max-connections-per-torrent 2 "$TORRENT"
	swarm_check "[sequential] exit 0, with connection limits (rc=$rc)" test "$rc" -eq 0
	swarm_check "[sequential] every file identical" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
}

maxdown() {
	local limit_kib=1024 rate
	meerko maxdown --max-down "$limit_kib" "$TORRENT"
	rate=$((TOTAL * 1000 / (elapsed_ms > 0 ? elapsed_ms : 1) / 1024))
	swarm_log "average ${rate} KiB/s over ${elapsed_ms} ms (limit $limit_kib KiB/s)"
	swarm_check "[maxdown] exit 0 (rc=$rc)" test "$rc" -eq 0
	swarm_check "[maxdown] every file identical" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
	swarm_check "[maxdown] average ${rate} KiB/s <= 1.3 x $limit_kib KiB/s" \
		test "$((rate * 10))" -le "$((limit_kib * 13))"
}

seed() {
	local B_IP=127.0.0.5 B_PORT=6890 B_DIR=$SWARM_DIR/leecher
	mkdir -p "$B_DIR"
	swarm_spawn leecher "$PY" -u "$HERE/../lib/leecher.py" "$TORRENT" "$B_DIR" "$B_IP" "$B_PORT" \
		"$SWARM_SEED_IP" "$SWARM_DIR/leecher.done" "$((MEERKO_TIMEOUT + 30))"
	swarm_wait_for -t 20 -i 0.2 grep -q '^announced' "$SWARM_LOGS/leecher.log" ||
		swarm_log "the leecher has not announced yet"
	meerko seed --seed-ratio 1.0 "$TORRENT"
	swarm_wait_for -t 10 -i 0.2 test -f "$SWARM_DIR/leecher.done" || true
	swarm_check "[seed] exit 0 at ratio 1.0 (rc=$rc)" test "$rc" -eq 0
	swarm_check "[seed] meerko's own files identical" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
	swarm_check "[seed] the leecher finished" test -f "$SWARM_DIR/leecher.done"
	swarm_check "[seed] the leecher's files identical (got them from meerko only)" \
		swarm_sha256_check "$PAYLOAD" "$B_DIR/payload"
	swarm_check "[seed] the leecher's only peer was the proxy $SWARM_PROXY_IP" \
		swarm_only_ips "$SWARM_PROXY_IP" "$(awk -v me="$B_IP" '$1 == "peer" && $2 != me { print $2 }' \
			"$SWARM_LOGS/leecher.log" | sort -u)"
	swarm_check "[seed] progress showed seeding with a ratio" \
		grep -qE 'seeding ratio [0-9]+\.[0-9]{2}' "$SWARM_LOGS/seed.out"
}

seed_time() {
	meerko seedtime --seed-time 1 "$TORRENT"
	swarm_check "[seed_time] exit 0 (rc=$rc)" test "$rc" -eq 0
	swarm_check "[seed_time] every file identical" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
	swarm_check "[seed_time] kept seeding for a minute, not much longer (${elapsed_ms} ms)" \
		test "$elapsed_ms" -ge 60000 -a "$elapsed_ms" -le 75000
	swarm_check "[seed_time] progress showed seeding" grep -q 'seeding ratio' "$SWARM_LOGS/seedtime.out"
}

case $SCENARIO in
list) list_torrent; list_format_controls ;;
list_magnet) list_magnet ;;
list_offline) list_offline ;;
files_index) files_index torrent ;;
files_index_magnet) files_index magnet ;;
files_glob) files_glob ;;
sequential) sequential ;;
maxdown) maxdown ;;
seed) seed ;;
seed_time) seed_time ;;
tracker_bidi) tracker_bidi ;;
*) swarm_die "unknown scenario '$SCENARIO'"; exit 2 ;;
esac
show_logs_on_failure
swarm_summary
