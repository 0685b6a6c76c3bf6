#!/bin/sh
# tests/e2e/replication.sh BUILD - two MTA hosts, one central PostgreSQL
# (POSIX sh, run as root, bounded to 10 minutes).
#
# A private PostgreSQL with contrib/postgresql/schema.sql, two stores A and
# B, one `consentctl follow` for each.  Then:
# 1. 10,000 consents inserted centrally in one statement reach both
#    replicas: their exports and the central table are identical.
# 2. A withdrawal made on A (consentctl withdraw, i.e. through A's outbox)
#    reaches the centre and B; the lag is measured and printed, and A's
#    evidence record of it is in the centre's evidence table.
#    Consent per list made on A (confirm --list offers, withdraw --list
#    default) reaches B with each list's state.
# 3. PostgreSQL stopped: both stores still answer `show` and `status`; a
#    withdrawal made on A meanwhile waits in A's outbox and reaches B after
#    PostgreSQL is back.
# 4. kill -9 of follower B in the middle of a 50,000-row central insert,
#    then a restart: A, B and the centre are identical, B's last applied id
#    is the centre's last id, and no change id was applied twice (the
#    committed batch ranges in B's log do not overlap).
# 5. The change log is pruned past B's position while B is stopped: B
#    notices and makes a full resync, and is identical again.
# 6. Forgeries and direct writers (contrib/postgresql/roles.sql): host role A
#    cannot insert consent_change rows, update or delete consent, write or
#    read evidence under B's name; the CRM role cannot turn a withdrawal
#    back (UPDATE, upsert, dateless), a dateless push does not count as
#    now; the centre refuses rows a replica cannot store (218-byte source,
#    newline, ip 'unbekannt', upper case, U-label); a real re-opt-in passes.
# 7. A central change B cannot store (a row from before the constraints):
#    B stops at it, status exits 3 and names it, a later withdrawal waits
#    behind it; once the centre corrects the row B goes on and status is 0.
# 8. A Latin-1 source imported on A: the centre refuses the entry, after
#    --max-tries 3 it is a dead letter and A's later withdrawal reaches B;
#    status exits 3; outbox list, retry and drop, each with evidence.
# 9. A role without privileges: the follower backs off instead of
#    reconnecting in a loop.
# 10. follow --verify on B: a match after normal sync; a row changed at the
#    centre behind B's back (triggers off) is named, exit 3, status exits 3,
#    evidence of both; after a resync verify passes again.
# 11. Evidence of a data subject at the centre (replication-subject.sh):
#    one EvidenceSubjectKeyFile, subject --central, forget reaching the
#    centre's copy.
# 12. The running follower verifies by itself (FollowVerifyInterval 1): a
#    row changed behind its back makes status exit 3 and the openmetrics
#    gauge show it; the repair makes the next one match.
# 13. How long a withdrawal took to reach every host (replication-audit.sh):
#    B records the withdrawal it got from the centre once, with the centre's
#    change id and time; audit withdrawals --central lists its arrival on A
#    and B and a marketing mail accepted after it (exit 3).
# Every writer logs in with the roles of roles.sql; the superuser only
# sets the cluster up and plants the pre-constraint row of 7.
CG_HERE=$(cd "$(dirname "$0")" && pwd)
. "$CG_HERE/lib.sh"
. "$CG_HERE/pglib.sh"

cg_setup "$1"
trap 'pg_cleanup; cg_cleanup' EXIT
cg_watchdog 600
"$CG_BUILD/consentctl" follow 2>&1 | grep -q "without libpq" &&
	cg_die "consentctl was built without libpq (install libpq-dev, rebuild)"

A=$CG_TMP/storeA
B=$CG_TMP/storeB
pg_setup || { cg_notok "setup: PostgreSQL"; exit 1; }
for s in "$A" "$B"; do
	timeout 20 "$CG_BUILD/consentctl" -d "$s" init >/dev/null ||
		{ cg_notok "setup: consentctl init $s"; exit 1; }
done
fw_start A "$A" -v --max-tries 3
fw_start B "$B" -v

# same WHAT: A, B and the centre hold identical consent tables.
same() {
	store_csv "$A" >"$CG_TMP/a.csv"
	store_csv "$B" >"$CG_TMP/b.csv"
	pg_csv >"$CG_TMP/pg.csv"
	n=$(wc -l <"$CG_TMP/pg.csv")
	ha=$(md5sum <"$CG_TMP/a.csv" | cut -c1-12)
	hb=$(md5sum <"$CG_TMP/b.csv" | cut -c1-12)
	hp=$(md5sum <"$CG_TMP/pg.csv" | cut -c1-12)
	if [ "$ha" = "$hp" ] && [ "$hb" = "$hp" ]; then
		cg_ok "$1: A, B and the centre identical ($n records, md5 $hp)"
	else
		cg_notok "$1: A $ha, B $hb, centre $hp ($n records)"
		diff "$CG_TMP/pg.csv" "$CG_TMP/b.csv" | head -5 | sed 's/^/#   /'
	fi
}

# now_ms: wall clock in milliseconds.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# wait_state STORE ADDR STATE SECONDS: until show says STATE.
wait_state() {
	ws_end=$(($(date +%s) + $4))
	while [ "$(date +%s)" -lt "$ws_end" ]; do
		timeout 10 "$CG_BUILD/consentctl" -d "$1" show "$2" 2>/dev/null |
			grep -q "^state: $3\$" && return 0
		sleep 0.02
	done
	return 1
}

# --- 1. a central bulk insert reaches both replicas.
pg_sql_as crm "INSERT INTO consent (address, state, uid, created, confirmed, source)
	SELECT 'user' || g || '@example.org', 'confirmed', 'u' || g,
	       '2026-01-01T00:00:00Z'::timestamptz + g * interval '1 second',
	       '2026-01-02T00:00:00Z'::timestamptz + g * interval '1 second',
	       'form'
	FROM generate_series(1, 10000) g" || { cg_notok "bulk insert"; exit 1; }
last=$(pg_sql "SELECT max(id) FROM consent_change")
t0=$(now_ms)
if fw_wait_id "$A" "$last" 60 && fw_wait_id "$B" "$last" 60; then
	cg_ok "10,000 central inserts applied on A and B in $(($(now_ms) - t0)) ms"
else
	cg_notok "10,000 central inserts: A at $(fw_last "$A"), B at $(fw_last "$B"), want $last"
fi
same "after 10,000 central inserts"

# --- 2. a withdrawal on A reaches B through the centre.
t0=$(now_ms)
timeout 20 "$CG_BUILD/consentctl" -d "$A" withdraw user42@example.org >/dev/null
if wait_state "$B" user42@example.org withdrawn 20; then
	lag=$(($(now_ms) - t0))
	cg_ok "withdrawal on A visible on B after $lag ms (bound 20 s)"
else
	cg_notok "withdrawal on A not on B within 20 s"
fi
origin=$(pg_sql "SELECT origin FROM consent_change WHERE address = 'user42@example.org' ORDER BY id DESC LIMIT 1")
[ "$origin" = A ] && cg_ok "the central change names its origin host A" ||
	cg_notok "central change origin '$origin', want A"
# Consent per list: a new list and a withdrawal from one list on A reach B.
timeout 20 "$CG_BUILD/consentctl" -d "$A" confirm user9@example.org --ip 192.0.2.9 \
	--list offers >/dev/null &&
	timeout 20 "$CG_BUILD/consentctl" -d "$A" withdraw user9@example.org \
		--list default >/dev/null || cg_notok "consentctl --list on A"
ls_end=$(($(date +%s) + 20))
while [ "$(date +%s)" -lt "$ls_end" ]; do
	timeout 10 "$CG_BUILD/consentctl" -d "$B" show user9@example.org >"$CG_TMP/show9.txt" 2>&1
	grep -q '^list: default withdrawn ' "$CG_TMP/show9.txt" && break
	sleep 0.05
done
if grep -q '^state: confirmed$' "$CG_TMP/show9.txt" &&
	grep -q '^list: default withdrawn ' "$CG_TMP/show9.txt" &&
	grep -q '^list: offers confirmed ' "$CG_TMP/show9.txt"; then
	cg_ok "lists on A reach B: default withdrawn, offers confirmed"
else
	cg_notok "lists on A not on B within 20 s"
	sed 's/^/#   /' "$CG_TMP/show9.txt"
fi
ev=$(pg_sql "SELECT count(*) FROM evidence WHERE host = 'A' AND record->>'kind' = 'consent'")
[ "${ev:-0}" -ge 1 ] && cg_ok "A's evidence of the withdrawal is in the centre ($ev record(s))" ||
	cg_notok "no evidence from A in the centre"

# --- 3. the centre is down: the replicas answer; A's change waits and flows later.
pg_stop || cg_notok "pg_ctl stop"
if timeout 10 "$CG_BUILD/consentctl" -d "$A" show user7@example.org | grep -q '^state: confirmed$' &&
	timeout 10 "$CG_BUILD/consentctl" -d "$B" show user42@example.org | grep -q '^state: withdrawn$'; then
	cg_ok "centre down: A and B still answer show"
else
	cg_notok "centre down: show failed"
fi
timeout 20 "$CG_BUILD/consentctl" -d "$A" withdraw user43@example.org >/dev/null
sleep 2
out=$(timeout 10 "$CG_BUILD/consentctl" -d "$A" status | sed -n 's/^outbox: \([0-9]*\).*/\1/p')
[ "${out:-0}" -ge 1 ] && cg_ok "centre down: A's withdrawal waits in its outbox ($out entries)" ||
	cg_notok "centre down: A's outbox is empty"
age=$(timeout 10 "$CG_BUILD/consentctl" -d "$B" status | sed -n 's/^last sync: .*(age \([0-9]*\) s)/\1/p')
[ -n "$age" ] && cg_ok "centre down: B reports its replica age ($age s)" ||
	cg_notok "centre down: B reports no replica age"
timeout 10 "$CG_BUILD/consentctl" -d "$B" status --max-age 3600 >/dev/null 2>&1 &&
	! timeout 10 "$CG_BUILD/consentctl" -d "$B" status --max-age 0 >/dev/null 2>&1 &&
	[ "$(timeout 10 "$CG_BUILD/consentctl" -d "$B" status --max-age 1 >/dev/null 2>&1; echo $?)" = 3 ] &&
	cg_ok "centre down: status --max-age exits 3 only when the replica is older" ||
	cg_notok "centre down: status --max-age does not tell a stale replica"
grep -q "lost the centre\|cannot connect" "$CG_TMP/follow-B.log" &&
	cg_ok "centre down: the follower logs the loss" || cg_notok "centre down: nothing logged"
pg_start || { cg_notok "pg_ctl start"; exit 1; }
t0=$(now_ms)
if wait_state "$B" user43@example.org withdrawn 90; then
	cg_ok "centre back: A's outage-time withdrawal reached B $(($(now_ms) - t0)) ms after the restart"
else
	cg_notok "centre back: A's withdrawal did not reach B within 90 s"
fi

# --- 4. kill -9 a follower in the middle of a large batch stream.
before=$(pg_sql "SELECT max(id) FROM consent_change")
pg_sql_as crm "INSERT INTO consent (address, state, uid, created, source)
	SELECT 'bulk' || g || '@example.net', 'pending', 'b' || g,
	       '2026-02-01T00:00:00Z'::timestamptz + g * interval '1 second', 'bulk'
	FROM generate_series(1, 50000) g" || cg_notok "50,000-row insert"
last=$(pg_sql "SELECT max(id) FROM consent_change")
killed=
end=$(($(date +%s) + 60))
while [ "$(date +%s)" -lt "$end" ]; do
	l=$(fw_last "$B")
	if [ -n "$l" ] && [ "$l" -gt "$before" ] && [ "$l" -lt "$last" ]; then
		fw_kill B
		killed=$l
		break
	fi
done
if [ -n "$killed" ]; then
	cg_ok "follower B killed with -9 mid-stream (at id $killed of $before..$last)"
else
	cg_notok "could not catch follower B mid-stream (it was at $(fw_last "$B"))"
fi
fw_start B "$B" -v
if fw_wait_id "$B" "$last" 120 && fw_wait_id "$A" "$last" 120; then
	cg_ok "after the restart B caught up to id $last"
else
	cg_notok "after the restart: B at $(fw_last "$B"), want $last"
fi
same "after kill -9 and restart"
# Every committed batch is logged after its commit; overlapping ranges would
# mean a change applied twice.
nb=$(grep -c "applied changes" "$CG_TMP/follow-B.log")
[ "$nb" -gt 10 ] || cg_notok "only $nb batch lines in B's log"
sed -n 's/.*applied changes \([0-9]*\)\.\.\([0-9]*\).*/\1 \2/p' "$CG_TMP/follow-B.log" |
	sort -n | awk 'prev != "" && $1 <= prev { bad = 1; print "#   overlap at " $1 }
		{ prev = $2 } END { exit bad }' &&
	cg_ok "no change id applied twice on B (batch ranges disjoint)" ||
	cg_notok "B applied some change ids twice"

# --- 5. a pruned change log forces a full resync.
fw_stop B
pg_sql_as crm "UPDATE consent SET source = 'moved' WHERE address LIKE 'user1%'" >/dev/null
pg_sql "UPDATE consent_change SET changed_at = now() - interval '2 days'" >/dev/null
pruned=$(pg_sql_as compliance "SELECT consent_change_prune(interval '1 day')")
last=$(pg_sql "SELECT max(id) FROM consent_change")
fw_start B "$B" -v
if fw_wait_id "$B" "$last" 120 && fw_wait_id "$A" "$last" 120 &&
	grep -q "full resync done" "$CG_TMP/follow-B.log"; then
	cg_ok "pruned log ($pruned rows): B made a full resync to id $last"
else
	cg_notok "pruned log: B at $(fw_last "$B"), want $last with a resync"
	cg_diag "$CG_TMP/follow-B.log"
fi
same "after a full resync"

. "$CG_HERE/replication-rules.sh"
. "$CG_HERE/replication-subject.sh"
. "$CG_HERE/replication-periodic.sh"
. "$CG_HERE/replication-audit.sh"

fw_stop A
fw_stop B
grep -q "stopping:" "$CG_TMP/follow-A.log" && cg_ok "SIGTERM stops a follower cleanly" ||
	cg_notok "follower A did not log a clean stop"
if [ "$CG_FAILS" -ne 0 ]; then
	cg_say "# --- follower A log (last 20 lines)"
	grep -v 'debug:' "$CG_TMP/follow-A.log" | tail -n 20 | sed 's/^/#   /' >&2
	cg_say "# --- follower B log (last 20 lines)"
	grep -v 'debug:' "$CG_TMP/follow-B.log" | tail -n 20 | sed 's/^/#   /' >&2
fi
printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
