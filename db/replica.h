/*
 * replica.h - the local side of replication between a host's LMDB store and
 * the central PostgreSQL database (contrib/postgresql/schema.sql): the
 * outbox of local changes (db/outbox.c) and the applying of central changes
 * (db/replica.c).  consentctl follow is the only caller that moves data;
 * consentctl status and the milter only read the small state.
 *
 * Once replication is enabled (db_replica_enable, meta key "repl.outbox"),
 * every local consent write, consent delete and evidence append also
 * writes an outbox entry in the same LMDB transaction, so a change reaches
 * the centre exactly when it is committed locally.  Changes applied from
 * the centre go through this module and write no outbox entry.
 *
 * The meta database holds, as decimal text:
 *   repl.outbox   "1" when replication is enabled
 *   repl.last_id  id of the last central change applied (consent_change.id)
 *   repl.synced   unix seconds of the last successful exchange with the centre
 *   repl.verified unix seconds of the last follow --verify (replica_digest.c)
 *   repl.verify_diff  how many addresses that verify found differing
 *   repl.resync   "1" while a full resync is under way (it commits in
 *                 batches; a follower that finds it set resyncs again)
 * last_id is written in the same transaction as the changes it covers, so a
 * change is applied exactly once even when the follower is killed.
 *
 * Like the rest of db/, nothing here logs; functions return DB_* codes.
 */
#ifndef CG_REPLICA_H
#define CG_REPLICA_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* An apply or resync found last_id other than the caller expected:
 * another follower runs on the same store. */
#define DB_ERR_STALE (-20)

#define DB_REPLICA_WHY_MAX 400

/* What replication knows about a store (db_replica_status). */
struct db_replica_state {
	int enabled;        /* the outbox is on */
	int64_t last_id;    /* 0: nothing applied yet */
	int64_t synced;     /* unix seconds; 0 never */
	uint64_t outbox;    /* entries waiting to be pushed */
	uint64_t records;   /* consent records held */
	uint64_t dead;      /* dead letters (outbox entries the centre refused) */
	int64_t stuck_id;   /* 0, or the central change the follower cannot
			     * apply and stopped at */
	char stuck_why[DB_REPLICA_WHY_MAX]; /* its reason, "" when not stuck */
	int64_t verified;   /* unix seconds of the last follow --verify, 0 never */
	int64_t verify_diff; /* addresses it found differing (0: match) */
	int64_t resync;     /* 1: a full resync began and did not finish */
};

/* Read the state in one read transaction.  DB_OK or <0. */
int db_replica_status(struct db_store *s, struct db_replica_state *out);
/*
 * Seconds since the last successful sync (now - repl.synced) into *age.
 * DB_OK, DB_NOTFOUND when the store is no replica (never synced), or <0.
 * Cheap: one read transaction, meant to be called per decision.
 */
int db_replica_age(struct db_store *s, int64_t now, int64_t *age);

/*
 * Turn the outbox on.  The first time, every consent record the store
 * already holds is queued too (in the same transaction), so that a host
 * joining with local data pushes it before it takes the centre's.
 * *queued (may be NULL) gets that number, 0 when already enabled.
 */
int db_replica_enable(struct db_store *s, uint64_t *queued);
/*
 * For the follower's own handle of the store: its commits flush the data
 * but not the meta page (MDB_NOMETASYNC), one flush less on the way from
 * the centre to the gate.  A system crash may then undo the follower's
 * last commit, never corrupt the store: an applied batch is undone with
 * its last_id and pulled again, an acknowledgement pushed again (the
 * centre takes it as a no-op).  The milter's and consentctl's commits stay
 * fully synchronous (the flag belongs to this process's handle), and the
 * next of them flushes the meta page too.
 */
int db_replica_follower_sync(struct db_store *s);
/* Record a successful exchange with the centre: repl.synced = now. */
int db_replica_touch(struct db_store *s, int64_t now);
/*
 * The follower stopped at central change id (0 for a resync) because this
 * store cannot hold it: remember it (meta "repl.stuck", "ID WHY") until a
 * later apply or resync commits, which clears it.  The gate goes on
 * deciding from the last good state; db_replica_health reports the id.
 */
int db_replica_set_stuck(struct db_store *s, int64_t id, const char *why);
/*
 * db_replica_age and the stuck change id (0 when not stuck) in one read
 * transaction, for the evidence of each decision.
 */
int db_replica_health(struct db_store *s, int64_t now, int64_t *age,
		      int64_t *stuck_id);

/* ---- verifying a replica (db/replica_digest.c) ---- */

/*
 * The digest of the replicated fields, per address range, as the centre's
 * consent_verify_buckets() computes it; the definition is at the top of
 * db/replica_digest.c.
 */
#define DB_DIGEST_BUCKETS 256
struct db_digest_bucket {
	uint64_t n;             /* records in the range */
	char hex[DB_HASH_HEX];  /* "" when n is 0 */
};
/* The range (0..255) of a normalised address. */
int db_digest_bucket_of(const char *addr);
/* The row digest of one record (hex SHA-256 of its line). */
int db_digest_row(const char *addr, const struct db_consent *c,
		  char hex[DB_HASH_HEX]);
/* The line of the digest itself (malloc'd, NULL out of memory), to name
 * the fields that differ. */
char *db_digest_text(const char *addr, const struct db_consent *c);
/* Every range of the store, in one read transaction. */
int db_digest_buckets(struct db_store *s,
		      struct db_digest_bucket out[DB_DIGEST_BUCKETS]);
/* Called per record of a range in address order; non-zero stops. */
typedef int (*db_digest_row_cb)(const char *addr, const char *hex,
				void *arg);
int db_digest_rows(struct db_store *s, int bucket, db_digest_row_cb cb,
		   void *arg);
/*
 * Remember the result of a verification (meta "repl.verified" = now,
 * "repl.verify_diff" = differing) with its evidence record e (may be
 * NULL) in one transaction; db_replica_status reports it.
 */
int db_replica_set_verified(struct db_store *s, int64_t now,
			    uint64_t differing, const struct db_evidence *e);

/* ---- waking the follower (db/watch.c) ---- */

/*
 * A descriptor (non-blocking, for select/poll) that becomes readable
 * after any process committed to store s, or a negative DB_* code when
 * this system cannot watch it (then poll).  Drain it before reading the
 * store: db_watch_drain returns 1 when events were read, 0 when none
 * were waiting, <0 on error.
 */
int db_watch_open(struct db_store *s);
int db_watch_drain(int fd);
void db_watch_close(int fd);

/* ---- outbox (db/outbox.c) ---- */

enum db_outbox_kind {
	DB_OUTBOX_CONSENT = 'c', /* a record was written: addr and c */
	DB_OUTBOX_DELETE = 'd',  /* a record was removed: addr */
	DB_OUTBOX_EVIDENCE = 'e', /* evidence appended: seq, ref, json */
	DB_OUTBOX_FORGET = 'f'    /* a subject forgotten: json holds its
				   * hashes, comma-joined; ref "forget" */
};

/* One outbox entry as read by db_outbox_read. */
struct db_outbox_entry {
	uint64_t key;           /* outbox position */
	int kind;               /* enum db_outbox_kind */
	char addr[ADDR_MAX + 1];
	struct db_consent c;
	uint64_t seq;           /* evidence sequence */
	char ref[DB_REF_MAX + 1];
	char *json;             /* evidence text (NUL-terminated), or NULL */
};

/*
 * Copy up to max of the oldest outbox entries into a new array *out (*n
 * entries; caller frees with db_outbox_free; NULL when none was read).
 * An entry that does not decode is DB_ERR_CORRUPT.
 */
int db_outbox_read(struct db_store *s, size_t max,
		   struct db_outbox_entry **out, size_t *n);
void db_outbox_free(struct db_outbox_entry *e, size_t n);

/* The centre's row for a pushed record that the centre refused, to be
 * applied locally so both sides agree (deleted: the centre has none). */
struct db_replica_fix {
	char addr[ADDR_MAX + 1];
	int deleted;
	struct db_consent c;
};

/*
 * After the centre committed the entries read: delete every entry with key
 * <= upto, and in the same transaction apply the fixes, except for
 * addresses that have a newer outbox entry (that one is pushed next).
 */
int db_outbox_ack(struct db_store *s, uint64_t upto,
		  const struct db_replica_fix *fix, size_t nfix);

/* ---- dead letters (db/outbox_dead.c) ---- */

/*
 * An outbox entry the centre refused several times (a row that breaks a
 * constraint, text that is not UTF-8) is moved aside as a dead letter, so
 * that the entries after it flow again.  Each move, retry and drop is one
 * transaction together with the evidence record e (not NULL).
 */
struct db_outbox_dead {
	struct db_outbox_entry e;  /* the entry as it was queued */
	int64_t time;              /* when it was set aside */
	unsigned int tries;        /* pushes the centre refused */
	char why[DB_REPLICA_WHY_MAX]; /* the centre's last error */
};
/* Move outbox entry key to the dead letters.  DB_NOTFOUND when no such
 * entry waits. */
int db_outbox_bury(struct db_store *s, uint64_t key, unsigned int tries,
		   const char *why, int64_t now, const struct db_evidence *e);
/* Every dead letter, oldest first, into *out (free with
 * db_outbox_dead_free). */
int db_outbox_dead_list(struct db_store *s, struct db_outbox_dead **out,
			size_t *n);
void db_outbox_dead_free(struct db_outbox_dead *d, size_t n);
/*
 * Queue dead letter key again and remove it.  An evidence entry goes back
 * as it was; for a consent or delete entry the record as it stands now is
 * queued (or its removal when the store no longer has it), since an older
 * copy must not overtake newer changes.  DB_NOTFOUND when no such letter.
 */
int db_outbox_dead_retry(struct db_store *s, uint64_t key,
			 const struct db_evidence *e);
/* Remove dead letter key for good.  DB_NOTFOUND when no such letter. */
int db_outbox_dead_drop(struct db_store *s, uint64_t key,
			const struct db_evidence *e);

/* ---- applying central changes (db/replica.c) ---- */

enum db_replica_op {
	DB_REPLICA_PUT = 1,
	DB_REPLICA_DELETE = 2,
	DB_REPLICA_SKIP = 3 /* a change a later one for the same address
			     * replaces: not applied (result SUPERSEDED) */
};

/* Outcome of one change, set by db_replica_apply and resync. */
enum db_replica_result {
	DB_REPLICA_APPLIED = 0,
	DB_REPLICA_LOCAL = 1,  /* skipped: a local change waits in the outbox */
	DB_REPLICA_INVALID = 2, /* skipped: address or record not storable */
	DB_REPLICA_REFUSED = 3, /* skipped: it would turn a local withdrawal
				 * into consent (why says how) */
	DB_REPLICA_SUPERSEDED = 4 /* op DB_REPLICA_SKIP */
};


struct db_replica_change {
	int64_t id;
	int op;                  /* enum db_replica_op */
	char addr[ADDR_MAX + 1]; /* as the centre holds it */
	struct db_consent c;     /* for DB_REPLICA_PUT */
	int forced;              /* an administrator overrode the centre's
				  * guard (consent_change.note): applied over
				  * a local withdrawal when the row's own
				  * time is not older than it */
	int result;              /* out: enum db_replica_result */
	char why[240];           /* out: the reason of DB_REPLICA_REFUSED */
};

/*
 * Can this store hold the change?  NULL when it can, else a static
 * sentence: the address is not in the normal form addr_normalise gives,
 * or the record breaks db_consent_check.  The follower stops at such a
 * change (db_replica_set_stuck) instead of skipping it.
 */
const char *db_replica_storable(const struct db_replica_change *ch);

/*
 * Apply n changes (in id order) in one write transaction without outbox
 * entries, and set repl.last_id = last and repl.synced = now in it.  The
 * stored last_id must equal expect (DB_ERR_STALE otherwise; nothing
 * written).  A change for an address with an outbox entry is skipped: the
 * local change wins until the centre has judged it.  Each change's result
 * says what happened.  The caller passes only storable changes
 * (db_replica_storable); one that is not is DB_ERR_INVALID and nothing is
 * written.  A commit clears the stuck mark.  A change that turns the
 * record (or one of its lists) withdrawn here appends, in the same
 * transaction, a consent evidence record with the address as recipient,
 * action "withdraw", time now and the note "source=replica, change=ID,
 * at=WITHDRAWAL-TIME[, list=NAME]": the proof of when the centre's
 * withdrawal reached this host (a resync writes it too, change=0; a
 * withdrawal already held here writes nothing).
 */
int db_replica_apply(struct db_store *s, int64_t expect,
		     struct db_replica_change *ch, size_t n, int64_t last,
		     int64_t now);

/*
 * Full resync, in batches so that the milter's evidence and consent
 * writes never wait for more than one (DB_REPLICA_RESYNC_ROWS rows, one
 * write transaction each; readers never wait).  begin sets the mark
 * repl.resync; put takes the centre's rows in strictly ascending byte
 * order of the address (PostgreSQL: ORDER BY address COLLATE "C", which is
 * LMDB's key order; an address out of order is DB_ERR_INVALID), applies
 * each (db_replica_one with resync) and removes the local records between
 * two central rows, i.e. those the centre does not hold, except records
 * with outbox entries; commit removes the local records after the last
 * row, sets repl.last_id and repl.synced, clears the stuck mark and the
 * resync mark.  abort gives up the open batch; the batches before it stay
 * and the mark stays set, so the next follower resyncs again.  *out is
 * freed by commit or abort.
 */
#define DB_REPLICA_RESYNC_ROWS 1000
struct db_replica_txn;
int db_replica_resync_begin(struct db_store *s, struct db_replica_txn **out);
int db_replica_resync_put(struct db_replica_txn *t,
			  struct db_replica_change *ch);
int db_replica_resync_commit(struct db_replica_txn *t, int64_t last,
			     int64_t now);
void db_replica_resync_abort(struct db_replica_txn *t);

#endif
