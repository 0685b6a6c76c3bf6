/*
 * lists.c - decide the consent list of a mail (ConsentList): consent given
 * for one list does not cover mail of another (BGH VI ZR 721/15).
 *
 * The ConsentList lines are tried in file order; the first with a
 * matching selector names the list.  sender= is matched against the
 * envelope sender like MarketingSenders (address or @domain, normalised);
 * list-id= against the identifier in the List-Id header's angle brackets
 * (RFC 2919), case-insensitively; class= against the list= parameter of
 * the ClassHeader ("X-Consent-Class: marketing; list=news").  At RCPT time
 * only the envelope is known, so the list is decided there only when no
 * line with a header selector comes before the first sender match.
 * Pure functions over the config and the parsed message; owns nothing.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "../common/addr.h"
#include "policy.h"

/* The identifier of a List-Id value into out, lower case: the text in
 * <>, or the whole trimmed value without them.  0, or -1 when empty. */
static int
pol_list_id(const char *v, char *out, size_t outsz)
{
	const char *lt = strrchr(v, '<'), *gt;
	size_t n = 0, i;

	if (lt && (gt = strchr(lt, '>')) != NULL) {
		v = lt + 1;
		n = (size_t)(gt - v);
	} else {
		v += strspn(v, " \t");
		n = strcspn(v, " \t\r\n");
	}
	if (n == 0 || n >= outsz)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)v[i]);
	out[n] = '\0';
	return 0;
}

/* The list= parameter of the ClassHeader into out, lower case. */
static int
pol_class_list(const char *v, char *out, size_t outsz)
{
	const char *p = v;
	size_t n, i;

	while ((p = strchr(p, ';')) != NULL) {
		p++;
		p += strspn(p, " \t");
		if (strncasecmp(p, "list", 4) != 0)
			continue;
		p += 4;
		p += strspn(p, " \t");
		if (*p != '=')
			continue;
		p++;
		p += strspn(p, " \t\"");
		n = strcspn(p, " \t;\"\r\n");
		if (n == 0 || n >= outsz)
			return -1;
		for (i = 0; i < n; i++)
			out[i] = (char)tolower((unsigned char)p[i]);
		out[n] = '\0';
		return 0;
	}
	return -1;
}

static int
pol_in_list(const struct pol_list *l, const char *v)
{
	size_t i;

	for (i = 0; v[0] && i < l->n; i++)
		if (strcmp(l->v[i], v) == 0)
			return 1;
	return 0;
}

const char *
pol_mail_list(const struct pol_settings *ps, const char *sender,
	      const struct pol_message *msg, int *decided)
{
	char id[256] = "", cls[64] = "";
	const char *h;
	size_t i;

	if (decided)
		*decided = 1;
	if (ps->nconsent_lists == 0)
		return NULL;
	if (msg && (h = pol_message_header(msg, "List-Id")) != NULL)
		pol_list_id(h, id, sizeof(id));
	if (msg && (h = pol_message_header(msg, ps->class_header)) != NULL)
		pol_class_list(h, cls, sizeof(cls));
	for (i = 0; i < ps->nconsent_lists; i++) {
		const struct pol_list_selector *l = &ps->consent_lists[i];

		if (sender && sender[0] &&
		    addr_match_list(sender, l->senders.v, l->senders.n))
			return l->name;
		if (msg == NULL && (l->list_ids.n || l->classes.n)) {
			if (decided)
				*decided = 0;
			return NULL;
		}
		if (pol_in_list(&l->list_ids, id) || pol_in_list(&l->classes, cls))
			return l->name;
	}
	return POL_LIST_DEFAULT;
}
