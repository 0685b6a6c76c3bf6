#!/bin/sh
# tests/e2e/parity-sets.sh BUILD - milter / `consentctl check` parity over the
# real-world and the disguise fixture sets (POSIX sh). Run as root.
#
# Runs tests/e2e/parity.sh once per tool directory of tests/data/realworld
# with that directory's realworld.conf (each verdict must equal the other
# side's and the fixture's X-Test-Expect), and once over tests/data/disguise
# with disguise.conf comparing only the milter with `consentctl check`
# (CG_PARITY_EXPECT=0): some disguises still get a verdict other than
# declared, which tests/unit/test_realworld.c reports and gates with
# tests/data/disguise/THRESHOLD; here the two sides must agree whatever the
# verdict. Each run starts its own private Postfix and milter (about ten
# seconds each) and is bounded by parity.sh's own time limit.
# Exit 1 when any run failed, naming it.

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${1:-build}
failed=''

for dir in "$ROOT"/tests/data/realworld/*/; do
	dir=${dir%/}
	[ -r "$dir/realworld.conf" ] || continue
	printf '# ---- parity: %s\n' "${dir#"$ROOT"/}"
	CG_PARITY_CONF=$dir/realworld.conf CG_PARITY_DIRS=$dir \
		sh "$HERE/parity.sh" "$BUILD" || failed="$failed ${dir##*/}"
done
printf '# ---- parity: tests/data/disguise (milter against check only)\n'
CG_PARITY_CONF=$ROOT/tests/data/disguise/disguise.conf \
	CG_PARITY_DIRS=$ROOT/tests/data/disguise CG_PARITY_EXPECT=0 \
	sh "$HERE/parity.sh" "$BUILD" || failed="$failed disguise"

if [ -n "$failed" ]; then
	printf 'parity-sets: failed:%s\n' "$failed"
	exit 1
fi
printf 'parity-sets: every real-world tool and the disguise set agree\n'
exit 0
