/*
 * test_evversions.c - evidence records of every format version in one
 * chain: a chain written by the writers of record versions 1 and 2
 * (tests/data/evidence/v1v2.chain, made by make-v1v2.py: plaintext in the
 * chain, then keyed hashes with comma-joined recipients and a rules
 * string) is loaded into a store as those writers left it, today's writer
 * appends version 3 records after it, and `verify` finds the whole chain
 * intact and names the versions it read.  The one record reader turns the
 * old string forms into the same rules and recipients lists as the new
 * records.  A changed byte in an old record is still found.  Rule details
 * and notes naming a person are kept beside the chain (issue #19 item 6).
 */
#include "testlib.h"

#include <fcntl.h>
#include <getopt.h>
#include <lmdb.h>
#include <sys/stat.h>

#include "../../ctl/ctl.h"
#include "../../ctl/evrec.h"

#define TEST_CHAIN "tests/data/evidence/v1v2.chain"

/* Big-endian 8-byte key of seq. */
static void
test_key(unsigned char k[8], uint64_t seq)
{
	int i;

	for (i = 7; i >= 0; i--, seq >>= 8)
		k[i] = (unsigned char)(seq & 0xff);
}

/* Write the fixture's secret (hex) as dir/pii.key, as the store kept it. */
static void
test_write_key(const char *dir, const char *hex)
{
	unsigned char key[32];
	char path[512];
	unsigned v;
	int fd, i;

	for (i = 0; i < 32; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		key[i] = (unsigned char)v;
	}
	snprintf(path, sizeof(path), "%s/pii.key", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0400);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, key, sizeof(key)), (ssize_t)sizeof(key));
	close(fd);
}

/* Put one value (text) under seq into the named database. */
static void
test_put(MDB_txn *txn, MDB_dbi dbi, uint64_t seq, const char *text)
{
	unsigned char k[8];
	MDB_val key = {8, k}, val = {strlen(text), (void *)text};

	test_key(k, seq);
	assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
}

/* Store the fixture's records, refs and evpii entries as they were. */
static void
test_load_chain(const char *dir, char *text)
{
	MDB_dbi ev, evref, evpii;
	MDB_env *env;
	MDB_txn *txn;
	MDB_val rk, rv;
	unsigned char k[8];
	char *line, *save = NULL, *body, ref[64];
	unsigned long long seq;
	int n;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_set_mapsize(env, 1UL << 30), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "evidence", 0, &ev), 0);
	assert_int_equal(mdb_dbi_open(txn, "evref", 0, &evref), 0);
	assert_int_equal(mdb_dbi_open(txn, "evpii", 0, &evpii), 0);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "pii %llu %n", &seq, &n) == 1) {
			test_put(txn, evpii, seq, line + n);
			continue;
		}
		if (sscanf(line, "record %llu %n", &seq, &n) != 1)
			continue;
		body = line + n;
		test_put(txn, ev, seq, body);
		assert_int_equal(sscanf(strstr(body, "\"ref\":\"") + 7,
					"%63[^\"]", ref), 1);
		test_key(k, seq);
		rk.mv_size = strlen(ref);
		rk.mv_data = ref;
		rv.mv_size = 8;
		rv.mv_data = k;
		assert_int_equal(mdb_put(txn, evref, &rk, &rv, 0), 0);
	}
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* Two version 3 records after the old ones: a decision and a note. */
static void
test_append_v3(const char *dir)
{
	static const char *const rcpts[] = {"carol@c.example",
					    "dave@d.example"};
	static const struct db_evidence_rule rules[] = {
		{"url.insecure", "http://x.example/a; b", "html body", -1},
		{"tracking.no-consent", "pixel", "", 1},
	};
	struct db_evidence e[2] = {
		{.time = 1780000000, .ref = "new-1", .kind = "decision",
		 .sender = "news@shop.example", .rcptv = rcpts, .nrcpt = 2,
		 .client_ip = "192.0.2.9", .tls = 1, .cls = "marketing",
		 .rulev = rules, .nrules = 2, .action = "quarantine"},
		{.time = 1780000001, .ref = "new-2", .kind = "consent",
		 .recipients = "bob@b.example", .rules = "by=admin",
		 .action = "add"},
	};
	struct db_store *s;
	char err[256];

	assert_int_equal(db_open(dir, 0, &s, err, sizeof(err)), DB_OK);
	assert_int_equal(db_evidence_append_many(s, e, 2, NULL), DB_OK);
	db_close(s);
}

/* A store holding the fixture chain and two version 3 records. */
static char *
test_mixed_store(void)
{
	char *dir = test_tmpdir(), *text, *key, err[256];
	struct db_store *s;

	text = test_read_file(TEST_CHAIN, NULL);
	key = strstr(text, "\nkey ");
	assert_non_null(key);
	test_write_key(dir, key + 5);
	/* The store of that time: the same secret, empty databases. */
	assert_int_equal(db_open(dir, DB_OPEN_CREATE, &s, err, sizeof(err)),
			 DB_OK);
	db_close(s);
	test_load_chain(dir, text);
	free(text);
	test_append_v3(dir);
	return dir;
}

static void
test_problem(uint64_t seq, const char *ref, const char *problem, void *arg)
{
	(void)arg;
	fprintf(stderr, "record %llu (%s): %s\n", (unsigned long long)seq, ref,
		problem);
}

/* Versions 1, 2 and 3 in one chain verify, and verify names them. */
static void
test_mixed_chain_verifies(void **state)
{
	char *dir = test_mixed_store(), err[256];
	struct db_verify_result v;
	struct db_store *s;

	(void)state;
	assert_int_equal(db_open(dir, DB_OPEN_RDONLY, &s, err, sizeof(err)),
			 DB_OK);
	assert_int_equal(db_evidence_verify(s, test_problem, NULL, &v), DB_OK);
	db_close(s);
	assert_int_equal(v.problems, 0);
	assert_int_equal(v.checked, 7);
	assert_int_equal(v.versions[0], 0);
	assert_int_equal(v.versions[1], 2);
	assert_int_equal(v.versions[2], 3);
	assert_int_equal(v.versions[3], 2);
	test_rmdir_r(dir);
}

/* What `consentctl verify` prints about the versions. */
static void
test_verify_prints_versions(void **state)
{
	struct ctl_command cmd = {"verify", ctl_cmd_verify, ""};
	char *dir = test_mixed_store(), path[] = "/tmp/cgtest.outXXXXXX", *out;
	struct ctl_ctx ctx = {dir, NULL, NULL};
	char *argv[] = {"verify", NULL};
	int fd, saved, rc;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(1);
	assert_true(dup2(fd, 1) >= 0);
	optind = 0;
	rc = ctl_cmd_verify(&ctx, &cmd, 1, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(fd);
	out = test_read_file(path, NULL);
	unlink(path);
	assert_int_equal(rc, CTL_EXIT_OK);
	if (strstr(out, "record versions: v1 2, v2 3, v3 2\n") == NULL)
		fail_msg("verify output lacks the versions:\n%s", out);
	free(out);
	test_rmdir_r(dir);
}

/* The record of ref in the merged view, read by the one reader. */
static void
test_get(struct db_store *s, const char *ref, struct db_evrec *r)
{
	char *json;

	assert_int_equal(db_evidence_get(s, ref, &json), DB_OK);
	assert_int_equal(ctl_evrec_parse(json, strlen(json), r), CTL_EVREC_OK);
	free(json);
}

/* The same decision stored as version 2 and as version 3 reads the same. */
static void
test_old_and_new_read_alike(void **state)
{
	char *dir = test_mixed_store(), err[256];
	struct db_evrec o, n;
	struct db_store *s;
	size_t i;

	(void)state;
	assert_int_equal(db_open(dir, DB_OPEN_RDONLY, &s, err, sizeof(err)),
			 DB_OK);
	test_get(s, "old-3", &o);
	test_get(s, "new-1", &n);
	assert_int_equal(o.version, 2);
	assert_int_equal(n.version, 3);
	assert_int_equal(o.nrules, 2);
	assert_int_equal(n.nrules, 2);
	for (i = 0; i < 2; i++) {
		assert_string_equal(o.rulev[i].id, n.rulev[i].id);
		assert_string_equal(o.rulev[i].detail, n.rulev[i].detail);
		assert_string_equal(o.rulev[i].where, n.rulev[i].where);
	}
	/* Only version 3 knows which recipient a rule was about. */
	assert_int_equal(o.rulev[1].rcpt, -1);
	assert_int_equal(n.rulev[1].rcpt, 1);
	assert_int_equal(o.nrcpt, 2);
	assert_int_equal(n.nrcpt, 2);
	for (i = 0; i < 2; i++) {
		assert_string_equal(o.rcptv[i], n.rcptv[i]);
		assert_string_equal(o.rcpt_hv[i], n.rcpt_hv[i]);
	}
	assert_string_equal(o.rules, n.rules);
	assert_string_equal(o.recipients, "carol@c.example,dave@d.example");
	ctl_evrec_free(&o);
	ctl_evrec_free(&n);
	/* A note (version 1 and 3) is no rule. */
	test_get(s, "old-2", &o);
	test_get(s, "new-2", &n);
	assert_int_equal(o.version, 1);
	assert_int_equal(o.nrules + n.nrules, 0);
	assert_string_equal(o.note, "by=admin");
	assert_string_equal(n.note, "by=admin");
	assert_string_equal(o.recipients, n.recipients);
	ctl_evrec_free(&o);
	ctl_evrec_free(&n);
	test_get(s, "old-1", &o);
	assert_int_equal(o.nrules, 1);
	assert_string_equal(o.rulev[0].where, "envelope recipient");
	assert_true(ctl_evrec_has_recipient(&o, "alice@a.example"));
	ctl_evrec_free(&o);
	db_close(s);
	test_rmdir_r(dir);
}

/* One changed byte in a version 1 record breaks the chain after it. */
static void
test_old_record_changed(void **state)
{
	char *dir = test_mixed_store(), err[256], *copy;
	struct db_verify_result v;
	struct db_store *s;
	unsigned char k[8];
	MDB_val key = {8, k}, val;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi ev;

	(void)state;
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_set_mapsize(env, 1UL << 30), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "evidence", 0, &ev), 0);
	test_key(k, 1);
	assert_int_equal(mdb_get(txn, ev, &key, &val), 0);
	copy = malloc(val.mv_size);
	assert_non_null(copy);
	memcpy(copy, val.mv_data, val.mv_size);
	*strstr(copy, "reject") = 'R';
	val.mv_data = copy;
	assert_int_equal(mdb_put(txn, ev, &key, &val, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	free(copy);
	assert_int_equal(db_open(dir, DB_OPEN_RDONLY, &s, err, sizeof(err)),
			 DB_OK);
	assert_int_equal(db_evidence_verify(s, test_problem, NULL, &v), DB_OK);
	db_close(s);
	assert_int_equal(v.problems, 1);
	test_rmdir_r(dir);
}

/* Run a consentctl subcommand; its output is returned (free() it). */
static char *
test_ctl(const char *dir, ctl_run_fn fn, const char *name, int *rc,
	 const char *arg)
{
	struct ctl_command cmd = {name, fn, ""};
	struct ctl_ctx ctx = {dir, NULL, NULL};
	char path[] = "/tmp/cgtest.outXXXXXX", *argv[3], *out;
	int fd, saved;

	argv[0] = (char *)name;
	argv[1] = (char *)arg;
	argv[2] = NULL;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(1);
	assert_true(dup2(fd, 1) >= 0);
	optind = 0;
	*rc = fn(&ctx, &cmd, arg ? 2 : 1, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(fd);
	out = test_read_file(path, NULL);
	unlink(path);
	return out;
}

/* Every stored (chained) record must lack needle. */
static int
test_stored_lacks(uint64_t seq, const char *json, size_t len, void *arg)
{
	(void)seq;
	(void)len;
	if (strstr(json, arg) != NULL)
		fail_msg("the chained record holds '%s': %s", (char *)arg, json);
	return 0;
}

#define TEST_LEAK "the recipient's address appears in " \
		  "https://t.example/o?m=alice@a.example"

/*
 * A rule detail or note naming a person (issue #19 item 6) is kept beside
 * the chain: the chained record holds its HMAC, readers see the text,
 * verify checks it, forget erases it, a changed text is named.
 */
static void
test_personal_details(void **state)
{
	static const char *const rcpts[] = {"alice@a.example"};
	static const struct db_evidence_rule rules[] = {
		{"url.address-leak", TEST_LEAK, "html body", 0, 1},
		{"url.insecure", "http://x.example/", "html body", -1, 0},
	};
	struct db_evidence e[2] = {
		{.time = 1780000000, .ref = "leak", .kind = "decision",
		 .sender = "news@shop.example", .rcptv = rcpts, .nrcpt = 1,
		 .cls = "marketing", .rulev = rules, .nrules = 2,
		 .action = "reject"},
		{.time = 1780000001, .ref = "doi", .kind = "doi-send",
		 .sender = "optin@shop.example", .recipients = "alice@a.example",
		 .rules = "uid=u-secret-1", .note_personal = 1,
		 .action = "passed-to-mta"},
	};
	char *dir = test_tmpdir(), err[256], *out;
	struct db_verify_result v;
	struct db_store *s;
	struct db_evrec r;
	int rc;

	(void)state;
	assert_int_equal(db_open(dir, DB_OPEN_CREATE, &s, err, sizeof(err)),
			 DB_OK);
	assert_int_equal(db_evidence_append_many(s, e, 2, NULL), DB_OK);
	assert_int_equal(db_evidence_foreach_stored(s, test_stored_lacks,
						    "alice"), DB_OK);
	assert_int_equal(db_evidence_foreach_stored(s, test_stored_lacks,
						    "u-secret-1"), DB_OK);
	test_get(s, "leak", &r);
	assert_string_equal(r.rulev[0].detail, TEST_LEAK);
	assert_int_equal(strlen(r.rulev[0].detail_h), 64);
	assert_string_equal(r.rulev[1].detail, "http://x.example/");
	assert_string_equal(r.rulev[1].detail_h, "");
	ctl_evrec_free(&r);
	test_get(s, "doi", &r);
	assert_string_equal(r.note, "uid=u-secret-1");
	ctl_evrec_free(&r);
	assert_int_equal(db_evidence_verify(s, test_problem, NULL, &v), DB_OK);
	assert_int_equal(v.problems, 0);
	db_close(s);
	out = test_ctl(dir, ctl_cmd_forget, "forget", &rc, "Alice@A.example");
	assert_int_equal(rc, CTL_EXIT_OK);
	free(out);
	assert_int_equal(db_open(dir, DB_OPEN_RDONLY, &s, err, sizeof(err)),
			 DB_OK);
	assert_int_equal(db_evidence_verify(s, test_problem, NULL, &v), DB_OK);
	assert_int_equal(v.problems, 0);
	test_get(s, "leak", &r);
	assert_null(strstr(r.rulev[0].detail, "alice"));
	assert_non_null(strstr(r.rulev[0].detail, "pseudonymised:"));
	assert_string_equal(r.rulev[1].detail, "http://x.example/");
	ctl_evrec_free(&r);
	test_get(s, "doi", &r);
	assert_null(strstr(r.note, "u-secret-1"));
	ctl_evrec_free(&r);
	db_close(s);
	test_rmdir_r(dir);
}

/* A personal detail changed beside the chain is named by verify. */
static void
test_personal_detail_changed(void **state)
{
	static const char *const rcpts[] = {"alice@a.example"};
	static const struct db_evidence_rule rules[] = {
		{"url.address-leak", TEST_LEAK, "html body", 0, 1},
	};
	struct db_evidence e = {.time = 1780000000, .ref = "leak",
				.kind = "decision", .rcptv = rcpts,
				.nrcpt = 1, .rulev = rules, .nrules = 1,
				.action = "reject"};
	char *dir = test_tmpdir(), err[256], *copy, *at;
	struct db_verify_result v;
	struct db_store *s;
	unsigned char k[8];
	MDB_val key = {8, k}, val;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;

	(void)state;
	assert_int_equal(db_open(dir, DB_OPEN_CREATE, &s, err, sizeof(err)),
			 DB_OK);
	assert_int_equal(db_evidence_append(s, &e), DB_OK);
	db_close(s);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "evpii", 0, &dbi), 0);
	test_key(k, 1);
	assert_int_equal(mdb_get(txn, dbi, &key, &val), 0);
	copy = calloc(1, val.mv_size + 1);
	assert_non_null(copy);
	memcpy(copy, val.mv_data, val.mv_size);
	at = strstr(copy, "?m=alice");
	assert_non_null(at);
	at[3] = 'A'; /* the URL in the detail, not the recipient */
	val.mv_data = copy;
	assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	free(copy);
	assert_int_equal(db_open(dir, DB_OPEN_RDONLY, &s, err, sizeof(err)),
			 DB_OK);
	assert_int_equal(db_evidence_verify(s, test_problem, NULL, &v), DB_OK);
	db_close(s);
	assert_int_equal(v.problems, 1);
	test_rmdir_r(dir);
}

#define TEST_K1 "1111111111111111111111111111111111111111111111111111111111111111"
#define TEST_K2 "2222222222222222222222222222222222222222222222222222222222222222"

/* Write the key file dir/name with lines (mode mode); its path into out. */
static void
test_key_file(const char *dir, const char *name, const char *lines,
	      mode_t mode, char *out, size_t outsz)
{
	int fd;

	snprintf(out, outsz, "%s/%s", dir, name);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, lines, strlen(lines)), (ssize_t)strlen(lines));
	close(fd);
	assert_int_equal(chmod(out, mode), 0);
}

/* Open dir's store (created when create) with the key file keys. */
static struct db_store *
test_open_keys(const char *dir, int flags, const char *keys)
{
	struct db_store *s;
	char err[256];

	assert_int_equal(db_open(dir, flags, &s, err, sizeof(err)), DB_OK);
	if (keys && db_subject_keys_load(s, keys, err, sizeof(err)) != DB_OK)
		fail_msg("%s", err);
	return s;
}

/* One decision for anna@example.org with ref ref. */
static void
test_append_anna(struct db_store *s, const char *ref)
{
	struct db_evidence e = {.time = 1780000000, .ref = ref,
				.kind = "decision",
				.sender = "news@shop.example",
				.recipients = "anna@example.org",
				.action = "pass"};

	assert_int_equal(db_evidence_append(s, &e), DB_OK);
}

/* The hash of the first recipient of ref. */
static void
test_rcpt_h(struct db_store *s, const char *ref, char *out)
{
	struct db_evrec r;

	test_get(s, ref, &r);
	snprintf(out, DB_HASH_HEX, "%s", r.rcpt_hv[0]);
	ctl_evrec_free(&r);
}

/*
 * EvidenceSubjectKeyFile: two hosts with the same file hash an address
 * alike; records name the key they were hashed with, so a rotation keeps
 * older records verifying as long as the retired key stays in the file;
 * without it verify says which key is missing; forget still verifies.
 */
static void
test_subject_keys(void **state)
{
	char *a = test_tmpdir(), *b = test_tmpdir(), old[512], now[512];
	char bad[512], ha[DB_HASH_HEX], hb[DB_HASH_HEX], hs[3][DB_HASH_HEX];
	char err[256];
	struct db_verify_result v;
	struct db_forget_result fr;
	struct db_store *s;
	struct db_evrec r;
	size_t n;

	(void)state;
	test_key_file(a, "old.keys", "# before the rotation\n" TEST_K2 "\n",
		      0440, old, sizeof(old));
	test_key_file(a, "now.keys", TEST_K1 "\n\n" TEST_K2 "\n", 0440, now,
		      sizeof(now));
	test_key_file(a, "bad.keys", TEST_K1 "\n", 0444, bad, sizeof(bad));
	s = test_open_keys(a, DB_OPEN_CREATE, old);
	test_append_anna(s, "a-1");
	db_close(s);
	s = test_open_keys(a, 0, now);
	test_append_anna(s, "a-2");
	test_get(s, "a-1", &r);
	test_rcpt_h(s, "a-2", ha);
	assert_int_equal(strlen(r.key_id), 16);
	ctl_evrec_free(&r);
	assert_int_equal(db_evidence_verify(s, test_problem, NULL, &v), DB_OK);
	assert_int_equal(v.problems, 0);
	assert_int_equal(db_pii_hashes(s, "Anna@Example.org", hs, 3, &n), DB_OK);
	assert_int_equal(n, 3);
	assert_string_equal(hs[0], ha);
	db_close(s);
	/* Another host of the deployment: the same hash of the address. */
	s = test_open_keys(b, DB_OPEN_CREATE, now);
	test_append_anna(s, "b-1");
	test_rcpt_h(s, "b-1", hb);
	assert_string_equal(ha, hb);
	db_close(s);
	/* Without the file the records cannot be checked: verify says so. */
	s = test_open_keys(a, DB_OPEN_RDONLY, NULL);
	assert_int_equal(db_evidence_verify(s, test_problem, NULL, &v), DB_OK);
	assert_int_equal(v.problems, 2);
	db_close(s);
	/* forget lists the subject under every key: still verifies. */
	s = test_open_keys(a, 0, now);
	assert_int_equal(db_forget(s, "anna@example.org", NULL, &fr), DB_OK);
	assert_int_equal(fr.pseudonymised, 2);
	assert_int_equal(db_evidence_verify(s, test_problem, NULL, &v), DB_OK);
	assert_int_equal(v.problems, 0);
	/* A key file others can read is refused. */
	assert_int_not_equal(db_subject_keys_load(s, bad, err, sizeof(err)),
			     DB_OK);
	assert_non_null(strstr(err, "others cannot read"));
	db_close(s);
	test_rmdir_r(a);
	test_rmdir_r(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mixed_chain_verifies),
		cmocka_unit_test(test_verify_prints_versions),
		cmocka_unit_test(test_old_and_new_read_alike),
		cmocka_unit_test(test_old_record_changed),
		cmocka_unit_test(test_personal_details),
		cmocka_unit_test(test_personal_detail_changed),
		cmocka_unit_test(test_subject_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
