#!/bin/sh
# tests/e2e/parity-sets.sh BUILD - milter / `consentctl check` parity over the
# real-world and the disguise fixture sets (POSIX sh). Run as root.
#
# Runs tests/e2e/parity.sh once per tool directory of tests/data/realworld
# with that directory's realworld.conf (each verdict must equal the other
# side's and the fixture's X-Test-Expect), once more per distinct
# X-Test-Config of its fixtures with those lines added, and once over tests/data/disguise
# with disguise.conf comparing only the milter with `consentctl check`
# (CG_PARITY_EXPECT=0): some disguises still get a verdict other than
# declared, which tests/unit/test_realworld.c reports and gates with
# tests/data/disguise/THRESHOLD; here the two sides must agree whatever the
# verdict. Each run starts its own private Postfix and milter (about ten
# seconds each) and is bounded by parity.sh's own time limit.
# Exit 1 when any run failed, naming it.

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${1:-build}
failed=''

TMP=$(mktemp -d /tmp/cgparsets.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM

# The X-Test-Config header of fixture $1 (one line), or nothing.
fx_config() {
	awk 'BEGIN { IGNORECASE = 1 }
	/^\r?$/ { exit }
	/^[Xx]-[Tt]est-[Cc]onfig:/ { sub(/^[^:]*:[ \t]*/, ""); v = $0; on = 1; next }
	on && /^[ \t]/ { sub(/^[ \t]+/, " "); v = v $0; next }
	{ on = 0 }
	END { print v }' "$1" | tr -d '\r'
}

# The config file $1 with the ';'-separated lines $2 added, a key given
# there replacing that key's lines of the file (as tests/unit/fixture.h).
fx_conf() {
	printf '%s\n' "$2" | tr ';' '\n' | sed 's/^[ \t]*//; /^$/d' >"$TMP/add"
	awk 'NR == FNR { k[tolower($1)] = 1; next }
	!(tolower($1) in k)' "$TMP/add" "$1"
	cat "$TMP/add"
}

# One parity run per tool directory with its realworld.conf over the
# fixtures without X-Test-Config, and one per distinct X-Test-Config with
# that config added (each run its own store, as the unit harness judges
# each fixture alone with its config).
for dir in "$ROOT"/tests/data/realworld/*/; do
	dir=${dir%/}
	tool=${dir##*/}
	[ -r "$dir/realworld.conf" ] || continue
	rm -rf "${TMP:?}/$tool" "$TMP/$tool+"*
	mkdir -p "$TMP/$tool"
	n=0
	for f in "$dir"/*.eml; do
		[ -f "$f" ] || continue
		c=$(fx_config "$f")
		if [ -z "$c" ]; then
			ln -s "$f" "$TMP/$tool/"
			continue
		fi
		g=''
		for d in "$TMP/$tool+"*; do
			[ -f "$d/.config" ] && [ "$(cat "$d/.config")" = "$c" ] && g=$d
		done
		if [ -z "$g" ]; then
			n=$((n + 1))
			g=$TMP/$tool+$n
			mkdir -p "$g"
			printf '%s\n' "$c" >"$g/.config"
			fx_conf "$dir/realworld.conf" "$c" >"$g/realworld.conf"
		fi
		ln -s "$f" "$g/"
	done
	for d in "$TMP/$tool" "$TMP/$tool+"*; do
		[ -d "$d" ] || continue
		ls "$d"/*.eml >/dev/null 2>&1 || continue
		conf=$dir/realworld.conf
		[ -f "$d/realworld.conf" ] && conf=$d/realworld.conf
		printf '# ---- parity: %s%s\n' "${dir#"$ROOT"/}" \
			"$([ "$d" = "$TMP/$tool" ] || printf ' with X-Test-Config: %s' "$(cat "$d/.config")")"
		CG_PARITY_CONF=$conf CG_PARITY_DIRS=$d \
			sh "$HERE/parity.sh" "$BUILD" || failed="$failed ${d##*/}"
	done
done
printf '# ---- parity: tests/data/disguise (milter against check only)\n'
CG_PARITY_CONF=$ROOT/tests/data/disguise/disguise.conf \
	CG_PARITY_DIRS=$ROOT/tests/data/disguise CG_PARITY_EXPECT=0 \
	sh "$HERE/parity.sh" "$BUILD" || failed="$failed disguise"

if [ -n "$failed" ]; then
	printf 'parity-sets: failed:%s\n' "$failed"
	exit 1
fi
printf 'parity-sets: every real-world tool and the disguise set agree\n'
exit 0
