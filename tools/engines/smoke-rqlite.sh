#!/usr/bin/env bash
# smoke-rqlite.sh: start a 3-node rqlited cluster on 127.0.0.1, wait for GET /readyz on each,
# write through one node and read with level=strong through another, SIGKILL the leader and
# time how long the survivors take to report a new one, then write and read again.
# Builds the binary once per machine (build.sh rqlited). Needs curl.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rqlited=$("$here/build.sh" rqlited)
echo "rqlited: $rqlited ($("$rqlited" -version 2>&1 | head -1))"

tmp=$(mktemp -d)
declare -A pid
cleanup() { for p in "${pid[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait; rm -rf "$tmp"; } 2>/dev/null
trap cleanup EXIT

taken=" "
freeport() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		case "$taken" in *" $p "*) continue ;; esac
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
		taken="$taken$p "
		echo "$p"
		return
	done
}
declare -A http raft
for n in n1 n2 n3; do
	http[$n]=$(freeport)
	taken="$taken${http[$n]} "
	raft[$n]=$(freeport)
	taken="$taken${raft[$n]} "
done
join=127.0.0.1:${raft[n1]},127.0.0.1:${raft[n2]},127.0.0.1:${raft[n3]}

ms() { date +%s%3N; }
start=$(ms)
for n in n1 n2 n3; do
	"$rqlited" -node-id "$n" -http-addr "127.0.0.1:${http[$n]}" -raft-addr "127.0.0.1:${raft[$n]}" \
		-bootstrap-expect 3 -join "$join" "$tmp/$n" >"$tmp/$n.log" 2>&1 &
	pid[$n]=$!
done

fail() { echo "FAIL: $*"; for n in n1 n2 n3; do echo "--- $n.log"; tail -20 "$tmp/$n.log"; done; exit 1; }
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${http[$1]}/readyz")" = 200 ]; }
for n in n1 n2 n3; do
	for _ in $(seq 1 300); do ready "$n" && break; sleep 0.1; done
	ready "$n" || fail "$n not ready"
done
echo "cluster ready (GET /readyz 200 on all three) after $(($(ms) - start)) ms"

# leader NODE: the node id NODE's /status reports as leader ("" when it knows none).
leader() {
	curl -s "http://127.0.0.1:${http[$1]}/status" | grep -o '"leader":{[^}]*}' | head -1 |
		sed -n 's/.*"node_id":"\([^"]*\)".*/\1/p'
}
# retry CMD...: run CMD until it succeeds, for up to 10 s. A node answers 503 while it knows no
# leader, which happens again right after an election when a starved CPU delays heartbeats.
retry() {
	local i
	for i in $(seq 1 100); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
execute() { # NODE JSON
	local out
	out=$(retry curl -fsS -X POST "http://127.0.0.1:${http[$1]}/db/execute" -H 'Content-Type: application/json' -d "$2" 2>/dev/null) ||
		fail "execute on $1: no answer within 10 s"
	case "$out" in *'"error"'*) fail "execute on $1: $out" ;; esac
	echo "execute on $1: $out"
}
query() { # NODE SQL WANT
	local out
	out=$(retry curl -fsS -G "http://127.0.0.1:${http[$1]}/db/query" --data-urlencode level=strong --data-urlencode "q=$2" 2>/dev/null) ||
		fail "query on $1: no answer within 10 s"
	case "$out" in *'"error"'*) fail "query on $1: $out" ;; *"$3"*) ;; *) fail "query on $1: $out lacks $3" ;; esac
	echo "strong read on $1: $out"
}

old=$(leader n1)
[ -n "$old" ] || fail "no leader"
echo "leader: $old"
execute n1 '["CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)", "INSERT INTO kv VALUES(\"a\", \"one\")"]'
other=n2
[ "$old" = n2 ] && other=n3
query "$other" 'SELECT v FROM kv WHERE k = "a"' '"one"'

{ kill -9 "${pid[$old]}"; wait "${pid[$old]}" || true; } 2>/dev/null
unset "pid[$old]"
killed=$(ms)
echo "SIGKILL $old"
new=
for _ in $(seq 1 300); do
	for n in "${!pid[@]}"; do
		l=$(leader "$n")
		if [ -n "$l" ] && [ "$l" != "$old" ]; then new=$l; break 2; fi
	done
	sleep 0.05
done
[ -n "$new" ] || fail "no new leader within 15 s"
echo "new leader $new after $(($(ms) - killed)) ms"
execute "$new" '["INSERT INTO kv VALUES(\"b\", \"two\")"]'
for n in "${!pid[@]}"; do query "$n" 'SELECT v FROM kv ORDER BY k' '"two"'; done
echo "PASS smoke-rqlite"
