/*
 * test_catalogue.c - the rule catalogue derived from the rule files
 * (policy/rules/list.h): every id is found by name at its own index, has a
 * sentence, classes, an entry point and a default action that config
 * defaults take over; rules that share an entry point share their classes,
 * and the entry point runs while any of them is on; a fixed rule refuses a
 * RuleAction line.
 */
#include "testlib.h"

#include "../../gate/config.h"
#include "../../policy/policy.h"
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

/* The consent.* rules of one recipient, under extra config lines. */
static size_t
consent_hits(const char *extra, enum pol_consent_state st, enum pol_rule *first)
{
	static const char raw[] = "From: news@shop.example\r\n"
				  "Subject: x\r\n\r\nhi\r\n";
	struct pol_limits lim = {100, 20, 0, 0};
	struct pol_recipient rcpt = {"kunde@example.org", {st, 0, 0}};
	struct pol_envelope env = {"news@shop.example", "127.0.0.1", 1, &rcpt, 1,
				   0, NULL};
	struct pol_message *m = NULL;
	struct pol_verdict v;
	struct buf err = BUF_INIT, text = BUF_INIT;
	struct cfg *c;
	size_t i, n = 0;

	buf_printf(&text, "MarketingSenders news@shop.example\n%s", extra);
	c = cfg_parse_text("t.conf", text.data, &err);
	assert_non_null(c);
	assert_int_equal(pol_message_parse(raw, strlen(raw), &lim, &m), POL_OK);
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, m, POL_CLASS_MARKETING,
				      &v), POL_OK);
	for (i = 0; i < v.nhits; i++)
		if (v.hits[i].rule == POL_RULE_CONSENT_MISSING ||
		    v.hits[i].rule == POL_RULE_CONSENT_WITHDRAWN ||
		    v.hits[i].rule == POL_RULE_CONSENT_SCOPE)
			if (n++ == 0)
				*first = v.hits[i].rule;
	pol_verdict_clear(&v);
	pol_message_free(m);
	cfg_unref(c);
	buf_free(&err);
	buf_free(&text);
	return n;
}

static void
test_shared_entry(void **state)
{
	enum pol_rule r = POL_RULE_COUNT;

	(void)state;
	/* consent.missing off: the shared entry point still finds the
	 * withdrawal, and reports nothing for a recipient without consent. */
	assert_int_equal(consent_hits("RuleAction.consent.missing off\n",
				      POL_CONSENT_WITHDRAWN, &r), 1);
	assert_int_equal(r, POL_RULE_CONSENT_WITHDRAWN);
	assert_int_equal(consent_hits("RuleAction.consent.missing off\n",
				      POL_CONSENT_NONE, &r), 0);
	/* All three off: nothing. */
	assert_int_equal(consent_hits("RuleAction.consent.missing off\n"
				      "RuleAction.consent.withdrawn off\n"
				      "RuleAction.consent.scope off\n",
				      POL_CONSENT_WITHDRAWN, &r), 0);
	/* All on: the same recipient is refused. */
	assert_int_equal(consent_hits("", POL_CONSENT_NONE, &r), 1);
	assert_int_equal(r, POL_RULE_CONSENT_MISSING);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_definitions),
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_shared_entry),
	};

	pol_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
