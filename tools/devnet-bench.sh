#!/usr/bin/env bash
# Measures the two bars of the multi-validator network on a 4-process
# loopback devnet (issue 5), with tools/loadgen:
#   1. finality latency at light load, block time $LAT_BLOCK_TIME (default 1s):
#      p50 from submission to final must be <= 3 block times + 0.5 s;
#   2. sustained throughput at block time $TPS_BLOCK_TIME (default 500ms):
#      at least $MIN_TPS (default 2000) final transfers a second for
#      $DURATION (default 60s), zero safety violations (every block compared
#      on all four validators).
# `make bench-devnet` runs it at full size; `make test` runs the same script at
# CI size (devnet-short: 10 s windows, a 500 tx/s floor).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-60s}
LAT_BLOCK_TIME=${LAT_BLOCK_TIME:-1s}
TPS_BLOCK_TIME=${TPS_BLOCK_TIME:-500ms}
MIN_TPS=${MIN_TPS:-2000}
# Below Linux's ephemeral range (32768-60999), so no outgoing connection of
# another process can hold a port a node must listen on.
P2P_BASE=${P2P_BASE:-27100}
API_BASE=${API_BASE:-28100}

go build -o bin/orama ./cmd/orama
go build -o bin/loadgen ./tools/loadgen
work=$(mktemp -d)
pid=""
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

apis="http://127.0.0.1:$API_BASE,http://127.0.0.1:$((API_BASE + 1)),http://127.0.0.1:$((API_BASE + 2)),http://127.0.0.1:$((API_BASE + 3))"

run() { # block time, then loadgen flags
	local bt=$1
	shift
	rm -rf "$work/net"
	./bin/orama devnet --validators 4 --dir "$work/net" --p2p-base-port "$P2P_BASE" --api-base-port "$API_BASE" \
		--block-time "$bt" --log-level warn >"$work/devnet.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$API_BASE") 2>/dev/null; then break; fi
		sleep 0.1
	done
	sleep 3
	local rc=0
	./bin/loadgen --api "$apis" --progress 0 "$@" || rc=$?
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=""
	return $rc
}

# 3 block times + 0.5 s, as a Go duration.
case "$LAT_BLOCK_TIME" in
*ms) bt_ms=${LAT_BLOCK_TIME%ms} ;;
*s) bt_ms=$((${LAT_BLOCK_TIME%s} * 1000)) ;;
*) echo "LAT_BLOCK_TIME: use ms or whole s" >&2; exit 2 ;;
esac
max_p50="$((3 * bt_ms + 500))ms"

echo "== finality latency: block time $LAT_BLOCK_TIME, 20 tx/s for $DURATION, bar p50 <= $max_p50"
run "$LAT_BLOCK_TIME" --rate 20 --accounts 64 --duration "$DURATION" --warmup 5s --latency-samples 300 --max-p50 "$max_p50"
echo "== throughput: block time $TPS_BLOCK_TIME, 2500 tx/s offered for $DURATION, bar >= $MIN_TPS tx/s"
run "$TPS_BLOCK_TIME" --rate 2500 --accounts 512 --duration "$DURATION" --warmup 10s --min-tps "$MIN_TPS"
