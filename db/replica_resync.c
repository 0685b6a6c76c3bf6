/*
 * replica_resync.c - a full resync of the local store from the centre's
 * whole consent table, in batches of DB_REPLICA_RESYNC_ROWS rows, each in
 * its own short write transaction, so that the milter's evidence and
 * consent writes (which take the same LMDB write lock) never wait for more
 * than one batch.  The centre's rows come in ascending address order, the
 * order of the store's keys, so one walk of both sides finds the local
 * records the centre does not hold (a merge), without a set of every
 * central address in memory.
 *
 * Between batches the store holds, per address, either its old record or
 * the centre's row; a record with an outbox entry is never touched (the
 * local change wins until the centre has judged it), and a local
 * withdrawal is guarded by the state machine as in every apply
 * (db_replica_one).  The meta mark repl.resync is set from begin to
 * commit, so a resync cut short (killed, the centre gone, a row this store
 * cannot hold) is begun again by the next follower.
 *
 * Owns: struct db_replica_txn with the open batch's write transaction and
 * its set of outbox addresses (read again at each batch: the milter may
 * have queued a change in between).  Never logs; returns DB_* codes.
 */
#include "replica_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct db_replica_txn {
	struct db_store *s;
	MDB_txn *txn;          /* the open batch, NULL between batches */
	GHashTable *local;     /* addresses with outbox entries (this batch) */
	size_t rows;           /* rows in the open batch */
	int started;           /* a row was put: after is set */
	char after[ADDR_MAX + 1]; /* the last central address put */
};

/* Open the next batch: a write transaction and its outbox addresses. */
static int
db_resync_open(struct db_replica_txn *t)
{
	int rc;

	if (t->txn != NULL)
		return DB_OK;
	if ((rc = db_txn_begin(t->s, 0, &t->txn)) != DB_OK)
		return rc;
	if (t->local)
		g_hash_table_destroy(t->local);
	t->local = NULL;
	rc = db_outbox_addresses_txn(t->s, t->txn, 0, &t->local);
	if (rc != DB_OK) {
		db_txn_abort(t->txn);
		t->txn = NULL;
	}
	t->rows = 0;
	return rc;
}

/* Commit the open batch. */
static int
db_resync_close(struct db_replica_txn *t)
{
	int rc = db_txn_commit(t->txn);

	t->txn = NULL;
	return rc;
}

/*
 * Remove the local records after t->after (all when nothing was put yet)
 * and before upto (NULL: to the end), except those with outbox entries,
 * counting them as rows of the batch.  With upto NULL the batches are
 * committed as they fill; *more is set when the batch filled before the
 * end was reached (call again).
 */
static int
db_resync_drop(struct db_replica_txn *t, const char *upto, int *more)
{
	char key[ADDR_MAX + 1];
	GSList *gone = NULL, *l;
	MDB_cursor *cur;
	MDB_val k, v;
	int got, rc = DB_OK;

	*more = 0;
	if ((got = mdb_cursor_open(t->txn, t->s->consent, &cur)) != 0)
		return db_from_mdb(got);
	k.mv_size = strlen(t->after);
	k.mv_data = t->after;
	got = t->started ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)
			 : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (; got == 0; got = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size == 0 || k.mv_size > ADDR_MAX)
			continue;
		memcpy(key, k.mv_data, k.mv_size);
		key[k.mv_size] = '\0';
		if (t->started && strcmp(key, t->after) == 0)
			continue;
		if (upto && strcmp(key, upto) >= 0)
			break;
		if (upto == NULL && t->rows >= DB_REPLICA_RESYNC_ROWS) {
			*more = 1;
			break;
		}
		if (g_hash_table_contains(t->local, key))
			continue;
		gone = g_slist_prepend(gone, g_strdup(key));
		t->rows++;
	}
	mdb_cursor_close(cur);
	if (got != 0 && got != MDB_NOTFOUND)
		rc = db_from_mdb(got);
	for (l = gone; rc == DB_OK && l; l = l->next) {
		rc = db_consent_remove_txn(t->s, t->txn, l->data);
		if (rc == DB_NOTFOUND)
			rc = DB_OK;
	}
	g_slist_free_full(gone, g_free);
	return rc;
}

int
db_replica_resync_begin(struct db_store *s, struct db_replica_txn **out)
{
	struct db_replica_txn *t;
	MDB_txn *txn;
	int rc;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return DB_ERR_NOMEM;
	t->s = s;
	if ((rc = db_txn_begin(s, 0, &txn)) != DB_OK) {
		free(t);
		return rc;
	}
	if ((rc = db_meta_put_int(s, txn, DB_META_REPL_RESYNC, 1)) != DB_OK) {
		db_txn_abort(txn);
		free(t);
		return rc;
	}
	if ((rc = db_txn_commit(txn)) != DB_OK) {
		free(t);
		return rc;
	}
	*out = t;
	return DB_OK;
}

int
db_replica_resync_put(struct db_replica_txn *t, struct db_replica_change *ch)
{
	int rc, more;

	if (t->started && strcmp(ch->addr, t->after) <= 0)
		return DB_ERR_INVALID; /* not in ascending order */
	if ((rc = db_resync_open(t)) != DB_OK)
		return rc;
	rc = db_resync_drop(t, ch->addr, &more);
	if (rc == DB_OK)
		rc = db_replica_one(t->s, t->txn, t->local, 1, ch,
				    (int64_t)time(NULL));
	if (rc != DB_OK) {
		db_txn_abort(t->txn);
		t->txn = NULL;
		return rc;
	}
	snprintf(t->after, sizeof(t->after), "%s", ch->addr);
	t->started = 1;
	if (++t->rows >= DB_REPLICA_RESYNC_ROWS)
		return db_resync_close(t);
	return DB_OK;
}

int
db_replica_resync_commit(struct db_replica_txn *t, int64_t last, int64_t now)
{
	int rc, more;

	do {
		if ((rc = db_resync_open(t)) != DB_OK)
			break;
		if ((rc = db_resync_drop(t, NULL, &more)) != DB_OK) {
			db_txn_abort(t->txn);
			t->txn = NULL;
			break;
		}
		if (more && (rc = db_resync_close(t)) != DB_OK)
			break;
	} while (more);
	if (rc == DB_OK) {
		MDB_val k = {strlen(DB_META_REPL_RESYNC),
			     (void *)DB_META_REPL_RESYNC};
		int rc2 = mdb_del(t->txn, t->s->meta, &k, NULL);

		if (rc2 != 0 && rc2 != MDB_NOTFOUND) {
			rc = db_from_mdb(rc2);
			db_txn_abort(t->txn);
		} else {
			rc = db_replica_finish(t->s, t->txn, last, now);
		}
		t->txn = NULL;
	}
	db_replica_resync_abort(t);
	return rc;
}

void
db_replica_resync_abort(struct db_replica_txn *t)
{
	if (t == NULL)
		return;
	if (t->txn)
		db_txn_abort(t->txn);
	if (t->local)
		g_hash_table_destroy(t->local);
	free(t);
}
