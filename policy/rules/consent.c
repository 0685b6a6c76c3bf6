/*
 * consent.c - rules consent.missing and consent.withdrawn.
 *
 * Marketing mail may go only to recipients whose record is confirmed
 * (double opt-in, Art. 6(1)(a), 7(1) GDPR; §7(2) UWG) or customer (§7(3)
 * UWG).  A withdrawn record refuses with its own id (Art. 7(3) GDPR), any
 * other state (none, pending) with consent.missing.  DOI mail goes to
 * unconfirmed addresses by nature and is governed by the doi.* rules.
 */
#include "rules.h"

int
pol_consent_refuses(enum pol_class cls, const struct pol_consent *c,
		    enum pol_rule *rule)
{
	if (cls != POL_CLASS_MARKETING)
		return 0;
	switch (c->state) {
	case POL_CONSENT_CONFIRMED:
	case POL_CONSENT_CUSTOMER:
		return 0;
	case POL_CONSENT_WITHDRAWN:
		*rule = POL_RULE_CONSENT_WITHDRAWN;
		return 1;
	default:
		*rule = POL_RULE_CONSENT_MISSING;
		return 1;
	}
}

int
pol_rule_consent(const struct pol_ctx *x, struct pol_verdict *v)
{
	enum pol_rule rule;
	size_t i;

	for (i = 0; i < x->env->nrcpts; i++) {
		const struct pol_recipient *r = &x->env->rcpts[i];

		if (!pol_consent_refuses(x->cls, &r->consent, &rule))
			continue;
		if (cfg_rule_action(x->cfg, rule) == POL_ACTION_OFF)
			continue;
		if (pol_verdict_add(v, rule, (int)i, "envelope recipient",
				    "consent state is %s",
				    pol_consent_name(r->consent.state)) < 0)
			return -1;
	}
	return 0;
}
