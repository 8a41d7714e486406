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
links() { ldd "$1" | grep -Eq "$2"; }
has_symbols() { nm -D --undefined-only "$1" 2>/dev/null | c++filt | grep -Eq "$2"; }
syms='libtorrent|bdecode|bencode|torrent_info|boost::'
check "meerko-secure does not link libtorrent, boost or openssl" \
	bash -c "! ldd '$BIN/meerko-secure' | grep -Eq 'torrent-rasterbar|boost|libssl|libcrypto'"
check "meerko-secure has no libtorrent/bencode symbols" \
	bash -c "! nm '$BIN/meerko-secure' | c++filt | grep -Eiq '$syms'"
check "meerko-engine does link libtorrent (the check can fail)" links "$BIN/meerko-engine" 'torrent-rasterbar'
check "meerko-engine uses libtorrent symbols (the check can fail)" has_symbols "$BIN/meerko-engine" 'libtorrent'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
