#!/bin/sh
# tests/e2e/smtputf8.sh BUILD - internationalised recipients end to end
# (POSIX sh): a Python SMTP client speaking SMTPUTF8 -> private Postfix on
# 127.0.0.1 with smtputf8_enable = yes -> consentgate (tests/data/rules.conf)
# -> a Python sink that offers SMTPUTF8 (smtp-sink does not).
# Run as root: sh tests/e2e/smtputf8.sh build
#
# The store holds the records as an address book exports them: the domain
# as A-label (xn--bcher-kva.example); the mail names the recipient as
# U-label and with another case or composition of the local part.
#   a. Jürgen@bücher.example (confirmed as jürgen@xn--bcher-kva.example):
#      250 at RCPT and end of DATA, delivered to the sink with that
#      envelope recipient and X-Consent-Gate: pass class=marketing.
#   b. the same mailbox with a decomposed ü (NFD): accepted the same way.
#   c. zoë@bücher.example (withdrawn as zoë@xn--bcher-kva.example):
#      550 5.7.1 ... (rule=consent.withdrawn ref=...) at RCPT.
#   d. consentctl show finds the records under the U-label spelling.
# Prints one "ok - ..." / "not ok - ..." line per check, exits 1 on any
# failure.  Bounded: watchdog CG_TIME_LIMIT (default 90 s).

CG_HERE=$(cd "$(dirname "$0")" && pwd)
. "$CG_HERE/lib.sh"

DATA=$(cd "$CG_HERE/../data" && pwd)
cg_setup "$1"
cg_need postfix postconf
cg_watchdog "${CG_TIME_LIMIT:-90}"

set -- $(cg_free_ports 3)
SMTP_PORT=$1
SINK_PORT=$2
MILTER_PORT=$3
[ -n "$MILTER_PORT" ] || cg_die "could not pick free ports on 127.0.0.1"

NEWS=newsletter@shop.example
COMPLIANT=$DATA/marketing/pass-en-workshop-plain-utf8-8bit.eml
# UTF-8 spelled out in octal, so the file stays ASCII.
J_ALABEL=$(printf 'j\303\274rgen@xn--bcher-kva.example')
J_ULABEL=$(printf 'J\303\234rgen@b\303\274cher.example')
J_NFD=$(printf 'ju\314\210rgen@b\303\274cher.example')
Z_ALABEL=$(printf 'zo\303\253@xn--bcher-kva.example')
Z_ULABEL=$(printf 'zo\303\253@b\303\274cher.example')

setup_fail() {
	cg_notok "setup: $*"
	exit 1
}

grep -q '^X-Test-Expect: pass' "$COMPLIANT" || setup_fail "$COMPLIANT is not a passing fixture"
cg_seed_store "$CG_TMP/store" "$J_ALABEL=confirmed" "$Z_ALABEL=withdrawn" ||
	setup_fail "seeding the consent store with consentctl"
cg_rules_config "$CG_TMP/consentgate.conf" "$MILTER_PORT" "$CG_TMP/store" "$DATA/rules.conf" ||
	setup_fail "writing the config from rules.conf"
cg_start_milter "$CG_TMP/consentgate.conf" "$MILTER_PORT" || setup_fail "starting consentgate"

# The sink: Python's smtpd with SMTPUTF8, one file per message, the
# envelope recipients first as "X-Rcpt: <addr>" lines.
CG_SINK_DIR=$CG_TMP/sink
mkdir -p "$CG_SINK_DIR"
"$CG_PY" -W ignore - "$SINK_PORT" "$CG_SINK_DIR" >"$CG_TMP/sink.log" 2>&1 </dev/null <<'PYEOF' &
import asyncore, os, smtpd, sys
port, out = int(sys.argv[1]), sys.argv[2]
class Sink(smtpd.SMTPServer):
    n = 0
    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        Sink.n += 1
        head = "".join("X-Rcpt: <%s>\r\n" % r for r in rcpttos).encode()
        with open(os.path.join(out, "msg.%d" % Sink.n), "wb") as f:
            f.write(head + data)
Sink(("127.0.0.1", port), None, decode_data=False, enable_SMTPUTF8=True)
asyncore.loop(timeout=1)
PYEOF
CG_SINK_PID=$!
cg_wait_port "$SINK_PORT" 10 "$CG_SINK_PID" || setup_fail "starting the Python sink"
CG_PF_MAIN_EXTRA='smtputf8_enable = yes'
cg_start_postfix "$SMTP_PORT" "$SINK_PORT" "$MILTER_PORT" || setup_fail "starting Postfix"

# send NAME RCPT: the compliant newsletter to RCPT with MAIL FROM ...
# SMTPUTF8; the transcript ("RCPT <code> <text>", "DATA <code> <text>") in
# $CG_TMP/NAME.out.
send() {
	cg_fixture "$COMPLIANT" "$CG_TMP/$1.eml" "cg-$1" \
		"0,/^To: /s/^To: .*/To: <$2>/" || setup_fail "copying the fixture"
	timeout 40 "$CG_PY" - "$CG_SMTP_PORT" "$NEWS" "$2" "$CG_TMP/$1.eml" \
		>"$CG_TMP/$1.out" 2>&1 <<'PYEOF'
import smtplib, sys
port, sender, rcpt, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = smtplib.SMTP("127.0.0.1", port, "client.consentgate.test", timeout=30)
s.ehlo()
if not s.has_extn("smtputf8"):
    print("NO-SMTPUTF8 offered")
s.command_encoding = "utf-8"
code, text = s.mail(sender, ["SMTPUTF8", "BODY=8BITMIME"])
print("MAIL", code, text.decode("utf-8", "replace"))
code, text = s.rcpt(rcpt)
print("RCPT", code, text.decode("utf-8", "replace"))
if code == 250:
    body = open(path, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    code, text = s.data(body)
    print("DATA", code, text.decode("utf-8", "replace"))
s.quit()
PYEOF
}

reply() { # NAME STEP: the reply line to STEP
	sed -n "s/^$2 //p" "$CG_TMP/$1.out" | head -n 1
}

# delivered NAME WHAT RCPT: accepted, in the sink with RCPT as envelope
# recipient and X-Consent-Gate: pass class=marketing.
delivered() {
	why=
	case $(reply "$1" RCPT) in 250*) ;; *) why="RCPT got '$(reply "$1" RCPT)'" ;; esac
	case $(reply "$1" DATA) in 250*) ;; *) why="${why:+$why; }end of DATA got '$(reply "$1" DATA)'" ;; esac
	if [ -z "$why" ]; then
		if cg_wait_delivered "cg-$1" 20; then
			f=$(cg_sink_find "cg-$1")
			grep -qF "X-Rcpt: <$3>" $f || why="envelope recipient <$3> not in the sink file"
			hdr=$(grep -h '^X-Consent-Gate:' $f | head -n 1 | tr -d '\r')
			printf '%s\n' "$hdr" | grep -Eq '^X-Consent-Gate: pass class=marketing ref=' ||
				why="${why:+$why; }no X-Consent-Gate pass header (got: $hdr)"
		else
			why="not delivered to the sink within 20 s"
		fi
	fi
	if [ -z "$why" ]; then
		cg_ok "$2: delivered, $hdr"
	else
		cg_notok "$2: $why"
		cg_diag "$CG_TMP/$1.out"
		cg_diag "$CG_PF_DIR/maillog"
	fi
}

# --- a. U-label recipient, record added as A-label.
send ulabel "$J_ULABEL"
grep -q NO-SMTPUTF8 "$CG_TMP/ulabel.out" && cg_notok "Postfix did not offer SMTPUTF8"
delivered ulabel "a. $J_ULABEL (consent stored as $J_ALABEL)" "$J_ULABEL"

# --- b. the same mailbox, local part decomposed (NFD).
send nfd "$J_NFD"
delivered nfd "b. NFD spelling $J_NFD" "$J_NFD"

# --- c. withdrawn, stored as A-label, mailed as U-label: refused at RCPT.
before=$(find "$CG_SINK_DIR" -type f | wc -l)
send withdrawn "$Z_ULABEL"
rcpt=$(reply withdrawn RCPT)
if printf '%s\n' "$rcpt" | grep -Eq '^550 5\.7\.1 .*\(rule=consent\.withdrawn ref=[A-Za-z0-9-]+\)' &&
	[ -z "$(reply withdrawn DATA)" ]; then
	cg_ok "c. $Z_ULABEL (withdrawn as $Z_ALABEL) refused at RCPT: $rcpt"
else
	cg_notok "c. $Z_ULABEL: RCPT got '$rcpt', want 550 5.7.1 ... (rule=consent.withdrawn ref=...)"
	cg_diag "$CG_TMP/withdrawn.out"
fi
cg_wait_queue_empty 10
[ "$(find "$CG_SINK_DIR" -type f | wc -l)" -eq "$before" ] ||
	cg_notok "c. the sink received a message for the withdrawn recipient"

# --- d. consentctl reads the same key.
if cg_ctl show "$Z_ULABEL" >"$CG_TMP/show.out" 2>&1 &&
	grep -qF "address: $Z_ALABEL" "$CG_TMP/show.out" &&
	grep -q '^state: withdrawn' "$CG_TMP/show.out"; then
	cg_ok "d. consentctl show $Z_ULABEL finds $Z_ALABEL (withdrawn)"
else
	cg_notok "d. consentctl show $Z_ULABEL: $(head -n 3 "$CG_TMP/show.out" | tr '\n' ' ')"
fi

if ! cg_alive "$CG_MILTER_PID"; then
	cg_notok "consentgate was still running after the cases (it died; see its log)"
fi

printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
