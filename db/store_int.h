/*
 * store_int.h - what the files of db/ share about an open store: the LMDB
 * handles and transaction-level helpers.  Private to db/; nothing outside
 * db/ includes it (consentctl and the milter use store.h).
 *
 * Every *_txn function works inside a transaction the caller began with
 * db_txn_begin() and still owns; values read are copied before return.
 */
#ifndef CG_STORE_INT_H
#define CG_STORE_INT_H

#include <lmdb.h>
#include <pthread.h>
#include <sys/types.h>

#include "store.h"

/* Bytes of the HMAC secret of the personal-data hashes. */
#define DB_PII_KEY_LEN 32
/* Subject keys of a deployment a store holds at most, and the hex digits
 * of a key's id. */
#define DB_SUBJ_KEYS_MAX 8
#define DB_SUBJ_ID_HEX 16
/* Reset read transactions a store keeps for reuse. */
#define DB_RPOOL_MAX 16

struct db_store {
	MDB_env *env;
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
	int rdonly;
	uid_t dir_uid;    /* owner of the store directory: new files get it */
	gid_t dir_gid;
	unsigned char pii_key[DB_PII_KEY_LEN]; /* wiped by db_close */
	/* The deployment's subject keys (db_subject_keys_load), current
	 * first, and their ids; wiped by db_close. */
	unsigned char subj_key[DB_SUBJ_KEYS_MAX][DB_PII_KEY_LEN];
	char subj_id[DB_SUBJ_KEYS_MAX][DB_SUBJ_ID_HEX + 1];
	size_t nsubj;
	/* Read-only transactions of single lookups, reset and kept for
	 * renewal (mdb_txn_renew) instead of begun and aborted each time
	 * (the store is opened MDB_NOTLS, so any thread may renew one); a
	 * reset transaction pins no snapshot.  db_close aborts them. */
	pthread_mutex_t rpool_lock;
	int rpool_ok; /* the mutex is initialised */
	unsigned int nrpool;
	MDB_txn *rpool[DB_RPOOL_MAX];
};

/* An LMDB or errno code as a DB_* code. */
int db_from_mdb(int rc);

/* Begin a transaction (read-only when rdonly).  DB_ERR_READONLY for a
 * write transaction on a store opened read-only. */
int db_txn_begin(struct db_store *s, int rdonly, MDB_txn **txn);
/* Commit; LMDB frees the transaction even when this fails. */
int db_txn_commit(MDB_txn *txn);

/* Look up the normalised key.  DB_OK, DB_NOTFOUND or <0. */
int db_consent_get_txn(struct db_store *s, MDB_txn *txn, const char *key,
		       struct db_consent *out);
/*
 * Store c under the normalised key and keep the uid index current.  When
 * another address holds c->uid: with force the index entry is moved (the
 * caller guarantees that address gives the uid up in the same run, as an
 * import does); without force DB_ERR_INVALID.
 */
int db_consent_put_txn(struct db_store *s, MDB_txn *txn, const char *key,
		       const struct db_consent *c, int force);
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
