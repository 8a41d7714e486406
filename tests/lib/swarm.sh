# shellcheck shell=bash disable=SC2034
# (SC2034: the SWARM_* globals are this library's interface, read by callers)
#
# tests/lib/swarm.sh - a real BitTorrent swarm on loopback, for Meerko's
# integration tests, the demo, the benchmark and the leak test.
#
# Everything is a real program from Debian's packages (see
# ../shared/swarm.md): opentracker, microsocks, danted, aria2c, mktorrent,
# transmission-show, tcpdump, ss. Nothing is mocked.
#
# Usage (from a `set -euo pipefail` bash script):
#
#   . "$(dirname "$0")/../lib/swarm.sh"
#   swarm_require_cmds opentracker aria2c mktorrent transmission-show
#   swarm_init                                  # temp dir + cleanup trap
#   swarm_make_payload "$SWARM_DIR/seed/payload" 3 8
#   swarm_make_torrent "$SWARM_DIR/seed/payload" "$SWARM_DIR/t.torrent"
#   swarm_start_tracker "$SWARM_DIR/t.torrent"
#   swarm_start_microsocks
#   swarm_start_seeder_aria2 "$SWARM_DIR/t.torrent" "$SWARM_DIR/seed"
#   swarm_capture_start "port $SWARM_TRACKER_PORT or port $SWARM_SEED_PORT"
#   swarm_run client 120 some-client ...        # bounded, logged, killable
#   swarm_capture_stop
#   swarm_check "seeder saw only the proxy" swarm_only_ips "$SWARM_PROXY_IP" \
#       "$(swarm_seeder_peer_ips)"
#   swarm_summary
#
# Functions (all prefixed swarm_; _swarm_* are internal):
#   swarm_init                     temp dir $SWARM_DIR (0755), logs in $SWARM_LOGS,
#                                  ports resolved, EXIT/INT/TERM trap installed
#   swarm_cleanup                  kill everything started, delete temp users and
#                                  $SWARM_DIR (idempotent; the trap calls it)
#   swarm_log MSG...               "swarm: MSG" on stderr
#   swarm_die MSG...               log "FATAL: MSG", return 1
#   swarm_skip_or_fail REASON      exit 77 (SKIP), or exit 1 (FAIL) when
#                                  MEERKO_REQUIRE_ALL=1
#   swarm_require_root             skip_or_fail unless uid 0
#   swarm_require_cmds CMD...      skip_or_fail unless every CMD is on PATH
#   swarm_wait_for [-t SEC] [-i SEC] CMD...
#                                  poll CMD until it succeeds; bounded in time
#                                  (default 5 s) and count; 1 on timeout
#   swarm_port_open IP PORT        0 if a TCP connect to IP:PORT succeeds
#   swarm_port_busy IP PORT [tcp|udp]  0 if something listens/binds there
#   swarm_spawn NAME CMD...        start CMD in the background, stdout+stderr to
#                                  $SWARM_LOGS/NAME.log, pid registered for
#                                  cleanup and put in $SWARM_LAST_PID
#   swarm_stop PID...              TERM, bounded wait, KILL (children too)
#   swarm_run NAME TIMEOUT CMD...  run CMD in the background under `timeout`,
#                                  stdout to $SWARM_LOGS/NAME.out, stderr to
#                                  NAME.err, wait for it (signals still reach
#                                  the trap), return its exit status
#   swarm_make_payload DIR NFILES TOTAL_MB
#                                  DIR becomes a multi-file torrent root holding
#                                  NFILES random files (TOTAL_MB MiB in all,
#                                  sizes not piece-aligned, the last one in a
#                                  sub-folder when NFILES > 1)
#   swarm_make_torrent DIR OUT.torrent
#                                  mktorrent, piece 2^$SWARM_PIECE_EXP, announce
#                                  $SWARM_ANNOUNCE_URL; prints nothing
#   swarm_infohash FILE.torrent    prints the v1 info-hash (40 hex)
#   swarm_start_tracker [TORRENT|HASH]...
#                                  opentracker on $SWARM_TRACKER_IP:PORT (TCP and
#                                  UDP), whitelisting the given torrents
#   swarm_tracker_seeders HASH     scrape: prints the tracker's seeder count. This
#                                  is the harness's only own traffic to the
#                                  tracker (from 127.0.0.1, also done by
#                                  swarm_start_seeder_aria2): start captures after
#   swarm_start_microsocks [USER PASS]
#                                  microsocks on $SWARM_PROXY_IP:$SWARM_PROXY_PORT,
#                                  outgoing from $SWARM_PROXY_IP
#   swarm_start_dante [USER PASS]  danted there instead; with USER PASS a
#                                  temporary system user is created (and
#                                  deleted by cleanup) for username auth
#   swarm_start_seeder_aria2 TORRENT DATADIR
#                                  aria2c seeding on $SWARM_SEED_IP:$SWARM_SEED_PORT;
#                                  returns once it verified the data, listens,
#                                  and the tracker lists it as a seeder
#   swarm_start_seeder_lt DATADIR TORRENT...
#                                  python3-libtorrent (lt_seeder.py) seeding every
#                                  TORRENT there instead; it serves metadata, so
#                                  magnet links work (aria2c does not serve it)
#   swarm_lt_seeder_peer_ips       distinct peer IPs that libtorrent seeder saw
#   swarm_seeder_peer_ips [LOG]    distinct IPs that sent the seeder a BitTorrent
#                                  handshake (aria2c "From: IP:port handshake"),
#                                  the seeder's own IP excluded
#   swarm_seeder_peer_ids [LOG]    the peerIds of those handshakes, one a line
#   swarm_capture_start FILTER     tcpdump on lo (-U, pcap in $SWARM_DIR), returns
#                                  once tcpdump is listening
#   swarm_capture_stop             SIGINT, bounded wait; the pcap stays readable
#   swarm_capture_src_ips DST_IP DST_PORT [EXCLUDE_IP...]
#                                  distinct source IPs of captured packets (TCP or
#                                  UDP) sent to DST_IP:DST_PORT
#   swarm_tracker_saw [EXCLUDE_IP...]
#                                  swarm_capture_src_ips for the tracker
#   swarm_sha256_check SRC DST     every file under SRC is in DST with the same
#                                  SHA-256; prints each mismatch; 1 if any
#   swarm_only_ips ALLOWED "IPS"   0 if IPS (newline separated) is non-empty and
#                                  every one is ALLOWED; prints the offenders
#   swarm_check DESC CMD...        run CMD, print "ok - DESC" / "not ok - DESC",
#                                  count it
#   swarm_summary                  print "N passed, M failed"; 0 iff M == 0
#   swarm_dump_logs [LINES]        tail of every log in $SWARM_LOGS (done by the
#                                  trap when the script exits non-zero, not 77)
#   swarm_sanitizer_reports DIR... print every sanitizer report (ASan, LSan,
#                                  UBSan) in the text files under DIR; 0 if any.
#                                  The trap checks $SWARM_DIR with it and turns
#                                  the exit status into 1 if one is found: the
#                                  sandboxed engine's reports only reach the
#                                  client's stderr, which tests keep in files.
#
# Addresses (loopback only; swarm_init refuses anything else):
#   SWARM_TRACKER_IP=127.0.0.1  SWARM_CLIENT_IP=127.0.0.2
#   SWARM_PROXY_IP=127.0.0.3    SWARM_SEED_IP=127.0.0.4
# Ports: SWARM_TRACKER_PORT (6969, TCP+UDP), SWARM_PROXY_PORT (1080),
#   SWARM_SEED_PORT (6881), SWARM_CLIENT_PORT (6882). A port set in the
#   environment must be free or swarm_init fails; a default port that is busy
#   (another run on this machine) is replaced by the next free one, and the
#   variable tells which.
# Other knobs: SWARM_PIECE_EXP (18), SWARM_KEEP=1 (keep $SWARM_DIR),
#   SWARM_QUIET=1 (no swarm: progress lines), SWARM_DUMP_LINES (40),
#   SWARM_DUMP_ON_FAIL (1: the trap shows the logs on a non-zero exit),
#   SWARM_KILL_GRACE (3 s), SWARM_CAPTURE_SNAPLEN (256 bytes),
#   SWARM_ALLOW_PRIVATE (true: swarm_meerko_config lets the relay reach 127.x).
#
# Rules kept here: every loop is bounded in count and time; only processes
# this library started are signalled, by pid; the trap also runs on failure.
# Call swarm_spawn/swarm_start_* directly, never inside $(...): a pid
# registered in a subshell is lost to the cleanup.

if [[ -n ${_SWARM_SH_LOADED:-} ]]; then
	return 0
fi
_SWARM_SH_LOADED=1

# ------------------------------------------------------------------ settings
: "${SWARM_TRACKER_IP:=127.0.0.1}"
: "${SWARM_CLIENT_IP:=127.0.0.2}"
: "${SWARM_PROXY_IP:=127.0.0.3}"
: "${SWARM_SEED_IP:=127.0.0.4}"
# remember which ports the caller pinned (those must be free, no fallback)
_SWARM_PINNED_TRACKER_PORT=${SWARM_TRACKER_PORT:+1}
_SWARM_PINNED_PROXY_PORT=${SWARM_PROXY_PORT:+1}
_SWARM_PINNED_SEED_PORT=${SWARM_SEED_PORT:+1}
_SWARM_PINNED_CLIENT_PORT=${SWARM_CLIENT_PORT:+1}
: "${SWARM_TRACKER_PORT:=6969}"
: "${SWARM_PROXY_PORT:=1080}"
: "${SWARM_SEED_PORT:=6881}"
: "${SWARM_CLIENT_PORT:=6882}"
: "${SWARM_PIECE_EXP:=18}"
: "${SWARM_KEEP:=0}"
: "${SWARM_QUIET:=0}"
: "${SWARM_DUMP_LINES:=40}"
: "${SWARM_DUMP_ON_FAIL:=1}"
: "${SWARM_KILL_GRACE:=3}"
: "${SWARM_CAPTURE_SNAPLEN:=256}"
SWARM_ANNOUNCE_URL="http://${SWARM_TRACKER_IP}:${SWARM_TRACKER_PORT}/announce"

SWARM_DIR=""
SWARM_LOGS=""
SWARM_LAST_PID=""
SWARM_TRACKER_PID=""
SWARM_PROXY_PID=""
SWARM_PROXY_KIND=""
SWARM_SEED_PID=""
SWARM_SEED_LOG=""
SWARM_CAPTURE_PID=""
SWARM_CAPTURE_FILE=""
SWARM_PASSED=0
SWARM_FAILED=0
_SWARM_PIDS=()
_SWARM_USERS=()
_SWARM_CLEANED=0

# ------------------------------------------------------------------ messages
swarm_log() {
	[[ $SWARM_QUIET == 1 ]] || printf 'swarm: %s\n' "$*" >&2
}

swarm_die() {
	printf 'swarm: FATAL: %s\n' "$*" >&2
	return 1
}

swarm_skip_or_fail() {
	local reason=$*
	if [[ ${MEERKO_REQUIRE_ALL:-0} == 1 ]]; then
		printf 'FAIL: %s (MEERKO_REQUIRE_ALL=1 forbids skipping)\n' "$reason"
		exit 1
	fi
	printf 'SKIP: %s\n' "$reason"
	exit 77
}

# Re-runs the calling script in a private network namespace of its own (only
# lo, up), so its ports can collide with nothing else on the machine and the
# namespace vanishes with its last process. Call first, with "$@".
swarm_isolate() {
	[[ ${SWARM_ISOLATED:-} == 1 ]] && return 0
	((EUID == 0)) || return 0
	command -v unshare >/dev/null || swarm_skip_or_fail "unshare (util-linux) is missing"
	export SWARM_ISOLATED=1
	exec unshare --net -- bash -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
}

# Writes a meerko.ini (mode 0600 from the start) pointing at this swarm's
# proxy; each further argument is one more line (sections included). The
# swarm lives on 127.x, which the relay refuses by default, so the file
# says allow_private_destinations = $SWARM_ALLOW_PRIVATE (default true).
swarm_meerko_config() { # FILE [LINE...]
	local file=$1
	shift
	(
		umask 077
		printf '[proxy]\ntype = socks5\nhost = %s\nport = %s\nallow_private_destinations = %s\n' \
			"$SWARM_PROXY_IP" "$SWARM_PROXY_PORT" "${SWARM_ALLOW_PRIVATE:-true}"
		(($# == 0)) || printf '%s\n' "$@"
	) >"$file"
	chmod 600 "$file"
}

swarm_require_root() {
	[[ $(id -u) == 0 ]] || swarm_skip_or_fail "needs root (packet capture, opentracker chroot, danted)"
}

swarm_require_cmds() {
	local c missing=()
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || missing+=("$c")
	done
	((${#missing[@]} == 0)) || swarm_skip_or_fail "missing: ${missing[*]} (run scripts/deps.sh)"
}

# ------------------------------------------------------------------ helpers
_swarm_is_loopback() {
	[[ $1 =~ ^127\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] &&
		((BASH_REMATCH[1] <= 255 && BASH_REMATCH[2] <= 255 && BASH_REMATCH[3] <= 255))
}

_swarm_is_port() {
	[[ $1 =~ ^[0-9]{1,5}$ ]] && ((10#$1 >= 1 && 10#$1 <= 65535))
}

# milliseconds since the epoch (bash 5 EPOCHREALTIME, no fork)
_swarm_now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	printf '%s\n' "$((t / 1000))"
}

swarm_wait_for() {
	local timeout=5 interval=0.1
	while (($# > 0)); do
		case $1 in
		-t) timeout=$2; shift 2 ;;
		-i) interval=$2; shift 2 ;;
		--) shift; break ;;
		*) break ;;
		esac
	done
	(($# > 0)) || { swarm_die "swarm_wait_for: no command"; return 1; }
	local start deadline_ms max_tries tries=0
	start=$(_swarm_now_ms)
	deadline_ms=$(awk -v t="$timeout" 'BEGIN { printf "%d", t * 1000 }')
	# the count bound: enough tries to cover the time, plus a few
	max_tries=$(awk -v t="$timeout" -v i="$interval" 'BEGIN { printf "%d", t / i + 5 }')
	while ((tries < max_tries)); do
		tries=$((tries + 1))
		if "$@"; then
			return 0
		fi
		(($(_swarm_now_ms) - start >= deadline_ms)) && break
		sleep "$interval"
	done
	return 1
}

swarm_port_open() {
	# shellcheck disable=SC2016 # $1/$2 expand in the inner bash
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

swarm_port_busy() {
	local ip=$1 port=$2 proto=${3:-tcp} flag=-Hltn
	[[ $proto == udp ]] && flag=-Hlun
	ss "$flag" 2>/dev/null | awk -v ip="$ip" -v port="$port" '
		{ a = $4; n = split(a, p, ":"); lp = p[n]; la = substr(a, 1, length(a) - length(lp) - 1)
		  sub(/%.*/, "", la)
		  if (lp == port && (la == ip || la == "0.0.0.0" || la == "*" || la == "[::]" ||
		      la == "[::ffff:" ip "]")) found = 1 }
		END { exit !found }'
}

# _swarm_resolve_port VAR IP PINNED tcp|tcpudp
_swarm_resolve_port() {
	local var=$1 ip=$2 pinned=$3 protos=$4 port=${!1} tries=0
	_swarm_is_port "$port" || { swarm_die "$var=$port is not a port"; return 1; }
	while ((tries < 200)); do
		if ! swarm_port_busy "$ip" "$port" tcp &&
			{ [[ $protos != tcpudp ]] || ! swarm_port_busy "$ip" "$port" udp; }; then
			if ((tries > 0)); then
				swarm_log "$var: ${!var} busy on $ip, using $port"
			fi
			printf -v "$var" '%s' "$port"
			return 0
		fi
		if [[ -n $pinned ]]; then
			swarm_die "$var=$port is already in use on $ip (set $var to a free port)"
			return 1
		fi
		tries=$((tries + 1))
		port=$((port + 1))
		((port <= 65535)) || break
	done
	swarm_die "no free port for $var near ${!var} on $ip"
	return 1
}

_swarm_check_free() { # IP PORT [udp] -- for start functions
	if swarm_port_busy "$1" "$2" tcp || { [[ ${3:-} == udp ]] && swarm_port_busy "$1" "$2" udp; }; then
		swarm_die "$1:$2 is already in use (ss -ltnup shows by whom)"
		return 1
	fi
}

# ------------------------------------------------------------------ processes
_swarm_alive() {
	local st
	{ read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
	st=${st##*) }
	[[ ${st:0:1} != Z && ${st:0:1} != X ]]
}

# descendants of a pid, by parent id from /proc (bounded depth)
_swarm_descendants() {
	local level=("$1") next depth=0 p f s
	while ((depth < 6 && ${#level[@]} > 0)); do
		next=()
		for f in /proc/[0-9]*/stat; do
			{ read -r s <"$f"; } 2>/dev/null || continue
			s=${s##*) } # "STATE PPID ..."
			s=${s#* }
			s=${s%% *}
			for p in "${level[@]}"; do
				if [[ $s == "$p" ]]; then
					f=${f#/proc/}
					next+=("${f%/stat}")
				fi
			done
		done
		if ((${#next[@]} > 0)); then
			printf '%s\n' "${next[@]}"
		fi
		level=("${next[@]}")
		depth=$((depth + 1))
	done
}

swarm_stop() {
	local p all=() kids i deadline
	for p in "$@"; do
		[[ $p =~ ^[0-9]+$ ]] || continue
		all+=("$p")
		mapfile -t kids < <(_swarm_descendants "$p")
		all+=("${kids[@]}")
	done
	((${#all[@]} > 0)) || return 0
	for p in "${all[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	deadline=$(($(_swarm_now_ms) + SWARM_KILL_GRACE * 1000))
	for ((i = 0; i < SWARM_KILL_GRACE * 20 + 5; i++)); do
		local any=0
		for p in "${all[@]}"; do
			if _swarm_alive "$p"; then any=1; break; fi
		done
		((any == 0)) && break
		(($(_swarm_now_ms) >= deadline)) && break
		sleep 0.05
	done
	for p in "${all[@]}"; do
		if _swarm_alive "$p"; then
			swarm_log "pid $p ignored TERM for ${SWARM_KILL_GRACE}s: KILL"
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
	# reap our direct children (they are dead now, so wait cannot block long)
	for p in "$@"; do
		[[ $p =~ ^[0-9]+$ ]] || continue
		wait "$p" 2>/dev/null || true
		local keep=() q
		for q in "${_SWARM_PIDS[@]}"; do
			[[ $q == "$p" ]] || keep+=("$q")
		done
		_SWARM_PIDS=("${keep[@]}")
	done
	return 0
}

swarm_spawn() {
	local name=$1
	shift
	[[ -n $SWARM_DIR ]] || { swarm_die "swarm_spawn before swarm_init"; return 1; }
	"$@" >"$SWARM_LOGS/$name.log" 2>&1 </dev/null &
	SWARM_LAST_PID=$!
	_SWARM_PIDS+=("$SWARM_LAST_PID")
	swarm_log "started $name (pid $SWARM_LAST_PID): $*"
}

swarm_run() {
	local name=$1 limit=$2 pid rc=0
	shift 2
	[[ -n $SWARM_DIR ]] || { swarm_die "swarm_run before swarm_init"; return 1; }
	swarm_log "running $name (at most ${limit}s): $*"
	timeout -k 5 "$limit" "$@" >"$SWARM_LOGS/$name.out" 2>"$SWARM_LOGS/$name.err" </dev/null &
	pid=$!
	_SWARM_PIDS+=("$pid")
	wait "$pid" || rc=$?
	local keep=() q
	for q in "${_SWARM_PIDS[@]}"; do
		[[ $q == "$pid" ]] || keep+=("$q")
	done
	_SWARM_PIDS=("${keep[@]}")
	if ((rc == 124)); then
		swarm_log "$name timed out after ${limit}s"
	fi
	return "$rc"
}

# ------------------------------------------------------------------ lifecycle
swarm_init() {
	local ip
	for ip in "$SWARM_TRACKER_IP" "$SWARM_CLIENT_IP" "$SWARM_PROXY_IP" "$SWARM_SEED_IP"; do
		_swarm_is_loopback "$ip" || { swarm_die "$ip is not a loopback address: refusing"; return 1; }
	done
	[[ -z $SWARM_DIR ]] || { swarm_die "swarm_init called twice"; return 1; }
	command -v ss >/dev/null 2>&1 || { swarm_die "ss (iproute2) is needed"; return 1; }
	_swarm_resolve_port SWARM_TRACKER_PORT "$SWARM_TRACKER_IP" "$_SWARM_PINNED_TRACKER_PORT" tcpudp || return 1
	_swarm_resolve_port SWARM_PROXY_PORT "$SWARM_PROXY_IP" "$_SWARM_PINNED_PROXY_PORT" tcp || return 1
	_swarm_resolve_port SWARM_SEED_PORT "$SWARM_SEED_IP" "$_SWARM_PINNED_SEED_PORT" tcp || return 1
	_swarm_resolve_port SWARM_CLIENT_PORT "$SWARM_CLIENT_IP" "$_SWARM_PINNED_CLIENT_PORT" tcp || return 1
	SWARM_ANNOUNCE_URL="http://${SWARM_TRACKER_IP}:${SWARM_TRACKER_PORT}/announce"

	SWARM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/meerko-swarm.XXXXXXXX") || { swarm_die "mktemp -d failed"; return 1; }
	# opentracker drops to nobody and reads the whitelist from here
	chmod 755 "$SWARM_DIR"
	SWARM_LOGS=$SWARM_DIR/logs
	mkdir -p "$SWARM_LOGS"
	trap '_swarm_on_exit' EXIT
	trap '_swarm_on_signal 130 INT' INT
	trap '_swarm_on_signal 143 TERM' TERM
	swarm_log "dir $SWARM_DIR; tracker $SWARM_TRACKER_IP:$SWARM_TRACKER_PORT, proxy $SWARM_PROXY_IP:$SWARM_PROXY_PORT, seeder $SWARM_SEED_IP:$SWARM_SEED_PORT"
}

_swarm_on_exit() {
	local rc=$?
	trap - EXIT
	if [[ -n $SWARM_DIR && -d $SWARM_DIR ]] && swarm_sanitizer_reports "$SWARM_DIR" >&2; then
		printf 'swarm: FAIL: a sanitizer report was found (above)\n' >&2
		rc=1
	fi
	if ((rc != 0 && rc != 77)) && [[ $SWARM_DUMP_ON_FAIL == 1 && -n $SWARM_DIR && -d $SWARM_LOGS ]]; then
		swarm_dump_logs "$SWARM_DUMP_LINES" >&2 || true
	fi
	swarm_cleanup
	exit "$rc"
}

# What starts a report of ASan, LeakSanitizer or UBSan (-fsanitize=undefined).
SWARM_SANITIZER_RE='ERROR: (AddressSanitizer|LeakSanitizer)|: runtime error: |Sanitizer:DEADLYSIGNAL|Sanitizer CHECK failed|LeakSanitizer has encountered'

swarm_sanitizer_reports() { # DIR...
	local f found=1
	while IFS= read -r f; do
		found=0
		printf -- '----- sanitizer report in %s -----\n' "$f"
		# from the first report line on: the report, not the whole log
		awk -v re="$SWARM_SANITIZER_RE" 'p || $0 ~ re { p = 1; print }' "$f" | head -n 200 || true
	done < <(grep -rlIE -- "$SWARM_SANITIZER_RE" "$@" 2>/dev/null)
	return "$found"
}

_swarm_on_signal() {
	trap - INT TERM
	printf 'swarm: caught SIG%s, cleaning up\n' "$2" >&2
	exit "$1" # runs the EXIT trap
}

swarm_cleanup() {
	((_SWARM_CLEANED == 0)) || return 0
	_SWARM_CLEANED=1
	local i u
	# a capture first, politely, so its pcap is complete if kept
	if [[ -n $SWARM_CAPTURE_PID ]]; then
		swarm_capture_stop >/dev/null 2>&1 || true
	fi
	# newest first: clients before seeder before proxy before tracker
	local rev=()
	for ((i = ${#_SWARM_PIDS[@]} - 1; i >= 0; i--)); do
		rev+=("${_SWARM_PIDS[$i]}")
	done
	if ((${#rev[@]} > 0)); then
		swarm_stop "${rev[@]}"
	fi
	for u in "${_SWARM_USERS[@]}"; do
		userdel "$u" >/dev/null 2>&1 || swarm_log "could not delete temporary user $u"
	done
	_SWARM_USERS=()
	if [[ -n $SWARM_DIR && -d $SWARM_DIR ]]; then
		if [[ $SWARM_KEEP == 1 ]]; then
			swarm_log "kept $SWARM_DIR (SWARM_KEEP=1)"
		else
			case $SWARM_DIR in
			*/meerko-swarm.*) rm -rf -- "$SWARM_DIR" ;;
			*) swarm_log "not removing unexpected dir '$SWARM_DIR'" ;;
			esac
		fi
	fi
}

swarm_dump_logs() {
	local lines=${1:-$SWARM_DUMP_LINES} f
	[[ -d $SWARM_LOGS ]] || return 0
	for f in "$SWARM_LOGS"/*; do
		[[ -f $f ]] || continue
		printf '\n----- %s (last %s lines) -----\n' "${f#"$SWARM_DIR"/}" "$lines"
		tail -n "$lines" "$f" | cut -c1-300
	done
	printf -- '----- end of logs -----\n'
}

# ------------------------------------------------------------------ data
swarm_make_payload() {
	local dir=$1 nfiles=$2 total_mb=$3
	if ! [[ $nfiles =~ ^[0-9]+$ ]] || ((nfiles < 1 || nfiles > 100)); then
		swarm_die "swarm_make_payload: NFILES must be 1..100"
		return 1
	fi
	if ! [[ $total_mb =~ ^[0-9]+$ ]] || ((total_mb < 1)); then
		swarm_die "swarm_make_payload: TOTAL_MB must be >= 1"
		return 1
	fi
	mkdir -p "$dir" || return 1
	local total=$((total_mb * 1048576)) base left i size path
	base=$((total / nfiles))
	left=$total
	for ((i = 1; i <= nfiles; i++)); do
		if ((i < nfiles)); then
			# shift sizes off piece boundaries so pieces span files
			size=$((base + (i % 2 == 1 ? 12345 : -6789)))
			((size > 0)) || size=$base
		else
			size=$left
		fi
		left=$((left - size))
		path=$dir/file-$i.bin
		if ((nfiles > 1 && i == nfiles)); then
			mkdir -p "$dir/sub"
			path=$dir/sub/file-$i.bin
		fi
		head -c "$size" /dev/urandom >"$path" || return 1
	done
}

swarm_make_torrent() {
	local dir=$1 out=$2
	[[ -d $dir ]] || { swarm_die "swarm_make_torrent: $dir is not a directory"; return 1; }
	rm -f -- "$out"
	if ! mktorrent -l "$SWARM_PIECE_EXP" -a "$SWARM_ANNOUNCE_URL" -o "$out" "$dir" >/dev/null 2>&1; then
		swarm_die "mktorrent failed for $dir"
		return 1
	fi
}

swarm_infohash() {
	local h
	h=$(transmission-show "$1" 2>/dev/null | awk '$1 == "Hash:" { print $2; exit }')
	[[ $h =~ ^[0-9a-f]{40}$ ]] || { swarm_die "no info-hash in $1"; return 1; }
	printf '%s\n' "$h"
}

# ------------------------------------------------------------------ tracker
swarm_start_tracker() {
	local wl=$SWARM_DIR/tracker/whitelist a h
	[[ -n $SWARM_DIR ]] || { swarm_die "swarm_start_tracker before swarm_init"; return 1; }
	command -v opentracker >/dev/null 2>&1 || { swarm_die "opentracker not installed"; return 1; }
	mkdir -p "$SWARM_DIR/tracker"
	chmod 755 "$SWARM_DIR/tracker"
	: >"$wl"
	for a in "$@"; do
		if [[ $a =~ ^[0-9a-fA-F]{40}$ ]]; then
			h=${a,,}
		else
			h=$(swarm_infohash "$a") || return 1
		fi
		printf '%s\n' "$h" >>"$wl"
	done
	chmod 644 "$wl"
	_swarm_check_free "$SWARM_TRACKER_IP" "$SWARM_TRACKER_PORT" udp || return 1
	# opentracker chroots to -d and drops to nobody: the whitelist path is
	# absolute and must be readable by nobody
	if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null 2>&1 &&
		! setpriv --reuid=nobody --regid=nogroup --clear-groups test -r "$wl" 2>/dev/null; then
		swarm_die "user nobody cannot read $wl (is ${TMPDIR:-/tmp} traversable by others?)"
		return 1
	fi
	swarm_spawn tracker opentracker -d / -i "$SWARM_TRACKER_IP" -p "$SWARM_TRACKER_PORT" \
		-P "$SWARM_TRACKER_PORT" -w "$wl" || return 1
	SWARM_TRACKER_PID=$SWARM_LAST_PID
	_swarm_wait_listen tracker "$SWARM_TRACKER_PID" "$SWARM_TRACKER_IP" "$SWARM_TRACKER_PORT"
}

# _swarm_wait_listen NAME PID IP PORT: until IP:PORT accepts (<= 5 s)
_swarm_wait_listen() {
	local name=$1 pid=$2 ip=$3 port=$4
	if swarm_wait_for -t 5 -i 0.05 _swarm_up_or_dead "$pid" "$ip" "$port" && _swarm_alive "$pid"; then
		return 0
	fi
	swarm_die "$name did not listen on $ip:$port within 5 s (log: $SWARM_LOGS/$name.log)"
	tail -n 20 "$SWARM_LOGS/$name.log" >&2 2>/dev/null || true
	return 1
}

# succeeds when the port accepts, or when the process is gone (stop waiting)
_swarm_up_or_dead() {
	! _swarm_alive "$1" || swarm_port_open "$2" "$3"
}

# prints the number of seeders the tracker reports for HASH (scrape), or fails
swarm_tracker_seeders() {
	local hash=${1,,} q resp
	[[ $hash =~ ^[0-9a-f]{40}$ ]] || { swarm_die "swarm_tracker_seeders: bad hash"; return 1; }
	if [[ -n $SWARM_CAPTURE_PID ]]; then
		swarm_log "warning: scraping the tracker during a capture: 127.0.0.1 (this harness) will be in it"
	fi
	local i
	q=""
	for ((i = 0; i < 40; i += 2)); do
		q+="%${hash:i:2}"
	done
	# plain HTTP/1.0 over bash's /dev/tcp: no curl needed
	# shellcheck disable=SC2016 # $1..$3 expand in the inner bash
	resp=$(timeout 3 bash -c '
		exec 3<>"/dev/tcp/$1/$2" || exit 1
		printf "GET /scrape?info_hash=%s HTTP/1.0\r\nHost: %s\r\n\r\n" "$3" "$1" >&3
		tr -c "[:print:]" "." <&3' _ "$SWARM_TRACKER_IP" "$SWARM_TRACKER_PORT" "$q" 2>/dev/null) || return 1
	[[ $resp =~ 8:completei([0-9]+)e ]] || return 1
	printf '%s\n' "${BASH_REMATCH[1]}"
}

# ------------------------------------------------------------------ proxies
_swarm_check_credentials() { # USER PASS
	[[ $1 =~ ^[a-z_][a-z0-9_-]{0,30}$ ]] || { swarm_die "proxy user '$1': use [a-z_][a-z0-9_-]*, at most 31 chars"; return 1; }
	[[ -n $2 && $2 != *:* && $2 != *$'\n'* ]] || { swarm_die "proxy password must be non-empty, without ':' or newline"; return 1; }
}

swarm_start_microsocks() {
	local args=(-i "$SWARM_PROXY_IP" -p "$SWARM_PROXY_PORT" -b "$SWARM_PROXY_IP")
	[[ -n $SWARM_DIR ]] || { swarm_die "swarm_start_microsocks before swarm_init"; return 1; }
	if (($# > 0)); then
		(($# == 2)) || { swarm_die "swarm_start_microsocks [USER PASS]"; return 1; }
		_swarm_check_credentials "$1" "$2" || return 1
		args+=(-u "$1" -P "$2")
	fi
	_swarm_check_free "$SWARM_PROXY_IP" "$SWARM_PROXY_PORT" || return 1
	swarm_spawn microsocks microsocks "${args[@]}" || return 1
	SWARM_PROXY_PID=$SWARM_LAST_PID
	SWARM_PROXY_KIND=microsocks
	_swarm_wait_listen microsocks "$SWARM_PROXY_PID" "$SWARM_PROXY_IP" "$SWARM_PROXY_PORT"
}

# A temporary ordinary user (a uid in login.defs' UID_MIN..UID_MAX, no home,
# no login shell), deleted by swarm_cleanup. Refuses an existing name.
swarm_add_ordinary_user() { # NAME
	local user=$1
	[[ $(id -u) == 0 ]] || { swarm_die "swarm_add_ordinary_user needs root"; return 1; }
	if getent passwd "$user" >/dev/null; then
		swarm_die "user '$user' already exists: pick another name (refusing to touch an existing account)"
		return 1
	fi
	useradd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user" ||
		{ swarm_die "useradd $user failed"; return 1; }
	_SWARM_USERS+=("$user")
}

swarm_start_dante() {
	local conf=$SWARM_DIR/danted.conf method=none user="" pass=""
	[[ -n $SWARM_DIR ]] || { swarm_die "swarm_start_dante before swarm_init"; return 1; }
	if (($# > 0)); then
		(($# == 2)) || { swarm_die "swarm_start_dante [USER PASS]"; return 1; }
		user=$1 pass=$2
		_swarm_check_credentials "$user" "$pass" || return 1
		[[ $(id -u) == 0 ]] || { swarm_die "dante username auth needs root (it checks system users)"; return 1; }
		if getent passwd "$user" >/dev/null; then
			swarm_die "user '$user' already exists: pick another name (refusing to touch an existing account)"
			return 1
		fi
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user" ||
			{ swarm_die "useradd $user failed"; return 1; }
		_SWARM_USERS+=("$user")
		printf '%s:%s\n' "$user" "$pass" | chpasswd || { swarm_die "chpasswd for $user failed"; return 1; }
		method=username
	fi
	_swarm_check_free "$SWARM_PROXY_IP" "$SWARM_PROXY_PORT" || return 1
	cat >"$conf" <<EOF
logoutput: $SWARM_LOGS/danted.dante.log
internal: $SWARM_PROXY_IP port = $SWARM_PROXY_PORT
external: $SWARM_PROXY_IP
socksmethod: $method
clientmethod: none
user.privileged: root
user.unprivileged: nobody
client pass {
	from: 127.0.0.0/8 to: 127.0.0.0/8
	log: error
}
client block {
	from: 0.0.0.0/0 to: 0.0.0.0/0
	log: connect error
}
socks pass {
	from: 127.0.0.0/8 to: 127.0.0.0/8
	command: connect bind udpassociate bindreply udpreply
	log: connect disconnect error
}
socks block {
	from: 0.0.0.0/0 to: 0.0.0.0/0
	log: connect error
}
EOF
	swarm_spawn danted danted -f "$conf" -p "$SWARM_DIR/danted.pid" || return 1
	SWARM_PROXY_PID=$SWARM_LAST_PID
	SWARM_PROXY_KIND=dante
	_swarm_wait_listen danted "$SWARM_PROXY_PID" "$SWARM_PROXY_IP" "$SWARM_PROXY_PORT"
}

# ------------------------------------------------------------------ seeder
swarm_start_seeder_aria2() {
	local torrent=$1 datadir=$2 hash log
	[[ -n $SWARM_DIR ]] || { swarm_die "swarm_start_seeder_aria2 before swarm_init"; return 1; }
	[[ -f $torrent && -d $datadir ]] || { swarm_die "swarm_start_seeder_aria2 TORRENT DATADIR"; return 1; }
	hash=$(swarm_infohash "$torrent") || return 1
	_swarm_check_free "$SWARM_SEED_IP" "$SWARM_SEED_PORT" || return 1
	log=$SWARM_LOGS/seeder.aria2.log
	SWARM_SEED_LOG=$log
	# --stop-with-process: the seeder also ends if this shell is SIGKILLed
	swarm_spawn seeder aria2c --no-conf=true \
		--interface="$SWARM_SEED_IP" --listen-port="$SWARM_SEED_PORT" \
		--enable-dht=false --enable-dht6=false --bt-enable-lpd=false \
		--enable-peer-exchange=false --seed-ratio=0.0 --check-integrity=true \
		--file-allocation=none --auto-save-interval=0 --summary-interval=0 \
		--console-log-level=warn --log="$log" --log-level=info \
		--stop-with-process=$$ --dir="$datadir" "$torrent" || return 1
	SWARM_SEED_PID=$SWARM_LAST_PID
	# ready = verified + listening + announced (the tracker counts it as a seeder)
	local limit=${SWARM_SEED_READY_TIMEOUT:-60}
	if ! swarm_wait_for -t "$limit" -i 0.2 _swarm_seeder_ready_or_dead "$log" "$SWARM_SEED_PID" "$hash" ||
		! _swarm_alive "$SWARM_SEED_PID"; then
		swarm_die "aria2c seeder not ready within ${limit}s (log: $log)"
		grep -E 'ERROR|NOTICE|WARN|failure' "$log" 2>/dev/null | tail -n 20 >&2 || true
		return 1
	fi
	swarm_log "seeder ready: $hash on $SWARM_SEED_IP:$SWARM_SEED_PORT"
}

_swarm_seeder_ready_or_dead() { # LOG PID HASH
	! _swarm_alive "$2" && return 0
	grep -q 'listening on TCP port' "$1" 2>/dev/null || return 1
	local n
	n=$(swarm_tracker_seeders "$3") || return 1
	((n >= 1))
}

swarm_seeder_peer_ips() {
	local log=${1:-$SWARM_SEED_LOG}
	[[ -f $log ]] || return 0
	grep -oE 'From: [0-9.]+:[0-9]+ handshake' "$log" |
		awk '{ split($2, a, ":"); print a[1] }' |
		grep -vxF "$SWARM_SEED_IP" | sort -u || true
}

swarm_seeder_peer_ids() {
	local log=${1:-$SWARM_SEED_LOG}
	[[ -f $log ]] || return 0
	grep -oE 'From: [0-9.]+:[0-9]+ handshake peerId=[^ ,]*' "$log" |
		sed 's/.*peerId=//' || true
}

# ------------------------------------------------------------------ capture
swarm_capture_start() {
	local filter=$1
	[[ -n $SWARM_DIR ]] || { swarm_die "swarm_capture_start before swarm_init"; return 1; }
	[[ -z $SWARM_CAPTURE_PID ]] || { swarm_die "a capture is already running"; return 1; }
	command -v tcpdump >/dev/null 2>&1 || { swarm_die "tcpdump not installed"; return 1; }
	SWARM_CAPTURE_FILE=$SWARM_DIR/capture-$(date +%H%M%S)-$RANDOM.pcap
	# --immediate-mode: without it libpcap's TPACKET_V3 ring hands packets
	# over in blocks (up to 1 s late) and a SIGINT drops what is still in
	# the ring (seen: 20 of 104 matched packets written). -U: write each
	# packet at once. -Z root: Debian's tcpdump would drop to user tcpdump
	# and then fail to write into the 0755 root-owned dir.
	swarm_spawn tcpdump tcpdump -i lo -nn --immediate-mode -U -s "$SWARM_CAPTURE_SNAPLEN" -Z root \
		-w "$SWARM_CAPTURE_FILE" "$filter" || return 1
	SWARM_CAPTURE_PID=$SWARM_LAST_PID
	if ! swarm_wait_for -t 5 -i 0.05 _swarm_capture_ready; then
		swarm_die "tcpdump did not start listening (log: $SWARM_LOGS/tcpdump.log)"
		cat "$SWARM_LOGS/tcpdump.log" >&2 2>/dev/null || true
		return 1
	fi
}

_swarm_capture_ready() {
	_swarm_alive "$SWARM_CAPTURE_PID" && grep -q '^tcpdump: listening on' "$SWARM_LOGS/tcpdump.log" 2>/dev/null
}

swarm_capture_stop() {
	local pid=$SWARM_CAPTURE_PID i
	[[ -n $pid ]] || return 0
	# give in-flight packets a moment to be written, then SIGINT (clean close)
	sleep 0.2
	kill -INT "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		_swarm_alive "$pid" || break
		sleep 0.1
	done
	swarm_stop "$pid"
	SWARM_CAPTURE_PID=""
	# a leak audit on an incomplete capture proves nothing: insist that
	# tcpdump wrote every packet the kernel matched. On lo the kernel's
	# filter sees each packet twice (as sent and as received) and libpcap
	# drops the "sent" copy, so matched is exactly twice captured there.
	local log=$SWARM_LOGS/tcpdump.log captured matched dropped
	captured=$(awk '/packets captured/ { print $1 }' "$log" 2>/dev/null)
	matched=$(awk '/packets received by filter/ { print $1 }' "$log" 2>/dev/null)
	dropped=$(awk '/packets dropped by kernel/ { print $1 }' "$log" 2>/dev/null)
	swarm_log "tcpdump: ${captured:-?} captured, ${matched:-?} matched the filter, ${dropped:-?} dropped"
	if [[ -z $captured || -z $matched || ${dropped:-1} != 0 ]] ||
		((matched != captured && matched != 2 * captured)); then
		swarm_die "the capture is incomplete (see $log)"
		return 1
	fi
}

swarm_capture_src_ips() {
	local dst_ip=$1 dst_port=$2 file=${SWARM_CAPTURE_FILE}
	shift 2
	[[ -n $file && -f $file ]] || { swarm_die "no capture file"; return 1; }
	local ips
	ips=$(tcpdump -nn -r "$file" "dst host $dst_ip and dst port $dst_port" 2>/dev/null |
		awk '$2 == "IP" { n = split($3, a, "."); if (n == 5) print a[1] "." a[2] "." a[3] "." a[4] }' |
		sort -u) || return 1
	local ex
	for ex in "$@"; do
		ips=$(grep -vxF "$ex" <<<"$ips" || true)
	done
	[[ -z $ips ]] || printf '%s\n' "$ips"
}

swarm_tracker_saw() {
	swarm_capture_src_ips "$SWARM_TRACKER_IP" "$SWARM_TRACKER_PORT" "$@"
}

# ------------------------------------------------------------------ checks
swarm_sha256_check() {
	local src=$1 dst=$2 rel bad=0 n=0 a b
	[[ -d $src ]] || { printf 'sha256: source %s is not a directory\n' "$src"; return 1; }
	[[ -d $dst ]] || { printf 'sha256: destination %s is missing\n' "$dst"; return 1; }
	while IFS= read -r -d '' rel; do
		rel=${rel#./}
		n=$((n + 1))
		if [[ ! -f $dst/$rel ]]; then
			printf 'sha256: MISSING  %s\n' "$rel"
			bad=1
			continue
		fi
		a=$(sha256sum <"$src/$rel" | cut -d' ' -f1)
		b=$(sha256sum <"$dst/$rel" | cut -d' ' -f1)
		if [[ $a != "$b" ]]; then
			printf 'sha256: DIFFERS  %s\n    want %s (%s bytes)\n    got  %s (%s bytes)\n' "$rel" \
				"$a" "$(stat -c %s "$src/$rel")" "$b" "$(stat -c %s "$dst/$rel")"
			bad=1
		fi
	done < <(cd "$src" && find . -type f -print0 | sort -z)
	if ((n == 0)); then
		printf 'sha256: no files under %s\n' "$src"
		return 1
	fi
	while IFS= read -r -d '' rel; do
		rel=${rel#./}
		[[ -f $src/$rel ]] || printf 'sha256: note: extra file in destination: %s\n' "$rel"
	done < <(cd "$dst" && find . -type f -print0 | sort -z)
	((bad == 0)) && printf 'sha256: %d files identical\n' "$n"
	return "$bad"
}

# swarm_only_ips ALLOWED "IP\nIP..." : non-empty and nothing but ALLOWED
swarm_only_ips() {
	local allowed=$1 ips=$2 bad
	if [[ -z $ips ]]; then
		printf 'saw no address at all (expected %s)\n' "$allowed"
		return 1
	fi
	bad=$(grep -vxF "$allowed" <<<"$ips" || true)
	if [[ -n $bad ]]; then
		printf 'saw addresses other than %s: %s\n' "$allowed" "$(tr '\n' ' ' <<<"$bad")"
		return 1
	fi
	return 0
}

swarm_check() {
	local desc=$1
	shift
	if "$@"; then
		SWARM_PASSED=$((SWARM_PASSED + 1))
		printf 'ok - %s\n' "$desc"
	else
		SWARM_FAILED=$((SWARM_FAILED + 1))
		printf 'not ok - %s\n' "$desc"
	fi
	return 0
}

swarm_summary() {
	printf '%d passed, %d failed\n' "$SWARM_PASSED" "$SWARM_FAILED"
	((SWARM_FAILED == 0 && SWARM_PASSED > 0))
}

# ------------------------------------------------------------------ libtorrent seeder
# swarm_start_seeder_lt DATADIR TORRENT...: python3-libtorrent (lt_seeder.py)
# seeding every TORRENT from DATADIR on $SWARM_SEED_IP:$SWARM_SEED_PORT. It
# serves metadata, so magnet links work (aria2c does not serve it). Returns
# once every torrent seeds and the tracker lists it (<= $SWARM_SEED_READY_TIMEOUT,
# 60 s). Its log ($SWARM_SEED_LOG) has a "peer IP" line per peer address.
swarm_start_seeder_lt() {
	local datadir=$1 t hashes=() py=/usr/bin/python3
	shift
	[[ -n $SWARM_DIR ]] || { swarm_die "swarm_start_seeder_lt before swarm_init"; return 1; }
	[[ -d $datadir && $# -ge 1 ]] || { swarm_die "swarm_start_seeder_lt DATADIR TORRENT..."; return 1; }
	"$py" -c 'import libtorrent' 2>/dev/null || { swarm_die "python3-libtorrent is not installed"; return 1; }
	for t in "$@"; do
		hashes+=("$(swarm_infohash "$t")") || return 1
	done
	_swarm_check_free "$SWARM_SEED_IP" "$SWARM_SEED_PORT" || return 1
	swarm_spawn seeder-lt "$py" "$(dirname "${BASH_SOURCE[0]}")/lt_seeder.py" \
		"$SWARM_SEED_IP" "$SWARM_SEED_PORT" "$datadir" "$@" || return 1
	SWARM_SEED_PID=$SWARM_LAST_PID
	SWARM_SEED_LOG=$SWARM_LOGS/seeder-lt.log
	local limit=${SWARM_SEED_READY_TIMEOUT:-60}
	if ! swarm_wait_for -t "$limit" -i 0.2 _swarm_lt_ready_or_dead "${hashes[@]}" ||
		! _swarm_alive "$SWARM_SEED_PID"; then
		swarm_die "libtorrent seeder not ready within ${limit}s (log: $SWARM_SEED_LOG)"
		tail -n 20 "$SWARM_SEED_LOG" >&2 2>/dev/null || true
		return 1
	fi
	swarm_log "libtorrent seeder ready: ${hashes[*]} on $SWARM_SEED_IP:$SWARM_SEED_PORT"
}

_swarm_lt_ready_or_dead() { # HASH...
	! _swarm_alive "$SWARM_SEED_PID" && return 0
	local h n
	for h in "$@"; do
		grep -qx "seeding $h" "$SWARM_SEED_LOG" 2>/dev/null || return 1
		n=$(swarm_tracker_seeders "$h") || return 1
		((n >= 1)) || return 1
	done
}

# distinct peer addresses the libtorrent seeder saw, its own excluded
swarm_lt_seeder_peer_ips() {
	[[ -f $SWARM_SEED_LOG ]] || return 0
	awk '$1 == "peer" { print $2 }' "$SWARM_SEED_LOG" | grep -vxF "$SWARM_SEED_IP" | sort -u || true
}
