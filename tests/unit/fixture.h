/*
 * fixture.h - judging one .eml fixture that declares its own expected
 * verdict, shared by test_fixtures.c (tests/data/doi, tests/data/marketing)
 * and test_realworld.c (tests/data/realworld, tests/data/disguise).
 *
 * A fixture declares in its own headers what the policy must say:
 *   X-Test-Expect:   pass, or a comma-separated list of rule ids that must
 *                    all fire; no other rule may fire
 *   X-Test-Class:    doi|marketing|transactional|other, the class the policy must give it
 *                    (default: what the caller says, e.g. by directory)
 *   X-Test-Rcpt:     envelope recipient(s), comma-separated
 *                    (default kunde@example.org)
 *   X-Test-Consent:  none|pending|confirmed|withdrawn|customer
 *                    (default confirmed for marketing, none for doi)
 *   X-Test-Tracking: yes|no, the recipient's tracking consent (default no)
 *   X-Test-Sender:   envelope sender (default the From address)
 *   X-Test-Passes:   rule ids this fixture is the passing case of: each
 *                    must apply to the fixture's class and must not fire
 *                    (test_fixtures requires one per rule, besides one
 *                    where it fires)
 * and the inputs that do not come from the mail itself:
 *   X-Test-TLS:      yes|no, whether the client used TLS (default yes)
 *   X-Test-Client:   the client's IP address (default 127.0.0.1)
 *   X-Test-SPF:      the SPF result the milter would pass in (pass, fail,
 *                    softfail, neutral, none, permerror, temperror;
 *                    default: no check ran)
 *   X-Test-Prior-DOI: HOURS [same], a DOI mail went to every recipient
 *                    HOURS before the fixed clock; "same": that mail was
 *                    this one (its Message-ID and content hash)
 *   X-Test-Consent-Lists: NAME=STATE, ..., the record's lists of consent
 *                    (default none: the consent covers every list)
 *   X-Test-Config:   config lines added to the caller's config file for
 *                    this fixture, separated by ';' (e.g. RequireTLS yes);
 *                    a key given here replaces that key's lines of the file
 * The headers are read from the raw bytes, not through the parser under
 * test.  fix_eval() runs one file through pol_message_parse(),
 * pol_classify() and pol_evaluate() with a fixed clock, and prints
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
#include "../../policy/rules/rules.h"

#define FIX_NOW ((int64_t)1735732800) /* 2025-01-01T12:00:00Z */
#define FIX_MAX_RCPTS 8

/* What one fixture declared and what the policy said. */
struct fix_result {
	int expect[POL_RULE_COUNT]; /* rule ids in X-Test-Expect */
	int passes[POL_RULE_COUNT]; /* rule ids in X-Test-Passes */
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
		if (r < 0) {
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

/* X-Test-Passes into res->passes: known ids, not also expected, of rules
 * that apply to the fixture's class.  0, or -1 after printing why not. */
static inline int
fix_passes(const char *path, const char *raw, size_t len,
	   struct fix_result *res)
{
	char *h = fix_header(raw, len, "X-Test-Passes"), *ids[POL_RULE_COUNT + 4];
	size_t n, i;
	int r, bad = 0;

	if (h == NULL)
		return 0;
	n = fix_split(h, ids, POL_RULE_COUNT + 4);
	for (i = 0; i < n; i++) {
		if ((r = pol_rule_find(ids[i])) < 0) {
			printf("FIXTURE %s: unknown rule id '%s' in "
			       "X-Test-Passes\n", path, ids[i]);
			bad = 1;
		} else if (res->expect[r]) {
			printf("FIXTURE %s: %s both expected and passing\n",
			       path, ids[i]);
			bad = 1;
		} else if (!(pol_rule_def((enum pol_rule)r)->classes &
			     (1u << res->want_cls))) {
			printf("FIXTURE %s: %s does not apply to %s mail, so "
			       "passing it proves nothing\n", path, ids[i],
			       pol_class_name(res->want_cls));
			bad = 1;
		} else {
			res->passes[r] = 1;
		}
	}
	if (n == 0) {
		printf("FIXTURE %s: empty X-Test-Passes\n", path);
		bad = 1;
	}
	free(h);
	return bad ? -1 : 0;
}

/* The inputs a fixture states that are not in the mail. */
struct fix_inputs {
	int tls;
	char client[64];
	char spf[16];       /* "" when no check ran */
	int prior_same;     /* X-Test-Prior-DOI ... same */
};

/* X-Test-Consent-Lists: NAME=STATE, ... into c.  0 or -1 (printed). */
static inline int
fix_consent_lists(const char *path, char *h, struct pol_consent *c)
{
	char *items[POL_LISTS_MAX + 1], *eq;
	size_t n = fix_split(h, items, POL_LISTS_MAX + 1), i;

	if (n == 0 || n > POL_LISTS_MAX)
		goto bad;
	for (i = 0; i < n; i++) {
		if ((eq = strchr(items[i], '=')) == NULL ||
		    (size_t)(eq - items[i]) > POL_LIST_NAME_MAX || eq == items[i])
			goto bad;
		*eq = '\0';
		snprintf(c->lists[i].name, sizeof(c->lists[i].name), "%s",
			 items[i]);
		if (fix_consent_parse(eq + 1, &c->lists[i].state) < 0)
			goto bad;
	}
	c->nlists = (unsigned)n;
	return 0;
bad:
	printf("FIXTURE %s: bad X-Test-Consent-Lists\n", path);
	return -1;
}

/* X-Test-Prior-DOI: HOURS [same] into c->doi_sent_at and in.  0 or -1. */
static inline int
fix_prior_doi(const char *path, const char *h, struct pol_consent *c,
	      struct fix_inputs *in)
{
	char *end;
	long hours = strtol(h, &end, 10);

	while (*end == ' ' || *end == '\t')
		end++;
	if (end == h || hours < 0 || hours > 24L * 3650 ||
	    (*end && strcasecmp(end, "same") != 0)) {
		printf("FIXTURE %s: bad X-Test-Prior-DOI '%s'\n", path, h);
		return -1;
	}
	c->doi_sent_at = FIX_NOW - (int64_t)hours * 3600;
	in->prior_same = *end != '\0';
	return 0;
}

/* X-Test-TLS, -Client, -SPF, -Prior-DOI and -Consent-Lists into in and c
 * (before c is copied to the recipients).  0, or -1 after printing. */
static inline int
fix_inputs_read(const char *path, const char *raw, size_t len,
		struct fix_inputs *in, struct pol_consent *c)
{
	static const char *const spf[] = {"pass", "fail", "softfail", "neutral",
					  "none", "permerror", "temperror"};
	char *h;
	size_t i;
	int bad = 0;

	memset(in, 0, sizeof(*in));
	in->tls = 1;
	snprintf(in->client, sizeof(in->client), "127.0.0.1");
	if ((h = fix_header(raw, len, "X-Test-TLS")) != NULL) {
		if (strcasecmp(h, "yes") == 0 || strcasecmp(h, "no") == 0)
			in->tls = strcasecmp(h, "yes") == 0;
		else {
			printf("FIXTURE %s: bad X-Test-TLS '%s'\n", path, h);
			bad = 1;
		}
		free(h);
	}
	if ((h = fix_header(raw, len, "X-Test-Client")) != NULL) {
		snprintf(in->client, sizeof(in->client), "%s", h);
		free(h);
	}
	if ((h = fix_header(raw, len, "X-Test-SPF")) != NULL) {
		for (i = 0; i < sizeof(spf) / sizeof(spf[0]); i++)
			if (strcasecmp(h, spf[i]) == 0)
				snprintf(in->spf, sizeof(in->spf), "%s", spf[i]);
		if (in->spf[0] == '\0') {
			printf("FIXTURE %s: bad X-Test-SPF '%s'\n", path, h);
			bad = 1;
		}
		free(h);
	}
	if ((h = fix_header(raw, len, "X-Test-Prior-DOI")) != NULL) {
		bad |= fix_prior_doi(path, h, c, in) < 0;
		free(h);
	}
	if ((h = fix_header(raw, len, "X-Test-Consent-Lists")) != NULL) {
		bad |= fix_consent_lists(path, h, c) < 0;
		free(h);
	}
	return bad ? -1 : 0;
}

/* Length of the key (first word) of config line s. */
static inline size_t
fix_key_len(const char *s)
{
	size_t n = 0;

	while (s[n] && s[n] != ' ' && s[n] != '\t' && s[n] != '\n')
		n++;
	return n;
}

/* Is the key of file line line one that the ';'-separated lines of over
 * give? */
static inline int
fix_overridden(const char *line, const char *over)
{
	size_t n = fix_key_len(line);
	const char *p = over;

	while (n > 0 && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		if (fix_key_len(p) == n && strncasecmp(p, line, n) == 0)
			return 1;
		while (*p && *p != ';')
			p++;
	}
	return 0;
}

/* The config for one fixture: cfg itself (a new reference), or cfg's file
 * with the X-Test-Config lines added; a key they give replaces that key's
 * lines of the file.  NULL after printing a problem. */
static inline struct cfg *
fix_config(const struct cfg *cfg, const char *path, const char *raw,
	   size_t len)
{
	char *h = fix_header(raw, len, "X-Test-Config"), *base, *p, *line;
	char *save = NULL;
	struct buf text = BUF_INIT, err = BUF_INIT;
	struct cfg *c;
	size_t blen;

	if (h == NULL)
		return cfg_ref((struct cfg *)cfg);
	base = test_read_file(cfg->path, &blen);
	for (line = strtok_r(base, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (!fix_overridden(line, h))
			assert_int_equal(buf_printf(&text, "%s\n", line), 0);
	for (p = h; *p; p++)
		if (*p == ';')
			*p = '\n';
	assert_int_equal(buf_printf(&text, "%s\n", h), 0);
	c = cfg_parse_text(cfg->path, text.data, &err);
	if (c == NULL)
		printf("FIXTURE %s: X-Test-Config: %s", path,
		       err.data ? err.data : "cannot parse\n");
	buf_free(&text);
	buf_free(&err);
	free(base);
	free(h);
	return c;
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

/* Compare what fired in v with what res declares; print why not.  0 as
 * declared, -1 not. */
static inline int
fix_judge(const char *path, const char *sender, struct fix_result *res,
	  const struct pol_verdict *v, const struct pol_message *msg)
{
	size_t i;
	int ok, r;

	for (i = 0; i < v->nhits; i++)
		if ((int)v->hits[i].rule >= 0 && v->hits[i].rule < POL_RULE_COUNT)
			res->actual[v->hits[i].rule] = res->any = 1;
	res->cls = v->cls;
	res->class_ok = v->cls == res->want_cls;

	ok = res->class_ok &&
	     memcmp(res->expect, res->actual, sizeof(res->expect)) == 0;
	for (r = 0; r < POL_RULE_COUNT; r++)
		if (res->passes[r] && res->actual[r])
			ok = 0; /* expect[r] is 0: already a mismatch */
	if (!res->class_ok)
		printf("MISMATCH %s: class %s, expected %s (sender '%s', From "
		       "'%s')\n", path, pol_class_name(v->cls),
		       pol_class_name(res->want_cls), sender, msg->from_addr);
	else if (!ok)
		printf("MISMATCH %s\n", path);
	else if (getenv("FIXTURES_VERBOSE") != NULL)
		printf("ok %s (class %s)\n", path, pol_class_name(v->cls));
	if (!ok || getenv("FIXTURES_VERBOSE") != NULL)
		fix_report(res, v, msg);
	return ok ? 0 : -1;
}

/* The envelope sender: X-Test-Sender or the From address.  0 or -1. */
static inline int
fix_sender(const char *path, const char *raw, size_t len,
	   const struct pol_message *msg, char *sender, size_t sendersz)
{
	char *h = fix_header(raw, len, "X-Test-Sender");
	int rc = 0;

	snprintf(sender, sendersz, "%s", msg->from_addr);
	if (h != NULL && addr_normalise_sender(h, sender, sendersz) < 0) {
		printf("FIXTURE %s: bad X-Test-Sender '%s'\n", path, h);
		rc = -1;
	}
	free(h);
	return rc;
}

/* Judge the fixture at path with cfg (plus its X-Test-Config lines);
 * want_cls is its class unless it declares X-Test-Class.  Returns 0 when
 * the verdict (class and rule set) is as declared, -1 otherwise (the
 * reason is printed; res->bad is set when the fixture itself is
 * malformed). */
static inline int
fix_eval(const struct cfg *cfg, const char *path, enum pol_class want_cls,
	 struct fix_result *res)
{
	char addrs[FIX_MAX_RCPTS][ADDR_MAX + 1], sender[ADDR_MAX + 1], *raw;
	struct pol_recipient rcpts[FIX_MAX_RCPTS];
	struct pol_consent consent;
	struct fix_inputs in;
	struct pol_envelope env;
	struct pol_message *msg = NULL;
	struct pol_verdict v;
	struct pol_limits lim = {0, 0, 0, 0};
	struct cfg *fc = NULL;
	size_t len, i, nrcpts = 0;
	int ok = -1;

	memset(res, 0, sizeof(*res));
	memset(&consent, 0, sizeof(consent));
	raw = test_read_file(path, &len);
	res->bad = 1;
	if (fix_declared(path, raw, len, want_cls, res, &consent) < 0 ||
	    fix_passes(path, raw, len, res) < 0 ||
	    fix_inputs_read(path, raw, len, &in, &consent) < 0 ||
	    (fc = fix_config(cfg, path, raw, len)) == NULL ||
	    (nrcpts = fix_rcpts(path, raw, len, consent, rcpts, addrs)) == 0)
		goto done;
	lim.max_parts = (size_t)fc->pol.max_parts;
	lim.max_depth = (unsigned)fc->pol.max_mime_depth;
	if (pol_message_parse(raw, len, &lim, &msg) != POL_OK || msg == NULL) {
		printf("FIXTURE %s: pol_message_parse failed\n", path);
		goto done;
	}
	if (fix_sender(path, raw, len, msg, sender, sizeof(sender)) < 0)
		goto done;
	res->bad = 0;
	for (i = 0; i < nrcpts && in.prior_same; i++) {
		snprintf(rcpts[i].consent.doi_msgid,
			 sizeof(rcpts[i].consent.doi_msgid), "%s",
			 msg->message_id);
		snprintf(rcpts[i].consent.doi_hash,
			 sizeof(rcpts[i].consent.doi_hash), "%s",
			 pol_message_sha256(msg));
	}

	memset(&env, 0, sizeof(env));
	env.sender = sender;
	env.client_ip = in.client;
	env.tls = in.tls;
	env.spf_result = in.spf[0] ? in.spf : NULL;
	env.rcpts = rcpts;
	env.nrcpts = nrcpts;
	env.now = FIX_NOW;
	assert_int_equal(pol_evaluate(cfg_pol(fc), &env, msg,
				      pol_classify(cfg_pol(fc), &env, msg), &v),
			 POL_OK);
	ok = fix_judge(path, sender, res, &v, msg);
	pol_verdict_clear(&v);
done:
	pol_message_free(msg);
	cfg_unref(fc);
	free(raw);
	return ok;
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
