#!/bin/sh
# tests/e2e/rcpt-refusals.sh BUILD - refusals the MTA can carry out, through a
# private Postfix with its default smtpd error limits (POSIX sh, run as root):
#   1. sendmail(1) to a consented (a1) and an unconsented (b) recipient: the
#      gate refuses no recipient of a local submission (Postfix would defer
#      the whole message and retry it from the maildrop without end); it
#      refuses the whole message at end of message, Postfix bounces it to the
#      submitter (the bounce reaches the sink naming rule=consent.missing and
#      b), the queue empties, and the gate wrote exactly one decision record
#      for it (no record per retry).
#   2. sendmail(1) to consented recipients only: delivered with
#      X-Consent-Gate: pass.
#   3. One SMTP transaction to 30 unconsented and 5 consented recipients:
#      no 421 (Postfix's smtpd_hard_error_limit is 20); the first 9
#      unconsented get 550 at RCPT (RcptRefusalLimit 9), the others are
#      accepted and the message gets 451 4.5.3 at end of data. A client that
#      sends again to the recipients not yet refused, as an SMTP client does,
#      converges within 5 rounds: the 5 consented recipients get the mail
#      once, every unconsented one got 550 exactly once and none got it;
#      every refusal has an evidence record.
# One "ok - ..." or "not ok - ..." per check; exit 1 if any failed. Bounded:
# the watchdog stops the run after CG_TIME_LIMIT (150) s.
CG_HERE=$(cd "$(dirname "$0")" && pwd)
. "$CG_HERE/lib.sh"

cg_setup "$1"
cg_need postfix postconf sendmail smtp-sink
cg_watchdog "${CG_TIME_LIMIT:-150}"

set -- $(cg_free_ports 3)
SMTP_PORT=$1
SINK_PORT=$2
MILTER_PORT=$3
FROM=news@shop.example
STORE=$CG_TMP/store
CONF=$CG_TMP/consentgate.conf

cg_seed_store "$STORE" a1@rcpt.example=confirmed a2@rcpt.example=confirmed \
	a3@rcpt.example=confirmed a4@rcpt.example=confirmed \
	a5@rcpt.example=confirmed || { cg_notok "setup: store"; exit 1; }
cg_write_config "$CONF" "$MILTER_PORT" "$STORE"
cg_start_milter "$CONF" "$MILTER_PORT" || { cg_notok "setup: milter"; exit 1; }
cg_start_sink "$SINK_PORT" || { cg_notok "setup: sink"; exit 1; }
cg_start_postfix "$SMTP_PORT" "$SINK_PORT" "$MILTER_PORT" ||
	{ cg_notok "setup: Postfix"; exit 1; }

# decisions RCPT: evidence decision records naming RCPT.
decisions() {
	cg_ctl log --kind decision --recipient "$1" 2>/dev/null | grep -c .
}

# --- 1. local submission with an unconsented recipient
cg_message "$CG_TMP/local-mixed.eml" marketing "$FROM" "undisclosed-recipients:;" \
	cg-local-mixed "News"
if ! cg_sendmail "$CG_TMP/local-mixed.eml" "$FROM" a1@rcpt.example b@rcpt.example \
	>"$CG_TMP/sendmail1.log" 2>&1; then
	cg_notok "local: sendmail failed"
	cg_diag "$CG_TMP/sendmail1.log"
fi
if cg_wait_queue_empty 30; then
	cg_ok "local: the mail left the queue (no endless maildrop retry)"
else
	cg_notok "local: $(cg_queue_count) file(s) still queued after 30 s: $(grep -c 'milter-reject' "$CG_PF_DIR/maillog") milter-reject log lines"
fi
bounce=
cg_i=0
while [ -z "$bounce" ] && [ "$cg_i" -lt 100 ]; do
	bounce=$(grep -l '^X-Mail-Args: *\(FROM:\)\{0,1\}<>' "$CG_SINK_DIR"/msg.* 2>/dev/null | head -n 1)
	[ -n "$bounce" ] || { sleep 0.1; cg_i=$((cg_i + 1)); }
done
# The bounce folds long lines: compare its text unfolded.
flat=
[ -n "$bounce" ] && flat=$(tr -d '\r' <"$bounce" | tr '\n' ' ' | tr -s ' ')
if [ -n "$bounce" ] && printf '%s' "$flat" | grep -q 'rule=consent.missing ref=' &&
	printf '%s' "$flat" | grep -q 'b@rcpt.example (consent.missing)' &&
	grep -q "^X-Rcpt-Args: *\(TO:\)\{0,1\}<$FROM>" "$bounce"; then
	cg_ok "local: bounce to <$FROM>: $(printf '%s' "$flat" | grep -o 'Marketing mail refused[^)]*)' | head -n 1)"
else
	cg_notok "local: no bounce to <$FROM> naming b@rcpt.example and rule=consent.missing in the sink"
fi
# The bounce quotes the message; only a file with the real sender counts.
if cg_sink_find cg-local-mixed | xargs -r grep -l "^X-Mail-Args: *\(FROM:\)\{0,1\}<$FROM>" | grep -q .; then
	cg_notok "local: the refused message itself reached the sink"
else
	cg_ok "local: the refused message was delivered to nobody"
fi
sleep 2
n=$(decisions b@rcpt.example)
if [ "$n" -eq 1 ]; then
	cg_ok "local: one decision record for the refused submission"
else
	cg_notok "local: $n decision records name b@rcpt.example (want 1)"
fi

# --- 2. local submission to consented recipients only
cg_message "$CG_TMP/local-ok.eml" marketing "$FROM" "undisclosed-recipients:;" \
	cg-local-ok "News"
cg_sendmail "$CG_TMP/local-ok.eml" "$FROM" a1@rcpt.example a2@rcpt.example \
	>"$CG_TMP/sendmail2.log" 2>&1
if cg_wait_delivered cg-local-ok 30; then
	h=$(grep -h '^X-Consent-Gate:' $(cg_sink_find cg-local-ok) | head -n 1 | tr -d '\r')
	r=$(cg_sink_rcpts cg-local-ok | sort | tr '\n' ' ')
	case "$h|$r" in
	*"pass class=marketing"*"|<a1@rcpt.example> <a2@rcpt.example> ") cg_ok "local: consented only: delivered to $r($h)" ;;
	*) cg_notok "local: consented only: delivered to '$r' with '$h'" ;;
	esac
else
	cg_notok "local: consented only: not delivered within 30 s"
fi

# --- 3. 30 unconsented + 5 consented recipients in one SMTP transaction
cg_message "$CG_TMP/bulk.eml" marketing "$FROM" "undisclosed-recipients:;" cg-bulk "News"
"$CG_PY" - "$SMTP_PORT" "$CG_TMP/bulk.eml" "$FROM" >"$CG_TMP/bulk.out" 2>&1 <<'PYEOF'
import email.utils, smtplib, sys

port, path, sender = int(sys.argv[1]), sys.argv[2], sys.argv[3]
body = open(path).read().replace("%DATE%", email.utils.formatdate()) \
    .replace("%MESSAGEID%", "bulk@consentgate.test").replace("\n", "\r\n")
unconsented = ["u%02d@rcpt.example" % i for i in range(1, 31)]
consented = ["a%d@rcpt.example" % i for i in range(1, 6)]
# Interleave: a consented recipient after every sixth unconsented one.
order = []
for i, u in enumerate(unconsented):
    order.append(u)
    if i % 6 == 5:
        order.append(consented[i // 6])
fails = 0

def check(ok, text):
    global fails
    print(("ok - " if ok else "not ok - ") + text)
    fails += 0 if ok else 1

refused = {}      # address -> number of 550 replies
pending = list(order)
delivered = None
rounds = 0
while pending and rounds < 6:
    rounds += 1
    codes, data = [], None
    s = smtplib.SMTP("127.0.0.1", port, timeout=30)
    try:
        s.ehlo("client.consentgate.test")
        s.mail(sender)
        for r in pending:
            code, msg = s.rcpt(r)
            codes.append((r, code, msg.decode(errors="replace")))
            if code == 421:
                break
        if any(c == 421 for _, c, _ in codes):
            check(False, "bulk round %d: 421 after %d RCPTs: %s" % (rounds, len(codes), codes[-1][2]))
            break
        if any(c == 250 for _, c, _ in codes):
            data = s.data(body)
        s.quit()
    except smtplib.SMTPException as e:
        check(False, "bulk round %d: %r" % (rounds, e))
        break
    n550 = [r for r, c, _ in codes if c == 550]
    for r in n550:
        refused[r] = refused.get(r, 0) + 1
    if rounds == 1:
        first9 = [r for r in order if r in unconsented][:9]
        check(n550 == first9 and all(c == 250 for r, c, _ in codes if r not in n550),
              "bulk round 1: the first 9 unconsented recipients got 550, the other 26 250 (%d got 550)" % len(n550))
        check(data is not None and data[0] == 451 and b"4.5.3" in data[1]
              and b"21 recipients could not be refused individually" in data[1],
              "bulk round 1: end of data %r" % (data,))
    accepted = [r for r, c, _ in codes if c == 250]
    if data is not None and data[0] == 250:
        delivered = accepted
        pending = []
    elif data is not None and data[0] // 100 == 4:
        pending = accepted          # the client retries these, not the 550 ones
    else:
        check(False, "bulk round %d: unexpected end of data %r" % (rounds, data))
        break
check(delivered is not None and rounds <= 5,
      "bulk: converged in %d rounds" % rounds)
check(delivered is not None and sorted(delivered) == sorted(consented),
      "bulk: the message was accepted for exactly the 5 consented recipients (%s)" % delivered)
check(sorted(refused) == sorted(unconsented) and set(refused.values()) == {1},
      "bulk: each of the 30 unconsented recipients got 550 exactly once (%d, counts %s)"
      % (len(refused), sorted(set(refused.values()))))
sys.exit(1 if fails else 0)
PYEOF
while IFS= read -r line; do
	case $line in
	"ok - "*) cg_ok "${line#ok - }" ;;
	"not ok - "*) cg_notok "${line#not ok - }" ;;
	*) printf '#   %s\n' "$line" ;;
	esac
done <"$CG_TMP/bulk.out"
grep -q '^ok - bulk: converged' "$CG_TMP/bulk.out" || cg_notok "bulk: the client did not converge"

if cg_wait_delivered cg-bulk 30; then
	r=$(cg_sink_rcpts cg-bulk | sort | tr '\n' ' ')
	if [ "$r" = "<a1@rcpt.example> <a2@rcpt.example> <a3@rcpt.example> <a4@rcpt.example> <a5@rcpt.example> " ]; then
		cg_ok "bulk: the sink got the mail for the 5 consented recipients only"
	else
		cg_notok "bulk: the sink got the mail for $r"
	fi
else
	cg_notok "bulk: the mail did not reach the sink"
fi
missing=
for i in $(seq -w 1 30); do
	[ "$(decisions "u$i@rcpt.example")" -ge 1 ] || missing="$missing u$i"
done
if [ -z "$missing" ]; then
	cg_ok "bulk: every unconsented recipient has an evidence record"
else
	cg_notok "bulk: no evidence record for$missing"
fi

printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
