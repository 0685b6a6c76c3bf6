/*
 * url_insecure.c - rule url.insecure for DOI and marketing mail: an
 * http:// reference (link, image, or any other URL the reader's client
 * follows or loads) travels and tracks in clear text (Art. 32(1)(a) GDPR),
 * and so does an https link that carries an http:// URL in its path or a
 * parameter, in any encoding urlscan.c reads (a redirect leads on to it).
 *
 * Reports every reference at fault, up to POL_RULE_MAX_HITS.  Owns nothing
 * beyond a call; returns -1 only when memory ran out.
 */
#include <stdio.h>

#include "urlscan.h"
#include "util.h"

static int
pol_insecure_hit(struct pol_verdict *v, const struct pol_message *m,
		 size_t part, unsigned line, const char *kind, const char *url)
{
	char where[160];

	if (!pol_url_scheme_is(url, "http://") ||
	    pol_rule_hits(v, POL_RULE_URL_INSECURE) >= POL_RULE_MAX_HITS)
		return 0;
	pol_where_part(m, part, line, where, sizeof(where));
	return pol_verdict_add(v, POL_RULE_URL_INSECURE, -1, where,
			       "insecure %s %.200s", kind, url);
}

static int
url_insecure_check(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	size_t i;

	for (i = 0; i < m->nlinks; i++) {
		char inner[2048];
		struct pol_scan tmp;
		const struct pol_scan *s;
		int rc;

		if (pol_insecure_hit(v, m, m->links[i].part, m->links[i].line,
				     "link", m->links[i].url) < 0)
			return -1;
		if (pol_url_scheme_is(m->links[i].url, "http://"))
			continue;
		/* The scan url.address-leak and tracking read too (memo). */
		if ((s = pol_scan_url_x(x, m->links[i].url, &tmp)) == NULL)
			return -1;
		rc = pol_scan_inner_http(s, inner, sizeof(inner)) &&
		     pol_insecure_hit(v, m, m->links[i].part, m->links[i].line,
				      "redirect target", inner) < 0;
		pol_scan_done(s, &tmp);
		if (rc)
			return -1;
	}
	for (i = 0; i < m->nimages; i++)
		if (pol_insecure_hit(v, m, m->images[i].part, 0, "image",
				     m->images[i].src) < 0)
			return -1;
	return 0;
}

const struct pol_rule_def pol_rule_url_insecure = {
	.info = {"url.insecure",
		  "Mail contains an insecure http:// link or image",
		  POL_ACTION_REJECT, 0},
	.classes = POL_ON_DOI | POL_ON_MARKETING,
	.fn = url_insecure_check,
};

