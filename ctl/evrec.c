/*
 * evrec.c - the evidence record as consentctl reviews it: the record's
 * JSON text read with the one JSON reader (common/jsonread.h) into owned
 * strings, the rules list stepper, the filters
 * of `log`, `stats` and `report`, and the walk over the store that joins
 * them.
 *
 * Owns: the strings of each parsed struct ctl_evrec (malloc'd, released by
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

#include "../common/buf.h"
#include "../common/jsonread.h"
#include "ctl.h"

/* The string fields by name, for the parser. */
static const struct {
	const char *name;
	size_t offset;
} ctl_evrec_fields[] = {
	{"prev", offsetof(struct ctl_evrec, prev)},
	{"time", offsetof(struct ctl_evrec, time_text)},
	{"ref", offsetof(struct ctl_evrec, ref)},
	{"kind", offsetof(struct ctl_evrec, kind)},
	{"queue_id", offsetof(struct ctl_evrec, queue_id)},
	{"message_id", offsetof(struct ctl_evrec, message_id)},
	{"sender", offsetof(struct ctl_evrec, sender)},
	{"recipients", offsetof(struct ctl_evrec, recipients)},
	{"client_ip", offsetof(struct ctl_evrec, client_ip)},
	{"sender_h", offsetof(struct ctl_evrec, sender_h)},
	{"recipients_h", offsetof(struct ctl_evrec, recipients_h)},
	{"client_ip_h", offsetof(struct ctl_evrec, client_ip_h)},
	{"class", offsetof(struct ctl_evrec, cls)},
	{"rules", offsetof(struct ctl_evrec, rules)},
	{"action", offsetof(struct ctl_evrec, action)},
	{"sha256", offsetof(struct ctl_evrec, sha256)},
	{"retry_of", offsetof(struct ctl_evrec, retry_of)},
	{"before", offsetof(struct ctl_evrec, before)},
	{"after", offsetof(struct ctl_evrec, after)},
};

#define CTL_EVREC_NFIELDS (sizeof(ctl_evrec_fields) / sizeof(ctl_evrec_fields[0]))

static char **
ctl_evrec_slot(struct ctl_evrec *r, size_t i)
{
	return (char **)(void *)((char *)r + ctl_evrec_fields[i].offset);
}

/* Copy the string members of o into their fields ("" when absent). */
static int
ctl_evrec_strings(JsonObject *o, struct ctl_evrec *r)
{
	const char *v;
	char *fixed;
	size_t i;

	for (i = 0; i < CTL_EVREC_NFIELDS; i++) {
		v = jsonr_string0(o, ctl_evrec_fields[i].name);
		/* json-glib passes a lone surrogate escape through as bytes
		 * that are not UTF-8; such a field shows U+FFFD there. */
		if (g_utf8_validate(v, -1, NULL)) {
			*ctl_evrec_slot(r, i) = strdup(v);
		} else {
			fixed = g_utf8_make_valid(v, -1);
			*ctl_evrec_slot(r, i) = fixed ? strdup(fixed) : NULL;
			g_free(fixed);
		}
		if (*ctl_evrec_slot(r, i) == NULL)
			return CTL_EVREC_NOMEM;
	}
	return CTL_EVREC_OK;
}

int
ctl_evrec_parse(const char *json, size_t len, struct ctl_evrec *out)
{
	struct jsonr j;
	int64_t seq;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = jsonr_parse(&j, json, len);
	if (rc != JSONR_OK)
		return rc == JSONR_NOMEM ? CTL_EVREC_NOMEM : CTL_EVREC_SYNTAX;
	rc = ctl_evrec_strings(j.root, out);
	out->seq = jsonr_int(j.root, "seq", 0, &seq) && seq > 0
			   ? (uint64_t)seq : 0;
	out->tls = jsonr_bool(j.root, "tls", 0);
	jsonr_free(&j);
	if (rc != CTL_EVREC_OK) {
		ctl_evrec_free(out);
		return rc;
	}
	out->time_ok = db_time_parse(out->time_text, &out->time) == DB_OK;
	if (!out->time_ok)
		out->time = 0;
	return CTL_EVREC_OK;
}

void
ctl_evrec_free(struct ctl_evrec *r)
{
	size_t i;

	for (i = 0; i < CTL_EVREC_NFIELDS; i++)
		free(*ctl_evrec_slot(r, i));
	memset(r, 0, sizeof(*r));
}

/* The length of a rule id at p followed by ':', or 0. */
static size_t
ctl_rule_id_len(const char *p)
{
	size_t n = 0;

	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9') ||
	       p[n] == '.' || p[n] == '-' || p[n] == '_')
		n++;
	return n > 0 && p[n] == ':' ? n : 0;
}

int
ctl_evrec_rule_next(const char **p, const char **id, size_t *idlen,
		    const char **detail, size_t *detaillen)
{
	const char *s = *p, *e;

	while (*s == ' ' || *s == ';')
		s++;
	if (*s == '\0')
		return 0;
	*id = s;
	*idlen = ctl_rule_id_len(s);
	if (*idlen == 0) /* no id: the whole entry is the detail */
		*detail = s;
	else
		for (*detail = s + *idlen + 1; **detail == ' '; (*detail)++)
			;
	for (e = *detail; *e; e++)
		if (e[0] == ';' && e[1] == ' ' && ctl_rule_id_len(e + 2) > 0)
			break;
	*detaillen = (size_t)(e - *detail);
	*p = e;
	return 1;
}

int
ctl_evrec_has_rule(const struct ctl_evrec *r, const char *id)
{
	const char *p = r->rules, *rid, *detail;
	size_t idlen, detaillen, n = strlen(id);

	while (ctl_evrec_rule_next(&p, &rid, &idlen, &detail, &detaillen))
		if (idlen == n && memcmp(rid, id, n) == 0)
			return 1;
	return 0;
}

int
ctl_evrec_names_hash(const struct ctl_evrec *r, const char *h)
{
	size_t n = strlen(h);
	const char *p;

	if (n == 0)
		return 0;
	if (strcmp(r->sender_h, h) == 0 || strstr(r->rules, h) != NULL)
		return 1;
	for (p = r->recipients_h; (p = strstr(p, h)) != NULL; p += n)
		if ((p == r->recipients_h || p[-1] == ',') &&
		    (p[n] == ',' || p[n] == '\0'))
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
ctl_evrec_print(FILE *out, const struct ctl_evrec *r)
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
	if (r->before[0] || r->after[0]) {
		fputs(" state=", out);
		ctl_evrec_text_field(out, r->before, "-");
		fputs("->", out);
		ctl_evrec_text_field(out, r->after, "-");
	}
	fputc('\n', out);
}

int
ctl_evrec_has_recipient(const struct ctl_evrec *r, const char *key)
{
	char one[ADDR_MAX + 1], norm[ADDR_MAX + 1];
	const char *p = r->recipients, *e;
	size_t n;

	while (*p) {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n < sizeof(one)) {
			memcpy(one, p, n);
			one[n] = '\0';
			if (addr_normalise(one, norm, sizeof(norm)) >= 0 &&
			    strcmp(norm, key) == 0)
				return 1;
		}
		p += n + (e != NULL);
	}
	return 0;
}

int
ctl_evrec_refused(const struct ctl_evrec *r)
{
	return strcmp(r->kind, "decision") == 0 &&
	       (strcmp(r->action, "reject") == 0 ||
		strcmp(r->action, "tempfail") == 0);
}

int
ctl_evrec_is_withdrawal(const struct ctl_evrec *r)
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
ctl_evrec_day(const struct ctl_evrec *r, char out[DB_TIME_MAX])
{
	if (!r->time_ok) {
		snprintf(out, DB_TIME_MAX, "unknown");
		return;
	}
	db_time_format(r->time - r->time % 86400, out, DB_TIME_MAX);
	if (strlen(out) == DB_TIME_MAX - 1)
		out[10] = '\0'; /* "2026-11-24T00:00:00Z" -> "2026-11-24" */
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

#define CTL_EV_ACTIONS \
	"pass|reject|tempfail|quarantine|tag|monitor|passed-to-mta|sent|" \
	"withdrawn|unknown|add|confirm|withdraw|import|forget|purge|migrate"
#define CTL_EV_KINDS "decision|doi-send|doi-retry|withdrawal|consent"

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
	case CTL_EVOPT_ACTION:
		f->action = arg;
		if (!ctl_word_in(arg, CTL_EV_ACTIONS)) {
			ctl_error("--action: unknown action '%s' (one of "
				  CTL_EV_ACTIONS ")", arg);
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
ctl_evrec_sender_key(const struct ctl_evrec *r, char *out, size_t outsz)
{
	if (addr_normalise_sender(r->sender, out, outsz) < 0)
		snprintf(out, outsz, "%s", r->sender);
}

int
ctl_evfilter_match(const struct ctl_evfilter *f, const struct ctl_evrec *r)
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
	struct ctl_evrec r;
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
