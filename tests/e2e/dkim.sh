#!/bin/sh
# tests/e2e/dkim.sh BUILD - one-click unsubscribe that survives DKIM signing,
# with a real opendkim after the gate (POSIX sh). Run as root:
#   sh tests/e2e/dkim.sh build
#
# A private Postfix (tests/e2e/lib.sh) with smtpd_milters = the gate
# (default_action=tempfail), then opendkim signing for shop.example (its
# setup as in tests/e2e/chroot.sh). Consented marketing mail from cg_message
# carries List-Unsubscribe and List-Unsubscribe-Post.
#   0. opendkim with only "SignHeaders *,+X-Consent-Gate": the delivered
#      mail's h= lacks list-unsubscribe-post (why README gives a line).
#   a. opendkim with the lines between "# --- opendkim.conf: begin/end" in
#      README.md, verbatim: the delivered mail is signed and its h= names
#      list-unsubscribe and list-unsubscribe-post (each oversigned: twice)
#      and x-consent-gate.
#   b. a mail that arrives signed already, by a signature whose h= misses
#      List-Unsubscribe-Post: 550 5.7.1 ... (rule=unsubscribe.dkim ref=...),
#      nothing delivered.
# Prints "ok - ..." / "not ok - ..." lines, exits 1 on any failure. Bounded
# by a watchdog (CG_TIME_LIMIT, default 90 s).

CG_HERE=$(cd "$(dirname "$0")" && pwd)
. "$CG_HERE/lib.sh"

cg_setup "$1"
cg_need postfix postconf smtp-sink swaks opendkim opendkim-genkey
cg_watchdog "${CG_TIME_LIMIT:-90}"

set -- $(cg_free_ports 4)
SMTP_PORT=$1
SINK_PORT=$2
MILTER_PORT=$3
DKIM_PORT=$4
[ -n "$DKIM_PORT" ] || cg_die "could not pick free ports on 127.0.0.1"
README=$(cd "$CG_HERE/../.." && pwd)/README.md

MARKETING=news@shop.example
A=a@rcpt.example
REF='ref=[A-Za-z0-9-]+'
DKIM_PID=
DKIM_DIR=

setup_fail() {
	cg_notok "setup: $*"
	exit 1
}

stop_dkim() {
	[ -n "$DKIM_PID" ] && cg_stop_pid "$DKIM_PID" opendkim
	DKIM_PID=
}

# start_dkim LINES: opendkim signing for shop.example with LINES added to
# its config.  opendkim refuses a config or key below a directory others may
# write (/tmp), so its files live in a directory of its own under /run.
start_dkim() {
	stop_dkim
	cat >"$DKIM_DIR/opendkim.conf" <<CONF
Syslog no
Mode s
Domain shop.example
Selector cg
KeyFile $DKIM_DIR/cg.private
Socket inet:$DKIM_PORT@127.0.0.1
UserID nobody
Canonicalization relaxed/simple
$1
CONF
	opendkim -f -x "$DKIM_DIR/opendkim.conf" >>"$DKIM_DIR/opendkim.log" 2>&1 </dev/null &
	DKIM_PID=$!
	cg_wait_port "$DKIM_PORT" 10 "$DKIM_PID" ||
		{ cg_diag "$DKIM_DIR/opendkim.log" >&2; setup_fail "opendkim did not listen"; }
}

# h_of FILE: the h= tag of the (first) DKIM-Signature of a sink file,
# unfolded, lower case, one name per line.
h_of() {
	cg_sink_headers "$1" | awk '/^DKIM-Signature:/ { if (!seen) { s = $0; on = 1; seen = 1 }; next }
		on && /^[ \t]/ { s = s $0; next } { on = 0 }
		END { print s }' | tr -d ' \t' | tr 'A-Z' 'a-z' |
		sed -n 's/.*;h=\([^;]*\).*/\1/p' | tr ':' '\n'
}

# send_signed CASE: consented marketing mail; prints the h= names of the
# delivered copy (nothing when it was not delivered).
send_signed() {
	cg_message "$CG_TMP/$1.eml" marketing "$MARKETING" "$A" "cg-$1" "Autumn news"
	cg_send "$1" --from "$MARKETING" --to "$A" --data "@$CG_TMP/$1.eml"
	cg_wait_delivered "cg-$1" 20 || return 0
	h_of "$(cg_sink_find "cg-$1" | head -n 1)"
}

cg_seed_store "$CG_TMP/store" "$A=confirmed" || setup_fail "seeding the store"
cg_write_config "$CG_TMP/consentgate.conf" "$MILTER_PORT" "$CG_TMP/store"
cg_start_milter "$CG_TMP/consentgate.conf" "$MILTER_PORT" || setup_fail "starting consentgate"
cg_start_sink "$SINK_PORT" || setup_fail "starting smtp-sink"

DKIM_DIR=$(mktemp -d /run/consentgate-e2e-dkim.XXXXXX) || setup_fail "mktemp under /run"
trap 'cg_rc_keep=$?; stop_dkim; [ -n "$DKIM_DIR" ] && rm -rf "$DKIM_DIR"; (exit $cg_rc_keep); cg_cleanup' EXIT
chmod 755 "$DKIM_DIR" &&
	timeout 30 opendkim-genkey -D "$DKIM_DIR" -d shop.example -s cg >"$DKIM_DIR/genkey.log" 2>&1 &&
	chown -R nobody:nogroup "$DKIM_DIR" && chmod 600 "$DKIM_DIR/cg.private" ||
	setup_fail "opendkim-genkey"

# The README's lines, verbatim.
sed -n '/^# --- opendkim.conf: begin/,/^# --- opendkim.conf: end/p' "$README" |
	sed '1d;$d' >"$CG_TMP/readme-dkim.conf"
grep -q '^SignHeaders' "$CG_TMP/readme-dkim.conf" || setup_fail "no opendkim.conf block in $README"

# The gate first (its own default_action), opendkim after it.
CG_PF_MAIN_EXTRA="smtpd_milters = { inet:127.0.0.1:$MILTER_PORT, default_action=tempfail }, inet:127.0.0.1:$DKIM_PORT
non_smtpd_milters = \$smtpd_milters"
start_dkim "SignHeaders *,+X-Consent-Gate"
cg_start_postfix "$SMTP_PORT" "$SINK_PORT" "$MILTER_PORT" || setup_fail "starting Postfix"

# --- 0. opendkim's default list: no List-Unsubscribe-Post.
h=$(send_signed dkim-default)
if [ -z "$h" ]; then
	cg_notok "0. default SignHeaders: mail not delivered signed ($(cg_reply "$CG_LAST" '^\.$'))"
elif printf '%s\n' "$h" | grep -qx list-unsubscribe-post; then
	cg_notok "0. opendkim's default list signs List-Unsubscribe-Post already (h=$(echo $h | tr ' ' ':')); README's advice needs a look"
else
	cg_ok "0. with SignHeaders *,+X-Consent-Gate only, h= lacks list-unsubscribe-post (h=$(echo $h | tr ' ' ':'))"
fi

# --- a. the README lines: both one-click headers signed, oversigned.
start_dkim "$(cat "$CG_TMP/readme-dkim.conf")"
h=$(send_signed dkim-readme)
lu=$(printf '%s\n' "$h" | grep -cx list-unsubscribe)
lup=$(printf '%s\n' "$h" | grep -cx list-unsubscribe-post)
gate=$(printf '%s\n' "$h" | grep -cx x-consent-gate)
if [ -n "$h" ] && [ "$lu" -ge 2 ] && [ "$lup" -ge 2 ] && [ "$gate" -ge 1 ] &&
	grep -Eq "^X-Consent-Gate: pass class=marketing $REF" $(cg_sink_find cg-dkim-readme); then
	cg_ok "a. README's opendkim lines: h= covers List-Unsubscribe ($lu x) and List-Unsubscribe-Post ($lup x), X-Consent-Gate (h=$(echo $h | tr ' ' ':'))"
else
	cg_notok "a. README's opendkim lines: h=$(echo $h | tr ' ' ':') (List-Unsubscribe $lu x, -Post $lup x, X-Consent-Gate $gate x; $(cg_reply "$CG_LAST" '^\.$'))"
	cg_diag "$DKIM_DIR/opendkim.log"
fi

# --- b. a mail signed before the gate, h= without List-Unsubscribe-Post.
cg_message "$CG_TMP/presigned.eml" marketing "$MARKETING" "$A" cg-presigned "Autumn news"
{
	printf 'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=esp.example; s=s1;\n'
	printf '\th=from:to:subject:date:message-id:list-unsubscribe;\n'
	printf '\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=c2lnbmF0dXJl\n'
	cat "$CG_TMP/presigned.eml"
} >"$CG_TMP/presigned2.eml"
before=$(cg_sink_count)
cg_send presigned --from "$MARKETING" --to "$A" --data "@$CG_TMP/presigned2.eml"
data=$(cg_reply "$CG_LAST" '^\.$')
why=
printf '%s\n' "$data" | grep -Eq "^550 5\.7\.1 .*\(rule=unsubscribe\.dkim $REF\)" ||
	why="end of DATA got '$data', want 550 5.7.1 ... (rule=unsubscribe.dkim ref=...)"
cg_wait_queue_empty 10 || why="${why:+$why; }Postfix queue not empty"
sleep 1
if [ -n "$(cg_sink_find cg-presigned)" ] || [ "$(cg_sink_count)" -ne "$before" ]; then
	why="${why:+$why; }the sink received a message"
fi
if [ -z "$why" ]; then
	cg_ok "b. mail signed before the gate without List-Unsubscribe-Post refused: $data"
else
	cg_notok "b. pre-signed mail: $why"
fi

if ! cg_alive "$CG_MILTER_PID"; then
	cg_notok "consentgate was still running after the cases (it died; see its log)"
fi
cg_stop_watchdog
printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
