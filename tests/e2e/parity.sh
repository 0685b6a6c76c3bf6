#!/bin/sh
# tests/e2e/parity.sh BUILD - milter / `consentctl check` parity over the fixtures
# (POSIX sh). Run as root: sh tests/e2e/parity.sh build
#
# Every fixture (*.eml directly in tests/data/doi and tests/data/marketing, not
# their subdirectories) is judged twice, with the same config and the same
# consent store:
#   (b) consentctl -c CONF -d STORE check --from S --to R... --format json FILE
#   (a) swaks -> a private Postfix on 127.0.0.1 -> consentgate -> smtp-sink
# and the two verdicts (pass/refused) and rule-id sets must be equal to each
# other and to the fixture's X-Test-Expect. Side (b) runs first, because side
# (a) may change the store (an accepted DOI mail makes its recipients pending).
#
# Config: tests/data/rules.conf with Socket (inet on 127.0.0.1), ConsentDB (a
# temp store owned by nobody) and UserID nobody replaced, written to the temp
# dir; consentctl check reads that same file (-c) and the same store (-d).
# Other sets (tests/e2e/parity-sets.sh): CG_PARITY_CONF names another config,
# CG_PARITY_DIRS other fixture directories (space-separated), and
# CG_PARITY_EXPECT=0 compares only the milter with check, not with
# X-Test-Expect (a differing X-Test-Expect is then only counted). A fixture's
# X-Test-Class header, when present, stands for its directory name (doi or
# marketing) in choosing the default consent.
#
# Per fixture (the headers are read as tests/unit/test_fixtures.c reads them):
#   sender     X-Test-Sender, else the From address (swaks --from, check --from)
#   recipients X-Test-Rcpt (comma-separated) if present. Otherwise one address
#              unique to the fixture, pN@example.org, so that state written by an
#              earlier mail (an accepted DOI mail sets its recipient pending, and
#              DoiResend never then refuses the next DOI mail as doi.resend)
#              cannot change a later verdict; except when the fixture names the
#              unit test's default recipient kunde@example.org outside its To/Cc
#              header (a link, a text, List-Unsubscribe): its verdict depends on
#              that address (url.address-leak), so kunde@example.org is used.
#   MTA        X-Test-MTA-Removes: header names the MTA drops before any
#              milter sees them (Postfix: Bcc); check is given the message
#              without them, as the milter receives it
#   consent    X-Test-Consent (default confirmed in marketing/, none in doi/),
#              tracking X-Test-Tracking (default no), seeded before the fixture
#              with "consentctl add ADDR --state S --tracking T --force". State
#              none means no record; when a record already exists for such an
#              address (an earlier fixture created it) the fixture reports a
#              setup conflict (not ok), as no command removes a record.
#
# Verdict of the milter side: refused when a RCPT TO or the end-of-DATA reply
# is 5xx, with the rule ids taken from the reply text "(rule=a,b ref=...)";
# pass when end of DATA got 250 and the message reached the sink carrying
# "X-Consent-Gate: pass"; delivered-tag when it reached the sink carrying
# "X-Consent-Gate: tag rule=..." (a rule whose action is tag, e.g.
# transactional.advertising), which equals check's "refused" with action tag
# and matches an X-Test-Expect naming those rules. A 4xx reply means the gate
# tempfailed: always a failure (X-Test-Expect cannot declare a tempfail).
#
# Refusals at RCPT TO: when the envelope sender already makes the mail
# marketing (MarketingSenders), the milter refuses a recipient without consent
# at RCPT TO and only shows the consent.* rule ids there; when every recipient
# is refused the message is never transferred, so its content rules are never
# evaluated. For those fixtures the milter's ids are compared with the consent.*
# ids of check (and of X-Test-Expect), while check's full set must still equal
# X-Test-Expect. When only some recipients are refused, the message goes on to
# end of DATA, and the milter's ids are the union of both stages.
#
# Output: one "ok - FILE: milter=<verdict rules> check=<verdict rules>" or
# "not ok - ..." line per fixture, "# ..." diagnostics and a summary; exit 1 on
# any mismatch, conflict or failure, 2 on usage errors or missing tools. One
# Postfix and one milter serve all fixtures; every wait is bounded; the whole
# run is capped at CG_TIME_LIMIT seconds (default 240; a normal run of ~130
# fixtures takes well under a minute).
# CG_KEEP=1 keeps the temp dir: the config, store, per-fixture files in fx/
# (N.name, N.wire as sent, N.check.json, N.swaks transcript, N.conflict),
# logs and sink files.

CG_HERE=$(cd "$(dirname "$0")" && pwd)
CG_ROOT=$(cd "$CG_HERE/../.." && pwd)
. "$CG_HERE/lib.sh"

cg_setup "$1"
cg_need postfix postconf smtp-sink swaks
cg_watchdog "${CG_TIME_LIMIT:-240}"
PT_START=$(date +%s)

# shellcheck disable=SC2046
set -- $(cg_free_ports 3)
SMTP_PORT=$1
SINK_PORT=$2
MILTER_PORT=$3
[ -n "$MILTER_PORT" ] || cg_die "could not pick free ports on 127.0.0.1"

PT_DATA=$CG_ROOT/tests/data
PT_RULES=${CG_PARITY_CONF:-$PT_DATA/rules.conf}
PT_DIRS=${CG_PARITY_DIRS:-$PT_DATA/doi $PT_DATA/marketing}
PT_EXPECT=${CG_PARITY_EXPECT:-1}
PT_CONF=$CG_TMP/consentgate.conf
PT_STORE=$CG_TMP/store
PT_FX=$CG_TMP/fx
PT_PY=$CG_TMP/parity.py
[ -r "$PT_RULES" ] || cg_die "missing $PT_RULES"
mkdir -p "$PT_FX" || cg_die "mkdir $PT_FX failed"

setup_fail() {
	cg_notok "setup: $*"
	exit 1
}

# ---------------------------------------------------------------- helper (python)

cat >"$PT_PY" <<'EOF'
# parity.py - helpers of tests/e2e/parity.sh (written to its temp dir).
#   fixture FILE N OUTBASE   read the X-Test-* headers, write OUTBASE.wire (the
#                            DATA as sent) and OUTBASE.meta; print shell vars
#   judge FXDIR SINKDIR WAIT compare milter, check and X-Test-Expect for every
#                            fixture; print ok / not ok lines and a summary
import email.utils, json, os, re, shlex, sys, time

DEFAULT_RCPT = "kunde@example.org"   # tests/unit/test_fixtures.c


def header_end(raw):
    for i in range(len(raw)):
        if raw[i:i + 1] != b"\n":
            continue
        if raw[i + 1:i + 2] == b"\n" or raw[i + 1:i + 3] == b"\r\n":
            return i + 1
    return len(raw)


def header(raw, name):
    """Unfolded, trimmed value of the first header called name (as
    fix_header() in test_fixtures.c), or None."""
    lines = raw[:header_end(raw)].split(b"\n")
    nb = name.lower().encode() + b":"
    for i, line in enumerate(lines):
        if line.lower().startswith(nb):
            val = line[len(nb):].replace(b"\r", b"")
            j = i + 1
            while j < len(lines) and lines[j][:1] in (b" ", b"\t"):
                val += lines[j].replace(b"\r", b"")
                j += 1
            return val.decode("utf-8", "replace").strip(" \t")
    return None


def split_list(s):
    return [t.strip() for t in s.split(",") if t.strip()]


def names_default_rcpt(raw):
    """Does the fixture name the default recipient outside To/Cc?"""
    text = raw.decode("latin-1")
    end = header_end(raw)
    head, body = text[:end], text[end:]
    kept, skip = [], False
    for line in head.split("\n"):
        if line[:1] in (" ", "\t"):
            if not skip:
                kept.append(line)
            continue
        skip = re.match(r"(?i)(to|cc)\s*:", line) is not None
        if not skip:
            kept.append(line)
    text = "\n".join(kept) + body
    text = re.sub(r"=\r?\n", "", text)          # quoted-printable soft breaks
    return re.search(r"(?i)kunde(@|%40|=40)example\.org", text) is not None


def cmd_fixture(path, n, out):
    raw = open(path, "rb").read()
    kind = (header(raw, "X-Test-Class") or
            os.path.basename(os.path.dirname(path))).lower()
    bad = []
    exp = header(raw, "X-Test-Expect")
    if exp is None or not split_list(exp):
        bad.append("no or empty X-Test-Expect header")
        ids = []
        verdict = "?"
    else:
        ids = split_list(exp)
        if len(ids) == 1 and ids[0].lower() == "pass":
            verdict, ids = "pass", []
        else:
            verdict = "refused"
    state = header(raw, "X-Test-Consent")
    if state is None:
        state = "confirmed" if kind == "marketing" else "none"
    state = state.lower()
    if state not in ("none", "pending", "confirmed", "withdrawn", "customer"):
        bad.append("bad X-Test-Consent '%s'" % state)
    tracking = (header(raw, "X-Test-Tracking") or "no").lower()
    if tracking not in ("yes", "no"):
        bad.append("bad X-Test-Tracking '%s'" % tracking)
    sender = header(raw, "X-Test-Sender")
    if sender is None:
        frm = header(raw, "From") or ""
        addrs = [a for _, a in email.utils.getaddresses([frm]) if "@" in a]
        sender = addrs[0] if addrs else ""
        if not sender:
            bad.append("no X-Test-Sender and no From address")
    rc = header(raw, "X-Test-Rcpt")
    if rc is not None:
        rcpts, how = [a.lower() for a in split_list(rc)], "X-Test-Rcpt"
        if not rcpts:
            bad.append("empty X-Test-Rcpt")
    elif names_default_rcpt(raw):
        rcpts, how = [DEFAULT_RCPT], "default (named in the fixture)"
    else:
        rcpts, how = ["p%s@example.org" % n], "unique"
    for a in rcpts:
        if not re.match(r"^[^\s<>,@]+@[^\s<>,@]+$", a):
            bad.append("bad recipient '%s'" % a)

    # The DATA as swaks sends it with --no-data-fixup: CRLF line ends, leading
    # dots doubled, terminated by "." (swaks appends the final CRLF).
    data = re.sub(rb"\r?\n", b"\r\n", raw)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    data = re.sub(rb"(?m)^\.", b"..", data)
    with open(out + ".wire", "wb") as f:
        f.write(data + b".")
    # Headers the MTA removes before any milter sees them (Postfix drops
    # Bcc): check judges the message as the milter receives it.
    check_file = path
    removes = [h.strip().lower()
               for h in split_list(header(raw, "X-Test-MTA-Removes") or "")]
    if removes:
        end = header_end(raw)
        kept, drop = [], False
        for line in raw[:end].split(b"\n"):
            if line[:1] in (b" ", b"\t"):
                if not drop:
                    kept.append(line)
                continue
            name = line.split(b":", 1)[0].strip().decode("latin-1").lower()
            drop = name in removes
            if not drop:
                kept.append(line)
        check_file = out + ".check.eml"
        with open(check_file, "wb") as f:
            f.write(b"\n".join(kept) + raw[end:])
    meta = {"file": path, "kind": kind, "expect_verdict": verdict,
            "expect_ids": sorted(set(ids)), "sender": sender, "rcpts": rcpts,
            "rcpt_source": how, "state": state, "tracking": tracking,
            "bad": bad}
    with open(out + ".meta", "w") as f:
        json.dump(meta, f)
    q = shlex.quote
    print("FX_SENDER=%s" % q(sender))
    print("FX_RCPTS=%s" % q(" ".join(rcpts)))
    print("FX_STATE=%s" % q(state))
    print("FX_TRACKING=%s" % q(tracking))
    print("FX_BAD=%s" % q("; ".join(bad)))
    print("FX_CHECK_FILE=%s" % q(check_file))


REPLY = re.compile(r"^<[-~*]*\s+(\d{3})([ -])(.*)$")
CLIENT = re.compile(r"^\s*~?-> ?(.*)$")
RULES = re.compile(r"\(rule=([A-Za-z0-9.,_-]+) ref=[^)]*\)")


def ids_of(text):
    m = RULES.search(text or "")
    return set(m.group(1).split(",")) if m else set()


def parse_swaks(path):
    """[(command, code, text)] of one transcript; code None when no reply."""
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    except OSError:
        return [], "no transcript"
    out, cur, indata, err = [], None, False, ""
    for line in lines:
        line = line.rstrip("\r")
        m = CLIENT.match(line)
        if m and not line.startswith("<"):
            c = m.group(1)
            if indata:
                if c == ".":
                    indata = False
                    cur = [".", None, ""]
                    out.append(cur)
                continue
            cur = [c, None, ""]
            out.append(cur)
            continue
        m = REPLY.match(line)
        if m:
            if m.group(2) == " " and cur is not None and cur[1] is None:
                cur[1], cur[2] = int(m.group(1)), m.group(1) + " " + m.group(3)
                if cur[0].upper() == "DATA" and cur[1] == 354:
                    indata = True
            continue
        if line.startswith("***") and not err:
            err = line
    return out, err


def milter_side(fx, meta, qids):
    """(verdict, ids, stage, why, qid) of the transaction."""
    steps, err = parse_swaks(fx + ".swaks")
    rcpt_ids, rcpt_ok, rcpt_no, fourxx, eod = set(), 0, 0, None, None
    for c, code, text in steps:
        u = c.upper()
        if code is not None and 400 <= code < 500 and fourxx is None:
            fourxx = "%s -> %s" % (c if c != "." else "end of DATA", text)
        if u.startswith("RCPT TO"):
            if code is None:
                continue
            if code >= 500:
                rcpt_no += 1
                rcpt_ids |= ids_of(text)
            elif code < 300:
                rcpt_ok += 1
        elif c == ".":
            eod = (code, text)
    if fourxx:
        return "tempfail", set(), "", "the gate tempfailed: " + fourxx, None
    if rcpt_no + rcpt_ok != len(meta["rcpts"]):
        return "error", set(), "", "not every RCPT TO got a reply (%s)" % (err or "see transcript"), None
    if rcpt_ok == 0:
        return "refused", rcpt_ids, "rcpt", "", None
    if eod is None or eod[0] is None:
        return "error", set(), "", "no reply at end of DATA (%s)" % (err or "see transcript"), None
    code, text = eod
    if code >= 500:
        return "refused", rcpt_ids | ids_of(text), "data", "", None
    if code >= 300:
        return "error", set(), "", "end of DATA got '%s'" % text, None
    m = re.search(r"queued as ([0-9A-Za-z]+)", text)
    if not m:
        return "error", set(), "", "end of DATA: no queue id in '%s'" % text, None
    # Accepted: the sink decides (pass needs X-Consent-Gate: pass).
    return "accepted", rcpt_ids, "data", "", m.group(1)


def check_side(fx):
    try:
        doc = json.load(open(fx + ".check.json"))
        f = doc["files"][0]
    except (OSError, ValueError, KeyError, IndexError):
        try:
            e = open(fx + ".check.err").read().strip().split("\n")[0]
        except OSError:
            e = ""
        return "error", set(), "no JSON from consentctl check: " + e, ""
    if f.get("verdict") == "error":
        return "error", set(), "check: " + f.get("error", ""), doc.get("consent", "")
    verdict = f.get("verdict")
    # A "tag" verdict is delivered with its X-Consent-Gate header: the
    # milter side reads it off the delivered mail as delivered-tag.
    if verdict == "refused" and f.get("action") == "tag":
        verdict = "delivered-tag"
    return verdict, set(h["rule"] for h in f.get("hits", [])), "", doc.get("consent", "")


def scan_sink(sinkdir, seen):
    try:
        names = os.listdir(sinkdir)
    except OSError:
        return
    for n in names:
        p = os.path.join(sinkdir, n)
        if not n.startswith("msg.") or p in seen["files"]:
            continue
        try:
            raw = open(p, "rb").read().decode("latin-1")
        except OSError:
            continue
        head = raw.replace("\r\n", "\n").split("\n\n", 1)[0]
        head = re.sub(r"\n[ \t]+", " ", head)
        gate = [l.split(":", 1)[1].strip() for l in head.split("\n")
                if l.lower().startswith("x-consent-gate:")]
        for q in re.findall(r"\(Postfix\) with \S+ id ([0-9A-Za-z]+)", head):
            seen["qid"][q] = gate
        seen["files"].add(p)


def fmt(v, ids, stage=""):
    s = v + (" at RCPT TO" if stage == "rcpt" else "")
    return s + (" " + ",".join(sorted(ids)) if ids else "")


def consent(ids):
    return set(i for i in ids if i.startswith("consent."))


def cmd_judge(fxdir, sinkdir, wait):
    ns = sorted(int(n[:-5]) for n in os.listdir(fxdir) if n.endswith(".meta"))
    metas, mil = {}, {}
    for n in ns:
        fx = os.path.join(fxdir, str(n))
        metas[n] = json.load(open(fx + ".meta"))
        mil[n] = list(milter_side(fx, metas[n], None))
    want = set(m[4] for m in mil.values() if m[4])
    seen = {"files": set(), "qid": {}}
    deadline = time.time() + wait
    while True:
        scan_sink(sinkdir, seen)
        if want <= set(seen["qid"]) or time.time() >= deadline:
            break
        time.sleep(0.2)
    stats = {"ok": 0, "notok": 0, "drift": 0, "expect": 0, "conflict": 0,
             "fail": 0, "pass": 0, "refused": 0, "rcpt": 0}
    for n in ns:
        fx = os.path.join(fxdir, str(n))
        meta = metas[n]
        name = os.path.relpath(meta["file"], os.path.dirname(os.path.dirname(meta["file"])))
        mv, mids, stage, mwhy, qid = mil[n]
        if mv == "accepted":
            gate = seen["qid"].get(qid)
            if gate is None:
                mv, mwhy = "error", "250 at end of DATA (queued as %s) but not delivered to the sink within %d s" % (qid, wait)
            elif len(gate) != 1:
                mv, mwhy = "error", "delivered with %d X-Consent-Gate headers: %s" % (len(gate), gate)
            else:
                word = gate[0].split()[0] if gate[0].split() else ""
                m = re.search(r"rule=(\S+)", gate[0])
                extra = set(m.group(1).split(",")) if m else set()
                if word == "pass" and not extra:
                    mv = "refused" if mids else "pass"
                else:
                    mv, mids = "delivered-" + word, mids | extra
                    # A tag is an outcome check reports too (compared
                    # below); any other word is a failure to explain.
                    if word != "tag":
                        mwhy = "delivered with X-Consent-Gate: " + gate[0]
        cv, cids, cwhy, cmode = check_side(fx)
        ev, eids = meta["expect_verdict"], set(meta["expect_ids"])
        why = []
        if meta["bad"]:
            why.append("fixture headers: " + "; ".join(meta["bad"]))
        conflict = ""
        if os.path.exists(fx + ".conflict"):
            conflict = open(fx + ".conflict").read().strip().replace("\n", "; ")
            why.append("setup conflict: " + conflict)
            stats["conflict"] += 1
        if cmode and cmode != "store":
            why.append("check did not use the consent store (consent: %s)" % cmode)
        if mwhy:
            why.append("milter: " + mwhy)
        if cwhy:
            why.append(cwhy)
        drift = False
        if not mwhy and not cwhy:
            if stage == "rcpt":
                if mv != cv or mids != consent(cids):
                    drift = True
                    why.append("milter and check differ (milter refused at RCPT TO; "
                               "compared: verdict and consent.* ids)")
                if mids != consent(eids):
                    why.append("milter consent.* ids differ from X-Test-Expect")
            elif mv != cv or mids != cids:
                drift = True
                why.append("milter and check differ")
        # X-Test-Expect names rules, not actions: a tagged mail fired them.
        cve = "refused" if cv and cv.startswith("delivered-") else cv
        if not cwhy and (cve != ev or cids != eids):
            stats["expect"] += 1
            if os.environ.get("PT_EXPECT", "1") != "0":
                why.append("check differs from X-Test-Expect")
        if mwhy or cwhy:
            stats["fail"] += 1
        if drift:
            stats["drift"] += 1
        line = "%s: milter=%s check=%s" % (name, fmt(mv, mids, stage), fmt(cv, cids))
        if why:
            stats["notok"] += 1
            print("not ok - %s expect=%s: %s" % (line, fmt(ev, eids), "; ".join(why)))
            print("#   recipients %s (%s), consent %s, tracking %s, sender %s; files %s.*"
                  % (",".join(meta["rcpts"]), meta["rcpt_source"], meta["state"],
                     meta["tracking"], meta["sender"], fx))
            steps, _ = parse_swaks(fx + ".swaks")
            for c, code, text in steps:
                if c.upper().startswith(("MAIL", "RCPT", "DATA")) or c == ".":
                    print("#   %s -> %s" % (c if c != "." else "<end of DATA>", text or "(no reply)"))
        else:
            stats["ok"] += 1
            if stage == "rcpt":
                line += " (refused at RCPT TO: consent.* ids compared)"
            print("ok - " + line)
        if not why:
            stats["rcpt" if stage == "rcpt" else ("pass" if mv == "pass" else "refused")] += 1
    print("# %d fixtures: %d ok, %d not ok; %d pass, %d refused at end of DATA, "
          "%d refused at RCPT TO" % (len(ns), stats["ok"], stats["notok"],
                                     stats["pass"], stats["refused"], stats["rcpt"]))
    print("# problems: %d milter/check drift, %d check vs X-Test-Expect, "
          "%d setup conflicts, %d gate or tool failures"
          % (stats["drift"], stats["expect"], stats["conflict"], stats["fail"]))


if __name__ == "__main__":
    if sys.argv[1] == "fixture":
        cmd_fixture(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "judge":
        cmd_judge(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit("unknown command")
EOF

# ---------------------------------------------------------------- setup

# The config of both sides: rules.conf with Socket, ConsentDB and UserID replaced.
awk '{ k = tolower($1) } k == "socket" || k == "consentdb" || k == "userid" { next } { print }' \
	"$PT_RULES" >"$PT_CONF" || setup_fail "writing $PT_CONF"
cat >>"$PT_CONF" <<EOF
# tests/e2e/parity.sh: Socket, ConsentDB and UserID replaced
Socket inet:$MILTER_PORT@127.0.0.1
ConsentDB $PT_STORE
UserID nobody
EOF

cg_seed_store "$PT_STORE" || setup_fail "creating the consent store with consentctl init"
cg_start_milter "$PT_CONF" "$MILTER_PORT" || setup_fail "starting consentgate"
cg_start_sink "$SINK_PORT" || setup_fail "starting smtp-sink"
cg_start_postfix "$SMTP_PORT" "$SINK_PORT" "$MILTER_PORT" || setup_fail "starting Postfix"

# ---------------------------------------------------------------- fixtures

# seed N: make the store hold what fixture N declares for each recipient.
seed() {
	for pt_a in $FX_RCPTS; do
		if [ "$FX_STATE" = none ]; then
			if cg_ctl show "$pt_a" >"$PT_FX/$1.show" 2>&1; then
				pt_st=$(sed -n 's/^[[:space:]]*state[[:space:]:=]*\([a-z]*\).*/\1/p' \
					"$PT_FX/$1.show" | head -n 1)
				printf '%s already has a record (state %s) but X-Test-Consent none is wanted\n' \
					"$pt_a" "${pt_st:-?}" >>"$PT_FX/$1.conflict"
			fi
		elif ! cg_ctl add "$pt_a" --state "$FX_STATE" --tracking "$FX_TRACKING" --force --reason "test fixture" \
			>>"$PT_FX/$1.seed" 2>&1; then
			printf 'consentctl add %s --state %s --tracking %s --force failed: %s\n' \
				"$pt_a" "$FX_STATE" "$FX_TRACKING" "$(tail -n 1 "$PT_FX/$1.seed")" \
				>>"$PT_FX/$1.conflict"
		fi
	done
	chown -R nobody:nogroup "$PT_STORE"
}

N=0
# shellcheck disable=SC2086
for PT_F in $(for pt_d in $PT_DIRS; do ls "$pt_d"/*.eml 2>/dev/null; done); do
	[ -f "$PT_F" ] || continue
	N=$((N + 1))
	printf '%s\n' "$PT_F" >"$PT_FX/$N.name"
	FX_SENDER='' FX_RCPTS='' FX_STATE='' FX_TRACKING='' FX_BAD='' FX_CHECK_FILE=''
	pt_vars=$("$CG_PY" "$PT_PY" fixture "$PT_F" "$N" "$PT_FX/$N") ||
		setup_fail "reading the headers of $PT_F"
	eval "$pt_vars"
	[ -n "$FX_BAD" ] && continue # reported by the judge
	seed "$N"

	# (b) consentctl check, same config and store, before the mail changes it.
	set --
	for pt_a in $FX_RCPTS; do
		set -- "$@" --to "$pt_a"
	done
	timeout 30 "$CG_BUILD/consentctl" -c "$PT_CONF" -d "$PT_STORE" check \
		--from "$FX_SENDER" "$@" --format json "${FX_CHECK_FILE:-$PT_F}" \
		>"$PT_FX/$N.check.json" 2>"$PT_FX/$N.check.err"

	# (a) the same file through Postfix and the milter.
	cg_send "fx/$N" --from "$FX_SENDER" --to "$(printf '%s' "$FX_RCPTS" | tr ' ' ',')" \
		--no-data-fixup --data "@$PT_FX/$N.wire"
done
[ "$N" -gt 0 ] || setup_fail "no fixtures under $PT_DIRS"
PT_SENT=$(date +%s)

if ! cg_alive "$CG_MILTER_PID"; then
	cg_notok "consentgate was still running after the fixtures (it died; see its log)"
fi

# Compare; waits (bounded) for the accepted messages to reach the sink.
PT_EXPECT=$PT_EXPECT "$CG_PY" "$PT_PY" judge "$PT_FX" "$CG_SINK_DIR" 30 >"$CG_TMP/judge.out" 2>&1 ||
	cg_notok "the comparison helper failed: $(tail -n 1 "$CG_TMP/judge.out")"
while IFS= read -r pt_line; do
	case $pt_line in
	"ok - "*) cg_ok "${pt_line#ok - }" ;;
	"not ok - "*) cg_notok "${pt_line#not ok - }" ;;
	*) printf '%s\n' "$pt_line" ;;
	esac
done <"$CG_TMP/judge.out"

PT_END=$(date +%s)
printf '# %d passed, %d failed; %d fixtures sent in %d s, %d s in all\n' \
	"$CG_PASSES" "$CG_FAILS" "$N" $((PT_SENT - PT_START)) $((PT_END - PT_START))
[ "$CG_FAILS" -eq 0 ] || exit 1
exit 0
