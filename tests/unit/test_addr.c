/*
 * test_addr.c - the one address normaliser (common/addr.c): U-label and
 * A-label domains give the same key, NFC and NFD local parts give the same
 * key, case is folded as README documents, invalid IDN domains are
 * refused; and the config's address and domain lists match across forms.
 */
#include "testlib.h"

#include "../../common/addr.h"
#include "../../gate/config.h"
#include "../../common/url.h"
#include "../../policy/policy.h"

/* Normalise in and compare with want ("" means: refused). */
static void
check_norm(const char *in, const char *want)
{
	char out[ADDR_MAX + 1];
	int n = addr_normalise(in, out, sizeof(out));

	if (*want == '\0') {
		if (n >= 0)
			fail_msg("'%s' was accepted as '%s'", in, out);
		assert_string_equal(out, "");
		return;
	}
	if (n < 0)
		fail_msg("'%s' was refused", in);
	assert_string_equal(out, want);
	assert_int_equal(n, (int)strlen(want));
}

static void
test_idn_domain(void **state)
{
	(void)state;
	check_norm("anna@bücher.example", "anna@xn--bcher-kva.example");
	check_norm("anna@xn--bcher-kva.example", "anna@xn--bcher-kva.example");
	check_norm("<Anna@BÜCHER.Example>", "anna@xn--bcher-kva.example");
	check_norm("anna@XN--BCHER-KVA.example", "anna@xn--bcher-kva.example");
	/* Full-width dot and letters are mapped by UTS #46. */
	check_norm("anna@bücher\xe3\x80\x82" "example",
		   "anna@xn--bcher-kva.example");
	check_norm("a@bücher.example.", "a@xn--bcher-kva.example");
}

static void
test_nfc_local_part(void **state)
{
	char a[ADDR_MAX + 1], b[ADDR_MAX + 1];

	(void)state;
	/* "jürgen" precomposed (NFC) and with a combining diaeresis (NFD). */
	assert_true(addr_normalise("j\xc3\xbcrgen@example.org", a,
				   sizeof(a)) > 0);
	assert_true(addr_normalise("ju\xcc\x88rgen@example.org", b,
				   sizeof(b)) > 0);
	assert_string_equal(a, b);
	assert_string_equal(a, "j\xc3\xbcrgen@example.org");
	check_norm("ju\xcc\x88rgen@bu\xcc\x88" "cher.example",
		   "j\xc3\xbcrgen@xn--bcher-kva.example");
}

static void
test_case(void **state)
{
	(void)state;
	/* ASCII: lower case as always, so existing keys stay. */
	check_norm("  <Anna.Schmidt@Example.DE> ", "anna.schmidt@example.de");
	check_norm("mailto:X@Y.org", "x@y.org");
	/* Other letters: Unicode simple lower case; no full folding. */
	check_norm("J\xc3\x9cRGEN@example.org", "j\xc3\xbcrgen@example.org");
	check_norm("Stra\xc3\x9f" "e@example.org",
		   "stra\xc3\x9f" "e@example.org");
	check_norm("[Postmaster]@[192.0.2.1]", "[postmaster]@[192.0.2.1]");
}

static void
test_refused(void **state)
{
	(void)state;
	check_norm("no-at-sign", "");
	check_norm("@example.com", "");
	check_norm("a@", "");
	check_norm("<a@b.c", "");
	check_norm("a b@c.d", "");
	/* Invalid IDN: a code point IDNA disallows, a broken A-label, an
	 * empty label, bytes that are not UTF-8. */
	check_norm("a@\xef\xbf\xbd.example", "");
	check_norm("a@\xcc\x88x.example", "");
	check_norm("a@\xe2\x80\x8b.example", "");
	check_norm("a@xn--zz-.example", "");
	check_norm("a@b\xc3\xbc..example", "");
	check_norm("a@b\xfc" "cher.example", "");
	check_norm("\xfc@example.org", "");
	check_norm("a@ex%41mple.org", "");
}

/* The one-pass ASCII path and the general path agree where one hands over
 * to the other: the last '@' splits, an A-label (any case) goes through
 * IDNA unless inside an address literal, '%' is refused in the domain
 * only, a domain of 256 bytes is too long, a small out buffer refuses. */
static void
test_ascii_path(void **state)
{
	char dom[300], in[320], want[320], out[8];

	(void)state;
	check_norm("a@b@Example.ORG", "a@b@example.org");
	check_norm("A%B@Example.org", "a%b@example.org");
	check_norm("a@b%c@example.org", "a@b%c@example.org");
	check_norm("a@Example.org%", "");
	check_norm("a@[XN--X.Example]", "a@[xn--x.example]");
	check_norm("a@Shop.XN--BCHER-KVA.Example", "a@shop.xn--bcher-kva.example");
	check_norm("xn--a@Example.ORG", "xn--a@example.org");
	check_norm("MailTo:Anna@Example.ORG", "anna@example.org");
	check_norm("< a@b.example >", "a@b.example");
	check_norm("@example.org", "");
	check_norm("a@b.example@", "");
	check_norm("a@b\x7f.example", "");
	memset(dom, 'b', 255);
	dom[255] = '\0';
	snprintf(in, sizeof(in), "A@%s", dom);
	snprintf(want, sizeof(want), "a@%s", dom);
	check_norm(in, want);
	snprintf(in, sizeof(in), "a@%sb", dom);
	check_norm(in, "");
	assert_int_equal(addr_normalise("a@b.example", out, sizeof(out)), -1);
	assert_int_equal(addr_normalise("a@b.exa", out, sizeof(out)), 7);
	assert_string_equal(out, "a@b.exa");
}

static void
test_sender(void **state)
{
	char out[ADDR_MAX + 1];

	(void)state;
	assert_int_equal(addr_normalise_sender("<>", out, sizeof(out)), 0);
	assert_true(addr_normalise_sender("<News@Bücher.example>", out,
					  sizeof(out)) > 0);
	assert_string_equal(out, "news@xn--bcher-kva.example");
}

/* A config whose lists are written in one form matches mail in the
 * other. */
static void
test_config_lists(void **state)
{
	static const char text[] =
		"MarketingSenders @bücher.example, news@xn--mller-kva.example\n"
		"DoiSenders optin@Bu\xcc\x88" "cher.example\n"
		"ArchiveAddress archiv@BÜCHER.example\n"
		"TrackingDomains track.bücher.example\n";
	struct buf err = BUF_INIT;
	struct cfg *c;
	char *const *m;

	(void)state;
	c = cfg_parse_text("idn.conf", text, &err);
	if (c == NULL)
		fail_msg("%s", err.data);
	m = c->pol.marketing_senders.v;
	assert_string_equal(m[0], "@xn--bcher-kva.example");
	assert_string_equal(c->archive_address,
			    "archiv@xn--bcher-kva.example");
	assert_string_equal(c->pol.doi_senders.v[0],
			    "optin@xn--bcher-kva.example");
	assert_true(addr_match_list("shop@xn--bcher-kva.example", m, 2));
	assert_true(addr_match_list("shop@B\xc3\xbc" "cher.example", m, 2));
	assert_true(addr_match_list("news@m\xc3\xbcller.example", m, 2));
	assert_false(addr_match_list("news@mueller.example", m, 2));
	assert_int_equal(pol_classify_envelope(cfg_pol(c), "shop@xn--bcher-kva.example"),
			 POL_CLASS_MARKETING);
	assert_int_equal(pol_classify_envelope(cfg_pol(c), "optin@xn--bcher-kva.example"),
			 POL_CLASS_DOI);
	assert_true(url_host_in_domain("xn--bcher-kva.example",
				       "b\xc3\xbc" "cher.example"));
	assert_true(url_host_in_domain("a.track.b\xc3\xbc" "cher.example",
				       c->pol.tracking_domains.v[0]));
	assert_true(url_host_in_domain("a.track.xn--bcher-kva.example",
				       c->pol.tracking_domains.v[0]));
	cfg_unref(c);
	buf_free(&err);
	/* A list entry that is not a valid domain is an error at start. */
	c = cfg_parse_text("bad.conf", "MarketingSenders @\xef\xbf\xbd.x\n",
			   &err);
	assert_null(c);
	assert_non_null(strstr(err.data, "bad.conf:1:"));
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idn_domain),
		cmocka_unit_test(test_nfc_local_part),
		cmocka_unit_test(test_case),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_ascii_path),
		cmocka_unit_test(test_sender),
		cmocka_unit_test(test_config_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
