#!/bin/sh
# tests/e2e/doi.sh BUILD - double opt-in mail end to end (POSIX sh): swaks ->
# private Postfix on 127.0.0.1 -> consentgate configured from
# tests/data/rules.conf (Socket, ConsentDB, UserID replaced) -> smtp-sink.
# Run as root: sh tests/e2e/doi.sh build
#
#   a. a clean DOI fixture from confirm@shop.example to new@example.org is
#      accepted; the sink holds it for new@example.org and for
#      doi-archive@shop.example as an envelope recipient; no header names the
#      archive address; consentctl show new@example.org: pending, doi_sent,
#      doi_msgid = the fixture's Message-ID.
#   b. a second DOI mail (the fixture with another Message-ID): 550 5.7.1 ...
#      (rule=doi.resend ref=...) at the end of DATA, nothing more reaches the
#      sink, the record is unchanged. (The very same mail handed over again
#      is a retry: tests/e2e/doiretry.sh.)
#   c. an advertising DOI fixture: 550 5.7.1 ... (rule=doi.advertising ref=...),
#      nothing delivered, no record created for its recipient.
#   d. consentctl verify passes; consentctl evidence REF finds every ref handed
#      out above (the pass ref, its doi-send record REF-d1, both refusals).
# Prints one "ok - ..." / "not ok - ..." line per check, exits 1 on any failure,
# 2 on usage errors. Bounded: watchdog CG_TIME_LIMIT (default 100 s).
# CG_KEEP=1 keeps the temp dir.

CG_HERE=$(cd "$(dirname "$0")" && pwd)
. "$CG_HERE/lib.sh"

DATA=$(cd "$CG_HERE/../data" && pwd)
cg_setup "$1"
cg_need postfix postconf smtp-sink swaks
cg_watchdog "${CG_TIME_LIMIT:-100}"

set -- $(cg_free_ports 3)
SMTP_PORT=$1
SINK_PORT=$2
MILTER_PORT=$3
[ -n "$MILTER_PORT" ] || cg_die "could not pick free ports on 127.0.0.1"

DOI_SENDER=confirm@shop.example
ARCHIVE=doi-archive@shop.example
NEW=new@example.org
ADV_RCPT=promo@example.org
CLEAN=$DATA/doi/clean-en-plain-utf8-qp.eml
ADV=$DATA/doi/adv-en-promo-code.eml
REF='ref=[A-Za-z0-9-]+'

setup_fail() {
	cg_notok "setup: $*"
	exit 1
}

grep -q '^X-Test-Expect: pass' "$CLEAN" || setup_fail "$CLEAN is not a passing fixture"
grep -q '^X-Test-Expect: doi.advertising' "$ADV" || setup_fail "$ADV is not a doi.advertising fixture"

cg_seed_store "$CG_TMP/store" || setup_fail "creating the consent store with consentctl"
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

# --- a. clean DOI mail to new@example.org.
MSGID=$(sed -n 's/^Message-ID: *<\([^>]*\)>.*/\1/p' "$CLEAN" | head -n 1)
cg_fixture "$CLEAN" "$CG_TMP/doi-clean.eml" cg-doi-clean "s/^To: .*/To: <$NEW>/" ||
	setup_fail "copying $CLEAN"
cg_send doi-clean --from "$DOI_SENDER" --to "$NEW" --data "@$CG_TMP/doi-clean.eml"
rcpt=$(cg_reply "$CG_LAST" "^RCPT TO:<$NEW>")
data=$(cg_reply "$CG_LAST" '^\.$')
why=
case $rcpt in 250*) ;; *) why="RCPT TO got '$rcpt'" ;; esac
case $data in 250*) ;; *) why="${why:+$why; }end of DATA got '$data'" ;; esac
files=
if [ -z "$why" ]; then
	if cg_wait_delivered cg-doi-clean 15; then
		files=$(cg_sink_find cg-doi-clean)
		grep -Eq "^X-Consent-Gate: pass class=doi $REF" $files ||
			why="delivered without 'X-Consent-Gate: pass class=doi ref=...' (got: $(grep -h '^X-Consent-Gate' $files | tr -d '\r'))"
	else
		why="not delivered to the sink within 15 s"
	fi
fi
if [ -z "$why" ]; then
	cg_ok "a. clean DOI mail to $NEW accepted ($data), delivered with $(grep -h '^X-Consent-Gate:' $files | head -n 1 | tr -d '\r')"
	PASS_REF=$(cg_ref_of "$(grep -h '^X-Consent-Gate:' $files | head -n 1)")
	[ -n "$PASS_REF" ] && EVIDENCE="$EVIDENCE pass:$PASS_REF doi-send:$PASS_REF-d1"
else
	cg_notok "a. clean DOI mail to $NEW: $why"
	show_transcript
fi

# a. envelope recipients: new@example.org and the archive address.
rcpts=$(cg_sink_rcpts cg-doi-clean | sort | tr '\n' ' ')
why=
printf '%s\n' "$rcpts" | grep -q "<$NEW>" || why="$NEW is not an envelope recipient"
printf '%s\n' "$rcpts" | grep -q "<$ARCHIVE>" || why="${why:+$why; }$ARCHIVE is not an envelope recipient"
if [ -z "$why" ]; then
	cg_ok "a. the sink got the DOI mail for envelope recipients $rcpts"
else
	cg_notok "a. envelope recipients of the DOI mail: $why (got: ${rcpts:-none})"
fi

# a. no header of any delivered copy names the archive address.
why=
hdrs=
for f in $files; do
	h=$(cg_sink_headers "$f" | grep -i "$ARCHIVE")
	[ -n "$h" ] && hdrs="$hdrs $h"
done
if [ -z "$files" ]; then
	cg_notok "a. no header names $ARCHIVE: nothing delivered"
elif [ -n "$hdrs" ]; then
	cg_notok "a. no header names $ARCHIVE: found$hdrs"
else
	cg_ok "a. no header line of the delivered message names $ARCHIVE (blind copy)"
fi

# a. the consent record: pending with the DOI send time and message-id.
cg_ctl show "$NEW" >"$CG_TMP/show-new.txt" 2>&1
why=
grep -Eq '^state: *pending' "$CG_TMP/show-new.txt" || why="state is not pending"
grep -Eq '^doi_sent: *[0-9]{4}-' "$CG_TMP/show-new.txt" || why="${why:+$why; }no doi_sent time"
grep -Fq "$MSGID" "$CG_TMP/show-new.txt" || why="${why:+$why; }message-id $MSGID not recorded"
grep -Eq '^uid: *519dde20ffb58d4b' "$CG_TMP/show-new.txt" ||
	why="${why:+$why; }uid of the confirmation link (519dde20ffb58d4b) not recorded"
if [ -z "$why" ]; then
	cg_ok "a. consentctl show $NEW: $(grep -E '^(state|uid|doi_sent|doi_msgid):' "$CG_TMP/show-new.txt" | tr '\n' ' ')"
else
	cg_notok "a. consentctl show $NEW: $why"
	cg_diag "$CG_TMP/show-new.txt"
fi
cp "$CG_TMP/show-new.txt" "$CG_TMP/show-new-a.txt"

# --- b. a second DOI mail: doi.resend, nothing more in the sink.
before=$(cg_sink_count)
cg_fixture "$CLEAN" "$CG_TMP/doi-again.eml" cg-doi-again "s/^To: .*/To: <$NEW>/" \
	"s/^Message-ID: <[^>]*>/Message-ID: <again.$MSGID>/"
cg_send doi-again --from "$DOI_SENDER" --to "$NEW" --data "@$CG_TMP/doi-again.eml"
data=$(cg_reply "$CG_LAST" '^\.$')
why=
printf '%s\n' "$data" | grep -Eq "^550 5\.7\.1 .*\(rule=doi\.resend $REF\)" ||
	why="end of DATA got '$data', want 550 5.7.1 ... (rule=doi.resend ref=...)"
cg_wait_queue_empty 10 || why="${why:+$why; }Postfix queue not empty"
sleep 1
if [ -n "$(cg_sink_find cg-doi-again)" ] || [ "$(cg_sink_count)" -ne "$before" ]; then
	why="${why:+$why; }the sink received a message"
fi
cg_ctl show "$NEW" >"$CG_TMP/show-new.txt" 2>&1
cmp -s "$CG_TMP/show-new.txt" "$CG_TMP/show-new-a.txt" ||
	why="${why:+$why; }the consent record changed"
if [ -z "$why" ]; then
	EVIDENCE="$EVIDENCE doi.resend:$(cg_ref_of "$data")"
	cg_ok "b. second DOI mail to still-pending $NEW refused: $data"
else
	cg_notok "b. second DOI mail to $NEW: $why"
	show_transcript
fi

# --- c. an advertising DOI mail: doi.advertising.
before=$(cg_sink_count)
cg_fixture "$ADV" "$CG_TMP/doi-adv.eml" cg-doi-adv "s/^To: .*/To: <$ADV_RCPT>/"
cg_send doi-adv --from "$DOI_SENDER" --to "$ADV_RCPT" --data "@$CG_TMP/doi-adv.eml"
data=$(cg_reply "$CG_LAST" '^\.$')
why=
printf '%s\n' "$data" | grep -Eq "^550 5\.7\.1 .*\(rule=doi\.advertising $REF\)" ||
	why="end of DATA got '$data', want 550 5.7.1 ... (rule=doi.advertising ref=...)"
cg_wait_queue_empty 10 || why="${why:+$why; }Postfix queue not empty"
sleep 1
if [ -n "$(cg_sink_find cg-doi-adv)" ] || [ "$(cg_sink_count)" -ne "$before" ]; then
	why="${why:+$why; }the sink received a message"
fi
if cg_ctl show "$ADV_RCPT" >"$CG_TMP/show-adv.txt" 2>&1; then
	why="${why:+$why; }a consent record was created for $ADV_RCPT: $(grep '^state:' "$CG_TMP/show-adv.txt")"
fi
if [ -z "$why" ]; then
	EVIDENCE="$EVIDENCE doi.advertising:$(cg_ref_of "$data")"
	cg_ok "c. advertising DOI mail refused: $data"
else
	cg_notok "c. advertising DOI mail: $why"
	show_transcript
fi

# --- d. the evidence chain is intact and every ref resolves.
if cg_ctl verify >"$CG_TMP/verify.txt" 2>&1; then
	cg_ok "d. consentctl verify: $(head -n 1 "$CG_TMP/verify.txt")"
else
	cg_notok "d. consentctl verify failed"
	cg_diag "$CG_TMP/verify.txt"
fi
if [ -z "$EVIDENCE" ]; then
	cg_notok "d. consentctl evidence REF: no refs collected (earlier cases failed)"
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
		else
			case $what in
			pass) grep -q "$NEW" "$out" || why="${why:+$why; }evidence $ref does not name $NEW" ;;
			doi-send)
				grep -q 'doi-send' "$out" || why="${why:+$why; }evidence $ref is not a doi-send record"
				grep -q "$NEW" "$out" || why="${why:+$why; }evidence $ref does not name $NEW"
				;;
			*) grep -q "$what" "$out" || why="${why:+$why; }evidence $ref does not mention $what" ;;
			esac
		fi
	done
	if [ -z "$why" ]; then
		cg_ok "d. consentctl evidence resolves:$EVIDENCE"
	else
		cg_notok "d. consentctl evidence: $why"
	fi
fi

if ! cg_alive "$CG_MILTER_PID"; then
	cg_notok "consentgate was still running after the cases (it died; see its log)"
fi

printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
