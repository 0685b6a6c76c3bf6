/*
 * track_params.c - personalised click tracking told by a link's query
 * parameters, for rule tracking.no-consent (tracking.c).
 *
 * A link is personalised click tracking when its query carries
 *  - a parameter that a mailing or marketing tool defines as the
 *    recipient's identifier (Mailchimp mc_eid, Marketo mkt_tok, HubSpot
 *    _hsenc, Klaviyo _kx/_ke, Vero vero_id, ConvertKit ck_subscriber_id,
 *    MailerLite ml_subscriber/ml_subscriber_hash, Bronto _bta_tid, Omeda
 *    oly_enc_id), with a value; or
 *  - an analytics parameter (utm_*) whose value holds one of the
 *    recipient's tokens (List-Unsubscribe token, DOI uid, Message-ID
 *    local part) as given by the caller.
 * Campaign-wide parameters (utm_* without a token, mc_cid) are not
 * personal and do not count.  Reads only the query as written; owns
 * nothing beyond a call and cannot fail.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static const char *const pol_click_ids[] = {
	"mc_eid", "mkt_tok", "_hsenc", "_kx", "_ke", "vero_id",
	"ck_subscriber_id", "ml_subscriber", "ml_subscriber_hash", "_bta_tid",
	"oly_enc_id",
};

/* 1 when the n bytes at v hold token (case-insensitive). */
static int
pol_value_has(const char *v, size_t n, const char *token)
{
	size_t k = strlen(token), i;

	for (i = 0; k && i + k <= n; i++)
		if (strncasecmp(v + i, token, k) == 0)
			return 1;
	return 0;
}

/* Is the parameter name (n bytes) a tool's per-recipient identifier? */
static int
pol_is_click_id(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(pol_click_ids) / sizeof(pol_click_ids[0]); i++)
		if (strlen(pol_click_ids[i]) == n &&
		    strncasecmp(name, pol_click_ids[i], n) == 0)
			return 1;
	return 0;
}

int
pol_click_id(const char *url, const char *const *tokens, size_t ntokens,
	     char *what, size_t whatsz)
{
	char path[1024], query[2048];
	const char *p;
	size_t i;

	if (pol_url_path_query(url, path, sizeof(path), query, sizeof(query)) < 0)
		return 0;
	for (p = query; *p;) {
		size_t len = strcspn(p, "&;"), nl = strcspn(p, "=");
		const char *val = p + nl + 1;
		size_t vl = nl < len ? len - nl - 1 : 0;

		if (nl > len)
			nl = len;
		if (vl && pol_is_click_id(p, nl)) {
			snprintf(what, whatsz, "per-recipient click id %.*s in "
				 "%.200s", (int)nl, p, url);
			return 1;
		}
		for (i = 0; vl && nl > 4 && strncasecmp(p, "utm_", 4) == 0 &&
			    i < ntokens; i++)
			if (pol_value_has(val, vl, tokens[i])) {
				snprintf(what, whatsz, "analytics parameter "
					 "%.*s carries the recipient's token "
					 "in %.200s", (int)nl, p, url);
				return 1;
			}
		p += len;
		if (*p)
			p++;
	}
	return 0;
}
