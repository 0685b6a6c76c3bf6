#!/bin/sh
# tests/e2e/run.sh BUILD - end-to-end test (POSIX sh): swaks -> private Postfix on
# 127.0.0.1 -> consentgate (milter) -> smtp-sink. Run as root: sh tests/e2e/run.sh build
#
# Store: a@rcpt.example confirmed, b@rcpt.example no record, c@rcpt.example
# withdrawn. Marketing sender: news@shop.example. Prints one "ok - ..." or
# "not ok - ..." line per case and exits 1 if any case (or the setup) failed, 2 on
# usage errors or missing tools. Every wait is bounded; a normal run takes about
# 7 s, the bound is < 2 minutes.
# CG_KEEP=1 keeps the temp dir (configs, transcripts, logs, sink files).

CG_HERE=$(cd "$(dirname "$0")" && pwd)
. "$CG_HERE/lib.sh"

cg_setup "$1"
cg_need postfix postconf smtp-sink swaks
cg_watchdog "${CG_TIME_LIMIT:-105}"

set -- $(cg_free_ports 3)
SMTP_PORT=$1
SINK_PORT=$2
MILTER_PORT=$3
[ -n "$MILTER_PORT" ] || cg_die "could not pick free ports on 127.0.0.1"

MARKETING=news@shop.example
TRANSACTIONAL=shop@shop.example
A=a@rcpt.example
B=b@rcpt.example
C=c@rcpt.example
REF='ref=[A-Za-z0-9-]+'

setup_fail() {
	cg_notok "setup: $*"
	exit 1
}

cg_seed_store "$CG_TMP/store" "$A=confirmed" "$C=withdrawn" ||
	setup_fail "seeding the consent store with consentctl"
cg_write_config "$CG_TMP/consentgate.conf" "$MILTER_PORT" "$CG_TMP/store"
cg_start_milter "$CG_TMP/consentgate.conf" "$MILTER_PORT" ||
	setup_fail "starting consentgate"
cg_start_sink "$SINK_PORT" || setup_fail "starting smtp-sink"
cg_start_postfix "$SMTP_PORT" "$SINK_PORT" "$MILTER_PORT" ||
	setup_fail "starting Postfix"

# show_transcript: the last swaks transcript as diagnostics.
show_transcript() {
	grep -E '^(<[-~*]* +[0-9]{3} |  *-> (EHLO|HELO|MAIL|RCPT|DATA|QUIT|RSET)|  *-> \.$|===)' \
		"$CG_LAST" | sed 's/^/#   /'
}

EVIDENCE=

# ref_of TEXT: the evidence ref in a reply or header ("ref=XXXX").
ref_of() {
	printf '%s\n' "$1" | sed -n 's/.*ref=\([A-Za-z0-9-]*\).*/\1/p' | head -n 1
}

# expect_refused NAME RCPT RULE: marketing mail to RCPT refused at RCPT TO with
# 550 5.7.1 ... (rule=RULE ref=...), and nothing reaches the sink.
expect_refused() {
	before=$(cg_sink_count)
	cg_message "$CG_TMP/$1.eml" marketing "$MARKETING" "$2" "cg-$1" "Autumn sale"
	cg_send "$1" --from "$MARKETING" --to "$2" --data "@$CG_TMP/$1.eml"
	reply=$(cg_reply "$CG_LAST" "^RCPT TO:<$2>")
	why=
	printf '%s\n' "$reply" | grep -Eq "^550 5\.7\.1 .*\(rule=$3 $REF\)" ||
		why="RCPT TO got '$reply', want 550 5.7.1 ... (rule=$3 ref=...)"
	cg_wait_queue_empty 10 || why="${why:+$why; }Postfix queue not empty"
	if [ -n "$(cg_sink_find "cg-$1")" ] || [ "$(cg_sink_count)" -ne "$before" ]; then
		why="${why:+$why; }the sink received a message"
	fi
	if [ -z "$why" ]; then
		EVIDENCE="$EVIDENCE $3:$(ref_of "$reply")"
		cg_ok "marketing to $2 refused at RCPT: $reply"
	else
		cg_notok "marketing to $2 refused with rule=$3: $why"
		show_transcript
	fi
}

# --- 1. marketing to a consented recipient: accepted, delivered, tagged.
cg_message "$CG_TMP/consented.eml" marketing "$MARKETING" "$A" cg-consented "Autumn sale"
cg_send consented --from "$MARKETING" --to "$A" --data "@$CG_TMP/consented.eml"
rcpt=$(cg_reply "$CG_LAST" "^RCPT TO:<$A>")
data=$(cg_reply "$CG_LAST" '^\.$')
why=
case $rcpt in 250*) ;; *) why="RCPT TO got '$rcpt'" ;; esac
case $data in 250*) ;; *) why="${why:+$why; }end of DATA got '$data'" ;; esac
if [ -z "$why" ]; then
	if cg_wait_delivered cg-consented 15; then
		f=$(cg_sink_find cg-consented)
		grep -Eq "^X-Consent-Gate: pass class=marketing $REF" $f ||
			why="delivered without 'X-Consent-Gate: pass class=marketing ref=...' (got: $(grep -h '^X-Consent-Gate' $f))"
	else
		why="not delivered to the sink within 15 s"
	fi
fi
if [ -z "$why" ]; then
	EVIDENCE="$EVIDENCE pass:$(ref_of "$(grep -h '^X-Consent-Gate:' $f)")"
	cg_ok "marketing to consented $A accepted and delivered with $(grep -h '^X-Consent-Gate:' $f | tr -d '\r')"
else
	cg_notok "marketing to consented $A: $why"
	show_transcript
fi

# --- 2. marketing to a recipient without a record: 550 consent.missing.
expect_refused unconsented "$B" consent.missing

# --- 3. marketing to a recipient who withdrew: 550 consent.withdrawn.
expect_refused withdrawn "$C" consent.withdrawn

# --- 4. transactional mail (not a marketing sender) to b: accepted, delivered.
cg_message "$CG_TMP/transactional.eml" transactional "$TRANSACTIONAL" "$B" cg-transactional \
	"Your order 1234 has shipped"
cg_send transactional --from "$TRANSACTIONAL" --to "$B" --data "@$CG_TMP/transactional.eml"
rcpt=$(cg_reply "$CG_LAST" "^RCPT TO:<$B>")
data=$(cg_reply "$CG_LAST" '^\.$')
why=
case $rcpt in 250*) ;; *) why="RCPT TO got '$rcpt'" ;; esac
case $data in 250*) ;; *) why="${why:+$why; }end of DATA got '$data'" ;; esac
if [ -z "$why" ] && ! cg_wait_delivered cg-transactional 15; then
	why="not delivered to the sink within 15 s"
fi
if [ -z "$why" ]; then
	cg_ok "transactional mail from $TRANSACTIONAL to $B accepted and delivered"
else
	cg_notok "transactional mail from $TRANSACTIONAL to $B: $why"
	show_transcript
fi

# --- 5. one marketing transaction to a and b: b refused at RCPT, only a delivered.
cg_message "$CG_TMP/mixed.eml" marketing "$MARKETING" "undisclosed-recipients:;" cg-mixed \
	"Autumn sale"
cg_send mixed --from "$MARKETING" --to "$A,$B" --data "@$CG_TMP/mixed.eml"
rcpt_a=$(cg_reply "$CG_LAST" "^RCPT TO:<$A>")
rcpt_b=$(cg_reply "$CG_LAST" "^RCPT TO:<$B>")
data=$(cg_reply "$CG_LAST" '^\.$')
why=
case $rcpt_a in 250*) ;; *) why="RCPT TO:<$A> got '$rcpt_a'" ;; esac
printf '%s\n' "$rcpt_b" | grep -Eq "^550 5\.7\.1 .*\(rule=consent\.missing $REF\)" ||
	why="${why:+$why; }RCPT TO:<$B> got '$rcpt_b'"
case $data in 250*) ;; *) why="${why:+$why; }end of DATA got '$data'" ;; esac
if [ -z "$why" ]; then
	if cg_wait_delivered cg-mixed 15; then
		f=$(cg_sink_find cg-mixed)
		n=$(printf '%s\n' "$f" | grep -c .)
		rcpts=$(grep -h '^X-Rcpt-Args:' $f | tr -d '\r' | tr '\n' ' ')
		[ "$n" -eq 1 ] || why="the sink holds $n copies"
		printf '%s\n' "$rcpts" | grep -q "<$A>" || why="${why:+$why; }$A not an envelope recipient"
		printf '%s\n' "$rcpts" | grep -q "<$B>" && why="${why:+$why; }$B reached the sink"
		grep -Eq "^X-Consent-Gate: pass class=marketing $REF" $f ||
			why="${why:+$why; }no X-Consent-Gate pass header"
	else
		why="not delivered to the sink within 15 s"
	fi
fi
if [ -z "$why" ]; then
	cg_ok "marketing to $A and $B in one transaction: $B refused ($rcpt_b), only $A delivered"
else
	cg_notok "marketing to $A and $B in one transaction: $why"
	show_transcript
fi

# --- 6. the milter is killed: Postfix tempfails (milter_default_action=tempfail),
#        nothing is accepted and nothing reaches the sink.
if ! cg_alive "$CG_MILTER_PID"; then
	cg_notok "consentgate was still running after the mail cases (it died; see its log)"
fi
before=$(cg_sink_count)
cg_kill_milter
cg_message "$CG_TMP/killed.eml" marketing "$MARKETING" "$A" cg-killed "Autumn sale"
cg_send killed --from "$MARKETING" --to "$A" --data "@$CG_TMP/killed.eml"
err=$(cg_first_error "$CG_LAST")
data=$(cg_reply "$CG_LAST" '^\.$')
why=
case $err in 4[0-9][0-9]\ *) ;; *) why="want a 4xx reply, got '${err:-no error reply}'" ;; esac
case $data in 250*) why="${why:+$why; }end of DATA accepted: '$data'" ;; esac
cg_wait_queue_empty 10 || why="${why:+$why; }Postfix queue not empty"
sleep 2
if [ -n "$(cg_sink_find cg-killed)" ] || [ "$(cg_sink_count)" -ne "$before" ]; then
	why="${why:+$why; }the sink received a message"
fi
if [ -z "$why" ]; then
	cg_ok "milter killed with SIGKILL: client got $err, nothing delivered"
else
	cg_notok "milter killed with SIGKILL: $why"
	show_transcript
fi

# --- 7. every ref handed out above names a stored evidence record
#        (consentctl evidence REF); skipped while consentctl has no such command.
if timeout 20 "$CG_BUILD/consentctl" -d "$CG_TMP/store" evidence 2>&1 |
	grep -q 'unknown command'; then
	cg_ok "evidence refs resolve with consentctl evidence # SKIP consentctl has no 'evidence' command yet"
elif [ -z "$EVIDENCE" ]; then
	cg_notok "evidence refs resolve with consentctl evidence: no refs collected (earlier cases failed)"
else
	why=
	for ev in $EVIDENCE; do
		rule=${ev%%:*}
		ref=${ev#*:}
		out=$CG_TMP/evidence-$ref.txt
		if ! cg_ctl evidence "$ref" >"$out" 2>&1; then
			why="${why:+$why; }consentctl evidence $ref failed: $(head -n 1 "$out")"
		elif [ "$rule" != pass ] && ! grep -q "$rule" "$out"; then
			why="${why:+$why; }evidence $ref does not mention $rule"
		fi
	done
	if [ -z "$why" ]; then
		cg_ok "evidence refs resolve with consentctl evidence:$EVIDENCE"
	else
		cg_notok "evidence refs resolve with consentctl evidence: $why"
	fi
fi

printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
