/*
 * urls.c - rules url.insecure and url.address-leak for DOI and marketing
 * mail.
 *
 * url.insecure: an http:// link or image travels and tracks in clear text
 * (Art. 32(1)(a) GDPR).  url.address-leak: a recipient's e-mail address in
 * a URL ends up in web server logs, referrers and analytics; a uid must be
 * used instead.  The address is searched for in every link, image source
 * and List-Unsubscribe URI: as written, percent-decoded (once and twice)
 * and case-insensitively.  mailto: URIs are exempt: they reach only the
 * sender, who knows the address.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "../../common/buf.h"
#include "util.h"

int
pol_rule_insecure(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	char where[160];
	size_t i;

	for (i = 0; i < m->nlinks; i++) {
		if (!pol_url_scheme_is(m->links[i].url, "http://"))
			continue;
		pol_where_part(m, m->links[i].part, m->links[i].line, where,
			       sizeof(where));
		return pol_verdict_add(v, POL_RULE_URL_INSECURE, -1, where,
				       "insecure link %.200s", m->links[i].url);
	}
	for (i = 0; i < m->nimages; i++) {
		if (!pol_url_scheme_is(m->images[i].src, "http://"))
			continue;
		pol_where_part(m, m->images[i].part, 0, where, sizeof(where));
		return pol_verdict_add(v, POL_RULE_URL_INSECURE, -1, where,
				       "insecure image %.200s", m->images[i].src);
	}
	return 0;
}

static int
pol_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decode and lower-case s into b. */
static int
pol_decode_lower(const char *s, struct buf *b)
{
	int h, l;

	buf_reset(b);
	for (; *s; s++) {
		if (*s == '%' && (h = pol_hexval((unsigned char)s[1])) >= 0 &&
		    (l = pol_hexval((unsigned char)s[2])) >= 0) {
			if (buf_putc(b, (char)tolower(h * 16 + l)) < 0)
				return -1;
			s += 2;
		} else if (buf_putc(b, (char)tolower((unsigned char)*s)) < 0) {
			return -1;
		}
	}
	return 0;
}

/* Index of the first recipient whose address is in url, or -1; -2 on
 * memory failure. */
static int
pol_url_leaks(const struct pol_ctx *x, const char *url)
{
	struct buf once = BUF_INIT, twice = BUF_INIT;
	size_t i;
	int found = -1;

	/* A mailto: link is a mail to the sender, not a web request: it ends
	 * up in no server log or referrer. */
	if (pol_url_scheme_is(url, "mailto:"))
		return -1;
	if (pol_decode_lower(url, &once) < 0 ||
	    pol_decode_lower(once.data ? once.data : "", &twice) < 0) {
		found = -2;
		goto out;
	}
	for (i = 0; i < x->env->nrcpts && found == -1; i++) {
		const char *a = x->env->rcpts[i].addr;

		if (a == NULL || strchr(a, '@') == NULL)
			continue;
		if ((once.data && strstr(once.data, a)) ||
		    (twice.data && strstr(twice.data, a)))
			found = (int)i;
	}
out:
	buf_free(&once);
	buf_free(&twice);
	return found;
}

struct pol_leak_arg {
	const struct pol_ctx *x;
	int rcpt;
	char uri[256];
};

static int
pol_leak_header_cb(const char *uri, void *arg)
{
	struct pol_leak_arg *a = arg;

	/* A mailto: unsubscribe address naming the list is not a leak of the
	 * recipient unless the recipient's address is inside it. */
	a->rcpt = pol_url_leaks(a->x, uri);
	if (a->rcpt != -1) {
		snprintf(a->uri, sizeof(a->uri), "%s", uri);
		return 1;
	}
	return 0;
}

static int
pol_leak_hit(struct pol_verdict *v, int rcpt, const char *where,
	     const char *url)
{
	if (rcpt == -2)
		return -1;
	return pol_verdict_add(v, POL_RULE_URL_ADDRESS_LEAK, rcpt, where,
			       "the recipient's address appears in %.200s", url);
}

int
pol_rule_address_leak(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	struct pol_leak_arg a = {x, -1, ""};
	char where[160];
	const char *lu;
	size_t i;
	int r;

	for (i = 0; i < m->nlinks; i++) {
		if ((r = pol_url_leaks(x, m->links[i].url)) == -1)
			continue;
		pol_where_part(m, m->links[i].part, m->links[i].line, where,
			       sizeof(where));
		return pol_leak_hit(v, r, where, m->links[i].url);
	}
	for (i = 0; i < m->nimages; i++) {
		if ((r = pol_url_leaks(x, m->images[i].src)) == -1)
			continue;
		pol_where_part(m, m->images[i].part, 0, where, sizeof(where));
		return pol_leak_hit(v, r, where, m->images[i].src);
	}
	lu = pol_message_header(m, "List-Unsubscribe");
	if (lu && pol_header_uris(lu, pol_leak_header_cb, &a) && a.rcpt != -1)
		return pol_leak_hit(v, a.rcpt, "header List-Unsubscribe", a.uri);
	return 0;
}
