/*
 * catalogue.h - the stable rule ids of consentgate and their defaults.
 *
 * Rule ids appear in SMTP replies, evidence, the config (RuleAction.<id>)
 * and the docs; they never change.  The catalogue is the single list of them.
 */
#ifndef CG_CATALOGUE_H
#define CG_CATALOGUE_H

enum pol_rule {
	POL_RULE_CONSENT_MISSING,
	POL_RULE_CONSENT_WITHDRAWN,
	POL_RULE_DOI_ADVERTISING,
	POL_RULE_DOI_CONFIRM_LINK,
	POL_RULE_DOI_RESEND,
	POL_RULE_CONTENT_PRIVACY_LINK,
	POL_RULE_CONTENT_IMPRINT,
	POL_RULE_UNSUBSCRIBE_LINK,
	POL_RULE_UNSUBSCRIBE_HEADER,
	POL_RULE_UNSUBSCRIBE_ONE_CLICK,
	POL_RULE_EXPOSURE_RECIPIENTS,
	POL_RULE_URL_ADDRESS_LEAK,
	POL_RULE_URL_INSECURE,
	POL_RULE_TRACKING_NO_CONSENT,
	POL_RULE_TLS_REQUIRED,
	POL_RULE_SPF_FAIL,
	POL_RULE_CONSENT_SCOPE, /* consent does not cover the mail's list */
	POL_RULE_LIMIT, /* message over MaxMessageSize/MaxMimeDepth/MaxParts */
	POL_RULE_COUNT
};

/* What happens to a message when a rule fires (RuleAction.<id>). */
enum pol_action {
	POL_ACTION_PASS,     /* nothing fired (never configured) */
	POL_ACTION_TAG,      /* deliver, add the header only */
	POL_ACTION_QUARANTINE,
	POL_ACTION_TEMPFAIL,
	POL_ACTION_REJECT,
	POL_ACTION_OFF       /* the rule is not evaluated */
};

struct pol_rule_info {
	const char *id;       /* "consent.missing" */
	const char *sentence; /* plain sentence for the SMTP reply */
	int implemented;      /* 0: accepted in config, not yet checked */
};

/* Borrowed static data; NULL for an out-of-range rule. */
const struct pol_rule_info *pol_rule_info(enum pol_rule r);
/* The rule whose id is name (case-insensitive), or -1. */
int pol_rule_find(const char *name);
const char *pol_action_name(enum pol_action a);
/* Parse "reject", "tempfail", "quarantine", "tag", "off"; -1 if unknown. */
int pol_action_parse(const char *s);
/*
 * The i-th action word an evidence record can hold (i from 0), NULL past
 * the last: the rule actions a decision takes (pass, tag, quarantine,
 * tempfail, reject), then those of the other records: monitor (a decision
 * in monitor mode), passed-to-mta, sent, withdrawn, refused, unknown (DOI sends
 * and withdrawals by mail), add, confirm, withdraw, import, forget, purge,
 * migrate (consent changes and data protection) and outbox-retry,
 * outbox-drop, outbox-dead, verify (replication).  Borrowed static text.
 */
const char *pol_evidence_action(unsigned i);

#endif
