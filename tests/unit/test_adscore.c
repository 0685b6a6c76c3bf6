/*
 * test_adscore.c - the sentence-level advertising detector: splitting,
 * the model file, doi.advertising refusing sentences the word lists miss
 * (the sentences of the issue), the legal sentences never counting,
 * AdvertisingThreshold and AdvertisingAllowList, and its cost per mail.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../gate/config.h"
#include "../../policy/adwalk.h"
#include "../../policy/message.h"
#include "../../policy/patterns.h"
#include "../../policy/rules/rules.h"

struct spans {
	size_t s[64], e[64];
	size_t n;
};

static int
collect(void *arg, size_t s, size_t e)
{
	struct spans *sp = arg;

	if (sp->n < 64) {
		sp->s[sp->n] = s;
		sp->e[sp->n] = e;
	}
	sp->n++;
	return 0;
}

/* Stops, abbreviations, dates, short lines and wrapped paragraphs. */
static void
test_split(void **state)
{
	const char *t = "Am 24. November geht es los. Z. B. diese Sache? Ja!\n"
			"Anmeldung best\xc3\xa4tigen\n"
			"Dies ist eine lange Zeile eines umbrochenen Absatzes, die hier\n"
			"weitergeht.";
	struct spans sp = {{0}, {0}, 0};

	(void)state;
	pol_adscore_split(t, strlen(t), collect, &sp);
	assert_int_equal(sp.n, 5);
	assert_memory_equal(t + sp.s[0], "Am 24. November geht es los.", 28);
	assert_int_equal(sp.e[0] - sp.s[0], 28);
	assert_memory_equal(t + sp.s[1] + 1, "Z. B. diese Sache?", 18);
	assert_memory_equal(t + sp.s[4] + 1, "Dies ist", 8);
	assert_int_equal(sp.e[4], strlen(t));
}

/* A text without stops is cut into bounded sentences. */
static void
test_split_bounded(void **state)
{
	char *t = malloc(100001);
	struct spans sp = {{0}, {0}, 0};
	size_t i;

	(void)state;
	for (i = 0; i < 100000; i++)
		t[i] = i % 7 == 6 ? ' ' : 'a';
	t[100000] = '\0';
	pol_adscore_split(t, 100000, collect, &sp);
	assert_true(sp.n >= 100000 / (POL_AD_SENTENCE_MAX + 1));
	for (i = 0; i < sp.n && i < 64; i++)
		assert_true(sp.e[i] - sp.s[i] <= POL_AD_SENTENCE_MAX + 1);
	free(t);
}

static void
test_model_file(void **state)
{
	struct buf err = BUF_INIT;
	const char *good = "admodel 1\nbits 17\nbias -1\nthreshold 0.7\nw 5 0.5\n";
	struct pol_admodel *m;

	(void)state;
	m = pol_admodel_parse("good", good, strlen(good), &err);
	assert_non_null(m);
	assert_true(pol_admodel_threshold(m) > 0.69 &&
		    pol_admodel_threshold(m) < 0.71);
	pol_admodel_free(m);
	assert_null(pol_admodel_parse("bits", "admodel 1\nbits 12\nbias 0\n"
				      "threshold 0.5\n", 38, &err));
	assert_non_null(strstr(err.data, "bits:2:"));
	assert_null(pol_admodel_parse("nothr", "admodel 1\nbits 17\nbias 0\n",
				      25, &err));
	assert_null(pol_admodel_parse("junk", "admodel 1\nbits 17\nbias 0\n"
				      "threshold 0.5\nw 999999999 1\n", 54, &err));
	assert_non_null(pol_admodel_builtin());
	buf_free(&err);
}

/* A plain DOI body with compliant sentences and one added sentence. */
static void
judge(const char *conf, const char *added, struct pol_verdict *v)
{
	static char text[4096];
	struct pol_text_part part = {POL_PART_PLAIN, "1", "text/plain", text, 0,
				     NULL, NULL, 0, NULL, 0};
	struct pol_envelope env = {"", "", 1, NULL, 0, 1700000000, NULL};
	struct buf err = BUF_INIT;
	struct pol_message m;
	struct pol_ctx x;
	struct cfg *c = cfg_parse_text("t.conf", conf, &err);

	if (c == NULL)
		fail_msg("%s", err.data);
	snprintf(text, sizeof(text),
		 "Guten Tag,\n\nvielen Dank f\xc3\xbcr Ihr Interesse an unserem "
		 "Newsletter.\nBitte best\xc3\xa4tigen Sie Ihre Anmeldung mit "
		 "einem Klick auf den folgenden Link.\n\n%s\n\nFalls Sie sich "
		 "nicht selbst angemeldet haben, ignorieren Sie diese E-Mail "
		 "bitte.\n\nMit freundlichen Gr\xc3\xbc\xc3\x9f" "en\nIhr Team\n",
		 added);
	part.text_len = strlen(text);
	memset(&m, 0, sizeof(m));
	m.subject = "Bitte best\xc3\xa4tigen Sie Ihre Anmeldung";
	m.from_name = "Beispiel";
	m.message_id = "";
	m.from_addr = "n@example.com";
	m.parts = &part;
	m.nparts = 1;
	x.ps = cfg_pol(c);
	x.env = &env;
	x.msg = &m;
	x.cls = POL_CLASS_DOI;
	memset(v, 0, sizeof(*v));
	assert_int_equal(pol_rule_doi_advertising.fn(&x, v), 0);
	cfg_unref(c);
	buf_free(&err);
}

/* The hit quoting the sentence, or NULL. */
static const struct pol_hit *
sentence_hit(const struct pol_verdict *v, const char *sentence)
{
	size_t i;

	for (i = 0; i < v->nhits; i++)
		if (strstr(v->hits[i].detail, "advertising sentence") &&
		    strstr(v->hits[i].detail, sentence))
			return &v->hits[i];
	return NULL;
}

/* Advertising the shipped word lists do not match (each is checked to be
 * so), each in an otherwise clean DOI mail: the first three are in no
 * training file, the rest are written ones (data/admodel/written.tsv).
 * They are judged at the shipped threshold (MODEL_ONLY_THRESHOLD empty),
 * the point of at most 1 % false refusals in cross-validation. */
#define MODEL_ONLY_THRESHOLD ""
static const char *const model_only[] = {
	"Wer jetzt zwei Kissen kauft, bekommt das dritte dazu.",
	"Grab our new winter boots before your size is gone.",
	"Die Teppiche aus unserer Manufaktur kosten diesen Monat 30 \xe2\x82\xac "
	"weniger.",
	"Unsere Gartenst\xc3\xbchle gibt es jetzt f\xc3\xbcr 29 Euro.",
	"Early bird prices end this week.",
	"Get a special rate on insurance through our partner.",
};

static void
test_model_only(void **state)
{
	struct pol_verdict v;
	const struct pol_hit *h;
	size_t i;

	(void)state;
	judge(MODEL_ONLY_THRESHOLD, "", &v);
	assert_int_equal(v.nhits, 0);
	pol_verdict_clear(&v);
	for (i = 0; i < sizeof(model_only) / sizeof(model_only[0]); i++) {
		char w[100];

		assert_int_equal(pol_patterns_match(pol_patterns_builtin(),
						    model_only[i],
						    strlen(model_only[i]), w,
						    sizeof(w)), 0);
		judge(MODEL_ONLY_THRESHOLD, model_only[i], &v);
		h = sentence_hit(&v, model_only[i]);
		if (h == NULL)
			fail_msg("not refused: %s", model_only[i]);
		assert_string_equal(h->where, "part 1 text/plain line 6");
		assert_non_null(strstr(h->detail, "score "));
		assert_non_null(strstr(h->detail, "weighed most: \""));
		pol_verdict_clear(&v);
	}
}

/* AdvertisingThreshold raises the bar; AdvertisingAllowList exempts. */
static void
test_threshold_allow(void **state)
{
	char path[] = "/tmp/cgallowXXXXXX", conf[256];
	struct buf err = BUF_INIT;
	struct pol_verdict v;
	int fd;

	(void)state;
	judge("AdvertisingThreshold 0.9999\n", model_only[0], &v);
	assert_null(sentence_hit(&v, model_only[0]));
	pol_verdict_clear(&v);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_true(write(fd, "# own purpose\n\nes jetzt f\xc3\xbcr 29\n", 32) == 32);
	close(fd);
	snprintf(conf, sizeof(conf), MODEL_ONLY_THRESHOLD "AdvertisingAllowList %s\n",
		 path);
	judge(conf, model_only[3], &v);
	assert_null(sentence_hit(&v, model_only[3]));
	pol_verdict_clear(&v);
	judge(conf, model_only[2], &v);
	assert_non_null(sentence_hit(&v, model_only[2]));
	pol_verdict_clear(&v);
	unlink(path);
	assert_null(cfg_parse_text("t.conf", "AdvertisingThreshold 1.5\n", &err));
	assert_non_null(strstr(err.data, "AdvertisingThreshold"));
	buf_free(&err);
}

/* A sentence wholly inside an ImprintText entry never counts (the rules
 * require that text); an entry that is only part of a sentence does not
 * exempt the sentence. */
static void
test_imprint_exempt(void **state)
{
	struct pol_verdict v;
	char conf[256];

	(void)state;
	snprintf(conf, sizeof(conf), "ImprintText %s\n", model_only[3]);
	judge(conf, model_only[3], &v);
	assert_null(sentence_hit(&v, model_only[3]));
	pol_verdict_clear(&v);
	judge("ImprintText Gartenst\xc3\xbchle\n", model_only[3], &v);
	assert_non_null(sentence_hit(&v, model_only[3]));
	pol_verdict_clear(&v);
	judge(conf, model_only[2], &v);
	assert_non_null(sentence_hit(&v, model_only[2]));
	pol_verdict_clear(&v);
}

struct count {
	unsigned n, counted;
	char first[300];
};

static int
count_sentence(void *arg, const char *text, const struct pol_ad_sentence *s)
{
	struct count *c = arg;

	(void)text;
	c->n++;
	if (s->score >= pol_ad_threshold(NULL) && c->counted++ == 0)
		snprintf(c->first, sizeof(c->first), "%.*s", (int)s->norm_len,
			 s->norm);
	return 0;
}

/* Score every line of a pattern test set; returns how many counted. */
static unsigned
score_file(const char *path, unsigned *total, char *first, size_t firstsz)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	unsigned counted = 0;

	assert_non_null(f);
	*total = 0;
	first[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		struct count c = {0, 0, ""};

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		(*total)++;
		assert_int_equal(pol_adscore_text(pol_admodel_builtin(), line,
						  strlen(line), count_sentence, &c),
				 0);
		if (c.counted && counted++ == 0)
			snprintf(first, firstsz, "%s", line);
	}
	fclose(f);
	return counted;
}

/* No legal sentence counts; the promotional rate is printed. */
static void
test_pattern_sets(void **state)
{
	char first[1024];
	unsigned total, n;

	(void)state;
	n = score_file("tests/data/patterns/legal-sentences.txt", &total, first,
		       sizeof(first));
	printf("adscore: legal sentences counted %u/%u\n", n, total);
	if (n)
		fail_msg("legal sentence counted: %s", first);
	n = score_file("tests/data/patterns/promotional-sentences.txt", &total,
		       first, sizeof(first));
	printf("adscore: promotional sentences counted %u/%u (in the training "
	       "data; see make model for cross-validation)\n", n, total);
	assert_true(n * 4 >= total * 3);
}

/* Cost: every sentence of a realistic DOI mail, many times. */
static void
test_cost(void **state)
{
	FILE *f = fopen("tests/data/doi/clean-de-formal-alt-cid-logo.eml", "rb");
	static char raw[65536];
	struct pol_message *m = NULL;
	struct pol_limits lim = {500, 32, 0, 0};
	struct count c = {0, 0, ""};
	struct timespec a, b;
	size_t n, i, k;
	double us;

	(void)state;
	assert_non_null(f);
	n = fread(raw, 1, sizeof(raw), f);
	fclose(f);
	assert_int_equal(pol_message_parse(raw, n, &lim, &m), POL_OK);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (k = 0; k < 200; k++)
		for (i = 0; i < m->nparts; i++)
			pol_adscore_text(pol_admodel_builtin(), m->parts[i].text,
					 m->parts[i].text_len, count_sentence, &c);
	clock_gettime(CLOCK_MONOTONIC, &b);
	us = ((double)(b.tv_sec - a.tv_sec) * 1e6 +
	      (double)(b.tv_nsec - a.tv_nsec) / 1e3) / 200;
	printf("adscore: %u sentences per mail, %.1f us per mail\n", c.n / 200,
	       us);
	assert_true(us < 5000);
	pol_message_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_bounded),
		cmocka_unit_test(test_model_file),
		cmocka_unit_test(test_model_only),
		cmocka_unit_test(test_threshold_allow),
		cmocka_unit_test(test_imprint_exempt),
		cmocka_unit_test(test_pattern_sets),
		cmocka_unit_test(test_cost),
	};

	pol_init();
	return cmocka_run_group_tests_name("adscore", tests, NULL, NULL);
}
