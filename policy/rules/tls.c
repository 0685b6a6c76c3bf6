/*
 * tls.c - rule tls.required for DOI and marketing mail.
 *
 * Art. 32(1)(a) GDPR: with RequireTLS yes, the mail must have arrived over
 * TLS, or from loopback or local submission (no client address), where
 * nothing crosses a network.  Whether the client used TLS is the milter's
 * to tell (pol_envelope.tls); the rule only reads it.
 */
#include <string.h>

#include "util.h"

static int
pol_is_loopback(const char *ip)
{
	return ip == NULL || *ip == '\0' || strncmp(ip, "127.", 4) == 0 ||
	       strcmp(ip, "::1") == 0;
}

static int
tls_required_check(const struct pol_ctx *x, struct pol_verdict *v)
{
	if (!x->ps->require_tls || x->env->tls || pol_is_loopback(x->env->client_ip))
		return 0;
	return pol_verdict_add(v, POL_RULE_TLS_REQUIRED, -1, "connection",
			       "submitted without TLS from %s", x->env->client_ip);
}

const struct pol_rule_def pol_rule_tls_required = {
	.info = {"tls.required",
		  "Marketing and opt-in mail must be submitted over TLS",
		  POL_ACTION_REJECT, 0},
	.classes = POL_ON_DOI | POL_ON_MARKETING,
	.fn = tls_required_check,
};
