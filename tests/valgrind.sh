#!/bin/sh
# valgrind.sh BUILD - the miltertest suite with the daemon under
# valgrind --leak-check=full: no memory errors, nothing definitely or
# indirectly lost.  (Run by `make valgrind`; the daemon's own threads,
# GMime, gumbo, LMDB and libmilter are all exercised by the cases.)
set -u
build=${1:-build}
logdir=$(mktemp -d /tmp/cgvalgrind.XXXXXX)
chmod 0777 "$logdir"
trap 'rm -rf "$logdir"' EXIT INT TERM
CG_MILTER_WRAP="valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --track-fds=no --log-file=$logdir/vg.%p.log"
CG_MILTER_WAIT=60
# valgrind cannot reserve the default 64 GiB map.
CONSENTGATE_MAPSIZE=1073741824
export CONSENTGATE_MAPSIZE
CG_TIME_LIMIT=400
export CG_MILTER_WRAP CG_MILTER_WAIT CG_TIME_LIMIT
sh tests/miltertest/run.sh "$build" || { echo "valgrind: the miltertest suite failed under valgrind" >&2; exit 1; }
fail=0
n=0
for f in "$logdir"/vg.*.log; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$f" | tail -n 1)
	def=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tail -n 1 | tr -d ,)
	ind=$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tail -n 1 | tr -d ,)
	echo "valgrind: $(basename "$f"): errors=${errs:-?} definitely lost=${def:-0} indirectly lost=${ind:-0}"
	if [ "${errs:-1}" != 0 ] || [ "${def:-0}" != 0 ] || [ "${ind:-0}" != 0 ]; then
		fail=1
		grep -A25 -E "definitely lost in|Invalid|uninitialised" "$f" | head -60
	fi
done
[ "$n" -gt 0 ] || { echo "valgrind: no valgrind logs were written" >&2; exit 1; }
[ "$fail" = 0 ] && echo "valgrind: $n daemon runs, no errors, no leaks"
exit $fail
