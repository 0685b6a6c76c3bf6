#!/bin/sh
# tests/e2e/privs.sh BUILD - what UserID and the MTA's user can reach (POSIX
# sh, as root):
#  1. the socket is never chowned through a path UserID controls: the daemon
#     is started again and again while a process running as UserID swaps the
#     new socket for a symlink to a root-owned 0600 file, which must keep its
#     owner and mode;
#  2. with the socket's group (the group of UserID) given to the MTA's user
#     (postfix), that user can connect to the socket but can read neither
#     data.mdb, lock.mdb nor the HMAC secret pii.key; an old store (0640,
#     secret inside data.mdb) is narrowed and its secret moved out;
#  3. -n and start refuse UserID with gid 0, and refuse a config naming a
#     file UserID cannot read (naming the file and the user).
CG_HERE=$(cd "$(dirname "$0")" && pwd)
. "$CG_HERE/lib.sh"

cg_setup "$1"
cg_need setpriv
cg_watchdog 60
id postfix >/dev/null 2>&1 || cg_die "user postfix does not exist (install postfix)"

# as USER:GROUP CMD...: run CMD with that user's ids and groups.
as() {
	as_u=${1%%:*}
	as_g=${1#*:}
	shift
	setpriv --reuid="$as_u" --regid="$as_g" --init-groups "$@"
}

STORE=$CG_TMP/store
cg_seed_store "$STORE" "a@rcpt.example=confirmed" || { cg_notok "setup: store"; exit 1; }
RUN=$CG_TMP/run
mkdir -p "$RUN"
chown nobody:postfix "$RUN"
chmod 0750 "$RUN"
SOCK=$RUN/cg.sock

# 1. the symlink race.
TARGET=$CG_TMP/root-secret
echo "root only" >"$TARGET"
chmod 0600 "$TARGET"
printf 'Socket unix:%s\nUserID nobody\nConsentDB %s\n' "$SOCK" "$STORE" >"$CG_TMP/race.conf"
cat >"$CG_TMP/swap.py" <<'PY'
import os, stat, sys, time
sock, target, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
tmp = sock + ".lnk"
end = time.monotonic() + secs
n = swaps = 0
while True:
    n += 1
    if n % 4096 == 0 and time.monotonic() > end:
        break
    try:
        st = os.lstat(sock)
    except OSError:
        continue
    if not stat.S_ISSOCK(st.st_mode):
        continue
    try:
        os.symlink(target, tmp)
    except FileExistsError:
        pass
    try:
        os.rename(tmp, sock)
        swaps += 1
    except OSError:
        pass
print(swaps)
PY
STARTS=${CG_RACE_STARTS:-60}
# setpriv execs python: $! is the swapper itself.
setpriv --reuid=nobody --regid=nogroup --init-groups \
	"$CG_PY" "$CG_TMP/swap.py" "$SOCK" "$TARGET" 30 >"$CG_TMP/swaps" 2>&1 &
SWAPPER=$!
i=0
changed=
while [ "$i" -lt "$STARTS" ]; do
	i=$((i + 1))
	rm -f "$SOCK"
	"$CG_BUILD/consentgate" -f -c "$CG_TMP/race.conf" >>"$CG_TMP/race.log" 2>&1 </dev/null &
	pid=$!
	j=0
	while [ "$j" -lt 30 ] && [ ! -L "$SOCK" ] && cg_alive "$pid"; do sleep 0.01; j=$((j + 1)); done
	sleep 0.05
	# SIGKILL: a clean stop waits for libmilter's loop; not needed here.
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	now=$(stat -c '%U %a' "$TARGET")
	if [ "$now" != "root 600" ]; then
		changed="start $i: $now"
		break
	fi
done
kill "$SWAPPER" 2>/dev/null
wait "$SWAPPER" 2>/dev/null
rm -f "$SOCK" "$SOCK.lnk"
if [ -n "$changed" ]; then
	cg_notok "socket swapped for a symlink: root's 0600 file changed ($changed)"
else
	cg_ok "socket swapped for a symlink in $i starts: root's 0600 file kept root 600"
fi

# 2. the MTA's user reaches the socket, not the store.  The store is made
# to look like one of before: 0640 with the MTA's group, directory 0750.
chgrp -R postfix "$STORE"
chmod 0750 "$STORE"
chmod 0640 "$STORE/data.mdb" "$STORE/lock.mdb"
printf 'Socket unix:%s\nUserID nobody:postfix\nConsentDB %s\n' "$SOCK" "$STORE" >"$CG_TMP/perm.conf"
"$CG_BUILD/consentgate" -f -c "$CG_TMP/perm.conf" >"$CG_TMP/perm.log" 2>&1 </dev/null &
pid=$!
j=0
while [ "$j" -lt 50 ] && [ ! -S "$SOCK" ]; do sleep 0.1; j=$((j + 1)); done
perm=$(stat -c '%a %U %G' "$SOCK" 2>/dev/null)
[ "$perm" = "660 nobody postfix" ] && cg_ok "socket 0660 nobody:postfix ($perm)" ||
	cg_notok "socket is '$perm', want '660 nobody postfix'"
if as postfix:postfix "$CG_PY" -c 'import socket,sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])' "$SOCK" 2>"$CG_TMP/connect.err"; then
	cg_ok "user postfix connects to the socket"
else
	cg_notok "user postfix cannot connect: $(head -c 200 "$CG_TMP/connect.err")"
fi
for f in data.mdb lock.mdb pii.key; do
	if as postfix:postfix cat "$STORE/$f" >/dev/null 2>&1; then
		cg_notok "user postfix reads $f"
	else
		cg_ok "user postfix cannot read $f"
	fi
done
modes=$(stat -c '%n %a %U' "$STORE" "$STORE/data.mdb" "$STORE/lock.mdb" "$STORE/pii.key" 2>&1 |
	sed "s|$STORE|store|" | tr '\n' ' ')
[ "$modes" = "store 700 nobody store/data.mdb 600 nobody store/lock.mdb 600 nobody store/pii.key 400 nobody " ] &&
	cg_ok "store narrowed to its owner ($modes)" || cg_notok "store modes: $modes"
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null

# 3a. gid 0 (and uid 0) refused, by -n and at start.
for spec in nobody:root root; do
	printf 'Socket unix:%s\nUserID %s\nConsentDB %s\n' "$SOCK" "$spec" "$STORE" >"$CG_TMP/g0.conf"
	for opt in -n -f; do
		if timeout 10 "$CG_BUILD/consentgate" $opt -c "$CG_TMP/g0.conf" >"$CG_TMP/g0.log" 2>&1 </dev/null; then
			cg_notok "UserID $spec ($opt): accepted"
		elif grep -q "UserID $spec: .*0 (root" "$CG_TMP/g0.log"; then
			cg_ok "UserID $spec ($opt): refused ($(grep -m1 'UserID' "$CG_TMP/g0.log" | cut -c1-90))"
		else
			cg_notok "UserID $spec ($opt): no clear error: $(head -c 200 "$CG_TMP/g0.log")"
		fi
	done
done

# 3b. an AdvertisingList only root can read.
printf 'gratis\n' >"$CG_TMP/adv.txt"
chmod 0600 "$CG_TMP/adv.txt"
printf 'Socket unix:%s\nUserID nobody\nConsentDB %s\nAdvertisingList %s\n' \
	"$SOCK" "$STORE" "$CG_TMP/adv.txt" >"$CG_TMP/adv.conf"
for opt in -n -f; do
	if timeout 10 "$CG_BUILD/consentgate" $opt -c "$CG_TMP/adv.conf" >"$CG_TMP/adv.log" 2>&1 </dev/null; then
		cg_notok "AdvertisingList unreadable by UserID ($opt): accepted"
	elif grep -q "AdvertisingList $CG_TMP/adv.txt: not readable by UserID nobody" "$CG_TMP/adv.log"; then
		cg_ok "AdvertisingList unreadable by UserID ($opt): refused ($(grep -m1 AdvertisingList "$CG_TMP/adv.log" | cut -c1-110))"
	else
		cg_notok "AdvertisingList unreadable by UserID ($opt): no clear error: $(head -c 200 "$CG_TMP/adv.log")"
	fi
done
chmod 0644 "$CG_TMP/adv.txt"
timeout 10 "$CG_BUILD/consentgate" -n -c "$CG_TMP/adv.conf" >"$CG_TMP/adv.log" 2>&1 &&
	cg_ok "readable AdvertisingList: -n passes" ||
	cg_notok "readable AdvertisingList: -n fails: $(head -c 200 "$CG_TMP/adv.log")"

cg_stop_watchdog
printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
