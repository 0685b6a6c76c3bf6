#!/bin/sh
# tests/e2e/reload.sh BUILD - SIGHUP applies every key or refuses the reload
# loudly, through a private Postfix (POSIX sh, run as root):
#   1. ConsentDB A -> B: after the reload a withdrawal written to B by
#      consentctl is honoured (550 consent.withdrawn), the decision's
#      evidence is in B, and the daemon no longer holds A open.
#   2. ConsentDB -> a directory without a store: the reload is refused with
#      the reason, nothing claims "loaded", B stays in use.
#   3. Socket (and Mode) changed: the reload is refused as a whole, the log
#      names Socket with its running and new value and asks for a restart;
#      Mode monitor did not take effect either.
CG_HERE=$(cd "$(dirname "$0")" && pwd)
. "$CG_HERE/lib.sh"

cg_setup "$1"
cg_need postfix postconf smtp-sink swaks
cg_watchdog 180

set -- $(cg_free_ports 4)
SMTP_PORT=$1
SINK_PORT=$2
MILTER_PORT=$3
OTHER_PORT=$4
FROM=news@shop.example
RCPT=r@rcpt.example
A=$CG_TMP/storeA
B=$CG_TMP/storeB
CONF=$CG_TMP/consentgate.conf

cg_seed_store "$A" "$RCPT=confirmed" || { cg_notok "setup: store A"; exit 1; }
cg_seed_store "$B" "$RCPT=confirmed" || { cg_notok "setup: store B"; exit 1; }
cg_write_config "$CONF" "$MILTER_PORT" "$A"
cg_start_milter "$CONF" "$MILTER_PORT" || { cg_notok "setup: milter"; exit 1; }
cg_start_sink "$SINK_PORT" || { cg_notok "setup: sink"; exit 1; }
cg_start_postfix "$SMTP_PORT" "$SINK_PORT" "$MILTER_PORT" ||
	{ cg_notok "setup: Postfix"; exit 1; }

# send NAME: an otherwise compliant newsletter to $RCPT; sets RCPT_REPLY.
send() {
	cg_message "$CG_TMP/$1.eml" marketing "$FROM" "$RCPT" "cg-$1" "News"
	cg_send "$1" --from "$FROM" --to "$RCPT" --data "@$CG_TMP/$1.eml"
	RCPT_REPLY=$(cg_reply "$CG_LAST" '^RCPT TO:')
}

# reload: SIGHUP, then wait (<= 10 s) for the reload's outcome in the log
# ("loaded", "refused" or "has errors"); NEWLOG holds the lines it added.
reload() {
	lines=$(wc -l <"$CG_MILTER_LOG")
	kill -HUP "$CG_MILTER_PID"
	i=0
	while [ "$i" -lt 100 ]; do
		NEWLOG=$(tail -n "+$((lines + 1))" "$CG_MILTER_LOG")
		case $NEWLOG in
		*"loaded"* | *"refused"* | *"has errors"*) break ;;
		esac
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.2
	NEWLOG=$(tail -n "+$((lines + 1))" "$CG_MILTER_LOG")
}

# --- 0. baseline: confirmed in A
send base
case $RCPT_REPLY in
250*) cg_ok "baseline: confirmed recipient accepted with store A ($RCPT_REPLY)" ;;
*) cg_notok "baseline: RCPT got '$RCPT_REPLY'" ;;
esac

# --- 1. ConsentDB A -> B
sed -i "s|^ConsentDB .*|ConsentDB $B|" "$CONF"
reload
case $NEWLOG in
*"configuration $CONF loaded"*"ConsentDB"*) cg_ok "switch: reload logged as loaded, naming ConsentDB" ;;
*) cg_notok "switch: reload log: $NEWLOG" ;;
esac
CG_STORE=$B
cg_ctl withdraw "$RCPT" >"$CG_TMP/withdraw.log" 2>&1 ||
	{ cg_notok "switch: consentctl withdraw in B failed"; cg_diag "$CG_TMP/withdraw.log"; }
send switched
case $RCPT_REPLY in
550*rule=consent.withdrawn*) cg_ok "switch: withdrawal in B honoured ($RCPT_REPLY)" ;;
*) cg_notok "switch: after ConsentDB B and a withdrawal there, RCPT got '$RCPT_REPLY'" ;;
esac
ref=$(cg_ref_of "$RCPT_REPLY")
if [ -n "$ref" ] && cg_ctl evidence "$ref" >"$CG_TMP/ev.out" 2>&1; then
	cg_ok "switch: the decision's evidence $ref is in store B"
else
	cg_notok "switch: no evidence '$ref' in store B"
	cg_diag "$CG_TMP/ev.out"
fi
if grep -q "$A/" "/proc/$CG_MILTER_PID/maps" 2>/dev/null; then
	cg_notok "switch: the daemon still maps store A"
else
	cg_ok "switch: store A is closed"
fi

# --- 2. a ConsentDB that cannot be opened: refused, B stays
mkdir -p "$CG_TMP/empty" && chown nobody:nogroup "$CG_TMP/empty"
sed -i "s|^ConsentDB .*|ConsentDB $CG_TMP/empty|" "$CONF"
reload
case $NEWLOG in
*"loaded"*) cg_notok "bad store: a failed ConsentDB still logged 'loaded': $NEWLOG" ;;
*"ConsentDB: cannot open the consent store $CG_TMP/empty"*"stays in force"*)
	cg_ok "bad store: refused with the reason, previous configuration kept" ;;
*) cg_notok "bad store: reload log: $NEWLOG" ;;
esac
send badstore
case $RCPT_REPLY in
550*rule=consent.withdrawn*) cg_ok "bad store: store B still in use ($RCPT_REPLY)" ;;
*) cg_notok "bad store: RCPT got '$RCPT_REPLY'" ;;
esac

# --- 3. Socket (and Mode) changed: refused as a whole
sed -i "s|^ConsentDB .*|ConsentDB $B|; s|^Socket .*|Socket inet:$OTHER_PORT@127.0.0.1|; s|^Mode .*|Mode monitor|" "$CONF"
reload
case $NEWLOG in
*"loaded"*) cg_notok "socket: a reload changing Socket logged 'loaded': $NEWLOG" ;;
*"Socket cannot change without a restart (running 'inet:$MILTER_PORT@127.0.0.1', file 'inet:$OTHER_PORT@127.0.0.1')"*"restart consentgate"*)
	cg_ok "socket: refused, naming Socket with both values and asking for a restart" ;;
*) cg_notok "socket: reload log: $NEWLOG" ;;
esac
send socket
case $RCPT_REPLY in
550*rule=consent.withdrawn*) cg_ok "socket: Mode monitor of the refused file not applied ($RCPT_REPLY)" ;;
*) cg_notok "socket: after the refused reload RCPT got '$RCPT_REPLY'" ;;
esac
cg_alive "$CG_MILTER_PID" || cg_notok "the milter died"

printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
