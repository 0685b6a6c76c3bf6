/*
 * core.h - the LMDB core at the bottom of db/: the environment, its flags
 * and map, transactions, and the recovery of LMDB's recoverable errors, so
 * that the tables above (consent, evidence, personal data, outbox, meta)
 * see only DB_* codes and never a full map they could have grown, a map
 * another process grew, or a reader table full of dead processes' slots.
 *
 * Private to db/.  Knows no table: the struct db_store of store_int.h
 * embeds one struct db_core.  Never logs; returns DB_* codes (store.h),
 * db_core_open explains a failure in the caller's err buffer.
 *
 * Threads: one core is shared by every thread of a process (the
 * environment is opened MDB_NOTLS).  The core counts the transactions it
 * began that have not ended (an atomic counter: a lookup takes no lock),
 * so growing the map (which LMDB allows only while the process has no
 * transaction) holds new ones back and waits for the running ones.  Each
 * thread keeps one reset read transaction of its own for lookups, renewed
 * for the next one; it goes back to the core's pool when the thread ends
 * and is aborted when the core closes.  A transaction begun here must therefore end with
 * db_core_commit or db_core_abort (any thread may end it), never with
 * mdb_txn_commit or mdb_txn_abort directly.
 */
#ifndef CG_DB_CORE_H
#define CG_DB_CORE_H

#include <lmdb.h>
#include <pthread.h>
#include <stddef.h>

#include "store.h"

/* Reset read transactions a core keeps for reuse. */
#define DB_CORE_RPOOL_MAX 16

struct db_core_slot;

struct db_core {
	MDB_env *env;
	int rdonly;
	size_t map_size;  /* the map this process uses now */
	size_t map_limit; /* the largest map it grows to */
	/* Transactions running, and a resize waiting for them to end. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int lock_ok;         /* lock and cond are initialised */
	_Atomic unsigned long active;
	_Atomic int resizing;
	/* Read-only transactions of single lookups, reset and kept for
	 * renewal (mdb_txn_renew) instead of begun and aborted each time;
	 * a reset transaction pins no snapshot and holds no lock. */
	pthread_mutex_t rpool_lock;
	int rpool_ok;
	unsigned int nrpool;
	MDB_txn *rpool[DB_CORE_RPOOL_MAX];
	/* The threads' own read transactions (core.c's struct
	 * db_core_slot), under core.c's slot lock. */
	struct db_core_slot *slots;
	/* Counters for tests and status: maps grown, reader slots freed. */
	unsigned long grown;
	unsigned long readers_freed;
};

/* An LMDB or errno code as a DB_* code. */
int db_from_mdb(int rc);

/*
 * The map sizes: start (what a new environment maps) and limit (how far a
 * full map grows, doubling).  64 GiB up to 256 GiB on 64-bit systems, a
 * fixed 1 GiB otherwise.  Tests set the environment variable
 * CONSENTGATE_MAPSIZE to "BYTES" (start and limit) or "START:LIMIT".
 * DB_ERR_INVALID (explained in err) for a value that is not that.
 */
int db_core_mapsize(size_t *start, size_t *limit, char *err, size_t errsz);

/*
 * Create and open the environment in dir (mode 0600 files; rdonly opens
 * MDB_RDONLY) with room for maxdbs named databases, then free the reader
 * slots of processes that died holding one.  On failure c->env may be set
 * (db_core_close frees it) and err says why.
 */
int db_core_open(struct db_core *c, const char *dir, int rdonly,
		 unsigned int maxdbs, size_t start, size_t limit, char *err,
		 size_t errsz);
/* Abort the pooled transactions and close the environment. */
void db_core_close(struct db_core *c);

/*
 * Begin a transaction (read-only when rdonly).  A map grown by another
 * process is adopted and a full reader table is cleared of dead
 * processes' slots (then waited for, about a second at most) before the
 * begin is retried.  DB_ERR_READONLY for a write transaction on a core
 * opened read-only.
 */
int db_core_begin(struct db_core *c, int rdonly, MDB_txn **txn);
/* Commit txn; LMDB frees it even when this fails. */
int db_core_commit(struct db_core *c, MDB_txn *txn);
/* Abort txn (NULL is allowed). */
void db_core_abort(struct db_core *c, MDB_txn *txn);

/* The same for a transaction of any core: the core is found through the
 * environment's user context, so callers need not carry it. */
int db_txn_commit(MDB_txn *txn);
void db_txn_abort(MDB_txn *txn);

/* A read-only transaction for one lookup (the thread's own renewed, else
 * one from the pool, else a new one) and its end (reset, kept by the
 * thread or put back into the pool). */
int db_core_read_begin(struct db_core *c, MDB_txn **txn);
void db_core_read_end(struct db_core *c, MDB_txn *txn);

/*
 * Run body(txn, arg) in one write transaction and commit it.  When the body
 * or the commit finds the map full, the transaction is aborted, the map is
 * doubled (up to the limit) and the whole body runs again from the start,
 * so body must do nothing outside txn that it cannot do twice.  Returns
 * body's code (the transaction is aborted when it is not DB_OK) or the
 * commit's; DB_ERR_FULL only when the map cannot grow any further.
 */
typedef int (*db_core_body)(MDB_txn *txn, void *arg);
int db_core_write(struct db_core *c, db_core_body body, void *arg);

/*
 * Grow the map after a write transaction found it full: the caller has
 * already ended that transaction.  DB_OK when the map grew (the caller may
 * run its transaction again), DB_ERR_FULL when it is at its limit or the
 * running transactions of other threads did not end in time.
 */
int db_core_grow(struct db_core *c);

#endif
