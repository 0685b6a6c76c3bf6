#!/usr/bin/env python3
"""admodel-fixtures.py BUILD - print the sentences of the project's DOI
fixtures (tests/data/doi, tests/data/realworld/*/doi-*, tests/data/disguise)
as training lines "LABEL<TAB>LANG<TAB>SOURCE<TAB>SENTENCE", read with
`consentctl check --explain` so they are split exactly as the detector
splits them.  Sentences of mails declared compliant (and of violations
other than advertising) are labelled "other"; sentences found only in
advertising fixtures are printed with the label "review" for a person to
label promo or other.  Each sentence is printed once (first source wins);
the source is the fixture set and family, so cross-validation keeps one
template's sentences on one side.  Used once to write
data/admodel/fixtures.tsv, kept for the record; the kinds (purpose, legal,
procedure, greeting, other) that replace "other" there were given later
(data/admodel/SOURCES.md)."""
import glob, os, re, subprocess, sys

build = sys.argv[1] if len(sys.argv) > 1 else "build"
line_re = re.compile(r'^  ([* ]) ([0-9.]+)  (.*?): "(.*)"(  <- .*)?$')


def sentences(path, conf):
    out = subprocess.run([f"{build}/consentctl", "-c", conf, "check",
                          "--class", "doi", "--explain", path],
                         capture_output=True, text=True).stdout
    for l in out.splitlines():
        m = line_re.match(l)
        if m:
            yield re.sub(r"\s+", " ", m.group(4)).strip()


def lang_of(name):
    return "en" if "-en-" in name or "/ghost/" in name else "de"


def source_of(path):
    parts = path.split("/")
    base = os.path.basename(path).split("-")
    if parts[2] == "realworld":
        return "fixture:realworld/" + parts[3]
    return "fixture:%s/%s-%s" % (parts[2], base[0], base[1])


files = []
for f in sorted(glob.glob("tests/data/doi/*.eml")):
    files.append((f, "tests/data/rules.conf"))
for d in sorted(glob.glob("tests/data/realworld/*/")):
    for f in sorted(glob.glob(d + "doi-*.eml")):
        files.append((f, d + "realworld.conf"))
for f in sorted(glob.glob("tests/data/disguise/*.eml")):
    files.append((f, "tests/data/disguise/disguise.conf"))

clean, adv = {}, {}
for f, conf in files:
    is_adv = os.path.basename(f).startswith("adv-")
    for s in sentences(f, conf):
        target = adv if is_adv else clean
        target.setdefault(s, (lang_of(f), source_of(f)))
for s, (lang, src) in clean.items():
    print(f"other\t{lang}\t{src}\t{s}")
for s, (lang, src) in adv.items():
    if s not in clean:
        print(f"review\t{lang}\t{src}\t{s}")
