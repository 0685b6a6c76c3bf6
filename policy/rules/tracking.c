/*
 * tracking.c - rule tracking.no-consent for DOI and marketing mail.
 *
 * Tracking pixels and personalised click tracking need the recipient's
 * consent (§25 TDDDG, GDPR).  Tracking is:
 *  - an open pixel: an image of at most 1x1 pixel by its effective size
 *    (attributes and inline CSS as the model gives them), or a hidden one;
 *    a static 1x1 spacer from an allowed domain (AllowedLinkDomains, the
 *    hosts of ConfirmURL, PrivacyURL and UnsubscribeURL, the From and
 *    envelope sender domains) with no query and no identifier is layout;
 *  - a personalised image of any size: its URL carries, in any encoding
 *    urlscan.c reads, a recipient's address or the recipient's uid
 *    (tokens of the List-Unsubscribe URIs, the DOI confirmation uid, the
 *    Message-ID's local part);
 *  - any image or link under TrackingDomains (label boundary), except the
 *    DOI links themselves (under ConfirmURL or DoiCancelURL) and the
 *    unsubscribe link (a List-Unsubscribe https URI itself, or a link
 *    under an UnsubscribeURL below the site's root): a mailing tool serves
 *    them from the host it tracks with, and their click is the
 *    recipient's answer, recorded as consent evidence, or withdrawal;
 *  - a redirect link (one that carries another URL): the wrapper is click
 *    tracking, whatever the URL it leads to;
 *  - a link whose query carries a tool's per-recipient click id or a utm_*
 *    value with the recipient's token (track_params.c);
 *  - the open and click URLs that common tools insert by default
 *    (listmonk, Mautic, Mailchimp, Sendinblue/Brevo, phpList, Mailtrain,
 *    Keila, FluentCRM, luxletter), those of the two WordPress/TYPO3 tools
 *    told by their query parameters on the site's own host.
 * Each element is a hit for each recipient without tracking consent, up to
 * POL_RULE_MAX_HITS.  Owns nothing beyond a call; -1 only out of memory.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../../common/addr.h"
#include "../../common/url.h"
#include "urlscan.h"
#include "util.h"

#define POL_TOKENS 12
#define POL_TOKEN_LEN 64

struct pol_tokens {
	char v[POL_TOKENS][POL_TOKEN_LEN];
	size_t n;
};

/* A uid-like token: 6-63 bytes of [A-Za-z0-9_-] with a digit in it. */
static void
pol_token_add(struct pol_tokens *t, const char *p, size_t n)
{
	size_t i, digits = 0;

	if (n < 6 || n >= POL_TOKEN_LEN || t->n >= POL_TOKENS)
		return;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)p[i]) && p[i] != '_' && p[i] != '-')
			return;
		digits += isdigit((unsigned char)p[i]) != 0;
	}
	if (digits == 0)
		return;
	for (i = 0; i < t->n; i++)
		if (strncasecmp(t->v[i], p, n) == 0 && t->v[i][n] == '\0')
			return;
	memcpy(t->v[t->n], p, n);
	t->v[t->n++][n] = '\0';
}

/* Every token of s between delimiters. */
static void
pol_tokens_of(struct pol_tokens *t, const char *s)
{
	size_t n;

	while (*s) {
		n = strcspn(s, "?&=/:;,.+@<>\"' ");
		pol_token_add(t, s, n);
		s += n;
		if (*s)
			s++;
	}
}

static int
pol_lu_tokens_cb(const char *uri, void *arg)
{
	pol_tokens_of(arg, uri);
	return 0;
}

/* The identifiers of this recipient and this message. */
static void
pol_collect_tokens(const struct pol_ctx *x, struct pol_tokens *t)
{
	const char *lu = pol_header_value_raw(x->msg, "List-Unsubscribe");
	char uid[POL_TOKEN_LEN], local[POL_TOKEN_LEN];
	const char *mid = x->msg->message_id;

	memset(t, 0, sizeof(*t));
	if (lu)
		pol_header_uris(lu, pol_lu_tokens_cb, t);
	if (pol_doi_confirm_uid_x(x, uid, sizeof(uid)))
		pol_token_add(t, uid, strlen(uid));
	if (mid && strchr(mid, '@')) {
		snprintf(local, sizeof(local), "%.*s",
			 (int)(strchr(mid, '@') - mid), mid);
		pol_tokens_of(t, local);
	}
}

/* Does the scanned URL carry a recipient's address or a token? */
static int
pol_personalised(const struct pol_ctx *x, const struct pol_scan *s,
		 const struct pol_tokens *t, const char *host)
{
	size_t i;

	for (i = 0; i < x->env->nrcpts; i++)
		if (x->env->rcpts[i].addr &&
		    pol_scan_has_address(s, x->env->rcpts[i].addr,
					 *host ? host : NULL, 1))
			return 1;
	for (i = 0; i < t->n; i++)
		if (pol_scan_has_token(s, t->v[i]))
			return 1;
	return 0;
}

static int
pol_path_segments(const char *path)
{
	int n = 0;

	for (; *path; path++)
		if (*path == '/' && path[1] != '\0' && path[1] != '/')
			n++;
	return n;
}

static int
pol_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

/* Sendinblue/Brevo tracking hosts. */
static int
pol_brevo_host(const char *host)
{
	static const char *const d[] = {"sendibt1.com", "sendibt2.com",
					"sendibt3.com", "sendibt4.com",
					"sendibm1.com", "sendibm2.com",
					"sendibm3.com", "sendibm4.com",
					"sendinblue.com", "brevo.com"};
	size_t i;

	/* host is normalised and d is: no mapping per comparison. */
	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		if (url_normal_host_in_domain(host, d[i]))
			return 1;
	return 0;
}

/* Does the query carry the parameter pair kv ("name=value" or "name=")? */
static int
pol_query_has(const char *query, const char *kv)
{
	size_t n = strlen(kv);
	const char *p = query;

	while (*p) {
		if (strncmp(p, kv, n) == 0)
			return 1;
		p += strcspn(p, "&;");
		if (*p)
			p++;
	}
	return 0;
}

/* The name of the tool whose default open-tracking (pixel=1) or click
 * (pixel=0) URL this is, or NULL. */
static const char *
pol_tool_url(const char *url, const char *raw_host, int pixel)
{
	char path[1024], query[1024], host[URL_HOST_MAX];

	/* The host normalised once for the domain comparisons below. */
	if (url_domain_normalise(raw_host, host, sizeof(host)) < 0)
		host[0] = '\0';
	if (pol_url_path_query(url, path, sizeof(path), query, sizeof(query)) < 0)
		return NULL;
	if (url_normal_host_in_domain(host, "list-manage.com") &&
	    strncmp(path, pixel ? "/track/open" : "/track/click", 11) == 0)
		return "Mailchimp";
	if (pol_brevo_host(host) &&
	    (strncmp(path, pixel ? "/tr/op/" : "/tr/cl/", 7) == 0 ||
	     strncmp(path, pixel ? "/mk/op/" : "/mk/cl/", 7) == 0))
		return "Sendinblue/Brevo";
	if (pixel) {
		if (strncmp(path, "/campaign/", 10) == 0 &&
		    pol_ends_with(path, "/px.png"))
			return "listmonk";
		if (strncmp(path, "/email/", 7) == 0 && pol_ends_with(path, ".gif"))
			return "Mautic";
		if (pol_ends_with(path, "/ut.php"))
			return "phpList";
		if (strncmp(path, "/links/", 7) == 0 && pol_path_segments(path) == 4)
			return "Mailtrain";
		if (strncmp(path, "/o/", 3) == 0 && pol_path_segments(path) >= 3)
			return "Keila";
		if (pol_query_has(query, "fluentcrm=1") &&
		    pol_query_has(query, "route=open"))
			return "FluentCRM";
		if (pol_query_has(query, "type=1561894816"))
			return "luxletter";
		return NULL;
	}
	if (strncmp(path, "/link/", 6) == 0 && pol_path_segments(path) >= 3)
		return "listmonk";
	if (strncmp(path, "/r/", 3) == 0 && strstr(query, "ct="))
		return "Mautic";
	if (pol_ends_with(path, "/lt.php"))
		return "phpList";
	if (strncmp(path, "/links/", 7) == 0 && pol_path_segments(path) >= 5)
		return "Mailtrain";
	if (strncmp(path, "/r/", 3) == 0 && pol_path_segments(path) >= 3)
		return "Keila";
	if (pol_query_has(query, "ns_url=") && pol_query_has(query, "fluentcrm=1"))
		return "FluentCRM";
	if (pol_query_has(query, "luxletterlink="))
		return "luxletter";
	return NULL;
}

/* A domain the sender's own layout images may come from. */
static int
pol_allowed_host(const struct pol_ctx *x, const char *host)
{
	const char *urls[] = {x->ps->confirm_url, x->ps->privacy_url,
			      x->ps->unsubscribe_url};
	char h[POL_HOST_MAX];
	size_t i;

	if (pol_host_in_list(host, x->ps->allowed_link_domains.v,
			     x->ps->allowed_link_domains.n))
		return 1;
	for (i = 0; i < 3; i++)
		if (urls[i] && *urls[i] && pol_url_host_x(x, urls[i], h, sizeof(h)) == 0 &&
		    strcmp(h, host) == 0)
			return 1;
	if (*addr_domain(x->msg->from_addr) &&
	    pol_host_in_domain(host, addr_domain(x->msg->from_addr)))
		return 1;
	return x->env->sender && *addr_domain(x->env->sender) &&
	       pol_host_in_domain(host, addr_domain(x->env->sender));
}

/* An identifier in a path: a run of 8+ letters and digits with a digit. */
static int
pol_has_identifier(const char *path)
{
	size_t n, i, digits;

	while (*path) {
		n = strspn(path, "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");
		for (i = digits = 0; i < n; i++)
			digits += isdigit((unsigned char)path[i]) != 0;
		if (n >= 8 && digits)
			return 1;
		path += n ? n : 1;
	}
	return 0;
}

/* A static 1x1 spacer: allowed domain, no query, no identifier. */
static int
pol_layout_spacer(const struct pol_ctx *x, const char *src, const char *host)
{
	char path[1024], query[1024];

	return *host && pol_allowed_host(x, host) &&
	       pol_url_path_query(src, path, sizeof(path), query,
				  sizeof(query)) == 0 &&
	       query[0] == '\0' && !strchr(src, '?') && !pol_has_identifier(path);
}

/* Why this image tracks, into what; 1 when it does, -1 out of memory. */
static int
pol_image_tracks(const struct pol_ctx *x, const struct pol_image *im,
		 const struct pol_tokens *t, char *what, size_t whatsz)
{
	const struct pol_list *td = &x->ps->tracking_domains;
	int tiny = im->width >= 0 && im->height >= 0 && im->width <= 1 &&
		   im->height <= 1;
	char host[POL_HOST_MAX];
	const char *tool;
	struct pol_scan tmp;
	const struct pol_scan *s;
	int pers;

	if (pol_url_host_x(x, im->src, host, sizeof(host)) < 0)
		host[0] = '\0';
	if (*host && pol_host_in_list(host, td->v, td->n)) {
		snprintf(what, whatsz, "image from tracking domain %s", host);
		return 1;
	}
	if (*host && (tool = pol_tool_url(im->src, host, 1)) != NULL) {
		snprintf(what, whatsz, "%s open-tracking image %.200s", tool,
			 im->src);
		return 1;
	}
	if ((s = pol_scan_url_x(x, im->src, &tmp)) == NULL)
		return -1;
	pers = pol_personalised(x, s, t, host);
	pol_scan_done(s, &tmp);
	if (pers) {
		snprintf(what, whatsz, "personalised image %.200s (it carries "
			 "the recipient's address or uid)", im->src);
		return 1;
	}
	if (im->hidden || (tiny && !pol_layout_spacer(x, im->src, host))) {
		snprintf(what, whatsz, "%s image %.200s",
			 im->hidden ? "hidden" : "1x1 pixel", im->src);
		return 1;
	}
	return 0;
}

struct pol_lu_match {
	const char *url;
	int hit;
};

static int
pol_lu_match_cb(const char *uri, void *arg)
{
	struct pol_lu_match *mt = arg;

	if (url_scheme_is(uri, "https") && strcmp(uri, mt->url) == 0) {
		mt->hit = 1;
		return 1;
	}
	return 0;
}

/*
 * The way out: the link is one of the mail's https List-Unsubscribe URIs
 * itself, or lies under UnsubscribeURL when that names a path below the
 * site's root.  Its click is the recipient's withdrawal, which the tool
 * must be able to attribute (as the DOI links are the recipient's answer),
 * so it is not tracking even when the tool serves it from its tracking
 * host.  Any other link on that host still is.
 */
static int
pol_is_unsubscribe_link(const struct pol_ctx *x, const char *url)
{
	const char *lu = pol_header_value_raw(x->msg, "List-Unsubscribe");
	const char *uu = x->ps->unsubscribe_url;
	char path[1024], query[1024];
	struct pol_lu_match mt = {url, 0};

	if (uu && *uu &&
	    pol_url_path_query(uu, path, sizeof(path), query,
			       sizeof(query)) == 0 &&
	    path[0] == '/' && path[1] != '\0' &&
	    pol_url_has_prefix_x(x, url, uu))
		return 1;
	if (lu)
		pol_header_uris(lu, pol_lu_match_cb, &mt);
	return mt.hit;
}

/* Why this link tracks, into what; 1 when it does, -1 out of memory. */
static int
pol_link_tracks(const struct pol_ctx *x, const struct pol_link *l,
		const struct pol_tokens *t, char *what, size_t whatsz)
{
	const struct pol_list *td = &x->ps->tracking_domains;
	char host[POL_HOST_MAX], target[2048];
	const char *tool, *tv[POL_TOKENS];
	size_t i;
	int r;

	if (pol_url_host_x(x, l->url, host, sizeof(host)) < 0 ||
	    pol_url_scheme_is(l->url, "mailto:"))
		return 0;
	/* The DOI links themselves: a mailing tool serves them from the host
	 * it tracks with, and their click is the recipient's answer, recorded
	 * as consent evidence, not tracking. */
	if (pol_url_has_prefix_x(x, l->url, x->ps->confirm_url) ||
	    pol_url_has_prefix_x(x, l->url, x->ps->doi_cancel_url))
		return 0;
	if (pol_is_unsubscribe_link(x, l->url))
		return 0;
	if (pol_host_in_list(host, td->v, td->n)) {
		snprintf(what, whatsz, "link through tracking domain %s", host);
		return 1;
	}
	if ((tool = pol_tool_url(l->url, host, 0)) != NULL) {
		snprintf(what, whatsz, "%s click-tracking link %.200s", tool,
			 l->url);
		return 1;
	}
	if ((r = pol_url_unwrap_x(x, l->url, target, sizeof(target))) < 0)
		return -1;
	if (r) {
		snprintf(what, whatsz, "redirect link through %.100s to %.200s", host,
			 target);
		return 1;
	}
	for (i = 0; i < t->n; i++)
		tv[i] = t->v[i];
	return pol_click_id(l->url, tv, t->n, what, whatsz);
}

static int
pol_tracking_hits(const struct pol_ctx *x, struct pol_verdict *v,
		  const char *where, const char *what)
{
	size_t i;

	for (i = 0; i < x->env->nrcpts; i++) {
		if (x->env->rcpts[i].consent.tracking)
			continue;
		if (pol_rule_hits(v, POL_RULE_TRACKING_NO_CONSENT) >=
		    POL_RULE_MAX_HITS)
			return 0;
		if (pol_verdict_add(v, POL_RULE_TRACKING_NO_CONSENT, (int)i, where,
				    "%s, but the recipient has no tracking "
				    "consent", what) < 0)
			return -1;
	}
	return 0;
}

static int
tracking_check(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	struct pol_tokens t;
	char what[600], where[160];
	size_t i, need = 0;
	int r;

	for (i = 0; i < x->env->nrcpts; i++)
		need += !x->env->rcpts[i].consent.tracking;
	if (need == 0)
		return 0;
	pol_collect_tokens(x, &t);
	for (i = 0; i < m->nimages; i++) {
		if ((r = pol_image_tracks(x, &m->images[i], &t, what,
					  sizeof(what))) < 0)
			return -1;
		if (r == 0)
			continue; /* the place is written only for a hit */
		pol_where_part(m, m->images[i].part, 0, where, sizeof(where));
		if (pol_tracking_hits(x, v, where, what) < 0)
			return -1;
	}
	for (i = 0; i < m->nlinks; i++) {
		if ((r = pol_link_tracks(x, &m->links[i], &t, what,
					 sizeof(what))) < 0)
			return -1;
		if (r == 0)
			continue;
		pol_where_part(m, m->links[i].part, m->links[i].line, where,
			       sizeof(where));
		if (pol_tracking_hits(x, v, where, what) < 0)
			return -1;
	}
	return 0;
}

const struct pol_rule_def pol_rule_tracking_no_consent = {
	.info = {"tracking.no-consent",
		  "Mail tracks a recipient who has not consented to tracking",
		  POL_ACTION_REJECT, 0},
	.classes = POL_ON_DOI | POL_ON_MARKETING,
	.fn = tracking_check,
};
