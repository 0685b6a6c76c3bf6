/*
 * evaluate.c - the one policy entry point: run every rule that applies to
 * the mail's class (the caller's pol_classify, or a class it knows from
 * elsewhere) and combine the hits into one action.
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
		if (v->hits[i].rule != POL_RULE_LIMIT &&
		    pol_rule_action(ps, v->hits[i].rule) == POL_ACTION_OFF) {
			pol_hit_clear(&v->hits[i]);
			continue;
		}
		v->hits[o++] = v->hits[i];
	}
	v->nhits = o;
}

/* What limit kept the parser from seeing the whole message. */
static void
pol_limit_reason(const struct pol_settings *ps, const struct pol_message *m, char *out,
		 size_t outsz)
{
	unsigned f = m->flags;

	if (f & POL_MSG_OVER_DEPTH)
		snprintf(out, outsz, "MIME nesting deeper than MaxMimeDepth (%ld)",
			 ps->max_mime_depth);
	else if (f & POL_MSG_OVER_PARTS)
		snprintf(out, outsz, "more MIME parts than MaxParts (%ld)",
			 ps->max_parts);
	else if (f & POL_MSG_OVER_HTML)
		snprintf(out, outsz, "HTML too large or too deeply nested to "
			 "inspect");
	else if (f & POL_MSG_OVER_TEXT)
		snprintf(out, outsz, "more text than can be inspected");
	else if (f & POL_MSG_OVER_SIZE)
		snprintf(out, outsz, "message larger than MaxMessageSize (%ld "
			 "bytes); only the first %ld bytes were inspected",
			 ps->max_message_size, ps->max_message_size);
	else
		snprintf(out, outsz, "a limit cut the inspection short");
}

/*
 * A message the parser could not fully inspect is never declared
 * compliant.  DOI and marketing mail (by sender lists, ClassHeader, or a
 * ConfirmURL found anywhere, even in the unparsed rest) is refused; mail
 * whose class stays undecided gets UninspectedAction (see
 * pol_verdict_combine), recorded with the same rule id.  The detail names
 * the limit that was hit.
 */
static int
pol_check_limits(const struct pol_ctx *x, struct pol_verdict *v)
{
	const unsigned cut = POL_MSG_OVER_DEPTH | POL_MSG_OVER_PARTS |
			     POL_MSG_OVER_HTML | POL_MSG_OVER_TEXT |
			     POL_MSG_TRUNCATED | POL_MSG_OVER_SIZE;
	char reason[160];

	if (x->msg == NULL || !(x->msg->flags & cut))
		return 0;
	pol_limit_reason(x->ps, x->msg, reason, sizeof(reason));
	if (x->cls == POL_CLASS_DOI || x->cls == POL_CLASS_MARKETING)
		return pol_verdict_add(v, POL_RULE_LIMIT, -1, "message",
				       "%s", reason);
	return pol_verdict_add(v, POL_RULE_LIMIT, -1, "message",
			       "%s; class undecided (no sender list, class "
			       "header or ConfirmURL decides it)", reason);
}

int
pol_evaluate(const struct pol_settings *ps, const struct pol_envelope *env,
	     const struct pol_message *msg, enum pol_class cls,
	     struct pol_verdict *v)
{
	struct pol_ctx x = {ps, env, msg, cls, NULL};
	const struct pol_rule_entry *t;
	size_t i, n;
	int rc = POL_OK;

	v->hits = NULL;
	v->nhits = 0;
	v->action = POL_ACTION_PASS;
	v->cls = cls;
	if ((unsigned)cls > POL_CLASS_DOI)
		return POL_ERR_CLASS;
	x.memo = pol_memo_new();
	if (pol_check_limits(&x, v) < 0)
		rc = POL_ERR_NOMEM;
	t = pol_rule_table(&n);
	for (i = 0; i < n && rc == POL_OK; i++) {
		if (!(t[i].classes & (1u << x.cls)))
			continue;
		if (!t[i].family &&
		    pol_rule_action(ps, t[i].rule) == POL_ACTION_OFF)
			continue;
		if (t[i].fn(&x, v) < 0)
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
