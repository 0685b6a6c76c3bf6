/*
 * test_doi_links.c - what a DOI mail may link to and what counts as its
 * confirmation link: the hosts of ConfirmURL and PrivacyURL, mailto: to the
 * sender's own domains and the recipient, the decline link (DoiCancelURL or
 * worded as one), the same URL written differently, a privacy URL written
 * out in HTML text, and the look-alike hosts that must stay foreign.
 * Messages are built in memory and judged by pol_evaluate().
 */
#include "testlib.h"

#include "../../gate/config.h"
#include "../../policy/policy.h"

static struct cfg *
doi_cfg(const char *extra)
{
	struct buf err = BUF_INIT, text = BUF_INIT;
	struct cfg *c;

	buf_puts(&text, "DoiSenders newsletter@example.com\n"
			"ConfirmURL https://news.example.com/nl/confirm\n"
			"PrivacyURL https://www.example.com/datenschutz\n"
			"ImprintText Beispiel GmbH\n");
	buf_puts(&text, extra ? extra : "");
	c = cfg_parse_text("test.conf", text.data, &err);
	if (c == NULL)
		fail_msg("%s", err.data);
	buf_free(&err);
	buf_free(&text);
	return c;
}

/* The rule ids the evaluation of an HTML DOI mail fires, comma-joined. */
static char *
judge(const struct cfg *c, const char *html_body)
{
	struct buf raw = BUF_INIT, ids = BUF_INIT;
	struct pol_limits lim = {100, 20, 0, 0};
	struct pol_recipient r = {"anna@kunde.example", {POL_CONSENT_NONE, 0, 0}};
	struct pol_envelope env = {"bounce@mailer.example.com", "", 1, &r, 1,
				   1700000000, NULL};
	struct pol_message *m = NULL;
	struct pol_verdict v;
	size_t i;

	buf_printf(&raw, "From: Beispiel <newsletter@example.com>\r\n"
			 "To: anna@kunde.example\r\n"
			 "Subject: Bitte bestaetigen Sie Ihre Anmeldung\r\n"
			 "Message-ID: <t1@example.com>\r\n"
			 "MIME-Version: 1.0\r\n"
			 "Content-Type: text/html; charset=utf-8\r\n\r\n"
			 "<html><body><p>Bitte bestaetigen Sie Ihre Anmeldung: "
			 "%s</p><p>Beispiel GmbH</p></body></html>\r\n",
		   html_body);
	assert_int_equal(pol_message_parse(raw.data, raw.len, &lim, &m), POL_OK);
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, m,
				      pol_classify(cfg_pol(c), &env, m), &v), POL_OK);
	for (i = 0; i < v.nhits; i++)
		buf_printf(&ids, "%s%s", ids.len ? "," : "",
			   pol_rule_info(v.hits[i].rule)->id);
	pol_verdict_clear(&v);
	pol_message_free(m);
	buf_free(&raw);
	return buf_steal(&ids);
}

#define CONFIRM "<a href=\"https://news.example.com/nl/confirm?uid=a1b2\">Anmeldung bestaetigen</a> "
#define PRIVACY "<a href=\"https://www.example.com/datenschutz\">Datenschutz</a> "

static void
expect(const struct cfg *c, const char *body, const char *want)
{
	char *got = judge(c, body);

	if (strcmp(got, want) != 0)
		fail_msg("for %s\n  want [%s]\n  got  [%s]", body, want, got);
	free(got);
}

static void
test_own_hosts_and_mailto(void **state)
{
	struct cfg *c = doi_cfg(NULL);

	(void)state;
	expect(c, CONFIRM PRIVACY, "");
	/* Pages of the confirmation and privacy hosts (manage, FAQ). */
	expect(c, CONFIRM PRIVACY "<a href=\"https://NEWS.example.com/nl/manage?u=a1b2\">Einstellungen</a>", "");
	expect(c, CONFIRM PRIVACY "<a href=\"https://www.example.com/impressum\">Impressum</a>", "");
	/* mailto: to the sender's own domains (From and envelope) and the recipient. */
	expect(c, CONFIRM PRIVACY "<a href=\"mailto:datenschutz@example.com\">datenschutz@example.com</a>", "");
	expect(c, CONFIRM PRIVACY "<a href=\"mailto:hilfe@mailer.example.com?subject=Frage\">Hilfe</a>", "");
	expect(c, CONFIRM PRIVACY "<a href=\"mailto:Anna@Kunde.example\">Sie</a>", "");
	/* Foreign hosts stay foreign, however they are dressed. */
	expect(c, CONFIRM PRIVACY "<a href=\"mailto:info@partner.example\">Partner</a>", "doi.advertising");
	expect(c, CONFIRM PRIVACY "<a href=\"https://news.example.com.evil.example/x\">x</a>", "doi.advertising");
	expect(c, CONFIRM PRIVACY "<a href=\"https://news.example.com@evil.example/x\">x</a>", "doi.advertising");
	cfg_unref(c);
}

static void
test_confirm_link_counting(void **state)
{
	struct cfg *c = doi_cfg(NULL), *cancel = doi_cfg("DoiCancelURL https://news.example.com/nl/cancel\n");

	(void)state;
	/* The same link written differently is one link. */
	expect(c, CONFIRM PRIVACY "<a href=\"HTTPS://News.Example.com:443/nl/confirm?uid=a1b2#top\">hier</a>", "");
	/* Two different confirmation links are refused. */
	expect(c, CONFIRM PRIVACY "<a href=\"https://news.example.com/nl/confirm?uid=zz99\">hier</a>", "doi.confirm-link");
	/* A decline link worded as one, under ConfirmURL. */
	expect(c, CONFIRM PRIVACY "<a href=\"https://news.example.com/nl/confirm/decline?uid=a1b2\">Das war ich nicht</a>", "");
	expect(c, CONFIRM PRIVACY "<a href=\"https://news.example.com/nl/confirm?uid=a1b2&amp;a=x\">Nicht angemeldet? Abbrechen</a>", "");
	/* Under DoiCancelURL, whatever its wording. */
	expect(cancel, CONFIRM PRIVACY "<a href=\"https://news.example.com/nl/cancel?uid=a1b2\">hier</a>", "");
	/* Without a confirmation link, a decline link is not one. */
	expect(cancel, PRIVACY "<a href=\"https://news.example.com/nl/cancel?uid=a1b2\">hier</a>", "doi.confirm-link");
	/* ".../confirm" does not cover ".../confirmation-page". */
	expect(c, PRIVACY "<a href=\"https://news.example.com/nl/confirmation-page?uid=a1b2\">hier</a>", "doi.confirm-link");
	cfg_unref(c);
	cfg_unref(cancel);
}

static void
test_privacy_written_out(void **state)
{
	struct cfg *c = doi_cfg(NULL);

	(void)state;
	expect(c, CONFIRM "Datenschutz: https://www.example.com/datenschutz", "");
	expect(c, CONFIRM "Datenschutz: siehe Website", "content.privacy-link");
	/* Behind a click tracker it is still the privacy link (the tracker
	 * itself is a foreign link in a DOI mail). */
	expect(c, CONFIRM "<a href=\"https://click.tracker.example/r?u=https%3A%2F%2Fwww.example.com%2Fdatenschutz\">Datenschutz</a>",
	       "doi.advertising,tracking.no-consent");
	/* A hidden privacy link is not seen. */
	expect(c, CONFIRM "<span style=\"display:none\"><a href=\"https://www.example.com/datenschutz\">x</a></span>",
	       "content.privacy-link");

	cfg_unref(c);
}

/* The rule ids of a whole raw DOI mail (multipart built by the caller). */
static char *
judge_raw(const struct cfg *c, const char *raw)
{
	struct buf ids = BUF_INIT;
	struct pol_limits lim = {100, 20, 0, 0};
	struct pol_recipient r = {"anna@kunde.example", {POL_CONSENT_NONE, 0, 0}};
	struct pol_envelope env = {"newsletter@example.com", "", 1, &r, 1,
				   1700000000, NULL};
	struct pol_message *m = NULL;
	struct pol_verdict v;
	size_t i;

	assert_int_equal(pol_message_parse(raw, strlen(raw), &lim, &m), POL_OK);
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, m,
				      pol_classify(cfg_pol(c), &env, m), &v), POL_OK);
	for (i = 0; i < v.nhits; i++)
		buf_printf(&ids, "%s%s", ids.len ? "," : "",
			   pol_rule_info(v.hits[i].rule)->id);
	pol_verdict_clear(&v);
	pol_message_free(m);
	return buf_steal(&ids);
}

#define MP_HEAD "From: Beispiel <newsletter@example.com>\r\nTo: anna@kunde.example\r\n" \
	"Subject: Bitte bestaetigen Sie Ihre Anmeldung\r\nMIME-Version: 1.0\r\n" \
	"Content-Type: multipart/related; boundary=\"b1\"\r\n\r\n" \
	"--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" \
	"<p>Bitte bestaetigen: " CONFIRM PRIVACY "Beispiel GmbH %s</p>\r\n"

static void
expect_raw(const struct cfg *c, const char *img, const char *part,
	   const char *want)
{
	struct buf raw = BUF_INIT;
	char *got;

	buf_printf(&raw, MP_HEAD, img);
	buf_printf(&raw, "%s--b1--\r\n", part);
	got = judge_raw(c, raw.data);
	if (strcmp(got, want) != 0)
		fail_msg("for %s\n  want [%s]\n  got  [%s]", part, want, got);
	free(got);
	buf_free(&raw);
}

#define LOGO_PART "--b1\r\nContent-Type: image/png\r\nContent-ID: <logo1@example.com>\r\n" \
	"Content-Disposition: inline; filename=logo.png\r\nContent-Transfer-Encoding: base64\r\n\r\n" \
	"iVBORw0KGgo=\r\n"

static void
test_parts_and_logos(void **state)
{
	struct cfg *c = doi_cfg(NULL), *logo = doi_cfg("DoiLogoURL https://cdn.example.net/brand/\n");
	char *got;

	(void)state;
	/* The inline logo the HTML shows passes. */
	expect_raw(c, "<img src=\"cid:logo1@example.com\" alt=\"Beispiel\">", LOGO_PART, "");
	/* A PDF attachment, a calendar invitation, an image nobody shows: refused. */
	expect_raw(c, "", "--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
		   "filename=katalog.pdf\r\n\r\n%PDF-1.4\r\n", "doi.advertising");
	expect_raw(c, "", "--b1\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\n"
		   "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "doi.advertising");
	expect_raw(c, "", LOGO_PART, "doi.advertising");
	/* A large image is a logo only when DoiLogoURL lists it. */
	got = judge(c, CONFIRM PRIVACY "<img src=\"https://cdn.example.net/brand/logo.png\" width=\"800\" height=\"400\">");
	assert_string_equal(got, "doi.advertising");
	free(got);
	expect(logo, CONFIRM PRIVACY "<img src=\"https://cdn.example.net/brand/logo.png\" width=\"800\" height=\"400\">", "");
	/* Every structural cause is named, not only the first. */
	got = judge(c, CONFIRM PRIVACY "<a href=\"https://a.example/\">a</a><a href=\"https://b.example/\">b</a>"
		    "<img src=\"https://c.example/x.png\">");
	assert_string_equal(got, "doi.advertising,doi.advertising,doi.advertising");
	free(got);
	cfg_unref(c);
	cfg_unref(logo);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_hosts_and_mailto),
		cmocka_unit_test(test_confirm_link_counting),
		cmocka_unit_test(test_privacy_written_out),
		cmocka_unit_test(test_parts_and_logos),
	};

	pol_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
