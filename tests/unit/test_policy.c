/*
 * test_policy.c - classification, the consent rules (both directions), the
 * RCPT-time check, rule actions and the reply text.  Messages are built in
 * memory and parsed with the real parser.
 */
#include "testlib.h"

#include "../../common/addr.h"
#include "../../gate/config.h"
#include "../../policy/policy.h"

static struct cfg *
test_cfg(const char *extra)
{
	struct buf err = BUF_INIT, text = BUF_INIT;
	struct cfg *c;

	buf_puts(&text, "MarketingSenders news@shop.example, @campaigns.example\n"
			"DoiSenders confirm@shop.example\n");
	buf_puts(&text, extra ? extra : "");
	c = cfg_parse_text("test.conf", text.data, &err);
	if (c == NULL)
		fail_msg("%s", err.data);
	buf_free(&err);
	buf_free(&text);
	return c;
}

/* Switch off the content rules, so a test sees the consent rules alone. */
#define TEST_ONLY_CONSENT                                                      \
	"RuleAction.unsubscribe.link off\n"                                    \
	"RuleAction.unsubscribe.header off\n"                                  \
	"RuleAction.unsubscribe.one-click off\n"                               \
	"RuleAction.content.imprint off\n"                                     \
	"RuleAction.content.privacy-link off\n"

static struct pol_message *
test_msg(const char *raw)
{
	struct pol_limits lim = {100, 20, 0, 0};
	struct pol_message *m = NULL;

	assert_int_equal(pol_message_parse(raw, strlen(raw), &lim, &m), POL_OK);
	assert_non_null(m);
	return m;
}

static void
test_addr_normalise(void **state)
{
	char out[ADDR_MAX + 1];

	(void)state;
	assert_int_equal(addr_normalise("  <Anna.Schmidt@Example.DE> ", out,
					sizeof(out)), 23);
	assert_string_equal(out, "anna.schmidt@example.de");
	assert_true(addr_normalise("mailto:X@Y.org", out, sizeof(out)) > 0);
	assert_string_equal(out, "x@y.org");
	assert_int_equal(addr_normalise("no-at-sign", out, sizeof(out)), -1);
	assert_int_equal(addr_normalise("@example.com", out, sizeof(out)), -1);
	assert_int_equal(addr_normalise("a@", out, sizeof(out)), -1);
	assert_int_equal(addr_normalise("<a@b.c", out, sizeof(out)), -1);
	assert_int_equal(addr_normalise("a b@c.d", out, sizeof(out)), -1);
	assert_int_equal(addr_normalise("", out, sizeof(out)), -1);
	assert_int_equal(addr_normalise_sender("<>", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* UTF-8 local parts in NFC, domains as A-labels (test_addr.c). */
	assert_true(addr_normalise("J\xc3\xbcrgen@B\xc3\xa4r.de", out, sizeof(out)) > 0);
	assert_string_equal(out, "j\xc3\xbcrgen@xn--br-via.de");
}

static void
test_classify(void **state)
{
	struct cfg *c = test_cfg(NULL);
	struct pol_envelope env = {"", "", 0, NULL, 0, 0};
	struct pol_message *m;

	(void)state;
	assert_int_equal(pol_classify_envelope(cfg_pol(c), "news@shop.example"),
			 POL_CLASS_MARKETING);
	assert_int_equal(pol_classify_envelope(cfg_pol(c), "x@campaigns.example"),
			 POL_CLASS_MARKETING);
	assert_int_equal(pol_classify_envelope(cfg_pol(c), "x@sub.campaigns.example"),
			 POL_CLASS_OTHER);
	assert_int_equal(pol_classify_envelope(cfg_pol(c), "confirm@shop.example"),
			 POL_CLASS_DOI);
	assert_int_equal(pol_classify_envelope(cfg_pol(c), "billing@shop.example"),
			 POL_CLASS_OTHER);
	assert_int_equal(pol_classify_envelope(cfg_pol(c), ""), POL_CLASS_OTHER);

	/* From decides when the envelope does not. */
	m = test_msg("From: Shop News <News@Shop.Example>\r\nSubject: x\r\n\r\nhi\r\n");
	env.sender = "bounce-123@mailer.example";
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_MARKETING);
	pol_message_free(m);

	/* The class header decides for unlisted senders... */
	m = test_msg("From: a@b.example\r\nX-Consent-Class: Marketing\r\n\r\nhi\r\n");
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_MARKETING);
	pol_message_free(m);
	m = test_msg("From: a@b.example\r\nX-Consent-Class: transactional\r\n\r\nhi\r\n");
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_TRANSACTIONAL);
	pol_message_free(m);
	m = test_msg("From: a@b.example\r\nX-Consent-Class: bogus\r\n\r\nhi\r\n");
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_OTHER);
	pol_message_free(m);

	/* ...but cannot downgrade a listed marketing sender. */
	env.sender = "news@shop.example";
	m = test_msg("From: a@b.example\r\nX-Consent-Class: transactional\r\n\r\nhi\r\n");
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_MARKETING);
	pol_message_free(m);
	/* Nor turn it into DOI mail (its recipients were judged at RCPT). */
	m = test_msg("From: a@b.example\r\nX-Consent-Class: doi\r\n\r\nhi\r\n");
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_MARKETING);
	pol_message_free(m);
	cfg_unref(c);
}

static void
test_classify_heuristics(void **state)
{
	struct cfg *c = test_cfg("ConfirmURL https://news.example/confirm\n");
	struct cfg *off = test_cfg("ConfirmURL https://news.example/confirm\n"
				   "ClassHeuristics no\n");
	struct pol_envelope env = {"crm@tool.example", "", 0, NULL, 0, 0, NULL};
	struct pol_message *m;

	(void)state;
	/* A link to ConfirmURL makes unlisted mail DOI mail. */
	m = test_msg("From: crm@tool.example\r\nSubject: Bitte bestaetigen\r\n\r\n"
		     "https://news.example/confirm?uid=1\r\n");
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_DOI);
	assert_int_equal(pol_classify(cfg_pol(off), &env, m), POL_CLASS_OTHER);
	pol_message_free(m);
	/* One-click unsubscribe or Precedence: bulk mark bulk marketing. */
	m = test_msg("From: crm@tool.example\r\nList-Unsubscribe: <https://x.example/u>\r\n"
		     "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\nhi\r\n");
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_MARKETING);
	pol_message_free(m);
	m = test_msg("From: crm@tool.example\r\nPrecedence: bulk\r\n\r\nhi\r\n");
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_MARKETING);
	pol_message_free(m);
	/* A discussion list is not marketing; a header can still say so. */
	m = test_msg("From: list@lists.example\r\nPrecedence: list\r\n"
		     "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\nhi\r\n");
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_OTHER);
	pol_message_free(m);
	m = test_msg("From: crm@tool.example\r\nPrecedence: bulk\r\n"
		     "X-Consent-Class: transactional\r\n\r\nhi\r\n");
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_TRANSACTIONAL);
	pol_message_free(m);
	/* ConfirmURL is compared as doi.confirm-link compares it: an account
	 * link whose path only begins with the same letters is not under it,
	 * a link written with another host case and the default port is. */
	m = test_msg("From: crm@tool.example\r\nSubject: Konto\r\n\r\n"
		     "https://news.example/confirm-account?key=1\r\n");
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_OTHER);
	pol_message_free(m);
	m = test_msg("From: crm@tool.example\r\nSubject: Bitte bestaetigen\r\n\r\n"
		     "https://NEWS.example:443/confirm?uid=1\r\n");
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_DOI);
	pol_message_free(m);
	/* Plain person-to-person mail stays other. */
	m = test_msg("From: anna@example.org\r\nSubject: lunch\r\n\r\nhi\r\n");
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_OTHER);
	pol_message_free(m);
	cfg_unref(c);
	cfg_unref(off);
}

/* One address that sends the DOI mail and the shop's order, password and
 * account mails: in DoiSenders and TransactionalSenders, its mail is DOI
 * only with a link under ConfirmURL (https or downgraded to http), and
 * Precedence: bulk alone does not make it marketing. */
static void
test_classify_shared_sender(void **state)
{
	const char *conf = "ConfirmURL https://shop.example/newsletter/confirm/\n"
			   "DoiSenders info@shop.example\n";
	struct cfg *doi = test_cfg(conf);
	struct cfg *c = test_cfg("ConfirmURL https://shop.example/newsletter/confirm/\n"
				 "DoiSenders info@shop.example\n"
				 "MarketingSenders news@shop.example\n"
				 "TransactionalSenders info@shop.example, news@shop.example\n");
	struct pol_envelope env = {"info@shop.example", "", 0, NULL, 0, 0, NULL};
	struct pol_message *m;

	(void)state;
	/* Decided at the end of the message, not at MAIL FROM. */
	assert_int_equal(pol_classify_envelope(cfg_pol(doi), "info@shop.example"),
			 POL_CLASS_DOI);
	assert_int_equal(pol_classify_envelope(cfg_pol(c), "info@shop.example"),
			 POL_CLASS_OTHER);
	assert_int_equal(pol_classify_envelope(cfg_pol(c), "news@shop.example"),
			 POL_CLASS_MARKETING);
	/* A password reset under the shop's host, not under ConfirmURL. */
	m = test_msg("From: info@shop.example\r\nSubject: Passwort\r\n\r\n"
		     "https://shop.example/customer/account/confirm/?key=1\r\n");
	assert_int_equal(pol_classify(cfg_pol(doi), &env, m), POL_CLASS_DOI);
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_OTHER);
	pol_message_free(m);
	/* The newsletter confirmation stays DOI mail, downgraded or not. */
	m = test_msg("From: info@shop.example\r\nSubject: Newsletter\r\n\r\n"
		     "https://shop.example/newsletter/confirm/id/7/code/x/\r\n");
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_DOI);
	pol_message_free(m);
	m = test_msg("From: info@shop.example\r\nSubject: Newsletter\r\n\r\n"
		     "http://shop.example/newsletter/confirm/id/7/code/x/\r\n");
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_DOI);
	pol_message_free(m);
	/* Precedence: bulk on an order mail of a transactional sender is not
	 * marketing; one-click unsubscribe still is. */
	m = test_msg("From: info@shop.example\r\nPrecedence: bulk\r\n\r\nBestellung\r\n");
	assert_int_equal(pol_classify(cfg_pol(doi), &env, m), POL_CLASS_DOI);
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_OTHER);
	pol_message_free(m);
	m = test_msg("From: info@shop.example\r\nPrecedence: bulk\r\n"
		     "List-Unsubscribe: <https://shop.example/u>\r\n"
		     "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\nhi\r\n");
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_MARKETING);
	pol_message_free(m);
	/* A listed marketing sender stays marketing. */
	env.sender = "news@shop.example";
	m = test_msg("From: news@shop.example\r\n\r\nhi\r\n");
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_MARKETING);
	pol_message_free(m);
	/* An unlisted tool's Precedence: bulk is still marketing. */
	env.sender = "crm@tool.example";
	m = test_msg("From: crm@tool.example\r\nPrecedence: bulk\r\n\r\nhi\r\n");
	assert_int_equal(pol_classify(cfg_pol(c), &env, m), POL_CLASS_MARKETING);
	pol_message_free(m);
	cfg_unref(c);
	cfg_unref(doi);
}

static const char *const test_newsletter =
	"From: Shop <news@shop.example>\r\n"
	"To: kunde@example.org\r\n"
	"Subject: Unser Newsletter\r\n"
	"Message-ID: <n1@shop.example>\r\n"
	"\r\n"
	"Hallo!\r\n";

static void
test_consent_rules(void **state)
{
	struct cfg *c = test_cfg(TEST_ONLY_CONSENT);
	struct pol_recipient r[5] = {
		{"a@example.org", {POL_CONSENT_CONFIRMED, 0, 0}},
		{"b@example.org", {POL_CONSENT_CUSTOMER, 0, 0}},
		{"c@example.org", {POL_CONSENT_WITHDRAWN, 0, 0}},
		{"d@example.org", {POL_CONSENT_NONE, 0, 0}},
		{"e@example.org", {POL_CONSENT_PENDING, 0, 0}},
	};
	struct pol_envelope env = {"news@shop.example", "192.0.2.1", 1, r, 2, 0};
	struct pol_message *m = test_msg(test_newsletter);
	struct pol_verdict v;

	(void)state;
	/* Confirmed and customer recipients: pass. */
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, m,
				      pol_classify(cfg_pol(c), &env, m), &v), POL_OK);
	assert_int_equal(v.cls, POL_CLASS_MARKETING);
	assert_int_equal(v.nhits, 0);
	assert_int_equal(v.action, POL_ACTION_PASS);
	pol_verdict_clear(&v);

	/* Withdrawn, none and pending: one hit each, with the right id. */
	env.rcpts = r + 2;
	env.nrcpts = 3;
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, m,
				      pol_classify(cfg_pol(c), &env, m), &v), POL_OK);
	assert_int_equal(v.nhits, 3);
	assert_int_equal(v.hits[0].rule, POL_RULE_CONSENT_WITHDRAWN);
	assert_int_equal(v.hits[0].rcpt, 0);
	assert_int_equal(v.hits[1].rule, POL_RULE_CONSENT_MISSING);
	assert_int_equal(v.hits[2].rule, POL_RULE_CONSENT_MISSING);
	assert_string_equal(v.hits[2].detail, "consent state is pending");
	assert_int_equal(v.action, POL_ACTION_REJECT);
	{
		char *reply = pol_verdict_reply(&v, "ref-1");

		assert_non_null(strstr(reply,
			"(rule=consent.withdrawn,consent.missing ref=ref-1)"));
		free(reply);
	}
	pol_verdict_clear(&v);

	/* The same recipients get transactional mail. */
	env.sender = "billing@shop.example";
	pol_message_free(m);
	m = test_msg("From: billing@shop.example\r\nSubject: Rechnung\r\n\r\nx\r\n");
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, m,
				      pol_classify(cfg_pol(c), &env, m), &v), POL_OK);
	assert_int_equal(v.cls, POL_CLASS_OTHER);
	assert_int_equal(v.nhits, 0);
	pol_verdict_clear(&v);
	/* The class is the caller's: no value but a class is accepted. */
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, m, (enum pol_class)99,
				      &v), POL_ERR_CLASS);
	assert_int_equal(v.nhits, 0);
	assert_int_equal(v.action, POL_ACTION_PASS);
	pol_verdict_clear(&v);
	/* And DOI mail is not a consent matter. */
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, m, POL_CLASS_DOI, &v), POL_OK);
	{
		size_t i;

		for (i = 0; i < v.nhits; i++) {
			assert_int_not_equal(v.hits[i].rule, POL_RULE_CONSENT_MISSING);
			assert_int_not_equal(v.hits[i].rule, POL_RULE_CONSENT_WITHDRAWN);
		}
	}
	pol_verdict_clear(&v);
	pol_message_free(m);
	cfg_unref(c);
}

static void
test_rcpt_check_and_actions(void **state)
{
	struct cfg *c = test_cfg(TEST_ONLY_CONSENT
				 "RuleAction.consent.missing tempfail\n"
				 "RuleAction.consent.withdrawn off\n");
	struct pol_recipient none = {"d@example.org", {POL_CONSENT_NONE, 0, 0}};
	struct pol_recipient wd = {"c@example.org", {POL_CONSENT_WITHDRAWN, 0, 0}};
	struct pol_recipient ok = {"a@example.org", {POL_CONSENT_CONFIRMED, 0, 0}};
	struct pol_envelope env = {"news@shop.example", "", 0, &none, 1, 0};
	struct pol_message *m = test_msg(test_newsletter);
	struct pol_verdict v;
	struct pol_hit hit;

	(void)state;
	assert_int_equal(pol_check_recipient(cfg_pol(c), POL_CLASS_MARKETING, NULL, &none, &hit), 1);
	assert_int_equal(hit.rule, POL_RULE_CONSENT_MISSING);
	pol_hit_clear(&hit);
	assert_int_equal(pol_check_recipient(cfg_pol(c), POL_CLASS_MARKETING, NULL, &ok, &hit), 0);
	assert_int_equal(pol_check_recipient(cfg_pol(c), POL_CLASS_MARKETING, NULL, &wd, &hit), 0);
	assert_int_equal(pol_check_recipient(cfg_pol(c), POL_CLASS_OTHER, NULL, &none, &hit), 0);
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, m,
				      pol_classify(cfg_pol(c), &env, m), &v), POL_OK);
	assert_int_equal(v.action, POL_ACTION_TEMPFAIL);
	pol_verdict_clear(&v);
	pol_message_free(m);
	cfg_unref(c);
}

/* transactional.advertising: an order mail with a coupon block from a
 * TransactionalSenders sender is tagged (delivered) by default for a
 * recipient without consent, refused with RuleAction reject, and passes
 * for consented recipients only. */
static const char *const test_ordermail =
	"From: Shop <bestellung@shop.example>\r\n"
	"To: kunde@example.org\r\n"
	"Subject: Ihre Bestellung 4711\r\n"
	"Message-ID: <o1@shop.example>\r\n"
	"\r\n"
	"Vielen Dank fuer Ihre Bestellung 4711.\r\n"
	"Ihr Gutscheincode fuer die naechste Bestellung: DANKE10\r\n";

static void
test_transactional_advertising(void **state)
{
	struct cfg *c = test_cfg("TransactionalSenders bestellung@shop.example\n");
	struct cfg *rej = test_cfg("TransactionalSenders bestellung@shop.example\n"
				   "RuleAction.transactional.advertising reject\n");
	struct cfg *off = test_cfg("");
	struct pol_recipient r[3] = {
		{"a@example.org", {POL_CONSENT_CONFIRMED, 0, 0}},
		{"b@example.org", {POL_CONSENT_CUSTOMER, 0, 0}},
		{"d@example.org", {POL_CONSENT_NONE, 0, 0}},
	};
	struct pol_envelope env = {"bestellung@shop.example", "192.0.2.1", 1, r,
				   2, 0};
	struct pol_message *m = test_msg(test_ordermail);
	struct pol_verdict v;
	size_t i, rcpt_hits = 0;

	(void)state;
	assert_int_equal(pol_rule_info(POL_RULE_TRANSACTIONAL_ADVERTISING)->action,
			 POL_ACTION_TAG);
	/* Consented recipients only: nothing. */
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, m,
				      pol_classify(cfg_pol(c), &env, m), &v), POL_OK);
	assert_int_equal(v.cls, POL_CLASS_OTHER);
	assert_int_equal(v.nhits, 0);
	pol_verdict_clear(&v);
	/* One without consent: tagged, naming that recipient. */
	env.nrcpts = 3;
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, m, POL_CLASS_OTHER, &v),
			 POL_OK);
	assert_int_equal(v.action, POL_ACTION_TAG);
	for (i = 0; i < v.nhits; i++) {
		assert_int_equal(v.hits[i].rule, POL_RULE_TRANSACTIONAL_ADVERTISING);
		if (v.hits[i].rcpt >= 0) {
			assert_int_equal(v.hits[i].rcpt, 2);
			rcpt_hits++;
		}
	}
	assert_int_equal(rcpt_hits, 1);
	pol_verdict_clear(&v);
	/* Transactional class as well; RuleAction reject refuses. */
	assert_int_equal(pol_evaluate(cfg_pol(rej), &env, m,
				      POL_CLASS_TRANSACTIONAL, &v), POL_OK);
	assert_int_equal(v.action, POL_ACTION_REJECT);
	pol_verdict_clear(&v);
	/* Not for marketing mail (consent.* decides there), and off without
	 * TransactionalSenders. */
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, m, POL_CLASS_MARKETING, &v),
			 POL_OK);
	for (i = 0; i < v.nhits; i++)
		assert_int_not_equal(v.hits[i].rule,
				     POL_RULE_TRANSACTIONAL_ADVERTISING);
	pol_verdict_clear(&v);
	assert_int_equal(pol_evaluate(cfg_pol(off), &env, m, POL_CLASS_OTHER, &v),
			 POL_OK);
	assert_int_equal(v.nhits, 0);
	pol_verdict_clear(&v);
	pol_message_free(m);
	cfg_unref(c);
	cfg_unref(rej);
	cfg_unref(off);
}

/* Does doi.resend fire for one recipient with consent c at time now? */
static int
test_resend_fires(const struct cfg *cfg, const struct pol_message *m,
		  const struct pol_consent *c, int64_t now)
{
	struct pol_recipient r = {"new@example.org", *c};
	struct pol_envelope env = {"confirm@shop.example", "", 0, &r, 1, now};
	struct pol_verdict v;
	size_t i;
	int fired = 0;

	assert_int_equal(pol_evaluate(cfg_pol(cfg), &env, m, POL_CLASS_DOI, &v), POL_OK);
	for (i = 0; i < v.nhits; i++)
		fired |= v.hits[i].rule == POL_RULE_DOI_RESEND;
	pol_verdict_clear(&v);
	return fired;
}

/* A pending recipient whose record holds the DOI mail m, handed over at t. */
static struct pol_consent
test_sent(const struct pol_message *m, int64_t t)
{
	struct pol_consent c = {POL_CONSENT_PENDING, 0, t};

	snprintf(c.doi_msgid, sizeof(c.doi_msgid), "%s", m->message_id);
	snprintf(c.doi_hash, sizeof(c.doi_hash), "%s", pol_message_sha256(m));
	return c;
}

/* Replace the first occurrence of from in text by to (a new string). */
static char *
test_subst(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	struct buf b = BUF_INIT;

	assert_non_null(at);
	buf_append(&b, text, (size_t)(at - text));
	buf_puts(&b, to);
	buf_puts(&b, at + strlen(from));
	return b.data;
}

/*
 * doi.resend and a retry: the same DOI mail (same Message-ID and content)
 * handed over again within DoiRetryWindow days is not a second DOI mail,
 * also when the MTA added trace fields; another Message-ID, other content,
 * an old send or a record without content hash is.
 */
static void
test_doi_retry(void **state)
{
	const int64_t now = 1770000000, day = 86400;
	struct cfg *c = test_cfg(NULL), *off = test_cfg("DoiRetryWindow 0\n");
	char *raw = test_read_file("tests/data/doi/clean-en-plain-utf8-qp.eml",
				   NULL);
	char *traced, *other_id, *other_text;
	struct pol_message *m = test_msg(raw), *m2;
	struct pol_consent sent = test_sent(m, now - 3600), none = {0};

	(void)state;
	assert_int_equal(c->pol.doi_retry_window, 5);
	assert_int_equal(strlen(pol_message_sha256(m)), 64);
	assert_false(test_resend_fires(c, m, &none, now));
	/* The same mail an hour later: a retry, not a resend. */
	assert_false(test_resend_fires(c, m, &sent, now));
	/* ... also with the MTA's Received and Return-Path in front. */
	traced = test_subst(raw, "Received:",
			    "Return-Path: <confirm@shop.example>\r\n"
			    "Received: from client (client [127.0.0.1])\r\n"
			    "\tby mta.example (Postfix) with ESMTP id 4ABCDEF;\r\n"
			    "\tMon, 2 Feb 2026 03:04:05 +0100\r\n"
			    "X-Consent-Gate: pass class=doi ref=x\r\nReceived:");
	m2 = test_msg(traced);
	assert_string_equal(pol_message_sha256(m2), pol_message_sha256(m));
	assert_false(test_resend_fires(c, m2, &sent, now));
	pol_message_free(m2);
	/* A different Message-ID: a second DOI mail. */
	other_id = test_subst(raw, "Message-ID: <2025", "Message-ID: <2026");
	m2 = test_msg(other_id);
	assert_true(test_resend_fires(c, m2, &sent, now));
	pol_message_free(m2);
	/* The same Message-ID with other content: a second DOI mail. */
	other_text = test_subst(raw, "Hello,", "Hello again,");
	m2 = test_msg(other_text);
	assert_string_equal(m2->message_id, m->message_id);
	assert_string_not_equal(pol_message_sha256(m2), pol_message_sha256(m));
	assert_true(test_resend_fires(c, m2, &sent, now));
	pol_message_free(m2);
	/* Outside the window (5 days), or with the window off. */
	sent = test_sent(m, now - 5 * day);
	assert_true(test_resend_fires(c, m, &sent, now));
	sent = test_sent(m, now - 5 * day + 60);
	assert_false(test_resend_fires(c, m, &sent, now));
	assert_true(test_resend_fires(off, m, &sent, now));
	/* A record without content hash (written before it was kept). */
	sent.doi_hash[0] = '\0';
	assert_true(test_resend_fires(c, m, &sent, now));
	pol_message_free(m);
	free(raw);
	free(traced);
	free(other_id);
	free(other_text);
	cfg_unref(c);
	cfg_unref(off);
}

/* Hostile input through the whole policy: never a crash, always a class. */
static void
test_hostile(void **state)
{
	struct cfg *c = test_cfg(NULL);
	struct pol_recipient r = {"d@example.org", {POL_CONSENT_NONE, 0, 0}};
	struct pol_envelope env = {"news@shop.example", "", 0, &r, 1, 0};
	const char *inputs[] = {
		"",
		"this is not a mail at all, no headers\n",
		"Subject: \xe4\xf6\xfc 8-bit header\r\nFrom: \xff@\xfe\r\n\r\nbody\r\n",
		"Content-Type: multipart/mixed\r\n\r\n--x\r\nno boundary param\r\n",
		"From: a@b\r\n\r\n",
	};
	struct pol_verdict v;
	struct pol_message *m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		m = test_msg(inputs[i]);
		assert_int_equal(pol_evaluate(cfg_pol(c), &env, m,
				      pol_classify(cfg_pol(c), &env, m), &v), POL_OK);
		assert_int_equal(v.cls, POL_CLASS_MARKETING);
		assert_int_equal(v.action, POL_ACTION_REJECT);
		pol_verdict_clear(&v);
		pol_message_free(m);
	}
	cfg_unref(c);
}

/* message.limit names the limit that was exceeded: the size (cut by the
 * caller, POL_MSG_OVER_SIZE) with MaxMessageSize, or MIME depth. */
static void
test_limit_detail(void **state)
{
	struct cfg *c = test_cfg("MaxMessageSize 2048\nMaxMimeDepth 7\n");
	struct pol_recipient ok = {"a@example.org", {POL_CONSENT_CONFIRMED, 0, 0}};
	struct pol_envelope env = {"news@shop.example", "", 0, &ok, 1, 0};
	struct pol_verdict v;
	struct pol_message *m;
	size_t i;
	const char *detail = NULL;

	(void)state;
	m = test_msg("From: news@shop.example\nSubject: x\n\nHello\n");
	m->flags |= POL_MSG_OVER_SIZE;
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, m,
				      pol_classify(cfg_pol(c), &env, m), &v), POL_OK);
	for (i = 0; i < v.nhits; i++)
		if (v.hits[i].rule == POL_RULE_LIMIT)
			detail = v.hits[i].detail;
	assert_non_null(detail);
	assert_non_null(strstr(detail, "larger than MaxMessageSize (2048 bytes)"));
	assert_null(strstr(detail, "depth"));
	assert_null(strstr(detail, "parts"));
	pol_verdict_clear(&v);
	m->flags |= POL_MSG_OVER_DEPTH;
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, m,
				      pol_classify(cfg_pol(c), &env, m), &v), POL_OK);
	for (i = 0, detail = NULL; i < v.nhits; i++)
		if (v.hits[i].rule == POL_RULE_LIMIT)
			detail = v.hits[i].detail;
	assert_non_null(detail);
	assert_non_null(strstr(detail, "deeper than MaxMimeDepth (7)"));
	pol_verdict_clear(&v);
	pol_message_free(m);
	cfg_unref(c);
}

/* ---- consent per list (ConsentList, consent.scope) ---- */

#define TEST_LISTS                                                             \
	"ConsentList news: sender=@campaigns.example, list-id=<News.Shop.Example>\n" \
	"ConsentList offers: sender=news@shop.example, class=offers\n"

static const char *const test_listmail =
	"From: Shop <news@shop.example>\r\n"
	"To: kunde@example.org\r\n"
	"Subject: Unser Newsletter\r\n"
	"List-Id: Shop News <news.shop.example>\r\n"
	"Message-ID: <n2@shop.example>\r\n"
	"\r\n"
	"Hallo!\r\n";

static const char *const test_classmail =
	"From: Shop <info@other.example>\r\n"
	"To: kunde@example.org\r\n"
	"Subject: Angebote\r\n"
	"X-Consent-Class: marketing; list=Offers\r\n"
	"Message-ID: <n3@shop.example>\r\n"
	"\r\n"
	"Hallo!\r\n";

/* The mail's list: by sender at RCPT time, by header at the end. */
static void
test_mail_list(void **state)
{
	struct cfg *c = test_cfg(TEST_ONLY_CONSENT TEST_LISTS);
	struct cfg *none = test_cfg(TEST_ONLY_CONSENT);
	struct pol_message *m = test_msg(test_listmail);
	struct pol_message *k = test_msg(test_classmail);
	struct pol_message *plain = test_msg(test_newsletter);
	int decided;

	(void)state;
	assert_null(pol_mail_list(cfg_pol(none), "news@shop.example", m, &decided));
	assert_int_equal(decided, 1);
	/* news has a header selector, so at RCPT time only its own sender
	 * decides. */
	assert_string_equal(pol_mail_list(cfg_pol(c), "x@campaigns.example", NULL,
					  &decided), "news");
	assert_null(pol_mail_list(cfg_pol(c), "news@shop.example", NULL, &decided));
	assert_int_equal(decided, 0);
	/* At the end: List-Id (case-insensitive) names news before the
	 * sender's offers; the class header's list= names offers. */
	assert_string_equal(pol_mail_list(cfg_pol(c), "news@shop.example", m, NULL),
			    "news");
	assert_string_equal(pol_mail_list(cfg_pol(c), "info@other.example", k, NULL),
			    "offers");
	assert_string_equal(pol_mail_list(cfg_pol(c), "news@shop.example", plain, NULL),
			    "offers");
	assert_string_equal(pol_mail_list(cfg_pol(c), "info@other.example", plain,
					  NULL), "default");
	pol_message_free(m);
	pol_message_free(k);
	pol_message_free(plain);
	cfg_unref(c);
	cfg_unref(none);
}

static void
set_list(struct pol_consent *c, const char *name, enum pol_consent_state st)
{
	snprintf(c->lists[c->nlists].name, sizeof(c->lists[0].name), "%s",
		 name);
	c->lists[c->nlists++].state = st;
}

/* consent.scope fires for a list the consent does not cover, in both
 * directions, at RCPT time and at the end of the message. */
static void
test_consent_scope(void **state)
{
	struct cfg *c = test_cfg(TEST_ONLY_CONSENT TEST_LISTS);
	struct cfg *none = test_cfg(TEST_ONLY_CONSENT);
	struct pol_recipient r[3];
	struct pol_envelope env = {"news@shop.example", "192.0.2.1", 1, r, 3, 0};
	struct pol_message *m = test_msg(test_listmail);
	struct pol_message *plain = test_msg(test_newsletter);
	struct pol_verdict v;
	struct pol_hit hit;

	(void)state;
	memset(r, 0, sizeof(r));
	r[0].addr = "news-only@example.org";
	r[0].consent.state = POL_CONSENT_CONFIRMED;
	set_list(&r[0].consent, "news", POL_CONSENT_CONFIRMED);
	r[1].addr = "left-news@example.org";
	r[1].consent.state = POL_CONSENT_CONFIRMED;
	set_list(&r[1].consent, "news", POL_CONSENT_WITHDRAWN);
	set_list(&r[1].consent, "offers", POL_CONSENT_CONFIRMED);
	r[2].addr = "old@example.org";
	r[2].consent.state = POL_CONSENT_CONFIRMED;
	set_list(&r[2].consent, "default", POL_CONSENT_CONFIRMED);
	/* RCPT time, mail of offers: news-only is out of scope... */
	assert_int_equal(pol_check_recipient(cfg_pol(c), POL_CLASS_MARKETING, "offers",
					     &r[0], &hit), 1);
	assert_int_equal(hit.rule, POL_RULE_CONSENT_SCOPE);
	assert_non_null(strstr(hit.detail, "consent covers news, not list "
				"offers"));
	pol_hit_clear(&hit);
	/* ...the one who left news only still gets offers. */
	assert_int_equal(pol_check_recipient(cfg_pol(c), POL_CLASS_MARKETING, "offers",
					     &r[1], &hit), 0);
	/* Mail of news: the other way round; a withdrawn list is a
	 * withdrawal. */
	assert_int_equal(pol_check_recipient(cfg_pol(c), POL_CLASS_MARKETING, "news",
					     &r[0], &hit), 0);
	assert_int_equal(pol_check_recipient(cfg_pol(c), POL_CLASS_MARKETING, "news",
					     &r[1], &hit), 1);
	assert_int_equal(hit.rule, POL_RULE_CONSENT_WITHDRAWN);
	pol_hit_clear(&hit);
	/* No list known: as before lists. */
	assert_int_equal(pol_check_recipient(cfg_pol(c), POL_CLASS_MARKETING, NULL,
					     &r[0], &hit), 0);
	/* End of message: List-Id says news; old and left-news refused. */
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, m,
				      pol_classify(cfg_pol(c), &env, m), &v), POL_OK);
	assert_int_equal(v.nhits, 2);
	assert_int_equal(v.hits[0].rule, POL_RULE_CONSENT_WITHDRAWN);
	assert_int_equal(v.hits[0].rcpt, 1);
	assert_int_equal(v.hits[1].rule, POL_RULE_CONSENT_SCOPE);
	assert_int_equal(v.hits[1].rcpt, 2);
	pol_verdict_clear(&v);
	/* Without ConsentList every confirmed record passes. */
	assert_int_equal(pol_evaluate(cfg_pol(none), &env, m,
				      pol_classify(cfg_pol(none), &env, m), &v), POL_OK);
	assert_int_equal(v.nhits, 0);
	pol_verdict_clear(&v);
	/* Mail of offers (by its sender): news-only and old are out of
	 * scope; with RuleAction.consent.scope off nobody is. */
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, plain,
				      pol_classify(cfg_pol(c), &env, plain), &v), POL_OK);
	assert_int_equal(v.nhits, 2);
	assert_int_equal(v.hits[0].rule, POL_RULE_CONSENT_SCOPE);
	assert_int_equal(v.hits[0].rcpt, 0);
	assert_int_equal(v.hits[1].rcpt, 2);
	pol_verdict_clear(&v);
	cfg_unref(none);
	none = test_cfg(TEST_ONLY_CONSENT TEST_LISTS
			"RuleAction.consent.scope off\n");
	assert_int_equal(pol_evaluate(cfg_pol(none), &env, plain,
				      pol_classify(cfg_pol(none), &env, plain), &v), POL_OK);
	assert_int_equal(v.nhits, 0);
	pol_verdict_clear(&v);
	pol_message_free(m);
	pol_message_free(plain);
	cfg_unref(c);
	cfg_unref(none);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_normalise),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_classify_heuristics),
		cmocka_unit_test(test_classify_shared_sender),
		cmocka_unit_test(test_consent_rules),
		cmocka_unit_test(test_mail_list),
		cmocka_unit_test(test_consent_scope),
		cmocka_unit_test(test_rcpt_check_and_actions),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_doi_retry),
		cmocka_unit_test(test_limit_detail),
		cmocka_unit_test(test_transactional_advertising),
	};

	pol_init();
	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
