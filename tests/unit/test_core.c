/*
 * test_core.c - the LMDB core of db/ (db/core.c): a full map grows and the
 * write runs again, up to the limit and no further; a map another process
 * grew is adopted; reader slots of dead processes are freed; the single
 * lookups' transaction pool; and the write body runs again from the start.
 * Each test opens its own store in a temporary directory.
 */
#include "testlib.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../db/consent_sm.h"
#include "../../db/store_int.h"

static char *dir;
static char path[512];

static void
fill(struct db_consent *c)
{
	memset(c, 0, sizeof(*c));
	c->state = DB_STATE_CONFIRMED;
	c->created = 1700000000;
	c->confirmed = 1700000000;
	memset(c->source, 's', DB_SOURCE_MAX);
}

static struct db_store *
open_with(const char *mapsize, int flags)
{
	struct db_store *s = NULL;
	char err[256];
	int rc;

	if (mapsize)
		setenv("CONSENTGATE_MAPSIZE", mapsize, 1);
	rc = db_open(path, flags, &s, err, sizeof(err));
	unsetenv("CONSENTGATE_MAPSIZE");
	if (rc != DB_OK)
		fail_msg("db_open: %s", err);
	return s;
}

static int
setup(void **state)
{
	(void)state;
	dir = test_tmpdir();
	snprintf(path, sizeof(path), "%s/store", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	test_rmdir_r(dir);
	return 0;
}

/* Records of about 300 bytes until n are written or a write fails. */
static int
put_many(struct db_store *s, size_t n, size_t *done)
{
	struct db_consent c;
	char addr[64];
	int rc = DB_OK;

	fill(&c);
	for (*done = 0; *done < n && rc == DB_OK; (*done)++) {
		snprintf(addr, sizeof(addr), "user%zu@example.com", *done);
		rc = db_consent_put(s, addr, &c);
	}
	return rc;
}

/* A map of 128 KiB that may grow to 8 MiB takes 2,000 records (about
 * 600 KiB); at 128 KiB alone it fills up after a few hundred. */
static void
test_map_grows(void **state)
{
	struct db_store *s;
	struct db_consent got;
	struct db_evidence e;
	size_t n;

	(void)state;
	s = open_with("131072:8388608", DB_OPEN_CREATE);
	assert_int_equal(put_many(s, 2000, &n), DB_OK);
	assert_true(s->core.grown >= 2);
	assert_true(s->core.map_size > 131072);
	assert_true(s->core.map_size <= 8388608);
	assert_int_equal(db_consent_get(s, "user1999@example.com", &got),
			 DB_OK);
	/* An evidence record goes through the same growth. */
	memset(&e, 0, sizeof(e));
	e.ref = "ref-grow";
	e.kind = "decision";
	e.time = 1700000000;
	e.sender = "news@example.com";
	e.recipients = "user1@example.com";
	e.action = "pass";
	assert_int_equal(db_evidence_append(s, &e), DB_OK);
	db_close(s);
	/* Reopened with the default size, the store keeps its records. */
	s = open_with(NULL, 0);
	assert_int_equal(db_consent_get(s, "user1999@example.com", &got),
			 DB_OK);
	db_close(s);
}

/* The state machine's writes (the milter's DOI sends and withdrawals)
 * grow the map too: 1,000 DOI sends, each with its evidence record. */
static void
test_map_grows_state_machine(void **state)
{
	struct db_store *s;
	struct db_event ev;
	struct db_evidence e;
	struct db_sm_result res;
	struct db_consent got;
	char addr[64], ref[32], msgid[64];
	int i;

	(void)state;
	s = open_with("131072:8388608", DB_OPEN_CREATE);
	for (i = 0; i < 1000; i++) {
		snprintf(addr, sizeof(addr), "doi%d@example.com", i);
		snprintf(ref, sizeof(ref), "ref-doi-%d", i);
		snprintf(msgid, sizeof(msgid), "<m%d@shop.example>", i);
		memset(&ev, 0, sizeof(ev));
		ev.kind = DB_EV_DOI_SEND;
		ev.at = 1700000000 + i;
		ev.msgid = msgid;
		ev.ref = ref;
		memset(&e, 0, sizeof(e));
		e.ref = ref;
		e.kind = "doi-send";
		e.time = ev.at;
		e.sender = "confirm@shop.example";
		e.recipients = addr;
		e.action = "sent";
		assert_int_equal(db_consent_apply(s, addr, &ev, &e, 0, &res),
				 DB_OK);
	}
	assert_true(s->core.grown >= 1);
	assert_int_equal(db_consent_get(s, "doi999@example.com", &got), DB_OK);
	assert_int_equal(got.state, DB_STATE_PENDING);
	db_close(s);
}

/* At its limit the map stays full: DB_ERR_FULL, earlier records intact. */
static void
test_map_limit(void **state)
{
	struct db_store *s;
	struct db_consent got;
	size_t n;

	(void)state;
	s = open_with("131072:262144", DB_OPEN_CREATE);
	assert_int_equal(put_many(s, 100000, &n), DB_ERR_FULL);
	assert_true(n > 10);
	assert_int_equal(s->core.map_size, 262144);
	assert_int_equal(db_consent_get(s, "user0@example.com", &got), DB_OK);
	db_close(s);
}

static void
test_mapsize_syntax(void **state)
{
	size_t start, limit;
	char err[200];

	(void)state;
	setenv("CONSENTGATE_MAPSIZE", "4096:2048", 1);
	assert_int_equal(db_core_mapsize(&start, &limit, err, sizeof(err)),
			 DB_ERR_INVALID);
	setenv("CONSENTGATE_MAPSIZE", "4096:", 1);
	assert_int_equal(db_core_mapsize(&start, &limit, err, sizeof(err)),
			 DB_ERR_INVALID);
	setenv("CONSENTGATE_MAPSIZE", "4096:8192", 1);
	assert_int_equal(db_core_mapsize(&start, &limit, err, sizeof(err)),
			 DB_OK);
	assert_int_equal(start, 4096);
	assert_int_equal(limit, 8192);
	setenv("CONSENTGATE_MAPSIZE", "65536", 1);
	assert_int_equal(db_core_mapsize(&start, &limit, err, sizeof(err)),
			 DB_OK);
	assert_int_equal(start, limit);
	unsetenv("CONSENTGATE_MAPSIZE");
}

/* Another process grows the map: this one adopts it and reads on. */
static void
test_map_resized_elsewhere(void **state)
{
	struct db_store *s, *t;
	struct db_consent got;
	pid_t pid;
	size_t n;
	int status;

	(void)state;
	t = open_with("131072:8388608", DB_OPEN_CREATE);
	db_close(t);
	s = open_with("131072:131072", 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		t = open_with("131072:8388608", 0);
		_exit(put_many(t, 2000, &n) == DB_OK && t->core.grown > 0 ? 0
									    : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(db_consent_get(s, "user1999@example.com", &got),
			 DB_OK);
	assert_true(s->core.map_size > 131072);
	db_close(s);
}

/* A process that died inside a read transaction leaves a reader slot;
 * the next open frees it.  A second process keeps the environment open
 * meanwhile (the first opener of a lock file resets its reader table). */
static void
test_dead_reader(void **state)
{
	struct db_store *s;
	MDB_txn *txn;
	pid_t holder, pid;
	int status, ready[2], go[2];
	char c;

	(void)state;
	s = open_with(NULL, DB_OPEN_CREATE);
	db_close(s);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	holder = fork();
	assert_true(holder >= 0);
	if (holder == 0) {
		close(ready[0]);
		close(go[1]);
		s = open_with(NULL, 0);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		db_close(s);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		s = open_with(NULL, 0);
		_exit(db_txn_begin(s, 1, &txn) == DB_OK ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	s = open_with(NULL, 0);
	assert_true(s->core.readers_freed >= 1);
	db_close(s);
	close(go[1]);
	assert_int_equal(waitpid(holder, &status, 0), holder);
	close(ready[0]);
}

/* The body of a write that found the map full runs again from the start,
 * in a new transaction. */
struct rerun {
	struct db_store *s;
	int runs;
};

static int
rerun_body(MDB_txn *txn, void *arg)
{
	struct rerun *r = arg;
	char key[16], big[2048];
	MDB_val k = {0, key}, v = {sizeof(big), big};
	int i, rc = 0;

	r->runs++;
	memset(big, 'x', sizeof(big));
	for (i = 0; i < 200 && rc == 0; i++) {
		k.mv_size = (size_t)snprintf(key, sizeof(key), "big%d", i);
		rc = mdb_put(txn, r->s->meta, &k, &v, 0);
	}
	return db_from_mdb(rc);
}

static void
test_write_reruns(void **state)
{
	struct rerun r = {NULL, 0};

	(void)state;
	r.s = open_with("131072:8388608", DB_OPEN_CREATE);
	assert_int_equal(db_core_write(&r.s->core, rerun_body, &r), DB_OK);
	assert_true(r.runs >= 2);
	assert_true(r.s->core.grown >= 1);
	db_close(r.s);
}

/* Lookups end their transactions: a resize does not wait.  The thread
 * keeps one reset transaction of its own for the next lookup. */
static void
test_pool_releases(void **state)
{
	struct db_store *s;
	struct db_consent got;
	int i;

	(void)state;
	s = open_with(NULL, DB_OPEN_CREATE);
	for (i = 0; i < 50; i++)
		assert_int_equal(db_consent_get(s, "nobody@example.com", &got),
				 DB_NOTFOUND);
	assert_int_equal(s->core.active, 0);
	assert_non_null(s->core.slots);
	assert_int_equal(s->core.nrpool, 0);
	assert_int_equal(db_core_grow(&s->core), DB_OK);
	assert_int_equal(db_consent_get(s, "nobody@example.com", &got),
			 DB_NOTFOUND);
	db_close(s);
}

static void *
lookup_thread(void *arg)
{
	struct db_consent got;
	int i;

	for (i = 0; i < 20; i++)
		if (db_consent_get(arg, "anna@example.com", &got) != DB_OK ||
		    got.state != DB_STATE_CONFIRMED)
			return arg;
	return NULL;
}

/* A thread's own read transaction goes back to the pool when the thread
 * ends (threads come and go with connections), and a closed core leaves
 * no transaction bound to a thread: the next store it reads from binds
 * its slot again. */
static void
test_thread_slots(void **state)
{
	struct db_store *s;
	struct db_consent c, got;
	pthread_t t[3];
	void *ret;
	int i;

	(void)state;
	s = open_with(NULL, DB_OPEN_CREATE);
	fill(&c);
	assert_int_equal(db_consent_put(s, "anna@example.com", &c), DB_OK);
	for (i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, lookup_thread, s),
				 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	assert_null(s->core.slots);
	assert_true(s->core.nrpool >= 1);
	assert_null(lookup_thread(s)); /* this thread binds its slot */
	assert_non_null(s->core.slots);
	db_close(s);
	s = open_with(NULL, DB_OPEN_RDONLY);
	assert_null(s->core.slots);
	assert_int_equal(db_consent_get(s, "anna@example.com", &got), DB_OK);
	assert_int_equal(got.state, DB_STATE_CONFIRMED);
	assert_non_null(s->core.slots);
	db_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_map_grows),
		T(test_map_grows_state_machine),
		T(test_map_limit),
		T(test_mapsize_syntax),
		T(test_map_resized_elsewhere),
		T(test_dead_reader),
		T(test_write_reruns),
		T(test_thread_slots),
		T(test_pool_releases),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
