/*
 * test_transport.c - spf.fail and tls.required.  SPF runs through libspf2
 * against a zone file (CONSENTGATE_SPF_ZONE), so no DNS is asked: pass,
 * fail, softfail, neutral, none, permerror (broken record) and temperror,
 * their mapping to actions, the SpfAccept* keys and the cache.  TLS: with
 * RequireTLS, plain submission from a remote client fires; TLS or loopback
 * does not.
 */
#include "testlib.h"

#include "../../gate/config.h"
#include "../../gate/spf.h"
#include "../../policy/policy.h"

static char *test_zone_dir;

static int
test_setup(void **state)
{
	char path[256];
	FILE *f;

	(void)state;
	test_zone_dir = test_tmpdir();
	snprintf(path, sizeof(path), "%s/zone", test_zone_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("pass.example TXT v=spf1 ip4:203.0.113.5 -all\n"
	      "fail.example TXT v=spf1 ip4:198.51.100.1 -all\n"
	      "soft.example TXT v=spf1 ip4:198.51.100.1 ~all\n"
	      "neutral.example TXT v=spf1 ?all\n"
	      "perm.example TXT v=spf1 foo:bar -all\n"
	      "temp.example TEMPFAIL\n"
	      "incl.example TXT v=spf1 include:pass.example -all\n", f);
	fclose(f);
	setenv("CONSENTGATE_SPF_ZONE", path, 1);
	assert_int_equal(gate_spf_init(), 0);
	return 0;
}

static int
test_teardown(void **state)
{
	(void)state;
	gate_spf_shutdown();
	test_rmdir_r(test_zone_dir);
	return 0;
}

static void
test_spf_results(void **state)
{
	const char *ip = "203.0.113.5";

	(void)state;
	assert_string_equal(gate_spf_check(ip, "news@pass.example", NULL, 0), "pass");
	assert_string_equal(gate_spf_check(ip, "news@incl.example", NULL, 0), "pass");
	assert_string_equal(gate_spf_check(ip, "news@fail.example", NULL, 0), "fail");
	assert_string_equal(gate_spf_check(ip, "news@soft.example", NULL, 0), "softfail");
	assert_string_equal(gate_spf_check(ip, "news@neutral.example", NULL, 0), "neutral");
	assert_string_equal(gate_spf_check(ip, "news@none.example", NULL, 0), "none");
	assert_string_equal(gate_spf_check(ip, "news@perm.example", NULL, 0), "permerror");
	assert_string_equal(gate_spf_check(ip, "news@temp.example", NULL, 0), "temperror");
	/* The cache answers for the domain. */
	assert_string_equal(gate_spf_check(ip, "a@fail.example", NULL, 300), "fail");
	assert_string_equal(gate_spf_check(ip, "b@fail.example", NULL, 300), "fail");
	/* A bad egress address is a permanent error, not a crash. */
	assert_string_equal(gate_spf_check("999.1.1.1", "x@pass.example", NULL, 0),
			    "permerror");
}

static struct cfg *
test_cfg(const char *text)
{
	struct buf err = BUF_INIT;
	struct cfg *c = cfg_parse_text("t.conf", text, &err);

	if (c == NULL)
		fail_msg("%s", err.data);
	buf_free(&err);
	return c;
}

/* Evaluate a compliant-enough marketing message with spf/tls inputs and
 * return the action for spf.fail/tls.required alone. */
static enum pol_action
test_action(struct cfg *c, const char *spf, int tls, const char *ip,
	    enum pol_rule want, int *fired)
{
	const char *raw = "From: news@pass.example\r\nTo: a@example.org\r\n"
			  "Subject: s\r\n\r\nhello\r\n";
	struct pol_recipient r = {"a@example.org", {POL_CONSENT_CONFIRMED, 0, 0}};
	struct pol_envelope env = {"news@pass.example", ip, tls, &r, 1, 0, spf};
	struct pol_limits lim = {100, 20, 0, 0};
	struct pol_message *m = NULL;
	struct pol_verdict v;
	enum pol_action a;
	size_t i;

	assert_int_equal(pol_message_parse(raw, strlen(raw), &lim, &m), POL_OK);
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, m, POL_CLASS_MARKETING, &v), POL_OK);
	*fired = 0;
	for (i = 0; i < v.nhits; i++)
		if (v.hits[i].rule == want)
			*fired = 1;
	a = v.action;
	pol_verdict_clear(&v);
	pol_message_free(m);
	return a;
}

#define TEST_ONLY_TRANSPORT                                                    \
	"SpfEgressAddress 203.0.113.5\n"                                       \
	"RuleAction.unsubscribe.link off\nRuleAction.unsubscribe.header off\n"  \
	"RuleAction.unsubscribe.one-click off\nRuleAction.content.imprint off\n"\
	"RuleAction.content.privacy-link off\n"

static void
test_spf_rule(void **state)
{
	struct cfg *c = test_cfg(TEST_ONLY_TRANSPORT);
	struct cfg *lax = test_cfg(TEST_ONLY_TRANSPORT "SpfAcceptSoftfail yes\n"
				   "SpfAcceptNeutral yes\nSpfAcceptNone yes\n");
	int fired;

	(void)state;
	assert_int_equal(test_action(c, "pass", 1, "", POL_RULE_SPF_FAIL, &fired),
			 POL_ACTION_PASS);
	assert_false(fired);
	assert_int_equal(test_action(c, "fail", 1, "", POL_RULE_SPF_FAIL, &fired),
			 POL_ACTION_REJECT);
	assert_true(fired);
	assert_int_equal(test_action(c, "permerror", 1, "", POL_RULE_SPF_FAIL, &fired),
			 POL_ACTION_REJECT);
	assert_int_equal(test_action(c, "temperror", 1, "", POL_RULE_SPF_FAIL, &fired),
			 POL_ACTION_TEMPFAIL);
	assert_int_equal(test_action(c, "softfail", 1, "", POL_RULE_SPF_FAIL, &fired),
			 POL_ACTION_REJECT);
	assert_int_equal(test_action(lax, "softfail", 1, "", POL_RULE_SPF_FAIL, &fired),
			 POL_ACTION_PASS);
	assert_int_equal(test_action(lax, "neutral", 1, "", POL_RULE_SPF_FAIL, &fired),
			 POL_ACTION_PASS);
	assert_int_equal(test_action(lax, "none", 1, "", POL_RULE_SPF_FAIL, &fired),
			 POL_ACTION_PASS);
	assert_int_equal(test_action(lax, "fail", 1, "", POL_RULE_SPF_FAIL, &fired),
			 POL_ACTION_REJECT);
	cfg_unref(c);
	cfg_unref(lax);
}

static void
test_tls_rule(void **state)
{
	struct cfg *c = test_cfg(TEST_ONLY_TRANSPORT "RequireTLS yes\n");
	struct cfg *off = test_cfg(TEST_ONLY_TRANSPORT);
	int fired;

	(void)state;
	assert_int_equal(test_action(c, NULL, 0, "192.0.2.7", POL_RULE_TLS_REQUIRED,
				     &fired), POL_ACTION_REJECT);
	assert_true(fired);
	test_action(c, NULL, 1, "192.0.2.7", POL_RULE_TLS_REQUIRED, &fired);
	assert_false(fired);
	test_action(c, NULL, 0, "127.0.0.1", POL_RULE_TLS_REQUIRED, &fired);
	assert_false(fired);
	test_action(c, NULL, 0, "::1", POL_RULE_TLS_REQUIRED, &fired);
	assert_false(fired);
	test_action(off, NULL, 0, "192.0.2.7", POL_RULE_TLS_REQUIRED, &fired);
	assert_false(fired);
	cfg_unref(c);
	cfg_unref(off);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spf_results),
		cmocka_unit_test(test_spf_rule),
		cmocka_unit_test(test_tls_rule),
	};

	pol_init();
	return cmocka_run_group_tests_name("transport", tests, test_setup,
					   test_teardown);
}
