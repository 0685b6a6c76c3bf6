#!/bin/sh
# tests/e2e/security.sh BUILD - the daemon's security promises (POSIX sh, as
# root): it refuses to run as root without UserID; a unix socket is created
# 0660 by UserID in a directory UserID can write (a root-only one is refused
# with a clear error); the process runs as UserID; at the default log
# level no recipient address is logged (only queue ids and evidence refs),
# with LogAddresses yes it is; a missing store directory is created for
# UserID.
CG_HERE=$(cd "$(dirname "$0")" && pwd)
. "$CG_HERE/lib.sh"

cg_setup "$1"
cg_need miltertest

STORE=$CG_TMP/store
cg_seed_store "$STORE" "a@rcpt.example=confirmed" || { cg_notok "setup: store"; exit 1; }

# 1. root without UserID
printf 'Socket inet:1@127.0.0.1\nConsentDB %s\n' "$STORE" >"$CG_TMP/root.conf"
if timeout 10 "$CG_BUILD/consentgate" -f -c "$CG_TMP/root.conf" >"$CG_TMP/root.log" 2>&1; then
	cg_notok "root without UserID: the daemon ran"
elif grep -q "refusing to run as root" "$CG_TMP/root.log"; then
	cg_ok "root without UserID: refused ($(head -n 1 "$CG_TMP/root.log"))"
else
	cg_notok "root without UserID: no clear error: $(head -c 200 "$CG_TMP/root.log")"
fi

# 2. unix socket mode and owner, process user, log privacy
# 2a. the socket's directory must be writable by UserID (the socket is
# bound as UserID): a root-only directory is refused with a clear error.
mkdir -p "$CG_TMP/rootrun"
chmod 0755 "$CG_TMP/rootrun"
printf 'Socket unix:%s/cg.sock\nUserID nobody\nConsentDB %s\n' \
	"$CG_TMP/rootrun" "$STORE" >"$CG_TMP/rootrun.conf"
if timeout 10 "$CG_BUILD/consentgate" -f -c "$CG_TMP/rootrun.conf" >"$CG_TMP/rootrun.log" 2>&1 </dev/null; then
	cg_notok "socket in a root-only directory: the daemon ran"
elif grep -q "must be writable by UserID nobody" "$CG_TMP/rootrun.log"; then
	cg_ok "socket in a root-only directory: refused ($(grep -m1 'must be writable' "$CG_TMP/rootrun.log" | cut -c1-100))"
else
	cg_notok "socket in a root-only directory: no clear error: $(head -c 200 "$CG_TMP/rootrun.log")"
fi

mkdir -p "$CG_TMP/run"
chown nobody "$CG_TMP/run"
chmod 0755 "$CG_TMP/run"
SOCK=$CG_TMP/run/cg.sock
set -- $(cg_free_ports 1)
PORT=$1
for mode in default addresses; do
	printf 'Socket unix:%s\nUserID nobody\nConsentDB %s\nMarketingSenders news@shop.example\n' \
		"$SOCK" "$STORE" >"$CG_TMP/sec.conf"
	[ "$mode" = addresses ] && echo "LogAddresses yes" >>"$CG_TMP/sec.conf"
	"$CG_BUILD/consentgate" -f -c "$CG_TMP/sec.conf" >"$CG_TMP/sec-$mode.log" 2>&1 </dev/null &
	pid=$!
	i=0
	while [ ! -S "$SOCK" ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	if [ "$mode" = default ]; then
		perm=$(stat -c '%a %U' "$SOCK" 2>/dev/null)
		[ "$perm" = "660 nobody" ] && cg_ok "unix socket created 0660 for UserID ($perm)" ||
			cg_notok "unix socket is '$perm', want '660 nobody'"
		user=$(ps -o user= -p "$pid" | tr -d ' ')
		[ "$user" = nobody ] && cg_ok "daemon runs as UserID ($user)" ||
			cg_notok "daemon runs as '$user'"
	fi
	cat >"$CG_TMP/sec.lua" <<LUA
local conn = mt.connect("unix:$SOCK", 40, 0.25)
mt.negotiate(conn, nil, nil, nil)
mt.macro(conn, SMFIC_MAIL, "i", "QSEC1")
mt.mailfrom(conn, "<news@shop.example>")
mt.rcptto(conn, "<secret.person@example.org>")
mt.disconnect(conn)
LUA
	timeout 30 miltertest -s "$CG_TMP/sec.lua" >/dev/null 2>&1
	sleep 0.3
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$SOCK"
	if [ "$mode" = default ]; then
		if grep -q "secret.person" "$CG_TMP/sec-default.log"; then
			cg_notok "default log level names the recipient"
		elif grep -q ": ref=.*rules=consent.missing" "$CG_TMP/sec-default.log"; then
			cg_ok "default log: queue id and evidence ref only ($(grep -m1 'rules=consent.missing' "$CG_TMP/sec-default.log" | cut -c1-90))"
		else
			cg_notok "default log: no line for the refused recipient"
		fi
	else
		grep -q "secret.person@example.org" "$CG_TMP/sec-addresses.log" &&
			cg_ok "LogAddresses yes: the recipient is logged" ||
			cg_notok "LogAddresses yes: the recipient is not logged"
	fi
done

# 3. a missing store directory is created for UserID, empty.
printf 'Socket inet:%s@127.0.0.1\nUserID nobody\nConsentDB %s/newstore\n' \
	"$PORT" "$CG_TMP" >"$CG_TMP/new.conf"
"$CG_BUILD/consentgate" -f -c "$CG_TMP/new.conf" >"$CG_TMP/new.log" 2>&1 </dev/null &
pid=$!
cg_wait_port "$PORT" 10 "$pid"
owner=$(stat -c '%U' "$CG_TMP/newstore/data.mdb" 2>/dev/null)
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [ "$owner" = nobody ] && grep -q "created an empty consent store" "$CG_TMP/new.log"; then
	cg_ok "a missing store is created empty for UserID"
else
	cg_notok "missing store: owner '$owner', log: $(head -c 200 "$CG_TMP/new.log")"
fi

printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
