#!/bin/sh
# tests/e2e/chroot.sh BUILD - consentgate next to another milter in a Postfix
# whose daemons run chrooted as on Debian (POSIX sh). Run as root:
#   sh tests/e2e/chroot.sh build
#
# The private Postfix (tests/e2e/lib.sh, CG_PF_CHROOT=y: chroot column "y"
# where Debian's master.cf has it, the chroot filled by Debian's
# configure-instance.sh) starts with opendkim as its only milter and
# milter_default_action = accept, as many Debian hosts do. Then the
# "postconf: begin ... end" block of README.md ("Hooking it into Postfix")
# runs verbatim (only the port replaced, MAIL_CONFIG pointing at the
# instance), twice. Checks: both milters are listed, consentgate first and
# once; a consented marketing mail over SMTP and one through sendmail(1) are
# delivered with X-Consent-Gate and a DKIM-Signature whose h= covers it
# (opendkim ran after the gate); an unconsented one is refused 550 with the
# rule, and the daemon (LogFormat json) logs that decision as a JSON line
# with its ref; with the gate stopped, mail is deferred (4xx) although the global
# milter_default_action is accept. Bounded by a watchdog (120 s).

CG_HERE=$(cd "$(dirname "$0")" && pwd)
. "$CG_HERE/lib.sh"

cg_setup "$1"
cg_need postfix postconf smtp-sink swaks opendkim opendkim-genkey sendmail
cg_watchdog "${CG_TIME_LIMIT:-120}"

set -- $(cg_free_ports 4)
SMTP_PORT=$1
SINK_PORT=$2
MILTER_PORT=$3
DKIM_PORT=$4
[ -n "$DKIM_PORT" ] || cg_die "could not pick free ports on 127.0.0.1"
README=$(cd "$CG_HERE/../.." && pwd)/README.md

MARKETING=news@shop.example
A=a@rcpt.example
B=b@rcpt.example
REF='ref=[A-Za-z0-9-]+'
DKIM_PID=

setup_fail() {
	cg_notok "setup: $*"
	exit 1
}

# opendkim refuses a config or key below a directory others may write
# (/tmp), so its files live in a directory of its own under /run.
DKIM_DIR=
stop_dkim() {
	[ -n "$DKIM_PID" ] && cg_stop_pid "$DKIM_PID" opendkim
	DKIM_PID=
	[ -n "$DKIM_DIR" ] && rm -rf "$DKIM_DIR"
	DKIM_DIR=
}

cg_seed_store "$CG_TMP/store" "$A=confirmed" || setup_fail "seeding the store"
cg_write_config "$CG_TMP/consentgate.conf" "$MILTER_PORT" "$CG_TMP/store"
echo "LogFormat json" >>"$CG_TMP/consentgate.conf"
cg_start_milter "$CG_TMP/consentgate.conf" "$MILTER_PORT" || setup_fail "starting consentgate"
cg_start_sink "$SINK_PORT" || setup_fail "starting smtp-sink"

# --- opendkim, signing for shop.example, told to sign X-Consent-Gate.
DKIM_DIR=$(mktemp -d /run/consentgate-e2e-dkim.XXXXXX) || setup_fail "mktemp under /run"
trap 'cg_rc_keep=$?; stop_dkim; (exit $cg_rc_keep); cg_cleanup' EXIT
chmod 755 "$DKIM_DIR" &&
	timeout 30 opendkim-genkey -D "$DKIM_DIR" -d shop.example -s cg >"$DKIM_DIR/genkey.log" 2>&1 &&
	chown -R nobody:nogroup "$DKIM_DIR" && chmod 600 "$DKIM_DIR/cg.private" ||
	setup_fail "opendkim-genkey"
cat >"$DKIM_DIR/opendkim.conf" <<CONF
Syslog no
Mode s
Domain shop.example
Selector cg
KeyFile $DKIM_DIR/cg.private
Socket inet:$DKIM_PORT@127.0.0.1
UserID nobody
Canonicalization relaxed/simple
SignHeaders *,+X-Consent-Gate
CONF
opendkim -f -x "$DKIM_DIR/opendkim.conf" >"$DKIM_DIR/opendkim.log" 2>&1 </dev/null &
DKIM_PID=$!
cg_wait_port "$DKIM_PORT" 10 "$DKIM_PID" || { cg_diag "$DKIM_DIR/opendkim.log" >&2; setup_fail "opendkim did not listen"; }

# --- Postfix, chrooted, with opendkim as its milter already.
CG_PF_CHROOT=y
CG_PF_MAIN_EXTRA="milter_default_action = accept
smtpd_milters = inet:localhost:$DKIM_PORT
non_smtpd_milters = \$smtpd_milters"
cg_start_postfix "$SMTP_PORT" "$SINK_PORT" || setup_fail "starting the chrooted Postfix"
if awk '$1 ~ /^127\.0\.0\.1:/ && $5 == "y" { f = 1 } END { exit !f }' "$CG_PF_DIR/etc/master.cf"; then
	cg_ok "smtpd runs chrooted (master.cf chroot column y)"
else
	cg_notok "smtpd is not chrooted in $CG_PF_DIR/etc/master.cf"
fi

# --- the README block, verbatim but for the port, twice.
sed -n '/^# --- postconf: begin/,/^# --- postconf: end/p' "$README" |
	sed "s/8895/$MILTER_PORT/g" >"$CG_TMP/postconf.sh"
[ "$(wc -l <"$CG_TMP/postconf.sh")" -gt 5 ] || setup_fail "no postconf block in $README"
# contrib/postfix/README.md shows the same commands (indented, no markers).
sed -n '/^# --- postconf: begin/,/^# --- postconf: end/p' "$README" | sed '1d;$d' >"$CG_TMP/block.readme"
sed -n '/^   cg=/,/^   postfix reload/p' "$(dirname "$README")/contrib/postfix/README.md" |
	sed 's/^   //' >"$CG_TMP/block.contrib"
cmp -s "$CG_TMP/block.readme" "$CG_TMP/block.contrib" &&
	cg_ok "contrib/postfix/README.md shows README's postconf block" ||
	cg_notok "contrib/postfix/README.md and README.md differ in the postconf block"
for run in 1 2; do
	(MAIL_CONFIG=$CG_PF_DIR/etc; export MAIL_CONFIG; timeout 60 sh -e "$CG_TMP/postconf.sh") \
		>"$CG_TMP/postconf.$run.log" 2>&1 ||
		{ cg_diag "$CG_TMP/postconf.$run.log" >&2; setup_fail "README's postconf block (run $run)"; }
done
sleep 1 # postfix reload: let the master restart smtpd
smtpd_m=$(postconf -c "$CG_PF_DIR/etc" -h smtpd_milters)
non_m=$(postconf -c "$CG_PF_DIR/etc" -h non_smtpd_milters)
n_gate=$(printf '%s\n' "$smtpd_m" | grep -o "127.0.0.1:$MILTER_PORT" | wc -l)
case $smtpd_m in
"{ inet:127.0.0.1:$MILTER_PORT, default_action=tempfail }, inet:localhost:$DKIM_PORT")
	cg_ok "smtpd_milters keeps opendkim, gate first, once: $smtpd_m" ;;
*) cg_notok "smtpd_milters after the README block: '$smtpd_m' (gate $n_gate times)" ;;
esac
[ "$non_m" = '$smtpd_milters' ] && cg_ok "non_smtpd_milters stays \$smtpd_milters" ||
	cg_notok "non_smtpd_milters became '$non_m'"

# signed_with_gate FILE: X-Consent-Gate present and named in the DKIM h= tag.
signed_with_gate() {
	cg_sink_headers "$1" >"$CG_TMP/hdrs"
	grep -Eq "^X-Consent-Gate: pass class=marketing $REF" "$CG_TMP/hdrs" || return 1
	# The DKIM-Signature header, unfolded; its h= tag.
	h=$(awk '/^DKIM-Signature:/ { s = $0; on = 1; next }
		on && /^[ \t]/ { s = s $0; next } { on = 0 }
		END { print s }' "$CG_TMP/hdrs" | tr -d ' \t' | tr 'A-Z' 'a-z' |
		sed -n 's/.*;h=\([^;]*\).*/\1/p')
	printf '%s\n' "$h" | tr ':' '\n' | grep -qx x-consent-gate
}

# --- 1. consented marketing over SMTP: both milters saw it.
cg_message "$CG_TMP/smtp.eml" marketing "$MARKETING" "$A" cg-smtp "Autumn sale"
cg_send smtp --from "$MARKETING" --to "$A" --data "@$CG_TMP/smtp.eml"
if cg_wait_delivered cg-smtp 20 && signed_with_gate "$(cg_sink_find cg-smtp | head -n 1)"; then
	cg_ok "SMTP mail delivered with X-Consent-Gate, signed by opendkim (h=$h)"
else
	cg_notok "SMTP mail: not delivered with X-Consent-Gate covered by DKIM h= ($(cg_reply "$CG_LAST" '^\.$'); h=$h)"
fi

# The smtpd that served it runs inside the queue directory.
chrooted=
for p in $(cg_pf_procs); do
	case $(cat "/proc/$p/comm" 2>/dev/null) in
	smtpd) [ "$(readlink "/proc/$p/root")" = "$CG_PF_DIR/queue" ] && chrooted=$p ;;
	esac
done
[ -n "$chrooted" ] && cg_ok "smtpd (pid $chrooted) has its root at $CG_PF_DIR/queue" ||
	cg_notok "no smtpd process chrooted to $CG_PF_DIR/queue"

# --- 2. the same through sendmail(1): non_smtpd_milters, chrooted cleanup.
cg_message "$CG_TMP/local.eml" marketing "$MARKETING" "$A" cg-local "Autumn sale"
cg_sendmail "$CG_TMP/local.eml" "$MARKETING" "$A"
if cg_wait_delivered cg-local 30 && signed_with_gate "$(cg_sink_find cg-local | head -n 1)"; then
	cg_ok "sendmail(1) mail delivered with X-Consent-Gate, signed by opendkim"
else
	cg_notok "sendmail(1) mail: not delivered with X-Consent-Gate covered by DKIM h= (h=$h)"
fi

# --- 3. unconsented: refused by the gate, although opendkim would accept.
cg_message "$CG_TMP/refused.eml" marketing "$MARKETING" "$B" cg-refused "Autumn sale"
cg_send refused --from "$MARKETING" --to "$B" --data "@$CG_TMP/refused.eml"
reply=$(cg_reply "$CG_LAST" "^RCPT TO:<$B>")
if printf '%s\n' "$reply" | grep -Eq "^550 5\.7\.1 .*\(rule=consent\.missing $REF\)"; then
	cg_ok "unconsented recipient refused from the chroot: $reply"
else
	cg_notok "unconsented recipient: RCPT TO got '$reply'"
fi
# LogFormat json: every line of the daemon is a JSON object; the decision's
# line carries the ref of the reply.
ref=$(cg_ref_of "$reply")
if "$CG_PY" - "$CG_MILTER_LOG" "$ref" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
objs = [json.loads(l) for l in lines]
hit = [o for o in objs if o.get("ref") == sys.argv[2] and "action=reject" in o["msg"]]
sys.exit(0 if objs and hit and all({"time", "level", "msg"} <= set(o) for o in objs) else 1)
PY
then
	cg_ok "LogFormat json: $(wc -l <"$CG_MILTER_LOG") JSON lines, the refusal's with \"ref\":\"$ref\""
else
	cg_notok "LogFormat json: the log is not one JSON object per line with ref $ref"
	cg_diag "$CG_MILTER_LOG"
fi

# --- 4. gate stopped: its own default_action=tempfail wins over accept.
cg_stop_pid "$CG_MILTER_PID" consentgate
CG_MILTER_PID=
cg_message "$CG_TMP/down.eml" marketing "$MARKETING" "$A" cg-down "Autumn sale"
cg_send down --from "$MARKETING" --to "$A" --data "@$CG_TMP/down.eml"
err=$(cg_first_error "$CG_LAST")
sleep 1
case $err in
4*) [ -z "$(cg_sink_find cg-down)" ] && cg_ok "gate down: deferred ($err), nothing delivered" ||
	cg_notok "gate down: delivered anyway" ;;
*) cg_notok "gate down: want 4xx, got '$err' (delivered: $(cg_sink_find cg-down))" ;;
esac

cg_stop_watchdog
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
