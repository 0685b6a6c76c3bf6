/*
 * doi_resend.c - rule doi.resend: a still-pending address gets no second
 * double opt-in mail unless DoiResend days have passed since the last one
 * (a repeated confirmation request is itself unsolicited mail).  The same
 * mail handed over again (same Message-ID and content hash, within
 * DoiRetryWindow days of the first hand-over) is a retry after a temporary
 * failure, not a second one (pol_doi_same_mail, which the milter asks too).
 *
 * What was sent when comes in as data (pol_consent.doi_sent_at, doi_msgid,
 * doi_hash); owns nothing beyond a call; returns -1 only when memory ran
 * out.
 */
#include <stdio.h>
#include <string.h>

#include "util.h"

int
pol_doi_same_mail(const struct pol_settings *ps, const char *sent_msgid,
		  const char *sent_hash, int64_t sent_at,
		  const struct pol_message *msg, int64_t now)
{
	const int64_t day = 86400;

	if (ps->doi_retry_window <= 0 || sent_at <= 0 || now < sent_at ||
	    now - sent_at >= ps->doi_retry_window * day)
		return 0;
	if (sent_msgid == NULL || sent_hash == NULL || sent_msgid[0] == '\0' ||
	    sent_hash[0] == '\0' || msg->message_id[0] == '\0')
		return 0;
	return strcmp(sent_msgid, msg->message_id) == 0 &&
	       strcmp(sent_hash, pol_message_sha256(msg)) == 0;
}

static int
doi_resend_check(const struct pol_ctx *x, struct pol_verdict *v)
{
	const int64_t day = 86400;
	long days = x->ps->doi_resend_days;
	size_t i;

	for (i = 0; i < x->env->nrcpts; i++) {
		const struct pol_consent *c = &x->env->rcpts[i].consent;

		if (c->state != POL_CONSENT_PENDING || c->doi_sent_at <= 0)
			continue;
		/* The sender's MTA handing the same mail over again after a
		 * 4xx (later in the MTA, or ours) is no second DOI mail. */
		if (pol_doi_same_mail(x->ps, c->doi_msgid, c->doi_hash,
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

const struct pol_rule_def pol_rule_doi_resend = {
	.info = {"doi.resend",
		  "Recipient already received an unanswered opt-in confirmation mail",
		  POL_ACTION_REJECT, 0},
	.classes = POL_ON_DOI,
	.fn = doi_resend_check,
};

