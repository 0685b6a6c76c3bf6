#!/bin/sh
# run.sh BUILD - generate 10,000 hostile messages and check every one gets a
# bounded verdict (see gen.py and run.py).
set -u
dir=$(mktemp -d /tmp/cghostile.XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM
python3 tests/hostile/gen.py "$dir" "${HOSTILE_COUNT:-10000}" || exit 1
python3 tests/hostile/run.py "$1" "$dir"
