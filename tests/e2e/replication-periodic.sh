# tests/e2e/replication-periodic.sh - section 11 of replication.sh (POSIX sh,
# sourced by it after replication-rules.sh, followers A and B running, B
# verified by section 10): the running follower verifies by itself every
# FollowVerifyInterval seconds.  A row changed at the centre behind B's
# back (triggers off) makes B's periodic verify fail: status exits 3 and
# names it, the openmetrics gauges show it; once the centre's row is put
# back the next periodic verify matches and status is 0 again.

# metric STORE NAME: the value of one openmetrics sample ("" when absent).
metric() {
	timeout 20 "$CG_BUILD/consentctl" -d "$1" stats --format openmetrics \
		2>/dev/null | sed -n "s/^$2 //p"
}

# wait_status STORE RC SECONDS: until status exits RC.
wait_status() {
	ws_end=$(($(date +%s) + $3))
	while [ "$(date +%s)" -lt "$ws_end" ]; do
		[ "$(status_rc "$1")" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

# --- 11. the follower's periodic verify (FollowVerifyInterval).
fw_stop B
printf 'FollowVerifyInterval 1\n' >"$CG_TMP/follow-B.conf"
was=$(show_source "$B" user78@example.org)
pg_sql "SET session_replication_role = replica;
	UPDATE consent SET source = 'tampered again' WHERE address = 'user78@example.org'" >/dev/null ||
	cg_notok "tampering at the centre failed"
"$CG_BUILD/consentctl" -c "$CG_TMP/follow-B.conf" -d "$B" follow \
	--pg "$PG_CONN_BASE user=B" -v >>"$CG_TMP/follow-B.log" 2>&1 &
FW_PID_B=$!
FW_PIDS="$FW_PIDS $!"
t0=$(now_ms)
if wait_status "$B" 3 20 && grep -q "^last verify: .*: 1 addresses differ" "$CG_TMP/status" &&
	grep -q "last verify found differences" "$CG_TMP/status"; then
	cg_ok "periodic verify: B found the change behind its back after $(($(now_ms) - t0)) ms; status exits 3 and says so"
else
	cg_notok "periodic verify: status of B: $(cat "$CG_TMP/status")"
fi
wait_log B "^differs: user78@example.org (fields differ: source)" 10 &&
	grep -q "verify: 1 addresses differ from the centre" "$CG_TMP/follow-B.log" &&
	cg_ok "periodic verify: the follower logs it and names user78@example.org" ||
	cg_notok "periodic verify: nothing in B's log"
[ "$(metric "$B" consentgate_replica_verify_differing)" = 1 ] &&
	[ -n "$(metric "$B" consentgate_replica_verify_timestamp_seconds)" ] &&
	[ "$(metric "$B" consentgate_outbox_dead_letters)" = 0 ] &&
	[ "$(metric "$B" consentgate_replica_last_applied_id)" = "$(fw_last "$B")" ] &&
	[ -n "$(metric "$B" consentgate_replica_age_seconds)" ] &&
	cg_ok "openmetrics: verify result and time, dead letters, last applied id and age" ||
	cg_notok "openmetrics of B: $(timeout 20 "$CG_BUILD/consentctl" -d "$B" stats --format openmetrics | grep -v '^#' | tr '\n' ' ')"
pg_sql "SET session_replication_role = replica;
	UPDATE consent SET source = '$was' WHERE address = 'user78@example.org'" >/dev/null ||
	cg_notok "repairing the centre failed"
if wait_status "$B" 0 20 && grep -q "^last verify: .*: match" "$CG_TMP/status" &&
	[ "$(metric "$B" consentgate_replica_verify_differing)" = 0 ]; then
	cg_ok "periodic verify: after the repair the next one matches and status is 0"
else
	cg_notok "periodic verify after the repair: $(cat "$CG_TMP/status")"
fi
