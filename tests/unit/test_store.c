/*
 * test_store.c - the LMDB consent and evidence store (db/): open and
 * create, record round trips, the uid index, corruption, CSV import and
 * export, JSON export, read-only stores, a full map and the evidence hash
 * chain.  Each test works in its own temporary directory.
 */
#include <pthread.h>

#include "testlib.h"

#include <glib.h>
#include <lmdb.h>
#include <sys/stat.h>

#include "../../db/codec.h"
#include "../../db/consent_sm.h"
#include "../../db/store.h"
#include "../../fmt/export.h"
#include "../../fmt/import.h"

#define NOW INT64_C(1767323045) /* 2026-01-02T03:04:05Z */

struct fixture {
	char *dir;   /* the temporary directory */
	char store[512];
	struct db_store *s;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	f->dir = test_tmpdir();
	snprintf(f->store, sizeof(f->store), "%s/store", f->dir);
	assert_int_equal(db_open(f->store, DB_OPEN_CREATE, &f->s, err,
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

/* Write text to dir/name; returns a static path. */
static const char *
write_file(const char *dir, const char *name, const char *text)
{
	static char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	fclose(fp);
	return path;
}

static int
count_cb(const char *addr, const struct db_consent *c, void *arg)
{
	(void)addr;
	(void)c;
	(*(size_t *)arg)++;
	return 0;
}

static size_t
count_records(struct db_store *s)
{
	size_t n = 0;

	assert_int_equal(db_consent_foreach(s, count_cb, &n), DB_OK);
	return n;
}

static void
fill(struct db_consent *c, int state, const char *uid)
{
	memset(c, 0, sizeof(*c));
	c->state = state;
	c->created = NOW;
	snprintf(c->uid, sizeof(c->uid), "%s", uid);
}

static void
assert_same(const struct db_consent *a, const struct db_consent *b)
{
	static struct db_consent la, lb;

	assert_int_equal(a->state, b->state);
	assert_int_equal(a->tracking, b->tracking);
	assert_int_equal(a->created, b->created);
	assert_int_equal(a->confirmed, b->confirmed);
	assert_int_equal(a->withdrawn, b->withdrawn);
	assert_int_equal(a->doi_sent, b->doi_sent);
	assert_string_equal(a->uid, b->uid);
	assert_string_equal(a->ip, b->ip);
	assert_string_equal(a->source, b->source);
	assert_string_equal(a->doi_msgid, b->doi_msgid);
	assert_string_equal(a->doi_hash, b->doi_hash);
	assert_string_equal(a->doi_ref, b->doi_ref);
	/* The lists as readers see them: a record without lists holds the
	 * implicit one. */
	db_consent_lists_of(a, &la);
	db_consent_lists_of(b, &lb);
	assert_int_equal(la.nlists, lb.nlists);
	assert_memory_equal(la.lists, lb.lists, la.nlists * sizeof(la.lists[0]));
}

/* Import text (written to a file) with fresh error text. */
static int
import_text(struct fixture *f, const char *text, size_t *n, char *err,
	    size_t errsz)
{
	const char *path = write_file(f->dir, "in.csv", text);
	FILE *fp = fopen(path, "r");
	int rc;

	assert_non_null(fp);
	rc = fmt_import_csv(f->s, fp, "in.csv", NOW, n, err, errsz);
	fclose(fp);
	return rc;
}

static void
test_open_create(void **state)
{
	struct fixture *f = *state;
	struct db_store *s;
	struct stat st;
	char path[600], err[256];

	/* The fixture's store exists; its directory is its owner's alone. */
	assert_int_equal(stat(f->store, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	db_close(f->s);
	f->s = NULL;
	assert_int_equal(db_open(f->store, 0, &f->s, err, sizeof(err)), DB_OK);
	db_close(f->s);
	assert_int_equal(db_open(f->store, DB_OPEN_RDONLY, &f->s, err,
				 sizeof(err)), DB_OK);
	/* No store in an empty directory unless asked to create one. */
	snprintf(path, sizeof(path), "%s/empty", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(db_open(path, 0, &s, err, sizeof(err)), DB_ERR_IO);
	assert_null(s);
	assert_non_null(strstr(err, "no consent store"));
	snprintf(path, sizeof(path), "%s/missing/deeper", f->dir);
	assert_true(db_open(path, DB_OPEN_CREATE, &s, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "missing/deeper"));
	assert_int_equal(db_open(NULL, 0, &s, err, sizeof(err)),
			 DB_ERR_INVALID);
}

/* A store of another format version is refused. */
static void
test_open_version(void **state)
{
	struct fixture *f = *state;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = {7, "version"}, v = {1, "9"};
	char err[256];

	db_close(f->s);
	f->s = NULL;
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	assert_int_equal(mdb_env_open(env, f->store, 0, 0640), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	assert_int_equal(db_open(f->store, 0, &f->s, err, sizeof(err)),
			 DB_ERR_VERSION);
	assert_non_null(strstr(err, "format 9"));
	/* A format 1 store (personal data inside the chain) is refused
	 * with what to do, also by init, which then changes nothing. */
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	assert_int_equal(mdb_env_open(env, f->store, 0, 0640), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	v.mv_data = "1";
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	assert_int_equal(db_open(f->store, DB_OPEN_CREATE, &f->s, err,
				 sizeof(err)), DB_ERR_VERSION);
	assert_non_null(strstr(err, "store format 1, this program reads "
				    "format 2"));
	assert_non_null(strstr(err, "consentctl init"));
}

/* Lookups reuse reset read transactions (db_read_begin): every lookup
 * sees the writes committed before it, also from another thread, and a
 * decoded record with fewer lists than the one decoded before has none
 * of the earlier one's left over. */
struct reader_arg {
	struct db_store *s;
	int state;
};

static void *
test_reader(void *p)
{
	struct reader_arg *a = p;
	struct db_consent got;

	if (db_consent_get(a->s, "r@example.com", &got) == DB_OK)
		a->state = got.state;
	return NULL;
}

static void
test_lookup_reuse(void **state)
{
	struct fixture *f = *state;
	struct db_consent c, got;
	struct reader_arg a = {f->s, 0};
	pthread_t t;
	int i;

	memset(&c, 0, sizeof(c));
	c.created = NOW;
	for (i = 0; i < 40; i++) {
		c.state = i % 2 ? DB_STATE_CONFIRMED : DB_STATE_PENDING;
		c.confirmed = i % 2 ? NOW + i : 0;
		assert_int_equal(db_consent_put(f->s, "r@example.com", &c), DB_OK);
		assert_int_equal(db_consent_get(f->s, "r@example.com", &got),
				 DB_OK);
		assert_int_equal(got.state, c.state);
		assert_int_equal(got.confirmed, c.confirmed);
		assert_int_equal(db_consent_get(f->s, "q@example.com", &got),
				 DB_NOTFOUND);
		a.state = 0;
		assert_int_equal(pthread_create(&t, NULL, test_reader, &a), 0);
		assert_int_equal(pthread_join(t, NULL), 0);
		assert_int_equal(a.state, c.state);
	}
	c.nlists = 2;
	snprintf(c.lists[0].name, sizeof(c.lists[0].name), "news");
	c.lists[0].state = DB_STATE_CONFIRMED;
	snprintf(c.lists[1].name, sizeof(c.lists[1].name), "offers");
	c.lists[1].state = DB_STATE_PENDING;
	c.state = DB_STATE_CONFIRMED;
	assert_int_equal(db_consent_put(f->s, "l@example.com", &c), DB_OK);
	assert_int_equal(db_consent_get(f->s, "l@example.com", &got), DB_OK);
	assert_int_equal(got.nlists, 2);
	assert_int_equal(db_consent_get(f->s, "r@example.com", &got), DB_OK);
	assert_int_equal(got.nlists, 0);
	assert_int_equal(got.nhistory, 0);
	assert_string_equal(got.uid, "");
}

static void
test_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct db_consent c, got;

	memset(&c, 0, sizeof(c));
	c.state = DB_STATE_CONFIRMED;
	c.tracking = 1;
	c.created = NOW - 100;
	c.confirmed = NOW;
	c.withdrawn = 0;
	c.doi_sent = NOW - 50;
	memset(c.uid, 'u', DB_UID_MAX); /* every string at its maximum */
	snprintf(c.ip, sizeof(c.ip), "2001:db8::1");
	memset(c.source, 's', DB_SOURCE_MAX);
	memset(c.doi_msgid, 'm', DB_MSGID_MAX);
	assert_int_equal(db_consent_put(f->s, "a@example.com", &c), DB_OK);
	assert_int_equal(db_consent_get(f->s, "a@example.com", &got), DB_OK);
	assert_same(&c, &got);
	assert_int_equal(db_consent_get(f->s, "b@example.com", &got),
			 DB_NOTFOUND);
	/* Records the store must refuse. */
	c.state = DB_STATE_NONE;
	assert_int_equal(db_consent_put(f->s, "a@example.com", &c),
			 DB_ERR_INVALID);
	c.state = DB_STATE_PENDING;
	snprintf(c.ip, sizeof(c.ip), "not-an-ip");
	assert_int_equal(db_consent_put(f->s, "a@example.com", &c),
			 DB_ERR_INVALID);
	c.ip[0] = '\0';
	c.source[DB_SOURCE_MAX] = 'x'; /* unterminated */
	assert_int_equal(db_consent_put(f->s, "a@example.com", &c),
			 DB_ERR_INVALID);
}

static void
test_normalised_key(void **state)
{
	struct fixture *f = *state;
	struct db_consent c, got;

	fill(&c, DB_STATE_PENDING, "");
	assert_int_equal(db_consent_put(f->s, " <Foo@Example.COM> ", &c),
			 DB_OK);
	assert_int_equal(db_consent_get(f->s, "foo@example.com", &got), DB_OK);
	assert_int_equal(db_consent_get(f->s, "FOO@example.com", &got), DB_OK);
	assert_int_equal(db_consent_get(f->s, "mailto:foo@example.com", &got),
			 DB_OK);
	assert_int_equal(count_records(f->s), 1);
	assert_int_equal(db_consent_get(f->s, "no-at-sign", &got),
			 DB_ERR_INVALID);
	assert_int_equal(db_consent_put(f->s, "", &c), DB_ERR_INVALID);
}

static void
test_uid_index(void **state)
{
	struct fixture *f = *state;
	struct db_consent c;
	char addr[ADDR_MAX + 1];

	fill(&c, DB_STATE_CONFIRMED, "u1");
	assert_int_equal(db_consent_put(f->s, "a@example.com", &c), DB_OK);
	assert_int_equal(db_consent_by_uid(f->s, "u1", addr, sizeof(addr)),
			 DB_OK);
	assert_string_equal(addr, "a@example.com");
	/* Another address may not take a uid in use. */
	assert_int_equal(db_consent_put(f->s, "b@example.com", &c),
			 DB_ERR_INVALID);
	/* Changing the uid moves the index entry. */
	fill(&c, DB_STATE_CONFIRMED, "u2");
	assert_int_equal(db_consent_put(f->s, "a@example.com", &c), DB_OK);
	assert_int_equal(db_consent_by_uid(f->s, "u1", addr, sizeof(addr)),
			 DB_NOTFOUND);
	assert_int_equal(db_consent_by_uid(f->s, "u2", addr, sizeof(addr)),
			 DB_OK);
	assert_string_equal(addr, "a@example.com");
	fill(&c, DB_STATE_PENDING, "u1");
	assert_int_equal(db_consent_put(f->s, "b@example.com", &c), DB_OK);
	/* Clearing the uid drops it; deleting a record drops its uid. */
	fill(&c, DB_STATE_CONFIRMED, "");
	assert_int_equal(db_consent_put(f->s, "a@example.com", &c), DB_OK);
	assert_int_equal(db_consent_by_uid(f->s, "u2", addr, sizeof(addr)),
			 DB_NOTFOUND);
	assert_int_equal(db_consent_del(f->s, "b@example.com"), DB_OK);
	assert_int_equal(db_consent_by_uid(f->s, "u1", addr, sizeof(addr)),
			 DB_NOTFOUND);
	assert_int_equal(db_consent_del(f->s, "b@example.com"), DB_NOTFOUND);
	fill(&c, DB_STATE_PENDING, "u1");
	assert_int_equal(db_consent_put(f->s, "c@example.com", &c), DB_OK);
	assert_int_equal(db_consent_by_uid(f->s, "u1", addr, sizeof(addr)),
			 DB_OK);
	assert_string_equal(addr, "c@example.com");
	assert_int_equal(db_consent_by_uid(f->s, "", addr, sizeof(addr)),
			 DB_ERR_INVALID);
	fill(&c, DB_STATE_PENDING, "has space");
	assert_int_equal(db_consent_put(f->s, "d@example.com", &c),
			 DB_ERR_INVALID);
}

static void
test_withdraw_keeps_record(void **state)
{
	struct fixture *f = *state;
	struct db_consent c, got;

	fill(&c, DB_STATE_CONFIRMED, "w1");
	c.confirmed = NOW;
	snprintf(c.ip, sizeof(c.ip), "192.0.2.7");
	assert_int_equal(db_consent_put(f->s, "a@example.com", &c), DB_OK);
	c.state = DB_STATE_WITHDRAWN;
	c.withdrawn = NOW + 60;
	assert_int_equal(db_consent_put(f->s, "a@example.com", &c), DB_OK);
	assert_int_equal(db_consent_get(f->s, "a@example.com", &got), DB_OK);
	assert_int_equal(got.state, DB_STATE_WITHDRAWN);
	assert_int_equal(got.withdrawn, NOW + 60);
	assert_int_equal(got.confirmed, NOW);
	assert_string_equal(got.ip, "192.0.2.7");
	assert_string_equal(got.uid, "w1");
}

/* Every truncation, padding and bad length of an encoding is refused. */
static void
test_codec_corrupt(void **state)
{
	unsigned char enc[DB_CODEC_MAX + 8], bad[DB_CODEC_MAX + 8];
	struct db_consent c, got;
	int n, i, j;

	(void)state;
	fill(&c, DB_STATE_CONFIRMED, "uid-1");
	snprintf(c.source, sizeof(c.source), "web form");
	n = db_codec_encode(&c, enc, DB_CODEC_MAX);
	assert_true(n > 0);
	assert_int_equal(db_codec_decode(enc, (size_t)n, &got), DB_OK);
	assert_same(&c, &got);
	for (i = 0; i < n; i++)
		assert_int_equal(db_codec_decode(enc, (size_t)i, &got),
				 DB_ERR_CORRUPT);
	enc[n] = 0;
	assert_int_equal(db_codec_decode(enc, (size_t)n + 1, &got),
			 DB_ERR_CORRUPT);
	memcpy(bad, enc, (size_t)n);
	bad[0] = DB_CODEC_VERSION + 1;
	assert_int_equal(db_codec_decode(bad, (size_t)n, &got),
			 DB_ERR_VERSION);
	bad[0] = DB_CODEC_VERSION;
	bad[1] = 9; /* state */
	assert_int_equal(db_codec_decode(bad, (size_t)n, &got),
			 DB_ERR_CORRUPT);
	/* Flipping any length byte or filling with garbage never crashes. */
	srand(7);
	for (i = 0; i < 2000; i++) {
		memcpy(bad, enc, (size_t)n);
		for (j = 0; j < 3; j++)
			bad[rand() % n] = (unsigned char)rand();
		(void)db_codec_decode(bad, (size_t)n, &got);
	}
}

/*
 * Version 2 keeps the DOI mail's content hash and evidence ref; a value
 * written by version 1 (the same bytes without those two fields) still
 * decodes, with both empty, so existing stores keep working.
 */
/* Version 4 carries the lists; a version 3 value (a store made before
 * lists) decodes without lists and covers the implicit list "default". */
static void
test_codec_lists(void **state)
{
	unsigned char enc[DB_CODEC_MAX];
	struct db_consent c, got;
	int n;

	(void)state;
	fill(&c, DB_STATE_CONFIRMED, "u-7");
	c.confirmed = NOW;
	snprintf(c.ip, sizeof(c.ip), "192.0.2.1");
	c.nlists = 2;
	snprintf(c.lists[0].name, sizeof(c.lists[0].name), "news");
	c.lists[0].state = DB_STATE_WITHDRAWN;
	c.lists[0].confirmed = NOW - 10;
	c.lists[0].withdrawn = NOW;
	snprintf(c.lists[1].name, sizeof(c.lists[1].name), "offers");
	c.lists[1].state = DB_STATE_CONFIRMED;
	c.lists[1].confirmed = NOW;
	n = db_codec_encode(&c, enc, sizeof(enc));
	assert_true(n > 0);
	assert_int_equal(enc[0], 4);
	assert_int_equal(db_codec_decode(enc, (size_t)n, &got), DB_OK);
	assert_same(&c, &got);
	assert_int_equal(db_consent_list_state(&got, "news"),
			 DB_STATE_WITHDRAWN);
	assert_int_equal(db_consent_list_state(&got, "offers"),
			 DB_STATE_CONFIRMED);
	/* A truncated list is corrupt. */
	assert_int_equal(db_codec_decode(enc, (size_t)n - 1, &got),
			 DB_ERR_CORRUPT);
	/* Names: valid, each once. */
	snprintf(c.lists[1].name, sizeof(c.lists[1].name), "news");
	assert_int_equal(db_codec_encode(&c, enc, sizeof(enc)), DB_ERR_INVALID);
	snprintf(c.lists[1].name, sizeof(c.lists[1].name), "News");
	assert_int_equal(db_codec_encode(&c, enc, sizeof(enc)), DB_ERR_INVALID);
	/* The version 3 value of a record without lists. */
	c.nlists = 0;
	n = db_codec_encode(&c, enc, sizeof(enc));
	enc[0] = 3;
	assert_int_equal(db_codec_decode(enc, (size_t)n - 1, &got), DB_OK);
	assert_int_equal(got.nlists, 0);
	assert_int_equal(db_consent_list_state(&got, "default"),
			 DB_STATE_CONFIRMED);
	assert_int_equal(db_consent_list_state(&got, "news"), DB_STATE_NONE);
}

static void
test_codec_v1(void **state)
{
	unsigned char enc[DB_CODEC_MAX];
	struct db_consent c, got;
	int n;

	(void)state;
	fill(&c, DB_STATE_PENDING, "u-9");
	c.doi_sent = NOW;
	snprintf(c.doi_msgid, sizeof(c.doi_msgid), "m1@shop.example");
	memset(c.doi_hash, 'a', DB_DOI_HASH_HEX - 1);
	c.doi_hash[DB_DOI_HASH_HEX - 1] = '\0';
	snprintf(c.doi_ref, sizeof(c.doi_ref), "67a1b2c3-0000002a-d1");
	n = db_codec_encode(&c, enc, sizeof(enc));
	assert_true(n > 0);
	assert_int_equal(enc[0], DB_CODEC_VERSION);
	assert_int_equal(db_codec_decode(enc, (size_t)n, &got), DB_OK);
	assert_same(&c, &got);
	/* Not lower-case hex: refused before it reaches the store. */
	c.doi_hash[0] = 'G';
	assert_int_equal(db_codec_encode(&c, enc, sizeof(enc)),
			 DB_ERR_INVALID);
	/* The version 3 value: the same without the lists count. */
	c.doi_hash[0] = '\0';
	c.doi_ref[0] = '\0';
	n = db_codec_encode(&c, enc, sizeof(enc));
	assert_true(n > 4);
	enc[0] = 3;
	assert_int_equal(db_codec_decode(enc, (size_t)n - 1, &got), DB_OK);
	assert_same(&c, &got);
	/* The version 2 value: the same without the history count. */
	enc[0] = 2;
	assert_int_equal(db_codec_decode(enc, (size_t)n - 2, &got), DB_OK);
	assert_same(&c, &got);
	assert_int_equal(got.nhistory, 0);
	/* The version 1 value of the same record without hash and ref. */
	enc[0] = 1;
	assert_int_equal(db_codec_decode(enc, (size_t)n - 4, &got), DB_OK);
	assert_same(&c, &got);
	assert_string_equal(got.doi_msgid, "m1@shop.example");
	/* A version 1 value may not carry the version 2 fields. */
	assert_int_equal(db_codec_decode(enc, (size_t)n, &got),
			 DB_ERR_CORRUPT);
}

/* A value that does not decode is DB_ERR_CORRUPT from the store. */
static void
test_store_corrupt(void **state)
{
	struct fixture *f = *state;
	struct db_consent got;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = {13, "x@example.com"}, v = {5, "\x01\x02garb"};
	char err[256];

	db_close(f->s); /* never two handles on one environment */
	f->s = NULL;
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	assert_int_equal(mdb_env_open(env, f->store, 0, 0640), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "consent", 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	assert_int_equal(db_open(f->store, 0, &f->s, err, sizeof(err)), DB_OK);
	assert_int_equal(db_consent_get(f->s, "x@example.com", &got),
			 DB_ERR_CORRUPT);
	assert_int_equal(db_consent_foreach(f->s, count_cb, &(size_t){0}),
			 DB_ERR_CORRUPT);
	/* A corrupt record can be replaced or deleted. */
	fill(&got, DB_STATE_PENDING, "");
	assert_int_equal(db_consent_put(f->s, "x@example.com", &got), DB_OK);
	assert_int_equal(db_consent_del(f->s, "x@example.com"), DB_OK);
}

static void
test_time(void **state)
{
	char buf[DB_TIME_MAX];
	int64_t t;

	(void)state;
	assert_int_equal(db_time_parse("2026-01-02T03:04:05Z", &t), DB_OK);
	assert_int_equal(t, NOW);
	assert_string_equal(db_time_format(t, buf, sizeof(buf)),
			    "2026-01-02T03:04:05Z");
	assert_int_equal(db_time_parse("1767323045", &t), DB_OK);
	assert_int_equal(t, NOW);
	assert_int_equal(db_time_parse("2024-02-29T00:00:00Z", &t), DB_OK);
	assert_int_equal(db_time_parse("2023-02-29T00:00:00Z", &t),
			 DB_ERR_INVALID);
	assert_int_equal(db_time_parse("2026-01-02 03:04:05Z", &t),
			 DB_ERR_INVALID);
	assert_int_equal(db_time_parse("2026-01-02T03:04:05", &t),
			 DB_ERR_INVALID);
	assert_int_equal(db_time_parse("2026-1-02T03:04:05Z0", &t),
			 DB_ERR_INVALID);
	assert_int_equal(db_time_parse("2026-13-02T03:04:05Z", &t),
			 DB_ERR_INVALID);
	assert_int_equal(db_time_parse("-5", &t), DB_ERR_INVALID);
	assert_int_equal(db_time_parse("", &t), DB_ERR_INVALID);
	assert_int_equal(db_time_parse("99999999999999999999", &t),
			 DB_ERR_INVALID);
}

static void
test_import_header(void **state)
{
	struct fixture *f = *state;
	struct db_consent got;
	char err[256];
	size_t n;

	assert_int_equal(import_text(f,
		"\xef\xbb\xbf" "Address,State,uid,ip,created,confirmed,"
		"withdrawn,source,tracking\r\n"
		"<A@Example.com>,confirmed,u-a,192.0.2.1,2026-01-01T00:00:00Z,"
		"1767323045,,\"form, \"\"spring\"\"\",yes\r\n"
		"\r\n"
		"b@example.com,withdrawn,,,,,2026-01-03T00:00:00Z,,no\r\n"
		"c@example.com,customer,,,,,,,0\r\n",
		&n, err, sizeof(err)), DB_OK);
	assert_int_equal(n, 3);
	assert_int_equal(db_consent_get(f->s, "a@example.com", &got), DB_OK);
	assert_int_equal(got.state, DB_STATE_CONFIRMED);
	assert_string_equal(got.uid, "u-a");
	assert_string_equal(got.ip, "192.0.2.1");
	assert_int_equal(got.created, NOW - 86400 - 3 * 3600 - 4 * 60 - 5);
	assert_int_equal(got.confirmed, NOW);
	assert_string_equal(got.source, "form, \"spring\"");
	assert_int_equal(got.tracking, 1);
	assert_int_equal(db_consent_get(f->s, "b@example.com", &got), DB_OK);
	assert_int_equal(got.state, DB_STATE_WITHDRAWN);
	assert_int_equal(got.created, NOW); /* missing created: now */
	assert_true(got.withdrawn > NOW);
	assert_int_equal(db_consent_get(f->s, "c@example.com", &got), DB_OK);
	assert_int_equal(got.state, DB_STATE_CUSTOMER);
	assert_int_equal(count_records(f->s), 3);
}

/* A bad line 5: the error names it and nothing at all is written. */
static void
test_import_bad_line(void **state)
{
	struct fixture *f = *state;
	struct db_consent c;
	char err[256];
	size_t n, before;

	fill(&c, DB_STATE_CONFIRMED, "keep");
	assert_int_equal(db_consent_put(f->s, "old@example.com", &c), DB_OK);
	before = count_records(f->s);
	assert_int_equal(import_text(f,
		"address,state\n"
		"a1@example.com,pending\n"
		"a2@example.com,confirmed\n"
		"old@example.com,withdrawn\n"
		"a4@example.com,maybe\n"
		"a5@example.com,pending\n",
		&n, err, sizeof(err)), DB_ERR_INVALID);
	assert_int_equal(n, 0);
	assert_non_null(strstr(err, "in.csv:5: "));
	assert_non_null(strstr(err, "state"));
	assert_int_equal(count_records(f->s), before);
	assert_int_equal(db_consent_get(f->s, "old@example.com", &c), DB_OK);
	assert_int_equal(c.state, DB_STATE_CONFIRMED);
	/* Other kinds of bad lines, each with its line number. */
	assert_int_equal(import_text(f, "a@example.com\nnot-an-address\n", &n,
				     err, sizeof(err)), DB_ERR_INVALID);
	assert_non_null(strstr(err, "in.csv:2: address"));
	assert_int_equal(import_text(f, "address,created\na@example.com,"
				     "yesterday\n", &n, err, sizeof(err)),
			 DB_ERR_INVALID);
	assert_non_null(strstr(err, "in.csv:2: created"));
	assert_int_equal(import_text(f, "address,tracking\na@example.com,"
				     "maybe\n", &n, err, sizeof(err)),
			 DB_ERR_INVALID);
	assert_non_null(strstr(err, ":2: tracking"));
	assert_int_equal(import_text(f, "address,colour\n", &n, err,
				     sizeof(err)), DB_ERR_INVALID);
	assert_non_null(strstr(err, ":1: unknown column 'colour'"));
	assert_int_equal(import_text(f, "a@example.com\n\"b@example.com\n",
				     &n, err, sizeof(err)), DB_ERR_INVALID);
	assert_non_null(strstr(err, ":2: unterminated"));
	assert_int_equal(import_text(f, "a@example.com,pending,u,extra\n", &n,
				     err, sizeof(err)), DB_ERR_INVALID);
	assert_non_null(strstr(err, ":1: too many fields"));
	assert_int_equal(import_text(f, "address,state\na@example.com\n", &n,
				     err, sizeof(err)), DB_ERR_INVALID);
	assert_non_null(strstr(err, ":2: 1 fields, the header has 2"));
	assert_int_equal(import_text(f, "address,source\na@example.com,a\"b\n",
				     &n, err, sizeof(err)), DB_ERR_INVALID);
	assert_non_null(strstr(err, ":2: quote inside"));
	/* A quoted field may span lines; errors name the line it starts on,
	 * and later lines keep their physical numbers. */
	assert_int_equal(import_text(f, "address,source\na@example.com,\"x\n"
				     "y\"\n", &n, err, sizeof(err)),
			 DB_ERR_INVALID);
	assert_non_null(strstr(err, ":2: text contains a control character"));
	assert_int_equal(import_text(f, "address,state\n\"a@example.com\",\"pen"
				     "ding\"\nb@example.com,\"x\"y\n", &n, err,
				     sizeof(err)), DB_ERR_INVALID);
	assert_non_null(strstr(err, ":3: text after a closing quote"));
	assert_int_equal(count_records(f->s), before);
}

static void
test_import_no_header(void **state)
{
	struct fixture *f = *state;
	struct db_consent got;
	char addr[ADDR_MAX + 1], err[256];
	size_t n;

	/* A confirmed row needs its time and an IP or source: without a
	 * header it has neither and is skipped. */
	assert_int_equal(import_text(f,
		"a@example.com\n"
		"b@example.com,confirmed\n"
		"c@example.com,withdrawn,uid-c\n",
		&n, err, sizeof(err)), DB_OK);
	assert_int_equal(n, 2);
	assert_int_equal(db_consent_get(f->s, "a@example.com", &got), DB_OK);
	assert_int_equal(got.state, DB_STATE_PENDING);
	assert_int_equal(got.created, NOW);
	assert_int_equal(db_consent_get(f->s, "b@example.com", &got),
			 DB_NOTFOUND);
	assert_int_equal(db_consent_get(f->s, "c@example.com", &got), DB_OK);
	assert_int_equal(got.state, DB_STATE_WITHDRAWN);
	assert_int_equal(got.withdrawn, NOW);
	assert_int_equal(db_consent_by_uid(f->s, "uid-c", addr, sizeof(addr)),
			 DB_OK);
	assert_string_equal(addr, "c@example.com");
}

/* Duplicates: every row merges in file order, so a newer withdrawal
 * stays however the rows are ordered; columns a file lacks are kept. */
static void
test_import_duplicates_merge(void **state)
{
	struct fixture *f = *state;
	struct db_consent c, got;
	char err[256];
	size_t n;

	fill(&c, DB_STATE_CONFIRMED, "");
	c.created = NOW - 1000;
	c.confirmed = NOW - 500;
	snprintf(c.ip, sizeof(c.ip), "192.0.2.9");
	assert_int_equal(db_consent_put(f->s, "kept@example.com", &c), DB_OK);
	assert_int_equal(import_text(f,
		"address,state,confirmed,withdrawn,ip\n"
		"d@example.com,pending,,,\n"
		"kept@example.com,,,,\n"
		"D@Example.com,confirmed,1000,,192.0.2.1\n"
		"e@example.com,withdrawn,,3000,\n"
		"e@example.com,confirmed,2000,,192.0.2.1\n",
		&n, err, sizeof(err)), DB_OK);
	assert_int_equal(n, 3);
	assert_int_equal(db_consent_get(f->s, "d@example.com", &got), DB_OK);
	assert_int_equal(got.state, DB_STATE_CONFIRMED);
	assert_int_equal(got.confirmed, 1000);
	assert_int_equal(db_consent_get(f->s, "e@example.com", &got), DB_OK);
	assert_int_equal(got.state, DB_STATE_WITHDRAWN);
	assert_int_equal(got.withdrawn, 3000);
	assert_int_equal(db_consent_get(f->s, "kept@example.com", &got), DB_OK);
	assert_same(&c, &got);
}

static void
test_import_uid_conflicts(void **state)
{
	struct fixture *f = *state;
	struct db_consent c;
	char addr[ADDR_MAX + 1], err[256];
	size_t n;

	assert_int_equal(import_text(f, "a@example.com,pending,u1\n"
				     "b@example.com,pending,u1\n", &n, err,
				     sizeof(err)), DB_ERR_INVALID);
	assert_non_null(strstr(err, ":2: uid 'u1' is also given to "
			       "a@example.com on line 1"));
	fill(&c, DB_STATE_CONFIRMED, "u1");
	assert_int_equal(db_consent_put(f->s, "a@example.com", &c), DB_OK);
	fill(&c, DB_STATE_CONFIRMED, "u2");
	assert_int_equal(db_consent_put(f->s, "b@example.com", &c), DB_OK);
	assert_int_equal(import_text(f, "c@example.com,pending,u1\n", &n, err,
				     sizeof(err)), DB_ERR_INVALID);
	assert_non_null(strstr(err, ":1: uid 'u1' already belongs to "
			       "a@example.com"));
	/* Swapping two uids in one file is fine. */
	assert_int_equal(import_text(f, "a@example.com,confirmed,u2\n"
				     "b@example.com,confirmed,u1\n", &n, err,
				     sizeof(err)), DB_OK);
	assert_int_equal(db_consent_by_uid(f->s, "u1", addr, sizeof(addr)),
			 DB_OK);
	assert_string_equal(addr, "b@example.com");
	assert_int_equal(db_consent_by_uid(f->s, "u2", addr, sizeof(addr)),
			 DB_OK);
	assert_string_equal(addr, "a@example.com");
}

/* Tricky records for the export tests. */
static void
put_samples(struct db_store *s)
{
	static const char *const sources[] = {
		"plain", "with, comma", "with \"quotes\"", "trailing space ",
		" leading space", "Müller & Söhne", "", "back\\slash"};
	struct db_consent c;
	char addr[64];
	size_t i;

	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		fill(&c, (int)(i % 4) + 1, "");
		snprintf(c.uid, sizeof(c.uid), i % 2 ? "uid-%zu" : "", i);
		snprintf(c.source, sizeof(c.source), "%s", sources[i]);
		snprintf(c.ip, sizeof(c.ip), i % 3 ? "198.51.100.%zu" : "",
			 i);
		c.created = i == 6 ? 0 : NOW + (int64_t)i;
		c.confirmed = i % 2 ? NOW + 10 : 0;
		c.withdrawn = i % 4 == 2 ? NOW + 20 : 0;
		c.doi_sent = i % 3 ? NOW - 5 : 0;
		c.tracking = (int)(i % 2);
		snprintf(c.doi_msgid, sizeof(c.doi_msgid),
			 i % 2 ? "<m%zu@example.com>" : "", i);
		snprintf(addr, sizeof(addr), "user%zu@example.com", i);
		assert_int_equal(db_consent_put(s, addr, &c), DB_OK);
	}
}

struct collected {
	size_t n;
	char addr[16][ADDR_MAX + 1];
	struct db_consent c[16];
};

static int
collect_cb(const char *addr, const struct db_consent *c, void *arg)
{
	struct collected *x = arg;

	assert_true(x->n < 16);
	snprintf(x->addr[x->n], sizeof(x->addr[0]), "%s", addr);
	x->c[x->n++] = *c;
	return 0;
}

static void
test_export_csv_reimport(void **state)
{
	struct fixture *f = *state;
	struct collected *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct db_store *s2;
	char path[600], path2[600], err[256];
	FILE *fp;
	size_t n, i;

	put_samples(f->s);
	snprintf(path, sizeof(path), "%s/out.csv", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fmt_export(f->s, fp, 0), DB_OK);
	fclose(fp);
	snprintf(path2, sizeof(path2), "%s/store2", f->dir);
	assert_int_equal(db_open(path2, DB_OPEN_CREATE, &s2, err, sizeof(err)),
			 DB_OK);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_int_equal(fmt_import_csv(s2, fp, "out.csv", NOW + 999, &n, err,
				       sizeof(err)), DB_OK);
	fclose(fp);
	assert_int_equal(n, 8);
	assert_int_equal(db_consent_foreach(f->s, collect_cb, a), DB_OK);
	assert_int_equal(db_consent_foreach(s2, collect_cb, b), DB_OK);
	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		assert_string_equal(a->addr[i], b->addr[i]);
		assert_same(&a->c[i], &b->c[i]);
	}
	assert_int_equal(a->c[6].created, 0); /* unknown stays unknown */
	db_close(s2);
	free(a);
	free(b);
}

static void
test_export_json(void **state)
{
	struct fixture *f = *state;
	char *text = NULL, *p;
	size_t len = 0, objects = 0;
	FILE *mem;

	mem = open_memstream(&text, &len);
	assert_int_equal(fmt_export(f->s, mem, 1), DB_OK);
	fclose(mem);
	assert_string_equal(text, "[]\n");
	free(text);
	put_samples(f->s);
	mem = open_memstream(&text, &len);
	assert_int_equal(fmt_export(f->s, mem, 1), DB_OK);
	fclose(mem);
	assert_int_equal(text[0], '[');
	assert_string_equal(text + len - 2, "]\n");
	for (p = text; (p = strstr(p, "{\"address\":")) != NULL; p++)
		objects++;
	assert_int_equal(objects, 8);
	assert_non_null(strstr(text, "\"source\":\"with \\\"quotes\\\"\""));
	assert_non_null(strstr(text, "\"source\":\"back\\\\slash\""));
	assert_non_null(strstr(text, "\"source\":\"Müller & Söhne\""));
	assert_non_null(strstr(text, "\"created\":null"));
	assert_non_null(strstr(text, "\"created\":\"2026-01-02T03:04:05Z\""));
	assert_non_null(strstr(text, "\"tracking\":true"));
	free(text);
}

/* JSON strings: escapes, control characters, invalid UTF-8. */
static void
test_json_string(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(db_json_string(&b, "a\"b\\c\nd\te\x01"), 0);
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\nd\\u0009e\\u0001\"");
	buf_reset(&b);
	assert_int_equal(db_json_string(&b, "\xc3\xa9 \xff \xc0\xaf \xed\xa0\x80"),
			 0);
	assert_string_equal(b.data,
			    "\"\xc3\xa9 \\ufffd \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd\"");
	buf_reset(&b);
	assert_int_equal(db_json_string(&b, NULL), 0);
	assert_string_equal(b.data, "\"\"");
	buf_free(&b);
}

static void
test_readonly(void **state)
{
	struct fixture *f = *state;
	struct db_evidence e = {.time = NOW, .ref = "r1"};
	struct db_consent c;
	char err[256];
	size_t n;
	FILE *fp;

	fill(&c, DB_STATE_PENDING, "");
	assert_int_equal(db_consent_put(f->s, "a@example.com", &c), DB_OK);
	db_close(f->s);
	assert_int_equal(db_open(f->store, DB_OPEN_RDONLY, &f->s, err,
				 sizeof(err)), DB_OK);
	assert_int_equal(db_consent_get(f->s, "a@example.com", &c), DB_OK);
	assert_int_equal(db_consent_put(f->s, "b@example.com", &c),
			 DB_ERR_READONLY);
	assert_int_equal(db_consent_del(f->s, "a@example.com"),
			 DB_ERR_READONLY);
	assert_int_equal(db_evidence_append(f->s, &e), DB_ERR_READONLY);
	fp = fopen(write_file(f->dir, "in.csv", "b@example.com\n"), "r");
	assert_int_equal(fmt_import_csv(f->s, fp, "in.csv", NOW, &n, err,
				       sizeof(err)), DB_ERR_READONLY);
	fclose(fp);
	assert_int_equal(count_records(f->s), 1);
	assert_int_equal(db_open(f->store, DB_OPEN_RDONLY | DB_OPEN_CREATE,
				 &(struct db_store *){NULL}, err, sizeof(err)),
			 DB_ERR_INVALID);
}

/* A tiny map (test-only CONSENTGATE_MAPSIZE) fills up cleanly. */
static void
test_map_full(void **state)
{
	struct fixture *f = *state;
	struct db_store *s;
	struct db_consent c, got;
	char path[600], addr[64], err[256], *csv;
	size_t i, n;
	int rc = DB_OK;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/tiny", f->dir);
	setenv("CONSENTGATE_MAPSIZE", "nonsense", 1);
	assert_int_equal(db_open(path, DB_OPEN_CREATE, &s, err, sizeof(err)),
			 DB_ERR_INVALID);
	assert_non_null(strstr(err, "CONSENTGATE_MAPSIZE"));
	setenv("CONSENTGATE_MAPSIZE", "131072", 1);
	rc = db_open(path, DB_OPEN_CREATE, &s, err, sizeof(err));
	unsetenv("CONSENTGATE_MAPSIZE");
	assert_int_equal(rc, DB_OK);
	fill(&c, DB_STATE_CONFIRMED, "");
	memset(c.source, 's', DB_SOURCE_MAX);
	for (i = 0; i < 100000 && rc == DB_OK; i++) {
		snprintf(addr, sizeof(addr), "user%zu@example.com", i);
		rc = db_consent_put(s, addr, &c);
	}
	assert_int_equal(rc, DB_ERR_FULL);
	assert_true(i > 10);
	/* What was committed before is intact. */
	assert_int_equal(db_consent_get(s, "user0@example.com", &got), DB_OK);
	assert_int_equal(db_consent_get(s, addr, &got), DB_NOTFOUND);
	/* An import into the full map fails with a reason. */
	csv = malloc(100 * 40);
	assert_non_null(csv);
	csv[0] = '\0';
	for (i = 0; i < 100; i++)
		snprintf(csv + strlen(csv), 40, "more%zu@example.com\n", i);
	fp = fopen(write_file(f->dir, "more.csv", csv), "r");
	assert_int_equal(fmt_import_csv(s, fp, "more.csv", NOW, &n, err,
				       sizeof(err)), DB_ERR_FULL);
	fclose(fp);
	assert_non_null(strstr(err, "map full"));
	free(csv);
	db_close(s);
}

struct chain {
	size_t n;
	char *json[4];
	size_t len[4];
	uint64_t seq[4];
};

static int
chain_cb(uint64_t seq, const char *json, size_t len, void *arg)
{
	struct chain *x = arg;

	assert_true(x->n < 4);
	assert_int_equal(strlen(json), len);
	x->seq[x->n] = seq;
	x->len[x->n] = len;
	x->json[x->n++] = strdup(json);
	return 0;
}

/* The "prev" value of a record's JSON, into out. */
static void
json_prev(const char *json, char *out, size_t outsz)
{
	const char *p = strstr(json, "\"prev\":\"");
	const char *e;

	assert_non_null(p);
	p += 8;
	e = strchr(p, '"');
	assert_non_null(e);
	snprintf(out, outsz, "%.*s", (int)(e - p), p);
}

static void
test_evidence_chain(void **state)
{
	struct fixture *f = *state;
	struct db_evidence e[3] = {
		{.time = NOW, .ref = "ref-1", .kind = "decision",
		 .sender = "news@example.com", .recipients = "a@example.com",
		 .tls = 1, .cls = "marketing", .action = "pass"},
		{.time = NOW + 1, .ref = "ref-2", .kind = "decision",
		 .rules = "consent.missing: no \"record\"", .action = "reject"},
		{.time = NOW + 2, .ref = "ref-3", .kind = "doi-send"},
	};
	struct chain x = {0};
	char prev[80], *json;
	gchar *hash;
	uint64_t first;
	size_t i;

	assert_int_equal(db_evidence_append(f->s, &e[0]), DB_OK);
	assert_int_equal(db_evidence_append_many(f->s, &e[1], 2, &first),
			 DB_OK);
	assert_int_equal(first, 2);
	assert_int_equal(db_evidence_append(f->s, &e[0]), DB_ERR_INVALID);
	e[0].ref = "";
	assert_int_equal(db_evidence_append(f->s, &e[0]), DB_ERR_INVALID);
	/* The chain is over the stored bytes, which hold no plaintext. */
	assert_int_equal(db_evidence_foreach_stored(f->s, chain_cb, &x),
			 DB_OK);
	assert_int_equal(x.n, 3);
	json_prev(x.json[0], prev, sizeof(prev));
	assert_string_equal(prev, "");
	for (i = 1; i < 3; i++) {
		hash = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
			(const guchar *)x.json[i - 1], x.len[i - 1]);
		json_prev(x.json[i], prev, sizeof(prev));
		assert_string_equal(prev, hash);
		g_free(hash);
		assert_int_equal(x.seq[i], i + 1);
	}
	assert_non_null(strstr(x.json[0], "{\"seq\":1,\"version\":3,"));
	assert_non_null(strstr(x.json[0], "\"time\":\"2026-01-02T03:04:05Z\""));
	assert_non_null(strstr(x.json[0], "\"tls\":true"));
	assert_non_null(strstr(x.json[1], "no \\\"record\\\""));
	assert_null(strstr(x.json[0], "news@example.com"));
	assert_null(strstr(x.json[0], "a@example.com"));
	assert_non_null(strstr(x.json[0], "\"sender_h\":\""));
	assert_non_null(strstr(x.json[1], "\"sender_h\":\"\",\"recipients_h\""
					  ":[],\"client_ip_h\":\"\""));
	assert_non_null(strstr(x.json[1], "\"rules\":[],\"note\":"));
	/* Readers get the plaintext merged in, before the hashes. */
	assert_int_equal(db_evidence_get(f->s, "ref-2", &json), DB_OK);
	assert_non_null(strstr(json, "\"message_id\":\"\",\"sender\":\"\","
				     "\"recipients\":[],\"client_ip\":\"\","
				     "\"sender_h\":\"\""));
	free(json);
	assert_int_equal(db_evidence_get(f->s, "ref-1", &json), DB_OK);
	assert_non_null(strstr(json, "\"sender\":\"news@example.com\","
				     "\"recipients\":[\"a@example.com\"]"));
	free(json);
	assert_int_equal(db_evidence_get(f->s, "nope", &json), DB_NOTFOUND);
	assert_null(json);
	for (i = 0; i < x.n; i++)
		free(x.json[i]);
}

/* Run as root, files created in a store belong to the directory's owner. */
static void
test_owner(void **state)
{
	struct fixture *f = *state;
	struct db_store *s;
	struct stat st;
	char path[600], file[700], err[256];
	const char *names[] = {"data.mdb", "lock.mdb"};
	size_t i;

	if (geteuid() != 0)
		skip();
	snprintf(path, sizeof(path), "%s/owned", f->dir);
	assert_int_equal(mkdir(path, 0750), 0);
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(db_open(path, DB_OPEN_CREATE, &s, err, sizeof(err)),
			 DB_OK);
	db_close(s);
	for (i = 0; i < 2; i++) {
		snprintf(file, sizeof(file), "%s/%s", path, names[i]);
		assert_int_equal(stat(file, &st), 0);
		assert_int_equal(st.st_uid, 65534);
		assert_int_equal(st.st_gid, 65534);
	}
	/* lock.mdb re-created by a read-only open is handed over too. */
	snprintf(file, sizeof(file), "%s/lock.mdb", path);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(db_open(path, DB_OPEN_RDONLY, &s, err, sizeof(err)),
			 DB_OK);
	db_close(s);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_uid, 65534);
}

/* The HMAC secret lives in its own 0400 file; a store that kept it in
 * meta has it moved out on a writable open, with every pseudonym kept. */
static void
test_secret_file(void **state)
{
	struct fixture *f = *state;
	char path[600], data[600], err[256], before[DB_HASH_HEX];
	char after[DB_HASH_HEX];
	unsigned char key[32];
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = {7, "pii-key"}, v;
	struct stat st;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/pii.key", f->store);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0400);
	snprintf(data, sizeof(data), "%s/data.mdb", f->store);
	assert_int_equal(stat(data, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(db_pii_hash(f->s, "a@example.com", before), DB_OK);
	db_close(f->s);
	f->s = NULL;
	/* Make it a store of before: the secret in meta, no file. */
	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(key, 1, sizeof(key), fp), sizeof(key));
	fclose(fp);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, f->store, 0, 0640), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	v.mv_size = sizeof(key);
	v.mv_data = key;
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	/* Read-only: the secret is used where it is, nothing is written. */
	assert_int_equal(db_open(f->store, DB_OPEN_RDONLY, &f->s, err,
				 sizeof(err)), DB_OK);
	assert_int_equal(db_pii_hash(f->s, "a@example.com", after), DB_OK);
	assert_string_equal(before, after);
	db_close(f->s);
	assert_int_equal(stat(path, &st), -1);
	/* Writable: moved to the file, gone from meta, same pseudonyms. */
	assert_int_equal(db_open(f->store, 0, &f->s, err, sizeof(err)), DB_OK);
	assert_int_equal(db_pii_hash(f->s, "a@example.com", after), DB_OK);
	assert_string_equal(before, after);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0400);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, f->store, MDB_RDONLY, 0640), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	assert_int_equal(mdb_get(txn, dbi, &k, &v), MDB_NOTFOUND);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	/* A store without its secret file is refused, not given a new one. */
	db_close(f->s);
	f->s = NULL;
	assert_int_equal(unlink(path), 0);
	assert_int_equal(db_open(f->store, 0, &f->s, err, sizeof(err)),
			 DB_ERR_CORRUPT);
	assert_non_null(strstr(err, "pii.key is missing"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_open_create),
		T(test_secret_file),
		T(test_open_version),
		T(test_roundtrip),
		T(test_lookup_reuse),
		T(test_normalised_key),
		T(test_uid_index),
		T(test_withdraw_keeps_record),
		T(test_codec_corrupt),
		T(test_codec_v1),
		T(test_codec_lists),
		T(test_store_corrupt),
		T(test_time),
		T(test_import_header),
		T(test_import_bad_line),
		T(test_import_no_header),
		T(test_import_duplicates_merge),
		T(test_import_uid_conflicts),
		T(test_export_csv_reimport),
		T(test_export_json),
		T(test_json_string),
		T(test_readonly),
		T(test_map_full),
		T(test_evidence_chain),
		T(test_owner),
#undef T
	};

	umask(022);
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
