/*
 * doi_proof.c - the part of rule doi.confirm-link that asks whether a
 * click on the confirmation link can prove one person's consent, beside
 * the count of confirmation links (doi.c): a DOI mail must go to one
 * person.  Sent in one transaction to several envelope recipients, every
 * one of them gets the same link, so a click cannot show which address
 * consented (and the consent records of all would hang on one click).
 * ArchiveAddress and mailboxes of the sender's own domains (From, envelope
 * sender, their subdomains: a copy kept by the sender) are no such person.
 * And the click must clearly be consent to something (LfDI BW: the DOI mail
 * states its purpose): the Subject or the text a reader sees must name
 * what is subscribed to - a newsletter, a mailing or distribution list, a
 * subscription or registration, consent - in German, English or French
 * (the DOI mails the gate has seen; a mail in another language that names
 * none of these is refused, see README).  "Bitte klicken Sie auf den
 * folgenden Link" alone confirms nothing.
 * Owns nothing beyond a call; returns -1 only out of memory.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <stdlib.h>

#include "../../common/addr.h"
#include "../../common/textnorm.h"
#include "util.h"

/* Words (normal form: lower case, NFKC) that name what a DOI click
 * subscribes to. */
static const char *const pol_purpose_words[] = {
	"newsletter", "news-letter", "infobrief", "rundbrief", "rundschreiben",
	"mailing", "verteiler", "abonn", "subscri", "anmeld", "angemeld",
	"registrier", "einwillig", "opt-in", "double opt", "consent",
	"sign up", "signed up", "sign-up", "e-mail-benachrichtigung",
	"inscri", "liste de diffusion", "lettre d'information",
};

/* 1 when text names a purpose, 0 when not, -1 out of memory.  URLs
 * written out in the text (the confirmation link's /newsletter/ path) are
 * no statement and are blanked first. */
static int
pol_names_purpose(const char *text)
{
	char *t, *n, *p;
	size_t i;
	int r = 0;

	if (text == NULL || *text == '\0')
		return 0;
	if ((t = strdup(text)) == NULL)
		return -1;
	for (p = t; (p = strstr(p, "://")) != NULL;) {
		char *s = p;

		while (s > t && (isalpha((unsigned char)s[-1]) || s[-1] == '+'))
			s--;
		while (*s && !isspace((unsigned char)*s))
			*s++ = ' ';
		p = s;
	}
	n = textnorm_string(t);
	free(t);
	if (n == NULL)
		return -1;
	for (i = 0; !r && i < sizeof(pol_purpose_words) /
				     sizeof(pol_purpose_words[0]); i++)
		r = strstr(n, pol_purpose_words[i]) != NULL;
	free(n);
	return r;
}

/* 1 when the Subject or a text part the reader sees names a purpose. */
static int
pol_doi_has_purpose(const struct pol_message *m)
{
	size_t i;
	int r = pol_names_purpose(m->subject);

	for (i = 0; r == 0 && i < m->nparts; i++)
		if (!m->parts[i].attached)
			r = pol_names_purpose(m->parts[i].text);
	return r;
}

/* Is the envelope recipient a the sender's own copy? */
static int
pol_doi_own_copy(const struct pol_ctx *x, const char *a, const char *arch)
{
	return (*arch && strcmp(a, arch) == 0) ||
	       pol_host_is_senders(x, addr_domain(a));
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
	if (people > 1 &&
	    pol_verdict_add(v, POL_RULE_DOI_CONFIRM_LINK, -1, "envelope",
			    "one confirmation mail goes to %zu recipients; a "
			    "click cannot show which address consented",
			    people) < 0)
		return -1;
	switch (pol_doi_has_purpose(x->msg)) {
	case -1:
		return -1;
	case 0:
		return pol_verdict_add(v, POL_RULE_DOI_CONFIRM_LINK, -1, "body",
				       "the mail does not say what the click "
				       "confirms (no newsletter, list or "
				       "subscription named)") < 0 ? -1 : 0;
	default:
		return 0;
	}
}
