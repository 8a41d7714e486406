# shellcheck shell=bash
#
# tests/lib/swarm_sanitizer.sh - the sanitizer-report scan. The sandboxed
# engine's ASan/LSan/UBSan reports only reach the client's stderr, which the
# tests keep in files under $SWARM_DIR: at exit this scan turns the script's
# status into 1 if any file there holds a report. Project part of the test
# library; needs core.sh (sourced by swarm.sh, the entry point).
#
# Contract: reads text files only, never deletes or edits one; a report found
# always fails the script (even one whose checks all passed).
#
# Functions:
#   swarm_sanitizer_reports DIR... print every sanitizer report (ASan, LSan,
#                                  UBSan) in the text files under DIR; 0 if any

if [[ -n ${_SWARM_SANITIZER_SH_LOADED:-} ]]; then
	return 0
fi
_SWARM_SANITIZER_SH_LOADED=1

# What starts a report of ASan, LeakSanitizer or UBSan (-fsanitize=undefined).
SWARM_SANITIZER_RE='ERROR: (AddressSanitizer|LeakSanitizer)|: runtime error: |Sanitizer:DEADLYSIGNAL|Sanitizer CHECK failed|LeakSanitizer has encountered'

swarm_sanitizer_reports() { # DIR...
	local f found=1
	while IFS= read -r f; do
		found=0
		printf -- '----- sanitizer report in %s -----\n' "$f"
		# from the first report line on: the report, not the whole log
		awk -v re="$SWARM_SANITIZER_RE" 'p || $0 ~ re { p = 1; print }' "$f" | head -n 200 || true
	done < <(grep -rlIE -- "$SWARM_SANITIZER_RE" "$@" 2>/dev/null)
	return "$found"
}

_swarm_sanitizer_exit_check() {
	if [[ -n $SWARM_DIR && -d $SWARM_DIR ]] && swarm_sanitizer_reports "$SWARM_DIR" >&2; then
		printf 'swarm: FAIL: a sanitizer report was found (above)\n' >&2
		return 1
	fi
	return 0
}
swarm_exit_check _swarm_sanitizer_exit_check
