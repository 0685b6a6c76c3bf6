/*
 * test_catalogue.c - the rule catalogue derived from the rule files
 * (policy/rules/list.h): every id is found by name at its own index, has a
 * sentence, classes, an entry point and a default action that config
 * defaults take over; rules that share an entry point share their classes;
 * a fixed rule refuses a RuleAction line.
 */
#include "testlib.h"

#include "../../gate/config.h"
#include "../../policy/rules/rules.h"

static void
test_definitions(void **state)
{
	int r, o;

	(void)state;
	for (r = 0; r < POL_RULE_COUNT; r++) {
		const struct pol_rule_def *d = pol_rule_def((enum pol_rule)r);

		assert_non_null(d);
		assert_ptr_equal(pol_rule_info((enum pol_rule)r), &d->info);
		assert_non_null(d->info.id);
		assert_int_equal(pol_rule_find(d->info.id), r);
		assert_non_null(d->info.sentence);
		assert_true(strlen(d->info.sentence) > 10);
		assert_non_null(d->fn);
		assert_int_not_equal(d->classes, 0);
		assert_true(d->info.action >= POL_ACTION_TAG &&
			    d->info.action < POL_ACTION_OFF);
		for (o = 0; o < r; o++) {
			const struct pol_rule_def *e = pol_rule_def((enum pol_rule)o);

			if (e->fn == d->fn)
				assert_int_equal(e->classes, d->classes);
		}
	}
	assert_null(pol_rule_def(POL_RULE_COUNT));
	assert_int_equal(pol_rule_find("no.such-rule"), -1);
}

static void
test_config_defaults(void **state)
{
	struct buf err = BUF_INIT;
	struct cfg *c;
	int r;

	(void)state;
	c = cfg_parse_text("t.conf", "RuleAction.url.insecure tag\n", &err);
	assert_non_null(c);
	for (r = 0; r < POL_RULE_COUNT; r++)
		assert_int_equal(cfg_rule_action(c, (enum pol_rule)r),
				 r == POL_RULE_URL_INSECURE
					 ? POL_ACTION_TAG
					 : pol_rule_info((enum pol_rule)r)->action);
	cfg_unref(c);
	for (r = 0; r < POL_RULE_COUNT; r++) {
		char line[128];

		if (!pol_rule_info((enum pol_rule)r)->fixed)
			continue;
		snprintf(line, sizeof(line), "RuleAction.%s tag\n",
			 pol_rule_info((enum pol_rule)r)->id);
		buf_reset(&err);
		assert_null(cfg_parse_text("t.conf", line, &err));
		assert_non_null(strstr(err.data, "always refuses"));
	}
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_definitions),
		cmocka_unit_test(test_config_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
