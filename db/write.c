/*
 * write.c - the writes that span tables, each in one transaction: a local
 * consent change with its outbox entry (consent.c + outbox.c), and an
 * evidence record with its personal data and its outbox entry (evidence.c
 * + pii.c + outbox.c), so no committed change can miss its entry and no
 * entry exists for a change that was rolled back.  The tables below never
 * call one another; they meet only here.
 *
 * The single-call writes run through the core's db_core_write: a full map
 * is grown and the transaction runs again from the start, so a decision's
 * evidence is not refused while the disk has room.
 *
 * Owns: the scratch buffers of an append, and the transactions of the
 * single-call writes (ended before return).  Never logs; returns DB_*
 * codes.
 */
#include "evpii.h"

#include <string.h>

#include "outbox_int.h"

int
db_consent_put_txn(struct db_store *s, MDB_txn *txn, const char *key,
		   const struct db_consent *c, int force)
{
	int rc;

	rc = db_consent_write_txn(s, txn, key, c, force);
	if (rc == DB_OK)
		rc = db_outbox_add_consent_txn(s, txn, key, c);
	return rc;
}

/* One single-call consent write: put (c set) or delete (c NULL). */
struct db_write_consent {
	struct db_store *s;
	const char *key;
	const struct db_consent *c;
};

static int
db_write_consent_body(MDB_txn *txn, void *arg)
{
	struct db_write_consent *w = arg;
	int rc;

	if (w->c != NULL)
		return db_consent_put_txn(w->s, txn, w->key, w->c, 0);
	rc = db_consent_remove_txn(w->s, txn, w->key);
	if (rc == DB_OK)
		rc = db_outbox_add_delete_txn(w->s, txn, w->key);
	return rc;
}

int
db_consent_put(struct db_store *s, const char *addr,
	       const struct db_consent *c)
{
	char key[ADDR_MAX + 1];
	struct db_write_consent w = {s, key, c};
	int rc;

	if ((rc = db_consent_key(addr, key, sizeof(key))) != DB_OK)
		return rc;
	return db_core_write(&s->core, db_write_consent_body, &w);
}

int
db_consent_del(struct db_store *s, const char *addr)
{
	char key[ADDR_MAX + 1];
	struct db_write_consent w = {s, key, NULL};
	int rc;

	if ((rc = db_consent_key(addr, key, sizeof(key))) != DB_OK)
		return rc;
	return db_core_write(&s->core, db_write_consent_body, &w);
}

/* Record seq: the chained record, its personal data, its outbox entry;
 * prev becomes this record's hash. */
static int
db_write_evidence_one(struct db_store *s, MDB_txn *txn, uint64_t seq,
		      const struct db_evidence *e, struct db_ev_keyed *keyed,
		      struct buf *json, char prev[DB_HASH_HEX])
{
	int rc;

	if ((rc = db_pii_json_hashes(s, e, keyed)) != DB_OK ||
	    (rc = db_evidence_put_txn(s, txn, seq, e, keyed, prev,
				      json)) != DB_OK ||
	    (rc = db_pii_put_txn(s, txn, seq, e)) != DB_OK)
		return rc;
	/* The centre gets the chained record: hashes, no plaintext. */
	rc = db_outbox_add_evidence_txn(s, txn, seq, e->ref, json->data,
					json->len);
	if (rc != DB_OK)
		return rc;
	return db_sha256_hex(json->data, json->len, prev);
}

/* Are the references of e[0..n) present and not too long? */
static int
db_write_refs_ok(const struct db_evidence *e, size_t n)
{
	size_t i, len;

	for (i = 0; i < n; i++) {
		len = e[i].ref ? strlen(e[i].ref) : 0;
		if (len == 0 || len > DB_REF_MAX)
			return 0;
	}
	return 1;
}

int
db_evidence_append_txn(struct db_store *s, MDB_txn *txn,
		       const struct db_evidence *e, size_t n,
		       uint64_t *first_seq)
{
	struct db_ev_keyed keyed = {BUF_INIT, BUF_INIT, BUF_INIT};
	struct buf json = BUF_INIT;
	char prev[DB_HASH_HEX];
	uint64_t seq;
	size_t i;
	int rc;

	if (!db_write_refs_ok(e, n))
		return DB_ERR_INVALID;
	rc = db_evidence_last_txn(s, txn, &seq, prev);
	if (rc == DB_OK && first_seq)
		*first_seq = seq;
	for (i = 0; rc == DB_OK && i < n; i++)
		rc = db_write_evidence_one(s, txn, seq + i, &e[i], &keyed,
					   &json, prev);
	buf_free(&json);
	db_ev_keyed_free(&keyed);
	return rc;
}

struct db_write_evidence {
	struct db_store *s;
	const struct db_evidence *e;
	size_t n;
	uint64_t *first_seq;
};

int
db_write_finish(struct db_store *s, MDB_txn *txn, int rc,
		const struct db_evidence *e)
{
	if (rc == DB_OK && e != NULL)
		rc = db_evidence_append_txn(s, txn, e, 1, NULL);
	if (rc != DB_OK) {
		db_txn_abort(txn);
		return rc;
	}
	return db_txn_commit(txn);
}

static int
db_write_evidence_body(MDB_txn *txn, void *arg)
{
	struct db_write_evidence *w = arg;

	return db_evidence_append_txn(w->s, txn, w->e, w->n, w->first_seq);
}

int
db_evidence_append_many(struct db_store *s, const struct db_evidence *e,
			size_t n, uint64_t *first_seq)
{
	struct db_write_evidence w = {s, e, n, first_seq};

	if (!db_write_refs_ok(e, n))
		return DB_ERR_INVALID;
	if (n == 0)
		return DB_OK;
	return db_core_write(&s->core, db_write_evidence_body, &w);
}

int
db_evidence_append(struct db_store *s, const struct db_evidence *e)
{
	return db_evidence_append_many(s, e, 1, NULL);
}
