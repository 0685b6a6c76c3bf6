/*
 * unsubscribe.c - rules unsubscribe.link, unsubscribe.header and
 * unsubscribe.one-click for marketing mail.
 *
 * Leaving must be as easy as joining (Art. 7(3) GDPR, §7(3) Nr. 4 UWG):
 * a visible link to the unsubscribe endpoint in every text form of the
 * mail (plain and HTML), a List-Unsubscribe header with an https URI
 * (RFC 2369: URIs in angle brackets, comments skipped) and
 * List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058, compared on
 * the raw header value), which the large mailbox providers require of bulk
 * senders since 2024.
 *
 * The endpoint is UnsubscribeURL, else the https List-Unsubscribe URI
 * without its query; when that URI's path is the site's root (the
 * endpoint is chosen by its query, as WordPress plugins do with
 * ?plugin=...&route=unsubscribe), its selector parameters (values without
 * a digit, or of at most three characters: not the recipient's token)
 * must be in the link's query too, or every link to the site would count.
 * A link counts by its target (a redirect is unwrapped)
 * and only when the reader sees it; its wording neither makes nor breaks
 * it, but a link worded as an unsubscribe link that goes elsewhere is
 * named.  List-Unsubscribe must be one field.  Its https URI may be on
 * another host than UnsubscribeURL: mailing services answer the one-click
 * POST on one host and the footer link on another (Mailchimp), and nothing
 * in RFC 8058 or the law ties them together.  Owns nothing beyond a call;
 * returns -1 only out of memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../common/addr.h"
#include "../../common/textnorm.h"
#include "../../common/url.h"
#include "util.h"

/* Words that make a link look like an unsubscribe link. */
static const char *const pol_unsub_words[] = {
	"unsubscribe", "abmelden", "abmeldung", "abbestellen", "austragen",
	"opt-out", "optout", "opt out", "unsub", "desinscri", "d\xc3\xa9sinscri",
	"d\xc3\xa9sabonner", "disiscri", "cancel subscription",
	"newsletter k\xc3\xbcndigen", "remove me", "manage subscription",
};

static int
pol_is_unsub_text(const char *s)
{
	size_t i;
	char *norm;
	int r = 0;

	if (s == NULL || (norm = textnorm_string(s)) == NULL)
		return 0;
	/* The text is normalised once for every word; the words are written
	 * in normal form already (lower case, single spaces, NFC). */
	for (i = 0; i < sizeof(pol_unsub_words) / sizeof(pol_unsub_words[0]) && !r;
	     i++)
		r = strstr(norm, pol_unsub_words[i]) != NULL;
	free(norm);
	return r;
}

#define POL_UNSUB_MAILTO 4

static int pol_link_worded(const struct pol_message *m,
			   const struct pol_link *l);

/* What List-Unsubscribe offers. */
struct pol_unsub {
	char https[2048];    /* the first https URI, "" when none */
	char endpoint[2048]; /* UnsubscribeURL, else https without query */
	char select[512];    /* root endpoint: "&k=v&k=v&" it must carry */
	char mailto[POL_UNSUB_MAILTO][ADDR_MAX + 1];
	size_t nmailto;
};

/* Normalised address of a mailto: URI (before any ?headers) into out. */
static int
pol_mailto_addr(const char *uri, char *out, size_t outsz)
{
	char a[ADDR_MAX + 8];
	size_t n;

	if (!url_scheme_is(uri, "mailto"))
		return -1;
	uri = strchr(uri, ':') + 1;
	n = strcspn(uri, "?");
	if (n >= sizeof(a))
		return -1;
	memcpy(a, uri, n);
	a[n] = '\0';
	return addr_normalise(a, out, outsz) < 0 ? -1 : 0;
}

static int
pol_unsub_header_cb(const char *uri, void *arg)
{
	struct pol_unsub *u = arg;

	if (url_scheme_is(uri, "https") && u->https[0] == '\0' &&
	    strlen(uri) > 8) {
		snprintf(u->https, sizeof(u->https), "%s", uri);
	} else if (u->nmailto < POL_UNSUB_MAILTO &&
		   pol_mailto_addr(uri, u->mailto[u->nmailto],
				   sizeof(u->mailto[0])) == 0) {
		u->nmailto++;
	}
	return 0;
}

static void pol_unsub_selectors(struct pol_unsub *u);

static void
pol_unsub_read(const struct pol_ctx *x, struct pol_unsub *u)
{
	const char *lu = pol_header_value_raw(x->msg, "List-Unsubscribe");

	memset(u, 0, sizeof(*u));
	if (lu)
		pol_header_uris(lu, pol_unsub_header_cb, u);
	if (x->ps->unsubscribe_url && *x->ps->unsubscribe_url)
		snprintf(u->endpoint, sizeof(u->endpoint), "%s",
			 x->ps->unsubscribe_url);
	else if (u->https[0]) {
		snprintf(u->endpoint, sizeof(u->endpoint), "%.*s",
			 (int)strcspn(u->https, "?#"), u->https);
		pol_unsub_selectors(u);
	}
}

/* A query parameter value that selects an action, not a recipient. */
static int
pol_is_selector(const char *v, size_t n)
{
	size_t i;

	if (n <= 3)
		return 1;
	for (i = 0; i < n; i++)
		if (v[i] >= '0' && v[i] <= '9')
			return 0;
	return 1;
}

/* For an https List-Unsubscribe URI on the root path: its selector
 * parameters into u->select as "&k=v&k=v&" (see the top comment). */
static void
pol_unsub_selectors(struct pol_unsub *u)
{
	char path[1024], query[1024], *p, *e, *eq;
	size_t len = 1;

	u->select[0] = '\0';
	if (pol_url_path_query(u->https, path, sizeof(path), query,
			       sizeof(query)) < 0 ||
	    (path[0] && strcmp(path, "/") != 0) || query[0] == '\0')
		return;
	u->select[0] = '&';
	u->select[1] = '\0';
	for (p = query; *p; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "&;");
		eq = memchr(p, '=', (size_t)(e - p));
		if (eq == NULL || !pol_is_selector(eq + 1, (size_t)(e - eq - 1)))
			continue;
		if (len + (size_t)(e - p) + 2 > sizeof(u->select))
			break;
		memcpy(u->select + len, p, (size_t)(e - p));
		len += (size_t)(e - p);
		u->select[len++] = '&';
		u->select[len] = '\0';
	}
	if (len == 1)
		u->select[0] = '\0';
}

/* Does url's query carry every selector of u->select? */
static int
pol_has_selectors(const struct pol_unsub *u, const char *url)
{
	char path[1024], query[1024], q[1030];
	const char *p, *e;

	if (u->select[0] == '\0')
		return 1;
	if (pol_url_path_query(url, path, sizeof(path), query,
			       sizeof(query)) < 0)
		return 0;
	snprintf(q, sizeof(q), "&%s&", query);
	for (p = u->select + 1; *p; p = e + 1) {
		char pair[512];

		e = strchr(p, '&');
		snprintf(pair, sizeof(pair), "&%.*s&", (int)(e - p), p);
		if (strstr(q, pair) == NULL)
			return 0;
	}
	return 1;
}

/* A mailto: to the List-Unsubscribe address or to UnsubscribeAddress (or
 * its local+tag form)? */
static int
pol_is_unsub_mailto(const struct pol_ctx *x, const struct pol_unsub *u,
		    const char *url)
{
	const char *ua = x->ps->unsubscribe_address, *at, *plus;
	char a[ADDR_MAX + 1];
	size_t i;

	if (pol_mailto_addr(url, a, sizeof(a)) < 0)
		return 0;
	for (i = 0; i < u->nmailto; i++)
		if (strcmp(a, u->mailto[i]) == 0)
			return 1;
	if (ua == NULL || *ua == '\0' || (at = strrchr(a, '@')) == NULL)
		return 0;
	if (strcasecmp(a, ua) == 0)
		return 1;
	plus = memchr(a, '+', (size_t)(at - a));
	return plus && strncasecmp(a, ua, (size_t)(plus - a)) == 0 &&
	       ua[plus - a] == '@' && strcasecmp(at, ua + (plus - a)) == 0;
}

/*
 * 1 when the link's target is the unsubscribe endpoint; -1 no memory.
 * Under UnsubscribeURL the target must lie under it.  Without it the
 * endpoint is the https List-Unsubscribe URI without its query, and a link
 * on that URI's host counts too when it is worded as the way out (a
 * preferences page that offers the unsubscribe).
 */
static int
pol_targets_endpoint(const struct pol_ctx *x, const struct pol_unsub *u,
		     const char *url, int worded)
{
	char target[2048], host[POL_HOST_MAX], lu_host[POL_HOST_MAX];

	if (pol_is_unsub_mailto(x, u, url))
		return 1;
	if (u->endpoint[0] == '\0')
		return 0;
	if (pol_url_unwrap_x(x, url, target, sizeof(target)) < 0)
		return -1;
	if ((pol_url_has_prefix_x(x, url, u->endpoint) &&
	     pol_has_selectors(u, url)) ||
	    (pol_url_has_prefix_x(x, target, u->endpoint) &&
	     pol_has_selectors(u, target)))
		return 1;
	if (!worded || (x->ps->unsubscribe_url && *x->ps->unsubscribe_url))
		return 0;
	return url_scheme_is(target, "https") &&
	       pol_url_host_x(x, target, host, sizeof(host)) == 0 &&
	       pol_url_host_x(x, u->https, lu_host, sizeof(lu_host)) == 0 &&
	       strcmp(host, lu_host) == 0;
}

/* Is the link worded as an unsubscribe link (text, URL, plain line)? */
static int
pol_link_worded(const struct pol_message *m, const struct pol_link *l)
{
	char line[512];

	if (pol_is_unsub_text(l->url) || pol_is_unsub_text(l->text))
		return 1;
	if (m->parts[l->part].kind != POL_PART_PLAIN || l->line == 0)
		return 0;
	pol_part_line(&m->parts[l->part], l->line, line, sizeof(line));
	if (pol_is_unsub_text(line))
		return 1;
	if (l->line > 1)
		pol_part_line(&m->parts[l->part], l->line - 1, line,
			      sizeof(line));
	return l->line > 1 && pol_is_unsub_text(line);
}

/* 1 when the parts of this kind have a visible link to the endpoint (or,
 * with no endpoint known at all, one worded as an unsubscribe link). */
static int
pol_kind_has_link(const struct pol_ctx *x, const struct pol_unsub *u,
		  enum pol_part_kind kind)
{
	const struct pol_message *m = x->msg;
	int known = u->endpoint[0] != '\0';
	size_t i;
	int r;

	for (i = 0; i < m->nlinks; i++) {
		const struct pol_link *l = &m->links[i];

		if (l->part >= m->nparts || m->parts[l->part].kind != kind ||
		    m->parts[l->part].attached || l->hidden)
			continue;
		if (!known && pol_link_worded(m, l))
			return 1;
		if ((r = pol_targets_endpoint(x, u, l->url,
					      pol_link_worded(m, l))) != 0)
			return r;
	}
	return 0;
}

/* Name the links of this kind that look like the way out but are not:
 * worded ones going elsewhere, hidden ones to the endpoint. */
static int
pol_name_wrong_links(const struct pol_ctx *x, const struct pol_unsub *u,
		     enum pol_part_kind kind, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	char where[160];
	size_t i;
	int r;

	for (i = 0; i < m->nlinks; i++) {
		const struct pol_link *l = &m->links[i];

		if (pol_rule_hits(v, POL_RULE_UNSUBSCRIBE_LINK) >=
		    POL_RULE_MAX_HITS)
			return 0;
		if (l->part >= m->nparts || m->parts[l->part].kind != kind)
			continue;
		if ((r = pol_targets_endpoint(x, u, l->url,
					      pol_link_worded(m, l))) < 0)
			return -1;
		pol_where_part(m, l->part, l->line, where, sizeof(where));
		if (r && l->hidden &&
		    pol_verdict_add(v, POL_RULE_UNSUBSCRIBE_LINK, -1, where,
				    "the link to the unsubscribe endpoint "
				    "%.200s is hidden from the reader",
				    l->url) < 0)
			return -1;
		if (!r && pol_link_worded(m, l) &&
		    pol_verdict_add(v, POL_RULE_UNSUBSCRIBE_LINK, -1, where,
				    "a link worded as an unsubscribe link goes "
				    "to %.200s, not to the unsubscribe "
				    "endpoint %.200s",
				    l->url, *u->endpoint ? u->endpoint : "(none)") < 0)
			return -1;
	}
	return 0;
}

static int
pol_check_link(const struct pol_ctx *x, const struct pol_unsub *u,
	       struct pol_verdict *v)
{
	static const struct {
		enum pol_part_kind kind;
		const char *name;
	} kinds[] = {{POL_PART_PLAIN, "text/plain"}, {POL_PART_HTML, "text/html"}};
	size_t k;
	int any = 0, r;

	for (k = 0; k < 2; k++) {
		if (!pol_has_part_kind(x->msg, kinds[k].kind))
			continue;
		any = 1;
		if ((r = pol_kind_has_link(x, u, kinds[k].kind)) < 0)
			return -1;
		if (r)
			continue;
		if (pol_verdict_add(v, POL_RULE_UNSUBSCRIBE_LINK, -1, kinds[k].name,
				    "no visible link to the unsubscribe "
				    "endpoint %.200s in the %s part",
				    *u->endpoint ? u->endpoint : "(unknown)",
				    kinds[k].name) < 0 ||
		    pol_name_wrong_links(x, u, kinds[k].kind, v) < 0)
			return -1;
	}
	if (!any && pol_verdict_add(v, POL_RULE_UNSUBSCRIBE_LINK, -1, "body",
				    "the mail has no text part with an "
				    "unsubscribe link") < 0)
		return -1;
	return 0;
}

/* The raw List-Unsubscribe-Post value, trimmed of folding white space,
 * must be exactly RFC 8058's key/value pair; an RFC 2047 encoded-word is
 * not. */
static int
pol_one_click_ok(const struct pol_message *m)
{
	const char *post = pol_header_value_raw(m, "List-Unsubscribe-Post");
	size_t n;

	if (post == NULL)
		return 0;
	post += strspn(post, " \t\r\n");
	n = strlen(post);
	while (n && strchr(" \t\r\n", post[n - 1]))
		n--;
	return n == strlen("List-Unsubscribe=One-Click") &&
	       strncmp(post, "List-Unsubscribe=One-Click", n) == 0;
}

/* What is wrong with a List-Unsubscribe that has an https URI, into why
 * ("" when nothing): the field given more than once (receivers and DKIM
 * read different ones, RFC 6376 5.4.2 signs the last). */
static int
pol_header_defect(const struct pol_ctx *x, char *why, size_t whysz)
{
	const struct pol_message *m = x->msg;
	size_t i, n = 0;

	why[0] = '\0';
	for (i = 0; i < m->nheaders; i++)
		n += strcasecmp(m->headers[i].name, "List-Unsubscribe") == 0;
	if (n > 1) {
		snprintf(why, whysz, "List-Unsubscribe appears %zu times; "
			 "receivers may read a different one", n);
		return 1;
	}
	return 0;
}

static int
unsubscribe_check(const struct pol_ctx *x, struct pol_verdict *v)
{
	char why[512];
	const char *lu = pol_message_header(x->msg, "List-Unsubscribe");
	const char *post = pol_message_header(x->msg, "List-Unsubscribe-Post");
	struct pol_unsub u;
	int https;

	pol_unsub_read(x, &u);
	https = u.https[0] != '\0';
	if (pol_rule_action(x->ps, POL_RULE_UNSUBSCRIBE_LINK) != POL_ACTION_OFF &&
	    pol_check_link(x, &u, v) < 0)
		return -1;
	if (pol_rule_action(x->ps, POL_RULE_UNSUBSCRIBE_HEADER) != POL_ACTION_OFF &&
	    !https &&
	    pol_verdict_add(v, POL_RULE_UNSUBSCRIBE_HEADER, -1,
			    "header List-Unsubscribe",
			    lu ? "List-Unsubscribe has no <https://...> URI"
			       : "List-Unsubscribe header missing") < 0)
		return -1;
	if (pol_rule_action(x->ps, POL_RULE_UNSUBSCRIBE_HEADER) != POL_ACTION_OFF &&
	    https && pol_header_defect(x, why, sizeof(why)) &&
	    pol_verdict_add(v, POL_RULE_UNSUBSCRIBE_HEADER, -1,
			    "header List-Unsubscribe", "%s", why) < 0)
		return -1;
	if (pol_rule_action(x->ps, POL_RULE_UNSUBSCRIBE_ONE_CLICK) ==
	    POL_ACTION_OFF)
		return 0;
	if (pol_one_click_ok(x->msg) && https)
		return 0;
	return pol_verdict_add(v, POL_RULE_UNSUBSCRIBE_ONE_CLICK, -1,
			       "header List-Unsubscribe-Post",
			       post ? (https ? "List-Unsubscribe-Post is not "
					       "exactly List-Unsubscribe=One-Click "
					       "as written (RFC 8058)"
					     : "one-click needs an https "
					       "List-Unsubscribe URI")
				    : "List-Unsubscribe-Post header missing");
}

const struct pol_rule_def pol_rule_unsubscribe_link = {
	.info = {"unsubscribe.link",
		  "Marketing mail lacks a visible unsubscribe link",
		  POL_ACTION_REJECT, 0},
	.classes = POL_ON_MARKETING,
	.fn = unsubscribe_check,
};

const struct pol_rule_def pol_rule_unsubscribe_header = {
	.info = {"unsubscribe.header",
		  "Marketing mail lacks a List-Unsubscribe header with an https URI",
		  POL_ACTION_REJECT, 0},
	.classes = POL_ON_MARKETING,
	.fn = unsubscribe_check,
};

const struct pol_rule_def pol_rule_unsubscribe_one_click = {
	.info = {"unsubscribe.one-click",
		  "Marketing mail lacks List-Unsubscribe-Post: List-Unsubscribe=One-Click",
		  POL_ACTION_REJECT, 0},
	.classes = POL_ON_MARKETING,
	.fn = unsubscribe_check,
};
