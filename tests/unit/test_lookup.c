/*
 * test_lookup.c - gate_consent_lookup: the store's record as the policy
 * reads it.  A withdrawal (of the record, of every list, of one list) is
 * always seen; a record without lists has the implicit list; the DOI
 * fields are copied; a missing record or an address that cannot have one
 * is "no consent".  Owns a temporary store per test.
 */
#include "testlib.h"

#include "../../db/store.h"
#include "../../gate/consent.h"

static char *dir;
static struct db_store *store;

static int
setup(void **state)
{
	char path[512], err[256];

	(void)state;
	dir = test_tmpdir();
	snprintf(path, sizeof(path), "%s/store", dir);
	if (db_open(path, DB_OPEN_CREATE, &store, err, sizeof(err)) != DB_OK)
		fail_msg("db_open: %s", err);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	db_close(store);
	test_rmdir_r(dir);
	return 0;
}

static void
rec_init(struct db_consent *c, int state, int64_t confirmed,
	 int64_t withdrawn)
{
	memset(c, 0, sizeof(*c));
	c->state = state;
	c->created = 1700000000;
	c->confirmed = confirmed;
	c->withdrawn = withdrawn;
}

static void
list_add(struct db_consent *c, const char *name, int state,
	 int64_t confirmed, int64_t withdrawn)
{
	struct db_list *l = &c->lists[c->nlists++];

	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->state = state;
	l->confirmed = confirmed;
	l->withdrawn = withdrawn;
}

static void
lookup(const char *addr, struct pol_consent *out)
{
	memset(out, 0x5a, sizeof(*out));
	assert_int_equal(gate_consent_lookup(store, addr, out), 0);
}

static void
test_no_lists(void **state)
{
	struct db_consent c;
	struct pol_consent p;

	(void)state;
	rec_init(&c, DB_STATE_CONFIRMED, 1700000100, 0);
	c.tracking = 1;
	c.doi_sent = 1700000050;
	snprintf(c.doi_msgid, sizeof(c.doi_msgid), "doi.1@shop.example");
	snprintf(c.doi_hash, sizeof(c.doi_hash), "%s", "ab12");
	assert_int_equal(db_consent_put(store, "Anna@Example.ORG", &c), DB_OK);
	lookup("<anna@example.org>", &p);
	assert_int_equal(p.state, POL_CONSENT_CONFIRMED);
	assert_int_equal(p.tracking, 1);
	assert_int_equal(p.doi_sent_at, 1700000050);
	assert_string_equal(p.doi_msgid, "doi.1@shop.example");
	assert_string_equal(p.doi_hash, "ab12");
	assert_int_equal(p.nlists, 1);
	assert_string_equal(p.lists[0].name, POL_LIST_DEFAULT);
	assert_int_equal(p.lists[0].state, POL_CONSENT_CONFIRMED);

	/* Withdrawn after the confirmation: withdrawn, list and all. */
	rec_init(&c, DB_STATE_CONFIRMED, 1700000100, 1700000200);
	assert_int_equal(db_consent_put(store, "anna@example.org", &c), DB_OK);
	lookup("anna@example.org", &p);
	assert_int_equal(p.state, POL_CONSENT_WITHDRAWN);
	assert_int_equal(p.nlists, 1);
	assert_int_equal(p.lists[0].state, POL_CONSENT_WITHDRAWN);
	assert_string_equal(p.doi_msgid, "");

	rec_init(&c, DB_STATE_PENDING, 0, 0);
	assert_int_equal(db_consent_put(store, "ben@example.org", &c), DB_OK);
	lookup("ben@example.org", &p);
	assert_int_equal(p.state, POL_CONSENT_PENDING);
	assert_int_equal(p.lists[0].state, POL_CONSENT_PENDING);
}

static void
test_lists(void **state)
{
	struct db_consent c;
	struct pol_consent p;

	(void)state;
	rec_init(&c, DB_STATE_CONFIRMED, 1700000100, 0);
	list_add(&c, "news", DB_STATE_CONFIRMED, 1700000100, 0);
	list_add(&c, "offers", DB_STATE_CONFIRMED, 1700000100, 1700000300);
	list_add(&c, "shop", DB_STATE_CUSTOMER, 0, 0);
	assert_int_equal(db_consent_put(store, "cara@example.org", &c), DB_OK);
	lookup("cara@example.org", &p);
	assert_int_equal(p.state, POL_CONSENT_CONFIRMED);
	assert_int_equal(p.nlists, 3);
	assert_string_equal(p.lists[0].name, "news");
	assert_int_equal(p.lists[0].state, POL_CONSENT_CONFIRMED);
	assert_string_equal(p.lists[1].name, "offers");
	assert_int_equal(p.lists[1].state, POL_CONSENT_WITHDRAWN);
	assert_string_equal(p.lists[2].name, "shop");
	assert_int_equal(p.lists[2].state, POL_CONSENT_CUSTOMER);

	/* A withdrawal from every list, later than the lists' own
	 * confirmations, withdraws each list. */
	c.withdrawn = 1700000400;
	assert_int_equal(db_consent_put(store, "cara@example.org", &c), DB_OK);
	lookup("cara@example.org", &p);
	assert_int_equal(p.state, POL_CONSENT_WITHDRAWN);
	assert_int_equal(p.nlists, 3);
	assert_int_equal(p.lists[0].state, POL_CONSENT_WITHDRAWN);
	assert_int_equal(p.lists[1].state, POL_CONSENT_WITHDRAWN);
	assert_int_equal(p.lists[2].state, POL_CONSENT_WITHDRAWN);
}

static void
test_none(void **state)
{
	struct pol_consent p;

	(void)state;
	lookup("nobody@example.org", &p);
	assert_int_equal(p.state, POL_CONSENT_NONE);
	assert_int_equal(p.nlists, 0);
	assert_string_equal(p.doi_msgid, "");
	lookup("not an address", &p);
	assert_int_equal(p.state, POL_CONSENT_NONE);
	assert_int_equal(p.nlists, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_none, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
