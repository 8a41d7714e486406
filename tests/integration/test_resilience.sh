#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_resilience.sh - kill switch and crash resilience, on a real swarm with
# the sandbox on (as root: engine as nobody).
#
# Usage: test_resilience.sh BUILD_DIR SCENARIO
#   outage     proxy killed at ~1/3, back after 5 s: download completes, hashes
#              match, the client said "proxy down" and "proxy back", and the
#              capture shows nothing but the proxy reached tracker or seeder.
#   maxoutage  proxy killed for good, max_outage = 3: exit 8, state saved; proxy
#              restarted, rerun finishes and downloads only what was missing.
#   kill9      broker and engine SIGKILLed at ~1/2: rerun finishes, says it verifies
#              the files (unclean stop), and the bytes it downloads are at most the
#              missing part plus 4 MiB of slack.
#   engine     engine SIGKILLed at ~1/3: the broker restarts it and finishes.
#   sigterm    SIGTERM at ~1/3: exit 143, resume data saved, rerun finishes.
#   relay_killed        the relay SIGKILLed at ~1/3: reaped, said, restarted; finishes.
#   relay_killed_twice  max_restarts = 1, the relay killed twice: exit 7, rerun finishes.
#   second_run          the same command again while the first runs: refused at once
#              (exit 12, naming the first one's pid), nothing sent; the first finishes.
#   files_deleted       between runs, one finished file deleted and one truncated (the
#              resume data says complete): never "done" on engine progress
#              alone; the broker sees them missing/short, has every piece hashed
#              again, and both runs end with every SHA-256 right.
#   proxy_stalls        the proxy stopped (SIGSTOP: it accepts, never answers): Ctrl-C
#              during the start-up check gives its line and 130; stopped mid-download
#              it is "proxy down" within 8 s (not the 10 s handshake timeout), back
#              after SIGCONT; the last line counts the outage.
#   save_dir_deleted    the save dir removed mid-download: exit 5 naming it deleted
#              (not "Permission denied").
#   verify_overwrite    1 MiB of garbage written into a finished file at the same size:
#              --verify hashes every piece, refetches it, every SHA-256 right.
#   state_dir_full      the state dir (a 64 KiB tmpfs) filled, then SIGTERM: the
#              save fails, so the stop is not clean: exit 5 with the reason, the
#              marker kept; the rerun verifies and fetches at most missing + 4 MiB.
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
if [[ $SCENARIO == state_dir_full && -z ${MK_MOUNT_NS:-} ]]; then
	# its tmpfs lives in a mount namespace of its own: gone with the test
	command -v unshare >/dev/null || swarm_skip_or_fail "unshare (util-linux) is missing"
	MK_MOUNT_NS=1 exec unshare --mount --propagation private -- bash "$0" "$@"
fi
swarm_require_cmds opentracker microsocks aria2c mktorrent transmission-show tcpdump timeout sha256sum
[[ -x $MEERKO_BIN ]] || swarm_skip_or_fail "meerko-secure not built: $MEERKO_BIN"
swarm_init

SEED=$SWARM_DIR/seed
PAYLOAD=$SEED/payload
TORRENT=$SWARM_DIR/r.torrent
OUT=$SWARM_DIR/out
STATE=$SWARM_DIR/state
CONFIG=$SWARM_DIR/meerko.ini
TOTAL_MB=24
mkdir -p "$OUT"
if [[ $SCENARIO == state_dir_full ]]; then
	mkdir -p "$STATE"
	mount -t tmpfs -o size=64k,mode=700 meerko-test-state "$STATE" || swarm_die "cannot mount a tmpfs"
fi
chown nobody "$OUT"   # the sandboxed engine runs as nobody

swarm_make_payload "$PAYLOAD" 2 "$TOTAL_MB"
swarm_make_torrent "$PAYLOAD" "$TORRENT"
swarm_start_tracker "$TORRENT"
swarm_start_microsocks
swarm_start_seeder_aria2 "$TORRENT" "$SEED"

max_outage=60
[[ $SCENARIO == maxoutage ]] && max_outage=3
max_restarts=3
[[ $SCENARIO == relay_killed_twice ]] && max_restarts=1
swarm_meerko_config "$CONFIG" "[download]" "max_down = 3000" "[ui]" "progress = plain" "plain_interval = 1" \
	"[killswitch]" "max_outage = $max_outage" "max_restarts = $max_restarts" \
	"[state]" "dir = $STATE" "resume_interval = 5"

# --- helpers ------------------------------------------------------------
MEERKO_PID=""
start_meerko() { # NAME: runs in the background, output in $SWARM_LOGS/NAME.{out,err}
	timeout -k 5 120 "$MEERKO_BIN" --config "$CONFIG" -o "$OUT" "$TORRENT" \
		>"$SWARM_LOGS/$1.out" 2>"$SWARM_LOGS/$1.err" </dev/null &
	MEERKO_PID=$!
	_SWARM_PIDS+=("$MEERKO_PID")
}
RC=""
wait_meerko() { # sets RC (must run in this shell: wait needs the child)
	RC=0
	wait "$MEERKO_PID" || RC=$?
}
percent() { # NAME -> last progress percent as an integer (0 if none yet)
	local p
	p=$(grep -o '^ *[0-9.]*%' "$SWARM_LOGS/$1.out" 2>/dev/null | tail -n 1 | tr -d ' %')
	p=${p%.*}
	echo "${p:-0}"
}
at_least() { (($(percent "$1") >= $2)); }
downloaded() { # NAME -> bytes the run says it downloaded
	sed -n 's/.*(\([0-9]*\) bytes downloaded this run).*/\1/p' "$SWARM_LOGS/$1.out" | tail -n 1
}
# RUN downloaded at most BYTES + 4 MiB of slack (the pieces in flight when a
# run was stopped are fetched again); a run that says no number fails
fetched_at_most() { # RUN BYTES
	local got
	got=$(downloaded "$1")
	printf '    %s downloaded %s bytes (allowed: %s + 4 MiB)\n' "$1" "${got:-no number of}" "$2"
	[[ -n $got ]] && ((got <= $2 + 4 * 1024 * 1024))
}
broker_pid() { pgrep -P "$MEERKO_PID" | head -n 1; } # MEERKO_PID is timeout's
# The engine is named meerko-engine (its argv says only /data: it never sees
# the save dir's real path).
engine_pid() { # the broker's child is the sandbox's init, the engine its child
	local b c
	b=$(broker_pid) || return 1
	for c in $b $(pgrep -P "$b"); do pgrep -P "$c" -x meerko-engine; done | head -n 1
}
relay_pid() { pgrep -P "$(broker_pid)" -x meerko-relay | head -n 1; } # the broker's other child
no_engine() { [[ -z ${epid:-} ]] || ! kill -0 "$epid" 2>/dev/null; } # the engine last found
has_state() { compgen -G "$STATE/*.resume" >/dev/null; }
show() { for f in "$@"; do printf -- '----- %s\n' "$f"; tail -n 15 "$SWARM_LOGS/$f" 2>/dev/null || true; done; }
total_bytes=$(du -sb "$PAYLOAD" | cut -f1)

swarm_capture_start "port $SWARM_TRACKER_PORT or port $SWARM_SEED_PORT"

case $SCENARIO in
outage)
	start_meerko run1
	swarm_wait_for -t 60 -i 0.2 at_least run1 30 || true
	swarm_log "killing the proxy at $(percent run1)%"
	swarm_stop "$SWARM_PROXY_PID"
	swarm_wait_for -t 10 -i 0.2 grep -q "proxy down" "$SWARM_LOGS/run1.err" || true
	sleep 1
	paused_at=$(percent run1)
	sleep 4
	still=$(percent run1)
	swarm_start_microsocks
	wait_meerko; rc=$RC
	swarm_capture_stop || true
	swarm_check "exit 0 after the outage (rc=$rc)" test "$rc" -eq 0
	swarm_check "the client reported the proxy down" grep -q "proxy down" "$SWARM_LOGS/run1.err"
	swarm_check "the client resumed when the proxy came back" grep -q "proxy back" "$SWARM_LOGS/run1.err"
	swarm_check "no progress while the proxy was down ($paused_at% -> $still%)" test "$still" -le "$((paused_at + 1))"
	swarm_check "every file's SHA-256 matches" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
	;;
maxoutage)
	start_meerko run1
	swarm_wait_for -t 60 -i 0.2 at_least run1 30 || true
	swarm_stop "$SWARM_PROXY_PID"
	wait_meerko; rc=$RC
	swarm_check "exit 8 after max_outage (rc=$rc)" test "$rc" -eq 8
	swarm_check "the message names max_outage" grep -q "max_outage" "$SWARM_LOGS/run1.err"
	swarm_check "resume data was saved" has_state
	swarm_start_microsocks
	start_meerko run2
	wait_meerko; rc=$RC
	swarm_capture_stop || true
	swarm_check "the rerun finishes (rc=$rc)" test "$rc" -eq 0
	swarm_check "every file's SHA-256 matches" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
	got=$(downloaded run2)
	swarm_check "the rerun downloaded less than the whole torrent (${got:-?} of $total_bytes)" test "${got:-$total_bytes}" -lt "$total_bytes"
	;;
kill9)
	start_meerko run1
	swarm_wait_for -t 60 -i 0.2 at_least run1 50 || true
	done_pct=$(percent run1)
	bpid=$(broker_pid || true)
	epid=$(engine_pid || true)
	swarm_check "found the broker and engine processes" test -n "$bpid" -a -n "$epid"
	kill -9 "$bpid" "$epid" 2>/dev/null || true
	wait_meerko
	swarm_wait_for -t 10 -i 0.2 no_engine || true
	start_meerko run2
	wait_meerko; rc=$RC
	swarm_capture_stop || true
	missing=$((total_bytes * (100 - done_pct) / 100))
	swarm_check "the rerun finishes (rc=$rc)" test "$rc" -eq 0
	swarm_check "the rerun verified the files (unclean stop)" grep -q "did not stop cleanly" "$SWARM_LOGS/run2.err"
	swarm_check "every file's SHA-256 matches" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
	swarm_check "the rerun downloaded at most the missing $missing bytes + 4 MiB (killed at $done_pct%)" \
		fetched_at_most run2 "$missing"
	;;
engine)
	start_meerko run1
	swarm_wait_for -t 60 -i 0.2 at_least run1 30 || true
	epid=$(engine_pid || true)
	swarm_check "found the engine process" test -n "$epid"
	if [[ -n $epid ]]; then kill -9 "$epid"; fi
	wait_meerko; rc=$RC
	swarm_capture_stop || true
	swarm_check "exit 0 after an engine crash (rc=$rc)" test "$rc" -eq 0
	swarm_check "the broker said why and restarted" grep -q "restarting the engine" "$SWARM_LOGS/run1.err"
	swarm_check "the crash was reported with its signal" grep -q "killed by signal 9" "$SWARM_LOGS/run1.err"
	swarm_check "every file's SHA-256 matches" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
	;;
relay_killed)
	# kill -9 of the relay: noticed at once (POLLHUP), reaped, said, and
	# the relay and the engine restarted from saved state
	start_meerko run1
	swarm_wait_for -t 60 -i 0.2 at_least run1 30 || true
	rpid=$(relay_pid || true)
	swarm_check "found the relay process" test -n "$rpid"
	if [[ -n $rpid ]]; then kill -9 "$rpid"; fi
	swarm_wait_for -t 10 -i 0.2 grep -q "relay" "$SWARM_LOGS/run1.err" || true
	swarm_check "the old relay was reaped (no zombie)" bash -c "! kill -0 $rpid 2>/dev/null"
	wait_meerko; rc=$RC
	swarm_capture_stop || true
	swarm_check "exit 0 after the relay was killed (rc=$rc)" test "$rc" -eq 0
	swarm_check "the broker said the relay was killed by signal 9" \
		grep -q "the proxy relay was killed by signal 9" "$SWARM_LOGS/run1.err"
	swarm_check "... and restarted it" grep -q "restarting the proxy relay and the engine" "$SWARM_LOGS/run1.err"
	swarm_check "every file's SHA-256 matches" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
	swarm_check "the restart did not fetch it all again (at most $total_bytes bytes + 4 MiB)" \
		fetched_at_most run1 "$total_bytes"
	;;
relay_killed_twice)
	# max_restarts = 1: the second kill -9 of the relay ends the run with
	# exit 7 and the reason; the state is saved and a rerun finishes
	start_meerko run1
	swarm_wait_for -t 60 -i 0.2 at_least run1 20 || true
	rpid=$(relay_pid || true)
	if [[ -n $rpid ]]; then kill -9 "$rpid"; fi
	swarm_wait_for -t 20 -i 0.2 grep -q "restarting the proxy relay" "$SWARM_LOGS/run1.err" || true
	relay_is_new() { local r; r=$(relay_pid || true); [[ -n $r && $r != "$rpid" ]]; }
	swarm_wait_for -t 20 -i 0.2 relay_is_new || true
	rpid2=$(relay_pid || true)
	swarm_check "a new relay was started" test -n "$rpid2" -a "$rpid2" != "$rpid"
	if [[ -n $rpid2 ]]; then kill -9 "$rpid2"; fi
	wait_meerko; rc=$RC
	swarm_check "exit 7 after the relay failed twice (rc=$rc)" test "$rc" -eq 7
	swarm_check "the reason: the proxy relay failed 2 times, giving up" \
		grep -q "the proxy relay failed 2 times within .*giving up" "$SWARM_LOGS/run1.err"
	swarm_check "resume data was saved" has_state
	start_meerko run2
	wait_meerko; rc=$RC
	swarm_capture_stop || true
	swarm_check "the rerun finishes (rc=$rc)" test "$rc" -eq 0
	swarm_check "the rerun trusted the saved state (clean stop)" bash -c "! grep -q 'did not stop cleanly' '$SWARM_LOGS/run2.err'"
	swarm_check "every file's SHA-256 matches" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
	;;
files_deleted)
	start_meerko run1
	wait_meerko; rc=$RC
	swarm_check "the first run finishes (rc=$rc)" test "$rc" -eq 0
	swarm_check "every file's SHA-256 matches (run 1)" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
	swarm_check "a complete download is not rechecked" bash -c "! grep -q 'hashing every piece again' '$SWARM_LOGS/run1.err'"
	# between runs: the resume data says complete; one file gone, one short
	rm -f "$OUT/payload/file-1.bin"
	truncate -s 1M "$OUT/payload/sub/file-2.bin"
	start_meerko run2
	wait_meerko; rc=$RC
	swarm_capture_stop || true
	got=$(downloaded run2)
	swarm_check "the rerun after deleting and truncating finished files finishes (rc=$rc)" test "$rc" -eq 0
	swarm_check "... it said a file is missing, short or has holes" \
		grep -qE "file-[12].bin (is missing|has [0-9]+ of [0-9]+ bytes|has holes .*): hashing every piece again" \
		"$SWARM_LOGS/run2.err"
	swarm_check "... and fetched them again (${got:-?} bytes)" test "${got:-0}" -gt $((total_bytes / 2))
	swarm_check "every file's SHA-256 matches (run 2)" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
	;;
proxy_stalls)
	kill -STOP "$SWARM_PROXY_PID"
	start_meerko run0
	sleep 1
	kill -INT "$(broker_pid)" 2>/dev/null || true
	wait_meerko; rc=$RC
	swarm_check "Ctrl-C during the start-up proxy check: exit 130 (rc=$rc)" test "$rc" -eq 130
	swarm_check "... with its one line" grep -q "interrupted during start-up: nothing was downloaded" \
		"$SWARM_LOGS/run0.err"
	kill -CONT "$SWARM_PROXY_PID"
	start_meerko run1
	swarm_wait_for -t 60 -i 0.2 at_least run1 30 || true
	kill -STOP "$SWARM_PROXY_PID"
	t0=$(date +%s%N)
	swarm_wait_for -t 20 -i 0.1 grep -q "proxy down" "$SWARM_LOGS/run1.err" || true
	took_ms=$((($(date +%s%N) - t0) / 1000000))
	swarm_check "a stalled proxy is down within 8 s (${took_ms} ms)" test "$took_ms" -le 8000
	kill -CONT "$SWARM_PROXY_PID"
	wait_meerko; rc=$RC
	swarm_capture_stop || true
	swarm_check "exit 0 after the stall (rc=$rc)" test "$rc" -eq 0
	swarm_check "it resumed" grep -q "proxy back" "$SWARM_LOGS/run1.err"
	swarm_check "the last line counts the outage" grep -q "the proxy was down 1 time during this run" \
		"$SWARM_LOGS/run1.err"
	swarm_check "every file's SHA-256 matches" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
	;;
save_dir_deleted)
	start_meerko run1
	swarm_wait_for -t 60 -i 0.2 at_least run1 30 || true
	rm -rf "$OUT"
	wait_meerko; rc=$RC
	swarm_capture_stop || true
	swarm_check "exit 5 when the save dir is deleted (rc=$rc)" test "$rc" -eq 5
	swarm_check "the line says the save dir was deleted" grep -q "the save dir $OUT was deleted" "$SWARM_LOGS/run1.err"
	swarm_check "... not 'Permission denied'" bash -c "! grep -q 'Permission denied' '$SWARM_LOGS/run1.err'"
	;;
verify_overwrite)
	start_meerko run1
	wait_meerko; rc=$RC
	swarm_check "the first run finishes (rc=$rc)" test "$rc" -eq 0
	dd if=/dev/urandom of="$OUT/payload/file-1.bin" bs=1M seek=2 count=1 conv=notrunc 2>/dev/null
	swarm_check "the garbage changed the file" bash -c "! cmp -s '$PAYLOAD/file-1.bin' '$OUT/payload/file-1.bin'"
	timeout -k 5 120 "$MEERKO_BIN" --config "$CONFIG" -o "$OUT" --verify "$TORRENT" \
		>"$SWARM_LOGS/run2.out" 2>"$SWARM_LOGS/run2.err" </dev/null && rc=0 || rc=$?
	swarm_capture_stop || true
	got=$(downloaded run2)
	swarm_check "--verify: the rerun finishes (rc=$rc)" test "$rc" -eq 0
	swarm_check "... it said it hashes every piece" grep -q -- "--verify: hashing every piece" "$SWARM_LOGS/run2.err"
	swarm_check "... and refetched the damaged pieces (${got:-?} bytes, at least 1 MiB, not all)" \
		test "${got:-0}" -ge 1048576 -a "${got:-0}" -lt "$total_bytes"
	swarm_check "every file's SHA-256 matches" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
	;;
second_run)
	start_meerko run1
	swarm_wait_for -t 60 -i 0.2 at_least run1 10 || true
	bpid=$(broker_pid || true)
	rc2=0
	timeout -k 5 30 "$MEERKO_BIN" --config "$CONFIG" -o "$OUT" "$TORRENT" \
		>"$SWARM_LOGS/run2.out" 2>"$SWARM_LOGS/run2.err" </dev/null || rc2=$?
	swarm_check "the second run is refused with exit 12 (rc=$rc2)" test "$rc2" -eq 12
	swarm_check "... in one line naming the first run's pid $bpid" \
		grep -q "already being downloaded into $OUT by another meerko-secure (pid $bpid)" "$SWARM_LOGS/run2.err"
	swarm_check "... and it printed nothing else" test "$(wc -l <"$SWARM_LOGS/run2.err")" -eq 1
	wait_meerko; rc=$RC
	swarm_capture_stop || true
	swarm_check "the first run finishes (rc=$rc)" test "$rc" -eq 0
	swarm_check "every file's SHA-256 matches" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
	swarm_check "the first run fetched the torrent once (at most $total_bytes bytes + 4 MiB)" \
		fetched_at_most run1 "$total_bytes"
	;;
state_dir_full)
	start_meerko run1
	swarm_wait_for -t 60 -i 0.2 at_least run1 30 || true
	swarm_wait_for -t 10 -i 0.2 has_state || true
	done_pct=$(percent run1)
	dd if=/dev/zero of="$STATE/filler" bs=4k 2>/dev/null || true # until ENOSPC
	kill -TERM "$(broker_pid)"
	wait_meerko; rc=$RC
	swarm_check "exit 5: the state could not be saved (rc=$rc)" test "$rc" -eq 5
	swarm_check "the warning gives the reason" \
		grep -q "cannot save resume data (No space left on device)" "$SWARM_LOGS/run1.err"
	swarm_check "the last line says the next run verifies" \
		grep -q "could not be saved: the next run verifies what is on disk" "$SWARM_LOGS/run1.err"
	swarm_check "the 'did not stop cleanly' marker stayed" compgen -G "$STATE/*.running"
	rm -f "$STATE/filler"
	start_meerko run2
	wait_meerko; rc=$RC
	swarm_capture_stop || true
	missing=$((total_bytes * (100 - done_pct) / 100))
	swarm_check "the rerun finishes (rc=$rc)" test "$rc" -eq 0
	swarm_check "the rerun verified the files (the stop was not clean)" \
		grep -q "did not stop cleanly" "$SWARM_LOGS/run2.err"
	swarm_check "every file's SHA-256 matches" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
	swarm_check "the rerun downloaded at most the missing $missing bytes + 4 MiB (stopped at $done_pct%)" \
		fetched_at_most run2 "$missing"
	umount "$STATE" || true
	;;
sigterm)
	start_meerko run1
	swarm_wait_for -t 60 -i 0.2 at_least run1 30 || true
	kill -TERM "$(broker_pid)"
	wait_meerko; rc=$RC
	swarm_check "exit 143 on SIGTERM (rc=$rc)" test "$rc" -eq 143
	swarm_check "resume data was saved" has_state
	start_meerko run2
	wait_meerko; rc=$RC
	swarm_capture_stop || true
	swarm_check "the rerun finishes (rc=$rc)" test "$rc" -eq 0
	swarm_check "every file's SHA-256 matches" swarm_sha256_check "$PAYLOAD" "$OUT/payload"
	got=$(downloaded run2)
	swarm_check "the rerun downloaded less than the whole torrent (${got:-?} of $total_bytes)" test "${got:-$total_bytes}" -lt "$total_bytes"
	;;
*) swarm_die "unknown scenario $SCENARIO" ;;
esac

tracker_ips=$(swarm_tracker_saw "$SWARM_SEED_IP" || true)
seed_ips=$(swarm_capture_src_ips "$SWARM_SEED_IP" "$SWARM_SEED_PORT" "$SWARM_SEED_IP" || true)
swarm_check "capture: only the proxy reached the tracker" swarm_only_ips "$SWARM_PROXY_IP" "$tracker_ips"
swarm_check "capture: only the proxy reached the seeder" swarm_only_ips "$SWARM_PROXY_IP" "$seed_ips"
((SWARM_FAILED == 0 && ${MK_SHOW_LOGS:-0} == 0)) || show run1.out run1.err run2.out run2.err
swarm_summary
