# tests/e2e/replication-audit.sh - section 13 of replication.sh (POSIX sh,
# sourced by it after replication-subject.sh and replication-periodic.sh,
# followers A and B running, the deployment key of section 11 in
# $s11_keys and its configs subject-A.conf and subject-B.conf): the time
# a withdrawal reached every host (issue #17 item 5).
# a. B's follower runs with the deployment key.  A withdrawal made on A
#    reaches B through the centre: B writes exactly one evidence record of
#    it (source=replica, the centre's change id, at= the centre's
#    withdrawal time), and pushes it to the centre.
# b. `consentctl audit withdrawals --central` as the compliance role lists
#    the withdrawal with the time its record arrived on A and on B, and
#    exits 0.
# c. A marketing mail B accepted after the withdrawal (a record planted at
#    the centre) is listed as LATE with its host and ref, one before the
#    withdrawal is not, and the exit code is 3.

S13=audit13@example.org

fw_stop B
"$CG_BUILD/consentctl" -c "$CG_TMP/subject-B.conf" -d "$B" follow \
	--pg "$PG_CONN_BASE user=B" -v >>"$CG_TMP/follow-B.log" 2>&1 &
FW_PID_B=$!
FW_PIDS="$FW_PIDS $!"

# --- 13a. one record on B of the withdrawal it got from the centre.
pg_sql_as crm "INSERT INTO consent (address, state, uid, created, confirmed, source)
	VALUES ('$S13', 'confirmed', 'u-audit13', now() - interval '1 day',
		now() - interval '1 day', 'form')" >/dev/null ||
	cg_notok "13: central insert of $S13"
wait_state "$B" "$S13" confirmed 30 && wait_state "$A" "$S13" confirmed 30 ||
	cg_notok "13: $S13 did not reach A and B"
s13_since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1
s11_ctl A withdraw "$S13" >/dev/null || cg_notok "13: withdraw on A"
wait_state "$B" "$S13" withdrawn 30 || cg_notok "13: A's withdrawal not on B"
s13_h=$(s11_ctl A subject "$S13" | sed -n 's/^pseudonym: //p')
s13_at=$(pg_sql "SELECT to_char(withdrawn AT TIME ZONE 'UTC',
	'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM consent WHERE address = '$S13'")
s13_id=$(pg_sql "SELECT max(id) FROM consent_change WHERE address = '$S13'
	AND state = 'withdrawn'")
timeout 20 "$CG_BUILD/consentctl" -d "$B" log --recipient "$S13" \
	>"$CG_TMP/s13-logB" 2>&1
s13_n=$(grep -c " withdraw .*source=replica, change=$s13_id, at=$s13_at" "$CG_TMP/s13-logB")
s13_all=$(grep -c "source=replica" "$CG_TMP/s13-logB")
if [ "$s13_n" = 1 ] && [ "$s13_all" = 1 ]; then
	cg_ok "13a. B recorded the withdrawal from the centre once (change $s13_id, at=$s13_at)"
else
	cg_notok "13a. B's replica records of $S13: $s13_all, with change $s13_id at=$s13_at: $s13_n"
	grep "$S13" "$CG_TMP/s13-logB" | head -5 | sed 's/^/#   /'
fi
s11_wait 30 "SELECT count(*) = 1 FROM evidence WHERE host = 'B' AND
	record::text LIKE '%source=replica, change=$s13_id,%' AND
	evidence_names(record, ARRAY['$s13_h'])" &&
	cg_ok "13a. B's record reached the centre under the deployment hash" ||
	cg_notok "13a. B's record of $S13 is not at the centre"

# --- 13b. audit withdrawals --central: the arrival on each host.
s11_ctl A audit withdrawals --central --since "$s13_since" \
	--pg "$PG_CONN_BASE user=compliance" >"$CG_TMP/s13-audit" 2>&1
s13_rc=$?
if [ "$s13_rc" = 0 ] &&
	grep -q "^$s13_at $S13 withdrawn (change $s13_id from A)" "$CG_TMP/s13-audit" &&
	grep -q "^  A: reached .* (ref ctl-" "$CG_TMP/s13-audit" &&
	grep -q "^  B: reached .* (ref repl-$s13_id-" "$CG_TMP/s13-audit" &&
	grep -q "on record on every host 1 of 1" "$CG_TMP/s13-audit"; then
	cg_ok "13b. audit withdrawals --central: $(grep '^  B: ' "$CG_TMP/s13-audit" | cut -c3-60)"
else
	cg_notok "13b. audit withdrawals --central: exit $s13_rc"
	sed 's/^/#   /' "$CG_TMP/s13-audit" | head -10
fi

# --- 13c. a marketing mail B accepted after the withdrawal.
# s13_plant REF SECONDS: a marketing pass on B, SECONDS after the withdrawal.
s13_plant() {
	pg_sql "INSERT INTO evidence (host, ref, seq, record) VALUES ('B', '$1', 0,
		jsonb_build_object('version', 3, 'seq', 0, 'prev', '',
		'time', to_char((SELECT withdrawn FROM consent WHERE address = '$S13')
			AT TIME ZONE 'UTC' + interval '$2 seconds',
			'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
		'ref', '$1', 'kind', 'decision', 'sender_h', '',
		'recipients_h', jsonb_build_array('$s13_h'), 'client_ip_h', '',
		'tls', true, 'class', 'marketing', 'rules', jsonb_build_array(),
		'action', 'pass', 'sha256', ''))" >/dev/null ||
		cg_notok "13c. planting $1"
}
s13_plant late-s13 60
s13_plant early-s13 -600
s11_ctl A audit withdrawals --central --since "$s13_since" \
	--pg "$PG_CONN_BASE user=compliance" >"$CG_TMP/s13-audit" 2>&1
s13_rc=$?
if [ "$s13_rc" = 3 ] &&
	grep -q "^  LATE: marketing mail accepted on B .* action pass ref late-s13" "$CG_TMP/s13-audit" &&
	! grep -q "early-s13" "$CG_TMP/s13-audit"; then
	cg_ok "13c. a marketing mail B accepted after the withdrawal: listed, exit 3"
else
	cg_notok "13c. audit withdrawals --central with a late mail: exit $s13_rc"
	sed 's/^/#   /' "$CG_TMP/s13-audit" | head -10
fi
