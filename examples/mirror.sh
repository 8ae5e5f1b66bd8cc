#!/bin/sh
# Builds the example tree's seed (the "box" toolbox, examples/seed) into
# the mirror folder given as $1 (default: examples/mirror). The build is
# reproducible: the same Go release gives the same bytes on every machine,
# and package.toml pins its SHA-256.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/mirror}
mkdir -p "$out"
out=$(cd "$out" && pwd)
mkdir -p "$out"
cd "$here/seed"
CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOAMD64=v1 GOFLAGS= GOTOOLCHAIN=local \
	go build -trimpath -buildvcs=false -ldflags='-s -w -buildid=' -o "$out/box.tmp" .
mv "$out/box.tmp" "$out/box"
