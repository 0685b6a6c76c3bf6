#!/bin/sh
# ctl.sh [BUILD] - end-to-end test of consentctl in a temporary directory:
# init, add, a refused duplicate, confirm by uid, withdraw, show, exit codes
# for unknown addresses and bad usage, and a timed import of 100,000 CSV
# lines (must finish in under 10 s); a file with a bad line 50,001 must
# import nothing.  --help/-h/-V of both programs and of every subcommand,
# and times with Z, an offset or as a date.  Prints each failure and exits non-zero if any failed.
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
expect 0 "$ctl" -d "$store" add a@example.com --force --uid u-1 \
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
has "$tmp/out" "--force        replace an existing record"
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
expect 0 "$ctl" -d "$store" purge --dry-run --now 2030-01-01T00:00:00+01:00
expect 0 "$ctl" -d "$store" forget t1@example.com
expect 0 "$ctl" -d "$store" forget t2@example.com
expect 0 "$ctl" -d "$store" forget t3@example.com

# 100,000 lines with a header, timed.
awk 'BEGIN { print "address,state,uid,created,source,tracking";
	for (i = 1; i <= 100000; i++)
		printf "user%d@example.com,%s,uid%d,%d,\"list, %d\",%s\n", i,
		    (i % 3 ? "confirmed" : "pending"), i, 1767000000 + i, i % 7,
		    (i % 2 ? "yes" : "no") }' >"$tmp/big.csv"
start=$(date +%s.%N)
expect 0 "$ctl" -d "$store" import "$tmp/big.csv"
end=$(date +%s.%N)
cat "$tmp/out"
has "$tmp/out" "imported 100000 records from $tmp/big.csv in"
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

if [ "$fail" = 0 ]; then
	echo "ctl.sh: all consentctl checks passed"
fi
exit $fail
