/*
 * test_reload.c - what a SIGHUP reload does with each config key
 * (milter/reload.c): every key of the config table is classified, changes
 * to keys bound at start are refused with both values, and the keys a
 * reload applies are named.
 */
#include "testlib.h"

#include "../../milter/mf.h"

static struct cfg *
parse(const char *text)
{
	struct buf err = BUF_INIT;
	struct cfg *c = cfg_parse_text("t.conf", text, &err);

	if (c == NULL)
		fail_msg("%s", err.data);
	buf_free(&err);
	return c;
}

/* A key added to gate/config.c must get a reload decision. */
static void
test_every_key_classified(void **state)
{
	const struct cfg_key *keys;
	size_t i, n;

	(void)state;
	keys = cfg_keys(&n);
	for (i = 0; i < n; i++)
		if (mf_reload_kind(keys[i].name) < 0)
			fail_msg("config key %s has no reload decision in "
				 "milter/reload.c", keys[i].name);
	assert_int_equal(mf_reload_kind("Socket"), MF_RELOAD_RESTART);
	assert_int_equal(mf_reload_kind("UserID"), MF_RELOAD_RESTART);
	assert_int_equal(mf_reload_kind("ConsentDB"), MF_RELOAD_STORE);
	assert_int_equal(mf_reload_kind("NoSuchKey"), -1);
}

static void
test_restart_keys_refused(void **state)
{
	struct cfg *a = parse("Socket inet:1@127.0.0.1\nUserID nobody\n");
	struct cfg *b = parse("Socket inet:2@127.0.0.1\nUserID daemon\n"
			      "Mode monitor\n");
	struct buf changed = BUF_INIT, refused = BUF_INIT;

	(void)state;
	assert_int_equal(mf_reload_check(a, b, &changed, &refused), 2);
	assert_non_null(strstr(refused.data,
			       "Socket cannot change without a restart (running "
			       "'inet:1@127.0.0.1', file 'inet:2@127.0.0.1')"));
	assert_non_null(strstr(refused.data, "UserID cannot change without a "
					     "restart (running 'nobody', file "
					     "'daemon')"));
	assert_string_equal(changed.data, "Mode");
	buf_free(&changed);
	buf_free(&refused);
	cfg_unref(a);
	cfg_unref(b);
}

static void
test_applied_keys_named(void **state)
{
	struct cfg *a = parse("ConsentDB /a\nImprintText X\n");
	struct cfg *b = parse("ConsentDB /b\nImprintText X\nImprintText Y\n"
			      "RuleAction.url.insecure tag\n");
	struct cfg *c = parse("ConsentDB /a\nImprintText X\n");
	struct buf changed = BUF_INIT, refused = BUF_INIT;

	(void)state;
	assert_int_equal(mf_reload_check(a, b, &changed, &refused), 0);
	assert_null(refused.data);
	assert_string_equal(changed.data,
			    "ConsentDB, ImprintText, RuleAction.<rule>");
	buf_free(&changed);
	assert_int_equal(mf_reload_check(a, c, &changed, &refused), 0);
	assert_null(changed.data);
	buf_free(&changed);
	cfg_unref(a);
	cfg_unref(b);
	cfg_unref(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_classified),
		cmocka_unit_test(test_restart_keys_refused),
		cmocka_unit_test(test_applied_keys_named),
	};

	return cmocka_run_group_tests_name("reload", tests, NULL, NULL);
}
