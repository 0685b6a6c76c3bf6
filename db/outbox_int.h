/*
 * outbox_int.h - private to db/: the outbox table (outbox.c), whose hooks
 * the writes of write.c call so that every local change of the store also
 * queues an entry for the centre (db/replica.h).  Changes that come from
 * the centre write the consent table directly (db_consent_write_txn).
 *
 * Every *_txn function works inside a write transaction the caller began
 * and still owns; when replication is not enabled (meta "repl.outbox"
 * absent) the hooks write nothing and return DB_OK.
 */
#ifndef CG_OUTBOX_INT_H
#define CG_OUTBOX_INT_H

#include "meta.h"
#include "store_int.h"

/* Meta keys (db/replica.h describes them). */
#define DB_META_REPL_OUTBOX "repl.outbox"
#define DB_META_REPL_LAST "repl.last_id"
#define DB_META_REPL_SYNCED "repl.synced"
#define DB_META_REPL_STUCK "repl.stuck"
#define DB_META_REPL_RESYNC "repl.resync"

/*
 * Open the outbox database of an open store, called once by db_open.  A
 * writable store without one (made by an older version) gets it created;
 * a read-only one then works without (s->has_outbox 0, length 0).
 * On error writes a reason into err.
 */
int db_outbox_open(struct db_store *s, const char *dir, char *err,
		   size_t errsz);

/* The hooks: queue a written record, a removed record, an evidence record
 * (json: the len stored bytes of the record with sequence seq). */
int db_outbox_add_consent_txn(struct db_store *s, MDB_txn *txn,
			      const char *key, const struct db_consent *c);
/* Queue the forgetting of a subject for the centre: its hashes under
 * every key, comma-joined ('f' entry). */
int db_outbox_add_forget_txn(struct db_store *s, MDB_txn *txn,
			     const char *hashes);
int db_outbox_add_delete_txn(struct db_store *s, MDB_txn *txn,
			     const char *key);
int db_outbox_add_evidence_txn(struct db_store *s, MDB_txn *txn,
			       uint64_t seq, const char *ref, const void *json,
			       size_t len);

/* Decode one stored outbox entry (key k, value v) into e; e->json is
 * malloc'd for evidence (db_outbox_free frees an array of them). */
struct db_outbox_entry;
int db_outbox_decode(const MDB_val *k, const MDB_val *v,
		     struct db_outbox_entry *e);
/* Append one entry (n bytes at p) after the last one. */
int db_outbox_append(struct db_store *s, MDB_txn *txn, const void *p,
		     size_t n);

/* Delete every entry with key <= upto (the centre has them). */
int db_outbox_trim_txn(struct db_store *s, MDB_txn *txn, uint64_t upto);

/* Is replication enabled?  1, 0, or <0. */
int db_outbox_enabled_txn(struct db_store *s, MDB_txn *txn);

/*
 * The normalised addresses that have consent or delete entries in the
 * outbox with key > after, as a GHashTable of strings (caller destroys it
 * with g_hash_table_destroy).  NULL when memory ran out.
 */
struct _GHashTable;
int db_outbox_addresses_txn(struct db_store *s, MDB_txn *txn, uint64_t after,
			    struct _GHashTable **out);



/* The last verification (db/replica_digest.c): when (0 never) and how
 * many addresses differed. */
int db_replica_verified_txn(struct db_store *s, MDB_txn *txn, int64_t *when,
			    int64_t *differing);

#endif
