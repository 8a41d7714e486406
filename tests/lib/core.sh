# shellcheck shell=bash disable=SC2034
# (SC2034: the SWARM_* globals are this library's interface, read by callers)
#
# tests/lib/core.sh - the generic part of the test library: nothing here
# knows about BitTorrent, Meerko, proxies or the loopback addresses. It is
# what any bash test needs (the split follows bubblewrap's libtest-core.sh /
# libtest.sh; the project's parts are swarm_*.sh, and swarm.sh, the entry
# point every test sources, loads them all).
#
# Contract:
#   - Processes: only what swarm_spawn / swarm_run started is signalled, by
#     pid (with its descendants, found in /proc), and only while that pid is
#     still this shell's child; swarm_cleanup stops them newest first. Call swarm_spawn directly, never inside $(...): a pid
#     registered in a subshell is lost to the cleanup.
#   - Waits: every loop is bounded in count and in time.
#   - Temp dir: swarm_core_init makes one dir, ${TMPDIR:-/tmp}/meerko-swarm.XXXXXXXX
#     (0755), and swarm_cleanup removes that one dir and nothing else (never
#     a glob, never a parent or a sibling).
#   - Traps: swarm_core_init installs EXIT/INT/TERM traps; the EXIT trap runs
#     the registered exit checks (each may turn the status into 1), shows the
#     logs on a failure, then cleans up, also when the script fails.
#   - Hooks for the project's parts, run in this order by the traps:
#       swarm_exit_check FN          FN fails -> the script's status becomes 1
#       swarm_cleanup_hook before FN run before the processes are stopped
#       swarm_cleanup_hook after FN  run after they are stopped, before the
#                                    temp dir is removed
#
# Functions:
#   swarm_log MSG...               "swarm: MSG" on stderr (not with SWARM_QUIET=1)
#   swarm_die MSG...               log "FATAL: MSG", return 1
#   swarm_skip_or_fail REASON      exit 77 (SKIP), or exit 1 (FAIL) when
#                                  MEERKO_REQUIRE_ALL=1
#   swarm_isolate "$@"             re-run the script in a network namespace of
#                                  its own (as root; call first)
#   swarm_require_root             skip_or_fail unless uid 0
#   swarm_require_cmds CMD...      skip_or_fail unless every CMD is on PATH
#   swarm_wait_for [-t SEC] [-i SEC] CMD...
#                                  poll CMD until it succeeds; bounded in time
#                                  (default 5 s) and count; 1 on timeout
#   swarm_spawn NAME CMD...        start CMD in the background, stdout+stderr to
#                                  $SWARM_LOGS/NAME.log, pid registered for
#                                  cleanup and put in $SWARM_LAST_PID
#   swarm_stop PID...              TERM, bounded wait, KILL (children too); a
#                                  registered pid only while it is still this
#                                  shell's child (an exited one's number may
#                                  belong to another process by now)
#   swarm_run NAME TIMEOUT CMD...  run CMD in the background under `timeout`,
#                                  stdout to $SWARM_LOGS/NAME.out, stderr to
#                                  NAME.err, wait for it (signals still reach
#                                  the trap), return its exit status
#   swarm_core_init                the temp dir $SWARM_DIR, $SWARM_LOGS, traps
#   swarm_cleanup                  hooks, stop everything started, remove
#                                  $SWARM_DIR (idempotent; the trap calls it)
#   swarm_dump_logs [LINES]        tail of every log in $SWARM_LOGS (done by the
#                                  trap when the script exits non-zero, not 77)
#   swarm_sha256_check SRC DST     every file under SRC is in DST with the same
#                                  SHA-256; prints each mismatch; 1 if any
#   swarm_only_ips ALLOWED "IPS"   0 if IPS (newline separated) is non-empty and
#                                  every one is ALLOWED; prints the offenders
#   swarm_check DESC CMD...        run CMD, print "ok - DESC" / "not ok - DESC",
#                                  count it
#   swarm_summary                  print "N passed, M failed"; 0 iff M == 0
#
# Knobs: SWARM_KEEP=1 (keep $SWARM_DIR), SWARM_QUIET=1, SWARM_DUMP_LINES (40),
#   SWARM_DUMP_ON_FAIL (1), SWARM_KILL_GRACE (3 s).
# Internal state other scripts read: _SWARM_PIDS, _swarm_alive, _swarm_now_ms.

if [[ -n ${_SWARM_CORE_SH_LOADED:-} ]]; then
	return 0
fi
_SWARM_CORE_SH_LOADED=1

# ------------------------------------------------------------------ settings
: "${SWARM_KEEP:=0}"
: "${SWARM_QUIET:=0}"
: "${SWARM_DUMP_LINES:=40}"
: "${SWARM_DUMP_ON_FAIL:=1}"
: "${SWARM_KILL_GRACE:=3}"

SWARM_DIR=""
SWARM_LOGS=""
SWARM_LAST_PID=""
SWARM_PASSED=0
SWARM_FAILED=0
_SWARM_PIDS=()
_SWARM_CLEANED=0
_SWARM_EXIT_CHECKS=()
_SWARM_BEFORE_STOP=()
_SWARM_AFTER_STOP=()

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

# ------------------------------------------------------------------ waits
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

# ------------------------------------------------------------------ processes
_swarm_alive() {
	local st
	{ read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
	st=${st##*) }
	[[ ${st:0:1} != Z && ${st:0:1} != X ]]
}

# A registered pid whose process has exited and been reaped (bash reaps
# background jobs by itself) is a free number: on a busy machine with a small
# pid_max (32768) another user's process gets it within minutes - another
# test's shell, its ctest, a compiler. Signalling that number, and what runs
# below it, stopped other runs on the machine (their traps then removed their
# own temp dirs mid-run). So a registered pid is signalled only while it is
# still this shell's child.
_swarm_still_our_child() { # PID
	local st
	{ read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
	st=${st##*) } # "STATE PPID ..."
	[[ ${st:0:1} != Z && ${st:0:1} != X ]] || return 1
	st=${st#* }
	st=${st%% *}
	[[ $st == "$$" || $st == "$BASHPID" ]]
}

_swarm_registered() { # PID
	local q
	for q in "${_SWARM_PIDS[@]}"; do
		[[ $q == "$1" ]] && return 0
	done
	return 1
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
		if _swarm_registered "$p" && ! _swarm_still_our_child "$p"; then
			continue # exited: the number may be another process's by now
		fi
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
swarm_exit_check() { # FN
	_SWARM_EXIT_CHECKS+=("$1")
}

swarm_cleanup_hook() { # before|after FN
	case $1 in
	before) _SWARM_BEFORE_STOP+=("$2") ;;
	after) _SWARM_AFTER_STOP+=("$2") ;;
	*) swarm_die "swarm_cleanup_hook before|after FN"; return 1 ;;
	esac
}

swarm_core_init() {
	[[ -z $SWARM_DIR ]] || { swarm_die "swarm_init called twice"; return 1; }
	SWARM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/meerko-swarm.XXXXXXXX") || { swarm_die "mktemp -d failed"; return 1; }
	# 0755: daemons that drop to another user (opentracker: nobody) read from here
	chmod 755 "$SWARM_DIR"
	SWARM_LOGS=$SWARM_DIR/logs
	mkdir -p "$SWARM_LOGS"
	trap '_swarm_on_exit' EXIT
	trap '_swarm_on_signal 130 INT' INT
	trap '_swarm_on_signal 143 TERM' TERM
}

_swarm_on_exit() {
	local rc=$? check
	trap - EXIT
	for check in "${_SWARM_EXIT_CHECKS[@]}"; do
		"$check" || rc=1
	done
	if ((rc != 0 && rc != 77)) && [[ $SWARM_DUMP_ON_FAIL == 1 && -n $SWARM_DIR && -d $SWARM_LOGS ]]; then
		swarm_dump_logs "$SWARM_DUMP_LINES" >&2 || true
	fi
	swarm_cleanup
	exit "$rc"
}

_swarm_on_signal() {
	trap - INT TERM
	printf 'swarm: caught SIG%s, cleaning up\n' "$2" >&2
	exit "$1" # runs the EXIT trap
}

swarm_cleanup() {
	((_SWARM_CLEANED == 0)) || return 0
	_SWARM_CLEANED=1
	local i hook
	for hook in "${_SWARM_BEFORE_STOP[@]}"; do
		"$hook"
	done
	# newest first: clients before seeder before proxy before tracker
	local rev=()
	for ((i = ${#_SWARM_PIDS[@]} - 1; i >= 0; i--)); do
		rev+=("${_SWARM_PIDS[$i]}")
	done
	if ((${#rev[@]} > 0)); then
		swarm_stop "${rev[@]}"
	fi
	for hook in "${_SWARM_AFTER_STOP[@]}"; do
		"$hook"
	done
	_swarm_remove_own_dir
}

# removes $SWARM_DIR, the one dir swarm_core_init made, and nothing else
_swarm_remove_own_dir() {
	[[ -n $SWARM_DIR && -d $SWARM_DIR ]] || return 0
	if [[ $SWARM_KEEP == 1 ]]; then
		swarm_log "kept $SWARM_DIR (SWARM_KEEP=1)"
		return 0
	fi
	case $SWARM_DIR in
	*/meerko-swarm.*) rm -rf -- "$SWARM_DIR" ;;
	*) swarm_log "not removing unexpected dir '$SWARM_DIR'" ;;
	esac
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
