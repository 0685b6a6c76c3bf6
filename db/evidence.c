/*
 * evidence.c - the evidence table: the append-only log of one JSON object
 * text per decision or DOI send, chained by SHA-256 so that a removed or
 * edited record shows, and indexed by its evidence reference; and the
 * purge checkpoint the chain goes on from.  The record's personal fields
 * arrive as the keyed-hash members the caller computed (pii.c); write.c
 * composes an append with the personal data and the outbox entry, and
 * evview.c gives readers the merged view.
 *
 * Owns: the read transaction of db_evidence_checkpoint (ended before
 * return); the other functions work in the caller's.  Never logs; returns
 * DB_* codes (DB_ERR_INVALID for a reused reference).
 */
#include "evpii.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

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

/* The JSON text of one record (see store.h for the layout); k holds the
 * parts made with the store's keys (db_pii_json_hashes). */
static int
db_evidence_json(struct buf *b, uint64_t seq, const char *prev,
		 const struct db_evidence *e, const struct db_ev_keyed *k)
{
	const char *names[] = {"ref", "kind", "queue_id", "message_id"};
	const char *values[] = {e->ref, e->kind, e->queue_id, e->message_id};
	char when[DB_TIME_MAX];
	size_t i;
	int r;

	buf_reset(b);
	r = buf_printf(b, "{\"seq\":%llu,\"version\":%d",
		       (unsigned long long)seq, DB_EVIDENCE_VERSION);
	r |= buf_append(b, k->key_id.data, k->key_id.len);
	r |= db_json_pair(b, "prev", prev);
	r |= db_json_pair(b, "time", db_time_format(e->time, when,
						     sizeof(when)));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		r |= db_json_pair(b, names[i], values[i]);
	r |= buf_append(b, k->hashes.data, k->hashes.len);
	r |= buf_printf(b, ",\"tls\":%s", e->tls ? "true" : "false");
	r |= db_json_pair(b, "class", e->cls);
	r |= buf_append(b, k->rules.data, k->rules.len);
	r |= db_json_pair(b, "action", e->action);
	r |= db_json_pair(b, "sha256", e->sha256);
	if (e->retry_of && e->retry_of[0])
		r |= db_json_pair(b, "retry_of", e->retry_of);
	if (e->profile && e->profile[0])
		r |= db_json_pair(b, "profile", e->profile);
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

int
db_evidence_last_txn(struct db_store *s, MDB_txn *txn, uint64_t *next,
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
	db_txn_abort(txn);
	return rc;
}

int
db_evidence_put_txn(struct db_store *s, MDB_txn *txn, uint64_t seq,
		    const struct db_evidence *e, const struct db_ev_keyed *keyed,
		    const char prev[DB_SHA256_HEX], struct buf *json)
{
	unsigned char key[8];
	MDB_val k = {8, key}, v, rk;
	int rc;

	if ((rc = db_evidence_json(json, seq, prev, e, keyed)) != DB_OK)
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
	return db_from_mdb(rc);
}
