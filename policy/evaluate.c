/*
 * evaluate.c - the one policy entry point: run every rule of the catalogue
 * (policy/rules/list.h, in its order) that applies to the mail's class (the
 * caller's pol_classify, or a class it knows from elsewhere) and combine
 * the hits into one action.
 *
 * Shared by the milter (end of message and RCPT time) and `consentctl
 * check`, so both give the same verdict for the same input.  Owns nothing
 * beyond the verdict it fills.
 */
#include <stdio.h>
#include <stdlib.h>

#include "policy.h"
#include "rules/rules.h"
#include "rules/util.h"

/* Severity order for combining actions: the strongest wins. */
static int
pol_action_rank(enum pol_action a)
{
	switch (a) {
	case POL_ACTION_REJECT: return 4;
	case POL_ACTION_TEMPFAIL: return 3;
	case POL_ACTION_QUARANTINE: return 2;
	case POL_ACTION_TAG: return 1;
	default: return 0;
	}
}

static void
pol_verdict_combine(const struct pol_settings *ps, struct pol_verdict *v)
{
	size_t i;

	v->action = POL_ACTION_PASS;
	for (i = 0; i < v->nhits; i++) {
		enum pol_action a = pol_rule_action(ps, v->hits[i].rule);

		/* Uninspectable DOI or marketing mail is always refused; for
		 * mail of undecided class the administrator chooses. */
		if (v->hits[i].rule == POL_RULE_LIMIT)
			a = v->cls == POL_CLASS_DOI || v->cls == POL_CLASS_MARKETING
				    ? POL_ACTION_REJECT
				    : ps->uninspected_action;

		if (v->hits[i].temporary && a == POL_ACTION_REJECT)
			a = POL_ACTION_TEMPFAIL;

		if (pol_action_rank(a) > pol_action_rank(v->action))
			v->action = a;
	}
}

/* Rules switched off never show in a verdict, whichever function found
 * them. */
static void
pol_verdict_drop_off(const struct pol_settings *ps, struct pol_verdict *v)
{
	size_t i, o = 0;

	for (i = 0; i < v->nhits; i++) {
		if (!pol_rule_info(v->hits[i].rule)->fixed &&
		    pol_rule_action(ps, v->hits[i].rule) == POL_ACTION_OFF) {
			pol_hit_clear(&v->hits[i]);
			continue;
		}
		v->hits[o++] = v->hits[i];
	}
	v->nhits = o;
}

/*
 * Does rule r's entry point run for class cls?  Only at the first rule of
 * list.h that has it, and when some rule sharing it applies to the class
 * and is not switched off.
 */
static int
pol_entry_runs(const struct pol_settings *ps, enum pol_rule r,
	       enum pol_class cls)
{
	const struct pol_rule_def *d = pol_rule_def(r), *o;
	int i, runs = 0;

	for (i = 0; i < POL_RULE_COUNT; i++) {
		o = pol_rule_def((enum pol_rule)i);
		if (o->fn != d->fn)
			continue;
		if (i < (int)r)
			return 0;
		if ((o->classes & (1u << cls)) &&
		    (o->info.fixed ||
		     pol_rule_action(ps, (enum pol_rule)i) != POL_ACTION_OFF))
			runs = 1;
	}
	return runs;
}

int
pol_evaluate(const struct pol_settings *ps, const struct pol_envelope *env,
	     const struct pol_message *msg, enum pol_class cls,
	     struct pol_verdict *v)
{
	struct pol_ctx x = {ps, env, msg, cls, NULL};
	int r, rc = POL_OK;

	v->hits = NULL;
	v->nhits = 0;
	v->action = POL_ACTION_PASS;
	v->cls = cls;
	if ((unsigned)cls > POL_CLASS_DOI)
		return POL_ERR_CLASS;
	x.memo = pol_memo_new();
	for (r = 0; r < POL_RULE_COUNT && rc == POL_OK; r++) {
		if (!pol_entry_runs(ps, (enum pol_rule)r, cls))
			continue;
		if (pol_rule_def((enum pol_rule)r)->fn(&x, v) < 0)
			rc = POL_ERR_NOMEM;
	}
	pol_verdict_drop_off(ps, v);
	pol_verdict_combine(ps, v);
	pol_memo_free(x.memo);
	return rc;
}

int
pol_check_recipient(const struct pol_settings *ps, enum pol_class cls,
		    const char *list, const struct pol_recipient *r,
		    struct pol_hit *hit)
{
	struct pol_verdict v = {cls, NULL, 0, POL_ACTION_PASS};
	enum pol_rule rule;

	if (!pol_consent_refuses(cls, list, &r->consent, &rule))
		return 0;
	if (pol_rule_action(ps, rule) == POL_ACTION_OFF)
		return 0;
	if (pol_consent_hit(&v, rule, 0, list, &r->consent) < 0)
		return -1;
	*hit = v.hits[0];
	free(v.hits);
	return 1;
}
