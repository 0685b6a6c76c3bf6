/*
 * test_realworld.c - the real-world and the disguise fixture sets through
 * the real parser and policy.
 *
 * tests/data/realworld/<tool>/ holds DOI and newsletter mails written the
 * way an open-source mailing tool fills in its shipped templates at send
 * time, each directory with its own realworld.conf (the sender's
 * ConfirmURL, PrivacyURL, ImprintText...), compliant ones and one variant
 * per tool with one realistic violation (tests/data/realworld/SOURCES.md).
 * tests/data/disguise/ holds violations dressed up to slip past a reader
 * of the raw mail, and compliant mails dressed up to look like violations,
 * judged with tests/data/disguise/disguise.conf.
 *
 * Every fixture declares its verdict and class in X-Test-* headers (see
 * fixture.h).  Per set the test prints
 *   <set>: compliant passed X/Y, violations caught X/Y, right rule X/Y
 * where "caught" means some rule refused the violation and "right rule"
 * that exactly the declared rules fired; every miss is printed with its
 * expected and actual rules and hits.  The real-world set must be 100% on
 * all three and hold at least RW_MIN_TOOLS tool directories, each with a
 * compliant mail and a violation.  The disguise set must have at least the
 * percentage of fixtures fully as declared that tests/data/disguise/THRESHOLD
 * names (raised as the rules learn to see through the disguises).
 * tests/data/disguise2/ is a second disguise set, written apart from the
 * first and from the detectors, with its own disguise.conf and THRESHOLD,
 * judged the same way; tests/data/disguise3/ is a third one (other
 * encodings and places for the address, other hiding places for
 * advertising, pixels and the unsubscribe link); tests/data/disguise4/ a
 * fourth (List-Unsubscribe and one-click, recipient exposure, imprint and
 * privacy link, tracking consent, DOI rules).
 */
#include "fixture.h"

#define RW_DIR "tests/data/realworld"
#define DG_DIR "tests/data/disguise"
#define DG2_DIR "tests/data/disguise2"
#define DG3_DIR "tests/data/disguise3"
#define DG4_DIR "tests/data/disguise4"
#define RW_MIN_TOOLS 8
#define DG_MIN_CASES 30

struct rw_stats {
	unsigned clean, clean_pass;         /* X-Test-Expect: pass */
	unsigned viol, viol_caught, viol_right; /* expecting rule ids */
	unsigned bad;                       /* malformed fixtures */
};

static struct cfg *
rw_load(const char *path)
{
	struct buf err = BUF_INIT;
	struct cfg *c = cfg_load(path, &err);

	if (c == NULL)
		fail_msg("%s: %s", path, err.data ? err.data : "cannot load");
	buf_free(&err);
	return c;
}

/* Every *.eml of dir with cfg into st; returns how many were judged. */
static unsigned
rw_run_dir(const char *dir, const struct cfg *cfg, struct rw_stats *st,
	   unsigned *clean, unsigned *viol)
{
	struct fix_result res;
	size_t n, i;
	char **names = fix_list_dir(dir, &n), path[512];

	for (i = 0; i < n; i++) {
		int rc;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		rc = fix_eval(cfg, path, POL_CLASS_OTHER, &res);
		free(names[i]);
		if (res.bad) {
			st->bad++;
			continue;
		}
		if (res.expect_pass) {
			st->clean++;
			(*clean)++;
			st->clean_pass += rc == 0;
		} else {
			st->viol++;
			(*viol)++;
			st->viol_caught += res.any && res.class_ok;
			st->viol_right += rc == 0;
		}
	}
	free(names);
	fflush(stdout);
	return (unsigned)n;
}

static void
rw_print(const char *set, const struct rw_stats *st)
{
	printf("%s: compliant passed %u/%u, violations caught %u/%u, right "
	       "rule %u/%u%s\n", set, st->clean_pass, st->clean,
	       st->viol_caught, st->viol, st->viol_right, st->viol,
	       st->bad ? " (malformed fixtures, see above)" : "");
	fflush(stdout);
}

static int
rw_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The subdirectories of RW_DIR, sorted; *n gets the count. */
static char **
rw_tools(size_t *n)
{
	DIR *d = opendir(RW_DIR);
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0;

	*n = 0;
	if (d == NULL)
		fail_msg("cannot open %s", RW_DIR);
	while ((e = readdir(d)) != NULL) {
		char p[512];
		DIR *sub;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", RW_DIR, e->d_name);
		if ((sub = opendir(p)) == NULL)
			continue;
		closedir(sub);
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = realloc(v, cap * sizeof(*v));
			assert_non_null(v);
		}
		v[(*n)++] = strdup(e->d_name);
		assert_non_null(v[*n - 1]);
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), rw_name_cmp);
	return v;
}

static void
test_realworld(void **state)
{
	struct rw_stats st;
	size_t n, i;
	char **tools = rw_tools(&n), dir[512], conf[600];
	unsigned thin = 0;

	(void)state;
	memset(&st, 0, sizeof(st));
	for (i = 0; i < n; i++) {
		struct cfg *c;
		unsigned clean = 0, viol = 0;

		snprintf(dir, sizeof(dir), "%s/%s", RW_DIR, tools[i]);
		snprintf(conf, sizeof(conf), "%s/realworld.conf", dir);
		c = rw_load(conf);
		rw_run_dir(dir, c, &st, &clean, &viol);
		cfg_unref(c);
		if (clean == 0 || viol == 0) {
			printf("realworld: %s has %u compliant and %u violating "
			       "fixtures; at least one of each is required\n",
			       tools[i], clean, viol);
			thin++;
		}
		free(tools[i]);
	}
	free(tools);
	printf("realworld: %zu tools\n", n);
	rw_print("realworld", &st);
	if (n < RW_MIN_TOOLS || thin)
		fail_msg("%s holds %zu tool directories (%u incomplete); at "
			 "least %d complete ones are required", RW_DIR, n, thin,
			 RW_MIN_TOOLS);
	if (st.bad || st.clean_pass != st.clean || st.viol_caught != st.viol ||
	    st.viol_right != st.viol)
		fail_msg("realworld: every fixture must be judged as declared");
}

/* The percentage in dir/THRESHOLD (its first number). */
static unsigned
dg_threshold(const char *dir)
{
	size_t len;
	char path[512], *s, *p, *end;
	unsigned long v;

	snprintf(path, sizeof(path), "%s/THRESHOLD", dir);
	s = test_read_file(path, &len);
	p = s;
	while (*p && !isdigit((unsigned char)*p)) {
		if (*p == '#') /* skip a comment line */
			while (*p && *p != '\n')
				p++;
		else
			p++;
	}
	v = strtoul(p, &end, 10);
	if (end == p || v > 100)
		fail_msg("%s: no percentage 0-100", path);
	free(s);
	return (unsigned)v;
}

/* One disguise set: every .eml of dir judged with dir/disguise.conf against
 * dir/THRESHOLD; set names it in the output. */
static void
dg_run(const char *dir, const char *set)
{
	struct rw_stats st;
	char conf[512];
	struct cfg *c;
	unsigned clean = 0, viol = 0, total, ok, want = dg_threshold(dir);

	snprintf(conf, sizeof(conf), "%s/disguise.conf", dir);
	c = rw_load(conf);
	memset(&st, 0, sizeof(st));
	total = rw_run_dir(dir, c, &st, &clean, &viol);
	cfg_unref(c);
	rw_print(set, &st);
	ok = st.clean_pass + st.viol_right;
	printf("%s: %u/%u as declared (%u%%), threshold %u%% (%s/"
	       "THRESHOLD)\n", set, ok, total, total ? ok * 100 / total : 0,
	       want, dir);
	fflush(stdout);
	if (total < DG_MIN_CASES)
		fail_msg("%s holds %u fixtures; at least %d are required",
			 dir, total, DG_MIN_CASES);
	if (st.bad || ok * 100 < want * total)
		fail_msg("%s: %u of %u as declared, below the threshold "
			 "of %u%%", set, ok, total, want);
}

static void
test_disguise(void **state)
{
	(void)state;
	dg_run(DG_DIR, "disguise");
}

static void
test_disguise2(void **state)
{
	(void)state;
	dg_run(DG2_DIR, "disguise2");
}

static void
test_disguise3(void **state)
{
	(void)state;
	dg_run(DG3_DIR, "disguise3");
}

static void
test_disguise4(void **state)
{
	(void)state;
	dg_run(DG4_DIR, "disguise4");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_realworld),
		cmocka_unit_test(test_disguise),
		cmocka_unit_test(test_disguise2),
		cmocka_unit_test(test_disguise3),
		cmocka_unit_test(test_disguise4),
	};
	int rc;

	pol_init();
	rc = cmocka_run_group_tests_name("realworld", tests, NULL, NULL);
	pol_shutdown();
	return rc;
}
