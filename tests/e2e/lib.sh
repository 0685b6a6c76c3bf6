# tests/e2e/lib.sh - helpers for the end-to-end scripts (POSIX sh, sourced).
#
# A test script sources this file and then, in order:
#   cg_setup BUILD            temp dir, traps, tool checks
#   cg_seed_store DIR ...     consentctl init/add/withdraw, chown to the daemon user
#   cg_write_config ...       a consentgate config for inet:PORT@127.0.0.1
#   cg_start_milter CONF      build/consentgate -f, waits until the port answers
#   cg_start_sink PORT        smtp-sink, one file per received message
#   cg_start_postfix SMTP SINK [MILTERPORT]   (extra main.cf lines: CG_PF_MAIN_EXTRA;
#                             CG_PF_CHROOT=y: chrooted daemons as on Debian)
#   cg_send NAME swaks-args   one SMTP transaction, transcript in $CG_TMP/NAME.swaks
#   cg_sendmail FILE FROM RCPT...  a local submission (sendmail -> pickup)
# Everything listens on 127.0.0.1 only. The EXIT trap (cg_cleanup) stops Postfix,
# the milter and the sink (by the pids recorded here) and removes the temp dir,
# whether the script succeeds, fails or is interrupted. CG_KEEP=1 keeps the dir.
# Every wait is a bounded loop; every external command that could hang runs under
# timeout(1). Needs root (Postfix's master, smtp-sink -u, the daemon's UserID).

PATH=$PATH:/usr/sbin:/sbin
export PATH

CG_PY=/usr/bin/python3
[ -x "$CG_PY" ] || CG_PY=python3

CG_TMP=
CG_BUILD=
CG_MILTER_PID=
CG_MILTER_LOG=
CG_SINK_PID=
CG_SINK_DIR=
CG_PF_DIR=
CG_PF_RUNNING=
CG_SMTP_PORT=
CG_FAILS=0
CG_PASSES=0
CG_CLEANED=
CG_WATCHDOG=

cg_say() {
	printf '%s\n' "$*" >&2
}

cg_die() {
	printf 'error: %s\n' "$*" >&2
	exit 2
}

# ---------------------------------------------------------------- results

cg_ok() {
	CG_PASSES=$((CG_PASSES + 1))
	printf 'ok - %s\n' "$*"
}

cg_notok() {
	CG_FAILS=$((CG_FAILS + 1))
	printf 'not ok - %s\n' "$*"
}

# cg_diag FILE: show a file as "# " diagnostic lines (bounded).
cg_diag() {
	[ -f "$1" ] || return 0
	sed -n '1,60p' "$1" | sed 's/^/#   /'
}

# ---------------------------------------------------------------- setup

# cg_need TOOL...: fail early when a tool is missing.
cg_need() {
	for cg_t in "$@"; do
		command -v "$cg_t" >/dev/null 2>&1 || cg_die "missing tool: $cg_t (make deps)"
		if [ "$cg_t" = postfix ]; then
			id postfix >/dev/null 2>&1 || cg_die "user postfix does not exist (install postfix)"
		fi
	done
}

# cg_setup BUILD: check tools, resolve BUILD to an absolute path, make the temp dir
# and install the traps.
cg_setup() {
	[ -n "$1" ] || cg_die "usage: $0 BUILD-DIR (e.g. build)"
	[ "$(id -u)" -eq 0 ] || cg_die "must run as root (private Postfix, smtp-sink -u, UserID)"
	cg_need timeout "$CG_PY"
	id nobody >/dev/null 2>&1 || cg_die "user nobody does not exist"
	CG_BUILD=$(cd "$1" 2>/dev/null && pwd) || cg_die "no build directory: $1"
	for cg_t in consentgate consentctl; do
		[ -x "$CG_BUILD/$cg_t" ] || cg_die "not built: $CG_BUILD/$cg_t (run make)"
	done
	CG_TMP=$(mktemp -d /tmp/consentgate-e2e.XXXXXX) || cg_die "mktemp failed"
	# Postfix (user postfix), smtp-sink and the daemon (user nobody) must reach
	# their subdirectories.
	chmod 755 "$CG_TMP"
	trap 'cg_cleanup' EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# cg_watchdog SECONDS: bound the whole run. When the time is up, the direct
# children of this script (a hanging client, the milter, the sink) get SIGTERM
# and so does the script, whose EXIT trap then cleans up as usual.
cg_watchdog() {
	cg_main=$$
	(
		sleep "$1" &
		echo $! >"$CG_TMP/watchdog.pid"
		if wait $!; then
			printf 'not ok - time limit of %s s reached; stopping\n' "$1"
			kill -TERM "$cg_main" 2>/dev/null
			pkill -TERM -P "$cg_main" 2>/dev/null
		fi
	) &
	CG_WATCHDOG=$!
}

cg_stop_watchdog() {
	[ -n "$CG_WATCHDOG" ] || return 0
	[ -f "$CG_TMP/watchdog.pid" ] && kill -TERM "$(cat "$CG_TMP/watchdog.pid")" 2>/dev/null
	kill -TERM "$CG_WATCHDOG" 2>/dev/null
	wait "$CG_WATCHDOG" 2>/dev/null
	CG_WATCHDOG=
}

# cg_alive PID: true while PID exists and is not a zombie.
cg_alive() {
	[ -n "$1" ] || return 1
	[ -r "/proc/$1/stat" ] || return 1
	cg_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$cg_st" ] && [ "$cg_st" != Z ] && [ "$cg_st" != X ]
}

# cg_stop_pid PID NAME: SIGTERM, wait up to 5 s, then SIGKILL; reap our child.
# Warns when NAME needed SIGKILL or exited non-zero after SIGTERM.
cg_stop_pid() {
	[ -n "$1" ] || return 0
	if cg_alive "$1"; then
		kill -TERM "$1" 2>/dev/null
		cg_i=0
		while cg_alive "$1" && [ "$cg_i" -lt 50 ]; do
			sleep 0.1
			cg_i=$((cg_i + 1))
		done
		if cg_alive "$1"; then
			cg_say "# warning: $2 (pid $1) ignored SIGTERM for 5 s; sending SIGKILL"
			kill -KILL "$1" 2>/dev/null
		fi
	fi
	wait "$1" 2>/dev/null
	cg_st=$?
	case $cg_st in
	0 | 127 | 143) ;;
	*) cg_say "# warning: $2 (pid $1) exited with status $cg_st when stopped" ;;
	esac
	return 0
}

cg_cleanup() {
	cg_rc=$?
	[ -n "$CG_CLEANED" ] && return 0
	CG_CLEANED=1
	trap '' HUP INT TERM
	cg_stop_watchdog
	cg_stop_postfix
	cg_stop_pid "$CG_MILTER_PID" consentgate
	CG_MILTER_PID=
	cg_stop_pid "$CG_SINK_PID" smtp-sink
	CG_SINK_PID=
	if [ -n "$CG_TMP" ] && [ -d "$CG_TMP" ]; then
		if [ "$cg_rc" -ne 0 ] || [ "$CG_FAILS" -ne 0 ]; then
			if [ -s "$CG_TMP/milter.log" ]; then
				cg_say "# --- consentgate log (last 30 lines)"
				tail -n 30 "$CG_TMP/milter.log" | sed 's/^/#   /' >&2
			fi
			if [ -s "$CG_TMP/postfix/maillog" ]; then
				cg_say "# --- Postfix maillog (last 30 lines)"
				tail -n 30 "$CG_TMP/postfix/maillog" | sed 's/^/#   /' >&2
			fi
		fi
		if [ -n "$CG_KEEP" ]; then
			cg_say "# kept $CG_TMP"
		else
			rm -rf "$CG_TMP"
		fi
	fi
	exit "$cg_rc"
}

# cg_free_ports N: print N distinct free TCP ports on 127.0.0.1.
cg_free_ports() {
	"$CG_PY" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
EOF
}

# cg_wait_port PORT SECONDS [PID]: wait until 127.0.0.1:PORT accepts a TCP
# connection; give up early when PID (the server) has died.
cg_wait_port() {
	"$CG_PY" - "$1" "$2" "${3:-0}" <<'EOF'
import os, socket, sys, time
port, limit, pid = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
deadline = time.time() + limit
def dead(pid):
    if pid <= 0:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True
while True:
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        sys.exit(0)
    except OSError:
        pass
    if dead(pid):
        sys.exit(2)
    if time.time() >= deadline:
        sys.exit(1)
    time.sleep(0.1)
EOF
}

# ---------------------------------------------------------------- consent store

# cg_ctl ARGS...: consentctl with the store in $CG_STORE, bounded.
cg_ctl() {
	timeout 20 "$CG_BUILD/consentctl" -d "$CG_STORE" "$@"
}

# cg_seed_store DIR SPEC...: SPEC is ADDR=STATE; STATE withdrawn is made with
# "add --state confirmed" then "withdraw" (the real life cycle). The directory is
# then handed to the daemon's user.
cg_seed_store() {
	CG_STORE=$1
	shift
	mkdir -p "$CG_STORE" || return 1
	cg_ctl init >"$CG_TMP/ctl.log" 2>&1 || { cg_say "consentctl init failed"; cg_diag "$CG_TMP/ctl.log" >&2; return 1; }
	for cg_spec in "$@"; do
		cg_addr=${cg_spec%%=*}
		cg_state=${cg_spec#*=}
		if [ "$cg_state" = withdrawn ]; then
			cg_ctl add "$cg_addr" --state confirmed >>"$CG_TMP/ctl.log" 2>&1 &&
				cg_ctl withdraw "$cg_addr" >>"$CG_TMP/ctl.log" 2>&1
		else
			cg_ctl add "$cg_addr" --state "$cg_state" >>"$CG_TMP/ctl.log" 2>&1
		fi || { cg_say "consentctl failed for $cg_spec"; cg_diag "$CG_TMP/ctl.log" >&2; return 1; }
	done
	chown -R nobody:nogroup "$CG_STORE"
}

# ---------------------------------------------------------------- milter

# cg_write_config FILE PORT STORE: an enforcing config (the messages from
# cg_message satisfy its PrivacyURL and ImprintText). Extra "Key value"
# lines may be appended by the caller afterwards.
cg_write_config() {
	cat >"$1" <<EOF
# written by tests/e2e/lib.sh
Socket inet:$2@127.0.0.1
UserID nobody
Mode enforce
ConsentDB $3
MarketingSenders news@shop.example
ClassHeader X-Consent-Class
PrivacyURL https://shop.example/privacy
ImprintText Shop Example GmbH
EOF
}

# cg_start_milter CONF PORT: check the config (-n), start consentgate -f in the
# background, record its pid, wait (<= 10 s) until the port accepts.
cg_start_milter() {
	CG_MILTER_LOG=$CG_TMP/milter.log
	if ! timeout 20 "$CG_BUILD/consentgate" -n -c "$1" >"$CG_TMP/milter-n.log" 2>&1; then
		cg_say "consentgate -n rejected the config $1:"
		cg_diag "$CG_TMP/milter-n.log" >&2
		return 1
	fi
	# CG_MILTER_WRAP (e.g. valgrind ...) runs the daemon under a tool.
	$CG_MILTER_WRAP "$CG_BUILD/consentgate" -f -c "$1" >>"$CG_MILTER_LOG" 2>&1 </dev/null &
	CG_MILTER_PID=$!
	cg_wait_port "$2" "${CG_MILTER_WAIT:-10}" "$CG_MILTER_PID"
	case $? in
	0) return 0 ;;
	2)
		wait "$CG_MILTER_PID" 2>/dev/null
		cg_say "consentgate exited with status $? before listening on 127.0.0.1:$2:"
		CG_MILTER_PID=
		;;
	*) cg_say "consentgate did not listen on 127.0.0.1:$2 within 10 s:" ;;
	esac
	cg_diag "$CG_MILTER_LOG" >&2
	return 1
}

# cg_kill_milter: kill -9 the milter (the fault-injection case).
cg_kill_milter() {
	[ -n "$CG_MILTER_PID" ] || return 1
	kill -KILL "$CG_MILTER_PID" 2>/dev/null
	wait "$CG_MILTER_PID" 2>/dev/null
	CG_MILTER_PID=
	return 0
}

# ---------------------------------------------------------------- sink

# cg_start_sink PORT: smtp-sink on 127.0.0.1:PORT writing each received message to
# its own file $CG_SINK_DIR/msg.<hex> (smtp-sink -d). The files start with
# X-Mail-Args:/X-Rcpt-Args: lines (the envelope), then the message as received.
cg_start_sink() {
	CG_SINK_DIR=$CG_TMP/sink
	mkdir -p "$CG_SINK_DIR" && chown nobody:nogroup "$CG_SINK_DIR" || return 1
	smtp-sink -u nobody -d "$CG_SINK_DIR/msg." "127.0.0.1:$1" 64 \
		>"$CG_TMP/sink.log" 2>&1 </dev/null &
	CG_SINK_PID=$!
	if ! cg_wait_port "$1" 10 "$CG_SINK_PID"; then
		cg_say "smtp-sink did not listen on 127.0.0.1:$1"
		cg_diag "$CG_TMP/sink.log" >&2
		return 1
	fi
}

# cg_sink_count: number of messages the sink has received.
cg_sink_count() {
	find "$CG_SINK_DIR" -type f -name 'msg.*' 2>/dev/null | wc -l | tr -d ' '
}

# cg_sink_find MARKER: print the sink files of the message(s) whose header
# X-Test-Case has exactly the value MARKER.
cg_sink_find() {
	find "$CG_SINK_DIR" -type f -name 'msg.*' 2>/dev/null |
		while read -r cg_f; do
			grep -q "^X-Test-Case: $1[[:space:]]*\$" "$cg_f" && printf '%s\n' "$cg_f"
		done
}

# ---------------------------------------------------------------- Postfix

# cg_start_postfix SMTPPORT SINKPORT [MILTERPORT]: a private Postfix instance under
# $CG_TMP/postfix with smtpd on 127.0.0.1:SMTPPORT relaying everything to
# [127.0.0.1]:SINKPORT; with MILTERPORT, smtpd and non-smtpd mail go through the
# milter at inet:127.0.0.1:MILTERPORT and a dead milter means tempfail.
cg_start_postfix() {
	CG_PF_DIR=$CG_TMP/postfix
	CG_SMTP_PORT=$1
	cg_etc=$CG_PF_DIR/etc
	mkdir -p "$cg_etc" "$CG_PF_DIR/queue" "$CG_PF_DIR/data" || return 1
	chown postfix "$CG_PF_DIR/data"
	chmod 755 "$CG_PF_DIR" "$cg_etc" "$CG_PF_DIR/queue"
	cat >"$cg_etc/main.cf" <<EOF
# private test instance written by tests/e2e/lib.sh
compatibility_level = 3.6
queue_directory = $CG_PF_DIR/queue
data_directory = $CG_PF_DIR/data
meta_directory = /etc/postfix
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
command_directory = /usr/sbin
mail_owner = postfix
setgid_group = postdrop
myhostname = mta.consentgate.test
mydomain = consentgate.test
myorigin = \$myhostname
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
relayhost = [127.0.0.1]:$2
smtp_connect_timeout = 5s
smtp_tls_security_level = none
smtpd_tls_security_level = none
maillog_file = $CG_PF_DIR/maillog
maillog_file_prefixes = $CG_TMP
notify_classes =
biff = no
append_dot_mydomain = no
in_flow_delay = 0
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
EOF
	if [ -n "$3" ]; then
		cat >>"$cg_etc/main.cf" <<EOF
milter_protocol = 6
milter_default_action = tempfail
milter_connect_timeout = 5s
milter_command_timeout = 10s
milter_content_timeout = 30s
smtpd_milters = inet:127.0.0.1:$3
non_smtpd_milters = inet:127.0.0.1:$3
EOF
	fi
	# CG_PF_MAIN_EXTRA: further main.cf lines of one test (e.g.
	# "smtputf8_enable = yes"); they come last, so they win.
	if [ -n "${CG_PF_MAIN_EXTRA:-}" ]; then
		printf '%s\n' "$CG_PF_MAIN_EXTRA" >>"$cg_etc/main.cf"
	fi
	# CG_PF_CHROOT=y: chroot column "y" where Debian's master.cf has it
	# (smtpd, cleanup, smtp, ...), and the chroot prepared as Debian's
	# postfix start does (cg_pf_chroot_setup).
	cg_ch=${CG_PF_CHROOT:-n}
	cat >"$cg_etc/master.cf" <<EOF
# private test instance written by tests/e2e/lib.sh (chroot $cg_ch where Debian has y)
127.0.0.1:$1 inet n - $cg_ch - - smtpd
pickup    unix  n       -       $cg_ch       60      1       pickup
cleanup   unix  n       -       $cg_ch       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       $cg_ch       -       -       trivial-rewrite
bounce    unix  -       -       $cg_ch       -       0       bounce
defer     unix  -       -       $cg_ch       -       0       bounce
trace     unix  -       -       $cg_ch       -       0       bounce
verify    unix  -       -       $cg_ch       -       1       verify
flush     unix  n       -       $cg_ch       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       $cg_ch       -       -       smtp
relay     unix  -       -       $cg_ch       -       -       smtp
showq     unix  n       -       $cg_ch       -       -       showq
error     unix  -       -       $cg_ch       -       -       error
retry     unix  -       -       $cg_ch       -       -       error
discard   unix  -       -       $cg_ch       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       $cg_ch       -       -       lmtp
anvil     unix  -       -       $cg_ch       -       1       anvil
scache    unix  -       -       $cg_ch       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	if [ "$cg_ch" = y ]; then
		cg_pf_chroot_setup || return 1
	fi
	CG_PF_RUNNING=1
	# A start can fail transiently on a busy machine (the master's lock or
	# a port of another instance); try up to three times.
	cg_try=1
	until timeout 60 postfix -c "$cg_etc" start >"$CG_PF_DIR/start.log" 2>&1; do
		if [ "$cg_try" -ge 3 ]; then
			cg_say "postfix start failed:"
			cat "$CG_PF_DIR/start.log" >&2
			cg_diag "$CG_PF_DIR/maillog" >&2
			return 1
		fi
		cg_say "postfix start failed (attempt $cg_try), retrying: $(tail -n 2 "$CG_PF_DIR/start.log" | tr '\n' ' ')"
		timeout 30 postfix -c "$cg_etc" stop >/dev/null 2>&1
		sleep 2
		cg_try=$((cg_try + 1))
	done
	if ! cg_wait_port "$1" 15; then
		cg_say "Postfix smtpd did not listen on 127.0.0.1:$1"
		cg_diag "$CG_PF_DIR/maillog" >&2
		return 1
	fi
}

# cg_pf_chroot_setup: copy into the queue directory what chrooted daemons
# read (etc/services, etc/resolv.conf, etc/hosts, nsswitch, localtime, the
# NSS and resolver libraries) with Debian's own script, as "postfix start"
# on Debian does: /usr/lib/postfix/configure-instance.sh.
cg_pf_chroot_setup() {
	[ -r /usr/lib/postfix/configure-instance.sh ] ||
		{ cg_say "no /usr/lib/postfix/configure-instance.sh (Debian's postfix)"; return 1; }
	if ! (MAIL_CONFIG=$CG_PF_DIR/etc; export MAIL_CONFIG
		timeout 60 sh /usr/lib/postfix/configure-instance.sh -) >"$CG_PF_DIR/chroot.log" 2>&1; then
		cg_say "preparing the Postfix chroot failed:"
		cg_diag "$CG_PF_DIR/chroot.log" >&2
		return 1
	fi
	[ -f "$CG_PF_DIR/queue/etc/services" ] ||
		{ cg_say "the chroot has no etc/services"; return 1; }
}

# cg_pf_procs: pids of processes of our instance (master exports MAIL_CONFIG to
# every daemon it starts; the path is unique to this run).
cg_pf_procs() {
	[ -n "$CG_PF_DIR" ] || return 0
	for cg_p in /proc/[0-9]*; do
		tr '\0' '\n' 2>/dev/null <"$cg_p/environ" |
			grep -qx "MAIL_CONFIG=$CG_PF_DIR/etc" && printf '%s\n' "${cg_p#/proc/}"
	done
	return 0
}

cg_stop_postfix() {
	[ -n "$CG_PF_RUNNING" ] || return 0
	CG_PF_RUNNING=
	timeout 30 postfix -c "$CG_PF_DIR/etc" stop >>"$CG_PF_DIR/stop.log" 2>&1
	# "postfix stop" waits up to 5 s and then kills the master's process group;
	# anything of this instance still running is killed by pid.
	cg_i=0
	while [ -n "$(cg_pf_procs)" ] && [ "$cg_i" -lt 50 ]; do
		sleep 0.1
		cg_i=$((cg_i + 1))
	done
	for cg_p in $(cg_pf_procs); do
		kill -KILL "$cg_p" 2>/dev/null
	done
	return 0
}

# cg_queue_count: messages in our Postfix queue (any state).
cg_queue_count() {
	find "$CG_PF_DIR/queue/maildrop" "$CG_PF_DIR/queue/incoming" \
		"$CG_PF_DIR/queue/active" "$CG_PF_DIR/queue/deferred" \
		"$CG_PF_DIR/queue/hold" -type f 2>/dev/null | wc -l | tr -d ' '
}

# cg_wait_queue_empty SECONDS
cg_wait_queue_empty() {
	cg_i=0
	while [ "$(cg_queue_count)" -ne 0 ]; do
		[ "$cg_i" -ge $(($1 * 10)) ] && return 1
		sleep 0.1
		cg_i=$((cg_i + 1))
	done
	return 0
}

# cg_wait_delivered MARKER SECONDS: wait until the sink holds the message with
# that X-Test-Case and Postfix's queue is empty (the sink has answered ".").
cg_wait_delivered() {
	cg_i=0
	while :; do
		if [ -n "$(cg_sink_find "$1")" ] && [ "$(cg_queue_count)" -eq 0 ]; then
			return 0
		fi
		[ "$cg_i" -ge $(($2 * 10)) ] && return 1
		sleep 0.1
		cg_i=$((cg_i + 1))
	done
}

# ---------------------------------------------------------------- SMTP client

# cg_message FILE KIND FROM TO-HEADER MARKER SUBJECT: write a message for
# swaks --data. KIND marketing: what a careful newsletter tool sends (unsubscribe
# header and link, one-click, privacy link, imprint, https only), so that only the
# consent rules decide. KIND transactional: a plain order notice. The header
# X-Test-Case: MARKER identifies the message in the sink.
cg_message() {
	if [ "$2" = marketing ]; then
		cat >"$1" <<EOF
From: Shop Example <$3>
To: $4
Subject: $6
Date: %DATE%
Message-ID: <$5.%MESSAGEID%>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit
List-Unsubscribe: <https://shop.example/unsubscribe?u=u4711>, <mailto:unsubscribe@shop.example?subject=u4711>
List-Unsubscribe-Post: List-Unsubscribe=One-Click
X-Test-Case: $5

Hello,

our autumn collection is here: https://shop.example/autumn

Privacy policy: https://shop.example/privacy
Unsubscribe: https://shop.example/unsubscribe?u=u4711

Imprint: Shop Example GmbH, Musterstrasse 1, 10115 Berlin
EOF
	else
		cat >"$1" <<EOF
From: Shop Example Orders <$3>
To: $4
Subject: $6
Date: %DATE%
Message-ID: <$5.%MESSAGEID%>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit
X-Test-Case: $5

Hello,

your order 1234 has shipped. Tracking number: 00340434161094042557.

Imprint: Shop Example GmbH, Musterstrasse 1, 10115 Berlin
EOF
	fi
}

# cg_send NAME SWAKS-ARGS...: one SMTP session against our Postfix; transcript in
# $CG_TMP/NAME.swaks (also $CG_LAST). Returns swaks' exit code.
cg_send() {
	CG_LAST=$CG_TMP/$1.swaks
	shift
	timeout 60 swaks --server "127.0.0.1:$CG_SMTP_PORT" --helo client.consentgate.test \
		--timeout 30 "$@" >"$CG_LAST" 2>&1 </dev/null
}

# cg_sendmail FILE FROM RCPT...: submit FILE (a cg_message file; its swaks
# tokens %DATE% and %MESSAGEID% are filled in) with Postfix's sendmail(1) to
# our instance: maildrop -> pickup -> cleanup, which runs non_smtpd_milters
# and presents the mail to the milter as from localhost, client port 0.
cg_sendmail() {
	cg_file=$1
	cg_from=$2
	shift 2
	sed -e "s/%DATE%/$(LC_ALL=C date -R)/" -e "s/%MESSAGEID%/$$.$(date +%s)@consentgate.test/" \
		"$cg_file" | timeout 30 sendmail -C "$CG_PF_DIR/etc" -f "$cg_from" -i -- "$@"
}

# cg_reply FILE ERE: the server's reply (final line, prefix stripped) to the
# first client line that matches ERE, e.g. '^RCPT TO:<b@x>' or '^\.$'.
cg_reply() {
	awk -v pat="$2" '
		!found && /^ *[-~]> / {
			line = $0
			sub(/^ *[-~]> /, "", line)
			if (line ~ pat) found = 1
			next
		}
		found && /^<[-~*]*\** / {
			line = $0
			sub(/^<[-~*]*\** +/, "", line)
			sub(/\r$/, "", line)
			if (line ~ /^[0-9][0-9][0-9]-/) next
			print line
			exit
		}
	' "$1"
}

# cg_first_error FILE: the first reply swaks marked as unexpected ("<**").
cg_first_error() {
	awk '/^<(~)?\*\* / { sub(/^<(~)?\*\* +/, ""); sub(/\r$/, ""); print; exit }' "$1"
}

# ---------------------------------------------------------------- fixtures (doi.sh, marketing.sh)

# cg_rules_config FILE PORT STORE [SRC]: the fixture configuration
# tests/data/rules.conf (or SRC) with Socket, ConsentDB and UserID replaced
# for a private instance on inet:PORT@127.0.0.1 with the store STORE.
cg_rules_config() {
	cg_src=${4:-$(cd "$(dirname "$CG_BUILD")" && pwd)/tests/data/rules.conf}
	[ -r "$cg_src" ] || { cg_say "cannot read $cg_src"; return 1; }
	{
		printf '# %s, rewritten by tests/e2e/lib.sh\n' "$cg_src"
		grep -Eiv '^[[:space:]]*(Socket|ConsentDB|UserID)([[:space:]]|$)' "$cg_src"
		printf 'Socket inet:%s@127.0.0.1\n' "$2"
		printf 'ConsentDB %s\n' "$3"
		printf 'UserID nobody\n'
	} >"$1"
}

# cg_fixture SRC DEST MARKER [SED-EXPR...]: copy the fixture SRC to DEST with
# "X-Test-Case: MARKER" as its first header (so cg_sink_find finds it), after
# applying each SED-EXPR (e.g. '/^List-Unsubscribe-Post:/d' or
# 's/^To: .*/To: new@example.org/'); the expressions apply to the whole file.
cg_fixture() {
	cg_src=$1
	cg_dst=$2
	cg_mark=$3
	shift 3
	[ -r "$cg_src" ] || { cg_say "cannot read fixture $cg_src"; return 1; }
	cp "$cg_src" "$cg_dst.tmp" || return 1
	for cg_expr in "$@"; do
		sed "$cg_expr" "$cg_dst.tmp" >"$cg_dst.tmp2" && mv "$cg_dst.tmp2" "$cg_dst.tmp" || return 1
	done
	{
		printf 'X-Test-Case: %s\n' "$cg_mark"
		cat "$cg_dst.tmp"
	} >"$cg_dst" && rm -f "$cg_dst.tmp"
}

# cg_sink_rcpts MARKER: the envelope recipients (one per line, as <addr>) of
# every sink file holding the message with that X-Test-Case.
cg_sink_rcpts() {
	for cg_f in $(cg_sink_find "$1"); do
		tr -d '\r' <"$cg_f" | sed '/^$/q' |
			sed -n 's/^X-Rcpt-Args: *\(TO: *\)\{0,1\}\(<[^>]*>\).*/\2/p'
	done
}

# cg_sink_headers FILE: the header section of a sink file as the message was
# received, without the envelope lines smtp-sink adds (X-Client-Addr,
# X-Client-Proto, X-Helo-Args, X-Mail-Args, X-Rcpt-Args).
cg_sink_headers() {
	tr -d '\r' <"$1" | sed '/^$/q' |
		grep -Ev '^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args):'
}

# cg_ref_of TEXT: the evidence ref in a reply or header ("ref=XXXX").
cg_ref_of() {
	printf '%s\n' "$1" | sed -n 's/.*ref=\([A-Za-z0-9-]*\).*/\1/p' | head -n 1
}
