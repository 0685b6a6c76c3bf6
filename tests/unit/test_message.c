/*
 * test_message.c - the parsed message model: fixtures under
 * tests/data/parse/ (realistic mail, broken mail, garbage) and generated
 * hostile input (thousands of parts, deep MIME nesting, deep HTML).
 */
#include <time.h>

#include "testlib.h"

#include "../../common/buf.h"
#include "../../policy/message.h"

static const struct pol_limits default_limits = {500, 32, 0, 0};

static struct pol_message *
parse_mem(const char *data, size_t len, const struct pol_limits *lim)
{
	struct pol_message *m = NULL;

	assert_int_equal(pol_message_parse(data, len, lim, &m), POL_OK);
	assert_non_null(m);
	return m;
}

static struct pol_message *
parse_file(const char *name)
{
	char path[256];
	struct pol_message *m;
	size_t len;
	char *data;

	snprintf(path, sizeof(path), "tests/data/parse/%s", name);
	data = test_read_file(path, &len);
	m = parse_mem(data, len, &default_limits);
	free(data);
	return m;
}

static void
assert_link(const struct pol_message *m, size_t i, const char *url,
	    const char *text, size_t part, unsigned line)
{
	assert_true(i < m->nlinks);
	assert_string_equal(m->links[i].url, url);
	if (text == NULL)
		assert_null(m->links[i].text);
	else
		assert_string_equal(m->links[i].text, text);
	assert_int_equal(m->links[i].part, part);
	assert_int_equal(m->links[i].line, line);
}

static void
assert_image(const struct pol_message *m, size_t i, const char *src, int w,
	     int h, int hidden)
{
	assert_true(i < m->nimages);
	assert_string_equal(m->images[i].src, src);
	assert_int_equal(m->images[i].width, w);
	assert_int_equal(m->images[i].height, h);
	assert_int_equal(m->images[i].hidden, hidden);
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
test_plain_german_qp(void **state)
{
	struct pol_message *m = parse_file("plain-de-qp.eml");

	(void)state;
	assert_int_equal(m->flags, 0);
	assert_string_equal(m->subject, "Unser Frühlingsangebot für Sie");
	assert_string_equal(m->message_id,
			    "20250303090000.4711@beispiel-shop.de");
	assert_string_equal(m->from_addr, "news@beispiel-shop.de");
	assert_int_equal(m->nto_cc, 1);
	assert_string_equal(m->to_cc[0], "kunde@example.org");
	assert_string_equal(pol_message_header(m, "list-unsubscribe"),
			    "<https://beispiel-shop.de/abmelden?id=4711>, "
			    "<mailto:abmelden@beispiel-shop.de>");
	assert_null(pol_message_header(m, "X-Missing"));
	assert_int_equal(m->nparts, 1);
	assert_int_equal(m->parts[0].kind, POL_PART_PLAIN);
	assert_string_equal(m->parts[0].path, "1");
	assert_string_equal(m->parts[0].content_type, "text/plain");
	assert_null(m->parts[0].html);
	assert_non_null(
	    strstr(m->parts[0].text, "Gartenmöbel und Grüße aus dem Süden."));
	assert_non_null(strstr(m->parts[0].text, "Musterstraße 1"));
	assert_int_equal(m->parts[0].text_len, strlen(m->parts[0].text));
	assert_int_equal(m->nlinks, 7);
	assert_link(m, 0,
		    "https://www.beispiel-shop.de/fruehling?utm_source=news",
		    NULL, 0, 5);
	assert_link(m, 1, "https://beispiel-shop.de/katalog.pdf", NULL, 0, 6);
	assert_link(m, 2, "www.beispiel-shop.de", NULL, 0, 7);
	assert_link(m, 3, "mailto:service@beispiel-shop.de", NULL, 0, 9);
	assert_link(m, 4, "https://beispiel-shop.de/abmelden?id=4711", NULL, 0,
		    11);
	assert_link(m, 5, "https://beispiel-shop.de/impressum", NULL, 0, 12);
	assert_link(m, 6, "https://beispiel-shop.de/datenschutz", NULL, 0, 12);
	assert_int_equal(m->depth, 1);
	assert_int_equal(m->total_parts, 1);
	pol_message_free(m);
}

static void
test_html_only(void **state)
{
	struct pol_message *m = parse_file("html-only.eml");
	const char *t;

	(void)state;
	assert_int_equal(m->flags, 0);
	assert_string_equal(m->subject, "Neuigkeiten im März");
	assert_int_equal(m->nparts, 1);
	assert_int_equal(m->parts[0].kind, POL_PART_HTML);
	assert_non_null(m->parts[0].html);
	assert_non_null(strstr(m->parts[0].html, "SCRIPTTEXT"));
	t = m->parts[0].text;
	assert_string_equal(t, "Neuigkeiten im März\n"
			       "Hallo Anna,\n"
			       "hier sind unsere Angebote.\n"
			       "Zu den Angeboten\n"
			       "Spalte1\n"
			       "Spalte2\n"
			       "Kontakt | Abmelden");
	assert_int_equal(m->parts[0].text_len, strlen(t));
	assert_null(strstr(t, "SCRIPTTEXT"));
	assert_null(strstr(t, "font-family"));
	assert_null(strstr(t, "Newsletter"));
	assert_null(strstr(t, "comment.example.com"));
	assert_int_equal(m->nlinks, 4);
	assert_link(m, 0, "https://shop.example.com/angebote?x=1&y=2",
		    "Zu den Angeboten", 0, 0);
	assert_link(m, 1, "https://shop.example.com/area", "Bereich", 0, 0);
	assert_link(m, 2, "mailto:info@shop.example.com", "Kontakt", 0, 0);
	assert_link(m, 3, "https://shop.example.com/abmelden", "Abmelden", 0,
		    0);
	assert_int_equal(m->nimages, 6);
	assert_image(m, 0, "https://shop.example.com/logo.png", 200, 50, 0);
	assert_string_equal(m->images[0].alt, "Logo");
	assert_image(m, 1, "https://track.example.com/open?u=abc", 1, 1, 0);
	assert_string_equal(m->images[1].alt, "");
	assert_image(m, 2, "https://track.example.com/pixel2.gif", 1, 1, 0);
	assert_image(m, 3, "https://shop.example.com/hidden.png", -1, -1, 1);
	assert_image(m, 4, "https://shop.example.com/transparent.png", -1, -1,
		     1);
	/* Hidden by its parent's visibility:hidden. */
	assert_image(m, 5, "https://shop.example.com/inner.png", 10, 10, 1);
	pol_message_free(m);
}

static void
test_alternative_and_addresses(void **state)
{
	struct pol_message *m = parse_file("alternative.eml");

	(void)state;
	assert_int_equal(m->flags, 0);
	assert_string_equal(m->from_addr, "info@example.com");
	assert_string_equal(pol_message_header(m, "From"),
			    "Büro Müller <Info@Example.COM>");
	/* Group members count; "broken-address" has no domain. */
	assert_int_equal(m->nto_cc, 4);
	assert_string_equal(m->to_cc[0], "alice@example.org");
	assert_string_equal(m->to_cc[1], "bob@example.org");
	assert_string_equal(m->to_cc[2], "carol@example.net");
	assert_string_equal(m->to_cc[3], "dave@example.com");
	assert_int_equal(m->nparts, 2);
	assert_string_equal(m->parts[0].path, "1");
	assert_int_equal(m->parts[0].kind, POL_PART_PLAIN);
	assert_string_equal(m->parts[1].path, "2");
	assert_int_equal(m->parts[1].kind, POL_PART_HTML);
	assert_string_equal(m->parts[1].text,
			    "Hallo zusammen,\nder Termin ist am Montag.");
	assert_string_equal(pol_message_header(m, "Content-Type"),
			    "multipart/alternative; boundary=\"alt-boundary\"");
	assert_int_equal(m->nlinks, 2);
	assert_link(m, 0, "https://example.com/termin", NULL, 0, 2);
	assert_link(m, 1, "https://example.com/termin", "Montag", 1, 0);
	assert_int_equal(m->depth, 1);
	assert_int_equal(m->total_parts, 2);
	pol_message_free(m);
}

static void
test_mixed_pdf(void **state)
{
	struct pol_message *m = parse_file("mixed-pdf.eml");

	(void)state;
	/* The text attachment is read as an attached part. */
	assert_int_equal(m->nparts, 2);
	assert_string_equal(m->parts[0].text, "Anbei Ihre Rechnung.\n");
	assert_int_equal(m->parts[0].attached, 0);
	assert_string_equal(m->parts[1].path, "3");
	assert_int_equal(m->parts[1].attached, 1);
	assert_int_equal(m->parts[1].kind, POL_PART_PLAIN);
	assert_int_equal(m->nattachments, 2);
	assert_string_equal(m->attachments[0].path, "2");
	assert_string_equal(m->attachments[0].content_type, "application/pdf");
	assert_string_equal(m->attachments[0].filename, "Rechnung_März.pdf");
	assert_int_equal(m->attachments[0].size, 231);
	/* A text/plain attachment with a file name is not body text. */
	assert_string_equal(m->attachments[1].path, "3");
	assert_string_equal(m->attachments[1].content_type, "text/plain");
	assert_string_equal(m->attachments[1].filename, "notizen.txt");
	assert_int_equal(m->attachments[1].size, 38);
	assert_int_equal(m->total_parts, 3);
	pol_message_free(m);
}

static void
test_rfc822_inside(void **state)
{
	struct pol_message *m = parse_file("rfc822.eml");

	(void)state;
	assert_int_equal(m->nparts, 3);
	assert_string_equal(m->parts[0].path, "1");
	assert_string_equal(m->parts[1].path, "2.1");
	assert_string_equal(m->parts[2].path, "2.2");
	assert_int_equal(m->parts[2].kind, POL_PART_HTML);
	assert_string_equal(m->parts[2].text, "Innen Link");
	assert_int_equal(m->nlinks, 2);
	assert_link(m, 0, "https://inner.example.com/plain", NULL, 1, 1);
	assert_link(m, 1, "https://inner.example.com/html", "Link", 2, 0);
	/* The attached message's headers are not the message's. */
	assert_string_equal(m->subject, "Fwd: Angebot");
	assert_int_equal(m->depth, 2);
	assert_int_equal(m->total_parts, 4);
	pol_message_free(m);
}

static void
test_base64_html(void **state)
{
	struct pol_message *m = parse_file("base64-html.eml");

	(void)state;
	assert_int_equal(m->nparts, 1);
	assert_string_equal(m->parts[0].text, "Herzliche Grüße\nWeiter");
	assert_non_null(strstr(m->parts[0].html, "<p>Herzliche Grüße</p>"));
	assert_int_equal(m->nlinks, 1);
	assert_link(m, 0, "https://b64.example.com/x?a=1&b=2", "Weiter", 0, 0);
	pol_message_free(m);
}

static void
test_mso_comment(void **state)
{
	struct pol_message *m = parse_file("mso.eml");

	(void)state;
	assert_int_equal(m->flags, 0);
	assert_string_equal(m->parts[0].text, "Web-Link\nText");
	assert_int_equal(m->nlinks, 2);
	assert_link(m, 0, "https://example.com/nonmso", "Web-Link", 0, 0);
	assert_link(m, 1, "https://mso.example.com/outlook", "Outlook-Link", 0,
		    0);
	assert_int_equal(m->nimages, 1);
	assert_image(m, 0, "https://mso.example.com/x.png", 600, 20, 0);
	pol_message_free(m);
}

static void
test_header_8bit(void **state)
{
	struct pol_message *m = parse_file("header-8bit.eml");

	(void)state;
	assert_string_equal(m->subject, "Grüße aus Köln");
	assert_string_equal(pol_message_header(m, "From"),
			    "Jürgen <juergen@example.de>");
	assert_string_equal(m->from_addr, "juergen@example.de");
	assert_string_equal(m->parts[0].text, "Hallo.\n");
	pol_message_free(m);
}

static void
test_garbage(void **state)
{
	struct pol_message *m = parse_file("garbage.bin");

	(void)state;
	assert_true(m->flags & POL_MSG_UNPARSED);
	assert_int_equal(m->nheaders, 0);
	assert_string_equal(m->subject, "");
	assert_string_equal(m->from_addr, "");
	assert_int_equal(m->nparts, 1);
	assert_string_equal(m->parts[0].path, "1");
	assert_string_equal(m->parts[0].content_type, "text/plain");
	/* Latin-1 bytes are converted, NUL bytes become spaces. */
	assert_non_null(strstr(m->parts[0].text, "noch mehr Müll\n"));
	assert_non_null(strstr(m->parts[0].text, "\n   \rIHDRÿþ\n"));
	assert_int_equal(m->parts[0].text_len, strlen(m->parts[0].text));
	assert_int_equal(m->nlinks, 1);
	/* LF, CRLF and a lone CR each end a line. */
	assert_link(m, 0, "https://garbage.example.com/x", NULL, 0, 6);
	pol_message_free(m);
}

static void
test_empty_input(void **state)
{
	static const char nothing[1] = {'X'};
	struct pol_message *m;

	(void)state;
	m = parse_mem(nothing, 0, &default_limits);
	assert_int_equal(m->flags, POL_MSG_UNPARSED);
	assert_int_equal(m->nparts, 1);
	assert_string_equal(m->parts[0].text, "");
	assert_int_equal(m->parts[0].text_len, 0);
	assert_string_equal(m->subject, "");
	assert_string_equal(m->message_id, "");
	assert_int_equal(m->nlinks, 0);
	pol_message_free(m);
	m = parse_mem(NULL, 0, NULL);
	assert_int_equal(m->flags, POL_MSG_UNPARSED);
	pol_message_free(m);
	pol_message_free(NULL);
}

static void
test_nul_in_body(void **state)
{
	static const char html[] =
	    "Subject: x\nContent-Type: text/html\n\n<p>vor\0nach "
	    "<a href=\"https://example.com/h\">L</a></p>\n";
	struct pol_message *m = parse_file("nul-body.eml");

	(void)state;
	assert_string_equal(
	    m->parts[0].text,
	    "Teil eins Teil zwei https://example.com/after-nul\n");
	assert_int_equal(m->parts[0].text_len, 50);
	assert_int_equal(m->nlinks, 1);
	assert_link(m, 0, "https://example.com/after-nul", NULL, 0, 1);
	pol_message_free(m);
	m = parse_mem(html, sizeof(html) - 1, &default_limits);
	assert_string_equal(m->parts[0].text, "vor nach L");
	assert_int_equal(m->nlinks, 1);
	assert_link(m, 0, "https://example.com/h", "L", 0, 0);
	pol_message_free(m);
}

static void
test_missing_boundary(void **state)
{
	struct pol_message *m = parse_file("no-boundary.eml");

	(void)state;
	assert_true(m->flags & POL_MSG_BROKEN);
	assert_false(m->flags & POL_MSG_UNPARSED);
	assert_int_equal(m->nparts, 1);
	assert_string_equal(m->parts[0].path, "1");
	assert_string_equal(m->parts[0].text,
			    "Der ganze Text landet im Prolog.\n"
			    "Link: https://noboundary.example.com/\n");
	assert_int_equal(m->nlinks, 1);
	assert_link(m, 0, "https://noboundary.example.com/", NULL, 0, 2);
	pol_message_free(m);
}

/* Charsets: declared, undeclared, wrongly declared and unknown. */
static void
test_charset_fallbacks(void **state)
{
	static const struct {
		const char *msg, *text;
	} cases[] = {
	    {"Content-Type: text/plain; charset=utf-8\n\nK\xf6ln "
	     "\xe2\x82\xac\n",
	     "Köln €\n"},
	    {"Content-Type: text/plain\n\nK\xf6ln \x80 \xc3\xa9\n",
	     "Köln € é\n"},
	    {"Content-Type: text/plain; charset=x-unknown\n\nK\xf6ln\n",
	     "Köln\n"},
	    {"Content-Type: text/plain; charset=iso-8859-1\n\n\x84Zitat\x93\n",
	     "„Zitat“\n"},
	    {"Content-Type: text/plain; charset=koi8-r\n\n\xf0\xd2\xc9\xd7\xc5"
	     "\xd4\n",
	     "Привет\n"},
	    {"Content-Type: text/plain; charset=shift_jis\n\n\x83\x65\x83\x58"
	     "\x83\x67\xff!\n",
	     "テスト\xef\xbf\xbd!\n"},
	    {"Content-Type: text/plain; charset=utf-8\n\nbad \xed\xa0\x80 "
	     "\xf4\x90\x80\x80\n",
	     "bad \xc3\xad\xc2\xa0\xe2\x82\xac \xc3\xb4\xef\xbf\xbd"
	     "\xe2\x82\xac\xe2\x82\xac\n"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pol_message *m = parse_mem(
		    cases[i].msg, strlen(cases[i].msg), &default_limits);

		assert_int_equal(m->nparts, 1);
		assert_string_equal(m->parts[0].text, cases[i].text);
		pol_message_free(m);
	}
}

static void
test_crlf_lines(void **state)
{
	static const char msg[] =
	    "From: a@example.com\r\nSubject: crlf\r\n\r\n"
	    "eins\r\nzwei http://a.example.com/1;\r\n\r\n"
	    "(siehe https://de.wikipedia.org/wiki/A_(B)) und "
	    "\xe2\x80\x9chttps://q.example.com/\xe2\x80\x9d\r\n";
	struct pol_message *m =
	    parse_mem(msg, sizeof(msg) - 1, &default_limits);

	(void)state;
	assert_int_equal(m->nlinks, 3);
	assert_link(m, 0, "http://a.example.com/1", NULL, 0, 2);
	assert_link(m, 1, "https://de.wikipedia.org/wiki/A_(B)", NULL, 0, 4);
	assert_link(m, 2, "https://q.example.com/", NULL, 0, 4);
	pol_message_free(m);
}

/* A multipart/mixed with n text parts. */
static char *
make_many_parts(size_t n, size_t *len)
{
	struct buf b = BUF_INIT;
	size_t i;

	assert_int_equal(buf_puts(&b, "From: many@example.com\nSubject: many\n"
				      "MIME-Version: 1.0\nContent-Type: "
				      "multipart/mixed; boundary=\"b\"\n\n"),
			 0);
	for (i = 0; i < n; i++)
		assert_int_equal(buf_printf(&b,
					    "--b\nContent-Type: text/plain\n\n"
					    "part %zu\n",
					    i),
				 0);
	assert_int_equal(buf_puts(&b, "--b--\n"), 0);
	*len = b.len;
	return buf_steal(&b);
}

static void
test_too_many_parts(void **state)
{
	const struct pol_limits lim = {100, 32, 0, 0};
	struct pol_message *m;
	size_t len;
	char *msg = make_many_parts(2000, &len);

	(void)state;
	m = parse_mem(msg, len, &lim);
	assert_int_equal(m->flags, POL_MSG_OVER_PARTS | POL_MSG_TRUNCATED);
	assert_int_equal(m->total_parts, 100);
	assert_int_equal(m->nparts, 100);
	assert_string_equal(m->parts[99].path, "100");
	assert_string_equal(m->parts[99].text, "part 99");
	pol_message_free(m);
	/* Under the limit nothing is flagged. */
	m = parse_mem(msg, len, &(struct pol_limits){5000, 32, 0, 0});
	assert_int_equal(m->flags, 0);
	assert_int_equal(m->nparts, 2000);
	pol_message_free(m);
	free(msg);
}

/* Multiparts nested n deep with one text part at the bottom. */
static char *
make_deep_mime(unsigned n, size_t *len)
{
	struct buf b = BUF_INIT;
	unsigned i;

	assert_int_equal(buf_puts(&b, "From: deep@example.com\nSubject: deep\n"
				      "MIME-Version: 1.0\n"),
			 0);
	for (i = 0; i < n; i++)
		assert_int_equal(buf_printf(&b,
					    "Content-Type: multipart/mixed; "
					    "boundary=\"b%u\"\n\n--b%u\n",
					    i, i),
				 0);
	assert_int_equal(buf_puts(&b, "Content-Type: text/plain\n\ntief\n"), 0);
	for (i = n; i-- > 0;)
		assert_int_equal(buf_printf(&b, "--b%u--\n", i), 0);
	*len = b.len;
	return buf_steal(&b);
}

static void
test_deep_mime(void **state)
{
	const struct pol_limits lim = {5000, 32, 0, 0};
	struct pol_message *m;
	struct timespec t0;
	size_t len, dots = 0;
	char *msg = make_deep_mime(1000, &len);
	const char *p;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	m = parse_mem(msg, len, &lim);
	assert_true(seconds_since(&t0) < 1.0);
	assert_true(m->flags & POL_MSG_OVER_DEPTH);
	assert_false(m->flags & POL_MSG_UNPARSED);
	assert_int_equal(m->depth, 1000);
	assert_int_equal(m->nparts, 1);
	assert_string_equal(m->parts[0].text, "tief");
	for (p = m->parts[0].path; *p; p++)
		dots += *p == '.';
	assert_int_equal(dots, 999);
	pol_message_free(m);
	/* Past GMime's own limit of 1024 levels the rest is not MIME. */
	msg = (free(msg), make_deep_mime(1100, &len));
	m = parse_mem(msg, len, &lim);
	assert_int_equal(m->flags, POL_MSG_OVER_DEPTH | POL_MSG_TRUNCATED |
				       POL_MSG_BROKEN);
	assert_true(m->depth >= 1000 && m->depth <= 1024);
	pol_message_free(m);
	/* The same shape, 10 deep, is within the limit. */
	msg = (free(msg), make_deep_mime(10, &len));
	m = parse_mem(msg, len, &lim);
	assert_int_equal(m->flags, 0);
	assert_int_equal(m->depth, 10);
	pol_message_free(m);
	free(msg);
}

static char *
make_deep_html(unsigned n, size_t *len)
{
	struct buf b = BUF_INIT;
	unsigned i;

	assert_int_equal(buf_puts(&b,
				  "From: div@example.com\nSubject: divs\n"
				  "Content-Type: text/html; charset=utf-8\n\n"
				  "<p>oben <a href=\"https://x.example/\">x</a>"
				  "</p>"),
			 0);
	for (i = 0; i < n; i++)
		assert_int_equal(buf_puts(&b, "<div>"), 0);
	assert_int_equal(buf_puts(&b, "ganz unten\n"), 0);
	*len = b.len;
	return buf_steal(&b);
}

static void
test_deep_html(void **state)
{
	struct pol_message *m;
	struct timespec t0;
	size_t len;
	char *msg = make_deep_html(20000, &len);

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	m = parse_mem(msg, len, &default_limits);
	assert_true(seconds_since(&t0) < 1.0);
	assert_true(m->flags & POL_MSG_TRUNCATED);
	assert_int_equal(m->nparts, 1);
	assert_string_equal(m->parts[0].text, "");
	assert_int_equal(m->parts[0].text_len, 0);
	assert_non_null(m->parts[0].html);
	assert_int_equal(m->nlinks, 0);
	pol_message_free(m);
	free(msg);
	/* 100 levels are fine. */
	msg = make_deep_html(100, &len);
	m = parse_mem(msg, len, &default_limits);
	assert_int_equal(m->flags, 0);
	assert_string_equal(m->parts[0].text, "oben x\nganz unten");
	assert_int_equal(m->nlinks, 1);
	pol_message_free(m);
	free(msg);
}

/* Misnested formatting tags make gumbo clone elements without bound. */
static void
test_html_clone_bomb(void **state)
{
	struct buf b = BUF_INIT;
	struct pol_message *m;
	struct timespec t0;
	unsigned i;

	(void)state;
	assert_int_equal(buf_puts(&b, "Content-Type: text/html\n\n"), 0);
	for (i = 0; i < 300; i++)
		assert_int_equal(buf_printf(&b, "<div><b id=%u></div>", i), 0);
	for (i = 0; i < 5000; i++)
		assert_int_equal(buf_puts(&b, "<div>x</div>"), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	m = parse_mem(b.data, b.len, &default_limits);
	assert_true(seconds_since(&t0) < 1.0);
	assert_true(m->flags & POL_MSG_TRUNCATED);
	assert_string_equal(m->parts[0].text, "");
	pol_message_free(m);
	buf_free(&b);
}

static void
test_html_limits(void **state)
{
	static const char msg[] =
	    "Content-Type: text/html\n\n"
	    "<div><div><div><p>drei</p></div></div></div>";
	struct pol_message *m;

	(void)state;
	m = parse_mem(msg, sizeof(msg) - 1, &(struct pol_limits){0, 0, 16, 0});
	assert_int_equal(m->flags, POL_MSG_TRUNCATED | POL_MSG_OVER_HTML);
	assert_string_equal(m->parts[0].text, "");
	pol_message_free(m);
	m = parse_mem(msg, sizeof(msg) - 1, &(struct pol_limits){0, 0, 0, 2});
	assert_int_equal(m->flags, POL_MSG_TRUNCATED | POL_MSG_OVER_HTML);
	pol_message_free(m);
	m = parse_mem(msg, sizeof(msg) - 1, &(struct pol_limits){0, 0, 0, 4});
	assert_int_equal(m->flags, 0);
	assert_string_equal(m->parts[0].text, "drei");
	pol_message_free(m);
}

static int
setup(void **state)
{
	(void)state;
	pol_init();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	pol_shutdown();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_german_qp),
	    cmocka_unit_test(test_html_only),
	    cmocka_unit_test(test_alternative_and_addresses),
	    cmocka_unit_test(test_mixed_pdf),
	    cmocka_unit_test(test_rfc822_inside),
	    cmocka_unit_test(test_base64_html),
	    cmocka_unit_test(test_mso_comment),
	    cmocka_unit_test(test_header_8bit),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_empty_input),
	    cmocka_unit_test(test_nul_in_body),
	    cmocka_unit_test(test_missing_boundary),
	    cmocka_unit_test(test_charset_fallbacks),
	    cmocka_unit_test(test_crlf_lines),
	    cmocka_unit_test(test_too_many_parts),
	    cmocka_unit_test(test_deep_mime),
	    cmocka_unit_test(test_deep_html),
	    cmocka_unit_test(test_html_clone_bomb),
	    cmocka_unit_test(test_html_limits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
