/*
 * core.c - the LMDB core of db/ (core.h): open the environment, begin and
 * end transactions, and recover from what LMDB lets a caller recover from.
 * In the spirit of Postfix's slmdb: a full map is grown and the write run
 * again, a map another process grew is adopted (MDB_MAP_RESIZED), and a
 * full reader table is cleared of dead processes' slots (mdb_reader_check)
 * and, failing that, waited for a little while the server keeps working.
 * A full map at its limit, and everything else, is returned as a DB_*
 * code; the callers above decide (the milter tempfails).
 *
 * Owns: the MDB_env, the resize lock, the pool of reset read transactions,
 * each thread's own reset read transaction (a slot freed when the thread
 * ends: pthread key destructor) and the transactions it begins until they
 * are committed or aborted through it.  Never logs.
 */
#include "core.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DB_CORE_MAXREADERS 512
#define DB_CORE_FILE_MODE 0600
/* Begins retried after freeing or waiting for reader slots (10 ms each),
 * and after adopting a map another process grew. */
#define DB_CORE_READER_TRIES 100
#define DB_CORE_RESIZED_TRIES 8
/* How long a grow waits for the other threads' transactions to end. */
#define DB_CORE_GROW_WAIT_S 2
/* Full-map reruns of one db_core_write (each doubles the map). */
#define DB_CORE_WRITE_TRIES 8

const char *
db_strerror(int code)
{
	switch (code) {
	case DB_OK:
		return "success";
	case DB_NOTFOUND:
		return "not found";
	case DB_ERR_IO:
		return "store I/O error";
	case DB_ERR_FULL:
		return "store map full";
	case DB_ERR_CORRUPT:
		return "store record corrupt";
	case DB_ERR_INVALID:
		return "invalid argument";
	case DB_ERR_NOMEM:
		return "out of memory";
	case DB_ERR_READONLY:
		return "store is read-only or not writable";
	case DB_ERR_VERSION:
		return "store written by an unknown format version";
	}
	return "unknown store error";
}

int
db_from_mdb(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return DB_OK;
	case MDB_NOTFOUND:
		return DB_NOTFOUND;
	case MDB_MAP_FULL:
		return DB_ERR_FULL;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
		return DB_ERR_CORRUPT;
	case MDB_VERSION_MISMATCH:
		return DB_ERR_VERSION;
	case MDB_BAD_VALSIZE:
	case EINVAL:
		return DB_ERR_INVALID;
	case ENOMEM:
		return DB_ERR_NOMEM;
	case EACCES:
	case EROFS:
		return DB_ERR_READONLY;
	}
	return DB_ERR_IO;
}

/* One size in bytes of CONSENTGATE_MAPSIZE: decimal, not 0. */
static int
db_core_size(const char *s, const char *end, size_t *out)
{
	unsigned long long v = 0;
	const char *p;

	if (s == end)
		return -1;
	for (p = s; p < end; p++) {
		if (*p < '0' || *p > '9' || v > (ULLONG_MAX - 9) / 10)
			return -1;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	if (v == 0 || v > SIZE_MAX)
		return -1;
	*out = (size_t)v;
	return 0;
}

int
db_core_mapsize(size_t *start, size_t *limit, char *err, size_t errsz)
{
	const char *env = getenv("CONSENTGATE_MAPSIZE"), *colon;

	if (SIZE_MAX > 0xffffffffu) {
		*start = (size_t)64 << 30;
		*limit = (size_t)256 << 30;
	} else {
		*start = *limit = (size_t)1 << 30;
	}
	if (env == NULL || *env == '\0')
		return DB_OK;
	colon = strchr(env, ':');
	if (colon == NULL && db_core_size(env, env + strlen(env), start) == 0) {
		*limit = *start;
		return DB_OK;
	}
	if (colon != NULL && db_core_size(env, colon, start) == 0 &&
	    db_core_size(colon + 1, colon + strlen(colon), limit) == 0 &&
	    *limit >= *start)
		return DB_OK;
	snprintf(err, errsz, "CONSENTGATE_MAPSIZE: not a size in bytes (or "
		 "START:LIMIT): %s", env);
	return DB_ERR_INVALID;
}

int
db_core_open(struct db_core *c, const char *dir, int rdonly,
	     unsigned int maxdbs, size_t start, size_t limit, char *err,
	     size_t errsz)
{
	unsigned int flags = MDB_NOTLS | (rdonly ? MDB_RDONLY : 0);
	MDB_envinfo info;
	int rc, dead;

	c->rdonly = rdonly;
	c->map_size = start;
	c->map_limit = limit;
	c->lock_ok = pthread_mutex_init(&c->lock, NULL) == 0;
	if (c->lock_ok && pthread_cond_init(&c->cond, NULL) != 0) {
		pthread_mutex_destroy(&c->lock);
		c->lock_ok = 0;
	}
	c->rpool_ok = pthread_mutex_init(&c->rpool_lock, NULL) == 0;
	rc = mdb_env_create(&c->env);
	if (rc == 0)
		rc = mdb_env_set_userctx(c->env, c);
	if (rc == 0)
		rc = mdb_env_set_mapsize(c->env, start);
	if (rc == 0)
		rc = mdb_env_set_maxreaders(c->env, DB_CORE_MAXREADERS);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(c->env, maxdbs);
	if (rc == 0)
		rc = mdb_env_open(c->env, dir, flags, DB_CORE_FILE_MODE);
	if (rc == 0) {
		/* The map may be larger than asked: another process grew it. */
		if (mdb_env_info(c->env, &info) == 0 &&
		    info.me_mapsize > c->map_size)
			c->map_size = info.me_mapsize;
		if (c->map_limit < c->map_size)
			c->map_limit = c->map_size;
		/* Slots of processes that died inside a read transaction. */
		if (mdb_reader_check(c->env, &dead) == 0 && dead > 0)
			c->readers_freed += (unsigned long)dead;
		return DB_OK;
	}
	if (rc == EACCES)
		snprintf(err, errsz,
			 "%s: permission denied (run as the store's owner)",
			 dir);
	else if (rc == EROFS)
		snprintf(err, errsz, "%s: read-only file system", dir);
	else
		snprintf(err, errsz, "%s: cannot open store: %s", dir,
			 mdb_strerror(rc));
	return db_from_mdb(rc);
}

static void db_core_slots_close(struct db_core *c);

void
db_core_close(struct db_core *c)
{
	unsigned int i;

	db_core_slots_close(c);
	for (i = 0; i < c->nrpool; i++)
		mdb_txn_abort(c->rpool[i]);
	c->nrpool = 0;
	if (c->env)
		mdb_env_close(c->env);
	c->env = NULL;
	if (c->rpool_ok)
		pthread_mutex_destroy(&c->rpool_lock);
	if (c->lock_ok) {
		pthread_cond_destroy(&c->cond);
		pthread_mutex_destroy(&c->lock);
	}
	c->rpool_ok = c->lock_ok = 0;
}

/* A transaction ended: the last one wakes a resize waiting for it. */
static void
db_core_leave(struct db_core *c)
{
	if (atomic_fetch_sub(&c->active, 1) == 1 &&
	    atomic_load(&c->resizing)) {
		pthread_mutex_lock(&c->lock);
		pthread_cond_broadcast(&c->cond);
		pthread_mutex_unlock(&c->lock);
	}
}

/* A transaction starts: count it, and when a resize runs, wait for its
 * end and count again.  The counter and the flag are sequentially
 * consistent atomics: either the resize sees the count or the
 * transaction sees the flag, so a lookup takes no lock. */
static int
db_core_enter(struct db_core *c)
{
	if (!c->lock_ok)
		return -1;
	for (;;) {
		atomic_fetch_add(&c->active, 1);
		if (!atomic_load(&c->resizing))
			return 0;
		db_core_leave(c);
		pthread_mutex_lock(&c->lock);
		while (atomic_load(&c->resizing))
			pthread_cond_wait(&c->cond, &c->lock);
		pthread_mutex_unlock(&c->lock);
	}
}

/*
 * Hold new transactions back and wait until none runs, for
 * DB_CORE_GROW_WAIT_S at most (a thread that still holds a transaction of
 * its own must not wait for itself forever).  0 with c->lock held and
 * c->resizing set (db_core_resume ends it), -1 when it timed out.
 */
static int
db_core_quiesce(struct db_core *c)
{
	struct timespec until;
	int rc = 0;

	if (!c->lock_ok)
		return -1;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += DB_CORE_GROW_WAIT_S;
	pthread_mutex_lock(&c->lock);
	while (atomic_load(&c->resizing) && rc == 0) /* one at a time */
		rc = pthread_cond_timedwait(&c->cond, &c->lock, &until);
	if (rc != 0) {
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	atomic_store(&c->resizing, 1);
	while (rc == 0 && atomic_load(&c->active) > 0)
		rc = pthread_cond_timedwait(&c->cond, &c->lock, &until);
	if (rc == 0)
		return 0;
	atomic_store(&c->resizing, 0);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return -1;
}

static void
db_core_resume(struct db_core *c)
{
	atomic_store(&c->resizing, 0);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* Adopt the map size another process grew the environment to. */
static int
db_core_adopt(struct db_core *c)
{
	MDB_envinfo info;
	int rc;

	if (db_core_quiesce(c) < 0)
		return MDB_MAP_RESIZED;
	rc = mdb_env_set_mapsize(c->env, 0);
	if (rc == 0 && mdb_env_info(c->env, &info) == 0)
		c->map_size = info.me_mapsize;
	db_core_resume(c);
	return rc;
}

/* Free dead processes' reader slots, or wait 10 ms for live ones. */
static void
db_core_readers(struct db_core *c)
{
	struct timespec ten_ms = {0, 10 * 1000 * 1000};
	int dead = 0;

	if (mdb_reader_check(c->env, &dead) == 0 && dead > 0) {
		c->readers_freed += (unsigned long)dead;
		return;
	}
	nanosleep(&ten_ms, NULL);
}

int
db_core_begin(struct db_core *c, int rdonly, MDB_txn **txn)
{
	int rc, readers = 0, resized = 0;

	*txn = NULL;
	if (!rdonly && c->rdonly)
		return DB_ERR_READONLY;
	for (;;) {
		if (db_core_enter(c) < 0)
			return DB_ERR_IO;
		rc = mdb_txn_begin(c->env, NULL, rdonly ? MDB_RDONLY : 0, txn);
		if (rc == 0)
			return DB_OK;
		*txn = NULL;
		db_core_leave(c);
		if (rc == MDB_MAP_RESIZED && resized++ < DB_CORE_RESIZED_TRIES &&
		    db_core_adopt(c) == 0)
			continue;
		if (rc == MDB_READERS_FULL && readers++ < DB_CORE_READER_TRIES) {
			db_core_readers(c);
			continue;
		}
		return db_from_mdb(rc);
	}
}

int
db_core_commit(struct db_core *c, MDB_txn *txn)
{
	int rc = mdb_txn_commit(txn);

	db_core_leave(c);
	return db_from_mdb(rc);
}

void
db_core_abort(struct db_core *c, MDB_txn *txn)
{
	if (txn == NULL)
		return;
	mdb_txn_abort(txn);
	db_core_leave(c);
}

/* The core of the environment txn belongs to (its user context). */
static struct db_core *
db_core_of(MDB_txn *txn)
{
	return mdb_env_get_userctx(mdb_txn_env(txn));
}

int
db_txn_commit(MDB_txn *txn)
{
	struct db_core *c = db_core_of(txn);

	if (c == NULL) /* an environment the core did not open (tests) */
		return db_from_mdb(mdb_txn_commit(txn));
	return db_core_commit(c, txn);
}

void
db_txn_abort(MDB_txn *txn)
{
	struct db_core *c;

	if (txn == NULL)
		return;
	if ((c = db_core_of(txn)) != NULL)
		db_core_abort(c, txn);
	else
		mdb_txn_abort(txn);
}

/*
 * Each thread's own read transaction: a slot in thread-specific data,
 * bound to the first core the thread reads from and listed in that core,
 * so that closing the core aborts the transaction (and unbinds the slot)
 * and the end of the thread hands it back to the core's pool.  Binding,
 * unbinding and the thread's end take db_core_slot_lock; a lookup does
 * not.  A thread reading from a second core meanwhile uses the pool.
 */
struct db_core_slot {
	_Atomic(struct db_core *) core; /* NULL: bound to none */
	MDB_txn *txn;                   /* reset, or NULL */
	struct db_core_slot *next;      /* in core->slots */
};

static pthread_mutex_t db_core_slot_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t db_core_slot_once = PTHREAD_ONCE_INIT;
static pthread_key_t db_core_slot_key;
static int db_core_slot_key_ok;
static _Thread_local struct db_core_slot *db_core_tls;

/* Put a reset transaction into c's pool, or abort it when the pool is
 * full. */
static void
db_core_pool_put(struct db_core *c, MDB_txn *txn)
{
	if (c->rpool_ok && pthread_mutex_lock(&c->rpool_lock) == 0) {
		if (c->nrpool < DB_CORE_RPOOL_MAX) {
			c->rpool[c->nrpool++] = txn;
			txn = NULL;
		}
		pthread_mutex_unlock(&c->rpool_lock);
	}
	if (txn != NULL)
		mdb_txn_abort(txn);
}

/* Remove slot from its core's list (db_core_slot_lock held). */
static void
db_core_slot_unlink(struct db_core *c, struct db_core_slot *slot)
{
	struct db_core_slot **pp;

	for (pp = &c->slots; *pp != NULL; pp = &(*pp)->next)
		if (*pp == slot) {
			*pp = slot->next;
			break;
		}
	slot->next = NULL;
}

/* The thread ended: its transaction goes back to its core's pool. */
static void
db_core_slot_free(void *arg)
{
	struct db_core_slot *slot = arg;
	struct db_core *c;

	pthread_mutex_lock(&db_core_slot_lock);
	c = atomic_load(&slot->core);
	if (c != NULL) {
		db_core_slot_unlink(c, slot);
		if (slot->txn != NULL)
			db_core_pool_put(c, slot->txn);
	}
	pthread_mutex_unlock(&db_core_slot_lock);
	free(slot);
}

static void
db_core_slot_init(void)
{
	db_core_slot_key_ok =
	    pthread_key_create(&db_core_slot_key, db_core_slot_free) == 0;
}

/* This thread's slot when it is bound to c (binding it when it is bound
 * to none), else NULL. */
static struct db_core_slot *
db_core_slot(struct db_core *c)
{
	struct db_core_slot *slot = db_core_tls;

	if (slot != NULL && atomic_load(&slot->core) == c)
		return slot;
	if (slot == NULL) {
		if (pthread_once(&db_core_slot_once, db_core_slot_init) != 0 ||
		    !db_core_slot_key_ok ||
		    (slot = calloc(1, sizeof(*slot))) == NULL)
			return NULL;
		if (pthread_setspecific(db_core_slot_key, slot) != 0) {
			free(slot);
			return NULL;
		}
		db_core_tls = slot;
	}
	if (atomic_load(&slot->core) != NULL)
		return NULL; /* bound to another core */
	pthread_mutex_lock(&db_core_slot_lock);
	slot->txn = NULL;
	slot->next = c->slots;
	c->slots = slot;
	atomic_store(&slot->core, c);
	pthread_mutex_unlock(&db_core_slot_lock);
	return slot;
}

/* The core closes: abort the threads' transactions, unbind their slots. */
static void
db_core_slots_close(struct db_core *c)
{
	struct db_core_slot *slot, *next;

	pthread_mutex_lock(&db_core_slot_lock);
	for (slot = c->slots; slot != NULL; slot = next) {
		next = slot->next;
		if (slot->txn != NULL)
			mdb_txn_abort(slot->txn);
		slot->txn = NULL;
		slot->next = NULL;
		atomic_store(&slot->core, NULL);
	}
	c->slots = NULL;
	pthread_mutex_unlock(&db_core_slot_lock);
}

/* A reset transaction to renew: the thread's own, else a pooled one. */
static MDB_txn *
db_core_read_take(struct db_core *c)
{
	struct db_core_slot *slot = db_core_tls;
	MDB_txn *t = NULL;

	if (slot != NULL && atomic_load(&slot->core) == c &&
	    slot->txn != NULL) {
		t = slot->txn;
		slot->txn = NULL;
		return t;
	}
	if (c->rpool_ok && pthread_mutex_lock(&c->rpool_lock) == 0) {
		if (c->nrpool > 0)
			t = c->rpool[--c->nrpool];
		pthread_mutex_unlock(&c->rpool_lock);
	}
	return t;
}

int
db_core_read_begin(struct db_core *c, MDB_txn **txn)
{
	MDB_txn *t = db_core_read_take(c);

	if (t != NULL) {
		if (db_core_enter(c) < 0) {
			mdb_txn_abort(t);
			return DB_ERR_IO;
		}
		if (mdb_txn_renew(t) == 0) {
			*txn = t;
			return DB_OK;
		}
		db_core_leave(c);
		mdb_txn_abort(t); /* e.g. MDB_MAP_RESIZED: begin handles it */
	}
	return db_core_begin(c, 1, txn);
}

void
db_core_read_end(struct db_core *c, MDB_txn *txn)
{
	struct db_core_slot *slot;

	mdb_txn_reset(txn);
	db_core_leave(c);
	slot = db_core_slot(c);
	if (slot != NULL && slot->txn == NULL) {
		slot->txn = txn;
		return;
	}
	db_core_pool_put(c, txn);
}

/* Double the map from seen (the size the failed transaction ran with). */
static int
db_core_grow_from(struct db_core *c, size_t seen)
{
	size_t next;
	int rc;

	if (c->rdonly || db_core_quiesce(c) < 0)
		return DB_ERR_FULL;
	if (c->map_size != seen) { /* another thread grew it meanwhile */
		db_core_resume(c);
		return DB_OK;
	}
	next = c->map_size <= c->map_limit / 2 ? c->map_size * 2
					       : c->map_limit;
	rc = DB_ERR_FULL;
	if (next > c->map_size && mdb_env_set_mapsize(c->env, next) == 0) {
		c->map_size = next;
		c->grown++;
		rc = DB_OK;
	}
	db_core_resume(c);
	return rc;
}

int
db_core_grow(struct db_core *c)
{
	return db_core_grow_from(c, c->map_size);
}

int
db_core_write(struct db_core *c, db_core_body body, void *arg)
{
	MDB_txn *txn;
	size_t seen;
	int rc, tries;

	for (tries = 0;; tries++) {
		if ((rc = db_core_begin(c, 0, &txn)) != DB_OK)
			return rc;
		seen = c->map_size;
		rc = body(txn, arg);
		if (rc == DB_OK)
			rc = db_core_commit(c, txn);
		else
			db_core_abort(c, txn);
		if (rc != DB_ERR_FULL || tries >= DB_CORE_WRITE_TRIES ||
		    db_core_grow_from(c, seen) != DB_OK)
			return rc;
	}
}
