/*
 * consent.c - the consent table: consent records by normalised address and
 * the uid index beside them (store_int.h, store.h), and the names of the
 * consent states.  Writes here touch these two databases only; a local
 * change that must also reach the centre goes through write.c, which adds
 * the outbox entry in the same transaction.
 *
 * Owns: the read transaction of each single lookup (from the core's pool,
 * ended before return).  Values read from LMDB are decoded into caller
 * structs before the transaction ends.  Never logs; returns DB_* codes.
 */
#include "store_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "codec.h"

static const char *const db_state_names[] = {"none", "pending", "confirmed",
					     "withdrawn", "customer"};

const char *
db_state_name(int state)
{
	if (state < DB_STATE_NONE || state > DB_STATE_CUSTOMER)
		return "unknown";
	return db_state_names[state];
}

int
db_state_parse(const char *s)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = DB_STATE_PENDING; i <= DB_STATE_CUSTOMER; i++)
		if (strcasecmp(s, db_state_names[i]) == 0)
			return i;
	return -1;
}

int
db_consent_key(const char *addr, char *key, size_t keysz)
{
	return addr_normalise(addr, key, keysz) < 0 ? DB_ERR_INVALID : DB_OK;
}

int
db_consent_get_txn(struct db_store *s, MDB_txn *txn, const char *key,
		   struct db_consent *out)
{
	MDB_val k = {strlen(key), (void *)key}, v;
	int rc;

	rc = mdb_get(txn, s->consent, &k, &v);
	if (rc != 0)
		return db_from_mdb(rc);
	return db_codec_decode(v.mv_data, v.mv_size, out);
}

/* The raw uid index entry: the address it points to, DB_NOTFOUND or <0. */
static int
db_uid_index_get(struct db_store *s, MDB_txn *txn, const char *uid,
		 char *addr, size_t addrsz)
{
	MDB_val k = {strlen(uid), (void *)uid}, v;
	int rc;

	rc = mdb_get(txn, s->uid, &k, &v);
	if (rc != 0)
		return db_from_mdb(rc);
	if (v.mv_size == 0 || v.mv_size > ADDR_MAX ||
	    memchr(v.mv_data, 0, v.mv_size))
		return DB_ERR_CORRUPT;
	if (v.mv_size >= addrsz)
		return DB_ERR_INVALID;
	memcpy(addr, v.mv_data, v.mv_size);
	addr[v.mv_size] = '\0';
	return DB_OK;
}

int
db_uid_owner_txn(struct db_store *s, MDB_txn *txn, const char *uid,
		 char *addr, size_t addrsz)
{
	struct db_consent c;
	int rc;

	rc = db_uid_index_get(s, txn, uid, addr, addrsz);
	if (rc != DB_OK)
		return rc;
	rc = db_consent_get_txn(s, txn, addr, &c);
	if (rc == DB_OK && strcmp(c.uid, uid) != 0)
		rc = DB_NOTFOUND;
	if (rc != DB_OK)
		addr[0] = '\0';
	return rc;
}

/* Delete the index entry for uid when it points to key. */
static int
db_uid_index_drop(struct db_store *s, MDB_txn *txn, const char *uid,
		  const char *key)
{
	char owner[ADDR_MAX + 1];
	MDB_val k = {strlen(uid), (void *)uid};
	int rc;

	rc = db_uid_index_get(s, txn, uid, owner, sizeof(owner));
	if (rc == DB_NOTFOUND || (rc == DB_OK && strcmp(owner, key) != 0))
		return DB_OK;
	if (rc != DB_OK && rc != DB_ERR_CORRUPT)
		return rc;
	return db_from_mdb(mdb_del(txn, s->uid, &k, NULL));
}

/* Point the index entry for c->uid at key (see db_consent_put_txn). */
static int
db_uid_index_set(struct db_store *s, MDB_txn *txn, const char *uid,
		 const char *key, int force)
{
	char owner[ADDR_MAX + 1];
	MDB_val k = {strlen(uid), (void *)uid}, v = {strlen(key), (void *)key};
	int rc;

	rc = db_uid_owner_txn(s, txn, uid, owner, sizeof(owner));
	if (rc == DB_OK && strcmp(owner, key) == 0)
		return DB_OK;
	if (rc == DB_OK && !force)
		return DB_ERR_INVALID;
	if (rc < 0 && rc != DB_ERR_CORRUPT)
		return rc;
	return db_from_mdb(mdb_put(txn, s->uid, &k, &v, 0));
}

int
db_consent_write_txn(struct db_store *s, MDB_txn *txn, const char *key,
		     const struct db_consent *c, int force)
{
	unsigned char enc[DB_CODEC_MAX];
	struct db_consent old, keep;
	MDB_val k = {strlen(key), (void *)key}, v;
	int n, rc;

	/* A corrupt old value may be overwritten; its uid is unknown. */
	rc = db_consent_get_txn(s, txn, key, &old);
	if (rc == DB_NOTFOUND || rc == DB_ERR_CORRUPT)
		old.uid[0] = '\0';
	else if (rc != DB_OK)
		return rc;
	/* A record without DOI content hash for the same DOI send (the
	 * centre's copy, which has no such columns) keeps the local hash
	 * and evidence ref: the milter needs them to tell a retry of that
	 * mail from a second DOI mail. */
	if (rc == DB_OK && c->doi_hash[0] == '\0' && c->doi_sent != 0 &&
	    c->doi_sent == old.doi_sent &&
	    strcmp(c->doi_msgid, old.doi_msgid) == 0) {
		keep = *c;
		memcpy(keep.doi_hash, old.doi_hash, sizeof(keep.doi_hash));
		memcpy(keep.doi_ref, old.doi_ref, sizeof(keep.doi_ref));
		c = &keep;
	}
	n = db_codec_encode(c, enc, sizeof(enc));
	if (n < 0)
		return n;
	if (c->uid[0] && (rc = db_uid_index_set(s, txn, c->uid, key, force)))
		return rc;
	if (old.uid[0] && strcmp(old.uid, c->uid) != 0 &&
	    (rc = db_uid_index_drop(s, txn, old.uid, key)))
		return rc;
	v.mv_size = (size_t)n;
	v.mv_data = enc;
	return db_from_mdb(mdb_put(txn, s->consent, &k, &v, 0));
}

int
db_consent_get(struct db_store *s, const char *addr, struct db_consent *out)
{
	char key[ADDR_MAX + 1];
	MDB_txn *txn;
	int rc;

	if ((rc = db_consent_key(addr, key, sizeof(key))) != DB_OK ||
	    (rc = db_core_read_begin(&s->core, &txn)) != DB_OK)
		return rc;
	rc = db_consent_get_txn(s, txn, key, out);
	db_core_read_end(&s->core, txn);
	return rc;
}

int
db_consent_by_uid(struct db_store *s, const char *uid, char *addr,
		  size_t addrsz)
{
	MDB_txn *txn;
	size_t n = uid ? strlen(uid) : 0;
	int rc;

	if (n == 0 || n > DB_UID_MAX || addrsz == 0)
		return DB_ERR_INVALID;
	addr[0] = '\0';
	if ((rc = db_txn_begin(s, 1, &txn)) != DB_OK)
		return rc;
	rc = db_uid_owner_txn(s, txn, uid, addr, addrsz);
	db_txn_abort(txn);
	return rc;
}

int
db_consent_remove_txn(struct db_store *s, MDB_txn *txn, const char *key)
{
	struct db_consent old;
	MDB_val k;
	int rc;

	rc = db_consent_get_txn(s, txn, key, &old);
	if (rc == DB_OK && old.uid[0])
		rc = db_uid_index_drop(s, txn, old.uid, key);
	else if (rc == DB_ERR_CORRUPT)
		rc = DB_OK; /* a stale index entry is ignored by its readers */
	if (rc == DB_OK) {
		k.mv_size = strlen(key);
		k.mv_data = (void *)key;
		rc = db_from_mdb(mdb_del(txn, s->consent, &k, NULL));
	}
	return rc;
}

int
db_consent_foreach_txn(struct db_store *s, MDB_txn *txn, db_consent_cb cb,
		       void *arg)
{
	char addr[ADDR_MAX + 1];
	struct db_consent c;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, got;

	if ((rc = db_from_mdb(mdb_cursor_open(txn, s->consent, &cur))))
		return rc;
	got = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (; got == 0; got = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size == 0 || k.mv_size > ADDR_MAX) {
			rc = DB_ERR_CORRUPT;
			break;
		}
		memcpy(addr, k.mv_data, k.mv_size);
		addr[k.mv_size] = '\0';
		rc = db_codec_decode(v.mv_data, v.mv_size, &c);
		if (rc != DB_OK || (rc = cb(addr, &c, arg)) != 0)
			break;
	}
	if (got != 0 && got != MDB_NOTFOUND)
		rc = db_from_mdb(got);
	mdb_cursor_close(cur);
	return rc;
}

int
db_consent_foreach(struct db_store *s, db_consent_cb cb, void *arg)
{
	MDB_txn *txn;
	int rc;

	if ((rc = db_txn_begin(s, 1, &txn)) != DB_OK)
		return rc;
	rc = db_consent_foreach_txn(s, txn, cb, arg);
	db_txn_abort(txn);
	return rc;
}
