/*
 * addrkey.c - the one-time move of consent records to the keys of the
 * current address normaliser (common/addr.h: IDNA A-label domains, NFC
 * and lower-cased local parts).
 *
 * Stores written before that normaliser keyed "anna@bücher.example" as
 * written; the normaliser now gives "anna@xn--bcher-kva.example", so such
 * a record would no longer be found.  The first writable open of a store
 * moves every record whose key is not in normalised form to its new key,
 * in one transaction with one "consent" evidence record per move (action
 * "migrate"), queues the change for the centre like any local write, and
 * marks the store ("addrkeys" = 1 in meta) so later opens skip the scan.
 * When a record already exists under the new key (the same mailbox stored
 * twice), one is kept: a withdrawal wins over a consent it is not older
 * than, otherwise the record with the newer last event; the evidence says
 * which states met and which was kept.  A key that does not normalise at
 * all is left where it is.  Read-only opens never migrate.
 *
 * Owns: the list of keys to move, freed before return; the caller owns the
 * transaction.  Never logs; returns DB_* codes (the open then fails).
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addrkey.h"
#include "evpii.h"
#include "outbox_int.h"

#define DB_META_ADDRKEYS "addrkeys"

/* Keys to move, collected before any write (a cursor must not see its
 * own database change under it). */
struct db_movelist {
	char (*key)[ADDR_MAX + 1];
	size_t n, cap;
};

static int
db_movelist_scan(struct db_store *s, MDB_txn *txn, struct db_movelist *l)
{
	char key[ADDR_MAX + 1], norm[ADDR_MAX + 1];
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, got;

	if ((rc = db_from_mdb(mdb_cursor_open(txn, s->consent, &cur))))
		return rc;
	got = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (rc = DB_OK; got == 0; got = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size == 0 || k.mv_size > ADDR_MAX)
			continue;
		memcpy(key, k.mv_data, k.mv_size);
		key[k.mv_size] = '\0';
		if (addr_normalise(key, norm, sizeof(norm)) < 0 ||
		    strcmp(norm, key) == 0)
			continue;
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 16;
			void *p = realloc(l->key, cap * sizeof(*l->key));

			if (p == NULL) {
				rc = DB_ERR_NOMEM;
				break;
			}
			l->key = p;
			l->cap = cap;
		}
		memcpy(l->key[l->n++], key, sizeof(key));
	}
	if (rc == DB_OK && got != 0 && got != MDB_NOTFOUND)
		rc = db_from_mdb(got);
	mdb_cursor_close(cur);
	return rc;
}

static int64_t
db_last_event(const struct db_consent *c)
{
	int64_t t = c->created;

	if (c->confirmed > t)
		t = c->confirmed;
	if (c->withdrawn > t)
		t = c->withdrawn;
	return t;
}

/* Of two records of one mailbox, the one to keep: 0 a, 1 b. */
static int
db_addrkey_pick(const struct db_consent *a, const struct db_consent *b)
{
	if (a->state == DB_STATE_WITHDRAWN && b->state != DB_STATE_WITHDRAWN)
		return b->confirmed > a->withdrawn;
	if (b->state == DB_STATE_WITHDRAWN && a->state != DB_STATE_WITHDRAWN)
		return !(a->confirmed > b->withdrawn);
	return db_last_event(b) > db_last_event(a);
}

/* Move one record from key old to its normalised key. */
static int
db_addrkey_move(struct db_store *s, MDB_txn *txn, const char *old,
		int64_t now, unsigned int n)
{
	struct db_consent from, there, *keep = &from;
	struct db_evidence e;
	char norm[ADDR_MAX + 1], ref[64], rules[256];
	int rc, clash;

	if (addr_normalise(old, norm, sizeof(norm)) < 0)
		return DB_OK;
	if ((rc = db_consent_get_txn(s, txn, old, &from)) != DB_OK)
		return rc == DB_ERR_CORRUPT ? DB_OK : rc;
	rc = db_consent_get_txn(s, txn, norm, &there);
	if (rc != DB_OK && rc != DB_NOTFOUND)
		return rc;
	clash = rc == DB_OK;
	if (clash && db_addrkey_pick(&from, &there) == 1)
		keep = &there;
	if (clash)
		snprintf(rules, sizeof(rules), "address key normalised (IDNA "
			 "A-labels, NFC): a %s record under the old form met a "
			 "%s record under the normalised one; kept the %s one",
			 db_state_name(from.state), db_state_name(there.state),
			 keep == &from ? "old form's" : "normalised form's");
	else
		snprintf(rules, sizeof(rules), "address key normalised (IDNA "
			 "A-labels, NFC); state %s kept",
			 db_state_name(from.state));
	if ((rc = db_consent_remove_txn(s, txn, old)) != DB_OK ||
	    (rc = db_outbox_add_delete_txn(s, txn, old)) != DB_OK)
		return rc;
	if (keep == &from && (rc = db_consent_put_txn(s, txn, norm, keep, 1)))
		return rc;
	snprintf(ref, sizeof(ref), "mig-%08llx-%u", (unsigned long long)now, n);
	memset(&e, 0, sizeof(e));
	e.time = now;
	e.ref = ref;
	e.kind = "consent";
	e.recipients = norm;
	e.client_ip = "";
	e.cls = "";
	e.rules = rules;
	e.action = "migrate";
	e.sha256 = "";
	return db_evidence_append_txn(s, txn, &e, 1, NULL);
}

int
db_addrkey_migrate(struct db_store *s, const char *dir, char *err,
		   size_t errsz)
{
	MDB_txn *txn;
	size_t moved;
	int64_t done;
	int rc;

	if (s->rdonly)
		return DB_OK;
	/* A cheap read first: a migrated store takes no write lock here. */
	if ((rc = db_txn_begin(s, 1, &txn)) != DB_OK)
		goto fail;
	rc = db_meta_get_int(s, txn, DB_META_ADDRKEYS, &done);
	db_txn_abort(txn);
	if (rc == DB_OK && done >= 1)
		return DB_OK;
	if ((rc = db_txn_begin(s, 0, &txn)) != DB_OK)
		goto fail;
	if ((rc = db_addrkey_migrate_txn(s, txn, &moved)) != DB_OK) {
		db_txn_abort(txn);
		goto fail;
	}
	if ((rc = db_txn_commit(txn)) == DB_OK)
		return DB_OK;
fail:
	snprintf(err, errsz, "%s: cannot move records to normalised address "
		 "keys: %s", dir, db_strerror(rc));
	return rc;
}

int
db_addrkey_migrate_txn(struct db_store *s, MDB_txn *txn, size_t *moved)
{
	struct db_movelist l = {NULL, 0, 0};
	int64_t done;
	size_t i;
	int rc;

	*moved = 0;
	rc = db_meta_get_int(s, txn, DB_META_ADDRKEYS, &done);
	if (rc == DB_OK && done >= 1)
		return DB_OK;
	if (rc != DB_OK && rc != DB_NOTFOUND)
		return rc;
	rc = db_movelist_scan(s, txn, &l);
	for (i = 0; rc == DB_OK && i < l.n; i++)
		rc = db_addrkey_move(s, txn, l.key[i], (int64_t)time(NULL),
				     (unsigned int)i);
	free(l.key);
	if (rc == DB_OK)
		rc = db_meta_put_int(s, txn, DB_META_ADDRKEYS, 1);
	if (rc == DB_OK)
		*moved = l.n;
	return rc;
}
