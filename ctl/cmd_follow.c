/*
 * cmd_follow.c - consentctl follow: keep this host's store a replica of
 * the central PostgreSQL database and push this host's own changes
 * (outbox) to it.
 *
 *   consentctl -d DIR follow --pg CONNINFO [--host NAME] [--once]
 *                            [--verify] [--resync] [--batch N]
 *                            [--max-tries N] [-v]
 *
 * The loop: connect, LISTEN consent_change, then push the outbox, pull
 * the change log (or resync) until caught up, and wait for a
 * notification of the centre, a commit to the store that left an outbox
 * entry (db_watch_open: inotify, so a local change is pushed at once; a
 * poll every 50 ms without it) or the heartbeat.  Without a connection it
 * tries again every second (the centre's return is noticed within one);
 * every other failure - a statement the centre refuses, missing
 * privileges, a central change this store cannot hold - is retried with
 * exponential backoff (1 s doubling to 60 s, reset by a good cycle); the
 * gate meanwhile decides from the replica as it stands.  An outbox entry the centre refuses --max-tries
 * times in a row (default 5) becomes a dead letter (consentctl outbox); a
 * central change this store cannot hold stops the pull at that change
 * (consentctl status then exits 3) until the centre corrects it.  The host
 * name (evidence.host, consent_change.origin) is the login role unless
 * --host names it; the centre's row-level security wants the two equal.  SIGTERM and SIGINT
 * stop the loop between two steps (a batch is never left half applied:
 * each is one LMDB transaction).  --once pushes and pulls what is there
 * and exits: 0 caught up, 1 the centre or the store failed.  --verify
 * does the same, then compares the replica with the centre
 * (ctl/follow_verify.c) and exits 0 when they match, 3 when addresses
 * differ (named on stdout), 1 when it could not compare.  The running
 * follower makes the same check every FollowVerifyInterval seconds (of
 * the config given with -c; 3600 without one; 0 off) and records it the
 * same way, so status exits 3 after one that found differences.
 *
 * Owns: the store handle and the PostgreSQL connection (closed before
 * return), and the SIGTERM/SIGINT handlers.  Logs to stderr through
 * common/log.h ("consentctl-follow: ..."), one line per connection change,
 * resync and failure.
 *
 * Built without libpq (no libpq-dev when make ran), follow only says so.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "../gate/config.h"
#include "../common/log.h"
#include "ctl.h"

#ifdef CG_HAVE_LIBPQ

#include "follow.h"

#define CTL_FOLLOW_TICK_MS 1000    /* safety poll and stop check */
#define CTL_FOLLOW_POLL_MS 50      /* outbox poll without a store watch */
#define CTL_FOLLOW_PROBE_MS 1000   /* connect tries while the centre is down */
#define CTL_FOLLOW_HEARTBEAT 10    /* seconds between idle pulls */
#define CTL_FOLLOW_BACKOFF_MAX 60  /* seconds */
#define CTL_FOLLOW_VERIFY_EVERY 3600 /* FollowVerifyInterval's default */

volatile sig_atomic_t ctl_follow_stop;

static void
ctl_follow_signal(int sig)
{
	(void)sig;
	ctl_follow_stop = 1;
}

static void
ctl_follow_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ctl_follow_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: select() returns at once with EINTR. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* Sleep up to ms milliseconds, returning early on a stop signal. */
static void
ctl_follow_sleep(long ms)
{
	struct timespec ts;

	while (ms > 0 && !ctl_follow_stop) {
		ts.tv_sec = 0;
		ts.tv_nsec = (ms > 100 ? 100 : ms) * 1000000L;
		nanosleep(&ts, NULL);
		ms -= 100;
	}
}

static void
ctl_follow_disconnect(struct ctl_follow *f)
{
	if (f->pg)
		PQfinish(f->pg);
	f->pg = NULL;
}

/* Connect, name ourselves as the origin of our changes, LISTEN.  quiet:
 * a failed connect is logged as debug only (the probes of an outage). */
static int
ctl_follow_connect(struct ctl_follow *f, int quiet)
{
	const char *p[1] = {f->host};
	PGresult *r;
	int ok;

	f->pg = PQconnectdb(f->conninfo);
	if (f->pg != NULL)
		ctl_pg_notices(f->pg);
	if (PQstatus(f->pg) != CONNECTION_OK) {
		if (quiet)
			log_debug("cannot connect to the centre: %s",
				  ctl_pg_error(f->pg));
		else
			log_warn("cannot connect to the centre: %s",
				 ctl_pg_error(f->pg));
		ctl_follow_disconnect(f);
		return -1;
	}
	/* The centre knows a host by its login role (roles.sql). */
	if (!f->host_given)
		snprintf(f->host, sizeof(f->host), "%s", PQuser(f->pg));
	r = PQexecParams(f->pg, "SELECT set_config('consentgate.origin', $1, "
			 "false), set_config('application_name', "
			 "'consentctl follow', false)", 1, NULL, p, NULL, NULL,
			 0);
	ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	PQclear(r);
	if (ok) {
		r = PQexec(f->pg, "LISTEN consent_change");
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
	}
	if (!ok) {
		log_warn("centre: cannot set up the session: %s",
			 ctl_pg_error(f->pg));
		ctl_follow_disconnect(f);
		return -1;
	}
	log_info("connected to the centre (host %s, port %s, database %s); "
		 "last applied id %lld", PQhost(f->pg), PQport(f->pg),
		 PQdb(f->pg), (long long)f->last_id);
	return 0;
}

/* Push, then resync or pull until caught up.  0, -1 centre, -2 store,
 * -3 stuck.  An entry the centre refused does not keep the centre's
 * changes out: the pull runs, then the cycle reports the refusal. */
static int
ctl_follow_cycle(struct ctl_follow *f)
{
	int rc, pushed;

	do {
		pushed = ctl_follow_push(f);
	} while (pushed == 1 && !ctl_follow_stop);
	if (pushed < 0 && (pushed != -1 || PQstatus(f->pg) != CONNECTION_OK ||
			   PQtransactionStatus(f->pg) != PQTRANS_IDLE))
		return pushed;
	do {
		if (f->resync && (rc = ctl_follow_resync(f)) < 0)
			return rc;
		rc = ctl_follow_pull(f);
	} while (rc == 1 && !ctl_follow_stop);
	return rc == 0 && pushed < 0 ? pushed : rc;
}

/* Drain notifications; 1 when one arrived, -1 when the link broke. */
static int
ctl_follow_notified(struct ctl_follow *f)
{
	PGnotify *n;
	int got = 0;

	if (!PQconsumeInput(f->pg)) {
		log_warn("centre: connection lost: %s", ctl_pg_error(f->pg));
		return -1;
	}
	while ((n = PQnotifies(f->pg)) != NULL) {
		got = 1;
		PQfreemem(n);
	}
	return got;
}

/* Drain the store watch: 1 when a commit was seen; on an error poll from
 * now on. */
static int
ctl_follow_watch_drain(struct ctl_follow *f)
{
	int rc;

	if (f->watch < 0)
		return 0;
	if ((rc = db_watch_drain(f->watch)) < 0) {
		log_warn("store watch failed; polling the outbox every %d ms",
			 CTL_FOLLOW_POLL_MS);
		db_watch_close(f->watch);
		f->watch = -1;
		return 0;
	}
	return rc;
}

/*
 * Wait for a notification of the centre (LISTEN consent_change), a commit
 * to the store that left an outbox entry (the store watch, db/watch.c),
 * the periodic verify or the heartbeat.  0 when a cycle is due, -1 when the connection broke.
 * After a commit was seen the outbox is read again 2, 12 and 62 ms later:
 * LMDB publishes a commit to new readers a moment after the write that
 * wakes us, and no further event follows.
 */
static int
ctl_follow_wait(struct ctl_follow *f)
{
	static const long again_ms[] = {50, 10, 2};
	struct db_replica_state st;
	struct timeval tv;
	time_t start = time(NULL);
	fd_set fds;
	int sock, rc, top, again = 0;
	long ms;

	while (!ctl_follow_stop) {
		/* Drain before reading: a commit after the read wakes us. */
		if (ctl_follow_watch_drain(f))
			again = 3;
		if ((rc = ctl_follow_notified(f)) != 0)
			return rc < 0 ? -1 : 0;
		if (db_replica_status(f->store, &st) == DB_OK && st.outbox > 0)
			return 0;
		if (time(NULL) - start >= CTL_FOLLOW_HEARTBEAT ||
		    (f->verify_every > 0 && ctl_now() >= f->verify_next))
			return 0;
		sock = PQsocket(f->pg);
		if (sock < 0)
			return -1;
		FD_ZERO(&fds);
		FD_SET(sock, &fds);
		top = sock;
		if (f->watch >= 0) {
			FD_SET(f->watch, &fds);
			top = f->watch > top ? f->watch : top;
		}
		ms = again > 0 ? again_ms[--again] : f->watch >= 0
			 ? CTL_FOLLOW_TICK_MS : CTL_FOLLOW_POLL_MS;
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		if (select(top + 1, &fds, NULL, NULL, &tv) < 0 &&
		    errno != EINTR) {
			log_warn("select: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Sleep for the backoff and double it (capped). */
static void
ctl_follow_backoff(int *backoff)
{
	log_info("retrying in %d s", *backoff);
	ctl_follow_sleep(*backoff * 1000L);
	*backoff = *backoff * 2 > CTL_FOLLOW_BACKOFF_MAX ? CTL_FOLLOW_BACKOFF_MAX
							 : *backoff * 2;
}

/*
 * Without a connection: try again every CTL_FOLLOW_PROBE_MS, so that the
 * centre's return is noticed within that (a refused connect costs the
 * centre nothing); said once per outage, then every minute.
 */
static void
ctl_follow_probe(unsigned int *probes)
{
	if (*probes % (60000 / CTL_FOLLOW_PROBE_MS) == 0)
		log_info("no centre: trying again every %d ms (%u tries so far)",
			 CTL_FOLLOW_PROBE_MS, *probes);
	(*probes)++;
	ctl_follow_sleep(CTL_FOLLOW_PROBE_MS);
}

/*
 * The loop; returns the exit code.  Without a connection (the centre is
 * down or unreachable) it tries again every CTL_FOLLOW_PROBE_MS; every
 * other failure (a statement the centre refused, missing privileges, a
 * change this store cannot hold) waits for the backoff, 1 s doubling to
 * 60 s.  A cycle that succeeds resets both.  The connection is dropped
 * only when it is broken.
 */
static int
ctl_follow_run(struct ctl_follow *f, int once)
{
	unsigned int probes = 0;
	int backoff = 1, rc;

	while (!ctl_follow_stop) {
		if (f->pg == NULL && ctl_follow_connect(f, probes > 0) < 0) {
			if (once)
				return CTL_EXIT_REFUSED;
			ctl_follow_probe(&probes);
			continue;
		}
		rc = ctl_follow_cycle(f);
		if (rc == 0 && !once)
			rc = ctl_follow_verify_tick(f);
		if (rc == -2)
			return CTL_EXIT_REFUSED;
		if (rc == 0) {
			backoff = 1;
			probes = 0;
			if (once)
				return CTL_EXIT_OK;
			if (ctl_follow_wait(f) == 0)
				continue;
		}
		if (ctl_follow_stop)
			break;
		if (f->pg != NULL && PQstatus(f->pg) != CONNECTION_OK)
			rc = -1;
		if (rc != -3 && (f->pg == NULL ||
				 PQstatus(f->pg) != CONNECTION_OK ||
				 PQtransactionStatus(f->pg) != PQTRANS_IDLE)) {
			log_warn("lost the centre; the replica stays as it is "
				 "(last applied id %lld)", (long long)f->last_id);
			ctl_follow_disconnect(f);
			if (once)
				return CTL_EXIT_REFUSED;
			ctl_follow_probe(&probes);
			continue;
		}
		if (once)
			return CTL_EXIT_REFUSED;
		ctl_follow_backoff(&backoff);
	}
	log_info("stopping: %llu changes applied, %llu outbox entries "
		 "pushed", (unsigned long long)f->applied,
		 (unsigned long long)f->pushed);
	return CTL_EXIT_OK;
}

/* follow --verify: one cycle, then the comparison; the exit code. */
static int
ctl_follow_verify_run(struct ctl_follow *f)
{
	int rc;

	if (ctl_follow_connect(f, 0) < 0)
		return CTL_EXIT_REFUSED;
	rc = ctl_follow_cycle(f);
	if (rc == -2 || PQstatus(f->pg) != CONNECTION_OK)
		return CTL_EXIT_REFUSED;
	if (PQtransactionStatus(f->pg) != PQTRANS_IDLE)
		PQclear(PQexec(f->pg, "ROLLBACK"));
	rc = ctl_follow_verify(f);
	if (rc < 0)
		return CTL_EXIT_REFUSED;
	return rc > 0 ? CTL_EXIT_ATTENTION : CTL_EXIT_OK;
}

/* Parse the options into f. */
static int
ctl_follow_parse(const struct ctl_command *cmd, int argc, char **argv,
		 struct ctl_follow *f, int *once, int *verify)
{
	static const struct option opts[] = {
		{"pg", required_argument, NULL, 'p'},
		{"host", required_argument, NULL, 'H'},
		{"once", no_argument, NULL, 'o'},
		{"verify", no_argument, NULL, 'V'},
		{"resync", no_argument, NULL, 'r'},
		{"batch", required_argument, NULL, 'b'},
		{"max-tries", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0}};
	char *end;
	long v;
	int o;

	while ((o = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (o) {
		case 'p':
			f->conninfo = optarg;
			break;
		case 'H':
			if (optarg[0] == '\0' ||
			    strlen(optarg) > CTL_FOLLOW_HOST_MAX) {
				ctl_error("--host: 1 to %d bytes",
					  CTL_FOLLOW_HOST_MAX);
				return CTL_EXIT_USAGE;
			}
			snprintf(f->host, sizeof(f->host), "%s", optarg);
			f->host_given = 1;
			break;
		case 'o':
			*once = 1;
			break;
		case 'V':
			*verify = 1;
			break;
		case 'r':
			f->resync = 1;
			break;
		case 'b':
			v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < 1 || v > 100000) {
				ctl_error("--batch: a number from 1 to 100000");
				return CTL_EXIT_USAGE;
			}
			f->batch = (int)v;
			break;
		case 't':
			v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < 1 || v > 1000) {
				ctl_error("--max-tries: a number from 1 to 1000");
				return CTL_EXIT_USAGE;
			}
			f->max_tries = (unsigned int)v;
			break;
		case 'v':
			log_set_debug(1);
			break;
		default:
			return ctl_usage(cmd);
		}
	}
	if (f->conninfo == NULL || optind != argc)
		return ctl_usage(cmd);
	return CTL_EXIT_OK;
}

int
ctl_cmd_follow(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	       char **argv)
{
	struct ctl_follow f;
	struct db_replica_state st;
	uint64_t queued = 0;
	int once = 0, verify = 0, rc;

	memset(&f, 0, sizeof(f));
	f.batch = CTL_FOLLOW_BATCH;
	f.max_tries = CTL_FOLLOW_TRIES;
	log_open("consentctl-follow", 0, 1);
	if ((rc = ctl_follow_parse(cmd, argc, argv, &f, &once, &verify)) !=
	    CTL_EXIT_OK)
		return rc;
	if ((rc = ctl_store_open(ctx, 0, &f.store)) != CTL_EXIT_OK)
		return rc;
	if ((rc = db_replica_enable(f.store, &queued)) != DB_OK ||
	    (rc = db_replica_status(f.store, &st)) != DB_OK) {
		log_err("%s: cannot enable replication: %s", ctx->dir,
			db_strerror(rc));
		db_close(f.store);
		return CTL_EXIT_REFUSED;
	}
	if (queued > 0)
		log_info("replication enabled: %llu local records queued for "
			 "the centre", (unsigned long long)queued);
	f.last_id = st.last_id;
	if (st.resync) {
		log_info("a full resync did not finish: it begins again");
		f.resync = 1;
	}
	/* FollowVerifyInterval of the config named with -c (or found
	 * through it when -d is not given); its default without one. */
	f.verify_every = ctx->cfg ? ctx->cfg->follow_verify_interval
				  : CTL_FOLLOW_VERIFY_EVERY;
	f.verify_next = (st.verified > 0 ? st.verified : ctl_now()) +
			f.verify_every;
	f.watch = -1;
	if (!verify && !once && db_replica_follower_sync(f.store) != DB_OK)
		log_warn("cannot relax the meta page flush; commits stay fully "
			 "synchronous");
	if (!verify && !once && (f.watch = db_watch_open(f.store)) < 0)
		log_warn("cannot watch %s for local changes; polling the outbox "
			 "every %d ms", ctx->dir, CTL_FOLLOW_POLL_MS);
	ctl_follow_signals();
	log_info("following for %s as host %s (batch %d, verify every %ld s)",
		 ctx->dir, f.host_given ? f.host : "(the login role)", f.batch,
		 f.verify_every);
	rc = verify ? ctl_follow_verify_run(&f) : ctl_follow_run(&f, once);
	ctl_follow_disconnect(&f);
	db_watch_close(f.watch);
	db_close(f.store);
	return rc;
}

#else /* !CG_HAVE_LIBPQ */

int
ctl_cmd_follow(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	       char **argv)
{
	(void)ctx;
	(void)cmd;
	(void)argc;
	(void)argv;
	ctl_error("follow: this consentctl was built without libpq "
		  "(install libpq-dev and rebuild)");
	return CTL_EXIT_USAGE;
}

#endif
