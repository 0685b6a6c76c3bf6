/*
 * follow_sync.c - the SQL of consentctl follow: push the outbox to the
 * centre, pull the centre's change log into the local store, and copy the
 * whole consent table when the log cannot bridge the gap (a full resync,
 * applied in short batches by db/replica_resync.c so the milter's writes
 * never wait long).
 * contrib/postgresql/schema.sql defines the tables and functions used.
 *
 * Exactly once, both ways: a pushed batch is one PostgreSQL transaction
 * and its outbox entries are removed only after it committed (a push
 * repeated after a crash is harmless: consent_push answers 'same' and
 * evidence is inserted ON CONFLICT DO NOTHING); a pulled batch is one LMDB
 * transaction that also stores the id of its last change.  A record's
 * lists travel in the centre's column consent.lists (jsonb): pushed as
 * consent_push's last argument (a host role may write consent only through
 * it), pulled as the last of CTL_CONSENT_COLUMNS.
 *
 * No silent skip, no poison pill: an entry the centre refuses for its
 * content (SQLSTATE class 22 or 23) is retried, the entries before it
 * pushed, and after --max-tries refusals it becomes a dead letter
 * (db_outbox_bury, with an evidence record); a central change this store
 * cannot hold stops the pull at that change (db_replica_set_stuck) unless
 * a later change for the same address replaces it.
 *
 * Owns: the PGresult of each query (cleared before return) and the arrays
 * of one batch.  Logs every failure with log_warn or log_err (the caller
 * only reconnects or stops) and routine progress with log_debug.
 */
#ifdef CG_HAVE_LIBPQ

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/buf.h"
#include "../common/json.h"
#include "../common/log.h"
#include "ctl.h"
#include "follow.h"

#define CTL_CONSENT_COLUMNS                                                    \
	"address, state, coalesce(uid, ''), consent_secs(created), "           \
	"consent_secs(confirmed), consent_secs(withdrawn), coalesce(ip, ''), " \
	"coalesce(source, ''), coalesce(tracking, false), "                    \
	"consent_secs(doi_sent), coalesce(doi_msgid, ''), "                    \
	CTL_LISTS_COLUMN
/* How many columns CTL_CONSENT_COLUMNS has (the lists are the last). */
#define CTL_CONSENT_NCOLS 12

/* The lists (jsonb [{"name","state","confirmed","withdrawn","doi_sent"},
 * ...]) as "NAME STATE CONFIRMED WITHDRAWN DOI_SENT" joined by ","; names hold neither
 * spaces nor commas (db_list_name_valid). */
#define CTL_LISTS_COLUMN                                                       \
	"coalesce((SELECT string_agg(concat_ws(' ', e->>'name', e->>'state', " \
	"coalesce(e->>'confirmed', '0'), coalesce(e->>'withdrawn', '0'), "     \
	"coalesce(e->>'doi_sent', '0')), "                                      \
	"',') FROM jsonb_array_elements(lists) e), '')"

/* Collapse s into one line of at most size-1 bytes in out. */
static void
ctl_one_line(const char *s, char *out, size_t size)
{
	size_t n = 0;
	int space = 0;

	for (; *s && n + 1 < size; s++) {
		if (*s == '\n' || *s == '\r' || *s == '\t' || *s == ' ') {
			space = n > 0;
			continue;
		}
		if (space && n + 2 < size)
			out[n++] = ' ';
		space = 0;
		out[n++] = *s;
	}
	out[n] = '\0';
}

const char *
ctl_pg_error(PGconn *pg)
{
	static char line[512];

	ctl_one_line(pg ? PQerrorMessage(pg) : "no connection", line,
		     sizeof(line));
	return line;
}

static void
ctl_pg_notice(void *arg, const char *message)
{
	char line[512];

	(void)arg;
	ctl_one_line(message, line, sizeof(line));
	log_warn("centre says: %s", line);
}

void
ctl_pg_notices(PGconn *pg)
{
	PQsetNoticeProcessor(pg, ctl_pg_notice, NULL);
}

/* Run a statement without parameters; 0 or -1 (logged). */
static int
ctl_pg_exec(struct ctl_follow *f, const char *sql, ExecStatusType want)
{
	PGresult *r = PQexec(f->pg, sql);
	int ok = PQresultStatus(r) == want;

	if (!ok)
		log_warn("centre: %s: %s", sql, ctl_pg_error(f->pg));
	PQclear(r);
	return ok ? 0 : -1;
}

/* Copy a text cell into a field of size bytes; -1 when too long. */
static int
ctl_cell(const PGresult *r, int row, int col, char *dst, size_t size)
{
	const char *v = PQgetvalue(r, row, col);
	size_t n = strlen(v);

	if (n >= size)
		return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

/* The lists cell (CTL_LISTS_COLUMN) into c; -1 when it does not parse. */
static int
ctl_row_lists(const char *v, struct db_consent *c)
{
	char name[DB_LIST_NAME_MAX + 2], state[16];
	long long conf, wd, doi;
	int n;

	c->nlists = 0;
	while (*v) {
		if (c->nlists == DB_LISTS_MAX ||
		    sscanf(v, "%33s %15s %lld %lld %lld%n", name, state, &conf,
			   &wd, &doi, &n) != 5 || !db_list_name_valid(name) ||
		    (c->lists[c->nlists].state = db_state_parse(state)) <= 0)
			return -1;
		memcpy(c->lists[c->nlists].name, name, strlen(name) + 1);
		c->lists[c->nlists].confirmed = conf;
		c->lists[c->nlists].withdrawn = wd;
		c->lists[c->nlists].doi_sent = doi;
		c->nlists++;
		v += n;
		if (*v == ',')
			v++;
		else if (*v)
			return -1;
	}
	return 0;
}

/*
 * One consent row (columns CTL_CONSENT_COLUMNS from col on) into ch.  A
 * row that does not fit gets state 0, which db_consent_check refuses, and
 * ch->why names the field, so the follower stops at it with that reason.
 */
static void
ctl_row_consent(const PGresult *r, int row, int col,
		struct db_replica_change *ch)
{
	struct db_consent *c = &ch->c;
	int64_t *times[4] = {&c->created, &c->confirmed, &c->withdrawn,
			     &c->doi_sent};
	static const int tcol[4] = {3, 4, 5, 9};
	int i;

	memset(c, 0, sizeof(*c));
	ch->why[0] = '\0';
	if (ctl_cell(r, row, col, ch->addr, sizeof(ch->addr)) < 0) {
		snprintf(ch->addr, sizeof(ch->addr), "%.*s", ADDR_MAX - 3,
			 PQgetvalue(r, row, col));
		snprintf(ch->why, sizeof(ch->why), "address too long");
	}
	c->state = db_state_parse(PQgetvalue(r, row, col + 1));
	if (ctl_cell(r, row, col + 2, c->uid, sizeof(c->uid)) < 0)
		snprintf(ch->why, sizeof(ch->why), "uid too long");
	for (i = 0; i < 4; i++)
		*times[i] = strtoll(PQgetvalue(r, row, col + tcol[i]), NULL,
				    10);
	if (ctl_cell(r, row, col + 6, c->ip, sizeof(c->ip)) < 0)
		snprintf(ch->why, sizeof(ch->why), "ip too long");
	if (ctl_cell(r, row, col + 7, c->source, sizeof(c->source)) < 0)
		snprintf(ch->why, sizeof(ch->why), "source too long (more "
			 "than %d bytes)", DB_SOURCE_MAX);
	c->tracking = PQgetvalue(r, row, col + 8)[0] == 't';
	if (ctl_cell(r, row, col + 10, c->doi_msgid, sizeof(c->doi_msgid)) < 0)
		snprintf(ch->why, sizeof(ch->why), "DOI message-id too long");
	if (ctl_row_lists(PQgetvalue(r, row, col + 11), c) < 0)
		snprintf(ch->why, sizeof(ch->why), "lists not storable (more "
			 "than %d, or a name or state this store cannot hold)",
			 DB_LISTS_MAX);
	if (ch->why[0] || c->state < 0)
		c->state = DB_STATE_NONE;
}

/* ---------------------------------------------------------------- push */

/* The centre's current row for addr, as a fix for the local store. */
static int
ctl_push_fix(struct ctl_follow *f, const char *addr,
	     struct db_replica_fix *fix)
{
	const char *params[1] = {addr};
	struct db_replica_change ch;
	PGresult *r;
	int rc = 0;

	r = PQexecParams(f->pg, "SELECT " CTL_CONSENT_COLUMNS
			 " FROM consent WHERE address = $1", 1, NULL, params,
			 NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_warn("centre: reading %s: %s", addr, ctl_pg_error(f->pg));
		rc = -1;
	} else {
		memset(fix, 0, sizeof(*fix));
		snprintf(fix->addr, sizeof(fix->addr), "%s", addr);
		fix->deleted = PQntuples(r) == 0;
		if (!fix->deleted) {
			ctl_row_consent(r, 0, 0, &ch);
			fix->c = ch.c;
		}
	}
	PQclear(r);
	return rc;
}

/* The record's lists as the centre's jsonb text into b; a record without
 * lists (the implicit one) is "[]".  0 or -1 (memory). */
static int
ctl_lists_json(const struct db_consent *c, struct buf *b)
{
	unsigned int i;
	int r = buf_putc(b, '[');

	for (i = 0; i < c->nlists; i++) {
		r |= buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
		r |= json_put_string(b, c->lists[i].name);
		r |= buf_printf(b, ",\"state\":\"%s\",\"confirmed\":%lld,"
				"\"withdrawn\":%lld,\"doi_sent\":%lld}",
				db_state_name(c->lists[i].state),
				(long long)c->lists[i].confirmed,
				(long long)c->lists[i].withdrawn,
				(long long)c->lists[i].doi_sent);
	}
	r |= buf_putc(b, ']');
	return r ? -1 : 0;
}

/*
 * Did the centre refuse the statement of r for its content (a data or
 * integrity error: a CHECK constraint, text that is not UTF-8) while the
 * connection is fine?  Then why gets the error as one line.  Privilege
 * and connection failures are not refusals: every entry would fail alike.
 */
static int
ctl_pg_refused(struct ctl_follow *f, const PGresult *r, char *why,
	       size_t whysz)
{
	const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	if (PQstatus(f->pg) != CONNECTION_OK || st == NULL ||
	    (strncmp(st, "22", 2) != 0 && strncmp(st, "23", 2) != 0))
		return 0;
	ctl_one_line(PQresultErrorMessage(r), why, whysz);
	return 1;
}

/* Push one consent record; *refused set when the centre kept its own. */
static int
ctl_push_consent(struct ctl_follow *f, const struct db_outbox_entry *e,
		 int *refused, char *why, size_t whysz)
{
	char t[4][24];
	const int64_t tv[4] = {e->c.created, e->c.confirmed, e->c.withdrawn,
			       e->c.doi_sent};
	const char *p[12];
	const char *res;
	struct buf lists = BUF_INIT;
	PGresult *r;
	int i, rc = 0;

	for (i = 0; i < 4; i++)
		snprintf(t[i], sizeof(t[i]), "%lld", (long long)tv[i]);
	p[0] = e->addr;
	p[1] = db_state_name(e->c.state);
	p[2] = e->c.uid;
	p[3] = t[0];
	p[4] = t[1];
	p[5] = t[2];
	p[6] = e->c.ip;
	p[7] = e->c.source;
	p[8] = e->c.tracking ? "true" : "false";
	p[9] = t[3];
	p[10] = e->c.doi_msgid;
	if (ctl_lists_json(&e->c, &lists) < 0) {
		log_err("out of memory");
		buf_free(&lists);
		return -1;
	}
	p[11] = lists.data;
	r = PQexecParams(f->pg, "SELECT consent_push($1, $2, $3, $4, $5, $6, "
			 "$7, $8, $9, $10, $11, $12::jsonb)", 12, NULL, p,
			 NULL, NULL, 0);
	buf_free(&lists);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		if (!ctl_pg_refused(f, r, why, whysz))
			log_warn("centre: pushing %s: %s", e->addr,
				 ctl_pg_error(f->pg));
		rc = -1;
	} else {
		res = PQgetvalue(r, 0, 0);
		*refused = strcmp(res, "refused") == 0;
		if (*refused)
			log_info("outbox %llu: the centre keeps its "
				 "withdrawal of %s; taking it",
				 (unsigned long long)e->key, e->addr);
	}
	PQclear(r);
	return rc;
}

/* Push one delete or evidence entry. */
static int
ctl_push_other(struct ctl_follow *f, const struct db_outbox_entry *e,
	       char *why, size_t whysz)
{
	ExecStatusType want = PGRES_COMMAND_OK;
	char seq[24];
	const char *p[4] = {f->host, e->ref, seq, e->json};
	const char *what;
	PGresult *r;
	int rc = 0;

	if (e->kind == DB_OUTBOX_DELETE) {
		p[0] = e->addr;
		what = e->addr;
		want = PGRES_TUPLES_OK;
		r = PQexecParams(f->pg, "SELECT consent_push_delete($1)", 1,
				 NULL, p, NULL, NULL, 0);
	} else if (e->kind == DB_OUTBOX_FORGET) {
		/* The centre's copy of this host's evidence forgets too. */
		p[0] = e->json;
		what = e->ref;
		want = PGRES_TUPLES_OK;
		r = PQexecParams(f->pg, "SELECT evidence_forget(string_to_array"
				 "($1, ','))", 1, NULL, p, NULL, NULL, 0);
	} else {
		snprintf(seq, sizeof(seq), "%llu",
			 (unsigned long long)e->seq);
		what = e->ref;
		r = PQexecParams(f->pg, "INSERT INTO evidence (host, ref, seq, "
				 "record) VALUES ($1, $2, $3, $4::jsonb) ON "
				 "CONFLICT (host, ref) DO NOTHING", 4, NULL, p,
				 NULL, NULL, 0);
	}
	if (PQresultStatus(r) != want) {
		if (!ctl_pg_refused(f, r, why, whysz))
			log_warn("centre: pushing %s: %s", what,
				 ctl_pg_error(f->pg));
		rc = -1;
	}
	PQclear(r);
	return rc;
}

/* Push entries e[0..n) inside the open transaction; fixes collected.
 * On a refusal *bad is the index of the refused entry and why says why. */
static int
ctl_push_entries(struct ctl_follow *f, const struct db_outbox_entry *e,
		 size_t n, struct db_replica_fix *fix, size_t *nfix,
		 long *bad, char *why, size_t whysz)
{
	size_t i;
	int refused, rc;

	for (i = 0; i < n; i++) {
		refused = 0;
		why[0] = '\0';
		if (e[i].kind == DB_OUTBOX_CONSENT)
			rc = ctl_push_consent(f, &e[i], &refused, why, whysz);
		else
			rc = ctl_push_other(f, &e[i], why, whysz);
		if (rc < 0) {
			if (why[0])
				*bad = (long)i;
			return -1;
		}
		if (refused && ctl_push_fix(f, e[i].addr, &fix[(*nfix)++]) < 0)
			return -1;
	}
	return 0;
}

/* One transaction for e[0..n).  0 committed, -1 not (*bad >= 0: the
 * centre refused entry *bad). */
static int
ctl_push_batch(struct ctl_follow *f, const struct db_outbox_entry *e,
	       size_t n, struct db_replica_fix *fix, size_t *nfix, long *bad,
	       char *why, size_t whysz)
{
	int rc;

	*nfix = 0;
	*bad = -1;
	rc = ctl_pg_exec(f, "BEGIN", PGRES_COMMAND_OK);
	if (rc == 0)
		rc = ctl_push_entries(f, e, n, fix, nfix, bad, why, whysz);
	if (rc == 0)
		rc = ctl_pg_exec(f, "COMMIT", PGRES_COMMAND_OK);
	else
		PQclear(PQexec(f->pg, "ROLLBACK"));
	return rc;
}

/* What an entry is, for logs and evidence. */
static const char *
ctl_push_what(const struct db_outbox_entry *e)
{
	return e->kind == DB_OUTBOX_EVIDENCE || e->kind == DB_OUTBOX_FORGET
		       ? e->ref : e->addr;
}

/*
 * The centre refused entry e: count the try; after f->max_tries in a row
 * move it to the dead letters with an evidence record.  1 buried, 0
 * not yet, -2 store failure.
 */
static int
ctl_push_refused(struct ctl_follow *f, const struct db_outbox_entry *e,
		 const char *why)
{
	struct ctl_audit a;
	int rc;

	if (f->fail_key != e->key)
		f->fail_tries = 0;
	f->fail_key = e->key;
	f->fail_tries++;
	log_warn("outbox %llu (%s): the centre refused it (try %u of %u): %s",
		 (unsigned long long)e->key, ctl_push_what(e), f->fail_tries,
		 f->max_tries, why);
	if (f->fail_tries < f->max_tries)
		return 0;
	ctl_audit_init(&a, ctl_now(), "outbox-dead",
		       e->kind == DB_OUTBOX_EVIDENCE ? "" : e->addr, "",
		       "outbox %llu (%s) set aside as a dead letter after %u "
		       "refusals by the centre: %s", (unsigned long long)e->key,
		       e->kind == DB_OUTBOX_EVIDENCE ||
			       e->kind == DB_OUTBOX_FORGET ? e->ref : "consent",
		       f->fail_tries, why);
	a.e.kind = "replication";
	rc = db_outbox_bury(f->store, e->key, f->fail_tries, why, ctl_now(),
			    &a.e);
	if (rc != DB_OK) {
		log_err("cannot set outbox %llu aside: %s",
			(unsigned long long)e->key, db_strerror(rc));
		return -2;
	}
	log_err("outbox %llu (%s) is now a dead letter after %u refusals; the "
		"entries after it go on (consentctl outbox list|retry|drop)",
		(unsigned long long)e->key, ctl_push_what(e), f->fail_tries);
	f->fail_key = 0;
	f->fail_tries = 0;
	return 1;
}

/* Remove the n pushed entries (and apply the fixes). */
static int
ctl_push_ack(struct ctl_follow *f, const struct db_outbox_entry *e, size_t n,
	     const struct db_replica_fix *fix, size_t nfix)
{
	int rc;

	if ((rc = db_outbox_ack(f->store, e[n - 1].key, fix, nfix)) != DB_OK) {
		/* Committed centrally: the entries are pushed again later,
		 * which the centre takes as a no-op. */
		log_err("cannot remove pushed entries from the outbox: %s",
			db_strerror(rc));
		return -2;
	}
	f->pushed += n;
	log_debug("pushed %zu outbox entries (%zu taken back)", n, nfix);
	return 0;
}

int
ctl_follow_push(struct ctl_follow *f)
{
	struct db_outbox_entry *e = NULL;
	struct db_replica_fix *fix = NULL;
	char why[DB_REPLICA_WHY_MAX];
	size_t n = 0, nfix = 0, ok;
	long bad = -1;
	int rc, buried = 0, committed;

	rc = db_outbox_read(f->store, (size_t)f->batch, &e, &n);
	if (rc != DB_OK) {
		log_err("cannot read the outbox: %s", db_strerror(rc));
		return -2;
	}
	if (n == 0) {
		db_outbox_free(e, n);
		return 0;
	}
	ok = n;
	if ((fix = calloc(n, sizeof(*fix))) == NULL) {
		log_err("out of memory");
		db_outbox_free(e, n);
		return -2;
	}
	rc = ctl_push_batch(f, e, n, fix, &nfix, &bad, why, sizeof(why));
	committed = rc == 0;
	if (rc < 0 && bad >= 0) {
		/* The entries before the refused one go now; it waits (or
		 * becomes a dead letter). */
		buried = ctl_push_refused(f, &e[bad], why);
		ok = (size_t)bad;
		if (buried >= 0 && ok > 0)
			committed = ctl_push_batch(f, e, ok, fix, &nfix, &bad,
						   why, sizeof(why)) == 0;
		rc = buried < 0 ? -2 : buried > 0 ? 0 : -1;
		if (rc == 0 && ok > 0 && !committed)
			rc = -1;
	} else if (rc == 0) {
		f->fail_tries = 0;
	}
	if (committed && ok > 0 && ctl_push_ack(f, e, ok, fix, nfix) < 0)
		rc = -2;
	db_outbox_free(e, n);
	free(fix);
	if (rc < 0)
		return rc;
	return buried > 0 || ok == (size_t)f->batch;
}

/* ---------------------------------------------------------------- pull */

/* The changes after f->last_id, in one snapshot with the prune mark. */
static PGresult *
ctl_pull_query(struct ctl_follow *f, int64_t *pruned)
{
	char last[24], lim[16];
	const char *p[2] = {last, lim};
	PGresult *r;

	snprintf(last, sizeof(last), "%lld", (long long)f->last_id);
	snprintf(lim, sizeof(lim), "%d", f->batch);
	if (ctl_pg_exec(f, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
			PGRES_COMMAND_OK) < 0)
		return NULL;
	r = PQexec(f->pg, "SELECT upto FROM consent_change_pruned");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		log_warn("centre: reading the prune mark: %s",
			 ctl_pg_error(f->pg));
		PQclear(r);
		PQclear(PQexec(f->pg, "ROLLBACK"));
		return NULL;
	}
	*pruned = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	r = PQexecParams(f->pg, "SELECT id, op, " CTL_CONSENT_COLUMNS
			 ", coalesce(note LIKE 'forced by %', false)"
			 " FROM consent_change WHERE id > $1 ORDER BY id "
			 "LIMIT $2", 2, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_warn("centre: reading changes: %s", ctl_pg_error(f->pg));
		PQclear(r);
		r = NULL;
	}
	PQclear(PQexec(f->pg, "COMMIT"));
	return r;
}

/* Log what a batch skipped. */
static void
ctl_pull_report(const struct db_replica_change *ch, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (ch[i].result == DB_REPLICA_INVALID)
			log_warn("change %lld for %s not applied: not a "
				 "storable address or record",
				 (long long)ch[i].id, ch[i].addr);
		else if (ch[i].result == DB_REPLICA_REFUSED)
			log_warn("change %lld for %s not applied: %s; the local "
				 "withdrawal stays", (long long)ch[i].id,
				 ch[i].addr, ch[i].why);
		else if (ch[i].result == DB_REPLICA_LOCAL)
			log_debug("change %lld for %s skipped: a local change "
				  "waits in the outbox", (long long)ch[i].id,
				  ch[i].addr);
	}
}

/* Is there a central change for addr after id?  1, 0, -1 (logged). */
static int
ctl_pull_superseded(struct ctl_follow *f, const char *addr, int64_t id)
{
	char ids[24];
	const char *p[2] = {addr, ids};
	PGresult *r;
	int rc;

	snprintf(ids, sizeof(ids), "%lld", (long long)id);
	r = PQexecParams(f->pg, "SELECT EXISTS (SELECT 1 FROM consent_change "
			 "WHERE address = $1 AND id > $2)", 2, NULL, p, NULL,
			 NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		log_warn("centre: reading later changes of %s: %s", addr,
			 ctl_pg_error(f->pg));
		rc = -1;
	} else {
		rc = PQgetvalue(r, 0, 0)[0] == 't';
	}
	PQclear(r);
	return rc;
}

/* Mark the store stuck at id (0: a resync) and log it once. */
static int
ctl_follow_stuck(struct ctl_follow *f, int64_t id, const char *what)
{
	int rc;

	if (f->stuck_logged != (id ? id : -1)) {
		log_err("stopped: %s; the gate goes on deciding from the replica "
			"as it stands (last applied id %lld) until the centre "
			"corrects the record", what, (long long)f->last_id);
		f->stuck_logged = id ? id : -1;
	}
	if ((rc = db_replica_set_stuck(f->store, id, what)) != DB_OK) {
		log_err("cannot record the stop: %s", db_strerror(rc));
		return -2;
	}
	return -3;
}

/*
 * How many of the n changes may be applied: those before the first one
 * this store cannot hold, unless a later central change for the same
 * address replaces it (then it is skipped, op DB_REPLICA_SKIP).  *stuck
 * gets the sentence of the change stopped at, "" for none.
 */
static int
ctl_pull_storable(struct ctl_follow *f, struct db_replica_change *ch, int n,
		  char *stuck, size_t stucksz)
{
	const char *why;
	int i, later;

	stuck[0] = '\0';
	for (i = 0; i < n; i++) {
		if ((why = db_replica_storable(&ch[i])) == NULL)
			continue;
		if (ch[i].why[0])
			why = ch[i].why;
		if ((later = ctl_pull_superseded(f, ch[i].addr, ch[i].id)) < 0)
			return -1;
		if (later) {
			log_warn("change %lld for %s skipped: this store cannot "
				 "hold it (%s), and a later change replaces it",
				 (long long)ch[i].id, ch[i].addr, why);
			ch[i].op = DB_REPLICA_SKIP;
			continue;
		}
		/* Bounded parts: the line must fit status's buffer whole. */
		snprintf(stuck, stucksz, "change %lld for %.180s cannot be "
			 "applied: %.150s", (long long)ch[i].id, ch[i].addr, why);
		return i;
	}
	return n;
}

/* The rows of r as changes (calloc'd; NULL when out of memory). */
static struct db_replica_change *
ctl_pull_rows(const PGresult *r, int n)
{
	struct db_replica_change *ch;
	int i;

	if ((ch = calloc((size_t)n, sizeof(*ch))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		ch[i].id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		ch[i].op = strcmp(PQgetvalue(r, i, 1), "delete") == 0
				   ? DB_REPLICA_DELETE : DB_REPLICA_PUT;
		ctl_row_consent(r, i, 2, &ch[i]);
		/* After id, op and the consent columns: forced. */
		ch[i].forced = PQgetvalue(r, i, 2 + CTL_CONSENT_NCOLS)[0] == 't';
		if (ch[i].op == DB_REPLICA_DELETE) /* only the address */
			memset(&ch[i].c, 0, sizeof(ch[i].c));
	}
	return ch;
}

int
ctl_follow_pull(struct ctl_follow *f)
{
	struct db_replica_change *ch;
	char stuck[DB_REPLICA_WHY_MAX];
	int64_t pruned = 0;
	PGresult *r;
	int n, got, rc;

	if ((r = ctl_pull_query(f, &pruned)) == NULL)
		return -1;
	n = got = PQntuples(r);
	if (f->last_id < pruned) {
		log_info("the centre pruned its change log up to id %lld, "
			 "past our last id %lld: full resync",
			 (long long)pruned, (long long)f->last_id);
		PQclear(r);
		f->resync = 1;
		return 1;
	}
	if (n == 0) {
		PQclear(r);
		rc = db_replica_touch(f->store, (int64_t)time(NULL));
		if (rc != DB_OK)
			log_err("cannot record the sync time: %s",
				db_strerror(rc));
		return rc == DB_OK ? 0 : -2;
	}
	ch = ctl_pull_rows(r, n);
	PQclear(r);
	if (ch == NULL) {
		log_err("out of memory");
		return -2;
	}
	if ((n = ctl_pull_storable(f, ch, n, stuck, sizeof(stuck))) < 0) {
		free(ch);
		return -1;
	}
	rc = n == 0 ? DB_OK : db_replica_apply(f->store, f->last_id, ch,
					       (size_t)n, ch[n - 1].id,
					       (int64_t)time(NULL));
	if (rc == DB_OK && n > 0) {
		ctl_pull_report(ch, (size_t)n);
		log_debug("applied changes %lld..%lld (%d)",
			  (long long)ch[0].id, (long long)ch[n - 1].id, n);
		f->last_id = ch[n - 1].id;
		f->applied += (uint64_t)n;
	} else if (rc == DB_ERR_STALE) {
		log_err("the store's last applied id changed under us: is "
			"another follower running on this store?");
	} else if (rc != DB_OK) {
		log_err("cannot apply changes %lld..%lld: %s",
			(long long)ch[0].id, (long long)ch[n - 1].id,
			db_strerror(rc));
	}
	if (rc == DB_OK && stuck[0])
		rc = ctl_follow_stuck(f, ch[n].id, stuck);
	else if (rc == DB_OK)
		f->stuck_logged = 0;
	free(ch);
	if (rc == -3 || rc == -2)
		return rc;
	if (rc != DB_OK)
		return -2;
	return got == f->batch;
}

/* -------------------------------------------------------------- resync */

/* The last change id of the snapshot: max(id), else the prune mark. */
static int
ctl_resync_last(struct ctl_follow *f, int64_t *last)
{
	PGresult *r;

	r = PQexec(f->pg, "SELECT greatest((SELECT coalesce(max(id), 0) FROM "
		   "consent_change), (SELECT upto FROM consent_change_pruned))");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		log_warn("centre: reading the last change id: %s",
			 ctl_pg_error(f->pg));
		PQclear(r);
		return -1;
	}
	*last = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return 0;
}

/* FETCH the cursor into the open resync until it is exhausted. */
static int
ctl_resync_copy(struct ctl_follow *f, struct db_replica_txn *t,
		uint64_t *rows, uint64_t *skipped)
{
	struct db_replica_change ch;
	const char *why;
	PGresult *r;
	int i, n, rc;

	for (;;) {
		if (ctl_follow_stop)
			return -1;
		r = PQexec(f->pg, "FETCH " CTL_FOLLOW_FETCH_TEXT
			   " FROM consent_resync");
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			log_warn("centre: resync: %s", ctl_pg_error(f->pg));
			PQclear(r);
			return -1;
		}
		n = PQntuples(r);
		for (i = 0; i < n; i++) {
			memset(&ch, 0, sizeof(ch));
			ch.op = DB_REPLICA_PUT;
			ctl_row_consent(r, i, 0, &ch);
			if ((why = db_replica_storable(&ch)) != NULL) {
				if (ch.why[0])
					why = ch.why;
				snprintf(f->stuck_why, sizeof(f->stuck_why),
					 "resync: the record of %.100s cannot "
					 "be stored: %.200s", ch.addr, why);
				PQclear(r);
				return -3;
			}
			if ((rc = db_replica_resync_put(t, &ch)) != DB_OK) {
				log_err("resync: cannot store %s: %s", ch.addr,
					db_strerror(rc));
				PQclear(r);
				return -2;
			}
			ctl_pull_report(&ch, 1);
			*rows += 1;
			*skipped += ch.result != DB_REPLICA_APPLIED;
		}
		PQclear(r);
		if (n < CTL_FOLLOW_FETCH)
			return 0;
	}
}

int
ctl_follow_resync(struct ctl_follow *f)
{
	struct db_replica_txn *t = NULL;
	uint64_t rows = 0, skipped = 0;
	int64_t last = 0;
	int rc;

	log_info("full resync from the centre begins");
	if (ctl_pg_exec(f, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
			PGRES_COMMAND_OK) < 0)
		return -1;
	rc = ctl_resync_last(f, &last);
	if (rc == 0)
		/* In the store's key order: db_replica_resync_put merges. */
		rc = ctl_pg_exec(f, "DECLARE consent_resync NO SCROLL CURSOR "
				 "FOR SELECT " CTL_CONSENT_COLUMNS
				 " FROM consent ORDER BY address COLLATE \"C\"",
				 PGRES_COMMAND_OK);
	if (rc == 0 && (rc = db_replica_resync_begin(f->store, &t)) != DB_OK) {
		log_err("resync: cannot begin: %s", db_strerror(rc));
		rc = -2;
	}
	if (rc == 0)
		rc = ctl_resync_copy(f, t, &rows, &skipped);
	if (rc == 0) {
		rc = db_replica_resync_commit(t, last, (int64_t)time(NULL));
		if (rc != DB_OK) {
			log_err("resync: cannot commit: %s", db_strerror(rc));
			rc = -2;
		}
	} else {
		db_replica_resync_abort(t);
	}
	PQclear(PQexec(f->pg, "COMMIT"));
	if (rc == -3)
		return ctl_follow_stuck(f, 0, f->stuck_why);
	if (rc != 0)
		return rc;
	f->stuck_logged = 0;
	f->last_id = last;
	f->resync = 0;
	log_info("full resync done: %llu records, last id %lld, %llu not "
		 "taken (local changes waiting or not storable)",
		 (unsigned long long)rows, (long long)last,
		 (unsigned long long)skipped);
	return 0;
}

#endif /* CG_HAVE_LIBPQ */
