/*
 * test_verify.c - `consentctl verify` over the evidence hash chain and the
 * personal data kept beside it: an intact chain verifies; one changed
 * byte, a removed record and two swapped records are each detected; a
 * changed, blanked or removed plaintext in evpii is named as tampering,
 * while the same after `forget` verifies; after a purge the chain
 * verifies from its checkpoint and goes on from it.  The tampering goes
 * straight through LMDB, as an attacker with file access would.
 */
#include "testlib.h"

#include <getopt.h>
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

/*
 * Run a subcommand as main() does with args (NULL-terminated) after its
 * name; its standard output is returned (free() it), the exit in *rc.
 */
static char *
test_run(const char *dir, ctl_run_fn fn, const char *name, int *rc, ...)
{
	struct ctl_command cmd = {name, fn, ""};
	struct ctl_ctx ctx = {dir, NULL, NULL};
	char path[] = "/tmp/cgtest.outXXXXXX", *argv[16], *out;
	int argc = 0, fd, saved;
	va_list ap;

	argv[argc++] = (char *)name;
	va_start(ap, rc);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(1);
	assert_true(dup2(fd, 1) >= 0);
	optind = 0;
	*rc = fn(&ctx, &cmd, argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(fd);
	out = test_read_file(path, NULL);
	unlink(path);
	return out;
}

static int
test_run_verify(const char *dir)
{
	struct ctl_ctx ctx = {dir, NULL, NULL};
	char *argv[] = {"verify", NULL};

	optind = 0;
	return ctl_cmd_verify(&ctx, &test_verify_cmd, 1, argv);
}

/* verify must fail and its output name want. */
static void
test_verify_names(const char *dir, const char *want)
{
	char *out;
	int rc;

	out = test_run(dir, ctl_cmd_verify, "verify", &rc, NULL);
	assert_int_equal(rc, CTL_EXIT_REFUSED);
	if (strstr(out, want) == NULL)
		fail_msg("verify output lacks '%s':\n%s", want, out);
	free(out);
}

/* Open the raw database name of dir. */
static void
test_raw_open_db(const char *dir, const char *name, MDB_env **env,
		 MDB_txn **txn, MDB_dbi *dbi)
{
	assert_int_equal(mdb_env_create(env), 0);
	assert_int_equal(mdb_env_set_maxdbs(*env, 16), 0);
	assert_int_equal(mdb_env_set_mapsize(*env, 1UL << 30), 0);
	assert_int_equal(mdb_env_open(*env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(*env, NULL, 0, txn), 0);
	assert_int_equal(mdb_dbi_open(*txn, name, 0, dbi), 0);
}

static void
test_raw_open(const char *dir, MDB_env **env, MDB_txn **txn, MDB_dbi *dbi)
{
	test_raw_open_db(dir, "evidence", env, txn, dbi);
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
	p = strstr(copy, "\"action\":\"pass\"");
	assert_non_null(p);
	p[10] = 'P'; /* pass -> Pass */
	nv.mv_data = copy;
	nv.mv_size = val.mv_size;
	assert_int_equal(mdb_put(txn, dbi, &key, &nv, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	free(copy);
	test_verify_names(dir, "record 4 (ref ref-4): the hash of the record "
			  "before it does not match");
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


/* Replace (text) or remove (NULL) the evpii entry of seq in dir. */
static void
test_pii_set(const char *dir, uint64_t seq, const char *text)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key, val;
	unsigned char k[8];

	test_raw_open_db(dir, "evpii", &env, &txn, &dbi);
	test_key(k, seq, &key);
	if (text) {
		val.mv_data = (void *)text;
		val.mv_size = strlen(text);
		assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
	} else {
		assert_int_equal(mdb_del(txn, dbi, &key, NULL), 0);
	}
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* A changed plaintext is tampering, named with its record. */
static void
test_pii_changed(void **state)
{
	char *dir = test_store_with_records(5);

	(void)state;
	test_pii_set(dir, 3, "{\"sender\":\"\",\"recipients\":"
		     "\"r9@example.org\",\"client_ip\":\"\"}");
	test_verify_names(dir, "record 3 (ref ref-3): personal data changed");
	test_rmdir_r(dir);
}

/* Plaintext blanked or removed without a forget is tampering too, and so
 * is plaintext for a record that does not exist. */
static void
test_pii_removed(void **state)
{
	char *dir = test_store_with_records(5);

	(void)state;
	test_pii_set(dir, 2, "{\"sender\":\"\",\"recipients\":\"\","
		     "\"client_ip\":\"\"}");
	test_verify_names(dir, "record 2 (ref ref-2): personal data removed "
			  "without a forget (recipients)");
	test_pii_set(dir, 2, NULL);
	test_verify_names(dir, "record 2 (ref ref-2): its personal data is "
			  "missing");
	test_rmdir_r(dir);
	dir = test_store_with_records(2);
	test_pii_set(dir, 7, "{\"sender\":\"\",\"recipients\":\"x@y.org\","
		     "\"client_ip\":\"\"}");
	test_verify_names(dir, "record 7 (ref -): personal data without its "
			  "evidence record");
	test_rmdir_r(dir);
}

/* After forget, the blanked and removed plaintext verifies; a later
 * change to what is left is still found. */
static void
test_forget_verifies(void **state)
{
	char *dir = test_store_with_records(5), *out, err[256], *json;
	struct db_evidence e = {.time = 1700000100, .ref = "two",
				.kind = "decision", .sender = "shop@x.example",
				.recipients = "r2@example.org, R3@example.org",
				.client_ip = "192.0.2.7", .action = "pass"};
	struct db_store *s;
	int rc;

	(void)state;
	assert_int_equal(db_open(dir, 0, &s, err, sizeof(err)), DB_OK);
	assert_int_equal(db_evidence_append(s, &e), DB_OK);
	db_close(s);
	out = test_run(dir, ctl_cmd_forget, "forget", &rc, "<R3@Example.org>",
		       NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_non_null(strstr(out, "2 evidence records pseudonymised"));
	free(out);
	assert_int_equal(test_run_verify(dir), CTL_EXIT_OK);
	assert_int_equal(db_open(dir, DB_OPEN_RDONLY, &s, err, sizeof(err)),
			 DB_OK);
	assert_int_equal(db_evidence_get(s, "two", &json), DB_OK);
	assert_non_null(strstr(json, "\"recipients\":[\"r2@example.org\","
				     "\"pseudonymised:"));
	assert_non_null(strstr(json, "\"sender\":\"shop@x.example\""));
	assert_non_null(strstr(json, "\"client_ip\":\"192.0.2.7\""));
	assert_null(strstr(json, "R3@"));
	free(json);
	assert_int_equal(db_evidence_get(s, "ref-3", &json), DB_OK);
	assert_non_null(strstr(json, "\"recipients\":[\"pseudonymised:"));
	free(json);
	db_close(s);
	/* What is left stays protected. */
	test_pii_set(dir, 6, "{\"sender\":\"shop@x.example\",\"recipients\":"
		     "\"r4@example.org,\",\"client_ip\":\"192.0.2.7\"}");
	test_verify_names(dir, "record 6 (ref two): personal data changed");
	test_rmdir_r(dir);
}

/* Purge keeps the rest verifiable from its checkpoint, and new records
 * continue the chain, also after everything was purged. */
static void
test_purge_checkpoint(void **state)
{
	char *dir = test_store_with_records(5), *out, err[256], hash[65];
	struct db_evidence e = {.time = 1900000000, .ref = "later",
				.kind = "decision", .action = "pass"};
	struct db_store *s;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key;
	unsigned char k[8];
	uint64_t seq;
	int rc;

	(void)state;
	/* Records 1-5 are at 1700000001-5; 1095 days after ...04 the cutoff
	 * is ...04, so 1-3 go and 4 stays. */
	out = test_run(dir, ctl_cmd_purge, "purge", &rc, "--now",
		       "1794608004", NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_non_null(strstr(out, "3 evidence records, seq 1 to 3"));
	free(out);
	out = test_run(dir, ctl_cmd_verify, "verify", &rc, NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_non_null(strstr(out, "3 evidence records, chain intact from "
				    "the purge checkpoint"));
	free(out);
	/* Everything, including purge's own record (seq 6), goes. */
	out = test_run(dir, ctl_cmd_purge, "purge", &rc, "--now",
		       "1899999999", NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	free(out);
	assert_int_equal(db_open(dir, 0, &s, err, sizeof(err)), DB_OK);
	assert_int_equal(db_evidence_checkpoint(s, &seq, hash), DB_OK);
	assert_int_equal(seq, 6);
	assert_int_equal(db_evidence_append(s, &e), DB_OK);
	db_close(s);
	assert_int_equal(test_run_verify(dir), CTL_EXIT_OK);
	/* Removing the first record after the checkpoint shows. */
	test_raw_open(dir, &env, &txn, &dbi);
	test_key(k, 7, &key);
	assert_int_equal(mdb_del(txn, dbi, &key, NULL), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	test_verify_names(dir, "record 8 (ref later): expected record 7 here");
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
		cmocka_unit_test(test_pii_changed),
		cmocka_unit_test(test_pii_removed),
		cmocka_unit_test(test_forget_verifies),
		cmocka_unit_test(test_purge_checkpoint),
	};

	return cmocka_run_group_tests_name("verify", tests, NULL, NULL);
}
