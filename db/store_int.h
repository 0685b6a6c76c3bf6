/*
 * store_int.h - what the files of db/ share about an open store: its LMDB
 * core (core.h) and the handles of its tables, and the consent table
 * (consent.c).  Private to db/; nothing outside db/ includes it
 * (consentctl and the milter use store.h).
 *
 * The modules of db/, bottom to top; each calls only modules below it:
 *   core.c                          the LMDB environment and transactions
 *   codec.c evjson.c secret.c       encodings and the secret file;
 *   evread.c subjkey.c              the evidence record reader, the
 *                                   deployment's subject keys
 *   consent.c meta.c pii.c outbox.c evidence.c   one table each
 *   write.c evview.c                writes spanning tables in one
 *                                   transaction; evidence as readers see it
 *   consent_sm.c addrkey.c ...      the state machine, replication,
 *                                   retention, verification, import
 *   replica.c                       the follower's apply and acknowledgement
 *   replica_resync.c                a full resync in batches, on replica.c
 *   store.c                         open and close
 * (tests/layering.sh checks that no call goes up or sideways.)
 *
 * Every *_txn function works inside a transaction the caller began with
 * db_txn_begin() and still owns (ended with db_txn_commit or
 * db_txn_abort); values read are copied before return.
 */
#ifndef CG_STORE_INT_H
#define CG_STORE_INT_H

#include <lmdb.h>
#include <sys/types.h>

#include "core.h"
#include "store.h"

/* Bytes of the HMAC secret of the personal-data hashes. */
#define DB_PII_KEY_LEN 32
/* Subject keys of a deployment a store holds at most, and the hex digits
 * of a key's id. */
#define DB_SUBJ_KEYS_MAX 8
#define DB_SUBJ_ID_HEX 16

struct db_store {
	struct db_core core; /* the environment and its transactions */
	MDB_dbi consent;  /* address -> codec value */
	MDB_dbi uid;      /* uid -> address */
	MDB_dbi evidence; /* 8-byte seq -> JSON text */
	MDB_dbi evref;    /* ref -> 8-byte seq */
	MDB_dbi meta;     /* "version" -> "2", the HMAC secret, ... */
	MDB_dbi evpii;    /* 8-byte seq -> personal data (db/evpii.h) */
	MDB_dbi outbox;   /* 8-byte position -> local change (outbox.c) */
	int has_outbox;   /* 0: a read-only store made before the outbox */
	MDB_dbi outbox_dead; /* 8-byte position -> refused entry (outbox_dead.c) */
	int has_dead;     /* 0: a read-only store made before dead letters */
	int rdonly;       /* opened read-only (as s->core.rdonly) */
	uid_t dir_uid;    /* owner of the store directory: new files get it */
	gid_t dir_gid;
	unsigned char pii_key[DB_PII_KEY_LEN]; /* wiped by db_close */
	/* The deployment's subject keys (db_subject_keys_load), current
	 * first, and their ids; wiped by db_close. */
	unsigned char subj_key[DB_SUBJ_KEYS_MAX][DB_PII_KEY_LEN];
	char subj_id[DB_SUBJ_KEYS_MAX][DB_SUBJ_ID_HEX + 1];
	size_t nsubj;
};

/*
 * Every module of db/ above the core ends its transactions through the
 * core (core.h): an mdb_txn_abort behind the core's back would leave it
 * counting a transaction that no longer runs, and the next map resize would
 * wait for it in vain.  So in these modules mdb_txn_abort is the core's.
 */
#define mdb_txn_abort(txn) db_txn_abort(txn)

/* Begin a transaction of s's core (read-only when rdonly): see
 * db_core_begin.  End it with db_txn_commit or db_txn_abort (core.h). */
static inline int
db_txn_begin(struct db_store *s, int rdonly, MDB_txn **txn)
{
	return db_core_begin(&s->core, rdonly, txn);
}

/* ---- consent.c: the consent table and its uid index ---- */

/* Normalise addr into key (keysz bytes, ADDR_MAX + 1 will do):
 * DB_OK or DB_ERR_INVALID. */
int db_consent_key(const char *addr, char *key, size_t keysz);

/* Look up the normalised key.  DB_OK, DB_NOTFOUND or <0. */
int db_consent_get_txn(struct db_store *s, MDB_txn *txn, const char *key,
		       struct db_consent *out);
/*
 * write.c: store c under the normalised key and keep the uid index
 * current (db_consent_write_txn), and queue the change in the outbox.
 * When another address holds c->uid: with force the index entry is moved
 * (the caller guarantees that address gives the uid up in the same run, as
 * an import does); without force DB_ERR_INVALID.
 */
int db_consent_put_txn(struct db_store *s, MDB_txn *txn, const char *key,
		       const struct db_consent *c, int force);
/* Write or remove a consent record and its uid index entry, without an
 * outbox entry (db_consent_put_txn and db_consent_del add one).  remove: DB_NOTFOUND
 * when there is no record. */
int db_consent_write_txn(struct db_store *s, MDB_txn *txn, const char *key,
			 const struct db_consent *c, int force);
int db_consent_remove_txn(struct db_store *s, MDB_txn *txn, const char *key);
/* db_consent_foreach inside txn (the caller's; it may be a write
 * transaction, cb must not write). */
int db_consent_foreach_txn(struct db_store *s, MDB_txn *txn, db_consent_cb cb,
			   void *arg);
/*
 * The address whose record holds uid, into addr (addrsz bytes).  An index
 * entry whose record no longer carries the uid counts as DB_NOTFOUND.
 */
int db_uid_owner_txn(struct db_store *s, MDB_txn *txn, const char *uid,
		     char *addr, size_t addrsz);

#endif
