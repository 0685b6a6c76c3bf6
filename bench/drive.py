#!/usr/bin/env python3
"""drive.py - one timed load run for bench/run.sh.

    drive.py SINKDIR QUEUEDIR COUNT TIMEOUT MILTERPID RSSAT LOG -- smtp-source ARGS...

Reads the milter's CPU ticks (/proc/PID/stat utime+stime; MILTERPID 0 = no
milter), starts smtp-source, and polls every 50 ms until SINKDIR holds COUNT
files named msg.* and Postfix's queue (QUEUEDIR) is empty: the moment the
last message has been accepted by smtp-sink and removed from the queue.
When the sink count first reaches RSSAT (0 = never), the milter's VmRSS is
read.  Gives up when smtp-source exits non-zero or after TIMEOUT seconds.
smtp-source's output goes to LOG.  Prints one line of key=value pairs:

    ok=1 n=COUNT secs=S rate=R src_secs=S ticks=T rss_at=KB anon_at=KB
         rss=KB anon=KB hwm=KB
(rss_at/anon_at: VmRSS/RssAnon at RSSAT messages; rss/anon/hwm at the end.)

ok=0 with reason=... on failure (exit status 1).
"""
import os
import subprocess
import sys
import time

sinkdir, queuedir = sys.argv[1], sys.argv[2]
count, timeout = int(sys.argv[3]), float(sys.argv[4])
mpid, rssat, log = int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
assert sys.argv[8] == "--"
cmd = sys.argv[9:]


def ticks(pid):
    if pid <= 0:
        return 0
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])  # fields 14 and 15: utime, stime


def status(pid, key):
    if pid <= 0:
        return 0
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def sink_count():
    n = 0
    with os.scandir(sinkdir) as it:
        for e in it:
            if e.name.startswith("msg."):
                n += 1
    return n


def queue_empty():
    for sub in ("maildrop", "incoming", "active", "deferred", "hold"):
        for _root, _dirs, files in os.walk(os.path.join(queuedir, sub)):
            if files:
                return False
    return True


def out(**kv):
    print(" ".join("%s=%s" % (k, v) for k, v in kv.items()))
    sys.stdout.flush()


t_before = ticks(mpid)
with open(log, "wb") as lf:
    t0 = time.monotonic()
    src = subprocess.Popen(cmd, stdout=lf, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL)
    src_secs = None
    rss_at = anon_at = 0
    n = 0
    while True:
        time.sleep(0.05)
        rc = src.poll()
        if rc is not None and src_secs is None:
            src_secs = time.monotonic() - t0
            if rc != 0:
                out(ok=0, reason="smtp-source-exit-%d" % rc, n=sink_count(),
                    secs="%.2f" % src_secs)
                sys.exit(1)
        n = sink_count()
        if rssat and not rss_at and n >= rssat:
            rss_at = status(mpid, "VmRSS")
            anon_at = status(mpid, "RssAnon")
        if n >= count and src_secs is not None and queue_empty():
            t1 = time.monotonic()
            break
        if time.monotonic() - t0 > timeout:
            if src.poll() is None:
                src.terminate()
                src.wait()
            out(ok=0, reason="timeout", n=n, secs="%.2f" % (time.monotonic() - t0))
            sys.exit(1)
t_after = ticks(mpid)
secs = t1 - t0
out(ok=1, n=n, secs="%.3f" % secs, rate="%.1f" % (count / secs),
    src_secs="%.2f" % src_secs, ticks=t_after - t_before, rss_at=rss_at,
    anon_at=anon_at, rss=status(mpid, "VmRSS"), anon=status(mpid, "RssAnon"),
    hwm=status(mpid, "VmHWM"))
