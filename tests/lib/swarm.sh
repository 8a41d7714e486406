# shellcheck shell=bash source-path=SCRIPTDIR disable=SC2034
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
#
# This file is the entry point: it sources the parts below (each has its own
# contract comment and function list) and defines swarm_init. Tests, the
# demo, the benchmark and the leak test source only this file.
#
#   core.sh              generic: messages, skip/require, bounded waits,
#                        processes (spawn/run/stop), assertions, temp dir,
#                        traps and cleanup (with hooks for the parts below)
#   swarm_daemons.sh     addresses and ports, payloads and torrents, tracker,
#                        proxies (and temporary users), seeders
#   swarm_capture.sh     tcpdump on lo and what the leak checks read from it
#   swarm_config.sh      swarm_meerko_config: a meerko.ini for this swarm
#   swarm_sanitizer.sh   the sanitizer-report scan run by the EXIT trap
#   swarm_meerko.sh      Meerko under test: require the binary (and
#                        python3-libtorrent), the usual dirs, one bounded run
#
# swarm_init: refuses non-loopback addresses, resolves the ports (a port set
# in the environment must be free or swarm_init fails; a busy default port
# is replaced by the next free one, and the variable tells which), makes the
# temp dir $SWARM_DIR (0755, logs in $SWARM_LOGS) and installs the
# EXIT/INT/TERM traps (core.sh: swarm_core_init).
#
# Rules kept here: every loop is bounded in count and time; only processes
# this library started are signalled, by pid; the trap also runs on failure;
# cleanup removes $SWARM_DIR and nothing else.
# Call swarm_spawn/swarm_start_* directly, never inside $(...): a pid
# registered in a subshell is lost to the cleanup.

if [[ -n ${_SWARM_SH_LOADED:-} ]]; then
	return 0
fi
_SWARM_SH_LOADED=1

_SWARM_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=core.sh
. "$_SWARM_LIB_DIR/core.sh"
# shellcheck source=swarm_daemons.sh
. "$_SWARM_LIB_DIR/swarm_daemons.sh"
# shellcheck source=swarm_capture.sh
. "$_SWARM_LIB_DIR/swarm_capture.sh"
# shellcheck source=swarm_config.sh
. "$_SWARM_LIB_DIR/swarm_config.sh"
# shellcheck source=swarm_sanitizer.sh
. "$_SWARM_LIB_DIR/swarm_sanitizer.sh"
# shellcheck source=swarm_meerko.sh
. "$_SWARM_LIB_DIR/swarm_meerko.sh"

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

	swarm_core_init || return 1
	swarm_log "dir $SWARM_DIR; tracker $SWARM_TRACKER_IP:$SWARM_TRACKER_PORT, proxy $SWARM_PROXY_IP:$SWARM_PROXY_PORT, seeder $SWARM_SEED_IP:$SWARM_SEED_PORT"
}
