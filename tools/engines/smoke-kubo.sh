#!/usr/bin/env bash
# smoke-kubo.sh: start `ipfs daemon --offline` (Kubo, test profile) on 127.0.0.1, add a small
# file through POST /api/v0/add?cid-version=1&raw-leaves=true and check its CID against one
# computed here by hand (CIDv1, raw codec, sha2-256: "b" + base32 of 01 55 12 20 ‖ sha256),
# then read it back with /api/v0/cat. Builds the binary once per machine (build.sh ipfs).
# Needs curl, base32, sha256sum, xxd.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ipfs=$("$here/build.sh" ipfs)
echo "ipfs: $ipfs ($("$ipfs" version))"

tmp=$(mktemp -d)
pid=
cleanup() { [ -z "$pid" ] || kill -9 "$pid"; wait; rm -rf "$tmp"; } 2>/dev/null
trap cleanup EXIT

# A free loopback port: one nothing answers on.
freeport() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}
api=$(freeport) gw=$(freeport)

export IPFS_PATH=$tmp/repo
"$ipfs" init --profile=test >/dev/null
"$ipfs" config Addresses.API "/ip4/127.0.0.1/tcp/$api"
"$ipfs" config Addresses.Gateway "/ip4/127.0.0.1/tcp/$gw"
"$ipfs" config --json Addresses.Swarm '[]'
"$ipfs" config --json Bootstrap '[]'

start=$(date +%s%3N)
"$ipfs" daemon --offline >"$tmp/daemon.log" 2>&1 &
pid=$!
url=http://127.0.0.1:$api/api/v0
for _ in $(seq 1 300); do
	curl -fsS -X POST "$url/id" >/dev/null 2>&1 && break
	kill -0 "$pid" 2>/dev/null || { cat "$tmp/daemon.log"; echo "FAIL: daemon exited"; exit 1; }
	sleep 0.1
done
curl -fsS -X POST "$url/id" >/dev/null || { cat "$tmp/daemon.log"; echo "FAIL: API not ready"; exit 1; }
echo "API ready on 127.0.0.1:$api after $(($(date +%s%3N) - start)) ms"

printf 'hello orama namespace engines\n' >"$tmp/small.txt"
want=b$({ printf '\x01\x55\x12\x20'; sha256sum "$tmp/small.txt" | cut -d' ' -f1 | xxd -r -p; } | base32 -w0 | tr 'A-Z' 'a-z' | tr -d '=')
got=$(curl -fsS -X POST -F "file=@$tmp/small.txt" "$url/add?cid-version=1&raw-leaves=true")
echo "add: $got"
case "$got" in
*"\"Hash\":\"$want\""*) echo "CID ok: $want" ;;
*) echo "FAIL: expected CID $want"; exit 1 ;;
esac
curl -fsS -X POST "$url/cat?arg=$want" >"$tmp/back.txt"
cmp "$tmp/small.txt" "$tmp/back.txt" || { echo "FAIL: cat returned other bytes"; exit 1; }
echo "cat ok"
echo "PASS smoke-kubo"
