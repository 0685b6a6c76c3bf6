/*
 * test_restscan.c - the scan of the unparsed rest of an oversize message for
 * ConfirmURL (raw, quoted-printable, base64, cut across chunks), and what
 * the policy makes of an oversize message: DOI and marketing mail refused,
 * mail of undecided class given UninspectedAction, both as message.limit.
 */
#include "testlib.h"

#include <glib.h>

#include "../../gate/config.h"
#include "../../policy/policy.h"
#include "../../policy/restscan.h"

#define CONFIRM "https://News.Example.org/doi/confirm"

static int
scan(const char *text)
{
	struct pol_restscan s;

	pol_restscan_init(&s, CONFIRM);
	pol_restscan_feed(&s, text, strlen(text));
	return pol_restscan_found(&s);
}

/* Feed text one byte at a time, as the smallest possible chunks. */
static int
scan_bytewise(const char *text)
{
	struct pol_restscan s;
	size_t i;

	pol_restscan_init(&s, CONFIRM);
	for (i = 0; text[i]; i++)
		pol_restscan_feed(&s, text + i, 1);
	return pol_restscan_found(&s);
}

static void
test_raw_and_case(void **state)
{
	(void)state;
	assert_true(scan("Bitte klicken: https://news.example.org/doi/confirm?uid=1\n"));
	assert_true(scan("<a href=\"HTTPS://NEWS.EXAMPLE.ORG/DOI/CONFIRM?u=2\">"));
	assert_true(scan_bytewise("x news.example.org/doi/confirm y"));
	assert_false(scan("https://news.example.org/doi/other?uid=1\n"));
	assert_false(scan("news.example.org/doi/confir"));
	assert_false(scan(""));
}

static void
test_quoted_printable(void **state)
{
	(void)state;
	/* A soft line break in the middle of the URL, and =2E for a dot. */
	assert_true(scan("<a href=3D\"https://news.example.org/doi/con=\r\nfirm?uid=3D7\">"));
	assert_true(scan("<a href=3D\"https://news=2Eexample.org/doi/con=\nfirm\">"));
	assert_true(scan_bytewise("news.example.org/doi/c=\r\nonfirm"));
	assert_false(scan("news.example.org/doi/c=\r\n onfirm"));
}

static char *
base64_lines(const char *text, size_t skip)
{
	gchar *b64 = g_base64_encode((const guchar *)text, strlen(text));
	GString *out = g_string_new("Content-Transfer-Encoding: base64\r\n\r\n");
	size_t i, n = strlen(b64);

	for (i = skip; i < n; i += 76) {
		g_string_append_len(out, b64 + i, (gssize)(n - i < 76 ? n - i : 76));
		g_string_append(out, "\r\n");
	}
	g_free(b64);
	return g_string_free(out, FALSE);
}

static void
test_base64(void **state)
{
	char *b;

	(void)state;
	b = base64_lines("Hallo,\nbitte bestaetigen Sie: https://news.example.org/"
			 "doi/confirm?uid=abcdef0123456789 - danke. Und noch "
			 "viel mehr Text, damit die Zeilen umbrechen.\n", 0);
	assert_true(scan(b));
	assert_true(scan_bytewise(b));
	g_free(b);
	b = base64_lines("Nur ein Text ohne den Link, aber lang genug fuer "
			 "mehrere Zeilen Base64 in dieser Nachricht hier.\n", 0);
	assert_false(scan(b));
	g_free(b);
}

/* A cut in the middle of the URL: priming with the kept tail finds it. */
static void
test_prime_and_split(void **state)
{
	const char *msg = "Subject: x\r\n\r\nAAAA https://news.example.org/doi/"
			  "confirm?uid=1 BBBB\r\n";
	const char *cut = strstr(msg, "doi/");
	struct pol_restscan s;
	size_t keep;

	(void)state;
	pol_restscan_init(&s, CONFIRM);
	pol_restscan_prime(&s, msg, (size_t)(cut - msg));
	assert_false(pol_restscan_found(&s));
	pol_restscan_feed(&s, cut, strlen(cut));
	assert_true(pol_restscan_found(&s));

	/* split keeps the headers whole and max_body bytes of body. */
	pol_restscan_init(&s, CONFIRM);
	keep = pol_restscan_split(&s, msg, strlen(msg), 4);
	assert_int_equal(keep, (size_t)(strstr(msg, "\r\n\r\n") - msg) + 4 + 4);
	assert_true(pol_restscan_found(&s));
	pol_restscan_init(&s, CONFIRM);
	assert_int_equal(pol_restscan_split(&s, msg, strlen(msg), 10000),
			 strlen(msg));
	assert_false(pol_restscan_found(&s));
	/* No ConfirmURL configured: nothing is ever found. */
	pol_restscan_init(&s, "");
	pol_restscan_feed(&s, msg, strlen(msg));
	assert_false(pol_restscan_found(&s));
}

static struct cfg *
test_cfg(const char *extra)
{
	struct buf err = BUF_INIT, text = BUF_INIT;
	struct cfg *c;

	buf_puts(&text, "ConfirmURL " CONFIRM "\nMaxMessageSize 2048\n");
	buf_puts(&text, extra ? extra : "");
	c = cfg_parse_text("test.conf", text.data, &err);
	if (c == NULL)
		fail_msg("%s", err.data);
	buf_free(&err);
	buf_free(&text);
	return c;
}

/* Evaluate a message cut at MaxMessageSize with the given rest flags. */
static enum pol_action
evaluate_cut(const struct cfg *c, unsigned flags, enum pol_class *cls,
	     char **detail)
{
	const char *raw = "From: shop@example.org\r\nTo: a@b.example\r\n"
			  "Subject: Ihre Rechnung\r\n\r\nHallo,\r\nanbei ...\r\n";
	struct pol_limits lim = {100, 20, 0, 0};
	struct pol_envelope env = {"shop@example.org", "", 1, NULL, 0, 0};
	struct pol_message *m = NULL;
	struct pol_verdict v;
	enum pol_action a;
	size_t i;

	assert_int_equal(pol_message_parse(raw, strlen(raw), &lim, &m), POL_OK);
	m->flags |= flags;
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, m,
				      pol_classify(cfg_pol(c), &env, m), &v), POL_OK);
	*cls = v.cls;
	*detail = NULL;
	for (i = 0; i < v.nhits; i++)
		if (v.hits[i].rule == POL_RULE_LIMIT)
			*detail = strdup(v.hits[i].detail);
	a = v.action;
	pol_verdict_clear(&v);
	pol_message_free(m);
	return a;
}

static void
test_oversize_verdicts(void **state)
{
	struct cfg *c = test_cfg(NULL), *tag = test_cfg("UninspectedAction tag\n");
	enum pol_class cls;
	char *detail;

	(void)state;
	/* Not cut: transactional-looking mail passes. */
	assert_int_equal(evaluate_cut(c, 0, &cls, &detail), POL_ACTION_PASS);
	assert_null(detail);
	/* Cut, ConfirmURL in the rest: DOI mail, refused whatever is set. */
	assert_int_equal(evaluate_cut(tag, POL_MSG_OVER_SIZE | POL_MSG_REST_CONFIRM,
				      &cls, &detail), POL_ACTION_REJECT);
	assert_int_equal(cls, POL_CLASS_DOI);
	assert_non_null(strstr(detail, "MaxMessageSize (2048 bytes)"));
	assert_null(strstr(detail, "depth"));
	free(detail);
	/* Cut, nothing decides the class: UninspectedAction (reject). */
	assert_int_equal(evaluate_cut(c, POL_MSG_OVER_SIZE, &cls, &detail),
			 POL_ACTION_REJECT);
	assert_int_equal(cls, POL_CLASS_OTHER);
	assert_non_null(strstr(detail, "class undecided"));
	free(detail);
	/* ... or tag when the administrator says so, still recorded. */
	assert_int_equal(evaluate_cut(tag, POL_MSG_OVER_SIZE, &cls, &detail),
			 POL_ACTION_TAG);
	assert_non_null(strstr(detail, "MaxMessageSize"));
	free(detail);
	/* Too many parts names that limit, not the size. */
	assert_int_equal(evaluate_cut(c, POL_MSG_OVER_PARTS | POL_MSG_TRUNCATED,
				      &cls, &detail), POL_ACTION_REJECT);
	assert_non_null(strstr(detail, "MaxParts (500)"));
	free(detail);
	cfg_unref(c);
	cfg_unref(tag);
}

static void
test_uninspected_action_key(void **state)
{
	struct buf err = BUF_INIT;
	struct cfg *c;

	(void)state;
	c = cfg_parse_text("t.conf", "UninspectedAction off\n", &err);
	assert_null(c);
	assert_non_null(strstr(err.data, "UninspectedAction"));
	buf_free(&err);
	c = cfg_parse_text("t.conf", "UninspectedAction quarantine\n", &err);
	assert_non_null(c);
	assert_int_equal(c->pol.uninspected_action, POL_ACTION_QUARANTINE);
	cfg_unref(c);
	c = cfg_defaults();
	assert_int_equal(c->pol.uninspected_action, POL_ACTION_REJECT);
	cfg_unref(c);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_and_case),
		cmocka_unit_test(test_quoted_printable),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_prime_and_split),
		cmocka_unit_test(test_oversize_verdicts),
		cmocka_unit_test(test_uninspected_action_key),
	};

	pol_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
