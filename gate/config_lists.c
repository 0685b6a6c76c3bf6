/*
 * config_lists.c - the ConsentList key: "NAME: sender=ADDR|@domain,
 * list-id=ID, class=VALUE", repeatable, lines for one name adding to it.
 * Owns the cfg_consent_list entries of a snapshot until
 * cfg_consent_lists_free().  Errors are reported through cfg_error() with
 * file:line like every other key.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/addr.h"
#include "config_int.h"
#include "../common/str.h"

void
cfg_consent_lists_free(struct cfg *c)
{
	size_t i;

	for (i = 0; i < c->pol.nconsent_lists; i++) {
		free(c->pol.consent_lists[i].name);
		cfg_list_free(&c->pol.consent_lists[i].senders);
		cfg_list_free(&c->pol.consent_lists[i].list_ids);
		cfg_list_free(&c->pol.consent_lists[i].classes);
	}
	free(c->pol.consent_lists);
}

int
cfg_list_name_valid(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= CFG_LIST_NAME_MAX &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* The ConsentList entry named name, added when new; NULL (reported). */
static struct pol_list_selector *
cfg_consent_list_get(struct cfg_ctx *x, struct cfg *c, const char *name)
{
	struct pol_list_selector *v;
	size_t i;

	for (i = 0; i < c->pol.nconsent_lists; i++)
		if (strcmp(c->pol.consent_lists[i].name, name) == 0)
			return &c->pol.consent_lists[i];
	v = realloc(c->pol.consent_lists, (c->pol.nconsent_lists + 1) * sizeof(*v));
	if (v == NULL)
		return cfg_error(x, "out of memory"), NULL;
	c->pol.consent_lists = v;
	v = &v[c->pol.nconsent_lists];
	memset(v, 0, sizeof(*v));
	if ((v->name = strdup(name)) == NULL)
		return cfg_error(x, "out of memory"), NULL;
	c->pol.nconsent_lists++;
	return v;
}

/* One selector=value of a ConsentList line into l.  0 or -1 (reported). */
static int
cfg_consent_selector(struct cfg_ctx *x, const struct cfg_key *k,
		     struct pol_list_selector *l, char *sel)
{
	char norm[ADDR_MAX + 1], *eq = strchr(sel, '='), *v, *p;
	const char *entry;
	struct pol_list *to;

	if (eq == NULL) {
		cfg_error(x, "ConsentList %s: '%s' is not selector=value "
			  "(sender=, list-id= or class=)", l->name, sel);
		return -1;
	}
	*eq = '\0';
	sel = str_trim(sel);
	v = str_trim(eq + 1);
	if (strcasecmp(sel, "sender") == 0) {
		if ((entry = cfg_list_address(x, k, v, norm, sizeof(norm))) == NULL)
			return -1;
		to = &l->senders;
	} else if (strcasecmp(sel, "list-id") == 0 ||
		   strcasecmp(sel, "class") == 0) {
		if (strcasecmp(sel, "list-id") == 0 && *v == '<' &&
		    v[strlen(v) - 1] == '>') {
			v[strlen(v) - 1] = '\0';
			v++;
		}
		for (p = v; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (*v == '\0' || strpbrk(v, " \t<>;,")) {
			cfg_error(x, "ConsentList %s: %s '%s' is empty or holds "
				  "spaces, <>, ; or ,", l->name, sel, v);
			return -1;
		}
		entry = v;
		to = strcasecmp(sel, "class") == 0 ? &l->classes : &l->list_ids;
	} else {
		cfg_error(x, "ConsentList %s: unknown selector '%s' (sender, "
			  "list-id or class)", l->name, sel);
		return -1;
	}
	if (cfg_list_add(to, entry) < 0)
		return cfg_error(x, "out of memory"), -1;
	return 0;
}

/* "NAME: selector=value, ..." */
int
cfg_set_consent_list(struct cfg_ctx *x, struct cfg *c,
		     const struct cfg_key *k, char *value)
{
	char *colon, *name, *tok, *save = NULL;
	struct pol_list_selector *l;

	if (*value == '\0')
		return 0; /* the default: no lists */
	colon = strchr(value, ':');
	if (colon == NULL) {
		cfg_error(x, "ConsentList: '%s' is not NAME: selector=value, ...",
			  value);
		return -1;
	}
	*colon = '\0';
	name = str_trim(value);
	if (!cfg_list_name_valid(name)) {
		cfg_error(x, "ConsentList: '%s' is not a list name (1-32 of "
			  "a-z, 0-9, '.', '_', '-')", name);
		return -1;
	}
	if ((l = cfg_consent_list_get(x, c, name)) == NULL)
		return -1;
	for (tok = strtok_r(colon + 1, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		tok = str_trim(tok);
		if (*tok && cfg_consent_selector(x, k, l, tok) < 0)
			return -1;
	}
	if (l->senders.n + l->list_ids.n + l->classes.n == 0) {
		cfg_error(x, "ConsentList %s: no selector (sender=, list-id= "
			  "or class=)", name);
		return -1;
	}
	return 0;
}

