#!/bin/sh
# tests/e2e/doiretry.sh BUILD - a DOI mail that Postfix answers with 4xx
# AFTER consentgate passed it, and the sender's retry (POSIX sh): swaks ->
# private Postfix on 127.0.0.1 -> smtpd_milters consentgate (from
# tests/data/rules.conf, DoiResend never, DoiRetryWindow default 5 days),
# then tests/e2e/tempfail_milter.c (451 at end of message while a flag file
# exists) -> smtp-sink.
# Run as root: sh tests/e2e/doiretry.sh build
#
#   a. with the flag: the clean DOI fixture to new@example.org gets 451 at
#      the end of DATA from the milter after consentgate; nothing reaches the
#      sink; consentgate has recorded the hand-over (record pending, doi_msgid).
#   b. without the flag: the very same mail again gets 250, arrives at the
#      sink for new@example.org and the archive address; the consent record
#      is unchanged (pending, first doi_sent kept).
#   c. the evidence for new@example.org: one doi-send record (action
#      passed-to-mta, with the queue id) and one doi-retry record whose
#      retry_of names it; consentctl stats counts one DOI mail and one retry.
#   d. a different DOI mail (new Message-ID) to the still-pending address:
#      550 5.7.1 ... (rule=doi.resend ref=...), nothing more in the sink.
#   e. consentctl verify passes.
# Prints one "ok - ..." / "not ok - ..." line per check, exits 1 on any failure,
# 2 on usage errors. Bounded: watchdog CG_TIME_LIMIT (default 120 s).
# CG_KEEP=1 keeps the temp dir.

CG_HERE=$(cd "$(dirname "$0")" && pwd)
. "$CG_HERE/lib.sh"

DATA=$(cd "$CG_HERE/../data" && pwd)
cg_setup "$1"
cg_need postfix postconf smtp-sink swaks cc pkg-config
cg_watchdog "${CG_TIME_LIMIT:-120}"

set -- $(cg_free_ports 4)
SMTP_PORT=$1
SINK_PORT=$2
MILTER_PORT=$3
TF_PORT=$4
[ -n "$TF_PORT" ] || cg_die "could not pick free ports on 127.0.0.1"

DOI_SENDER=confirm@shop.example
ARCHIVE=doi-archive@shop.example
NEW=new@example.org
CLEAN=$DATA/doi/clean-en-plain-utf8-qp.eml
FLAG=$CG_TMP/tempfail.flag
REF='ref=[A-Za-z0-9-]+'
TF_PID=

setup_fail() {
	cg_notok "setup: $*"
	exit 1
}

# The EXIT trap of lib.sh stops what lib.sh started; the test milter is ours.
stop_tf() {
	cg_stop_pid "$TF_PID" tempfail_milter
	TF_PID=
}
trap 'stop_tf; cg_cleanup' EXIT

grep -q '^X-Test-Expect: pass' "$CLEAN" || setup_fail "$CLEAN is not a passing fixture"
# shellcheck disable=SC2046
timeout 60 cc -O1 -Wall -Wextra -Werror -o "$CG_TMP/tempfail_milter" \
	"$CG_HERE/tempfail_milter.c" $(pkg-config --cflags --libs milter) -lpthread \
	>"$CG_TMP/cc.log" 2>&1 || { cg_diag "$CG_TMP/cc.log"; setup_fail "building tempfail_milter.c"; }
cg_seed_store "$CG_TMP/store" || setup_fail "creating the consent store with consentctl"
cg_rules_config "$CG_TMP/consentgate.conf" "$MILTER_PORT" "$CG_TMP/store" "$DATA/rules.conf" ||
	setup_fail "writing the config from rules.conf"
cg_start_milter "$CG_TMP/consentgate.conf" "$MILTER_PORT" || setup_fail "starting consentgate"
"$CG_TMP/tempfail_milter" "inet:$TF_PORT@127.0.0.1" "$FLAG" >"$CG_TMP/tf.log" 2>&1 </dev/null &
TF_PID=$!
cg_wait_port "$TF_PORT" 10 "$TF_PID" || { cg_diag "$CG_TMP/tf.log"; setup_fail "starting tempfail_milter"; }
cg_start_sink "$SINK_PORT" || setup_fail "starting smtp-sink"
# smtpd_milters = consentgate, then the test milter (lib.sh writes
# "inet:127.0.0.1:<third argument>").
cg_start_postfix "$SMTP_PORT" "$SINK_PORT" "$MILTER_PORT, inet:127.0.0.1:$TF_PORT" ||
	setup_fail "starting Postfix"

show_transcript() {
	grep -E '^(<[-~*]* +[0-9]{3} |  *-> (EHLO|HELO|MAIL|RCPT|DATA|QUIT|RSET)|  *-> \.$|===)' \
		"$CG_LAST" | sed 's/^/#   /'
}

MSGID=$(sed -n 's/^Message-ID: *<\([^>]*\)>.*/\1/p' "$CLEAN" | head -n 1)
cg_fixture "$CLEAN" "$CG_TMP/doi.eml" cg-doi-retry "s/^To: .*/To: <$NEW>/" ||
	setup_fail "copying $CLEAN"

# --- a. 4xx after consentgate passed the mail.
touch "$FLAG"
cg_send doi-first --from "$DOI_SENDER" --to "$NEW" --data "@$CG_TMP/doi.eml"
data=$(cg_reply "$CG_LAST" '^\.$')
why=
case $data in 451*) ;; *) why="end of DATA got '$data', want 451 from the milter after consentgate" ;; esac
cg_wait_queue_empty 10 || why="${why:+$why; }Postfix queue not empty"
[ "$(cg_sink_count)" -eq 0 ] || why="${why:+$why; }the sink received a message"
cg_ctl show "$NEW" >"$CG_TMP/show-a.txt" 2>&1
grep -Eq '^state: *pending' "$CG_TMP/show-a.txt" || why="${why:+$why; }consentgate did not record the hand-over (state not pending)"
grep -Fq "$MSGID" "$CG_TMP/show-a.txt" || why="${why:+$why; }message-id $MSGID not recorded"
if [ -z "$why" ]; then
	cg_ok "a. DOI mail passed by consentgate, then refused by the next milter: $data"
else
	cg_notok "a. DOI mail with a 4xx after consentgate: $why"
	show_transcript
	cg_diag "$CG_TMP/show-a.txt"
fi

# --- b. the sender's retry of the very same mail is accepted and delivered.
rm -f "$FLAG"
cg_send doi-retry --from "$DOI_SENDER" --to "$NEW" --data "@$CG_TMP/doi.eml"
data=$(cg_reply "$CG_LAST" '^\.$')
why=
case $data in 250*) ;; *) why="end of DATA got '$data', want 250" ;; esac
files=
if [ -z "$why" ]; then
	if cg_wait_delivered cg-doi-retry 15; then
		files=$(cg_sink_find cg-doi-retry)
		rcpts=$(cg_sink_rcpts cg-doi-retry | sort | tr '\n' ' ')
		printf '%s\n' "$rcpts" | grep -q "<$NEW>" || why="$NEW is not an envelope recipient"
		printf '%s\n' "$rcpts" | grep -q "<$ARCHIVE>" ||
			why="${why:+$why; }no archive copy: $ARCHIVE is not an envelope recipient"
	else
		why="not delivered to the sink within 15 s"
	fi
fi
cg_ctl show "$NEW" >"$CG_TMP/show-b.txt" 2>&1
cmp -s "$CG_TMP/show-a.txt" "$CG_TMP/show-b.txt" ||
	why="${why:+$why; }the consent record changed: $(diff "$CG_TMP/show-a.txt" "$CG_TMP/show-b.txt" | grep '^[<>]' | tr '\n' ' ')"
if [ -z "$why" ]; then
	cg_ok "b. the retry of the same DOI mail is accepted ($data) and delivered to $rcpts; record unchanged"
else
	cg_notok "b. the retry of the same DOI mail: $why"
	show_transcript
fi

# --- c. evidence: one doi-send and one doi-retry naming it.
cg_ctl log --recipient "$NEW" --kind doi-send >"$CG_TMP/sends.txt" 2>&1
cg_ctl log --recipient "$NEW" --kind doi-retry >"$CG_TMP/retries.txt" 2>&1
nsend=$(grep -c . "$CG_TMP/sends.txt")
nretry=$(grep -c . "$CG_TMP/retries.txt")
send_ref=$(awk 'NR == 1 { print $2 }' "$CG_TMP/sends.txt")
why=
[ "$nsend" -eq 1 ] || why="$nsend doi-send records, want 1"
[ "$nretry" -eq 1 ] || why="${why:+$why; }$nretry doi-retry records, want 1"
grep -q ' doi-send doi passed-to-mta ' "$CG_TMP/sends.txt" ||
	why="${why:+$why; }the doi-send record does not say passed-to-mta"
[ -n "$send_ref" ] && grep -q " retry-of=$send_ref\$" "$CG_TMP/retries.txt" ||
	why="${why:+$why; }the doi-retry record does not name $send_ref"
if [ -n "$send_ref" ] && cg_ctl evidence "$send_ref" >"$CG_TMP/send-ev.txt" 2>&1; then
	qid=$(sed -n 's/.*"queue_id":"\([^"]*\)".*/\1/p' "$CG_TMP/send-ev.txt")
	[ -n "$qid" ] || why="${why:+$why; }the doi-send record has no queue id"
else
	why="${why:+$why; }consentctl evidence $send_ref failed"
fi
cg_ctl stats >"$CG_TMP/stats.txt" 2>&1
grep -q '^doi mails passed to the MTA: 1 (plus 1 retries' "$CG_TMP/stats.txt" ||
	why="${why:+$why; }stats: $(grep -i '^doi' "$CG_TMP/stats.txt")"
if [ -z "$why" ]; then
	cg_ok "c. evidence: one doi-send (queue id $qid), one doi-retry of $send_ref; $(grep '^doi' "$CG_TMP/stats.txt")"
else
	cg_notok "c. evidence of the DOI send and its retry: $why"
	cg_diag "$CG_TMP/sends.txt"
	cg_diag "$CG_TMP/retries.txt"
fi
# What the milter saw of the two attempts (Postfix hides its own Received).
cg_ctl log --recipient "$NEW" --kind decision --format csv >"$CG_TMP/decisions.csv" 2>&1
nsha=$(tail -n +2 "$CG_TMP/decisions.csv" | awk -F, '{ print $(NF-1) }' | sort -u | grep -c .)
cg_say "# the two attempts reached consentgate as $nsha distinct raw SHA-256"

# --- d. a different DOI mail to the still-pending address: doi.resend.
before=$(cg_sink_count)
cg_fixture "$CLEAN" "$CG_TMP/doi-new.eml" cg-doi-new "s/^To: .*/To: <$NEW>/" \
	"s/^Message-ID: <[^>]*>/Message-ID: <second.$MSGID>/" || setup_fail "copying $CLEAN"
cg_send doi-new --from "$DOI_SENDER" --to "$NEW" --data "@$CG_TMP/doi-new.eml"
data=$(cg_reply "$CG_LAST" '^\.$')
why=
printf '%s\n' "$data" | grep -Eq "^550 5\.7\.1 .*\(rule=doi\.resend $REF\)" ||
	why="end of DATA got '$data', want 550 5.7.1 ... (rule=doi.resend ref=...)"
cg_wait_queue_empty 10 || why="${why:+$why; }Postfix queue not empty"
sleep 1
[ "$(cg_sink_count)" -eq "$before" ] || why="${why:+$why; }the sink received a message"
if [ -z "$why" ]; then
	cg_ok "d. a new DOI mail (another Message-ID) to still-pending $NEW refused: $data"
else
	cg_notok "d. a new DOI mail to $NEW: $why"
	show_transcript
fi

# --- e. the evidence chain is intact.
if cg_ctl verify >"$CG_TMP/verify.txt" 2>&1; then
	cg_ok "e. consentctl verify: $(head -n 1 "$CG_TMP/verify.txt")"
else
	cg_notok "e. consentctl verify failed"
	cg_diag "$CG_TMP/verify.txt"
fi

cg_alive "$CG_MILTER_PID" || cg_notok "consentgate was still running after the cases (it died; see its log)"

printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
