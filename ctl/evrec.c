/*
 * evrec.c - the evidence record as consentctl reviews it: read with the
 * one record reader (db/evrec.h) and the catalogue's rule ids, matched
 * against the filters of `log`, `stats` and `report` (actions from the
 * catalogue), and the walk over the store that joins them.
 *
 * Owns: the strings of each parsed struct db_evrec (malloc'd, released by
 * ctl_evrec_free) and, during a walk, the record handed to the callback.
 * The parser never prints; it returns CTL_EVREC_* codes.  The option and
 * walk functions print problems with ctl_error and return exit or DB_*
 * codes.
 */
#include "evrec.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../policy/catalogue.h"
#include "ctl.h"

/* Does the n bytes at id name a rule of the catalogue? */
static int
ctl_evrec_is_rule(const char *id, size_t n)
{
	char name[64];

	if (n >= sizeof(name))
		return 0;
	memcpy(name, id, n);
	name[n] = '\0';
	return pol_rule_find(name) >= 0;
}

int
ctl_evrec_parse(const char *json, size_t len, struct db_evrec *out)
{
	int rc = db_evrec_parse(json, len, ctl_evrec_is_rule, out);

	if (rc == DB_OK)
		return CTL_EVREC_OK;
	return rc == DB_ERR_NOMEM ? CTL_EVREC_NOMEM : CTL_EVREC_SYNTAX;
}

void
ctl_evrec_free(struct db_evrec *r)
{
	db_evrec_free(r);
}

int
ctl_evrec_has_rule(const struct db_evrec *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->nrules; i++)
		if (strcmp(r->rulev[i].id, id) == 0)
			return 1;
	return 0;
}

int
ctl_evrec_names_hash(const struct db_evrec *r, const char *h)
{
	size_t i;

	if (h[0] == '\0')
		return 0;
	if (strcmp(r->sender_h, h) == 0 || strstr(r->note, h) != NULL)
		return 1;
	for (i = 0; i < r->nrcpt_h; i++)
		if (strcmp(r->rcpt_hv[i], h) == 0)
			return 1;
	return 0;
}

/* s with control characters as '?', so a record cannot drive the
 * terminal; empty as dash. */
static void
ctl_evrec_text_field(FILE *out, const char *s, const char *dash)
{
	const unsigned char *p = (const unsigned char *)s;

	if (*p == '\0') {
		fputs(dash, out);
		return;
	}
	for (; *p; p++)
		fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
}

void
ctl_evrec_print(FILE *out, const struct db_evrec *r)
{
	fprintf(out, "%s ", r->time_text);
	ctl_evrec_text_field(out, r->ref, "-");
	fputc(' ', out);
	ctl_evrec_text_field(out, r->kind, "-");
	fputc(' ', out);
	ctl_evrec_text_field(out, r->cls, "-");
	fputc(' ', out);
	ctl_evrec_text_field(out, r->action, "-");
	fputc(' ', out);
	ctl_evrec_text_field(out, r->sender, "<>");
	fputs(" -> ", out);
	ctl_evrec_text_field(out, r->recipients, "-");
	fputc(' ', out);
	ctl_evrec_text_field(out, r->rules, "-");
	if (r->retry_of[0]) {
		fputs(" retry-of=", out);
		ctl_evrec_text_field(out, r->retry_of, "-");
	}
	if (r->profile[0]) {
		fputs(" profile=", out);
		ctl_evrec_text_field(out, r->profile, "-");
	}
	if (r->before[0] || r->after[0]) {
		fputs(" state=", out);
		ctl_evrec_text_field(out, r->before, "-");
		fputs("->", out);
		ctl_evrec_text_field(out, r->after, "-");
	}
	fputc('\n', out);
}

int
ctl_evrec_has_recipient(const struct db_evrec *r, const char *key)
{
	char norm[ADDR_MAX + 1];
	size_t i;

	for (i = 0; i < r->nrcpt; i++)
		if (addr_normalise(r->rcptv[i], norm, sizeof(norm)) >= 0 &&
		    strcmp(norm, key) == 0)
			return 1;
	return 0;
}

int
ctl_evrec_refused(const struct db_evrec *r)
{
	return strcmp(r->kind, "decision") == 0 &&
	       (strcmp(r->action, "reject") == 0 ||
		strcmp(r->action, "tempfail") == 0);
}

int
ctl_evrec_is_withdrawal(const struct db_evrec *r)
{
	if (r->after[0])
		return strcmp(r->after, "withdrawn") == 0 &&
		       strcmp(r->before, "withdrawn") != 0;
	return (strcmp(r->kind, "withdrawal") == 0 &&
		strcmp(r->action, "withdrawn") == 0) ||
	       (strcmp(r->kind, "consent") == 0 &&
		strcmp(r->action, "withdraw") == 0);
}

void
ctl_evrec_day(const struct db_evrec *r, char out[DB_TIME_MAX])
{
	if (!r->time_ok) {
		snprintf(out, DB_TIME_MAX, "unknown");
		return;
	}
	db_time_format(r->time - r->time % 86400, out, DB_TIME_MAX);
	if (strlen(out) == DB_TIME_MAX - 1)
		out[10] = '\0'; /* "2026-11-24T00:00:00Z" -> "2026-11-24" */
}

int
ctl_evrec_action_known(const char *name)
{
	const char *a;
	unsigned i;

	for (i = 0; (a = pol_evidence_action(i)) != NULL; i++)
		if (strcasecmp(a, name) == 0)
			return 1;
	return 0;
}

/* The actions of the catalogue as "a|b|c" for a message. */
static void
ctl_evrec_actions_text(char *out, size_t outsz)
{
	const char *a;
	size_t n = 0;
	unsigned i;

	out[0] = '\0';
	for (i = 0; (a = pol_evidence_action(i)) != NULL && n < outsz; i++)
		n += (size_t)snprintf(out + n, outsz - n, "%s%s", i ? "|" : "",
				      a);
}

/* Is word one of the '|'-separated words of list (case-insensitive)? */
static int
ctl_word_in(const char *word, const char *list)
{
	size_t n = strlen(word);
	const char *p;

	for (p = list; p; p = strchr(p, '|') ? strchr(p, '|') + 1 : NULL)
		if (strncasecmp(p, word, n) == 0 &&
		    (p[n] == '|' || p[n] == '\0'))
			return 1;
	return 0;
}

/* The kinds of records db/ and the programs write (db/store.h). */
#define CTL_EV_KINDS \
	"decision|doi-send|doi-retry|withdrawal|consent|replication"

int
ctl_evfilter_option(struct ctl_evfilter *f, int opt, const char *arg)
{
	int rc = CTL_EXIT_OK;

	switch (opt) {
	case CTL_EVOPT_SINCE:
		rc = ctl_time_arg("--since", arg, &f->since);
		f->has_since = 1;
		break;
	case CTL_EVOPT_UNTIL:
		rc = ctl_time_arg("--until", arg, &f->until);
		f->has_until = 1;
		break;
	case CTL_EVOPT_SENDER:
		/* "<>" and "" name the null sender. */
		if (addr_normalise_sender(arg, f->sender,
					  sizeof(f->sender)) < 0) {
			ctl_error("--sender: '%s' is not an e-mail address",
				  arg);
			rc = CTL_EXIT_USAGE;
		}
		f->has_sender = 1;
		break;
	case CTL_EVOPT_RECIPIENT:
		rc = ctl_addr_arg(arg, f->recipient, sizeof(f->recipient));
		f->has_recipient = 1;
		break;
	case CTL_EVOPT_RULE:
		f->rule = arg;
		break;
	case CTL_EVOPT_CLASS:
		f->cls = arg;
		break;
	case CTL_EVOPT_PROFILE:
		f->profile = arg;
		if (arg[0] == '\0') {
			ctl_error("--profile: a profile name is required");
			rc = CTL_EXIT_USAGE;
		}
		break;
	case CTL_EVOPT_ACTION:
		f->action = arg;
		if (!ctl_evrec_action_known(arg)) {
			char list[256];

			ctl_evrec_actions_text(list, sizeof(list));
			ctl_error("--action: unknown action '%s' (one of %s)",
				  arg, list);
			rc = CTL_EXIT_USAGE;
		}
		break;
	case CTL_EVOPT_KIND:
		f->kind = arg;
		if (!ctl_word_in(arg, CTL_EV_KINDS)) {
			ctl_error("--kind: unknown kind '%s' (one of "
				  CTL_EV_KINDS ")", arg);
			rc = CTL_EXIT_USAGE;
		}
		break;
	default:
		rc = CTL_EXIT_USAGE;
	}
	if (rc == CTL_EXIT_OK && f->has_since && f->has_until &&
	    f->since >= f->until) {
		ctl_error("--since must be before --until");
		rc = CTL_EXIT_USAGE;
	}
	return rc;
}

/* The sender of r normalised into out; the raw text when it does not
 * normalise (so an odd stored value can still be matched exactly). */
static void
ctl_evrec_sender_key(const struct db_evrec *r, char *out, size_t outsz)
{
	if (addr_normalise_sender(r->sender, out, outsz) < 0)
		snprintf(out, outsz, "%s", r->sender);
}

int
ctl_evfilter_match(const struct ctl_evfilter *f, const struct db_evrec *r)
{
	char key[ADDR_MAX + 1];

	if (f == NULL)
		return 1;
	if ((f->has_since || f->has_until) && !r->time_ok)
		return 0;
	if ((f->has_since && r->time < f->since) ||
	    (f->has_until && r->time >= f->until))
		return 0;
	if ((f->kind && strcasecmp(r->kind, f->kind) != 0) ||
	    (f->action && strcasecmp(r->action, f->action) != 0) ||
	    (f->cls && strcasecmp(r->cls, f->cls) != 0))
		return 0;
	if (f->profile && strcmp(r->profile, f->profile) != 0)
		return 0;
	if (f->rule && !ctl_evrec_has_rule(r, f->rule))
		return 0;
	if (f->has_recipient && !ctl_evrec_has_recipient(r, f->recipient))
		return 0;
	if (f->has_sender) {
		ctl_evrec_sender_key(r, key, sizeof(key));
		if (strcmp(key, f->sender) != 0)
			return 0;
	}
	return 1;
}

/* The state of one walk. */
struct ctl_walk {
	const struct ctl_evfilter *filter;
	ctl_evrec_cb cb;
	void *arg;
	uint64_t bad;
};

static int
ctl_walk_one(uint64_t seq, const char *json, size_t len, void *arg)
{
	struct ctl_walk *w = arg;
	struct db_evrec r;
	int rc;

	rc = ctl_evrec_parse(json, len, &r);
	if (rc == CTL_EVREC_NOMEM)
		return DB_ERR_NOMEM;
	if (rc != CTL_EVREC_OK) {
		ctl_error("evidence record %llu does not parse; skipped",
			  (unsigned long long)seq);
		w->bad++;
		return 0;
	}
	rc = ctl_evfilter_match(w->filter, &r) ? w->cb(&r, json, len, w->arg)
					       : 0;
	ctl_evrec_free(&r);
	return rc;
}

int
ctl_evrec_walk(struct db_store *s, const struct ctl_evfilter *f,
	       ctl_evrec_cb cb, void *arg, uint64_t *bad)
{
	struct ctl_walk w = {f, cb, arg, 0};
	int rc;

	rc = db_evidence_foreach(s, ctl_walk_one, &w);
	if (bad)
		*bad = w.bad;
	if (rc < 0)
		ctl_error("evidence store: %s", db_strerror(rc));
	return rc;
}
