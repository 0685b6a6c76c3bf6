/*
 * outbox.c - the outbox: local changes waiting to be pushed to the central
 * PostgreSQL database.  Entries are written by hooks inside the very
 * transaction that changes the store (db_consent_put, db_consent_del, the
 * CSV import, evidence appends), so no committed change can miss its entry
 * and no entry exists for a change that was rolled back.
 *
 * An entry is keyed by an 8-byte big-endian position (last + 1) and holds
 * one kind byte and its payload:
 *   'c' address NUL codec-value   a consent record was written
 *   'd' address NUL               a consent record was removed
 *   'e' seq(8) ref NUL json       an evidence record was appended
 *   'f' hashes NUL                a data subject was forgotten: its keyed
 *                                 hashes (comma-joined), for the centre's
 *                                 copy of the evidence
 * Only consentctl follow removes entries (db_outbox_ack, replica.c, which
 * also applies the centre's corrections), after the centre has committed
 * them, or moves one the centre keeps refusing to the dead
 * letters (db/outbox_dead.c); positions therefore only grow while entries
 * wait.
 *
 * The outbox table calls no other table: the writes that queue entries
 * (write.c) and the acknowledgement (replica.c) sit above it.
 *
 * Owns: the transactions of db_outbox_open and db_outbox_read, the scratch
 * buffer of one entry, and the array handed to db_outbox_read's caller.  Never logs; returns DB_* codes.
 */
#include "outbox_int.h"

#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "replica.h"

#define DB_OUTBOX_NAME "outbox"
#define DB_OUTBOX_DEAD_NAME "outbox_dead"

/* Open (or, in a writable store, create) the named database into *dbi;
 * *have says whether it exists. */
static int
db_outbox_open_one(struct db_store *s, const char *name, MDB_dbi *dbi,
		   int *have)
{
	MDB_txn *txn;
	int rc;

	*have = 0;
	if ((rc = db_txn_begin(s, 1, &txn)) != DB_OK)
		return rc;
	rc = mdb_dbi_open(txn, name, 0, dbi);
	if (rc == 0) {
		/* Committing a read transaction keeps the handle. */
		*have = 1;
		return db_txn_commit(txn);
	}
	db_txn_abort(txn);
	if (rc != MDB_NOTFOUND || s->rdonly)
		return rc == MDB_NOTFOUND ? DB_OK : db_from_mdb(rc);
	/* A store made before this database existed: add it. */
	if ((rc = db_txn_begin(s, 0, &txn)) != DB_OK)
		return rc;
	rc = mdb_dbi_open(txn, name, MDB_CREATE, dbi);
	if (rc != 0) {
		db_txn_abort(txn);
		return db_from_mdb(rc);
	}
	rc = db_txn_commit(txn);
	*have = rc == DB_OK;
	return rc;
}

int
db_outbox_open(struct db_store *s, const char *dir, char *err, size_t errsz)
{
	int rc;

	rc = db_outbox_open_one(s, DB_OUTBOX_NAME, &s->outbox, &s->has_outbox);
	if (rc == DB_OK)
		rc = db_outbox_open_one(s, DB_OUTBOX_DEAD_NAME, &s->outbox_dead,
					&s->has_dead);
	if (rc == DB_OK)
		return DB_OK;
	snprintf(err, errsz, "%s: cannot open the outbox: %s", dir,
		 db_strerror(rc));
	return rc;
}



int
db_outbox_enabled_txn(struct db_store *s, MDB_txn *txn)
{
	int64_t on;
	int rc;

	if (!s->has_outbox)
		return 0;
	rc = db_meta_get_int(s, txn, DB_META_REPL_OUTBOX, &on);
	if (rc == DB_NOTFOUND)
		return 0;
	return rc == DB_OK ? on != 0 : rc;
}

int
db_outbox_append(struct db_store *s, MDB_txn *txn, const void *p, size_t n)
{
	unsigned char key[8];
	uint64_t next = 1;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, s->outbox, &cur)) != 0)
		return db_from_mdb(rc);
	rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	if (rc == 0 && k.mv_size == 8)
		next = db_be64_get(k.mv_data) + 1;
	else if (rc == 0)
		rc = MDB_CORRUPTED;
	if (rc == 0 || rc == MDB_NOTFOUND) {
		db_be64_put(key, next);
		k.mv_size = 8;
		k.mv_data = key;
		v.mv_size = n;
		v.mv_data = (void *)p;
		rc = mdb_cursor_put(cur, &k, &v, MDB_APPEND);
	}
	mdb_cursor_close(cur);
	return db_from_mdb(rc);
}

/* The kind byte, the address and its NUL, then tail (tn bytes). */
static int
db_outbox_add_addr(struct db_store *s, MDB_txn *txn, int kind,
		   const char *key, const void *tail, size_t tn)
{
	unsigned char entry[1 + ADDR_MAX + 1 + DB_CODEC_MAX];
	size_t an = strlen(key);
	int on;

	if ((on = db_outbox_enabled_txn(s, txn)) <= 0)
		return on;
	if (an > ADDR_MAX || tn > DB_CODEC_MAX)
		return DB_ERR_INVALID;
	entry[0] = (unsigned char)kind;
	memcpy(entry + 1, key, an + 1);
	if (tn)
		memcpy(entry + 2 + an, tail, tn);
	return db_outbox_append(s, txn, entry, 2 + an + tn);
}

int
db_outbox_add_consent_txn(struct db_store *s, MDB_txn *txn, const char *key,
			  const struct db_consent *c)
{
	unsigned char enc[DB_CODEC_MAX];
	int n;

	if ((n = db_codec_encode(c, enc, sizeof(enc))) < 0)
		return n;
	return db_outbox_add_addr(s, txn, DB_OUTBOX_CONSENT, key, enc,
				  (size_t)n);
}

int
db_outbox_add_delete_txn(struct db_store *s, MDB_txn *txn, const char *key)
{
	return db_outbox_add_addr(s, txn, DB_OUTBOX_DELETE, key, NULL, 0);
}

int
db_outbox_add_evidence_txn(struct db_store *s, MDB_txn *txn, uint64_t seq,
			   const char *ref, const void *json, size_t len)
{
	size_t rn = strlen(ref);
	unsigned char *entry;
	int on, rc;

	if ((on = db_outbox_enabled_txn(s, txn)) <= 0)
		return on;
	if (rn == 0 || rn > DB_REF_MAX)
		return DB_ERR_INVALID;
	if ((entry = malloc(1 + 8 + rn + 1 + len)) == NULL)
		return DB_ERR_NOMEM;
	entry[0] = DB_OUTBOX_EVIDENCE;
	db_be64_put(entry + 1, seq);
	memcpy(entry + 9, ref, rn + 1);
	memcpy(entry + 10 + rn, json, len);
	rc = db_outbox_append(s, txn, entry, 10 + rn + len);
	free(entry);
	return rc;
}

int
db_outbox_add_forget_txn(struct db_store *s, MDB_txn *txn,
			 const char *hashes)
{
	size_t n = strlen(hashes);
	unsigned char *entry;
	int on, rc;

	if ((on = db_outbox_enabled_txn(s, txn)) <= 0)
		return on;
	if (n == 0)
		return DB_ERR_INVALID;
	if ((entry = malloc(n + 2)) == NULL)
		return DB_ERR_NOMEM;
	entry[0] = DB_OUTBOX_FORGET;
	memcpy(entry + 1, hashes, n + 1);
	rc = db_outbox_append(s, txn, entry, n + 2);
	free(entry);
	return rc;
}

int
db_outbox_decode(const MDB_val *k, const MDB_val *v,
		 struct db_outbox_entry *e)
{
	const unsigned char *p = v->mv_data, *nul;
	size_t n = v->mv_size, off;

	memset(e, 0, sizeof(*e));
	if (k->mv_size != 8 || n < 2)
		return DB_ERR_CORRUPT;
	e->key = db_be64_get(k->mv_data);
	e->kind = p[0];
	off = e->kind == DB_OUTBOX_EVIDENCE ? 9 : 1;
	if (n <= off || (nul = memchr(p + off, 0, n - off)) == NULL)
		return DB_ERR_CORRUPT;
	switch (e->kind) {
	case DB_OUTBOX_CONSENT:
	case DB_OUTBOX_DELETE:
		if ((size_t)(nul - p - 1) > ADDR_MAX)
			return DB_ERR_CORRUPT;
		memcpy(e->addr, p + 1, (size_t)(nul - p));
		if (e->kind == DB_OUTBOX_DELETE)
			return nul + 1 == p + n ? DB_OK : DB_ERR_CORRUPT;
		return db_codec_decode(nul + 1, (size_t)(p + n - nul - 1),
				       &e->c);
	case DB_OUTBOX_FORGET:
		if (nul + 1 != p + n)
			return DB_ERR_CORRUPT;
		snprintf(e->ref, sizeof(e->ref), "forget");
		if ((e->json = strdup((const char *)p + 1)) == NULL)
			return DB_ERR_NOMEM;
		return DB_OK;
	case DB_OUTBOX_EVIDENCE:
		if ((size_t)(nul - p - 9) > DB_REF_MAX)
			return DB_ERR_CORRUPT;
		e->seq = db_be64_get(p + 1);
		memcpy(e->ref, p + 9, (size_t)(nul - p - 8));
		n = (size_t)(p + n - nul - 1);
		if ((e->json = malloc(n + 1)) == NULL)
			return DB_ERR_NOMEM;
		memcpy(e->json, nul + 1, n);
		e->json[n] = '\0';
		return DB_OK;
	}
	return DB_ERR_CORRUPT;
}

void
db_outbox_free(struct db_outbox_entry *e, size_t n)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < n; i++)
		free(e[i].json);
	free(e);
}

int
db_outbox_read(struct db_store *s, size_t max, struct db_outbox_entry **out,
	       size_t *n)
{
	struct db_outbox_entry *e = NULL;
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	int rc, got;

	*out = NULL;
	*n = 0;
	if (!s->has_outbox || max == 0)
		return DB_OK;
	if ((e = calloc(max, sizeof(*e))) == NULL)
		return DB_ERR_NOMEM;
	if ((rc = db_txn_begin(s, 1, &txn)) != DB_OK) {
		free(e);
		return rc;
	}
	if ((rc = db_from_mdb(mdb_cursor_open(txn, s->outbox, &cur)))) {
		db_txn_abort(txn);
		free(e);
		return rc;
	}
	got = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (; got == 0 && *n < max;
	     got = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if ((rc = db_outbox_decode(&k, &v, &e[*n])) != DB_OK) {
			free(e[*n].json);
			break;
		}
		(*n)++;
	}
	if (got != 0 && got != MDB_NOTFOUND)
		rc = db_from_mdb(got);
	mdb_cursor_close(cur);
	db_txn_abort(txn);
	if (rc != DB_OK || *n == 0) {
		/* Nothing read: nothing handed over (the array is max
		 * entries, kilobytes each). */
		db_outbox_free(e, *n);
		*n = 0;
		return rc;
	}
	*out = e;
	return DB_OK;
}

int
db_outbox_addresses_txn(struct db_store *s, MDB_txn *txn, uint64_t after,
			GHashTable **out)
{
	unsigned char start[8];
	const unsigned char *p;
	MDB_cursor *cur;
	MDB_val k, v;
	const void *nul;
	int got;

	*out = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (*out == NULL)
		return DB_ERR_NOMEM;
	if (!s->has_outbox)
		return DB_OK;
	if ((got = mdb_cursor_open(txn, s->outbox, &cur)) != 0)
		return db_from_mdb(got);
	db_be64_put(start, after + 1);
	k.mv_size = 8;
	k.mv_data = start;
	got = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	for (; got == 0; got = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		p = v.mv_data;
		if (v.mv_size < 2 || (p[0] != DB_OUTBOX_CONSENT &&
				      p[0] != DB_OUTBOX_DELETE))
			continue;
		nul = memchr(p + 1, 0, v.mv_size - 1);
		if (nul != NULL)
			g_hash_table_add(*out, g_strndup((const char *)p + 1,
				(size_t)((const unsigned char *)nul - p - 1)));
	}
	mdb_cursor_close(cur);
	return got == MDB_NOTFOUND ? DB_OK : db_from_mdb(got);
}

int
db_outbox_trim_txn(struct db_store *s, MDB_txn *txn, uint64_t upto)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, s->outbox, &cur)) != 0)
		return db_from_mdb(rc);
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST)) == 0) {
		if (k.mv_size != 8 || db_be64_get(k.mv_data) > upto)
			break;
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? DB_OK : db_from_mdb(rc);
}


