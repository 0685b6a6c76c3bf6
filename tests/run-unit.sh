#!/bin/sh
# run-unit.sh BUILD - run every cmocka unit test binary in BUILD/tests.
# Tests run from the repository root so they find tests/data/.
set -u
build=${1:-build}
fail=0
n=0
for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	n=$((n + 1))
	if ! "$t"; then
		echo "FAILED: $t" >&2
		fail=1
	fi
done
if [ "$n" = 0 ]; then
	echo "unit: no test binaries in $build/tests" >&2
	exit 1
fi
[ "$fail" = 0 ] && echo "unit: $n test programs passed ($build)"
exit $fail
