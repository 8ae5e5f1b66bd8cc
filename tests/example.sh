#!/bin/sh
# stevedore's main job on the bundled example tree: validate and plan it,
# then fetch its sources from the mirror folder that ships with it (the
# example's upstream mirrors do not exist, as on an air-gapped host).
set -eu
BIN=${1:-bin/stevedore}
cd "$(dirname "$0")/.."
"$BIN" --tree examples plan
"$BIN" --tree examples fetch --mirror-dir examples/mirror
"$BIN" --tree examples fetch --offline --progress=quiet
echo "example: plan and fetch of examples/ verified"
