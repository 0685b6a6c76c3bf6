/*
 * test_addrkey.c - a store written before the address normaliser mapped
 * domains to A-labels (a record keyed "anna@bücher.example") is moved to
 * the normalised key on the first writable open: the record and its uid
 * are found under either spelling, a clash with a record already under
 * the new key keeps the withdrawal, each move is an evidence record, and a
 * second open moves nothing.
 */
#include "testlib.h"

#include <lmdb.h>

#include "../../db/codec.h"
#include "../../db/store.h"

/* Write key -> c (and its uid index) straight into LMDB, as an older
 * program would have, and clear the migration mark. */
static void
raw_put(const char *dir, const char *key, const struct db_consent *c)
{
	unsigned char enc[DB_CODEC_MAX];
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi consent, uid, meta;
	MDB_val k = {strlen(key), (void *)key}, v, mk = {8, "addrkeys"};
	int n;

	n = db_codec_encode(c, enc, sizeof(enc));
	assert_true(n > 0);
	v.mv_size = (size_t)n;
	v.mv_data = enc;
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_set_mapsize(env, 64UL << 20), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0640), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "consent", 0, &consent), 0);
	assert_int_equal(mdb_dbi_open(txn, "uid", 0, &uid), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	assert_int_equal(mdb_put(txn, consent, &k, &v, 0), 0);
	if (c->uid[0]) {
		MDB_val u = {strlen(c->uid), (void *)c->uid};

		assert_int_equal(mdb_put(txn, uid, &u, &k, 0), 0);
	}
	n = mdb_del(txn, meta, &mk, NULL);
	assert_true(n == 0 || n == MDB_NOTFOUND);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static int
count_key(const char *addr, const struct db_consent *c, void *arg)
{
	(void)c;
	/* Every key left is in normalised form. */
	assert_null(strstr(addr, "\xc3\xbc"));
	(*(int *)arg)++;
	return 0;
}

static int
count_migrate(uint64_t seq, const char *json, size_t len, void *arg)
{
	(void)seq;
	(void)len;
	if (strstr(json, "\"action\":\"migrate\""))
		(*(int *)arg)++;
	return 0;
}

static void
test_migrate_on_open(void **state)
{
	char *dir = test_tmpdir(), err[256], addr[ADDR_MAX + 1];
	struct db_consent c = {0}, got;
	struct db_store *s;
	int n = 0, ev = 0;

	(void)state;
	assert_int_equal(db_open(dir, DB_OPEN_CREATE, &s, err, sizeof(err)),
			 DB_OK);
	db_close(s);
	c.state = DB_STATE_CONFIRMED;
	c.created = 1000;
	c.confirmed = 2000;
	snprintf(c.uid, sizeof(c.uid), "u-anna");
	raw_put(dir, "anna@b\xc3\xbc" "cher.example", &c);
	/* bob: a newer withdrawal under the old key, an older consent under
	 * the new one. */
	snprintf(c.uid, sizeof(c.uid), "u-bob");
	raw_put(dir, "bob@xn--bcher-kva.example", &c);
	c.state = DB_STATE_WITHDRAWN;
	c.withdrawn = 3000;
	snprintf(c.uid, sizeof(c.uid), "u-bob2");
	raw_put(dir, "bob@b\xc3\xbc" "cher.example", &c);

	assert_int_equal(db_open(dir, 0, &s, err, sizeof(err)), DB_OK);
	assert_int_equal(db_consent_get(s, "anna@b\xc3\xbc" "cher.example",
					&got), DB_OK);
	assert_int_equal(got.state, DB_STATE_CONFIRMED);
	assert_int_equal(got.confirmed, 2000);
	assert_int_equal(db_consent_get(s, "Anna@XN--BCHER-KVA.example",
					&got), DB_OK);
	assert_int_equal(db_consent_by_uid(s, "u-anna", addr, sizeof(addr)),
			 DB_OK);
	assert_string_equal(addr, "anna@xn--bcher-kva.example");
	assert_int_equal(db_consent_get(s, "bob@bücher.example", &got), DB_OK);
	assert_int_equal(got.state, DB_STATE_WITHDRAWN);
	assert_int_equal(got.withdrawn, 3000);
	assert_int_equal(db_consent_foreach(s, count_key, &n), DB_OK);
	assert_int_equal(n, 2);
	assert_int_equal(db_evidence_foreach(s, count_migrate, &ev), DB_OK);
	assert_int_equal(ev, 2);
	db_close(s);

	/* Marked: the next open moves nothing and writes no evidence. */
	assert_int_equal(db_open(dir, 0, &s, err, sizeof(err)), DB_OK);
	ev = 0;
	assert_int_equal(db_evidence_foreach(s, count_migrate, &ev), DB_OK);
	assert_int_equal(ev, 2);
	db_close(s);
	test_rmdir_r(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_on_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
