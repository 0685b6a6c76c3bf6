#!/bin/sh
# tests/e2e/sendmail.sh BUILD - end-to-end test with Debian's real sendmail
# (POSIX sh, run as root): swaks -> private sendmail on 127.0.0.1 ->
# consentgate (INPUT_MAIL_FILTER from contrib/sendmail/consentgate.mc) ->
# smtp-sink. Run: sh tests/e2e/sendmail.sh build
#
# The Debian sendmail package cannot be installed beside Postfix (sendmail-bin
# Conflicts: mail-transport-agent), so nothing is installed: sendmail-bin,
# sendmail-cf and libwrap0 (a library sendmail-bin links against, not installed
# with Postfix) are fetched with "apt-get download" into $CG_SM_CACHE
# (default /var/cache/consentgate-test, reused when present) and unpacked with
# "dpkg -x" into the temp dir. The only package this script may install is m4
# (no conflict), when it is missing. A private sendmail.cf is built with m4
# from the unpacked cf/ macros; the extracted binary runs as root in the
# foreground (-bD -q1m) with LD_LIBRARY_PATH pointing at the unpacked libwrap.
#
# sendmail qualifies the machine's host name before it reads its
# configuration (myhostname() in daemon.c): when that name has no dot and no
# dotted alias, it sleeps 60 s at every start (and it looks the name up with
# the resolver). So sendmail runs in private mount and UTS namespaces
# (unshare(1)) with the host name mta.consentgate.test and a private
# /etc/hosts and /etc/nsswitch.conf ("hosts: files") bind-mounted over the
# real ones, seen by this sendmail only: no DNS, no delay, nothing on the
# machine changed. Where namespaces cannot be made (CG_SM_NAMESPACES=no
# forces that), sendmail runs directly and, with an unqualified host name,
# the run takes ~85 s instead of ~5 s.
#
# Cases: marketing to a consented recipient (250, delivered with
# X-Consent-Gate: pass), to one without a record (550 5.7.1 consent.missing)
# and to a withdrawn one (consent.withdrawn) at RCPT TO; transactional mail;
# mixed recipients in one transaction; forged X-Consent-Gate headers removed;
# three transactions in one SMTP session; the milter killed (F=T: 4xx,
# nothing queued or delivered); every evidence ref resolves and the pass
# record carries sendmail's queue id.
#
# Store: a@rcpt.example confirmed, b@rcpt.example no record, c@rcpt.example
# withdrawn. Marketing sender: news@shop.example. One "ok - ..." or
# "not ok - ..." line per case; exit 1 if a case (or the setup) failed, 2 on
# usage errors, 0 with a single "skip - <reason>" line when sendmail cannot
# be had here (no dpkg/apt-get, packages neither cached nor downloadable, m4
# not installable). Every wait is bounded; the watchdog stops the run after
# CG_TIME_LIMIT (110) s. CG_KEEP=1 keeps the temp dir (mc, cf, transcripts,
# sendmail's -X traffic log, sink files).

CG_HERE=$(cd "$(dirname "$0")" && pwd)
. "$CG_HERE/lib.sh"

cg_setup "$1"
cg_need smtp-sink swaks
cg_watchdog "${CG_TIME_LIMIT:-110}"

SM_CACHE=${CG_SM_CACHE:-/var/cache/consentgate-test}
SM_DIR=$CG_TMP/sendmail
SM_ROOT=$CG_TMP/sendmail/root
SM_PID=
SM_BIN=
SM_LIBS=
SM_NS=
SM_START_WAIT=20

skip() {
	printf 'skip - %s\n' "$*"
	exit 0
}

setup_fail() {
	cg_notok "setup: $*"
	exit 1
}

# ---------------------------------------------------------------- cleanup

# sm_procs: pids of every process running our unpacked sendmail binary (the
# daemon and the children it forks for connections, deliveries and queue
# runs); the path is unique to this run.
sm_procs() {
	[ -n "$SM_BIN" ] || return 0
	for sm_p in /proc/[0-9]*; do
		[ "$(readlink "$sm_p/exe" 2>/dev/null)" = "$SM_BIN" ] && printf '%s\n' "${sm_p#/proc/}"
	done
	return 0
}

# sm_wait_gone SECONDS: wait until no process runs our sendmail binary.
sm_wait_gone() {
	sm_i=0
	while [ -n "$(sm_procs)" ]; do
		[ "$sm_i" -ge $(($1 * 10)) ] && return 1
		sleep 0.1
		sm_i=$((sm_i + 1))
	done
	return 0
}

# sm_stop: SIGTERM to the daemon (it passes SIGTERM on to its children) and a
# bounded wait; then SIGTERM and, 2 s later, SIGKILL by pid for anything of
# ours still running (warned about: the daemon should have stopped them).
sm_stop() {
	if [ -n "$SM_PID" ]; then
		cg_stop_pid "$SM_PID" sendmail
		SM_PID=
	fi
	sm_wait_gone 5 && return 0
	sm_left=$(sm_procs)
	cg_say "# warning: sendmail processes left after the daemon stopped:" $sm_left
	for sm_p in $sm_left; do
		kill -TERM "$sm_p" 2>/dev/null
	done
	sm_wait_gone 2 && return 0
	for sm_p in $(sm_procs); do
		kill -KILL "$sm_p" 2>/dev/null
	done
	return 0
}

sm_on_exit() {
	sm_rc=$?
	sm_stop
	if [ "$sm_rc" -ne 0 ] || [ "$CG_FAILS" -ne 0 ]; then
		if [ -s "$SM_DIR/traffic.log" ]; then
			cg_say "# --- sendmail traffic log (last 40 lines)"
			tail -n 40 "$SM_DIR/traffic.log" | sed 's/^/#   /' >&2
		fi
		if [ -s "$SM_DIR/sendmail.out" ]; then
			cg_say "# --- sendmail output"
			tail -n 20 "$SM_DIR/sendmail.out" | sed 's/^/#   /' >&2
		fi
	fi
	(exit "$sm_rc")
	cg_cleanup
}
trap 'sm_on_exit' EXIT

# ---------------------------------------------------------------- the packages

command -v dpkg >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 ||
	skip "no dpkg/apt-get (the test uses Debian's sendmail packages)"
ARCH=$(dpkg --print-architecture) || skip "dpkg --print-architecture failed"

# newest_deb PKG: the newest cached .deb of PKG for this machine.
newest_deb() {
	ls "$SM_CACHE"/"$1"_*_"$ARCH".deb "$SM_CACHE"/"$1"_*_all.deb 2>/dev/null |
		sort -V | tail -n 1
}

mkdir -p "$SM_CACHE" || skip "cannot create the package cache $SM_CACHE"
missing=
for pkg in sendmail-bin sendmail-cf libwrap0; do
	[ -n "$(newest_deb "$pkg")" ] || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
	# Download as root into the cache (no _apt sandbox: the cache is root's).
	dl() {
		(cd "$SM_CACHE" && timeout 120 apt-get -q -o APT::Sandbox::User=root \
			download $missing) >"$CG_TMP/apt-download.log" 2>&1
	}
	if ! dl; then
		cg_say "# apt-get download$missing failed; trying apt-get update once"
		timeout 180 apt-get update -q >"$CG_TMP/apt-update.log" 2>&1
		dl || skip "apt-get download$missing failed: $(grep -E '^(E|W):' "$CG_TMP/apt-download.log" | head -n 2 | tr '\n' ' ')"
	fi
	for pkg in $missing; do
		[ -n "$(newest_deb "$pkg")" ] || skip "apt-get download did not leave $pkg in $SM_CACHE"
	done
fi

if ! command -v m4 >/dev/null 2>&1; then
	cg_say "# installing m4 (apt-get install m4)"
	DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -q --no-install-recommends m4 \
		>"$CG_TMP/apt-m4.log" 2>&1 ||
		skip "m4 is missing and apt-get install m4 failed: $(tail -n 1 "$CG_TMP/apt-m4.log")"
fi

mkdir -p "$SM_ROOT" || setup_fail "mkdir $SM_ROOT"
for pkg in sendmail-bin sendmail-cf libwrap0; do
	deb=$(newest_deb "$pkg")
	dpkg -x "$deb" "$SM_ROOT" 2>"$CG_TMP/dpkg-x.log" ||
		setup_fail "dpkg -x $deb: $(head -n 1 "$CG_TMP/dpkg-x.log")"
done
SM_VERSION=$(dpkg-deb -f "$(newest_deb sendmail-bin)" Version)

# The MTA binary: /usr/libexec/sendmail/sendmail since 8.17 (bookworm),
# /usr/lib/sm.bin/sendmail before.
for f in usr/libexec/sendmail/sendmail usr/lib/sm.bin/sendmail; do
	if [ -f "$SM_ROOT/$f" ] && [ ! -L "$SM_ROOT/$f" ]; then
		SM_BIN=$SM_ROOT/$f
		break
	fi
done
[ -n "$SM_BIN" ] || setup_fail "no sendmail binary in sendmail-bin $SM_VERSION"
# The package ships it setgid smmsp/mail; as root that would make the loader
# ignore LD_LIBRARY_PATH (secure mode). Our copy needs no setgid.
chmod 0755 "$SM_BIN"
SM_CF=$SM_ROOT/usr/share/sendmail/cf
[ -r "$SM_CF/m4/cf.m4" ] || setup_fail "no cf/m4/cf.m4 in sendmail-cf"
SM_LIBS=$(find "$SM_ROOT" -name 'libwrap.so.0' -exec dirname {} \; | head -n 1)
[ -n "$SM_LIBS" ] || setup_fail "no libwrap.so.0 in libwrap0"

# ---------------------------------------------------------------- namespaces

mkdir -p "$SM_DIR/queue" && chmod 0700 "$SM_DIR/queue" && chmod 0755 "$SM_DIR" ||
	setup_fail "sendmail directories"
printf '127.0.0.1\tmta.consentgate.test mta localhost\n' >"$SM_DIR/hosts"
cat >"$SM_DIR/nsswitch.conf" <<EOF
passwd: files
group: files
shadow: files
hosts: files
networks: files
protocols: files
services: files
EOF
printf 'hosts\tfiles\naliases\tfiles\n' >"$SM_DIR/service.switch"
: >"$SM_DIR/aliases"

# sm_run ARGS...: the unpacked sendmail with ARGS, in the private namespaces
# when available, under $SM_WRAP (e.g. "timeout 20") when set. With
# SM_EXEC=exec the calling (background) shell is replaced, and unshare, sh and
# env exec in turn, so that $! is sendmail's own pid.
SM_WRAP=
SM_EXEC=
sm_run() {
	if [ -n "$SM_NS" ]; then
		$SM_EXEC $SM_WRAP unshare --mount --uts --propagation private sh -c '
			d=$1; shift
			mount --bind "$d/hosts" /etc/hosts &&
				mount --bind "$d/nsswitch.conf" /etc/nsswitch.conf &&
				hostname mta.consentgate.test || exit 97
			exec "$@"' sm-ns "$SM_DIR" env LD_LIBRARY_PATH="$SM_LIBS" "$SM_BIN" "$@"
	else
		$SM_EXEC $SM_WRAP env LD_LIBRARY_PATH="$SM_LIBS" "$SM_BIN" "$@"
	fi
}

if [ "${CG_SM_NAMESPACES:-yes}" != no ] && command -v unshare >/dev/null 2>&1 &&
	timeout 10 unshare --mount --uts --propagation private sh -c "
		mount --bind '$SM_DIR/hosts' /etc/hosts &&
		mount --bind '$SM_DIR/nsswitch.conf' /etc/nsswitch.conf &&
		hostname mta.consentgate.test" >"$CG_TMP/unshare.log" 2>&1; then
	SM_NS=1
else
	# Without them sendmail uses the machine's host name and resolver for
	# its own name; with an unqualified name it sleeps 60 s at start.
	SM_NS_WHY=$(head -n 1 "$CG_TMP/unshare.log" 2>/dev/null)
	[ "${CG_SM_NAMESPACES:-yes}" = no ] && SM_NS_WHY="CG_SM_NAMESPACES=no"
	command -v unshare >/dev/null 2>&1 || SM_NS_WHY="no unshare(1)"
	HN=$(hostname 2>/dev/null)
	case $HN in
	*.*) ;;
	*)
		SM_START_WAIT=80
		cg_say "# no private namespaces ($SM_NS_WHY) and the host name '$HN' has no domain: sendmail sleeps 60 s at start (myhostname() in daemon.c)"
		;;
	esac
fi

# The binary runs from its unpacked path: the version banner (-d0.1) comes
# before the host name lookup, so 10 s are plenty even when sendmail then
# sleeps (no namespaces); the run is cut off there.
SM_WRAP="timeout 10"
sm_run -d0.1 -bt -C /dev/null </dev/null >"$CG_TMP/sendmail-version.log" 2>&1
SM_WRAP=
grep -q '^Version ' "$CG_TMP/sendmail-version.log" ||
	setup_fail "the unpacked $SM_BIN does not run: $(head -n 2 "$CG_TMP/sendmail-version.log" | tr '\n' ' ')"
grep -q 'MILTER' "$CG_TMP/sendmail-version.log" ||
	setup_fail "sendmail $SM_VERSION was built without MILTER"

# ---------------------------------------------------------------- the rest of the setup

set -- $(cg_free_ports 3)
SMTP_PORT=$1
SINK_PORT=$2
MILTER_PORT=$3
[ -n "$MILTER_PORT" ] || cg_die "could not pick free ports on 127.0.0.1"
CG_SMTP_PORT=$SMTP_PORT

MARKETING=news@shop.example
TRANSACTIONAL=shop@shop.example
A=a@rcpt.example
B=b@rcpt.example
C=c@rcpt.example
REF='ref=[A-Za-z0-9-]+'

cg_seed_store "$CG_TMP/store" "$A=confirmed" "$C=withdrawn" ||
	setup_fail "seeding the consent store with consentctl"
cg_write_config "$CG_TMP/consentgate.conf" "$MILTER_PORT" "$CG_TMP/store"
cg_start_milter "$CG_TMP/consentgate.conf" "$MILTER_PORT" ||
	setup_fail "starting consentgate"
cg_start_sink "$SINK_PORT" || setup_fail "starting smtp-sink"

# sendmail.mc: no DNS, everything relayed to the sink, private files only, and
# the lines of contrib/sendmail/consentgate.mc with the milter's port.
SNIPPET=$CG_HERE/../../contrib/sendmail/consentgate.mc
grep -q 'inet:8895@127\.0\.0\.1' "$SNIPPET" ||
	setup_fail "$SNIPPET has no S=inet:8895@127.0.0.1 to adapt"
cat >"$SM_DIR/sendmail.mc" <<EOF
divert(-1)dnl
# written by tests/e2e/sendmail.sh
divert(0)dnl
VERSIONID(\`consentgate e2e')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`mta.consentgate.test')dnl
define(\`QUEUE_DIR', \`$SM_DIR/queue')dnl
define(\`STATUS_FILE', \`$SM_DIR/sendmail.st')dnl
define(\`confPID_FILE', \`$SM_DIR/sendmail.pid')dnl
define(\`ALIAS_FILE', \`$SM_DIR/aliases')dnl
define(\`HELP_FILE', \`$SM_ROOT/etc/mail/helpfile')dnl
define(\`confDEAD_LETTER_DROP', \`$SM_DIR/dead.letter')dnl
define(\`confSERVICE_SWITCH_FILE', \`$SM_DIR/service.switch')dnl
define(\`confHOSTS_FILE', \`$SM_DIR/hosts')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confTO_IDENT', \`0s')dnl
define(\`confTO_CONNECT', \`10s')dnl
define(\`confQUEUE_LA', \`1000')dnl
define(\`confREFUSE_LA', \`1000')dnl
define(\`confDELAY_LA', \`0')dnl
define(\`confMIN_QUEUE_AGE', \`0')dnl
define(\`SMART_HOST', \`relay:[127.0.0.1]')dnl
define(\`RELAY_MAILER_ARGS', \`TCP \$h $SINK_PORT')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`promiscuous_relay')dnl
DAEMON_OPTIONS(\`Port=$SMTP_PORT, Addr=127.0.0.1, Name=MTA')dnl
EOF
sed "s/inet:8895@127\.0\.0\.1/inet:$MILTER_PORT@127.0.0.1/" "$SNIPPET" >>"$SM_DIR/sendmail.mc"
cat >>"$SM_DIR/sendmail.mc" <<'EOF'
MAILER(`local')dnl
MAILER(`smtp')dnl
EOF
timeout 30 m4 -D_CF_DIR_="$SM_CF/" "$SM_CF/m4/cf.m4" "$SM_DIR/sendmail.mc" \
	>"$SM_DIR/sendmail.cf" 2>"$SM_DIR/m4.log" ||
	setup_fail "m4 failed on sendmail.mc: $(grep -v promiscuous "$SM_DIR/m4.log" | head -n 3 | tr '\n' ' ')"
grep -q "^Xconsentgate, S=inet:$MILTER_PORT@127.0.0.1, F=T," "$SM_DIR/sendmail.cf" ||
	setup_fail "sendmail.cf has no Xconsentgate line for port $MILTER_PORT (see $SM_DIR/sendmail.cf)"
grep -q '^O Milter\.macros\.envfrom=.*{tls_version}' "$SM_DIR/sendmail.cf" ||
	setup_fail "sendmail.cf does not pass {tls_version} at MAIL FROM"

# Start: foreground daemon (-bD) with a queue run each minute; -X logs the
# SMTP traffic (shown when a case fails).
SM_EXEC=exec
sm_run -C "$SM_DIR/sendmail.cf" -bD -q1m -X "$SM_DIR/traffic.log" \
	>"$SM_DIR/sendmail.out" 2>&1 </dev/null &
SM_PID=$!
SM_EXEC=
cg_wait_port "$SMTP_PORT" "$SM_START_WAIT" "$SM_PID"
case $? in
0) ;;
2)
	wait "$SM_PID" 2>/dev/null
	rc=$?
	SM_PID=
	setup_fail "sendmail $SM_VERSION exited with status $rc before listening on 127.0.0.1:$SMTP_PORT: $(head -n 3 "$SM_DIR/sendmail.out" | tr '\n' ' ')"
	;;
*) setup_fail "sendmail $SM_VERSION did not listen on 127.0.0.1:$SMTP_PORT within $SM_START_WAIT s: $(head -n 3 "$SM_DIR/sendmail.out" | tr '\n' ' ')" ;;
esac
cg_say "# sendmail $SM_VERSION ($SM_BIN${SM_NS:+, private namespaces}) on 127.0.0.1:$SMTP_PORT, consentgate on $MILTER_PORT, sink on $SINK_PORT"

# ---------------------------------------------------------------- helpers

# sm_queue_count: messages in our sendmail queue.
sm_queue_count() {
	find "$SM_DIR/queue" -type f \( -name 'qf*' -o -name 'df*' -o -name 'tf*' \) 2>/dev/null |
		wc -l | tr -d ' '
}

sm_wait_queue_empty() {
	sm_i=0
	while [ "$(sm_queue_count)" -ne 0 ]; do
		[ "$sm_i" -ge $(($1 * 10)) ] && return 1
		sleep 0.1
		sm_i=$((sm_i + 1))
	done
	return 0
}

# sm_wait_delivered MARKER SECONDS: the sink holds the message and our queue is
# empty (the sink answered "." and sendmail removed its files).
sm_wait_delivered() {
	sm_i=0
	while :; do
		if [ -n "$(cg_sink_find "$1")" ] && [ "$(sm_queue_count)" -eq 0 ]; then
			return 0
		fi
		[ "$sm_i" -ge $(($2 * 10)) ] && return 1
		sleep 0.1
		sm_i=$((sm_i + 1))
	done
}

show_transcript() {
	grep -E '^(<[-~*]* +[0-9]{3} |  *-> (EHLO|HELO|MAIL|RCPT|DATA|QUIT|RSET)|  *-> \.$|===)' \
		"$CG_LAST" | sed 's/^/#   /'
}

EVIDENCE=
PASS_REF=
PASS_QID=

# expect_refused NAME RCPT RULE: marketing mail to RCPT refused at RCPT TO with
# 550 5.7.1 ... (rule=RULE ref=...), and nothing reaches the sink.
expect_refused() {
	before=$(cg_sink_count)
	cg_message "$CG_TMP/$1.eml" marketing "$MARKETING" "$2" "cg-$1" "Autumn sale"
	cg_send "$1" --from "$MARKETING" --to "$2" --data "@$CG_TMP/$1.eml"
	reply=$(cg_reply "$CG_LAST" "^RCPT TO:<$2>")
	why=
	printf '%s\n' "$reply" | grep -Eq "^550 5\.7\.1 .*\(rule=$3 $REF\)" ||
		why="RCPT TO got '$reply', want 550 5.7.1 ... (rule=$3 ref=...)"
	sm_wait_queue_empty 10 || why="${why:+$why; }sendmail queue not empty"
	if [ -n "$(cg_sink_find "cg-$1")" ] || [ "$(cg_sink_count)" -ne "$before" ]; then
		why="${why:+$why; }the sink received a message"
	fi
	if [ -z "$why" ]; then
		EVIDENCE="$EVIDENCE $3:$(cg_ref_of "$reply")"
		cg_ok "sendmail: marketing to $2 refused at RCPT: $reply"
	else
		cg_notok "sendmail: marketing to $2 refused with rule=$3: $why"
		show_transcript
	fi
}

# ---------------------------------------------------------------- cases

# --- 1. marketing to a consented recipient: accepted, delivered, tagged.
cg_message "$CG_TMP/consented.eml" marketing "$MARKETING" "$A" cg-consented "Autumn sale"
cg_send consented --from "$MARKETING" --to "$A" --data "@$CG_TMP/consented.eml"
rcpt=$(cg_reply "$CG_LAST" "^RCPT TO:<$A>")
data=$(cg_reply "$CG_LAST" '^\.$')
why=
case $rcpt in 250*) ;; *) why="RCPT TO got '$rcpt'" ;; esac
case $data in 250*) ;; *) why="${why:+$why; }end of DATA got '$data'" ;; esac
if [ -z "$why" ]; then
	if sm_wait_delivered cg-consented 20; then
		f=$(cg_sink_find cg-consented)
		grep -Eq "^X-Consent-Gate: pass class=marketing $REF" $f ||
			why="delivered without 'X-Consent-Gate: pass class=marketing ref=...' (got: $(grep -h '^X-Consent-Gate' $f))"
	else
		why="not delivered to the sink within 20 s (queue: $(sm_queue_count) files)"
	fi
fi
if [ -z "$why" ]; then
	hdr=$(grep -h '^X-Consent-Gate:' $f | tr -d '\r')
	PASS_REF=$(cg_ref_of "$hdr")
	PASS_QID=$(printf '%s\n' "$data" | sed -n 's/^250 2\.0\.0 \([A-Za-z0-9]*\) .*/\1/p')
	EVIDENCE="$EVIDENCE pass:$PASS_REF"
	cg_ok "sendmail: marketing to consented $A accepted ($data) and delivered with $hdr"
else
	cg_notok "sendmail: marketing to consented $A: $why"
	show_transcript
fi

# --- 2. no record: 550 5.7.1 consent.missing at RCPT TO.
expect_refused unconsented "$B" consent.missing

# --- 3. withdrawn: 550 5.7.1 consent.withdrawn at RCPT TO.
expect_refused withdrawn "$C" consent.withdrawn

# --- 4. transactional mail (not a marketing sender) to b: accepted, delivered.
cg_message "$CG_TMP/transactional.eml" transactional "$TRANSACTIONAL" "$B" cg-transactional \
	"Your order 1234 has shipped"
cg_send transactional --from "$TRANSACTIONAL" --to "$B" --data "@$CG_TMP/transactional.eml"
rcpt=$(cg_reply "$CG_LAST" "^RCPT TO:<$B>")
data=$(cg_reply "$CG_LAST" '^\.$')
why=
case $rcpt in 250*) ;; *) why="RCPT TO got '$rcpt'" ;; esac
case $data in 250*) ;; *) why="${why:+$why; }end of DATA got '$data'" ;; esac
if [ -z "$why" ] && ! sm_wait_delivered cg-transactional 20; then
	why="not delivered to the sink within 20 s"
fi
if [ -z "$why" ]; then
	cg_ok "sendmail: transactional mail from $TRANSACTIONAL to $B accepted and delivered"
else
	cg_notok "sendmail: transactional mail from $TRANSACTIONAL to $B: $why"
	show_transcript
fi

# --- 5. one marketing transaction to a and b: b refused at RCPT, only a delivered.
cg_message "$CG_TMP/mixed.eml" marketing "$MARKETING" "undisclosed-recipients:;" cg-mixed \
	"Autumn sale"
cg_send mixed --from "$MARKETING" --to "$A,$B" --data "@$CG_TMP/mixed.eml"
rcpt_a=$(cg_reply "$CG_LAST" "^RCPT TO:<$A>")
rcpt_b=$(cg_reply "$CG_LAST" "^RCPT TO:<$B>")
data=$(cg_reply "$CG_LAST" '^\.$')
why=
case $rcpt_a in 250*) ;; *) why="RCPT TO:<$A> got '$rcpt_a'" ;; esac
printf '%s\n' "$rcpt_b" | grep -Eq "^550 5\.7\.1 .*\(rule=consent\.missing $REF\)" ||
	why="${why:+$why; }RCPT TO:<$B> got '$rcpt_b'"
case $data in 250*) ;; *) why="${why:+$why; }end of DATA got '$data'" ;; esac
if [ -z "$why" ]; then
	if sm_wait_delivered cg-mixed 20; then
		f=$(cg_sink_find cg-mixed)
		n=$(printf '%s\n' "$f" | grep -c .)
		rcpts=$(grep -h '^X-Rcpt-Args:' $f | tr -d '\r' | tr '\n' ' ')
		[ "$n" -eq 1 ] || why="the sink holds $n copies"
		printf '%s\n' "$rcpts" | grep -q "<$A>" || why="${why:+$why; }$A not an envelope recipient"
		printf '%s\n' "$rcpts" | grep -q "<$B>" && why="${why:+$why; }$B reached the sink"
		grep -Eq "^X-Consent-Gate: pass class=marketing $REF" $f ||
			why="${why:+$why; }no X-Consent-Gate pass header"
	else
		why="not delivered to the sink within 20 s"
	fi
fi
if [ -z "$why" ]; then
	cg_ok "sendmail: marketing to $A and $B in one transaction: $B refused, only $A delivered"
else
	cg_notok "sendmail: marketing to $A and $B in one transaction: $why"
	show_transcript
fi

# --- 6. X-Consent-Gate headers arriving from outside (any case) are removed
#        through sendmail's header changes; only the gate's own one arrives.
cg_message "$CG_TMP/forged.eml" marketing "$MARKETING" "$A" cg-forged "Autumn sale"
sed -e '/^X-Test-Case:/i\
X-Consent-Gate: pass class=transactional ref=forged-1' \
	-e '/^Subject:/i\
x-consent-gate: pass ref=forged-2' "$CG_TMP/forged.eml" >"$CG_TMP/forged.tmp" &&
	mv "$CG_TMP/forged.tmp" "$CG_TMP/forged.eml"
cg_send forged --from "$MARKETING" --to "$A" --data "@$CG_TMP/forged.eml"
data=$(cg_reply "$CG_LAST" '^\.$')
why=
case $data in 250*) ;; *) why="end of DATA got '$data'" ;; esac
if [ -z "$why" ]; then
	if sm_wait_delivered cg-forged 20; then
		f=$(cg_sink_find cg-forged)
		gates=$(cg_sink_headers "$f" | grep -i '^X-Consent-Gate:')
		n=$(printf '%s\n' "$gates" | grep -c .)
		[ "$n" -eq 1 ] || why="$n X-Consent-Gate headers arrived: $(printf '%s' "$gates" | tr '\n' '|')"
		printf '%s\n' "$gates" | grep -q forged && why="${why:+$why; }a forged header arrived"
		printf '%s\n' "$gates" | grep -Eq "^X-Consent-Gate: pass class=marketing $REF" ||
			why="${why:+$why; }no X-Consent-Gate pass header of the gate"
	else
		why="not delivered to the sink within 20 s"
	fi
fi
if [ -z "$why" ]; then
	cg_ok "sendmail: two forged X-Consent-Gate headers removed, only the gate's arrived"
else
	cg_notok "sendmail: forged X-Consent-Gate headers: $why"
	show_transcript
fi

# --- 7. one SMTP session, several transactions (how bulk senders reuse a
#        connection): the gate's per-message state must not leak from one
#        transaction into the next. T1 marketing to c (refused) and a
#        (delivered); T2 marketing to b only (refused, RSET); T3
#        transactional to b (delivered).
cg_message "$CG_TMP/reuse-a.eml" marketing "$MARKETING" "$A" cg-reuse-a "Autumn sale"
cg_message "$CG_TMP/reuse-t.eml" transactional "$TRANSACTIONAL" "$B" cg-reuse-t "Your order"
timeout 60 "$CG_PY" - "$SMTP_PORT" "$MARKETING" "$TRANSACTIONAL" "$A" "$B" "$C" \
	"$CG_TMP/reuse-a.eml" "$CG_TMP/reuse-t.eml" >"$CG_TMP/reuse.out" 2>&1 <<'PYEOF'
import smtplib, sys
port, mk, tr, a, b, c, fa, ft = sys.argv[1:9]
def body(path):
    return (open(path, "rb").read()
            .replace(b"%DATE%", b"Tue, 24 Nov 2026 12:00:00 +0000")
            .replace(b"%MESSAGEID%", b"reuse@client.consentgate.test")
            .replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
s = smtplib.SMTP("127.0.0.1", int(port), "client.consentgate.test", timeout=30)
s.ehlo("client.consentgate.test")
def tx(name, frm, rcpts, data):
    code, msg = s.mail(frm)
    print(name, "MAIL", code, msg.decode(errors="replace"))
    ok = 0
    for r in rcpts:
        code, msg = s.rcpt(r)
        print(name, "RCPT", r, code, msg.decode(errors="replace"))
        ok += code == 250
    if ok:
        code, msg = s.data(data)
        print(name, "DATA", code, msg.decode(errors="replace"))
    else:
        code, msg = s.rset()
        print(name, "RSET", code, msg.decode(errors="replace"))
tx("T1", mk, [c, a], body(fa))
tx("T2", mk, [b], body(fa))
tx("T3", tr, [b], body(ft))
s.quit()
PYEOF
why=
r1c=$(sed -n "s/^T1 RCPT $C //p" "$CG_TMP/reuse.out")
r1a=$(sed -n "s/^T1 RCPT $A //p" "$CG_TMP/reuse.out")
d1=$(sed -n 's/^T1 DATA //p' "$CG_TMP/reuse.out")
r2b=$(sed -n "s/^T2 RCPT $B //p" "$CG_TMP/reuse.out")
r3b=$(sed -n "s/^T3 RCPT $B //p" "$CG_TMP/reuse.out")
d3=$(sed -n 's/^T3 DATA //p' "$CG_TMP/reuse.out")
printf '%s\n' "$r1c" | grep -Eq "^550 5\.7\.1 .*\(rule=consent\.withdrawn $REF\)" ||
	why="T1 RCPT $C got '$r1c'"
case $r1a in 250*) ;; *) why="${why:+$why; }T1 RCPT $A got '$r1a'" ;; esac
case $d1 in 250*) ;; *) why="${why:+$why; }T1 DATA got '$d1'" ;; esac
printf '%s\n' "$r2b" | grep -Eq "^550 5\.7\.1 .*\(rule=consent\.missing $REF\)" ||
	why="${why:+$why; }T2 RCPT $B got '$r2b'"
case $r3b in 250*) ;; *) why="${why:+$why; }T3 RCPT $B got '$r3b'" ;; esac
case $d3 in 250*) ;; *) why="${why:+$why; }T3 DATA got '$d3'" ;; esac
if [ -z "$why" ]; then
	if sm_wait_delivered cg-reuse-a 20 && sm_wait_delivered cg-reuse-t 20; then
		fa=$(cg_sink_find cg-reuse-a)
		ft=$(cg_sink_find cg-reuse-t)
		ra=$(cg_sink_rcpts cg-reuse-a | tr '\n' ' ')
		rt=$(cg_sink_rcpts cg-reuse-t | tr '\n' ' ')
		[ "$ra" = "<$A> " ] || why="T1 reached the sink for: $ra"
		[ "$rt" = "<$B> " ] || why="${why:+$why; }T3 reached the sink for: $rt"
		grep -Eq "^X-Consent-Gate: pass class=marketing $REF" $fa ||
			why="${why:+$why; }T1 without 'X-Consent-Gate: pass class=marketing ref=...'"
		grep -Eq "^X-Consent-Gate: pass class=other $REF" $ft ||
			why="${why:+$why; }T3 got '$(grep -h '^X-Consent-Gate' $ft | tr -d '\r')', want pass class=other"
	else
		why="not delivered to the sink within 20 s"
	fi
fi
if [ -z "$why" ]; then
	cg_ok "sendmail: three transactions in one session (withdrawn+consented, missing, transactional) judged independently"
else
	cg_notok "sendmail: three transactions in one session: $why"
	sed 's/^/#   /' "$CG_TMP/reuse.out"
fi

# --- 8. the milter is killed: F=T makes sendmail tempfail; nothing accepted,
#        nothing queued, nothing reaches the sink.
if ! cg_alive "$CG_MILTER_PID"; then
	cg_notok "sendmail: consentgate was still running after the mail cases (it died; see its log)"
fi
before=$(cg_sink_count)
cg_kill_milter
cg_message "$CG_TMP/killed.eml" marketing "$MARKETING" "$A" cg-killed "Autumn sale"
cg_send killed --from "$MARKETING" --to "$A" --data "@$CG_TMP/killed.eml"
err=$(cg_first_error "$CG_LAST")
data=$(cg_reply "$CG_LAST" '^\.$')
why=
case $err in 4[0-9][0-9]\ *) ;; *) why="want a 4xx reply, got '${err:-no error reply}'" ;; esac
case $data in 250*) why="${why:+$why; }end of DATA accepted: '$data'" ;; esac
sm_wait_queue_empty 10 || why="${why:+$why; }sendmail queue not empty ($(sm_queue_count) files)"
sleep 2
if [ -n "$(cg_sink_find cg-killed)" ] || [ "$(cg_sink_count)" -ne "$before" ]; then
	why="${why:+$why; }the sink received a message"
fi
if [ -z "$why" ]; then
	cg_ok "sendmail: milter killed with SIGKILL (F=T): client got $err, nothing queued or delivered"
else
	cg_notok "sendmail: milter killed with SIGKILL (F=T): $why"
	show_transcript
fi

# --- 9. every ref handed out above names a stored evidence record.
if [ -z "$EVIDENCE" ]; then
	cg_notok "sendmail: evidence refs resolve with consentctl evidence: no refs collected (earlier cases failed)"
else
	why=
	for ev in $EVIDENCE; do
		rule=${ev%%:*}
		ref=${ev#*:}
		out=$CG_TMP/evidence-$ref.txt
		if ! cg_ctl evidence "$ref" >"$out" 2>&1; then
			why="${why:+$why; }consentctl evidence $ref failed: $(head -n 1 "$out")"
		elif [ "$rule" != pass ] && ! grep -q "$rule" "$out"; then
			why="${why:+$why; }evidence $ref does not mention $rule"
		fi
	done
	# The gate reads sendmail's queue id (macro i, sent at MAIL FROM): the
	# pass record names the id sendmail gave in its 250 reply.
	if [ -n "$PASS_REF" ] && ! grep -q "\"queue_id\":\"$PASS_QID\"" "$CG_TMP/evidence-$PASS_REF.txt"; then
		why="${why:+$why; }evidence $PASS_REF does not name sendmail's queue id '$PASS_QID': $(grep -o '"queue_id":"[^"]*"' "$CG_TMP/evidence-$PASS_REF.txt")"
	fi
	[ -n "$PASS_QID" ] && why_ok=" (queue id $PASS_QID)" || why_ok=""
	if [ -z "$why" ]; then
		cg_ok "sendmail: evidence refs resolve with consentctl evidence:$EVIDENCE$why_ok"
	else
		cg_notok "sendmail: evidence refs resolve with consentctl evidence: $why"
	fi
fi

cg_stop_watchdog
printf '# %d passed, %d failed\n' "$CG_PASSES" "$CG_FAILS"
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
