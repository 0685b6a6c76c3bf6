/*
 * test_patterns.c - the advertising pattern lists: the shipped lists
 * compile cleanly, a bad pattern is an error with file:line at config load
 * (not at the first mail), and typical advertising matches while the usual
 * DOI wording does not.
 */
#include "testlib.h"

#include "../../gate/config.h"
#include "../../policy/patterns.h"

static void
test_shipped_lists_compile(void **state)
{
	const char *files[] = {"policy/advertising-de.txt",
			       "policy/advertising-en.txt"};
	struct pol_patterns *set = NULL;
	struct buf err = BUF_INIT;
	size_t i, len;
	char *text;

	(void)state;
	for (i = 0; i < 2; i++) {
		text = test_read_file(files[i], &len);
		if (pol_patterns_compile(files[i], text, len, &err, &set) < 0)
			fail_msg("%s", err.data);
		free(text);
	}
	assert_true(pol_patterns_count(set) >= 40);
	/* The embedded copy is the same lists. */
	assert_int_equal(pol_patterns_count(pol_patterns_builtin()),
			 pol_patterns_count(set));
	pol_patterns_free(set);
	buf_free(&err);
}

static void
test_bad_pattern_at_load(void **state)
{
	struct buf err = BUF_INIT;
	char conf[512], cwd[256];
	struct cfg *c;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(conf, sizeof(conf),
		 "AdvertisingList %s/tests/data/patterns/bad.txt\n", cwd);
	c = cfg_parse_text("t.conf", conf, &err);
	assert_null(c);
	assert_non_null(strstr(err.data, "tests/data/patterns/bad.txt:3: bad pattern"));
	buf_reset(&err);
	snprintf(conf, sizeof(conf), "AdvertisingList %s/nonexistent.txt\n", cwd);
	assert_null(cfg_parse_text("t.conf", conf, &err));
	assert_non_null(strstr(err.data, "AdvertisingList: cannot open"));
	buf_free(&err);
}

static int
test_match(const char *text, char *what, size_t whatsz)
{
	return pol_patterns_match(pol_patterns_builtin(), text, strlen(text), what,
				  whatsz);
}

static void
test_advertising_matches(void **state)
{
	const char *ads[] = {
		"Sichern Sie sich jetzt 20 % Rabatt auf alles!",
		"Als Dankeschön: ein Gutschein über 10 €",
		"Ihr persönliches Angebot wartet",
		"Großer SALE im Januar",
		"Jetzt kaufen und sparen",
		"Jetzt kostenlos testen",
		"Mit dem Gutscheincode SOMMER20",
		"Nur heute: -30% auf Schuhe",
		"Black Friday Woche",
		"Entdecken Sie unsere neue Kollektion",
		"Get 15% off your first order",
		"Free shipping on all orders",
		"Shop now",
		"Use promo code WELCOME",
		"Limited-time offer for subscribers",
		"Versandkostenfrei bestellen",
		"ab 9,99 € im Shop",
	};
	char what[100];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ads) / sizeof(ads[0]); i++)
		if (test_match(ads[i], what, sizeof(what)) != 1)
			fail_msg("not recognised as advertising: %s", ads[i]);
	assert_int_equal(test_match("Jetzt 20 % RABATT", what, sizeof(what)), 1);
	assert_string_equal(what, "20 % RABATT");
}

static void
test_clean_wording(void **state)
{
	const char *clean[] = {
		"Bitte bestätigen Sie Ihre Anmeldung zu unserem Newsletter.",
		"Mit dem Klick auf den Link willigen Sie ein, unseren Newsletter zu erhalten.",
		"Wir informieren Sie etwa einmal im Monat über Neuigkeiten und Angebote.",
		"Die Anmeldung ist kostenlos und jederzeit widerrufbar.",
		"Sie können Ihre Einwilligung jederzeit mit Wirkung für die Zukunft widerrufen.",
		"Hinweise zum Datenschutz finden Sie in unserer Datenschutzerklärung.",
		"Falls Sie sich nicht angemeldet haben, ignorieren Sie diese E-Mail bitte.",
		"Please confirm your subscription to our newsletter.",
		"By clicking the link you agree to receive our newsletter. It is free of charge.",
		"Feel free to contact us if you have questions.",
		"If you did not sign up, simply ignore this message.",
		"Beispiel Shop GmbH, Musterstraße 1, 10115 Berlin, Amtsgericht Berlin HRB 12345",
		"Der Link ist 48 Stunden gültig.",
		"Ihr Team vom Beispiel Shop",
	};
	char what[100];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(clean) / sizeof(clean[0]); i++)
		if (test_match(clean[i], what, sizeof(what)) != 0)
			fail_msg("false positive \"%s\" in: %s", what, clean[i]);
}

/* Run every sentence of file through the shipped lists; count those whose
 * outcome is want (1 match, 0 no match) and print the others. */
static void
test_sentence_file(const char *file, int want, unsigned *good, unsigned *all)
{
	char *text, *line, *save = NULL, what[100];
	size_t len;
	int r;

	text = test_read_file(file, &len);
	*good = *all = 0;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[0] == '\0')
			continue;
		(*all)++;
		r = test_match(line, what, sizeof(what));
		assert_true(r >= 0);
		if (r == want)
			(*good)++;
		else if (want)
			printf("  not recognised as advertising: %s\n", line);
		else
			printf("  false positive \"%s\" in: %s\n", what, line);
	}
	free(text);
}

/* The legal set must pass completely: a DOI mail written in these words
 * is refused otherwise. */
static void
test_legal_sentences(void **state)
{
	unsigned good, all;

	(void)state;
	test_sentence_file("tests/data/patterns/legal-sentences.txt", 0, &good,
			   &all);
	printf("legal sentences: %u/%u pass\n", good, all);
	assert_true(all >= 200);
	assert_int_equal(good, all);
}

/* The promotional set is reported with its rate; it must stay at the rate
 * reached (TEST_PROMO_MIN_PERCENT). */
#define TEST_PROMO_MIN_PERCENT 100
static void
test_promotional_sentences(void **state)
{
	unsigned good, all;

	(void)state;
	test_sentence_file("tests/data/patterns/promotional-sentences.txt", 1,
			   &good, &all);
	printf("promotional sentences: %u/%u match\n", good, all);
	assert_true(all >= 60);
	assert_true(good * 100 >= all * TEST_PROMO_MIN_PERCENT);
}

/* A pattern that backtracks without end over hostile text stops at the
 * bound and counts as no match, never as an error, whether JIT or the
 * interpreter ran it (JIT stops at its own stack first: the interpreter
 * runs it again, so the bound cuts where it always did); a plain match
 * in the same set is still found. */
static void
test_pattern_bounds(void **state)
{
	static const char list[] = "(?:(a)|b)*c\n(x+x+)+y\nrabatt\n";
	struct pol_patterns *set = NULL;
	struct pol_pattern_hit h[4];
	size_t n = 200000, i;
	char *text = malloc(n + 16);

	(void)state;
	assert_non_null(text);
	assert_int_equal(pol_patterns_compile("t", list, strlen(list), NULL, &set), 0);
	for (i = 0; i < n; i++)
		text[i] = i < n / 2 ? 'a' : 'x';
	memcpy(text + n, " c y rabatt", 12);
	/* Each of the first two stops at its first start: no match. */
	assert_int_equal(pol_patterns_find(set, text, n + 11, h, 4), 1);
	assert_int_equal(h[0].start, n + 5);
	assert_int_equal(h[0].end, n + 11);
	pol_patterns_free(set);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_lists_compile),
		cmocka_unit_test(test_bad_pattern_at_load),
		cmocka_unit_test(test_advertising_matches),
		cmocka_unit_test(test_clean_wording),
		cmocka_unit_test(test_legal_sentences),
		cmocka_unit_test(test_promotional_sentences),
		cmocka_unit_test(test_pattern_bounds),
	};

	return cmocka_run_group_tests_name("patterns", tests, NULL, NULL);
}
