#!/bin/sh
# tests/miltertest/run.sh BUILD - milter-protocol tests (POSIX sh) with miltertest
# against the real daemon: a temporary consent store (a@rcpt.example confirmed,
# b@rcpt.example no record, c@rcpt.example withdrawn), BUILD/consentgate -f on
# inet:PORT@127.0.0.1, then one Lua case per behaviour:
#   miltertest -s tests/miltertest/CASE.lua -D port=PORT -D libdir=tests/miltertest
# Cases rcpt-limit and local-submission also name the decision the daemon
# must log (action=tempfail / action=reject at end of message).
# Prints "ok - CASE: ..." or "not ok - CASE: ..." per case; exits 1 if any failed.
# Run as root (the daemon drops to UserID nobody): sh tests/miltertest/run.sh build
#
# Then a second instance configured from tests/data/rules.conf (Socket, ConsentDB,
# UserID replaced; DoiSenders confirm@shop.example, MarketingSenders
# newsletter@shop.example, ArchiveAddress doi-archive@shop.example,
# UnsubscribeAddress unsubscribe@shop.example) runs the fixture cases
#   miltertest -s CASE.lua -D port=PORT -D libdir=DIR -D datadir=tests/data
# with its own store (kunde@, kunde2@ uid u-77, kunde3@, pixel@ confirmed;
# tracker@ confirmed with tracking consent; b.meyer@, c.wolf@, dana@ confirmed).
# For each of them the lines the daemon logged during the case must name the
# expected decision (e.g. "rules=doi.advertising"), since miltertest only sees
# the reply code; doi-clean is also checked with consentctl show, and
# address-leak with mdb_dump (the chained record holds the link's detail only
# as a keyed hash) and consentctl evidence (which shows it).
#
# Last, a third instance from tests/miltertest/fault-pass.conf
# (FaultActionTransactional pass) on a store whose map cannot grow
# (CONSENTGATE_MAPSIZE): case fault-pass fills it with marketing mail until the
# evidence write fails, then checks transactional mail passes with
# "fault=evidence" (and, to a recipient whose record cannot be read, with
# "fault=store") while mail of class other and marketing mail answer 4xx.

MT_HERE=$(cd "$(dirname "$0")" && pwd)
. "$MT_HERE/../e2e/lib.sh"

cg_setup "$1"
cg_need miltertest mdb_load
cg_watchdog "${CG_TIME_LIMIT:-105}"

set -- $(cg_free_ports 1)
MILTER_PORT=$1
[ -n "$MILTER_PORT" ] || cg_die "could not pick free ports on 127.0.0.1"

setup_fail() {
	cg_notok "setup: $*"
	exit 1
}

cg_seed_store "$CG_TMP/store" "a@rcpt.example=confirmed" "c@rcpt.example=withdrawn" ||
	setup_fail "seeding the consent store with consentctl"
cg_write_config "$CG_TMP/consentgate.conf" "$MILTER_PORT" "$CG_TMP/store"
cg_start_milter "$CG_TMP/consentgate.conf" "$MILTER_PORT" || setup_fail "starting consentgate"

# mt_log_since N PATTERN...: true when every ERE PATTERN occurs in the milter log
# after its first N lines.
mt_log_since() {
	mt_n=$1
	shift
	for mt_p in "$@"; do
		tail -n "+$((mt_n + 1))" "$CG_MILTER_LOG" | grep -Eq -- "$mt_p" || return 1
	done
	return 0
}

# CASE[|PATTERN]: PATTERN, when given, must appear in the daemon's log.
for mt_spec in consented unconsented withdrawn transactional mixed \
	'rcpt-limit|class=marketing action=tempfail rules=consent\.missing$' \
	'local-submission|class=marketing action=reject rules=consent\.missing,consent\.withdrawn$'; do
	mt_case=${mt_spec%%|*}
	mt_pat=
	[ "$mt_case" = "$mt_spec" ] || mt_pat=${mt_spec#*|}
	mt_out=$CG_TMP/$mt_case.out
	mt_lines=$(wc -l <"$CG_MILTER_LOG" | tr -d ' ')
	timeout 60 miltertest -s "$MT_HERE/$mt_case.lua" -D "port=$MILTER_PORT" \
		-D "libdir=$MT_HERE" >"$mt_out" 2>&1
	mt_rc=$?
	mt_pass=$(grep '^PASS: ' "$mt_out" | head -n 1 | sed 's/^PASS: //')
	mt_fail=$(grep '^FAIL: ' "$mt_out" | head -n 1 | sed 's/^FAIL: //')
	if [ "$mt_rc" -eq 0 ] && [ -n "$mt_pass" ] && [ -z "$mt_fail" ] &&
		[ -n "$mt_pat" ] && ! mt_log_since "$mt_lines" "$mt_pat"; then
		cg_notok "$mt_case: the daemon's log lacks '$mt_pat'"
		tail -n "+$((mt_lines + 1))" "$CG_MILTER_LOG" | sed 's/^/#   log: /'
	elif [ "$mt_rc" -eq 0 ] && [ -n "$mt_pass" ] && [ -z "$mt_fail" ]; then
		cg_ok "$mt_pass"
	else
		[ -n "$mt_fail" ] || mt_fail="$mt_case: miltertest exited $mt_rc without PASS"
		cg_notok "$mt_fail"
		sed 's/^/#   /' "$mt_out"
	fi
	if ! cg_alive "$CG_MILTER_PID"; then
		cg_notok "consentgate died during the $mt_case case"
		exit 1
	fi
done

# ---------------------------------------------------------------- rules.conf instance

MT_DATA=$(cd "$MT_HERE/../data" && pwd)

cg_stop_pid "$CG_MILTER_PID" consentgate
CG_MILTER_PID=
set -- $(cg_free_ports 1)
MILTER_PORT=$1
[ -n "$MILTER_PORT" ] || cg_die "could not pick free ports on 127.0.0.1"
cg_seed_store "$CG_TMP/store-rules" "kunde@example.org=confirmed" \
	"b.meyer@example.net=confirmed" "c.wolf@example.com=confirmed" \
	"dana@example.org=confirmed" "pixel@example.org=confirmed" \
	"kunde3@example.org=confirmed" ||
	setup_fail "seeding the rules.conf consent store with consentctl"
cg_ctl add kunde2@example.org --state confirmed --uid u-77 >>"$CG_TMP/ctl.log" 2>&1 &&
	cg_ctl add tracker@example.org --state confirmed --tracking yes >>"$CG_TMP/ctl.log" 2>&1 ||
	setup_fail "consentctl add kunde2 (uid u-77) / tracker (tracking yes)"
cg_rules_config "$CG_TMP/rules.conf" "$MILTER_PORT" "$CG_TMP/store-rules" "$MT_DATA/rules.conf" ||
	setup_fail "writing the config from tests/data/rules.conf"
cg_start_milter "$CG_TMP/rules.conf" "$MILTER_PORT" ||
	setup_fail "starting consentgate with tests/data/rules.conf"

# mt_leak_check N: the url.address-leak decision logged after line N is
# chained with its detail as a keyed hash only (the base64url address of
# the fixture's link is not in the stored bytes), and consentctl evidence
# REF shows the link; mt_why says what failed.
mt_leak_check() {
	mt_ref=$(tail -n "+$(($1 + 1))" "$CG_MILTER_LOG" |
		sed -n 's/.*ref=\([^ ]*\) .*rules=url\.address-leak$/\1/p' | head -n 1)
	mt_why="no ref logged"
	[ -n "$mt_ref" ] || return 1
	mdb_dump -p -s evidence "$CG_TMP/store-rules" >"$CG_TMP/leak.dump" 2>&1 ||
		{ mt_why="mdb_dump failed"; return 1; }
	mt_why="the chained record holds the link"
	grep -q "$mt_ref" "$CG_TMP/leak.dump" && grep -q 'detail_h' "$CG_TMP/leak.dump" &&
		! grep -q 'eyJlbWFpbCI6Imt1bmRl' "$CG_TMP/leak.dump" || return 1
	mt_why="consentctl evidence $mt_ref lacks the link"
	cg_ctl evidence "$mt_ref" 2>&1 | grep -q 'eyJlbWFpbCI6Imt1bmRl'
}

# CASE|PATTERN[|PATTERN...]: the decisions the daemon must log during the case.
for mt_spec in \
	'doi-advertising|class=doi action=reject rules=doi\.advertising$' \
	'doi-clean|class=doi action=pass$' \
	'doi-resend|class=doi action=pass$|class=doi action=reject rules=doi\.resend$' \
	'oneclick-missing|class=marketing action=pass$|class=marketing action=reject rules=unsubscribe\.one-click$' \
	'cc-exposure|class=marketing action=reject rules=exposure\.recipients$' \
	'pixel-no-consent|class=marketing action=reject rules=tracking\.no-consent$|class=marketing action=pass$' \
	'withdrawal|consent withdrawn by mail|class=other action=pass$|class=marketing action=reject rules=consent\.withdrawn$' \
	'order-teaser|class=other action=pass$|class=other action=tag rules=transactional\.advertising$' \
	'address-leak|class=marketing action=reject rules=url\.address-leak$'; do
	mt_case=${mt_spec%%|*}
	mt_pats=${mt_spec#*|}
	mt_out=$CG_TMP/$mt_case.out
	mt_lines=$(wc -l <"$CG_MILTER_LOG" | tr -d ' ')
	timeout 60 miltertest -s "$MT_HERE/$mt_case.lua" -D "port=$MILTER_PORT" \
		-D "libdir=$MT_HERE" -D "datadir=$MT_DATA" >"$mt_out" 2>&1
	mt_rc=$?
	mt_pass=$(grep '^PASS: ' "$mt_out" | head -n 1 | sed 's/^PASS: //')
	mt_fail=$(grep '^FAIL: ' "$mt_out" | head -n 1 | sed 's/^FAIL: //')
	if [ "$mt_rc" -eq 0 ] && [ -n "$mt_pass" ] && [ -z "$mt_fail" ]; then
		mt_missing=
		mt_old_ifs=$IFS
		IFS='|'
		for mt_p in $mt_pats; do
			mt_log_since "$mt_lines" "$mt_p" || mt_missing="${mt_missing:+$mt_missing, }'$mt_p'"
		done
		IFS=$mt_old_ifs
		if [ "$mt_case" = doi-clean ]; then
			cg_ctl show new-mt@example.org >"$CG_TMP/show-new-mt.txt" 2>&1
			grep -Eq '^state: *pending' "$CG_TMP/show-new-mt.txt" &&
				grep -Eq '^doi_sent: *[0-9]{4}-' "$CG_TMP/show-new-mt.txt" &&
				grep -Fq "$(sed -n 's/^Message-ID: *<\([^>]*\)>.*/\1/p' "$MT_DATA/doi/clean-de-formal-plain-utf8-qp.eml")" "$CG_TMP/show-new-mt.txt" ||
				mt_missing="${mt_missing:+$mt_missing, }consentctl show new-mt@example.org: pending with doi_sent and the message-id"
		fi
		if [ "$mt_case" = address-leak ]; then
			mt_leak_check "$mt_lines" ||
				mt_missing="${mt_missing:+$mt_missing, }the URL kept beside the chain ($mt_why)"
		fi
		if [ -z "$mt_missing" ]; then
			cg_ok "$mt_pass"
		else
			cg_notok "$mt_case: the daemon's log or store lacks $mt_missing"
			tail -n "+$((mt_lines + 1))" "$CG_MILTER_LOG" | sed 's/^/#   log: /'
			[ "$mt_case" = doi-clean ] && sed 's/^/#   show: /' "$CG_TMP/show-new-mt.txt"
		fi
	else
		[ -n "$mt_fail" ] || mt_fail="$mt_case: miltertest exited $mt_rc without PASS"
		cg_notok "$mt_fail"
		sed 's/^/#   /' "$mt_out"
	fi
	if ! cg_alive "$CG_MILTER_PID"; then
		cg_notok "consentgate (rules.conf) died during the $mt_case case"
		exit 1
	fi
done

# ---------------------------------------------------------------- brand profiles
# brands.conf with ProfileDirectory brands-profiles (brand-a, brand-b): each
# brand's compliant mail passes under its own profile, brand A's mail with
# brand B's imprint is refused, and the log names the profile.  Then
# consentctl check names the profile and consentgate -n refuses overlapping
# profiles with file:line.

cg_stop_pid "$CG_MILTER_PID" consentgate
CG_MILTER_PID=
set -- $(cg_free_ports 1)
MILTER_PORT=$1
[ -n "$MILTER_PORT" ] || cg_die "could not pick free ports on 127.0.0.1"
cg_seed_store "$CG_TMP/store-brands" "a@rcpt.example=confirmed" ||
	setup_fail "seeding the brands consent store with consentctl"
cg_rules_config "$CG_TMP/brands.conf" "$MILTER_PORT" "$CG_TMP/store-brands" \
	"$MT_HERE/brands.conf" &&
	printf 'ProfileDirectory %s\n' "$MT_HERE/brands-profiles" >>"$CG_TMP/brands.conf" ||
	setup_fail "writing the config from tests/miltertest/brands.conf"
cg_start_milter "$CG_TMP/brands.conf" "$MILTER_PORT" ||
	setup_fail "starting consentgate with tests/miltertest/brands.conf"
mt_lines=$(wc -l <"$CG_MILTER_LOG" | tr -d ' ')
timeout 60 miltertest -s "$MT_HERE/brands.lua" -D "port=$MILTER_PORT" \
	-D "libdir=$MT_HERE" >"$CG_TMP/brands.out" 2>&1
mt_rc=$?
mt_pass=$(grep '^PASS: ' "$CG_TMP/brands.out" | head -n 1 | sed 's/^PASS: //')
mt_fail=$(grep '^FAIL: ' "$CG_TMP/brands.out" | head -n 1 | sed 's/^FAIL: //')
if [ "$mt_rc" -eq 0 ] && [ -n "$mt_pass" ] && [ -z "$mt_fail" ] &&
	mt_log_since "$mt_lines" 'class=marketing action=pass profile=brand-a$' \
		'class=marketing action=pass profile=brand-b$' \
		'class=marketing action=reject rules=([a-z.-]+,)*content\.imprint(,[a-z.-]+)* profile=brand-a$' \
		'From is in profile brand-b, the envelope sender in profile brand-a: profile brand-a applies'; then
	cg_ok "$mt_pass"
else
	[ -n "$mt_fail" ] || mt_fail="brands: miltertest exited $mt_rc without PASS, or the log lacks the profile decisions"
	cg_notok "$mt_fail"
	sed 's/^/#   /' "$CG_TMP/brands.out"
	tail -n "+$((mt_lines + 1))" "$CG_MILTER_LOG" | sed 's/^/#   log: /'
fi
if ! cg_alive "$CG_MILTER_PID"; then
	cg_notok "consentgate (brands.conf) died during the brands case"
	exit 1
fi
# The evidence record of brand A's decision names its profile.
mt_ref=$(tail -n "+$((mt_lines + 1))" "$CG_MILTER_LOG" |
	sed -n 's/.* ref=\([^ ]*\) class=marketing action=pass profile=brand-a$/\1/p' | head -n 1)
if [ -n "$mt_ref" ] && cg_ctl_brands=$("$CG_BUILD/consentctl" -d "$CG_TMP/store-brands" \
	evidence "$mt_ref" 2>&1) && printf '%s\n' "$cg_ctl_brands" | grep -Fq '"profile":"brand-a"'; then
	cg_ok "brands: the evidence record $mt_ref has \"profile\":\"brand-a\""
else
	cg_notok "brands: the evidence record ${mt_ref:-(no ref)} lacks \"profile\":\"brand-a\""
	printf '%s\n' "${cg_ctl_brands:-}" | sed 's/^/#   /'
fi
# consentctl log --profile brand-a lists brand A's decision and its opt-in
# mail's doi-send record (profile=brand-a), and not brand B's decision.
mt_ref_b=$(tail -n "+$((mt_lines + 1))" "$CG_MILTER_LOG" |
	sed -n 's/.* ref=\([^ ]*\) class=marketing action=pass profile=brand-b$/\1/p' | head -n 1)
mt_log_a=$("$CG_BUILD/consentctl" -d "$CG_TMP/store-brands" log --profile brand-a 2>&1)
mt_csv_a=$("$CG_BUILD/consentctl" -d "$CG_TMP/store-brands" log --profile brand-a \
	--kind doi-send --format csv 2>&1)
if [ -n "$mt_ref" ] && [ -n "$mt_ref_b" ] &&
	printf '%s\n' "$mt_log_a" | grep -q " $mt_ref decision marketing pass .* profile=brand-a\$" &&
	! printf '%s\n' "$mt_log_a" | grep -q " $mt_ref_b " &&
	! printf '%s\n' "$mt_log_a" | grep -q 'profile=brand-b' &&
	printf '%s\n' "$mt_log_a" | grep -q ' doi-send doi passed-to-mta .* profile=brand-a state=none->pending$' &&
	printf '%s\n' "$mt_csv_a" | tr -d '\r' | grep -q ',doi-send,.*,brand-a$'; then
	cg_ok "brands: consentctl log --profile brand-a lists $mt_ref and brand A's doi-send record, not brand B's $mt_ref_b"
else
	cg_notok "brands: consentctl log --profile brand-a (brand A ${mt_ref:-?}, brand B ${mt_ref_b:-?})"
	printf '%s\n%s\n' "$mt_log_a" "$mt_csv_a" | sed 's/^/#   /'
fi

# consentctl check chooses the profile like the milter (here by the From).
printf '%s\n' "From: Brand A <news@brand-a.example>" "To: a@rcpt.example" \
	"Subject: Autumn" "Message-ID: <ctl-brand-a@brand-a.example>" \
	"List-Unsubscribe: <https://brand-a.example/unsubscribe?u=1>" \
	"List-Unsubscribe-Post: List-Unsubscribe=One-Click" \
	"Content-Type: text/plain" "" \
	"Privacy policy: https://brand-a.example/privacy" \
	"Unsubscribe: https://brand-a.example/unsubscribe?u=1" \
	"Imprint: Brand A GmbH, Alleestrasse 1, 10115 Berlin" >"$CG_TMP/brand-a.eml"
mt_chk=$("$CG_BUILD/consentctl" -c "$CG_TMP/brands.conf" check "$CG_TMP/brand-a.eml" 2>&1)
mt_chk_b=$("$CG_BUILD/consentctl" -c "$CG_TMP/brands.conf" check --profile brand-b \
	"$CG_TMP/brand-a.eml" 2>&1)
if printf '%s\n' "$mt_chk" | grep -q 'marketing, pass \[profile brand-a\]$' &&
	printf '%s\n' "$mt_chk_b" | grep -q 'marketing, refused \[profile brand-b\]$' &&
	printf '%s\n' "$mt_chk_b" | grep -q 'content\.imprint'; then
	cg_ok "brands: consentctl check applies brand-a by the From; --profile brand-b refuses"
else
	cg_notok "brands: consentctl check did not name or apply the profile"
	printf '%s\n%s\n' "$mt_chk" "$mt_chk_b" | sed 's/^/#   /'
fi

# consentgate -n refuses overlapping sender sets, naming file:line.
mkdir "$CG_TMP/overlap-profiles"
cp "$MT_HERE/brands-profiles/brand-a" "$MT_HERE/brands-profiles/brand-b" \
	"$CG_TMP/overlap-profiles/"
printf 'ImprintText Brand C\nProfileSenders promo@brand-a.example\n' \
	>"$CG_TMP/overlap-profiles/brand-c"
sed "s|^ProfileDirectory .*|ProfileDirectory $CG_TMP/overlap-profiles|" \
	"$CG_TMP/brands.conf" >"$CG_TMP/overlap.conf"
if timeout 20 "$CG_BUILD/consentgate" -n -c "$CG_TMP/overlap.conf" >"$CG_TMP/overlap.out" 2>&1; then
	cg_notok "brands: consentgate -n accepted overlapping profiles"
elif grep -Fq "overlap-profiles/brand-c:2: ProfileSenders: 'promo@brand-a.example' overlaps '@brand-a.example' of profile brand-a" "$CG_TMP/overlap.out"; then
	cg_ok "brands: consentgate -n refuses overlapping profiles with file:line"
else
	cg_notok "brands: consentgate -n failed without naming the overlap"
	sed 's/^/#   /' "$CG_TMP/overlap.out"
fi

# ---------------------------------------------------------------- fault-pass instance
# tests/miltertest/fault-pass.conf on its own store (a@rcpt.example confirmed)
# whose LMDB map cannot grow beyond its size after seeding: evidence writes
# fail once it is full, and with a record (broken@rcpt.example) that cannot be
# read.  The daemon must log the transactional mails' passes with their
# faults, and the warnings naming FaultActionTransactional.

cg_stop_pid "$CG_MILTER_PID" consentgate
CG_MILTER_PID=
set -- $(cg_free_ports 1)
MILTER_PORT=$1
[ -n "$MILTER_PORT" ] || cg_die "could not pick free ports on 127.0.0.1"
cg_seed_store "$CG_TMP/store-fault" "a@rcpt.example=confirmed" ||
	setup_fail "seeding the fault-pass store with consentctl"
# broken@rcpt.example: a record the store cannot decode, so its lookup fails.
printf 'VERSION=3\nformat=print\ntype=btree\nHEADER=END\n broken@rcpt.example\n \\ff\\ffnot-a-record\nDATA=END\n' \
	>"$CG_TMP/broken.txt"
mdb_load -s consent -f "$CG_TMP/broken.txt" "$CG_TMP/store-fault" >"$CG_TMP/mdb_load.log" 2>&1 &&
	chown -R nobody:nogroup "$CG_TMP/store-fault" ||
	setup_fail "mdb_load of a corrupt record into the fault-pass store"
cg_rules_config "$CG_TMP/fault-pass.conf" "$MILTER_PORT" "$CG_TMP/store-fault" \
	"$MT_HERE/fault-pass.conf" || setup_fail "writing the config from fault-pass.conf"
CONSENTGATE_MAPSIZE=$(stat -c %s "$CG_TMP/store-fault/data.mdb")
export CONSENTGATE_MAPSIZE
cg_start_milter "$CG_TMP/fault-pass.conf" "$MILTER_PORT" ||
	setup_fail "starting consentgate with fault-pass.conf and a full map"
unset CONSENTGATE_MAPSIZE
mt_out=$CG_TMP/fault-pass.out
mt_lines=$(wc -l <"$CG_MILTER_LOG" | tr -d ' ')
timeout 60 miltertest -s "$MT_HERE/fault-pass.lua" -D "port=$MILTER_PORT" \
	-D "libdir=$MT_HERE" >"$mt_out" 2>&1
mt_rc=$?
mt_pass=$(grep '^PASS: ' "$mt_out" | head -n 1 | sed 's/^PASS: //')
mt_fail=$(grep '^FAIL: ' "$mt_out" | head -n 1 | sed 's/^FAIL: //')
if [ "$mt_rc" -eq 0 ] && [ -n "$mt_pass" ] && [ -z "$mt_fail" ]; then
	if mt_log_since "$mt_lines" 'class=transactional action=pass fault=evidence$' \
		'class=transactional action=pass fault=store$' \
		'class=transactional: the store cannot be used; FaultActionTransactional pass' \
		'class=transactional: the evidence cannot be used; FaultActionTransactional pass' \
		'class=other: the evidence|cannot record evidence; tempfail'; then
		cg_ok "$mt_pass"
	else
		cg_notok "fault-pass: the daemon's log lacks the fault-pass decision or its warning"
		tail -n "+$((mt_lines + 1))" "$CG_MILTER_LOG" | sed 's/^/#   log: /'
	fi
else
	[ -n "$mt_fail" ] || mt_fail="fault-pass: miltertest exited $mt_rc without PASS"
	cg_notok "$mt_fail"
	sed 's/^/#   /' "$mt_out"
	tail -n "+$((mt_lines + 1))" "$CG_MILTER_LOG" | sed 's/^/#   log: /'
fi
if ! cg_alive "$CG_MILTER_PID"; then
	cg_notok "consentgate (fault-pass) died during the fault-pass case"
	exit 1
fi


printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
