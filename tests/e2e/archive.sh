#!/bin/sh
# tests/e2e/archive.sh BUILD - the blind archive copy beyond DOI mail, end to
# end (POSIX sh): swaks -> private Postfix on 127.0.0.1 -> consentgate
# configured from tests/data/rules.conf plus
# "ArchiveSenders newsletter-service@shop.example" -> smtp-sink.
# Run as root: sh tests/e2e/archive.sh build
#
#   a. the withdrawal confirmation (tests/data/transactional/
#      withdrawal-de-confirmation.eml, class other) from the archived sender
#      newsletter-service@shop.example to kunde@example.org is accepted and
#      delivered with X-Consent-Gate: pass class=other; the sink holds it
#      for kunde@example.org and for doi-archive@shop.example as envelope
#      recipients, and no header line of the delivered message names the
#      archive address.
#   b. the same mail from service@shop.example (not in ArchiveSenders,
#      class other not in ArchiveClasses) is delivered to kunde@example.org
#      only: no archive recipient.
#   c. the withdrawal confirmation with the archive address in Cc:
#      550 5.7.1 ... (rule=archive.visible ref=...), nothing delivered.
# Prints one "ok - ..." / "not ok - ..." line per check, exits 1 on any
# failure, 2 on usage errors. Bounded: watchdog CG_TIME_LIMIT (default 90 s).
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

SENDER=newsletter-service@shop.example
OTHER_SENDER=service@shop.example
ARCHIVE=doi-archive@shop.example
RCPT=kunde@example.org
MAIL=$DATA/transactional/withdrawal-de-confirmation.eml
CCMAIL=$DATA/transactional/withdrawal-de-confirmation-archive-cc.eml
REF='ref=[A-Za-z0-9-]+'

setup_fail() {
	cg_notok "setup: $*"
	exit 1
}

grep -q '^X-Test-Expect: pass' "$MAIL" || setup_fail "$MAIL is not a passing fixture"
grep -q '^X-Test-Expect: archive.visible' "$CCMAIL" ||
	setup_fail "$CCMAIL is not an archive.visible fixture"

{
	cat "$DATA/rules.conf"
	printf 'ArchiveSenders %s\n' "$SENDER"
} >"$CG_TMP/rules-archive.conf"
cg_seed_store "$CG_TMP/store" || setup_fail "creating the consent store with consentctl"
cg_rules_config "$CG_TMP/consentgate.conf" "$MILTER_PORT" "$CG_TMP/store" \
	"$CG_TMP/rules-archive.conf" || setup_fail "writing the config"
cg_start_milter "$CG_TMP/consentgate.conf" "$MILTER_PORT" || setup_fail "starting consentgate"
cg_start_sink "$SINK_PORT" || setup_fail "starting smtp-sink"
cg_start_postfix "$SMTP_PORT" "$SINK_PORT" "$MILTER_PORT" || setup_fail "starting Postfix"

show_transcript() {
	grep -E '^(<[-~*]* +[0-9]{3} |  *-> (EHLO|HELO|MAIL|RCPT|DATA|QUIT|RSET)|  *-> \.$|===)' \
		"$CG_LAST" | sed 's/^/#   /'
}

# send_delivered CASE MARKER FROM: send $MAIL from FROM to $RCPT and wait
# for it in the sink; prints why not (empty: delivered, pass class=other).
send_delivered() {
	cg_fixture "$MAIL" "$CG_TMP/$1.eml" "$2" "s/^From: .*/From: <$3>/" ||
		{ echo "copying $MAIL"; return; }
	cg_send "$1" --from "$3" --to "$RCPT" --data "@$CG_TMP/$1.eml"
	sd_data=$(cg_reply "$CG_LAST" '^\.$')
	case $sd_data in 250*) ;; *) echo "end of DATA got '$sd_data'"; return ;; esac
	cg_wait_delivered "$2" 15 || { echo "not delivered within 15 s"; return; }
	grep -Eq "^X-Consent-Gate: pass class=other $REF" $(cg_sink_find "$2") ||
		echo "delivered without 'X-Consent-Gate: pass class=other ref=...'"
}

# --- a. from the archived sender: copy to the archive, envelope only.
why=$(send_delivered arch-a cg-arch-a "$SENDER")
rcpts=$(cg_sink_rcpts cg-arch-a | sort | tr '\n' ' ')
if [ -z "$why" ]; then
	printf '%s\n' "$rcpts" | grep -q "<$RCPT>" || why="$RCPT is not an envelope recipient"
	printf '%s\n' "$rcpts" | grep -q "<$ARCHIVE>" ||
		why="${why:+$why; }$ARCHIVE is not an envelope recipient"
fi
if [ -z "$why" ]; then
	cg_ok "a. withdrawal confirmation from $SENDER delivered to envelope recipients $rcpts"
else
	cg_notok "a. withdrawal confirmation from $SENDER: $why (recipients: ${rcpts:-none})"
	show_transcript
fi
hdrs=
files=$(cg_sink_find cg-arch-a)
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

# --- b. the same mail from a sender not archived: no copy.
why=$(send_delivered arch-b cg-arch-b "$OTHER_SENDER")
rcpts=$(cg_sink_rcpts cg-arch-b | sort | tr '\n' ' ')
if [ -z "$why" ]; then
	printf '%s\n' "$rcpts" | grep -q "<$RCPT>" || why="$RCPT is not an envelope recipient"
	printf '%s\n' "$rcpts" | grep -q "<$ARCHIVE>" &&
		why="${why:+$why; }$ARCHIVE got a copy of mail from an unlisted sender"
fi
if [ -z "$why" ]; then
	cg_ok "b. the same mail from $OTHER_SENDER went to $rcpts only (no archive copy)"
else
	cg_notok "b. mail from $OTHER_SENDER: $why (recipients: ${rcpts:-none})"
fi

# --- c. the archive address in Cc: archive.visible.
before=$(cg_sink_count)
cg_fixture "$CCMAIL" "$CG_TMP/arch-c.eml" cg-arch-c
cg_send arch-c --from "$SENDER" --to "$RCPT" --data "@$CG_TMP/arch-c.eml"
data=$(cg_reply "$CG_LAST" '^\.$')
why=
printf '%s\n' "$data" | grep -Eq "^550 5\.7\.1 .*\(rule=archive\.visible $REF\)" ||
	why="end of DATA got '$data', want 550 5.7.1 ... (rule=archive.visible ref=...)"
cg_wait_queue_empty 10 || why="${why:+$why; }Postfix queue not empty"
sleep 1
if [ -n "$(cg_sink_find cg-arch-c)" ] || [ "$(cg_sink_count)" -ne "$before" ]; then
	why="${why:+$why; }the sink received a message"
fi
if [ -z "$why" ]; then
	cg_ok "c. the archive address in Cc refused: $data"
else
	cg_notok "c. archive address in Cc: $why"
	show_transcript
fi

if ! cg_alive "$CG_MILTER_PID"; then
	cg_notok "consentgate was still running after the cases (it died; see its log)"
fi

printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
