/*
 * table.c - the catalogue of rule entry points in evaluation order.  Adding
 * a rule is one file in policy/rules/ and one line here.
 */
#include "rules.h"

static const struct pol_rule_entry pol_table[] = {
	/* consent.missing, consent.withdrawn and consent.scope. */
	{POL_RULE_CONSENT_MISSING, POL_ON_MARKETING, pol_rule_consent, 1},
	{POL_RULE_TLS_REQUIRED, POL_ON_DOI | POL_ON_MARKETING, pol_rule_tls, 0},
	{POL_RULE_SPF_FAIL, POL_ON_DOI | POL_ON_MARKETING, pol_rule_spf, 0},
	{POL_RULE_DOI_RESEND, POL_ON_DOI, pol_rule_doi_resend, 0},
	{POL_RULE_DOI_CONFIRM_LINK, POL_ON_DOI, pol_rule_doi_confirm_link, 0},
	{POL_RULE_DOI_ADVERTISING, POL_ON_DOI, pol_rule_doi_advertising, 0},
	/* One entry per family: the function checks RuleAction of each id. */
	{POL_RULE_UNSUBSCRIBE_LINK, POL_ON_MARKETING, pol_rule_unsubscribe, 1},
	{POL_RULE_CONTENT_IMPRINT, POL_ON_DOI | POL_ON_MARKETING, pol_rule_content, 1},
	{POL_RULE_EXPOSURE_RECIPIENTS, POL_ON_DOI | POL_ON_MARKETING,
	 pol_rule_exposure, 0},
	{POL_RULE_URL_INSECURE, POL_ON_DOI | POL_ON_MARKETING, pol_rule_insecure, 0},
	{POL_RULE_URL_ADDRESS_LEAK, POL_ON_DOI | POL_ON_MARKETING,
	 pol_rule_address_leak, 0},
	{POL_RULE_TRACKING_NO_CONSENT, POL_ON_DOI | POL_ON_MARKETING,
	 pol_rule_tracking, 0},
};

const struct pol_rule_entry *
pol_rule_table(size_t *n)
{
	*n = sizeof(pol_table) / sizeof(pol_table[0]);
	return pol_table;
}
