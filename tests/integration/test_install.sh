#!/usr/bin/env bash
# test_install.sh - `cmake --install` lays Meerko out like a Debian tool, and
# the installed copy works: binaries in bin/, the engine in libexec/meerko/
# (found from the installed meerko-secure), man pages that render without
# warnings, the example config in the doc dir, the AppArmor profile (binary
# path following the prefix), and --help/--version/man page agreeing on every
# option. The test-only escape engine is never installed.
# Usage: test_install.sh BUILD_DIR
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${1:?build dir}
# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"
swarm_require_cmds cmake groff man
swarm_init
P=$SWARM_DIR/prefix
cmake --install "$BUILD_DIR" --prefix "$P" >"$SWARM_DIR/install.log" 2>&1 ||
	{ cat "$SWARM_DIR/install.log"; swarm_die "cmake --install failed"; }

for f in bin/meerko-secure bin/meerko-leaktest libexec/meerko/meerko-engine; do
	swarm_check "installed and executable: $f" test -x "$P/$f"
done
for f in share/man/man1/meerko-secure.1 share/man/man1/meerko-leaktest.1 \
	share/man/man5/meerko.ini.5 share/doc/meerko/meerko.ini.example; do
	swarm_check "installed: $f" test -s "$P/$f"
done
swarm_check "the test-only escape engine is not installed" \
	test -z "$(find "$P" -path '*escape*' -print -quit)"
swarm_check "nothing installed setuid/setgid" test -z "$(find "$P" -perm /6000 -print -quit)"

# The AppArmor profile that grants meerko-secure `userns` (Ubuntu 23.10+):
# installed below this prefix (etc/apparmor.d: not /etc, as the prefix is not
# /usr or /usr/local), attached to the installed binary's path.
AA=$P/etc/apparmor.d/meerko-secure
swarm_check "installed: etc/apparmor.d/meerko-secure" test -s "$AA"
swarm_check "the profile attaches to the installed $P/bin/meerko-secure" \
	grep -qE "^profile meerko-secure $P/bin/meerko-secure flags=\(unconfined\) \{\$" "$AA"
swarm_check "the profile grants userns (abi 4.0)" \
	bash -c 'grep -qx "  userns," "$1" && grep -qx "abi <abi/4.0>," "$1"' _ "$AA"
# apparmor_parser checks it when it knows the abi 4.0 `userns` rule (AppArmor
# 4, Ubuntu 23.10+); Debian 12's 3.0.8 has no such rule.
aa_parser=$(command -v apparmor_parser || true)
if [[ -n $aa_parser && -e /etc/apparmor.d/abi/4.0 ]]; then
	swarm_check "apparmor_parser -QK accepts the profile" "$aa_parser" -QK "$AA"
else
	echo "note: no apparmor_parser with abi 4.0 here (${aa_parser:-not installed}): the profile is not parsed"
fi

# Each man page renders, and groff finds nothing to warn about.
man_clean() { # PAGE
	local warn
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$1" 2>&1 >/dev/null) || return 1
	[[ -z $warn ]] || { printf '%s\n' "$warn"; return 1; }
	LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$1" 2>/dev/null | grep -q "EXIT STATUS\|SECTIONS AND KEYS"
}
for page in "$P"/share/man/man1/*.1 "$P"/share/man/man5/*.5; do
	swarm_check "man page renders without warnings: ${page##*/}" man_clean "$page"
done

# --version / --help from the installed binary.
ver=$("$P/bin/meerko-secure" --version)
want=$(sed -n 's/^project(meerko VERSION \([0-9.]*\) .*/\1/p' "$SRC/CMakeLists.txt")
swarm_check "--version prints 'meerko-secure $want' (got '$ver')" test "$ver" = "meerko-secure $want"
rc=0
help=$("$P/bin/meerko-secure" --help) || rc=$?
swarm_check "--help exits 0 (rc=$rc)" test "$rc" -eq 0
swarm_check "--help goes to stdout and starts with usage" grep -q "^usage: meerko-secure" <<<"$help"
# Every long option the parser knows is in --help and in the man page: cli.c's
# own rows (OPT, OPT_SWITCH) and the config keys' flag column (FLAG, SWITCH).
opts=$(grep -oh '\b\(OPT\|OPT_SWITCH\|FLAG\|SWITCH\)("[a-z-]*"' "$SRC/broker/cli.c" "$SRC/broker/config.c" |
	sed 's/.*("\([a-z-]*\)"/\1/')
swarm_check "found the option tables in broker/cli.c and broker/config.c" test "$(wc -l <<<"$opts")" -ge 10
man1=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$P/share/man/man1/meerko-secure.1" 2>/dev/null)
for o in $opts; do
	swarm_check "--$o is in --help" grep -q -- "--$o\b" <<<"$help"
	swarm_check "--$o is in meerko-secure(1)" grep -q -- "--$o\b" <<<"$man1"
done

# The installed meerko-secure finds the installed engine (not the build
# tree's) and runs it in the sandbox.
if [[ $(id -u) == 0 ]]; then
	rc=0
	out=$("$P/bin/meerko-secure" --sandbox-check 2>&1) || rc=$?
	printf '%s\n' "$out"
	swarm_check "installed --sandbox-check exits 0 (rc=$rc)" test "$rc" -eq 0
	swarm_check "it ran the installed engine" \
		grep -q "all required layers active" <<<"$out"
else
	echo "note: not root: the installed --sandbox-check is run by test_sandbox_check.sh's build copy only"
fi
# Which engine did it use? Without the installed one it must say it cannot
# find one (unless a system-wide install provides it).
rm "$P/libexec/meerko/meerko-engine"
rc=0
"$P/bin/meerko-secure" --sandbox-check >"$SWARM_DIR/check2.log" 2>&1 || rc=$?
if [[ -e /usr/local/libexec/meerko/meerko-engine ]]; then
	echo "note: /usr/local/libexec/meerko/meerko-engine exists: skipping the negative check"
else
	swarm_check "without its libexec engine it says so (rc=$rc)" \
		grep -q "cannot find meerko-engine" "$SWARM_DIR/check2.log"
fi
swarm_summary
