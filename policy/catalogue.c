/*
 * catalogue.c - the table of rule definitions (built from
 * policy/rules/list.h; each definition lives in its rule's file), lookup by
 * id, the action names and the action words evidence records hold.  Static
 * data only; owns nothing at run time.
 */
#include "catalogue.h"
#include "rules/rules.h"
#include "settings.h"

#include <stddef.h>
#include <strings.h>

/* Indexed by enum pol_rule: both come from the same lines of list.h. */
static const struct pol_rule_def *const pol_rules[] = {
#define POL_RULE_DEF(name, sym) &pol_rule_##sym,
#include "rules/list.h"
#undef POL_RULE_DEF
};

_Static_assert(sizeof(pol_rules) / sizeof(pol_rules[0]) == POL_RULE_COUNT,
	       "one definition per rule id");

static const char *const pol_action_names[] = {
	[POL_ACTION_PASS] = "pass",
	[POL_ACTION_TAG] = "tag",
	[POL_ACTION_QUARANTINE] = "quarantine",
	[POL_ACTION_TEMPFAIL] = "tempfail",
	[POL_ACTION_REJECT] = "reject",
	[POL_ACTION_OFF] = "off",
};

const struct pol_rule_def *
pol_rule_def(enum pol_rule r)
{
	if ((int)r < 0 || r >= POL_RULE_COUNT)
		return NULL;
	return pol_rules[r];
}

const struct pol_rule_info *
pol_rule_info(enum pol_rule r)
{
	const struct pol_rule_def *d = pol_rule_def(r);

	return d ? &d->info : NULL;
}

int
pol_rule_find(const char *name)
{
	int i;

	for (i = 0; i < POL_RULE_COUNT; i++)
		if (strcasecmp(pol_rules[i]->info.id, name) == 0)
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

enum pol_action
pol_rule_action(const struct pol_settings *s, enum pol_rule r)
{
	return s->rule_action[r];
}
