/*
 * evidence.c - the append-only evidence log: one JSON object text per
 * decision or DOI send, chained by SHA-256 so that a removed or edited
 * record shows, and indexed by its evidence reference.  The personal
 * fields go into the chain as keyed hashes and into evpii as plaintext
 * (db/evpii.h); readers get the merged view.
 *
 * Owns: the write or read transaction of each call (ended before return)
 * and the scratch buffers it builds records in.  db_evidence_get hands the
 * caller a malloc'd copy.  Never logs; returns DB_* codes (DB_ERR_INVALID
 * for a missing, too long or reused reference).
 */
#include "evpii.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "outbox_int.h"

#define DB_SHA256_HEX DB_HASH_HEX

int
db_sha256_hex(const void *p, size_t n, char out[DB_SHA256_HEX])
{
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);

	if (ck == NULL)
		return DB_ERR_NOMEM;
	g_checksum_update(ck, p, (gssize)n);
	snprintf(out, DB_SHA256_HEX, "%s", g_checksum_get_string(ck));
	g_checksum_free(ck);
	return DB_OK;
}

/* Append one "name":"value" pair, preceded by a comma. */
static int
db_json_pair(struct buf *b, const char *name, const char *value)
{
	if (buf_putc(b, ',') < 0 || db_json_string(b, name) < 0 ||
	    buf_putc(b, ':') < 0)
		return -1;
	return db_json_string(b, value);
}

/* The rules array of a version 3 record. */
static int
db_evidence_rules(const struct db_store *s, struct buf *b,
		  const struct db_evidence *e, size_t nrcpt)
{
	const struct db_evidence_rule *x;
	char h[DB_HASH_HEX];
	size_t i;
	int r = buf_puts(b, ",\"rules\":[");

	for (i = 0; i < e->nrules; i++) {
		x = &e->rulev[i];
		r |= buf_puts(b, i ? ",{\"id\":" : "{\"id\":");
		r |= db_json_string(b, x->id);
		if (x->personal && x->detail && x->detail[0]) {
			if (db_pii_hmac(s, x->detail, h) != DB_OK)
				return -1;
			r |= buf_printf(b, ",\"detail_h\":\"%s\"", h);
		} else {
			r |= buf_puts(b, ",\"detail\":") |
			     db_json_string(b, x->detail);
		}
		r |= buf_puts(b, ",\"where\":") | db_json_string(b, x->where);
		if (x->rcpt >= 0 && (size_t)x->rcpt < nrcpt)
			r |= buf_printf(b, ",\"recipient\":%d}", x->rcpt);
		else
			r |= buf_puts(b, ",\"recipient\":null}");
	}
	return r | buf_putc(b, ']');
}

/* The note, or the HMAC of a personal one. */
static int
db_evidence_note(const struct db_store *s, struct buf *b,
		 const struct db_evidence *e)
{
	char h[DB_HASH_HEX];

	if (!e->note_personal || e->rules == NULL || e->rules[0] == '\0')
		return db_json_pair(b, "note", e->rules);
	if (db_pii_hmac(s, e->rules, h) != DB_OK)
		return -1;
	return buf_printf(b, ",\"note_h\":\"%s\"", h);
}

/* The JSON text of one record (see store.h for the layout). */
static int
db_evidence_json(struct db_store *s, struct buf *b, uint64_t seq,
		 const char *prev, const struct db_evidence *e)
{
	const char *names[] = {"ref", "kind", "queue_id", "message_id"};
	const char *values[] = {e->ref, e->kind, e->queue_id, e->message_id};
	char when[DB_TIME_MAX];
	struct db_rcpts rc_list;
	const char *kid;
	size_t i;
	int r;

	buf_reset(b);
	if ((r = db_rcpts_get(e, &rc_list)) != DB_OK)
		return r;
	r = buf_printf(b, "{\"seq\":%llu,\"version\":%d",
		       (unsigned long long)seq, DB_EVIDENCE_VERSION);
	db_pii_write_key(s, &kid);
	if (kid[0]) /* hashed with the deployment's key of this id */
		r |= db_json_pair(b, "key_id", kid);
	r |= db_json_pair(b, "prev", prev);
	r |= db_json_pair(b, "time", db_time_format(e->time, when,
						     sizeof(when)));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		r |= db_json_pair(b, names[i], values[i]);
	if (r == 0 && (r = db_pii_json_hashes(s, e, &rc_list, b)) != DB_OK) {
		db_rcpts_free(&rc_list);
		return r;
	}
	r |= buf_printf(b, ",\"tls\":%s", e->tls ? "true" : "false");
	r |= db_json_pair(b, "class", e->cls);
	r |= db_evidence_rules(s, b, e, rc_list.n);
	r |= db_evidence_note(s, b, e);
	db_rcpts_free(&rc_list);
	r |= db_json_pair(b, "action", e->action);
	r |= db_json_pair(b, "sha256", e->sha256);
	if (e->retry_of && e->retry_of[0])
		r |= db_json_pair(b, "retry_of", e->retry_of);
	if (e->before) {
		r |= db_json_pair(b, "before", e->before);
		r |= db_json_pair(b, "after", e->after ? e->after : "");
	}
	if (e->replica)
		r |= buf_printf(b, ",\"replica_age\":%lld",
				(long long)e->replica_age);
	if (e->replica && e->replica_stuck != 0)
		r |= buf_printf(b, ",\"replica_stuck\":%lld",
				(long long)e->replica_stuck);
	r |= buf_putc(b, '}');
	return r == 0 ? DB_OK : DB_ERR_NOMEM;
}

/* The next sequence number and the hash of the last record. */
static int
db_evidence_last(struct db_store *s, MDB_txn *txn, uint64_t *next,
		 char prev[DB_SHA256_HEX])
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	*next = 1;
	prev[0] = '\0';
	if ((rc = mdb_cursor_open(txn, s->evidence, &cur)) != 0)
		return db_from_mdb(rc);
	rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	if (rc == 0 && k.mv_size != 8)
		rc = MDB_CORRUPTED;
	if (rc == 0) {
		*next = db_be64_get(k.mv_data) + 1;
		rc = db_sha256_hex(v.mv_data, v.mv_size, prev) == DB_OK
			     ? 0 : ENOMEM;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return db_from_mdb(rc);
	/* Everything was purged: the chain goes on from the checkpoint. */
	rc = db_checkpoint_get_txn(s, txn, next, prev);
	if (rc == DB_OK)
		(*next)++;
	return rc == DB_NOTFOUND ? DB_OK : rc;
}

int
db_checkpoint_get_txn(struct db_store *s, MDB_txn *txn, uint64_t *seq,
		      char hash[DB_SHA256_HEX])
{
	MDB_val k = {sizeof(DB_META_CHECKPOINT) - 1, DB_META_CHECKPOINT}, v;
	char text[96], *end;
	int rc;

	if ((rc = db_from_mdb(mdb_get(txn, s->meta, &k, &v))) != DB_OK)
		return rc;
	if (v.mv_size >= sizeof(text))
		return DB_ERR_CORRUPT;
	memcpy(text, v.mv_data, v.mv_size);
	text[v.mv_size] = '\0';
	*seq = strtoull(text, &end, 10);
	if (end == text || *end != ' ' || strlen(end + 1) != DB_SHA256_HEX - 1)
		return DB_ERR_CORRUPT;
	memcpy(hash, end + 1, DB_SHA256_HEX);
	return DB_OK;
}

int
db_evidence_checkpoint(struct db_store *s, uint64_t *seq,
		       char hash[DB_HASH_HEX])
{
	MDB_txn *txn;
	int rc;

	*seq = 0;
	hash[0] = '\0';
	if ((rc = db_txn_begin(s, 1, &txn)) != DB_OK)
		return rc;
	rc = db_checkpoint_get_txn(s, txn, seq, hash);
	mdb_txn_abort(txn);
	return rc;
}

/* Store the record and its reference; prev becomes this record's hash. */
static int
db_evidence_put(struct db_store *s, MDB_txn *txn, uint64_t seq,
		const struct db_evidence *e, struct buf *json,
		char prev[DB_SHA256_HEX])
{
	unsigned char key[8];
	MDB_val k = {8, key}, v, rk;
	int rc;

	if ((rc = db_evidence_json(s, json, seq, prev, e)) != DB_OK)
		return rc;
	db_be64_put(key, seq);
	v.mv_size = json->len;
	v.mv_data = json->data;
	rc = mdb_put(txn, s->evidence, &k, &v, MDB_APPEND);
	if (rc == 0) {
		rk.mv_size = strlen(e->ref);
		rk.mv_data = (void *)e->ref;
		rc = mdb_put(txn, s->evref, &rk, &k, MDB_NOOVERWRITE);
	}
	if (rc == MDB_KEYEXIST)
		return DB_ERR_INVALID;
	if (rc != 0)
		return db_from_mdb(rc);
	if ((rc = db_pii_put_txn(s, txn, seq, e)) != DB_OK)
		return rc;
	/* The centre gets the chained record: hashes, no plaintext. */
	rc = db_outbox_add_evidence_txn(s, txn, seq, e->ref, json->data,
					json->len);
	if (rc != DB_OK)
		return rc;
	return db_sha256_hex(json->data, json->len, prev);
}

int
db_evidence_append_txn(struct db_store *s, MDB_txn *txn,
		       const struct db_evidence *e, size_t n,
		       uint64_t *first_seq)
{
	struct buf json = BUF_INIT;
	char prev[DB_SHA256_HEX];
	uint64_t seq;
	size_t i, len;
	int rc;

	for (i = 0; i < n; i++) {
		len = e[i].ref ? strlen(e[i].ref) : 0;
		if (len == 0 || len > DB_REF_MAX)
			return DB_ERR_INVALID;
	}
	rc = db_evidence_last(s, txn, &seq, prev);
	if (rc == DB_OK && first_seq)
		*first_seq = seq;
	for (i = 0; rc == DB_OK && i < n; i++)
		rc = db_evidence_put(s, txn, seq + i, &e[i], &json, prev);
	buf_free(&json);
	return rc;
}

int
db_evidence_append_many(struct db_store *s, const struct db_evidence *e,
			size_t n, uint64_t *first_seq)
{
	MDB_txn *txn;
	size_t i, len;
	int rc;

	for (i = 0; i < n; i++) {
		len = e[i].ref ? strlen(e[i].ref) : 0;
		if (len == 0 || len > DB_REF_MAX)
			return DB_ERR_INVALID;
	}
	if (n == 0)
		return DB_OK;
	if ((rc = db_txn_begin(s, 0, &txn)) != DB_OK)
		return rc;
	rc = db_evidence_append_txn(s, txn, e, n, first_seq);
	if (rc != DB_OK) {
		mdb_txn_abort(txn);
		return rc;
	}
	return db_txn_commit(txn);
}

int
db_evidence_append(struct db_store *s, const struct db_evidence *e)
{
	return db_evidence_append_many(s, e, 1, NULL);
}

int
db_evidence_get(struct db_store *s, const char *ref, char **json_out)
{
	struct buf merged = BUF_INIT;
	uint64_t seq = 0;
	MDB_val k, v;
	MDB_txn *txn;
	int rc;

	*json_out = NULL;
	if (ref == NULL || *ref == '\0' || strlen(ref) > DB_REF_MAX)
		return DB_ERR_INVALID;
	if ((rc = db_txn_begin(s, 1, &txn)) != DB_OK)
		return rc;
	k.mv_size = strlen(ref);
	k.mv_data = (void *)ref;
	rc = db_from_mdb(mdb_get(txn, s->evref, &k, &v));
	if (rc == DB_OK && v.mv_size != 8)
		rc = DB_ERR_CORRUPT;
	if (rc == DB_OK) {
		k = v; /* the 8-byte sequence, valid inside the transaction */
		seq = db_be64_get(k.mv_data);
		rc = db_from_mdb(mdb_get(txn, s->evidence, &k, &v));
		if (rc == DB_NOTFOUND)
			rc = DB_ERR_CORRUPT; /* a reference without its record */
	}
	if (rc == DB_OK)
		rc = db_pii_merge_txn(s, txn, seq, v.mv_data, v.mv_size,
				      &merged);
	if (rc == DB_OK && (*json_out = buf_steal(&merged)) == NULL)
		rc = DB_ERR_NOMEM;
	mdb_txn_abort(txn);
	buf_free(&merged);
	return rc;
}

/* Every record in seq order, as stored or merged (see store.h). */
static int
db_evidence_walk(struct db_store *s, int merged, db_evidence_cb cb,
		 void *arg)
{
	struct buf copy = BUF_INIT;
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	int rc, got;

	if ((rc = db_txn_begin(s, 1, &txn)) != DB_OK)
		return rc;
	if ((rc = db_from_mdb(mdb_cursor_open(txn, s->evidence, &cur)))) {
		mdb_txn_abort(txn);
		return rc;
	}
	got = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (; got == 0; got = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8) {
			rc = DB_ERR_CORRUPT;
			break;
		}
		buf_reset(&copy);
		if (merged)
			rc = db_pii_merge_txn(s, txn, db_be64_get(k.mv_data),
					      v.mv_data, v.mv_size, &copy);
		else if (buf_append(&copy, v.mv_data, v.mv_size) < 0 ||
			 buf_reserve(&copy, 0) < 0)
			rc = DB_ERR_NOMEM;
		if (rc != DB_OK)
			break;
		rc = cb(db_be64_get(k.mv_data), copy.data, copy.len, arg);
		if (rc != 0)
			break;
	}
	if (got != 0 && got != MDB_NOTFOUND)
		rc = db_from_mdb(got);
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	buf_free(&copy);
	return rc;
}

int
db_evidence_foreach(struct db_store *s, db_evidence_cb cb, void *arg)
{
	return db_evidence_walk(s, 1, cb, arg);
}

int
db_evidence_foreach_stored(struct db_store *s, db_evidence_cb cb, void *arg)
{
	return db_evidence_walk(s, 0, cb, arg);
}
