/*
 * test_replica.c - the LMDB side of replication (db/outbox.c,
 * db/replica.c): the outbox hooks write only once replication is on,
 * central changes skip addresses with waiting local changes, a stale
 * last id is refused, an acknowledgement applies the centre's row unless a
 * newer local change waits, a resync keeps waiting local records, an
 * unstorable change is refused and marks the store stuck until a commit,
 * dead letters are buried, listed, retried and dropped, and a withdrawal
 * from the centre leaves one evidence record of when it arrived.
 */
#include "testlib.h"

#include "../../db/consent_sm.h"
#include "../../db/evrec.h"
#include "../../db/replica.h"

struct fixture {
	char *dir;
	struct db_store *s;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	f->dir = test_tmpdir();
	assert_int_equal(db_open(f->dir, DB_OPEN_CREATE, &f->s, err,
				 sizeof(err)), DB_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	db_close(f->s);
	test_rmdir_r(f->dir);
	free(f);
	return 0;
}

static struct db_consent
rec(int st, const char *uid, int64_t t)
{
	struct db_consent c;

	memset(&c, 0, sizeof(c));
	c.state = st;
	c.created = t;
	if (st == DB_STATE_WITHDRAWN)
		c.withdrawn = t;
	snprintf(c.uid, sizeof(c.uid), "%s", uid);
	return c;
}

static uint64_t
outbox_len(struct db_store *s)
{
	struct db_replica_state st;

	assert_int_equal(db_replica_status(s, &st), DB_OK);
	return st.outbox;
}

static void
test_hook_only_when_enabled(void **state)
{
	struct fixture *f = *state;
	struct db_consent c = rec(DB_STATE_CONFIRMED, "u1", 100);
	struct db_outbox_entry *e;
	uint64_t queued;
	size_t n;

	assert_int_equal(db_consent_put(f->s, "a@x.org", &c), DB_OK);
	assert_int_equal(outbox_len(f->s), 0);
	/* The first enable queues what the store holds. */
	assert_int_equal(db_replica_enable(f->s, &queued), DB_OK);
	assert_int_equal(queued, 1);
	assert_int_equal(db_replica_enable(f->s, &queued), DB_OK);
	assert_int_equal(queued, 0);
	assert_int_equal(db_consent_del(f->s, "a@x.org"), DB_OK);
	assert_int_equal(outbox_len(f->s), 2);
	assert_int_equal(db_outbox_read(f->s, 10, &e, &n), DB_OK);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].kind, DB_OUTBOX_CONSENT);
	assert_string_equal(e[0].addr, "a@x.org");
	assert_string_equal(e[0].c.uid, "u1");
	assert_int_equal(e[1].kind, DB_OUTBOX_DELETE);
	assert_int_equal(db_outbox_ack(f->s, e[1].key, NULL, 0), DB_OK);
	db_outbox_free(e, n);
	assert_int_equal(outbox_len(f->s), 0);
}

static void
test_apply_skips_local_and_stale(void **state)
{
	struct fixture *f = *state;
	struct db_replica_change ch[2];
	struct db_replica_state st;
	struct db_consent c = rec(DB_STATE_WITHDRAWN, "", 200), got;

	assert_int_equal(db_replica_enable(f->s, NULL), DB_OK);
	assert_int_equal(db_consent_put(f->s, "local@x.org", &c), DB_OK);
	memset(ch, 0, sizeof(ch));
	ch[0].id = 1;
	ch[0].op = DB_REPLICA_PUT;
	snprintf(ch[0].addr, sizeof(ch[0].addr), "local@x.org");
	ch[0].c = rec(DB_STATE_CONFIRMED, "", 100);
	ch[1].id = 2;
	ch[1].op = DB_REPLICA_PUT;
	snprintf(ch[1].addr, sizeof(ch[1].addr), "other@x.org");
	ch[1].c = rec(DB_STATE_PENDING, "u2", 100);
	assert_int_equal(db_replica_apply(f->s, 5, ch, 2, 2, 1000),
			 DB_ERR_STALE);
	assert_int_equal(db_replica_apply(f->s, 0, ch, 2, 2, 1000), DB_OK);
	assert_int_equal(ch[0].result, DB_REPLICA_LOCAL);
	assert_int_equal(ch[1].result, DB_REPLICA_APPLIED);
	assert_int_equal(db_consent_get(f->s, "local@x.org", &got), DB_OK);
	assert_int_equal(got.state, DB_STATE_WITHDRAWN);
	/* Applied changes write no outbox entry; last id and sync time set. */
	assert_int_equal(db_replica_status(f->s, &st), DB_OK);
	assert_int_equal(st.outbox, 1);
	assert_int_equal(st.last_id, 2);
	assert_int_equal(st.synced, 1000);
}

static void
test_ack_fix_unless_newer(void **state)
{
	struct fixture *f = *state;
	struct db_consent c = rec(DB_STATE_CONFIRMED, "", 100), got;
	struct db_replica_fix fix;
	struct db_outbox_entry *e;
	size_t n;

	assert_int_equal(db_replica_enable(f->s, NULL), DB_OK);
	assert_int_equal(db_consent_put(f->s, "a@x.org", &c), DB_OK);
	assert_int_equal(db_outbox_read(f->s, 10, &e, &n), DB_OK);
	assert_int_equal(n, 1);
	memset(&fix, 0, sizeof(fix));
	snprintf(fix.addr, sizeof(fix.addr), "a@x.org");
	fix.c = rec(DB_STATE_WITHDRAWN, "", 150);
	/* A newer local change waits: the fix is not applied. */
	c.source[0] = 'x';
	assert_int_equal(db_consent_put(f->s, "a@x.org", &c), DB_OK);
	assert_int_equal(db_outbox_ack(f->s, e[0].key, &fix, 1), DB_OK);
	assert_int_equal(db_consent_get(f->s, "a@x.org", &got), DB_OK);
	assert_int_equal(got.state, DB_STATE_CONFIRMED);
	db_outbox_free(e, n);
	/* Without one it is. */
	assert_int_equal(db_outbox_read(f->s, 10, &e, &n), DB_OK);
	assert_int_equal(db_outbox_ack(f->s, e[0].key, &fix, 1), DB_OK);
	assert_int_equal(db_consent_get(f->s, "a@x.org", &got), DB_OK);
	assert_int_equal(got.state, DB_STATE_WITHDRAWN);
	db_outbox_free(e, n);
	assert_int_equal(outbox_len(f->s), 0);
}

static void
test_resync_keeps_waiting(void **state)
{
	struct fixture *f = *state;
	struct db_consent c = rec(DB_STATE_WITHDRAWN, "", 300), got;
	struct db_replica_change ch;
	struct db_replica_txn *t;
	struct db_replica_state st;

	assert_int_equal(db_consent_put(f->s, "old@x.org", &c), DB_OK);
	assert_int_equal(db_replica_enable(f->s, NULL), DB_OK);
	assert_int_equal(db_consent_put(f->s, "mine@x.org", &c), DB_OK);
	assert_int_equal(db_outbox_ack(f->s, 1, NULL, 0), DB_OK); /* old@ */
	assert_int_equal(db_replica_resync_begin(f->s, &t), DB_OK);
	memset(&ch, 0, sizeof(ch));
	ch.op = DB_REPLICA_PUT;
	snprintf(ch.addr, sizeof(ch.addr), "mine@x.org");
	ch.c = rec(DB_STATE_CONFIRMED, "m", 100);
	assert_int_equal(db_replica_resync_put(t, &ch), DB_OK);
	assert_int_equal(ch.result, DB_REPLICA_LOCAL);
	snprintf(ch.addr, sizeof(ch.addr), "new@x.org");
	assert_int_equal(db_replica_resync_put(t, &ch), DB_OK);
	assert_int_equal(ch.result, DB_REPLICA_APPLIED);
	assert_int_equal(db_replica_resync_commit(t, 77, 500), DB_OK);
	assert_int_equal(db_consent_get(f->s, "old@x.org", &got), DB_NOTFOUND);
	assert_int_equal(db_consent_get(f->s, "mine@x.org", &got), DB_OK);
	assert_int_equal(got.state, DB_STATE_WITHDRAWN);
	assert_int_equal(db_consent_get(f->s, "new@x.org", &got), DB_OK);
	assert_int_equal(db_replica_status(f->s, &st), DB_OK);
	assert_int_equal(st.last_id, 77);
	assert_int_equal(st.records, 2);
}
/* The centre has no DOI content hash or evidence ref: its copy of the same
 * DOI send keeps the local ones (retry recognition), another send not. */
static void
test_apply_keeps_doi_retry_data(void **state)
{
	struct fixture *f = *state;
	struct db_consent c = rec(DB_STATE_PENDING, "u3", 100), got;
	struct db_replica_change ch;
	struct db_outbox_entry *e;
	size_t n;

	assert_int_equal(db_replica_enable(f->s, NULL), DB_OK);
	c.doi_sent = 300;
	snprintf(c.doi_msgid, sizeof(c.doi_msgid), "m1@shop.example");
	snprintf(c.doi_hash, sizeof(c.doi_hash), "%064d", 7);
	snprintf(c.doi_ref, sizeof(c.doi_ref), "r1-d1");
	assert_int_equal(db_consent_put(f->s, "doi@x.org", &c), DB_OK);
	assert_int_equal(db_outbox_read(f->s, 10, &e, &n), DB_OK);
	assert_int_equal(db_outbox_ack(f->s, e[n - 1].key, NULL, 0), DB_OK);
	db_outbox_free(e, n);
	memset(&ch, 0, sizeof(ch));
	ch.id = 1;
	ch.op = DB_REPLICA_PUT;
	snprintf(ch.addr, sizeof(ch.addr), "doi@x.org");
	ch.c = c;
	ch.c.doi_hash[0] = '\0';
	ch.c.doi_ref[0] = '\0';
	ch.c.tracking = 1;
	assert_int_equal(db_replica_apply(f->s, 0, &ch, 1, 1, 1000), DB_OK);
	assert_int_equal(ch.result, DB_REPLICA_APPLIED);
	assert_int_equal(db_consent_get(f->s, "doi@x.org", &got), DB_OK);
	assert_int_equal(got.tracking, 1);
	assert_string_equal(got.doi_hash, c.doi_hash);
	assert_string_equal(got.doi_ref, "r1-d1");
	/* Another DOI send at the centre: the local hash no longer applies. */
	ch.id = 2;
	snprintf(ch.c.doi_msgid, sizeof(ch.c.doi_msgid), "m2@shop.example");
	ch.c.doi_sent = 400;
	assert_int_equal(db_replica_apply(f->s, 1, &ch, 1, 2, 1000), DB_OK);
	assert_int_equal(db_consent_get(f->s, "doi@x.org", &got), DB_OK);
	assert_string_equal(got.doi_hash, "");
	assert_string_equal(got.doi_ref, "");
}


/*
 * A central row does not turn a local withdrawal into consent without a
 * DOI send at or after it and a confirmation after that send; in a batch
 * and in a resync alike, the local record then stays.
 */
static void
test_apply_keeps_withdrawal(void **state)
{
	struct fixture *f = *state;
	struct db_consent c = rec(DB_STATE_WITHDRAWN, "w1", 300), got;
	struct db_replica_change ch;
	struct db_replica_txn *t;

	assert_int_equal(db_consent_put(f->s, "w@x.org", &c), DB_OK);
	memset(&ch, 0, sizeof(ch));
	ch.id = 1;
	ch.op = DB_REPLICA_PUT;
	snprintf(ch.addr, sizeof(ch.addr), "w@x.org");
	/* An older confirmation from the centre (the old export case). */
	ch.c = rec(DB_STATE_CONFIRMED, "w1", 100);
	ch.c.confirmed = 100;
	assert_int_equal(db_replica_apply(f->s, 0, &ch, 1, 1, 500), DB_OK);
	assert_int_equal(ch.result, DB_REPLICA_REFUSED);
	assert_non_null(strstr(ch.why, "withdrawal"));
	assert_int_equal(db_consent_get(f->s, "w@x.org", &got), DB_OK);
	assert_int_equal(got.state, DB_STATE_WITHDRAWN);
	/* A later click without a DOI mail after the withdrawal: refused. */
	ch.id = 2;
	ch.c.confirmed = 400;
	assert_int_equal(db_replica_apply(f->s, 1, &ch, 1, 2, 500), DB_OK);
	assert_int_equal(ch.result, DB_REPLICA_REFUSED);
	/* The same in a resync. */
	assert_int_equal(db_replica_resync_begin(f->s, &t), DB_OK);
	assert_int_equal(db_replica_resync_put(t, &ch), DB_OK);
	assert_int_equal(ch.result, DB_REPLICA_REFUSED);
	assert_int_equal(db_replica_resync_commit(t, 3, 500), DB_OK);
	assert_int_equal(db_consent_get(f->s, "w@x.org", &got), DB_OK);
	assert_int_equal(got.state, DB_STATE_WITHDRAWN);
	assert_int_equal(got.withdrawn, 300);
	/* A DOI mail after the withdrawal and the click after it: applied,
	 * the withdrawal time kept as proof. */
	ch.id = 4;
	ch.c.doi_sent = 350;
	assert_int_equal(db_replica_apply(f->s, 3, &ch, 1, 4, 500), DB_OK);
	assert_int_equal(ch.result, DB_REPLICA_APPLIED);
	assert_int_equal(db_consent_get(f->s, "w@x.org", &got), DB_OK);
	assert_int_equal(got.state, DB_STATE_CONFIRMED);
	assert_int_equal(got.withdrawn, 300);
	assert_int_equal(got.confirmed, 400);
}

static void
set_list(struct db_consent *c, const char *name, int st, int64_t conf,
	 int64_t wd)
{
	struct db_list *l = &c->lists[c->nlists++];

	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->state = st;
	l->confirmed = conf;
	l->withdrawn = wd;
}

/* A central row may not undo the local withdrawal of one list; lists it
 * does not name keep their local state. */
static void
test_apply_keeps_list_withdrawal(void **state)
{
	struct fixture *f = *state;
	struct db_consent c = rec(DB_STATE_CONFIRMED, "l1", 100), got;
	struct db_replica_change ch;

	c.confirmed = 100;
	snprintf(c.ip, sizeof(c.ip), "192.0.2.1");
	set_list(&c, "news", DB_STATE_WITHDRAWN, 100, 300);
	set_list(&c, "offers", DB_STATE_CONFIRMED, 100, 0);
	assert_int_equal(db_consent_put(f->s, "l@x.org", &c), DB_OK);
	memset(&ch, 0, sizeof(ch));
	ch.id = 1;
	ch.op = DB_REPLICA_PUT;
	snprintf(ch.addr, sizeof(ch.addr), "l@x.org");
	/* The centre's older row: news still confirmed. */
	ch.c = c;
	ch.c.nlists = 0;
	set_list(&ch.c, "news", DB_STATE_CONFIRMED, 100, 0);
	set_list(&ch.c, "offers", DB_STATE_CONFIRMED, 100, 0);
	assert_int_equal(db_replica_apply(f->s, 0, &ch, 1, 1, 500), DB_OK);
	assert_int_equal(ch.result, DB_REPLICA_REFUSED);
	assert_non_null(strstr(ch.why, "list news"));
	assert_int_equal(db_consent_get(f->s, "l@x.org", &got), DB_OK);
	assert_int_equal(db_consent_list_state(&got, "news"), DB_STATE_WITHDRAWN);
	/* A row naming offers only (tracking changed): applied, news stays
	 * withdrawn. */
	ch.id = 2;
	ch.c.nlists = 0;
	ch.c.tracking = 1;
	set_list(&ch.c, "offers", DB_STATE_CONFIRMED, 100, 0);
	assert_int_equal(db_replica_apply(f->s, 1, &ch, 1, 2, 500), DB_OK);
	assert_int_equal(ch.result, DB_REPLICA_APPLIED);
	assert_int_equal(db_consent_get(f->s, "l@x.org", &got), DB_OK);
	assert_int_equal(got.tracking, 1);
	assert_int_equal(db_consent_list_state(&got, "news"), DB_STATE_WITHDRAWN);
	assert_int_equal(db_consent_list_state(&got, "offers"), DB_STATE_CONFIRMED);
}

/* The replica withdrawal records ("source=replica") of addr: their
 * count, and the time and note of the last. */
struct repl_seen {
	const char *addr;
	int n;
	int64_t time;
	char note[200];
	char list[40];
};

static int
repl_one(uint64_t seq, const char *json, size_t len, void *arg)
{
	struct repl_seen *w = arg;
	struct db_evrec r;

	(void)seq;
	assert_int_equal(db_evrec_parse(json, len, NULL, &r), DB_OK);
	if (strcmp(r.kind, "consent") == 0 &&
	    strcmp(r.action, "withdraw") == 0 && r.nrcpt == 1 &&
	    strcmp(r.rcptv[0], w->addr) == 0 &&
	    strstr(r.rules, "source=replica") != NULL) {
		w->n++;
		w->time = r.time;
		snprintf(w->note, sizeof(w->note), "%s", r.rules);
	}
	db_evrec_free(&r);
	return 0;
}

static struct repl_seen
repl_records(struct db_store *s, const char *addr)
{
	struct repl_seen w;

	memset(&w, 0, sizeof(w));
	w.addr = addr;
	assert_int_equal(db_evidence_foreach(s, repl_one, &w), DB_OK);
	return w;
}

/* A withdrawal from the centre over a local confirmation leaves exactly
 * one record here: the apply time, the change id, the centre's time; a
 * later change, a resync of the same withdrawal and a list withdrawal
 * already held add none. */
static void
test_apply_records_withdrawal(void **state)
{
	struct fixture *f = *state;
	struct db_consent c = rec(DB_STATE_CONFIRMED, "w1", 100);
	struct db_replica_change ch;
	struct db_replica_txn *t;
	struct repl_seen w;

	c.confirmed = 100;
	assert_int_equal(db_consent_put(f->s, "w@x.org", &c), DB_OK);
	memset(&ch, 0, sizeof(ch));
	ch.id = 7;
	ch.op = DB_REPLICA_PUT;
	snprintf(ch.addr, sizeof(ch.addr), "w@x.org");
	ch.c = c;
	ch.c.state = DB_STATE_WITHDRAWN;
	ch.c.withdrawn = 1796119200; /* 2026-12-01T10:00:00Z */
	assert_int_equal(db_replica_apply(f->s, 0, &ch, 1, 7, 1796121000),
			 DB_OK);
	assert_int_equal(ch.result, DB_REPLICA_APPLIED);
	w = repl_records(f->s, "w@x.org");
	assert_int_equal(w.n, 1);
	assert_int_equal(w.time, 1796121000);
	assert_string_equal(w.note, "source=replica, change=7, "
			    "at=2026-12-01T10:00:00Z");
	/* The same withdrawal again, and through a resync: nothing new. */
	ch.id = 8;
	assert_int_equal(db_replica_apply(f->s, 7, &ch, 1, 8, 1796122000),
			 DB_OK);
	assert_int_equal(ch.result, DB_REPLICA_APPLIED);
	assert_int_equal(db_replica_resync_begin(f->s, &t), DB_OK);
	ch.id = 0;
	assert_int_equal(db_replica_resync_put(t, &ch), DB_OK);
	assert_int_equal(db_replica_resync_commit(t, 9, 1796123000), DB_OK);
	assert_int_equal(repl_records(f->s, "w@x.org").n, 1);
	/* A confirmed record at the centre writes nothing. */
	ch = (struct db_replica_change){.id = 10, .op = DB_REPLICA_PUT};
	snprintf(ch.addr, sizeof(ch.addr), "v@x.org");
	ch.c = c;
	assert_int_equal(db_replica_apply(f->s, 9, &ch, 1, 10, 1796124000),
			 DB_OK);
	assert_int_equal(repl_records(f->s, "v@x.org").n, 0);
	/* One list withdrawn at the centre: one record naming it. */
	ch.id = 11;
	ch.c.nlists = 0;
	set_list(&ch.c, "news", DB_STATE_WITHDRAWN, 100, 1796121300);
	set_list(&ch.c, "offers", DB_STATE_CONFIRMED, 100, 0);
	assert_int_equal(db_replica_apply(f->s, 10, &ch, 1, 11, 1796125000),
			 DB_OK);
	assert_int_equal(ch.result, DB_REPLICA_APPLIED);
	w = repl_records(f->s, "v@x.org");
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.note, "change=11, at=2026-12-01T10:35:00Z, "
				       "list=news"));
	ch.id = 12;
	assert_int_equal(db_replica_apply(f->s, 11, &ch, 1, 12, 1796126000),
			 DB_OK);
	assert_int_equal(repl_records(f->s, "v@x.org").n, 1);
}

/* A change an administrator forced at the centre passes the list guard
 * unless older than the list's withdrawal; lists it does not name stay. */
static void
test_forced_list_change(void **state)
{
	struct fixture *f = *state;
	struct db_consent c = rec(DB_STATE_CONFIRMED, "f1", 100), got;
	struct db_replica_change ch;

	c.confirmed = 100;
	set_list(&c, "news", DB_STATE_WITHDRAWN, 100, 300);
	set_list(&c, "offers", DB_STATE_CONFIRMED, 100, 0);
	assert_int_equal(db_consent_put(f->s, "f@x.org", &c), DB_OK);
	memset(&ch, 0, sizeof(ch));
	ch.id = 1;
	ch.op = DB_REPLICA_PUT;
	ch.forced = 1;
	snprintf(ch.addr, sizeof(ch.addr), "f@x.org");
	/* Forced, but its confirmation of news is older than the
	 * withdrawal: refused. */
	ch.c = c;
	ch.c.nlists = 0;
	set_list(&ch.c, "news", DB_STATE_CONFIRMED, 200, 0);
	assert_int_equal(db_replica_apply(f->s, 0, &ch, 1, 1, 500), DB_OK);
	assert_int_equal(ch.result, DB_REPLICA_REFUSED);
	assert_non_null(strstr(ch.why, "list news"));
	/* The same row without the force flag and a later confirmation
	 * (no DOI mail): refused too. */
	ch.id = 2;
	ch.forced = 0;
	ch.c.lists[0].confirmed = 400;
	assert_int_equal(db_replica_apply(f->s, 1, &ch, 1, 2, 500), DB_OK);
	assert_int_equal(ch.result, DB_REPLICA_REFUSED);
	assert_int_equal(db_consent_get(f->s, "f@x.org", &got), DB_OK);
	assert_int_equal(db_consent_list_state(&got, "news"), DB_STATE_WITHDRAWN);
	/* Forced and later than the withdrawal: taken; offers stays. */
	ch.id = 3;
	ch.forced = 1;
	assert_int_equal(db_replica_apply(f->s, 2, &ch, 1, 3, 500), DB_OK);
	assert_int_equal(ch.result, DB_REPLICA_APPLIED);
	assert_int_equal(db_consent_get(f->s, "f@x.org", &got), DB_OK);
	assert_int_equal(db_consent_list_state(&got, "news"), DB_STATE_CONFIRMED);
	assert_int_equal(db_consent_list_state(&got, "offers"),
			 DB_STATE_CONFIRMED);
}

/* An unstorable change is refused, not skipped; the stuck mark shows in
 * the state and the health and is cleared by the next commit. */
static void
test_unstorable_stops(void **state)
{
	struct fixture *f = *state;
	struct db_replica_change ch[2];
	struct db_replica_state st;
	int64_t age, stuck;

	assert_int_equal(db_replica_enable(f->s, NULL), DB_OK);
	memset(ch, 0, sizeof(ch));
	ch[0].id = 1;
	ch[0].op = DB_REPLICA_PUT;
	snprintf(ch[0].addr, sizeof(ch[0].addr), "Anna@x.org");
	ch[0].c = rec(DB_STATE_WITHDRAWN, "", 100);
	assert_non_null(db_replica_storable(&ch[0]));
	snprintf(ch[0].addr, sizeof(ch[0].addr), "anna@x.org");
	ch[0].c.state = DB_STATE_NONE;
	assert_non_null(db_replica_storable(&ch[0]));
	assert_int_equal(db_replica_apply(f->s, 0, ch, 1, 1, 500),
			 DB_ERR_INVALID);
	assert_int_equal(db_replica_set_stuck(f->s, 1, "change 1 for "
			 "anna@x.org cannot be applied: unknown state"), DB_OK);
	assert_int_equal(db_replica_status(f->s, &st), DB_OK);
	assert_int_equal(st.stuck_id, 1);
	assert_int_equal(st.last_id, 0);
	assert_non_null(strstr(st.stuck_why, "unknown state"));
	assert_int_equal(db_replica_health(f->s, 600, &age, &stuck),
			 DB_NOTFOUND); /* never synced */
	/* A later change for the address replaces it: skipped, applied. */
	ch[0].op = DB_REPLICA_SKIP;
	assert_null(db_replica_storable(&ch[0]));
	ch[1].id = 2;
	ch[1].op = DB_REPLICA_PUT;
	snprintf(ch[1].addr, sizeof(ch[1].addr), "anna@x.org");
	ch[1].c = rec(DB_STATE_WITHDRAWN, "", 100);
	assert_int_equal(db_replica_apply(f->s, 0, ch, 2, 2, 500), DB_OK);
	assert_int_equal(ch[0].result, DB_REPLICA_SUPERSEDED);
	assert_int_equal(ch[1].result, DB_REPLICA_APPLIED);
	assert_int_equal(db_replica_status(f->s, &st), DB_OK);
	assert_int_equal(st.stuck_id, 0);
	assert_int_equal(st.last_id, 2);
	assert_int_equal(db_replica_health(f->s, 600, &age, &stuck), DB_OK);
	assert_int_equal(age, 100);
	assert_int_equal(stuck, 0);
}

/* Bury, list, retry (the record as it stands now) and drop. */
static void
test_dead_letters(void **state)
{
	struct fixture *f = *state;
	struct db_consent c = rec(DB_STATE_PENDING, "", 100);
	struct db_outbox_entry *e;
	struct db_outbox_dead *d;
	struct db_replica_state st;
	size_t n;

	assert_int_equal(db_replica_enable(f->s, NULL), DB_OK);
	assert_int_equal(db_consent_put(f->s, "l@x.org", &c), DB_OK);
	assert_int_equal(db_outbox_read(f->s, 10, &e, &n), DB_OK);
	assert_int_equal(n, 1);
	assert_int_equal(db_outbox_bury(f->s, e[0].key, 3, "ERROR: invalid "
			 "byte sequence", 200, NULL), DB_OK);
	assert_int_equal(db_outbox_bury(f->s, e[0].key, 3, "again", 200,
					NULL), DB_NOTFOUND);
	db_outbox_free(e, n);
	assert_int_equal(db_replica_status(f->s, &st), DB_OK);
	assert_int_equal(st.outbox, 0);
	assert_int_equal(st.dead, 1);
	assert_int_equal(db_outbox_dead_list(f->s, &d, &n), DB_OK);
	assert_int_equal(n, 1);
	assert_int_equal(d[0].tries, 3);
	assert_int_equal(d[0].time, 200);
	assert_string_equal(d[0].e.addr, "l@x.org");
	assert_string_equal(d[0].why, "ERROR: invalid byte sequence");
	/* The record changed meanwhile: retry queues it as it is now. */
	c.state = DB_STATE_WITHDRAWN;
	c.withdrawn = 300;
	assert_int_equal(db_consent_put(f->s, "l@x.org", &c), DB_OK);
	assert_int_equal(db_outbox_dead_retry(f->s, d[0].e.key, NULL), DB_OK);
	assert_int_equal(db_outbox_dead_retry(f->s, d[0].e.key, NULL),
			 DB_NOTFOUND);
	db_outbox_dead_free(d, n);
	assert_int_equal(db_outbox_read(f->s, 10, &e, &n), DB_OK);
	assert_int_equal(n, 2);
	assert_int_equal(e[1].c.state, DB_STATE_WITHDRAWN);
	assert_int_equal(db_outbox_bury(f->s, e[1].key, 5, "x", 400, NULL),
			 DB_OK);
	assert_int_equal(db_outbox_dead_drop(f->s, e[1].key, NULL), DB_OK);
	db_outbox_free(e, n);
	assert_int_equal(db_replica_status(f->s, &st), DB_OK);
	assert_int_equal(st.dead, 0);
	assert_int_equal(st.outbox, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hook_only_when_enabled,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_apply_skips_local_and_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_fix_unless_newer,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_keeps_withdrawal,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_apply_keeps_list_withdrawal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resync_keeps_waiting,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_apply_keeps_doi_retry_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forced_list_change, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unstorable_stops, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_apply_records_withdrawal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_letters, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
