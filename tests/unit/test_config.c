/*
 * test_config.c - the config parser: a complete good file, unknown keys and
 * bad values reported with file:line, defaults, and the promise that every
 * key is documented in milter.conf.sample and the README.  Also: a key
 * given twice (lists excepted), trailing comments, a UTF-8 BOM, URLs in
 * domain lists, and the store and socket checks of consentgate -n.
 */
#include "testlib.h"

#include <sys/stat.h>

#include "../../gate/config.h"
#include "../../db/store.h"
#include "../../milter/startcheck.h"

static void
test_good_file(void **state)
{
	struct buf err = BUF_INIT;
	struct cfg *c;

	(void)state;
	c = cfg_load("tests/data/config/good.conf", &err);
	if (c == NULL)
		fail_msg("%s", err.data);
	assert_string_equal(c->socket, "inet:8891@127.0.0.1");
	assert_int_equal(c->mode, CFG_MODE_MONITOR);
	assert_string_equal(c->archive_address, "archive@example.com");
	assert_int_equal(c->pol.marketing_senders.n, 2);
	assert_string_equal(c->pol.marketing_senders.v[1], "@campaigns.example.com");
	assert_int_equal(c->pol.imprint_text.n, 2);
	assert_string_equal(c->pol.imprint_text.v[0],
			    "Example GmbH, Musterstrasse 1, 10115 Berlin");
	assert_int_equal(c->pol.allowed_link_domains.n, 2);
	assert_int_equal(c->pol.doi_resend_days, 30);
	assert_int_equal(c->pol.require_tls, 1);
	assert_int_equal(c->pol.max_message_size, 10L * 1024 * 1024);
	assert_int_equal(c->pol.max_parts, 300);
	assert_int_equal(cfg_rule_action(c, POL_RULE_URL_INSECURE), POL_ACTION_TAG);
	assert_int_equal(cfg_rule_action(c, POL_RULE_TRACKING_NO_CONSENT),
			 POL_ACTION_OFF);
	assert_int_equal(cfg_rule_action(c, POL_RULE_CONSENT_MISSING),
			 POL_ACTION_REJECT);
	cfg_unref(c);
	buf_free(&err);
}

static void
test_unknown_key(void **state)
{
	struct buf err = BUF_INIT;
	struct cfg *c;

	(void)state;
	c = cfg_load("tests/data/config/unknown-key.conf", &err);
	assert_null(c);
	assert_non_null(strstr(err.data,
			       "tests/data/config/unknown-key.conf:2: unknown key 'Socketz'"));
	buf_free(&err);
}

static void
test_bad_values(void **state)
{
	struct buf err = BUF_INIT;
	struct cfg *c;

	(void)state;
	c = cfg_load("tests/data/config/bad-values.conf", &err);
	assert_null(c);
	/* Every problem is reported, each with its line. */
	assert_non_null(strstr(err.data, "bad-values.conf:4: MaxParts"));
	assert_non_null(strstr(err.data, "bad-values.conf:5: RequireTLS"));
	assert_non_null(strstr(err.data, "bad-values.conf:6: RuleAction.no.such.rule"));
	assert_non_null(strstr(err.data, "bad-values.conf:7: ConfirmURL"));
	assert_null(strstr(err.data, ":3:"));
	buf_free(&err);
}

static void
test_defaults(void **state)
{
	struct cfg *c = cfg_defaults();

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->mode, CFG_MODE_ENFORCE);
	assert_string_equal(c->pol.class_header, "X-Consent-Class");
	assert_int_equal(c->pol.doi_resend_days, -1);
	assert_int_equal(c->pol.require_tls, 0);
	assert_int_equal(c->pol.marketing_senders.n, 0);
	assert_int_equal(cfg_rule_action(c, POL_RULE_SPF_FAIL), POL_ACTION_REJECT);
	cfg_unref(c);
}

/*
 * The default socket must be one Debian's chrooted smtpd and cleanup
 * (root /var/spool/postfix) can reach: a loopback TCP port, not a path under
 * /run that does not exist inside the chroot.
 */
static void
test_default_socket_chroot(void **state)
{
	struct cfg *c = cfg_defaults();
	size_t n;

	(void)state;
	assert_non_null(c);
	assert_non_null(c->socket);
	assert_int_equal(strncmp(c->socket, "inet:", 5), 0);
	n = strlen(c->socket);
	assert_true(n > strlen("@127.0.0.1"));
	assert_string_equal(c->socket + n - strlen("@127.0.0.1"), "@127.0.0.1");
	cfg_unref(c);
}

static void
test_edge_values(void **state)
{
	struct buf err = BUF_INIT;
	struct cfg *c;
	char longline[2100];

	(void)state;
	/* Missing file. */
	assert_null(cfg_load("/nonexistent/consentgate.conf", &err));
	assert_non_null(strstr(err.data, "cannot open"));
	buf_reset(&err);
	/* Value longer than the bound. */
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "ClassHeader ", 12);
	longline[sizeof(longline) - 1] = '\0';
	assert_null(cfg_parse_text("t.conf", longline, &err));
	assert_non_null(strstr(err.data, "t.conf:1: ClassHeader: value longer"));
	buf_reset(&err);
	/* Bad socket, bad address list entry, RuleAction without a rule. */
	assert_null(cfg_parse_text("t.conf", "Socket tcp:25\n", &err));
	assert_non_null(strstr(err.data, "t.conf:1: Socket"));
	buf_reset(&err);
	assert_null(cfg_parse_text("t.conf", "\nDoiSenders not-an-address\n", &err));
	assert_non_null(strstr(err.data, "t.conf:2: DoiSenders"));
	buf_reset(&err);
	assert_null(cfg_parse_text("t.conf", "RuleAction. reject\n", &err));
	buf_reset(&err);
	assert_null(cfg_parse_text("t.conf", "RuleAction.message.limit off\n", &err));
	assert_non_null(strstr(err.data, "t.conf:1: RuleAction.message.limit"));
	buf_reset(&err);
	/* Keys are case-insensitive; CRLF line ends are fine. */
	c = cfg_parse_text("t.conf", "mode MONITOR\r\nmaxparts 7\r\n", &err);
	assert_non_null(c);
	assert_int_equal(c->mode, CFG_MODE_MONITOR);
	assert_int_equal(c->pol.max_parts, 7);
	cfg_unref(c);
	buf_free(&err);
}

/* parse text; expect failure with every string of want in the errors. */
static void
expect_refused(const char *text, const char *const *want)
{
	struct buf err = BUF_INIT;

	if (cfg_parse_text("t.conf", text, &err) != NULL)
		fail_msg("accepted: %s", text);
	for (; *want; want++)
		if (err.data == NULL || strstr(err.data, *want) == NULL)
			fail_msg("'%s' not in: %s", *want, err.data ? err.data : "");
	buf_free(&err);
}

static void
test_key_twice(void **state)
{
	static const char *const mode[] = {
		"t.conf:3: Mode: given twice, here and at t.conf:1", NULL};
	static const char *const rule[] = {
		"t.conf:2: RuleAction.url.insecure: given twice, here and at "
		"t.conf:1", NULL};
	static const char *const sock[] = {"t.conf:2: Socket: given twice",
					   NULL};
	struct buf err = BUF_INIT;
	struct cfg *c;

	(void)state;
	expect_refused("Mode enforce\nRequireTLS yes\nMode monitor\n", mode);
	expect_refused("RuleAction.url.insecure tag\n"
		       "RuleAction.url.insecure off\n", rule);
	expect_refused("Socket inet:1@h\nsocket inet:2@h\n", sock);
	/* Lists stay repeatable; different rules are different keys. */
	c = cfg_parse_text("t.conf",
			   "ImprintText A GmbH\nImprintText Berlin\n"
			   "TrackingDomains a.example\nTrackingDomains b.example\n"
			   "MarketingSenders a@x.example\nMarketingSenders @y.example\n"
			   "RuleAction.url.insecure tag\n"
			   "RuleAction.spf.fail tempfail\n", &err);
	if (c == NULL)
		fail_msg("%s", err.data);
	assert_int_equal(c->pol.imprint_text.n, 2);
	assert_int_equal(c->pol.tracking_domains.n, 2);
	assert_int_equal(c->pol.marketing_senders.n, 2);
	cfg_unref(c);
	buf_free(&err);
}

static void
test_comments_and_bom(void **state)
{
	struct buf err = BUF_INIT;
	struct cfg *c;

	(void)state;
	c = cfg_parse_text("t.conf",
			   "\xef\xbb\xbfMode monitor # until the go-live\n"
			   "MaxParts 7\t# fewer\n"
			   "PrivacyURL https://shop.example/legal#privacy  # anchor kept\n"
			   "ImprintText Shop \\# 1 GmbH # the imprint\n"
			   "TrackingDomains a.example, b.example # two\n", &err);
	if (c == NULL)
		fail_msg("%s", err.data);
	assert_int_equal(c->mode, CFG_MODE_MONITOR);
	assert_int_equal(c->pol.max_parts, 7);
	assert_string_equal(c->pol.privacy_url, "https://shop.example/legal#privacy");
	assert_string_equal(c->pol.imprint_text.v[0], "Shop # 1 GmbH");
	assert_int_equal(c->pol.tracking_domains.n, 2);
	assert_string_equal(c->pol.tracking_domains.v[1], "b.example");
	cfg_unref(c);
	buf_free(&err);
}

static void
test_domain_lists(void **state)
{
	static const char *const url[] = {
		"t.conf:1: AllowedLinkDomains: 'https://shop.example/' is a URL, "
		"not a domain: write shop.example", NULL};
	static const char *const port[] = {
		"t.conf:2: TrackingDomains: 'pixel.example:443' is not a domain",
		NULL};

	(void)state;
	expect_refused("AllowedLinkDomains ok.example, https://shop.example/\n",
		       url);
	expect_refused("\nTrackingDomains pixel.example:443\n", port);
}

/* -n: a missing store is created at start (a note), an existing one must
 * open, a unix socket's directory must exist. */
static void
test_would_start(void **state)
{
	char *dir = test_tmpdir(), text[512];
	struct buf err = BUF_INIT, notes = BUF_INIT;
	struct db_store *s = NULL;
	struct cfg *c;
	char msg[256];

	(void)state;
	snprintf(text, sizeof(text), "Socket unix:%s/run/s.sock\n"
		 "ConsentDB %s/store\n", dir, dir);
	c = cfg_parse_text("t.conf", text, &err);
	assert_non_null(c);
	assert_int_equal(mf_check_start(c, NULL, &err, &notes), -1);
	assert_non_null(strstr(err.data, "/run must exist and be writable"));
	assert_non_null(strstr(err.data, "No such file or directory"));
	assert_non_null(strstr(notes.data, "/store does not exist: an empty "
			       "store is created at start"));
	buf_reset(&err);
	buf_reset(&notes);
	snprintf(text, sizeof(text), "%s/run", dir);
	assert_int_equal(mkdir(text, 0700), 0);
	snprintf(text, sizeof(text), "%s/store", dir);
	assert_int_equal(db_open(text, DB_OPEN_CREATE, &s, msg, sizeof(msg)),
			 DB_OK);
	db_close(s);
	assert_int_equal(mf_check_start(c, NULL, &err, &notes), 0);
	assert_int_equal(notes.len, 0);
	/* A directory that is not a store. */
	snprintf(text, sizeof(text), "%s/store/data.mdb", dir);
	assert_int_equal(truncate(text, 0), 0);
	assert_int_equal(mf_check_start(c, NULL, &err, &notes), -1);
	assert_non_null(strstr(err.data, "cannot open the store"));
	cfg_unref(c);
	buf_free(&err);
	buf_free(&notes);
	test_rmdir_r(dir);
}

/* Every key of the table appears in milter.conf.sample with its default,
 * and in the README. */
static void
test_keys_documented(void **state)
{
	size_t n, i;
	const struct cfg_key *k = cfg_keys(&n);
	char *sample = test_read_file("milter.conf.sample", NULL);
	char *readme = test_read_file("README.md", NULL);
	char *manpage = test_read_file("man/consentgate.conf.5", NULL);
	char want[256];

	(void)state;
	for (i = 0; i < n; i++) {
		if (strstr(sample, k[i].name) == NULL)
			fail_msg("key %s missing from milter.conf.sample", k[i].name);
		if (strstr(readme, k[i].name) == NULL)
			fail_msg("key %s missing from README.md", k[i].name);
		snprintf(want, sizeof(want), ".B %s\n", k[i].name);
		if (strstr(manpage, want) == NULL)
			fail_msg("key %s missing from consentgate.conf(5)", k[i].name);
		if (k[i].def[0]) {
			snprintf(want, sizeof(want), "%s", k[i].def);
			if (strstr(sample, want) == NULL)
				fail_msg("default '%s' of %s missing from sample",
					 k[i].def, k[i].name);
		}
	}
	/* The sample itself is a valid configuration. */
	{
		struct buf err = BUF_INIT;
		struct cfg *c = cfg_load("milter.conf.sample", &err);

		if (c == NULL)
			fail_msg("sample does not parse: %s", err.data);
		cfg_unref(c);
		buf_free(&err);
	}
	free(sample);
	free(readme);
	free(manpage);
}

/* ConsentList: NAME: selector=value, ...; later lines for a name append. */
static void
test_consent_list(void **state)
{
	struct buf err = BUF_INIT;
	struct cfg *c;

	(void)state;
	c = cfg_parse_text("t.conf",
			   "ConsentList news: sender=@News.Example, "
			   "list-id=<News.Shop.Example>\n"
			   "ConsentList offers: class=Offers\n"
			   "ConsentList news: sender=a@b.example\n", &err);
	assert_non_null(c);
	assert_int_equal(c->pol.nconsent_lists, 2);
	assert_string_equal(c->pol.consent_lists[0].name, "news");
	assert_int_equal(c->pol.consent_lists[0].senders.n, 2);
	assert_string_equal(c->pol.consent_lists[0].senders.v[0], "@news.example");
	assert_string_equal(c->pol.consent_lists[0].list_ids.v[0],
			    "news.shop.example");
	assert_string_equal(c->pol.consent_lists[1].classes.v[0], "offers");
	cfg_unref(c);
	assert_null(cfg_parse_text("t.conf", "ConsentList News: sender=@a.example\n",
				   &err));
	assert_non_null(strstr(err.data, "t.conf:1: ConsentList: 'News' is not a list name"));
	buf_reset(&err);
	assert_null(cfg_parse_text("t.conf", "ConsentList news: from=@a.example\n",
				   &err));
	assert_non_null(strstr(err.data, "unknown selector 'from'"));
	buf_reset(&err);
	assert_null(cfg_parse_text("t.conf", "ConsentList news:\n", &err));
	assert_non_null(strstr(err.data, "no selector"));
	buf_reset(&err);
	assert_null(cfg_parse_text("t.conf", "ConsentList news sender=@a.example\n",
				   &err));
	assert_non_null(strstr(err.data, "is not NAME: selector=value"));
	buf_reset(&err);
	assert_null(cfg_parse_text("t.conf", "ConsentList news: sender=nobody\n",
				   &err));
	buf_free(&err);
	c = cfg_defaults();
	assert_int_equal(c->pol.nconsent_lists, 0);
	cfg_unref(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_edge_values),
		cmocka_unit_test(test_keys_documented),
		cmocka_unit_test(test_key_twice),
		cmocka_unit_test(test_comments_and_bom),
		cmocka_unit_test(test_domain_lists),
		cmocka_unit_test(test_would_start),
		cmocka_unit_test(test_consent_list),
		cmocka_unit_test(test_default_socket_chroot),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
