/*
 * catalogue.h - the stable rule ids of consentgate and their defaults.
 *
 * Rule ids appear in SMTP replies, evidence, the config (RuleAction.<id>)
 * and the docs; they never change.  Each rule declares its id, sentence,
 * classes, default action and entry point in its own file under
 * policy/rules/; policy/rules/list.h lists them, and the enum below and the
 * table behind pol_rule_info are derived from that list.
 */
#ifndef CG_CATALOGUE_H
#define CG_CATALOGUE_H

enum pol_rule {
#define POL_RULE_DEF(name, sym) POL_RULE_##name,
#include "rules/list.h"
#undef POL_RULE_DEF
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

/* What a rule's file declares about it (struct pol_rule_def, rules.h). */
struct pol_rule_info {
	const char *id;         /* "consent.missing" */
	const char *sentence;   /* plain sentence for the SMTP reply */
	enum pol_action action; /* default action */
	int fixed;              /* 1: RuleAction.<id> may not change it */
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
