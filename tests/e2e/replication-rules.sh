# tests/e2e/replication-rules.sh - sections 6 to 10 of replication.sh (POSIX
# sh, sourced by it with followers A (--max-tries 3) and B running): the
# centre's rules for every writer, the shipped roles tried with forgeries,
# a central change a replica cannot store, dead letters and backoff.
# Each case is a failure of the first replication code (issue "Many hosts,
# one truth that no writer can bend").

# refuse LABEL ROLE SQL PATTERN: the statement must fail with PATTERN.
refuse() {
	if rf_out=$(pg_sql_as "$2" "$3" 2>&1); then
		cg_notok "$1: the centre accepted it"
	elif printf '%s\n' "$rf_out" | grep -q "$4"; then
		cg_ok "$1: refused ($(printf '%s\n' "$rf_out" | head -n 1 | cut -c1-90))"
	else
		cg_notok "$1: failed, but not with '$4': $rf_out"
	fi
}

# status_rc STORE: consentctl status's exit code (output in $CG_TMP/status).
status_rc() {
	timeout 20 "$CG_BUILD/consentctl" -d "$1" status >"$CG_TMP/status" 2>&1
	echo $?
}

# wait_log NAME PATTERN SECONDS: until follower NAME's log matches.
wait_log() {
	wl_end=$(($(date +%s) + $3))
	while [ "$(date +%s)" -lt "$wl_end" ]; do
		grep -q "$2" "$CG_TMP/follow-$1.log" && return 0
		sleep 0.2
	done
	return 1
}

# show_state STORE ADDR
show_state() {
	timeout 10 "$CG_BUILD/consentctl" -d "$1" show "$2" 2>/dev/null |
		sed -n 's/^state: //p'
}

# --- 6. forgeries by a host role, direct writers, what the centre refuses.
timeout 20 "$CG_BUILD/consentctl" -d "$B" withdraw user44@example.org >/dev/null
wait_state "$A" user44@example.org withdrawn 30 ||
	cg_notok "B's withdrawal of user44 did not reach A"
n0=$(pg_sql "SELECT count(*) FROM consent_change")
refuse "host A inserts a forged consent_change row" A \
	"INSERT INTO consent_change (op, address, state) VALUES ('update', 'user42@example.org', 'confirmed')" \
	"permission denied"
refuse "host A updates consent directly" A \
	"UPDATE consent SET state = 'confirmed' WHERE address = 'user42@example.org'" "permission denied"
refuse "host A deletes consent directly" A \
	"DELETE FROM consent WHERE address = 'user7@example.org'" "permission denied"
refuse "host A writes evidence under B's name" A \
	"INSERT INTO evidence (host, ref, seq, record) VALUES ('B', 'forged-1', 1, '{}') ON CONFLICT (host, ref) DO NOTHING" \
	"row-level security"
nb=$(pg_sql "SELECT count(*) FROM evidence WHERE host = 'B'")
seen=$(pg_sql_as A "SELECT count(*) FROM evidence WHERE host = 'B'")
if [ "${nb:-0}" -gt 0 ] && [ "$seen" = 0 ]; then
	cg_ok "host A sees none of B's $nb evidence records (B pushed its own under its role)"
else
	cg_notok "evidence of B: $nb at the centre, $seen visible to A"
fi
refuse "CRM UPDATE sets confirmed over a withdrawal" crm \
	"UPDATE consent SET state = 'confirmed', confirmed = now() WHERE address = 'user42@example.org'" \
	"would re-confirm the withdrawal"
refuse "CRM nightly upsert confirms over a withdrawal" crm \
	"INSERT INTO consent (address, state, confirmed, source) VALUES ('user42@example.org', 'confirmed', now(), 'crm')
	 ON CONFLICT (address) DO UPDATE SET state = EXCLUDED.state, confirmed = EXCLUDED.confirmed" \
	"would re-confirm the withdrawal"
refuse "CRM sets pending without a DOI mail" crm \
	"UPDATE consent SET state = 'pending' WHERE address = 'user42@example.org'" "would undo the withdrawal"
refuse "CRM deletes a withdrawn record" crm \
	"DELETE FROM consent WHERE address = 'user42@example.org'" "permission denied"
# Consent per list (user9: list default withdrawn on A in section 2).
refuse "host A sets consent.lists directly" A \
	"UPDATE consent SET lists = '[]' WHERE address = 'user9@example.org'" "permission denied"
refuse "CRM confirms a withdrawn list without a DOI mail for it" crm \
	"UPDATE consent SET lists = (SELECT jsonb_agg(CASE WHEN e->>'name' = 'default'
		THEN e || jsonb_build_object('state', 'confirmed', 'confirmed',
			extract(epoch FROM now())::bigint) ELSE e END)
		FROM jsonb_array_elements(lists) e) WHERE address = 'user9@example.org'" \
	"list default: would re-confirm the withdrawal"
refuse "CRM sets a list name a host cannot store" crm \
	"UPDATE consent SET lists = '[{\"name\": \"Offers!\", \"state\": \"confirmed\"}]'
		WHERE address = 'user9@example.org'" consent_lists_form
refuse "CRM sets lists that are no array" crm \
	"UPDATE consent SET lists = '{\"offers\": \"confirmed\"}' WHERE address = 'user9@example.org'" \
	consent_lists_form
r=$(pg_sql_as A "SELECT consent_push('user43@example.org', 'confirmed', '', $(date +%s), 0, 0, '', 'import', false, 0, '')")
[ "$r" = refused ] &&
	cg_ok "a dateless confirmation pushed by a host (created now, no times) does not count as now: $r" ||
	cg_notok "a dateless confirmation over a withdrawal: consent_push said '$r'"
[ "$(pg_sql "SELECT count(*) FROM consent_change")" = "$n0" ] &&
	cg_ok "none of the refused writes reached the change log" ||
	cg_notok "refused writes left changes in the log"
[ "$(pg_sql "SELECT state FROM consent WHERE address = 'user42@example.org'")" = withdrawn ] &&
	[ "$(show_state "$B" user42@example.org)" = withdrawn ] &&
	cg_ok "user42 stays withdrawn at the centre and on B" ||
	cg_notok "user42 is no longer withdrawn"
refuse "a source of 218 bytes" crm \
	"INSERT INTO consent (address, source) VALUES ('long@example.org', repeat('x', 218))" consent_source_form
refuse "a newline in source" crm \
	"INSERT INTO consent (address, source) VALUES ('nl@example.org', E'line\\nbreak')" consent_source_form
refuse "ip 'unbekannt'" crm \
	"INSERT INTO consent (address, ip) VALUES ('ip@example.org', 'unbekannt')" consent_ip_form
refuse "an upper-case address" crm \
	"INSERT INTO consent (address) VALUES ('Anna@Example.org')" consent_address_form
refuse "a U-label domain" crm \
	"INSERT INTO consent (address) VALUES ('anna@bücher.example')" consent_address_form
if pg_sql_as crm "UPDATE consent SET state = 'pending', doi_sent = now() WHERE address = 'user42@example.org'" &&
	pg_sql_as crm "UPDATE consent SET state = 'confirmed', confirmed = now(), ip = '198.51.100.7' WHERE address = 'user42@example.org'" &&
	wait_state "$B" user42@example.org confirmed 20; then
	cg_ok "a new double opt-in after the withdrawal (DOI mail, then click) passes and reaches B"
else
	cg_notok "a proper re-opt-in of user42 was refused or did not reach B"
fi
# lists_doi STATE TIME: user9's list default set to STATE at TIME (the DOI
# send for pending, the confirmation for confirmed) by the CRM.
lists_doi() {
	pg_sql_as crm "UPDATE consent SET lists = (SELECT jsonb_agg(CASE WHEN
		e->>'name' = 'default' THEN e || jsonb_build_object('state', '$1',
		CASE '$1' WHEN 'pending' THEN 'doi_sent' ELSE 'confirmed' END, $2)
		ELSE e END) FROM jsonb_array_elements(lists) e)
		WHERE address = 'user9@example.org'" >/dev/null
}
t9=$(($(date +%s) + 1))
if lists_doi pending "$t9" && lists_doi confirmed "$t9" &&
	[ "$(pg_sql "SELECT e->>'state' FROM consent, jsonb_array_elements(lists) e
		WHERE address = 'user9@example.org' AND e->>'name' = 'offers'")" = confirmed ]; then
	ls_end=$(($(date +%s) + 20))
	while [ "$(date +%s)" -lt "$ls_end" ]; do
		timeout 10 "$CG_BUILD/consentctl" -d "$B" show user9@example.org >"$CG_TMP/show9.txt" 2>&1
		grep -q '^list: default confirmed ' "$CG_TMP/show9.txt" && break
		sleep 0.1
	done
	grep -q '^list: default confirmed ' "$CG_TMP/show9.txt" &&
		grep -q '^list: offers confirmed ' "$CG_TMP/show9.txt" &&
		cg_ok "a new double opt-in for one list (DOI mail, then click) passes the guard and reaches B; offers stays" ||
		cg_notok "the re-opt-in of user9's list default did not reach B: $(tr '\n' ' ' <"$CG_TMP/show9.txt")"
else
	cg_notok "a proper re-opt-in of user9's list default was refused at the centre"
fi
note=$(pg_sql_as compliance "BEGIN; SET LOCAL consentgate.force_reason = 'paper form, box 12';
	UPDATE consent SET state = 'confirmed', confirmed = now() WHERE address = 'user43@example.org';
	COMMIT; SELECT note FROM consent_change WHERE address = 'user43@example.org' ORDER BY id DESC LIMIT 1" 2>/dev/null)
[ "$note" = "forced by compliance: paper form, box 12" ] &&
	cg_ok "an administrator's override is noted in the change log ($note)" ||
	cg_notok "forced change: note '$note'"
wait_state "$B" user43@example.org confirmed 20 &&
	cg_ok "the hosts take the forced change as the centre accepted it" ||
	cg_notok "B did not take the forced confirmation of user43"

# --- 7. a central change B cannot store stops B there, loudly.
pg_sql "ALTER TABLE consent DROP CONSTRAINT consent_source_form" >/dev/null
pg_sql_as crm "UPDATE consent SET state = 'withdrawn', withdrawn = now(), source = repeat('x', 218)
	WHERE address = 'user60@example.org'" >/dev/null
bad=$(pg_sql "SELECT max(id) FROM consent_change")
pg_sql "ALTER TABLE consent ADD CONSTRAINT consent_source_form
	CHECK (consent_text_ok(source, 200)) NOT VALID" >/dev/null
pg_sql_as crm "UPDATE consent SET state = 'withdrawn', withdrawn = now() WHERE address = 'user61@example.org'" >/dev/null
if wait_log B "stopped: change $bad for user60@example.org" 20; then
	cg_ok "B stops at change $bad (the 218-byte source) with one error line"
else
	cg_notok "B did not stop at change $bad"
fi
sleep 4 # a few retries
[ "$(grep -c "stopped: change $bad" "$CG_TMP/follow-B.log")" = 1 ] &&
	cg_ok "the error is logged once, not per retry" ||
	cg_notok "the stop is logged $(grep -c "stopped: change $bad" "$CG_TMP/follow-B.log") times"
rc=$(status_rc "$B")
if [ "$rc" = 3 ] && grep -q "^stopped at: change $bad for user60@example.org cannot be applied: source too long" "$CG_TMP/status"; then
	cg_ok "B's status exits 3 and names the change"
else
	cg_notok "B's status exit $rc: $(cat "$CG_TMP/status")"
fi
[ "$(fw_last "$B")" = $((bad - 1)) ] && [ "$(show_state "$B" user61@example.org)" = confirmed ] &&
	[ "$(show_state "$B" user60@example.org)" = confirmed ] &&
	cg_ok "B holds its last good state: nothing after change $bad is applied or skipped" ||
	cg_notok "B at $(fw_last "$B") (want $((bad - 1))), user60 $(show_state "$B" user60@example.org), user61 $(show_state "$B" user61@example.org)"
pg_sql_as compliance "UPDATE consent SET source = 'CRM export, shortened' WHERE address = 'user60@example.org'" >/dev/null
last=$(pg_sql "SELECT max(id) FROM consent_change")
if fw_wait_id "$B" "$last" 70 && [ "$(status_rc "$B")" = 0 ] &&
	[ "$(show_state "$B" user60@example.org)" = withdrawn ] &&
	[ "$(show_state "$B" user61@example.org)" = withdrawn ]; then
	cg_ok "the centre corrected the row: B goes on (user60 and user61 withdrawn), status 0"
else
	cg_notok "after the correction: B at $(fw_last "$B") of $last; $(cat "$CG_TMP/status")"
fi
fw_wait_id "$A" "$last" 70 || cg_notok "A did not go on after the correction"

# --- 8. a record the centre refuses becomes a dead letter, not a poison pill.
printf 'address,state,source,created\nlatin1@example.org,pending,Caf\351 aus Excel,2026-03-01T00:00:00Z\n' \
	>"$CG_TMP/latin1.csv"
timeout 20 "$CG_BUILD/consentctl" -d "$A" import "$CG_TMP/latin1.csv" >/dev/null ||
	cg_notok "import of the Latin-1 row on A"
timeout 20 "$CG_BUILD/consentctl" -d "$A" withdraw user62@example.org >/dev/null
if wait_state "$B" user62@example.org withdrawn 40; then
	cg_ok "A's withdrawal queued after the refused entry reached B"
else
	cg_notok "A's withdrawal is stuck behind the refused entry"
fi
wait_log A "is now a dead letter" 30 || cg_notok "no dead letter logged on A"
grep -q "invalid byte sequence for encoding" "$CG_TMP/follow-A.log" &&
	cg_ok "A logs the centre's reason (invalid byte sequence for encoding UTF8)" ||
	cg_notok "A's log lacks the centre's reason"
rc=$(status_rc "$A")
[ "$rc" = 3 ] && grep -q "^dead letters: [1-9]" "$CG_TMP/status" &&
	cg_ok "A's status exits 3 with $(sed -n 's/^dead letters: \([0-9]*\).*/\1/p' "$CG_TMP/status") dead letter(s)" ||
	cg_notok "A's status exit $rc: $(cat "$CG_TMP/status")"
timeout 10 "$CG_BUILD/consentctl" -d "$A" outbox list >"$CG_TMP/dead" 2>&1
key=$(sed -n 's/^\([0-9]*\) .* consent latin1@example.org: .*invalid byte sequence.*/\1/p' "$CG_TMP/dead" | head -n 1)
[ -n "$key" ] && cg_ok "outbox list shows the letter ($(head -n 1 "$CG_TMP/dead" | cut -c1-100))" ||
	cg_notok "outbox list: $(cat "$CG_TMP/dead")"
# dead_count: how often A set the Latin-1 entry aside.
dead_count() {
	grep -c "(latin1@example.org) is now a dead letter" "$CG_TMP/follow-A.log"
}
if [ -n "$key" ] && timeout 10 "$CG_BUILD/consentctl" -d "$A" outbox retry "$key" >/dev/null; then
	end=$(($(date +%s) + 30))
	while [ "$(dead_count)" -lt 2 ] && [ "$(date +%s)" -lt "$end" ]; do
		sleep 0.3
	done
	[ "$(dead_count)" -ge 2 ] &&
		cg_ok "outbox retry queued it again; the centre refused it again" ||
		cg_notok "the retried entry was not pushed again"
else
	cg_notok "outbox retry '$key' failed"
fi
timeout 10 "$CG_BUILD/consentctl" -d "$A" outbox drop --all >/dev/null &&
	[ "$(status_rc "$A")" = 0 ] &&
	cg_ok "outbox drop --all: no dead letters, status 0" ||
	cg_notok "after outbox drop: $(cat "$CG_TMP/status")"
acts=$(timeout 10 "$CG_BUILD/consentctl" -d "$A" log | grep -o "outbox-dead\|outbox-retry\|outbox-drop" |
	sort -u | tr '\n' ' ')
[ "$acts" = "outbox-dead outbox-drop outbox-retry " ] &&
	cg_ok "each action has its evidence record ($acts)" ||
	cg_notok "evidence of the outbox actions: '$acts'"

# --- 9. a follower without privileges backs off instead of looping.
pg_sql "CREATE ROLE nogrant LOGIN" >/dev/null
C=$CG_TMP/storeC
timeout 20 "$CG_BUILD/consentctl" -d "$C" init >/dev/null
timeout 20 "$CG_BUILD/consentctl" -d "$C" add carla@example.org --state pending >/dev/null
"$CG_BUILD/consentctl" -d "$C" follow --pg "$PG_CONN_BASE user=nogrant" \
	>"$CG_TMP/follow-C.log" 2>&1 &
pid_c=$!
FW_PIDS="$FW_PIDS $pid_c"
sleep 5
cg_stop_pid "$pid_c" "follower C"
conns=$(grep -c "connected to the centre" "$CG_TMP/follow-C.log")
tries=$(grep -c "pushing carla@example.org: .*permission denied" "$CG_TMP/follow-C.log")
if [ "$conns" -le 2 ] && [ "$tries" -ge 1 ] && [ "$tries" -le 5 ]; then
	cg_ok "without privileges: $conns connection(s), $tries refused pushes in 5 s (backoff)"
else
	cg_notok "without privileges: $conns connections, $tries refused pushes in 5 s"
fi

# --- 10. follow --verify: the replica proves it matches the centre.
# verify_b: one `follow --verify` of B (follower B stopped); output in
# $CG_TMP/verify, exit code echoed.
verify_b() {
	timeout 60 "$CG_BUILD/consentctl" -d "$B" follow --verify -v \
		--pg "$PG_CONN_BASE user=B" >"$CG_TMP/verify" 2>"$CG_TMP/verify.err"
	echo $?
}
# show_source STORE ADDR
show_source() {
	timeout 10 "$CG_BUILD/consentctl" -d "$1" show "$2" 2>/dev/null |
		sed -n 's/^source: //p'
}
fw_stop B
t10=$(now_ms)
t0=$(now_ms)
rc=$(verify_b)
if [ "$rc" = 0 ] && grep -q "^verify: .* 0 of 256 ranges differ, 0 addresses differ" "$CG_TMP/verify"; then
	cg_ok "verify after normal sync: match ($(grep '^verify:' "$CG_TMP/verify"), $(($(now_ms) - t0)) ms)"
else
	cg_notok "verify after normal sync: exit $rc"
	sed "s/^/#   /" "$CG_TMP/verify" | head -5; grep "centre \|here  " "$CG_TMP/verify.err" | head -6 | cat -v
fi
# Behind B's back: the superuser changes one row with every trigger off
# (no change log entry, so no follower ever hears of it).
pg_sql "SET session_replication_role = replica;
	UPDATE consent SET source = 'tampered' WHERE address = 'user77@example.org'" >/dev/null ||
	cg_notok "tampering at the centre failed"
rc=$(verify_b)
if [ "$rc" = 3 ] && grep -q "^differs: user77@example.org (fields differ: source)$" "$CG_TMP/verify" &&
	[ "$(grep -c '^differs:' "$CG_TMP/verify")" = 1 ] &&
	grep -q ", 1 of 256 ranges differ, 1 addresses differ" "$CG_TMP/verify"; then
	cg_ok "verify after a change behind B's back: exit 3, names user77@example.org only"
else
	cg_notok "verify after tampering: exit $rc"
	sed "s/^/#   /" "$CG_TMP/verify" | head -5; grep "centre \|here  " "$CG_TMP/verify.err" | head -6 | cat -v
fi
rc=$(status_rc "$B")
[ "$rc" = 3 ] && grep -q "^last verify: .*: 1 addresses differ" "$CG_TMP/status" &&
	cg_ok "status exits 3 after the failed verify" ||
	cg_notok "status after the failed verify: exit $rc: $(cat "$CG_TMP/status")"
timeout 10 "$CG_BUILD/consentctl" -d "$B" log >"$CG_TMP/verify.log" 2>&1
grep -q "verify.*differs, 1 addresses differ" "$CG_TMP/verify.log" &&
	grep -q "verify.*match, 0 addresses differ" "$CG_TMP/verify.log" &&
	cg_ok "each verify left its evidence record (match, then 1 differing)" ||
	{ cg_notok "evidence of the verifications"; sed 's/^/#   /' "$CG_TMP/verify.log" | tail -5; }
timeout 120 "$CG_BUILD/consentctl" -d "$B" follow --once --resync \
	--pg "$PG_CONN_BASE user=B" >/dev/null 2>&1 || cg_notok "resync of B failed"
rc=$(verify_b)
if [ "$rc" = 0 ] && [ "$(status_rc "$B")" = 0 ] &&
	[ "$(show_source "$B" user77@example.org)" = tampered ]; then
	cg_ok "after a resync verify passes again and status is 0 (section 10: $(($(now_ms) - t10)) ms)"
else
	cg_notok "after the resync: verify exit $rc, status $(cat "$CG_TMP/status")"
	sed 's/^/#   /' "$CG_TMP/verify" | head -10
fi
fw_start B "$B" -v
