#!/usr/bin/env bash
# test_broker_no_libtorrent.sh - the broker never runs libtorrent and never
# parses torrent bytes itself: meerko-secure must not link libtorrent (or
# boost/openssl, which only libtorrent needs), must contain no libtorrent or
# bencode symbol, and the engine must (so the check can fail).
# Usage: test_broker_no_libtorrent.sh BUILD_DIR
set -euo pipefail
BIN=${1:?build dir}/bin
passed=0 failed=0
check() { # DESC CMD...
	local desc=$1; shift
	if "$@"; then echo "ok - $desc"; passed=$((passed + 1)); else echo "not ok - $desc"; failed=$((failed + 1)); fi
}
# (no grep -q at the end of a pipe: under pipefail its early exit fails the pipe)
links() { ldd "$1" | grep -E "$2" >/dev/null; }
has_symbols() { nm -D --undefined-only "$1" 2>/dev/null | c++filt | grep -E "$2" >/dev/null; }
syms='libtorrent|bdecode|bencode|torrent_info|boost::'
check "meerko-secure does not link libtorrent, boost or openssl" \
	bash -c "! ldd '$BIN/meerko-secure' | grep -E 'torrent-rasterbar|boost|libssl|libcrypto' >/dev/null"
check "meerko-secure has no libtorrent/bencode symbols" \
	bash -c "! nm '$BIN/meerko-secure' | c++filt | grep -Ei '$syms' >/dev/null"
check "meerko-engine does link libtorrent (the check can fail)" links "$BIN/meerko-engine" 'torrent-rasterbar'
check "meerko-engine uses libtorrent symbols (the check can fail)" has_symbols "$BIN/meerko-engine" 'libtorrent'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
