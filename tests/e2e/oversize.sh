#!/bin/sh
# tests/e2e/oversize.sh BUILD - mail over MaxMessageSize end to end (POSIX sh):
# swaks -> private Postfix on 127.0.0.1 -> consentgate (rules.conf with
# MaxMessageSize 4096) -> smtp-sink.  The senders are in no sender list, so
# only the message itself can make the mail DOI mail.
#
#   a. a DOI mail whose ConfirmURL link lies after 8 KB of text: refused at the
#      end of DATA with 550 5.7.1 (rule=message.limit), nothing delivered,
#      no consent record for its recipient (it is not waved through as
#      "other", as it was when only the first MaxMessageSize bytes were read).
#   b. the same mail with a base64 body: refused the same way.
#   The milter runs with UninspectedAction tag, so a and b prove that the
#   ConfirmURL past the cut made the mail DOI mail (refused whatever the key
#   says), not merely that large mail is refused.
#   c. a large mail with no ConfirmURL anywhere (class undecided): delivered
#      with "X-Consent-Gate: tag rule=message.limit class=other", and the
#      evidence says the class was undecided and which limit was hit.
#   d. consentctl check gives the same verdicts; with the default
#      UninspectedAction (reject) it refuses mail c too.
# Prints one "ok - ..." / "not ok - ..." line per check, exits 1 on any
# failure, 2 on usage errors.  Bounded: watchdog CG_TIME_LIMIT (default 90 s).

CG_HERE=$(cd "$(dirname "$0")" && pwd)
. "$CG_HERE/lib.sh"

DATA=$(cd "$CG_HERE/../data" && pwd)
cg_setup "$1"
cg_need postfix postconf smtp-sink swaks base64
cg_watchdog "${CG_TIME_LIMIT:-90}"

set -- $(cg_free_ports 3)
SMTP_PORT=$1
SINK_PORT=$2
MILTER_PORT=$3
[ -n "$MILTER_PORT" ] || cg_die "could not pick free ports on 127.0.0.1"

SENDER=hello@unlisted.example
RCPT=big@example.org
REF='ref=[A-Za-z0-9-]+'

setup_fail() {
	cg_notok "setup: $*"
	exit 1
}

cg_seed_store "$CG_TMP/store" || setup_fail "creating the consent store"
cg_rules_config "$CG_TMP/consentgate.conf" "$MILTER_PORT" "$CG_TMP/store" "$DATA/rules.conf" ||
	setup_fail "writing the config"
printf 'MaxMessageSize 4096\n' >>"$CG_TMP/consentgate.conf"
cp "$CG_TMP/consentgate.conf" "$CG_TMP/reject.conf"
printf 'UninspectedAction tag\n' >>"$CG_TMP/consentgate.conf"
cg_start_milter "$CG_TMP/consentgate.conf" "$MILTER_PORT" || setup_fail "starting consentgate"
cg_start_sink "$SINK_PORT" || setup_fail "starting smtp-sink"
cg_start_postfix "$SMTP_PORT" "$SINK_PORT" "$MILTER_PORT" || setup_fail "starting Postfix"

# padding: 8 KB of plain lines.
padding() {
	i=0
	while [ "$i" -lt 100 ]; do
		printf 'Zeile %03d: Hier steht ein langer Text ueber unser Angebot, Absatz um Absatz.\n' "$i"
		i=$((i + 1))
	done
}

# doi_text: the body of a DOI mail whose confirmation link comes last.
doi_text() {
	printf 'Hallo,\n\nvielen Dank fuer Ihre Anmeldung zu unserem Newsletter.\n\n'
	padding
	printf '\nBitte bestaetigen Sie: https://shop.example/newsletter/confirm?uid=0f0e0d0c0b0a0908\n'
	printf 'Datenschutz: https://shop.example/datenschutz\nBeispiel Shop GmbH\nMusterstraße 1, 10115 Berlin\n'
}

# message MARK CTE BODYFILE > FILE
message() {
	printf 'X-Test-Case: %s\nFrom: Shop <%s>\nTo: <%s>\nSubject: Bitte bestaetigen\n' "$1" "$SENDER" "$RCPT"
	printf 'Message-ID: <%s@unlisted.example>\nDate: Tue, 01 Dec 2026 10:00:00 +0000\n' "$1"
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n'
	printf 'Content-Transfer-Encoding: %s\n\n' "$2"
	cat "$3"
}

doi_text >"$CG_TMP/doi.txt"
message cg-big-doi 8bit "$CG_TMP/doi.txt" >"$CG_TMP/big-doi.eml"
base64 "$CG_TMP/doi.txt" >"$CG_TMP/doi.b64"
message cg-big-doi64 base64 "$CG_TMP/doi.b64" >"$CG_TMP/big-doi64.eml"
{ printf 'Ihre Rechnung\n\n'; padding; padding; } >"$CG_TMP/other.txt"
message cg-big-other 8bit "$CG_TMP/other.txt" >"$CG_TMP/big-other.eml"

# refused CASE MARK FILE WHAT: the mail gets 550 5.7.1 rule=message.limit at
# the end of DATA and reaches no one.
refused() {
	before=$(cg_sink_count)
	cg_send "$2" --from "$SENDER" --to "$RCPT" --data "@$3"
	data=$(cg_reply "$CG_LAST" '^\.$')
	why=
	printf '%s\n' "$data" | grep -Eq "^550 5\.7\.1 .*\(rule=message\.limit[a-z.,-]* $REF\)" ||
		why="end of DATA got '$data', want 550 5.7.1 ... (rule=message.limit ref=...)"
	cg_wait_queue_empty 10 || why="${why:+$why; }Postfix queue not empty"
	sleep 0.5
	[ "$(cg_sink_count)" -eq "$before" ] || why="${why:+$why; }the sink received a message"
	if [ -z "$why" ]; then
		cg_ok "$1. $4 refused: $data"
	else
		cg_notok "$1. $4: $why"
	fi
}

refused a cg-big-doi "$CG_TMP/big-doi.eml" "DOI mail with its ConfirmURL past MaxMessageSize"
if cg_ctl show "$RCPT" >/dev/null 2>&1; then
	cg_notok "a. a consent record was created for $RCPT by a refused mail"
else
	cg_ok "a. no consent record for $RCPT (no DOI send recorded)"
fi
refused b cg-big-doi64 "$CG_TMP/big-doi64.eml" "base64 DOI mail with its ConfirmURL past MaxMessageSize"
cg_send cg-big-other --from "$SENDER" --to "$RCPT" --data "@$CG_TMP/big-other.eml"
data=$(cg_reply "$CG_LAST" '^\.$')
why=
case $data in 250*) ;; *) why="end of DATA got '$data', want 250" ;; esac
if [ -z "$why" ]; then
	if cg_wait_delivered cg-big-other 15; then
		files=$(cg_sink_find cg-big-other)
		grep -Eq "^X-Consent-Gate: tag rule=message\.limit class=other $REF" $files ||
			why="delivered without 'X-Consent-Gate: tag rule=message.limit class=other' (got: $(grep -h '^X-Consent-Gate' $files | tr -d '\r'))"
	else
		why="not delivered within 15 s"
	fi
fi
if [ -z "$why" ]; then
	cg_ok "c. large mail of undecided class delivered, marked: $(grep -h '^X-Consent-Gate' $files | tr -d '\r')"
else
	cg_notok "c. large mail of undecided class with UninspectedAction tag: $why"
fi
if cg_ctl log --rule message.limit --format json 2>/dev/null | grep 'class undecided' |
	grep -q 'MaxMessageSize (4096 bytes)'; then
	cg_ok "c. the evidence records the undecided class and the limit"
else
	cg_notok "c. the evidence of message.limit does not say the class was undecided and the limit"
	cg_ctl log --rule message.limit >"$CG_TMP/log.txt" 2>&1
	cg_diag "$CG_TMP/log.txt"
fi

# d. consentctl check: same verdicts, and UninspectedAction tag.
check() {
	"$CG_BUILD/consentctl" -c "$1" -d "$CG_TMP/store" check --from "$SENDER" --to "$RCPT" \
		--format json "$2" 2>&1
}
why=
for f in big-doi big-doi64; do
	out=$(check "$CG_TMP/consentgate.conf" "$CG_TMP/$f.eml")
	printf '%s\n' "$out" | grep -q '"message.limit"' || why="${why:+$why; }$f: no message.limit ($out)"
	printf '%s\n' "$out" | grep -q '"class": *"doi"' || why="${why:+$why; }$f: not class doi ($out)"
	printf '%s\n' "$out" | grep -q '"action": *"reject"' || why="${why:+$why; }$f: not reject ($out)"
done
out=$(check "$CG_TMP/consentgate.conf" "$CG_TMP/big-other.eml")
printf '%s\n' "$out" | grep -q '"action": *"tag"' || why="${why:+$why; }big-other with tag: $out"
out=$(check "$CG_TMP/reject.conf" "$CG_TMP/big-other.eml")
printf '%s\n' "$out" | grep -q '"action": *"reject"' || why="${why:+$why; }big-other with the default: $out"
if [ -z "$why" ]; then
	cg_ok "d. consentctl check: DOI past the cut refused as class doi; undecided mail tagged, refused by default"
else
	cg_notok "d. consentctl check: $why"
fi

cg_stop_watchdog
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
