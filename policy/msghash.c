/*
 * msghash.c - the content hash of a message: SHA-256 (lower-case hex) of
 * its bytes without the trace header fields an MTA adds or changes when
 * the same mail is handed over again (Received, Return-Path) and without
 * consentgate's own X-Consent-Gate.  The doi.resend rule and the milter's
 * DOI-send record compare it to tell a retry of the same DOI mail (the
 * sender's MTA trying again after a 4xx, with a new queue id and possibly
 * a new Received line) from a second DOI mail.
 *
 * The rest of the header section (with folding exactly as given) and the
 * body are hashed byte for byte, so any change of wording, link or
 * Message-ID makes another hash.  Owns nothing; pure computation, never
 * logs, no I/O.  pol_message_sha256 computes it for a parsed message on
 * first use and keeps it there.  A checksum that cannot be allocated leaves "" (which
 * never matches a stored hash).
 */
#include "message.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Header fields the hash leaves out (compared case-insensitively). */
static const char *const pol_trace_fields[] = {"Received", "Return-Path",
					       "X-Consent-Gate"};

/* Is the field starting at p (up to end) one the hash leaves out? */
static int
pol_msghash_skip(const char *p, const char *end)
{
	const char *colon = memchr(p, ':', (size_t)(end - p));
	size_t n, i;

	if (colon == NULL)
		return 0;
	n = (size_t)(colon - p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	for (i = 0; i < sizeof(pol_trace_fields) / sizeof(pol_trace_fields[0]);
	     i++)
		if (strlen(pol_trace_fields[i]) == n &&
		    strncasecmp(p, pol_trace_fields[i], n) == 0)
			return 1;
	return 0;
}

/* End of the line at p (after its '\n'), or end. */
static const char *
pol_msghash_eol(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl + 1 : end;
}

void
pol_message_content_hash(const char *data, size_t len,
			 char out[POL_HASH_HEX])
{
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	const char *p = data ? data : "", *end, *field, *next;

	out[0] = '\0';
	if (ck == NULL)
		return;
	end = p + (data ? len : 0);
	/* Header fields: one line plus its continuation lines each. */
	while (p < end && *p != '\n' && !(*p == '\r' && p + 1 < end &&
					   p[1] == '\n')) {
		field = p;
		next = pol_msghash_eol(p, end);
		while (next < end && (*next == ' ' || *next == '\t'))
			next = pol_msghash_eol(next, end);
		if (!pol_msghash_skip(field, next))
			g_checksum_update(ck, (const guchar *)field,
					  (gssize)(next - field));
		p = next;
	}
	/* The empty line and the body. */
	g_checksum_update(ck, (const guchar *)p, (gssize)(end - p));
	snprintf(out, POL_HASH_HEX, "%s", g_checksum_get_string(ck));
	g_checksum_free(ck);
}

const char *
pol_message_sha256(const struct pol_message *m)
{
	/* m is one thread's and was allocated writable: the cache may be
	 * filled through it. */
	struct pol_message *w = (struct pol_message *)m;

	if (!w->content_hashed) {
		pol_message_content_hash(w->raw, w->raw_len, w->content_sha256);
		w->content_hashed = w->content_sha256[0] != '\0';
	}
	return w->content_sha256;
}
