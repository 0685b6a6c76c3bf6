#!/bin/sh
# tests/e2e/demo.sh BUILD - "make demo" (POSIX sh): a private Postfix on 127.0.0.1
# with consentgate as milter and smtp-sink as the next hop, configured with
# tests/data/rules.conf; eight sample mails (fixtures of tests/data/doi and
# tests/data/marketing where they fit) and one table of what happened: consent
# (given, missing, withdrawn), a transactional mail, a clean double opt-in mail
# (delivered, with its blind copy to the archive mailbox as an envelope
# recipient), a DOI mail with an offer, a newsletter without one-click
# unsubscribe and one with a tracking pixel to a recipient without tracking
# consent (all three refused). Then one refusal is followed through
# "consentctl evidence REF" and "consentctl verify". Run as root:
#   sh tests/e2e/demo.sh build
# Everything it starts is stopped again and its temp dir removed (CG_KEEP=1 keeps it).

CG_HERE=$(cd "$(dirname "$0")" && pwd)
. "$CG_HERE/lib.sh"

DATA=$(cd "$CG_HERE/../data" && pwd)
cg_setup "$1"
cg_need postfix postconf smtp-sink swaks
cg_watchdog "${CG_TIME_LIMIT:-105}"

set -- $(cg_free_ports 3)
SMTP_PORT=$1
SINK_PORT=$2
MILTER_PORT=$3
[ -n "$MILTER_PORT" ] || cg_die "could not pick free ports on 127.0.0.1"

NEWS=newsletter@shop.example
DOI=confirm@shop.example
SHOP=orders@shop.example
ARCHIVE=doi-archive@shop.example
CONFIRMED=alice@example.net
UNKNOWN=bob@example.net
WITHDRAWN=carol@example.net
NEW=dora@example.net

START=$(date +%s)
echo "consentgate demo: swaks -> Postfix 127.0.0.1:$SMTP_PORT -> consentgate inet:$MILTER_PORT@127.0.0.1 -> smtp-sink 127.0.0.1:$SINK_PORT"
echo "config tests/data/rules.conf: newsletter $NEWS, DOI $DOI, archive $ARCHIVE"
echo "consent store: $CONFIRMED confirmed (no tracking consent), $WITHDRAWN withdrawn, $UNKNOWN and $NEW no record"
echo

cg_seed_store "$CG_TMP/store" "$CONFIRMED=confirmed" "$WITHDRAWN=withdrawn" ||
	cg_die "seeding the consent store failed"
cg_rules_config "$CG_TMP/consentgate.conf" "$MILTER_PORT" "$CG_TMP/store" "$DATA/rules.conf" ||
	cg_die "writing the config from rules.conf failed"
cg_start_milter "$CG_TMP/consentgate.conf" "$MILTER_PORT" || cg_die "consentgate did not start"
cg_start_sink "$SINK_PORT" || cg_die "smtp-sink did not start"
cg_start_postfix "$SMTP_PORT" "$SINK_PORT" "$MILTER_PORT" || cg_die "Postfix did not start"

ROWS=$CG_TMP/rows
: >"$ROWS"
UNEXPECTED=

# trim TEXT WIDTH: shorten a reply to WIDTH characters. The trailing
# "(rule=...)" is kept, because that is the part worth reading; its evidence
# ref is dropped first when the line is too long.
trim() {
	printf '%s\n' "$1" | awk -v w="$2" '{
		if (length($0) > w) sub(/ ref=[A-Za-z0-9-]+\)$/, ")")
		if (length($0) <= w) { print; exit }
		tail = ""
		if (match($0, /\(rule=[^)]*\)$/)) tail = " " substr($0, RSTART)
		if (length(tail) > w - 20) tail = ""
		print substr($0, 1, w - 3 - length(tail)) "..." tail
	}'
}

# fixture NAME SRC TO: the fixture SRC with To: TO and an X-Test-Case header.
fixture() {
	cg_fixture "$2" "$CG_TMP/$1.eml" "cg-demo-$1" "s/^To: .*/To: <$3>/" ||
		cg_die "cannot copy $2"
}

# demo NAME LABEL FROM TO EXPECT(yes|no): send $CG_TMP/NAME.eml, add a row.
demo() {
	cg_send "$1" --from "$3" --to "$4" --data "@$CG_TMP/$1.eml"
	reply=$(cg_first_error "$CG_LAST")
	[ -n "$reply" ] || reply=$(cg_reply "$CG_LAST" '^\.$')
	[ -n "$reply" ] || reply="(no reply, see $CG_LAST)"
	printf '%s\n' "$reply" >"$CG_TMP/$1.reply"
	if [ "$5" = yes ]; then
		cg_wait_delivered "cg-demo-$1" 15
	else
		cg_wait_queue_empty 10
	fi
	if [ -n "$(cg_sink_find "cg-demo-$1")" ]; then got=yes; else got=no; fi
	[ "$got" = "$5" ] || UNEXPECTED="$UNEXPECTED $1"
	printf '%s\t%s\t%s\t%s\n' "$2" "$4" "$(trim "$reply" 74)" "$got" >>"$ROWS"
}

MKT=$DATA/marketing/pass-en-spring-alt-utf8-qp.eml
fixture consented "$MKT" "$CONFIRMED"
fixture unconsented "$MKT" "$UNKNOWN"
fixture withdrawn "$MKT" "$WITHDRAWN"
cg_message "$CG_TMP/transactional.eml" transactional "$SHOP" "$UNKNOWN" cg-demo-transactional \
	'Your order 1234 has shipped'
sed -i '1i X-Consent-Class: transactional' "$CG_TMP/transactional.eml"
fixture doi "$DATA/doi/clean-en-plain-utf8-qp.eml" "$NEW"
fixture offer "$DATA/doi/adv-en-promo-code.eml" "$UNKNOWN"
fixture oneclick "$DATA/marketing/one-click-de-missing.eml" "$CONFIRMED"
fixture pixel "$DATA/marketing/tracking-de-pixel.eml" "$CONFIRMED"

demo consented "marketing, consent" "$NEWS" "$CONFIRMED" yes
demo unconsented "marketing, no record" "$NEWS" "$UNKNOWN" no
demo withdrawn "marketing, withdrawn" "$NEWS" "$WITHDRAWN" no
demo transactional "transactional" "$SHOP" "$UNKNOWN" yes
demo doi "DOI mail, clean" "$DOI" "$NEW" yes
demo offer "DOI mail with an offer" "$DOI" "$UNKNOWN" no
demo oneclick "newsletter, no 1-click" "$NEWS" "$CONFIRMED" no
demo pixel "newsletter, pixel" "$NEWS" "$CONFIRMED" no

awk -F '\t' '
	function dashes(n,  s) { s = ""; while (n-- > 0) s = s "-"; return s }
	BEGIN { fmt = "%-22s | %-17s | %-74s | %s\n" }
	NR == 1 {
		printf fmt, "case", "recipient", "SMTP reply", "delivered"
		printf "%s-+-%s-+-%s-+-%s\n", dashes(22), dashes(17), dashes(74), dashes(9)
	}
	{ printf fmt, $1, $2, $3, $4 }
' "$ROWS"

echo
for c in consented transactional doi; do
	for f in $(cg_sink_find "cg-demo-$c"); do
		printf 'at the sink, %-9s envelope %s: %s\n' "$c:" \
			"$(cg_sink_rcpts "cg-demo-$c" | sort -u | tr '\n' ' ')" \
			"$(grep -h '^X-Consent-Gate:' "$f" | tr -d '\r')"
		break
	done
done
cg_sink_rcpts cg-demo-doi | grep -qx "<$ARCHIVE>" ||
	UNEXPECTED="$UNEXPECTED doi-archive"
echo

# One refusal followed through the evidence: the DOI mail with an offer.
reply=$(cat "$CG_TMP/offer.reply")
ref=$(cg_ref_of "$reply")
echo "the DOI mail with an offer was refused with:"
printf '  %s\n' "$reply" | fold -s -w 150
echo "consentctl evidence $ref:"
if cg_ctl evidence "$ref" >"$CG_TMP/evidence.txt" 2>&1; then
	# The record is one JSON object; show the fields a reviewer reads first.
	"$CG_PY" - "$CG_TMP/evidence.txt" <<'PY' || UNEXPECTED="$UNEXPECTED evidence-json"
import json, sys
r = json.loads(open(sys.argv[1], encoding="utf-8").read())
for k in ("seq", "time", "kind", "class", "action", "sender", "recipients",
          "message_id", "rules", "sha256", "prev"):
    if k in r:
        v = str(r[k])
        print(("  %-11s %s" % (k + ":", v))[:150])
PY
else
	UNEXPECTED="$UNEXPECTED evidence"
	sed -n '1,5p' "$CG_TMP/evidence.txt" | sed 's/^/  /'
fi
printf 'consentctl verify: '
if cg_ctl verify >"$CG_TMP/verify.txt" 2>&1; then
	head -n 1 "$CG_TMP/verify.txt"
else
	UNEXPECTED="$UNEXPECTED verify"
	head -n 3 "$CG_TMP/verify.txt"
fi
echo
if [ -n "$UNEXPECTED" ]; then
	echo "unexpected result in:$UNEXPECTED"
	exit 1
fi
echo "all eight mails were handled as expected in $(($(date +%s) - START)) s; stopping Postfix, consentgate and smtp-sink."
exit 0
