# shellcheck shell=bash disable=SC2034
# (SC2034: SWARM_RC, SWARM_ELAPSED, SEED, OUT and CONFIG are read by the calling test)
#
# tests/lib/swarm_meerko.sh - Meerko under test: the binary, the usual dirs
# of a swarm test, one bounded run. Project part of the test library; needs
# core.sh (sourced by swarm.sh, the entry point).
#
# Contract: nothing here decides a result; each helper only removes a
# preamble the tests wrote again and again. MEERKO_BIN is the caller's
# (default: BUILD_DIR/bin/meerko-secure, set by the test).
#
# Functions:
#   swarm_require_meerko           skip_or_fail unless $MEERKO_BIN is executable;
#                                  then make it an absolute path
#   swarm_require_libtorrent [PY]  skip_or_fail unless PY (/usr/bin/python3)
#                                  imports libtorrent (the python3 seeders)
#   swarm_meerko_dirs              SEED=$SWARM_DIR/seed (the seeders' data),
#                                  OUT=$SWARM_DIR/out (the save dir, owned by
#                                  nobody: the sandboxed engine runs as nobody),
#                                  CONFIG=$SWARM_DIR/meerko.ini (not written)
#   swarm_meerko NAME LIMIT ARGS...
#                                  $MEERKO_BIN ARGS under swarm_run (output in
#                                  $SWARM_LOGS/NAME.out and NAME.err, at most
#                                  LIMIT s); its exit status in SWARM_RC, its
#                                  wall time in SWARM_ELAPSED (whole seconds,
#                                  `date +%s` apart), both logged; returns 0
#                                  (the caller checks SWARM_RC)

if [[ -n ${_SWARM_MEERKO_SH_LOADED:-} ]]; then
	return 0
fi
_SWARM_MEERKO_SH_LOADED=1

SWARM_RC=""
SWARM_ELAPSED=""

swarm_require_meerko() {
	[[ -x ${MEERKO_BIN:-} ]] || swarm_skip_or_fail "meerko-secure not built: ${MEERKO_BIN:-} (pass BUILD_DIR or set MEERKO_BIN)"
	MEERKO_BIN=$(cd "$(dirname "$MEERKO_BIN")" && pwd)/$(basename "$MEERKO_BIN")
}

swarm_require_libtorrent() { # [PYTHON]
	local py=${1:-/usr/bin/python3}
	"$py" -c 'import libtorrent' 2>/dev/null ||
		swarm_skip_or_fail "python3-libtorrent is missing ($py; run scripts/deps.sh)"
}

swarm_meerko_dirs() {
	[[ -n $SWARM_DIR ]] || { swarm_die "swarm_meerko_dirs before swarm_init"; return 1; }
	SEED=$SWARM_DIR/seed
	OUT=$SWARM_DIR/out
	CONFIG=$SWARM_DIR/meerko.ini
	mkdir -p "$SEED" "$OUT"
	chown nobody "$OUT"
}

swarm_meerko() { # NAME LIMIT ARGS...
	local name=$1 limit=$2 started
	shift 2
	SWARM_RC=0
	started=$(date +%s)
	swarm_run "$name" "$limit" "$MEERKO_BIN" "$@" || SWARM_RC=$?
	SWARM_ELAPSED=$(($(date +%s) - started))
	swarm_log "$name exited $SWARM_RC after ${SWARM_ELAPSED}s"
}
