/*
 * test_replica_digest.c - the host side of follow --verify
 * (db/replica_digest.c): the digest line is the documented one (the same
 * text the centre's view consent_digest builds), lists are sorted by name,
 * no lists digests like the implicit list "default", a confirmation with a
 * later withdrawal digests as withdrawn, the ranges of a store change only
 * where a record changed, and the last verify is kept for status.
 */
#include "testlib.h"

#include "../../db/consent_sm.h"
#include "../../db/replica.h"

static void
set_list(struct db_list *l, const char *name, int state, int64_t conf)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->state = state;
	l->confirmed = conf;
}

static void
test_line(void **state)
{
	struct db_consent c, d;
	char h1[DB_HASH_HEX], h2[DB_HASH_HEX];
	char *t;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.state = DB_STATE_CONFIRMED;
	c.created = 100;
	c.confirmed = 200;
	snprintf(c.source, sizeof(c.source), "form");
	c.nlists = 2;
	set_list(&c.lists[0], "news", DB_STATE_CONFIRMED, 200);
	set_list(&c.lists[1], "default", DB_STATE_PENDING, 0);
	t = db_digest_text("a@example.org", &c);
	assert_non_null(t);
	assert_string_equal(t, "a@example.org\x1f" "confirmed\x1f\x1f" "100\x1f"
			    "200\x1f" "0\x1f\x1f" "form\x1f" "0\x1f" "0\x1f\x1f"
			    "default pending 0 0 0,news confirmed 200 0 0");
	free(t);
	/* The order of the lists does not matter. */
	d = c;
	d.lists[0] = c.lists[1];
	d.lists[1] = c.lists[0];
	assert_int_equal(db_digest_row("a@example.org", &c, h1), DB_OK);
	assert_int_equal(db_digest_row("a@example.org", &d, h2), DB_OK);
	assert_string_equal(h1, h2);
	/* No lists is the implicit list "default" of the record. */
	c.nlists = 0;
	d = c;
	d.nlists = 1;
	set_list(&d.lists[0], "default", DB_STATE_CONFIRMED, 200);
	assert_int_equal(db_digest_row("a@example.org", &c, h1), DB_OK);
	assert_int_equal(db_digest_row("a@example.org", &d, h2), DB_OK);
	assert_string_equal(h1, h2);
	/* Confirmed with a later withdrawal is withdrawn. */
	c.withdrawn = 300;
	t = db_digest_text("a@example.org", &c);
	assert_non_null(strstr(t, "\x1fwithdrawn\x1f"));
	free(t);
}

static void
test_ranges_and_result(void **state)
{
	struct db_digest_bucket a[DB_DIGEST_BUCKETS], b[DB_DIGEST_BUCKETS];
	struct db_replica_state st;
	struct db_consent c;
	struct db_store *s;
	char err[256], addr[64], *dir = test_tmpdir();
	int i, changed = 0, bucket;

	(void)state;
	assert_int_equal(db_open(dir, DB_OPEN_CREATE, &s, err, sizeof(err)),
			 DB_OK);
	memset(&c, 0, sizeof(c));
	c.state = DB_STATE_PENDING;
	c.created = 100;
	for (i = 0; i < 50; i++) {
		snprintf(addr, sizeof(addr), "u%d@example.org", i);
		assert_int_equal(db_consent_put(s, addr, &c), DB_OK);
	}
	assert_int_equal(db_digest_buckets(s, a), DB_OK);
	snprintf(c.source, sizeof(c.source), "changed");
	assert_int_equal(db_consent_put(s, "u7@example.org", &c), DB_OK);
	assert_int_equal(db_digest_buckets(s, b), DB_OK);
	bucket = db_digest_bucket_of("u7@example.org");
	for (i = 0; i < DB_DIGEST_BUCKETS; i++) {
		assert_int_equal(a[i].n, b[i].n);
		if (strcmp(a[i].hex, b[i].hex) != 0) {
			changed++;
			assert_int_equal(i, bucket);
		}
	}
	assert_int_equal(changed, 1);
	assert_int_equal(db_replica_status(s, &st), DB_OK);
	assert_int_equal(st.verified, 0);
	assert_int_equal(db_replica_set_verified(s, 1000, 2, NULL), DB_OK);
	assert_int_equal(db_replica_status(s, &st), DB_OK);
	assert_int_equal(st.verified, 1000);
	assert_int_equal(st.verify_diff, 2);
	db_close(s);
	test_rmdir_r(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line),
		cmocka_unit_test(test_ranges_and_result),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
