# tests/e2e/replication-subject.sh - section 11 of replication.sh (POSIX sh,
# sourced by it with followers A and B running): evidence of a data subject
# at the centre (issue "Many hosts, one truth", item 6).  With one
# EvidenceSubjectKeyFile for both hosts:
# a. a consent change for the same address on A and on B reaches the
#    centre with the same keyed hash (with a key per host, as before, they
#    differed and no query could join them);
# b. `consentctl subject ADDR --central` as the compliance role lists the
#    records of both hosts; as host role A only A's;
# c. `consentctl forget ADDR` on A reaches the centre: the follower pushes
#    it, evidence_forget() scrubs A's records there (a version 2 record
#    whose rules string held the address in a URL loses that text) and
#    marks them; B's records are not A's to touch; A still verifies.

s11_keys=$CG_TMP/subject.keys
(umask 077; printf '# deployment evidence key\n%s\n' \
	"$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$s11_keys")
chmod 0440 "$s11_keys"
for s11_h in A B; do
	eval "s11_store=\$$s11_h"
	printf 'ConsentDB %s\nEvidenceSubjectKeyFile %s\n' "$s11_store" \
		"$s11_keys" >"$CG_TMP/subject-$s11_h.conf"
done
S11=subject11@example.org

# s11_ctl HOST ARGS...: consentctl with HOST's config (its keys).
s11_ctl() {
	s11_c=$1
	shift
	timeout 30 "$CG_BUILD/consentctl" -c "$CG_TMP/subject-$s11_c.conf" "$@"
}

# s11_count HOST HASH: rows of HOST at the centre that name HASH.
s11_count() {
	pg_sql "SELECT count(*) FROM evidence WHERE host = '$1' AND
		evidence_names(record, ARRAY['$2'])"
}

# s11_wait SECONDS SQL: until SQL (as the superuser) prints t.
s11_wait() {
	s11_end=$(($(date +%s) + $1))
	while [ "$(date +%s)" -lt "$s11_end" ]; do
		[ "$(pg_sql "$2")" = t ] && return 0
		sleep 0.2
	done
	return 1
}

# --- 11a. the same hash from both hosts.
s11_ctl A add "$S11" --ip 192.0.2.11 >/dev/null || cg_notok "11: add on A"
wait_state "$B" "$S11" pending 30 || wait_state "$B" "$S11" confirmed 5 ||
	cg_notok "11: A's record of $S11 did not reach B"
s11_ctl B withdraw "$S11" >/dev/null || cg_notok "11: withdraw on B"
s11_h=$(s11_ctl A subject "$S11" | sed -n 's/^pseudonym: //p')
s11_hb=$(s11_ctl B subject "$S11" | sed -n 's/^pseudonym: //p')
if [ -n "$s11_h" ] && [ "$s11_h" = "$s11_hb" ] &&
	s11_wait 30 "SELECT count(DISTINCT host) = 2 FROM evidence
		WHERE evidence_names(record, ARRAY['$s11_h'])"; then
	cg_ok "11a. A and B hash $S11 alike; the centre holds records of both under $(echo "$s11_h" | cut -c1-12)"
else
	cg_notok "11a. hashes A '$s11_h' B '$s11_hb', hosts at the centre: $(pg_sql "SELECT string_agg(DISTINCT host, ',') FROM evidence WHERE evidence_names(record, ARRAY['$s11_h'])")"
fi
# A record of version 2 from before the deployment key, as A pushed it:
# its rules string names the address in a URL.
pg_sql "INSERT INTO evidence (host, ref, seq, record) VALUES ('A', 'v2-s11', 0,
	jsonb_build_object('seq', 0, 'prev', '', 'time', '2026-01-01T00:00:00Z',
	'ref', 'v2-s11', 'kind', 'decision', 'sender_h', '',
	'recipients_h', '$s11_h', 'client_ip_h', '', 'tls', true,
	'class', 'marketing', 'rules', 'url.address-leak: the recipient''s address appears in https://t.example/?m=$S11 @ html body',
	'action', 'reject', 'sha256', ''))" >/dev/null ||
	cg_notok "11: planting a version 2 record"

# --- 11b. subject --central: every host for the compliance team.
s11_ctl A subject "$S11" --central --pg "$PG_CONN_BASE user=compliance" \
	>"$CG_TMP/s11-central" 2>&1
s11_rc=$?
s11_na=$(grep -c '^  A ' "$CG_TMP/s11-central")
s11_nb=$(grep -c '^  B ' "$CG_TMP/s11-central")
if [ "$s11_rc" = 0 ] && [ "$s11_na" -ge 2 ] && [ "$s11_nb" -ge 1 ] &&
	grep -q "evidence records at the centre name $S11" "$CG_TMP/s11-central"; then
	cg_ok "11b. subject --central (compliance): $s11_na records of A, $s11_nb of B"
else
	cg_notok "11b. subject --central: exit $s11_rc, A $s11_na, B $s11_nb"
	sed 's/^/#   /' "$CG_TMP/s11-central" | head -8
fi
s11_ctl A subject "$S11" --central --pg "$PG_CONN_BASE user=A" \
	>"$CG_TMP/s11-hostA" 2>&1
if grep -q '^  A ' "$CG_TMP/s11-hostA" && ! grep -q '^  B ' "$CG_TMP/s11-hostA"; then
	cg_ok "11b. as host role A: only A's records"
else
	cg_notok "11b. as host role A:"; sed 's/^/#   /' "$CG_TMP/s11-hostA" | head -5
fi

# --- 11c. forget on A reaches the centre's copy of A's evidence.
s11_ctl A forget "$S11" >/dev/null || cg_notok "11c. forget on A"
if s11_wait 30 "SELECT bool_and(forgotten_at IS NOT NULL) FROM evidence
		WHERE host = 'A' AND evidence_names(record, ARRAY['$s11_h'])" &&
	[ "$(pg_sql "SELECT count(*) FROM evidence WHERE host = 'A' AND record::text LIKE '%$S11%'")" = 0 ] &&
	[ "$(pg_sql "SELECT record->>'rules_erased' FROM evidence WHERE ref = 'v2-s11'")" = true ] &&
	[ "$(pg_sql "SELECT count(*) FROM evidence WHERE host = 'B' AND forgotten_at IS NOT NULL")" = 0 ]; then
	cg_ok "11c. forget on A: A's $(s11_count A "$s11_h") records at the centre scrubbed and marked, none of B's"
else
	cg_notok "11c. forget on A did not reach the centre as it should"
	pg_sql "SELECT host, ref, forgotten_at, left(record::text, 120) FROM evidence WHERE evidence_names(record, ARRAY['$s11_h'])" | sed 's/^/#   /'
fi
s11_ctl A subject "$S11" --central --pg "$PG_CONN_BASE user=compliance" |
	grep -q '^  A (forgotten) ' &&
	cg_ok "11c. subject --central marks A's records forgotten" ||
	cg_notok "11c. subject --central after forget"
s11_ctl A verify >"$CG_TMP/s11-verify" 2>&1 &&
	cg_ok "11c. A verifies after forget ($(grep 'record versions' "$CG_TMP/s11-verify"))" ||
	{ cg_notok "11c. verify on A after forget"; sed 's/^/#   /' "$CG_TMP/s11-verify" | head -5; }
