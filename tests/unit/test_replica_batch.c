/*
 * test_replica_batch.c - replication steps that must not hold up the
 * milter: a full resync commits in batches of DB_REPLICA_RESYNC_ROWS (a
 * reader sees the first batch before the resync ends, the local records
 * the centre lacks are removed by the merge, a resync cut short leaves its
 * mark), the store watch (db/watch.c) wakes the follower on a commit, and
 * an empty outbox read hands over no array (the follower reads after every
 * wake; it leaked one of 1,000 entries each time).
 */
#include "testlib.h"

#include <poll.h>

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

static void
put_local(struct db_store *s, const char *addr)
{
	struct db_consent c;

	memset(&c, 0, sizeof(c));
	c.state = DB_STATE_PENDING;
	c.created = 100;
	assert_int_equal(db_consent_put(s, addr, &c), DB_OK);
}

static void
central(struct db_replica_change *ch, int i)
{
	memset(ch, 0, sizeof(*ch));
	ch->op = DB_REPLICA_PUT;
	snprintf(ch->addr, sizeof(ch->addr), "r%04d@x.org", i);
	ch->c.state = DB_STATE_CONFIRMED;
	ch->c.created = 200;
	ch->c.confirmed = 200;
}

static void
test_resync_in_batches(void **state)
{
	struct fixture *f = *state;
	struct db_replica_change ch;
	struct db_replica_state st;
	struct db_replica_txn *t;
	struct db_consent got;
	int i, n = DB_REPLICA_RESYNC_ROWS * 5 / 2;

	/* Local records before, between and after the centre's rows. */
	put_local(f->s, "a@x.org");
	put_local(f->s, "r0500a@x.org");
	put_local(f->s, "zz@x.org");
	assert_int_equal(db_replica_enable(f->s, NULL), DB_OK);
	assert_int_equal(db_outbox_ack(f->s, 3, NULL, 0), DB_OK);
	assert_int_equal(db_replica_resync_begin(f->s, &t), DB_OK);
	for (i = 0; i < DB_REPLICA_RESYNC_ROWS + 10; i++) {
		central(&ch, i);
		assert_int_equal(db_replica_resync_put(t, &ch), DB_OK);
		assert_int_equal(ch.result, DB_REPLICA_APPLIED);
	}
	/* Mid-way, another reader sees the first batch and the merge's
	 * removals, and the mark; one write transaction would hide them. */
	assert_int_equal(db_consent_get(f->s, "r0900@x.org", &got), DB_OK);
	assert_int_equal(got.state, DB_STATE_CONFIRMED);
	assert_int_equal(db_consent_get(f->s, "a@x.org", &got), DB_NOTFOUND);
	assert_int_equal(db_consent_get(f->s, "r0500a@x.org", &got),
			 DB_NOTFOUND);
	assert_int_equal(db_consent_get(f->s, "zz@x.org", &got), DB_OK);
	assert_int_equal(db_replica_status(f->s, &st), DB_OK);
	assert_int_equal(st.resync, 1);
	/* Out of order: refused. */
	central(&ch, 3);
	assert_int_equal(db_replica_resync_put(t, &ch), DB_ERR_INVALID);
	for (; i < n; i++) {
		central(&ch, i);
		assert_int_equal(db_replica_resync_put(t, &ch), DB_OK);
	}
	assert_int_equal(db_replica_resync_commit(t, 99, 500), DB_OK);
	assert_int_equal(db_consent_get(f->s, "zz@x.org", &got), DB_NOTFOUND);
	assert_int_equal(db_replica_status(f->s, &st), DB_OK);
	assert_int_equal(st.records, (uint64_t)n);
	assert_int_equal(st.last_id, 99);
	assert_int_equal(st.resync, 0);
	assert_int_equal(st.outbox, 0); /* a resync queues nothing */
	/* Cut short: the mark stays for the next follower. */
	assert_int_equal(db_replica_resync_begin(f->s, &t), DB_OK);
	central(&ch, 1);
	assert_int_equal(db_replica_resync_put(t, &ch), DB_OK);
	db_replica_resync_abort(t);
	assert_int_equal(db_replica_status(f->s, &st), DB_OK);
	assert_int_equal(st.resync, 1);
	assert_int_equal(st.records, (uint64_t)n);
}

/* An empty outbox hands over no array: the follower reads it after every
 * commit it is woken for, and each array is batch entries of kilobytes. */
static void
test_outbox_read_empty(void **state)
{
	struct fixture *f = *state;
	struct db_outbox_entry *e = (void *)1;
	size_t n = 7;

	assert_int_equal(db_replica_enable(f->s, NULL), DB_OK);
	assert_int_equal(db_outbox_read(f->s, 1000, &e, &n), DB_OK);
	assert_int_equal(n, 0);
	assert_null(e);
	put_local(f->s, "o@x.org");
	assert_int_equal(db_outbox_read(f->s, 1000, &e, &n), DB_OK);
	assert_int_equal(n, 1);
	assert_non_null(e);
	db_outbox_free(e, n);
}

static void
test_watch_wakes(void **state)
{
	struct fixture *f = *state;
	struct pollfd p;
	int fd = db_watch_open(f->s);

	assert_true(fd >= 0);
	(void)db_watch_drain(fd);
	assert_int_equal(db_watch_drain(fd), 0);
	p.fd = fd;
	p.events = POLLIN;
	assert_int_equal(poll(&p, 1, 0), 0);
	put_local(f->s, "w@x.org");
	assert_int_equal(poll(&p, 1, 1000), 1);
	assert_int_equal(db_watch_drain(fd), 1);
	assert_int_equal(db_watch_drain(fd), 0);
	db_watch_close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resync_in_batches, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_watch_wakes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_outbox_read_empty, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
