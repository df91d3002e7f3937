#!/bin/sh
# Regenerate the real `go build -gcflags=-m` fixtures in this folder (~5 s).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
go=${GO:-$here/../../../.venv/bin/go}
export GOTOOLCHAIN=local CGO_ENABLED=0
ver=$("$go" env GOVERSION)
cd "$here/pkg"
"$go" build -gcflags=-m ./... > "$here/$ver.txt" 2>&1
"$go" build -gcflags=-m=2 ./sub > "$here/$ver-m2.txt" 2>&1
