#!/usr/bin/env bash
# scripts/deps.sh - install every Debian package Meerko needs to build and
# test (Debian 12). Quick no-op when all are installed already.
#
# Usage: scripts/deps.sh            install what is missing (as root)
#        scripts/deps.sh --check    only report; exit 1 if something is missing
#        scripts/deps.sh --list     print the package list
set -euo pipefail

PACKAGES=(
	# build
	build-essential cmake pkg-config
	libtorrent-rasterbar-dev libseccomp-dev libcap-ng-dev
	libprotobuf-c-dev protobuf-c-compiler libinih-dev libpcap-dev
	# meerko-control: HTTP and JSON of the Transmission RPC (control/)
	libmicrohttpd-dev libjson-c-dev
	# unit tests and fuzzing
	libcmocka-dev clang libclang-rt-14-dev
	# the real local swarm (tests/lib/swarm.sh, scripts/demo.sh)
	opentracker microsocks dante-server aria2 mktorrent transmission-cli
	tcpdump iproute2 procps util-linux passwd curl coreutils
	# the exit lab's VPN router: SNAT and flushing it (tests/integration/test_exit_lab.sh)
	iptables conntrack
	# the progress display in a real terminal (tests/integration/test_progress.sh)
	tmux
	# man page checks (tests/integration/test_install.sh)
	groff-base man-db
	# the benchmark (bench/run.sh)
	qbittorrent-nox python3-libtorrent jq time strace
)

# one dpkg-query for all packages (unknown names print nothing and count
# as missing)
missing_packages() {
	local installed
	installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null |
		awk '$2 == "installed" { print $1 }' || true)
	local p
	for p in "${PACKAGES[@]}"; do
		grep -qxF "$p" <<<"$installed" || printf '%s\n' "$p"
	done
}

mode=${1:-install}
case $mode in
--list) printf '%s\n' "${PACKAGES[@]}"; exit 0 ;;
--check | install) ;;
-h | --help) sed -n '2,8p' "$0"; exit 0 ;;
*) echo "deps.sh: unknown option '$mode' (see --help)" >&2; exit 2 ;;
esac

command -v dpkg-query >/dev/null 2>&1 || { echo "deps.sh: not a Debian system (no dpkg-query)" >&2; exit 1; }

mapfile -t MISSING < <(missing_packages)
if ((${#MISSING[@]} == 0)); then
	echo "deps.sh: all ${#PACKAGES[@]} packages installed"
	exit 0
fi
echo "deps.sh: missing: ${MISSING[*]}"
[[ $mode == --check ]] && exit 1

if [[ $(id -u) != 0 ]]; then
	echo "deps.sh: not root; run:" >&2
	echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${MISSING[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
apt-get update -q
apt-get install "${apt_opts[@]}" "${MISSING[@]}"

# Note: opentracker and dante-server ship enabled systemd units. Where
# systemd runs they hold their configured ports; tests/lib/swarm.sh then
# moves to the next free port by itself, so they are left alone here.
mapfile -t STILL < <(missing_packages)
if ((${#STILL[@]} > 0)); then
	echo "deps.sh: still missing after install: ${STILL[*]}" >&2
	exit 1
fi
echo "deps.sh: installed ${MISSING[*]}"
