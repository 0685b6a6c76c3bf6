/*
 * spf.c - rule spf.fail for DOI and marketing mail.
 *
 * The milter asks libspf2 whether SpfEgressAddress may send for the
 * envelope domain and passes the answer in as data (pol_envelope.spf_result;
 * policy/ does no DNS); receivers refuse unauthenticated bulk mail, so
 * compliant mail must also be deliverable.  fail and permerror refuse,
 * temperror tempfails (the hit is marked temporary), neutral/softfail/none
 * refuse unless configured as acceptable.
 */
#include <string.h>

#include "util.h"

static int
spf_fail_check(const struct pol_ctx *x, struct pol_verdict *v)
{
	const char *r = x->env->spf_result;

	if (r == NULL || *r == '\0' || strcmp(r, "pass") == 0)
		return 0;
	if ((strcmp(r, "softfail") == 0 && x->ps->spf_accept_softfail) ||
	    (strcmp(r, "neutral") == 0 && x->ps->spf_accept_neutral) ||
	    (strcmp(r, "none") == 0 && x->ps->spf_accept_none))
		return 0;
	if (pol_verdict_add(v, POL_RULE_SPF_FAIL, -1, "envelope sender",
			    "SPF %s for %s from %s", r,
			    x->env->sender[0] ? x->env->sender : "<>",
			    x->ps->spf_egress_address) < 0)
		return -1;
	v->hits[v->nhits - 1].temporary = strcmp(r, "temperror") == 0;
	return 0;
}

const struct pol_rule_def pol_rule_spf_fail = {
	.info = {"spf.fail",
		  "The sending address is not authorised by the sender domain's SPF",
		  POL_ACTION_REJECT, 0},
	.classes = POL_ON_DOI | POL_ON_MARKETING,
	.fn = spf_fail_check,
};
