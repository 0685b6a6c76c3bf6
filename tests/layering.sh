#!/bin/sh
# layering.sh [BUILD] - enforce the one-way stack (HACKING, issue #15) and
# the banned calls (STYLE.md).
#
# 1. The include graph: every #include "..." of every .c and .h of the
#    product folders, resolved to the folder it names, must point down the
#    layer table below (or stay inside its own folder).  An edge up, or
#    sideways between two folders of one row, fails.
# 2. Inside db/: the call graph of the built objects (nm) must point down
#    the module table of db/store_int.h: the LMDB core at the bottom, one
#    table per module that calls no other table, the writes that span
#    tables above them, open and close at the top.
# 3. The link lines, read from the built programs: consentctl does not need
#    libmilter.so and holds no milter symbol (mf_*, smfi_*, nor any global
#    a milter/ object defines); consentgate holds no ctl/ object.
# 4. The banned calls: policy/ includes neither libmilter nor LMDB and does
#    no file I/O or logging; only milter/ includes libmilter or calls
#    smfi_*; no strcpy/strcat/strncpy/sprintf anywhere; no syslog() but in
#    common/log.c; no system()/popen()/exec*(); every .c and .h opens with
#    a comment and has at most 1000 lines.
# Checks 2 and 3 need the built programs (make layering builds them first);
# without them they are skipped with a note.  tests/, tools/ and bench/
# are exempt from the layer table.
set -u
BUILD=${1:-build}
fail=0
bad() { echo "layering: $*" >&2; fail=1; }

# ---- The layer table: folder and row (an edge may only point to a lower
# row, or stay inside its own folder).
rank() {
	case $1 in
	common) echo 0 ;;
	policy | db) echo 1 ;;
	fmt | gate) echo 2 ;;
	milter | ctl) echo 3 ;;
	*) echo "" ;;
	esac
}
PRODUCT="common policy db fmt gate milter ctl"

# ---- Edges that other work is removing; each is allowed until then, one
# "file -> target" per line, with a comment saying which work removes it.
# Delete a line when its edge is gone (the check says so when one is).
# Empty today: the last ones (common/config.* -> policy/) went when the
# config moved to gate/.
ALLOWED="
"

# Every include edge as "file -> target" (paths from the top of the tree).
edges() {
	for f in $(find $PRODUCT -name '*.c' -o -name '*.h' 2>/dev/null | sort); do
		sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/p' \
			"$f" | while read -r inc; do
			echo "$f -> $(realpath -m --relative-to=. "$(dirname "$f")/$inc")"
		done
	done
}

allowed_seen=
for e in $(edges | tr ' ' '#'); do
	e=$(echo "$e" | tr '#' ' ')
	from=${e%% -> *}
	to=${e##* -> }
	ff=${from%%/*}
	tf=${to%%/*}
	[ "$ff" = "$tf" ] && continue
	case $to in
	*/*) ;;
	*) bad "$from includes $to, outside every folder"; continue ;;
	esac
	rf=$(rank "$ff")
	rt=$(rank "$tf")
	if [ -z "$rt" ]; then
		bad "$from includes $to: $tf/ is not a product layer"
		continue
	fi
	[ "$rt" -lt "$rf" ] && continue
	if echo "$ALLOWED" | grep -qxF "$e"; then
		allowed_seen="$allowed_seen
$e"
		continue
	fi
	if [ "$rt" -eq "$rf" ]; then
		bad "$from includes $to: sideways ($ff/ and $tf/ are both row $rf)"
	else
		bad "$from includes $to: upward ($ff/ is row $rf, $tf/ row $rt)"
	fi
done
echo "$ALLOWED" | while read -r e; do
	[ -n "$e" ] || continue
	echo "$allowed_seen" | grep -qxF "$e" ||
		echo "layering: note: allowed edge '$e' is gone; delete it from ALLOWED" >&2
done
if [ -n "$allowed_seen" ]; then
	echo "layering: edges still allowed (ALLOWED in tests/layering.sh):"
	echo "$allowed_seen" | sed '/^$/d; s/^/  /'
fi

# ---- db/: the module table of db/store_int.h, bottom (0) to top.  A module
# calls only modules of lower rows.  A module missing here ranks as 7 (it
# may call anything but open and close; nothing below it may call it).
dbrank() {
	case $1 in
	core) echo 0 ;;
	codec | evjson | evread | secret | subjkey | meta) echo 1 ;;
	consent | evidence | pii | outbox) echo 2 ;;
	write | evview) echo 3 ;;
	consent_sm) echo 4 ;;
	consent_merge) echo 5 ;;
	import_check) echo 6 ;;
	addrkey | import | outbox_dead | retention | replica_digest | verify)
		echo 7 ;;
	replica) echo 8 ;;
	replica_resync) echo 9 ;;
	store) echo 10 ;;
	*) echo 7 ;;
	esac
}
if ls "$BUILD"/db/*.o >/dev/null 2>&1 && command -v nm >/dev/null; then
	defs=$(mktemp)
	for o in "$BUILD"/db/*.o; do
		m=$(basename "$o" .o)
		nm --defined-only -g "$o" | awk -v m="$m" '$2 ~ /^[TDBR]$/ {print $3, m}'
	done | sort > "$defs"
	for o in "$BUILD"/db/*.o; do
		m=$(basename "$o" .o)
		rm_=$(dbrank "$m")
		nm -u "$o" | awk '{print $NF}' | sort | join - "$defs" |
			awk -v m="$m" '$2 != m {print $2, $1}' | sort -u |
			while read -r callee sym; do
				rc_=$(dbrank "$callee")
				[ "$rc_" -lt "$rm_" ] && continue
				echo "layering: db/$m.c (row $rm_) calls $sym of db/$callee.c (row $rc_)" >&2
				echo x
			done
	done > "$defs.bad"
	[ -s "$defs.bad" ] && bad "db/ modules call up or sideways (see above)"
	rm -f "$defs" "$defs.bad"
else
	echo "layering: note: no $BUILD/db/*.o, the db/ call graph is not checked" >&2
fi

# ---- The link lines, as the built programs show them.
ctl=$BUILD/consentctl
gate=$BUILD/consentgate
if [ -x "$ctl" ] && [ -x "$gate" ]; then
	if ldd "$ctl" 2>/dev/null | grep -q 'libmilter'; then
		bad "consentctl needs libmilter: $(ldd "$ctl" | grep libmilter)"
	fi
	syms=$(nm "$ctl" | awk '$2 ~ /^[TtDdBbRr]$/ && $3 ~ /^(mf_|smfi_)/ {print $3}')
	[ -n "$syms" ] && bad "consentctl holds $(echo "$syms" | wc -l) milter symbols: $(echo $syms | cut -c1-200)"
	syms=$(nm -u "$ctl" | awk '$NF ~ /^smfi_/ {print $NF}')
	[ -n "$syms" ] && bad "consentctl needs $(echo $syms | cut -c1-200)"
	# Globals a program's objects define, without main (both have one).
	globals() {
		for o in "$@"; do
			[ -e "$o" ] && nm --defined-only -g "$o"
		done | awk '$2 ~ /^[TDBR]$/ && $3 != "main" {print $3}' | sort -u
	}
	tmp=$(mktemp -d)
	nm "$ctl" | awk '{print $NF}' | sort -u > "$tmp/ctl"
	nm "$gate" | awk '{print $NF}' | sort -u > "$tmp/gate"
	globals "$BUILD"/milter/*.o | comm -12 - "$tmp/ctl" > "$tmp/m"
	globals "$BUILD"/ctl/*.o | comm -12 - "$tmp/gate" > "$tmp/c"
	[ -s "$tmp/m" ] && bad "consentctl links milter/ objects: $(tr '\n' ' ' < "$tmp/m" | cut -c1-200)"
	[ -s "$tmp/c" ] && bad "consentgate links ctl/ objects: $(tr '\n' ' ' < "$tmp/c" | cut -c1-200)"
	rm -rf "$tmp"
else
	echo "layering: note: no $ctl or $gate, the link lines are not checked" >&2
fi

# ---- The banned calls.
if grep -rnE '#include[[:space:]]*[<"](libmilter|lmdb\.h)' policy/; then
	bad "policy/ includes libmilter or lmdb"
fi
if grep -rnE '\b(fopen|open|fread|fwrite|syslog|log_(info|warn|err|debug))[[:space:]]*\(' policy/ --include='*.c'; then
	bad "policy/ does I/O or logs"
fi
# fmt/ sits on db/'s types, never on LMDB itself (the graph above checks
# the folders it includes).
if grep -rnE '#include[[:space:]]*[<"]lmdb\.h' fmt/ 2>/dev/null; then
	bad "fmt/ includes lmdb.h"
fi
LIBDIRS=$(for d in common policy db fmt gate ctl; do [ -d $d ] && echo $d/; done)
SRCDIRS=$(for d in $PRODUCT; do [ -d $d ] && echo $d/; done)
if grep -rnE '#include[[:space:]]*[<"]libmilter' $LIBDIRS; then
	bad "libmilter outside milter/"
fi
if grep -rnE '\bsmfi_[a-z]+[[:space:]]*\(' $LIBDIRS --include='*.c'; then
	bad "smfi_* called outside milter/"
fi
if grep -rnE '\b(strcpy|strcat|strncpy|sprintf|vsprintf|gets)[[:space:]]*\(' \
	$SRCDIRS tests/unit/ --include='*.c' --include='*.h'; then
	bad "banned string function used"
fi
if grep -rnE '\bsyslog[[:space:]]*\(' $SRCDIRS --include='*.c' | grep -v '^common/log\.c:'; then
	bad "syslog() outside common/log.c"
fi
if grep -rnE '\b(system|popen|execl|execlp|execle|execv|execvp|execve)[[:space:]]*\(' \
	$SRCDIRS --include='*.c'; then
	bad "a shell-out or exec in the product code"
fi
for f in $(find $SRCDIRS -name '*.c' -o -name '*.h'); do
	head -c 3 "$f" | grep -q '^/\*' || bad "$f does not open with a comment"
	n=$(wc -l < "$f")
	[ "$n" -le 1000 ] || bad "$f has $n lines (limit 1000)"
done
[ "$fail" = 0 ] && echo "layering: ok"
exit $fail
