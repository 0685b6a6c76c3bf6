/*
 * test_url.c - the one URL parser: hosts (percent, IDNA, case, trailing
 * dot, user info and backslash tricks), label-boundary domain matching,
 * "the same URL", prefixes at a boundary, and query parameters decoded
 * once for every caller.
 */
#include "testlib.h"

#include "../../common/url.h"

static const char *
host(const char *url)
{
	static char h[URL_HOST_MAX];

	if (url_host(url, h, sizeof(h)) < 0)
		return "(none)";
	return h;
}

static void
test_hosts(void **state)
{
	(void)state;
	assert_string_equal(host("https://Shop.Example./x"), "shop.example");
	assert_string_equal(host("https://b%C3%BCcher.example/"), "xn--bcher-kva.example");
	assert_string_equal(host("https://BÜCHER.example/"), "xn--bcher-kva.example");
	assert_string_equal(host("https://shop.example@evil.example/x"), "evil.example");
	assert_string_equal(host("https://evil.example\\@shop.example/"), "evil.example");
	assert_string_equal(host("https://shop.example:8443/"), "shop.example");
	assert_string_equal(host(" https://sh\top.example/ "), "shop.example");
	assert_string_equal(host("www.Shop.example/a"), "www.shop.example");
	assert_string_equal(host("mailto:Datenschutz@Shop.Example?subject=x"), "shop.example");
	assert_string_equal(host("https://[2001:DB8::1]/"), "2001:db8::1");
	assert_string_equal(host("tel:+4930123"), "(none)");
	assert_string_equal(host("/relative/path"), "(none)");
	assert_string_equal(host(""), "(none)");
}

static void
test_domains(void **state)
{
	(void)state;
	assert_true(url_host_in_domain("a.shop.example", "shop.example"));
	assert_true(url_host_in_domain("shop.example", "@Shop.Example."));
	assert_true(url_host_in_domain("xn--bcher-kva.example", "bücher.example"));
	assert_false(url_host_in_domain("shop.example.evil.net", "shop.example"));
	assert_false(url_host_in_domain("evilshop.example", "shop.example"));
	assert_false(url_host_in_domain("example", "shop.example"));
	/* The one-pass plain-host path: case, one trailing dot, labels. */
	assert_true(url_host_in_domain("A.SHOP.Example.", "shop.EXAMPLE"));
	/* Both already normalised: a suffix comparison at a label boundary. */
	assert_true(url_normal_host_in_domain("a.shop.example", "shop.example"));
	assert_true(url_normal_host_in_domain("shop.example", "shop.example"));
	assert_false(url_normal_host_in_domain("evilshop.example", "shop.example"));
	assert_false(url_normal_host_in_domain("", "shop.example"));
	assert_false(url_normal_host_in_domain("shop.example", ""));
}

/* A message with more links than the link cache has slots compares each
 * with the prefixes: every answer is the same as the first time. */
static void
test_prefix_cache(void **state)
{
	char url[64];
	int round, i;

	(void)state;
	for (round = 0; round < 2; round++)
		for (i = 0; i < 200; i++) {
			snprintf(url, sizeof(url), "https://Shop.Example/p/%d", i);
			assert_int_equal(url_has_prefix(url, "https://shop.example/p/"), 1);
			assert_int_equal(url_has_prefix(url, "https://shop.example/q/"), 0);
			assert_int_equal(url_has_prefix(url, "https://other.example/"), 0);
		}
}

static void
test_same_url(void **state)
{
	char *a = url_normalise("HTTPS://Shop.Example:443/Newsletter/confirm?uid=1#top");
	char *b = url_normalise("https://shop.example/Newsletter/confirm?uid=1");
	char *c = url_normalise("https://shop.example/newsletter/confirm?uid=1");

	(void)state;
	assert_non_null(a);
	assert_string_equal(a, b);
	assert_string_not_equal(b, c); /* the path keeps its case */
	free(a);
	free(b);
	free(c);
	a = url_normalise("https://shop.example");
	assert_string_equal(a, "https://shop.example/");
	free(a);
}

static void
test_prefix(void **state)
{
	const char *p = "https://shop.example/newsletter/confirm";

	(void)state;
	assert_true(url_has_prefix("https://SHOP.example/newsletter/confirm?uid=1", p));
	assert_true(url_has_prefix("https://shop.example/newsletter/confirm/abc", p));
	assert_true(url_has_prefix("https://shop.example/newsletter/confirm", p));
	assert_false(url_has_prefix("https://shop.example/newsletter/confirmation-page", p));
	assert_false(url_has_prefix("http://shop.example/newsletter/confirm?uid=1", p));
	assert_false(url_has_prefix("https://shop.example.evil.net/newsletter/confirm", p));
	assert_false(url_has_prefix("https://shop.example@evil.net/newsletter/confirm", p));
	assert_true(url_has_prefix("https://shop.example/c?token=abc",
				   "https://shop.example/c?token="));
	assert_false(url_has_prefix("https://shop.example/x", ""));
	/* A prefix's query parameters in any order (Ghost's ?token=...&
	 * action=signup under ?action=signup); a trailing empty value takes
	 * any value; another value, path or host is not covered. */
	p = "https://blog.example/members/?action=signup";
	assert_true(url_has_prefix("https://blog.example/members/?token=Q1&"
				   "action=signup&r=https%3A%2F%2Fblog.example", p));
	assert_false(url_has_prefix("https://blog.example/members/?token=Q1&"
				    "action=signin", p));
	assert_false(url_has_prefix("https://blog.example/members/?token=Q1&"
				    "action=signupx", p));
	assert_false(url_has_prefix("https://blog.example/membersx/?token=Q1&"
				    "action=signup", p));
	assert_false(url_has_prefix("https://blog.example/members/?token=Q1", p));
	assert_true(url_has_prefix("https://shop.example/?uid=7&p=confirm",
				   "https://shop.example/?p=confirm&uid="));
	assert_false(url_has_prefix("https://shop.example/?uid=7&p=confirmed",
				    "https://shop.example/?p=confirm&uid="));
	/* A prefix that ends inside the query (PrestaShop's, OXID's and
	 * CiviCRM's confirmation links): the next parameter is a boundary,
	 * a longer value is not, and neither is '/' inside a query. */
	p = "https://shop.example/index.php?fc=module&controller=verification";
	assert_true(url_has_prefix("https://shop.example/index.php?fc=module&"
				   "controller=verification&token=ab12", p));
	assert_true(url_has_prefix("https://shop.example/index.php?fc=module&"
				   "controller=verification", p));
	assert_true(url_has_prefix("https://shop.example/index.php?fc=module&"
				   "controller=verification#top", p));
	assert_false(url_has_prefix("https://shop.example/index.php?fc=module&"
				    "controller=verificationx&token=ab12", p));
	assert_false(url_has_prefix("https://shop.example/index.php?fc=module&"
				    "controller=verification/x", p));
	assert_false(url_has_prefix("https://shop.example/index.php?fc=module",
				    p));
	/* Without a query in the prefix '&' is no boundary, as before. */
	assert_false(url_has_prefix("https://shop.example/c&x=1",
				    "https://shop.example/c"));
}

static void
test_query(void **state)
{
	char v[64];

	(void)state;
	assert_int_equal(url_query_param("https://s.example/c?a=1&uid=ab%2Bc%40d", "uid", v, sizeof(v)), 1);
	assert_string_equal(v, "ab+c@d");
	assert_int_equal(url_query_param("/newsletter/confirm?uid=x+y;t=2", "uid", v, sizeof(v)), 1);
	assert_string_equal(v, "x y");
	assert_int_equal(url_query_param("https://s.example/c?xuid=1", "uid", v, sizeof(v)), 0);
	assert_int_equal(url_query_param("https://s.example/c?uid=", "uid", v, sizeof(v)), 0);
	assert_int_equal(url_query_param("https://s.example/c", "uid", v, sizeof(v)), 0);
	assert_int_equal(url_query_param("https://s.example/c?uid=0123456789", "uid", v, 4), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_domains),
	    cmocka_unit_test(test_prefix_cache),
		cmocka_unit_test(test_same_url),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
