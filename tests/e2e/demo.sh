#!/bin/sh
# tests/e2e/demo.sh BUILD - "make demo" (POSIX sh): a private Postfix on 127.0.0.1
# with consentgate as milter and smtp-sink as the next hop; four sample mails and
# one table of what happened. Run as root: sh tests/e2e/demo.sh build
# Everything it starts is stopped again and its temp dir removed (CG_KEEP=1 keeps it).

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
CONFIRMED=alice@example.net
UNKNOWN=bob@example.net
WITHDRAWN=carol@example.net

echo "consentgate demo: swaks -> Postfix 127.0.0.1:$SMTP_PORT -> consentgate inet:$MILTER_PORT@127.0.0.1 -> smtp-sink 127.0.0.1:$SINK_PORT"
echo "consent store: $CONFIRMED confirmed, $WITHDRAWN withdrawn, $UNKNOWN no record"
echo "marketing sender: $MARKETING; transactional sender: $TRANSACTIONAL"
echo

cg_seed_store "$CG_TMP/store" "$CONFIRMED=confirmed" "$WITHDRAWN=withdrawn" ||
	cg_die "seeding the consent store failed"
cg_write_config "$CG_TMP/consentgate.conf" "$MILTER_PORT" "$CG_TMP/store"
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

# demo NAME LABEL KIND FROM TO EXPECT(yes|no)
demo() {
	cg_message "$CG_TMP/$1.eml" "$3" "$4" "$5" "cg-demo-$1" \
		"$([ "$3" = marketing ] && echo 'Autumn sale' || echo 'Your order 1234 has shipped')"
	cg_send "$1" --from "$4" --to "$5" --data "@$CG_TMP/$1.eml"
	reply=$(cg_first_error "$CG_LAST")
	[ -n "$reply" ] || reply=$(cg_reply "$CG_LAST" '^\.$')
	[ -n "$reply" ] || reply="(no reply, see $CG_LAST)"
	if [ "$6" = yes ]; then
		cg_wait_delivered "cg-demo-$1" 15
	else
		cg_wait_queue_empty 10
	fi
	if [ -n "$(cg_sink_find "cg-demo-$1")" ]; then got=yes; else got=no; fi
	[ "$got" = "$6" ] || UNEXPECTED="$UNEXPECTED $1"
	printf '%s\t%s\t%s\t%s\n' "$2" "$5" "$(trim "$reply" 78)" "$got" >>"$ROWS"
}

demo consented "consented marketing" marketing "$MARKETING" "$CONFIRMED" yes
demo unconsented "unconsented marketing" marketing "$MARKETING" "$UNKNOWN" no
demo withdrawn "withdrawn marketing" marketing "$MARKETING" "$WITHDRAWN" no
demo transactional "transactional" transactional "$TRANSACTIONAL" "$UNKNOWN" yes

awk -F '\t' '
	function dashes(n,  s) { s = ""; while (n-- > 0) s = s "-"; return s }
	BEGIN { fmt = "%-22s | %-18s | %-78s | %s\n" }
	NR == 1 {
		printf fmt, "case", "recipient", "SMTP reply", "delivered to sink"
		printf "%s-+-%s-+-%s-+-%s\n", dashes(22), dashes(18), dashes(78), dashes(17)
	}
	{ printf fmt, $1, $2, $3, $4 }
' "$ROWS"

echo
for f in $(cg_sink_find cg-demo-consented) $(cg_sink_find cg-demo-transactional); do
	printf 'at the sink, %s: %s\n' "$(grep -h '^X-Rcpt-Args:' "$f" | sed 's/^X-Rcpt-Args: //; s/ .*//')" \
		"$(grep -h '^X-Consent-Gate:' "$f" | tr -d '\r' || true)"
done
echo
if [ -n "$UNEXPECTED" ]; then
	echo "unexpected delivery result in:$UNEXPECTED"
	exit 1
fi
echo "all four mails were handled as expected; stopping Postfix, consentgate and smtp-sink."
exit 0
