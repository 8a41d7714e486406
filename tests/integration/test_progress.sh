#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_progress.sh - the progress display in a real terminal (tmux).
#
# meerko-secure runs in a tmux pane (its stdout is the pane's pty, so it
# draws the TTY display) against a real swarm: opentracker, microsocks,
# a python3-libtorrent seeder, sandbox on, slowed with --max-down so the display is seen
# mid-download. The screen is read with capture-pane -J (a wrapped line
# shows up joined, longer than the pane) and checked:
#   - at 60 columns, then after a resize to 120, then back to 60 (SIGWINCH):
#     no line wider than the pane, no wrapped line, no left-over line (the
#     screen holds exactly the progress block), and at 120 more fields
#     (bytes done / total, elapsed) than at 60;
#   - the block has a bar, a percentage, an ETA; the torrent's name is CJK
#     (two columns a character: the fitting must count them so);
#   - the run not asked to seed ends on "complete", never "seeding ratio".
#
# Scenarios (first argument):
#   single   one torrent: one line
#   multi    two torrents: "[1] ...", "[2] ...", "total ..." (3 lines)
#
# Usage: test_progress.sh BUILD_DIR SCENARIO
# Exit: 0 pass, 1 fail, 77 skip (MEERKO_REQUIRE_ALL=1 turns skips into fails).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:-${BUILD_DIR:-build}}
SCENARIO=${2:-single}
MEERKO_BIN=${MEERKO_BIN:-$BUILD_DIR/bin/meerko-secure}
PY=${MEERKO_TEST_PYTHON:-/usr/bin/python3}

# shellcheck source=../lib/swarm.sh
. "$HERE/../lib/swarm.sh"

swarm_isolate "$@"
swarm_require_root
swarm_require_cmds opentracker microsocks mktorrent transmission-show ss timeout tmux "$PY"
[[ -x $MEERKO_BIN ]] || swarm_skip_or_fail "meerko-secure not built: $MEERKO_BIN"
MEERKO_BIN=$(cd "$(dirname "$MEERKO_BIN")" && pwd)/$(basename "$MEERKO_BIN")

"$PY" -c 'import libtorrent' 2>/dev/null || swarm_skip_or_fail "python3-libtorrent is missing ($PY)"

swarm_init
TMUX_SOCK=$SWARM_DIR/tmux.sock
tm() { LANG=C.UTF-8 tmux -u -f /dev/null -S "$TMUX_SOCK" "$@"; }
tmux_stop() { tm kill-server >/dev/null 2>&1 || true; }
trap 'rc=$?; tmux_stop; (exit "$rc"); _swarm_on_exit' EXIT # keeps the exit status

OUT=$SWARM_DIR/out
CONFIG=$SWARM_DIR/meerko.ini
export XDG_STATE_HOME=$SWARM_DIR/state
mkdir -p "$OUT" "$XDG_STATE_HOME"
chown nobody "$OUT"

# torrent names: CJK (2 columns each) and a long Latin one
NAMES=("日本語のデータ集合" "a-long-latin-name-for-the-second-torrent-of-this-test")
TORRENTS=()
n=1
[[ $SCENARIO == multi ]] && n=2
for ((i = 0; i < n; i++)); do
	swarm_make_payload "$SWARM_DIR/seed/${NAMES[$i]}" 2 16
	swarm_make_torrent "$SWARM_DIR/seed/${NAMES[$i]}" "$SWARM_DIR/t$i.torrent"
	chmod 644 "$SWARM_DIR/t$i.torrent"
	TORRENTS+=("$SWARM_DIR/t$i.torrent")
done
swarm_start_tracker "${TORRENTS[@]}"
swarm_start_microsocks
swarm_start_seeder_lt "$SWARM_DIR/seed" "${TORRENTS[@]}"
swarm_meerko_config "$CONFIG" "[sandbox]" "mode = required"

LINES_WANT=1
((n == 2)) && LINES_WANT=3
tm new-session -d -s p -x 60 -y 20 \
	"$MEERKO_BIN --config '$CONFIG' -o '$OUT' --progress tty --max-down 1536 ${TORRENTS[*]} \
	 2>'$SWARM_LOGS/run.err'; echo \$? >'$SWARM_LOGS/run.rc'; sleep 300"

capture() { # NAME: the screen, wrapped lines joined
	tm capture-pane -p -J -t p >"$SWARM_LOGS/$1.screen"
}

# the screen at COLS: every line narrower than the pane, exactly WANT
# non-empty lines, each with the MUST words (| separated)
screen_ok() { # NAME COLS WANT MUST
	"$PY" - "$SWARM_LOGS/$1.screen" "$2" "$3" "$4" <<'EOF'
import sys, unicodedata
path, cols, want, must = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def width(s):
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in 'WF' else 1
               for c in s)
lines = [l.rstrip('\n') for l in open(path, encoding='utf-8')]
shown = [l for l in lines if l.strip()]
bad = 0
for l in shown:
    if width(l) > cols - 1:
        print(f'    {width(l)} columns (pane {cols}): {l}'); bad = 1
    for w in must.split('|'):
        if w and w not in l:
            print(f'    no "{w}" in: {l}'); bad = 1
if len(shown) != want:
    print(f'    {len(shown)} non-empty lines, want {want}:'); bad = 1
    for l in shown:
        print(f'      | {l}')
sys.exit(bad)
EOF
}

moving() { capture now && grep -qE ' [1-9][0-9]?\.[0-9]%' "$SWARM_LOGS/now.screen"; }
swarm_wait_for -t 60 -i 0.3 moving || true
sleep 1.5 # a few ticks at 60 columns

capture at60
swarm_check "[$SCENARIO] 60 columns: $LINES_WANT line(s), none wider than the pane, bar, %, ETA" \
	screen_ok at60 60 "$LINES_WANT" "[|%|ETA"
tm resize-window -t p -x 120 -y 20
sleep 1.5
capture at120
# one torrent: its line has the elapsed time; several: the total line has it
swarm_check "[$SCENARIO] resized to 120: redrawn wider (bytes done / total), no garbage" \
	screen_ok at120 120 "$LINES_WANT" "[|%|ETA| / "
swarm_check "[$SCENARIO] at 120 the last line shows the elapsed time" \
	bash -c "grep -v '^\$' '$SWARM_LOGS/at120.screen' | tail -n 1 | grep -q 'elapsed [0-9]'"
tm resize-window -t p -x 60 -y 20
sleep 1.5
capture back60
swarm_check "[$SCENARIO] back to 60: the re-wrapped 120-column lines erased, no wrapped line" \
	screen_ok back60 60 "$LINES_WANT" "[|%|ETA"
if ((n == 1)); then
	swarm_check "[$SCENARIO] the CJK name is shown" grep -q "日本" "$SWARM_LOGS/at120.screen"
else
	swarm_check "[$SCENARIO] one line per torrent and a total" \
		bash -c "grep -q '^\[1\] ' '$SWARM_LOGS/at120.screen' && grep -q '^\[2\] ' '$SWARM_LOGS/at120.screen'"
	swarm_check "[$SCENARIO] the last line is the total" \
		bash -c "grep -v '^\$' '$SWARM_LOGS/at120.screen' | tail -n 1 | grep -q '^total '"
fi

finished() { [[ -s $SWARM_LOGS/run.rc ]]; }
swarm_wait_for -t 120 -i 0.5 finished || true
capture final
rc=$(cat "$SWARM_LOGS/run.rc" 2>/dev/null || echo none)
swarm_check "[$SCENARIO] exit 0 (rc=$rc)" test "$rc" = 0
swarm_check "[$SCENARIO] the last display says complete" grep -q "complete" "$SWARM_LOGS/final.screen"
swarm_check "[$SCENARIO] not asked to seed: never 'seeding' on the screen" \
	bash -c "! grep -q 'seeding' '$SWARM_LOGS/final.screen'"
for ((i = 0; i < n; i++)); do
	swarm_check "[$SCENARIO] ${NAMES[$i]}: every file's SHA-256 matches" \
		swarm_sha256_check "$SWARM_DIR/seed/${NAMES[$i]}" "$OUT/${NAMES[$i]}"
done
if ((SWARM_FAILED > 0)); then
	for f in "$SWARM_LOGS"/*.screen "$SWARM_LOGS/run.err"; do
		printf -- '----- %s\n' "${f##*/}"
		cat -v "$f" | head -n 20
	done
fi
swarm_summary
