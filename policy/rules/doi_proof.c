/*
 * doi_proof.c - the part of rule doi.confirm-link that asks whether a
 * click on the confirmation link can prove one person's consent, beside
 * the count of confirmation links (doi.c): a DOI mail must go to one
 * person.  Sent in one transaction to several envelope recipients, every
 * one of them gets the same link, so a click cannot show which address
 * consented (and the consent records of all would hang on one click).
 * ArchiveAddress and mailboxes of the sender's own domains (From, envelope
 * sender, their subdomains: a copy kept by the sender) are no such person.
 * Owns nothing beyond a call; returns -1 only out of memory.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../../common/addr.h"
#include "util.h"

/* Is the envelope recipient a the sender's own copy? */
static int
pol_doi_own_copy(const struct pol_ctx *x, const char *a, const char *arch)
{
	const char *from = x->msg->from_addr, *env = x->env->sender;

	if (*arch && strcmp(a, arch) == 0)
		return 1;
	return (from && *from &&
		pol_host_in_domain(addr_domain(a), addr_domain(from))) ||
	       (env && *env &&
		pol_host_in_domain(addr_domain(a), addr_domain(env)));
}

int
pol_doi_proof_check(const struct pol_ctx *x, struct pol_verdict *v)
{
	const char *arch = x->ps->archive_address;
	char a[ADDR_MAX + 1];
	size_t i, people = 0;

	if (x->env == NULL)
		return 0;
	if (arch == NULL || addr_normalise(arch, a, sizeof(a)) < 0)
		a[0] = '\0';
	for (i = 0; i < x->env->nrcpts; i++)
		if (x->env->rcpts[i].addr && *x->env->rcpts[i].addr &&
		    !pol_doi_own_copy(x, x->env->rcpts[i].addr, a))
			people++;
	if (people < 2)
		return 0;
	return pol_verdict_add(v, POL_RULE_DOI_CONFIRM_LINK, -1, "envelope",
			       "one confirmation mail goes to %zu recipients; "
			       "a click cannot show which address consented",
			       people) < 0 ? -1 : 0;
}
