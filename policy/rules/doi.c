/*
 * doi.c - rules doi.advertising and doi.confirm-link for double opt-in
 * confirmation mail (doi.resend: doi_resend.c).
 *
 * A DOI mail must contain no advertising at all (courts treated a DOI mail
 * with advertising as unsolicited advertising; LfDI BW): no advertising
 * words (AdvertisingList or the shipped de/en lists, matched against the
 * subject, the plain text, the visible HTML text and image alt texts, never
 * against markup or URLs), no sentence the advertising model (adwalk.h,
 * adscore.h) scores at or above AdvertisingThreshold in the same texts
 * (unless an AdvertisingAllowList phrase is in it, or a pattern names it
 * already), no images but one small logo from an allowed
 * domain, and no links but to the hosts of ConfirmURL, PrivacyURL and
 * DoiCancelURL, to AllowedLinkDomains, and mailto: links to the sender's own
 * domains (From, envelope) or to the recipient.  It carries exactly one
 * https confirmation link starting with ConfirmURL (the same normalised URL
 * counts once; a decline link under DoiCancelURL, or under ConfirmURL
 * worded as a decline, is not a second one), and goes to one person
 * (doi_proof.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../adscore.h"
#include "../adwalk.h"
#include "../patterns.h"
#include "util.h"

#include "../../common/addr.h"
#include "../../common/hex.h"
#include "../../common/textnorm.h"
#include "../../common/url.h"

#define POL_LOGO_MAX_W 600
#define POL_LOGO_MAX_H 300
/* Advertising words reported per mail at most, and the bytes quoted of
 * each. */
#define POL_DOI_MAX_WORDS 10
#define POL_DOI_QUOTE_MAX 120

static const struct pol_patterns *
pol_doi_patterns(const struct pol_settings *ps)
{
	return ps->patterns ? ps->patterns : pol_patterns_builtin();
}

/* The advertising words of one mail: how many were reported so far. */
struct pol_doi_scan {
	const struct pol_ctx *x;
	struct pol_verdict *v;
	unsigned words;
};

/*
 * A word of the shipped lists inside a sentence of at least
 * POL_DOI_TOPIC_WORDS words that the sentence model scores below
 * POL_DOI_TOPIC_SCORE names a topic of the newsletter ("Im Newsletter
 * informieren wir Sie über Angebote und Rabattaktionen"), which the DOI
 * mail must state, not an offer.  Measured out of fold on data/admodel: no
 * promotional sentence with a listed word scores below 0.29, while the
 * compliant ones that carry a listed word start at 0.16.  Short texts (a
 * Subject, an alt text, a banner line) keep every word, and so does an
 * admin's AdvertisingList.
 */
#define POL_DOI_TOPIC_WORDS 6
#define POL_DOI_TOPIC_SCORE 0.25

struct pol_doi_topic {
	const struct pol_pattern_hit *hits; /* normalised-text offsets */
	const size_t *orig;                 /* each hit's original offset */
	int n;
	int topic[POL_DOI_MAX_WORDS];       /* out: 1 = a newsletter topic */
};

static int
pol_doi_topic_sentence(void *arg, const char *text,
		       const struct pol_ad_sentence *s)
{
	struct pol_doi_topic *t = arg;
	int k;

	(void)text;
	if (s->score >= POL_DOI_TOPIC_SCORE)
		return 0;
	if (pol_adscore_words(s) < POL_DOI_TOPIC_WORDS)
		return 0;
	for (k = 0; k < t->n; k++)
		if (t->orig[k] >= s->start && t->orig[k] < s->end)
			t->topic[k] = 1;
	return 0;
}

/* Mark in t which of the shipped lists' hits sit in a topic sentence of
 * text.  0, or -1 when memory ran out. */
static int
pol_doi_topics(const struct pol_settings *ps, const char *text, size_t len,
	       struct pol_doi_topic *t)
{
	const struct pol_admodel *model = pol_admodel_builtin();

	memset(t->topic, 0, sizeof(t->topic));
	if (ps->patterns != NULL || model == NULL || t->n == 0)
		return 0;
	return pol_adscore_text(model, text, len, pol_doi_topic_sentence, t) < 0
		       ? -1
		       : 0;
}

/* 1-based line of byte offset off in text. */
static unsigned
pol_doi_line_of(const char *text, size_t off)
{
	unsigned line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		line += text[i] == '\n';
	return line;
}

/*
 * Run the patterns once over the normalised copy of text and report each
 * place they match, as written, at where (with " line N" added when
 * lines is set), until POL_DOI_MAX_WORDS are reported.  0, or -1 (memory).
 */
static int
pol_doi_scan_text(struct pol_doi_scan *sc, const char *text, size_t len,
		  const char *where, int lines)
{
	struct pol_pattern_hit hits[POL_DOI_MAX_WORDS];
	char word[POL_DOI_QUOTE_MAX], place[240];
	size_t os[POL_DOI_MAX_WORDS], oe[POL_DOI_MAX_WORDS];
	struct pol_doi_topic topics = {hits, os, 0, {0}};
	struct textnorm tn;
	int n, k, rc = 0;

	if (text == NULL || len == 0 || sc->words >= POL_DOI_MAX_WORDS)
		return 0;
	if (textnorm_make_words(&tn, text, len) < 0)
		return -1;
	n = pol_patterns_find(pol_doi_patterns(sc->x->ps), tn.text, tn.len,
			      hits, POL_DOI_MAX_WORDS - sc->words);
	for (k = 0; k < n; k++)
		textnorm_span(&tn, hits[k].start, hits[k].end, &os[k], &oe[k]);
	topics.n = n > 0 ? n : 0;
	if (pol_doi_topics(sc->x->ps, text, len, &topics) < 0)
		rc = -1;
	for (k = 0; k < n && rc == 0; k++) {
		if (topics.topic[k])
			continue;
		pol_ad_quote(text, os[k], oe[k], word, sizeof(word));
		if (lines)
			snprintf(place, sizeof(place), "%s line %u", where,
				 pol_doi_line_of(text, os[k]));
		else
			snprintf(place, sizeof(place), "%s", where);
		rc = pol_verdict_add(sc->v, POL_RULE_DOI_ADVERTISING, -1, place,
				     "advertising wording \"%s\"", word);
		sc->words++;
	}
	textnorm_free(&tn);
	return n < 0 || rc < 0 ? -1 : 0;
}

/* Visible, hidden and extra text of part i, each with its lines. */
static int
pol_doi_scan_part(struct pol_doi_scan *sc, size_t i)
{
	const struct pol_message *m = sc->x->msg;
	const struct pol_text_part *p = &m->parts[i];
	char where[200];

	pol_where_part(m, i, 0, where, sizeof(where));
	if (pol_doi_scan_text(sc, p->text, p->text_len, where, 1) < 0)
		return -1;
	snprintf(where, sizeof(where), "hidden text of part %s %s", p->path,
		 p->content_type);
	if (pol_doi_scan_text(sc, p->hidden, p->hidden_len, where, 1) < 0)
		return -1;
	snprintf(where, sizeof(where),
		 "title, alt or generated text of part %s %s", p->path,
		 p->content_type);
	return pol_doi_scan_text(sc, p->extra, p->extra_len, where, 1);
}

static int
pol_doi_scan_alt(void *arg, const char *alt, size_t len, const char *where)
{
	return pol_doi_scan_text(arg, alt, len, where, 0) < 0 ? -1 : 0;
}

/*
 * Every kind of text a reader meets: Subject, From display name, each
 * part's visible, hidden and extra text (title tooltips, CSS generated
 * content, image alt), and the alt text of images whose part has no extra
 * text (where extra is filled, it holds the alt texts already).  Every
 * place is reported, up to POL_DOI_MAX_WORDS.
 */
static int
pol_doi_text(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	struct pol_doi_scan sc = {x, v, 0};
	size_t i;

	if (pol_doi_scan_text(&sc, m->subject, strlen(m->subject),
			      "header Subject", 0) < 0 ||
	    (m->from_name && pol_doi_scan_text(&sc, m->from_name,
					       strlen(m->from_name), "From name",
					       0) < 0))
		return -1;
	for (i = 0; i < m->nparts; i++)
		if (pol_doi_scan_part(&sc, i) < 0)
			return -1;
	return pol_each_image_alt(m, pol_doi_scan_alt, &sc);
}

/* The path of url (no scheme, host, query or fragment; for cid: the id
 * before '@'), percent-decoded, with '-', '_', '.', '/', '+' and '%20' as
 * spaces and the file name's extension dropped, into out. */
static void
pol_doi_deslug(const char *url, char *out, size_t outsz)
{
	const char *p = url, *e, *dot;
	size_t n = 0;
	int byte;

	p += strspn(p, " \t");
	if (pol_url_scheme_is(p, "cid:")) {
		p += 4;
		e = p + strcspn(p, "@");
	} else {
		const char *ss = strstr(p, "://");

		if (p[0] == '/' && p[1] == '/')
			p += 2 + strcspn(p + 2, "/?#"); /* scheme-relative */
		else if (ss && ss < p + strcspn(p, "?#"))
			p = ss + 3 + strcspn(ss + 3, "/?#");
		e = p + strcspn(p, "?#");
	}
	dot = NULL;
	for (const char *q = p; q < e; q++)
		if (*q == '.')
			dot = q;
		else if (*q == '/')
			dot = NULL;
	if (dot && e - dot <= 6)
		e = dot;
	for (; p < e && n + 1 < outsz; p++) {
		char c = *p;

		if (c == '%' && e - p > 2 && (byte = hex_byte(p + 1)) >= 0) {
			c = (char)byte;
			p += 2;
		}
		if (strchr("-_./+", c) || c == ' ')
			c = ' ';
		if (c == ' ' && (n == 0 || out[n - 1] == ' '))
			continue;
		out[n++] = c;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

int
pol_doi_words_in_slug(const struct pol_settings *ps, const char *url, char *slug,
		      size_t slugsz)
{
	const struct pol_patterns *sets[2];
	struct pol_pattern_hit h;
	struct textnorm tn;
	char name[512];
	size_t k;
	int r = 0;

	if (slugsz)
		slug[0] = '\0';
	if (url == NULL || url[0] == '\0')
		return 0;
	sets[0] = ps->patterns ? ps->patterns : pol_patterns_builtin();
	sets[1] = pol_patterns_image_names();
	pol_doi_deslug(url, name, sizeof(name));
	if (slugsz)
		snprintf(slug, slugsz, "%s", name);
	if (name[0] == '\0')
		return 0;
	if (textnorm_make(&tn, name, strlen(name)) < 0)
		return -1;
	for (k = 0; k < 2 && r == 0; k++)
		r = pol_patterns_find(sets[k], tn.text, tn.len, &h, 1);
	textnorm_free(&tn);
	return r < 0 ? -1 : r > 0;
}

/* Is the host one the DOI mail may point to: under the host of
 * ConfirmURL, PrivacyURL or DoiCancelURL, or in AllowedLinkDomains? */
static int
pol_doi_host_allowed(const struct pol_settings *ps, const char *host)
{
	const char *const own[] = {ps->confirm_url, ps->privacy_url,
				   ps->doi_cancel_url};
	char h[POL_HOST_MAX];
	size_t i;

	if (pol_host_in_list(host, ps->allowed_link_domains.v,
			     ps->allowed_link_domains.n))
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
	char addr[ADDR_MAX + 1], *raw;
	size_t i, n;

	if (pol_doi_host_allowed(x->ps, host))
		return 1;
	if (pol_host_is_senders(x, host))
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
	const struct pol_settings *ps = x->ps;
	char host[POL_HOST_MAX];

	if (pol_url_has_prefix(url, ps->confirm_url) ||
	    pol_url_has_prefix(url, ps->privacy_url) ||
	    pol_url_has_prefix(url, ps->doi_cancel_url))
		return 1;
	if (pol_url_scheme_is(url, "tel:") || url[0] == '#' || url[0] == '\0')
		return 1;
	if (pol_url_host(url, host, sizeof(host)) < 0)
		return 0;
	if (pol_url_scheme_is(url, "mailto:"))
		return pol_doi_mailto_allowed(x, url, host);
	return pol_doi_host_allowed(ps, host);
}

/* Add one structural hit unless the rule already has its fill. */
static int
pol_doi_structure_hit(struct pol_verdict *v, const char *where,
		      const char *what, const char *name, const char *url)
{
	if (pol_rule_hits(v, POL_RULE_DOI_ADVERTISING) >= POL_RULE_MAX_HITS)
		return 0;
	if (name)
		return pol_verdict_add(v, POL_RULE_DOI_ADVERTISING, -1, where,
				       "%s: \"%s\" (%.200s)", what, name, url);
	return pol_verdict_add(v, POL_RULE_DOI_ADVERTISING, -1, where, "%s: %.200s",
			       what, url);
}

/* Is src one of the logos DoiLogoURL lists? */
static int
pol_doi_listed_logo(const struct pol_settings *ps, const char *src)
{
	size_t i;

	for (i = 0; i < ps->doi_logo_urls.n; i++)
		if (pol_url_has_prefix(src, ps->doi_logo_urls.v[i]))
			return 1;
	return 0;
}

/* Every link outside the allowed set. */
static int
pol_doi_links(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	char where[160];
	size_t i;

	for (i = 0; i < m->nlinks; i++) {
		if (pol_doi_link_allowed(x, m->links[i].url))
			continue;
		pol_where_part(m, m->links[i].part, m->links[i].line, where,
			       sizeof(where));
		if (pol_doi_structure_hit(v, where, "link outside the "
					  "confirmation, privacy and allowed "
					  "domains", NULL, m->links[i].url) < 0)
			return -1;
	}
	return 0;
}

/*
 * Images: the one logo is an inline image (cid:) or one from an allowed
 * domain, small by its declared size and not named like a campaign
 * picture; images DoiLogoURL lists are logos whatever their size.  1x1 and
 * hidden images are a tracking matter (tracking.no-consent).
 */
static int
pol_doi_images(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	char where[160], host[POL_HOST_MAX], name[200];
	size_t i, logos = 0;
	int slug;

	for (i = 0; i < m->nimages; i++) {
		const struct pol_image *im = &m->images[i];
		int tiny = im->width >= 0 && im->height >= 0 && im->width <= 1 &&
			   im->height <= 1;
		int small = im->width <= POL_LOGO_MAX_W &&
			    im->height <= POL_LOGO_MAX_H;
		int allowed = pol_url_scheme_is(im->src, "cid:") ||
			      (pol_url_host(im->src, host, sizeof(host)) == 0 &&
			       pol_doi_host_allowed(x->ps, host));

		if (tiny || im->hidden || pol_doi_listed_logo(x->ps, im->src))
			continue;
		slug = 0;
		/* A logo is not named like a campaign picture. */
		if (allowed && small &&
		    (slug = pol_doi_words_in_slug(x->ps, im->src, name,
						  sizeof(name))) < 0)
			return -1;
		if (allowed && small && !slug && logos++ == 0)
			continue;
		pol_where_part(m, im->part, 0, where, sizeof(where));
		if (pol_doi_structure_hit(v, where, slug ? "image named like a "
					  "campaign picture, not a logo" :
					  "image other than one small logo from "
					  "an allowed domain",
					  slug ? name : NULL, im->src) < 0)
			return -1;
	}
	return 0;
}

/* Is attachment a an inline image the HTML shows (src="cid:...")? */
static int
pol_doi_inline_image(const struct pol_message *m, const struct pol_attachment *a)
{
	size_t i, n = strlen(a->content_id);

	if (strncasecmp(a->content_type, "image/", 6) != 0 || n == 0)
		return 0;
	for (i = 0; i < m->nimages; i++)
		if (pol_url_scheme_is(m->images[i].src, "cid:") &&
		    strncmp(m->images[i].src + 4, a->content_id, n) == 0 &&
		    m->images[i].src[4 + n] == '\0')
			return 1;
	return 0;
}

/*
 * Parts: a DOI mail is its text bodies and the inline images they show.
 * Anything else (an attachment, an invitation, an AMP alternative, a
 * forwarded message) is refused with its name.
 */
static int
pol_doi_parts(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	char where[160];
	size_t i;

	for (i = 0; i < m->nparts; i++) {
		size_t k;

		if (!m->parts[i].attached)
			continue;
		/* Named once: most such parts are also attachments. */
		for (k = 0; k < m->nattachments; k++)
			if (strcmp(m->attachments[k].path, m->parts[i].path) == 0)
				break;
		if (k < m->nattachments)
			continue;
		pol_where_part(m, i, 0, where, sizeof(where));
		if (pol_doi_structure_hit(v, where, "part besides the text "
					  "bodies (attachment, invitation, AMP "
					  "or attached message)", NULL,
					  m->parts[i].content_type) < 0)
			return -1;
	}
	for (i = 0; i < m->nattachments; i++) {
		const struct pol_attachment *a = &m->attachments[i];

		if (pol_doi_inline_image(m, a))
			continue;
		snprintf(where, sizeof(where), "part %s %s", a->path,
			 a->content_type);
		if (pol_doi_structure_hit(v, where, "attachment in a DOI mail",
					  a->filename[0] ? a->filename : NULL,
					  a->content_type) < 0)
			return -1;
	}
	return 0;
}

static int
pol_doi_structure(const struct pol_ctx *x, struct pol_verdict *v)
{
	if (pol_doi_links(x, v) < 0 || pol_doi_images(x, v) < 0)
		return -1;
	return pol_doi_parts(x, v);
}

/* The features that weighed most, as "a, b, c", into out. */
void
pol_ad_top_features(const struct pol_ad_sentence *s, char *out, size_t outsz)
{
	size_t n = 0;
	unsigned k;

	out[0] = '\0';
	for (k = 0; k < s->ntop && n + 1 < outsz; k++)
		n += (size_t)snprintf(out + n, outsz - n, "%s\"%s\"",
				      k ? ", " : "", s->top[k].name);
}

/*
 * A sentence the model scores as advertising is a hit quoting it, unless
 * an advertising pattern matches in it (the pattern's hit names it
 * already).
 */
static int
pol_doi_sentence_hit(void *arg, const struct pol_ad_seen *seen)
{
	struct pol_doi_scan *sc = arg;
	struct pol_verdict *v = sc->v;
	char quote[POL_DOI_QUOTE_MAX * 2], top[200];
	struct pol_pattern_hit h;
	int r;

	if (!seen->counts)
		return 0;
	if (pol_rule_hits(v, POL_RULE_DOI_ADVERTISING) >= POL_RULE_MAX_HITS)
		return 1;
	r = pol_patterns_find(pol_doi_patterns(sc->x->ps), seen->s->norm,
			      seen->s->norm_len, &h, 1);
	if (r != 0)
		return r < 0 ? -1 : 0;
	pol_ad_quote(seen->text, seen->s->start, seen->s->end, quote,
		     sizeof(quote));
	pol_ad_top_features(seen->s, top, sizeof(top));
	return pol_verdict_add(v, POL_RULE_DOI_ADVERTISING, -1, seen->where,
			       "advertising sentence \"%s\" (score %.2f, "
			       "threshold %.2f; weighed most: %s)", quote,
			       seen->s->score, seen->threshold, top) < 0
		       ? -1
		       : 0;
}

static int
doi_advertising_check(const struct pol_ctx *x, struct pol_verdict *v)
{
	struct pol_doi_scan sc = {x, v, 0};

	if (pol_doi_text(x, v) < 0)
		return -1;
	if (pol_ad_walk(x->ps, x->msg, pol_doi_sentence_hit, &sc) < 0)
		return -1;
	return pol_doi_structure(x, v) < 0 ? -1 : 0;
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
pol_doi_is_decline(const struct pol_settings *ps, const struct pol_link *l)
{
	const char *q, *seg;
	char last[128];
	size_t n;

	if (pol_url_has_prefix(l->url, ps->doi_cancel_url))
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

static int
doi_confirm_link_check(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	const char *cu = x->ps->confirm_url;
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
		    pol_doi_is_decline(x->ps, &m->links[i]))
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
	if (rc >= 0 && pol_doi_proof_check(x, v) < 0)
		rc = -1;
done:
	for (j = 0; j < distinct; j++)
		free(seen[j]);
	free(seen);
	return rc < 0 ? -1 : 0;
}

int
pol_doi_confirm_uid(const struct pol_settings *ps, const struct pol_message *m,
		    char *out, size_t outsz)
{
	struct pol_ctx c = {ps, NULL, m, POL_CLASS_OTHER, NULL};

	return pol_doi_confirm_uid_x(&c, out, outsz);
}

int
pol_doi_confirm_uid_x(const struct pol_ctx *x, char *out, size_t outsz)
{
	static const char *const names[] = {"uid", "id", "u", "token", "t"};
	const struct pol_settings *ps = x->ps;
	const struct pol_message *m = x->msg;
	size_t i, k;

	out[0] = '\0';
	for (i = 0; i < m->nlinks; i++) {
		if (!pol_url_has_prefix_x(x, m->links[i].url, ps->confirm_url) ||
		    pol_doi_is_decline(ps, &m->links[i]))
			continue;
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (url_query_param(m->links[i].url, names[k], out, outsz))
				return 1;
		return 0;
	}
	return 0;
}

const struct pol_rule_def pol_rule_doi_confirm_link = {
	.info = {"doi.confirm-link",
		  "Opt-in confirmation mail lacks exactly one https confirmation link",
		  POL_ACTION_REJECT, 0},
	.classes = POL_ON_DOI,
	.fn = doi_confirm_link_check,
};

const struct pol_rule_def pol_rule_doi_advertising = {
	.info = {"doi.advertising",
		  "Opt-in confirmation mail contains advertising",
		  POL_ACTION_REJECT, 0},
	.classes = POL_ON_DOI,
	.fn = doi_advertising_check,
};
