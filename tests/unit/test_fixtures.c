/*
 * test_fixtures.c - every .eml fixture under tests/data/doi/ and
 * tests/data/marketing/ (and their inputs/ subdirectories: fixtures whose
 * verdict depends on what the mail does not carry - TLS, SPF, an earlier
 * DOI mail, per-list consent, a config line) through the real parser and
 * policy, judged with tests/data/rules.conf.
 *
 * Each fixture declares its expected verdict in X-Test-* headers (see
 * fixture.h).  A fixture in doi/ must classify as doi, one in marketing/
 * as marketing, so no fixture passes just because the policy ignored it.
 *
 * FIXTURES_VERBOSE=1 in the environment prints every fixture's hits;
 * FIXTURES_PENDING=1 also runs the awaiting-rule-fix/ subdirectories
 * (fixtures the current rules get wrong; report only, never a failure).
 *
 * The DOI summary counts clean fixtures (X-Test-Expect: pass) and
 * advertising fixtures (expecting doi.advertising); fewer than
 * FIX_MIN_DOI of either fails the test.
 *
 * test_rule_coverage fails when a rule of the catalogue lacks a fixture
 * where it fires (in X-Test-Expect) or one that is its passing case (in
 * X-Test-Passes), among the fixtures judged as declared.
 */
#include "fixture.h"

#define FIX_MIN_DOI 15
#define FIX_MIN_MARKETING_PASS 8

static struct cfg *fix_cfg;

struct fix_stats {
	unsigned files, ok, failed;
	unsigned clean, clean_pass, false_pos; /* expect pass */
	unsigned adv, adv_caught, misses;      /* expect doi.advertising */
	/* Per rule: fixtures as declared where it fired / passed. */
	unsigned fired[POL_RULE_COUNT], passed[POL_RULE_COUNT];
};

/* Judge one file and update the statistics; 0 when as declared. */
static int
fix_run_one(const char *dir, const char *name, enum pol_class want_cls,
	    struct fix_stats *st)
{
	struct fix_result res;
	char path[512];
	int rc, r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rc = fix_eval(fix_cfg, path, want_cls, &res);
	if (res.bad)
		return -1;
	for (r = 0; r < POL_RULE_COUNT && rc == 0; r++) {
		st->fired[r] += res.expect[r] && res.actual[r];
		st->passed[r] += res.passes[r] && !res.actual[r];
	}
	/* DOI statistics. */
	if (want_cls == POL_CLASS_DOI) {
		if (res.expect_pass) {
			st->clean++;
			if (!res.any)
				st->clean_pass++;
			else
				st->false_pos++;
		}
		if (res.expect[POL_RULE_DOI_ADVERTISING]) {
			st->adv++;
			if (res.actual[POL_RULE_DOI_ADVERTISING])
				st->adv_caught++;
			else
				st->misses++;
		}
	} else if (res.expect_pass) {
		st->clean++;
		if (rc == 0)
			st->clean_pass++;
		else
			st->false_pos++;
	}
	return rc;
}

/* Every *.eml of dir, sorted, through fix_run_one.  A missing directory
 * fails the test unless optional. */
static void
fix_run_dir(const char *dir, enum pol_class want_cls, struct fix_stats *st,
	    int optional)
{
	size_t n, i;
	char **names = fix_list_dir(dir, &n);

	if (names == NULL && !optional) {
		DIR *d = opendir(dir);

		if (d == NULL)
			fail_msg("cannot open fixture directory %s", dir);
		closedir(d);
	}
	for (i = 0; i < n; i++) {
		st->files++;
		if (fix_run_one(dir, names[i], want_cls, st) == 0)
			st->ok++;
		else
			st->failed++;
		free(names[i]);
	}
	free(names);
	fflush(stdout);
}

/*
 * FIXTURES_PENDING=1: also run dir/awaiting-rule-fix/, fixtures whose
 * declared verdict is what the law requires but which the current rules
 * get wrong.  Report only; once one comes out as declared, move it up.
 */
static void
fix_run_pending(const char *dir, enum pol_class want_cls)
{
	struct fix_stats st;
	char sub[256];

	if (getenv("FIXTURES_PENDING") == NULL)
		return;
	memset(&st, 0, sizeof(st));
	snprintf(sub, sizeof(sub), "%s/awaiting-rule-fix", dir);
	printf("---- %s (report only) ----\n", sub);
	fix_run_dir(sub, want_cls, &st, 1);
	printf("%s: %u fixtures, %u now as declared (move those up), %u "
	       "still wrong\n", sub, st.files, st.ok, st.failed);
	fflush(stdout);
}

static void
test_doi_fixtures(void **state)
{
	struct fix_stats st;

	(void)state;
	memset(&st, 0, sizeof(st));
	fix_run_dir("tests/data/doi", POL_CLASS_DOI, &st, 0);
	fix_run_dir("tests/data/doi/inputs", POL_CLASS_DOI, &st, 0);
	printf("doi: %u fixtures, %u as declared, %u not\n", st.files, st.ok,
	       st.failed);
	printf("doi: %u clean pass, %u advertising caught; false positives %u, "
	       "misses %u\n", st.clean_pass, st.adv_caught, st.false_pos,
	       st.misses);
	fflush(stdout);
	fix_run_pending("tests/data/doi", POL_CLASS_DOI);
	if (st.clean < FIX_MIN_DOI || st.adv < FIX_MIN_DOI)
		fail_msg("tests/data/doi holds %u clean and %u advertising "
			 "fixtures; at least %d of each are required",
			 st.clean, st.adv, FIX_MIN_DOI);
	if (st.failed)
		fail_msg("%u DOI fixture(s) got a verdict other than declared",
			 st.failed);
}

static void
test_marketing_fixtures(void **state)
{
	struct fix_stats st;

	(void)state;
	memset(&st, 0, sizeof(st));
	fix_run_dir("tests/data/marketing", POL_CLASS_MARKETING, &st, 0);
	fix_run_dir("tests/data/marketing/inputs", POL_CLASS_MARKETING, &st, 0);
	printf("marketing: %u fixtures, %u as declared, %u not; %u compliant "
	       "pass, %u refused as declared\n", st.files, st.ok, st.failed,
	       st.clean_pass, st.ok - st.clean_pass);
	fflush(stdout);
	fix_run_pending("tests/data/marketing", POL_CLASS_MARKETING);
	if (st.clean < FIX_MIN_MARKETING_PASS)
		fail_msg("tests/data/marketing holds %u compliant fixtures; at "
			 "least %d are required", st.clean,
			 FIX_MIN_MARKETING_PASS);
	if (st.failed)
		fail_msg("%u marketing fixture(s) got a verdict other than "
			 "declared", st.failed);
}

/* Order and shipping mails of shop systems (transactional.advertising):
 * class other unless the fixture says otherwise. */
static void
test_transactional_fixtures(void **state)
{
	struct fix_stats st;

	(void)state;
	memset(&st, 0, sizeof(st));
	fix_run_dir("tests/data/transactional", POL_CLASS_OTHER, &st, 0);
	printf("transactional: %u fixtures, %u as declared, %u not\n", st.files,
	       st.ok, st.failed);
	fflush(stdout);
	if (st.files == 0 || st.failed)
		fail_msg("%u transactional fixture(s) got a verdict other than "
			 "declared", st.failed);
}

/* Every rule has a fixture where it fires and one where it passes. */
static void
test_rule_coverage(void **state)
{
	struct fix_stats st;
	unsigned missing = 0;
	int r;

	(void)state;
	memset(&st, 0, sizeof(st));
	fix_run_dir("tests/data/doi", POL_CLASS_DOI, &st, 0);
	fix_run_dir("tests/data/doi/inputs", POL_CLASS_DOI, &st, 0);
	fix_run_dir("tests/data/marketing", POL_CLASS_MARKETING, &st, 0);
	fix_run_dir("tests/data/marketing/inputs", POL_CLASS_MARKETING, &st, 0);
	fix_run_dir("tests/data/transactional", POL_CLASS_OTHER, &st, 0);
	for (r = 0; r < POL_RULE_COUNT; r++) {
		const char *id = pol_rule_info((enum pol_rule)r)->id;

		if (st.fired[r] == 0) {
			printf("coverage: no fixture where %s fires "
			       "(X-Test-Expect)\n", id);
			missing++;
		}
		if (st.passed[r] == 0) {
			printf("coverage: no fixture where %s passes "
			       "(X-Test-Passes)\n", id);
			missing++;
		}
	}
	printf("coverage: %d rules, %u gaps\n", POL_RULE_COUNT, missing);
	fflush(stdout);
	if (missing)
		fail_msg("%u rule(s) lack a firing or a passing fixture", missing);
}

static int
fix_setup(void **state)
{
	struct buf err = BUF_INIT;

	(void)state;
	fix_cfg = cfg_load("tests/data/rules.conf", &err);
	if (fix_cfg == NULL) {
		fprintf(stderr, "tests/data/rules.conf: %s\n",
			err.data ? err.data : "cannot load");
		buf_free(&err);
		return -1;
	}
	buf_free(&err);
	return 0;
}

static int
fix_teardown(void **state)
{
	(void)state;
	cfg_unref(fix_cfg);
	fix_cfg = NULL;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doi_fixtures),
		cmocka_unit_test(test_marketing_fixtures),
		cmocka_unit_test(test_transactional_fixtures),
		cmocka_unit_test(test_rule_coverage),
	};
	int rc;

	pol_init();
	rc = cmocka_run_group_tests_name("fixtures", tests, fix_setup,
					 fix_teardown);
	pol_shutdown();
	return rc;
}
