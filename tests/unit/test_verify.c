/*
 * test_verify.c - `consentctl verify` over the evidence hash chain: an
 * intact chain verifies; one changed byte, a removed record and two swapped
 * records are each detected.  The tampering goes straight through LMDB, as
 * an attacker with file access would.
 */
#include "testlib.h"

#include <lmdb.h>

#include "../../ctl/ctl.h"

static const struct ctl_command test_verify_cmd = {"verify", ctl_cmd_verify, ""};

static char *
test_store_with_records(int n)
{
	char *dir = test_tmpdir(), err[256], ref[32], rcpt[64];
	struct db_store *s;
	struct db_evidence e;
	int i;

	assert_int_equal(db_open(dir, DB_OPEN_CREATE, &s, err, sizeof(err)), DB_OK);
	for (i = 1; i <= n; i++) {
		memset(&e, 0, sizeof(e));
		snprintf(ref, sizeof(ref), "ref-%d", i);
		snprintf(rcpt, sizeof(rcpt), "r%d@example.org", i);
		e.time = 1700000000 + i;
		e.ref = ref;
		e.kind = "decision";
		e.recipients = rcpt;
		e.action = i % 2 ? "pass" : "reject";
		assert_int_equal(db_evidence_append(s, &e), DB_OK);
	}
	db_close(s);
	return dir;
}

static int
test_run_verify(const char *dir)
{
	struct ctl_ctx ctx = {dir, NULL, NULL};
	char *argv[] = {"verify", NULL};

	return ctl_cmd_verify(&ctx, &test_verify_cmd, 1, argv);
}

/* Open the raw evidence database of dir. */
static void
test_raw_open(const char *dir, MDB_env **env, MDB_txn **txn, MDB_dbi *dbi)
{
	assert_int_equal(mdb_env_create(env), 0);
	assert_int_equal(mdb_env_set_maxdbs(*env, 16), 0);
	assert_int_equal(mdb_env_set_mapsize(*env, 1UL << 30), 0);
	assert_int_equal(mdb_env_open(*env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(*env, NULL, 0, txn), 0);
	assert_int_equal(mdb_dbi_open(*txn, "evidence", 0, dbi), 0);
}

static void
test_key(unsigned char k[8], uint64_t seq, MDB_val *key)
{
	int i;

	for (i = 7; i >= 0; i--, seq >>= 8)
		k[i] = (unsigned char)(seq & 0xff);
	key->mv_data = k;
	key->mv_size = 8;
}

static void
test_intact(void **state)
{
	char *dir = test_store_with_records(5);

	(void)state;
	assert_int_equal(test_run_verify(dir), CTL_EXIT_OK);
	test_rmdir_r(dir);
}

static void
test_changed_byte(void **state)
{
	char *dir = test_store_with_records(5);
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key, val, nv;
	unsigned char k[8];
	char *copy, *p;

	(void)state;
	test_raw_open(dir, &env, &txn, &dbi);
	test_key(k, 3, &key);
	assert_int_equal(mdb_get(txn, dbi, &key, &val), 0);
	copy = malloc(val.mv_size);
	memcpy(copy, val.mv_data, val.mv_size);
	p = strstr(copy, "r3@");
	assert_non_null(p);
	p[1] = '9'; /* r3@ -> r9@ */
	nv.mv_data = copy;
	nv.mv_size = val.mv_size;
	assert_int_equal(mdb_put(txn, dbi, &key, &nv, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	free(copy);
	assert_int_equal(test_run_verify(dir), CTL_EXIT_REFUSED);
	test_rmdir_r(dir);
}

static void
test_removed(void **state)
{
	char *dir = test_store_with_records(5);
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key;
	unsigned char k[8];

	(void)state;
	test_raw_open(dir, &env, &txn, &dbi);
	test_key(k, 2, &key);
	assert_int_equal(mdb_del(txn, dbi, &key, NULL), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	assert_int_equal(test_run_verify(dir), CTL_EXIT_REFUSED);
	test_rmdir_r(dir);
}

static void
test_reordered(void **state)
{
	char *dir = test_store_with_records(5);
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k3, k4, v3, v4, c3, c4;
	unsigned char b3[8], b4[8];

	(void)state;
	test_raw_open(dir, &env, &txn, &dbi);
	test_key(b3, 3, &k3);
	test_key(b4, 4, &k4);
	assert_int_equal(mdb_get(txn, dbi, &k3, &v3), 0);
	assert_int_equal(mdb_get(txn, dbi, &k4, &v4), 0);
	c3.mv_size = v3.mv_size;
	c3.mv_data = malloc(v3.mv_size);
	memcpy(c3.mv_data, v3.mv_data, v3.mv_size);
	c4.mv_size = v4.mv_size;
	c4.mv_data = malloc(v4.mv_size);
	memcpy(c4.mv_data, v4.mv_data, v4.mv_size);
	assert_int_equal(mdb_put(txn, dbi, &k3, &c4, 0), 0);
	assert_int_equal(mdb_put(txn, dbi, &k4, &c3, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	free(c3.mv_data);
	free(c4.mv_data);
	assert_int_equal(test_run_verify(dir), CTL_EXIT_REFUSED);
	test_rmdir_r(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intact),
		cmocka_unit_test(test_changed_byte),
		cmocka_unit_test(test_removed),
		cmocka_unit_test(test_reordered),
	};

	return cmocka_run_group_tests_name("verify", tests, NULL, NULL);
}
