/*
 * test_text.c - the text a reader sees: the normaliser (common/textnorm.c)
 * for each class of code point and its map back to the original, imprint
 * matching (pol_text_contains, content.imprint) through soft hyphens and
 * unusual spaces, and doi.advertising reporting every advertising word in
 * every kind of text with its place, quoted as written.
 */
#include "testlib.h"

#include "../../common/textnorm.h"
#include "../../gate/config.h"
#include "../../policy/policy.h"
#include "../../policy/rules/rules.h"
#include "../../policy/rules/util.h"

/* The normalised form of s must be want. */
static void
norm_is(const char *s, const char *want)
{
	char *got = textnorm_string(s);

	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("normalised [%s]\n  want [%s]\n  got  [%s]", s, want, got);
	free(got);
}

static void
test_norm_ignorables(void **state)
{
	(void)state;
	norm_is("Ra\xc2\xad" "batt", "rabatt");              /* U+00AD */
	norm_is("Ra\xe2\x80\x8b" "batt", "rabatt");          /* U+200B */
	norm_is("Ra\xe2\x80\x8c\xe2\x80\x8d" "batt", "rabatt"); /* ZWNJ ZWJ */
	norm_is("Ra\xe2\x80\x8e\xe2\x80\x8f" "batt", "rabatt"); /* LRM RLM */
	norm_is("Ra\xe2\x81\xa0" "batt", "rabatt");          /* U+2060 */
	norm_is("Ra\xe2\x81\xa4" "batt", "rabatt");          /* U+2064 */
	norm_is("\xef\xbb\xbf" "Rabatt", "rabatt");          /* U+FEFF */
	norm_is("Ra\xe2\x80\xaa" "bat\xe2\x80\xaet", "rabatt"); /* U+202A, 202E */
	norm_is("Ra\xe2\x81\xa6" "bat\xe2\x81\xa9t", "rabatt"); /* U+2066, 2069 */
	norm_is("Ra\xef\xb8\x8f" "batt", "rabatt");          /* U+FE0F */
	norm_is("Ra\xcd\x8f" "batt", "rabatt");              /* U+034F */
	assert_true(textnorm_is_ignorable(0x180e));
	assert_false(textnorm_is_ignorable('a'));
}

static void
test_norm_spaces(void **state)
{
	(void)state;
	norm_is("HRB\xc2\xa0" "12345", "hrb 12345");         /* U+00A0 */
	norm_is("HRB\xe2\x80\xaf" "12345", "hrb 12345");     /* U+202F */
	norm_is("a\xe2\x80\x80" "b\xe2\x80\x8a" "c", "a b c"); /* U+2000, 200A */
	norm_is("a\xe2\x81\x9f" "b\xe3\x80\x80" "c", "a b c"); /* U+205F, 3000 */
	norm_is("a \t\r\n  \xc2\xa0 b", "a b");
	norm_is("a\xe2\x80\xa8" "b", "a b");                 /* U+2028 */
	assert_true(textnorm_is_space(0x85));
}

static void
test_norm_case_and_nfkc(void **state)
{
	(void)state;
	norm_is("RABATT", "rabatt");
	norm_is("Stra\xc3\x9f" "e", "strasse");               /* ß */
	norm_is("GR\xc3\x96\xc3\x9f" "E", "gr\xc3\xb6sse");   /* Ö */
	norm_is("\xef\xbc\xb3\xef\xbc\xa1\xef\xbc\xac\xef\xbc\xa5", "sale"); /* fullwidth */
	norm_is("\xef\xac\x81" "nal", "final");               /* U+FB01 fi */
	norm_is("\xf0\x9d\x90\x91" "abatt", "rabatt");        /* math bold R */
	norm_is("Ca" "fe\xcc\x81", "caf\xc3\xa9");            /* e + U+0301 */
	norm_is("\xe2\x91\xa0", "1");                         /* circled 1 */
}

static void
test_norm_lookalikes(void **state)
{
	(void)state;
	/* Cyrillic а е о р с х у і ѕ ј */
	norm_is("\xd0\xb0\xd0\xb5\xd0\xbe\xd1\x80\xd1\x81\xd1\x85\xd1\x83"
		"\xd1\x96\xd1\x95\xd1\x98", "aeopcxyisj");
	/* "Rаbаtt" with Cyrillic a, "ЅALE" with Cyrillic S and A */
	norm_is("R\xd0\xb0" "b\xd0\xb0" "tt", "rabatt");
	norm_is("\xd0\x85\xd0\x90" "LE", "sale");
	/* Greek capitals Α Ο Ε Ρ Τ Κ Μ Ν Ι and small α ο */
	norm_is("\xce\x91\xce\x9f\xce\x95\xce\xa1\xce\xa4\xce\x9a\xce\x9c\xce\x9d"
		"\xce\x99", "aoeptkmni");
	norm_is("\xce\xb1\xce\xbf", "ao");
	assert_int_equal(textnorm_skeleton(0x0430), 'a');
	assert_int_equal(textnorm_skeleton(0x4e00), 0x4e00);
}

/* The word-matching form of s must be want. */
static void
words_are(const char *s, const char *want)
{
	struct textnorm tn;

	assert_int_equal(textnorm_make_words(&tn, s, strlen(s)), 0);
	if (strcmp(tn.text, want) != 0)
		fail_msg("words of [%s]\n  want [%s]\n  got  [%s]", s, want,
			 tn.text);
	assert_int_equal(tn.start[tn.len], strlen(s));
	textnorm_free(&tn);
}

/* Words spread out or spelled with digits read as the word; what is not
 * spread (abbreviations, codes, three letters) stays as written; the
 * plain normal form is untouched. */
static void
test_norm_unspread(void **state)
{
	const char *s = "Jetzt R a b a t t!";
	struct textnorm tn;
	size_t os, oe;

	(void)state;
	words_are("R a b a t t", "rabatt");
	words_are("20 % R.a.b.a.t.t mit G-u-t-s-c-h-e-i-n", "20 % rabatt mit gutschein");
	words_are("B E S T \xc3\x84 T I G U N G", "best\xc3\xa4tigung");
	words_are("R4b4tt und Guts(h3in", "rabatt und gutschein");
	words_are("z.B. u.a. d.h. e.V. U.S.A.", "z.b. u.a. d.h. e.v. u.s.a.");
	words_are("a b c", "a b c");
	words_are("Code A1B2C3, HALLO20, B2B, Win10, 4 Wochen",
		  "code aib2c3, hallo20, b2b, win10, 4 wochen");
	words_are("kunde@example.org und Seite 1-2-3-4",
		  "kunde@example.org und seite 1-2-3-4");
	norm_is("R a b a t t R4b4tt", "r a b a t t r4b4tt");
	/* the map still leads back to the word as written */
	assert_int_equal(textnorm_make_words(&tn, s, strlen(s)), 0);
	assert_string_equal(tn.text, "jetzt rabatt!");
	textnorm_span(&tn, 6, 12, &os, &oe);
	assert_int_equal(os, 6);
	assert_int_equal(oe, strlen(s) - 1);
	textnorm_free(&tn);
}

static void
test_norm_offsets(void **state)
{
	/* "Jetzt Ra<SHY>batt!" with a narrow no-break space run */
	const char *s = "Jetzt\xe2\x80\xaf\xc2\xa0R\xd0\xb0\xc2\xad" "batt!";
	struct textnorm tn;
	size_t os, oe;
	const char *at;

	(void)state;
	assert_int_equal(textnorm_make(&tn, s, strlen(s)), 0);
	assert_string_equal(tn.text, "jetzt rabatt!");
	at = strstr(tn.text, "rabatt");
	textnorm_span(&tn, (size_t)(at - tn.text), (size_t)(at - tn.text) + 6,
		      &os, &oe);
	/* The original word, with its Cyrillic a and soft hyphen. */
	assert_int_equal(os, 10);
	assert_int_equal(oe, strlen(s) - 1);
	assert_memory_equal(s + os, "R\xd0\xb0\xc2\xad" "batt", oe - os);
	/* The one space stands for both original spaces. */
	textnorm_span(&tn, 5, 6, &os, &oe);
	assert_int_equal(os, 5);
	assert_int_equal(oe, 10);
	assert_int_equal(tn.start[tn.len], strlen(s));
	textnorm_free(&tn);
	/* Invalid UTF-8 and NUL are dropped, never an error. */
	assert_int_equal(textnorm_make(&tn, "a\xff\xc3" "b\0c", 6), 0);
	assert_string_equal(tn.text, "abc");
	textnorm_free(&tn);
}

static void
test_text_contains(void **state)
{
	(void)state;
	/* Soft hyphen, no-break space, narrow no-break space in the mail. */
	assert_true(pol_text_contains("Beispiel Ver\xc2\xad" "lag GmbH, HRB 1",
				      "Beispiel Verlag GmbH"));
	assert_true(pol_text_contains("Amtsgericht Berlin HRB\xc2\xa0" "12345",
				      "HRB 12345"));
	assert_true(pol_text_contains("USt-IdNr.\xe2\x80\xaf" "DE\xe2\x80\xaf" "123456789",
				      "USt-IdNr. DE 123456789"));
	/* ... or in the configured ImprintText. */
	assert_true(pol_text_contains("HRB 12345", "HRB\xc2\xa0" "12345"));
	assert_true(pol_text_contains("Musterstrasse 1", "Musterstra\xc3\x9f" "e 1"));
	assert_true(pol_text_contains("a\n  b", " a b "));
	assert_true(pol_text_contains("x", ""));
	assert_false(pol_text_contains("HRB 1234", "HRB 12345"));
	assert_false(pol_text_contains(NULL, "x"));
}

/* content.imprint over a parsed mail whose imprint carries a soft hyphen
 * and narrow no-break spaces. */
static void
test_imprint_rule(void **state)
{
	const char *raw =
		"From: Beispiel <newsletter@example.com>\r\n"
		"To: anna@kunde.example\r\nSubject: Anmeldung\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n\r\n"
		"Bitte bestaetigen Sie.\r\n"
		"Bei\xc2\xad" "spiel GmbH, Amtsgericht Berlin HRB\xe2\x80\xaf" "12345\r\n";
	struct buf err = BUF_INIT;
	struct pol_limits lim = {100, 20, 0, 0};
	struct pol_envelope env = {"", "", 1, NULL, 0, 1700000000, NULL};
	struct pol_message *m = NULL;
	struct pol_verdict v = {0};
	struct pol_ctx x;
	struct cfg *c;
	size_t i;

	(void)state;
	c = cfg_parse_text("t.conf", "ImprintText Beispiel GmbH\n"
				     "ImprintText HRB 12345\n", &err);
	assert_non_null(c);
	assert_int_equal(pol_message_parse(raw, strlen(raw), &lim, &m), POL_OK);
	x.ps = cfg_pol(c);
	x.env = &env;
	x.msg = m;
	x.cls = POL_CLASS_DOI;
	assert_int_equal(pol_rule_content_imprint.fn(&x, &v), 0);
	for (i = 0; i < v.nhits; i++)
		if (v.hits[i].rule == POL_RULE_CONTENT_IMPRINT)
			fail_msg("imprint not found: %s", v.hits[i].detail);
	pol_verdict_clear(&v);
	pol_message_free(m);
	cfg_unref(c);
	buf_free(&err);
}

/* The hit at where with the detail naming word, or fail. */
static void
hit_is(const struct pol_verdict *v, const char *where, const char *word)
{
	char want[200];
	size_t i;

	snprintf(want, sizeof(want), "advertising wording \"%s\"", word);
	for (i = 0; i < v->nhits; i++)
		if (strcmp(v->hits[i].where, where) == 0 &&
		    strcmp(v->hits[i].detail, want) == 0)
			return;
	for (i = 0; i < v->nhits; i++)
		printf("  hit where=\"%s\": %s\n", v->hits[i].where,
		       v->hits[i].detail);
	fail_msg("no hit \"%s\" at \"%s\"", word, where);
}

static void
doi_judge(struct pol_message *m, struct pol_verdict *v)
{
	struct buf err = BUF_INIT;
	struct pol_envelope env = {"", "", 1, NULL, 0, 1700000000, NULL};
	struct pol_ctx x;
	struct cfg *c = cfg_parse_text("t.conf", "DoiSenders n@example.com\n", &err);

	assert_non_null(c);
	x.ps = cfg_pol(c);
	x.env = &env;
	x.msg = m;
	x.cls = POL_CLASS_DOI;
	memset(v, 0, sizeof(*v));
	assert_int_equal(pol_rule_doi_advertising.fn(&x, v), 0);
	cfg_unref(c);
	buf_free(&err);
}

/* Every kind of text and every word, with its place, as written. */
static void
test_doi_every_cause(void **state)
{
	struct pol_text_part part = {
		POL_PART_HTML, "1.2", "text/html",
		"Bitte best\xc3\xa4tigen Sie.\nJetzt Ra\xc2\xad" "batt sichern!\n",
		0, NULL,
		"Gro\xc3\x9f" "er SALE im Januar", 0,
		"Gratis\xc2\xa0Versand", 0};
	struct pol_message m;
	struct pol_verdict v;

	(void)state;
	memset(&m, 0, sizeof(m));
	part.text_len = strlen(part.text);
	part.hidden_len = strlen(part.hidden);
	part.extra_len = strlen(part.extra);
	m.subject = "Best\xc3\xa4tigen Sie: 20 % R\xd0\xb0" "batt";
	m.from_name = "Shop mit Gutscheinen";
	m.message_id = "";
	m.from_addr = "n@example.com";
	m.parts = &part;
	m.nparts = 1;
	doi_judge(&m, &v);
	hit_is(&v, "header Subject", "20 % R\xd0\xb0" "batt");
	hit_is(&v, "From name", "Gutscheinen");
	hit_is(&v, "part 1.2 text/html line 2", "Ra\xc2\xad" "batt");
	hit_is(&v, "hidden text of part 1.2 text/html line 1", "SALE");
	hit_is(&v, "title, alt or generated text of part 1.2 text/html line 1",
	       "Gratis\xc2\xa0Versand");
	assert_int_equal(v.nhits, 5);
	pol_verdict_clear(&v);
}

/* At most ten words are reported, however many there are. */
static void
test_doi_cap(void **state)
{
	struct pol_text_part part = {POL_PART_PLAIN, "1", "text/plain", NULL, 0,
				     NULL, NULL, 0, NULL, 0};
	struct buf b = BUF_INIT;
	struct pol_message m;
	struct pol_verdict v;
	int i;

	(void)state;
	for (i = 0; i < 30; i++)
		buf_printf(&b, "Zeile %d: Rabatt\n", i);
	memset(&m, 0, sizeof(m));
	part.text = b.data;
	part.text_len = b.len;
	m.subject = "";
	m.from_name = "";
	m.message_id = "";
	m.from_addr = "";
	m.parts = &part;
	m.nparts = 1;
	doi_judge(&m, &v);
	assert_int_equal(v.nhits, 10);
	hit_is(&v, "part 1 text/plain line 10", "Rabatt");
	pol_verdict_clear(&v);
	buf_free(&b);
}

/* A campaign picture is no logo, even when small and from an own host. */
static void
test_slug(void **state)
{
	struct buf err = BUF_INIT;
	struct cfg *c = cfg_parse_text("t.conf", "DoiSenders n@example.com\n", &err);
	char slug[200];

	(void)state;
	assert_non_null(c);
	assert_int_equal(pol_doi_words_in_slug(
		cfg_pol(c), "https://cdn.example.com/img/fruehjahr-2026-banner.png?v=2",
		slug, sizeof(slug)), 1);
	assert_string_equal(slug, "img fruehjahr 2026 banner");
	assert_int_equal(pol_doi_words_in_slug(
		cfg_pol(c), "https://cdn.example.com/img/20%25_rabatt.jpg", slug,
		sizeof(slug)), 1);
	assert_int_equal(pol_doi_words_in_slug(
		cfg_pol(c), "cid:sale_header@01DA1234", slug, sizeof(slug)), 1);
	assert_string_equal(slug, "sale header");
	assert_int_equal(pol_doi_words_in_slug(
		cfg_pol(c), "https://www.example.com/assets/logo-beispiel-gmbh.png", slug,
		sizeof(slug)), 0);
	assert_int_equal(pol_doi_words_in_slug(cfg_pol(c), "cid:logo@x", slug,
					       sizeof(slug)), 0);
	cfg_unref(c);
	buf_free(&err);
}

/* The ASCII-run path gives what one character at a time gave: the text
 * of textnorm_make equals textnorm_string's, an ASCII letter before a
 * combining mark still combines, and each output byte maps back into
 * the input, in order. */
static void
test_norm_ascii_runs(void **state)
{
	static const char *const bits[] = {
	    "a", "B", " ", "\t", "\n", "  ", "e\xcc\x81", "\xc3\x9f",
	    "\xe2\x80\x9e", "\xc2\xa0", "\xc2\xad", "Z", "0", "\xd0\xb0",
	    "\xe2\x82\xac", "!", "\r\n"};
	const size_t nb = sizeof(bits) / sizeof(bits[0]);
	unsigned seed = 7;
	char s[256];
	struct textnorm tn;
	size_t i, k, len;
	char *str;

	(void)state;
	norm_is("Cafe\xcc\x81 GmbH", "caf\xc3\xa9 gmbh");
	norm_is("A  \t B\xe2\x80\x8b" "C", "a bc");
	for (i = 0; i < 2000; i++) {
		s[0] = '\0';
		len = 0;
		for (k = 0; k < 1 + i % 12; k++) {
			const char *b;

			seed = seed * 1103515245u + 12345u;
			b = bits[(seed >> 16) % nb];
			memcpy(s + len, b, strlen(b) + 1);
			len += strlen(b);
		}
		assert_int_equal(textnorm_make(&tn, s, len), 0);
		assert_non_null(str = textnorm_string(s));
		if (strcmp(str, tn.text) != 0)
			fail_msg("[%s]: make [%s], string [%s]", s, tn.text, str);
		for (k = 0; k < tn.len; k++) {
			assert_true(tn.start[k] < tn.end[k]);
			assert_true(tn.end[k] <= len);
			if (k > 0)
				assert_true(tn.start[k] >= tn.start[k - 1]);
		}
		free(str);
		textnorm_free(&tn);
	}
}

/* Upside-down text is read the right way up: turned letters turned back,
 * a run of turned words in reverse order, b/q d/p n/u swapped, a capital's
 * case from the original; plain words between runs, one IPA letter and
 * scripts that only lend a stand-in glyph stay as they are; the map of
 * the turned word still covers the original word. */
static void
test_norm_upside_down(void **state)
{
	static const char word[] = "x \xca\x87\xca\x87\xc9\x90q\xc9\x90\xe1\xb4\x9a y";
	struct textnorm tn;
	size_t os, oe;

	(void)state;
	norm_is("\xca\x87\xca\x87\xc9\x90q\xc9\x90\xe1\xb4\x9a und "
		"u\xc4\xb1\xc7\x9d\xc9\xa5\xc9\x94s\xca\x87n\xd7\xa4",
		"rabatt und gutschein");
	norm_is("\xc2\xa1\xe1\x84\x85 \xc7\x9d\xca\x87n\xc7\x9d\xc9\xa5 \xc9\xb9nN",
		"nur heute 2!");
	norm_is("Der Laut \xc9\x90 im IPA", "der laut \xc9\x90 im ipa");
	norm_is("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd7\xa4\xd7\x94",
		"\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd7\xa4\xd7\x94");
	assert_int_equal(textnorm_make(&tn, word, strlen(word)), 0);
	assert_string_equal(tn.text, "x rabatt y");
	textnorm_span(&tn, 2, 8, &os, &oe);
	assert_int_equal(os, 2);
	assert_int_equal(oe, strlen(word) - 2);
	textnorm_free(&tn);
}

/* textnorm_blank: text that shows nothing (what a link must not be). */
static void
test_norm_blank(void **state)
{
	(void)state;
	assert_true(textnorm_blank(""));
	assert_true(textnorm_blank(" \xe2\x80\x8b\xc2\xa0\t\xc2\xad"));
	assert_false(textnorm_blank("\xe2\x80\x8b" "x"));
	assert_false(textnorm_blank("\xc3\xa4"));
	assert_false(textnorm_blank("\xff"));
}

/* pol_part_line reads a plain part's lines through the line index the
 * view builds: first, middle, last without a newline, empty, past the end. */
static void
test_part_line(void **state)
{
	const char *raw = "From: a@example.com\nTo: b@example.org\n"
			  "Subject: x\nContent-Type: text/plain; charset=utf-8\n\n"
			  "eins\nzwei https://example.com/abmelden\n\nvier";
	struct pol_limits lim = {0, 0, 0, 0};
	struct pol_message *m = NULL;
	char line[64];

	(void)state;
	assert_int_equal(pol_message_parse(raw, strlen(raw), &lim, &m), POL_OK);
	assert_int_equal(m->nparts, 1);
	assert_non_null(m->parts[0].line_start);
	pol_part_line(&m->parts[0], 1, line, sizeof(line));
	assert_string_equal(line, "eins");
	pol_part_line(&m->parts[0], 2, line, sizeof(line));
	assert_string_equal(line, "zwei https://example.com/abmelden");
	pol_part_line(&m->parts[0], 3, line, sizeof(line));
	assert_string_equal(line, "");
	pol_part_line(&m->parts[0], 4, line, sizeof(line));
	assert_string_equal(line, "vier");
	pol_part_line(&m->parts[0], 5, line, sizeof(line));
	assert_string_equal(line, "");
	pol_part_line(&m->parts[0], 2, line, 5);
	assert_string_equal(line, "zwei");
	assert_int_equal(m->nlinks, 1);
	assert_int_equal(m->links[0].line, 2);
	pol_message_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_norm_ignorables),
		cmocka_unit_test(test_norm_spaces),
		cmocka_unit_test(test_norm_case_and_nfkc),
		cmocka_unit_test(test_norm_lookalikes),
		cmocka_unit_test(test_norm_offsets),
		cmocka_unit_test(test_norm_unspread),
		cmocka_unit_test(test_text_contains),
		cmocka_unit_test(test_imprint_rule),
		cmocka_unit_test(test_doi_every_cause),
		cmocka_unit_test(test_doi_cap),
		cmocka_unit_test(test_slug),
		cmocka_unit_test(test_norm_ascii_runs),
		cmocka_unit_test(test_norm_upside_down),
		cmocka_unit_test(test_norm_blank),
		cmocka_unit_test(test_part_line),
	};

	pol_init();
	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
