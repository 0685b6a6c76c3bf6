/*
 * table.c - the catalogue of rule entry points in evaluation order.  Adding
 * a rule is one file in policy/rules/ and one line here.
 */
#include "rules.h"

static const struct pol_rule_entry pol_table[] = {
	{POL_RULE_CONSENT_MISSING, POL_ON_MARKETING, pol_rule_consent},
};

const struct pol_rule_entry *
pol_rule_table(size_t *n)
{
	*n = sizeof(pol_table) / sizeof(pol_table[0]);
	return pol_table;
}
