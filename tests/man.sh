#!/bin/sh
# man.sh - every manual page renders with `man -l` without a warning, and
# (test_config checks that every key is in consentgate.conf(5)).
set -u
fail=0
for m in man/*.[0-9]; do
	w=$(LC_ALL=C.UTF-8 man --warnings=all -l "$m" 2>&1 >/dev/null)
	if [ -n "$w" ]; then
		echo "man: $m: $w" >&2
		fail=1
	fi
done
[ "$fail" = 0 ] && echo "man: ok"
exit $fail
