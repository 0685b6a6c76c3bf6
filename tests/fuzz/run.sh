#!/bin/sh
# run.sh FUZZER SECONDS - run the libFuzzer target for SECONDS with a seed
# corpus made of every fixture and a sample of the public corpora; fail on
# any crash, sanitizer report, leak or time-out (10 s per input, 2 GB).
set -u
fuzzer=$1
secs=${2:-60}
work=$(mktemp -d /tmp/cgfuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir "$work/corpus" "$work/seeds"
i=0
for f in tests/data/doi/*.eml tests/data/marketing/*.eml tests/data/parse/*; do
	i=$((i + 1))
	cp "$f" "$work/seeds/fixture-$i"
done
if [ -d ../shared/corpora ]; then
	find ../shared/corpora -type f -size -200k ! -name README.md \
		! -path '*/LICENSES/*' | head -300 | while read -r f; do
		i=$((i + 1))
		cp "$f" "$work/seeds/corpus-$(echo "$f" | cksum | cut -d' ' -f1)"
	done
fi
start=$(date +%s)
"$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	-max_len=262144 -print_final_stats=1 -artifact_prefix="$work/" \
	"$work/corpus" "$work/seeds" > "$work/log" 2>&1
rc=$?
end=$(date +%s)
grep -E '^stat::number_of_executed_units|^Done|ERROR' "$work/log" | head -5
if [ "$rc" != 0 ]; then
	tail -40 "$work/log"
	for a in "$work"/crash-* "$work"/timeout-* "$work"/leak-* "$work"/oom-*; do
		[ -e "$a" ] && cp "$a" /tmp/ && echo "fuzz: artifact kept as /tmp/$(basename "$a")"
	done
	echo "fuzz: FAILED after $((end - start)) s" >&2
	exit 1
fi
echo "fuzz: ran clean for $((end - start)) s"
