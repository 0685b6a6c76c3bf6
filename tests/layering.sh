#!/bin/sh
# layering.sh - enforce the module boundaries and banned calls (STYLE.md):
# policy/ includes neither libmilter nor LMDB and does no file I/O or
# logging; db/ never includes libmilter; only milter/ calls smfi_*; no
# strcpy/strcat/strncpy/sprintf anywhere; no system()/popen()/exec*(); every
# .c file opens with a comment.
set -u
fail=0
bad() { echo "layering: $*" >&2; fail=1; }

if grep -rnE '#include[[:space:]]*[<"](libmilter|lmdb\.h)' policy/; then
	bad "policy/ includes libmilter or lmdb"
fi
if grep -rnE '\b(fopen|open|fread|fwrite|syslog|log_(info|warn|err|debug))[[:space:]]*\(' policy/ --include='*.c'; then
	bad "policy/ does I/O or logs"
fi
if grep -rnE '#include[[:space:]]*[<"](libmilter|lmdb\.h|.*(milter|ctl)/)' fmt/; then
	bad "fmt/ includes libmilter, lmdb, milter/ or ctl/ (formats sit on db/)"
fi
if grep -rnE '#include[[:space:]]*"[^"]*fmt/' common/ db/ policy/ milter/; then
	bad "fmt/ included from below it or from the milter"
fi
# Downward only: common/ includes nothing above it, policy/ nothing of
# gate/ (the config), db/, milter/ or ctl/.
if grep -rnE '#include[[:space:]]*"[./]*(policy|db|gate|fmt|milter|ctl)/' common/; then
	bad "common/ includes a header from a layer above it"
fi
if grep -rnE '#include[[:space:]]*"[./]*(db|gate|fmt|milter|ctl)/' policy/; then
	bad "policy/ includes a header from gate/, db/, milter/ or ctl/"
fi
if grep -rnE '#include[[:space:]]*[<"]libmilter' db/ common/ ctl/ policy/ gate/ fmt/; then
	bad "libmilter outside milter/"
fi
if grep -rnE '\bsmfi_[a-z]+[[:space:]]*\(' common/ db/ fmt/ policy/ gate/ ctl/ --include='*.c'; then
	bad "smfi_* called outside milter/"
fi
if grep -rnE '\b(strcpy|strcat|strncpy|sprintf|vsprintf|gets)[[:space:]]*\(' \
	common/ db/ fmt/ policy/ gate/ milter/ ctl/ tests/unit/ --include='*.c' --include='*.h'; then
	bad "banned string function used"
fi
if grep -rnE '\bsyslog[[:space:]]*\(' db/ policy/ gate/ milter/ ctl/ --include='*.c'; then
	bad "syslog() outside common/log.c"
fi
if grep -rnE '\b(system|popen|execl|execlp|execle|execv|execvp|execve)[[:space:]]*\(' \
	common/ db/ policy/ gate/ milter/ ctl/ --include='*.c'; then
	bad "a shell-out or exec in the product code"
fi
for f in $(find common db fmt policy gate milter ctl -name '*.c' -o -name '*.h'); do
	head -c 3 "$f" | grep -q '^/\*' || bad "$f does not open with a comment"
	n=$(wc -l < "$f")
	[ "$n" -le 1000 ] || bad "$f has $n lines (limit 1000)"
done
[ "$fail" = 0 ] && echo "layering: ok"
exit $fail
