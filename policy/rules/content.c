/*
 * content.c - rules content.imprint and content.privacy-link for DOI and
 * marketing mail.
 *
 * The imprint (§5 DDG) must appear in every text form of the mail: each
 * ImprintText in the plain part and in the visible HTML text.  Without
 * ImprintText configured, the word Impressum/Imprint must appear.  The
 * privacy information (Art. 13 GDPR) must be linked: a link starting with
 * PrivacyURL in each text form (plain: the URL written out), or, without
 * PrivacyURL, a link whose text or URL says privacy/Datenschutz.
 */
#include <string.h>

#include "util.h"

static const char *const pol_kind_names[] = {"text/plain", "text/html"};

/* Does some part of this kind contain needle (or, without needle, the
 * word imprint in German or English)? */
static int
pol_kind_contains(const struct pol_message *m, enum pol_part_kind kind,
		  const char *needle, size_t *first)
{
	size_t i;

	*first = m->nparts;
	for (i = 0; i < m->nparts; i++) {
		const char *t = m->parts[i].text;

		if (m->parts[i].kind != kind || m->parts[i].attached)
			continue;
		if (*first == m->nparts)
			*first = i;
		if (needle ? pol_text_contains(t, needle)
			   : (pol_text_contains(t, "impressum") ||
			      pol_text_contains(t, "imprint") ||
			      pol_text_contains(t, "legal notice")))
			return 1;
	}
	return 0;
}

static int
pol_check_imprint_kind(const struct pol_ctx *x, struct pol_verdict *v,
		       enum pol_part_kind kind)
{
	const struct cfg_list *l = &x->cfg->imprint_text;
	char where[128];
	size_t k, first;

	if (!pol_has_part_kind(x->msg, kind))
		return 0;
	if (l->n == 0) {
		if (pol_kind_contains(x->msg, kind, NULL, &first))
			return 0;
		pol_where_part(x->msg, first, 0, where, sizeof(where));
		return pol_verdict_add(v, POL_RULE_CONTENT_IMPRINT, -1, where,
				       "no imprint (Impressum) in the %s part",
				       pol_kind_names[kind]);
	}
	for (k = 0; k < l->n; k++) {
		if (pol_kind_contains(x->msg, kind, l->v[k], &first))
			continue;
		pol_where_part(x->msg, first, 0, where, sizeof(where));
		return pol_verdict_add(v, POL_RULE_CONTENT_IMPRINT, -1, where,
				       "imprint text \"%s\" missing in the %s part",
				       l->v[k], pol_kind_names[kind]);
	}
	return 0;
}

static int
pol_is_privacy_link(const struct pol_ctx *x, const struct pol_link *l)
{
	const char *pu = x->cfg->privacy_url;

	if (pu && *pu)
		return pol_url_has_prefix(l->url, pu);
	return pol_text_contains(l->url, "datenschutz") ||
	       pol_text_contains(l->url, "privacy") ||
	       pol_text_contains(l->text, "datenschutz") ||
	       pol_text_contains(l->text, "privacy");
}

static int
pol_check_privacy(const struct pol_ctx *x, struct pol_verdict *v)
{
	int want[2] = {0, 0}, have[2] = {0, 0};
	const char *pu = x->cfg->privacy_url;
	size_t i, k;

	for (i = 0; i < x->msg->nparts; i++)
		if (!x->msg->parts[i].attached)
			want[x->msg->parts[i].kind] = 1;
	for (i = 0; i < x->msg->nlinks; i++) {
		const struct pol_link *l = &x->msg->links[i];

		if (l->part < x->msg->nparts &&
		    !x->msg->parts[l->part].attached && pol_is_privacy_link(x, l))
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

int
pol_rule_content(const struct pol_ctx *x, struct pol_verdict *v)
{
	int any;

	if (cfg_rule_action(x->cfg, POL_RULE_CONTENT_IMPRINT) != POL_ACTION_OFF) {
		any = x->msg->nparts > 0;
		if (pol_check_imprint_kind(x, v, POL_PART_PLAIN) < 0 ||
		    pol_check_imprint_kind(x, v, POL_PART_HTML) < 0)
			return -1;
		if (!any && pol_verdict_add(v, POL_RULE_CONTENT_IMPRINT, -1, "body",
					    "the mail has no text part") < 0)
			return -1;
	}
	if (cfg_rule_action(x->cfg, POL_RULE_CONTENT_PRIVACY_LINK) !=
	    POL_ACTION_OFF)
		return pol_check_privacy(x, v);
	return 0;
}
