/*
 * test_rules_url.c - the helpers the URL and header rules share, in both
 * directions: RFC 2369 List-Unsubscribe parsing, the URL component decoder
 * (an address hidden in base64, hex, JSON, entities, split parameters;
 * nothing found where there is nothing), redirect unwrapping, and the
 * UnsubscribeURL key judged through the policy.
 */
#include "testlib.h"

#include "../../common/buf.h"
#include "../../gate/config.h"
#include "../../policy/policy.h"
#include "../../policy/rules/urlscan.h"
#include "../../policy/rules/util.h"

struct uris {
	char v[4][256];
	int n;
};

static int
collect(const char *uri, void *arg)
{
	struct uris *u = arg;

	if (u->n < 4)
		snprintf(u->v[u->n++], sizeof(u->v[0]), "%s", uri);
	return 0;
}

static void
test_header_uris_rfc2369(void **state)
{
	struct uris u = {{""}, 0};

	(void)state;
	pol_header_uris("(use the web <https://evil.example/x>) "
			"<mailto:l@shop.example>, ( nested (comment <a:b>) ) "
			"< https://shop.example/unsub?\r\n u=1 >, https://bare.example/",
			collect, &u);
	assert_int_equal(u.n, 2);
	assert_string_equal(u.v[0], "mailto:l@shop.example");
	assert_string_equal(u.v[1], "https://shop.example/unsub?u=1");
}

static int has_addr_hashes(const char *url, const char *addr, int hashes);

static int
has_addr(const char *url, const char *addr)
{
	return has_addr_hashes(url, addr, 1);
}

static int
has_addr_hashes(const char *url, const char *addr, int hashes)
{
	char host[POL_HOST_MAX];
	struct pol_scan s;
	int r;

	assert_int_equal(pol_url_host(url, host, sizeof(host)), 0);
	assert_int_equal(pol_scan_url(url, &s), 0);
	r = pol_scan_has_address(&s, addr, host, hashes);
	pol_scan_free(&s);
	return r;
}

static void
test_scan_address(void **state)
{
	(void)state;
	/* base64 (a2VuZGVAZXhhbXBsZS5vcmc= is kunde@example.org) */
	assert_true(has_addr("https://shop.example/a?d=a3VuZGVAZXhhbXBsZS5vcmc=",
			     "kunde@example.org"));
	/* hex in a path segment */
	assert_true(has_addr("https://shop.example/r/6b756e6465406578616d706c652e6f7267",
			     "kunde@example.org"));
	/* percent-encoded twice, upper case, with a +tag */
	assert_true(has_addr("https://shop.example/a?e=KUNDE%252Bnl%2540example.org",
			     "kunde@example.org"));
	/* JSON escape and HTML entity */
	assert_true(has_addr("https://shop.example/a?j={\"e\":\"kunde\\u0040example.org\"}",
			     "kunde@example.org"));
	assert_true(has_addr("https://shop.example/a?e=kunde&#64;example.org",
			     "kunde@example.org"));
	/* split over two parameters */
	assert_true(has_addr("https://shop.example/a?l=kunde&d=example.org",
			     "kunde@example.org"));
	/* base32, ROT13, backwards, and base64url split after the @ */
	assert_true(has_addr("https://shop.example/a?r=NN2W4ZDFIBSXQYLNOBWGKLTPOJTQ",
			     "kunde@example.org"));
	assert_true(has_addr("https://shop.example/a?r=xhaqr@rknzcyr.bet",
			     "kunde@example.org"));
	assert_true(has_addr("https://shop.example/a?r=gro.elpmaxe@ednuk",
			     "kunde@example.org"));
	assert_true(has_addr("https://shop.example/a?a=a3VuZGVA&b=ZXhhbXBsZS5vcmc",
			     "kunde@example.org"));
	/* spelled out against harvesters, and hashed (MD5, SHA-256 of the
	 * lower-case address) */
	assert_true(has_addr("https://shop.example/a?r=kunde(at)example(dot)org",
			     "kunde@example.org"));
	assert_true(has_addr("https://shop.example/a?r=kunde%20%5Bat%5D%20example.org",
			     "kunde@example.org"));
	assert_true(has_addr("https://shop.example/a?h=4086b463300502e60c5bf12baba4e8c9",
			     "kunde@example.org"));
	assert_true(has_addr("https://shop.example/a/46340ec2949308dde5260091e5b818c9cd3d5621f99c8171be137c5c0282dd95",
			     "Kunde@example.org"));
	assert_false(has_addr("https://shop.example/a?h=4086b463300502e60c5bf12baba4e8c9",
			      "kunde@example.net"));
	/* hashes only where the caller asks for them (not on the sender's
	 * own DOI links, url_leak.c) */
	assert_false(has_addr_hashes("https://shop.example/a?h=4086b463300502e60c5bf12baba4e8c9",
				     "kunde@example.org", 0));
	assert_true(has_addr_hashes("https://shop.example/a?r=gro.elpmaxe@ednuk",
				    "kunde@example.org", 0));
	assert_false(has_addr("https://shop.example/data/format/at/dot",
			      "kunde@example.org"));
	/* ...but not when the domain is only the URL's own host */
	assert_false(has_addr("https://example.org/kunde", "kunde@example.org"));
	/* not another person's address, not a uid */
	assert_false(has_addr("https://shop.example/unsub?u=7c41d2e9a0",
			      "kunde@example.org"));
	assert_false(has_addr("https://shop.example/a?l=kundendienst&d=example.org",
			      "kunde@example.org"));
}

static void
test_scan_bounded(void **state)
{
	struct buf b = BUF_INIT;
	struct pol_scan s;
	int i;

	(void)state;
	buf_puts(&b, "https://shop.example/a?");
	for (i = 0; i < 2000; i++)
		buf_printf(&b, "p%d=YWJjZGVmZ2hpamtsbW5vcA%%3D%%3D&", i);
	assert_int_equal(pol_scan_url(b.data, &s), 0);
	assert_true(s.n <= POL_SCAN_MAX_PIECES);
	assert_true(s.truncated);
	pol_scan_free(&s);
	buf_free(&b);
}

/* An http:// URL a link carries, behind an https one or alone. */
static void
test_inner_http(void **state)
{
	struct pol_scan s;
	char out[512];

	(void)state;
	assert_int_equal(pol_scan_url("https://r.example/c?u=https%3A%2F%2Fa."
				      "example%2F&v=http%3A%2F%2Fb.example%2Fx",
				      &s), 0);
	assert_int_equal(pol_scan_inner_http(&s, out, sizeof(out)), 1);
	assert_string_equal(out, "http://b.example/x");
	pol_scan_free(&s);
	assert_int_equal(pol_scan_url("https://r.example/c?u=https%3A%2F%2Fa."
				      "example%2Fhttp", &s), 0);
	assert_int_equal(pol_scan_inner_http(&s, out, sizeof(out)), 0);
	pol_scan_free(&s);
}

static void
test_unwrap(void **state)
{
	char out[512];

	(void)state;
	assert_int_equal(pol_url_unwrap("https://t.example/c?url=https%3A%2F%2F"
					"shop.example%2Fdatenschutz",
					out, sizeof(out)),
			 1);
	assert_string_equal(out, "https://shop.example/datenschutz");
	/* in the path, and base64url in a parameter */
	assert_int_equal(pol_url_unwrap("https://t.example/r/https://shop.example/x",
					out, sizeof(out)), 1);
	assert_string_equal(out, "https://shop.example/x");
	assert_int_equal(pol_url_unwrap("https://t.example/c?to=aHR0cHM6Ly9zaG9w"
					"LmV4YW1wbGUvZGF0ZW5zY2h1dHo",
					out, sizeof(out)), 1);
	assert_string_equal(out, "https://shop.example/datenschutz");
	/* no inner URL */
	assert_int_equal(pol_url_unwrap("https://shop.example/produkte/x?u=abc",
					out, sizeof(out)), 0);
	assert_string_equal(out, "https://shop.example/produkte/x?u=abc");
}

static const char *const msg_base =
    "From: Shop <newsletter@shop.example>\r\n"
    "To: kunde@example.org\r\n"
    "Subject: x\r\n"
    "List-Unsubscribe: <https://shop.example/unsub?u=1a2b3c4d5e>\r\n"
    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    "Content-Type: text/html; charset=utf-8\r\n\r\n"
    "<p>Beispiel Shop GmbH <a href=\"https://shop.example/datenschutz\">"
    "Datenschutz</a> <a href=\"%s\">Abmelden</a></p>\r\n";

static size_t
rule_hits(const char *conf, const char *href, enum pol_rule rule)
{
	struct buf err = BUF_INIT, raw = BUF_INIT;
	struct pol_limits lim = {100, 20, 0, 0};
	struct pol_recipient r = {"kunde@example.org", {POL_CONSENT_CONFIRMED}};
	struct pol_envelope env = {"newsletter@shop.example", "", 1, &r, 1, 0};
	struct pol_message *m = NULL;
	struct pol_verdict v = {0};
	struct cfg *c;
	size_t i, n = 0;

	c = cfg_parse_text("t.conf", conf, &err);
	if (c == NULL)
		fail_msg("%s", err.data);
	buf_printf(&raw, msg_base, href);
	assert_int_equal(pol_message_parse(raw.data, raw.len, &lim, &m), POL_OK);
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, m, POL_CLASS_MARKETING, &v), POL_OK);
	for (i = 0; i < v.nhits; i++)
		n += v.hits[i].rule == rule;
	pol_verdict_clear(&v);
	pol_message_free(m);
	cfg_unref(c);
	buf_free(&err);
	buf_free(&raw);
	return n;
}

static void
test_click_id(void **state)
{
	const char *tok[] = {"476716c928"};
	char what[300];

	(void)state;
	/* A tool's per-recipient id counts with a value, its campaign id not. */
	assert_int_equal(pol_click_id("https://s.example/a?mc_cid=3f2a&mc_eid=91c4",
				      tok, 1, what, sizeof(what)), 1);
	assert_non_null(strstr(what, "mc_eid"));
	assert_int_equal(pol_click_id("https://s.example/a?mc_cid=3f2a&mc_eid=",
				      tok, 1, what, sizeof(what)), 0);
	assert_int_equal(pol_click_id("https://s.example/a?MKT_TOK=MTIzLUFC",
				      tok, 1, what, sizeof(what)), 1);
	/* utm_* only with the recipient's token in its value. */
	assert_int_equal(pol_click_id("https://s.example/a?utm_source=nl&"
				      "utm_content=button_1", tok, 1, what,
				      sizeof(what)), 0);
	assert_int_equal(pol_click_id("https://s.example/a?utm_source=nl&"
				      "utm_content=r-476716C928", tok, 1, what,
				      sizeof(what)), 1);
	assert_int_equal(pol_click_id("https://s.example/a?ref=476716c928",
				      tok, 1, what, sizeof(what)), 0);
}

static void
test_unsubscribe_url_key(void **state)
{
	const char *keyed = "UnsubscribeURL https://shop.example/abmelden\n";

	(void)state;
	/* Default endpoint: the List-Unsubscribe URI without its query. */
	assert_int_equal(rule_hits("", "https://shop.example/unsub?u=1a2b3c4d5e",
				   POL_RULE_UNSUBSCRIBE_LINK), 0);
	assert_int_equal(rule_hits("", "https://other.example/unsub",
				   POL_RULE_UNSUBSCRIBE_LINK), 2);
	/* Under the key the link must target the key's prefix. */
	assert_int_equal(rule_hits(keyed, "https://shop.example/abmelden/1a2b",
				   POL_RULE_UNSUBSCRIBE_LINK), 0);
	assert_int_equal(rule_hits(keyed, "https://shop.example/unsub?u=1a2b3c4d5e",
				   POL_RULE_UNSUBSCRIBE_LINK), 2);
	/* The header's https URI may be on another host than the key's:
	 * services answer the one-click POST on one host and the footer
	 * link on another. */
	assert_int_equal(rule_hits(keyed, "https://shop.example/abmelden/1a2b",
				   POL_RULE_UNSUBSCRIBE_HEADER), 0);
	assert_int_equal(rule_hits("UnsubscribeURL https://www.shop.example/a\n",
				   "https://www.shop.example/a/1a2b",
				   POL_RULE_UNSUBSCRIBE_HEADER), 0);
	assert_int_equal(rule_hits("UnsubscribeURL https://optout.other.example/a\n",
				   "https://optout.other.example/a/1a2b",
				   POL_RULE_UNSUBSCRIBE_HEADER), 0);
	/* Behind a click tracker it is still the unsubscribe link. */
	assert_int_equal(rule_hits(keyed, "https://t.example/c?u=https%3A%2F%2F"
					  "shop.example%2Fabmelden%2F1a2b",
				   POL_RULE_UNSUBSCRIBE_LINK), 0);
	/* url.insecure names every http reference. */
	assert_int_equal(rule_hits("", "http://shop.example/unsub?u=1a2b3c4d5e",
				   POL_RULE_URL_INSECURE), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_header_uris_rfc2369),
	    cmocka_unit_test(test_scan_address),
	    cmocka_unit_test(test_scan_bounded),
	    cmocka_unit_test(test_unwrap),
	    cmocka_unit_test(test_inner_http),
	    cmocka_unit_test(test_unsubscribe_url_key),
	    cmocka_unit_test(test_click_id),
	};

	pol_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
