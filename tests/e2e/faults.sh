#!/bin/sh
# tests/e2e/faults.sh BUILD - the gate must never lose mail nor let any
# through unchecked, whatever happens to it (POSIX sh, run as root).
#
# 1. kill -9 while mail flows: 4 clients send 40 compliant newsletters each
#    through Postfix; the milter is killed in the middle and restarted.
#    Every message is either accepted by Postfix (and then delivered to the
#    sink carrying X-Consent-Gate with a ref whose evidence record exists)
#    or refused at the client with 4xx/5xx (and then absent from the sink).
#    Both sides are counted; the sum must be every message sent.
# 2. Postfix keeps working after the restart: a newsletter is accepted.
# 3. A full LMDB map: the evidence write fails, the client gets 451, the
#    sink gets nothing.
# 4. A store the milter's user cannot write: the daemon refuses to start
#    with a clear error and Postfix answers 4xx; nothing is accepted.
CG_HERE=$(cd "$(dirname "$0")" && pwd)
. "$CG_HERE/lib.sh"

cg_setup "$1"
cg_need postfix postconf smtp-sink swaks

set -- $(cg_free_ports 3)
SMTP_PORT=$1
SINK_PORT=$2
MILTER_PORT=$3
FROM=news@shop.example
RCPT=a@rcpt.example
STORE=$CG_TMP/store
CONF=$CG_TMP/consentgate.conf

cg_seed_store "$STORE" "$RCPT=confirmed" || { cg_notok "setup: store"; exit 1; }
cg_write_config "$CONF" "$MILTER_PORT" "$STORE"
cg_start_milter "$CONF" "$MILTER_PORT" || { cg_notok "setup: milter"; exit 1; }
cg_start_sink "$SINK_PORT" || { cg_notok "setup: sink"; exit 1; }
cg_start_postfix "$SMTP_PORT" "$SINK_PORT" "$MILTER_PORT" ||
	{ cg_notok "setup: Postfix"; exit 1; }

# client N COUNT: send COUNT messages, one line "ID CODE" each to client-N.out.
client() {
	i=1
	while [ "$i" -le "$2" ]; do
		id=fault-$1-$i
		cg_message "$CG_TMP/$id.eml" marketing "$FROM" "$RCPT" "$id" "News $id"
		timeout 60 swaks --server "127.0.0.1:$SMTP_PORT" --helo c$1.test \
			--timeout 30 --from "$FROM" --to "$RCPT" \
			--data "@$CG_TMP/$id.eml" >"$CG_TMP/$id.swaks" 2>&1 </dev/null
		code=$(cg_reply "$CG_TMP/$id.swaks" '^\.$' | cut -c1-3)
		[ -n "$code" ] || code=$(cg_first_error "$CG_TMP/$id.swaks" | cut -c1-3)
		printf '%s %s\n' "$id" "${code:-none}" >>"$CG_TMP/client-$1.out"
		rm -f "$CG_TMP/$id.eml"
		i=$((i + 1))
	done
}

# --- 1. kill -9 in the middle of the flow, then restart.
PER=40
pids=
for n in 1 2 3 4; do
	client "$n" "$PER" &
	pids="$pids $!"
done
sleep 3
cg_kill_milter
sleep 2
cg_start_milter "$CONF" "$MILTER_PORT" || cg_notok "restart of the milter"
# Only the clients: a bare wait would also wait for the milter and sink.
for p in $pids; do
	wait "$p"
done
cg_wait_queue_empty 60 || cg_say "queue not empty after 60 s"
cat "$CG_TMP"/client-*.out >"$CG_TMP/all.out"
sent=$(wc -l <"$CG_TMP/all.out" | tr -d ' ')
accepted=$(grep -c ' 250$' "$CG_TMP/all.out")
refused=$(grep -cE ' [45][0-9][0-9]$' "$CG_TMP/all.out")
other=$((sent - accepted - refused))
delivered=$(cg_sink_count)
why=
[ "$sent" -eq $((4 * PER)) ] || why="only $sent of $((4 * PER)) sends recorded"
[ "$other" -eq 0 ] || why="${why:+$why; }$other sends without a reply code"
[ "$delivered" -eq "$accepted" ] ||
	why="${why:+$why; }$accepted accepted but $delivered in the sink"
[ "$refused" -gt 0 ] || why="${why:+$why; }the kill refused nothing (too late?)"
# Every accepted message: in the sink with X-Consent-Gate and its evidence.
missing=0
noevidence=0
for id in $(grep ' 250$' "$CG_TMP/all.out" | cut -d' ' -f1); do
	f=$(cg_sink_find "$id")
	if [ -z "$f" ]; then
		missing=$((missing + 1))
		continue
	fi
	ref=$(grep -m1 '^X-Consent-Gate: pass ' $f | sed 's/.*ref=//' | tr -d '\r ')
	if [ -z "$ref" ] || ! cg_ctl evidence "$ref" >/dev/null 2>&1; then
		noevidence=$((noevidence + 1))
	fi
done
# Every refused message: absent from the sink.
leaked=0
for id in $(grep -E ' [45][0-9][0-9]$' "$CG_TMP/all.out" | cut -d' ' -f1); do
	[ -z "$(cg_sink_find "$id")" ] || leaked=$((leaked + 1))
done
[ "$missing" -eq 0 ] || why="${why:+$why; }$missing accepted messages not delivered"
[ "$noevidence" -eq 0 ] || why="${why:+$why; }$noevidence delivered without evidence"
[ "$leaked" -eq 0 ] || why="${why:+$why; }$leaked refused messages delivered"
if [ -z "$why" ]; then
	cg_ok "kill -9 during $sent sends: $accepted accepted and delivered with evidence, $refused refused at the client, 0 lost"
else
	cg_notok "kill -9 during the flow: $why"
fi
echo "# fault counts: sent=$sent accepted=$accepted refused=$refused delivered=$delivered"

# --- 2. after the restart Postfix and the gate work normally.
cg_message "$CG_TMP/after.eml" marketing "$FROM" "$RCPT" after-restart "After"
cg_send after --from "$FROM" --to "$RCPT" --data "@$CG_TMP/after.eml"
r=$(cg_reply "$CG_LAST" '^\.$')
case $r in
250*) cg_ok "after the restart a newsletter is accepted" ;;
*) cg_notok "after the restart: end of DATA got '$r'" ;;
esac

# --- 3. map full: restart with a map no larger than the data.
cg_kill_milter
size=$(stat -c %s "$STORE/data.mdb")
CONSENTGATE_MAPSIZE=$size
export CONSENTGATE_MAPSIZE
cg_start_milter "$CONF" "$MILTER_PORT" || cg_notok "start with a full map"
unset CONSENTGATE_MAPSIZE
before=$(cg_sink_count)
got=
n=0
while [ "$n" -lt 30 ]; do
	n=$((n + 1))
	cg_message "$CG_TMP/full.eml" marketing "$FROM" "$RCPT" "full-$n" "Full"
	cg_send "full-$n" --from "$FROM" --to "$RCPT" --data "@$CG_TMP/full.eml"
	r=$(cg_reply "$CG_LAST" '^\.$')
	case $r in
	250*) ;;
	*) got=$r; break ;;
	esac
done
cg_wait_queue_empty 30
acc=$(( $(cg_sink_count) - before ))
case $got in
451*) cg_ok "full map: 451 after $((n - 1)) accepted with evidence ($got)" ;;
*) cg_notok "full map: never answered 451 in $n messages (last '$got')" ;;
esac
[ "$acc" -eq $((n - 1)) ] || cg_notok "full map: $acc delivered, expected $((n - 1))"
cg_kill_milter

# --- 4. a store the milter's user cannot write.
chown -R root:root "$STORE"
chmod 0755 "$STORE"
chmod 0644 "$STORE"/*.mdb
if timeout 20 "$CG_BUILD/consentgate" -f -c "$CONF" >"$CG_TMP/ro.log" 2>&1; then
	cg_notok "read-only store: the daemon started"
else
	# Refused by the start-up check of UserID's access (ConsentDB) or
	# when the store itself is opened.
	if grep -q "cannot open consent store\|ConsentDB .*not readable, writable" "$CG_TMP/ro.log"; then
		cg_ok "read-only store: the daemon refuses to start ($(grep -m1 'cannot open\|ConsentDB' "$CG_TMP/ro.log" | cut -c1-100))"
	else
		cg_notok "read-only store: no clear error: $(head -c 200 "$CG_TMP/ro.log")"
	fi
fi
before=$(cg_sink_count)
cg_message "$CG_TMP/ro.eml" marketing "$FROM" "$RCPT" ro-store "RO"
cg_send ro --from "$FROM" --to "$RCPT" --data "@$CG_TMP/ro.eml"
r=$(cg_first_error "$CG_LAST")
case $r in
4*) cg_ok "read-only store: Postfix answers $r" ;;
*) cg_notok "read-only store: got '$r', want 4xx" ;;
esac
cg_wait_queue_empty 10
[ "$(cg_sink_count)" -eq "$before" ] || cg_notok "read-only store: a message was delivered"

printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
