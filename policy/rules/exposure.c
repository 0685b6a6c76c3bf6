/*
 * exposure.c - rule exposure.recipients: DOI and marketing mail must not
 * show several recipients to each other (Art. 5(1)(f), 32 GDPR; the
 * classic "whole list in CC" incident).
 *
 * Every address a recipient can read counts: To, Cc, a Bcc header left in
 * the mail (Postfix's cleanup removes Bcc before a milter sees it; consentctl
 * check sees it), Reply-To, the Resent-To, -Cc and -Bcc of a mail sent
 * again (RFC 5322 3.6.6; clients show them), and addresses written as display names
 * ("anna@x.example" <b@y.example>).  The sender's own addresses (From,
 * Sender, the envelope sender; in Reply-To also any address of their
 * domains or their subdomains) do not count, and one person named twice is
 * one address (compared normalised).  More than one such address is
 * exposure, as before; each header field that shows one is a hit (up to
 * POL_RULE_MAX_HITS).  Header values are parsed raw with GMime's address
 * parser.  A body naming the address of one of several envelope
 * recipients is a hit too (exposure_body.c).  Owns nothing beyond a call; -1 only when memory ran out.
 */
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../common/addr.h"
#include "util.h"

#define POL_EXPOSE_MAX 256

struct pol_exposed {
	char addr[POL_EXPOSE_MAX][ADDR_MAX + 1];
	size_t n;
	size_t first_of[POL_EXPOSE_MAX]; /* header index that showed it first */
	size_t in_name[POL_EXPOSE_MAX];  /* 1: first seen in a display name */
};

static const char *const pol_visible_headers[] = {
    "To", "Cc", "Bcc", "Reply-To", "Resent-To", "Resent-Cc", "Resent-Bcc"};
#define POL_NVISIBLE (sizeof(pol_visible_headers) / sizeof(pol_visible_headers[0]))

/* Is addr the sender's own?  In Reply-To the sender's domains count. */
static int
pol_own_address(const struct pol_ctx *x, const char *addr, int reply_to)
{
	const char *from = x->msg->from_addr, *env = x->env->sender;
	const char *sender = pol_message_header(x->msg, "Sender");
	char s[ADDR_MAX + 1];

	if ((*from && strcmp(addr, from) == 0) ||
	    (env && *env && strcmp(addr, env) == 0))
		return 1;
	if (sender && addr_normalise(sender, s, sizeof(s)) > 0 &&
	    strcmp(addr, s) == 0)
		return 1;
	if (!reply_to)
		return 0;
	/* The sender's domain or a subdomain of it (a confirm-by-reply or
	 * list host such as CiviCRM's confirm.<ids>@crm.<domain>): the
	 * sender controls those names; a look-alike such as my<domain> is no
	 * subdomain. */
	return pol_host_is_senders(x, addr_domain(addr));
}

static void
pol_expose_add(const struct pol_ctx *x, struct pol_exposed *e, const char *in,
	       size_t header, int in_name)
{
	char a[ADDR_MAX + 1];
	size_t i;

	if (addr_normalise(in, a, sizeof(a)) < 0 ||
	    pol_own_address(x, a, strcasecmp(pol_visible_headers[header],
					     "Reply-To") == 0))
		return;
	for (i = 0; i < e->n; i++)
		if (strcmp(e->addr[i], a) == 0)
			return;
	if (e->n >= POL_EXPOSE_MAX)
		return;
	memcpy(e->addr[e->n], a, sizeof(a));
	e->first_of[e->n] = header;
	e->in_name[e->n] = (size_t)in_name;
	e->n++;
}

/* Addresses written in a display name: each word with an '@'. */
static void
pol_expose_name(const struct pol_ctx *x, struct pol_exposed *e,
		const char *name, size_t header)
{
	char word[ADDR_MAX + 1];
	size_t n;

	while (name && *name) {
		n = strcspn(name, " \t\"'<>(),;:[]");
		if (n > 0 && n < sizeof(word) && memchr(name, '@', n)) {
			memcpy(word, name, n);
			word[n] = '\0';
			pol_expose_add(x, e, word, header, 1);
		}
		name += n;
		if (*name)
			name++;
	}
}

static void
pol_expose_list(const struct pol_ctx *x, struct pol_exposed *e,
		InternetAddressList *list, size_t header, int depth)
{
	int i, n = list ? internet_address_list_length(list) : 0;

	for (i = 0; i < n && depth < 4; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		pol_expose_name(x, e, internet_address_get_name(ia), header);
		if (INTERNET_ADDRESS_IS_GROUP(ia))
			pol_expose_list(x, e,
					internet_address_group_get_members(
					    INTERNET_ADDRESS_GROUP(ia)),
					header, depth + 1);
		else if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			pol_expose_add(x, e,
				       internet_address_mailbox_get_addr(
					   INTERNET_ADDRESS_MAILBOX(ia)),
				       header, 0);
	}
}

static int
exposure_check(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_message *m = x->msg;
	struct pol_exposed *e = calloc(1, sizeof(*e));
	size_t i, h, count;
	char where[32];
	int rc = 0;

	if (e == NULL)
		return -1;
	for (i = 0; i < m->nheaders; i++) {
		InternetAddressList *list;

		for (h = 0; h < POL_NVISIBLE; h++)
			if (strcasecmp(m->headers[i].name,
				       pol_visible_headers[h]) == 0)
				break;
		if (h == POL_NVISIBLE)
			continue;
		list = internet_address_list_parse(
		    NULL, m->headers[i].raw ? m->headers[i].raw
					    : m->headers[i].value);
		pol_expose_list(x, e, list, h, 0);
		if (list)
			g_object_unref(list);
	}
	for (h = 0; h < POL_NVISIBLE && e->n > 1 && rc == 0; h++) {
		size_t names = 0;

		for (i = count = 0; i < e->n; i++)
			if (e->first_of[i] == h) {
				count++;
				names += e->in_name[i];
			}
		if (count == 0 ||
		    pol_rule_hits(v, POL_RULE_EXPOSURE_RECIPIENTS) >=
			POL_RULE_MAX_HITS)
			continue;
		snprintf(where, sizeof(where), "header %s",
			 pol_visible_headers[h]);
		rc = pol_verdict_add(
		    v, POL_RULE_EXPOSURE_RECIPIENTS, -1, where,
		    "%zu of the %zu recipient addresses visible in the mail are "
		    "in %s%s; send one mail per recipient or use Bcc",
		    count, e->n, pol_visible_headers[h],
		    names ? " (some written as display names)" : "");
	}
	free(e);
	if (rc == 0 &&
	    pol_rule_hits(v, POL_RULE_EXPOSURE_RECIPIENTS) < POL_RULE_MAX_HITS)
		rc = pol_exposure_body_check(x, v);
	return rc;
}

const struct pol_rule_def pol_rule_exposure_recipients = {
	.info = {"exposure.recipients",
		  "Mail exposes several recipients to each other in To/Cc",
		  POL_ACTION_REJECT, 0},
	.classes = POL_ON_DOI | POL_ON_MARKETING,
	.fn = exposure_check,
};
