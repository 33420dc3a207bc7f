#!/usr/bin/env bash
# build.sh NAME: build a namespace engine binary once per machine and print its path.
#
#   NAME     rqlited (from tools/engines/rqlite) or ipfs (Kubo, from tools/engines/kubo)
#   output   ${ORAMA_ENGINE_CACHE:-$HOME/.cache/orama/engines}/NAME-VERSION/NAME on stdout
#            (VERSION is the engine module's pin in that go.mod); build logs go to stderr.
#
# Nothing is built when the binary is there and the hash of the go.mod, go.sum and -ldflags it
# was built from (recorded next to it in NAME.inputs) matches the current ones. A build goes to a
# temporary name in the same directory and is renamed into place, under flock when available,
# so concurrent callers wait for one build and never see a half-written binary.
#
# Environment: GO (default go), ENGINE_NICE (niceness of the build, default 19).
set -euo pipefail

# All of it in one function, parsed before it runs: a caller keeps working when the script is
# edited while it builds (bash otherwise reads a script as it goes).
main() {
	name=${1:-}
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	case "$name" in
	rqlited) moddir=$here/rqlite mod=github.com/rqlite/rqlite/v8 pkg=$mod/cmd/rqlited cgo=1 ;;
	ipfs)    moddir=$here/kubo   mod=github.com/ipfs/kubo       pkg=$mod/cmd/ipfs    cgo= ;;
	*) echo "usage: $0 rqlited|ipfs" >&2; exit 2 ;;
	esac

	# The pinned version, read from go.mod without starting the go command.
	version=$(awk -v m="$mod" '($1 == m || ($1 == "require" && $2 == m)) { v = ($1 == "require") ? $3 : $2 } END { print v }' "$moddir/go.mod")
	[ -n "$version" ] || { echo "build.sh: no version of $mod in $moddir/go.mod" >&2; exit 1; }
	# rqlited reports its version (-version, GET /status) from a variable its release builds set.
	ldflags=
	case "$name" in rqlited) ldflags="-X $mod/cmd.Version=$version" ;; esac

	sha256() { if command -v sha256sum >/dev/null; then sha256sum; else shasum -a 256; fi; }
	inputs=$({ cat "$moddir/go.mod" "$moddir/go.sum"; [ -z "$ldflags" ] || echo "ldflags $ldflags"; } | sha256 | cut -d' ' -f1)

	cache=${ORAMA_ENGINE_CACHE:-${HOME:?}/.cache/orama/engines}
	dir=$cache/$name-$version
	bin=$dir/$name
	stamp=$dir/$name.inputs

	fresh() { [ -x "$bin" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ]; }

	if fresh; then echo "$bin"; exit 0; fi

	mkdir -p "$dir"
	if command -v flock >/dev/null; then
		exec 9>"$dir/.lock"
		flock 9
	else
		# No flock (macOS without util-linux): a lock directory, removed on exit.
		until mkdir "$dir/.lockdir" 2>/dev/null; do sleep 1; done
		trap 'rmdir "$dir/.lockdir"' EXIT
	fi
	# Another caller may have built it while this one waited for the lock.
	if fresh; then echo "$bin"; exit 0; fi

	tmp=$dir/.$name.tmp.$$
	trap 'rm -f "$tmp" "$tmp.inputs"; [ -d "$dir/.lockdir" ] && rmdir "$dir/.lockdir" 2>/dev/null || true' EXIT
	echo "build.sh: building $name $version into $dir (once per machine; minutes)" >&2
	start=$(date +%s)
	(
		cd "$moddir"
		[ -n "$cgo" ] && export CGO_ENABLED=$cgo
		GOWORK=off nice -n "${ENGINE_NICE:-19}" "${GO:-go}" build -mod=readonly -trimpath -ldflags="$ldflags" -o "$tmp" "$pkg"
	) || { echo "build.sh: building $name $version failed" >&2; exit 1; }
	# The binary first, then its stamp: a stamp never vouches for a binary it was not built with.
	mv -f "$tmp" "$bin"
	printf '%s\n' "$inputs" >"$tmp.inputs"
	mv -f "$tmp.inputs" "$stamp"
	echo "build.sh: built $bin in $(($(date +%s) - start)) s" >&2
	echo "$bin"
}
main "$@"
exit
