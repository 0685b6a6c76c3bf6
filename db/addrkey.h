/*
 * addrkey.h - the one-time move of consent records to normalised address
 * keys (db/addrkey.c).  Private to db/.
 */
#ifndef CG_ADDRKEY_H
#define CG_ADDRKEY_H

#include <stddef.h>

#include "store_int.h"

/*
 * Inside txn (a write transaction the caller owns and commits): unless the
 * store is marked as migrated, move every record whose key is not the
 * normalised address to its normalised key, with one evidence record per
 * move, and mark the store.  *moved gets the number of records moved.
 * DB_OK or a DB_* error (the caller aborts txn).
 */
int db_addrkey_migrate_txn(struct db_store *s, MDB_txn *txn, size_t *moved);
/*
 * The same in its own transaction, for db_open: nothing on a read-only
 * store or one already marked.  On failure err (errsz bytes) says why,
 * naming dir.
 */
int db_addrkey_migrate(struct db_store *s, const char *dir, char *err,
		       size_t errsz);

#endif
