#!/bin/sh
# tests/e2e/drain.sh BUILD - SIGTERM drains the milter, through a private
# Postfix (POSIX sh, run as root):
#   1. A client is in the middle of DATA when consentgate gets SIGTERM; a
#      new SMTP session opened after the signal is tempfailed by Postfix
#      (milter_default_action = tempfail), not served; the slow message then
#      finishes: 250, delivered to the sink; the daemon exits 0 soon after.
#   2. DrainTimeout bounds the wait: with DrainTimeout 2 and a client that
#      stalls, the daemon exits within the bound (plus libmilter's 5 s
#      listener check); the stalled message then gets 4xx and is not
#      delivered (the client keeps it: nothing is lost).
CG_HERE=$(cd "$(dirname "$0")" && pwd)
. "$CG_HERE/lib.sh"

cg_setup "$1"
cg_need postfix postconf smtp-sink swaks
cg_watchdog 200

set -- $(cg_free_ports 3)
SMTP_PORT=$1
SINK_PORT=$2
MILTER_PORT=$3
STORE=$CG_TMP/store
CONF=$CG_TMP/consentgate.conf

cg_seed_store "$STORE" || { cg_notok "setup: store"; exit 1; }
cg_write_config "$CONF" "$MILTER_PORT" "$STORE"
cg_start_sink "$SINK_PORT" || { cg_notok "setup: sink"; exit 1; }
cg_start_postfix "$SMTP_PORT" "$SINK_PORT" "$MILTER_PORT" ||
	{ cg_notok "setup: Postfix"; exit 1; }

# slow_client NAME: an SMTP session that sends the headers of an order
# notice, writes $CG_TMP/NAME.indata, waits (<= 60 s) for $CG_TMP/NAME.go,
# then sends the body and the final dot.  The reply to the dot goes to
# $CG_TMP/NAME.reply.
slow_client() {
	timeout 90 "$CG_PY" - "$SMTP_PORT" "$CG_TMP/$1" "cg-$1" <<'EOF' &
import os, smtplib, sys, time
port, base, marker = int(sys.argv[1]), sys.argv[2], sys.argv[3]
out = open(base + ".reply", "w")
try:
    s = smtplib.SMTP("127.0.0.1", port, timeout=80)
    s.ehlo("client.consentgate.test")
    s.mail("orders@shop.example")
    s.rcpt("a@rcpt.example")
    code, msg = s.docmd("DATA")
    if code != 354:
        out.write("%d %s\n" % (code, msg.decode()))
        sys.exit(0)
    s.send(("From: orders@shop.example\r\nTo: a@rcpt.example\r\n"
            "Subject: Your order\r\nX-Test-Case: %s\r\n\r\n" % marker).encode())
    open(base + ".indata", "w").close()
    deadline = time.time() + 60
    while not os.path.exists(base + ".go") and time.time() < deadline:
        time.sleep(0.1)
    s.send(b"Your order 1234 has shipped.\r\n.\r\n")
    code, msg = s.getreply()
    out.write("%d %s\n" % (code, msg.decode()))
    try:
        s.quit()
    except Exception:
        pass
except Exception as e:
    out.write("error %s\n" % e)
out.close()
EOF
	SLOW_PID=$!
}

# wait_file FILE SECONDS
wait_file() {
	i=0
	while [ ! -e "$1" ] && [ "$i" -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$1" ]
}

# wait_exit PID SECONDS: wait until PID is gone; sets EXIT_STATUS.
wait_exit() {
	i=0
	while cg_alive "$1" && [ "$i" -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if cg_alive "$1"; then
		EXIT_STATUS=running
		return 1
	fi
	wait "$1" 2>/dev/null
	EXIT_STATUS=$?
	return 0
}

# --- 1. drain: the message in progress finishes, new sessions are refused
cg_start_milter "$CONF" "$MILTER_PORT" || { cg_notok "setup: milter"; exit 1; }
slow_client slow
wait_file "$CG_TMP/slow.indata" 30 || cg_notok "drain: the slow client never reached DATA"
sleep 0.5
start=$(date +%s)
kill -TERM "$CG_MILTER_PID"
sleep 1
if cg_alive "$CG_MILTER_PID"; then
	cg_ok "drain: the daemon waits for the open session after SIGTERM"
else
	cg_notok "drain: the daemon exited at once on SIGTERM"
fi
# A new session after SIGTERM must not be served by the stopping daemon.
cg_message "$CG_TMP/late.eml" transactional orders@shop.example a@rcpt.example cg-late "Late order"
cg_send late --from orders@shop.example --to a@rcpt.example --data "@$CG_TMP/late.eml"
late=$(cg_first_error "$CG_LAST")
case $late in
4[0-9][0-9]*) cg_ok "drain: a new session after SIGTERM is tempfailed ($late)" ;;
*) cg_notok "drain: a new session after SIGTERM got '$late' (expected 4xx)"; cg_diag "$CG_LAST" ;;
esac
touch "$CG_TMP/slow.go"
wait "$SLOW_PID" 2>/dev/null
reply=$(cat "$CG_TMP/slow.reply" 2>/dev/null)
case $reply in
250*) cg_ok "drain: the message in progress at SIGTERM was accepted ($reply)" ;;
*) cg_notok "drain: the message in progress at SIGTERM got '$reply'" ;;
esac
if cg_wait_delivered cg-slow 20; then
	cg_ok "drain: the message in progress reached the sink"
else
	cg_notok "drain: the message in progress was not delivered"
fi
if wait_exit "$CG_MILTER_PID" 40; then
	took=$(($(date +%s) - start))
	if [ "$EXIT_STATUS" -eq 0 ] && [ "$took" -le 36 ]; then
		cg_ok "drain: the daemon exited with 0 after ${took} s (bound 30 s + 5 s)"
	else
		cg_notok "drain: the daemon exited with $EXIT_STATUS after ${took} s"
	fi
else
	cg_notok "drain: the daemon still runs 40 s after SIGTERM"
fi
CG_MILTER_PID=
[ -z "$(cg_sink_find cg-late)" ] || cg_notok "drain: the session opened after SIGTERM was delivered"
grep -q "every connection finished" "$CG_MILTER_LOG" ||
	cg_notok "drain: the log does not say the drain finished"

# --- 2. DrainTimeout bounds the wait
echo "DrainTimeout 2" >>"$CONF"
cg_start_milter "$CONF" "$MILTER_PORT" || { cg_notok "bound: milter start"; exit 1; }
slow_client stall
wait_file "$CG_TMP/stall.indata" 30 || cg_notok "bound: the stalled client never reached DATA"
sleep 0.5
start=$(date +%s)
kill -TERM "$CG_MILTER_PID"
if wait_exit "$CG_MILTER_PID" 15; then
	took=$(($(date +%s) - start))
	if [ "$took" -le 8 ]; then
		cg_ok "bound: the daemon exited (status $EXIT_STATUS) after ${took} s with DrainTimeout 2"
	else
		cg_notok "bound: the daemon needed ${took} s with DrainTimeout 2"
	fi
else
	cg_notok "bound: the daemon still runs 15 s after SIGTERM with DrainTimeout 2"
	kill -KILL "$CG_MILTER_PID" 2>/dev/null
fi
CG_MILTER_PID=
grep -q "1 connection still open after the drain" "$CG_MILTER_LOG" ||
	cg_notok "bound: the log does not say a connection was given up"
touch "$CG_TMP/stall.go"
wait "$SLOW_PID" 2>/dev/null
reply=$(cat "$CG_TMP/stall.reply" 2>/dev/null)
case $reply in
4[0-9][0-9]*) cg_ok "bound: the stalled message got a temporary failure ($reply)" ;;
*) cg_notok "bound: the stalled message got '$reply' (expected 4xx)" ;;
esac
sleep 1
[ -z "$(cg_sink_find cg-stall)" ] || cg_notok "bound: the stalled message was delivered unchecked"

printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
