#!/bin/sh
# bench/run.sh BUILD - throughput and store benchmark (make bench; not part of
# make check).  Needs root, Postfix, opendkim and opendkim-tools (make deps).
#
# Through a private Postfix on 127.0.0.1 that relays to smtp-sink, smtp-source
# sends a ~40 KB multipart/alternative newsletter that passes every
# consentgate rule (bench/newsletter.py; checked with consentctl check first),
# 20 sessions, one recipient per message, one message per session
# (smtp-source without -d), BENCH_MSGS messages per run.  Four setups, each
# started fresh (milter + Postfix), warmed up with BENCH_WARMUP messages
# (which are also checked: DKIM-Signature, X-Consent-Gate: pass), then
# BENCH_RUNS timed runs; a run ends when the sink holds every message and
# Postfix's queue is empty.
#   1 no milter   2 null libmilter milter (bench/nullmilter.c)
#   3 opendkim signing, RSA-2048   4 consentgate, tests/data/rules.conf,
#     durable evidence, a BENCH_STORE_N-entry consent store
# Then the store benchmark (bench/storebench.c, linked against build/db and
# build/common): CSV import of BENCH_STORE_N rows, import of BENCH_BIG_N rows
# (rows/s, peak RSS and the heap's part of it; the issue-16 target line),
# CSV and JSON export of that store, BENCH_LOOKUPS random lookups on it: hits
# and misses on one thread, hits over 4 threads, hits through
# gate_consent_lookup, and the target line "consent lookups >= 1,000,000/s
# single thread on N records: met/not met" (from the single-thread hits).
#
# Environment (defaults): BENCH_MSGS (5000), BENCH_RUNS (3), BENCH_WARMUP
# (200), BENCH_STORE_N (1000000), BENCH_BIG_N (10000000), BENCH_LOOKUPS
# (2000000), BENCH_SETUPS ("none null dkim cg"), BENCH_NO_STORE=1 skips the
# store benchmark, CG_KEEP=1 keeps the temp dir.  Everything is stopped and
# the temp dir removed on exit (tests/e2e/lib.sh's trap, extended below).


BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
. "$ROOT/tests/e2e/lib.sh"

MSGS=${BENCH_MSGS:-5000}
RUNS=${BENCH_RUNS:-3}
WARM=${BENCH_WARMUP:-200}
SESSIONS=20
STORE_N=${BENCH_STORE_N:-1000000}
BIG_N=${BENCH_BIG_N:-10000000}
LOOKUPS=${BENCH_LOOKUPS:-2000000}
SETUPS=${BENCH_SETUPS:-none null dkim cg}
RCPT=leser@example.org
SENDER=newsletter@shop.example
RSS_AT=1000 # RSS-flatness check: VmRSS after this many messages

BENCH_T0=$(date +%s)
BENCH_LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
BENCH_MPID=  # null milter or opendkim (consentgate is lib.sh's CG_MILTER_PID)
BENCH_MNAME=
BENCH_DKDIR=
BENCH_WARN=

bench_cleanup() {
	bench_rc=$?
	trap '' HUP INT TERM
	if [ -n "$BENCH_MPID" ]; then
		cg_stop_pid "$BENCH_MPID" "$BENCH_MNAME"
		BENCH_MPID=
	fi
	case $BENCH_DKDIR in
	/run/consentgate-bench-dkim.*) rm -rf "$BENCH_DKDIR" ;;
	esac
	(exit "$bench_rc")
	cg_cleanup
}

bench_die() {
	printf 'bench: error: %s\n' "$*" >&2
	exit 1
}

# bench_note TEXT: progress on stderr, with the elapsed time.
bench_note() {
	printf '[%4ds] %s\n' "$(($(date +%s) - BENCH_T0))" "$*" >&2
}

cg_setup "$1"
trap 'bench_cleanup' EXIT
cg_need postfix smtp-source smtp-sink opendkim opendkim-genkey pkg-config cc ar
# Bound the whole run (the budget is ~20 minutes; this is the hard stop).
cg_watchdog 2400

W=$CG_TMP/bench
mkdir -p "$W/bin" "$W/res" "$W/build/db" "$W/build/common" "$W/build/fmt" \
	"$W/build/gate"
chmod 755 "$W" "$W/build"
# Measure one snapshot of the build: a rebuild in the tree during the run
# (another make) must not swap binaries or store formats under us.
cp "$CG_BUILD/consentgate" "$CG_BUILD/consentctl" "$CG_BUILD/evidence_bench" \
	"$CG_BUILD/policybench" "$W/build/" &&
	cp "$CG_BUILD"/db/*.o "$W/build/db/" && cp "$CG_BUILD"/common/*.o "$W/build/common/" &&
	cp "$CG_BUILD"/fmt/*.o "$W/build/fmt/" &&
	cp "$CG_BUILD"/gate/lookup.o "$W/build/gate/" ||
	bench_die "cannot copy the build from $CG_BUILD"
BENCH_SRC_BUILD=$CG_BUILD
CG_BUILD=$W/build
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------- tools

bench_note "building bench/nullmilter.c and bench/storebench.c"
# shellcheck disable=SC2046
cc -O2 -Wall -o "$W/bin/nullmilter" "$BENCH_DIR/nullmilter.c" \
	$(pkg-config --cflags --libs milter) -lpthread ||
	bench_die "cannot build nullmilter"
# An archive, so that only the objects storebench uses are linked.
ar rcs "$W/bin/libcgdb.a" "$CG_BUILD"/fmt/*.o "$CG_BUILD"/db/*.o \
	"$CG_BUILD"/common/*.o "$CG_BUILD"/gate/lookup.o ||
	bench_die "cannot archive $CG_BUILD/fmt, db, common and gate/lookup objects"
# shellcheck disable=SC2046
cc -O2 -Wall -std=c11 -D_GNU_SOURCE -o "$W/bin/storebench" \
	"$BENCH_DIR/storebench.c" "$W/bin/libcgdb.a" \
	$(pkg-config --cflags --libs lmdb glib-2.0 json-glib-1.0 libidn2) -lpthread ||
	bench_die "cannot build storebench"

# ---------------------------------------------------------------- fixtures

set -- $(cg_free_ports 3)
SMTP_PORT=$1
SINK_PORT=$2
MILTER_PORT=$3

NL=$W/newsletter.eml
"$CG_PY" "$BENCH_DIR/newsletter.py" "$NL" "$RCPT" 40000 >"$W/newsletter.log" ||
	bench_die "cannot write the newsletter"
NL_BYTES=$(wc -c <"$NL" | tr -d ' ')

STORE=$W/store
CONF=$W/consentgate.conf
sed -e "s|^Socket[[:space:]].*|Socket inet:$MILTER_PORT@127.0.0.1|" \
	-e "s|^ConsentDB[[:space:]].*|ConsentDB $STORE|" \
	"$ROOT/tests/data/rules.conf" >"$CONF"
printf 'UserID nobody\n' >>"$CONF"

bench_note "generating a $STORE_N-row consent CSV (all confirmed, incl. $RCPT)"
"$W/bin/storebench" gen "$STORE_N" "$W/consent-small.csv" "$RCPT" ||
	bench_die "cannot generate the CSV"
mkdir -p "$STORE"
timeout 60 "$CG_BUILD/consentctl" -d "$STORE" init >"$W/ctl-init.log" 2>&1 ||
	{ cat "$W/ctl-init.log" >&2; bench_die "consentctl init failed"; }
chown -R nobody:nogroup "$STORE"
bench_note "consentctl import of $STORE_N rows"
ti0=$(date +%s.%N)
timeout 600 "$CG_BUILD/consentctl" -d "$STORE" import "$W/consent-small.csv" \
	>"$W/ctl-import.log" 2>&1 ||
	{ cat "$W/ctl-import.log" >&2; bench_die "consentctl import failed"; }
ti1=$(date +%s.%N)
CTL_IMPORT_S=$(awk -v a="$ti0" -v b="$ti1" 'BEGIN { printf "%.1f", b - a }')
CTL_IMPORT_MSG=$(tr '\n' ' ' <"$W/ctl-import.log")
chown -R nobody:nogroup "$STORE"
rm -f "$W/consent-small.csv"
timeout 20 "$CG_BUILD/consentctl" -d "$STORE" show "$RCPT" >"$W/show.log" 2>&1 &&
	grep -qi 'confirmed' "$W/show.log" ||
	{ cat "$W/show.log" >&2; bench_die "$RCPT is not confirmed in the store"; }

# The newsletter must pass every rule, with this config and this store.
if ! timeout 60 "$CG_BUILD/consentctl" -c "$CONF" check "$NL" \
	--from "$SENDER" --to "$RCPT" >"$W/check.log" 2>&1; then
	cat "$W/check.log" >&2
	bench_die "the benchmark newsletter does not pass consentctl check"
fi
grep -q ': marketing, pass' "$W/check.log" ||
	{ cat "$W/check.log" >&2; bench_die "consentctl check: not 'marketing, pass'"; }
grep -qi 'no consent store' "$W/check.log" &&
	bench_die "consentctl check did not use the consent store"

# opendkim key and config.  opendkim refuses a config or key file below a
# directory others may write (/tmp), so they live in a private directory
# under /run, removed on exit like the rest.
DK=$(mktemp -d /run/consentgate-bench-dkim.XXXXXX) || bench_die "mktemp under /run failed"
BENCH_DKDIR=$DK
timeout 120 opendkim-genkey -b 2048 -d shop.example -s bench -D "$DK" \
	>"$DK/genkey.log" 2>&1 || { cat "$DK/genkey.log" >&2; bench_die "opendkim-genkey failed"; }
chown -R opendkim:opendkim "$DK"
chmod 700 "$DK"
chmod 600 "$DK/bench.private"
cat >"$DK/opendkim.conf" <<EOF
# written by bench/run.sh
Mode s
Domain shop.example
Selector bench
KeyFile $DK/bench.private
Socket inet:$MILTER_PORT@127.0.0.1
UserID opendkim
Canonicalization relaxed/simple
Syslog no
Background no
EOF

cg_start_sink "$SINK_PORT" || bench_die "smtp-sink did not start"

# ---------------------------------------------------------------- runs

# bench_sink_clear: remove the messages the sink has received.
bench_sink_clear() {
	find "$CG_SINK_DIR" -type f -name 'msg.*' -delete 2>/dev/null
}

# bench_drive COUNT RSSAT MILTERPID LOG: one run; prints drive.py's line.
bench_drive() {
	"$CG_PY" "$BENCH_DIR/drive.py" "$CG_SINK_DIR" "$CG_PF_DIR/queue" "$1" \
		$(($1 / 10 + 120)) "$3" "$2" "$4" -- \
		smtp-source -s "$SESSIONS" -m "$1" -f "$SENDER" -t "$RCPT" \
		-F "$NL" -M client.bench.test "127.0.0.1:$SMTP_PORT"
}

# bench_kv LINE KEY: the value of KEY in a drive.py line.
bench_kv() {
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# bench_start_milter KIND: start the milter of a setup; sets MPID.
bench_start_milter() {
	MPID=0
	case $1 in
	none) return 0 ;;
	null)
		"$W/bin/nullmilter" "inet:$MILTER_PORT@127.0.0.1" \
			>"$W/nullmilter.log" 2>&1 </dev/null &
		BENCH_MPID=$!
		BENCH_MNAME=nullmilter
		;;
	dkim)
		opendkim -f -x "$DK/opendkim.conf" >"$W/opendkim.log" 2>&1 </dev/null &
		BENCH_MPID=$!
		BENCH_MNAME=opendkim
		;;
	cg)
		if [ ! -x "$CG_BUILD/consentgate" ]; then
			# Seen once: the snapshot vanished mid-run (something else
			# cleaning /tmp?).  Say so, and take the tree's binary again.
			BENCH_WARN="${BENCH_WARN}warning: $CG_BUILD/consentgate vanished during the run; re-copied from $BENCH_SRC_BUILD
"
			bench_note "warning: $CG_BUILD/consentgate vanished; re-copying"
			ls -la "$W" "$CG_BUILD" >&2
			cp "$BENCH_SRC_BUILD/consentgate" "$BENCH_SRC_BUILD/consentctl" "$CG_BUILD/" ||
				bench_die "cannot re-copy consentgate"
		fi
		cg_start_milter "$CONF" "$MILTER_PORT" || bench_die "consentgate did not start"
		MPID=$CG_MILTER_PID
		return 0
		;;
	esac
	if ! cg_wait_port "$MILTER_PORT" 15 "$BENCH_MPID"; then
		cat "$W/$BENCH_MNAME.log" 2>/dev/null >&2
		bench_die "$BENCH_MNAME did not listen on 127.0.0.1:$MILTER_PORT"
	fi
	MPID=$BENCH_MPID
}

bench_stop_milter() {
	if [ -n "$BENCH_MPID" ]; then
		cg_stop_pid "$BENCH_MPID" "$BENCH_MNAME"
		BENCH_MPID=
	fi
	if [ -n "$CG_MILTER_PID" ]; then
		cg_stop_pid "$CG_MILTER_PID" consentgate
		CG_MILTER_PID=
	fi
}

# bench_fail SETUP LINE: a run failed; show why and stop.
bench_fail() {
	bench_note "$1: run failed: $2"
	sed -n '1,20p' "$W/res/$1.src.log" >&2
	if [ -f "$CG_PF_DIR/maillog" ]; then
		cg_say "# Postfix milter replies / deferrals (first 10):"
		grep -E 'milter-reject|status=deferred|warning' "$CG_PF_DIR/maillog" |
			sed -n '1,10p' >&2
	fi
	exit 1
}

# bench_setup KIND: warm up, check, then RUNS timed runs.  Results go to
# $W/res/KIND.runs (one drive.py line per run).
bench_setup() {
	kind=$1
	bench_start_milter "$kind"
	if [ "$kind" = none ]; then
		cg_start_postfix "$SMTP_PORT" "$SINK_PORT" || bench_die "Postfix did not start"
	else
		cg_start_postfix "$SMTP_PORT" "$SINK_PORT" "$MILTER_PORT" ||
			bench_die "Postfix did not start"
	fi
	bench_sink_clear
	bench_note "$kind: warm-up, $WARM messages"
	line=$(bench_drive "$WARM" 0 "$MPID" "$W/res/$kind.src.log")
	[ "$(bench_kv "$line" ok)" = 1 ] || bench_fail "$kind" "$line"
	# What arrived must be what we mean to measure.
	f=$(find "$CG_SINK_DIR" -type f -name 'msg.*' | head -n 1)
	[ -n "$f" ] || bench_die "$kind: the sink holds no message"
	grep -q '^List-Unsubscribe-Post: List-Unsubscribe=One-Click' "$f" ||
		bench_die "$kind: the sink's message is not the newsletter ($f)"
	case $kind in
	dkim)
		n=$(grep -l '^DKIM-Signature: .*d=shop.example' "$CG_SINK_DIR"/msg.* | wc -l)
		[ "$n" -eq "$WARM" ] ||
			bench_die "opendkim signed only $n of $WARM warm-up messages"
		grep -A3 '^DKIM-Signature:' "$f" | grep -q 'a=rsa-sha256' ||
			bench_die "opendkim's signature is not rsa-sha256"
		;;
	cg)
		n=$(grep -l '^X-Consent-Gate: pass class=marketing' "$CG_SINK_DIR"/msg.* | wc -l)
		[ "$n" -eq "$WARM" ] ||
			bench_die "only $n of $WARM warm-up messages carry X-Consent-Gate: pass"
		;;
	esac
	bench_sink_clear
	: >"$W/res/$kind.runs"
	r=1
	while [ "$r" -le "$RUNS" ]; do
		rssat=0
		[ "$kind" = cg ] && [ "$r" -eq 1 ] && rssat=$((RSS_AT - WARM))
		[ "$rssat" -lt 1 ] && [ "$kind" = cg ] && [ "$r" -eq 1 ] && rssat=1
		line=$(bench_drive "$MSGS" "$rssat" "$MPID" "$W/res/$kind.src.log")
		[ "$(bench_kv "$line" ok)" = 1 ] || bench_fail "$kind" "$line"
		printf '%s\n' "$line" >>"$W/res/$kind.runs"
		bench_note "$kind: run $r: $(bench_kv "$line" rate) msgs/s ($(bench_kv "$line" secs) s)"
		bench_sink_clear
		r=$((r + 1))
	done
	# Anything Postfix deferred or a milter refused during the runs.
	grep -cE 'milter-reject|status=deferred|status=bounced' "$CG_PF_DIR/maillog" \
		>"$W/res/$kind.problems" 2>/dev/null
	if [ "$kind" = cg ]; then
		grep -E 'milter-reject' "$CG_PF_DIR/maillog" | sed -n '1,5p' >"$W/res/cg.rejects"
		# Daemon lines: one "QID: ref=... action=pass" per decision; any
		# error:, warning: or other action (tempfail, reject) is a problem.
		grep -c 'action=pass' "$CG_MILTER_LOG" >"$W/res/cg.passes"
		grep -E 'consentgate: (error|warning): |tempfail|action=' "$CG_MILTER_LOG" |
			grep -v 'action=pass' >"$W/res/cg.logproblem-all"
		wc -l <"$W/res/cg.logproblem-all" | tr -d ' ' >"$W/res/cg.logproblems"
		sed -n '1,5p' "$W/res/cg.logproblem-all" >"$W/res/cg.logproblem-lines"
	fi
	cg_stop_postfix
	rm -rf "$CG_PF_DIR"
	bench_stop_milter
}

for kind in $SETUPS; do
	bench_setup "$kind"
done

if printf ' %s ' "$SETUPS" | grep -q ' cg '; then
	bench_note "consentctl verify (evidence hash chain)"
	timeout 300 "$CG_BUILD/consentctl" -d "$STORE" verify >"$W/verify.log" 2>&1
	VERIFY_RC=$?
	VERIFY_MSG=$(tail -n 1 "$W/verify.log")
fi
rm -rf "$STORE"

# ---------------------------------------------------------------- store bench

if [ -z "${BENCH_NO_STORE:-}" ]; then
	SB=$W/storebench
	mkdir -p "$SB"
	bench_note "store bench: import of $STORE_N CSV rows (fmt_import_csv)"
	"$W/bin/storebench" gen "$STORE_N" "$SB/small.csv" "$RCPT" || bench_die "gen failed"
	SMALL=$("$W/bin/storebench" import "$SB/small" "$SB/small.csv") ||
		bench_die "storebench import failed"
	rm -rf "$SB/small" "$SB/small.csv"
	bench_note "store bench: generating and importing $BIG_N rows"
	"$W/bin/storebench" gen "$BIG_N" "$SB/big.csv" "$RCPT" || bench_die "gen failed"
	BIG=$("$W/bin/storebench" import "$SB/big" "$SB/big.csv") ||
		bench_die "storebench import failed"
	rm -f "$SB/big.csv"
	BIG_SIZE=$(du -sm "$SB/big" | cut -f1)
	bench_note "store bench: CSV and JSON export of $BIG_N records"
	EXP=$("$W/bin/storebench" export "$SB/big") ||
		bench_die "storebench export failed"
	EXPJ=$("$W/bin/storebench" export "$SB/big" json) ||
		bench_die "storebench export (JSON) failed"
	bench_note "store bench: $LOOKUPS random lookups on $BIG_N records (hits, misses, 4 threads, gate)"
	LOOK=$("$W/bin/storebench" lookup "$SB/big" "$BIG_N" "$LOOKUPS") ||
		bench_die "storebench lookup failed"
	LOOK_MISS=$("$W/bin/storebench" lookup "$SB/big" "$BIG_N" "$LOOKUPS" 1 miss) ||
		bench_die "storebench lookup (misses) failed"
	LOOK_4=$("$W/bin/storebench" lookup "$SB/big" "$BIG_N" "$LOOKUPS" 4) ||
		bench_die "storebench lookup (4 threads) failed"
	LOOK_GATE=$("$W/bin/storebench" lookup "$SB/big" "$BIG_N" "$LOOKUPS" 1 gate) ||
		bench_die "storebench lookup (gate_consent_lookup) failed"
	rm -rf "$SB"
fi

# ---------------------------------------------------------------- report

# bench_stat KIND: "median min max cpu_s_per_1000 hwm rss_at rss_end" of a setup.
bench_stat() {
	awk -v tck="$CLK_TCK" -v runs="$RUNS" '
		{
			for (i = 1; i <= NF; i++) {
				split($i, kv, "=")
				v[kv[1]] = kv[2]
			}
			rate[NR] = v["rate"] + 0
			ticks += v["ticks"]
			n += v["n"]
			if (NR == 1) rss_at = v["rss_at"]
			hwm = v["hwm"]
			rss = v["rss"]
			if (NR == 1) anon_at = v["anon_at"]
			anon = v["anon"]
		}
		END {
			# sort the rates (insertion sort, few values)
			for (i = 2; i <= NR; i++) {
				x = rate[i]
				for (j = i - 1; j >= 1 && rate[j] > x; j--) rate[j + 1] = rate[j]
				rate[j + 1] = x
			}
			if (NR % 2) med = rate[(NR + 1) / 2]
			else med = (rate[NR / 2] + rate[NR / 2 + 1]) / 2
			printf "%.1f %.1f %.1f %.3f %d %d %d %d %d\n", med, rate[1], rate[NR],
				n ? ticks / tck / n * 1000 : 0, hwm, rss_at, rss, anon_at, anon
		}' "$W/res/$1.runs"
}

label() {
	case $1 in
	none) echo "1 no milter" ;;
	null) echo "2 null milter (libmilter)" ;;
	dkim) echo "3 opendkim sign RSA-2048" ;;
	cg) echo "4 consentgate" ;;
	esac
}

echo
echo "consentgate benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores," \
	"build $BENCH_SRC_BUILD, consentgate $("$CG_BUILD/consentgate" -V 2>&1 | head -n 1))"
echo "load: smtp-source -s $SESSIONS -m $MSGS, 1 recipient, one message per session;"
echo "      newsletter $NL_BYTES bytes multipart/alternative (passes every rule);"
echo "      private Postfix on 127.0.0.1 -> smtp-sink; end to end until the sink has"
echo "      every message and the queue is empty; each setup: $WARM warm-up messages,"
echo "      then $RUNS runs; load generator, Postfix, milter and sink share the cores."
echo "load average at start: $BENCH_LOAD0, at end: $(cut -d' ' -f1-3 /proc/loadavg)" \
	"(other work on the machine skews the numbers)"
echo "consent store for consentgate: $STORE_N confirmed records;" \
	"consentctl import took ${CTL_IMPORT_S} s ($CTL_IMPORT_MSG)"
echo
printf '%-28s | %-21s | %-22s | %-24s | %s\n' setup "msgs/s (median of $RUNS)" \
	"runs min..max msgs/s" "milter CPU s/1000 msgs" "peak RSS (VmHWM)"
printf '%s\n' "-----------------------------+-----------------------+------------------------+--------------------------+-----------------"
for kind in $SETUPS; do
	set -- $(bench_stat "$kind")
	cpu=$4
	hwm="-"
	[ "$kind" = none ] && cpu="-"
	[ "$kind" = cg ] && hwm="$(($5 / 1024)) MiB"
	printf '%-28s | %-21s | %-22s | %-24s | %s\n' "$(label "$kind")" "$1" "$2 .. $3" \
		"$cpu" "$hwm"
	eval "MED_$kind=\$1 CPU_$kind=\$4 RSSAT_$kind=\$6 RSSEND_$kind=\$7 ANONAT_$kind=\$8 ANONEND_$kind=\$9"
done
echo

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}
# target VALUE LIMIT ge|le: "met" or "not met" ("n/a" without a value).
target() {
	awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN {
		if (v == "n/a" || v == "-" || v == "") print "n/a"
		else if ((op == "ge" && v + 0 >= t + 0) || (op == "le" && v + 0 <= t + 0)) print "met"
		else print "not met" }'
}
if [ -n "${MED_cg:-}" ]; then
	[ -n "${MED_null:-}" ] && echo "consentgate / null milter: throughput $(ratio "$MED_cg" "$MED_null"), CPU per message $(ratio "$CPU_cg" "$CPU_null")"
	[ -n "${MED_dkim:-}" ] && echo "consentgate / opendkim:    throughput $(ratio "$MED_cg" "$MED_dkim"), CPU per message $(ratio "$CPU_cg" "$CPU_dkim")"
	# The targets of the performance issue, from this run.
	[ -n "${MED_null:-}" ] && echo "  target throughput >= 0.90 x the null milter: $(target "$(ratio "$MED_cg" "$MED_null")" 0.90 ge)"
	[ -n "${MED_dkim:-}" ] && echo "  target throughput >= 1.25 x opendkim: $(target "$(ratio "$MED_cg" "$MED_dkim")" 1.25 ge)"
	echo "  target milter CPU <= 2.0 ms per message ($CPU_cg ms): $(target "$CPU_cg" 2.0 le)"
	total=$((WARM + RUNS * MSGS))
	pct=$(awk -v a="$RSSAT_cg" -v b="$RSSEND_cg" 'BEGIN { if (a > 0) printf "%+.1f", (b - a) * 100 / a; else print "n/a" }')
	apct=$(awk -v a="$ANONAT_cg" -v b="$ANONEND_cg" 'BEGIN { if (a > 0) printf "%+.1f", (b - a) * 100 / a; else print "n/a" }')
	echo "RSS flatness (consentgate VmRSS): after $RSS_AT messages $((RSSAT_cg / 1024)) MiB" \
		"($RSSAT_cg kB), after all $total messages $((RSSEND_cg / 1024)) MiB" \
		"($RSSEND_cg kB): ${pct}%"
	echo "    of which RssAnon (heap, stacks; the LMDB map is RssFile):" \
		"$((ANONAT_cg / 1024)) MiB ($ANONAT_cg kB) -> $((ANONEND_cg / 1024)) MiB ($ANONEND_cg kB): ${apct}%"
	printf '    at the end of each run (messages so far: VmRSS / RssAnon kB):'
	awk -v w="$WARM" -v m="$MSGS" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "  %d: %s / %s", w + NR * m, v["rss"], v["anon"]
	} END { print "" }' "$W/res/cg.runs"
	echo "consentgate decisions logged action=pass: $(cat "$W/res/cg.passes") of $total;" \
		"Postfix rejects/deferrals $(cat "$W/res/cg.problems" 2>/dev/null || echo 0);" \
		"daemon error/warning/tempfail/other-action lines $(cat "$W/res/cg.logproblems" 2>/dev/null || echo 0)"
	sed 's/^/    /' "$W/res/cg.rejects" "$W/res/cg.logproblem-lines" 2>/dev/null
	echo "evidence: consentctl verify exit $VERIFY_RC: $VERIFY_MSG"
	[ "$VERIFY_RC" -ne 0 ] && sed -n '1,6p' "$W/verify.log" | sed 's/^/    /'
fi
for kind in none null dkim; do
	[ -s "$W/res/$kind.problems" ] && [ "$(cat "$W/res/$kind.problems")" != 0 ] &&
		echo "$(label "$kind"): Postfix rejects/deferrals $(cat "$W/res/$kind.problems")"
done
if [ -z "${BENCH_NO_STORE:-}" ]; then
	echo
	echo "store benchmark (bench/storebench.c on build/db; one thread unless a line says otherwise):"
	set -- $SMALL
	echo "  CSV import, $2 rows into an empty store:   $3 s ($(awk -v n="$2" -v s="$3" 'BEGIN { printf "%.0f", n / s }') rows/s), peak RSS $(($4 / 1024)) MiB (heap $(($5 / 1024)) MiB)"
	set -- $BIG
	echo "  CSV import, $2 rows into an empty store:  $3 s ($(awk -v n="$2" -v s="$3" 'BEGIN { printf "%.0f", n / s }') rows/s), peak RSS $(($4 / 1024)) MiB (heap $(($5 / 1024)) MiB, the rest the store's mapped pages), store ${BIG_SIZE} MiB, longest write transaction $6 ms"
	echo "    target >= 100,000 rows/s and peak RSS <= 512 MiB on $BIG_N rows: $(awk -v n="$2" -v s="$3" -v kb="$4" 'BEGIN { print (n / s >= 100000 && kb <= 512 * 1024) ? "met" : "not met" }')"
	for e in "$EXP" "$EXPJ"; do
		set -- $e
		[ "$e" = "$EXPJ" ] && f=JSON || f=CSV
		echo "  $f export of $2 records: $3 s ($(awk -v n="$2" -v s="$3" 'BEGIN { printf "%.0f", n / s }') rows/s), peak RSS $(($4 / 1024)) MiB (heap $(($5 / 1024)) MiB)"
	done
	set -- $LOOK
	LOOK_RATE=$4
	echo "  db_consent_get on $BIG_N records, random hits: $4 lookups/s ($2 lookups in $3 s, $8 s CPU)"
	set -- $LOOK_MISS
	echo "  db_consent_get on $BIG_N records, random misses: $4 lookups/s ($2 lookups in $3 s, $8 s CPU)"
	set -- $LOOK_4
	echo "  db_consent_get on $BIG_N records, random hits, 4 threads: $4 lookups/s ($2 lookups in $3 s, $8 s CPU)"
	set -- $LOOK_GATE
	echo "  gate_consent_lookup (the milter's call per recipient) on $BIG_N records, random hits: $4 lookups/s ($2 lookups in $3 s, $8 s CPU)"
	echo "  consent lookups >= 1,000,000/s single thread on $BIG_N records: $(awk -v r="$LOOK_RATE" 'BEGIN { print (r >= 1000000) ? "met" : "not met" }')"
fi
echo
sh "$BENCH_DIR/policy.sh" "$CG_BUILD" "$NL"
echo
echo "evidence group commit (bench/evidence_bench.c: 20 threads, durable before answer):"
EVDIR=$(mktemp -d /tmp/cgevbench.XXXXXX)
"$CG_BUILD/evidence_bench" "$EVDIR/store" 20 2000 | sed 's/^/  /'
rm -rf "$EVDIR"
[ -n "$BENCH_WARN" ] && printf '\n%s' "$BENCH_WARN"
echo
echo "total bench time: $(($(date +%s) - BENCH_T0)) s"
