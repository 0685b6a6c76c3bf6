#!/bin/sh
# tests/e2e/lists.sh BUILD - consent per list end to end (POSIX sh): swaks ->
# private Postfix on 127.0.0.1 -> consentgate configured from
# tests/data/rules.conf plus ConsentList lines -> smtp-sink. Run as root:
# sh tests/e2e/lists.sh build
#
# Lists: offers (envelope sender offers@campaigns.shop.example, decided at
# RCPT), news (sender newsletter@shop.example, decided at RCPT), promo
# (List-Id <promo.shop.example>, decided at the end of the message).
#   a. anna@example.org, confirmed for "news" only, gets the newsletter.
#   b. mail mapped to "offers" is refused at RCPT with consent.scope.
#   c. mail mapped to "promo" by its List-Id is refused at the end of DATA
#      with consent.scope.
#   d. consentctl confirm --list offers: the offers mail is delivered.
#   e. consentctl withdraw --list news: the newsletter is refused at RCPT
#      (consent.withdrawn), the offers mail is still delivered; show says
#      news withdrawn, offers confirmed.
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
OFFERS=offers@campaigns.shop.example
PROMO=deals@campaigns.shop.example
ANNA=anna@example.org
COMPLIANT=$DATA/marketing/pass-en-workshop-plain-utf8-8bit.eml
REF='ref=[A-Za-z0-9-]+'

setup_fail() {
	cg_notok "setup: $*"
	exit 1
}

grep -q '^X-Test-Expect: pass' "$COMPLIANT" || setup_fail "$COMPLIANT is not a passing fixture"
cg_seed_store "$CG_TMP/store" || setup_fail "consentctl init"
cg_ctl add "$ANNA" --state confirmed --list news --ip 192.0.2.51 \
	--at 2026-01-05T10:00:00Z >>"$CG_TMP/ctl.log" 2>&1 ||
	setup_fail "consentctl add $ANNA --list news"
chown -R nobody:nogroup "$CG_STORE"
cg_rules_config "$CG_TMP/consentgate.conf" "$MILTER_PORT" "$CG_TMP/store" "$DATA/rules.conf" ||
	setup_fail "writing the config from rules.conf"
cat >>"$CG_TMP/consentgate.conf" <<EOF
ConsentList offers: sender=$OFFERS
ConsentList news: sender=$NEWS
ConsentList promo: list-id=<promo.shop.example>
EOF
cg_start_milter "$CG_TMP/consentgate.conf" "$MILTER_PORT" || setup_fail "starting consentgate"
cg_start_sink "$SINK_PORT" || setup_fail "starting smtp-sink"
cg_start_postfix "$SMTP_PORT" "$SINK_PORT" "$MILTER_PORT" || setup_fail "starting Postfix"

# mail NAME FROM [LIST-ID]: the compliant fixture to anna from FROM (and
# with that List-Id), marker cg-NAME, sent.
mail() {
	cg_fixture "$COMPLIANT" "$CG_TMP/$1.eml" "cg-$1" \
		"0,/^To: /s/^To: .*/To: <$ANNA>/" \
		"0,/^Subject: /s/^Subject: .*/Subject: Newsletter\\
List-Id: Shop <${3:-none.invalid}>/" || setup_fail "copying $COMPLIANT"
	cg_send "$1" --from "$2" --to "$ANNA" --data "@$CG_TMP/$1.eml"
}

# delivered CHECK NAME: the last mail passed RCPT and DATA and reached the sink.
delivered() {
	rcpt=$(cg_reply "$CG_LAST" "^RCPT TO:<$ANNA>")
	data=$(cg_reply "$CG_LAST" '^\.$')
	if case "$rcpt/$data" in 250*/250*) true ;; *) false ;; esac &&
		cg_wait_delivered "cg-$2" 15; then
		cg_ok "$1 delivered"
	else
		cg_notok "$1: RCPT '$rcpt', end of DATA '$data'"
	fi
}

# refused CHECK NAME STAGE RULE: the last mail got 550 naming RULE at STAGE
# (rcpt or data) and nothing reached the sink.
refused() {
	if [ "$3" = rcpt ]; then
		reply=$(cg_reply "$CG_LAST" "^RCPT TO:<$ANNA>")
	else
		reply=$(cg_reply "$CG_LAST" '^\.$')
	fi
	why=
	printf '%s\n' "$reply" | grep -Eq "^550 5\.7\.1 .*\(rule=$4 $REF\)" ||
		why="$3 got '$reply', want 550 5.7.1 ... (rule=$4 ref=...)"
	cg_wait_queue_empty 10 || why="${why:+$why; }Postfix queue not empty"
	[ -z "$(cg_sink_find "cg-$2")" ] || why="${why:+$why; }the sink received it"
	if [ -z "$why" ]; then
		cg_ok "$1 refused: $reply"
	else
		cg_notok "$1: $why"
		cg_diag "$CG_LAST"
	fi
}

# --- a. news mail to a subscriber of news.
mail news-1 "$NEWS"
delivered "a. newsletter (list news) to $ANNA (news)" news-1

# --- b. offers mail, decided by the envelope at RCPT.
mail offers-1 "$OFFERS"
refused "b. offers mail to $ANNA (news only) at RCPT" offers-1 rcpt 'consent\.scope'

# --- c. promo mail, decided by its List-Id at the end of the message.
mail promo-1 "$PROMO" promo.shop.example
refused "c. promo mail (List-Id) to $ANNA at end of DATA" promo-1 data 'consent\.scope'

# --- d. confirmed for offers as well.
cg_ctl confirm "$ANNA" --list offers --ip 192.0.2.52 >"$CG_TMP/confirm.out" 2>&1 ||
	cg_notok "d. consentctl confirm --list offers: $(cat "$CG_TMP/confirm.out")"
mail offers-2 "$OFFERS"
delivered "d. offers mail after confirm --list offers" offers-2

# --- e. withdrawn from news only.
cg_ctl withdraw "$ANNA" --list news >"$CG_TMP/withdraw.out" 2>&1 ||
	cg_notok "e. consentctl withdraw --list news: $(cat "$CG_TMP/withdraw.out")"
mail news-2 "$NEWS"
refused "e. newsletter after withdraw --list news at RCPT" news-2 rcpt 'consent\.withdrawn'
mail offers-3 "$OFFERS"
delivered "e. offers mail after withdraw --list news" offers-3
cg_ctl show "$ANNA" >"$CG_TMP/show.txt" 2>&1
if grep -q '^state: confirmed$' "$CG_TMP/show.txt" &&
	grep -q '^list: news withdrawn ' "$CG_TMP/show.txt" &&
	grep -q '^list: offers confirmed ' "$CG_TMP/show.txt"; then
	cg_ok "e. show: news withdrawn, offers confirmed"
else
	cg_notok "e. consentctl show"
	cg_diag "$CG_TMP/show.txt"
fi

if ! cg_alive "$CG_MILTER_PID"; then
	cg_notok "consentgate was still running after the cases (it died; see its log)"
fi

printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
