/*
 * tracking.c - rule tracking.no-consent for DOI and marketing mail.
 *
 * Tracking pixels and personalised click tracking need the recipient's
 * consent (§25 TDDDG, GDPR).  Tracking is: an image of at most 1x1 pixel,
 * a hidden image, or any image or link whose host lies in TrackingDomains,
 * except the DOI links themselves (under ConfirmURL or DoiCancelURL): a
 * mailing tool serves them from the same host it tracks with, and their
 * click is the recipient's answer, recorded as consent evidence, not
 * tracking.  Each recipient whose record lacks tracking consent is a hit.
 */
#include <stdio.h>

#include "util.h"

/* Describe the first tracking element into what; 1 when there is one. */
static int
pol_find_tracking(const struct pol_ctx *x, char *what, size_t whatsz)
{
	const struct pol_message *m = x->msg;
	const struct cfg_list *td = &x->cfg->tracking_domains;
	char host[POL_HOST_MAX];
	size_t i;

	for (i = 0; i < m->nimages; i++) {
		const struct pol_image *im = &m->images[i];
		int tiny = im->width >= 0 && im->height >= 0 && im->width <= 1 &&
			   im->height <= 1;

		if (tiny || im->hidden) {
			snprintf(what, whatsz, "%s image %.200s",
				 tiny ? "1x1 pixel" : "hidden", im->src);
			return 1;
		}
		if (pol_url_host(im->src, host, sizeof(host)) == 0 &&
		    pol_host_in_list(host, td->v, td->n)) {
			snprintf(what, whatsz, "image from tracking domain %s", host);
			return 1;
		}
	}
	for (i = 0; i < m->nlinks; i++) {
		if (pol_url_has_prefix(m->links[i].url, x->cfg->confirm_url) ||
		    pol_url_has_prefix(m->links[i].url, x->cfg->doi_cancel_url))
			continue;
		if (pol_url_host(m->links[i].url, host, sizeof(host)) == 0 &&
		    pol_host_in_list(host, td->v, td->n)) {
			snprintf(what, whatsz, "link through tracking domain %s",
				 host);
			return 1;
		}
	}
	return 0;
}

int
pol_rule_tracking(const struct pol_ctx *x, struct pol_verdict *v)
{
	char what[300];
	size_t i;

	if (!pol_find_tracking(x, what, sizeof(what)))
		return 0;
	for (i = 0; i < x->env->nrcpts; i++) {
		if (x->env->rcpts[i].consent.tracking)
			continue;
		if (pol_verdict_add(v, POL_RULE_TRACKING_NO_CONSENT, (int)i,
				    "message", "%s, but the recipient has no "
				    "tracking consent", what) < 0)
			return -1;
	}
	return 0;
}
