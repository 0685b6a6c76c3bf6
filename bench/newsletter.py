#!/usr/bin/env python3
"""newsletter.py - write the benchmark newsletter for bench/run.sh.

    newsletter.py OUT.eml RECIPIENT [TARGET_BYTES]

A multipart/alternative marketing mail (text/plain + text/html, both
quoted-printable UTF-8) that passes every consentgate rule with
tests/data/rules.conf: sender newsletter@shop.example, one To, List-Unsubscribe
with an https URI (and a mailto) plus List-Unsubscribe-Post one-click, a
visible unsubscribe link, the privacy link https://shop.example/datenschutz
and both imprint texts in each part, https links and images on shop.example
only, no tracking domains, no recipient address in any URL.  Products are
repeated until the file is about TARGET_BYTES (default 40000) long.  LF line
ends (smtp-source -F appends CRLF to each line).
"""
import sys
from email.charset import Charset, QP
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email import policy

out, rcpt = sys.argv[1], sys.argv[2]
target = int(sys.argv[3]) if len(sys.argv) > 3 else 40000

UNSUB = "https://shop.example/unsub?u=nl7731"
PRIVACY = "https://shop.example/datenschutz"
IMPRINT1 = "Beispiel Shop GmbH"
IMPRINT2 = "Musterstraße 1, 10115 Berlin"

PRODUCTS = [
    ("Leinen-Tischdecke „Sommerwiese“", "tischdecke-sommerwiese", "39,90 €",
     "Vorgewaschenes Leinen aus Litauen, 140 × 240 cm, in vier Frühlingsfarben. "
     "Das Gewebe wird mit jeder Wäsche weicher und bleibt dabei formstabil."),
    ("Emaille-Kaffeekanne 1,2 l", "emaille-kaffeekanne", "24,95 €",
     "Handgefertigt in Polen, für alle Herdarten geeignet. Neu in Salbeigrün, "
     "mit Deckel aus Buchenholz und hitzefestem Griff."),
    ("Kräutertopf-Set aus Terrakotta", "kraeutertopf-set", "19,90 €",
     "Drei Töpfe mit Untersetzern, frostfest, ideal für Basilikum, Thymian und "
     "Minze. Die Oberfläche ist unglasiert und atmungsaktiv."),
    ("Gartenschere „Profi“", "gartenschere-profi", "29,00 €",
     "Geschmiedeter Stahl, ergonomische Griffe, Ersatzklinge erhältlich. Für "
     "Äste bis 20 mm Durchmesser und täglichen Einsatz."),
    ("Picknickdecke aus Wolle", "picknickdecke-wolle", "59,00 €",
     "Wasserabweisende Unterseite, Tragegriff aus Leder, 150 × 200 cm. Gewebt "
     "in einer kleinen Manufaktur im Allgäu."),
]


def plain_product(i, name, slug, price, text):
    return (f"{name}\n{'-' * len(name)}\n{text}\n{price}\n"
            f"Zum Produkt: https://shop.example/produkte/{slug}?v={i}\n\n")


def html_product(i, name, slug, price, text):
    return f"""<tr>
<td style="padding:16px 24px;border-bottom:1px solid #e5e0d8;font-family:Georgia,serif;">
<img src="https://shop.example/bilder/{slug}-{i}.jpg" width="552" height="320" alt="{name}" style="display:block;width:100%;max-width:552px;height:auto;border:0;">
<h2 style="font-size:20px;line-height:26px;color:#2f4f3a;margin:16px 0 8px 0;">{name}</h2>
<p style="font-size:15px;line-height:22px;color:#333333;margin:0 0 8px 0;">{text}</p>
<p style="font-size:17px;font-weight:bold;color:#2f4f3a;margin:0 0 12px 0;">{price}</p>
<a href="https://shop.example/produkte/{slug}?v={i}" style="display:inline-block;background:#2f4f3a;color:#ffffff;text-decoration:none;padding:10px 18px;border-radius:4px;font-family:Arial,sans-serif;font-size:14px;">Zum Produkt</a>
</td>
</tr>
"""


PLAIN_HEAD = """Der Frühling ist da!
====================

Hallo,

endlich wird es draußen wieder grün. Passend dazu haben wir unser Sortiment
aufgefrischt: leichte Leinenstoffe für den Tisch, Emaille in Pastelltönen und
alles, was Ihre Kräuter auf dem Balkon brauchen. Bis zum 31. März erhalten Sie
20 % Rabatt auf unser gesamtes Gartenzubehör.

"""
PLAIN_FOOT = f"""Viel Freude beim Stöbern wünscht Ihnen
Ihr Team von Beispiel Shop

-- 
Sie erhalten diesen Newsletter, weil Sie sich auf shop.example dafür
angemeldet haben.
Newsletter abbestellen: {UNSUB}
Datenschutz: {PRIVACY}
{IMPRINT1} · {IMPRINT2}
Geschäftsführer: Max Mustermann · Amtsgericht Charlottenburg, HRB 123456 B
USt-IdNr.: DE123456789
"""
HTML_HEAD = """<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Frühlingsneuheiten bei Beispiel Shop</title>
</head>
<body style="margin:0;padding:0;background:#f4f1ec;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f4f1ec;">
<tr><td align="center">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="background:#ffffff;max-width:600px;">
<tr><td style="padding:24px;font-family:Georgia,serif;">
<a href="https://shop.example/"><img src="https://shop.example/bilder/logo.png" width="180" height="48" alt="Beispiel Shop" style="display:block;border:0;"></a>
<h1 style="font-size:28px;line-height:34px;color:#2f4f3a;">Der Frühling ist da!</h1>
<p style="font-size:15px;line-height:22px;color:#333333;">Hallo,<br>endlich wird es draußen wieder grün. Passend dazu haben wir unser Sortiment aufgefrischt: leichte Leinenstoffe für den Tisch, Emaille in Pastelltönen und alles, was Ihre Kräuter auf dem Balkon brauchen. Bis zum 31. März erhalten Sie 20&nbsp;% Rabatt auf unser gesamtes Gartenzubehör.</p>
</td></tr>
"""
HTML_FOOT = f"""<tr><td style="padding:24px;font-family:Arial,sans-serif;font-size:12px;line-height:18px;color:#666666;">
<p>Sie erhalten diesen Newsletter, weil Sie sich auf shop.example dafür angemeldet haben.</p>
<p><a href="{UNSUB}" style="color:#2f4f3a;">Newsletter abbestellen</a> · <a href="{PRIVACY}" style="color:#2f4f3a;">Datenschutz</a></p>
<p>{IMPRINT1} · {IMPRINT2}<br>Geschäftsführer: Max Mustermann · Amtsgericht Charlottenburg, HRB 123456 B<br>USt-IdNr.: DE123456789</p>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
"""


def build(nrep):
    plain = PLAIN_HEAD
    html = HTML_HEAD
    for i in range(nrep):
        p = PRODUCTS[i % len(PRODUCTS)]
        plain += plain_product(i, *p)
        html += html_product(i, *p)
    plain += PLAIN_FOOT
    html += HTML_FOOT
    cs = Charset("utf-8")
    cs.body_encoding = QP
    msg = MIMEMultipart("alternative", boundary="=_alt_bench_6b8e327af8d1")
    for text, sub in ((plain, "plain"), (html, "html")):
        part = MIMENonMultipart("text", sub)
        part.set_payload(text, cs)  # adds CTE quoted-printable and encodes
        del part["MIME-Version"]
        msg.attach(part)
    hdrs = [
        ("Date", "Tue, 25 Mar 2025 15:54:11 +0100"),
        ("From", "Beispiel Shop Newsletter <newsletter@shop.example>"),
        ("To", f"<{rcpt}>"),
        ("Subject", "=?utf-8?q?Fr=C3=BChlingsneuheiten=3A_Leinen=2C_Emaille_und_Kr=C3=A4uter?="),
        ("Message-ID", "<20250325155411.bench@mailer.shop.example>"),
        ("Reply-To", "Beispiel Shop Service <service@shop.example>"),
        ("Precedence", "bulk"),
        ("List-Unsubscribe", f"<{UNSUB}>, <mailto:unsubscribe@shop.example?subject=nl7731>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
    ]
    # MIMEMultipart already set MIME-Version and Content-Type; put ours first.
    ctype = msg["Content-Type"]
    del msg["Content-Type"]
    del msg["MIME-Version"]
    for k, v in hdrs:
        msg[k] = v
    msg["MIME-Version"] = "1.0"
    msg["Content-Type"] = ctype
    return msg.as_bytes(policy=policy.SMTP.clone(linesep="\n", max_line_length=78))


n = 1
data = build(n)
while len(data) < target:
    n += 1
    data = build(n)
with open(out, "wb") as f:
    f.write(data)
print(f"{out}: {len(data)} bytes, {n} products")
