#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (SC2119: optional args)
# test_bad_input.sh - the bad-input matrix: every way a user (or a hostile
# .torrent) can hand meerko-secure something wrong, each row checked for
#   - the exact exit code (broker/exitcodes.h) and a stderr substring,
#   - stderr being exactly one line starting with "meerko-secure: ",
#   - nothing written outside the save dir: the scratch HOME, the working
#     directory and the row's inputs are snapshotted before/after, and the
#     client gets its own empty /tmp and /dev/shm (tmpfs in a private mount
#     namespace) that must still be empty afterwards,
#   - nothing that was already in the save dir removed (a sentinel file).
# The one place outside the save dir the client may write is its state dir
# ($HOME/.local/state/meerko, resume data): it may be created, but only rows
# given --state-ok (disk full: verified pieces are worth resuming) may leave
# files in it.
#
# Rows that reach the engine (bad .torrent contents, magnets that pass the
# broker's info-hash check, disk full)
# run twice: [sandbox] mode = off, then mode = required (as root the engine
# runs as nobody, so their save dir belongs to nobody).
#
# Real daemons on loopback only (tests/lib/swarm.sh): danted with username
# auth (temporary system user) for the wrong-password row, then microsocks,
# opentracker and an aria2c seeder for the engine rows and the disk-full row
# (1 MiB tmpfs save dir, 4 MiB torrent). Every mount lives in a private
# mount namespace (unshare -m) that dies with the row: nothing to unmount.
#
# Usage: test_bad_input.sh [BUILD_DIR]
#   BUILD_DIR (or $BUILD_DIR, default ./build) holds bin/meerko-secure;
#   MEERKO_BIN overrides. ROWS=REGEX runs only the rows whose name matches.
#   MEERKO_ROW_TIMEOUT (20 s) / MEERKO_ENGINE_ROW_TIMEOUT (20 s) /
#   MEERKO_DISKFULL_TIMEOUT (120 s) bound each run of the client.
# The test's files live under $MEERKO_TEST_TMPDIR (default /var/tmp), not
# /tmp, because the client's /tmp is replaced by an empty tmpfs.
# Exit: 0 pass, 1 fail, 77 skip (MEERKO_REQUIRE_ALL=1 turns skips into fails).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:-${BUILD_DIR:-build}}
if [[ -z ${MEERKO_BIN:-} ]]; then
	MEERKO_BIN=$BUILD_DIR/bin/meerko-secure
	if [[ ! -x $MEERKO_BIN && -x $BUILD_DIR/broker/meerko-secure ]]; then
		MEERKO_BIN=$BUILD_DIR/broker/meerko-secure
	fi
fi
PY=${MEERKO_TEST_PYTHON:-/usr/bin/python3}
ROW_TIMEOUT=${MEERKO_ROW_TIMEOUT:-20}
ENGINE_ROW_TIMEOUT=${MEERKO_ENGINE_ROW_TIMEOUT:-20}
DISKFULL_TIMEOUT=${MEERKO_DISKFULL_TIMEOUT:-120}
ROWS=${ROWS:-}

# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"

swarm_isolate "$@"
swarm_require_root
"$PY" -c 'import libtorrent' 2>/dev/null || swarm_skip_or_fail "python3-libtorrent is missing ($PY)"
swarm_require_cmds opentracker microsocks danted aria2c mktorrent transmission-show ss \
	unshare mount timeout cmp sha256sum find chpasswd useradd userdel setpriv
[[ -x $MEERKO_BIN ]] || swarm_skip_or_fail "meerko-secure not built: $MEERKO_BIN (pass BUILD_DIR or set MEERKO_BIN)"
MEERKO_BIN=$(cd "$(dirname "$MEERKO_BIN")" && pwd)/$(basename "$MEERKO_BIN")
unshare -m --propagation private true 2>/dev/null ||
	swarm_skip_or_fail "cannot create a mount namespace (unshare -m)"

export TMPDIR=${MEERKO_TEST_TMPDIR:-/var/tmp}
swarm_init
# The client's /tmp is replaced by an empty tmpfs: run a copy of the binaries
# from the test's own dir (the build dir itself may live under /tmp).
mkdir -p "$SWARM_DIR/bin"
cp "$MEERKO_BIN" "$(dirname "$MEERKO_BIN")/meerko-engine" "$SWARM_DIR/bin/"
chmod 755 "$SWARM_DIR/bin" "$SWARM_DIR/bin/"*
MEERKO_BIN=$SWARM_DIR/bin/meerko-secure

NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)
ROWS_DIR=$SWARM_DIR/rows
FIX=$SWARM_DIR/fixtures
mkdir -p "$ROWS_DIR" "$FIX"
chmod 755 "$ROWS_DIR" "$FIX"
ROW_COUNT=0
FAILED_ROWS=()

# ------------------------------------------------------------ the runner
# Runs inside `unshare -m --propagation private`: gives the client an empty
# /tmp and /dev/shm, sets up the save dir, runs the client, and records what
# is left (the mounts vanish with the namespace).
cat >"$SWARM_DIR/ns-run.sh" <<'EOF'
set -u
rowdir=$1 kind=$2 save=$3 limit=$4 owner=$5
shift 5
mount -t tmpfs -o size=16m,mode=1777 meerko-test-tmp /tmp || exit 90
mount -t tmpfs -o size=16m,mode=1777 meerko-test-shm /dev/shm || exit 90
case $kind in
ro | full)
	mount -t tmpfs -o "size=1m,mode=755,uid=$owner" meerko-test-save "$save" || exit 91
	;;
esac
printf 'put here before the run\n' >"$save/already-here.txt"
mkdir -p "$save/already-dir" && printf 'x\n' >"$save/already-dir/f"
if [[ $kind == ro ]]; then
	mount -o remount,ro "$save" || exit 92
fi
rc=0
(cd "$rowdir/cwd" && exec timeout -k 5 "$limit" env -i HOME="$rowdir/home" PATH=/usr/bin:/bin "$@") \
	>"$rowdir/stdout" 2>"$rowdir/stderr" </dev/null || rc=$?
printf '%s\n' "$rc" >"$rowdir/rc"
find /tmp /dev/shm -mindepth 1 >"$rowdir/private-tmp.after" 2>&1
if [[ $kind == ro || $kind == full ]]; then
	mkdir -p "$rowdir/save-copy"
	cp -a --sparse=always "$save/." "$rowdir/save-copy/"
fi
if [[ $kind == full ]]; then
	# disk full, then space freed: the same command again must finish
	mount -o remount,size=16m "$save" || exit 93
	rc=0
	(cd "$rowdir/cwd" && exec timeout -k 5 "$limit" env -i HOME="$rowdir/home" PATH=/usr/bin:/bin "$@") \
		>"$rowdir/rerun.stdout" 2>"$rowdir/rerun.stderr" </dev/null || rc=$?
	printf '%s\n' "$rc" >"$rowdir/rerun.rc"
	mkdir -p "$rowdir/rerun-save"
	cp -a --sparse=always "$save/." "$rowdir/rerun-save/"
fi
exit 0
EOF

# snapshot DIR...: one line per entry (type, mode, owner, size, mtime, path;
# no mtime for directories: added/removed entries show up on their own),
# leaving out the client's state dir ($STATE_REL below a HOME) and the
# directories above it, which are checked on their own (state_files)
STATE_REL=.local/state/meerko
snapshot() {
	local d
	for d in "$@"; do
		find "$d" \( -path "*/home/$STATE_REL" -prune \) -o \
			\( -path "*/home/.local" -o -path "*/home/.local/state" \) -o \
			\( -type d -printf '%y %m %u %p\n' \) -o -printf '%y %m %u %s %T@ %p\n' 2>&1
	done | sort
}

# files (not directories) left in a row's state dir
state_files() { # ROWDIR
	[[ -d $1/home/$STATE_REL ]] || return 0
	find "$1/home/$STATE_REL" ! -type d -printf '%P\n'
}

# row NAME RC SUBSTR [options] -- CLIENT-ARGS...
#   --config TEXT     meerko.ini for the row (default: $BASE_INI)
#   --save KIND       dir (default) | ro (read-only tmpfs) | full (1 MiB tmpfs;
#                     then grown to 16 MiB and the same command rerun)
#   --sandbox MODE    off (default) | required: sets [sandbox] mode, and the
#                     save dir belongs to nobody
#   --timeout SEC
#   --then FUNC       extra check, called with the row dir (after the others)
#   --state-ok        the client may leave resume data in its state dir
#   --root-save       with --sandbox required: leave the save dir to root
#                     (0755), so the engine (nobody) cannot write it
#   --env NAME=VALUE  one more variable in the client's environment (repeatable)
#   --as USER         run the client as USER (setpriv; the row's meerko.ini is
#                     handed to USER)
#   --no-config       no --config: the client looks in its (empty) HOME and /etc
#   --lines N         stderr is N lines (default 1), each "meerko-secure: "
# In CLIENT-ARGS, @SAVE@ is replaced by the save dir and @ROW@ by the row dir.
row() {
	local name=$1 want_rc=$2 want_msg=$3
	shift 3
	local ini=$BASE_INI kind=dir sandbox=off limit=$ROW_TIMEOUT then="" state_ok=0 root_save=0
	local envs=() as="" config_args=(--config) lines=1
	while (($# > 0)); do
		case $1 in
		--config) ini=$2; shift 2 ;;
		--save) kind=$2; shift 2 ;;
		--sandbox) sandbox=$2; shift 2 ;;
		--timeout) limit=$2; shift 2 ;;
		--then) then=$2; shift 2 ;;
		--state-ok) state_ok=1; shift ;;
		--root-save) root_save=1; shift ;;
		--env) envs+=("$2"); shift 2 ;;
		--as) as=$2; shift 2 ;;
		--no-config) config_args=(); shift ;;
		--lines) lines=$2; shift 2 ;;
		--) shift; break ;;
		*) swarm_die "row $name: unknown option $1"; return 1 ;;
		esac
	done
	if [[ -n $ROWS ]] && ! [[ $name =~ $ROWS ]]; then
		return 0
	fi
	ROW_COUNT=$((ROW_COUNT + 1))
	local rd
	rd=$ROWS_DIR/$(printf '%02d' "$ROW_COUNT")-$name
	local save=$rd/save owner=0
	mkdir -p "$rd/home" "$rd/cwd" "$rd/in" "$save"
	chmod 755 "$rd" "$rd/in"
	if [[ $sandbox == required ]] && ((root_save == 0)); then
		owner=$NOBODY_UID
		chown "$NOBODY_UID:$NOBODY_GID" "$save"
	fi
	ini=${ini//@SANDBOX@/$sandbox}
	(umask 077 && printf '%s\n' "$ini" >"$rd/in/meerko.ini")
	local client=(env "${envs[@]}" "$MEERKO_BIN")
	if [[ -n $as ]]; then
		chown "$as" "$rd/in/meerko.ini"
		client=(setpriv --reuid="$as" --regid="$(id -g "$as")" --clear-groups -- "${client[@]}")
	fi
	local args=() a
	for a in "$@"; do
		a=${a//@SAVE@/$save}
		args+=("${a//@ROW@/$rd}")
	done
	snapshot "$rd/home" "$rd/cwd" "$rd/in" "$FIX" >"$rd/outside.before"

	local wrap_rc=0
	swarm_run "row-$name" $((limit + 30)) unshare -m --propagation private \
		bash "$SWARM_DIR/ns-run.sh" "$rd" "$kind" "$save" "$limit" "$owner" \
		"${client[@]}" "${config_args[@]}" ${config_args[@]:+"$rd/in/meerko.ini"} --progress none \
		"${args[@]}" || wrap_rc=$?

	snapshot "$rd/home" "$rd/cwd" "$rd/in" "$FIX" >"$rd/outside.after"
	local rc=wrapper-failed
	if ((wrap_rc == 0)) && [[ -f $rd/rc ]]; then
		rc=$(<"$rd/rc")
	else
		swarm_log "row $name: the namespace wrapper failed (rc=$wrap_rc)"
	fi
	local before_failed=$SWARM_FAILED tag="[$name${sandbox:+, sandbox $sandbox}]"
	swarm_check "$tag exit code $want_rc (got $rc)" test "$rc" = "$want_rc"
	swarm_check "$tag stderr is $lines line(s) with '$want_msg'" one_line "$rd/stderr" "$want_msg" "$lines"
	swarm_check "$tag nothing written outside the save dir" nothing_outside "$rd" "$state_ok"
	swarm_check "$tag what was in the save dir is still there" sentinel_kept "$rd" "$kind"
	if [[ -n $then ]]; then
		swarm_check "$tag $then" "$then" "$rd"
	fi
	if ((SWARM_FAILED > before_failed)); then
		FAILED_ROWS+=("$name${sandbox:+ (sandbox $sandbox)}")
		printf '    stderr: %s\n' "$(head -c 600 "$rd/stderr" | cat -v | tr '\n' '|')"
	fi
}

one_line() { # FILE SUBSTR [LINES]
	local f=$1 want=$2 lines=${3:-1} n
	n=$(wc -l <"$f")
	if [[ $n != "$lines" ]] || [[ -n $(tail -c 1 "$f") ]]; then
		printf '    stderr has %s lines (want exactly %s):\n' "$n" "$lines"
		sed 's/^/    | /' "$f" | head -n 10 | cut -c1-300
		return 1
	fi
	local line
	while IFS= read -r line; do
		if [[ $line != "meerko-secure: "* ]]; then
			printf '    does not start with "meerko-secure: ": %s\n' "$line"
			return 1
		fi
	done <"$f"
	if ! grep -qF -- "$want" "$f"; then
		printf '    no "%s" in: %s\n' "$want" "$(tr '\n' '|' <"$f")"
		return 1
	fi
}

nothing_outside() { # ROWDIR STATE_OK
	local rd=$1 state_ok=$2 ok=0 kept
	if ! diff -u "$rd/outside.before" "$rd/outside.after" >"$rd/outside.diff"; then
		printf '    changed outside the save dir:\n'
		grep -E '^[-+][^-+]' "$rd/outside.diff" | head -n 10 | sed 's/^/    /'
		ok=1
	fi
	if [[ ! -f $rd/private-tmp.after ]]; then
		printf '    no record of the private /tmp\n'
		ok=1
	elif [[ -s $rd/private-tmp.after ]]; then
		printf '    written to /tmp or /dev/shm:\n'
		head -n 10 "$rd/private-tmp.after" | sed 's/^/    /'
		ok=1
	fi
	kept=$(state_files "$rd")
	if [[ -n $kept ]]; then
		if ((state_ok)); then
			printf '    state dir (allowed here): %s\n' "$(tr '\n' ' ' <<<"$kept")"
		else
			printf '    left in the state dir ~/%s: %s\n' "$STATE_REL" "$(tr '\n' ' ' <<<"$kept")"
			ok=1
		fi
	fi
	# the save dir's parent is the row dir: a "../x" escape lands there
	local extra
	extra=$(find "$rd" -mindepth 1 -maxdepth 1 ! -name home ! -name cwd ! -name in ! -name save \
		! -name save-copy ! -name rc ! -name stdout ! -name stderr ! -name 'outside.*' \
		! -name 'rerun*' \
		! -name private-tmp.after -printf '%f\n')
	if [[ -n $extra ]]; then
		printf '    new entries beside the save dir: %s\n' "$(tr '\n' ' ' <<<"$extra")"
		ok=1
	fi
	return "$ok"
}

no_escape() { # ROWDIR: no ESC or other control byte on stderr
	if LC_ALL=C grep -q '[[:cntrl:]]' <(tr -d '\n' <"$1/stderr"); then
		printf '    stderr carries control bytes: %s\n' "$(cat -v "$1/stderr" | tr '\n' '|')"
		return 1
	fi
}

sentinel_kept() { # ROWDIR KIND
	local d=$1/save
	[[ $2 == dir ]] || d=$1/save-copy
	[[ $(cat "$d/already-here.txt" 2>/dev/null) == "put here before the run" &&
		$(cat "$d/already-dir/f" 2>/dev/null) == x ]] && return 0
	printf '    %s/already-here.txt or already-dir/f is gone or changed\n' "$d"
	return 1
}

# a refused --files downloaded nothing: no payload file in the save dir
save_has_no_payload() { # ROWDIR
	local got
	got=$(find "$1/save" -mindepth 1 ! -name already-here.txt ! -path '*/already-dir*' | head -n 5)
	[[ -z $got ]] && return 0
	printf '    in the save dir: %s\n' "$(tr '\n' ' ' <<<"$got")"
	return 1
}

# ------------------------------------------------------------ fixtures
# bencode string: bs TEXT (no NUL bytes)
bs() { printf '%d:%s' "${#1}" "$1"; }
# 20 * n bytes of piece hashes
pieces() { head -c $((20 * $1)) /dev/zero | tr '\0' 'h'; }
# torrent_multi OUT PATHLIST PIECE_LEN PIECES [LENGTH]: one file, hand-made
# bencode (keys sorted); PATHLIST is a bencoded list, e.g. l2:..4:evile
torrent_multi() {
	local out=$1 pathlist=$2 plen=$3 pcs=$4 len=${5:-16384}
	{
		printf 'd4:infod5:filesld6:lengthi%se4:path' "$len"
		printf '%s' "$pathlist"
		printf 'ee4:name%s12:piece lengthi%se6:pieces' "$(bs meerko-bad)" "$plen"
		bs "$pcs"
		printf 'ee'
	} >"$out"
}

swarm_make_payload "$SWARM_DIR/small/payload" 2 1
swarm_make_torrent "$SWARM_DIR/small/payload" "$FIX/good.torrent"
sz=$(stat -c %s "$FIX/good.torrent")
head -c $((sz / 2)) "$FIX/good.torrent" >"$FIX/truncated.torrent"
: >"$FIX/empty.torrent"
printf 'This is not bencode at all, just text.\n' >"$FIX/not-bencode.torrent"
mkdir -p "$FIX/a-directory.torrent"
torrent_multi "$FIX/dotdot.torrent" "l$(bs ..)$(bs evil)e" 16384 "$(pieces 1)"
torrent_multi "$FIX/absolute.torrent" "l$(bs /tmp/meerko-abs-evil)e" 16384 "$(pieces 1)"
# a NUL byte inside a file name: "ev\0il" (5 bytes)
torrent_multi "$FIX/nul-name.torrent" "l5:evXile" 16384 "$(pieces 1)"
sed -i 's/5:evXil/5:ev\x00il/' "$FIX/nul-name.torrent"
torrent_multi "$FIX/piece-len-0.torrent" "l$(bs f)e" 0 "$(pieces 1)"
torrent_multi "$FIX/pieces-not-20.torrent" "l$(bs f)e" 16384 "$(pieces 1)x"
torrent_multi "$FIX/piece-len-2p40.torrent" "l$(bs f)e" 1099511627776 "$(pieces 1)"
torrent_multi "$FIX/piece-count.torrent" "l$(bs f)e" 16384 "$(pieces 1000)"
# a hybrid (v1 + v2) torrent: BEP 47 pad files after a.bin and b.bin, so
# --list shows 0 (a.bin) and 2 (b.bin) and index 1 is padding
mkdir -p "$SWARM_DIR/hybrid/payload"
head -c 20000 /dev/urandom >"$SWARM_DIR/hybrid/payload/a.bin"
head -c 30000 /dev/urandom >"$SWARM_DIR/hybrid/payload/b.bin"
"$PY" - "$SWARM_DIR/hybrid" "$FIX/hybrid-pad.torrent" "$SWARM_ANNOUNCE_URL" <<'PYEOF' ||
import sys
import libtorrent as lt
fs = lt.file_storage()
lt.add_files(fs, sys.argv[1] + '/payload')
t = lt.create_torrent(fs, 16384)  # libtorrent 2.0's default: hybrid, pad files
t.add_tracker(sys.argv[3])
lt.set_piece_hashes(t, sys.argv[1])
open(sys.argv[2], 'wb').write(lt.bencode(t.generate()))
f = lt.torrent_info(sys.argv[2]).files()
assert [f.file_flags(i) & 1 for i in range(f.num_files())] == [0, 1, 0, 1], 'no pad file at 1'
PYEOF
	{ swarm_die "could not make a hybrid torrent with pad files (python3-libtorrent)"; exit 1; }
chmod 644 "$FIX"/*.torrent 2>/dev/null || true
if ! grep -qa 'ev.il' "$FIX/nul-name.torrent" || [[ $(tr -cd '\0' <"$FIX/nul-name.torrent" | wc -c) != 1 ]]; then
	swarm_die "could not put a NUL byte into nul-name.torrent"
	exit 1
fi

BASE_INI="[proxy]
type = socks5
host = $SWARM_PROXY_IP
port = $SWARM_PROXY_PORT
allow_private_destinations = true
[sandbox]
mode = @SANDBOX@"

# ------------------------------------------------------------ rows: no proxy needed
# (the broker stops before probing the proxy)
row missing-file 3 "No such file or directory" -- -o @SAVE@ "$FIX/does-not-exist.torrent"
row directory 3 "is a directory" -- -o @SAVE@ "$FIX/a-directory.torrent"
row empty-file 3 "is empty" -- -o @SAVE@ "$FIX/empty.torrent"
row bad-magnet-scheme 3 "not a valid magnet link" -- -o @SAVE@ "magnet:xt=urn:btih:0123"
row unknown-ini-key 2 "unknown key 'colour' in [proxy]" --config "[proxy]
colour = blue" -- -o @SAVE@ "$FIX/good.torrent"
row bad-port 2 "is not a port number" --config "[proxy]
port = 70000" -- -o @SAVE@ "$FIX/good.torrent"
row unknown-proxy-type 2 "is not one of: none, socks5" --config "[proxy]
type = http" -- -o @SAVE@ "$FIX/good.torrent"
row proxy-required-absent 2 "no proxy configured and [proxy] required = true" --config "[proxy]
type = none" -- -o @SAVE@ "$FIX/good.torrent"
row unknown-flag 2 "--colour" -- -o @SAVE@ --colour blue "$FIX/good.torrent"
# the flag's message speaks the flag's syntax: IPv6 takes brackets there, not "IPv6 without brackets"
no_ini_syntax() { # ROWDIR
	! grep -qE 'without brackets|\[proxy\] host' "$1/stderr" && return 0
	printf '    stderr quotes the ini syntax to a flag: %s\n' "$(<"$1/stderr")"
	return 1
}
row proxy-flag-hostname 2 "not an IP address and port: give the proxy as IP:PORT (e.g. 127.0.0.1:1080 or [::1]:1080)" \
	--then no_ini_syntax -- -o @SAVE@ --proxy proxy.example:1080 "$FIX/good.torrent"
row proxy-flag-localhost 2 "--proxy: 'localhost:1080' is not an IP address and port" --then no_ini_syntax -- \
	-o @SAVE@ --proxy localhost:1080 "$FIX/good.torrent"
# "::1:1084" is [::1]:1084 or the address ::1:1084 without a port: never guessed
row proxy-flag-ipv6-unbracketed 2 "--proxy: '::1:1084': an IPv6 address with a port needs brackets, e.g. [::1]:1080" \
	-- -o @SAVE@ --proxy ::1:1084 "$FIX/good.torrent"
row unknown-short-option 2 "-X" -- -o @SAVE@ -Xh "$FIX/good.torrent"
row unwritable-save-dir 5 "Read-only file system" --save ro -- -o @SAVE@ "$FIX/good.torrent"
# --files / --seed-* / --max-connections: refused before anything starts
row files-bad-range 2 "--files: '3-1' is not an index, a range A-B with A <= B, or a glob" -- -o @SAVE@ --files 3-1 "$FIX/good.torrent"
row files-several-inputs 2 "--files selects the files of one torrent: give one input (got 2)" -- -o @SAVE@ \
	--files 0 "$FIX/good.torrent" "$FIX/dotdot.torrent"
row files-empty-item 2 "--files: empty item" -- -o @SAVE@ --files 1,,2 "$FIX/good.torrent"
row files-escape-in-glob 2 "--files: a glob contains a control character" --then no_escape -- -o @SAVE@ \
	--files "*"$'\e'"[0m" "$FIX/good.torrent"
row seed-ratio-bad 2 "--seed-ratio: [seed] ratio: '1.2345' is not a ratio" -- -o @SAVE@ --seed-ratio 1.2345 "$FIX/good.torrent"
row seed-ratio-negative 2 "is not a ratio" -- -o @SAVE@ --seed-ratio -1 "$FIX/good.torrent"
row seed-time-bad 2 "--seed-time: [seed] time: 'soon' is not a number of minutes" -- -o @SAVE@ --seed-time soon "$FIX/good.torrent"
row ini-seed-ratio-bad 2 "[seed] ratio: 'lots' is not a ratio" --config "[seed]
ratio = lots" -- -o @SAVE@ "$FIX/good.torrent"
row max-connections-bad 2 "--max-connections: [download] max_connections: '70000' is not a number of connections" \
	-- -o @SAVE@ --max-connections 70000 "$FIX/good.torrent"
row max-connections-per-torrent-bad 2 "--max-connections-per-torrent: [download] max_connections_per_torrent: 'x' is not a number" \
	-- -o @SAVE@ --max-connections-per-torrent x "$FIX/good.torrent"
row ini-sequential-bad 2 "[download] sequential: 'maybe' is not a boolean" --config "[download]
sequential = maybe" -- -o @SAVE@ "$FIX/good.torrent"

# [proxy] password_file: refused unless private to the user, present, and the only password
(umask 077 && printf 'file-pass\n' >"$FIX/password-group-readable" && printf 'file-pass\n' >"$FIX/password-ok")
chmod 640 "$FIX/password-group-readable"
row password-file-group-readable 2 "[proxy] password_file $FIX/password-group-readable: readable or writable by group/others" \
	--config "$BASE_INI
[proxy]
username = someone
password_file = $FIX/password-group-readable" -- -o @SAVE@ "$FIX/good.torrent"
row password-file-missing 2 "[proxy] password_file $FIX/no-such-password: No such file or directory" --config "$BASE_INI
[proxy]
username = someone
password_file = $FIX/no-such-password" -- -o @SAVE@ "$FIX/good.torrent"
row rpc-remote-listen 2 "[rpc] listen = 192.0.2.7 is not a loopback address: the RPC would be reachable from the network; set [rpc] allow_remote = true if that is meant" \
	--config "$BASE_INI
[rpc]
listen = 192.0.2.7:9091" -- -o @SAVE@ "$FIX/good.torrent"
row password-file-and-password 2 "[proxy] password_file and a password ([proxy] password or \$MEERKO_PROXY_PASSWORD) are both set" \
	--config "$BASE_INI
[proxy]
username = someone
password = in-the-ini
password_file = $FIX/password-ok" -- -o @SAVE@ "$FIX/good.torrent"
row password-file-and-env 2 "are both set: give the password one way only" --env MEERKO_PROXY_PASSWORD=from-env \
	--config "$BASE_INI
[proxy]
username = someone
password_file = $FIX/password-ok" -- -o @SAVE@ "$FIX/good.torrent"

# a file name is often chosen by whoever offered the download: a newline or a
# terminal escape in it must not reach stderr raw (one line, no escape)
row name-with-newline 3 "No such file or directory" --then no_escape -- -o @SAVE@ \
	"$FIX/missing"$'\n'"second line "$'\e'"[0m.torrent"

# several inputs: all are read and checked before anything starts
row second-input-missing 3 "does-not-exist.torrent: No such file or directory" -- -o @SAVE@ \
	"$FIX/good.torrent" "$FIX/does-not-exist.torrent"
row second-magnet-bad-hash 3 "not a valid magnet link" -- -o @SAVE@ \
	"$FIX/good.torrent" "magnet:?xt=urn:btih:0123"
row duplicate-torrent 3 "the same torrent as" -- -o @SAVE@ "$FIX/good.torrent" "$FIX/../fixtures/good.torrent"
row duplicate-magnet-hex-base32 3 "the same torrent as" -- -o @SAVE@ \
	"magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567" \
	"magnet:?xt=urn:btih:AERUKZ4JVPG66AJDIVTYTK6N54ASGRLH&dn=again"
row bad-metadata-timeout 2 "--metadata-timeout: [download] metadata_timeout: 'soon' is not a number of seconds" -- \
	-o @SAVE@ --metadata-timeout soon "$FIX/good.torrent"

# ------------------------------------------------------------ rows: save dirs the engine must not get
# `sudo meerko-secure -o ~` (the engine runs as SUDO_UID, so it could read
# ~/.ssh and append to ~/.bashrc) and its relatives: a throwaway user whose
# home is a temp dir (deleted by swarm_cleanup, also on failure). Each
# refusal happens before anything is created, and the victim's home is
# unchanged; HOME/Downloads is accepted (the run goes on to the proxy, which
# is not running here: exit 4).
VICTIM=mkhome$((RANDOM % 10000))
VICTIM_TOP=$SWARM_DIR/victim
VICTIM_HOME=$VICTIM_TOP/home
VICTIM_STATE=$SWARM_DIR/victim-state
getent passwd "$VICTIM" >/dev/null && swarm_die "user $VICTIM already exists"
useradd --no-create-home --home-dir "$VICTIM_HOME" --shell /usr/sbin/nologin "$VICTIM" ||
	swarm_die "useradd $VICTIM failed"
_SWARM_USERS+=("$VICTIM")
mkdir -p "$VICTIM_HOME/.ssh"
printf 'PRIVATE KEY\n' >"$VICTIM_HOME/.ssh/id_ed25519"
printf '# bashrc\n' >"$VICTIM_HOME/.bashrc"
chown -R "$VICTIM:" "$VICTIM_HOME"
chmod 755 "$VICTIM_TOP"
chmod 700 "$VICTIM_HOME" "$VICTIM_HOME/.ssh"
ln -s "$VICTIM_HOME/.ssh" "$SWARM_DIR/innocent-link"
snapshot "$VICTIM_TOP" >"$SWARM_DIR/victim.before"
victim_untouched() { # ROWDIR
	snapshot "$VICTIM_TOP" | diff -u "$SWARM_DIR/victim.before" - >"$1/victim.diff" && [[ ! -e $VICTIM_STATE ]] && return 0
	printf '    created or changed in the victim home or state dir:\n'
	grep -E '^[-+][^-+]' "$1/victim.diff" | head -n 10 | sed 's/^/    /'
	[[ ! -e $VICTIM_STATE ]] || printf '    %s was created\n' "$VICTIM_STATE"
	return 1
}
SUDO_ENV=(--env "SUDO_UID=$(id -u "$VICTIM")" --env "SUDO_GID=$(id -g "$VICTIM")" --env "SUDO_USER=$VICTIM")
row sudo-savedir-is-home 2 "refused: it is, or holds, the home directory $VICTIM_HOME" "${SUDO_ENV[@]}" \
	--sandbox required --then victim_untouched -- -o "$VICTIM_HOME" "$FIX/good.torrent"
row sudo-savedir-above-home 2 "refused: it is, or holds, the home directory $VICTIM_HOME" "${SUDO_ENV[@]}" \
	--sandbox required --then victim_untouched -- -o "$VICTIM_TOP" "$FIX/good.torrent"
row sudo-savedir-dot-ssh 2 "refused: it is inside a dot-directory of the home $VICTIM_HOME" "${SUDO_ENV[@]}" \
	--sandbox required --then victim_untouched -- -o "$VICTIM_HOME/.ssh" "$FIX/good.torrent"
row sudo-savedir-local-bin 2 "save dir $VICTIM_HOME/.local/bin refused: it is inside a dot-directory" "${SUDO_ENV[@]}" \
	--sandbox required --then victim_untouched -- -o "$VICTIM_HOME/.local/bin" "$FIX/good.torrent"
row sudo-savedir-dot-config 2 "save dir $VICTIM_HOME/.config refused: it is inside a dot-directory" "${SUDO_ENV[@]}" \
	--sandbox required --then victim_untouched -- -o "$VICTIM_HOME/.config" "$FIX/good.torrent"
row sudo-savedir-symlink-to-ssh 2 "save dir $VICTIM_HOME/.ssh/x refused" "${SUDO_ENV[@]}" \
	--sandbox required --then victim_untouched -- -o "$SWARM_DIR/innocent-link/x" "$FIX/good.torrent"
row sudo-savedir-is-state-dir 2 "refused: it overlaps the state dir $VICTIM_STATE" "${SUDO_ENV[@]}" \
	--sandbox required --then victim_untouched --config "$BASE_INI
[state]
dir = $VICTIM_STATE" -- -o "$VICTIM_STATE" "$FIX/good.torrent"
row user-savedir-dot-ssh 2 "refused: it is inside a dot-directory of the home $VICTIM_HOME" --as "$VICTIM" \
	--sandbox required --then victim_untouched -- -o "$VICTIM_HOME/.ssh" "$FIX/good.torrent"
row sudo-savedir-downloads-accepted 4 "cannot connect to proxy" "${SUDO_ENV[@]}" \
	--sandbox required -- -o "$VICTIM_HOME/Downloads" "$FIX/good.torrent"

# ------------------------------------------------------------ rows: proxy problems
closed_port=39999
for ((i = 0; i < 200; i++)); do
	swarm_port_busy "$SWARM_PROXY_IP" "$closed_port" || break
	closed_port=$((closed_port + 1))
done
row proxy-unreachable 4 "cannot connect to proxy $SWARM_PROXY_IP:$closed_port" --config "[proxy]
host = $SWARM_PROXY_IP
port = $closed_port
[sandbox]
mode = off" -- -o @SAVE@ "$FIX/good.torrent"

# the first run: no config file anywhere, no --proxy: the built-in 127.0.0.1:1080 is
# closed in this test's network namespace; the second line says where the
# file was looked for, that 127.0.0.1:1080 is the built-in default and how to give a proxy
first_run_hint() { # ROWDIR
	local want
	for want in "cannot connect to proxy 127.0.0.1:1080: Connection refused" \
		"no config file found (looked for $1/home/.config/meerko/meerko.ini and /etc/meerko/meerko.ini)" \
		"the built-in default 127.0.0.1:1080" "--proxy IP:PORT" "[proxy] host and port of meerko.ini"; do
		grep -qF -- "$want" "$1/stderr" && continue
		printf '    no "%s" in: %s\n' "$want" "$(tr '\n' '|' <"$1/stderr")"
		return 1
	done
}
if [[ -e /etc/meerko/meerko.ini ]]; then
	swarm_log "row first-run-no-config: skipped, /etc/meerko/meerko.ini exists on this machine"
elif swarm_port_busy 127.0.0.1 1080; then
	swarm_die "127.0.0.1:1080 is in use in the test's own network namespace"
else
	row first-run-no-config 4 "no config file found" --no-config --lines 2 --then first_run_hint -- \
		-o @SAVE@ "$FIX/good.torrent"
	# a proxy the user gave is no default: the one line alone
	row no-config-proxy-flag 4 "cannot connect to proxy 127.0.0.1:1080" --no-config -- \
		-o @SAVE@ --proxy 127.0.0.1:1080 "$FIX/good.torrent"
fi

DANTE_USER=mkbad$((RANDOM % 10000))
swarm_start_dante "$DANTE_USER" "right-pass-$RANDOM"
row proxy-wrong-password 4 "rejected the username/password" --config "[proxy]
host = $SWARM_PROXY_IP
port = $SWARM_PROXY_PORT
username = $DANTE_USER
password = wrong-pass
[sandbox]
mode = off" -- -o @SAVE@ "$FIX/good.torrent"
row proxy-needs-auth 4 "requires authentication" -- -o @SAVE@ "$FIX/good.torrent"
# a username and no password anywhere (ini, password_file, $MEERKO_PROXY_PASSWORD): said so,
# not "rejected the username/password"
row proxy-user-no-password 4 "refused the username with an empty password: no password was given" -- \
	-o @SAVE@ --proxy-user "$DANTE_USER" "$FIX/good.torrent"
swarm_stop "$SWARM_PROXY_PID"

# ------------------------------------------------------------ rows: the engine decides
swarm_make_payload "$SWARM_DIR/big/payload" 1 4
swarm_make_torrent "$SWARM_DIR/big/payload" "$FIX/four-mib.torrent"
chmod 644 "$FIX/four-mib.torrent"
swarm_start_tracker "$FIX/four-mib.torrent"
swarm_start_microsocks
swarm_start_seeder_aria2 "$FIX/four-mib.torrent" "$SWARM_DIR/big"
PIECE=$((1 << SWARM_PIECE_EXP))

# the verified pieces of the payload that reached the (full) save dir
pieces_kept() { # ROWDIR
	local src=$SWARM_DIR/big/payload/file-1.bin dst=$1/save-copy/payload/file-1.bin
	local size n i good=0
	if [[ ! -f $dst ]]; then
		printf '    %s is gone\n' "${dst#"$1"/}"
		return 1
	fi
	size=$(stat -c %s "$src")
	n=$(((size + PIECE - 1) / PIECE))
	for ((i = 0; i < n; i++)); do
		if cmp -s -i "$((i * PIECE)):$((i * PIECE))" -n "$PIECE" "$src" "$dst"; then
			good=$((good + 1))
		fi
	done
	printf '    %d of %d pieces present and correct in the full save dir\n' "$good" "$n"
	((good >= 1))
}

# disk full, space freed, the same command rerun: it finishes (a disk error's
# upload mode saved in the resume data must not stall it) with every byte right
pieces_kept_and_rerun_finishes() { # ROWDIR
	pieces_kept "$1" || return 1
	local rc
	rc=$(cat "$1/rerun.rc" 2>/dev/null || echo none)
	printf '    rerun after freeing space: exit %s, last line: %s\n' "$rc" "$(tail -n 1 "$1/rerun.stderr" 2>/dev/null)"
	[[ $rc == 0 ]] && swarm_sha256_check "$SWARM_DIR/big/payload" "$1/rerun-save/payload"
}

for sb in off required; do
	row not-bencode 3 "not a valid .torrent" --sandbox "$sb" --timeout "$ENGINE_ROW_TIMEOUT" -- -o @SAVE@ "$FIX/not-bencode.torrent"
	row truncated 3 "not a valid .torrent" --sandbox "$sb" --timeout "$ENGINE_ROW_TIMEOUT" -- -o @SAVE@ "$FIX/truncated.torrent"
	row path-dotdot 3 "dotdot.torrent: not a valid .torrent: a file path in it is unsafe (an empty element, \".\", \"..\", '/' or NUL in one): ../evil" --sandbox "$sb" --timeout "$ENGINE_ROW_TIMEOUT" -- -o @SAVE@ "$FIX/dotdot.torrent"
	row path-absolute 3 "absolute.torrent: not a valid .torrent" --sandbox "$sb" --timeout "$ENGINE_ROW_TIMEOUT" -- -o @SAVE@ "$FIX/absolute.torrent"
	row path-nul-byte 3 "nul-name.torrent: not a valid .torrent: a file path in it is unsafe (an empty element, \".\", \"..\", '/' or NUL in one): ev?il" --sandbox "$sb" --timeout "$ENGINE_ROW_TIMEOUT" -- -o @SAVE@ "$FIX/nul-name.torrent"
	row piece-length-0 3 "not a valid .torrent" --sandbox "$sb" --timeout "$ENGINE_ROW_TIMEOUT" -- -o @SAVE@ "$FIX/piece-len-0.torrent"
	row pieces-not-multiple-of-20 3 "not a valid .torrent" --sandbox "$sb" --timeout "$ENGINE_ROW_TIMEOUT" -- -o @SAVE@ "$FIX/pieces-not-20.torrent"
	row piece-length-2p40 3 "not a valid .torrent" --sandbox "$sb" --timeout "$ENGINE_ROW_TIMEOUT" -- -o @SAVE@ "$FIX/piece-len-2p40.torrent"
	row piece-count-mismatch 3 "not a valid .torrent" --sandbox "$sb" --timeout "$ENGINE_ROW_TIMEOUT" -- -o @SAVE@ "$FIX/piece-count.torrent"
	row magnet-bad-hash-length 3 "not a valid magnet link" --sandbox "$sb" --timeout "$ENGINE_ROW_TIMEOUT" -- -o @SAVE@ "magnet:?xt=urn:btih:0123456789abcdef"
	row magnet-bad-base32 3 "not a valid magnet link" --sandbox "$sb" --timeout "$ENGINE_ROW_TIMEOUT" -- -o @SAVE@ "magnet:?xt=urn:btih:!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
	row magnet-with-newline 3 "not a valid magnet link" --sandbox "$sb" --timeout "$ENGINE_ROW_TIMEOUT" \
		--then no_escape -- -o @SAVE@ "magnet:?xt=urn:btih:0123"$'\n'"second line "$'\e'"[0m"
	# only the engine knows the files: the broker checks the SPEC against its list
	row files-index-out-of-range 2 "--files: index 7 is out of range: the torrent has 1 file (0-0)" --sandbox "$sb" \
		--timeout "$ENGINE_ROW_TIMEOUT" --state-ok --then save_has_no_payload -- -o @SAVE@ --files 0,7 "$FIX/four-mib.torrent"
	# a v2/hybrid torrent's BEP 47 padding is not a file: --list hides it, --files refuses it
	row files-index-pad-file 2 "--files: index 1 is not a file of the torrent but padding (BEP 47)" --sandbox "$sb" \
		--timeout "$ENGINE_ROW_TIMEOUT" --state-ok --then save_has_no_payload -- -o @SAVE@ --files 1 "$FIX/hybrid-pad.torrent"
	row files-glob-no-match 2 "--files: '*.mkv' matches no file in the torrent (see --list)" --sandbox "$sb" \
		--timeout "$ENGINE_ROW_TIMEOUT" --state-ok --then save_has_no_payload -- -o @SAVE@ --files '*.mkv' "$FIX/four-mib.torrent"
	row disk-full 5 "No space left on device" --sandbox "$sb" --save full --timeout "$DISKFULL_TIMEOUT" \
		--state-ok --then pieces_kept_and_rerun_finishes -- -o @SAVE@ "$FIX/four-mib.torrent"
done

row savedir-not-writable-by-engine 5 "not writable by the sandboxed engine" --sandbox required --root-save \
	--timeout "$ENGINE_ROW_TIMEOUT" -- -o @SAVE@ "$FIX/four-mib.torrent"

printf '\nrows run: %d\n' "$ROW_COUNT"
if ((${#FAILED_ROWS[@]} > 0)); then
	printf 'rows with a failed check:\n'
	printf '  - %s\n' "${FAILED_ROWS[@]}"
fi
swarm_summary
