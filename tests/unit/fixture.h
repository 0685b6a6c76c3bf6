/*
 * fixture.h - judging one .eml fixture that declares its own expected
 * verdict, shared by test_fixtures.c (tests/data/doi, tests/data/marketing)
 * and test_realworld.c (tests/data/realworld, tests/data/disguise).
 *
 * A fixture declares in its own headers what the policy must say:
 *   X-Test-Expect:   pass, or a comma-separated list of rule ids that must
 *                    all fire; no other rule may fire
 *   X-Test-Class:    doi|marketing, the class the policy must give it
 *                    (default: what the caller says, e.g. by directory)
 *   X-Test-Rcpt:     envelope recipient(s), comma-separated
 *                    (default kunde@example.org)
 *   X-Test-Consent:  none|pending|confirmed|withdrawn|customer
 *                    (default confirmed for marketing, none for doi)
 *   X-Test-Tracking: yes|no, the recipient's tracking consent (default no)
 *   X-Test-Sender:   envelope sender (default the From address)
 * The headers are read from the raw bytes, not through the parser under
 * test.  fix_eval() runs one file through pol_message_parse() and
 * pol_evaluate() with a fixed clock, loopback client and TLS, and prints
 * the expected and actual rule sets and every hit when the verdict is not
 * as declared (or always, with FIXTURES_VERBOSE=1 in the environment).
 * Everything here fails the cmocka test on out of memory; a malformed
 * fixture is reported and counted as not as declared.
 */
#ifndef CG_TEST_FIXTURE_H
#define CG_TEST_FIXTURE_H

#include "testlib.h"

#include <ctype.h>
#include <dirent.h>
#include <strings.h>

#include "../../common/addr.h"
#include "../../gate/config.h"
#include "../../policy/policy.h"

#define FIX_NOW ((int64_t)1735732800) /* 2025-01-01T12:00:00Z */
#define FIX_MAX_RCPTS 8

/* What one fixture declared and what the policy said. */
struct fix_result {
	int expect[POL_RULE_COUNT]; /* rule ids in X-Test-Expect */
	int actual[POL_RULE_COUNT]; /* rule ids that fired */
	int expect_pass;            /* X-Test-Expect: pass */
	int any;                    /* some rule fired */
	int class_ok;               /* the class is the declared one */
	int bad;                    /* malformed fixture: nothing judged */
	enum pol_class want_cls, cls;
};

/* ---- raw header access (independent of the parser under test) ---- */

/* Length of the header block of raw (up to the first empty line). */
static inline size_t
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
static inline char *
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
static inline size_t
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

static inline int
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

static inline void
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

/* Fill the recipients from X-Test-Rcpt (default kunde@example.org), all
 * with consent c.  Returns the count; 0 after printing a problem. */
static inline size_t
fix_rcpts(const char *path, const char *raw, size_t len,
	  struct pol_consent c, struct pol_recipient *rcpts,
	  char addrs[][ADDR_MAX + 1])
{
	char *h = fix_header(raw, len, "X-Test-Rcpt"), *list[FIX_MAX_RCPTS];
	char def[] = "kunde@example.org";
	size_t k, m = fix_split(h ? h : def, list, FIX_MAX_RCPTS), n = 0;

	for (k = 0; k < m; k++) {
		if (addr_normalise(list[k], addrs[n], ADDR_MAX + 1) < 0) {
			printf("FIXTURE %s: bad X-Test-Rcpt '%s'\n", path,
			       list[k]);
			free(h);
			return 0;
		}
		rcpts[n].addr = addrs[n];
		rcpts[n].consent = c;
		n++;
	}
	if (n == 0)
		printf("FIXTURE %s: no envelope recipient\n", path);
	free(h);
	return n;
}

/* Read X-Test-Expect, X-Test-Class, X-Test-Consent and X-Test-Tracking
 * into res and *c; want_cls is the default class.  Returns 0, or -1 after
 * printing what is malformed. */
static inline int
fix_declared(const char *path, const char *raw, size_t len,
	     enum pol_class want_cls, struct fix_result *res,
	     struct pol_consent *c)
{
	char *h, *ids[POL_RULE_COUNT + 4];
	size_t n, i;
	int bad = 0, r;

	if ((h = fix_header(raw, len, "X-Test-Expect")) == NULL) {
		printf("FIXTURE %s: no X-Test-Expect header\n", path);
		return -1;
	}
	n = fix_split(h, ids, POL_RULE_COUNT + 4);
	res->expect_pass = n == 1 && strcasecmp(ids[0], "pass") == 0;
	for (i = 0; i < n && !res->expect_pass; i++) {
		if ((r = pol_rule_find(ids[i])) < 0) {
			printf("FIXTURE %s: unknown rule id '%s' in "
			       "X-Test-Expect\n", path, ids[i]);
			bad = 1;
		} else {
			res->expect[r] = 1;
		}
	}
	if (n == 0) {
		printf("FIXTURE %s: empty X-Test-Expect\n", path);
		bad = 1;
	}
	free(h);
	res->want_cls = want_cls;
	if ((h = fix_header(raw, len, "X-Test-Class")) != NULL) {
		r = pol_class_parse(h);
		if (r != POL_CLASS_DOI && r != POL_CLASS_MARKETING) {
			printf("FIXTURE %s: bad X-Test-Class '%s'\n", path, h);
			bad = 1;
		} else {
			res->want_cls = (enum pol_class)r;
		}
		free(h);
	}
	c->state = res->want_cls == POL_CLASS_MARKETING ? POL_CONSENT_CONFIRMED
							 : POL_CONSENT_NONE;
	if ((h = fix_header(raw, len, "X-Test-Consent")) != NULL) {
		if (fix_consent_parse(h, &c->state) < 0) {
			printf("FIXTURE %s: bad X-Test-Consent '%s'\n", path, h);
			bad = 1;
		}
		free(h);
	}
	if ((h = fix_header(raw, len, "X-Test-Tracking")) != NULL) {
		if (strcasecmp(h, "yes") == 0)
			c->tracking = 1;
		else if (strcasecmp(h, "no") != 0) {
			printf("FIXTURE %s: bad X-Test-Tracking '%s'\n", path, h);
			bad = 1;
		}
		free(h);
	}
	return bad ? -1 : 0;
}

/* Print what was expected, what fired and every hit of v. */
static inline void
fix_report(const struct fix_result *res, const struct pol_verdict *v,
	   const struct pol_message *msg)
{
	size_t i;

	fix_print_ids("expected", res->expect);
	fix_print_ids("actual  ", res->actual);
	for (i = 0; i < v->nhits; i++)
		printf("    hit %s rcpt=%d where=\"%s\": %s\n",
		       pol_rule_info(v->hits[i].rule)->id, v->hits[i].rcpt,
		       v->hits[i].where ? v->hits[i].where : "",
		       v->hits[i].detail ? v->hits[i].detail : "");
	if (msg->flags)
		printf("    parser flags 0x%x\n", msg->flags);
}

/* Judge the fixture at path with cfg; want_cls is its class unless it
 * declares X-Test-Class.  Returns 0 when the verdict (class and rule set)
 * is as declared, -1 otherwise (the reason is printed; res->bad is set
 * when the fixture itself is malformed). */
static inline int
fix_eval(const struct cfg *cfg, const char *path, enum pol_class want_cls,
	 struct fix_result *res)
{
	char addrs[FIX_MAX_RCPTS][ADDR_MAX + 1], sender[ADDR_MAX + 1], *raw, *h;
	struct pol_recipient rcpts[FIX_MAX_RCPTS];
	struct pol_consent consent = {POL_CONSENT_NONE, 0, 0};
	struct pol_limits lim = {(size_t)cfg->pol.max_parts,
				 (unsigned)cfg->pol.max_mime_depth, 0, 0};
	struct pol_envelope env;
	struct pol_message *msg = NULL;
	struct pol_verdict v;
	size_t len, i, nrcpts = 0;
	int ok;

	memset(res, 0, sizeof(*res));
	raw = test_read_file(path, &len);
	if (fix_declared(path, raw, len, want_cls, res, &consent) < 0 ||
	    (nrcpts = fix_rcpts(path, raw, len, consent, rcpts, addrs)) == 0 ||
	    pol_message_parse(raw, len, &lim, &msg) != POL_OK || msg == NULL) {
		if (nrcpts > 0)
			printf("FIXTURE %s: pol_message_parse failed\n", path);
		res->bad = 1;
		free(raw);
		return -1;
	}
	snprintf(sender, sizeof(sender), "%s", msg->from_addr);
	if ((h = fix_header(raw, len, "X-Test-Sender")) != NULL) {
		if (addr_normalise_sender(h, sender, sizeof(sender)) < 0) {
			printf("FIXTURE %s: bad X-Test-Sender '%s'\n", path, h);
			res->bad = 1;
		}
		free(h);
	}
	if (res->bad) {
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
	assert_int_equal(pol_evaluate(cfg_pol(cfg), &env, msg,
				      pol_classify(cfg_pol(cfg), &env, msg), &v), POL_OK);
	for (i = 0; i < v.nhits; i++)
		if ((int)v.hits[i].rule >= 0 && v.hits[i].rule < POL_RULE_COUNT)
			res->actual[v.hits[i].rule] = res->any = 1;
	res->cls = v.cls;
	res->class_ok = v.cls == res->want_cls;

	ok = res->class_ok &&
	     memcmp(res->expect, res->actual, sizeof(res->expect)) == 0;
	if (!res->class_ok)
		printf("MISMATCH %s: class %s, expected %s (sender '%s', From "
		       "'%s')\n", path, pol_class_name(v.cls),
		       pol_class_name(res->want_cls), sender, msg->from_addr);
	else if (!ok)
		printf("MISMATCH %s\n", path);
	else if (getenv("FIXTURES_VERBOSE") != NULL)
		printf("ok %s (class %s)\n", path, pol_class_name(v.cls));
	if (!ok || getenv("FIXTURES_VERBOSE") != NULL)
		fix_report(res, &v, msg);

	pol_verdict_clear(&v);
	pol_message_free(msg);
	free(raw);
	return ok ? 0 : -1;
}

static inline int
fix_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.eml names of dir, sorted, malloc'd (free each and the array);
 * *n gets the count.  NULL with *n = 0 when dir cannot be opened. */
static inline char **
fix_list_dir(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t cap = 0;

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		if (l < 5 || strcmp(e->d_name + l - 4, ".eml") != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			assert_non_null(names);
		}
		names[*n] = strdup(e->d_name);
		assert_non_null(names[*n]);
		(*n)++;
	}
	closedir(d);
	if (*n > 0)
		qsort(names, *n, sizeof(*names), fix_cmp);
	return names;
}

#endif
