/*
 * test_profiles.c - brand profiles (ProfileDirectory, gate/config_profiles.c):
 * each profile overlays the base file with its own legal data in one
 * snapshot; a mail's profile comes from its envelope sender, else its From;
 * overlapping sender sets, unknown keys, keys a profile may not set and a
 * profile without ProfileSenders are refused with file:line; without
 * ProfileDirectory nothing changes.
 */
#include "testlib.h"

#include "../../gate/config.h"

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The base file for dir: shop-wide settings plus ProfileDirectory. */
static struct cfg *
load_base(const char *dir, struct buf *err)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "MarketingSenders news@shop.example, @brand-a.example\n"
		 "PrivacyURL https://shop.example/privacy\n"
		 "ImprintText Shop Example GmbH\n"
		 "TrackingDomains track.shop.example\n"
		 "ConsentList shop: sender=news@shop.example\n"
		 "ProfileDirectory %s\n", dir);
	return cfg_parse_text("base.conf", text, err);
}

static const char brand_a[] =
	"# Brand A\n"
	"ProfileSenders @brand-a.example, info@brand-a.de\n"
	"PrivacyURL https://brand-a.example/privacy\n"
	"ImprintText Brand A GmbH, Alleestrasse 1, 10115 Berlin\n"
	"ConsentList brand-a-news: sender=@brand-a.example\n"
	"ArchiveAddress archive@brand-a.example\n";

static const char brand_b[] =
	"ProfileSenders news@brand-b.example\n"
	"ImprintText Brand B AG, Ringstrasse 2, 80331 Muenchen\n"
	"ImprintText Vorstand: B. Beispiel\n";

static void
test_overlay(void **state)
{
	struct buf err = BUF_INIT;
	char *dir = test_tmpdir();
	struct cfg *c, *a, *b;

	(void)state;
	write_file(dir, "brand-a", brand_a);
	write_file(dir, "brand-b", brand_b);
	c = load_base(dir, &err);
	if (c == NULL)
		fail_msg("%s", err.data);
	assert_int_equal(c->nprofiles, 2);
	assert_string_equal(cfg_profile_name(c), "");
	a = cfg_profile_named(c, "brand-a");
	b = cfg_profile_named(c, "brand-b");
	assert_non_null(a);
	assert_non_null(b);
	assert_null(cfg_profile_named(c, "brand-c"));
	/* The base keeps its own data. */
	assert_string_equal(c->pol.privacy_url, "https://shop.example/privacy");
	assert_int_equal(c->pol.imprint_text.n, 1);
	assert_string_equal(c->pol.imprint_text.v[0], "Shop Example GmbH");
	assert_null(c->archive_address && c->archive_address[0] ? "set" : NULL);
	/* A profile replaces what it sets ... */
	assert_string_equal(cfg_profile_name(a), "brand-a");
	assert_string_equal(a->pol.privacy_url, "https://brand-a.example/privacy");
	assert_int_equal(a->pol.imprint_text.n, 1);
	assert_string_equal(a->pol.imprint_text.v[0],
			    "Brand A GmbH, Alleestrasse 1, 10115 Berlin");
	assert_int_equal(a->pol.nconsent_lists, 1);
	assert_string_equal(a->pol.consent_lists[0].name, "brand-a-news");
	assert_string_equal(a->archive_address, "archive@brand-a.example");
	/* ... and inherits the rest of the base file. */
	assert_int_equal(a->pol.marketing_senders.n, 2);
	assert_int_equal(a->pol.tracking_domains.n, 1);
	assert_int_equal(b->pol.imprint_text.n, 2);
	assert_string_equal(b->pol.privacy_url, "https://shop.example/privacy");
	assert_int_equal(b->pol.nconsent_lists, 1);
	assert_string_equal(b->pol.consent_lists[0].name, "shop");
	assert_int_equal(a->profile_senders.n, 2);
	assert_string_equal(a->profile_senders.v[0], "@brand-a.example");
	/* A profile outlives the base snapshot while referenced. */
	cfg_ref(a);
	cfg_unref(c);
	assert_string_equal(cfg_pol(a)->privacy_url,
			    "https://brand-a.example/privacy");
	cfg_unref(a);
	test_rmdir_r(dir);
	buf_free(&err);
}

static void
test_select(void **state)
{
	struct buf err = BUF_INIT;
	char *dir = test_tmpdir();
	struct cfg *c, *a, *b;

	(void)state;
	write_file(dir, "brand-a", brand_a);
	write_file(dir, "brand-b", brand_b);
	c = load_base(dir, &err);
	if (c == NULL)
		fail_msg("%s", err.data);
	a = cfg_profile_named(c, "brand-a");
	b = cfg_profile_named(c, "brand-b");
	assert_ptr_equal(cfg_profile_for(c, "news@brand-a.example"), a);
	assert_ptr_equal(cfg_profile_for(c, "INFO@Brand-A.de"), a);
	assert_ptr_equal(cfg_profile_for(c, "news@brand-b.example"), b);
	assert_null(cfg_profile_for(c, "other@brand-b.example"));
	assert_null(cfg_profile_for(c, "news@shop.example"));
	assert_null(cfg_profile_for(c, ""));
	/* The envelope sender first ... */
	assert_ptr_equal(cfg_profile_select(c, "news@brand-a.example",
					    "news@brand-b.example"), a);
	/* ... the From only when the envelope sender has no profile. */
	assert_ptr_equal(cfg_profile_select(c, "bounce@esp.example",
					    "news@brand-b.example"), b);
	assert_ptr_equal(cfg_profile_select(c, "", "news@brand-b.example"), b);
	assert_null(cfg_profile_select(c, "bounce@esp.example", "x@y.example"));
	cfg_unref(c);
	test_rmdir_r(dir);
	buf_free(&err);
}

static void
expect_error(const char *dir, const char *want)
{
	struct buf err = BUF_INIT;
	struct cfg *c = load_base(dir, &err);

	if (c != NULL)
		fail_msg("loaded; wanted the error '%s'", want);
	if (err.data == NULL || strstr(err.data, want) == NULL)
		fail_msg("wanted '%s' in:\n%s", want, err.data ? err.data : "");
	buf_free(&err);
}

static void
test_overlap(void **state)
{
	char *dir = test_tmpdir();
	char want[600];

	(void)state;
	write_file(dir, "brand-a", brand_a);
	/* An address whose domain is another profile's @domain. */
	write_file(dir, "brand-c", "ImprintText C\n"
		   "ProfileSenders shop@brand-c.example\n"
		   "ProfileSenders promo@brand-a.example\n");
	snprintf(want, sizeof(want), "%s/brand-c:3: ProfileSenders: "
		 "'promo@brand-a.example' overlaps '@brand-a.example' of profile "
		 "brand-a (%s/brand-a:2)", dir, dir);
	expect_error(dir, want);
	/* The same entry in two profiles. */
	write_file(dir, "brand-c", "ProfileSenders info@brand-a.de\n");
	snprintf(want, sizeof(want), "%s/brand-c:1: ProfileSenders: "
		 "'info@brand-a.de' overlaps 'info@brand-a.de' of profile brand-a",
		 dir);
	expect_error(dir, want);
	/* Disjoint sets load. */
	write_file(dir, "brand-c", "ProfileSenders @brand-c.example\n");
	{
		struct buf err = BUF_INIT;
		struct cfg *c = load_base(dir, &err);

		if (c == NULL)
			fail_msg("%s", err.data);
		assert_int_equal(c->nprofiles, 2);
		cfg_unref(c);
		buf_free(&err);
	}
	test_rmdir_r(dir);
}

static void
test_bad_profiles(void **state)
{
	char *dir = test_tmpdir();
	char want[600];

	(void)state;
	write_file(dir, "brand-a", "ProfileSenders @brand-a.example\n"
		   "\n"
		   "ImprintTxt Brand A\n");
	snprintf(want, sizeof(want), "%s/brand-a:3: unknown key 'ImprintTxt' "
		 "in a profile", dir);
	expect_error(dir, want);
	write_file(dir, "brand-a", "ProfileSenders @brand-a.example\n"
		   "Socket inet:9999@127.0.0.1\n");
	snprintf(want, sizeof(want), "%s/brand-a:2: Socket cannot be set in a "
		 "profile", dir);
	expect_error(dir, want);
	write_file(dir, "brand-a", "ProfileSenders @brand-a.example\n"
		   "RuleAction.url.insecure tag\n");
	snprintf(want, sizeof(want), "%s/brand-a:2: RuleAction.url.insecure "
		 "cannot be set in a profile", dir);
	expect_error(dir, want);
	write_file(dir, "brand-a", "PrivacyURL https://brand-a.example/p\n");
	snprintf(want, sizeof(want), "%s/brand-a: ProfileSenders missing", dir);
	expect_error(dir, want);
	write_file(dir, "brand-a", "ProfileSenders @brand-a.example\n"
		   "PrivacyURL http://brand-a.example/p\n");
	snprintf(want, sizeof(want), "%s/brand-a:2: PrivacyURL: "
		 "'http://brand-a.example/p' is not an https:// URL", dir);
	expect_error(dir, want);
	write_file(dir, "brand-a", "ProfileSenders not an address\n");
	snprintf(want, sizeof(want), "%s/brand-a:1: ProfileSenders: ", dir);
	expect_error(dir, want);
	snprintf(want, sizeof(want), "%s/brand-a", dir);
	unlink(want);
	write_file(dir, "Brand-A", "ProfileSenders @brand-a.example\n");
	expect_error(dir, "a profile's file name is its name");
	snprintf(want, sizeof(want), "%s/Brand-A", dir);
	unlink(want);
	/* Hidden files (editor droppings) are no profiles. */
	write_file(dir, ".brand-a.swp", "garbage\n");
	{
		struct buf err = BUF_INIT;
		struct cfg *c = load_base(dir, &err);

		if (c == NULL)
			fail_msg("%s", err.data);
		assert_int_equal(c->nprofiles, 0);
		cfg_unref(c);
		buf_free(&err);
	}
	test_rmdir_r(dir);
	expect_error("/nonexistent/profiles", "ProfileDirectory: cannot read "
		     "/nonexistent/profiles");
}

static void
test_without_profiles(void **state)
{
	struct buf err = BUF_INIT;
	struct cfg *c;

	(void)state;
	c = cfg_parse_text("plain.conf", "ImprintText Shop Example GmbH\n", &err);
	assert_non_null(c);
	assert_int_equal(c->nprofiles, 0);
	assert_null(cfg_profile_select(c, "news@brand-a.example",
				       "news@brand-a.example"));
	assert_string_equal(cfg_profile_name(c), "");
	cfg_unref(c);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overlay),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_bad_profiles),
		cmocka_unit_test(test_without_profiles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
