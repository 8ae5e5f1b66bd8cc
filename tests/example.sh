#!/bin/sh
# stevedore's main job on the bundled example tree, offline: build the
# example's seed from source into its mirror folder, fetch every source from
# that folder (the example's upstream mirrors do not exist, as on an
# air-gapped host), build every target and verify the manifest digests
# against the committed digests/*.txt.
set -eu
BIN=$(cd "$(dirname "${1:-bin/stevedore}")" && pwd)/$(basename "${1:-bin/stevedore}")
cd "$(dirname "$0")/.."
examples/mirror.sh examples/mirror
"$BIN" --tree examples plan
"$BIN" --tree examples fetch --offline --mirror-dir examples/mirror
"$BIN" --tree examples build
"$BIN" --tree examples verify
echo "example: every target of examples/ built and matches examples/digests/"
