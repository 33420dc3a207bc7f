#!/usr/bin/env bash
# Runs every `func FuzzXxx` in the module for $FUZZTIME each (go test allows
# one fuzz target per invocation). FUZZTIME is a count like 20000x: duration
# budgets trip a Go 1.26 fuzz-coordinator race (golang/go#75804). `make fuzz-short` (CI) and `make fuzz`
# (full size) both call this script.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-20000x}
grep -rl --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]+\(' . | sort | while read -r f; do
	pkg=./$(dirname "${f#./}")
	grep -oE '^func Fuzz[A-Za-z0-9_]+' "$f" | sed 's/^func //' | while read -r name; do
		echo "fuzz $pkg $name ($FUZZTIME)"
		go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg"
	done
done
