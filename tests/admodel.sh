#!/bin/sh
# admodel.sh BUILD - retrain the advertising detector from data/admodel/
# and fail unless the result equals the shipped policy/admodel.txt byte for
# byte; prints the cross-validated precision and recall per language.
set -u
build=${1:-build}
tmp=$(mktemp /tmp/cgadmodel.XXXXXX)
trap 'rm -f "$tmp"' EXIT INT TERM
"$build/admodel-train" -k 5 -o "$tmp" data/admodel/*.tsv || exit 1
if ! cmp -s "$tmp" policy/admodel.txt; then
	echo "admodel: policy/admodel.txt differs from a fresh training run" \
		"(run make model and commit)" >&2
	exit 1
fi
echo "admodel: shipped weights equal a fresh training run"
