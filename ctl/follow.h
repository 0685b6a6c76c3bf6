/*
 * follow.h - what the two files of consentctl follow share: the follower's
 * state (ctl/cmd_follow.c runs the loop, ctl/follow_sync.c talks SQL to the
 * centre and hands rows to db/replica.h).  Only built with libpq.
 */
#ifndef CG_FOLLOW_H
#define CG_FOLLOW_H

#include <libpq-fe.h>
#include <signal.h>
#include <stdint.h>

#include "../db/replica.h"

#define CTL_FOLLOW_BATCH 1000     /* default --batch */
#define CTL_FOLLOW_FETCH 10000    /* rows per FETCH during a resync */
#define CTL_FOLLOW_FETCH_TEXT "10000"
#define CTL_FOLLOW_HOST_MAX 255
#define CTL_FOLLOW_TRIES 5        /* default --max-tries */

/* One follower; everything borrowed is borrowed from argv or main. */
struct ctl_follow {
	struct db_store *store;  /* owned by the command */
	PGconn *pg;              /* NULL while disconnected */
	const char *conninfo;    /* --pg */
	char host[CTL_FOLLOW_HOST_MAX + 1]; /* --host or gethostname */
	int batch;               /* changes per LMDB transaction */
	int resync;              /* a full resync is due */
	int64_t last_id;         /* repl.last_id as last read or written */
	uint64_t applied;        /* changes applied since start (for logs) */
	uint64_t pushed;         /* outbox entries pushed since start */
	int host_given;          /* --host named the host (else: the role) */
	unsigned int max_tries;  /* refusals before an entry is a dead letter */
	uint64_t fail_key;       /* the outbox entry the centre refused last */
	unsigned int fail_tries; /* ... and how often in a row */
	int64_t stuck_logged;    /* the stuck change id already logged */
	char stuck_why[DB_REPLICA_WHY_MAX]; /* a resync's unstorable row */
	int watch;               /* db_watch_open descriptor, -1: poll */
	long verify_every;       /* FollowVerifyInterval seconds; 0 off */
	int64_t verify_next;     /* unix seconds the next periodic verify is due */
};

/*
 * The connection's last error as one line (libpq's are several, with
 * tabs and a trailing newline).  Static buffer, valid until the next call.
 */
const char *ctl_pg_error(PGconn *pg);
/* Route the server's notices and warnings to the log, one line each. */
void ctl_pg_notices(PGconn *pg);

/* Set by SIGTERM and SIGINT; every loop checks it. */
extern volatile sig_atomic_t ctl_follow_stop;

/*
 * The steps of one cycle.  Each returns 0 when done, 1 when there may be
 * more to do (a full batch), -1 for a failure of the centre or the
 * connection (logged; the caller backs off and reconnects when the
 * connection is gone), -2 for a store failure (logged; the caller gives
 * up), -3 when the next central change cannot be stored here (pull and
 * resync: logged once, the store marked stuck; the caller backs off and
 * tries again, so a fix at the centre lets it go on).
 */
int ctl_follow_push(struct ctl_follow *f);
int ctl_follow_pull(struct ctl_follow *f);
int ctl_follow_resync(struct ctl_follow *f);
/*
 * Compare the replica with the centre per address range and name the
 * differing addresses on stdout (ctl/follow_verify.c); records the result
 * and its evidence in the store.  The number of differing addresses, or
 * -1 (centre) / -2 (store) / -3 (stuck while catching up).
 */
int ctl_follow_verify(struct ctl_follow *f);
/*
 * The periodic verify of the running follower (FollowVerifyInterval):
 * when f->verify_next has come and nothing waits in the outbox (a local
 * change not yet pushed is a difference that is no fault), run
 * ctl_follow_verify and log its result; the next one is due verify_every
 * seconds later (a minute after a check that could not compare, ten
 * seconds while the outbox is busy).  0, or -1 / -2 / -3 as
 * ctl_follow_verify.
 */
int ctl_follow_verify_tick(struct ctl_follow *f);

#endif
