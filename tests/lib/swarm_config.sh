# shellcheck shell=bash
#
# tests/lib/swarm_config.sh - writing Meerko's configuration for a swarm
# test. Project part of the test library; needs swarm_daemons.sh (the proxy's
# address) and is sourced by swarm.sh, the entry point.
#
# Contract: the file is 0600 from its first byte (it may hold a proxy
# password) and names this swarm's proxy; nothing else is assumed.
#
# Functions:
#   swarm_meerko_config FILE [LINE...]
#                                  [proxy] socks5 at $SWARM_PROXY_IP:PORT, then
#                                  each LINE as given (sections included)
# Knob: SWARM_ALLOW_PRIVATE (true: the relay may reach 127.x, where the swarm is).

if [[ -n ${_SWARM_CONFIG_SH_LOADED:-} ]]; then
	return 0
fi
_SWARM_CONFIG_SH_LOADED=1

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
