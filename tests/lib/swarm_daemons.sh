# shellcheck shell=bash disable=SC2034
# (SC2034: the SWARM_* globals are this library's interface, read by callers)
#
# tests/lib/swarm_daemons.sh - the swarm's daemons and data: addresses and
# ports on loopback, payloads and torrents, the tracker (opentracker), the
# proxies (microsocks, danted, temporary users) and the seeders (aria2c,
# python3-libtorrent). Project part of the test library; needs core.sh
# (sourced by swarm.sh, the entry point).
#
# Contract:
#   - Loopback only: swarm_init (swarm.sh) refuses an address outside 127/8.
#   - Every daemon is started with swarm_spawn (so swarm_cleanup stops it,
#     by pid) and a start function returns only once the daemon is ready
#     (listening, and for seeders: verified and listed by the tracker), or
#     fails with the daemon's log tail; every wait is bounded.
#   - A temporary system user (dante auth, swarm_add_ordinary_user) is
#     registered in _SWARM_USERS and deleted after the processes stop; an
#     existing account is never touched.
#
# Functions:
#   swarm_port_open IP PORT        0 if a TCP connect to IP:PORT succeeds
#   swarm_port_busy IP PORT [tcp|udp]  0 if something listens/binds there
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
#   swarm_add_ordinary_user NAME   a temporary ordinary user, deleted by cleanup
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
#
# Addresses: SWARM_TRACKER_IP=127.0.0.1  SWARM_CLIENT_IP=127.0.0.2
#   SWARM_PROXY_IP=127.0.0.3  SWARM_SEED_IP=127.0.0.4
# Ports: SWARM_TRACKER_PORT (6969, TCP+UDP), SWARM_PROXY_PORT (1080),
#   SWARM_SEED_PORT (6881), SWARM_CLIENT_PORT (6882); swarm_init resolves them
#   (_swarm_resolve_port). Knobs: SWARM_PIECE_EXP (18),
#   SWARM_SEED_READY_TIMEOUT (60 s).

if [[ -n ${_SWARM_DAEMONS_SH_LOADED:-} ]]; then
	return 0
fi
_SWARM_DAEMONS_SH_LOADED=1

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
SWARM_ANNOUNCE_URL="http://${SWARM_TRACKER_IP}:${SWARM_TRACKER_PORT}/announce"

SWARM_TRACKER_PID=""
SWARM_PROXY_PID=""
SWARM_PROXY_KIND=""
SWARM_SEED_PID=""
SWARM_SEED_LOG=""
_SWARM_USERS=()

# ------------------------------------------------------------------ addresses and ports
_swarm_is_loopback() {
	[[ $1 =~ ^127\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] &&
		((BASH_REMATCH[1] <= 255 && BASH_REMATCH[2] <= 255 && BASH_REMATCH[3] <= 255))
}

_swarm_is_port() {
	[[ $1 =~ ^[0-9]{1,5}$ ]] && ((10#$1 >= 1 && 10#$1 <= 65535))
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

# ------------------------------------------------------------------ temporary users
# after the processes stopped (a daemon may still run as one of them)
_swarm_delete_users() {
	local u
	for u in "${_SWARM_USERS[@]}"; do
		userdel "$u" >/dev/null 2>&1 || swarm_log "could not delete temporary user $u"
	done
	_SWARM_USERS=()
}
swarm_cleanup_hook after _swarm_delete_users
