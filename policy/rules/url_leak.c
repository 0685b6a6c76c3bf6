/*
 * url_leak.c - rule url.address-leak for DOI and marketing mail: a
 * recipient's e-mail address in a URL ends up in web server logs,
 * referrers and analytics; a uid must be used instead.
 *
 * Every link, image and List-Unsubscribe URI is read by urlscan.c: each
 * component decoded until nothing changes (percent, HTML entities, JSON,
 * base64, base64url, hex), and the address found whole, with a +tag, or
 * split over two parameters.  mailto: URIs are exempt: they reach only the
 * sender, who knows the address.  Reports every reference at fault, up to
 * POL_RULE_MAX_HITS.  Owns nothing beyond a call; returns -1 only when
 * memory ran out.
 */
#include <stdio.h>
#include <string.h>

#include "../../common/url.h"
#include "urlscan.h"
#include "util.h"

/* Index of the first recipient whose address is in url, -1 none, -2 on
 * memory failure. */
static int
pol_url_leaks(const struct pol_ctx *x, const char *url)
{
	const struct pol_settings *ps = x->ps;
	struct pol_scan tmp;
	const struct pol_scan *s;
	char host[POL_HOST_MAX];
	size_t i;
	int found = -1, hashes;

	/* A mailto: link is a mail to the sender, not a web request: it ends
	 * up in no server log or referrer. */
	if (pol_url_scheme_is(url, "mailto:"))
		return -1;
	if ((s = pol_scan_url_x(x, url, &tmp)) == NULL)
		return -2;
	if (pol_url_host_x(x, url, host, sizeof(host)) < 0)
		host[0] = '\0';
	/* A hash of the address on the sender's own DOI confirmation or
	 * decline link is the identifier of its own procedure, as a uid is
	 * (Shopware 6 ships em=<SHA-1 of the address> there); anywhere else
	 * it names the person to whoever holds a list of addresses. */
	hashes = !((ps->confirm_url && ps->confirm_url[0] &&
		    pol_url_has_prefix(url, ps->confirm_url)) ||
		   (ps->doi_cancel_url && ps->doi_cancel_url[0] &&
		    pol_url_has_prefix(url, ps->doi_cancel_url)));
	for (i = 0; i < x->env->nrcpts && found == -1; i++) {
		const char *a = x->env->rcpts[i].addr;

		if (a != NULL && strchr(a, '@') != NULL &&
		    pol_scan_has_address(s, a, host[0] ? host : NULL, hashes))
			found = (int)i;
	}
	pol_scan_done(s, &tmp);
	return found;
}

/* where NULL: the place is part (at line, 0 none), written only for a
 * hit. */
static int
pol_leak_check(const struct pol_ctx *x, struct pol_verdict *v,
	       const char *where, size_t part, unsigned line, const char *url)
{
	char buf[160];
	int r;

	if (pol_rule_hits(v, POL_RULE_URL_ADDRESS_LEAK) >= POL_RULE_MAX_HITS)
		return 0;
	if ((r = pol_url_leaks(x, url)) == -1)
		return 0;
	if (r == -2)
		return -1;
	if (where == NULL) {
		pol_where_part(x->msg, part, line, buf, sizeof(buf));
		where = buf;
	}
	return pol_verdict_add(v, POL_RULE_URL_ADDRESS_LEAK, r, where,
			       "the recipient's address appears in %.200s", url);
}

struct pol_leak_arg {
	const struct pol_ctx *x;
	struct pol_verdict *v;
	int rc;
};

static int
pol_leak_header_cb(const char *uri, void *arg)
{
	struct pol_leak_arg *a = arg;

	if (pol_leak_check(a->x, a->v, "header List-Unsubscribe", 0, 0, uri) < 0) {
		a->rc = -1;
		return 1;
	}
	return 0;
}

static int
url_address_leak_check(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	struct pol_leak_arg a = {x, v, 0};
	const char *lu;
	size_t i;

	for (i = 0; i < m->nlinks; i++)
		if (pol_leak_check(x, v, NULL, m->links[i].part, m->links[i].line,
				   m->links[i].url) < 0)
			return -1;
	for (i = 0; i < m->nimages; i++)
		if (pol_leak_check(x, v, NULL, m->images[i].part, 0,
				   m->images[i].src) < 0)
			return -1;
	lu = pol_header_value_raw(m, "List-Unsubscribe");
	if (lu)
		pol_header_uris(lu, pol_leak_header_cb, &a);
	return a.rc;
}

const struct pol_rule_def pol_rule_url_address_leak = {
	.info = {"url.address-leak",
		  "A URL in the mail contains a recipient's address",
		  POL_ACTION_REJECT, 0},
	.classes = POL_ON_DOI | POL_ON_MARKETING,
	.fn = url_address_leak_check,
};
