#!/usr/bin/env bash
# test_control.sh - meerko-control (control/), the confined Transmission RPC
# front end, driven by real clients nobody here wrote: Debian's
# transmission-remote (3.00) and curl. The real meerko-control is spawned and
# answered by control_broker (a test-only stand-in for the daemon side of
# the broker, with its own torrent table), exactly as the broker will.
# Usage: test_control.sh BUILD_DIR real_client|bad_requests|unix_socket
#   real_client   transmission-remote: list, add a .torrent (SHA-256 of the
#                 bytes the broker gets), add a magnet, stop, remove, session
#                 info; all under seccomp (Seccomp: 2), which must not kill it
#   bad_requests  what a local process or a web page (DNS rebinding) tries:
#                 wrong password, no or stale session id, foreign Host, huge
#                 body, malformed and deep JSON, unknown method, wrong types,
#                 1000 quick requests; none may reach the broker or hurt it
#   unix_socket   the same rules when the broker hands it a UNIX socket
#                 ([rpc] listen = a path): 401, 409, 421, then served
# Exit 77 = skipped (a client or tool is missing).
set -euo pipefail
BUILD=${1:?build dir}
PART=${2:?real_client, bad_requests or unix_socket}
CONTROL=$BUILD/bin/meerko-control
BROKER=$BUILD/tests/integration/control_broker
for tool in transmission-remote curl jq mktorrent sha256sum; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
[ -x "$CONTROL" ] && [ -x "$BROKER" ] || { echo "FAIL: build $CONTROL and $BROKER first"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/meerko-control.XXXXXX")
USER_NAME=rpcuser PASS='s3cret:with colon'
MAX_BODY=1048576
cleanup() {
	exec 7>&- 2>/dev/null || true
	[ -n "${BROKER_PID:-}" ] && { kill "$BROKER_PID" 2>/dev/null || true; wait "$BROKER_PID" 2>/dev/null || true; }
	[ -n "${CONTROL_PID:-}" ] && kill -9 "$CONTROL_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

passed=0 failed=0
check() { # DESC CMD...
	local desc=$1; shift
	if "$@"; then echo "ok - $desc"; passed=$((passed + 1)); else echo "not ok - $desc"; failed=$((failed + 1)); fi
}

# --- start: the broker stand-in holds the fifo's other end as its stdin
mkfifo "$WORK/stdin"
UNIX_ARG=()
[ "$PART" = unix_socket ] && UNIX_ARG=("$WORK/rpc.sock")
"$BROKER" "$CONTROL" "$WORK" "$USER_NAME" "$PASS" "$MAX_BODY" "${UNIX_ARG[@]}" <"$WORK/stdin" >"$WORK/broker.out" 2>"$WORK/broker.err" &
BROKER_PID=$!
exec 7>"$WORK/stdin"
for _ in $(seq 50); do [ -s "$WORK/broker.out" ] && break; sleep 0.1; done
read -r _ PORT _ CONTROL_PID <"$WORK/broker.out" || { cat "$WORK/broker.err"; exit 1; }
for _ in $(seq 50); do grep -q serving "$WORK/control.log" 2>/dev/null && break; sleep 0.1; done
URL=http://127.0.0.1:$PORT/transmission/rpc
AUTH="$USER_NAME:$PASS"
echo "# meerko-control pid $CONTROL_PID on port $PORT: $(cat "$WORK/control.log")"

tr_remote() { transmission-remote "127.0.0.1:$PORT" -n "$AUTH" "$@"; }
requests() { grep -c '^request' "$WORK/requests.log" || true; }
alive() { kill -0 "$CONTROL_PID" 2>/dev/null; }
# HTTP status of one curl request: curl_code [curl args...]
curl_code() { curl -s -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' "$@" || true; }
session_id() {
	curl -s -o /dev/null -D - -u "$AUTH" -d '{}' "$URL" | tr -d '\r' |
		awk -F': ' 'tolower($1) == "x-transmission-session-id" { print $2 }'
}
rpc() { # JSON -> response body
	curl -s -u "$AUTH" -H "X-Transmission-Session-Id: $SID" --data-binary "$1" "$URL"
}
result_is() { # JSON EXPECTED_RESULT
	[ "$(rpc "$1" | jq -r .result)" = "$2" ]
}
status_line() { awk '/^meerko-control|^Seccomp|^NoNewPrivs/' "/proc/$CONTROL_PID/status"; }

check "seccomp filter active in meerko-control (Seccomp: 2)" grep -qE '^Seccomp:[[:space:]]+2$' "/proc/$CONTROL_PID/status"
check "no_new_privs set in meerko-control" grep -qE '^NoNewPrivs:[[:space:]]+1$' "/proc/$CONTROL_PID/status"

real_client() {
	local out
	out=$(tr_remote -l)
	check "transmission-remote -l lists the broker's torrents" \
		bash -c '[[ $1 == *ubuntu-test.iso* && $1 == *debian-test.iso* && $1 == *" 75% "* ]]' _ "$out"

	head -c 300000 /dev/urandom >"$WORK/payload.bin" >/dev/null
	mktorrent -a http://127.0.0.1:1/announce -o "$WORK/test.torrent" "$WORK/payload.bin" >/dev/null
	out=$(tr_remote -a "$WORK/test.torrent")
	check "transmission-remote -a FILE.torrent succeeds ($out)" bash -c '[[ $1 == *success* ]]' _ "$out"
	check "the broker got the .torrent's exact bytes (SHA-256)" \
		[ "$(sha256sum <"$WORK/test.torrent" | cut -d' ' -f1)" = "$(sha256sum <"$WORK/added-3.torrent" 2>/dev/null | cut -d' ' -f1)" ]

	local magnet='magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=magnet-test&tr=http%3A%2F%2F127.0.0.1%3A1%2Fannounce'
	out=$(tr_remote -a "$magnet")
	check "transmission-remote -a MAGNET succeeds" bash -c '[[ $1 == *success* ]]' _ "$out"
	check "the broker got the magnet link unchanged" grep -qF "filename=$magnet " "$WORK/requests.log"
	check "the added magnet is listed" bash -c '[[ $(transmission-remote "127.0.0.1:$1" -n "$2" -l) == *magnet-test* ]]' _ "$PORT" "$AUTH"

	out=$(tr_remote -t 1 -S)
	check "transmission-remote -t 1 -S succeeds" bash -c '[[ $1 == *success* ]]' _ "$out"
	check "torrent-stop reached the broker for id 1 only" \
		bash -c '[ "$(grep -c "^act method=8 " "$1")" = 1 ] && grep -q "^act method=8 id=1$" "$1"' _ "$WORK/requests.log"
	check "torrent 1 is listed as Stopped" bash -c '[[ $(transmission-remote "127.0.0.1:$1" -n "$2" -l) =~ " 1 ".*Stopped.*ubuntu-test ]]' _ "$PORT" "$AUTH"

	tr_remote -t 2 -s >/dev/null && tr_remote -t 2 -v >/dev/null && tr_remote -t 2 --reannounce >/dev/null
	check "-t 2 -s / -v / --reannounce reach the broker as start, verify, reannounce of id 2" \
		bash -c 'grep -q "^act method=6 id=2$" "$1" && grep -q "^act method=9 id=2$" "$1" &&
			 grep -q "^act method=10 id=2$" "$1"' _ "$WORK/requests.log"
	tr_remote -t 2 -G 0,2 >/dev/null && tr_remote -t 2 -ph 1 >/dev/null && tr_remote -t 2 -d 50 >/dev/null
	check "-G 0,2, -ph 1, -d 50 reach the broker as typed torrent-set lists and limits" \
		bash -c 'grep -q "^set files-wanted= files-unwanted=0,2 priority-high= downloadLimit=-1$" "$1" &&
			 grep -q "^set files-wanted= files-unwanted= priority-high=1 downloadLimit=-1$" "$1" &&
			 grep -q "^set files-wanted= files-unwanted= priority-high= downloadLimit=50$" "$1"' _ "$WORK/requests.log"
	check "transmission-remote -pt: port-test answers 'No'" bash -c '[[ $(transmission-remote "127.0.0.1:$1" -n "$2" -pt) == *"Port is open: No"* ]]' _ "$PORT" "$AUTH"

	out=$(tr_remote -t 1 -r)
	check "transmission-remote -t 1 -r succeeds" bash -c '[[ $1 == *success* ]]' _ "$out"
	out=$(tr_remote -l)
	check "torrent 1 is gone, the others stay" \
		bash -c '[[ $1 != *ubuntu-test.iso* && $1 == *debian-test.iso* && $1 == *magnet-test* ]]' _ "$out"

	out=$(tr_remote -si)
	check "transmission-remote -si shows the broker's download dir" bash -c '[[ $1 == *"/srv/meerko"* ]]' _ "$out"
	check "meerko-control survived transmission-remote's whole flow under seccomp" alive
}

bad_requests() {
	local before code
	check "wrong password -> 401 with a Basic challenge" \
		bash -c '[ "$(curl -s -o /dev/null -D "$3" -w "%{http_code}" -u "$1:wrong" -d "{}" "$2")" = 401 ] &&
			 grep -qi "^WWW-Authenticate: Basic" "$3"' _ "$USER_NAME" "$URL" "$WORK/h401"
	check "no credentials -> 401 (no localhost bypass)" \
		[ "$(curl_code -d '{}' "$URL")" = 401 ]
	code=$(curl_code -u "$AUTH" -d '{"method":"session-get"}' "$URL")
	check "no session id -> 409 with X-Transmission-Session-Id" \
		bash -c '[ "$1" = 409 ] && grep -qiE "^X-Transmission-Session-Id: [0-9a-f]{48}" "$2"' _ "$code" "$WORK/headers"
	check "stale session id -> 409" \
		[ "$(curl_code -u "$AUTH" -H 'X-Transmission-Session-Id: 0123456789abcdef' -d '{"method":"session-get"}' "$URL")" = 409 ]
	check "GET -> 409 with the session id, as Transmission" \
		bash -c '[ "$(curl -s -o /dev/null -D "$3" -w "%{http_code}" -u "$1" "$2")" = 409 ] &&
			 grep -qi "^X-Transmission-Session-Id:" "$3"' _ "$AUTH" "$URL" "$WORK/hget"
	SID=$(session_id)
	check "the right session id -> 200 success" result_is '{"method":"session-get","tag":5}' success
	check "the tag is echoed" [ "$(rpc '{"method":"session-stats","tag":77}' | jq -r .tag)" = 77 ]
	check "other paths -> 404" [ "$(curl_code -u "$AUTH" -H "X-Transmission-Session-Id: $SID" -d '{}' "http://127.0.0.1:$PORT/transmission/web/")" = 404 ]
	check "PUT -> 405" [ "$(curl_code -X PUT -u "$AUTH" -H "X-Transmission-Session-Id: $SID" -d '{}' "$URL")" = 405 ]

	before=$(requests)
	check "foreign Host header (DNS rebinding) -> 421" \
		[ "$(curl_code -u "$AUTH" -H "X-Transmission-Session-Id: $SID" -H 'Host: evil.example:9091' -d '{"method":"torrent-get","arguments":{"fields":["name"]}}' "$URL")" = 421 ]
	check "foreign Host header without a port -> 421" \
		[ "$(curl_code -u "$AUTH" -H "X-Transmission-Session-Id: $SID" -H 'Host: 127.0.0.1.evil.example' -d '{}' "$URL")" = 421 ]
	check "localhost:PORT is an allowed Host" \
		[ "$(curl_code -u "$AUTH" -H "X-Transmission-Session-Id: $SID" -H "Host: localhost:$PORT" -d '{"method":"port-test"}' "$URL")" = 200 ]
	check "port-test answers false" [ "$(jq -r '.arguments["port-is-open"]' "$WORK/body")" = false ]
	check "the rejected Host requests never reached the broker" [ "$(requests)" = $((before + 1)) ]

	head -c $((MAX_BODY + 1)) /dev/zero | tr '\0' ' ' >"$WORK/huge.json"
	check "body over max_body (Content-Length) -> 413" \
		[ "$(curl_code -u "$AUTH" -H "X-Transmission-Session-Id: $SID" --data-binary @"$WORK/huge.json" "$URL")" = 413 ]
	check "body over max_body (chunked, no length) -> 413" \
		[ "$(curl_code -u "$AUTH" -H "X-Transmission-Session-Id: $SID" -H 'Transfer-Encoding: chunked' --data-binary @"$WORK/huge.json" "$URL")" = 413 ]

	before=$(requests)
	check "malformed JSON -> error result" result_is '{"method": "session-get", ' 'malformed JSON request'
	check "trailing bytes after the JSON -> error result" result_is '{"method":"session-get"} x' 'malformed JSON request'
	check "JSON that is not an object -> error result" result_is '[1,2,3]' 'malformed JSON request'
	check "10000-deep nesting -> error result (depth limit)" \
		result_is "{\"method\":\"torrent-get\",\"arguments\":$(printf '[%.0s' $(seq 10000))" 'malformed JSON request'
	check "no method -> error result" result_is '{"arguments":{}}' 'no method name'
	check "unknown method -> 'method name not recognized'" result_is '{"method":"torrent-rename-path-to-/etc"}' 'method name not recognized'
	check "ids of the wrong type -> error result" result_is '{"method":"torrent-stop","arguments":{"ids":"../../etc"}}' 'invalid ids'
	check "ids: a negative number -> error result" result_is '{"method":"torrent-stop","arguments":{"ids":[-1]}}' 'invalid ids'
	check "an argument of the wrong type -> error result" result_is '{"method":"torrent-add","arguments":{"paused":"yes","filename":"magnet:?"}}' 'invalid argument type or value'
	check "metainfo that is not base64 -> error result" result_is '{"method":"torrent-add","arguments":{"metainfo":"!!!"}}' 'invalid argument type or value'
	check "a string with a NUL byte -> error result" result_is '{"method":"torrent-add","arguments":{"filename":"magnet:\u0000x"}}' 'invalid argument type or value'
	check "none of the bad requests reached the broker" [ "$(requests)" = "$before" ]

	local fields
	fields=$(rpc '{"method":"torrent-get","arguments":{"fields":["id","name","no-such-field"],"no-such-arg":1,"ids":[1,"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]}}')
	check "unknown fields and arguments ignored; only the requested fields come back" \
		[ "$(jq -c '[.result, (.arguments.torrents | map(keys))]' <<<"$fields")" = '["success",[["id","name"],["id","name"]]]' ]
	check "recently-active ids give a removed list" \
		[ "$(rpc '{"method":"torrent-get","arguments":{"fields":["id"],"ids":"recently-active"}}' | jq -c '.arguments.removed')" = '[]' ]

	# a slow client (half a request, then nothing) is cut off after the
	# connection timeout (3 s here); more idle connections than the limit
	# (16) cannot lock others out for longer than that
	exec 8<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'POST /transmission/rpc HTTP/1.1\r\nHost: 127.0.0.1\r\n' >&8
	local t0=$SECONDS got
	got=$(timeout 10 cat <&8 | head -c 100 | wc -c) || true
	check "a stalled half request is dropped by the timeout ($((SECONDS - t0)) s, ${got} bytes back)" \
		[ $((SECONDS - t0)) -ge 2 -a $((SECONDS - t0)) -le 6 -a "$got" = 0 ]
	exec 8<&-
	local fds=()
	for i in $(seq 20); do exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"; fds+=("$fd"); done
	code=$(curl_code --max-time 2 -u "$AUTH" -H "X-Transmission-Session-Id: $SID" -d '{"method":"port-test"}' "$URL")
	check "20 idle connections fill the limit of 16: a 21st request is not served ($code)" [ "$code" != 200 ]
	sleep 4
	code=$(curl_code --max-time 5 -u "$AUTH" -H "X-Transmission-Session-Id: $SID" -d '{"method":"port-test"}' "$URL")
	check "after the timeout the idle ones are gone and requests are served again ($code)" [ "$code" = 200 ]
	for fd in "${fds[@]}"; do exec {fd}<&-; done

	# 1000 quick requests over keep-alive connections, good and bad mixed
	local urls=() rss0 rss1 codes
	for _ in $(seq 100); do urls+=("$URL"); done
	curl -s -u "$AUTH" -H "X-Transmission-Session-Id: $SID" -d '{"method":"session-stats"}' "${urls[@]}" >/dev/null
	rss0=$(awk '/^VmRSS/ { print $2 }' "/proc/$CONTROL_PID/status")
	urls=()
	for _ in $(seq 500); do urls+=("$URL"); done
	# each response is its body, a newline, its status: count what came back
	codes=$( (curl -s -w '\n%{http_code}\n' -u "$AUTH" -H "X-Transmission-Session-Id: $SID" \
			-d '{"method":"torrent-get","arguments":{"fields":["id","name","status"]}}' "${urls[@]}" |
			sed -n 's/.*"torrents":\[{"id":1,.*{"id":2,"name":"debian-test.iso".*"result":"success"}$/listed/p; /^[0-9]\{3\}$/p'
		curl -s -w '\n%{http_code}\n' -u "$AUTH" -H "X-Transmission-Session-Id: $SID" \
			-d '{"method":"torrent-get","arguments":{"fields":' "${urls[@]}" |
			sed -n 's/.*"result":"malformed JSON request"}$/refused/p; /^[0-9]\{3\}$/p') |
		sort | uniq -c | xargs)
	rss1=$(awk '/^VmRSS/ { print $2 }' "/proc/$CONTROL_PID/status")
	check "1000 quick requests all answered 200: 500 lists, 500 refusals ($codes)" \
		[ "$codes" = "1000 200 500 listed 500 refused" ]
	check "meerko-control alive after 1000 requests" alive
	if ldd "$CONTROL" | grep -q libasan; then
		echo "# RSS ${rss0} -> ${rss1} kB not judged: ASan build (its quarantine holds freed memory)"
	else
		check "its RSS stays bounded (${rss0} -> ${rss1} kB: < 1 MiB growth, < 16 MiB)" \
			[ $((rss1 - rss0)) -lt 1024 -a "$rss1" -lt 16384 ]
	fi
}

unix_socket() {
	local u=(--unix-socket "$WORK/rpc.sock") url=http://localhost/transmission/rpc sid
	check "UNIX socket: wrong password -> 401" [ "$(curl_code "${u[@]}" -u "$USER_NAME:x" -d '{}' "$url")" = 401 ]
	check "UNIX socket: no session id -> 409" [ "$(curl_code "${u[@]}" -u "$AUTH" -d '{}' "$url")" = 409 ]
	sid=$(tr -d '\r' <"$WORK/headers" | awk -F': ' 'tolower($1) == "x-transmission-session-id" { print $2 }')
	check "UNIX socket: foreign Host -> 421" \
		[ "$(curl_code "${u[@]}" -u "$AUTH" -H "X-Transmission-Session-Id: $sid" -H 'Host: evil.example' -d '{}' "$url")" = 421 ]
	check "UNIX socket: torrent-get served" \
		[ "$(curl -s "${u[@]}" -u "$AUTH" -H "X-Transmission-Session-Id: $sid" -d '{"method":"torrent-get","arguments":{"fields":["name"]}}' "$url" |
			jq -r '.arguments.torrents[1].name')" = debian-test.iso ]
}

case $PART in
real_client) real_client ;;
bad_requests) bad_requests ;;
unix_socket) unix_socket ;;
*) echo "unknown part $PART"; exit 2 ;;
esac

# the broker closes its socket: meerko-control must exit 0 (not SIGSYS)
exec 7>&-
for _ in $(seq 50); do [ -s "$WORK/control.exit" ] && break; sleep 0.1; done
check "meerko-control exits 0 when the broker closes its socket ($(cat "$WORK/control.exit" 2>/dev/null))" \
	grep -qx 'exit 0' "$WORK/control.exit"
wait "$BROKER_PID" 2>/dev/null || true
BROKER_PID= CONTROL_PID=
[ "$failed" -eq 0 ] || { echo "--- control.log"; cat "$WORK/control.log"; }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
