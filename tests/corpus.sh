#!/bin/sh
# corpus.sh BUILD - run `consentctl check` over every public mail in
# ../shared/corpora (1,084 real-world and malformed messages) with the
# fixture config, as it comes and forced through the marketing and DOI
# rules: every file must get a verdict or a clear per-file error,
# within 10 s, with no crash and no sanitizer report.  Prints the totals and
# the time taken.  Skips (exit 0) when the corpora are not there.
set -u
build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
corpora=${CORPORA:-$here/../shared/corpora}
ctl=$here/$build/consentctl
if [ ! -d "$corpora" ]; then
	echo "corpus: $corpora not found, skipped"
	exit 0
fi
tmp=$(mktemp -d /tmp/cgcorpus.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
find "$corpora" -type f ! -name README.md ! -name .gitattributes \
	! -path '*/LICENSES/*' | sort > "$tmp/files"
total=$(wc -l < "$tmp/files")
start=$(date +%s.%N)
# One process per file, two at a time: a crash or hang names its file.
tr '\n' '\0' < "$tmp/files" | xargs -0 -P 2 -n 1 sh -c '
	out=$(timeout 10 "$0" -c "$1" check --format json "$2" 2>&1)
	rc=$?
	# The same file forced through the marketing and the DOI rules.
	for cls in marketing doi; do
		o2=$(timeout 10 "$0" -c "$1" check --class $cls --format json "$2" 2>&1)
		r2=$?
		case $r2 in 0|1) ;; *) rc=$r2; out="$out
$o2" ;; esac
		case $o2 in *Sanitizer*|*"runtime error"*) out="$out
$o2" ;; esac
	done
	case $rc in
	0|1) ;;
	124) echo "TIMEOUT $2" ;;
	*) echo "CRASH rc=$rc $2"; printf "%s\n" "$out" | tail -5 ;;
	esac
	case $out in
	*AddressSanitizer*|*"runtime error"*|*LeakSanitizer*) echo "SANITIZER $2";
		printf "%s\n" "$out" | grep -m3 -E "Sanitizer|runtime error" ;;
	esac
	case $out in
	*\"verdict\":\ \"error\"*) echo "FILEERROR $2 $(printf "%s" "$out" | grep -o "\"error\": \"[^\"]*\"")" ;;
	*\"verdict\":\ \"pass\"*) echo "PASS $2" ;;
	*\"verdict\":\ \"refused\"*) echo "REFUSED $2" ;;
	esac
' "$ctl" "$here/tests/data/rules.conf" > "$tmp/results"
end=$(date +%s.%N)
bad=$(grep -cE '^(TIMEOUT|CRASH|SANITIZER)' "$tmp/results")
errors=$(grep -c '^FILEERROR' "$tmp/results")
pass=$(grep -c '^PASS' "$tmp/results")
refused=$(grep -c '^REFUSED' "$tmp/results")
secs=$(echo "$end - $start" | bc 2>/dev/null || echo "?")
echo "corpus: $total files in ${secs}s: $pass pass, $refused refused, $errors per-file errors, $bad crashes/timeouts/sanitizer reports ($build)"
grep '^FILEERROR' "$tmp/results" | head -20
if [ "$bad" != 0 ] || [ $((pass + refused + errors)) != "$total" ]; then
	grep -vE '^(PASS|REFUSED|FILEERROR) ' "$tmp/results" | head -40
	echo "corpus: FAILED" >&2
	exit 1
fi
exit 0
