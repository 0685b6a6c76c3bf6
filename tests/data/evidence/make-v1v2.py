#!/usr/bin/env python3
# make-v1v2.py - write v1v2.chain: a hash chain of evidence records in the
# formats of record versions 1 and 2 (db/evrec.h) exactly as the writers
# of that time stored them, with the evpii entries of the version 2
# records and the store secret they were hashed with.  The unit test
# test_evversions loads it into a fresh store, appends version 3 records
# and verifies the whole chain.  Run from the repository root:
#   python3 tests/data/evidence/make-v1v2.py > tests/data/evidence/v1v2.chain
import hashlib
import hmac

KEY = bytes(range(32))  # a fixture secret, never a real one


def js(s):
    """A JSON string as common/json.c writes it (ASCII text here)."""
    out = '"'
    for c in s:
        if c in '"\\':
            out += '\\' + c
        elif c == '\n':
            out += '\\n'
        elif ord(c) < 0x20:
            out += '\\u%04x' % ord(c)
        else:
            out += c
    return out + '"'


def h(text):
    if text == '':
        return ''
    return hmac.new(KEY, text.encode(), hashlib.sha256).hexdigest()


def v1(seq, prev, t, ref, kind, sender, rcpts, ip, tls, cls, rules, action):
    return ('{"seq":%d,"prev":%s,"time":%s,"ref":%s,"kind":%s,"queue_id":%s,'
            '"message_id":%s,"sender":%s,"recipients":%s,"client_ip":%s,'
            '"tls":%s,"class":%s,"rules":%s,"action":%s,"sha256":""}' %
            (seq, js(prev), js(t), js(ref), js(kind), js('Q%d' % seq),
             js('<m%d@shop.example>' % seq), js(sender), js(rcpts), js(ip),
             'true' if tls else 'false', js(cls), js(rules), js(action)))


def v2(seq, prev, t, ref, kind, sender, rcpts, ip, tls, cls, rules, action):
    rh = ','.join(h(r) for r in rcpts.split(','))
    rec = ('{"seq":%d,"prev":%s,"time":%s,"ref":%s,"kind":%s,"queue_id":%s,'
           '"message_id":%s,"sender_h":%s,"recipients_h":%s,'
           '"client_ip_h":%s,"tls":%s,"class":%s,"rules":%s,"action":%s,'
           '"sha256":""}' %
           (seq, js(prev), js(t), js(ref), js(kind), js('Q%d' % seq),
            js('<m%d@shop.example>' % seq), js(h(sender)), js(rh),
            js(h(ip)), 'true' if tls else 'false', js(cls), js(rules),
            js(action)))
    pii = '{"sender":%s,"recipients":%s,"client_ip":%s}' % (
        js(sender), js(rcpts), js(ip))
    return rec, pii


def main():
    print('# Evidence records of versions 1 and 2 as stored (one hash chain).')
    print('# Written by make-v1v2.py; "key" is the store secret in hex,')
    print('# "record SEQ TEXT" a chained record, "pii SEQ TEXT" its evpii entry.')
    print('key ' + KEY.hex())
    prev = ''
    rows = [
        (v1, '2025-03-01T08:00:00Z', 'old-1', 'decision', 'news@shop.example',
         'alice@a.example', '192.0.2.1', True, 'marketing',
         'consent.missing: no record for alice@a.example @ envelope recipient',
         'reject'),
        (v1, '2025-03-01T09:00:00Z', 'old-2', 'consent', '',
         'bob@b.example', '', False, '', 'by=admin', 'add'),
        (v2, '2025-06-01T08:00:00Z', 'old-3', 'decision', 'news@shop.example',
         'carol@c.example,dave@d.example', '192.0.2.3', True, 'marketing',
         'url.insecure: http://x.example/a; b @ html body; '
         'tracking.no-consent: pixel', 'quarantine'),
        (v2, '2025-06-01T09:00:00Z', 'old-4', 'doi-send', 'optin@shop.example',
         'erin@e.example', '192.0.2.4', True, 'doi', 'uid=u1', 'sent'),
        (v2, '2025-06-02T08:00:00Z', 'old-5', 'decision', 'news@shop.example',
         'frank@f.example', '192.0.2.5', False, 'marketing', '', 'pass'),
    ]
    for seq, row in enumerate(rows, 1):
        made = row[0](seq, prev, *row[1:])
        rec, pii = made if isinstance(made, tuple) else (made, None)
        print('record %d %s' % (seq, rec))
        if pii:
            print('pii %d %s' % (seq, pii))
        prev = hashlib.sha256(rec.encode()).hexdigest()


main()
