/*
 * catalogue.c - the table of rule ids, their reply sentences, the action
 * names and the action words evidence records hold.  Static data only; owns nothing at run time.
 */
#include "catalogue.h"

#include <stddef.h>
#include <strings.h>

static const struct pol_rule_info pol_rules[POL_RULE_COUNT] = {
	[POL_RULE_CONSENT_MISSING] = {"consent.missing",
		"Recipient has no confirmed consent for marketing mail", 1},
	[POL_RULE_CONSENT_WITHDRAWN] = {"consent.withdrawn",
		"Recipient has withdrawn consent for marketing mail", 1},
	[POL_RULE_DOI_ADVERTISING] = {"doi.advertising",
		"Opt-in confirmation mail contains advertising", 1},
	[POL_RULE_DOI_CONFIRM_LINK] = {"doi.confirm-link",
		"Opt-in confirmation mail lacks exactly one https confirmation link", 1},
	[POL_RULE_DOI_RESEND] = {"doi.resend",
		"Recipient already received an unanswered opt-in confirmation mail", 1},
	[POL_RULE_CONTENT_PRIVACY_LINK] = {"content.privacy-link",
		"Mail lacks a link to the privacy policy", 1},
	[POL_RULE_CONTENT_IMPRINT] = {"content.imprint",
		"Mail lacks the imprint (Impressum)", 1},
	[POL_RULE_UNSUBSCRIBE_LINK] = {"unsubscribe.link",
		"Marketing mail lacks a visible unsubscribe link", 1},
	[POL_RULE_UNSUBSCRIBE_HEADER] = {"unsubscribe.header",
		"Marketing mail lacks a List-Unsubscribe header with an https URI", 1},
	[POL_RULE_UNSUBSCRIBE_ONE_CLICK] = {"unsubscribe.one-click",
		"Marketing mail lacks List-Unsubscribe-Post: List-Unsubscribe=One-Click", 1},
	[POL_RULE_EXPOSURE_RECIPIENTS] = {"exposure.recipients",
		"Mail exposes several recipients to each other in To/Cc", 1},
	[POL_RULE_URL_ADDRESS_LEAK] = {"url.address-leak",
		"A URL in the mail contains a recipient's address", 1},
	[POL_RULE_URL_INSECURE] = {"url.insecure",
		"Mail contains an insecure http:// link or image", 1},
	[POL_RULE_TRACKING_NO_CONSENT] = {"tracking.no-consent",
		"Mail tracks a recipient who has not consented to tracking", 1},
	[POL_RULE_TLS_REQUIRED] = {"tls.required",
		"Marketing and opt-in mail must be submitted over TLS", 1},
	[POL_RULE_SPF_FAIL] = {"spf.fail",
		"The sending address is not authorised by the sender domain's SPF", 1},
	[POL_RULE_CONSENT_SCOPE] = {"consent.scope",
		"Recipient's consent does not cover this mailing list", 1},
	[POL_RULE_LIMIT] = {"message.limit",
		"Message exceeds the size, MIME depth or part limit", 1},
};

static const char *const pol_action_names[] = {
	[POL_ACTION_PASS] = "pass",
	[POL_ACTION_TAG] = "tag",
	[POL_ACTION_QUARANTINE] = "quarantine",
	[POL_ACTION_TEMPFAIL] = "tempfail",
	[POL_ACTION_REJECT] = "reject",
	[POL_ACTION_OFF] = "off",
};

const struct pol_rule_info *
pol_rule_info(enum pol_rule r)
{
	if ((int)r < 0 || r >= POL_RULE_COUNT)
		return NULL;
	return &pol_rules[r];
}

int
pol_rule_find(const char *name)
{
	int i;

	for (i = 0; i < POL_RULE_COUNT; i++)
		if (strcasecmp(pol_rules[i].id, name) == 0)
			return i;
	return -1;
}

const char *
pol_action_name(enum pol_action a)
{
	if ((int)a < 0 || a > POL_ACTION_OFF)
		return "?";
	return pol_action_names[a];
}

static const char *const pol_record_actions[] = {
	"monitor", "passed-to-mta", "sent", "withdrawn", "refused", "unknown",
	"add",
	"confirm", "withdraw", "import", "forget", "purge", "migrate",
	"outbox-retry", "outbox-drop", "outbox-dead", "verify",
};

const char *
pol_evidence_action(unsigned i)
{
	static const enum pol_action rule_actions[] = {
		POL_ACTION_PASS, POL_ACTION_REJECT, POL_ACTION_TEMPFAIL,
		POL_ACTION_QUARANTINE, POL_ACTION_TAG,
	};
	size_t nr = sizeof(rule_actions) / sizeof(rule_actions[0]);

	if (i < nr)
		return pol_action_names[rule_actions[i]];
	i -= (unsigned)nr;
	if (i < sizeof(pol_record_actions) / sizeof(pol_record_actions[0]))
		return pol_record_actions[i];
	return NULL;
}

int
pol_action_parse(const char *s)
{
	int i;

	for (i = POL_ACTION_TAG; i <= POL_ACTION_OFF; i++)
		if (strcasecmp(pol_action_names[i], s) == 0)
			return i;
	return -1;
}
