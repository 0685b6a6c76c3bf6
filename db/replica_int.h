/*
 * replica_int.h - private to db/: the steps of applying central changes
 * that db/replica.c (batches of the change log) and db/replica_resync.c (a
 * full resync in batches) share.
 */
#ifndef CG_REPLICA_INT_H
#define CG_REPLICA_INT_H

#include <glib.h>

#include "outbox_int.h"
#include "replica.h"

/*
 * Apply one change inside the write transaction txn and set ch->result;
 * local holds the addresses with outbox entries (skipped: the local change
 * wins).  resync: the centre's row replaces the local record as it is
 * (no history merged), except over a local withdrawal, which the state
 * machine guards as always.  A change that turns the record, or one of
 * its lists, withdrawn on this store appends a consent evidence record
 * (action "withdraw", time now, note "source=replica, change=ID, at=T");
 * one already withdrawn here appends nothing.  <0 only for store errors
 * that must abort the transaction.
 */
int db_replica_one(struct db_store *s, MDB_txn *txn, GHashTable *local,
		   int resync, struct db_replica_change *ch, int64_t now);
/* Set repl.last_id = last and repl.synced = now, clear the stuck mark,
 * and commit txn (aborted on failure). */
int db_replica_finish(struct db_store *s, MDB_txn *txn, int64_t last,
		      int64_t now);

#endif
