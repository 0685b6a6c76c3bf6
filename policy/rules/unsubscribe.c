/*
 * unsubscribe.c - rules unsubscribe.link, unsubscribe.header and
 * unsubscribe.one-click for marketing mail.
 *
 * Leaving must be as easy as joining (Art. 7(3) GDPR, §7(3) Nr. 4 UWG):
 * a visible unsubscribe link in every text form of the mail (plain and
 * HTML), a List-Unsubscribe header with an https URI (RFC 2369) and
 * List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058), which the
 * large mailbox providers require of bulk senders since 2024.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* Words that make a link recognisably an unsubscribe link. */
static const char *const pol_unsub_words[] = {
	"unsubscribe", "abmelden", "abmeldung", "abbestellen", "austragen",
	"opt-out", "optout", "opt out", "unsub", "desinscri", "d\xc3\xa9sinscri",
	"d\xc3\xa9sabonner", "disiscri", "cancel subscription",
	"newsletter k\xc3\xbcndigen", "remove me", "manage subscription",
	"preferences", "einstellungen",
};

static int
pol_is_unsub_text(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < sizeof(pol_unsub_words) / sizeof(pol_unsub_words[0]); i++)
		if (pol_text_contains(s, pol_unsub_words[i]))
			return 1;
	return 0;
}

struct pol_unsub_https {
	char url[2048];
	int found;
};

static int
pol_unsub_https_cb(const char *uri, void *arg)
{
	struct pol_unsub_https *u = arg;

	if (pol_url_scheme_is(uri, "https://") && strlen(uri) > 8) {
		snprintf(u->url, sizeof(u->url), "%s", uri);
		u->found = 1;
		return 1;
	}
	return 0;
}

/* Is there an unsubscribe link in parts of this kind?  A link counts when
 * its text or URL says so, when (plain text) its line or the line before
 * says so, or when it is the List-Unsubscribe https URL. */
static int
pol_part_has_unsub(const struct pol_message *m, enum pol_part_kind kind,
		   const char *header_url)
{
	char line[512];
	size_t i;

	for (i = 0; i < m->nlinks; i++) {
		const struct pol_link *l = &m->links[i];
		const struct pol_text_part *p = &m->parts[l->part];

		if (l->part >= m->nparts || p->kind != kind || p->attached)
			continue;
		if (pol_is_unsub_text(l->url) || pol_is_unsub_text(l->text))
			return 1;
		if (header_url && *header_url && strcmp(l->url, header_url) == 0)
			return 1;
		if (kind == POL_PART_PLAIN && l->line) {
			pol_part_line(p, l->line, line, sizeof(line));
			if (pol_is_unsub_text(line))
				return 1;
			if (l->line > 1) {
				pol_part_line(p, l->line - 1, line, sizeof(line));
				if (pol_is_unsub_text(line))
					return 1;
			}
		}
	}
	return 0;
}

static int
pol_check_link(const struct pol_ctx *x, struct pol_verdict *v,
	       const char *header_url)
{
	static const struct {
		enum pol_part_kind kind;
		const char *name;
	} kinds[] = {{POL_PART_PLAIN, "text/plain"}, {POL_PART_HTML, "text/html"}};
	size_t k;
	int any = 0;

	for (k = 0; k < 2; k++) {
		if (!pol_has_part_kind(x->msg, kinds[k].kind))
			continue;
		any = 1;
		if (pol_part_has_unsub(x->msg, kinds[k].kind, header_url))
			continue;
		if (pol_verdict_add(v, POL_RULE_UNSUBSCRIBE_LINK, -1, kinds[k].name,
				    "no visible unsubscribe link in the %s part",
				    kinds[k].name) < 0)
			return -1;
	}
	if (!any && pol_verdict_add(v, POL_RULE_UNSUBSCRIBE_LINK, -1, "body",
				    "the mail has no text part with an "
				    "unsubscribe link") < 0)
		return -1;
	return 0;
}

int
pol_rule_unsubscribe(const struct pol_ctx *x, struct pol_verdict *v)
{
	const char *lu = pol_message_header(x->msg, "List-Unsubscribe");
	const char *post = pol_message_header(x->msg, "List-Unsubscribe-Post");
	struct pol_unsub_https u = {"", 0};
	char value[128];
	size_t n;

	if (lu)
		pol_header_uris(lu, pol_unsub_https_cb, &u);
	if (cfg_rule_action(x->cfg, POL_RULE_UNSUBSCRIBE_LINK) != POL_ACTION_OFF &&
	    pol_check_link(x, v, u.found ? u.url : NULL) < 0)
		return -1;
	if (cfg_rule_action(x->cfg, POL_RULE_UNSUBSCRIBE_HEADER) != POL_ACTION_OFF &&
	    !u.found &&
	    pol_verdict_add(v, POL_RULE_UNSUBSCRIBE_HEADER, -1,
			    "header List-Unsubscribe",
			    lu ? "List-Unsubscribe has no <https://...> URI"
			       : "List-Unsubscribe header missing") < 0)
		return -1;
	if (cfg_rule_action(x->cfg, POL_RULE_UNSUBSCRIBE_ONE_CLICK) ==
	    POL_ACTION_OFF)
		return 0;
	if (post) {
		while (*post == ' ' || *post == '\t')
			post++;
		snprintf(value, sizeof(value), "%s", post);
		n = strlen(value);
		while (n && (value[n - 1] == ' ' || value[n - 1] == '\t' ||
			     value[n - 1] == '\r' || value[n - 1] == '\n'))
			value[--n] = '\0';
		if (strcmp(value, "List-Unsubscribe=One-Click") == 0 && u.found)
			return 0;
	}
	return pol_verdict_add(v, POL_RULE_UNSUBSCRIBE_ONE_CLICK, -1,
			       "header List-Unsubscribe-Post",
			       post ? (u.found ? "List-Unsubscribe-Post is not "
						 "exactly List-Unsubscribe=One-Click"
					       : "one-click needs an https "
						 "List-Unsubscribe URI")
				    : "List-Unsubscribe-Post header missing");
}
