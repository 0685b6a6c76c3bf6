/*
 * unsub_dkim.c - rule unsubscribe.dkim: a DKIM signature on marketing mail
 * must cover the one-click unsubscribe headers.
 *
 * RFC 8058 section 4: the List-Unsubscribe and List-Unsubscribe-Post
 * header fields must be covered by the DKIM signature, or anyone who
 * relays the mail could change where the one-click POST goes while the
 * signature still verifies.  Where the gate runs before the signer (the
 * documented order), the mail reaching it is unsigned and the signer's
 * SignHeaders line decides (README, "One-click and DKIM").  Where the mail
 * arrives signed already (a sending tool or an upstream MTA signed it),
 * every DKIM-Signature header whose h= tag (RFC 6376 section 3.5: a
 * colon-separated list, folding white space allowed, names compared
 * without regard to case) misses either field is a hit naming its d=
 * domain and what it misses.  The signature is read, not verified: a
 * signature that does not name the fields cannot cover them either way.
 * Owns nothing beyond a call; -1 only when memory ran out.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define POL_DKIM_TAG_MAX 1024

/* The value of tag name in a DKIM-Signature value, white space removed,
 * into out ("" when absent or too long).  1 found, 0 not. */
static int
pol_dkim_tag(const char *sig, const char *name, char *out, size_t outsz)
{
	const char *p = sig, *e;
	size_t nl = strlen(name), n;

	out[0] = '\0';
	while (*p) {
		p += strspn(p, " \t\r\n;");
		e = p + strcspn(p, ";");
		if ((size_t)(e - p) > nl && strncasecmp(p, name, nl) == 0 &&
		    p[nl + strspn(p + nl, " \t\r\n")] == '=') {
			p += nl + strspn(p + nl, " \t\r\n") + 1;
			for (n = 0; p < e && n + 1 < outsz; p++)
				if (!strchr(" \t\r\n", *p))
					out[n++] = *p;
			out[n] = '\0';
			return p == e;
		}
		p = e;
	}
	return 0;
}

/* Does the colon-separated list h name field (case-insensitive)? */
static int
pol_dkim_h_has(const char *h, const char *field)
{
	size_t fl = strlen(field), n;

	while (*h) {
		n = strcspn(h, ":");
		if (n == fl && strncasecmp(h, field, fl) == 0)
			return 1;
		h += n;
		if (*h == ':')
			h++;
	}
	return 0;
}

static int
unsubscribe_dkim_check(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	char h[POL_DKIM_TAG_MAX], d[256];
	size_t i;
	int lu, lup;

	for (i = 0; i < m->nheaders; i++) {
		if (strcasecmp(m->headers[i].name, "DKIM-Signature") != 0)
			continue;
		pol_dkim_tag(m->headers[i].value, "h", h, sizeof(h));
		if (!pol_dkim_tag(m->headers[i].value, "d", d, sizeof(d)) ||
		    d[0] == '\0')
			snprintf(d, sizeof(d), "?");
		lu = pol_dkim_h_has(h, "List-Unsubscribe");
		lup = pol_dkim_h_has(h, "List-Unsubscribe-Post");
		if (lu && lup)
			continue;
		if (pol_rule_hits(v, POL_RULE_UNSUBSCRIBE_DKIM) >= POL_RULE_MAX_HITS)
			break;
		if (pol_verdict_add(v, POL_RULE_UNSUBSCRIBE_DKIM, -1,
				    "header DKIM-Signature",
				    "the signature of d=%s does not cover %s "
				    "(h=%.200s); RFC 8058 requires both "
				    "List-Unsubscribe and List-Unsubscribe-Post",
				    d,
				    !lu && !lup ? "List-Unsubscribe and "
						  "List-Unsubscribe-Post"
				    : !lu	? "List-Unsubscribe"
						: "List-Unsubscribe-Post",
				    h[0] ? h : "missing") < 0)
			return -1;
	}
	return 0;
}

const struct pol_rule_def pol_rule_unsubscribe_dkim = {
	.info = {"unsubscribe.dkim",
		  "Marketing mail's DKIM signature does not cover List-Unsubscribe "
		  "and List-Unsubscribe-Post",
		  POL_ACTION_REJECT, 0},
	.classes = POL_ON_MARKETING,
	.fn = unsubscribe_dkim_check,
};
