/*
 * exposure.c - rule exposure.recipients: DOI and marketing mail must not
 * show several recipients to each other in To and Cc (Art. 5(1)(f), 32
 * GDPR; the classic "whole list in CC" incident).  Bcc and envelope
 * recipients are invisible and fine.  Addresses are compared normalised, so
 * one person named twice is one recipient.
 */
#include <string.h>

#include "util.h"

int
pol_rule_exposure(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	size_t i, j, distinct = 0;

	for (i = 0; i < m->nto_cc; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(m->to_cc[i], m->to_cc[j]) == 0)
				break;
		if (j == i)
			distinct++;
	}
	if (distinct <= 1)
		return 0;
	return pol_verdict_add(v, POL_RULE_EXPOSURE_RECIPIENTS, -1,
			       "header To/Cc",
			       "%zu recipient addresses are visible in To and Cc; "
			       "send one mail per recipient or use Bcc",
			       distinct);
}
