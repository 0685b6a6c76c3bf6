#!/bin/sh
# tests/e2e/reimport.sh BUILD - a withdrawal by mail survives a re-import of an
# old export, end to end (POSIX sh): swaks -> private Postfix on 127.0.0.1 ->
# consentgate configured from tests/data/rules.conf -> smtp-sink. Run as root:
# sh tests/e2e/reimport.sh build
#
#   a. anna@example.org (confirmed, uid u-51) gets the newsletter: delivered.
#   b. consentctl export writes the store as CSV (anna confirmed).
#   c. anna mails unsubscribe+u-51@shop.example: accepted; show says withdrawn.
#   d. consentctl import of the old export: anna's row is skipped with
#      "FILE:LINE: anna@example.org: would re-confirm a withdrawal of <time>",
#      the summary counts it, show still says withdrawn, and the evidence of
#      anna holds no import record (an unchanged or refused row writes none).
#   e. the next newsletter to anna is refused at RCPT with consent.withdrawn.
#   f. stats counts the withdrawal; consentctl verify passes.
# Prints one "ok - ..." / "not ok - ..." line per check, exits 1 on any failure,
# 2 on usage errors. Bounded: watchdog CG_TIME_LIMIT (default 90 s).
# CG_KEEP=1 keeps the temp dir.

CG_HERE=$(cd "$(dirname "$0")" && pwd)
. "$CG_HERE/lib.sh"

DATA=$(cd "$CG_HERE/../data" && pwd)
cg_setup "$1"
cg_need postfix postconf smtp-sink swaks
cg_watchdog "${CG_TIME_LIMIT:-90}"

set -- $(cg_free_ports 3)
SMTP_PORT=$1
SINK_PORT=$2
MILTER_PORT=$3
[ -n "$MILTER_PORT" ] || cg_die "could not pick free ports on 127.0.0.1"

NEWS=newsletter@shop.example
ANNA=anna@example.org
COMPLIANT=$DATA/marketing/pass-en-workshop-plain-utf8-8bit.eml
REF='ref=[A-Za-z0-9-]+'

setup_fail() {
	cg_notok "setup: $*"
	exit 1
}

grep -q '^X-Test-Expect: pass' "$COMPLIANT" || setup_fail "$COMPLIANT is not a passing fixture"
cg_seed_store "$CG_TMP/store" || setup_fail "consentctl init"
cg_ctl add "$ANNA" --state confirmed --uid u-51 --ip 192.0.2.51 \
	--at 2026-01-05T10:00:00Z >>"$CG_TMP/ctl.log" 2>&1 ||
	setup_fail "consentctl add $ANNA"
chown -R nobody:nogroup "$CG_STORE"
cg_rules_config "$CG_TMP/consentgate.conf" "$MILTER_PORT" "$CG_TMP/store" "$DATA/rules.conf" ||
	setup_fail "writing the config from rules.conf"
cg_start_milter "$CG_TMP/consentgate.conf" "$MILTER_PORT" || setup_fail "starting consentgate"
cg_start_sink "$SINK_PORT" || setup_fail "starting smtp-sink"
cg_start_postfix "$SMTP_PORT" "$SINK_PORT" "$MILTER_PORT" || setup_fail "starting Postfix"

# newsletter NAME: the compliant fixture to anna, marker cg-NAME, sent.
newsletter() {
	cg_fixture "$COMPLIANT" "$CG_TMP/$1.eml" "cg-$1" \
		"0,/^To: /s/^To: .*/To: <$ANNA>/" || setup_fail "copying $COMPLIANT"
	cg_send "$1" --from "$NEWS" --to "$ANNA" --data "@$CG_TMP/$1.eml"
}

# --- a. the newsletter reaches the confirmed subscriber.
newsletter before-withdrawal
rcpt=$(cg_reply "$CG_LAST" "^RCPT TO:<$ANNA>")
data=$(cg_reply "$CG_LAST" '^\.$')
if case "$rcpt/$data" in 250*/250*) true ;; *) false ;; esac &&
	cg_wait_delivered cg-before-withdrawal 15; then
	cg_ok "a. newsletter to confirmed $ANNA delivered"
else
	cg_notok "a. newsletter to $ANNA: RCPT '$rcpt', end of DATA '$data'"
fi

# --- b. the export made before the withdrawal.
if cg_ctl export >"$CG_TMP/old.csv" 2>"$CG_TMP/export.err" &&
	grep -q "^$ANNA,confirmed," "$CG_TMP/old.csv"; then
	cg_ok "b. consentctl export holds $ANNA as confirmed"
else
	cg_notok "b. consentctl export"
	cg_diag "$CG_TMP/old.csv"
fi

# --- c. withdrawal by mail to the +uid address.
cat >"$CG_TMP/unsub.eml" <<EOF
From: Anna <$ANNA>
To: <unsubscribe+u-51@shop.example>
Subject: Abmelden
Date: %DATE%
Message-ID: <cg-unsub.%MESSAGEID%>
X-Test-Case: cg-unsub

Bitte melden Sie mich ab.
EOF
cg_send unsub --from "$ANNA" --to "unsubscribe+u-51@shop.example" --data "@$CG_TMP/unsub.eml"
data=$(cg_reply "$CG_LAST" '^\.$')
state=$(cg_ctl show "$ANNA" 2>&1 | sed -n 's/^state: *//p')
wtime=$(cg_ctl show "$ANNA" 2>&1 | sed -n 's/^withdrawn: *//p')
case "$data/$state" in
250*/withdrawn) cg_ok "c. mail to unsubscribe+u-51@ withdrew $ANNA at $wtime" ;;
*) cg_notok "c. withdrawal by mail: end of DATA '$data', state '$state'" ;;
esac

# --- d. the old export imported again.
if cg_ctl import "$CG_TMP/old.csv" >"$CG_TMP/import.out" 2>"$CG_TMP/import.err"; then
	why=
else
	why="consentctl import exited $?: $(head -n 1 "$CG_TMP/import.err")"
fi
grep -qF "$CG_TMP/old.csv:2: $ANNA: would re-confirm a withdrawal of $wtime" "$CG_TMP/import.out" ||
	why="${why:+$why; }no 'would re-confirm a withdrawal of $wtime' line"
grep -q "skipped, re-confirm-withdrawal: 1" "$CG_TMP/import.out" ||
	why="${why:+$why; }no summary by reason"
state=$(cg_ctl show "$ANNA" 2>&1 | sed -n 's/^state: *//p')
[ "$state" = withdrawn ] || why="${why:+$why; }state after the import: '$state'"
cg_ctl log --recipient "$ANNA" >"$CG_TMP/log.txt" 2>&1
grep -q " consent - import " "$CG_TMP/log.txt" &&
	why="${why:+$why; }the evidence has an import record for $ANNA"
grep -q "state=confirmed->withdrawn" "$CG_TMP/log.txt" ||
	why="${why:+$why; }the withdrawal's evidence lacks state=confirmed->withdrawn"
if [ -z "$why" ]; then
	cg_ok "d. re-import skipped $ANNA: $(grep -F "$ANNA" "$CG_TMP/import.out")"
else
	cg_notok "d. re-import of the old export: $why"
	cg_diag "$CG_TMP/import.out"
	cg_diag "$CG_TMP/log.txt"
fi

# --- e. the next newsletter is refused at RCPT.
before=$(cg_sink_count)
newsletter after-reimport
rcpt=$(cg_reply "$CG_LAST" "^RCPT TO:<$ANNA>")
why=
printf '%s\n' "$rcpt" | grep -Eq "^550 5\.7\.1 .*\(rule=consent\.withdrawn $REF\)" ||
	why="RCPT TO:<$ANNA> got '$rcpt', want 550 5.7.1 ... (rule=consent.withdrawn ref=...)"
cg_wait_queue_empty 10 || why="${why:+$why; }Postfix queue not empty"
sleep 1
if [ -n "$(cg_sink_find cg-after-reimport)" ] || [ "$(cg_sink_count)" -ne "$before" ]; then
	why="${why:+$why; }the sink received a message"
fi
if [ -z "$why" ]; then
	cg_ok "e. newsletter after the re-import refused: $rcpt"
else
	cg_notok "e. newsletter after the re-import: $why"
fi

# --- f. the withdrawal is counted; the chain verifies.
if cg_ctl stats >"$CG_TMP/stats.txt" 2>&1 && grep -q '^withdrawals: 1$' "$CG_TMP/stats.txt"; then
	cg_ok "f. consentctl stats counts the withdrawal"
else
	cg_notok "f. consentctl stats: $(grep '^withdrawals' "$CG_TMP/stats.txt")"
fi
if cg_ctl verify >"$CG_TMP/verify.txt" 2>&1; then
	cg_ok "f. consentctl verify: $(head -n 1 "$CG_TMP/verify.txt")"
else
	cg_notok "f. consentctl verify failed"
	cg_diag "$CG_TMP/verify.txt"
fi

if ! cg_alive "$CG_MILTER_PID"; then
	cg_notok "consentgate was still running after the cases (it died; see its log)"
fi

printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
