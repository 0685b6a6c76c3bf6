/*
 * evview.c - the evidence log as readers see it: each stored record merged
 * with its personal data (pii.c: db_pii_merge_txn), one record by its
 * reference or all of them in sequence order, or the records as stored.
 *
 * Owns: the read transaction of each call (ended before return) and the
 * scratch buffer a record is copied into; db_evidence_get hands the caller
 * a malloc'd copy.  Never logs; returns DB_* codes.
 */
#include "evpii.h"

#include <string.h>

#include "codec.h"

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
	db_txn_abort(txn);
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
		db_txn_abort(txn);
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
	db_txn_abort(txn);
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
