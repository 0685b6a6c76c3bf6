/*
 * outbox_dead.c - dead letters: outbox entries the centre refused several
 * times (a row that breaks one of its constraints, text that is not
 * UTF-8), set aside so that the entries queued after them reach the centre.
 * consentctl follow buries an entry; consentctl outbox lists, retries and
 * drops them.
 *
 * A dead letter keeps the outbox key it had and holds:
 *   time(8, big-endian) tries(4, big-endian) reason NUL entry-bytes
 * where entry-bytes are the outbox value unchanged (db/outbox.c).
 *
 * Owns: the write or read transaction of each call (every change is one
 * transaction together with its evidence record) and the array handed to
 * db_outbox_dead_list's caller.  Never logs; returns DB_* codes.
 */
#include "outbox_int.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "evpii.h"
#include "replica.h"

#define DB_DEAD_HEAD 12 /* time and tries */

/* Look up key in dbi; v borrowed until the transaction ends. */
static int
db_dead_get(MDB_txn *txn, MDB_dbi dbi, uint64_t key, unsigned char kb[8],
	    MDB_val *k, MDB_val *v)
{
	db_be64_put(kb, key);
	k->mv_size = 8;
	k->mv_data = kb;
	return db_from_mdb(mdb_get(txn, dbi, k, v));
}

int
db_outbox_bury(struct db_store *s, uint64_t key, unsigned int tries,
	       const char *why, int64_t now, const struct db_evidence *e)
{
	unsigned char kb[8], *val;
	size_t wn = strnlen(why, DB_REPLICA_WHY_MAX - 1);
	MDB_val k, v, dv;
	MDB_txn *txn;
	int rc;

	if (!s->has_outbox || !s->has_dead)
		return DB_ERR_READONLY;
	if ((rc = db_txn_begin(s, 0, &txn)) != DB_OK)
		return rc;
	if ((rc = db_dead_get(txn, s->outbox, key, kb, &k, &v)) != DB_OK) {
		db_txn_abort(txn);
		return rc;
	}
	if ((val = malloc(DB_DEAD_HEAD + wn + 1 + v.mv_size)) == NULL) {
		db_txn_abort(txn);
		return DB_ERR_NOMEM;
	}
	db_be64_put(val, (uint64_t)now);
	val[8] = (unsigned char)(tries >> 24);
	val[9] = (unsigned char)(tries >> 16);
	val[10] = (unsigned char)(tries >> 8);
	val[11] = (unsigned char)tries;
	memcpy(val + DB_DEAD_HEAD, why, wn);
	val[DB_DEAD_HEAD + wn] = '\0';
	memcpy(val + DB_DEAD_HEAD + wn + 1, v.mv_data, v.mv_size);
	dv.mv_size = DB_DEAD_HEAD + wn + 1 + v.mv_size;
	dv.mv_data = val;
	rc = db_from_mdb(mdb_put(txn, s->outbox_dead, &k, &dv, 0));
	free(val);
	if (rc == DB_OK)
		rc = db_from_mdb(mdb_del(txn, s->outbox, &k, NULL));
	return db_write_finish(s, txn, rc, e);
}

/* Decode one dead letter into d. */
static int
db_dead_decode(const MDB_val *k, const MDB_val *v, struct db_outbox_dead *d)
{
	const unsigned char *p = v->mv_data, *nul;
	MDB_val entry;

	memset(d, 0, sizeof(*d));
	if (v->mv_size <= DB_DEAD_HEAD ||
	    (nul = memchr(p + DB_DEAD_HEAD, 0, v->mv_size - DB_DEAD_HEAD)) ==
		    NULL ||
	    (size_t)(nul - p - DB_DEAD_HEAD) >= sizeof(d->why))
		return DB_ERR_CORRUPT;
	d->time = (int64_t)db_be64_get(p);
	d->tries = (unsigned int)p[8] << 24 | (unsigned int)p[9] << 16 |
		   (unsigned int)p[10] << 8 | p[11];
	memcpy(d->why, p + DB_DEAD_HEAD, (size_t)(nul - p - DB_DEAD_HEAD));
	entry.mv_data = (void *)(nul + 1);
	entry.mv_size = v->mv_size - (size_t)(nul + 1 - p);
	return db_outbox_decode(k, &entry, &d->e);
}

void
db_outbox_dead_free(struct db_outbox_dead *d, size_t n)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < n; i++)
		free(d[i].e.json);
	free(d);
}

int
db_outbox_dead_list(struct db_store *s, struct db_outbox_dead **out,
		    size_t *n)
{
	struct db_outbox_dead *d = NULL, *grown;
	size_t cap = 0;
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	int rc = DB_OK, got;

	*out = NULL;
	*n = 0;
	if (!s->has_dead)
		return DB_OK;
	if ((rc = db_txn_begin(s, 1, &txn)) != DB_OK)
		return rc;
	if ((rc = db_from_mdb(mdb_cursor_open(txn, s->outbox_dead, &cur)))) {
		db_txn_abort(txn);
		return rc;
	}
	got = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (; got == 0; got = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((grown = realloc(d, cap * sizeof(*d))) == NULL) {
				rc = DB_ERR_NOMEM;
				break;
			}
			d = grown;
		}
		if ((rc = db_dead_decode(&k, &v, &d[*n])) != DB_OK) {
			free(d[*n].e.json);
			break;
		}
		(*n)++;
	}
	if (rc == DB_OK && got != MDB_NOTFOUND)
		rc = db_from_mdb(got);
	mdb_cursor_close(cur);
	db_txn_abort(txn);
	if (rc != DB_OK) {
		db_outbox_dead_free(d, *n);
		*n = 0;
		return rc;
	}
	*out = d;
	return DB_OK;
}

/* Queue d again inside txn (see db_outbox_dead_retry). */
static int
db_dead_requeue(struct db_store *s, MDB_txn *txn, const MDB_val *v,
		const struct db_outbox_dead *d)
{
	const unsigned char *p = v->mv_data, *nul;
	struct db_consent c;
	int rc;

	if (d->e.kind == DB_OUTBOX_EVIDENCE) {
		nul = memchr(p + DB_DEAD_HEAD, 0, v->mv_size - DB_DEAD_HEAD);
		return db_outbox_append(s, txn, nul + 1,
					v->mv_size - (size_t)(nul + 1 - p));
	}
	rc = db_consent_get_txn(s, txn, d->e.addr, &c);
	if (rc == DB_OK)
		return db_outbox_add_consent_txn(s, txn, d->e.addr, &c);
	if (rc == DB_NOTFOUND)
		return db_outbox_add_delete_txn(s, txn, d->e.addr);
	return rc;
}

/* Retry (requeue 1) or drop (0) dead letter key. */
static int
db_dead_take(struct db_store *s, uint64_t key, int requeue,
	     const struct db_evidence *e)
{
	struct db_outbox_dead d;
	unsigned char kb[8];
	MDB_val k, v;
	MDB_txn *txn;
	int rc;

	if (!s->has_dead)
		return DB_NOTFOUND;
	if ((rc = db_txn_begin(s, 0, &txn)) != DB_OK)
		return rc;
	rc = db_dead_get(txn, s->outbox_dead, key, kb, &k, &v);
	if (rc == DB_OK && requeue) {
		rc = db_dead_decode(&k, &v, &d);
		if (rc == DB_OK)
			rc = db_dead_requeue(s, txn, &v, &d);
		free(d.e.json);
	}
	if (rc == DB_OK)
		rc = db_from_mdb(mdb_del(txn, s->outbox_dead, &k, NULL));
	return db_write_finish(s, txn, rc, e);
}

int
db_outbox_dead_retry(struct db_store *s, uint64_t key,
		     const struct db_evidence *e)
{
	return db_dead_take(s, key, 1, e);
}

int
db_outbox_dead_drop(struct db_store *s, uint64_t key,
		    const struct db_evidence *e)
{
	return db_dead_take(s, key, 0, e);
}
