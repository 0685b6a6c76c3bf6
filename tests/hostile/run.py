#!/usr/bin/env python3
"""run.py BUILD DIR - run `consentctl check` (forced through the marketing and
the DOI rules) over every hostile message in DIR, in batches, and check:
every file gets a verdict or a per-file error; no crash, no sanitizer
report; each file within a CPU bound; each batch within a memory bound;
messages over MaxMimeDepth/MaxParts are refused with message.limit.
Prints the totals, the slowest file and the peak memory."""
import json
import os
import resource
import subprocess
import sys
import time

BATCH = 400


def main():
    build, d = sys.argv[1], sys.argv[2]
    asan = "asan" in build
    cpu_bound = 20000.0 if asan else 5000.0   # ms per message
    rss_bound = 3 * 1024 * 1024 if asan else 1024 * 1024  # KiB per process
    ctl = os.path.join(build, "consentctl")
    conf = "tests/data/rules.conf"
    files = sorted(os.path.join(d, f) for f in os.listdir(d))
    bad = []
    verdicts = {"pass": 0, "refused": 0, "error": 0}
    slowest = (0.0, "")
    peak = 0
    start = time.time()
    for cls in ("marketing", "doi"):
        for i in range(0, len(files), BATCH):
            batch = files[i:i + BATCH]
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            p = subprocess.run([ctl, "-c", conf, "check", "--class", cls, "--format", "json"] + batch,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=900)
            rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            peak = max(peak, rss)
            err = p.stderr.decode("utf-8", "replace")
            if p.returncode not in (0, 1) or "Sanitizer" in err or "runtime error" in err:
                bad.append("batch %s/%d: exit %d %s" % (cls, i, p.returncode, err[-2000:]))
                continue
            try:
                doc = json.loads(p.stdout.decode("utf-8"))
            except ValueError as e:
                bad.append("batch %s/%d: output is not JSON: %s" % (cls, i, e))
                continue
            seen = set()
            for f in doc["files"]:
                seen.add(f["file"])
                verdicts[f["verdict"]] += 1
                if f.get("cpu_ms", 0) > slowest[0]:
                    slowest = (f["cpu_ms"], f["file"])
                if f.get("cpu_ms", 0) > cpu_bound:
                    bad.append("%s: %.0f ms CPU (bound %.0f)" % (f["file"], f["cpu_ms"], cpu_bound))
                name = os.path.basename(f["file"])
                if name.startswith(("deep-mime", "parts-")) and not any(
                        h["rule"] == "message.limit" for h in f.get("hits", [])):
                    bad.append("%s: over a limit but not refused with message.limit" % f["file"])
            missing = set(batch) - seen
            if missing:
                bad.append("batch %s/%d: no verdict for %d files, e.g. %s" % (cls, i, len(missing), sorted(missing)[0]))
            if rss > rss_bound and rss > before:
                bad.append("batch %s/%d: peak RSS %d KiB (bound %d)" % (cls, i, rss, rss_bound))
    secs = time.time() - start
    print("hostile: %d messages x 2 classes in %.1f s: %d pass, %d refused, %d per-file errors; "
          "slowest %.0f ms CPU (%s); peak RSS %d MiB (%s)" % (
              len(files), secs, verdicts["pass"], verdicts["refused"], verdicts["error"],
              slowest[0], os.path.basename(slowest[1]), peak // 1024, build))
    for b in bad[:30]:
        print("hostile: FAIL " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
