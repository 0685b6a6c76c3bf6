#!/usr/bin/env python3
"""gen.py OUTDIR [COUNT] - write COUNT (default 10,000) malformed messages
for the hostile-input test: MIME nesting 1,000 deep, 100,000 parts, broken
boundaries, bad base64 and quoted-printable, 1 MB header lines, NUL bytes,
invalid UTF-8, charset lies, deep HTML, zip-bomb-like repeated parts, and
huge and deeply nested <style> sheets, pathological url() and srcset
strings, 10,000+ references in one mail, and random mutations of the
project's fixtures.  Deterministic (fixed seed),
so a failure can be reproduced by file name."""
import glob
import os
import random
import sys

R = random.Random(20261124)
HDR = (b"From: Shop <newsletter@shop.example>\r\nTo: kunde@example.org\r\n"
       b"Subject: hostile\r\nMessage-ID: <h@shop.example>\r\nMIME-Version: 1.0\r\n")


def deep_nesting(depth):
    parts = [HDR]
    for i in range(depth):
        parts.append(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i))
    parts.append(b"Content-Type: text/plain\r\n\r\nbottom\r\n")
    for i in reversed(range(depth)):
        parts.append(b"--b%d--\r\n" % i)
    return b"".join(parts)


def many_parts(n):
    out = [HDR, b'Content-Type: multipart/mixed; boundary="x"\r\n\r\n']
    for i in range(n):
        out.append(b"--x\r\nContent-Type: text/plain\r\n\r\np%d\r\n" % i)
    out.append(b"--x--\r\n")
    return b"".join(out)


def broken_boundary():
    b = R.choice([b"", b"x", b"--", b"a" * R.randint(70, 8000), b'"unterminated'])
    body = R.choice([b"--other\r\nContent-Type: text/html\r\n\r\n<a href='http://x'>y</a>\r\n",
                     b"--" + b + b"\r\n\r\nno headers\r\n",
                     b"--" + b + b"\r\nContent-Type: multipart/alternative; boundary=" + b + b"\r\n\r\n"])
    return HDR + b"Content-Type: multipart/mixed; boundary=" + b + b"\r\n\r\n" + body * R.randint(1, 5)


def bad_encoding():
    enc = R.choice([b"base64", b"quoted-printable", b"x-uuencode", b"8bit", b"b\x00ase64"])
    junk = bytes(R.randrange(256) for _ in range(R.randint(0, 3000)))
    tails = [b"====", b"=\r\n=4", b"=ZZ=XX", b"A", b"QUJD=RA==", junk]
    return (HDR + b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: " + enc +
            b"\r\n\r\n" + R.choice(tails) + junk[:200] + R.choice(tails))


def long_header():
    return (HDR.replace(b"Subject: hostile", b"Subject: " + b"A" * (1024 * 1024)) +
            b"X-Long: " + b"=?utf-8?B?" + b"QUJD" * 30000 + b"?=\r\n\r\nbody\r\n")


def nul_bytes():
    body = bytearray(b"Hello <a href='https://shop.example/\x00x'>\x00</a> Impressum\r\n" * R.randint(1, 50))
    for _ in range(R.randint(1, 20)):
        body[R.randrange(len(body))] = 0
    hdr = HDR if R.random() < 0.5 else HDR.replace(b"Subject: hostile", b"Subject: a\x00b")
    return hdr + b"Content-Type: text/html\r\n\r\n" + bytes(body)


def invalid_utf8():
    junk = bytes(R.choice([0xc0, 0xc1, 0xf5, 0xff, 0xfe, 0x80, 0xbf, 0xed, 0xa0]) for _ in range(R.randint(1, 500)))
    return (HDR.replace(b"Subject: hostile", b"Subject: " + junk[:60]) +
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + junk + b" https://shop.example/\xff\xfe\r\n")


def charset_lie():
    cs = R.choice([b"utf-8", b"iso-2022-jp", b"utf-16", b"x-unknown", b"shift_jis", b"utf-7", b"\"", b"ebcdic"])
    text = R.choice(["Gr\u00fc\u00dfe \u20ac Impressum", "\u65e5\u672c\u8a9e", "\U0001F600 Rabatt"])
    enc = R.choice(["latin-1", "utf-16", "utf-8", "cp1252"])
    data = text.encode(enc, errors="replace")
    return HDR + b"Content-Type: text/html; charset=" + cs + b"\r\n\r\n<p>" + data + b"</p>\r\n"


def deep_html(depth):
    return (HDR + b"Content-Type: text/html\r\n\r\n" + b"<div>" * depth +
            b"<a href='https://x.example/'>x</a>" + b"</div>" * (depth // 2))


def zip_bomb():
    blob = b"QUFBQUFB" * 8000 + b"\r\n"
    out = [HDR, b'Content-Type: multipart/mixed; boundary="z"\r\n\r\n']
    for _ in range(R.randint(200, 400)):
        out.append(b"--z\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n" + blob)
    out.append(b"--z--\r\n")
    return b"".join(out)


def html_msg(body):
    return HDR + b"Content-Type: text/html; charset=utf-8\r\n\r\n" + body


def huge_style():
    kind = R.randrange(6)
    if kind == 0:    # many rules, each hiding a class used everywhere
        css = b"".join(b".c%d{display:none}" % i for i in range(60000))
        body = b"".join(b'<p class="c1 c2 c3 c%d">x</p>' % i for i in range(20000))
    elif kind == 1:  # deeply nested braces and at-rules
        css = b"@media x{" * 50000 + b".a{display:none}" + b"}" * 20000
        body = b'<p class="a">x</p>' * 1000
    elif kind == 2:  # unterminated comments, strings and url(
        css = R.choice([b"/*", b"'", b'"', b"url(", b"url('"]) * 200000
        body = b"<p>x</p>"
    elif kind == 3:  # generated content on every element
        css = b"p::before{content:'" + b"A" * 900 + b"'}p::after{content:'\\41 \\42'}"
        body = b"<p>x</p>" * 50000
    elif kind == 4:  # one rule, thousands of classes on each element
        css = b".z{visibility:hidden}" * 2000
        body = (b'<p class="' + b"z " * 5000 + b'">x</p>') * 50
    else:            # a 1 MB declaration block matched by every element
        css = b"div{" + b"opacity:0;" * 100000 + b"}"
        body = b"<div>x</div>" * 30000
    return html_msg(b"<html><head><style>" + css + b"</style></head><body>" + body + b"</body></html>")


def pathological_refs():
    kind = R.randrange(5)
    if kind == 0:    # url(url(url(... and unterminated url() in a style attribute
        body = b'<div style="background:' + b"url(" * 100000 + b'">x</div>'
    elif kind == 1:  # a srcset with 100,000 candidates, commas without spaces
        body = b'<img src="a.png" srcset="' + b",".join(b"https://i.example/%d.png %dw" % (i, i) for i in range(50000)) + b'">'
    elif kind == 2:  # srcset of commas and spaces only
        body = b'<img srcset="' + b" , ,," * 200000 + b'">'
    elif kind == 3:  # 12,000 references of every kind, relative to a base
        refs = [b'<base href="https://b.example/x/">']
        for i in range(2000):
            refs.append(b'<a href="l%d">a</a><img src="i%d.png" srcset="s%d.png 2x">'
                        b'<td background="b%d.png"></td><form action="f%d"></form>'
                        b'<div style="background:url(u%d.png)">y</div>' % ((i,) * 6))
        body = b"".join(refs)
    else:            # bidi overrides and bdo nested deeply
        body = b"<bdo dir=rtl>" * 400 + "\u202e".encode() * 50000 + b"abc" * 10000
    return html_msg(body)


def mutate(seeds):
    data = bytearray(R.choice(seeds))
    for _ in range(R.randint(1, 40)):
        op = R.randrange(4)
        if not data:
            break
        i = R.randrange(len(data))
        if op == 0:
            data[i] = R.randrange(256)
        elif op == 1:
            del data[i:i + R.randint(1, 200)]
        elif op == 2:
            data[i:i] = R.choice([b"--", b"\r\n\r\n", b"<div>" * 50, b"=?utf-8?q?=FF?=", b"\x00", b"boundary="])
        else:
            data = data[:i]
    return bytes(data)


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    os.makedirs(out, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    seeds = [open(f, "rb").read() for f in sorted(glob.glob(os.path.join(here, "..", "data", "*", "*.eml")))]
    plan = [("deep-mime", 40, lambda: deep_nesting(1000)),
            ("deep-mime-2000", 5, lambda: deep_nesting(2000)),
            ("parts-100000", 2, lambda: many_parts(100000)),
            ("long-header", 3, long_header),
            ("zip-bomb", 3, zip_bomb),
            ("deep-html", 30, lambda: deep_html(R.choice([5000, 20000, 50000]))),
            ("css", 30, huge_style),
            ("refs", 30, pathological_refs),
            ("boundary", 1500, broken_boundary),
            ("encoding", 1500, bad_encoding),
            ("nul", 1000, nul_bytes),
            ("utf8", 1000, invalid_utf8),
            ("charset", 1000, charset_lie)]
    fixed = sum(n for _, n, _ in plan)
    scale = min(1.0, count / 10000.0)
    n = 0
    for name, k, fn in plan:
        for i in range(max(1, int(k * scale))):
            with open(os.path.join(out, "%s-%05d.eml" % (name, i)), "wb") as f:
                f.write(fn())
            n += 1
    for i in range(max(0, count - n)):
        with open(os.path.join(out, "mutant-%05d.eml" % i), "wb") as f:
            f.write(mutate(seeds))
        n += 1
    print("gen: %d messages in %s (%d mutants of %d fixtures)" % (n, out, n - fixed if n > fixed else 0, len(seeds)))


if __name__ == "__main__":
    main()
