#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016 # (SC2119: optional args; SC2016: bash -c scripts)
# test_multi.sh - several torrents in one run, --json, and the magnet
# metadata timeout, on a real swarm with the sandbox on (as root: the engine
# runs as nobody). The seeder is python3-libtorrent (it serves metadata, so
# magnet links work), the proxy microsocks, the tracker opentracker.
#
# Usage: test_multi.sh BUILD_DIR SCENARIO
#   three     two .torrent files and a magnet (tr= the tracker) in one run:
#             exit 0, every file's SHA-256, progress shows a line per torrent
#             ([1] [2] [3]) and a total line, the seeder saw only the proxy.
#   onefails  a good .torrent and one the engine rejects (not bencode): the
#             good one completes, exit 3 (the failure's code), one stderr
#             line names the bad input.
#   samehash  a .torrent and a magnet of the same info-hash (the broker cannot
#             tell without parsing torrent bytes; the engine refuses the second):
#             the torrent completes, exit 3, "given twice".
#   json      two torrents with --json: every stdout line parses with jq, the
#             last status says 2/2 complete, the last line is exit code 0,
#             "finished" events for both, SHA-256 match.
#   outage    two torrents, the proxy killed at ~25 % and back 4 s later: the
#             kill switch pauses both (no progress meanwhile, the total line
#             says "proxy down"), both resume and complete, exit 0.
#   resume    two torrents, SIGTERM at ~30 %: exit 143, one resume file per
#             torrent, none marked running; the rerun finishes, downloading
#             less than 85 % of the total.
#   metatimeout  a magnet nobody seeds, --metadata-timeout 3: exit 9 within
#             40 s, with "no metadata for ... after 3 s".
#   list      --list of a .torrent and a magnet: each table under "[ID] INPUT",
#             nothing written; then --list --json: one "files" line per
#             torrent (jq), exit line results "listed".
#   listtimeout  --list of a .torrent and a magnet nobody seeds,
#             --metadata-timeout 3: the .torrent is listed, exit 9.
#   seedjson  two torrents, --seed-time 1 --json: "seeding" events and status
#             objects with seeding/ratio_milli, "finished" only after a
#             minute, exit 0; then the same plain: a "[N] ... seeding ratio X"
#             line per torrent and "2 seeding" in the total line.
# Exit: 0 pass, 1 fail, 77 skip (MEERKO_REQUIRE_ALL=1 turns skips into fails).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:?build dir}
SCENARIO=${2:?scenario}
MEERKO_BIN=${MEERKO_BIN:-$BUILD_DIR/bin/meerko-secure}
# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"

swarm_isolate "$@"
swarm_require_root
swarm_require_cmds opentracker microsocks mktorrent transmission-show timeout sha256sum jq /usr/bin/python3
swarm_require_libtorrent
swarm_require_meerko
swarm_init
swarm_meerko_dirs # SEED, OUT (owned by nobody, as the sandboxed engine runs), CONFIG

swarm_make_payload "$SEED/alpha" 2 2
swarm_make_payload "$SEED/beta" 3 3
swarm_make_payload "$SEED/gamma" 1 1
for t in alpha beta gamma; do
	swarm_make_torrent "$SEED/$t" "$SWARM_DIR/$t.torrent"
done
GAMMA_HASH=$(swarm_infohash "$SWARM_DIR/gamma.torrent")
TR=$(jq -rn --arg u "$SWARM_ANNOUNCE_URL" '$u | @uri')
MAGNET="magnet:?xt=urn:btih:$GAMMA_HASH&dn=gamma&tr=$TR"

swarm_meerko_config "$CONFIG" "[download]" "max_down = 2048" "[ui]" "progress = plain" \
	"plain_interval = 1" "[sandbox]" "mode = required" "[state]" "dir = $SWARM_DIR/state"

RC=""
run_meerko() { # LIMIT ARGS...: output in $SWARM_LOGS/meerko.{out,err}, rc in RC, seconds in ELAPSED
	swarm_meerko meerko "$1" --config "$CONFIG" -o "$OUT" "${@:2}"
	RC=$SWARM_RC ELAPSED=$SWARM_ELAPSED
}
out() { cat "$SWARM_LOGS/meerko.out"; }
err() { cat "$SWARM_LOGS/meerko.err"; }
has_line() { # FILE REGEX
	grep -qE "$2" "$SWARM_LOGS/$1" || { printf '    no line matching /%s/ in %s\n' "$2" "$1"; return 1; }
}
only_proxy_at_seeder() { swarm_only_ips "$SWARM_PROXY_IP" "$(swarm_lt_seeder_peer_ips)"; }
stderr_lines() { # N: stderr has exactly N lines
	local n
	n=$(wc -l <"$SWARM_LOGS/meerko.err")
	[[ $n == "$1" ]] || { printf '    stderr has %s lines, want %s\n' "$n" "$1"; return 1; }
}

# in the background (for outage/resume): output in $SWARM_LOGS/NAME.{out,err}
MPID=""
start_bg() { # NAME ARGS...
	local name=$1
	shift
	timeout -k 5 120 "$MEERKO_BIN" --config "$CONFIG" -o "$OUT" "$@" \
		>"$SWARM_LOGS/$name.out" 2>"$SWARM_LOGS/$name.err" </dev/null &
	MPID=$!
	_SWARM_PIDS+=("$MPID")
}
wait_bg() { RC=0; wait "$MPID" || RC=$?; } # in this shell: wait needs the child
total_pct() { # NAME: the last total line's percent, as an integer
	local p
	p=$(sed -n 's/^total *\([0-9]*\)\.[0-9]%.*/\1/p' "$SWARM_LOGS/$1.out" 2>/dev/null | tail -n 1)
	echo "${p:-0}"
}
total_at_least() { (($(total_pct "$1") >= $2)); }
slow_config() {
	swarm_meerko_config "$CONFIG" "[download]" "max_down = 400" "[ui]" "progress = plain" \
		"plain_interval = 1" "[sandbox]" "mode = required" "[state]" "dir = $SWARM_DIR/state"
}
done_bytes() { # NAME: sum of the "(N bytes downloaded this run)" of its done lines
	sed -n 's/^done: .*(\([0-9]*\) bytes downloaded this run)$/\1/p' "$SWARM_LOGS/$1.out" |
		awk '{ s += $1 } END { print s + 0 }'
}

# every stdout line is a JSON object
all_json() {
	local n=0 line
	while IFS= read -r line; do
		n=$((n + 1))
		jq -e 'type == "object"' <<<"$line" >/dev/null 2>&1 || { printf '    line %d is not JSON: %s\n' "$n" "${line:0:200}"; return 1; }
	done <"$SWARM_LOGS/meerko.out"
	((n > 0)) || { echo "    no output"; return 1; }
}
jq_last() { # TYPE FILTER: FILTER is true on the last line of TYPE
	jq -se --arg t "$1" "[.[] | select(.type == \$t)] | last | $2" "$SWARM_LOGS/meerko.out" >/dev/null
}

case $SCENARIO in
three)
	swarm_start_tracker "$SWARM_DIR/alpha.torrent" "$SWARM_DIR/beta.torrent" "$SWARM_DIR/gamma.torrent"
	swarm_start_microsocks
	swarm_start_seeder_lt "$SEED" "$SWARM_DIR/alpha.torrent" "$SWARM_DIR/beta.torrent" "$SWARM_DIR/gamma.torrent"
	run_meerko 120 "$SWARM_DIR/alpha.torrent" "$SWARM_DIR/beta.torrent" "$MAGNET"
	swarm_check "exit 0 (rc=$RC, ${ELAPSED}s)" test "$RC" = 0
	for t in alpha beta gamma; do
		swarm_check "$t: every file has the right SHA-256" swarm_sha256_check "$SEED/$t" "$OUT/$t"
	done
	swarm_check "progress: a line for torrent 1" has_line meerko.out '^\[1\] .*alpha'
	swarm_check "progress: a line for torrent 2" has_line meerko.out '^\[2\] .*beta'
	swarm_check "progress: a line for the magnet (3)" has_line meerko.out '^\[3\] '
	swarm_check "progress: a total line" has_line meerko.out '^total +[0-9.]+%.* 3/3 complete'
	swarm_check "a done line per torrent" test "$(grep -c '^done: ' "$SWARM_LOGS/meerko.out")" = 3
	swarm_check "the seeder saw peers, and only the proxy $SWARM_PROXY_IP" only_proxy_at_seeder
	;;
onefails)
	printf 'This is not bencode at all.\n' >"$SWARM_DIR/broken.torrent"
	swarm_start_tracker "$SWARM_DIR/alpha.torrent"
	swarm_start_microsocks
	swarm_start_seeder_lt "$SEED" "$SWARM_DIR/alpha.torrent"
	run_meerko 120 "$SWARM_DIR/broken.torrent" "$SWARM_DIR/alpha.torrent"
	swarm_check "exit 3, the failed torrent's code (rc=$RC)" test "$RC" = 3
	swarm_check "alpha completed anyway: right SHA-256" swarm_sha256_check "$SEED/alpha" "$OUT/alpha"
	swarm_check "stderr names the bad input" has_line meerko.err '^meerko-secure: .*broken\.torrent: not a valid \.torrent'
	swarm_check "stderr sums up: 1 of 2 failed" has_line meerko.err '^meerko-secure: 1 of 2 torrents failed \(exit code 3'
	swarm_check "stderr: those two lines only" stderr_lines 2
	swarm_check "a done line for alpha" has_line meerko.out '^done: alpha '
	;;
samehash)
	ALPHA_HASH=$(swarm_infohash "$SWARM_DIR/alpha.torrent")
	swarm_start_tracker "$SWARM_DIR/alpha.torrent"
	swarm_start_microsocks
	swarm_start_seeder_lt "$SEED" "$SWARM_DIR/alpha.torrent"
	run_meerko 120 "$SWARM_DIR/alpha.torrent" "magnet:?xt=urn:btih:$ALPHA_HASH&tr=$TR"
	swarm_check "exit 3 (rc=$RC)" test "$RC" = 3
	swarm_check "alpha completed: right SHA-256" swarm_sha256_check "$SEED/alpha" "$OUT/alpha"
	swarm_check "stderr: the magnet is the same torrent given twice" has_line meerko.err \
		'^meerko-secure: magnet:.*: the same torrent is given twice'
	;;
json)
	swarm_start_tracker "$SWARM_DIR/alpha.torrent" "$SWARM_DIR/beta.torrent"
	swarm_start_microsocks
	swarm_start_seeder_lt "$SEED" "$SWARM_DIR/alpha.torrent" "$SWARM_DIR/beta.torrent"
	run_meerko 120 --json "$SWARM_DIR/alpha.torrent" "$SWARM_DIR/beta.torrent"
	swarm_check "exit 0 (rc=$RC)" test "$RC" = 0
	swarm_check "every stdout line is a JSON object" all_json
	swarm_check "status lines were sent" jq_last status '.torrents | length == 2'
	swarm_check "the last status: 2 of 2 complete" jq_last status '.total.complete == 2 and .total.progress_ppm == 1000000'
	swarm_check "the last status: each torrent complete, all bytes done" \
		jq_last status 'all(.torrents[]; .complete and .done_bytes == .wanted_bytes and .state != "failed")'
	swarm_check "the last line is the exit object, code 0" \
		bash -c 'tail -n 1 "$1" | jq -e ".type == \"exit\" and .code == 0 and ([.torrents[].result] == [\"complete\",\"complete\"])" >/dev/null' _ "$SWARM_LOGS/meerko.out"
	swarm_check "a finished event per torrent" \
		jq -se '[.[] | select(.type == "event" and .event == "finished") | .id] | sort == [1,2]' "$SWARM_LOGS/meerko.out"
	swarm_check "an added event per torrent" \
		jq -se '[.[] | select(.type == "event" and .event == "added") | .id] | sort == [1,2]' "$SWARM_LOGS/meerko.out"
	swarm_check "no human progress or done line on stdout" bash -c '! grep -qE "^(done:|total|\[)" "$1"' _ "$SWARM_LOGS/meerko.out"
	for t in alpha beta; do
		swarm_check "$t: every file has the right SHA-256" swarm_sha256_check "$SEED/$t" "$OUT/$t"
	done
	;;
outage)
	swarm_start_tracker "$SWARM_DIR/alpha.torrent" "$SWARM_DIR/beta.torrent"
	swarm_start_microsocks
	swarm_start_seeder_lt "$SEED" "$SWARM_DIR/alpha.torrent" "$SWARM_DIR/beta.torrent"
	slow_config
	start_bg run1 "$SWARM_DIR/alpha.torrent" "$SWARM_DIR/beta.torrent"
	swarm_wait_for -t 60 -i 0.2 total_at_least run1 20 || true
	swarm_log "killing the proxy at $(total_pct run1)%"
	swarm_stop "$SWARM_PROXY_PID"
	swarm_wait_for -t 10 -i 0.2 grep -q "proxy down" "$SWARM_LOGS/run1.err" || true
	sleep 1.5
	paused_at=$(total_pct run1)
	sleep 4
	still=$(total_pct run1)
	swarm_start_microsocks
	wait_bg
	swarm_check "exit 0 after the outage (rc=$RC)" test "$RC" = 0
	swarm_check "the client reported the proxy down" has_line run1.err 'proxy down'
	swarm_check "the total line said so" has_line run1.out '^total .*proxy down - paused'
	swarm_check "the client resumed when the proxy came back" has_line run1.err 'proxy back'
	swarm_check "no progress while the proxy was down ($paused_at% -> $still%)" test "$still" -le "$((paused_at + 1))"
	for t in alpha beta; do
		swarm_check "$t: every file has the right SHA-256" swarm_sha256_check "$SEED/$t" "$OUT/$t"
	done
	;;
resume)
	swarm_start_tracker "$SWARM_DIR/alpha.torrent" "$SWARM_DIR/beta.torrent"
	swarm_start_microsocks
	swarm_start_seeder_lt "$SEED" "$SWARM_DIR/alpha.torrent" "$SWARM_DIR/beta.torrent"
	slow_config
	start_bg run1 "$SWARM_DIR/alpha.torrent" "$SWARM_DIR/beta.torrent"
	swarm_wait_for -t 60 -i 0.2 total_at_least run1 30 || true
	kill -TERM "$(pgrep -P "$MPID" | head -n 1)"
	wait_bg
	swarm_check "exit 143 on SIGTERM (rc=$RC)" test "$RC" = 143
	nstate=$(find "$SWARM_DIR/state" -name '*.resume' | wc -l)
	swarm_check "resume data saved for each torrent ($nstate files)" test "$nstate" = 2
	swarm_check "no torrent marked as running (clean stop)" \
		test -z "$(find "$SWARM_DIR/state" -name '*.running')"
	start_bg run2 "$SWARM_DIR/alpha.torrent" "$SWARM_DIR/beta.torrent"
	wait_bg
	total_bytes=$(du -sb --apparent-size "$SEED/alpha" "$SEED/beta" | awk '{ s += $1 } END { print s }')
	got=$(done_bytes run2)
	swarm_check "the rerun finishes (rc=$RC)" test "$RC" = 0
	swarm_check "the rerun trusted the saved state (no unclean-stop line)" \
		bash -c '! grep -q "did not stop cleanly" "$1"' _ "$SWARM_LOGS/run2.err"
	swarm_check "the rerun downloaded only what was missing ($got of $total_bytes bytes)" \
		test "$got" -lt "$((total_bytes * 85 / 100))"
	for t in alpha beta; do
		swarm_check "$t: every file has the right SHA-256" swarm_sha256_check "$SEED/$t" "$OUT/$t"
	done
	;;
metatimeout)
	NOBODY_HASH=$(head -c 20 /dev/urandom | sha1sum | cut -c1-40)
	swarm_start_tracker "$NOBODY_HASH"
	swarm_start_microsocks
	run_meerko 60 --metadata-timeout 3 "magnet:?xt=urn:btih:$NOBODY_HASH&tr=$TR"
	swarm_check "exit 9 (rc=$RC)" test "$RC" = 9
	swarm_check "within 40 s (${ELAPSED}s)" test "$ELAPSED" -le 40
	swarm_check "one stderr line: no metadata after 3 s" has_line meerko.err \
		"^meerko-secure: magnet:.*: no metadata for .* after 3 s: no peer or tracker answered through the proxy$"
	swarm_check "stderr: that line only" stderr_lines 1
	;;
list)
	swarm_start_tracker "$SWARM_DIR/gamma.torrent"
	swarm_start_microsocks
	swarm_start_seeder_lt "$SEED" "$SWARM_DIR/gamma.torrent"
	run_meerko 60 --list "$SWARM_DIR/alpha.torrent" "$MAGNET"
	swarm_check "exit 0 (rc=$RC)" test "$RC" = 0
	swarm_check "a header naming the .torrent" has_line meerko.out "^\[1\] .*/alpha\.torrent$"
	swarm_check "a header naming the magnet" has_line meerko.out "^\[2\] magnet:\?xt=urn:btih:$GAMMA_HASH"
	swarm_check "alpha's table: 2 files" has_line meerko.out '^total: 2 files, '
	swarm_check "gamma's table: 1 file" has_line meerko.out '^total: 1 file, '
	swarm_check "alpha's files listed under its header" \
		bash -c 'awk "/^\[1\]/{on=1;next} /^\[2\]/{on=0} on && /alpha\/file-1/" "$1" | grep -q .' _ "$SWARM_LOGS/meerko.out"
	swarm_check "no done line, empty stderr" bash -c '! grep -q "^done:" "$1" && ! test -s "$2"' _ \
		"$SWARM_LOGS/meerko.out" "$SWARM_LOGS/meerko.err"
	swarm_check "nothing written in the save dir" test -z "$(find "$OUT" -mindepth 1 | head -n 1)"
	run_meerko 60 --list --json "$SWARM_DIR/alpha.torrent" "$MAGNET"
	swarm_check "--json: exit 0 (rc=$RC)" test "$RC" = 0
	swarm_check "--json: every stdout line is a JSON object" all_json
	swarm_check "--json: one files line per torrent" \
		jq -se '[.[] | select(.type == "files") | .id] | sort == [1,2]' "$SWARM_LOGS/meerko.out"
	swarm_check "--json: alpha's 2 files with paths and sizes" \
		jq -se '[.[] | select(.type == "files" and .id == 1)][0] | (.files | length == 2) and
			all(.files[]; (.path | startswith("alpha/")) and .size > 0) and
			.total_bytes == ([.files[].size] | add)' "$SWARM_LOGS/meerko.out"
	swarm_check "--json: the exit line says listed, listed" \
		bash -c 'tail -n 1 "$1" | jq -e ".type == \"exit\" and .code == 0 and ([.torrents[].result] == [\"listed\",\"listed\"])" >/dev/null' _ "$SWARM_LOGS/meerko.out"
	swarm_check "nothing written in the save dir" test -z "$(find "$OUT" -mindepth 1 | head -n 1)"
	;;
listtimeout)
	NOBODY_HASH=$(head -c 20 /dev/urandom | sha1sum | cut -c1-40)
	swarm_start_tracker "$NOBODY_HASH"
	swarm_start_microsocks
	run_meerko 60 --list --metadata-timeout 3 "$SWARM_DIR/alpha.torrent" "magnet:?xt=urn:btih:$NOBODY_HASH&tr=$TR"
	swarm_check "exit 9 (rc=$RC)" test "$RC" = 9
	swarm_check "within 40 s (${ELAPSED}s)" test "$ELAPSED" -le 40
	swarm_check "the .torrent was listed" has_line meerko.out '^total: 2 files, '
	swarm_check "stderr: no metadata after 3 s" has_line meerko.err \
		"^meerko-secure: magnet:.*: no metadata for .* after 3 s: no peer or tracker answered through the proxy$"
	;;
seedjson)
	swarm_start_tracker "$SWARM_DIR/alpha.torrent" "$SWARM_DIR/beta.torrent"
	swarm_start_microsocks
	swarm_start_seeder_lt "$SEED" "$SWARM_DIR/alpha.torrent" "$SWARM_DIR/beta.torrent"
	run_meerko 150 --json --seed-time 1 "$SWARM_DIR/alpha.torrent" "$SWARM_DIR/beta.torrent"
	swarm_check "exit 0 (rc=$RC)" test "$RC" = 0
	swarm_check "seeded for a minute (${ELAPSED}s)" test "$ELAPSED" -ge 60
	swarm_check "every stdout line is a JSON object" all_json
	swarm_check "a seeding event per torrent, each before its finished event" \
		jq -se '[.[] | select(.type == "event")] as $e | [1, 2] | all(. as $id |
			($e | map(.event == "seeding" and .id == $id) | index(true)) as $s |
			($e | map(.event == "finished" and .id == $id) | index(true)) as $f |
			$s != null and $f != null and $s < $f)' "$SWARM_LOGS/meerko.out"
	swarm_check "status objects show seeding with a ratio, not yet complete" \
		jq -se 'any(.[] | select(.type == "status") | .torrents[]; .seeding and (.complete | not) and (.ratio_milli | type == "number"))' "$SWARM_LOGS/meerko.out"
	swarm_check "the total counts the seeding torrents" \
		jq -se 'any(.[] | select(.type == "status"); .total.seeding == 2)' "$SWARM_LOGS/meerko.out"
	swarm_check "the last status: 2 complete, none seeding" jq_last status '.total.complete == 2 and .total.seeding == 0'
	for t in alpha beta; do
		swarm_check "$t: every file has the right SHA-256" swarm_sha256_check "$SEED/$t" "$OUT/$t"
	done
	run_meerko 150 --seed-time 1 "$SWARM_DIR/alpha.torrent" "$SWARM_DIR/beta.torrent"
	swarm_check "plain: exit 0 (rc=$RC)" test "$RC" = 0
	swarm_check "plain: torrent 1 line shows seeding ratio" has_line meerko.out '^\[1\] .*seeding ratio [0-9]+\.[0-9]{2}'
	swarm_check "plain: torrent 2 line shows seeding ratio" has_line meerko.out '^\[2\] .*seeding ratio [0-9]+\.[0-9]{2}'
	swarm_check "plain: the total line says 2 seeding" has_line meerko.out '^total .* 0/2 complete, 2 seeding'
	;;
*)
	swarm_die "unknown scenario $SCENARIO"
	exit 2
	;;
esac

if ((SWARM_FAILED > 0)); then
	for f in meerko.out meerko.err run1.out run1.err run2.out run2.err; do
		printf '\n----- %s (last 40 lines) -----\n' "$f"
		tail -n 40 "$SWARM_LOGS/$f" 2>/dev/null | cut -c1-300 || true
	done
fi
swarm_summary
