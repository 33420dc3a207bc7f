#!/usr/bin/env bash
# Runs every `func FuzzXxx` in the module for $FUZZTIME each (go test allows
# one fuzz target per invocation). `make fuzz-short` (CI) and `make fuzz`
# (full size) both call this script.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-10s}
grep -rl --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]+\(' . | sort | while read -r f; do
	pkg=./$(dirname "${f#./}")
	grep -oE '^func Fuzz[A-Za-z0-9_]+' "$f" | sed 's/^func //' | while read -r name; do
		echo "fuzz $pkg $name ($FUZZTIME)"
		go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg"
	done
done
