/*
 * test_fixtures.c - every .eml fixture under tests/data/doi/ and
 * tests/data/marketing/ through the real parser and policy, judged with
 * tests/data/rules.conf.
 *
 * Each fixture declares in its own headers what the policy must say:
 *   X-Test-Expect:   pass, or a comma-separated list of rule ids that must
 *                    all fire; no other rule may fire
 *   X-Test-Rcpt:     envelope recipient(s), comma-separated
 *                    (default kunde@example.org)
 *   X-Test-Consent:  none|pending|confirmed|withdrawn|customer
 *                    (default confirmed for marketing/, none for doi/)
 *   X-Test-Tracking: yes|no, the recipient's tracking consent (default no)
 *   X-Test-Sender:   envelope sender (default the From address)
 * The headers are read from the raw bytes, not through the parser under
 * test.  A fixture in doi/ must classify as doi, one in marketing/ as
 * marketing, so no fixture passes just because the policy ignored it.
 *
 * FIXTURES_VERBOSE=1 in the environment prints every fixture's hits;
 * FIXTURES_PENDING=1 also runs the awaiting-rule-fix/ subdirectories
 * (fixtures the current rules get wrong; report only, never a failure).
 *
 * The DOI summary counts clean fixtures (X-Test-Expect: pass) and
 * advertising fixtures (expecting doi.advertising); fewer than
 * FIX_MIN_DOI of either fails the test.
 */
#include "testlib.h"

#include <ctype.h>
#include <dirent.h>
#include <strings.h>

#include "../../common/addr.h"
#include "../../policy/policy.h"

#define FIX_NOW ((int64_t)1735732800) /* 2025-01-01T12:00:00Z */
#define FIX_MAX_RCPTS 8
#define FIX_MIN_DOI 15
#define FIX_MIN_MARKETING_PASS 8

static struct cfg *fix_cfg;

struct fix_stats {
	unsigned files, ok, failed;
	unsigned clean, clean_pass, false_pos; /* expect pass */
	unsigned adv, adv_caught, misses;      /* expect doi.advertising */
};

/* ---- raw header access (independent of the parser under test) ---- */

/* Length of the header block of raw (up to the first empty line). */
static size_t
fix_header_end(const char *raw, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (raw[i] != '\n')
			continue;
		if (i + 1 < len && raw[i + 1] == '\n')
			return i + 1;
		if (i + 2 < len && raw[i + 1] == '\r' && raw[i + 2] == '\n')
			return i + 1;
	}
	return len;
}

/* Unfolded, trimmed value of the first header called name, malloc'd, or
 * NULL when absent. */
static char *
fix_header(const char *raw, size_t len, const char *name)
{
	size_t end = fix_header_end(raw, len), nl = strlen(name), i = 0;
	struct buf b = BUF_INIT;

	while (i < end) {
		size_t eol = i;

		while (eol < end && raw[eol] != '\n')
			eol++;
		if (eol - i > nl && strncasecmp(raw + i, name, nl) == 0 &&
		    raw[i + nl] == ':') {
			size_t p = i + nl + 1;

			for (;;) {
				for (; p < eol; p++)
					if (raw[p] != '\r' &&
					    buf_putc(&b, raw[p]) < 0)
						fail_msg("out of memory");
				/* continuation lines start with space or tab */
				if (eol + 1 < end &&
				    (raw[eol + 1] == ' ' || raw[eol + 1] == '\t')) {
					p = eol + 1;
					eol = p;
					while (eol < end && raw[eol] != '\n')
						eol++;
					continue;
				}
				break;
			}
			{
				char *s = buf_steal(&b), *a = s, *e;

				assert_non_null(s);
				while (*a == ' ' || *a == '\t')
					a++;
				e = a + strlen(a);
				while (e > a && (e[-1] == ' ' || e[-1] == '\t'))
					*--e = '\0';
				memmove(s, a, strlen(a) + 1);
				return s;
			}
		}
		i = eol + 1;
	}
	buf_free(&b);
	return NULL;
}

/* Split s at commas in place; trimmed items into v (at most max). */
static size_t
fix_split(char *s, char **v, size_t max)
{
	size_t n = 0;
	char *tok, *save = NULL;

	for (tok = strtok_r(s, ",", &save); tok && n < max;
	     tok = strtok_r(NULL, ",", &save)) {
		char *e;

		while (isspace((unsigned char)*tok))
			tok++;
		e = tok + strlen(tok);
		while (e > tok && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (*tok)
			v[n++] = tok;
	}
	return n;
}

static int
fix_consent_parse(const char *s, enum pol_consent_state *out)
{
	static const struct {
		const char *name;
		enum pol_consent_state st;
	} t[] = {
		{"none", POL_CONSENT_NONE},
		{"pending", POL_CONSENT_PENDING},
		{"confirmed", POL_CONSENT_CONFIRMED},
		{"withdrawn", POL_CONSENT_WITHDRAWN},
		{"customer", POL_CONSENT_CUSTOMER},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcasecmp(s, t[i].name) == 0) {
			*out = t[i].st;
			return 0;
		}
	return -1;
}

static void
fix_print_ids(const char *label, const int *set)
{
	int r, any = 0;

	printf("    %s:", label);
	for (r = 0; r < POL_RULE_COUNT; r++)
		if (set[r]) {
			printf("%s %s", any ? "," : "",
			       pol_rule_info((enum pol_rule)r)->id);
			any = 1;
		}
	printf("%s\n", any ? "" : " pass");
}

/* ---- one fixture ---- */

/* Evaluate one file; 0 when the verdict is as declared, -1 otherwise (the
 * reason is printed).  Updates the statistics. */
static int
fix_run_one(const char *dir, const char *name, enum pol_class want_cls,
	    struct fix_stats *st)
{
	char path[512], *raw, *h, *ids[POL_RULE_COUNT + 4];
	char addrs[FIX_MAX_RCPTS][ADDR_MAX + 1], sender[ADDR_MAX + 1];
	int expect[POL_RULE_COUNT] = {0}, actual[POL_RULE_COUNT] = {0};
	struct pol_recipient rcpts[FIX_MAX_RCPTS];
	struct pol_consent consent = {POL_CONSENT_NONE, 0, 0};
	struct pol_limits lim = {(size_t)fix_cfg->max_parts,
				 (unsigned)fix_cfg->max_mime_depth, 0, 0};
	struct pol_envelope env;
	struct pol_message *msg = NULL;
	struct pol_verdict v;
	size_t len, n, i, nrcpts;
	int bad = 0, r, expect_pass;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	raw = test_read_file(path, &len);

	/* What the fixture declares. */
	h = fix_header(raw, len, "X-Test-Expect");
	if (h == NULL) {
		printf("FIXTURE %s: no X-Test-Expect header\n", path);
		free(raw);
		return -1;
	}
	n = fix_split(h, ids, POL_RULE_COUNT + 4);
	expect_pass = n == 1 && strcasecmp(ids[0], "pass") == 0;
	for (i = 0; i < n && !expect_pass; i++) {
		r = pol_rule_find(ids[i]);
		if (r < 0) {
			printf("FIXTURE %s: unknown rule id '%s' in X-Test-Expect\n",
			       path, ids[i]);
			bad = 1;
		} else {
			expect[r] = 1;
		}
	}
	if (n == 0) {
		printf("FIXTURE %s: empty X-Test-Expect\n", path);
		bad = 1;
	}
	free(h);

	consent.state = want_cls == POL_CLASS_MARKETING ? POL_CONSENT_CONFIRMED
							: POL_CONSENT_NONE;
	if ((h = fix_header(raw, len, "X-Test-Consent")) != NULL) {
		if (fix_consent_parse(h, &consent.state) < 0) {
			printf("FIXTURE %s: bad X-Test-Consent '%s'\n", path, h);
			bad = 1;
		}
		free(h);
	}
	if ((h = fix_header(raw, len, "X-Test-Tracking")) != NULL) {
		if (strcasecmp(h, "yes") == 0)
			consent.tracking = 1;
		else if (strcasecmp(h, "no") != 0) {
			printf("FIXTURE %s: bad X-Test-Tracking '%s'\n", path, h);
			bad = 1;
		}
		free(h);
	}

	nrcpts = 0;
	h = fix_header(raw, len, "X-Test-Rcpt");
	{
		char *list[FIX_MAX_RCPTS];
		char def[] = "kunde@example.org";
		size_t k, m = fix_split(h ? h : def, list, FIX_MAX_RCPTS);

		for (k = 0; k < m; k++) {
			if (addr_normalise(list[k], addrs[nrcpts],
					   sizeof(addrs[0])) < 0) {
				printf("FIXTURE %s: bad X-Test-Rcpt '%s'\n", path,
				       list[k]);
				bad = 1;
				continue;
			}
			rcpts[nrcpts].addr = addrs[nrcpts];
			rcpts[nrcpts].consent = consent;
			nrcpts++;
		}
	}
	free(h);
	if (nrcpts == 0 && !bad) {
		printf("FIXTURE %s: no envelope recipient\n", path);
		bad = 1;
	}

	if (pol_message_parse(raw, len, &lim, &msg) != POL_OK || msg == NULL) {
		printf("FIXTURE %s: pol_message_parse failed\n", path);
		free(raw);
		return -1;
	}

	sender[0] = '\0';
	if ((h = fix_header(raw, len, "X-Test-Sender")) != NULL) {
		if (addr_normalise_sender(h, sender, sizeof(sender)) < 0) {
			printf("FIXTURE %s: bad X-Test-Sender '%s'\n", path, h);
			bad = 1;
		}
		free(h);
	} else {
		snprintf(sender, sizeof(sender), "%s", msg->from_addr);
	}

	if (bad) {
		pol_message_free(msg);
		free(raw);
		return -1;
	}

	memset(&env, 0, sizeof(env));
	env.sender = sender;
	env.client_ip = "127.0.0.1";
	env.tls = 1;
	env.rcpts = rcpts;
	env.nrcpts = nrcpts;
	env.now = FIX_NOW;

	assert_int_equal(pol_evaluate(fix_cfg, &env, msg, -1, &v), POL_OK);
	for (i = 0; i < v.nhits; i++)
		if ((int)v.hits[i].rule >= 0 && v.hits[i].rule < POL_RULE_COUNT)
			actual[v.hits[i].rule] = 1;

	if (v.cls != want_cls) {
		printf("MISMATCH %s: class %s, expected %s (sender '%s', From "
		       "'%s')\n", path, pol_class_name(v.cls),
		       pol_class_name(want_cls), sender, msg->from_addr);
		bad = 1;
	}
	if (memcmp(expect, actual, sizeof(expect)) != 0) {
		printf("MISMATCH %s\n", path);
		bad = 1;
	}
	if (bad || getenv("FIXTURES_VERBOSE") != NULL) {
		if (!bad)
			printf("ok %s (class %s)\n", path, pol_class_name(v.cls));
		fix_print_ids("expected", expect);
		fix_print_ids("actual  ", actual);
		for (i = 0; i < v.nhits; i++)
			printf("    hit %s rcpt=%d where=\"%s\": %s\n",
			       pol_rule_info(v.hits[i].rule)->id, v.hits[i].rcpt,
			       v.hits[i].where ? v.hits[i].where : "",
			       v.hits[i].detail ? v.hits[i].detail : "");
		if (msg->flags)
			printf("    parser flags 0x%x\n", msg->flags);
	}

	/* DOI statistics. */
	if (want_cls == POL_CLASS_DOI) {
		int any = 0;

		for (r = 0; r < POL_RULE_COUNT; r++)
			any |= actual[r];
		if (expect_pass) {
			st->clean++;
			if (!any)
				st->clean_pass++;
			else
				st->false_pos++;
		}
		if (expect[POL_RULE_DOI_ADVERTISING]) {
			st->adv++;
			if (actual[POL_RULE_DOI_ADVERTISING])
				st->adv_caught++;
			else
				st->misses++;
		}
	} else if (expect_pass) {
		st->clean++;
		if (!bad)
			st->clean_pass++;
		else
			st->false_pos++;
	}

	pol_verdict_clear(&v);
	pol_message_free(msg);
	free(raw);
	return bad ? -1 : 0;
}

static int
fix_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.eml of dir, sorted, through fix_run_one.  A missing directory
 * fails the test unless optional. */
static void
fix_run_dir(const char *dir, enum pol_class want_cls, struct fix_stats *st,
	    int optional)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;

	if (d == NULL && optional)
		return;
	if (d == NULL)
		fail_msg("cannot open fixture directory %s", dir);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		if (l < 5 || strcmp(e->d_name + l - 4, ".eml") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			assert_non_null(names);
		}
		names[n] = strdup(e->d_name);
		assert_non_null(names[n]);
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), fix_cmp);
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
	};
	int rc;

	pol_init();
	rc = cmocka_run_group_tests_name("fixtures", tests, fix_setup,
					 fix_teardown);
	pol_shutdown();
	return rc;
}
