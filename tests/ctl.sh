#!/bin/sh
# ctl.sh [BUILD] - end-to-end test of consentctl in a temporary directory:
# init, add, a refused duplicate, confirm by uid, withdraw, show, exit codes
# for unknown addresses and bad usage; ingest-log's clean click evidence
# (HEAD and OPTIONS skipped, the path matched at a segment boundary, gzip
# logs, scanner user agents skipped, --require-post, the skip summary);
# U-label and A-label spellings of one address naming one record; and a
# timed import of 100,000 CSV lines (must finish in under 10 s); a file
# with a bad line 50,001 must import nothing; the same lines through a
# pipe give the same records; consent per list (--list,
# show, export/import of the lists, check by ConsentList).  --help/-h/-V of
# both programs and of every subcommand, and times with Z, an offset or as a
# date.  Prints each failure and exits non-zero if any failed.
set -u
build=${1:-build}
ctl="$build/consentctl"
if [ ! -x "$ctl" ]; then
	echo "ctl.sh: $ctl not built" >&2
	exit 1
fi
tmp=$(mktemp -d /tmp/cgctl.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
store="$tmp/store"
fail=0

bad() {
	echo "FAIL: $*" >&2
	fail=1
}

# expect CODE CMD...: run CMD (output in $tmp/out, $tmp/err), check its exit.
expect() {
	want=$1
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" != "$want" ]; then
		bad "exit $got (want $want): $*"
		sed 's/^/    /' "$tmp/err" >&2
	fi
}

# has FILE TEXT: FILE contains the fixed string TEXT.
has() {
	grep -qF -- "$2" "$1" || bad "$1 lacks '$2'"
}

expect 2 "$ctl"
expect 2 "$ctl" -d "$store" frobnicate
expect 1 "$ctl" -d "$store" show a@example.com
has "$tmp/err" "consentctl init"
expect 0 "$ctl" -d "$store" init
expect 0 "$ctl" -d "$store" add '<A@Example.COM>' --uid u-1 --source "web form" \
	--tracking yes --at 2026-01-02T03:04:05Z
has "$tmp/out" "added a@example.com (pending)"
expect 1 "$ctl" -d "$store" add a@example.com
has "$tmp/err" "already has a record"
expect 1 "$ctl" -d "$store" add b@example.com --uid u-1
expect 0 "$ctl" -d "$store" add a@example.com --force --reason "test: replace" --uid u-1 \
	--source "web form" --tracking yes --at 2026-01-02T03:04:05Z
expect 0 "$ctl" -d "$store" confirm --uid u-1 --ip 192.0.2.10 \
	--at 2026-01-03T00:00:00Z
expect 1 "$ctl" -d "$store" confirm --uid nobody --ip 192.0.2.10
expect 1 "$ctl" -d "$store" confirm c@example.com --ip 192.0.2.10
expect 0 "$ctl" -d "$store" show a@example.com
has "$tmp/out" "state: confirmed"
has "$tmp/out" "confirmed: 2026-01-03T00:00:00Z"
has "$tmp/out" "ip: 192.0.2.10"
expect 0 "$ctl" -d "$store" withdraw a@example.com --at 2026-02-01T12:00:00Z
expect 0 "$ctl" -d "$store" show A@EXAMPLE.COM
cat >"$tmp/want" <<'EOF'
address: a@example.com
state: withdrawn
uid: u-1
created: 2026-01-02T03:04:05Z
confirmed: 2026-01-03T00:00:00Z
ip: 192.0.2.10
withdrawn: 2026-02-01T12:00:00Z
source: web form
tracking: yes
doi_sent: -
doi_msgid: -
doi_hash: -
doi_ref: -
EOF
printf 'confirmation: 2026-01-03T00:00:00Z ip=192.0.2.10 source=consentctl confirm by %s\n' \
	"$(id -un)" >>"$tmp/want"
cmp -s "$tmp/out" "$tmp/want" || bad "show output differs: $(diff "$tmp/want" "$tmp/out")"
expect 1 "$ctl" -d "$store" withdraw --uid nobody
expect 1 "$ctl" -d "$store" show unknown@example.com
expect 2 "$ctl" -d "$store" show
expect 2 "$ctl" -d "$store" show not-an-address
expect 2 "$ctl" -d "$store" add x@example.com --state maybe
expect 2 "$ctl" -d "$store" add x@example.com --at yesterday
expect 2 "$ctl" -d "$store" confirm a@example.com
expect 2 "$ctl" -d "$store" confirm a@example.com --uid u-1 --ip 192.0.2.1
expect 2 "$ctl" -d "$store" export --format xml
expect 2 "$ctl" -d "$store" import
expect 0 "$ctl" -d "$store" export --format json
has "$tmp/out" '"state":"withdrawn"'

# ingest-log: only a subscriber's GET or POST on the confirm path counts.
st2="$tmp/store2"
expect 0 "$ctl" -d "$st2" init
for u in h-1 o-1 b-1 b-2 s-1 s-2 p-1 p-2 g-1 g-2; do
	expect 0 "$ctl" -d "$st2" add "$u@example.org" --uid "$u"
done
ua='"-" "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"'
line() { # METHOD TARGET [AGENT-FIELDS]
	printf '192.0.2.9 - - [24/Nov/2026:10:00:00 +0100] "%s %s HTTP/1.1" 200 5 %s\n' \
		"$1" "$2" "${3:-$ua}"
}
{
	line HEAD '/newsletter/confirm?uid=h-1'
	line OPTIONS '/newsletter/confirm?uid=o-1'
	line GET '/newsletter/confirmation-page?uid=b-1'
	line GET '/newsletter/confirm/?uid=b-2'
	line GET '/newsletter/confirm?uid=s-1' \
		'"-" "Mozilla/5.0 (Windows NT 10.0) BingPreview/1.0b"'
} >"$tmp/a.log"
expect 0 "$ctl" -d "$st2" ingest-log --confirm-path /newsletter/confirm \
	--cancel-path /newsletter/cancel "$tmp/a.log"
has "$tmp/out" "5 lines: 1 confirmed, 0 withdrawn"
has "$tmp/out" "1 ignored"
has "$tmp/out" "clicks skipped: 2 method not GET or POST, 1 scanner agent, 0 not POST"
# The admin's own list extends the shipped one.
line GET '/newsletter/confirm?uid=s-2' '"-" "AcmeLinkGuard/2.1"' >"$tmp/s.log"
echo "# our own gateway" >"$tmp/agents.txt"
echo "acmelinkguard" >>"$tmp/agents.txt"
expect 0 "$ctl" -d "$st2" ingest-log --confirm-path /newsletter/confirm \
	--cancel-path /newsletter/cancel --scanner-agents "$tmp/agents.txt" \
	"$tmp/s.log"
has "$tmp/out" "0 method not GET or POST, 1 scanner agent, 0 not POST"
for u in h-1 o-1 b-1 s-1 s-2; do
	expect 0 "$ctl" -d "$st2" show "$u@example.org"
	has "$tmp/out" "state: pending"
done
expect 0 "$ctl" -d "$st2" show b-2@example.org
has "$tmp/out" "state: confirmed"
expect 2 "$ctl" -d "$st2" ingest-log --confirm-path /newsletter/confirm \
	--cancel-path /newsletter/cancel --scanner-agents "$tmp/none.txt" \
	"$tmp/a.log"
# --require-post: the GET of the mailed link is not the confirmation.
{
	line GET '/newsletter/confirm?uid=p-1'
	line POST '/newsletter/confirm?uid=p-2'
} >"$tmp/p.log"
expect 0 "$ctl" -d "$st2" ingest-log --confirm-path /newsletter/confirm \
	--cancel-path /newsletter/cancel --require-post "$tmp/p.log"
has "$tmp/out" "2 lines: 1 confirmed"
has "$tmp/out" "0 method not GET or POST, 0 scanner agent, 1 not POST"
expect 0 "$ctl" -d "$st2" show p-1@example.org
has "$tmp/out" "state: pending"
expect 0 "$ctl" -d "$st2" show p-2@example.org
has "$tmp/out" "state: confirmed"
# A rotated log of two gzip members, read without a .gz name too.
line GET '/newsletter/confirm?uid=g-1' | gzip -c >"$tmp/r.log.gz"
line GET '/newsletter/cancel?uid=g-2' | gzip -c >>"$tmp/r.log.gz"
cp "$tmp/r.log.gz" "$tmp/rotated"
expect 0 "$ctl" -d "$st2" ingest-log --confirm-path /newsletter/confirm \
	--cancel-path /newsletter/cancel "$tmp/rotated"
has "$tmp/out" "2 lines: 1 confirmed, 1 withdrawn, 0 unchanged"
expect 0 "$ctl" -d "$st2" show g-1@example.org
has "$tmp/out" "state: confirmed"
head -c 40 "$tmp/r.log.gz" >"$tmp/cut.gz"
expect 1 "$ctl" -d "$st2" ingest-log --confirm-path /newsletter/confirm \
	--cancel-path /newsletter/cancel "$tmp/cut.gz"
has "$tmp/err" "not readable as gzip"

# One mailbox, however its domain and local part are written.
expect 0 "$ctl" -d "$st2" add "$(printf 'J\303\234rgen@xn--bcher-kva.example')"
has "$tmp/out" "$(printf 'added j\303\274rgen@xn--bcher-kva.example')"
expect 1 "$ctl" -d "$st2" add "$(printf 'ju\314\210rgen@B\303\274cher.example')"
has "$tmp/err" "already has a record"
expect 0 "$ctl" -d "$st2" show "$(printf 'j\303\274rgen@b\303\274cher.example')"
has "$tmp/out" "$(printf 'address: j\303\274rgen@xn--bcher-kva.example')"
expect 2 "$ctl" -d "$st2" show "$(printf 'a@\357\277\275.example')"

# --help and -h: usage on stdout, exit 0, for both programs and every
# subcommand (listed by consentctl --help itself, so a new one is covered).
cmds=$("$ctl" --help | awk '/^commands:/ { on = 1; next } on { print $1 }')
[ -n "$cmds" ] || bad "consentctl --help lists no commands"
expect 0 "$ctl" --help
has "$tmp/out" "usage: consentctl"
expect 0 "$ctl" -h
has "$tmp/out" "usage: consentctl"
for c in $cmds; do
	for h in --help -h; do
		expect 0 "$ctl" -d "$store" "$c" "$h"
		has "$tmp/out" "usage: consentctl [-d DIR] [-c FILE] $c"
		[ -s "$tmp/err" ] && bad "$c $h wrote to stderr: $(cat "$tmp/err")"
	done
done
expect 0 "$ctl" add --help
has "$tmp/out" "--force --reason TEXT"
expect 0 "$ctl" -V
grep -Eq '^consentctl [0-9]+\.[0-9]+' "$tmp/out" || bad "consentctl -V: $(cat "$tmp/out")"
expect 0 "$ctl" --version
cg=$(dirname "$ctl")/consentgate
expect 0 "$cg" --help
has "$tmp/out" "usage: consentgate"
expect 0 "$cg" -h
has "$tmp/out" "usage: consentgate"
expect 0 "$cg" -V
has "$tmp/out" "consentgate "
expect 2 "$cg" --frobnicate

# Times: Z, an offset, a date (midnight UTC), unix seconds; bad ones refused.
expect 0 "$ctl" -d "$store" add t1@example.com --at 2026-03-01T10:00:00+01:00
expect 0 "$ctl" -d "$store" show t1@example.com
has "$tmp/out" "created: 2026-03-01T09:00:00Z"
expect 0 "$ctl" -d "$store" add t2@example.com --at 2026-03-01
expect 0 "$ctl" -d "$store" show t2@example.com
has "$tmp/out" "created: 2026-03-01T00:00:00Z"
expect 0 "$ctl" -d "$store" add t3@example.com --at 2026-03-01T23:30-02:30
expect 0 "$ctl" -d "$store" show t3@example.com
has "$tmp/out" "created: 2026-03-02T02:00:00Z"
expect 0 "$ctl" -d "$store" confirm t3@example.com --ip 192.0.2.3 \
	--at 2026-03-02T12:00:00z
expect 0 "$ctl" -d "$store" withdraw t3@example.com --at 2026-03-03T00:00:00+0000
expect 0 "$ctl" -d "$store" show t3@example.com
has "$tmp/out" "withdrawn: 2026-03-03T00:00:00Z"
expect 2 "$ctl" -d "$store" add t4@example.com --at 2026-02-30
expect 2 "$ctl" -d "$store" add t4@example.com --at 2026-03-01T10:00:00
has "$tmp/err" "2026-01-02T04:04:05+01:00"
expect 2 "$ctl" -d "$store" add t4@example.com --at 2026-03-01T10:00:00+25:00
expect 0 "$ctl" -d "$store" log --since 2026-03-01 --until 2026-03-02T00:00:00+01:00
expect 0 "$ctl" -d "$store" stats --since 2026-03-01
# stats --format openmetrics: for node_exporter's textfile collector. Every
# line is a comment (# HELP/# TYPE/# EOF) or "name{labels} value"; every
# sample belongs to a family declared by # TYPE; the last line is # EOF; the
# counts are the store's (one withdrawal above), the replication state too.
expect 0 "$ctl" -d "$store" stats --format openmetrics
awk '
	/^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* / { if ($2 == "TYPE") fam[$3] = 1; last = $0; next }
	/^# EOF$/ { last = $0; next }
	/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? -?[0-9]+(\.[0-9]+)?$/ {
		name = $0; sub(/[{ ].*/, "", name)
		if (!(name in fam)) { print "sample without # TYPE: " $0; bad = 1 }
		n++; last = $0; next
	}
	{ print "not a comment or sample: " $0; bad = 1 }
	END { if (last != "# EOF") { print "last line is not # EOF"; bad = 1 }
	      if (n < 10) { print "only " n " samples"; bad = 1 }
	      exit bad }
' "$tmp/out" >"$tmp/om" 2>&1 || bad "stats --format openmetrics does not parse: $(head -3 "$tmp/om")"
grep -Eq '^consentgate_withdrawals [1-9]' "$tmp/out" || bad "openmetrics: no withdrawal counted"
grep -Eq '^consentgate_records_by_action\{action="[a-z-]+"\} [1-9]' "$tmp/out" ||
	bad "openmetrics: no per-action count"
grep -q '^consentgate_outbox_entries 0$' "$tmp/out" || bad "openmetrics: no outbox length"
grep -q '^consentgate_evidence_records [1-9]' "$tmp/out" || bad "openmetrics: no evidence count"
grep -q '^# TYPE consentgate_replica_age_seconds gauge$' "$tmp/out" || bad "openmetrics: no replica age"
expect 2 "$ctl" -d "$store" stats --format yaml
expect 0 "$ctl" -d "$store" purge --dry-run --now 2030-01-01T00:00:00+01:00
expect 0 "$ctl" -d "$store" forget t1@example.com
expect 0 "$ctl" -d "$store" forget t2@example.com
expect 0 "$ctl" -d "$store" forget t3@example.com

# 100,000 lines with a header, timed.
awk 'BEGIN { print "address,state,uid,created,confirmed,ip,source,tracking";
	for (i = 1; i <= 100000; i++)
		printf "user%d@example.com,%s,uid%d,%d,%s,%s,\"list, %d\",%s\n", i,
		    (i % 3 ? "confirmed" : "pending"), i, 1767000000 + i,
		    (i % 3 ? 1767000000 + i : ""), (i % 3 ? "192.0.2.8" : ""),
		    i % 7, (i % 2 ? "yes" : "no") }' >"$tmp/big.csv"
start=$(date +%s.%N)
expect 0 "$ctl" -d "$store" import "$tmp/big.csv"
end=$(date +%s.%N)
cat "$tmp/out"
has "$tmp/out" "changed 100000 records from $tmp/big.csv (0 unchanged, 0 skipped) in"
secs=$(echo "$start $end" | awk '{ printf "%.2f", $2 - $1 }')
echo "ctl.sh: import of 100,000 lines took $secs s (wall clock)"
echo "$secs" | awk '{ exit !($1 < 10) }' || bad "import took $secs s (limit 10 s)"
expect 0 "$ctl" -d "$store" show user99999@example.com
has "$tmp/out" "uid: uid99999"
has "$tmp/out" "source: list, 4"
expect 0 "$ctl" -d "$store" export
lines=$(wc -l <"$tmp/out")
[ "$lines" = 100002 ] || bad "export has $lines lines (want 100002)"

# A bad line 50,001 (line 1 is the first record): nothing is imported.
awk 'BEGIN { for (i = 1; i <= 100000; i++)
	if (i == 50001) print "not-an-address,confirmed";
	else printf "other%d@example.com,confirmed\n", i }' >"$tmp/bad.csv"
expect 1 "$ctl" -d "$store" import "$tmp/bad.csv"
has "$tmp/err" "$tmp/bad.csv:50001: "
expect 1 "$ctl" -d "$store" show other1@example.com
expect 0 "$ctl" -d "$store" export
lines=$(wc -l <"$tmp/out")
[ "$lines" = 100002 ] || bad "after the bad import, $lines lines (want 100002)"
grep '^user' "$tmp/out" >"$tmp/users-file.csv"

# The same 100,000 lines (ten write batches) through a pipe (copied to a
# temporary file first) give the same records.
expect 0 "$ctl" -d "$tmp/piped" init
expect 0 sh -c "cat '$tmp/big.csv' | '$ctl' -d '$tmp/piped' import -"
has "$tmp/out" "changed 100000 records from - (0 unchanged, 0 skipped) in"
expect 0 "$ctl" -d "$tmp/piped" export
grep '^user' "$tmp/out" >"$tmp/users-pipe.csv"
cmp -s "$tmp/users-file.csv" "$tmp/users-pipe.csv" ||
	bad "import from a pipe differs from the import of the file"

# ---- The state machine: merge by time, dry run, --force. ----
m="$tmp/merge"
lacks() { ! grep -qF -- "$2" "$1" || bad "$1 has '$2'"; }
expect 0 "$ctl" -d "$m" init
expect 0 "$ctl" -d "$m" add anna@example.com --state confirmed --ip 192.0.2.1 \
	--at 2026-01-01T00:00:00Z --uid u-a
expect 0 "$ctl" -d "$m" add bert@example.com --uid u-b
expect 0 "$ctl" -d "$m" export
cp "$tmp/out" "$tmp/old.csv"
expect 0 "$ctl" -d "$m" withdraw anna@example.com --at 2026-02-01T00:00:00Z
# The old export would undo the withdrawal: skipped, with line and reason.
expect 0 "$ctl" -d "$m" import --dry-run "$tmp/old.csv"
has "$tmp/out" "$tmp/old.csv:2: anna@example.com: would re-confirm a withdrawal of 2026-02-01T00:00:00Z"
has "$tmp/out" "dry run: would change 0 records"
has "$tmp/out" "skipped, re-confirm-withdrawal: 1"
expect 0 "$ctl" -d "$m" import "$tmp/old.csv"
has "$tmp/out" "changed 0 records from $tmp/old.csv (1 unchanged, 1 skipped)"
expect 0 "$ctl" -d "$m" show anna@example.com
has "$tmp/out" "state: withdrawn"
expect 0 "$ctl" -d "$m" log --recipient anna@example.com
lacks "$tmp/out" " consent - import "
has "$tmp/out" "state=confirmed->withdrawn"
# A dry run names each change and writes nothing.
printf 'address,state,confirmed,ip,source\ncarl@example.com,confirmed,2026-03-01T00:00:00Z,,paper form 2026-03\ndora@example.com,confirmed,,192.0.2.4,\n' >"$tmp/new.csv"
expect 1 "$ctl" -d "$m" import --dry-run "$tmp/new.csv"
has "$tmp/out" "$tmp/new.csv:2: carl@example.com: would change none -> confirmed"
has "$tmp/out" "$tmp/new.csv:3: dora@example.com: a confirmation needs its time; skipped"
has "$tmp/out" "skipped, no-proof: 1"
expect 1 "$ctl" -d "$m" show carl@example.com
# A confirmed row without time, or without IP and source, is refused.
expect 1 "$ctl" -d "$m" import "$tmp/new.csv"
expect 0 "$ctl" -d "$m" show carl@example.com
has "$tmp/out" "confirmation: 2026-03-01T00:00:00Z ip=- source=paper form 2026-03"
expect 1 "$ctl" -d "$m" show dora@example.com
# One evidence record per changed record, with the states.
expect 0 "$ctl" -d "$m" log --action import
has "$tmp/out" "carl@example.com $tmp/new.csv:2, by="
has "$tmp/out" "state=none->confirmed"
# confirm of a withdrawn record without a new DOI: refused; --force
# needs --reason and records who and why.
expect 1 "$ctl" -d "$m" confirm anna@example.com --ip 192.0.2.9
has "$tmp/err" "would re-confirm a withdrawal of 2026-02-01T00:00:00Z"
expect 2 "$ctl" -d "$m" confirm anna@example.com --ip 192.0.2.9 --force
expect 0 "$ctl" -d "$m" confirm anna@example.com --ip 192.0.2.9 --force \
	--reason "signed form, ticket 42"
has "$tmp/out" ", forced"
expect 0 "$ctl" -d "$m" show anna@example.com
has "$tmp/out" "state: confirmed"
has "$tmp/out" "confirmation: 2026-01-01T00:00:00Z ip=192.0.2.1"
has "$tmp/out" "source=forced by $(id -un): signed form, ticket 42"
expect 0 "$ctl" -d "$m" log --recipient anna@example.com
has "$tmp/out" "forced, reason=signed form, ticket 42, by=$(id -un) state=withdrawn->confirmed"
# import --force --reason overrides the merge rule, evidenced.
expect 0 "$ctl" -d "$m" withdraw bert@example.com
expect 2 "$ctl" -d "$m" import --force "$tmp/old.csv"
expect 0 "$ctl" -d "$m" import --force --reason "CRM is the master" "$tmp/old.csv"
has "$tmp/out" "changed 1 records"
expect 0 "$ctl" -d "$m" show bert@example.com
has "$tmp/out" "state: pending"
expect 0 "$ctl" -d "$m" stats
has "$tmp/out" "withdrawals: 2"
has "$tmp/out" "without DOI proof (no DOI mail sent before the confirmation): 2"

# Consent per list: add/confirm/withdraw --list, show, export/import of
# the lists, withdrawal from one list and from all, check by list.
l="$tmp/lists"
expect 0 "$ctl" -d "$l" init
expect 2 "$ctl" -d "$l" add nina@example.com --list "No Such"
expect 0 "$ctl" -d "$l" add nina@example.com --state confirmed --ip 192.0.2.1 \
	--list news --at 2026-01-01T00:00:00Z
has "$tmp/out" "added nina@example.com (confirmed, list news)"
expect 0 "$ctl" -d "$l" confirm nina@example.com --ip 192.0.2.1 --list offers \
	--at 2026-01-02T00:00:00Z
expect 0 "$ctl" -d "$l" withdraw nina@example.com --list news \
	--at 2026-01-03T00:00:00Z
has "$tmp/out" "withdrew nina@example.com (list news)"
expect 0 "$ctl" -d "$l" show nina@example.com
has "$tmp/out" "state: confirmed"
has "$tmp/out" "list: news withdrawn confirmed=2026-01-01T00:00:00Z withdrawn=2026-01-03T00:00:00Z"
has "$tmp/out" "list: offers confirmed confirmed=2026-01-02T00:00:00Z"
# Back on news only by a new double opt-in naming it.
expect 1 "$ctl" -d "$l" confirm nina@example.com --ip 192.0.2.1 --list news
has "$tmp/err" "list news: would re-confirm a withdrawal of 2026-01-03T00:00:00Z"
expect 0 "$ctl" -d "$l" export
has "$tmp/out" "address,state,uid,ip,created,confirmed,withdrawn,source,tracking,doi_sent,doi_msgid,lists,withdrawn_lists"
has "$tmp/out" ",offers,news"
cp "$tmp/out" "$tmp/lists.csv"
expect 0 "$ctl" -d "$l" export --format json
has "$tmp/out" '"lists":["offers"],"withdrawn_lists":["news"]'
# The export re-imports into a new store with the lists.
expect 0 "$ctl" -d "$tmp/lists2" init
expect 0 "$ctl" -d "$tmp/lists2" import "$tmp/lists.csv"
expect 0 "$ctl" -d "$tmp/lists2" show nina@example.com
has "$tmp/out" "list: news withdrawn"
has "$tmp/out" "list: offers confirmed"
# An import row names its lists; a row confirming news is refused.
printf 'address,state,confirmed,ip,lists\nnina@example.com,confirmed,2026-01-04T00:00:00Z,192.0.2.3,news\nolaf@example.com,confirmed,2026-01-04T00:00:00Z,192.0.2.3,news;offers\n' \
	>"$tmp/rows.csv"
expect 0 "$ctl" -d "$l" import "$tmp/rows.csv"
has "$tmp/out" "would re-confirm a withdrawal of 2026-01-03T00:00:00Z"
expect 0 "$ctl" -d "$l" show olaf@example.com
has "$tmp/out" "list: news confirmed"
has "$tmp/out" "list: offers confirmed"
# check judges the message's list (ConsentList) against the store.
cat >"$tmp/lists.conf" <<EOF
ConsentDB $l
MarketingSenders @shop.example
ConsentList news: sender=news@shop.example
ConsentList offers: sender=offers@shop.example
RuleAction.unsubscribe.link off
RuleAction.unsubscribe.header off
RuleAction.unsubscribe.one-click off
RuleAction.content.imprint off
RuleAction.content.privacy-link off
EOF
printf 'From: news@shop.example\r\nTo: nina@example.com\r\nSubject: Hi\r\n\r\nHallo\r\n' >"$tmp/news.eml"
expect 1 "$ctl" -c "$tmp/lists.conf" check "$tmp/news.eml" --from news@shop.example \
	--to nina@example.com
has "$tmp/out" "consent.withdrawn"
expect 0 "$ctl" -c "$tmp/lists.conf" check "$tmp/news.eml" --from offers@shop.example \
	--to nina@example.com
expect 1 "$ctl" -c "$tmp/lists.conf" check "$tmp/news.eml" --from offers@shop.example \
	--to olaf@example.com --to nina@example.com --to new@example.com
has "$tmp/out" "consent.missing"
expect 0 "$ctl" -d "$l" add paul@example.com --state confirmed --ip 192.0.2.1 --list news
expect 1 "$ctl" -c "$tmp/lists.conf" check "$tmp/news.eml" --from offers@shop.example \
	--to paul@example.com
has "$tmp/out" "consent.scope"
# Withdrawal from every list.
expect 0 "$ctl" -d "$l" withdraw nina@example.com
has "$tmp/out" "(every list)"
expect 0 "$ctl" -d "$l" show nina@example.com
has "$tmp/out" "state: withdrawn"
has "$tmp/out" "list: offers withdrawn"

if [ "$fail" = 0 ]; then
	echo "ctl.sh: all consentctl checks passed"
fi
exit $fail
