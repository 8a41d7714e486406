#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2016,SC2015,SC2034,SC2119
# (SC2317: functions reached through traps; SC2016: single-quoted code for sh -c and eval;
#  SC2015: A && B || C on purpose; SC2034: SWARM_* globals read by tests/lib/swarm.sh;
#  SC2119: optional arguments)
# bench/run.sh - Meerko against reference BitTorrent clients on a loopback swarm.
#
#   bash bench/run.sh                  # 1 GiB, 3 runs per client (about 6 min)
#   bash bench/run.sh --quick          # 64 MiB, 1 run: the CI smoke test (~2 min)
#   bash bench/run.sh --size 256M --runs 5 --multi
#
# The swarm (tests/lib/swarm.sh, everything on 127.0.0.0/8):
#   tracker   opentracker                  127.0.0.1   (whitelists the torrents)
#   proxy     danted (SOCKS5, no auth)     127.0.0.3
#   seeders   aria2c                       127.0.0.4   (swarm_start_seeder_aria2)
#             python3-libtorrent           127.0.0.8   (lib/seeder.py)
# Clients, each in turn, into a fresh empty dir, TCP only:
#   meerko-sandbox      meerko-secure, sandbox required (engine in its own netns,
#                       relay process -> dante)
#   meerko-nosandbox    meerko-secure, sandbox off (engine -> dante)
#   lt-dante            bare python3-libtorrent (lib/ltclient.py) -> dante
#   qbt-dante           qbittorrent-nox -> dante
#   aria2-direct        aria2c, direct (no SOCKS5 support)          127.0.0.7
#   transmission-direct transmission-cli, direct (no SOCKS5 support) 127.0.0.6
#                       (it ignores 127/8 peers from trackers: the lt seeder
#                       dials it, so it only ever gets that one seeder)
# Rounds interleave: round 1 runs every client once, then round 2, ...
#
# Per run (definitions in bench/README.md): wall seconds exec -> complete,
# MiB/s, time to first payload byte on disk, CPU seconds of all the client's
# processes (a cgroup per run), memory, seeder and proxy CPU. Meerko's relay
# process is moved into a cgroup of its own, so its CPU is measured directly.
# Afterwards: sandbox setup time (strace, and --sandbox-check wall time) and
# idle CPU (a torrent nobody seeds, for --idle-seconds).
#
# Output: bench/results/<UTC stamp>-<size>/{runs.csv,summary.json,table.md,
# report.md,logs/}; the table and the ratios are also printed.
# Exit: 0 when every run of every client completed with the right SHA-256,
# 1 otherwise, 2 on bad usage, 77 when a needed program is missing
# (MEERKO_REQUIRE_ALL=1 makes that 1). It installs nothing; scripts/deps.sh does.
set -uo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
PY=/usr/bin/python3 # python3-libtorrent is a Debian package: not pyenv's python

usage() {
	cat <<EOF
usage: bench/run.sh [options]
  --quick              = --size 64M --runs 1 (CI smoke test)
  --size N[M|G]        payload size (default 1G)
  --runs N             runs per client (default 3)
  --multi              multi-file torrent (--files N files, default 8, one in a sub-folder)
  --files N            number of files with --multi
  --clients "A B ..."  subset/order of: $ALL_CLIENTS
  --build-dir DIR      where bin/meerko-secure is (default build-bench; built if missing)
  --out DIR            results dir (default bench/results/<stamp>-<size>)
  --timeout S          per-download limit (default 60 + size_MiB/4)
  --idle-seconds S     idle CPU window (default 10); 0 skips the idle measurement
  --setup-reps N       strace runs per sandbox mode for the setup time (default 5, --quick 3)
  --no-setup           skip the sandbox setup measurement
  --wait-idle S        before each run, wait up to S s until other jobs use < 25% of a core
                       (default 0: do not wait; the machine is shared, so use it for real numbers)
  --hold S             only build the swarm and keep it up S seconds (manual tests)
  -h, --help
EOF
}

ALL_CLIENTS="meerko-sandbox meerko-nosandbox lt-dante qbt-dante aria2-direct transmission-direct"
SIZE_ARG=1G RUNS=3 MULTI=0 NFILES=8 CLIENTS=$ALL_CLIENTS BUILD_DIR=$REPO/build-bench OUT="" DL_TIMEOUT=""
IDLE_SECS=10 DO_SETUP=1 QUICK=0 SETUP_REPS=5 HOLD=0 WAIT_IDLE=0 IDLE_BUSY_PCT=25
while (($# > 0)); do
	case $1 in
	--quick) QUICK=1 SIZE_ARG=64M RUNS=1 SETUP_REPS=3; shift ;;
	--size) SIZE_ARG=${2:?}; shift 2 ;;
	--runs) RUNS=${2:?}; shift 2 ;;
	--multi) MULTI=1; shift ;;
	--files) NFILES=${2:?}; shift 2 ;;
	--clients) CLIENTS=${2:?}; shift 2 ;;
	--build-dir) BUILD_DIR=${2:?}; shift 2 ;;
	--out) OUT=${2:?}; shift 2 ;;
	--timeout) DL_TIMEOUT=${2:?}; shift 2 ;;
	--idle-seconds) IDLE_SECS=${2:?}; shift 2 ;;
	--no-setup) DO_SETUP=0; shift ;;
	--setup-reps) SETUP_REPS=${2:?}; shift 2 ;;
	--hold) HOLD=${2:?}; shift 2 ;;
	--wait-idle) WAIT_IDLE=${2:?}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "run.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
case $SIZE_ARG in
*[Gg]) SIZE_MB=$((${SIZE_ARG%[Gg]} * 1024)) ;;
*[Mm]) SIZE_MB=${SIZE_ARG%[Mm]} ;;
*) SIZE_MB=$SIZE_ARG ;;
esac
[[ $SIZE_MB =~ ^[0-9]+$ ]] && ((SIZE_MB >= 1 && SIZE_MB <= 65536)) || { echo "run.sh: bad --size '$SIZE_ARG'" >&2; exit 2; }
[[ $RUNS =~ ^[0-9]+$ ]] && ((RUNS >= 1 && RUNS <= 50)) || { echo "run.sh: bad --runs '$RUNS'" >&2; exit 2; }
[[ $NFILES =~ ^[0-9]+$ ]] && ((NFILES >= 2 && NFILES <= 100)) || { echo "run.sh: bad --files '$NFILES'" >&2; exit 2; }
[[ $IDLE_SECS =~ ^[0-9]+$ ]] && ((IDLE_SECS <= 600)) || { echo "run.sh: bad --idle-seconds" >&2; exit 2; }
[[ $WAIT_IDLE =~ ^[0-9]+$ ]] && ((WAIT_IDLE <= 3600)) || { echo "run.sh: bad --wait-idle" >&2; exit 2; }
[[ $HOLD =~ ^[0-9]+$ ]] && ((HOLD <= 86400)) || { echo "run.sh: bad --hold" >&2; exit 2; }
[[ $SETUP_REPS =~ ^[0-9]+$ ]] && ((SETUP_REPS >= 1 && SETUP_REPS <= 50)) || { echo "run.sh: bad --setup-reps" >&2; exit 2; }
for c in $CLIENTS; do
	[[ " $ALL_CLIENTS " == *" $c "* ]] || { echo "run.sh: unknown client '$c'" >&2; exit 2; }
done
: "${DL_TIMEOUT:=$((60 + SIZE_MB / 4))}"
[[ $DL_TIMEOUT =~ ^[0-9]+$ ]] || { echo "run.sh: bad --timeout" >&2; exit 2; }

STAMP=$(date -u +%Y%m%d-%H%M%S)
SIZE_LABEL=${SIZE_MB}M
((SIZE_MB % 1024 == 0)) && SIZE_LABEL=$((SIZE_MB / 1024))G
((MULTI)) && SIZE_LABEL+=-multi
: "${OUT:=$HERE/results/$STAMP-$SIZE_LABEL}"

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

# ------------------------------------------------------------------ the swarm library
: "${SWARM_PIECE_EXP:=20}"    # 1 MiB pieces, as in shared/anchors
: "${SWARM_KILL_GRACE:=8}"    # qBittorrent's orderly shutdown takes a moment
: "${SWARM_SEED_READY_TIMEOUT:=$((60 + SIZE_MB / 10))}"
: "${SWARM_DUMP_LINES:=15}"
export SWARM_SEED_READY_TIMEOUT
# Ports away from the tests' defaults (6969, 1080, 6881), which other jobs on
# the machine may be using; swarm_init still moves on to the next free one.
BENCH_PIN_TRACKER=${SWARM_TRACKER_PORT:+1}
# shellcheck source=../tests/lib/swarm.sh
. "$REPO/tests/lib/swarm.sh"
[[ -n ${_SWARM_PINNED_TRACKER_PORT:-} ]] || SWARM_TRACKER_PORT=16970
[[ -n ${_SWARM_PINNED_PROXY_PORT:-} ]] || SWARM_PROXY_PORT=11090
[[ -n ${_SWARM_PINNED_SEED_PORT:-} ]] || SWARM_SEED_PORT=16890
[[ -n ${_SWARM_PINNED_CLIENT_PORT:-} ]] || SWARM_CLIENT_PORT=16900

swarm_require_root
swarm_require_cmds opentracker danted aria2c mktorrent transmission-show transmission-cli \
	qbittorrent-nox curl jq ss sha256sum setpriv timeout /usr/bin/time "$PY"
"$PY" -c 'import libtorrent' 2>/dev/null || swarm_skip_or_fail "python3-libtorrent is not importable by $PY (run scripts/deps.sh)"

MEERKO=$BUILD_DIR/bin/meerko-secure
# Always (re)build: cmake is incremental, and stale binaries would measure old code.
if [[ $BUILD_DIR == "$REPO/build-bench" || ! -x $MEERKO ]]; then
	log "building Meerko into $BUILD_DIR (Release)"
	{ cmake -S "$REPO" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release && cmake --build "$BUILD_DIR" -j "$(nproc)"; } \
		>"/tmp/meerko-bench-build.$$.log" 2>&1 || { tail -n 30 "/tmp/meerko-bench-build.$$.log" >&2; die "build failed"; }
	rm -f "/tmp/meerko-bench-build.$$.log"
fi
[[ -x $MEERKO ]] || die "no $MEERKO"

mkdir -p "$OUT/logs" || die "cannot create $OUT"
CSV=$OUT/runs.csv
EXTRAS=$OUT/extras.json
log "results: $OUT"

# ------------------------------------------------------------------ cgroups
# One cgroup per run holds every process of the client (v2: cpu.stat
# usage_usec, which needs no controller; v1: cpuacct.usage). Meerko's relay is
# moved to a sibling cgroup. Created below the cgroup this script runs in.
CG_KIND=none CG_BASE=""
cg_setup() {
	local mnt rel
	mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	rel=$(awk -F: '$1 == "0" { print $3; exit }' /proc/self/cgroup)
	if [[ -n $mnt && -n $rel ]] && mkdir "$mnt${rel%/}/meerko-bench.$$" 2>/dev/null; then
		if [[ -f $mnt${rel%/}/meerko-bench.$$/cpu.stat ]]; then
			CG_KIND=v2 CG_BASE=$mnt${rel%/}/meerko-bench.$$
			return 0
		fi
		rmdir "$mnt${rel%/}/meerko-bench.$$"
	fi
	mnt=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpuacct(,|$)/ { print $2; exit }' /proc/self/mounts)
	rel=$(awk -F: '$2 ~ /(^|,)cpuacct(,|$)/ { print $3; exit }' /proc/self/cgroup)
	if [[ -n $mnt && -n $rel ]] && mkdir "$mnt${rel%/}/meerko-bench.$$" 2>/dev/null; then
		CG_KIND=v1 CG_BASE=$mnt${rel%/}/meerko-bench.$$
		return 0
	fi
	log "warning: no writable cgroup (v2 or v1 cpuacct): CPU falls back to GNU time (rusage of reaped children); no separate relay CPU"
}
cg_cpu_us() { # DIR -> microseconds
	local d=$1 k v
	[[ -n $d && -d $d ]] || { echo ""; return; }
	if [[ $CG_KIND == v2 ]]; then
		while read -r k v; do [[ $k == usage_usec ]] && { echo "$v"; return; }; done <"$d/cpu.stat"
	else
		read -r v <"$d/cpuacct.usage" && echo $((v / 1000))
	fi
}
cg_mk() { # NAME -> prints dir
	[[ $CG_KIND == none ]] && return 0
	mkdir -p "$CG_BASE/$1" && printf '%s\n' "$CG_BASE/$1"
}
cg_rm() { # DIR...: bounded wait for it to empty, then rmdir
	local d i
	for d in "$@"; do
		[[ -n $d && -d $d ]] || continue
		for ((i = 0; i < 50; i++)); do
			[[ -z $(<"$d/cgroup.procs") ]] && break
			sleep 0.1
		done
		rmdir "$d" 2>/dev/null || log "warning: could not remove cgroup $d"
	done
}
cg_cleanup() {
	[[ -n $CG_BASE && -d $CG_BASE ]] || return 0
	local d
	for d in "$CG_BASE"/*/; do [[ -d $d ]] && cg_rm "${d%/}"; done
	rmdir "$CG_BASE" 2>/dev/null || log "warning: could not remove $CG_BASE"
}

# ------------------------------------------------------------------ small helpers
HZ=$(getconf CLK_TCK)
fsize() { stat -c %s "$1" 2>/dev/null || echo 0; }
pid_ticks() { # utime+stime of one process (threads included)
	local s
	{ read -r s <"/proc/$1/stat"; } 2>/dev/null || { echo 0; return; }
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	echo $((${12} + ${13}))
}
tree_ticks() { # a process + its live children + its reaped children (dante forks)
	local root=$1 t=0 f s pid
	for f in /proc/[0-9]*/stat; do
		{ read -r s <"$f"; } 2>/dev/null || continue
		pid=${s%% *}
		s=${s##*) }
		# shellcheck disable=SC2086
		set -- $s
		if [[ $pid == "$root" ]]; then
			t=$((t + ${12} + ${13} + ${14} + ${15}))
		elif [[ $2 == "$root" ]]; then
			t=$((t + ${12} + ${13}))
		fi
	done
	echo $t
}
sys_ticks() { # busy CPU ticks of the whole machine (all CPUs), from /proc/stat
	local _c u n sy id io irq sirq st
	read -r _c u n sy id io irq sirq st _ </proc/stat
	echo $((u + n + sy + irq + sirq + st))
}
ticks_s() { awk -v a="$1" -v b="$2" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }'; }
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print ""; else printf "%.3f", a - b }'; }
pick_port() { # IP START: first port >= START free for TCP and UDP on IP (bounded)
	local ip=$1 p=$2 i
	for ((i = 0; i < 300; i++, p++)); do
		if ! swarm_port_busy "$ip" "$p" tcp && ! swarm_port_busy "$ip" "$p" udp; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
# a sleep that forks nothing: read with a timeout on a pipe nobody writes to
exec {SLEEP_FD}<> <(:)
nap() { read -r -t "$1" -u "$SLEEP_FD" _ || true; }

# ------------------------------------------------------------------ init + cleanup
swarm_init || die "swarm_init failed"
cg_setup
bench_on_exit() {
	local rc=$?
	trap - EXIT
	if ((rc != 0 && rc != 77)) && [[ -n $SWARM_LOGS && -d $SWARM_LOGS ]]; then
		swarm_dump_logs "$SWARM_DUMP_LINES" >&2 || true
	fi
	# keep the swarm's own logs (small tails) next to the results
	if [[ -n $SWARM_LOGS && -d $SWARM_LOGS && -d $OUT/logs ]]; then
		local f
		for f in "$SWARM_LOGS"/*; do
			[[ -f $f ]] && tail -c 100000 "$f" >"$OUT/logs/swarm-$(basename "$f")" 2>/dev/null
		done
	fi
	swarm_cleanup
	cg_cleanup
	exit "$rc"
}
trap bench_on_exit EXIT

TRANSMISSION_IP=127.0.0.6
ARIA_IP=127.0.0.7
LTSEED_IP=127.0.0.8
LTCLIENT_IP=127.0.0.9
QBT_IP=127.0.0.1
LTSEED_PORT=$(pick_port $LTSEED_IP 6890) || die "no port"
LTCLIENT_PORT=$(pick_port $LTCLIENT_IP 6900) || die "no port"
QBT_PORT=$(pick_port $QBT_IP 6910) || die "no port"
QBT_WEBUI=$(pick_port 127.0.0.1 18080) || die "no port"
ARIA_PORT=$(pick_port $ARIA_IP 6920) || die "no port"

# ------------------------------------------------------------------ payload + torrents
DATA=$SWARM_DIR/data
TORRENT=$SWARM_DIR/bench.torrent
MANIFEST=$SWARM_DIR/manifest.size # "SIZE RELPATH" per payload file
SHAS=$SWARM_DIR/manifest.sha256   # sha256sum -c format, relative to a download dir
mkdir -p "$DATA"
log "making ${SIZE_MB} MiB of random data ($( ((MULTI)) && echo "$NFILES files" || echo "one file"))"
if ((MULTI)); then
	NAME=bench-multi-${SIZE_MB}M
	swarm_make_payload "$DATA/$NAME" "$NFILES" "$SIZE_MB" || die "payload"
else
	NAME=bench-${SIZE_MB}M.bin
	head -c $((SIZE_MB * 1048576)) /dev/urandom >"$DATA/$NAME" || die "payload"
fi
# making the data took a while: if someone took the tracker port meanwhile,
# move on before the port goes into the torrent
if [[ -z $BENCH_PIN_TRACKER ]] && { swarm_port_busy "$SWARM_TRACKER_IP" "$SWARM_TRACKER_PORT" tcp ||
	swarm_port_busy "$SWARM_TRACKER_IP" "$SWARM_TRACKER_PORT" udp; }; then
	SWARM_TRACKER_PORT=$(pick_port "$SWARM_TRACKER_IP" $((SWARM_TRACKER_PORT + 1))) || die "no tracker port"
	SWARM_ANNOUNCE_URL="http://${SWARM_TRACKER_IP}:${SWARM_TRACKER_PORT}/announce"
	log "tracker port taken meanwhile: using $SWARM_TRACKER_PORT"
fi
if ((MULTI)); then
	swarm_make_torrent "$DATA/$NAME" "$TORRENT" || die "mktorrent"
else
	mktorrent -l "$SWARM_PIECE_EXP" -a "$SWARM_ANNOUNCE_URL" -o "$TORRENT" "$DATA/$NAME" >/dev/null 2>&1 || die "mktorrent"
fi
(cd "$DATA" && find . -type f -printf '%s %P\n' | sort -k2) >"$MANIFEST"
(cd "$DATA" && find . -type f -printf '%P\0' | sort -z | xargs -0 sha256sum) >"$SHAS" || die "sha256"
SIZE_B=$(awk '{ s += $1 } END { print s }' "$MANIFEST")
NFILES_REAL=$(wc -l <"$MANIFEST")
chmod 644 "$TORRENT"
# the idle measurement: a torrent that nobody seeds
mkdir -p "$SWARM_DIR/idle-data/idle-payload"
head -c 1048576 /dev/urandom >"$SWARM_DIR/idle-data/idle-payload/idle.bin"
swarm_make_torrent "$SWARM_DIR/idle-data/idle-payload" "$SWARM_DIR/idle.torrent" || die "idle torrent"
chmod 644 "$SWARM_DIR/idle.torrent"

# ------------------------------------------------------------------ tracker, proxy, seeders
swarm_start_tracker "$TORRENT" "$SWARM_DIR/idle.torrent" || die "tracker"
swarm_start_dante || die "dante"
PROXY=$SWARM_PROXY_IP:$SWARM_PROXY_PORT
log "starting the libtorrent seeder on $LTSEED_IP:$LTSEED_PORT and the aria2c seeder on $SWARM_SEED_IP:$SWARM_SEED_PORT (both hash-check first)"
: >"$SWARM_DIR/ltseed.connect"
swarm_spawn seeder-lt "$PY" "$HERE/lib/seeder.py" "$TORRENT" "$DATA" $LTSEED_IP "$LTSEED_PORT" \
	"$SWARM_DIR/ltseed.ready" "$SWARM_DIR/ltseed.connect" "$SWARM_DIR/ltseed.hb" || die "lt seeder"
LTSEED_PID=$SWARM_LAST_PID
swarm_start_seeder_aria2 "$TORRENT" "$DATA" || die "aria2 seeder"
ARIASEED_PID=$SWARM_SEED_PID
swarm_wait_for -t "$SWARM_SEED_READY_TIMEOUT" -i 0.2 test -s "$SWARM_DIR/ltseed.ready" ||
	die "the libtorrent seeder did not check and announce in ${SWARM_SEED_READY_TIMEOUT}s (see $SWARM_LOGS/seeder-lt.log)"
ltseed_alive() {
	_swarm_alive "$LTSEED_PID" && _swarm_alive "$ARIASEED_PID" &&
		(($(date +%s) - $(stat -c %Y "$SWARM_DIR/ltseed.hb" 2>/dev/null || echo 0) < 10))
}

# ------------------------------------------------------------------ versions, machine
ver() { "$@" 2>/dev/null | head -n 1 | tr -d '\r' || true; }
V_LT=$("$PY" -c 'import libtorrent as lt; print(lt.__version__)' 2>/dev/null)
V_QBT=$(ver qbittorrent-nox --version)
V_TR=$(transmission-cli --version 2>&1 | head -n 1)
V_ARIA=$(ver aria2c --version)
V_DANTE=$(dpkg-query -W -f='${Version}' dante-server 2>/dev/null)
V_MEERKO=$("$MEERKO" --version 2>/dev/null)
GIT_REV=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo "?")
GIT_DIRTY=$(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null | grep -vc '^.. bench/' || true)
jq -n --arg date "$(date -u '+%Y-%m-%d %H:%M UTC')" --arg nproc "$(nproc)" \
	--arg cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
	--arg kernel "$(uname -r)" --arg debian "$(cat /etc/debian_version 2>/dev/null)" \
	--arg mem "$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)" \
	--arg size_mb "$SIZE_MB" --arg size_b "$SIZE_B" --arg files "$NFILES_REAL" --arg multi "$MULTI" \
	--arg piece "$((1 << SWARM_PIECE_EXP))" --arg runs "$RUNS" --arg cg "$CG_KIND" \
	--arg lt "$V_LT" --arg qbt "$V_QBT" --arg tr "$V_TR" --arg aria "$V_ARIA" --arg dante "$V_DANTE" \
	--arg meerko "$V_MEERKO" --arg git "$GIT_REV" --arg dirty "$GIT_DIRTY" --arg clients "$CLIENTS" \
	--arg quick "$QUICK" --arg fs "$(df -T "$SWARM_DIR" | awk 'NR == 2 { print $2 }')" \
	'{date: $date, nproc: $nproc, cpu: $cpu, kernel: $kernel, debian: $debian, mem: $mem,
	  size_mb: ($size_mb | tonumber), size_bytes: ($size_b | tonumber), files: ($files | tonumber),
	  multi: ($multi == "1"), piece_bytes: ($piece | tonumber), runs: ($runs | tonumber), cgroup: $cg,
	  quick: ($quick == "1"), fs: $fs, clients: ($clients | split(" ")),
	  versions: {libtorrent: $lt, qbittorrent: $qbt, transmission: $tr, aria2: $aria, dante: $dante,
	             meerko: $meerko, git: $git, modified_tracked_files_outside_bench: ($dirty | tonumber)}}' \
	>"$OUT/meta.json" || die "meta.json"

# ------------------------------------------------------------------ meerko config
meerko_ini() { # FILE SANDBOX_MODE
	(
		umask 077
		cat >"$1" <<EOF
[proxy]
type = socks5
host = $SWARM_PROXY_IP
port = $SWARM_PROXY_PORT
allow_private_destinations = true
[ui]
progress = none
[sandbox]
mode = $2
EOF
	)
	chmod 600 "$1"
}
meerko_ini "$SWARM_DIR/meerko-sandbox.ini" required
meerko_ini "$SWARM_DIR/meerko-nosandbox.ini" off

if ((HOLD > 0)); then # debugging aid: keep the swarm up for manual runs
	log "--hold: swarm up for ${HOLD}s. torrent $TORRENT, configs $SWARM_DIR/meerko-{sandbox,nosandbox}.ini, data $DATA, proxy $PROXY"
	printf '%s\n' "$SWARM_DIR" >"$OUT/swarm-dir"
	nap "$HOLD"
	exit 0
fi

# ------------------------------------------------------------------ one run
# launch NAME CGDIR CMD...: /usr/bin/time -> sh (joins the cgroup, writes its
# pid, execs CMD). The client's pid = that sh's pid.
launch() {
	local name=$1 cg=$2
	shift 2
	swarm_spawn "$name" /usr/bin/time -f '%e %U %S %M' -o "$RD/time" \
		sh -c 'if [ -n "$2" ]; then echo $$ >"$2/cgroup.procs" || exit 125; fi; echo $$ >"$1"; shift 2; exec "$@"' \
		sh "$RD/pid" "$cg" "$@"
	LAUNCH_PID=$SWARM_LAST_PID
}

# SIGTERM to the client only, so that GNU time (its parent) survives to
# report; bounded wait; swarm_stop then deals with anything left
stop_client() {
	local cpid=""
	[[ -s $RD/pid ]] && cpid=$(<"$RD/pid")
	[[ $cpid =~ ^[0-9]+$ ]] && kill -TERM "$cpid" 2>/dev/null
	swarm_wait_for -t "$SWARM_KILL_GRACE" -i 0.05 eval '! _swarm_alive "$LAUNCH_PID"' || true
	_swarm_alive "$LAUNCH_PID" || wait "$LAUNCH_PID" 2>/dev/null
}

qbt_api() { curl -s -m 3 "http://127.0.0.1:$QBT_WEBUI/api/v2/$1" "${@:2}"; }

write_qbt_conf() { # CONF DLDIR
	{
		printf '[LegalNotice]\nAccepted=true\n\n'
		printf '[BitTorrent]\n'
		printf 'Session\\DHTEnabled=false\nSession\\LSDEnabled=false\nSession\\PeXEnabled=false\n'
		printf 'Session\\Port=%s\nSession\\UseRandomPort=false\n' "$QBT_PORT"
		printf 'Session\\Interface=lo\nSession\\InterfaceName=lo\nSession\\InterfaceAddress=%s\n' "$QBT_IP"
		printf 'Session\\DefaultSavePath=%s\nSession\\QueueingSystemEnabled=false\nSession\\AddTrackersEnabled=false\n' "$2"
		printf 'Session\\BTProtocol=TCP\n'
		printf 'Session\\ProxyPeerConnections=true\nSession\\ProxyHostnameLookup=true\nSession\\AnonymousModeEnabled=true\n'
		printf '\n[Network]\nPortForwardingEnabled=false\n'
		printf 'Proxy\\Type=SOCKS5\nProxy\\IP=%s\nProxy\\Port=%s\nProxy\\OnlyForTorrents=false\nProxy\\Authentication=false\n' \
			"$SWARM_PROXY_IP" "$SWARM_PROXY_PORT"
		printf '\n[Preferences]\n'
		printf 'WebUI\\Enabled=true\nWebUI\\Address=127.0.0.1\nWebUI\\Port=%s\nWebUI\\LocalHostAuth=false\n' "$QBT_WEBUI"
		printf 'WebUI\\UseUPnP=false\nWebUI\\CSRFProtection=false\nWebUI\\HostHeaderValidation=false\n'
		printf 'Connection\\ResolvePeerCountries=false\nGeneral\\Locale=en\n'
	} >"$1"
}

done_script() { # FILE MARKER: a hook that records when it ran
	printf '#!/bin/sh\ndate +%%s.%%N >"%s.tmp" && mv "%s.tmp" "%s"\n' "$2" "$2" "$2" >"$1"
	chmod 755 "$1"
}

# start_client NAME DLDIR CGDIR: sets CLIENT_EXIT_IS_DONE, MARKER, CLIENT_LABEL, CLIENT_PATH
start_client() {
	local name=$1 dl=$2 cg=$3
	MARKER=$RD/done

	case $name in
	meerko-sandbox | meerko-nosandbox)
		MARKER=""
		launch "run-$RUN_SEQ-$name" "$cg" "$MEERKO" --config "$SWARM_DIR/$name.ini" -o "$dl" "$TORRENT"
		;;
	lt-dante)
		launch "run-$RUN_SEQ-$name" "$cg" "$PY" "$HERE/lib/ltclient.py" "$TORRENT" "$dl" $LTCLIENT_IP "$LTCLIENT_PORT" "$MARKER" "$PROXY"
		;;
	qbt-dante)
		local prof=$RD/qbprof
		mkdir -p "$prof/qBittorrent/config" "$RD/home"
		write_qbt_conf "$prof/qBittorrent/config/qBittorrent.conf" "$dl"
		done_script "$RD/finish.sh" "$MARKER"
		launch "run-$RUN_SEQ-$name" "$cg" env HOME="$RD/home" XDG_CONFIG_HOME="$RD/home/.config" \
			XDG_DATA_HOME="$RD/home/.local/share" XDG_CACHE_HOME="$RD/home/.cache" \
			qbittorrent-nox --profile="$prof"
		swarm_wait_for -t 30 -i 0.05 swarm_port_open 127.0.0.1 "$QBT_WEBUI" || { log "qBittorrent's WebUI did not come up"; return 1; }
		# "run external program on torrent finished" marks completion, like
		# the done-scripts of aria2 and Transmission
		qbt_api app/setPreferences --data-urlencode "json={\"autorun_enabled\":true,\"autorun_program\":\"$RD/finish.sh\"}" >/dev/null ||
			{ log "qBittorrent setPreferences failed"; return 1; }
		qbt_api app/preferences >"$RD/qbt-prefs.json"
		jq -c '{bittorrent_protocol, proxy_type, proxy_ip, proxy_port, proxy_peer_connections, anonymous_mode, dht, lsd, pex, upnp, autorun_enabled, current_network_interface}' \
			"$RD/qbt-prefs.json" >"$OUT/logs/run-$RUN_SEQ-$name.qbt-prefs" 2>/dev/null
		qbt_api torrents/add -F "torrents=@$TORRENT" -F "savepath=$dl" >"$RD/qbt-add.txt" || { log "qBittorrent: adding the torrent failed"; return 1; }
		;;
	aria2-direct)
		done_script "$RD/finish.sh" "$MARKER"

		launch "run-$RUN_SEQ-$name" "$cg" aria2c --no-conf=true --seed-time=0 --enable-dht=false --enable-dht6=false \
			--bt-enable-lpd=false --enable-peer-exchange=false --disable-ipv6=true \
			--interface=$ARIA_IP --listen-port="$ARIA_PORT" --file-allocation=none \
			--summary-interval=0 --console-log-level=notice \
			--on-bt-download-complete="$RD/finish.sh" -d "$dl" "$TORRENT"
		;;
	transmission-direct)
		# a fresh port every run: a seeding libtorrent never re-dials an
		# endpoint it remembers as a seed
		local port cfg=$RD/trcfg
		port=$(pick_port $TRANSMISSION_IP $((7000 + RUN_SEQ * 3))) || return 1
		mkdir -p "$cfg"
		cat >"$cfg/settings.json" <<EOT
{
  "dht-enabled": false, "lpd-enabled": false, "pex-enabled": false, "utp-enabled": false,
  "port-forwarding-enabled": false, "blocklist-enabled": false, "rpc-enabled": false,
  "bind-address-ipv4": "$TRANSMISSION_IP", "bind-address-ipv6": "::1",
  "peer-port": $port, "peer-port-random-on-start": false, "preallocation": 0,
  "download-dir": "$dl", "incomplete-dir-enabled": false,
  "speed-limit-down-enabled": false, "speed-limit-up-enabled": false,
  "encryption": 1, "message-level": 2
}
EOT
		done_script "$RD/finish.sh" "$MARKER"
		launch "run-$RUN_SEQ-$name" "$cg" transmission-cli -g "$cfg" -w "$dl" -p "$port" -M -D -U -ep -f "$RD/finish.sh" "$TORRENT"
		# Transmission drops 127.0.0.0/8 peers handed out by the tracker: the seeder dials in
		swarm_wait_for -t 20 -i 0.05 swarm_port_busy $TRANSMISSION_IP "$port" tcp || { log "transmission is not listening"; return 1; }
		echo "$TRANSMISSION_IP $port" >>"$SWARM_DIR/ltseed.connect"
		;;
	*) log "unknown client $name"; return 1 ;;
	esac
}

label_of() {
	case $1 in
	meerko-sandbox) echo "meerko-secure (sandbox on)|dante, via relay" ;;
	meerko-nosandbox) echo "meerko-secure (sandbox off)|dante" ;;
	lt-dante) echo "libtorrent $V_LT (python)|dante" ;;
	qbt-dante) echo "qBittorrent ${V_QBT#qBittorrent v} (nox)|dante" ;;
	aria2-direct) echo "aria2 ${V_ARIA#aria2 version }|direct" ;;
	transmission-direct) local v=${V_TR#transmission-cli }; echo "Transmission ${v%% *} (cli)|direct (lt seeder only)" ;;
	esac
}

echo "client,label,path,round,ok,rc,sha_ok,seconds,mib_s,first_byte_s,full_s,transfer_mib_s,cpu_s,cpu_total_s,relay_cpu_s,time_cpu_s,hwm_sum_mib,rss_sum_peak_mib,anon_sum_peak_mib,seeder_lt_cpu_s,seeder_aria2_cpu_s,proxy_cpu_s,other_cpu_s,bg_before_pct,waited_s,broker_cpu_s,engine_cpu_s,done_reason,note" >"$CSV"

RUN_SEQ=0
FAILED_RUNS=0
run_one() { # NAME ROUND
	local name=$1 round=$2 note="" rc="" ok=0 sha_ok=0
	RUN_SEQ=$((RUN_SEQ + 1))
	RD=$SWARM_DIR/run-$RUN_SEQ
	local dl=$RD/dl
	mkdir -p "$dl"
	chmod 755 "$RD"
	chown nobody "$dl" # the sandboxed engine runs as nobody
	local cgm="" cgr="" cge=""
	cgm=$(cg_mk "r$RUN_SEQ-main") || die "cgroup"
	[[ $name == meerko-sandbox ]] && { cgr=$(cg_mk "r$RUN_SEQ-relay") || die "cgroup"; }
	[[ $name == meerko-* ]] && { cge=$(cg_mk "r$RUN_SEQ-engine") || die "cgroup"; }
	sync
	# how busy is the machine before we start? (the swarm itself is idle now)
	local b0 b1 bg waited=0
	b0=$(sys_ticks)
	nap 1
	b1=$(sys_ticks)
	bg=$(((b1 - b0) * 100 / HZ))
	while ((WAIT_IDLE > 0 && bg > IDLE_BUSY_PCT && waited < WAIT_IDLE)); do
		((waited == 0)) && log "   machine busy (${bg}% of a core used by others): waiting up to ${WAIT_IDLE}s for it to calm down"
		b0=$(sys_ticks)
		nap 2
		b1=$(sys_ticks)
		bg=$(((b1 - b0) * 100 / HZ / 2))
		waited=$((waited + 2))
	done
	((waited > 0)) && log "   waited ${waited}s; background now ${bg}% of a core"
	local lt0 ar0 px0 sy0
	sy0=$(sys_ticks)
	lt0=$(pid_ticks "$LTSEED_PID")
	ar0=$(pid_ticks "$ARIASEED_PID")
	px0=$(tree_ticks "$SWARM_PROXY_PID")
	local mon_args=(--pidfile "$RD/pid" --dl "$dl" --manifest "$MANIFEST" --cg-kind "$CG_KIND"
		--cg-main "$cgm" --timeout "$DL_TIMEOUT" --out "$RD/monitor.json")
	[[ -n $cgr ]] && mon_args+=(--cg-relay "$cgr" --relay-detect)
	[[ -n $cge ]] && mon_args+=(--cg-engine "$cge")
	case $name in meerko-* | aria2-*) mon_args+=(--exit-is-done) ;; esac
	[[ $name != meerko-* ]] && mon_args+=(--marker "$RD/done")
	[[ $name == qbt-* ]] && mon_args+=(--qbt-url "http://127.0.0.1:$QBT_WEBUI")
	log "== $name, round $round (run $RUN_SEQ)"
	swarm_spawn "monitor-$RUN_SEQ" "$PY" "$HERE/lib/monitor.py" "${mon_args[@]}"
	local mon=$SWARM_LAST_PID
	swarm_wait_for -t 5 -i 0.02 test -e "/proc/$mon" || true
	nap 0.2 # the monitor is up and polling
	local t0=$EPOCHREALTIME
	LAUNCH_PID=""
	if ! start_client "$name" "$dl" "$cgm"; then
		note="start failed"
		swarm_stop "$mon" # it would wait for its deadline
	fi
	# the monitor ends at completion or at its own deadline
	local mrc=0
	wait "$mon" || mrc=$?
	swarm_stop "$mon"
	# stop the client (Meerko and aria2 have normally exited already)
	if [[ -n $LAUNCH_PID ]]; then
		if [[ $name == meerko-* ]] && _swarm_alive "$LAUNCH_PID"; then
			swarm_wait_for -t 5 -i 0.05 eval '! _swarm_alive "$LAUNCH_PID"' || true
		fi
		if ! _swarm_alive "$LAUNCH_PID"; then
			rc=0
			wait "$LAUNCH_PID" || rc=$?
		else
			stop_client
		fi
		swarm_stop "$LAUNCH_PID"
	fi
	local cpu_total_us="" relay_us="" engine_us=""
	cpu_total_us=$(cg_cpu_us "$cgm")
	[[ -n $cgr ]] && relay_us=$(cg_cpu_us "$cgr")
	[[ -n $cge ]] && engine_us=$(cg_cpu_us "$cge")
	local lt1 ar1 px1 sy1
	sy1=$(sys_ticks)
	lt1=$(pid_ticks "$LTSEED_PID")
	ar1=$(pid_ticks "$ARIASEED_PID")
	px1=$(tree_ticks "$SWARM_PROXY_PID")
	# what the monitor saw
	local m=$RD/monitor.json t_done="" t_first="" t_full="" reason="" cpu_done_us="" cpu_done_relay_us="" cpu_done_engine_us=""
	local hwm=0 rss=0 anon=0
	if [[ -s $m ]]; then
		# "|": a whitespace IFS would merge empty fields
		IFS='|' read -r t_done t_first t_full reason cpu_done_us cpu_done_relay_us cpu_done_engine_us hwm rss anon < <(jq -r \
			'[.t_done, .t_first, .t_full, .done_reason, .cpu_done_main_us, .cpu_done_relay_us, .cpu_done_engine_us, .hwm_sum_kb, .rss_sum_peak_kb, .anon_sum_peak_kb] | map(. // "" | tostring) | join("|")' "$m")
		cp "$m" "$OUT/logs/run-$RUN_SEQ-$name.monitor.json"
	else
		note+="${note:+; }no monitor output (rc $mrc)"
	fi
	local secs="" first="" full="" mibs="" xfer=""
	case $reason in
	marker | exit | api)
		secs=$(fsub "$t_done" "$t0")
		;;
	*) note+="${note:+; }${reason:-no result}" ;;
	esac
	[[ $name == meerko-* && ${rc:-x} != 0 ]] && { note+="${note:+; }exit code ${rc:-? (still running)}"; secs=""; }
	[[ $reason == exit && $name == aria2-* && ${rc:-1} != 0 ]] && { note+="${note:+; }aria2 exited with ${rc:-?}"; secs=""; }
	[[ -n $t_first ]] && first=$(fsub "$t_first" "$t0")
	[[ -n $t_full ]] && full=$(fsub "$t_full" "$t0")
	# verify every file (after the client stopped: caches flushed)
	if [[ -n $secs ]]; then
		if (cd "$dl" && sha256sum -c --quiet --strict "$SHAS") >"$RD/sha.txt" 2>&1; then
			sha_ok=1 ok=1
		else
			note+="${note:+; }SHA-256 mismatch or missing file"
			head -n 5 "$RD/sha.txt" >&2
		fi
	fi
	if ((ok)); then
		mibs=$(awk -v s="$secs" -v m="$SIZE_B" 'BEGIN { printf "%.1f", m / 1048576 / s }')
		local a=$t_first b=${t_full:-$t_done}
		[[ -n $a ]] && xfer=$(awk -v a="$a" -v b="$b" -v m="$SIZE_B" 'BEGIN { if (b - a > 0.001) printf "%.1f", m / 1048576 / (b - a) }')
	else
		FAILED_RUNS=$((FAILED_RUNS + 1))
	fi
	local cpu_s="" cpu_total="" relay_s="" time_cpu="" broker_s="" engine_s=""
	us_s() { [[ -n $1 ]] && awk -v u="$1" 'BEGIN { printf "%.2f", u / 1e6 }'; }
	if [[ $CG_KIND != none ]]; then
		local cd=$cpu_done_us ct=$cpu_total_us
		[[ -n $cpu_done_relay_us ]] && cd=$((cd + cpu_done_relay_us))
		[[ -n $cpu_done_engine_us ]] && cd=$((cd + cpu_done_engine_us))
		[[ -n $relay_us ]] && ct=$((ct + relay_us))
		[[ -n $engine_us ]] && ct=$((ct + engine_us))
		cpu_s=$(us_s "$cd")
		cpu_total=$(us_s "$ct")
		relay_s=$(us_s "$relay_us")
		if [[ -n $engine_us ]]; then engine_s=$(us_s "$engine_us") broker_s=$(us_s "$cpu_total_us"); fi
	fi
	if [[ -s $RD/time ]]; then
		local u s
		read -r _ u s _ < <(grep -E '^[0-9.]+ [0-9.]+ [0-9.]+ [0-9]+$' "$RD/time" | tail -n 1)
		[[ -n ${u:-} ]] && time_cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
	fi
	if [[ $CG_KIND == none ]]; then cpu_s=$time_cpu cpu_total=$time_cpu; fi
	local kmib='BEGIN { if (k > 0) printf "%.1f", k / 1024 }'
	hwm=$(awk -v k="$hwm" "$kmib") rss=$(awk -v k="$rss" "$kmib") anon=$(awk -v k="$anon" "$kmib")
	local label path
	IFS='|' read -r label path <<<"$(label_of "$name")"
	# CPU used on the machine during the run by anything but the client, the
	# seeders and the proxy (the harness's monitor, other users' jobs): a
	# large value flags a disturbed run
	local other
	other=$(awk -v a="$sy0" -v b="$sy1" -v hz="$HZ" -v c="${cpu_total:-0}" -v l="$(ticks_s "$lt0" "$lt1")" \
		-v r="$(ticks_s "$ar0" "$ar1")" -v p="$(ticks_s "$px0" "$px1")" \
		'BEGIN { o = (b - a) / hz - c - l - r - p; printf "%.2f", (o < 0 ? 0 : o) }')
	note=${note//\"/\'}
	echo "$name,\"$label\",\"$path\",$round,$ok,$rc,$sha_ok,$secs,$mibs,$first,$full,$xfer,$cpu_s,$cpu_total,$relay_s,$time_cpu,$hwm,$rss,$anon,$(ticks_s "$lt0" "$lt1"),$(ticks_s "$ar0" "$ar1"),$(ticks_s "$px0" "$px1"),$other,$bg,$waited,$broker_s,$engine_s,$reason,\"$note\"" >>"$CSV"
	log "   ok=$ok rc=${rc:-} ${secs:-?}s ${mibs:-?} MiB/s first-byte=${first:-?}s full=${full:-?}s cpu=${cpu_s:-?}s (total ${cpu_total:-?}${engine_s:+: broker $broker_s, engine $engine_s}, relay ${relay_s:--}, GNU time ${time_cpu:-?}) hwm-sum=${hwm}MiB anon=${anon}MiB other-CPU=${other}s ${note}"
	# keep small logs, drop the download
	local f
	for f in "$SWARM_LOGS/run-$RUN_SEQ-$name.log" "$RD/time" "$RD/qbt-add.txt"; do
		[[ -f $f ]] && tail -c 20000 "$f" >"$OUT/logs/run-$RUN_SEQ-$name.$(basename "$f")"
	done
	[[ -f $RD/qbprof/qBittorrent/logs/qbittorrent.log ]] && tail -c 20000 "$RD/qbprof/qBittorrent/logs/qbittorrent.log" >"$OUT/logs/run-$RUN_SEQ-$name.qbittorrent.log"
	rm -rf -- "$RD"
	cg_rm "$cgm" "$cgr" "$cge"
}

# ------------------------------------------------------------------ the rounds
log "swarm up: tracker $SWARM_TRACKER_IP:$SWARM_TRACKER_PORT, dante $PROXY, seeders aria2c $SWARM_SEED_IP:$SWARM_SEED_PORT + libtorrent $LTSEED_IP:$LTSEED_PORT; cgroup: $CG_KIND"
for ((r = 1; r <= RUNS; r++)); do
	for c in $CLIENTS; do
		ltseed_alive || die "a seeder died or hangs (no heartbeat): see $SWARM_LOGS/seeder-lt.log, $SWARM_LOGS/seeder.log"
		run_one "$c" "$r"
	done
done

# ------------------------------------------------------------------ sandbox setup time
# strace -f -ttt -T in separate, untimed runs (the idle torrent): per run
#   fork->exec  engine fork in the broker -> execve of meerko-engine in the child
#   unshare     duration of unshare(CLONE_NEWNET[|CLONE_NEWUSER])
#   ->relay     engine fork -> the relay's fork (the broker only forks the relay
#               after the child reported the namespace ready)
# done with the sandbox on and off; the difference is the sandbox's own cost.
# Plus the wall time of `meerko-secure --sandbox-check` (builds the whole
# sandbox, starts the engine, asks it for its report, stops it): an upper bound.
SETUP_JSON='{}'
setup_one() { # MODE(required|off) N -> appends JSON lines to $SWARM_DIR/setup.jsonl
	local mode=$1 i=$2
	local d=$SWARM_DIR/setup-$mode-$i tr pid
	mkdir -p "$d/dl"
	chown nobody "$d/dl"
	tr=$d/strace.txt
	local ini=$SWARM_DIR/meerko-sandbox.ini
	[[ $mode == off ]] && ini=$SWARM_DIR/meerko-nosandbox.ini
	swarm_spawn "strace-$mode-$i" strace -f -ttt -T -qq "${STRACE_BPF[@]}" -o "$tr" \
		-e trace=execve,unshare,clone,clone3,fork,vfork "$MEERKO" --config "$ini" -o "$d/dl" "$SWARM_DIR/idle.torrent"
	pid=$SWARM_LAST_PID
	swarm_wait_for -t 15 -i 0.05 grep -qs 'execve(".*meerko-engine"' "$tr" || log "warning: no engine execve seen (strace $mode $i)"
	nap 0.5
	# the broker is the first pid in the trace
	local broker
	broker=$(awk 'NR == 1 { print $1 }' "$tr")
	[[ $broker =~ ^[0-9]+$ ]] && kill -TERM "$broker" 2>/dev/null
	swarm_wait_for -t 15 -i 0.05 eval '! _swarm_alive "$pid"' || true
	swarm_stop "$pid"
	cp "$tr" "$OUT/logs/setup-strace-$mode-$i.txt"
	"$PY" "$HERE/lib/parse_strace.py" "$mode" "$tr" >>"$SWARM_DIR/setup.jsonl" || log "warning: could not parse $tr"
	rm -rf -- "$d"
}
if ((DO_SETUP)); then
	: >"$SWARM_DIR/setup.jsonl"
	if command -v strace >/dev/null 2>&1; then
		STRACE_BPF=(--seccomp-bpf)
		strace -f --seccomp-bpf -qq -o /dev/null true 2>/dev/null || STRACE_BPF=()
		log "sandbox setup: strace runs ($SETUP_REPS with the sandbox on, $SETUP_REPS off)"
		for ((i = 1; i <= SETUP_REPS; i++)); do
			setup_one required "$i"
			setup_one off "$i"
		done
	else
		log "warning: strace not installed: only --sandbox-check is timed"
	fi
	log "sandbox setup: timing meerko-secure --sandbox-check (5 runs)"
	: >"$SWARM_DIR/sandbox-check.txt"
	for i in 1 2 3 4 5; do
		t1=$EPOCHREALTIME
		src=0
		timeout 30 "$MEERKO" --sandbox-check >"$SWARM_DIR/sandbox-check.out" 2>&1 || src=$?
		t2=$EPOCHREALTIME
		echo "$(fsub "$t2" "$t1") $src" >>"$SWARM_DIR/sandbox-check.txt"
	done
	cp "$SWARM_DIR/sandbox-check.out" "$OUT/logs/sandbox-check.out"
	SETUP_JSON=$(jq -s --rawfile sc "$SWARM_DIR/sandbox-check.txt" '{strace: ., sandbox_check: ($sc | split("\n") | map(select(length > 0) | split(" ") | {wall_s: (.[0] | tonumber), exit: (.[1] | tonumber)}))}' "$SWARM_DIR/setup.jsonl") || SETUP_JSON='{}'
fi

# ------------------------------------------------------------------ idle CPU
# meerko-secure on a torrent nobody seeds: after a 3 s settle, the CPU of
# broker+engine (and, separately, the relay) over IDLE_SECS seconds.
IDLE_JSON='[]'
idle_one() { # MODE(required|off)
	local mode=$1 name=meerko-sandbox
	[[ $mode == off ]] && name=meerko-nosandbox
	RUN_SEQ=$((RUN_SEQ + 1))
	RD=$SWARM_DIR/run-$RUN_SEQ
	mkdir -p "$RD/dl"
	chmod 755 "$RD"
	chown nobody "$RD/dl"
	: >"$RD/manifest"
	local cgm="" cgr=""
	cgm=$(cg_mk "r$RUN_SEQ-main") || die "cgroup"
	[[ $mode == required ]] && { cgr=$(cg_mk "r$RUN_SEQ-relay") || die "cgroup"; }
	local mon_args=(--pidfile "$RD/pid" --dl "$RD/dl" --manifest "$RD/manifest" --cg-kind "$CG_KIND"
		--cg-main "$cgm" --timeout $((IDLE_SECS + 20)) --exit-is-done --out "$RD/monitor.json")
	[[ -n $cgr ]] && mon_args+=(--cg-relay "$cgr" --relay-detect)
	swarm_spawn "idle-monitor-$mode" "$PY" "$HERE/lib/monitor.py" "${mon_args[@]}"
	local mon=$SWARM_LAST_PID
	launch "idle-$mode" "$cgm" "$MEERKO" --config "$SWARM_DIR/$name.ini" -o "$RD/dl" "$SWARM_DIR/idle.torrent"
	local pid=$LAUNCH_PID
	nap 3
	local ok=1 m0 m1 r0="" r1="" b0 b1 t0 t1
	_swarm_alive "$pid" || ok=0
	t0=$EPOCHREALTIME
	if [[ $CG_KIND != none ]]; then
		m0=$(cg_cpu_us "$cgm")
		[[ -n $cgr ]] && r0=$(cg_cpu_us "$cgr")
	else
		b0=$(tree_ticks "$(<"$RD/pid")")
	fi
	nap "$IDLE_SECS"
	t1=$EPOCHREALTIME
	if [[ $CG_KIND != none ]]; then
		m1=$(cg_cpu_us "$cgm")
		[[ -n $cgr ]] && r1=$(cg_cpu_us "$cgr")
	else
		b1=$(tree_ticks "$(<"$RD/pid")")
	fi
	_swarm_alive "$pid" || ok=0
	local cpid
	cpid=$(<"$RD/pid")
	kill -TERM "$cpid" 2>/dev/null
	local ts=$EPOCHREALTIME rc="null" term_s="null"
	if swarm_wait_for -t 20 -i 0.05 eval '! _swarm_alive "$pid"'; then
		term_s=$(fsub "$EPOCHREALTIME" "$ts")
		rc=0
		wait "$pid" || rc=$?
	else
		log "   warning: meerko-secure did not exit within 20 s of SIGTERM (idle, sandbox $mode)"
	fi
	swarm_stop "$pid"
	wait "$mon" 2>/dev/null
	swarm_stop "$mon"
	local win main_pct relay_pct="null" relay_pid="null"
	win=$(fsub "$t1" "$t0")
	if [[ $CG_KIND != none ]]; then
		main_pct=$(awk -v a="$m0" -v b="$m1" -v w="$win" 'BEGIN { printf "%.3f", (b - a) / 1e6 / w * 100 }')
		[[ -n $r0 && -n $r1 ]] && relay_pct=$(awk -v a="$r0" -v b="$r1" -v w="$win" 'BEGIN { printf "%.3f", (b - a) / 1e6 / w * 100 }')
	else
		main_pct=$(awk -v a="$b0" -v b="$b1" -v w="$win" -v hz="$HZ" 'BEGIN { printf "%.3f", (b - a) / hz / w * 100 }')
	fi
	[[ -s $RD/monitor.json ]] && relay_pid=$(jq '.relay_pid // null' "$RD/monitor.json")
	tail -c 5000 "$SWARM_LOGS/idle-$mode.log" >"$OUT/logs/idle-$mode.log" 2>/dev/null
	log "   idle ($mode): broker+engine ${main_pct}% CPU, relay ${relay_pct}% over ${win}s (alive throughout: $ok; after SIGTERM: exit ${rc} in ${term_s}s)"
	IDLE_JSON=$(jq -c --arg mode "$mode" --argjson main "$main_pct" --argjson relay "$relay_pct" --argjson win "$win" \
		--argjson ok "$ok" --argjson rc "$rc" --argjson rpid "$relay_pid" --argjson term "$term_s" \
		'. + [{mode: $mode, window_s: $win, broker_engine_cpu_pct: $main, relay_cpu_pct: $relay, alive: ($ok == 1), exit_after_term: $rc, exit_after_term_s: $term, relay_pid: $rpid}]' <<<"$IDLE_JSON")
	rm -rf -- "$RD"
	cg_rm "$cgm" "$cgr"
}
if ((IDLE_SECS > 0)); then
	log "idle CPU: a torrent nobody seeds, ${IDLE_SECS}s window after a 3 s settle"
	idle_one required
	idle_one off
fi

jq -n --argjson setup "$SETUP_JSON" --argjson idle "$IDLE_JSON" '{setup: $setup, idle: $idle}' >"$EXTRAS" || echo '{}' >"$EXTRAS"

# ------------------------------------------------------------------ report
"$PY" "$HERE/lib/report.py" "$OUT" || log "warning: report.py failed"
[[ -f $OUT/table.md ]] && { echo; cat "$OUT/report.md"; echo; }
log "results in $OUT (runs.csv, summary.json, table.md, report.md, logs/)"
if ((FAILED_RUNS > 0)); then
	log "FAILED: $FAILED_RUNS run(s) did not complete with the right SHA-256"
	exit 1
fi
log "all runs completed with the right SHA-256"
exit 0
