#!/usr/bin/env bash
# Builds orama, loadgen and faultnet, then runs the fault harness
# (tools/faultnet) with the arguments given (--size ci|full, --keep, --only).
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/orama ./cmd/orama
go build -o bin/loadgen ./tools/loadgen
go build -o bin/faultnet ./tools/faultnet
exec ./bin/faultnet --orama bin/orama --loadgen bin/loadgen "$@"
