/*
 * doi.c - rules doi.advertising, doi.confirm-link and doi.resend for double
 * opt-in confirmation mail.
 *
 * A DOI mail must contain no advertising at all (courts treated a DOI mail
 * with advertising as unsolicited advertising; LfDI BW): no advertising
 * words (AdvertisingList or the shipped de/en lists, matched against the
 * subject, the plain text, the visible HTML text and image alt texts, never
 * against markup or URLs), no images but one small logo from an allowed
 * domain, and no links but to the hosts of ConfirmURL, PrivacyURL and
 * DoiCancelURL, to AllowedLinkDomains, and mailto: links to the sender's own
 * domains (From, envelope) or to the recipient.  It carries exactly one
 * https confirmation link starting with ConfirmURL (the same normalised URL
 * counts once; a decline link under DoiCancelURL, or under ConfirmURL
 * worded as a decline, is not a second one).  A still-pending address gets
 * no second DOI mail unless DoiResend days have passed; the same mail
 * handed over again (same Message-ID and content hash, within
 * DoiRetryWindow days of the first hand-over) is a retry after a temporary
 * failure, not a second one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../patterns.h"
#include "util.h"

#include "../../common/addr.h"
#include "../../common/url.h"

#define POL_LOGO_MAX_W 600
#define POL_LOGO_MAX_H 300

static const struct pol_patterns *
pol_doi_patterns(const struct cfg *cfg)
{
	return cfg->patterns ? cfg->patterns : pol_patterns_builtin();
}

/* Match the patterns against one text; report the first word. */
static int
pol_doi_words(const struct pol_ctx *x, struct pol_verdict *v, const char *text,
	      size_t len, const char *where)
{
	char word[120];
	int r;

	if (text == NULL || len == 0)
		return 0;
	r = pol_patterns_match(pol_doi_patterns(x->cfg), text, len, word,
			       sizeof(word));
	if (r < 0)
		return -1;
	if (r == 0)
		return 0;
	return pol_verdict_add(v, POL_RULE_DOI_ADVERTISING, -1, where,
			       "advertising wording \"%s\"", word) < 0 ? -1 : 1;
}

/* Point the last hit at the line of its word in part i's decoded text. */
static void
pol_doi_add_line(struct pol_verdict *v, const struct pol_message *m, size_t i)
{
	struct pol_hit *h = &v->hits[v->nhits - 1];
	const char *text = m->parts[i].text, *q, *at, *p;
	char where[160], *dup;
	unsigned line = 1;
	char word[120];
	size_t n;

	/* The detail reads: advertising wording "WORD". */
	q = strchr(h->detail, '"');
	if (q == NULL || text == NULL)
		return;
	n = strcspn(q + 1, "\"");
	if (n == 0 || n >= sizeof(word))
		return;
	memcpy(word, q + 1, n);
	word[n] = '\0';
	at = strstr(text, word);
	if (at == NULL)
		return;
	for (p = text; p < at; p++)
		line += *p == '\n';
	pol_where_part(m, i, line, where, sizeof(where));
	dup = strdup(where);
	if (dup) {
		free(h->where);
		h->where = dup;
	}
}

static int
pol_doi_text(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	char where[160];
	size_t i;
	int r;

	r = pol_doi_words(x, v, m->subject, strlen(m->subject), "header Subject");
	for (i = 0; i < m->nparts && r == 0; i++) {
		pol_where_part(m, i, 0, where, sizeof(where));
		r = pol_doi_words(x, v, m->parts[i].text, m->parts[i].text_len,
				  where);
		if (r == 1)
			pol_doi_add_line(v, m, i);
		/* Hidden text (a preheader) and extra text are read too. */
		if (r == 0 && m->parts[i].hidden)
			r = pol_doi_words(x, v, m->parts[i].hidden,
					  m->parts[i].hidden_len, where);
		if (r == 0 && m->parts[i].extra)
			r = pol_doi_words(x, v, m->parts[i].extra,
					  m->parts[i].extra_len, where);
	}
	for (i = 0; i < m->nimages && r == 0; i++) {
		pol_where_part(m, m->images[i].part, 0, where, sizeof(where));
		r = pol_doi_words(x, v, m->images[i].alt,
				  strlen(m->images[i].alt), where);
	}
	return r < 0 ? -1 : r;
}

/* Is the host one the DOI mail may point to: under the host of
 * ConfirmURL, PrivacyURL or DoiCancelURL, or in AllowedLinkDomains? */
static int
pol_doi_host_allowed(const struct cfg *cfg, const char *host)
{
	const char *const own[] = {cfg->confirm_url, cfg->privacy_url,
				   cfg->doi_cancel_url};
	char h[POL_HOST_MAX];
	size_t i;

	if (pol_host_in_list(host, cfg->allowed_link_domains.v,
			     cfg->allowed_link_domains.n))
		return 1;
	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (own[i] && *own[i] &&
		    pol_url_host(own[i], h, sizeof(h)) == 0 &&
		    pol_host_in_domain(host, h))
			return 1;
	return 0;
}

/* A mailto: link is allowed to an allowed host, to the sender's own
 * domains (From and envelope: the imprint must name an e-mail address,
 * section 5 DDG) and to the recipient's own address. */
static int
pol_doi_mailto_allowed(const struct pol_ctx *x, const char *url,
		       const char *host)
{
	const char *from = x->msg->from_addr, *env = x->env->sender;
	char addr[ADDR_MAX + 1], *raw;
	size_t i, n;

	if (pol_doi_host_allowed(x->cfg, host))
		return 1;
	if ((from && *from && pol_host_in_domain(host, addr_domain(from))) ||
	    (env && *env && pol_host_in_domain(host, addr_domain(env))))
		return 1;
	url += strspn(url, " \t") + strlen("mailto:");
	n = strcspn(url, "?,;");
	raw = strndup(url, n);
	if (raw == NULL || addr_normalise(raw, addr, sizeof(addr)) < 0) {
		free(raw);
		return 0;
	}
	free(raw);
	for (i = 0; i < x->env->nrcpts; i++)
		if (strcmp(x->env->rcpts[i].addr, addr) == 0)
			return 1;
	return 0;
}

static int
pol_doi_link_allowed(const struct pol_ctx *x, const char *url)
{
	const struct cfg *cfg = x->cfg;
	char host[POL_HOST_MAX];

	if (pol_url_has_prefix(url, cfg->confirm_url) ||
	    pol_url_has_prefix(url, cfg->privacy_url) ||
	    pol_url_has_prefix(url, cfg->doi_cancel_url))
		return 1;
	if (pol_url_scheme_is(url, "tel:") || url[0] == '#' || url[0] == '\0')
		return 1;
	if (pol_url_host(url, host, sizeof(host)) < 0)
		return 0;
	if (pol_url_scheme_is(url, "mailto:"))
		return pol_doi_mailto_allowed(x, url, host);
	return pol_doi_host_allowed(cfg, host);
}

static int
pol_doi_structure(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	char where[160], host[POL_HOST_MAX];
	size_t i, logos = 0;

	for (i = 0; i < m->nlinks; i++) {
		if (pol_doi_link_allowed(x, m->links[i].url))
			continue;
		pol_where_part(m, m->links[i].part, m->links[i].line, where,
			       sizeof(where));
		return pol_verdict_add(v, POL_RULE_DOI_ADVERTISING, -1, where,
				       "link outside the confirmation, privacy "
				       "and allowed domains: %.200s",
				       m->links[i].url);
	}
	for (i = 0; i < m->nimages; i++) {
		const struct pol_image *im = &m->images[i];
		int tiny = im->width >= 0 && im->height >= 0 && im->width <= 1 &&
			   im->height <= 1;
		int small = im->width <= POL_LOGO_MAX_W &&
			    im->height <= POL_LOGO_MAX_H;
		int allowed = pol_url_scheme_is(im->src, "cid:") ||
			      (pol_url_host(im->src, host, sizeof(host)) == 0 &&
			       pol_doi_host_allowed(x->cfg, host));

		if (tiny || im->hidden)
			continue; /* a tracking matter, see tracking.no-consent */
		if (allowed && small && logos++ == 0)
			continue;
		pol_where_part(m, im->part, 0, where, sizeof(where));
		return pol_verdict_add(v, POL_RULE_DOI_ADVERTISING, -1, where,
				       "image other than one small logo from an "
				       "allowed domain: %.200s", im->src);
	}
	return 0;
}

int
pol_rule_doi_advertising(const struct pol_ctx *x, struct pol_verdict *v)
{
	int r = pol_doi_text(x, v);

	if (r != 0)
		return r < 0 ? -1 : 0;
	return pol_doi_structure(x, v);
}

/* Words that make a link under ConfirmURL a decline ("not me") link when
 * they are its link text or its last path segment: tools route "confirm"
 * and "cancel" under one prefix. */
static const char *const pol_decline_words[] = {
	"cancel", "decline", "reject", "not me", "not you", "notme",
	"abbrechen", "ablehnen", "nicht angemeldet", "nicht ich", "abmelden",
	"unsubscribe", "widerruf", "storn",
};

static int
pol_says_decline(const char *text)
{
	char buf[200];
	size_t i, n;

	if (text == NULL || *text == '\0')
		return 0;
	n = strlen(text) < sizeof(buf) - 1 ? strlen(text) : sizeof(buf) - 1;
	for (i = 0; i < n; i++)
		buf[i] = text[i] == '-' || text[i] == '_' ? ' ' : text[i];
	buf[n] = '\0';
	for (i = 0; i < sizeof(pol_decline_words) / sizeof(pol_decline_words[0]); i++)
		if (pol_text_contains(buf, pol_decline_words[i]))
			return 1;
	return 0;
}

/* Is link l the decline link: under DoiCancelURL, or under ConfirmURL with
 * decline wording in its text or last path segment? */
static int
pol_doi_is_decline(const struct cfg *cfg, const struct pol_link *l)
{
	const char *q, *seg;
	char last[128];
	size_t n;

	if (pol_url_has_prefix(l->url, cfg->doi_cancel_url))
		return 1;
	if (pol_says_decline(l->text))
		return 1;
	n = strcspn(l->url, "?#");
	for (q = l->url + n; q > l->url && q[-1] == '/'; q--)
		;
	for (seg = q; seg > l->url && seg[-1] != '/'; seg--)
		;
	n = (size_t)(q - seg);
	if (n == 0 || n >= sizeof(last))
		return 0;
	memcpy(last, seg, n);
	last[n] = '\0';
	return pol_says_decline(last);
}

int
pol_rule_doi_confirm_link(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	const char *cu = x->cfg->confirm_url;
	char **seen = NULL;
	size_t i, j, distinct = 0;
	int rc = 0;

	if (cu == NULL || *cu == '\0')
		return pol_verdict_add(v, POL_RULE_DOI_CONFIRM_LINK, -1, "config",
				       "ConfirmURL is not configured, so no "
				       "confirmation link can be accepted");
	seen = calloc(m->nlinks ? m->nlinks : 1, sizeof(*seen));
	if (seen == NULL)
		return -1;
	/* The same link (as normalised URL) in the plain and the HTML part
	 * counts once; the decline link is not a confirmation link. */
	for (i = 0; i < m->nlinks; i++) {
		char *norm;

		if (!pol_url_has_prefix(m->links[i].url, cu) ||
		    pol_doi_is_decline(x->cfg, &m->links[i]))
			continue;
		norm = url_normalise(m->links[i].url);
		if (norm == NULL) {
			rc = -1;
			goto done;
		}
		for (j = 0; j < distinct; j++)
			if (strcmp(seen[j], norm) == 0)
				break;
		if (j < distinct) {
			free(norm);
			continue;
		}
		seen[distinct++] = norm;
	}
	if (distinct == 0)
		rc = pol_verdict_add(v, POL_RULE_DOI_CONFIRM_LINK, -1, "body",
				     "no confirmation link starting with %s", cu);
	else if (distinct > 1)
		rc = pol_verdict_add(v, POL_RULE_DOI_CONFIRM_LINK, -1, "body",
				     "%zu different confirmation links; exactly "
				     "one is allowed", distinct);
done:
	for (j = 0; j < distinct; j++)
		free(seen[j]);
	free(seen);
	return rc < 0 ? -1 : 0;
}

int
pol_doi_same_mail(const struct cfg *cfg, const char *sent_msgid,
		  const char *sent_hash, int64_t sent_at,
		  const struct pol_message *msg, int64_t now)
{
	const int64_t day = 86400;

	if (cfg->doi_retry_window <= 0 || sent_at <= 0 || now < sent_at ||
	    now - sent_at >= cfg->doi_retry_window * day)
		return 0;
	if (sent_msgid == NULL || sent_hash == NULL || sent_msgid[0] == '\0' ||
	    sent_hash[0] == '\0' || msg->message_id[0] == '\0')
		return 0;
	return strcmp(sent_msgid, msg->message_id) == 0 &&
	       strcmp(sent_hash, msg->content_sha256) == 0;
}

int
pol_rule_doi_resend(const struct pol_ctx *x, struct pol_verdict *v)
{
	const int64_t day = 86400;
	long days = x->cfg->doi_resend_days;
	size_t i;

	for (i = 0; i < x->env->nrcpts; i++) {
		const struct pol_consent *c = &x->env->rcpts[i].consent;

		if (c->state != POL_CONSENT_PENDING || c->doi_sent_at <= 0)
			continue;
		/* The sender's MTA handing the same mail over again after a
		 * 4xx (later in the MTA, or ours) is no second DOI mail. */
		if (pol_doi_same_mail(x->cfg, c->doi_msgid, c->doi_hash,
				      c->doi_sent_at, x->msg, x->env->now))
			continue;
		if (days >= 0 && x->env->now - c->doi_sent_at >= days * day)
			continue;
		if (pol_verdict_add(v, POL_RULE_DOI_RESEND, (int)i,
				    "envelope recipient",
				    "a confirmation mail went to this still "
				    "unconfirmed address %lld hours ago%s",
				    (long long)((x->env->now - c->doi_sent_at) / 3600),
				    days < 0 ? "; DoiResend is never"
					     : "; DoiResend has not passed") < 0)
			return -1;
	}
	return 0;
}

int
pol_doi_confirm_uid(const struct cfg *cfg, const struct pol_message *m,
		    char *out, size_t outsz)
{
	static const char *const names[] = {"uid", "id", "u", "token", "t"};
	size_t i, k;

	out[0] = '\0';
	for (i = 0; i < m->nlinks; i++) {
		if (!pol_url_has_prefix(m->links[i].url, cfg->confirm_url) ||
		    pol_doi_is_decline(cfg, &m->links[i]))
			continue;
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (url_query_param(m->links[i].url, names[k], out, outsz))
				return 1;
		return 0;
	}
	return 0;
}
