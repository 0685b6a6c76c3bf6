/*
 * classify.c - decide a message's class: doi, marketing, transactional or
 * other.
 *
 * Order: DoiSenders, then MarketingSenders, matched against the envelope
 * sender and the From address; then the ClassHeader the sending tool set.
 * The header may name any class for mail the lists do not cover, but it
 * never changes the class of a listed sender's mail: a tool must not be
 * able to switch the gate off for a sender the administrator listed, and
 * recipients refused at RCPT time for a listed marketing sender must stay
 * refused whatever the message says later.
 * With ClassHeuristics (default yes), mail neither listed nor labelled is
 * DOI mail when it links under ConfirmURL (compared as doi.confirm-link
 * compares: normalised, ending at a path segment or parameter), and marketing mail when it carries
 * the bulk-mail markers: List-Unsubscribe-Post (RFC 8058 one-click) or
 * Precedence: bulk.  Discussion lists (Precedence: list) are not marketing.
 * A ConfirmURL that the caller found in the unparsed rest of an oversize
 * message (POL_MSG_REST_CONFIRM) counts like a ConfirmURL link.
 * Shared senders: shop systems and CMSs send the DOI mail, order and
 * shipping mails, password resets and account confirmations from one
 * address.  An address the administrator put in DoiSenders and in
 * TransactionalSenders sends both kinds, so its mail is DOI mail only when
 * it links under ConfirmURL (or under the same prefix with http://, so a
 * downgraded confirmation link is still judged as DOI mail); without such
 * a link it is classified as if unlisted (MarketingSenders, the class
 * header, the heuristics).  For an address in TransactionalSenders the
 * heuristics do not take Precedence: bulk alone as marketing: many shop
 * and CMS mailers set it on every automated mail to stop auto-replies
 * (RFC 3834), it says nothing about advertising, and the advertising such
 * mail may carry is judged by transactional.advertising;
 * List-Unsubscribe-Post (a list's one-click way out) still makes it
 * marketing.
 * Pure functions; owns nothing.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../common/addr.h"
#include "../common/url.h"
#include "policy.h"

static const char *const pol_class_names[] = {
	[POL_CLASS_OTHER] = "other",
	[POL_CLASS_TRANSACTIONAL] = "transactional",
	[POL_CLASS_MARKETING] = "marketing",
	[POL_CLASS_DOI] = "doi",
};

const char *
pol_class_name(enum pol_class c)
{
	if ((int)c < 0 || c > POL_CLASS_DOI)
		return "?";
	return pol_class_names[c];
}

int
pol_class_parse(const char *s)
{
	int i;

	for (i = POL_CLASS_OTHER; i <= POL_CLASS_DOI; i++)
		if (strcasecmp(s, pol_class_names[i]) == 0)
			return i;
	return -1;
}

/* 1 when url is under prefix as doi.confirm-link compares them
 * (common/url.h: normalised host, default port and fragment; the prefix
 * ends at a path segment or a parameter, so ".../confirm" does not cover
 * ".../confirm-account"), or, with downgrade and an https prefix, under
 * its http:// form. */
static int
pol_confirm_prefix(const char *url, const char *prefix, int downgrade)
{
	char http[2048];

	if (url_has_prefix(url, prefix))
		return 1;
	if (!downgrade || strncasecmp(prefix, "https://", 8) != 0 ||
	    strncasecmp(url, "http://", 7) != 0 ||
	    (size_t)snprintf(http, sizeof(http), "http://%s", prefix + 8) >=
		    sizeof(http))
		return 0;
	return url_has_prefix(url, http);
}

/* 1 when some link of the message starts with ConfirmURL (or, with
 * downgrade, its http:// form). */
static int
pol_links_confirm(const struct pol_settings *ps, const struct pol_message *msg,
		  int downgrade)
{
	size_t i;

	if (msg == NULL || ps->confirm_url == NULL || ps->confirm_url[0] == '\0')
		return 0;
	for (i = 0; i < msg->nlinks; i++)
		if (pol_confirm_prefix(msg->links[i].url, ps->confirm_url,
				       downgrade))
			return 1;
	return 0;
}

/* 1 when addr is in TransactionalSenders. */
static int
pol_transactional_sender(const struct pol_settings *ps, const char *addr)
{
	return addr != NULL && *addr != '\0' &&
	       addr_match_list(addr, ps->transactional_senders.v,
			       ps->transactional_senders.n);
}

/* The class the sender lists give addr.  A DoiSenders address that is also
 * in TransactionalSenders is DOI only for a message that links under
 * ConfirmURL (msg NULL: not yet known, so not DOI). */
static enum pol_class
pol_classify_address(const struct pol_settings *ps, const char *addr,
		     const struct pol_message *msg)
{
	if (addr == NULL || *addr == '\0')
		return POL_CLASS_OTHER;
	if (addr_match_list(addr, ps->doi_senders.v, ps->doi_senders.n) &&
	    (!pol_transactional_sender(ps, addr) ||
	     pol_links_confirm(ps, msg, 1) ||
	     (msg != NULL && (msg->flags & POL_MSG_REST_CONFIRM))))
		return POL_CLASS_DOI;
	if (addr_match_list(addr, ps->marketing_senders.v,
			    ps->marketing_senders.n))
		return POL_CLASS_MARKETING;
	return POL_CLASS_OTHER;
}

enum pol_class
pol_classify_envelope(const struct pol_settings *ps, const char *sender)
{
	return pol_classify_address(ps, sender, NULL);
}

/* The class the header names, or -1 when absent or unknown.  Surrounding
 * spaces and a trailing comment are ignored ("marketing ; tool=crm"). */
static int
pol_header_class(const struct pol_settings *ps, const struct pol_message *msg)
{
	const char *v;
	char word[32];
	size_t n = 0;

	if (msg == NULL)
		return -1;
	v = pol_message_header(msg, ps->class_header);
	if (v == NULL)
		return -1;
	while (*v == ' ' || *v == '\t')
		v++;
	while (v[n] && v[n] != ' ' && v[n] != '\t' && v[n] != ';' &&
	       n < sizeof(word) - 1) {
		word[n] = v[n];
		n++;
	}
	word[n] = '\0';
	if (strcasecmp(word, "other") == 0)
		return -1;
	return pol_class_parse(word);
}

static enum pol_class
pol_classify_heuristic(const struct pol_settings *ps,
		       const struct pol_envelope *env,
		       const struct pol_message *msg)
{
	const char *prec;
	int shared;

	if (msg == NULL)
		return POL_CLASS_OTHER;
	if (pol_links_confirm(ps, msg, 0) || (msg->flags & POL_MSG_REST_CONFIRM))
		return POL_CLASS_DOI;
	prec = pol_message_header(msg, "Precedence");
	if (prec && strncasecmp(prec + strspn(prec, " \t"), "list", 4) == 0)
		return POL_CLASS_OTHER;
	shared = pol_transactional_sender(ps, env ? env->sender : NULL) ||
		 pol_transactional_sender(ps, msg->from_addr);
	if (pol_message_header(msg, "List-Unsubscribe-Post") != NULL ||
	    (!shared && prec &&
	     strncasecmp(prec + strspn(prec, " \t"), "bulk", 4) == 0))
		return POL_CLASS_MARKETING;
	return POL_CLASS_OTHER;
}

enum pol_class
pol_classify(const struct pol_settings *ps, const struct pol_envelope *env,
	     const struct pol_message *msg)
{
	enum pol_class by_env, by_from, listed;
	int by_header;

	by_env = pol_classify_address(ps, env ? env->sender : NULL, msg);
	by_from = pol_classify_address(ps, msg ? msg->from_addr : NULL, msg);
	listed = by_env > by_from ? by_env : by_from;
	by_header = pol_header_class(ps, msg);
	if (listed == POL_CLASS_OTHER) {
		if (by_header >= 0)
			return (enum pol_class)by_header;
		return ps->class_heuristics ? pol_classify_heuristic(ps, env, msg)
					     : POL_CLASS_OTHER;
	}
	return listed;
}
