/*
 * doi.c - rules doi.advertising, doi.confirm-link and doi.resend for double
 * opt-in confirmation mail.
 *
 * A DOI mail must contain no advertising at all (courts treated a DOI mail
 * with advertising as unsolicited advertising; LfDI BW): no advertising
 * words (AdvertisingList or the shipped de/en lists, matched against the
 * subject, the plain text, the visible HTML text and image alt texts, never
 * against markup or URLs), no images but one small logo from an allowed
 * domain, and no links but the confirmation link, the privacy policy and
 * AllowedLinkDomains.  It carries exactly one https confirmation link
 * starting with ConfirmURL.  A still-pending address gets no second DOI
 * mail unless DoiResend days have passed; the same mail handed over again
 * (same Message-ID and content hash, within DoiRetryWindow days of the
 * first hand-over) is a retry after a temporary failure, not a second one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../patterns.h"
#include "util.h"

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
	}
	for (i = 0; i < m->nimages && r == 0; i++) {
		pol_where_part(m, m->images[i].part, 0, where, sizeof(where));
		r = pol_doi_words(x, v, m->images[i].alt,
				  strlen(m->images[i].alt), where);
	}
	return r < 0 ? -1 : r;
}

/* Is the host one the DOI mail may point to? */
static int
pol_doi_host_allowed(const struct cfg *cfg, const char *host)
{
	char h[POL_HOST_MAX];

	if (pol_host_in_list(host, cfg->allowed_link_domains.v,
			     cfg->allowed_link_domains.n))
		return 1;
	if (pol_url_host(cfg->confirm_url, h, sizeof(h)) == 0 &&
	    pol_host_in_domain(host, h))
		return 1;
	if (pol_url_host(cfg->privacy_url, h, sizeof(h)) == 0 &&
	    pol_host_in_domain(host, h))
		return 1;
	return 0;
}

static int
pol_doi_link_allowed(const struct cfg *cfg, const char *url)
{
	char host[POL_HOST_MAX];

	if (pol_url_has_prefix(url, cfg->confirm_url) ||
	    pol_url_has_prefix(url, cfg->privacy_url))
		return 1;
	if (pol_url_scheme_is(url, "tel:") || url[0] == '#' || url[0] == '\0')
		return 1;
	if (pol_url_host(url, host, sizeof(host)) < 0)
		return 0;
	if (pol_url_scheme_is(url, "mailto:"))
		return pol_doi_host_allowed(cfg, host);
	return pol_host_in_list(host, cfg->allowed_link_domains.v,
				cfg->allowed_link_domains.n);
}

static int
pol_doi_structure(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	char where[160], host[POL_HOST_MAX];
	size_t i, logos = 0;

	for (i = 0; i < m->nlinks; i++) {
		if (pol_doi_link_allowed(x->cfg, m->links[i].url))
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

int
pol_rule_doi_confirm_link(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	const char *cu = x->cfg->confirm_url;
	size_t i, j, distinct = 0;

	if (cu == NULL || *cu == '\0')
		return pol_verdict_add(v, POL_RULE_DOI_CONFIRM_LINK, -1, "config",
				       "ConfirmURL is not configured, so no "
				       "confirmation link can be accepted");
	/* The same link in the plain and the HTML part counts once. */
	for (i = 0; i < m->nlinks; i++) {
		if (!pol_url_has_prefix(m->links[i].url, cu))
			continue;
		for (j = 0; j < i; j++)
			if (pol_url_has_prefix(m->links[j].url, cu) &&
			    strcmp(m->links[j].url, m->links[i].url) == 0)
				break;
		if (j == i)
			distinct++;
	}
	if (distinct == 1)
		return 0;
	if (distinct == 0)
		return pol_verdict_add(v, POL_RULE_DOI_CONFIRM_LINK, -1, "body",
				       "no confirmation link starting with %s", cu);
	return pol_verdict_add(v, POL_RULE_DOI_CONFIRM_LINK, -1, "body",
			       "%zu different confirmation links; exactly one "
			       "is allowed", distinct);
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

/* Copy the value of query parameter name from url into out; 1 when found. */
static int
pol_query_param(const char *url, const char *name, char *out, size_t outsz)
{
	const char *q = strchr(url, '?'), *p, *e;
	size_t nl = strlen(name), n;

	for (p = q; p && *p; p = strpbrk(p + 1, "&;")) {
		if (strncmp(p + 1, name, nl) != 0 || p[1 + nl] != '=')
			continue;
		p += nl + 2;
		e = p + strcspn(p, "&;#");
		n = (size_t)(e - p);
		if (n == 0 || n >= outsz)
			return 0;
		memcpy(out, p, n);
		out[n] = '\0';
		return 1;
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
		if (!pol_url_has_prefix(m->links[i].url, cfg->confirm_url))
			continue;
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (pol_query_param(m->links[i].url, names[k], out, outsz))
				return 1;
		return 0;
	}
	return 0;
}
