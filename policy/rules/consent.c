/*
 * consent.c - rules consent.missing, consent.withdrawn and consent.scope.
 *
 * Marketing mail may go only to recipients whose record is confirmed
 * (double opt-in, Art. 6(1)(a), 7(1) GDPR; §7(2) UWG) or customer (§7(3)
 * UWG).  A withdrawn record refuses with its own id (Art. 7(3) GDPR), any
 * other state (none, pending) with consent.missing.  With ConsentList
 * configured, the consent must also cover the mail's list (BGH VI ZR
 * 721/15: a consent covers the products and senders it names): a list
 * withdrawn on its own refuses with consent.withdrawn, a list the record
 * does not hold confirmed (or as customer) with consent.scope.  DOI mail
 * goes to unconfirmed addresses by nature and is governed by the doi.*
 * rules.
 */
#include <stdio.h>
#include <string.h>

#include "rules.h"

/* The recipient's state for list, or NONE when the record lacks it;
 * a record without lists (not known per list) covers every list. */
static enum pol_consent_state
pol_consent_list_state(const struct pol_consent *c, const char *list)
{
	unsigned int i;

	if (c->nlists == 0)
		return c->state;
	for (i = 0; i < c->nlists; i++)
		if (strcmp(c->lists[i].name, list) == 0)
			return c->lists[i].state;
	return POL_CONSENT_NONE;
}

int
pol_consent_refuses(enum pol_class cls, const char *list,
		    const struct pol_consent *c, enum pol_rule *rule)
{
	if (cls != POL_CLASS_MARKETING)
		return 0;
	switch (c->state) {
	case POL_CONSENT_CONFIRMED:
	case POL_CONSENT_CUSTOMER:
		break;
	case POL_CONSENT_WITHDRAWN:
		*rule = POL_RULE_CONSENT_WITHDRAWN;
		return 1;
	default:
		*rule = POL_RULE_CONSENT_MISSING;
		return 1;
	}
	if (list == NULL)
		return 0;
	switch (pol_consent_list_state(c, list)) {
	case POL_CONSENT_CONFIRMED:
	case POL_CONSENT_CUSTOMER:
		return 0;
	case POL_CONSENT_WITHDRAWN:
		*rule = POL_RULE_CONSENT_WITHDRAWN;
		return 1;
	default:
		*rule = POL_RULE_CONSENT_SCOPE;
		return 1;
	}
}

/* The covered lists of c as "a, b" into out (or "none"). */
static void
pol_consent_covered(const struct pol_consent *c, char *out, size_t outsz)
{
	size_t len = 0;
	unsigned int i;
	int n;

	out[0] = '\0';
	for (i = 0; i < c->nlists; i++) {
		if (c->lists[i].state != POL_CONSENT_CONFIRMED &&
		    c->lists[i].state != POL_CONSENT_CUSTOMER)
			continue;
		n = snprintf(out + len, outsz - len, "%s%s", len ? ", " : "",
			     c->lists[i].name);
		if (n < 0 || (size_t)n >= outsz - len)
			break;
		len += (size_t)n;
	}
	if (len == 0)
		snprintf(out, outsz, "none");
}

int
pol_consent_hit(struct pol_verdict *v, enum pol_rule rule, int rcpt,
		const char *list, const struct pol_consent *c)
{
	char covered[POL_LISTS_MAX * (POL_LIST_NAME_MAX + 2) + 8];

	if (rule == POL_RULE_CONSENT_SCOPE) {
		pol_consent_covered(c, covered, sizeof(covered));
		return pol_verdict_add(v, rule, rcpt, "envelope recipient",
				       "consent covers %s, not list %s",
				       covered, list);
	}
	if (list && c->state != POL_CONSENT_WITHDRAWN &&
	    rule == POL_RULE_CONSENT_WITHDRAWN)
		return pol_verdict_add(v, rule, rcpt, "envelope recipient",
				       "consent for list %s is withdrawn",
				       list);
	return pol_verdict_add(v, rule, rcpt, "envelope recipient",
			       "consent state is %s",
			       pol_consent_name(c->state));
}

static int
consent_check(const struct pol_ctx *x, struct pol_verdict *v)
{
	const char *list = pol_mail_list(x->ps, x->env->sender, x->msg, NULL);
	enum pol_rule rule;
	size_t i;

	for (i = 0; i < x->env->nrcpts; i++) {
		const struct pol_recipient *r = &x->env->rcpts[i];

		if (!pol_consent_refuses(x->cls, list, &r->consent, &rule))
			continue;
		if (pol_rule_action(x->ps, rule) == POL_ACTION_OFF)
			continue;
		if (pol_consent_hit(v, rule, (int)i, list, &r->consent) < 0)
			return -1;
	}
	return 0;
}

const struct pol_rule_def pol_rule_consent_missing = {
	.info = {"consent.missing",
		  "Recipient has no confirmed consent for marketing mail",
		  POL_ACTION_REJECT, 0},
	.classes = POL_ON_MARKETING,
	.fn = consent_check,
};

const struct pol_rule_def pol_rule_consent_withdrawn = {
	.info = {"consent.withdrawn",
		  "Recipient has withdrawn consent for marketing mail",
		  POL_ACTION_REJECT, 0},
	.classes = POL_ON_MARKETING,
	.fn = consent_check,
};

const struct pol_rule_def pol_rule_consent_scope = {
	.info = {"consent.scope",
		  "Recipient's consent does not cover this mailing list",
		  POL_ACTION_REJECT, 0},
	.classes = POL_ON_MARKETING,
	.fn = consent_check,
};
