#!/bin/sh
# tests/e2e/modes.sh BUILD - modes, actions and reload through a private
# Postfix (POSIX sh, run as root):
#   1. Mode monitor: an unconsented newsletter is delivered, with
#      X-Consent-Gate: would-reject rule=consent.missing.
#   2. RuleAction.consent.missing quarantine: accepted, held in Postfix's
#      hold queue (smfi_quarantine), nothing reaches the sink.
#   3. SIGHUP reload: enforce -> monitor takes effect; then a broken config
#      is refused with file:line in the log and the monitor config stays.
#   4. RequireTLS yes (miltertest, which can play a remote client with and
#      without {tls_version}).
CG_HERE=$(cd "$(dirname "$0")" && pwd)
. "$CG_HERE/lib.sh"

cg_setup "$1"
cg_need postfix postconf smtp-sink swaks miltertest

set -- $(cg_free_ports 3)
SMTP_PORT=$1
SINK_PORT=$2
MILTER_PORT=$3
FROM=news@shop.example
STORE=$CG_TMP/store
CONF=$CG_TMP/consentgate.conf

cg_seed_store "$STORE" "a@rcpt.example=confirmed" || { cg_notok "setup: store"; exit 1; }
cg_write_config "$CONF" "$MILTER_PORT" "$STORE"
sed -i "s/^Mode enforce$/Mode monitor/" "$CONF"
cg_start_milter "$CONF" "$MILTER_PORT" || { cg_notok "setup: milter"; exit 1; }
cg_start_sink "$SINK_PORT" || { cg_notok "setup: sink"; exit 1; }
cg_start_postfix "$SMTP_PORT" "$SINK_PORT" "$MILTER_PORT" ||
	{ cg_notok "setup: Postfix"; exit 1; }

# send NAME RCPT: an otherwise compliant newsletter; sets DATA_REPLY, RCPT_REPLY.
send() {
	cg_message "$CG_TMP/$1.eml" marketing "$FROM" "$2" "cg-$1" "News"
	cg_send "$1" --from "$FROM" --to "$2" --data "@$CG_TMP/$1.eml"
	RCPT_REPLY=$(cg_reply "$CG_LAST" '^RCPT TO:')
	DATA_REPLY=$(cg_reply "$CG_LAST" '^\.$')
}

# --- 1. monitor mode
send monitor b@rcpt.example
if cg_wait_delivered cg-monitor 15; then
	h=$(grep -h '^X-Consent-Gate:' $(cg_sink_find cg-monitor) | tr -d '\r')
	case $h in
	*"would-reject rule=consent.missing "*) cg_ok "monitor: delivered with '$h'" ;;
	*) cg_notok "monitor: delivered, but header is '$h'" ;;
	esac
else
	cg_notok "monitor: not delivered (RCPT '$RCPT_REPLY', DATA '$DATA_REPLY')"
fi

# --- 3a. reload: monitor -> enforce takes effect without a restart.
sed -i 's/^Mode monitor$/Mode enforce/' "$CONF"
kill -HUP "$CG_MILTER_PID"
sleep 1
send enforce b@rcpt.example
case $RCPT_REPLY in
550*rule=consent.missing*) cg_ok "reload: Mode enforce in force after SIGHUP ($RCPT_REPLY)" ;;
*) cg_notok "reload: after SIGHUP to enforce, RCPT got '$RCPT_REPLY'" ;;
esac

# --- 3b. a broken config is refused; the enforcing one stays.
printf 'Mode monitor\nNoSuchKey 1\n' >>"$CONF"
lines=$(wc -l <"$CG_MILTER_LOG")
kill -HUP "$CG_MILTER_PID"
sleep 1
if tail -n "+$((lines + 1))" "$CG_MILTER_LOG" | grep -q "consentgate.conf:[0-9]*: unknown key 'NoSuchKey'" &&
	tail -n "+$((lines + 1))" "$CG_MILTER_LOG" | grep -q "previous configuration stays"; then
	cg_ok "reload: broken config logged with file:line, previous kept"
else
	cg_notok "reload: no file:line error in the log after a broken config"
fi
send broken b@rcpt.example
case $RCPT_REPLY in
550*) cg_ok "reload: still enforcing after the broken config ($RCPT_REPLY)" ;;
*) cg_notok "reload: after the broken config RCPT got '$RCPT_REPLY'" ;;
esac
cg_alive "$CG_MILTER_PID" || cg_notok "reload: the milter died"

# --- 2. quarantine
cg_kill_milter
cg_write_config "$CONF" "$MILTER_PORT" "$STORE"
echo "RuleAction.consent.missing quarantine" >>"$CONF"
cg_start_milter "$CONF" "$MILTER_PORT" || cg_notok "quarantine: milter start"
before=$(cg_sink_count)
send quarantine b@rcpt.example
sleep 2
held=$(postqueue -c "$CG_PF_DIR/etc" -j 2>/dev/null | grep -c '"queue_name": *"hold"')
case $DATA_REPLY in
250*) ;;
*) cg_notok "quarantine: end of DATA got '$DATA_REPLY'" ;;
esac
if [ "$held" -ge 1 ] && [ "$(cg_sink_count)" -eq "$before" ]; then
	cg_ok "quarantine: accepted and held in Postfix's hold queue, not delivered"
else
	cg_notok "quarantine: held=$held, sink $(cg_sink_count) (before $before)"
fi
postsuper -c "$CG_PF_DIR/etc" -d ALL hold >/dev/null 2>&1

# --- 4. RequireTLS (miltertest plays a remote client)
cg_kill_milter
cg_write_config "$CONF" "$MILTER_PORT" "$STORE"
echo "RequireTLS yes" >>"$CONF"
cg_start_milter "$CONF" "$MILTER_PORT" || cg_notok "tls: milter start"
out=$CG_TMP/tls.out
timeout 60 miltertest -s "$CG_HERE/../miltertest/tls.lua" -D "port=$MILTER_PORT" \
	-D "libdir=$CG_HERE/../miltertest" >"$out" 2>&1
if grep -q '^PASS: ' "$out" && ! grep -q '^FAIL: ' "$out"; then
	cg_ok "tls: $(grep '^PASS: ' "$out" | sed 's/^PASS: //')"
else
	cg_notok "tls: $(grep -m1 '^FAIL: ' "$out")"
	cg_diag "$out"
fi
grep -q "rules=tls.required" "$CG_MILTER_LOG" ||
	cg_notok "tls: the log names no tls.required decision"

printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
