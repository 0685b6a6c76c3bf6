#!/bin/sh
# bench/policy.sh BUILD [NEWSLETTER] - the policy alone (issue #16): parse,
# reader's view and every rule, CPU per message, by bench/policybench.c.
# Run by bench/run.sh (make bench); runs alone too: sh bench/policy.sh build
# (needs build/policybench: make build/policybench).  No root, no Postfix.
#
# Inputs: the ~40 KB benchmark newsletter (NEWSLETTER, else made with
# bench/newsletter.py), a ~400 KB one made the same way (ten times the
# products), and the real-world template set (tests/data/realworld/*/, each
# tool with its realworld.conf) as a second input.  Targets, each printed
# met or not met: <= 0.5 ms CPU per message on the 40 KB newsletter and on
# the real-world set (mean over its messages); 400 KB / 40 KB <= 10
# (linear in size).  Environment: BENCH_POLICY_RUNS (300 for the 40 KB
# newsletter; a tenth of it for the 400 KB one, a third for the real-world
# messages).  Timing is CPU time of the process (CLOCK_PROCESS_CPUTIME_ID),
# so a busy machine slows it less than wall time, but not not at all.

ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
PB=$B/policybench
[ -x "$PB" ] || { echo "policy.sh: $PB missing (make $1/policybench)" >&2; exit 1; }
RUNS=${BENCH_POLICY_RUNS:-300}
T=$(mktemp -d /tmp/cgpolbench.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
PY=${CG_PY:-python3}

NL=${2:-}
if [ -z "$NL" ]; then
	NL=$T/nl40.eml
	"$PY" "$ROOT/bench/newsletter.py" "$NL" leser@example.org 40000 >/dev/null || exit 1
fi
"$PY" "$ROOT/bench/newsletter.py" "$T/nl400.eml" leser@example.org 400000 >/dev/null || exit 1

# ms CPU per message of policybench's line (field 4), or "" on failure.
ms_of() { awk '/ ms CPU per message/ { print $4; exit }' "$1"; }
met() { awk -v v="$1" -v t="$2" 'BEGIN { print (v != "" && v <= t) ? "met" : "not met" }'; }

"$PB" "$ROOT/tests/data/rules.conf" "$RUNS" "$NL" >"$T/a" 2>&1
"$PB" "$ROOT/tests/data/rules.conf" $((RUNS / 10 + 1)) "$T/nl400.eml" >"$T/b" 2>&1
A=$(ms_of "$T/a")
Bm=$(ms_of "$T/b")
verdict() { sed -n 's/.*, \(class .*\)$/\1/p' "$1" | head -n 1; }
echo "policy alone (bench/policybench.c: parse, reader's view, every rule; CPU per message;"
echo "  one recipient with consent and without tracking consent, so verdicts differ from the test sets):"
echo "  newsletter $(wc -c <"$NL" | tr -d ' ') bytes:  ${A:-error} ms ($(verdict "$T/a"));" \
	"target <= 0.5 ms: $(met "$A" 0.5)"
echo "  newsletter $(wc -c <"$T/nl400.eml" | tr -d ' ') bytes: ${Bm:-error} ms ($(verdict "$T/b"))"
R=$(awk -v a="$A" -v b="$Bm" 'BEGIN { if (a > 0 && b != "") printf "%.2f", b / a }')
echo "    400 KB / 40 KB: ${R:-n/a}; target <= 10 (linear in size): $(met "$R" 10)"
: >"$T/rw"
for d in "$ROOT"/tests/data/realworld/*/; do
	[ -f "$d/realworld.conf" ] || continue
	"$PB" "$d/realworld.conf" $((RUNS / 3 + 1)) "$d"*.eml >>"$T/rw" 2>&1
done
awk -v root="$ROOT/" '
/ ms CPU per message/ { n++; s += $4; f = $1; sub(":$", "", f); sub(root, "", f)
	if ($4 > max) { max = $4; mf = f } }
/policybench:/ { err++ }
END {
	if (n == 0) { print "  real-world set: no messages"; exit }
	m = s / n
	printf "  real-world set (tests/data/realworld, %d messages): mean %.3f ms, max %.3f ms (%s)%s;\n",
		n, m, max, mf, err ? ", " err " errors" : ""
	printf "    target <= 0.5 ms (mean): %s\n", m <= 0.5 && !err ? "met" : "not met"
}' "$T/rw"
# The advertising detector's share (doi.advertising and
# transactional.advertising score every sentence of DOI and order mail):
# on the newsletter as if it were such a mail, and over the real-world
# DOI mails; it must stay within the policy budget above.
det_of() { awk '/ ms detector CPU per message/ { print $2; exit }' "$1"; }
sent_of() { awk '/ ms detector CPU per message/ { print $8; exit }' "$1"; }
D=$(det_of "$T/a")
echo "advertising detector (split and score every sentence; policy/adwalk.h), CPU per message:"
echo "  newsletter $(wc -c <"$NL" | tr -d ' ') bytes, $(sent_of "$T/a") sentences: ${D:-error} ms;" \
	"within the 0.5 ms policy budget: $(met "$D" 0.5)"
awk -v root="$ROOT/" '
/ ms detector CPU per message/ { f = $1; sub(":$", "", f); if (f !~ /\/doi-[^\/]*$/) next
	n++; s += $2; if ($2 > max) { max = $2; mf = f; sub(root, "", mf) } }
END {
	if (n == 0) { print "  real-world DOI mails: none"; exit }
	printf "  real-world DOI mails (%d): mean %.3f ms, max %.3f ms (%s)\n", n, s / n, max, mf
}' "$T/rw"
