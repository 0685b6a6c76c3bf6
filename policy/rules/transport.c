/*
 * transport.c - rules tls.required and spf.fail for DOI and marketing mail.
 *
 * tls.required (Art. 32(1)(a) GDPR): with RequireTLS yes, the mail must
 * have arrived over TLS, or from loopback or local submission (no client
 * address), where nothing crosses a network.
 *
 * spf.fail: the milter asks libspf2 whether SpfEgressAddress may send for
 * the envelope domain and passes the answer in as data (policy/ does no
 * DNS); receivers refuse unauthenticated bulk mail, so compliant mail must
 * also be deliverable.  fail and permerror refuse, temperror tempfails (the
 * milter maps it), neutral/softfail/none refuse unless configured as
 * acceptable.
 */
#include <string.h>

#include "util.h"

static int
pol_is_loopback(const char *ip)
{
	return ip == NULL || *ip == '\0' || strncmp(ip, "127.", 4) == 0 ||
	       strcmp(ip, "::1") == 0;
}

int
pol_rule_tls(const struct pol_ctx *x, struct pol_verdict *v)
{
	if (!x->ps->require_tls || x->env->tls || pol_is_loopback(x->env->client_ip))
		return 0;
	return pol_verdict_add(v, POL_RULE_TLS_REQUIRED, -1, "connection",
			       "submitted without TLS from %s", x->env->client_ip);
}

int
pol_rule_spf(const struct pol_ctx *x, struct pol_verdict *v)
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
