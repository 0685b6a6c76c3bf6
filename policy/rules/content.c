/*
 * content.c - rules content.imprint and content.privacy-link for DOI and
 * marketing mail.
 *
 * The imprint (§5 DDG) must appear in every text form of the mail: each
 * ImprintText in the plain part and in the visible HTML text, compared as
 * the reader sees it (normalised: a soft hyphen, a no-break or narrow
 * no-break space, a look-alike letter or another case do not hide an
 * imprint, nor make one up).  Each part is normalised once.  Without
 * ImprintText configured, the word Impressum/Imprint must appear.  The
 * privacy information (Art. 13 GDPR) must be linked: a link starting with
 * PrivacyURL in each text form (plain: the URL written out), or, without
 * PrivacyURL, a link whose text or URL says privacy/Datenschutz.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "../../common/textnorm.h"

static const char *const pol_kind_names[] = {"text/plain", "text/html"};

/* The parts' visible texts, each normalised once for all needles. */
struct pol_norm_parts {
	char **v;
	size_t n;
};

static void
pol_norm_parts_free(struct pol_norm_parts *np)
{
	size_t i;

	for (i = 0; i < np->n; i++)
		free(np->v[i]);
	free(np->v);
}

static int
pol_norm_parts_make(const struct pol_message *m, struct pol_norm_parts *np)
{
	size_t i;

	np->n = 0;
	np->v = calloc(m->nparts ? m->nparts : 1, sizeof(*np->v));
	if (np->v == NULL)
		return -1;
	for (np->n = 0; np->n < m->nparts; np->n++) {
		i = np->n;
		np->v[i] = textnorm_string(m->parts[i].text ? m->parts[i].text : "");
		if (np->v[i] == NULL)
			return -1;
	}
	return 0;
}

/* Does some part of this kind contain needle (or, without needle, the
 * word imprint in German or English)?  1, 0, or -1 out of memory. */
static int
pol_kind_contains(const struct pol_message *m, const struct pol_norm_parts *np,
		  enum pol_part_kind kind, const char *needle, size_t *first)
{
	static const char *const words[] = {"impressum", "imprint",
					    "legal notice"};
	size_t i, k;
	int r;

	*first = m->nparts;
	for (i = 0; i < m->nparts; i++) {
		if (m->parts[i].kind != kind || m->parts[i].attached)
			continue;
		if (*first == m->nparts)
			*first = i;
		for (k = 0; k < (needle ? 1 : 3); k++) {
			r = pol_norm_contains(np->v[i], needle ? needle : words[k]);
			if (r != 0)
				return r;
		}
	}
	return 0;
}

static int
pol_check_imprint_kind(const struct pol_ctx *x, const struct pol_norm_parts *np,
		       struct pol_verdict *v, enum pol_part_kind kind)
{
	const struct pol_list *l = &x->ps->imprint_text;
	char where[128];
	size_t k, first;
	int r;

	if (!pol_has_part_kind(x->msg, kind))
		return 0;
	if (l->n == 0) {
		if ((r = pol_kind_contains(x->msg, np, kind, NULL, &first)) != 0)
			return r < 0 ? -1 : 0;
		pol_where_part(x->msg, first, 0, where, sizeof(where));
		return pol_verdict_add(v, POL_RULE_CONTENT_IMPRINT, -1, where,
				       "no imprint (Impressum) in the %s part",
				       pol_kind_names[kind]);
	}
	for (k = 0; k < l->n; k++) {
		if ((r = pol_kind_contains(x->msg, np, kind, l->v[k], &first)) != 0) {
			if (r < 0)
				return -1;
			continue;
		}
		pol_where_part(x->msg, first, 0, where, sizeof(where));
		return pol_verdict_add(v, POL_RULE_CONTENT_IMPRINT, -1, where,
				       "imprint text \"%s\" missing in the %s part",
				       l->v[k], pol_kind_names[kind]);
	}
	return 0;
}

/* content.imprint over both text forms, each part normalised once. */
static int
pol_check_imprint(const struct pol_ctx *x, struct pol_verdict *v)
{
	struct pol_norm_parts np = {NULL, 0};
	int rc = -1;

	if (pol_norm_parts_make(x->msg, &np) == 0 &&
	    pol_check_imprint_kind(x, &np, v, POL_PART_PLAIN) == 0 &&
	    pol_check_imprint_kind(x, &np, v, POL_PART_HTML) == 0)
		rc = 0;
	pol_norm_parts_free(&np);
	return rc;
}

static int
pol_is_privacy_url(const struct pol_ctx *x, const struct pol_link *l,
		   const char *url)
{
	const char *pu = x->ps->privacy_url;

	if (pu && *pu)
		return pol_url_has_prefix_x(x, url, pu);
	return pol_text_contains(url, "datenschutz") ||
	       pol_text_contains(url, "privacy") ||
	       pol_text_contains(l->text, "datenschutz") ||
	       pol_text_contains(l->text, "privacy");
}

/* A privacy link behind a click tracker is still the privacy link: the
 * reader lands on the policy.  1 yes, 0 no, -1 out of memory. */
static int
pol_is_privacy_link(const struct pol_ctx *x, const struct pol_link *l)
{
	char target[2048];
	int r;

	if (pol_is_privacy_url(x, l, l->url))
		return 1;
	r = pol_url_unwrap_x(x, l->url, target, sizeof(target));
	if (r <= 0)
		return r;
	return pol_is_privacy_url(x, l, target);
}

static int
pol_check_privacy(const struct pol_ctx *x, struct pol_verdict *v)
{
	int want[2] = {0, 0}, have[2] = {0, 0};
	const char *pu = x->ps->privacy_url;
	size_t i, k;

	for (i = 0; i < x->msg->nparts; i++)
		if (!x->msg->parts[i].attached)
			want[x->msg->parts[i].kind] = 1;
	for (i = 0; i < x->msg->nlinks; i++) {
		const struct pol_link *l = &x->msg->links[i];
		int r;

		if (l->part >= x->msg->nparts || l->hidden ||
		    x->msg->parts[l->part].attached)
			continue;
		if ((r = pol_is_privacy_link(x, l)) < 0)
			return -1;
		if (r)
			have[x->msg->parts[l->part].kind] = 1;
	}
	for (k = 0; k < 2; k++) {
		if (!want[k] || have[k])
			continue;
		if (pol_verdict_add(v, POL_RULE_CONTENT_PRIVACY_LINK, -1,
				    pol_kind_names[k],
				    "no link to the privacy policy%s%s in the %s part",
				    pu && *pu ? " " : "", pu && *pu ? pu : "",
				    pol_kind_names[k]) < 0)
			return -1;
	}
	if (!want[0] && !want[1])
		return pol_verdict_add(v, POL_RULE_CONTENT_PRIVACY_LINK, -1, "body",
				       "the mail has no text part");
	return 0;
}

static int
content_check(const struct pol_ctx *x, struct pol_verdict *v)
{
	int any;

	if (pol_rule_action(x->ps, POL_RULE_CONTENT_IMPRINT) != POL_ACTION_OFF) {
		any = x->msg->nparts > 0;
		if (pol_check_imprint(x, v) < 0)
			return -1;
		if (!any && pol_verdict_add(v, POL_RULE_CONTENT_IMPRINT, -1, "body",
					    "the mail has no text part") < 0)
			return -1;
	}
	if (pol_rule_action(x->ps, POL_RULE_CONTENT_PRIVACY_LINK) !=
	    POL_ACTION_OFF)
		return pol_check_privacy(x, v);
	return 0;
}

const struct pol_rule_def pol_rule_content_imprint = {
	.info = {"content.imprint",
		  "Mail lacks the imprint (Impressum)",
		  POL_ACTION_REJECT, 0},
	.classes = POL_ON_DOI | POL_ON_MARKETING,
	.fn = content_check,
};

const struct pol_rule_def pol_rule_content_privacy_link = {
	.info = {"content.privacy-link",
		  "Mail lacks a link to the privacy policy",
		  POL_ACTION_REJECT, 0},
	.classes = POL_ON_DOI | POL_ON_MARKETING,
	.fn = content_check,
};
