/*
 * test_view.c - the reader's view of a message: text hidden by each rule
 * (inline style, <style> sheets, the hidden attribute, <template>), extra
 * text (titles, alt texts, generated content), every reference a client
 * follows or loads with <base href> resolution and srcset, right-to-left
 * overrides, and the parts read besides the bodies (attachments, calendar,
 * AMP, attached messages).  Messages are built in memory and parsed with
 * the real parser.
 */
#include "testlib.h"

#include "../../common/buf.h"
#include "../../gate/config.h"
#include "../../policy/message.h"
#include "../../policy/policy.h"

#define HDR                                                                    \
	"From: Shop <news@shop.example>\r\nTo: kunde@example.org\r\n"          \
	"Subject: view\r\nMIME-Version: 1.0\r\n"

static struct pol_message *
view_parse(const char *raw)
{
	struct pol_limits lim = {500, 32, 0, 0};
	struct pol_message *m = NULL;

	assert_int_equal(pol_message_parse(raw, strlen(raw), &lim, &m), POL_OK);
	assert_non_null(m);
	return m;
}

/* A text/html message with body. */
static struct pol_message *
view_html(const char *body)
{
	struct buf b = BUF_INIT;
	struct pol_message *m;

	buf_puts(&b, HDR "Content-Type: text/html; charset=utf-8\r\n\r\n");
	buf_puts(&b, body);
	m = view_parse(b.data);
	buf_free(&b);
	assert_int_equal(m->nparts, 1);
	return m;
}

static const char *
hidden_of(const struct pol_message *m)
{
	return m->parts[0].hidden ? m->parts[0].hidden : "(null)";
}

static const char *
extra_of(const struct pol_message *m)
{
	return m->parts[0].extra ? m->parts[0].extra : "(null)";
}

/* Each way of hiding, inline: the text moves from text to hidden. */
static void
test_hidden_inline(void **state)
{
	static const char *const hiders[] = {
	    "style=\"display:none\"",
	    "style=\"display: none !important\"",
	    "style=\"visibility:hidden\"",
	    "style=\"visibility:collapse\"",
	    "style=\"opacity:0\"",
	    "style=\"opacity:0.0\"",
	    "style=\"font-size:0\"",
	    "style=\"font-size:0px\"",
	    "style=\"font-size:0em\"",
	    "style=\"font-size:0%\"",
	    "style=\"max-height:0;overflow:hidden\"",
	    "style=\"height:0px;overflow:hidden\"",
	    "style=\"mso-hide:all\"",
	    "STYLE=\"DISPLAY:NONE\"",
	    "hidden",
	};
	size_t i;
	char body[512];

	(void)state;
	for (i = 0; i < sizeof(hiders) / sizeof(hiders[0]); i++) {
		struct pol_message *m;

		snprintf(body, sizeof(body),
			 "<p>Sichtbar</p><div %s>Geheim <b>Rabatt</b></div>",
			 hiders[i]);
		m = view_html(body);
		if (strcmp(m->parts[0].text, "Sichtbar") != 0 ||
		    strcmp(hidden_of(m), "Geheim Rabatt") != 0)
			fail_msg("%s: text \"%s\" hidden \"%s\"", hiders[i],
				 m->parts[0].text, hidden_of(m));
		assert_int_equal(m->parts[0].hidden_len,
				 strlen(m->parts[0].hidden));
		pol_message_free(m);
	}
}

/* A word split by hidden junk reads as one word; the junk is hidden. */
static void
test_hidden_split_word(void **state)
{
	struct pol_message *m = view_html(
	    "<p>Ra<span style=\"display:none\">xx</span>batt "
	    "<span style=\"display:none\">yy</span>jetzt</p>");

	(void)state;
	assert_string_equal(m->parts[0].text, "Rabatt jetzt");
	assert_string_equal(hidden_of(m), "xx yy");
	pol_message_free(m);
}

/* What does not hide, or is undone by a descendant. */
static void
test_not_hidden(void **state)
{
	static const char *const shown[] = {
	    "<div style=\"font-size:0\"><span style=\"font-size:14px\">X</span></div>",
	    "<div style=\"visibility:hidden\"><p style=\"visibility:visible\">X</p></div>",
	    "<div style=\"max-height:0\">X</div>",
	    "<div style=\"height:0\">X</div>",
	    "<div style=\"opacity:0.5\">X</div>",
	    "<div style=\"display:block\">X</div>",
	    "<div style=\"font-size:10px\">X</div>",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		struct pol_message *m = view_html(shown[i]);

		if (strcmp(m->parts[0].text, "X") != 0 ||
		    m->parts[0].hidden != NULL)
			fail_msg("%s: text \"%s\" hidden \"%s\"", shown[i],
				 m->parts[0].text, hidden_of(m));
		pol_message_free(m);
	}
	/* A relative size of zero stays zero. */
	{
		struct pol_message *m = view_html(
		    "<div style=\"font-size:0\"><span style=\"font-size:2em\">X</span></div>");

		assert_string_equal(m->parts[0].text, "");
		assert_string_equal(hidden_of(m), "X");
		pol_message_free(m);
	}
}

/* Text a reader cannot see although it is "shown": too small to read,
 * off the screen, in the colour of what is behind it (an attribute or CSS
 * background of an ancestor), transparent; the text moves to hidden. */
static void
test_hidden_unreadable(void **state)
{
	static const char *const hiders[] = {
	    "<div style=\"font-size:1px\">G</div>",
	    "<div style=\"font-size:2.5px\">G</div>",
	    "<div style=\"font-size:1pt\">G</div>",
	    "<div style=\"position:absolute;left:-9999px\">G</div>",
	    "<div style=\"position:fixed;top:-2000px\">G</div>",
	    "<div style=\"text-indent:-9999px\">G</div>",
	    "<table bgcolor=\"#ffffff\"><tr><td><a href=\"https://x.example/\" "
	    "style=\"color:#fff\">G</a></td></tr></table>",
	    "<div style=\"background:#FAFAFA\"><p style=\"color:rgb(250,250,"
	    "248)\">G</p></div>",
	    "<div style=\"background-color:black\"><font color=\"#000\">G"
	    "</font></div>",
	    "<div style=\"color:transparent\">G</div>",
	    "<div style=\"color:rgba(0,0,0,0)\">G</div>",
	    "<html><head><style>a.f{color:#fff !important}</style></head><body "
	    "bgcolor=\"white\"><a class=\"f\" href=\"https://x.example/\">G"
	    "</a></body></html>",
	    "<div style=\"position:absolute;width:1px;height:1px;overflow:"
	    "hidden;clip:rect(0 0 0 0)\">G</div>",
	    "<div style=\"opacity:0.03\">G</div>",
	    "<div style=\"color:rgba(34,34,34,0.02)\">G</div>",
	    "<div style=\"color:#22222205\">G</div>",
	    "<div style=\"transform:scale(0)\">G</div>",
	    "<div style=\"transform:translateX(2px) scale(1, 0.01)\">G</div>",
	    "<table bgcolor=\"#fff\"><tr><td><a href=\"https://x.example/\">"
	    "<font color=\"#FFFFFF\">G</font></a></td></tr></table>",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hiders) / sizeof(hiders[0]); i++) {
		struct pol_message *m = view_html(hiders[i]);

		if (strcmp(m->parts[0].text, "") != 0 ||
		    strcmp(hidden_of(m), "G") != 0)
			fail_msg("%s: text \"%s\" hidden \"%s\"", hiders[i],
				 m->parts[0].text, hidden_of(m));
		if (m->nlinks > 0 && !m->links[0].hidden)
			fail_msg("%s: the link is not hidden", hiders[i]);
		pol_message_free(m);
	}
}

/* Colours and sizes that leave text readable. */
static void
test_readable(void **state)
{
	static const char *const shown[] = {
	    "<div style=\"font-size:11px;color:#999\">X</div>",
	    "<div style=\"position:absolute;left:10px\">X</div>",
	    "<div style=\"position:relative;left:-9999px\">X</div>",
	    /* white on a coloured button inside a white card */
	    "<table bgcolor=\"#ffffff\"><tr><td><a href=\"https://x.example/\" "
	    "style=\"background:#0b6e4f;color:#ffffff\">X</a></td></tr></table>",
	    /* white on an image: what is behind it is not known */
	    "<div style=\"background:#fff url(https://x.example/h.jpg)\">"
	    "<p style=\"color:#fff\">X</p></div>",
	    "<table bgcolor=\"#fff\" background=\"https://x.example/h.jpg\">"
	    "<tr><td style=\"color:#fff\">X</td></tr></table>",
	    /* no background known anywhere: the client's own */
	    "<p style=\"color:#ffffff\">X</p>",
	    /* a link's colour is the client's, not the parent's */
	    "<div style=\"background:#fff;color:#fff\"><a href=\"https://x."
	    "example/\">X</a></div>",
	    "<div style=\"background:#fff\"><p style=\"color:#fff\"><span "
	    "style=\"color:#333\">X</span></p></div>",
	    "<div style=\"transform:scale(1.2)\">X</div>",
	    "<div style=\"overflow:hidden;width:600px;height:20px\">X</div>",
	    "<div style=\"opacity:0.6;color:rgba(0,0,0,0.8)\">X</div>",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		struct pol_message *m = view_html(shown[i]);

		if (strcmp(m->parts[0].text, "X") != 0 ||
		    m->parts[0].hidden != NULL)
			fail_msg("%s: text \"%s\" hidden \"%s\"", shown[i],
				 m->parts[0].text, hidden_of(m));
		pol_message_free(m);
	}
}

/* The same declarations reached through <style> with simple selectors. */
static void
test_hidden_by_sheet(void **state)
{
	struct pol_message *m = view_html(
	    "<html><head><style>\n"
	    "/* comment { display:none } */\n"
	    ".pre { display:none; max-height:0 }\n"
	    "#ghost{visibility:hidden}\n"
	    "span.tiny { font-size:0px }\n"
	    "s, .a.b , em { mso-hide: all }\n"
	    "div .desc { display:none }\n"
	    "p:hover { display:none }\n"
	    "@media (max-width:600px) { .mobile { display:none } }\n"
	    ".over { display:none }\n"
	    ".imp { display:none !important }\n"
	    "blockquote { opacity: 0 }\n"
	    "</style></head><body>\n"
	    "<div class=\"x pre\">P1</div><p id=\"ghost\">P2</p>"
	    "<span class=\"tiny\">P3</span> <span class=\"tiny2\">V1</span> "
	    "<s>P4</s> <i class=\"b a\">P5</i> <i class=\"a\">V2</i> <em>P6</em>"
	    "<div><p class=\"desc\">V3</p></div><p>V4</p>"
	    "<p class=\"mobile\">V5</p>"
	    "<p class=\"over\" style=\"display:block\">V6</p>"
	    "<p class=\"imp\" style=\"display:block\">P7</p>"
	    "<blockquote>P8</blockquote>"
	    "</body></html>");

	(void)state;
	assert_string_equal(m->parts[0].text, "V1 V2\nV3\nV4\nV5\nV6");
	assert_string_equal(hidden_of(m), "P1\nP2\nP3 P4 P5 P6\nP7\nP8");
	pol_message_free(m);
}

/* <head>, <title>, <script> and <style> are in neither text. */
static void
test_head_script_style(void **state)
{
	struct pol_message *m = view_html(
	    "<html><head><title>Titel</title><style>p{color:red}</style>"
	    "<script>var x = 'SCRIPT';</script></head>"
	    "<body><p>Text</p><script>var y = 'S2';</script>"
	    "<template><p>Vorlage</p></template></body></html>");

	(void)state;
	assert_string_equal(m->parts[0].text, "Text");
	assert_string_equal(hidden_of(m), "Vorlage");
	assert_null(strstr(m->parts[0].html ? m->parts[0].text : "", "SCRIPT"));
	pol_message_free(m);
}

/* Links and images in hidden elements are collected with hidden=1; so is a
 * link shown only as images without alt text. */
static void
test_hidden_references(void **state)
{
	struct pol_message *m = view_html(
	    "<style>.h{display:none}</style>"
	    "<a href=\"https://shop.example/a\">Sichtbar</a>"
	    "<div class=\"h\"><a href=\"https://shop.example/b\">Versteckt</a>"
	    "<img src=\"https://shop.example/i.png\" width=\"20\" height=\"20\"></div>"
	    "<template><a href=\"https://shop.example/t\">T</a></template>"
	    "<div style=\"font-size:0\"><a href=\"https://shop.example/f\">F</a>"
	    "<a href=\"https://shop.example/g\"><img src=\"https://shop.example/g.png\" width=\"30\" height=\"30\" alt=\"G\"></a></div>"
	    "<a href=\"https://shop.example/n\"><img src=\"https://shop.example/n.png\" width=\"160\" height=\"30\" alt=\" \"></a>");

	(void)state;
	assert_int_equal(m->nlinks, 6);
	assert_string_equal(m->links[0].url, "https://shop.example/a");
	assert_int_equal(m->links[0].hidden, 0);
	assert_string_equal(m->links[1].url, "https://shop.example/b");
	assert_string_equal(m->links[1].text, "Versteckt");
	assert_int_equal(m->links[1].hidden, 1);
	assert_string_equal(m->links[2].url, "https://shop.example/t");
	assert_int_equal(m->links[2].hidden, 1);
	/* Text of size zero: a link with nothing to see... */
	assert_string_equal(m->links[3].url, "https://shop.example/f");
	assert_int_equal(m->links[3].hidden, 1);
	/* ...unless it holds an image, which font-size does not shrink. */
	assert_string_equal(m->links[4].url, "https://shop.example/g");
	assert_int_equal(m->links[4].hidden, 0);
	/* An image without alt text shows nothing where images are blocked:
	 * a link of such images alone is not seen. */
	assert_string_equal(m->links[5].url, "https://shop.example/n");
	assert_int_equal(m->links[5].hidden, 1);
	assert_int_equal(m->nimages, 3);
	assert_int_equal(m->images[0].hidden, 1);
	assert_int_equal(m->images[1].hidden, 0);
	assert_int_equal(m->images[2].hidden, 0);
	pol_message_free(m);
}

/* Titles, alt texts and generated content: extra text, one per line. */
static void
test_extra_text(void **state)
{
	struct pol_message *m = view_html(
	    "<style>.badge::before { content: \"Nur \\201E heute\\201C\" }\n"
	    "p.n:after{content:'  Angebot  ' attr(x)}\n"
	    "#q::before{color:red}</style>"
	    "<p title=\"  Tooltip   Text \">A</p>"
	    "<img src=\"cid:logo\" alt=\"Logo Shop\">"
	    "<span class=\"badge\">B</span><p class=\"n\">C</p><p id=\"q\">D</p>"
	    "<div style=\"display:none\"><img src=\"cid:x\" alt=\"Verborgen\"></div>");

	(void)state;
	assert_string_equal(m->parts[0].text, "A\nB\nC\nD");
	assert_string_equal(extra_of(m),
			    "Tooltip Text\nLogo Shop\nNur \xe2\x80\x9eheute\xe2\x80\x9c\nAngebot");
	assert_int_equal(m->parts[0].extra_len, strlen(m->parts[0].extra));
	assert_string_equal(hidden_of(m), "Verborgen");
	pol_message_free(m);
	/* Without any, both stay NULL. */
	m = view_html("<p>Nur Text</p>");
	assert_null(m->parts[0].hidden);
	assert_null(m->parts[0].extra);
	assert_int_equal(m->parts[0].hidden_len, 0);
	pol_message_free(m);
}

static int
has_link(const struct pol_message *m, const char *url)
{
	size_t i;

	for (i = 0; i < m->nlinks; i++)
		if (strcmp(m->links[i].url, url) == 0)
			return 1;
	return 0;
}

static const struct pol_image *
find_image(const struct pol_message *m, const char *src)
{
	size_t i;

	for (i = 0; i < m->nimages; i++)
		if (strcmp(m->images[i].src, src) == 0)
			return &m->images[i];
	return NULL;
}

/* Attribute selectors, and attr() in generated content. */
static void
test_sheet_attributes(void **state)
{
	struct pol_message *m = view_html(
	    "<html><head><style>\n"
	    "p[data-slot=\"promo\"]::before{content:\"G1\"}\n"
	    "[data-k^=ab]::after{content:\"G2\"}\n"
	    "span[data-t~='x']{display:none}\n"
	    "i[lang|=de]{display:none}\n"
	    ".n::after{content:\"<\" attr(data-promo) \">\"}\n"
	    "b[data-z*=\"mid\"] { display:none }\n"
	    "</style></head><body>"
	    "<p data-slot=\"promo\">V1</p><p data-slot=\"promotion\">V2</p>"
	    "<p data-k=\"abc\">V3</p><span data-t=\"w x y\">H1</span>"
	    "<span data-t=\"wxy\">V4</span><i lang=\"de-AT\">H2</i>"
	    "<i lang=\"den\">V5</i><p class=\"n\" data-promo=\"G3\">V6</p>"
	    "<b data-z=\"amidst\">H3</b></body></html>");

	(void)state;
	assert_non_null(strstr(extra_of(m), "G1"));
	assert_non_null(strstr(extra_of(m), "G2"));
	assert_non_null(strstr(extra_of(m), "<G3>"));
	/* [data-slot="promo"] is not [data-slot="promotion"] */
	assert_null(strstr(strstr(extra_of(m), "G1") + 1, "G1"));
	assert_string_equal(hidden_of(m), "H1 H2 H3");
	assert_non_null(strstr(m->parts[0].text, "V4"));
	assert_non_null(strstr(m->parts[0].text, "V5"));
	assert_non_null(strstr(m->parts[0].text, "V2"));
	pol_message_free(m);
	/* an image map's alt texts show like an image's */
	m = view_html("<p>V1</p><map name=\"m\"><area href=\"https://x.example/\" "
		      "alt=\"A1\"></map>");
	assert_non_null(strstr(extra_of(m), "A1"));
	pol_message_free(m);
}

/* The names a client shows for the sender: From's, and a Sender's that
 * differs ("Sender on behalf of From"). */
static void
test_sender_names(void **state)
{
	struct pol_message *m = view_parse(
	    "From: Shop <a@shop.example>\r\nSender: =?utf-8?q?20_%_Rabatt?= "
	    "<b@shop.example>\r\nTo: k@example.org\r\nSubject: s\r\n\r\nx\r\n");

	(void)state;
	assert_string_equal(m->from_name, "Shop\n20 % Rabatt");
	pol_message_free(m);
	m = view_parse("From: Shop <a@shop.example>\r\nSender: Shop "
		       "<b@shop.example>\r\nSubject: s\r\n\r\nx\r\n");
	assert_string_equal(m->from_name, "Shop");
	pol_message_free(m);
	m = view_parse("From: a@shop.example\r\nSender: Versand "
		       "<b@shop.example>\r\nSubject: s\r\n\r\nx\r\n");
	assert_string_equal(m->from_name, "Versand");
	pol_message_free(m);
}

/* An image sized by a <style> rule: the size a client gives it. */
static void
test_image_size_by_sheet(void **state)
{
	struct pol_message *m = view_html(
	    "<html><head><style>.px{width:1px;height:1px}</style></head><body>"
	    "<img class=\"px\" src=\"https://r.example/o.gif\" alt=\"\">"
	    "<img class=\"px\" style=\"width:600px;height:80px\" "
	    "src=\"https://r.example/b.png\" alt=\"\"></body></html>");
	const struct pol_image *o = find_image(m, "https://r.example/o.gif");
	const struct pol_image *b = find_image(m, "https://r.example/b.png");

	(void)state;
	assert_non_null(o);
	assert_non_null(b);
	assert_int_equal(o->width, 1);
	assert_int_equal(o->height, 1);
	assert_int_equal(b->width, 600);
	assert_int_equal(b->height, 80);
	pol_message_free(m);
}

/* What a click sends: the ping URLs of a link, and the URL a GET form
 * builds from its fields; a button's label is text. */
static void
test_click_sends(void **state)
{
	struct pol_message *m = view_html(
	    "<a href=\"https://r.example/a\" ping=\" https://p.example/1 "
	    "https://p.example/2\">A</a>"
	    "<form action=\"https://r.example/f?x=1\"><div><input type=\"hidden\" "
	    "name=\"e\" value=\"k@example.org\"><input name=\"n\" value=\"2\">"
	    "<input type=\"submit\" value=\"Senden\"></div></form>"
	    "<form action=\"https://r.example/p\" method=\"post\"><input "
	    "type=\"hidden\" name=\"e\" value=\"k@example.org\"></form>");

	(void)state;
	assert_true(has_link(m, "https://p.example/1"));
	assert_true(has_link(m, "https://p.example/2"));
	assert_true(has_link(m, "https://r.example/f?x=1"));
	assert_true(has_link(m, "https://r.example/f?e=k@example.org&n=2"));
	assert_true(has_link(m, "https://r.example/p"));
	assert_false(has_link(m, "https://r.example/p?e=k@example.org"));
	assert_non_null(strstr(m->parts[0].text, "Senden"));
	assert_null(strstr(m->parts[0].text, "k@example.org"));
	pol_message_free(m);
}

/* Every reference kind, followed (links) or loaded (images). */
static void
test_references(void **state)
{
	static const char *const loaded[] = {
	    "https://r.example/img.png",   "https://r.example/s1.png",
	    "https://r.example/s2.png",	   "https://r.example/s,3.png",
	    "https://r.example/bg.png",	   "https://r.example/inline.png",
	    "https://r.example/sheet.png", "https://r.example/import.css",
	    "https://r.example/import2.css", "https://r.example/font.woff",
	    "https://r.example/style.css", "https://r.example/icon.ico",
	    "https://r.example/input.png", "https://r.example/svg.png",
	    "https://r.example/poster.jpg", "https://r.example/frame.html",
	    "https://r.example/object.swf", "https://r.example/embed.swf",
	    "https://r.example/vml.png",   "https://r.example/src.jpg",
	};
	static const char *const followed[] = {
	    "https://r.example/a",	"https://r.example/area",
	    "https://r.example/form", "https://r.example/refresh",
	    "https://r.example/svg-a", "https://r.example/vml-button",
	};
	struct pol_message *m = view_html(
	    "<html><head>"
	    "<meta http-equiv=\"Refresh\" content=\"5; URL='https://r.example/refresh'\">"
	    "<link rel=\"stylesheet\" href=\"https://r.example/style.css\">"
	    "<link rel=\"shortcut icon\" href=\"https://r.example/icon.ico\">"
	    "<link rel=\"canonical\" href=\"https://r.example/canonical\">"
	    "<style>@import \"https://r.example/import.css\";\n"
	    "@import url(https://r.example/import2.css);\n"
	    "@font-face { src: url('https://r.example/font.woff') }\n"
	    ".hero { background: #fff url( \"https://r.example/sheet.png\" ) no-repeat }"
	    "</style></head><body>"
	    "<a href=\"https://r.example/a\">A</a>"
	    "<map><area href=\"https://r.example/area\" alt=\"Bereich\"></map>"
	    "<form action=\"https://r.example/form\"><input type=\"image\" src=\"https://r.example/input.png\"></form>"
	    "<img src=\"https://r.example/img.png\" srcset=\"https://r.example/s1.png 1x, https://r.example/s2.png 2x,https://r.example/s,3.png 3x\" width=\"300\" height=\"100\">"
	    "<table background=\"https://r.example/bg.png\"><tr><td style=\"background-image:url(https://r.example/inline.png);width:40px;height:50px\">x</td></tr></table>"
	    "<svg><a xlink:href=\"https://r.example/svg-a\"><image xlink:href=\"https://r.example/svg.png\"/></a></svg>"
	    "<video poster=\"https://r.example/poster.jpg\"><source src=\"https://r.example/src.jpg\"></video>"
	    "<iframe src=\"https://r.example/frame.html\"></iframe>"
	    "<object data=\"https://r.example/object.swf\"></object>"
	    "<embed src=\"https://r.example/embed.swf\">"
	    "<v:roundrect href=\"https://r.example/vml-button\"><v:fill src=\"https://r.example/vml.png\"/></v:roundrect>"
	    "</body></html>");
	const struct pol_image *im;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(loaded) / sizeof(loaded[0]); i++)
		if (find_image(m, loaded[i]) == NULL)
			fail_msg("no image %s", loaded[i]);
	for (i = 0; i < sizeof(followed) / sizeof(followed[0]); i++)
		if (!has_link(m, followed[i]))
			fail_msg("no link %s", followed[i]);
	assert_null(find_image(m, "https://r.example/canonical"));
	assert_false(has_link(m, "https://r.example/canonical"));
	/* srcset candidates have the size of their <img>. */
	im = find_image(m, "https://r.example/s2.png");
	assert_int_equal(im->width, 300);
	assert_int_equal(im->height, 100);
	/* CSS url() in a style attribute: the size that CSS gives. */
	im = find_image(m, "https://r.example/inline.png");
	assert_int_equal(im->width, 40);
	assert_int_equal(im->height, 50);
	im = find_image(m, "https://r.example/sheet.png");
	assert_int_equal(im->width, -1);
	assert_int_equal(im->hidden, 0);
	pol_message_free(m);
}

/* Relative references resolve against <base href>. */
static void
test_base_href(void **state)
{
	struct pol_message *m = view_html(
	    "<html><head><base href=\"https://shop.example/news/2025/\"></head>"
	    "<body><a href=\"../abmelden?u=1\">Abmelden</a>"
	    "<a href=\"https://other.example/x\">X</a>"
	    "<a href=\"mailto:info@shop.example\">M</a>"
	    "<a href=\"//cdn.example/p\">P</a>"
	    "<img src=\"img/logo.png\" srcset=\"img/logo2.png 2x\">"
	    "<div style=\"background:url(bg.png)\">x</div></body></html>");

	(void)state;
	assert_true(has_link(m, "https://shop.example/news/abmelden?u=1"));
	assert_true(has_link(m, "https://other.example/x"));
	assert_true(has_link(m, "mailto:info@shop.example"));
	assert_true(has_link(m, "https://cdn.example/p"));
	assert_non_null(find_image(m, "https://shop.example/news/2025/img/logo.png"));
	assert_non_null(find_image(m, "https://shop.example/news/2025/img/logo2.png"));
	assert_non_null(find_image(m, "https://shop.example/news/2025/bg.png"));
	pol_message_free(m);
	/* Without <base>, relative references stay as written. */
	m = view_html("<a href=\"../x\">x</a>");
	assert_true(has_link(m, "../x"));
	pol_message_free(m);
}

/* Right-to-left overrides are stored in reading order. */
static void
test_bidi(void **state)
{
	struct pol_message *m = view_html(
	    "<p>A \xe2\x80\xae" "ttabaR\xe2\x80\xac B</p>"
	    "<p><bdo dir=\"rtl\">tobegnA</bdo></p>"
	    "<p style=\"direction:rtl;unicode-bidi:bidi-override\">\xc3\xbc" "ab</p>");

	(void)state;
	assert_string_equal(m->parts[0].text, "A Rabatt B\nAngebot\nba\xc3\xbc");
	pol_message_free(m);
}

/* Parts read besides the bodies are attached parts. */
static void
test_attached_parts(void **state)
{
	struct pol_message *m = view_parse(
	    HDR "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n"
	    "--a\r\nContent-Type: text/plain\r\n\r\nKoerper\r\n"
	    "--a\r\nContent-Type: text/x-amp-html\r\n\r\n<p>AMP <a href=\"https://amp.example/\">x</a></p>\r\n"
	    "--a\r\nContent-Type: text/html\r\n\r\n<p>Koerper</p>\r\n"
	    "--a--\r\n"
	    "--b\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nSUMMARY:Termin\r\nEND:VCALENDAR\r\n"
	    "--b\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=\"a.html\"\r\n\r\n<p>Impressum im Anhang</p>\r\n"
	    "--b\r\nContent-Type: message/rfc822\r\n\r\n"
	    "From: x@y.example\r\nSubject: inner\r\nContent-Type: text/plain\r\n\r\nInnen\r\n"
	    "--b--\r\n");

	(void)state;
	assert_int_equal(m->nparts, 6);
	assert_string_equal(m->parts[0].content_type, "text/plain");
	assert_int_equal(m->parts[0].attached, 0);
	assert_string_equal(m->parts[1].content_type, "text/x-amp-html");
	assert_int_equal(m->parts[1].kind, POL_PART_HTML);
	assert_int_equal(m->parts[1].attached, 1);
	assert_string_equal(m->parts[1].text, "AMP x");
	assert_true(has_link(m, "https://amp.example/"));
	assert_string_equal(m->parts[2].content_type, "text/html");
	assert_int_equal(m->parts[2].attached, 0);
	assert_string_equal(m->parts[3].content_type, "text/calendar");
	assert_int_equal(m->parts[3].kind, POL_PART_PLAIN);
	assert_int_equal(m->parts[3].attached, 1);
	assert_non_null(strstr(m->parts[3].text, "SUMMARY:Termin"));
	assert_string_equal(m->parts[4].text, "Impressum im Anhang");
	assert_int_equal(m->parts[4].attached, 1);
	assert_string_equal(m->parts[5].text, "Innen");
	assert_int_equal(m->parts[5].attached, 1);
	/* They stay attachments as well. */
	assert_int_equal(m->nattachments, 3);
	pol_message_free(m);
}

/* An imprint only in an attachment does not satisfy content.imprint. */
static void
test_attached_imprint(void **state)
{
	struct buf err = BUF_INIT;
	struct cfg *c = cfg_parse_text(
	    "t.conf",
	    "MarketingSenders news@shop.example\n"
	    "RuleAction.unsubscribe.link off\n"
	    "RuleAction.unsubscribe.header off\n"
	    "RuleAction.unsubscribe.one-click off\n"
	    "RuleAction.content.privacy-link off\n",
	    &err);
	struct pol_recipient r = {"kunde@example.org",
				  {POL_CONSENT_CONFIRMED, 0, 0}};
	struct pol_envelope env = {"news@shop.example", "192.0.2.1", 1, &r, 1, 0};
	const char *in_attachment =
	    HDR "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\nAngebot\r\n"
	    "--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"i.txt\"\r\n\r\nImpressum: Shop GmbH\r\n"
	    "--b--\r\n";
	const char *in_body =
	    HDR "Content-Type: text/plain\r\n\r\nAngebot\r\nImpressum: Shop GmbH\r\n";
	struct pol_message *m;
	struct pol_verdict v;
	size_t i;
	int imprint = 0;

	(void)state;
	assert_non_null(c);
	m = view_parse(in_attachment);
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, m,
				      pol_classify(cfg_pol(c), &env, m), &v), POL_OK);
	for (i = 0; i < v.nhits; i++)
		imprint |= v.hits[i].rule == POL_RULE_CONTENT_IMPRINT;
	assert_true(imprint);
	pol_verdict_clear(&v);
	pol_message_free(m);
	m = view_parse(in_body);
	assert_int_equal(pol_evaluate(cfg_pol(c), &env, m,
				      pol_classify(cfg_pol(c), &env, m), &v), POL_OK);
	assert_int_equal(v.nhits, 0);
	pol_verdict_clear(&v);
	pol_message_free(m);
	cfg_unref(c);
	buf_free(&err);
}

/* A sheet with more hiding rules than are kept: the view is incomplete,
 * and the message says so; one within the bound does not. */
static void
test_sheet_limits(void **state)
{
	struct buf b = BUF_INIT;
	struct pol_message *m;
	int i;

	(void)state;
	buf_puts(&b, "<style>");
	for (i = 0; i < 2000; i++)
		buf_printf(&b, ".c%d{display:none}", i);
	buf_puts(&b, "</style><p class=\"c1999\">x</p>");
	m = view_html(b.data);
	assert_int_equal(m->flags & POL_MSG_TRUNCATED, 0);
	assert_string_equal(hidden_of(m), "x");
	pol_message_free(m);
	for (; i < 2100; i++)
		buf_printf(&b, "<style>.c%d{display:none}</style>", i);
	m = view_html(b.data);
	assert_int_equal(m->flags & POL_MSG_TRUNCATED, POL_MSG_TRUNCATED);
	pol_message_free(m);
	buf_free(&b);
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
	    cmocka_unit_test(test_hidden_inline),
	    cmocka_unit_test(test_hidden_split_word),
	    cmocka_unit_test(test_not_hidden),
	    cmocka_unit_test(test_hidden_unreadable),
	    cmocka_unit_test(test_readable),
	    cmocka_unit_test(test_hidden_by_sheet),
	    cmocka_unit_test(test_image_size_by_sheet),
	    cmocka_unit_test(test_sheet_attributes),
	    cmocka_unit_test(test_sender_names),
	    cmocka_unit_test(test_click_sends),
	    cmocka_unit_test(test_head_script_style),
	    cmocka_unit_test(test_hidden_references),
	    cmocka_unit_test(test_extra_text),
	    cmocka_unit_test(test_references),
	    cmocka_unit_test(test_base_href),
	    cmocka_unit_test(test_bidi),
	    cmocka_unit_test(test_attached_parts),
	    cmocka_unit_test(test_attached_imprint),
	    cmocka_unit_test(test_sheet_limits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
