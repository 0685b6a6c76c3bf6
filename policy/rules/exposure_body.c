/*
 * exposure_body.c - the body part of rule exposure.recipients: a mail that
 * goes to several envelope recipients gives every one of them the same
 * body, so a body that names a recipient's address (a greeting line "Hallo
 * a@x, b@y", a mail-merge that filled in the whole list) shows it to all
 * the others, as a Cc would (Art. 5(1)(f) GDPR).  Read is the text a reader
 * sees of the mail's own text parts (plain, visible HTML); an address
 * counts at address boundaries, compared case-insensitively.  Recipients
 * on the sender's own domains (From, envelope sender) are no one to
 * expose.  A mail to one person may name that person.  Owns nothing
 * beyond a call; -1 only when memory ran out.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../../common/addr.h"
#include "util.h"

static int
pol_addr_char(int c)
{
	return isalnum(c) || c == '.' || c == '_' || c == '%' || c == '+' ||
	       c == '-' || c >= 0x80;
}

/* Does text (len bytes) name addr at address boundaries? */
static int
pol_text_names(const char *text, size_t len, const char *addr)
{
	size_t n = strlen(addr), i;

	for (i = 0; n && i + n <= len; i++) {
		unsigned char after = i + n < len ? (unsigned char)text[i + n] : 0;

		if (strncasecmp(text + i, addr, n) != 0)
			continue;
		if (i > 0 && pol_addr_char((unsigned char)text[i - 1]))
			continue;
		if (after && (isalnum(after) || after == '-' || after == '_' ||
			      (after == '.' && i + n + 1 < len &&
			       isalnum((unsigned char)text[i + n + 1]))))
			continue;
		return 1;
	}
	return 0;
}

int
pol_exposure_body_check(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	const char *first = NULL;
	size_t i, p, people = 0, named = 0;

	for (i = 0; i < x->env->nrcpts; i++)
		if (x->env->rcpts[i].addr && *x->env->rcpts[i].addr &&
		    !pol_host_is_senders(x, addr_domain(x->env->rcpts[i].addr)))
			people++;
	if (people < 2)
		return 0;
	for (i = 0; i < x->env->nrcpts; i++) {
		const char *a = x->env->rcpts[i].addr;

		if (a == NULL || *a == '\0' ||
		    pol_host_is_senders(x, addr_domain(a)))
			continue;
		for (p = 0; p < m->nparts; p++)
			if (!m->parts[p].attached && m->parts[p].text &&
			    pol_text_names(m->parts[p].text, m->parts[p].text_len,
					   a))
				break;
		if (p < m->nparts) {
			named++;
			if (first == NULL)
				first = a;
		}
	}
	if (named == 0)
		return 0;
	return pol_verdict_add(v, POL_RULE_EXPOSURE_RECIPIENTS, -1, "body",
			       "the body all %zu recipients get names %zu of "
			       "their addresses (%.200s%s); send one mail per "
			       "recipient", people, named, first,
			       named > 1 ? ", ..." : "") < 0 ? -1 : 0;
}
