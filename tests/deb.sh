#!/bin/sh
# tests/deb.sh - build the Debian package, check it with lintian, install it
# with dpkg -i on this machine, check what it put where, run the installed
# daemon (as root, dropping to the package's user, on a socket in the
# package's /run/consentgate) against two miltertest cases, then purge it and
# check it is gone.  Run as root from the source tree: sh tests/deb.sh
#
# The package is built in a copy of the tree under a temporary directory
# (dpkg-buildpackage writes ../*.deb), so the source tree is not touched.
# Refuses to run when consentgate is already installed or its user or store
# exist (this test purges the package and removes both at the end).
# There is no systemd here: units are checked with systemd-analyze verify
# only.  Every wait is bounded; the whole test is stopped after 300 s.
# Prints "ok - ..." / "not ok - ..." and exits 1 if anything failed.
set -u
# The time limit: timeout(1) sends TERM, the trap below cleans up.
if [ -z "${CG_DEB_TIMED:-}" ]; then
	CG_DEB_TIMED=1 exec timeout -k 10 300 sh "$0" "$@"
fi
here=$(cd "$(dirname "$0")/.." && pwd)
fails=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fails=$((fails + 1)); }
check() { # check DESCRIPTION COMMAND...
	d=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$d"; else notok "$d"; fi
}
die() { echo "deb.sh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (dpkg -i)"
for t in dpkg-buildpackage dh lintian miltertest; do
	command -v "$t" >/dev/null || die "$t missing (make deps)"
done
if dpkg-query -W -f='${Status}' consentgate 2>/dev/null | grep -q installed; then
	die "consentgate is installed on this machine; this test would purge it"
fi
getent passwd consentgate >/dev/null && die "user consentgate exists already"
[ -e /var/lib/consentgate ] && die "/var/lib/consentgate exists already"
[ -e /etc/consentgate ] && die "/etc/consentgate exists already"

T=$(mktemp -d /tmp/cgdeb.XXXXXX) || exit 1
CG_PID=
installed=
cleanup() {
	[ -n "$CG_PID" ] && kill "$CG_PID" 2>/dev/null
	if [ -n "$installed" ]; then
		dpkg --purge consentgate >/dev/null 2>&1
		rm -rf /var/lib/consentgate
		getent passwd consentgate >/dev/null && deluser --system consentgate >/dev/null 2>&1
		getent group consentgate >/dev/null && delgroup --system consentgate >/dev/null 2>&1
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'echo "deb.sh: interrupted (time limit 300 s?)" >&2; exit 1' INT TERM

# --- build, in a copy of the tree
mkdir "$T/src"
if git -C "$here" rev-parse >/dev/null 2>&1; then
	(cd "$here" && git ls-files -co --exclude-standard) | grep -Ev '^build' |
		(cd "$here" && tar -cf - -T -) | tar -xf - -C "$T/src"
else
	(cd "$here" && tar -cf - --exclude='./build*' .) | tar -xf - -C "$T/src"
fi
before=$(cd "$here" && git status --porcelain 2>/dev/null)
start=$(date +%s)
if (cd "$T/src" && DEB_BUILD_OPTIONS=parallel=2 dpkg-buildpackage -us -uc -b) \
	>"$T/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b ($(($(date +%s) - start)) s)"
else
	tail -30 "$T/build.log"
	notok "dpkg-buildpackage"
	exit 1
fi
deb=$(ls "$T"/consentgate_*.deb 2>/dev/null | head -1)
[ -f "$deb" ] || { notok "no consentgate_*.deb in $T"; exit 1; }
[ "$(cd "$here" && git status --porcelain 2>/dev/null)" = "$before" ] &&
	ok "the source tree is untouched by the build" ||
	notok "the build changed the source tree"

# --- lintian: no error or warning (overrides in debian/*.lintian-overrides)
if lintian --fail-on error,warning "$T"/consentgate_*.changes >"$T/lintian" 2>&1; then
	ok "lintian: no errors or warnings"
else
	sed 's/^/    /' "$T/lintian"
	notok "lintian"
fi

# --- install
if dpkg -i "$deb" >"$T/dpkg.log" 2>&1; then
	installed=1
	ok "dpkg -i $(basename "$deb")"
else
	installed=1
	sed 's/^/    /' "$T/dpkg.log"
	notok "dpkg -i"
	exit 1
fi
for f in /usr/sbin/consentgate /usr/sbin/consentctl; do
	check "$f is executable" test -x "$f"
done
for f in /usr/share/consentgate/advertising-de.txt \
	/usr/share/consentgate/advertising-en.txt \
	/usr/share/consentgate/contrib/postfix/main.cf.snippet \
	/usr/share/man/man8/consentgate.8.gz /usr/share/man/man8/consentctl.8.gz \
	/usr/share/man/man5/consentgate.conf.5.gz \
	/usr/share/doc/consentgate/README.Debian \
	/usr/share/bash-completion/completions/consentctl \
	/usr/lib/tmpfiles.d/consentgate.conf \
	/lib/systemd/system/consentgate.service \
	/lib/systemd/system/consentgate-purge.service \
	/lib/systemd/system/consentgate-purge.timer; do
	check "$f installed" test -s "$f"
done
check "the config is a conffile" sh -c \
	"dpkg-query -W -f='\${Conffiles}' consentgate | grep -q ' /etc/consentgate/consentgate.conf '"
check "the config runs as UserID consentgate" \
	grep -q '^UserID  *consentgate$' /etc/consentgate/consentgate.conf
check "consentctl -V names the version" sh -c \
	"/usr/sbin/consentctl -V | grep -q '^consentctl [0-9]'"
check "bash completion parses" bash -n /usr/share/bash-completion/completions/consentctl

# --- user, group, directories
pw=$(getent passwd consentgate)
uid=$(echo "$pw" | cut -d: -f3)
if [ -n "$pw" ] && [ "$uid" -lt 1000 ] && [ "$uid" -gt 0 ]; then
	ok "system user consentgate (uid $uid)"
else
	notok "system user consentgate: '$pw'"
fi
check "its shell is nologin" sh -c "getent passwd consentgate | grep -q ':/usr/sbin/nologin$'"
check "group consentgate" getent group consentgate
check "the conffile's Socket is the loopback port a chrooted smtpd reaches" \
	grep -Eq '^Socket[[:space:]]+inet:8895@127\.0\.0\.1$' /etc/consentgate/consentgate.conf
st=$(stat -c '%U:%G %a' /run/consentgate 2>&1)
[ "$st" = "consentgate:consentgate 750" ] && ok "/run/consentgate $st" ||
	notok "/run/consentgate is '$st' (want consentgate:consentgate 750)"
st=$(stat -c '%U:%G %a' /var/lib/consentgate 2>&1)
[ "$st" = "consentgate:consentgate 700" ] && ok "/var/lib/consentgate $st" ||
	notok "/var/lib/consentgate is '$st' (want consentgate:consentgate 700)"
st=$(stat -c '%U %a' /var/lib/consentgate/data.mdb 2>&1)
[ "$st" = "consentgate 600" ] && ok "empty store made by postinst ($st)" ||
	notok "/var/lib/consentgate/data.mdb is '$st'"

# --- units (no systemd as PID 1: syntax and references only)
if command -v systemd-analyze >/dev/null; then
	for u in consentgate.service consentgate-purge.service consentgate-purge.timer; do
		if timeout 30 systemd-analyze verify "/lib/systemd/system/$u" >"$T/verify" 2>&1; then
			ok "systemd-analyze verify $u"
		else
			sed 's/^/    /' "$T/verify"
			notok "systemd-analyze verify $u"
		fi
	done
	check "consentgate.service runs as User=consentgate" \
		grep -q '^User=consentgate$' /lib/systemd/system/consentgate.service
	check "consentgate.service starts /usr/sbin/consentgate" \
		grep -q '^ExecStart=/usr/sbin/consentgate ' /lib/systemd/system/consentgate.service
fi

# --- the installed daemon, as root, on a socket in /run/consentgate
check "consentgate -n accepts the installed config" \
	/usr/sbin/consentgate -n -c /etc/consentgate/consentgate.conf
sock=/run/consentgate/test.sock
sed "s|^Socket .*|Socket unix:$sock|" /etc/consentgate/consentgate.conf >"$T/test.conf"
printf '%s\n' "MarketingSenders news@shop.example" \
	"PrivacyURL https://shop.example/privacy" \
	"ImprintText Shop Example GmbH" >>"$T/test.conf"
runuser -u consentgate -- /usr/sbin/consentctl -d /var/lib/consentgate \
	add a@rcpt.example --state confirmed >/dev/null ||
	notok "consentctl add as consentgate"
/usr/sbin/consentgate -f -c "$T/test.conf" >"$T/daemon.log" 2>&1 &
CG_PID=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 50 ] && kill -0 "$CG_PID" 2>/dev/null; do
	sleep 0.2
	i=$((i + 1))
done
if [ -S "$sock" ]; then
	ok "the installed daemon listens on $sock"
	st=$(stat -c '%U:%G %a' "$sock")
	[ "$st" = "consentgate:consentgate 660" ] && ok "socket $st" ||
		notok "socket is '$st' (want consentgate:consentgate 660)"
	pu=$(ps -o user= -p "$CG_PID" | tr -d ' ')
	[ "$pu" = consentgate ] && ok "the daemon runs as consentgate" ||
		notok "the daemon runs as '$pu'"
	for c in consented unconsented; do
		if (cd "$here" && timeout 60 miltertest -s "tests/miltertest/$c.lua" \
			-D "socket=unix:$sock" -D libdir=tests/miltertest) >"$T/mt.$c" 2>&1 &&
			grep -q '^PASS' "$T/mt.$c"; then
			ok "miltertest $c against the installed daemon"
		else
			sed 's/^/    /' "$T/mt.$c"
			notok "miltertest $c"
		fi
	done
	n=$(runuser -u consentgate -- /usr/sbin/consentctl -d /var/lib/consentgate \
		log --kind decision --format csv 2>/dev/null | grep -c ',decision,')
	[ "$n" -ge 2 ] && ok "evidence of the decisions in the store ($n)" ||
		notok "$n decisions in the store (want 2)"
else
	sed 's/^/    /' "$T/daemon.log"
	notok "the installed daemon did not open $sock"
fi
[ -n "$CG_PID" ] && kill "$CG_PID" 2>/dev/null
i=0
while kill -0 "$CG_PID" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
CG_PID=

# --- purge
if dpkg --purge consentgate >"$T/purge.log" 2>&1; then
	ok "dpkg --purge consentgate"
else
	sed 's/^/    /' "$T/purge.log"
	notok "dpkg --purge"
fi
check "the package is gone" sh -c \
	"! dpkg-query -W -f='\${Status}' consentgate 2>/dev/null | grep -q installed"
for f in /usr/sbin/consentgate /usr/sbin/consentctl /etc/consentgate \
	/run/consentgate /lib/systemd/system/consentgate.service \
	/usr/share/consentgate /usr/lib/tmpfiles.d/consentgate.conf; do
	check "$f removed" test ! -e "$f"
done
check "the store is kept on purge (evidence)" test -e /var/lib/consentgate/data.mdb
check "purge says that the store is kept" grep -q '/var/lib/consentgate is kept' "$T/purge.log"

echo "# deb.sh: $fails failed"
[ "$fails" = 0 ]
