#!/bin/sh
# tests/e2e/replay.sh BUILD - consentctl replay against what the milter
# recorded through a private Postfix (POSIX sh, run as root):
#   1. Mode monitor: a consented newsletter (one header folded over two
#      lines) and one to an address without consent are both delivered;
#      the milter records pass and monitor (consent.missing).
#   2. replay -c (the same config with Mode enforce) over an mbox of the two
#      messages as submitted: both are matched by the SHA-256 the milter
#      recorded (so replay hashes a message as Postfix hands it to the
#      milter, folding included), the second goes from pass to reject.
#   3. replay over a Maildir of the copies the sink received (Received and
#      X-Consent-Gate added on the way): matched by Message-ID.
CG_HERE=$(cd "$(dirname "$0")" && pwd)
. "$CG_HERE/lib.sh"

cg_setup "$1"
cg_need postfix postconf smtp-sink swaks

set -- $(cg_free_ports 3)
SMTP_PORT=$1
SINK_PORT=$2
MILTER_PORT=$3
FROM=news@shop.example
STORE=$CG_TMP/store
CONF=$CG_TMP/consentgate.conf
ENFORCE=$CG_TMP/enforce.conf

cg_seed_store "$STORE" "a@rcpt.example=confirmed" || { cg_notok "setup: store"; exit 1; }
cg_write_config "$CONF" "$MILTER_PORT" "$STORE"
sed "s/^Mode enforce$/Mode monitor/" "$CONF" >"$ENFORCE"
mv "$ENFORCE" "$CONF"
cg_write_config "$ENFORCE" "$MILTER_PORT" "$STORE"
cg_start_milter "$CONF" "$MILTER_PORT" || { cg_notok "setup: milter"; exit 1; }
cg_start_sink "$SINK_PORT" || { cg_notok "setup: sink"; exit 1; }
cg_start_postfix "$SMTP_PORT" "$SINK_PORT" "$MILTER_PORT" ||
	{ cg_notok "setup: Postfix"; exit 1; }

# message FILE RCPT MARKER: a compliant newsletter with fixed Date and
# Message-ID (no swaks tokens: the file is the message as submitted) and a
# folded List-Unsubscribe.
message() {
	cat >"$1" <<EOF
From: Shop Example <$FROM>
To: $2
Subject: News  with two spaces
Date: Tue, 24 Nov 2026 10:00:00 +0100
Message-ID: <$3@mailer.shop.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit
List-Unsubscribe: <https://shop.example/unsubscribe?u=u4711>,
	<mailto:unsubscribe@shop.example?subject=u4711>
List-Unsubscribe-Post: List-Unsubscribe=One-Click
X-Test-Case: $3

Hello,

our autumn collection is here: https://shop.example/autumn

Privacy policy: https://shop.example/privacy
Unsubscribe: https://shop.example/unsubscribe?u=u4711

Imprint: Shop Example GmbH, Musterstrasse 1, 10115 Berlin
EOF
}

message "$CG_TMP/ok.eml" a@rcpt.example rp-ok
message "$CG_TMP/none.eml" b@rcpt.example rp-none
cg_send ok --from "$FROM" --to a@rcpt.example --data "@$CG_TMP/ok.eml"
cg_send none --from "$FROM" --to b@rcpt.example --data "@$CG_TMP/none.eml"
if cg_wait_delivered rp-ok 15 && cg_wait_delivered rp-none 15; then
	cg_ok "monitor: both delivered"
else
	cg_notok "monitor: not both delivered"
	cg_diag "$CG_TMP/none.swaks"
fi

# --- 2. an mbox of the messages as submitted (swaks sends an empty line
# after the file), replayed under enforce
{
	echo "From $FROM Tue Nov 24 09:00:00 2026"
	cat "$CG_TMP/ok.eml"
	echo
	echo
	echo "From $FROM Tue Nov 24 09:00:01 2026"
	cat "$CG_TMP/none.eml"
	echo
	echo
} >"$CG_TMP/sent.mbox"
out=$CG_TMP/replay.out
timeout 60 "$CG_BUILD/consentctl" -d "$STORE" replay -c "$ENFORCE" \
	"$CG_TMP/sent.mbox" >"$out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] &&
	grep -q 'sent.mbox#1: recorded pass (no rule) ref .* by sha256; now marketing pass (no rule)$' "$out" &&
	grep -q 'sent.mbox#2: recorded monitor (consent.missing) ref .* by sha256; now marketing reject (consent.missing): pass-to-reject$' "$out" &&
	grep -q '^replay: 2 messages: 1 pass to reject, 0 reject to pass, 0 different rules, 1 unchanged, 0 without' "$out"; then
	cg_ok "replay: matched by the milter's SHA-256, monitor -> enforce turns one pass into reject"
else
	cg_notok "replay over the submitted messages (exit $rc)"
	cg_diag "$out"
fi

# --- 3. a Maildir of the delivered copies: changed on the way, matched by
# Message-ID.
mkdir -p "$CG_TMP/md/cur" "$CG_TMP/md/new" "$CG_TMP/md/tmp"
n=0
for f in $(cg_sink_find rp-ok) $(cg_sink_find rp-none); do
	n=$((n + 1))
	grep -v '^X-Mail-Args:\|^X-Rcpt-Args:' "$f" >"$CG_TMP/md/new/$n.sink"
done
timeout 60 "$CG_BUILD/consentctl" -d "$STORE" replay -c "$ENFORCE" \
	"$CG_TMP/md" >"$out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && [ "$(grep -c 'by message-id; now' "$out")" -eq 2 ] &&
	grep -q '^replay: 2 messages: 1 pass to reject' "$out"; then
	cg_ok "replay: delivered copies matched by Message-ID"
else
	cg_notok "replay over the delivered copies (exit $rc)"
	cg_diag "$out"
fi

printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
