#!/bin/sh
# tests/miltertest/run.sh BUILD - milter-protocol tests (POSIX sh) with miltertest
# against the real daemon: a temporary consent store (a@rcpt.example confirmed,
# b@rcpt.example no record, c@rcpt.example withdrawn), BUILD/consentgate -f on
# inet:PORT@127.0.0.1, then one Lua case per behaviour:
#   miltertest -s tests/miltertest/CASE.lua -D port=PORT -D libdir=tests/miltertest
# Prints "ok - CASE: ..." or "not ok - CASE: ..." per case; exits 1 if any failed.
# Run as root (the daemon drops to UserID nobody): sh tests/miltertest/run.sh build

MT_HERE=$(cd "$(dirname "$0")" && pwd)
. "$MT_HERE/../e2e/lib.sh"

cg_setup "$1"
cg_need miltertest
cg_watchdog "${CG_TIME_LIMIT:-105}"

set -- $(cg_free_ports 1)
MILTER_PORT=$1
[ -n "$MILTER_PORT" ] || cg_die "could not pick free ports on 127.0.0.1"

setup_fail() {
	cg_notok "setup: $*"
	exit 1
}

cg_seed_store "$CG_TMP/store" "a@rcpt.example=confirmed" "c@rcpt.example=withdrawn" ||
	setup_fail "seeding the consent store with consentctl"
cg_write_config "$CG_TMP/consentgate.conf" "$MILTER_PORT" "$CG_TMP/store"
cg_start_milter "$CG_TMP/consentgate.conf" "$MILTER_PORT" || setup_fail "starting consentgate"

for mt_case in consented unconsented withdrawn transactional mixed; do
	mt_out=$CG_TMP/$mt_case.out
	timeout 60 miltertest -s "$MT_HERE/$mt_case.lua" -D "port=$MILTER_PORT" \
		-D "libdir=$MT_HERE" >"$mt_out" 2>&1
	mt_rc=$?
	mt_pass=$(grep '^PASS: ' "$mt_out" | head -n 1 | sed 's/^PASS: //')
	mt_fail=$(grep '^FAIL: ' "$mt_out" | head -n 1 | sed 's/^FAIL: //')
	if [ "$mt_rc" -eq 0 ] && [ -n "$mt_pass" ] && [ -z "$mt_fail" ]; then
		cg_ok "$mt_pass"
	else
		[ -n "$mt_fail" ] || mt_fail="$mt_case: miltertest exited $mt_rc without PASS"
		cg_notok "$mt_fail"
		sed 's/^/#   /' "$mt_out"
	fi
	if ! cg_alive "$CG_MILTER_PID"; then
		cg_notok "consentgate died during the $mt_case case"
		exit 1
	fi
done

printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
