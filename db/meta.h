/*
 * meta.h - private to db/: the meta table, small named values of the store
 * (its format version, replication positions, the purge checkpoint, ...).
 * Every *_txn function works inside a transaction the caller owns.
 */
#ifndef CG_DB_META_H
#define CG_DB_META_H

#include <stdint.h>

#include "store_int.h"

/* The text stored under name, copied into text (NUL-terminated):
 * DB_OK, DB_NOTFOUND, another db_from_mdb code, or DB_ERR_CORRUPT
 * for an empty value or one that does not fit textsz. */
int db_meta_get_text(struct db_store *s, MDB_txn *txn, const char *name,
		     char *text, size_t textsz);
/* Small decimal meta values: read (DB_NOTFOUND when absent) and write. */
int db_meta_get_int(struct db_store *s, MDB_txn *txn, const char *name,
		    int64_t *out);
int db_meta_put_int(struct db_store *s, MDB_txn *txn, const char *name,
		    int64_t v);

/*
 * Check the store format version (DB_FORMAT_VERSION), or record it when
 * create and the store has none.  DB_ERR_VERSION for another version or
 * none; every failure is explained in err.
 */
int db_meta_version_txn(struct db_store *s, MDB_txn *txn, int create,
			const char *dir, char *err, size_t errsz);

#endif
