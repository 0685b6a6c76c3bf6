/*
 * evread.c - db_evrec_parse (db/evrec.h): the one reader of evidence
 * records.  The text is parsed with the one JSON reader (common/jsonread);
 * the string forms of versions 1 and 2 (comma-joined recipients and
 * hashes, the rules as "id: detail @ where; ...") are turned into the
 * lists of version 3 in one function, db_evrec_upgrade, so every reader
 * sees one struct.
 *
 * Owns: the strings and arrays of each parsed struct db_evrec (malloc'd,
 * released by db_evrec_free).  Never logs; returns DB_* codes.
 */
#include "evrec.h"

#include <glib.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../common/buf.h"
#include "../common/jsonread.h"
#include "../common/time.h"
#include "store.h"

/* The plain string fields by name. */
static const struct {
	const char *name;
	size_t offset;
} db_evrec_fields[] = {
	{"prev", offsetof(struct db_evrec, prev)},
	{"time", offsetof(struct db_evrec, time_text)},
	{"ref", offsetof(struct db_evrec, ref)},
	{"kind", offsetof(struct db_evrec, kind)},
	{"queue_id", offsetof(struct db_evrec, queue_id)},
	{"message_id", offsetof(struct db_evrec, message_id)},
	{"sender", offsetof(struct db_evrec, sender)},
	{"client_ip", offsetof(struct db_evrec, client_ip)},
	{"key_id", offsetof(struct db_evrec, key_id)},
	{"sender_h", offsetof(struct db_evrec, sender_h)},
	{"client_ip_h", offsetof(struct db_evrec, client_ip_h)},
	{"class", offsetof(struct db_evrec, cls)},
	{"note", offsetof(struct db_evrec, note)},
	{"note_h", offsetof(struct db_evrec, note_h)},
	{"action", offsetof(struct db_evrec, action)},
	{"sha256", offsetof(struct db_evrec, sha256)},
	{"retry_of", offsetof(struct db_evrec, retry_of)},
	{"before", offsetof(struct db_evrec, before)},
	{"after", offsetof(struct db_evrec, after)},
	{"profile", offsetof(struct db_evrec, profile)},
};

#define DB_EVREC_NFIELDS (sizeof(db_evrec_fields) / sizeof(db_evrec_fields[0]))

static char **
db_evrec_slot(struct db_evrec *r, size_t i)
{
	return (char **)(void *)((char *)r + db_evrec_fields[i].offset);
}

/* A malloc'd copy of n bytes at v (NULL: ""), valid UTF-8: json-glib
 * passes a lone surrogate escape through as bytes that are not. */
static char *
db_evrec_dup(const char *v, size_t n)
{
	char *fixed, *out;

	if (v == NULL)
		return strdup("");
	if (g_utf8_validate(v, (gssize)n, NULL))
		return strndup(v, n);
	fixed = g_utf8_make_valid(v, (gssize)n);
	out = fixed ? strdup(fixed) : NULL;
	g_free(fixed);
	return out;
}

/* Append a copy of n bytes at v to the list *v of *n. */
static int
db_evrec_push(char ***list, size_t *count, const char *v, size_t n)
{
	char **grown = realloc(*list, (*count + 1) * sizeof(**list));

	if (grown == NULL)
		return DB_ERR_NOMEM;
	*list = grown;
	if ((grown[*count] = db_evrec_dup(v, n)) == NULL)
		return DB_ERR_NOMEM;
	(*count)++;
	return DB_OK;
}

/* A JSON array of strings into a list (other elements count as ""). */
static int
db_evrec_list(JsonArray *a, char ***list, size_t *count)
{
	const char *s;
	unsigned i;
	int rc = DB_OK;

	for (i = 0; rc == DB_OK && i < json_array_get_length(a); i++) {
		s = jsonr_array_string(a, i);
		rc = db_evrec_push(list, count, s ? s : "", s ? strlen(s) : 0);
	}
	return rc;
}

/* A comma-joined list of versions 1 and 2 ("" is no element for the
 * plaintext, one empty hash for the hashes: as they were written). */
static int
db_evrec_split(const char *text, int keep_empty, char ***list,
	       size_t *count)
{
	const char *p = text, *e;
	size_t n;
	int rc = DB_OK;

	if (*text == '\0' && !keep_empty)
		return DB_OK;
	do {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		rc = db_evrec_push(list, count, p, n);
		p = e ? e + 1 : NULL;
	} while (rc == DB_OK && p);
	return rc;
}

int
db_evrec_old_list(const char *text, char ***list, size_t *count)
{
	*list = NULL;
	*count = 0;
	return db_evrec_split(text, 1, list, count);
}

/* Append one rule to r. */
static int
db_evrec_add_rule(struct db_evrec *r, const char *id, size_t idn,
		  const char *detail, size_t dn, const char *where,
		  size_t wn, int rcpt, const char *detail_h)
{
	struct db_evrule *grown, *x;

	grown = realloc(r->rulev, (r->nrules + 1) * sizeof(*grown));
	if (grown == NULL)
		return DB_ERR_NOMEM;
	r->rulev = grown;
	x = &grown[r->nrules++];
	x->rcpt = rcpt;
	x->id = db_evrec_dup(id, idn);
	x->detail = db_evrec_dup(detail, dn);
	x->where = db_evrec_dup(where, wn);
	x->detail_h = db_evrec_dup(detail_h, detail_h ? strlen(detail_h) : 0);
	return x->id && x->detail && x->where && x->detail_h ? DB_OK
							     : DB_ERR_NOMEM;
}

/* The rules array of version 3; details (the merged view) holds the
 * texts of personal details. */
static int
db_evrec_rule_objects(struct db_evrec *r, JsonArray *a, JsonArray *details)
{
	const char *id, *detail, *where;
	JsonObject *o;
	int64_t rcpt;
	unsigned i;
	int rc = DB_OK;

	for (i = 0; rc == DB_OK && i < json_array_get_length(a); i++) {
		if ((o = jsonr_array_object(a, i)) == NULL)
			continue;
		id = jsonr_string0(o, "id");
		detail = jsonr_string(o, "detail");
		if (detail == NULL && details)
			detail = jsonr_array_string(details, i);
		if (detail == NULL)
			detail = "";
		where = jsonr_string0(o, "where");
		if (!jsonr_int(o, "recipient", -1, &rcpt) || rcpt < 0 ||
		    rcpt > INT32_MAX)
			rcpt = -1;
		rc = db_evrec_add_rule(r, id, strlen(id), detail,
				       strlen(detail), where, strlen(where),
				       (int)rcpt, jsonr_string(o, "detail_h"));
	}
	return rc;
}

/* The length of a rule id at p followed by ':' that is_rule knows, or 0. */
static size_t
db_evrec_id_len(const char *p, db_evrec_is_rule is_rule)
{
	size_t n = 0;

	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9') ||
	       p[n] == '.' || p[n] == '-' || p[n] == '_')
		n++;
	return n > 0 && p[n] == ':' && is_rule && is_rule(p, n) ? n : 0;
}

/* One entry "id: detail @ where" of an old rules string (n bytes at s):
 * a rule when its id is one, else text for the note. */
static int
db_evrec_old_entry(struct db_evrec *r, const char *s, size_t n, size_t idn,
		   struct buf *note)
{
	const char *d, *at = NULL, *p;
	size_t dn;

	if (idn == 0) {
		if ((note->len && buf_puts(note, "; ") < 0) ||
		    buf_append(note, s, n) < 0)
			return DB_ERR_NOMEM;
		return DB_OK;
	}
	for (d = s + idn + 1; d < s + n && *d == ' '; d++)
		;
	dn = (size_t)(s + n - d);
	/* The writer put " @ where" last; a where never holds " @ ". */
	for (p = d; p + 3 <= d + dn; p++)
		if (memcmp(p, " @ ", 3) == 0)
			at = p;
	if (at == NULL)
		return db_evrec_add_rule(r, s, idn, d, dn, "", 0, -1, NULL);
	return db_evrec_add_rule(r, s, idn, d, (size_t)(at - d), at + 3,
				 (size_t)(d + dn - at - 3), -1, NULL);
}

/*
 * The string forms of versions 1 and 2 into the lists of version 3:
 * recipients and their hashes split at ',', the rules string split into
 * entries before "; <rule id>:" (a detail may hold "; "), entries without
 * a known rule id kept as the note.  Fields already in list form (a
 * version 3 record) are left as they are.
 */
static int
db_evrec_upgrade(struct db_evrec *r, const char *recipients,
		 const char *recipients_h, const char *rules,
		 db_evrec_is_rule is_rule)
{
	struct buf note = BUF_INIT;
	const char *s, *e;
	size_t idn;
	int rc = DB_OK;

	if (recipients)
		rc = db_evrec_split(recipients, 0, &r->rcptv, &r->nrcpt);
	if (rc == DB_OK && recipients_h)
		rc = db_evrec_split(recipients_h, 1, &r->rcpt_hv, &r->nrcpt_h);
	for (s = rules; rc == DB_OK && s && *s; s = e) {
		while (*s == ' ' || *s == ';')
			s++;
		if (*s == '\0')
			break;
		idn = db_evrec_id_len(s, is_rule);
		for (e = s + (idn ? idn + 1 : 0); *e; e++)
			if (e[0] == ';' && e[1] == ' ' &&
			    db_evrec_id_len(e + 2, is_rule) > 0)
				break;
		rc = db_evrec_old_entry(r, s, (size_t)(e - s), idn, &note);
	}
	if (rc == DB_OK && note.len > 0) {
		free(r->note);
		r->note = db_evrec_dup(note.data, note.len);
		rc = r->note ? DB_OK : DB_ERR_NOMEM;
	}
	buf_free(&note);
	return rc;
}

/* rcptv, rcpt_hv and the rules as the joined texts of the struct. */
static int
db_evrec_join(struct db_evrec *r)
{
	struct buf b = BUF_INIT;
	size_t i;
	int x = 0;

	for (i = 0; i < r->nrcpt; i++)
		x |= buf_printf(&b, "%s%s", i ? "," : "", r->rcptv[i]);
	r->recipients = db_evrec_dup(b.data, b.len);
	buf_reset(&b);
	for (i = 0; i < r->nrcpt_h; i++)
		x |= buf_printf(&b, "%s%s", i ? "," : "", r->rcpt_hv[i]);
	r->recipients_h = db_evrec_dup(b.data, b.len);
	buf_reset(&b);
	for (i = 0; i < r->nrules; i++)
		x |= buf_printf(&b, "%s%s: %s%s%s", i ? "; " : "",
				r->rulev[i].id, r->rulev[i].detail,
				r->rulev[i].where[0] ? " @ " : "",
				r->rulev[i].where);
	if (r->note[0])
		x |= buf_printf(&b, "%s%s", b.len ? "; " : "", r->note);
	r->rules = db_evrec_dup(b.data, b.len);
	buf_free(&b);
	return x == 0 && r->recipients && r->recipients_h && r->rules
		       ? DB_OK : DB_ERR_NOMEM;
}

/* The fields of the parsed object o into r. */
static int
db_evrec_fill(JsonObject *o, db_evrec_is_rule is_rule, struct db_evrec *r)
{
	const char *v;
	JsonArray *a;
	int64_t n;
	size_t i;
	int rc = DB_OK;

	for (i = 0; rc == DB_OK && i < DB_EVREC_NFIELDS; i++) {
		v = jsonr_string0(o, db_evrec_fields[i].name);
		if ((*db_evrec_slot(r, i) = db_evrec_dup(v, strlen(v))) == NULL)
			rc = DB_ERR_NOMEM;
	}
	r->seq = jsonr_int(o, "seq", 0, &n) && n > 0 ? (uint64_t)n : 0;
	r->tls = jsonr_bool(o, "tls", 0);
	if (jsonr_int(o, "version", 0, &n))
		r->version = n > 0 && n < 1000 ? (int)n : 0;
	else
		r->version = jsonr_has(o, "sender_h") ? 2 : 1;
	if (rc == DB_OK && (a = jsonr_array(o, "recipients")))
		rc = db_evrec_list(a, &r->rcptv, &r->nrcpt);
	if (rc == DB_OK && (a = jsonr_array(o, "recipients_h")))
		rc = db_evrec_list(a, &r->rcpt_hv, &r->nrcpt_h);
	if (rc == DB_OK && (a = jsonr_array(o, "rules")))
		rc = db_evrec_rule_objects(r, a, jsonr_array(o, "details"));
	if (rc == DB_OK)
		rc = db_evrec_upgrade(r, jsonr_string(o, "recipients"),
				      jsonr_string(o, "recipients_h"),
				      jsonr_string(o, "rules"), is_rule);
	return rc == DB_OK ? db_evrec_join(r) : rc;
}

int
db_evrec_parse(const char *json, size_t len, db_evrec_is_rule is_rule,
	       struct db_evrec *out)
{
	struct jsonr j;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = jsonr_parse(&j, json, len);
	if (rc != JSONR_OK)
		return rc == JSONR_NOMEM ? DB_ERR_NOMEM : DB_ERR_CORRUPT;
	rc = db_evrec_fill(j.root, is_rule, out);
	jsonr_free(&j);
	if (rc != DB_OK) {
		db_evrec_free(out);
		return rc;
	}
	out->time_ok = time_parse(out->time_text, TIME_CANONICAL,
				  &out->time) == 0;
	if (!out->time_ok)
		out->time = 0;
	return DB_OK;
}

void
db_evrec_free(struct db_evrec *r)
{
	size_t i;

	for (i = 0; i < DB_EVREC_NFIELDS; i++)
		free(*db_evrec_slot(r, i));
	for (i = 0; i < r->nrcpt; i++)
		free(r->rcptv[i]);
	for (i = 0; i < r->nrcpt_h; i++)
		free(r->rcpt_hv[i]);
	for (i = 0; i < r->nrules; i++) {
		free(r->rulev[i].id);
		free(r->rulev[i].detail);
		free(r->rulev[i].where);
		free(r->rulev[i].detail_h);
	}
	free(r->rcptv);
	free(r->rcpt_hv);
	free(r->rulev);
	free(r->recipients);
	free(r->recipients_h);
	free(r->rules);
	memset(r, 0, sizeof(*r));
}
