/*
 * pii.c - personal data beside the evidence chain (db/evpii.h): the
 * store's HMAC secret, the keyed hashes written into chained records, the
 * evpii plaintext entries, and the merged view that readers get.
 *
 * Owns: the secret inside struct db_store (loaded at open from its own
 * file, secret.c, or moved there from meta of an older store; wiped by
 * db_close; never printed, logged or exported), and the scratch buffers of
 * each call.  Strings of a struct db_pii are malloc'd and released by
 * db_pii_free.  Never logs; returns DB_* codes (DB_ERR_CORRUPT for an evpii
 * value or secret that does not decode).
 */
#include "evpii.h"

#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "codec.h"

/* Hex digits of a hash shown in a pseudonym. */
#define DB_PSEUDONYM_HEX 12

/* Fill the secret from the kernel's random source. */
static int
db_pii_random(unsigned char *key, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = getrandom(key + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return DB_ERR_IO;
		got += (size_t)r;
	}
	return DB_OK;
}

/*
 * The secret in meta of a store made before the secret file: 1 found
 * (copied into key), 0 absent, <0 an error explained in err.
 */
static int
db_pii_meta_secret(struct db_store *s, MDB_txn *txn, const char *dir,
		   unsigned char key[DB_PII_KEY_LEN], char *err, size_t errsz)
{
	MDB_val k = {sizeof(DB_META_PII_KEY) - 1, DB_META_PII_KEY}, v;
	int rc;

	rc = mdb_get(txn, s->meta, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0) {
		snprintf(err, errsz, "%s: %s", dir, mdb_strerror(rc));
		return db_from_mdb(rc);
	}
	if (v.mv_size != DB_PII_KEY_LEN) {
		snprintf(err, errsz, "%s: the evidence secret is damaged", dir);
		return DB_ERR_CORRUPT;
	}
	memcpy(key, v.mv_data, DB_PII_KEY_LEN);
	return 1;
}

/* Load the secret into s->pii_key; see db_pii_open. */
static int
db_pii_load_secret(struct db_store *s, MDB_txn *txn, int create,
		   const char *dir, char *err, size_t errsz)
{
	MDB_val k = {sizeof(DB_META_PII_KEY) - 1, DB_META_PII_KEY};
	unsigned char old[DB_PII_KEY_LEN];
	int infile, inmeta, rc;

	rc = db_secret_read(dir, s->pii_key, err, errsz);
	if (rc != DB_OK && rc != DB_NOTFOUND)
		return rc;
	infile = rc == DB_OK;
	inmeta = db_pii_meta_secret(s, txn, dir, old, err, errsz);
	if (inmeta < 0)
		return inmeta;
	rc = DB_OK;
	if (inmeta && infile && memcmp(old, s->pii_key, DB_PII_KEY_LEN) != 0) {
		snprintf(err, errsz, "%s: %s and the secret inside the store "
			 "differ", dir, DB_SECRET_FILE);
		rc = DB_ERR_CORRUPT;
	} else if (inmeta && !infile) {
		memcpy(s->pii_key, old, DB_PII_KEY_LEN);
	} else if (!infile && !create) {
		snprintf(err, errsz, "%s: the evidence secret %s is missing",
			 dir, DB_SECRET_FILE);
		rc = DB_ERR_CORRUPT;
	} else if (!infile && db_pii_random(s->pii_key, DB_PII_KEY_LEN)) {
		snprintf(err, errsz, "%s: no random bytes for the evidence "
			 "secret", dir);
		rc = DB_ERR_IO;
	}
	explicit_bzero(old, sizeof(old));
	if (rc != DB_OK || s->rdonly)
		return rc;
	if (!infile)
		rc = db_secret_write(dir, s->dir_uid, s->dir_gid, s->pii_key,
				     err, errsz);
	if (rc == DB_OK && inmeta &&
	    (rc = db_from_mdb(mdb_del(txn, s->meta, &k, NULL))) != DB_OK)
		snprintf(err, errsz, "%s: cannot move the evidence secret out "
			 "of the store: %s", dir, db_strerror(rc));
	return rc;
}

int
db_pii_open(struct db_store *s, MDB_txn *txn, int create, const char *dir,
	    char *err, size_t errsz)
{
	int rc;

	rc = mdb_dbi_open(txn, "evpii", create ? MDB_CREATE : 0, &s->evpii);
	if (rc != 0) {
		snprintf(err, errsz, "%s: %s", dir, rc == MDB_NOTFOUND
			 ? "not a consentgate store (no evpii database)"
			 : mdb_strerror(rc));
		return rc == MDB_NOTFOUND ? DB_ERR_IO : db_from_mdb(rc);
	}
	return db_pii_load_secret(s, txn, create, dir, err, errsz);
}

int
db_pii_hmac_k(const unsigned char *key, const char *text,
	      char out[DB_HASH_HEX])
{
	GHmac *h;

	out[0] = '\0';
	if (text == NULL || *text == '\0')
		return DB_OK;
	h = g_hmac_new(G_CHECKSUM_SHA256, key, DB_PII_KEY_LEN);
	if (h == NULL)
		return DB_ERR_NOMEM;
	g_hmac_update(h, (const guchar *)text, (gssize)strlen(text));
	snprintf(out, DB_HASH_HEX, "%s", g_hmac_get_string(h));
	g_hmac_unref(h);
	return DB_OK;
}

int
db_pii_hmac(const struct db_store *s, const char *text,
	    char out[DB_HASH_HEX])
{
	const char *id;

	return db_pii_hmac_k(db_pii_write_key(s, &id), text, out);
}

int
db_pii_form(const char *in, size_t n, struct buf *out)
{
	char norm[ADDR_MAX + 1];

	while (n > 0 && (*in == ' ' || *in == '\t')) {
		in++;
		n--;
	}
	while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t'))
		n--;
	buf_reset(out);
	if (buf_append(out, in, n) < 0 || buf_reserve(out, 0) < 0)
		return DB_ERR_NOMEM;
	if (addr_normalise_sender(out->data, norm, sizeof(norm)) >= 0) {
		buf_reset(out);
		if (buf_puts(out, norm) < 0 || buf_reserve(out, 0) < 0)
			return DB_ERR_NOMEM;
	}
	return DB_OK;
}

int
db_pii_hash_nk(const unsigned char *key, const char *in, size_t n,
	       char out[DB_HASH_HEX])
{
	struct buf form = BUF_INIT;
	int rc;

	rc = db_pii_form(in, n, &form);
	if (rc == DB_OK)
		rc = db_pii_hmac_k(key, form.data, out);
	buf_free(&form);
	return rc;
}

int
db_pii_hash_n(const struct db_store *s, const char *in, size_t n,
	      char out[DB_HASH_HEX])
{
	const char *id;

	return db_pii_hash_nk(db_pii_write_key(s, &id), in, n, out);
}

int
db_pii_hash(struct db_store *s, const char *addr, char out[DB_HASH_HEX])
{
	char norm[ADDR_MAX + 1];

	out[0] = '\0';
	if (addr == NULL || addr_normalise(addr, norm, sizeof(norm)) < 0)
		return DB_ERR_INVALID;
	return db_pii_hmac(s, norm, out);
}

int
db_pii_hashes(struct db_store *s, const char *addr,
	      char out[][DB_HASH_HEX], size_t max, size_t *n)
{
	char norm[ADDR_MAX + 1];
	size_t i;
	int rc = DB_OK;

	*n = 0;
	if (addr == NULL || addr_normalise(addr, norm, sizeof(norm)) < 0)
		return DB_ERR_INVALID;
	for (i = 0; rc == DB_OK && i < s->nsubj && *n < max; i++)
		rc = db_pii_hmac_k(s->subj_key[i], norm, out[(*n)++]);
	if (rc == DB_OK && *n < max)
		rc = db_pii_hmac_k(s->pii_key, norm, out[(*n)++]);
	return rc;
}

int
db_rcpts_get(const struct db_evidence *e, struct db_rcpts *out)
{
	char *p, *c;
	size_t n = 1;

	memset(out, 0, sizeof(*out));
	if (e->rcptv) {
		out->v = (const char **)e->rcptv;
		out->n = e->nrcpt;
		return DB_OK;
	}
	if (e->recipients == NULL || e->recipients[0] == '\0')
		return DB_OK;
	if ((out->copy = strdup(e->recipients)) == NULL)
		return DB_ERR_NOMEM;
	for (p = out->copy; (p = strchr(p, ',')); p++)
		n++;
	if ((out->own = calloc(n, sizeof(*out->own))) == NULL) {
		db_rcpts_free(out);
		return DB_ERR_NOMEM;
	}
	for (p = out->copy; p; p = c) {
		if ((c = strchr(p, ',')) != NULL)
			*c++ = '\0';
		out->own[out->n++] = p;
	}
	out->v = (const char **)out->own;
	return DB_OK;
}

void
db_rcpts_free(struct db_rcpts *r)
{
	free(r->own);
	free(r->copy);
	memset(r, 0, sizeof(*r));
}

/* The recipients' hashes of rl as a JSON array. */
static int
db_pii_json_rcpt_hashes(const struct db_store *s, const struct db_rcpts *rl,
			struct buf *json)
{
	char h[DB_HASH_HEX];
	size_t i;
	int rc = buf_putc(json, '[') < 0 ? DB_ERR_NOMEM : DB_OK;

	for (i = 0; rc == DB_OK && i < rl->n; i++) {
		rc = db_pii_hash_n(s, rl->v[i], strlen(rl->v[i]), h);
		if (rc == DB_OK &&
		    buf_printf(json, "%s\"%s\"", i ? "," : "", h) < 0)
			rc = DB_ERR_NOMEM;
	}
	if (rc == DB_OK && buf_putc(json, ']') < 0)
		rc = DB_ERR_NOMEM;
	return rc;
}

/* ,"sender_h":..,"recipients_h":[..],"client_ip_h":.. of e. */
static int
db_pii_json_personal(const struct db_store *s, const struct db_evidence *e,
		     const struct db_rcpts *rl, struct buf *json)
{
	char h[DB_HASH_HEX];
	const char *sender = e->sender ? e->sender : "";
	int rc;

	if ((rc = db_pii_hash_n(s, sender, strlen(sender), h)) != DB_OK)
		return rc;
	if (buf_printf(json, ",\"sender_h\":\"%s\",\"recipients_h\":", h))
		return DB_ERR_NOMEM;
	if ((rc = db_pii_json_rcpt_hashes(s, rl, json)) != DB_OK)
		return rc;
	/* An IP is hashed as written, not as an address. */
	if ((rc = db_pii_hmac(s, e->client_ip, h)) != DB_OK)
		return rc;
	if (buf_printf(json, ",\"client_ip_h\":\"%s\"", h) < 0)
		return DB_ERR_NOMEM;
	return DB_OK;
}

/* One rule object of a version 3 record (nrcpt recipients). */
static int
db_pii_json_rule(const struct db_store *s, struct buf *b,
		 const struct db_evidence_rule *x, size_t nrcpt)
{
	char h[DB_HASH_HEX];
	int r = buf_puts(b, "{\"id\":") | db_json_string(b, x->id);

	if (x->personal && x->detail && x->detail[0]) {
		if (db_pii_hmac(s, x->detail, h) != DB_OK)
			return -1;
		r |= buf_printf(b, ",\"detail_h\":\"%s\"", h);
	} else {
		r |= buf_puts(b, ",\"detail\":") | db_json_string(b, x->detail);
	}
	r |= buf_puts(b, ",\"where\":") | db_json_string(b, x->where);
	if (x->rcpt >= 0 && (size_t)x->rcpt < nrcpt)
		return r | buf_printf(b, ",\"recipient\":%d}", x->rcpt);
	return r | buf_puts(b, ",\"recipient\":null}");
}

/* ,"rules":[..] and the note (or the HMAC of a personal one). */
static int
db_pii_json_rules(const struct db_store *s, const struct db_evidence *e,
		  size_t nrcpt, struct buf *b)
{
	char h[DB_HASH_HEX];
	size_t i;
	int r = buf_puts(b, ",\"rules\":[");

	for (i = 0; r == 0 && i < e->nrules; i++)
		r = (i ? buf_putc(b, ',') : 0) |
		    db_pii_json_rule(s, b, &e->rulev[i], nrcpt);
	r |= buf_putc(b, ']');
	if (!e->note_personal || e->rules == NULL || e->rules[0] == '\0')
		return r | buf_puts(b, ",\"note\":") |
		       db_json_string(b, e->rules);
	if (r || db_pii_hmac(s, e->rules, h) != DB_OK)
		return -1;
	return buf_printf(b, ",\"note_h\":\"%s\"", h);
}

int
db_pii_json_hashes(const struct db_store *s, const struct db_evidence *e,
		   struct db_ev_keyed *k)
{
	struct db_rcpts rl;
	const char *kid;
	int rc;

	buf_reset(&k->key_id);
	buf_reset(&k->hashes);
	buf_reset(&k->rules);
	db_pii_write_key(s, &kid);
	if (kid[0] && buf_printf(&k->key_id, ",\"key_id\":\"%s\"", kid) < 0)
		return DB_ERR_NOMEM;
	if ((rc = db_rcpts_get(e, &rl)) != DB_OK)
		return rc;
	rc = db_pii_json_personal(s, e, &rl, &k->hashes);
	if (rc == DB_OK && db_pii_json_rules(s, e, rl.n, &k->rules) != 0)
		rc = DB_ERR_NOMEM;
	db_rcpts_free(&rl);
	return rc;
}

void
db_ev_keyed_free(struct db_ev_keyed *k)
{
	buf_free(&k->key_id);
	buf_free(&k->hashes);
	buf_free(&k->rules);
}

int
db_pii_encode(struct buf *b, const struct db_pii *p)
{
	size_t i;
	int r;

	buf_reset(b);
	r = buf_puts(b, "{\"sender\":");
	r |= db_json_string(b, p->sender);
	r |= buf_puts(b, ",\"recipients\":[");
	for (i = 0; i < p->nrcpt; i++)
		r |= (i ? buf_putc(b, ',') : 0) | db_json_string(b, p->rcpt[i]);
	r |= buf_puts(b, "],\"client_ip\":");
	r |= db_json_string(b, p->client_ip);
	if (p->ndetails) {
		r |= buf_puts(b, ",\"details\":[");
		for (i = 0; i < p->ndetails; i++)
			r |= (i ? buf_putc(b, ',') : 0) |
			     db_json_string(b, p->details[i]);
		r |= buf_putc(b, ']');
	}
	if (p->note)
		r |= buf_puts(b, ",\"note\":") | db_json_string(b, p->note);
	r |= buf_putc(b, '}');
	return r == 0 ? DB_OK : DB_ERR_NOMEM;
}

void
db_pii_free(struct db_pii *p)
{
	size_t i;

	free(p->sender);
	for (i = 0; i < p->nrcpt; i++)
		free(p->rcpt[i]);
	free(p->rcpt);
	free(p->client_ip);
	for (i = 0; i < p->ndetails; i++)
		free(p->details[i]);
	free(p->details);
	free(p->note);
	memset(p, 0, sizeof(*p));
}

/* A JSON array of strings into *v (malloc'd copies; others as ""). */
static int
db_pii_strings(JsonArray *a, char ***v, size_t *n)
{
	const char *s;
	unsigned i;

	*v = calloc(json_array_get_length(a) + 1, sizeof(char *));
	if (*v == NULL)
		return DB_ERR_NOMEM;
	for (i = 0; i < json_array_get_length(a); i++, (*n)++) {
		s = jsonr_array_string(a, i);
		if (((*v)[i] = strdup(s ? s : "")) == NULL)
			return DB_ERR_NOMEM;
	}
	return DB_OK;
}

/* The recipients of an evpii entry: an array (records of version 3) or
 * the comma-joined string of version 2, split as its hashes were. */
static int
db_pii_decode_rcpts(JsonObject *o, struct db_pii *out)
{
	JsonArray *a = jsonr_array(o, "recipients");
	const char *s = jsonr_string(o, "recipients");

	if (a == NULL && s == NULL)
		return DB_ERR_CORRUPT; /* every field is written */
	if (a == NULL) {
		/* The record reader owns the old string form. */
		return db_evrec_old_list(s, &out->rcpt, &out->nrcpt);
	}
	out->rcpt_array = 1;
	return db_pii_strings(a, &out->rcpt, &out->nrcpt);
}

int
db_pii_decode(const void *v, size_t len, struct db_pii *out)
{
	const char *sender, *ip;
	struct jsonr j;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = jsonr_parse(&j, v, len);
	if (rc != JSONR_OK)
		return rc == JSONR_NOMEM ? DB_ERR_NOMEM : DB_ERR_CORRUPT;
	sender = jsonr_string(j.root, "sender");
	ip = jsonr_string(j.root, "client_ip");
	if (sender == NULL || ip == NULL)
		rc = DB_ERR_CORRUPT; /* every field is written */
	else if ((out->sender = strdup(sender)) == NULL ||
		 (out->client_ip = strdup(ip)) == NULL)
		rc = DB_ERR_NOMEM;
	else
		rc = db_pii_decode_rcpts(j.root, out);
	if (rc == DB_OK && jsonr_array(j.root, "details"))
		rc = db_pii_strings(jsonr_array(j.root, "details"),
				    &out->details, &out->ndetails);
	if (rc == DB_OK && jsonr_string(j.root, "note") &&
	    (out->note = strdup(jsonr_string(j.root, "note"))) == NULL)
		rc = DB_ERR_NOMEM;
	jsonr_free(&j);
	if (rc != DB_OK)
		db_pii_free(out);
	return rc;
}

/* The personal details and note of e into p (borrowed pointers; the
 * array in *arr, freed by the caller). */
static int
db_pii_personal(const struct db_evidence *e, struct db_pii *p, char ***arr)
{
	size_t i;
	int any = 0;

	*arr = NULL;
	for (i = 0; i < e->nrules; i++)
		any |= e->rulev[i].personal && e->rulev[i].detail &&
		       e->rulev[i].detail[0];
	if (any) {
		if ((*arr = calloc(e->nrules, sizeof(char *))) == NULL)
			return DB_ERR_NOMEM;
		for (i = 0; i < e->nrules; i++)
			(*arr)[i] = (char *)(e->rulev[i].personal &&
					     e->rulev[i].detail
						     ? e->rulev[i].detail : "");
		p->details = *arr;
		p->ndetails = e->nrules;
	}
	if (e->note_personal && e->rules && e->rules[0])
		p->note = (char *)e->rules;
	return DB_OK;
}

int
db_pii_put_txn(struct db_store *s, MDB_txn *txn, uint64_t seq,
	       const struct db_evidence *e)
{
	struct db_pii p = {(char *)(e->sender ? e->sender : ""), NULL, 0,
			   (char *)(e->client_ip ? e->client_ip : ""), NULL, 0,
			   NULL};
	struct db_rcpts rl;
	struct buf b = BUF_INIT;
	unsigned char key[8];
	MDB_val k = {8, key}, v;
	char **details;
	int rc;

	if ((rc = db_rcpts_get(e, &rl)) != DB_OK)
		return rc;
	if ((rc = db_pii_personal(e, &p, &details)) != DB_OK) {
		db_rcpts_free(&rl);
		return rc;
	}
	p.rcpt = (char **)rl.v;
	p.nrcpt = rl.n;
	if (*p.sender || rl.n || *p.client_ip || p.ndetails || p.note)
		rc = db_pii_encode(&b, &p);
	db_rcpts_free(&rl);
	free(details);
	if (rc != DB_OK || b.len == 0) {
		buf_free(&b);
		return rc;
	}
	db_be64_put(key, seq);
	v.mv_size = b.len;
	v.mv_data = b.data;
	rc = db_from_mdb(mdb_put(txn, s->evpii, &k, &v, MDB_APPEND));
	buf_free(&b);
	return rc;
}

int
db_pii_get_txn(struct db_store *s, MDB_txn *txn, uint64_t seq,
	       struct db_pii *out)
{
	unsigned char key[8];
	MDB_val k = {8, key}, v;
	int rc;

	memset(out, 0, sizeof(*out));
	db_be64_put(key, seq);
	if ((rc = db_from_mdb(mdb_get(txn, s->evpii, &k, &v))) != DB_OK)
		return rc;
	return db_pii_decode(v.mv_data, v.mv_size, out);
}

void
db_pii_forgotten_key(unsigned char key[DB_META_FORGOTTEN_LEN + 8],
		     uint64_t seq)
{
	memcpy(key, DB_META_FORGOTTEN, DB_META_FORGOTTEN_LEN);
	db_be64_put(key + DB_META_FORGOTTEN_LEN, seq);
}

int
db_pii_forgotten_txn(struct db_store *s, MDB_txn *txn, uint64_t seq,
		     struct buf *out)
{
	unsigned char key[DB_META_FORGOTTEN_LEN + 8];
	MDB_val k = {sizeof(key), key}, v;
	int rc;

	buf_reset(out);
	db_pii_forgotten_key(key, seq);
	if ((rc = db_from_mdb(mdb_get(txn, s->meta, &k, &v))) != DB_OK)
		return rc;
	if (buf_append(out, v.mv_data, v.mv_size) < 0 ||
	    buf_reserve(out, 0) < 0)
		return DB_ERR_NOMEM;
	return DB_OK;
}

/* The shown value of one field: its plaintext, or the pseudonym of its
 * hash when the plaintext is gone. */
static int
db_pii_show(struct buf *out, const char *plain, size_t n, const char *h,
	    size_t hn)
{
	const char *p = plain;
	size_t i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i < n)
		return buf_append(out, plain, n);
	if (hn == 0)
		return 0;
	return buf_printf(out, "pseudonymised:%.*s",
			  (int)(hn < DB_PSEUDONYM_HEX ? hn : DB_PSEUDONYM_HEX),
			  h);
}

/* The shown recipients, element by element against the hash list: a
 * JSON array (as) or the comma-joined string of version 2. */
static int
db_pii_show_list(struct buf *out, const struct db_pii *p,
		 const struct db_evrec *rec, int as_array)
{
	struct buf v = BUF_INIT;
	size_t i, n = p->nrcpt > rec->nrcpt_h ? p->nrcpt : rec->nrcpt_h;
	const char *plain, *h;
	int r = as_array ? buf_putc(out, '[') : 0;

	for (i = 0; i < n; i++) {
		plain = i < p->nrcpt ? p->rcpt[i] : "";
		h = i < rec->nrcpt_h ? rec->rcpt_hv[i] : "";
		if (as_array) {
			buf_reset(&v);
			r |= db_pii_show(&v, plain, strlen(plain), h, strlen(h));
			r |= buf_reserve(&v, 0);
			r |= (i ? buf_putc(out, ',') : 0) |
			     db_json_string(out, v.data);
		} else {
			r |= (i ? buf_putc(&v, ',') : 0) |
			     db_pii_show(&v, plain, strlen(plain), h,
					 strlen(h));
		}
	}
	if (as_array)
		r |= buf_putc(out, ']');
	else
		r |= buf_reserve(&v, 0) | db_json_string(out, v.data);
	buf_free(&v);
	return r;
}

/* The personal details and note of the merged view: "details" (one per
 * rule, "" where the detail is in the chain) and "note", each the text
 * from evpii or the pseudonym of its HMAC. */
static int
db_pii_detail_members(struct buf *out, const struct db_pii *p,
		      const struct db_evrec *rec)
{
	struct buf v = BUF_INIT;
	const char *plain, *h;
	size_t i;
	int r = 0, any = 0;

	for (i = 0; i < rec->nrules; i++)
		any |= rec->rulev[i].detail_h[0] != '\0';
	for (i = 0; any && i < rec->nrules; i++) {
		h = rec->rulev[i].detail_h;
		plain = h[0] && i < p->ndetails ? p->details[i] : "";
		buf_reset(&v);
		r |= db_pii_show(&v, plain, strlen(plain), h, strlen(h));
		r |= buf_reserve(&v, 0);
		r |= buf_puts(out, i ? "," : "\"details\":[");
		r |= db_json_string(out, v.data);
	}
	if (any)
		r |= buf_puts(out, "],");
	if (rec->note_h[0]) {
		plain = p->note ? p->note : "";
		buf_reset(&v);
		r |= db_pii_show(&v, plain, strlen(plain), rec->note_h,
				 strlen(rec->note_h));
		r |= buf_reserve(&v, 0);
		r |= buf_puts(out, "\"note\":") | db_json_string(out, v.data);
		r |= buf_putc(out, ',');
	}
	buf_free(&v);
	return r;
}

/* The three "name":"value" members of the merged view. */
static int
db_pii_members(struct buf *out, const struct db_pii *p,
	       const struct db_evrec *rec, int as_array)
{
	struct buf v = BUF_INIT;
	int r;

	r = db_pii_show(&v, p->sender ? p->sender : "",
			p->sender ? strlen(p->sender) : 0, rec->sender_h,
			strlen(rec->sender_h));
	r |= buf_reserve(&v, 0);
	r |= buf_puts(out, "\"sender\":") | db_json_string(out, v.data);
	r |= buf_puts(out, ",\"recipients\":");
	r |= db_pii_show_list(out, p, rec, as_array);
	buf_reset(&v);
	r |= db_pii_show(&v, p->client_ip ? p->client_ip : "",
			 p->client_ip ? strlen(p->client_ip) : 0,
			 rec->client_ip_h, strlen(rec->client_ip_h));
	r |= buf_reserve(&v, 0);
	r |= buf_puts(out, ",\"client_ip\":") | db_json_string(out, v.data);
	r |= buf_putc(out, ',');
	r |= db_pii_detail_members(out, p, rec);
	buf_free(&v);
	return r == 0 ? DB_OK : DB_ERR_NOMEM;
}

/*
 * The merged view's members when nothing of the record was forgotten: a
 * blank field then had nothing to hash (the writer hashes "" to ""), so
 * no pseudonym is shown and the record need not be parsed; the shape (how
 * many recipients, array or string, which details) is the evpii entry's.
 */
static int
db_pii_members_plain(struct buf *out, const struct db_pii *p)
{
	static char none[1] = "", some[2] = "1";
	struct db_evrec rec;
	size_t i;
	int rc = DB_ERR_NOMEM;

	memset(&rec, 0, sizeof(rec));
	rec.sender_h = rec.client_ip_h = none;
	rec.note_h = p->note ? some : none;
	rec.nrcpt_h = p->nrcpt;
	rec.nrules = p->ndetails;
	rec.rcpt_hv = calloc(p->nrcpt + 1, sizeof(*rec.rcpt_hv));
	rec.rulev = calloc(p->ndetails + 1, sizeof(*rec.rulev));
	if (rec.rcpt_hv && rec.rulev) {
		for (i = 0; i < p->nrcpt; i++)
			rec.rcpt_hv[i] = none;
		for (i = 0; i < p->ndetails; i++)
			rec.rulev[i].detail_h = p->details[i][0] ? some : none;
		rc = db_pii_members(out, p, &rec, p->rcpt_array);
	}
	free(rec.rcpt_hv);
	free(rec.rulev);
	return rc;
}

/* The members from the parsed record: its hashes give the pseudonyms of
 * forgotten fields. */
static int
db_pii_members_parsed(struct buf *out, const struct db_pii *p,
		      const char *json, size_t len)
{
	struct db_evrec rec;
	int rc;

	if ((rc = db_evrec_parse(json, len, NULL, &rec)) != DB_OK)
		return rc;
	rc = db_pii_members(out, p, &rec, rec.version >= 3);
	db_evrec_free(&rec);
	return rc;
}

int
db_pii_merge_txn(struct db_store *s, MDB_txn *txn, uint64_t seq,
		 const char *json, size_t len, struct buf *out)
{
	struct db_pii p = {NULL, NULL, 0, NULL, NULL, 0, NULL, 0};
	struct buf forgot = BUF_INIT;
	const char *at;
	int rc, got;

	buf_reset(out);
	/* A record of version 1 has no hashes: it is shown as it is. */
	if ((at = db_json_find(json, len, "sender_h")) == NULL) {
		if (buf_append(out, json, len) < 0 || buf_reserve(out, 0) < 0)
			return DB_ERR_NOMEM;
		return DB_OK;
	}
	got = db_pii_get_txn(s, txn, seq, &p);
	rc = got == DB_NOTFOUND ? DB_OK : got;
	if (rc == DB_OK && buf_append(out, json, (size_t)(at - json)) < 0)
		rc = DB_ERR_NOMEM;
	if (rc == DB_OK && got == DB_OK &&
	    (rc = db_pii_forgotten_txn(s, txn, seq, &forgot)) == DB_NOTFOUND)
		rc = db_pii_members_plain(out, &p);
	else if (rc == DB_OK) /* forgotten, or no evpii entry */
		rc = db_pii_members_parsed(out, &p, json, len);
	if (rc == DB_OK && (buf_append(out, at, len - (size_t)(at - json)) < 0 ||
			    buf_reserve(out, 0) < 0))
		rc = DB_ERR_NOMEM;
	db_pii_free(&p);
	buf_free(&forgot);
	return rc;
}
