#!/bin/sh
# tests/e2e/marketing.sh BUILD - marketing mail and inbound withdrawals end to
# end (POSIX sh): swaks -> private Postfix on 127.0.0.1 -> consentgate
# configured from tests/data/rules.conf (Socket, ConsentDB, UserID replaced)
# -> smtp-sink. Run as root: sh tests/e2e/marketing.sh build
#
#   a. a compliant newsletter fixture from newsletter@shop.example to a
#      confirmed recipient: accepted, delivered, X-Consent-Gate: pass.
#   b. the same without List-Unsubscribe-Post: 550 ... rule=unsubscribe.one-click.
#   c. a newsletter with the recipients in Cc: 550 ... rule=exposure.recipients.
#   d. a 1x1 tracking pixel to a recipient without tracking consent: 550 ...
#      rule=tracking.no-consent; to one added with consentctl add --tracking yes
#      while the gate runs: delivered.
#   e. kunde2@example.org (confirmed, uid u-77) mails unsubscribe+u-77@shop.example:
#      accepted; consentctl show says withdrawn; the newsletter to kunde2 is
#      refused at RCPT with rule=consent.withdrawn. kunde3@example.org mails plain
#      unsubscribe@shop.example: withdrawn too, newsletter refused at RCPT.
#   f. consentctl verify passes; consentctl evidence REF finds every ref.
# Prints one "ok - ..." / "not ok - ..." line per check, exits 1 on any failure,
# 2 on usage errors. Bounded: watchdog CG_TIME_LIMIT (default 110 s).
# CG_KEEP=1 keeps the temp dir.

CG_HERE=$(cd "$(dirname "$0")" && pwd)
. "$CG_HERE/lib.sh"

DATA=$(cd "$CG_HERE/../data" && pwd)
cg_setup "$1"
cg_need postfix postconf smtp-sink swaks
cg_watchdog "${CG_TIME_LIMIT:-110}"

set -- $(cg_free_ports 3)
SMTP_PORT=$1
SINK_PORT=$2
MILTER_PORT=$3
[ -n "$MILTER_PORT" ] || cg_die "could not pick free ports on 127.0.0.1"

NEWS=newsletter@shop.example
KUNDE=kunde@example.org
CC1=b.meyer@example.net
CC2=c.wolf@example.com
CC3=dana@example.org
PIXEL=pixel@example.org
TRACKER=tracker@example.org
KUNDE2=kunde2@example.org
KUNDE3=kunde3@example.org
UNSUB=unsubscribe@shop.example
COMPLIANT=$DATA/marketing/pass-en-workshop-plain-utf8-8bit.eml
EXPOSURE=$DATA/marketing/exposure-de-cc.eml
TRACKING=$DATA/marketing/tracking-de-pixel.eml
REF='ref=[A-Za-z0-9-]+'

setup_fail() {
	cg_notok "setup: $*"
	exit 1
}

grep -q '^X-Test-Expect: pass' "$COMPLIANT" || setup_fail "$COMPLIANT is not a passing fixture"
grep -q '^List-Unsubscribe-Post:' "$COMPLIANT" || setup_fail "$COMPLIANT has no List-Unsubscribe-Post"
grep -q '^X-Test-Expect: exposure.recipients' "$EXPOSURE" || setup_fail "$EXPOSURE is not an exposure fixture"
grep -q '^X-Test-Expect: tracking.no-consent' "$TRACKING" || setup_fail "$TRACKING is not a tracking fixture"

cg_seed_store "$CG_TMP/store" "$KUNDE=confirmed" "$CC1=confirmed" "$CC2=confirmed" \
	"$CC3=confirmed" "$PIXEL=confirmed" "$KUNDE3=confirmed" ||
	setup_fail "seeding the consent store with consentctl"
cg_ctl add "$KUNDE2" --state confirmed --uid u-77 --source e2e >>"$CG_TMP/ctl.log" 2>&1 ||
	setup_fail "consentctl add $KUNDE2 --uid u-77"
# A CRM uid with capitals, and a second uid withdrawn by the same mail.
cg_ctl add kunde4@example.org --state confirmed --uid U-AbC9 --source e2e >>"$CG_TMP/ctl.log" 2>&1 ||
	setup_fail "consentctl add kunde4 --uid U-AbC9"
cg_ctl add kunde5@example.org --state confirmed --uid u-88 --source e2e >>"$CG_TMP/ctl.log" 2>&1 ||
	setup_fail "consentctl add kunde5 --uid u-88"
cg_rules_config "$CG_TMP/consentgate.conf" "$MILTER_PORT" "$CG_TMP/store" "$DATA/rules.conf" ||
	setup_fail "writing the config from rules.conf"
cg_start_milter "$CG_TMP/consentgate.conf" "$MILTER_PORT" || setup_fail "starting consentgate"
cg_start_sink "$SINK_PORT" || setup_fail "starting smtp-sink"
cg_start_postfix "$SMTP_PORT" "$SINK_PORT" "$MILTER_PORT" || setup_fail "starting Postfix"

show_transcript() {
	grep -E '^(<[-~*]* +[0-9]{3} |  *-> (EHLO|HELO|MAIL|RCPT|DATA|QUIT|RSET)|  *-> \.$|===)' \
		"$CG_LAST" | sed 's/^/#   /'
}

EVIDENCE=

# newsletter FIXTURE NAME RCPT [SED-EXPR...]: the fixture as NAME.eml with
# To: <RCPT> and marker cg-NAME (plus the extra sed expressions).
newsletter() {
	nl_src=$1
	nl_name=$2
	nl_rcpt=$3
	shift 3
	cg_fixture "$nl_src" "$CG_TMP/$nl_name.eml" "cg-$nl_name" \
		"0,/^To: /s/^To: .*/To: <$nl_rcpt>/" "$@" ||
		setup_fail "copying $nl_src"
}

# expect_delivered NAME WHAT RCPT...: every RCPT and the end of DATA got 250,
# the sink holds the message with each RCPT as envelope recipient and the
# header X-Consent-Gate: pass class=marketing ref=...
expect_delivered() {
	ed_name=$1
	ed_what=$2
	shift 2
	why=
	for ed_r in "$@"; do
		rcpt=$(cg_reply "$CG_LAST" "^RCPT TO:<$ed_r>")
		case $rcpt in 250*) ;; *) why="${why:+$why; }RCPT TO:<$ed_r> got '$rcpt'" ;; esac
	done
	data=$(cg_reply "$CG_LAST" '^\.$')
	case $data in 250*) ;; *) why="${why:+$why; }end of DATA got '$data'" ;; esac
	if [ -z "$why" ]; then
		if cg_wait_delivered "cg-$ed_name" 15; then
			f=$(cg_sink_find "cg-$ed_name")
			hdr=$(grep -h '^X-Consent-Gate:' $f | head -n 1 | tr -d '\r')
			printf '%s\n' "$hdr" | grep -Eq "^X-Consent-Gate: pass class=marketing $REF" ||
				why="delivered without 'X-Consent-Gate: pass class=marketing ref=...' (got: $hdr)"
			rcpts=$(cg_sink_rcpts "cg-$ed_name" | tr '\n' ' ')
			for ed_r in "$@"; do
				printf '%s\n' "$rcpts" | grep -q "<$ed_r>" ||
					why="${why:+$why; }$ed_r is not an envelope recipient in the sink (got: $rcpts)"
			done
		else
			why="not delivered to the sink within 15 s"
		fi
	fi
	if [ -z "$why" ]; then
		EVIDENCE="$EVIDENCE pass:$(cg_ref_of "$hdr")"
		cg_ok "$ed_what: delivered with $hdr"
	else
		cg_notok "$ed_what: $why"
		show_transcript
	fi
}

# expect_refused_eod NAME WHAT RULE RCPT...: every RCPT got 250, the end of DATA
# 550 5.7.1 ... (rule=RULE ref=...), nothing reached the sink.
expect_refused_eod() {
	er_name=$1
	er_what=$2
	er_rule=$3
	shift 3
	why=
	for er_r in "$@"; do
		rcpt=$(cg_reply "$CG_LAST" "^RCPT TO:<$er_r>")
		case $rcpt in 250*) ;; *) why="${why:+$why; }RCPT TO:<$er_r> got '$rcpt'" ;; esac
	done
	data=$(cg_reply "$CG_LAST" '^\.$')
	printf '%s\n' "$data" | grep -Eq "^550 5\.7\.1 .*\(rule=$er_rule $REF\)" ||
		why="${why:+$why; }end of DATA got '$data', want 550 5.7.1 ... (rule=$er_rule ref=...)"
	cg_wait_queue_empty 10 || why="${why:+$why; }Postfix queue not empty"
	sleep 1
	if [ -n "$(cg_sink_find "cg-$er_name")" ] || [ "$(cg_sink_count)" -ne "$before" ]; then
		why="${why:+$why; }the sink received a message"
	fi
	if [ -z "$why" ]; then
		EVIDENCE="$EVIDENCE $er_rule:$(cg_ref_of "$data")"
		cg_ok "$er_what: $data"
	else
		cg_notok "$er_what: $why"
		show_transcript
	fi
}

# expect_refused_rcpt NAME WHAT RULE RCPT: RCPT TO:<RCPT> got 550 5.7.1 ...
# (rule=RULE ref=...), nothing reached the sink.
expect_refused_rcpt() {
	rr_name=$1
	rr_what=$2
	rr_rule=$3
	rr_r=$4
	why=
	rcpt=$(cg_reply "$CG_LAST" "^RCPT TO:<$rr_r>")
	printf '%s\n' "$rcpt" | grep -Eq "^550 5\.7\.1 .*\(rule=$rr_rule $REF\)" ||
		why="RCPT TO:<$rr_r> got '$rcpt', want 550 5.7.1 ... (rule=$rr_rule ref=...)"
	cg_wait_queue_empty 10 || why="${why:+$why; }Postfix queue not empty"
	sleep 1
	if [ -n "$(cg_sink_find "cg-$rr_name")" ] || [ "$(cg_sink_count)" -ne "$before" ]; then
		why="${why:+$why; }the sink received a message"
	fi
	if [ -z "$why" ]; then
		EVIDENCE="$EVIDENCE $rr_rule:$(cg_ref_of "$rcpt")"
		cg_ok "$rr_what: $rcpt"
	else
		cg_notok "$rr_what: $why"
		show_transcript
	fi
}

# --- a. compliant newsletter to a confirmed recipient.
newsletter "$COMPLIANT" compliant "$KUNDE"
cg_send compliant --from "$NEWS" --to "$KUNDE" --data "@$CG_TMP/compliant.eml"
expect_delivered compliant "a. compliant newsletter to confirmed $KUNDE" "$KUNDE"

# --- b. the same without List-Unsubscribe-Post.
before=$(cg_sink_count)
newsletter "$COMPLIANT" no-oneclick "$KUNDE" '/^List-Unsubscribe-Post:/d'
if grep -q '^List-Unsubscribe-Post:' "$CG_TMP/no-oneclick.eml"; then
	setup_fail "could not remove List-Unsubscribe-Post"
fi
cg_send no-oneclick --from "$NEWS" --to "$KUNDE" --data "@$CG_TMP/no-oneclick.eml"
expect_refused_eod no-oneclick "b. the newsletter without List-Unsubscribe-Post refused" \
	unsubscribe.one-click "$KUNDE"

# --- c. recipients in Cc (all four confirmed, so only the exposure decides).
before=$(cg_sink_count)
cg_fixture "$EXPOSURE" "$CG_TMP/cc.eml" cg-cc || setup_fail "copying $EXPOSURE"
cg_send cc --from "$NEWS" --to "$KUNDE,$CC1,$CC2,$CC3" --data "@$CG_TMP/cc.eml"
expect_refused_eod cc "c. newsletter with the recipients in Cc refused" \
	exposure.recipients "$KUNDE" "$CC1" "$CC2" "$CC3"

# --- d. 1x1 tracking pixel: refused without tracking consent ...
before=$(cg_sink_count)
newsletter "$TRACKING" pixel "$PIXEL"
cg_send pixel --from "$NEWS" --to "$PIXEL" --data "@$CG_TMP/pixel.eml"
expect_refused_eod pixel "d. tracking pixel to $PIXEL without tracking consent refused" \
	tracking.no-consent "$PIXEL"

# ... and delivered to a recipient added with tracking consent while the gate runs.
if cg_ctl add "$TRACKER" --state confirmed --tracking yes >"$CG_TMP/add-tracker.txt" 2>&1; then
	newsletter "$TRACKING" pixel-ok "$TRACKER"
	cg_send pixel-ok --from "$NEWS" --to "$TRACKER" --data "@$CG_TMP/pixel-ok.eml"
	expect_delivered pixel-ok "d. tracking pixel to $TRACKER with tracking consent (consentctl add --tracking yes)" "$TRACKER"
else
	cg_notok "d. consentctl add $TRACKER --state confirmed --tracking yes failed: $(head -n 1 "$CG_TMP/add-tracker.txt")"
fi

# withdraw_mail NAME FROM TO: a plain withdrawal mail (accepted and delivered,
# class other) and the record of FROM afterwards.
withdraw_mail() {
	wm_name=$1
	wm_from=$2
	wm_to=$3
	cat >"$CG_TMP/$wm_name.eml" <<EOF
From: Kundin <$wm_from>
To: <$wm_to>
Subject: Abmelden / unsubscribe
Date: %DATE%
Message-ID: <cg-$wm_name.%MESSAGEID%>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit
X-Test-Case: cg-$wm_name

Bitte melden Sie mich vom Newsletter ab.
Please unsubscribe me.
EOF
	cg_send "$wm_name" --from "$wm_from" --to "$wm_to" --data "@$CG_TMP/$wm_name.eml"
	rcpt=$(cg_reply "$CG_LAST" "^RCPT TO:<$(printf '%s' "$wm_to" | sed 's/[].+*?^$()|[]/\\&/g')>")
	data=$(cg_reply "$CG_LAST" '^\.$')
	why=
	case $rcpt in 250*) ;; *) why="RCPT TO got '$rcpt'" ;; esac
	case $data in 250*) ;; *) why="${why:+$why; }end of DATA got '$data'" ;; esac
	hdr=
	if [ -z "$why" ]; then
		if cg_wait_delivered "cg-$wm_name" 15; then
			hdr=$(grep -h '^X-Consent-Gate:' $(cg_sink_find "cg-$wm_name") | head -n 1 | tr -d '\r')
		else
			why="not delivered to the sink within 15 s"
		fi
	fi
	if [ -z "$why" ]; then
		wref=$(cg_ref_of "$hdr")
		[ -n "$wref" ] && EVIDENCE="$EVIDENCE withdrawal:$wref-w1"
		cg_ok "e. mail from $wm_from to $wm_to accepted and delivered ($hdr)"
	else
		cg_notok "e. mail from $wm_from to $wm_to: $why"
		show_transcript
	fi
	cg_ctl show "$wm_from" >"$CG_TMP/show-$wm_name.txt" 2>&1
	why=
	grep -Eq '^state: *withdrawn' "$CG_TMP/show-$wm_name.txt" ||
		why="state is $(sed -n 's/^state: *//p' "$CG_TMP/show-$wm_name.txt")"
	grep -Eq '^withdrawn: *[0-9]{4}-' "$CG_TMP/show-$wm_name.txt" ||
		why="${why:+$why; }no withdrawal time"
	if [ -z "$why" ]; then
		cg_ok "e. consentctl show $wm_from: $(grep -E '^(state|uid|withdrawn):' "$CG_TMP/show-$wm_name.txt" | tr '\n' ' ')"
	else
		cg_notok "e. consentctl show $wm_from after the mail to $wm_to: $why"
		cg_diag "$CG_TMP/show-$wm_name.txt"
	fi
}

# --- e. withdrawal by mail to unsubscribe+UID@, then the newsletter is refused.
withdraw_mail unsub-uid "$KUNDE2" "unsubscribe+u-77@shop.example"
before=$(cg_sink_count)
newsletter "$COMPLIANT" after-unsub-uid "$KUNDE2"
cg_send after-unsub-uid --from "$NEWS" --to "$KUNDE2" --data "@$CG_TMP/after-unsub-uid.eml"
expect_refused_rcpt after-unsub-uid "e. newsletter to $KUNDE2 after the withdrawal refused at RCPT" \
	consent.withdrawn "$KUNDE2"

# ... and by mail to the plain address from the subscriber itself.
withdraw_mail unsub-plain "$KUNDE3" "$UNSUB"
before=$(cg_sink_count)
newsletter "$COMPLIANT" after-unsub-plain "$KUNDE3"
cg_send after-unsub-plain --from "$NEWS" --to "$KUNDE3" --data "@$CG_TMP/after-unsub-plain.eml"
expect_refused_rcpt after-unsub-plain "e. newsletter to $KUNDE3 after the withdrawal refused at RCPT" \
	consent.withdrawn "$KUNDE3"

# ... and one mail to two +uid forms withdraws both uids, capitals kept.
cat >"$CG_TMP/unsub-two.eml" <<EOF
From: Anna <someone@example.org>
To: <unsubscribe@shop.example>
Subject: unsubscribe
Date: %DATE%
Message-ID: <cg-unsub-two.%MESSAGEID%>
X-Test-Case: cg-unsub-two

Please unsubscribe both.
EOF
cg_send unsub-two --from someone@example.org \
	--to "unsubscribe+U-AbC9@shop.example,unsubscribe+u-88@shop.example" \
	--data "@$CG_TMP/unsub-two.eml"
data=$(cg_reply "$CG_LAST" '^\.$')
s4=$(cg_ctl show kunde4@example.org 2>&1 | sed -n 's/^state: *//p')
s5=$(cg_ctl show kunde5@example.org 2>&1 | sed -n 's/^state: *//p')
case "$data/$s4/$s5" in
250*/withdrawn/withdrawn) cg_ok "e. one mail to unsubscribe+U-AbC9@ and unsubscribe+u-88@ withdrew both ($data)" ;;
*) cg_notok "e. mail to two +uid forms: end of DATA '$data', kunde4 $s4, kunde5 $s5 (want withdrawn, withdrawn)" ;;
esac

# --- f. the evidence chain is intact and every ref resolves.
if cg_ctl verify >"$CG_TMP/verify.txt" 2>&1; then
	cg_ok "f. consentctl verify: $(head -n 1 "$CG_TMP/verify.txt")"
else
	cg_notok "f. consentctl verify failed"
	cg_diag "$CG_TMP/verify.txt"
fi
if [ -z "$EVIDENCE" ]; then
	cg_notok "f. consentctl evidence REF: no refs collected (earlier cases failed)"
else
	why=
	for ev in $EVIDENCE; do
		what=${ev%%:*}
		ref=${ev#*:}
		out=$CG_TMP/evidence-$ref.txt
		if [ -z "$ref" ]; then
			why="${why:+$why; }no ref for $what"
		elif ! cg_ctl evidence "$ref" >"$out" 2>&1; then
			why="${why:+$why; }consentctl evidence $ref failed: $(head -n 1 "$out")"
		elif [ "$what" != pass ] && ! grep -q "$what" "$out"; then
			why="${why:+$why; }evidence $ref does not mention $what"
		fi
	done
	if [ -z "$why" ]; then
		cg_ok "f. consentctl evidence resolves:$EVIDENCE"
	else
		cg_notok "f. consentctl evidence: $why"
	fi
fi

if ! cg_alive "$CG_MILTER_PID"; then
	cg_notok "consentgate was still running after the cases (it died; see its log)"
fi

printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
