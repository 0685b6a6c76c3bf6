/*
 * test_review.c - evidence review: the record parser (ctl_evrec), and
 * `consentctl log`, `stats` and `report` over a temporary store of twenty
 * records spread over three days.  Each log filter must select exactly the
 * right records; CSV output is read back with a small RFC 4180 reader and
 * JSON output with ctl_evrec_parse, both to the stored values; the stats
 * counts are checked per table; the HTML report must be self-contained
 * and show the record text escaped; a record that does not parse is
 * skipped, named and makes the exit code 1.  Commands run as main() runs
 * them; their standard output is captured in a temporary file.
 */
#include "testlib.h"

#include <fcntl.h>
#include <getopt.h>
#include <lmdb.h>
#include <glib.h>

#include "../../ctl/ctl.h"
#include "../../ctl/evrec.h"
#include "../../common/json.h"

/* A detail with a quote, a comma, "; " inside, non-ASCII text and HTML. */
#define TEST_DETAIL "Impressum fehlt: \"Kontakt\", Anschrift; Straße in " \
		    "Köln — ÄÖÜ <b>&"
#define TEST_DETAIL_HTML "Impressum fehlt: &quot;Kontakt&quot;, Anschrift; " \
			 "Straße in Köln — ÄÖÜ &lt;b&gt;&amp;"
#define TEST_URL "http://tracker.example/p.gif"

struct test_rec {
	const char *time, *kind, *sender, *recipients, *cls, *rules, *action;
};

/* Record i has ref "r%02d" (i + 1), queue id "Q%02d", client 192.0.2.i. */
static const struct test_rec test_recs[] = {
	{"2026-11-22T08:00:00Z", "decision", "news@shop.example",
	 "alice@a.example", "marketing",
	 "consent.missing: no record for alice@a.example", "reject"},
	{"2026-11-22T09:30:00Z", "decision", "news@shop.example",
	 "bob@b.example,carol@c.example", "marketing", "", "pass"},
	{"2026-11-22T10:00:00Z", "doi-send", "optin@shop.example",
	 "dave@d.example", "doi", "", "sent"},
	{"2026-11-22T12:00:00Z", "decision", "<News@Shop.Example>",
	 "Eve@E.example", "marketing",
	 "unsubscribe.link: no visible link; content.imprint: " TEST_DETAIL,
	 "reject"},
	{"2026-11-22T23:59:59Z", "decision", "promo@deals.example",
	 "alice@a.example, bob@b.example", "marketing",
	 "url.insecure: " TEST_URL " @ html body; tracking.no-consent: pixel",
	 "quarantine"},
	{"2026-11-23T00:00:00Z", "decision", "promo@deals.example",
	 "frank@f.example", "marketing",
	 "consent.missing: no record; url.insecure: " TEST_URL " @ img",
	 "reject"},
	{"2026-11-23T01:00:00Z", "decision", "billing@shop.example",
	 "alice@a.example", "transactional", "", "pass"},
	{"2026-11-23T05:00:00Z", "withdrawal", "", "alice@a.example", "", "",
	 "withdrawn"},
	{"2026-11-23T07:00:00Z", "decision", "promo@deals.example",
	 "alice@a.example", "marketing",
	 "consent.withdrawn: withdrawn 2026-11-23", "reject"},
	{"2026-11-23T08:00:00Z", "decision", "news@shop.example",
	 "grace@g.example", "marketing", "tls.required: plain SMTP",
	 "tempfail"},
	{"2026-11-23T09:00:00Z", "decision", "optin@shop.example",
	 "heidi@h.example", "doi", "doi.resend: unanswered since 2026-11-20",
	 "reject"},
	{"2026-11-23T12:00:00Z", "decision", "news@shop.example",
	 "ivan@i.example", "marketing",
	 "exposure.recipients: 12 addresses\nin To", "tag"},
	{"2026-11-23T18:00:00Z", "consent", "", "judy@j.example", "", "",
	 "unknown"},
	{"2026-11-24T00:00:00Z", "decision", "", "mallory@m.example", "bounce",
	 "", "pass"},
	{"2026-11-24T06:00:00Z", "decision", "promo@deals.example",
	 "alice@a.example,zoe@z.example", "marketing",
	 "consent.missing: no record for zoe@z.example; consent.missing: no "
	 "record for alice@a.example", "reject"},
	{"2026-11-24T08:00:00Z", "decision", "news@shop.example",
	 "bob@b.example", "marketing", "unsubscribe.link: no visible link",
	 "monitor"},
	{"2026-11-24T09:00:00Z", "doi-send", "optin@shop.example",
	 "ken@k.example", "doi", "", "sent"},
	{"2026-11-24T10:00:00Z", "decision", "spam@bulk.example",
	 "Alice@A.example", "marketing",
	 "spf.fail: 203.0.113.9 not permitted; consent.missing: no record",
	 "reject"},
	{"2026-11-24T11:00:00Z", "decision", "news@shop.example",
	 "carol@c.example", "marketing", "content.imprint: " TEST_DETAIL,
	 "reject"},
	{"2026-11-24T23:59:59Z", "decision", "news@shop.example",
	 "dave@d.example", "marketing", "", "pass"},
};

#define TEST_NRECS (sizeof(test_recs) / sizeof(test_recs[0]))

/* The stored fields of record i that the table does not give. */
static void
test_extra(size_t i, char *ref, char *qid, char *msgid, char *ip)
{
	snprintf(ref, 16, "r%02zu", i + 1);
	snprintf(qid, 16, "Q%02zu", i + 1);
	snprintf(msgid, 64, "<m%02zu.\"x\"@shop.example>", i + 1);
	snprintf(ip, 32, "192.0.2.%zu", i + 1);
}

/*
 * The rules of a table row as the writer takes them: the row gives them in
 * the text form of records of version 2 for brevity, so they are read back
 * with the one record reader into *r (rulev points into it).
 */
static struct db_evidence_rule *
test_rules(const char *text, struct db_evrec *r, size_t *n)
{
	struct db_evidence_rule *v;
	struct buf j = BUF_INIT;
	size_t i;

	assert_int_equal(buf_puts(&j, "{\"rules\":"), 0);
	assert_int_equal(json_put_string(&j, text), 0);
	assert_int_equal(buf_putc(&j, '}'), 0);
	assert_int_equal(ctl_evrec_parse(j.data, j.len, r), CTL_EVREC_OK);
	buf_free(&j);
	assert_string_equal(r->note, "");
	v = calloc(r->nrules + 1, sizeof(*v));
	assert_non_null(v);
	for (i = 0; i < r->nrules; i++) {
		v[i].id = r->rulev[i].id;
		v[i].detail = r->rulev[i].detail;
		v[i].where = r->rulev[i].where;
		v[i].rcpt = -1;
	}
	*n = r->nrules;
	return v;
}

static char *
test_store(void)
{
	char *dir = test_tmpdir(), err[256], ref[16], qid[16], msgid[64];
	char ip[32];
	struct db_evidence_rule *rules;
	struct db_store *s;
	struct db_evidence e;
	struct db_evrec parsed;
	size_t i;

	assert_int_equal(db_open(dir, DB_OPEN_CREATE, &s, err, sizeof(err)),
			 DB_OK);
	for (i = 0; i < TEST_NRECS; i++) {
		test_extra(i, ref, qid, msgid, ip);
		memset(&e, 0, sizeof(e));
		assert_int_equal(db_time_parse(test_recs[i].time, &e.time),
				 DB_OK);
		e.ref = ref;
		e.kind = test_recs[i].kind;
		e.queue_id = qid;
		e.message_id = msgid;
		e.sender = test_recs[i].sender;
		e.recipients = test_recs[i].recipients;
		e.client_ip = ip;
		e.tls = (int)(i % 2);
		e.cls = test_recs[i].cls;
		rules = test_rules(test_recs[i].rules, &parsed, &e.nrules);
		e.rulev = rules;
		e.action = test_recs[i].action;
		e.sha256 = i % 3 ? "" : "ab12";
		assert_int_equal(db_evidence_append(s, &e), DB_OK);
		free(rules);
		ctl_evrec_free(&parsed);
	}
	db_close(s);
	return dir;
}

static int
test_setup(void **state)
{
	*state = test_store();
	return 0;
}

static int
test_teardown(void **state)
{
	test_rmdir_r(*state);
	return 0;
}

/*
 * Run a subcommand like main() does, with args (NULL-terminated) after its
 * name; standard output is returned (free() it) and the exit code put in
 * *rc.
 */
static char *
test_run(const char *dir, ctl_run_fn fn, const char *name, int *rc, ...)
{
	struct ctl_command cmd = {name, fn, ""};
	struct ctl_ctx ctx = {dir, NULL, NULL};
	char path[] = "/tmp/cgtest.outXXXXXX", *argv[32], *out;
	int argc = 0, fd, saved;
	va_list ap;

	argv[argc++] = (char *)name;
	va_start(ap, rc);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(1);
	assert_true(dup2(fd, 1) >= 0);
	optind = 0; /* as main() does before each subcommand */
	*rc = fn(&ctx, &cmd, argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(fd);
	out = test_read_file(path, NULL);
	unlink(path);
	return out;
}

/* ---- ctl_evrec ---- */

static void
test_parse_escapes(void **state)
{
	const char *j = " {\"seq\":42,\"prev\":\"\",\"time\":\"2026-11-24T10:00:00Z\","
			"\"ref\":\"a\\\"b\\\\c\\/d\",\"kind\":\"decision\","
			"\"extra\":[1],\"tls\":true,\"sender\":null,"
			"\"rules\":\"x\\ny\\tz \\u00e4\\u20ac\\ud83d\\ude00\","
			"\"action\":\"\\ud800!\",\"n\":-1.5e3} ";
	const char *k = "{\"seq\":1,\"tls\":false,\"class\":\"doi\",\"class\":\"m\"}";
	struct db_evrec r;

	(void)state;
	/* A member of another type (the array) is skipped. */
	assert_int_equal(ctl_evrec_parse(j, strlen(j), &r), CTL_EVREC_OK);
	assert_int_equal(r.seq, 42);
	assert_true(r.time_ok);
	assert_string_equal(r.ref, "a\"b\\c/d");
	assert_string_equal(r.rules, "x\ny\tz \xc3\xa4\xe2\x82\xac"
				     "\xf0\x9f\x98\x80");
	/* A lone surrogate never leaves the reader as bytes that are not
	 * UTF-8: it shows as U+FFFD. */
	assert_true(g_utf8_validate(r.action, -1, NULL));
	assert_memory_equal(r.action, "\xef\xbf\xbd", 3);
	assert_string_equal(r.sender, "");
	assert_string_equal(r.cls, "");
	assert_int_equal(r.tls, 1);
	ctl_evrec_free(&r);
	assert_int_equal(ctl_evrec_parse(k, strlen(k), &r), CTL_EVREC_OK);
	assert_string_equal(r.cls, "m"); /* the last of a repeated name */
	assert_int_equal(r.tls, 0);
	assert_false(r.time_ok);
	ctl_evrec_free(&r);
}

static void
test_parse_errors(void **state)
{
	static const char *const bad[] = {
		"", "[]", "{", "{\"a\":}", "{\"a\":\"x}", "{\"a\":\"x\"",
		"{\"a\":\"x\"} x", "{\"a\":\"\\u12\"}",
		"{\"a\" \"b\"}", "{\"a\":1,}", "{\"a\":\"\xff\"}",
		"{\"a\":tru}", "{\"a\":-}",
	};
	struct db_evrec r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ctl_evrec_parse(bad[i], strlen(bad[i]), &r),
				 CTL_EVREC_SYNTAX);
		assert_null(r.ref);
	}
	/* Length is honoured: the text need not be NUL-terminated. */
	assert_int_equal(ctl_evrec_parse("{}xyz", 2, &r), CTL_EVREC_OK);
	assert_string_equal(r.ref, "");
	ctl_evrec_free(&r);
}

/* The rules string of versions 1 and 2 is split at "; <rule id>:" with
 * the catalogue's ids only: a detail holding "; " or a word that looks
 * like an id stays whole; " @ where" is taken off the end; an entry
 * without a rule id goes to the note. */
static void
test_rule_steps(void **state)
{
	const char *j = "{\"seq\":1,\"sender_h\":\"\",\"recipients_h\":\"h1,h2\","
			"\"rules\":\"consent.missing: one @ body; url.insecure: "
			"two; three: 4 @ part 1; doi.resend:\"}";
	const char *k = "{\"seq\":2,\"rules\":\"uid=u1; by=admin\"}";
	const char *want_id[] = {"consent.missing", "url.insecure",
				 "doi.resend"};
	const char *want_detail[] = {"one", "two; three: 4", ""};
	const char *want_where[] = {"body", "part 1", ""};
	struct db_evrec r;
	size_t i;

	(void)state;
	assert_int_equal(ctl_evrec_parse(j, strlen(j), &r), CTL_EVREC_OK);
	assert_int_equal(r.version, 2);
	assert_int_equal(r.nrules, 3);
	for (i = 0; i < 3; i++) {
		assert_string_equal(r.rulev[i].id, want_id[i]);
		assert_string_equal(r.rulev[i].detail, want_detail[i]);
		assert_string_equal(r.rulev[i].where, want_where[i]);
		assert_int_equal(r.rulev[i].rcpt, -1);
	}
	assert_string_equal(r.note, "");
	assert_int_equal(r.nrcpt_h, 2);
	assert_string_equal(r.rcpt_hv[1], "h2");
	assert_true(ctl_evrec_has_rule(&r, "url.insecure"));
	assert_false(ctl_evrec_has_rule(&r, "three"));
	ctl_evrec_free(&r);
	/* A record without hashes is version 1; text naming no rule is its
	 * note. */
	assert_int_equal(ctl_evrec_parse(k, strlen(k), &r), CTL_EVREC_OK);
	assert_int_equal(r.version, 1);
	assert_int_equal(r.nrules, 0);
	assert_string_equal(r.note, "uid=u1; by=admin");
	assert_string_equal(r.rules, "uid=u1; by=admin");
	ctl_evrec_free(&r);
}

/* ---- log filters ---- */

/* The refs of a text log, space-separated ("r01 r04 "). */
static void
test_refs_of(const char *out, char *refs, size_t refsz)
{
	const char *line, *sp;
	size_t len = 0;

	refs[0] = '\0';
	for (line = out; *line; line = strchr(line, '\n') + 1) {
		assert_non_null(strchr(line, '\n'));
		sp = strchr(line, ' ');
		assert_non_null(sp);
		len += (size_t)snprintf(refs + len, refsz - len, "%.3s ",
					sp + 1);
		assert_true(len < refsz);
	}
}

/* log with one or two filter options must list exactly want. */
static void
test_log_expect(const char *dir, const char *want, const char *o1,
		const char *v1, const char *o2, const char *v2)
{
	char refs[256], *out;
	int rc;

	out = test_run(dir, ctl_cmd_log, "log", &rc, o1, v1, o2, v2, NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	test_refs_of(out, refs, sizeof(refs));
	if (strcmp(refs, want) != 0)
		fail_msg("log %s %s %s %s: got '%s', want '%s'", o1, v1,
			 o2 ? o2 : "", v2 ? v2 : "", refs, want);
	free(out);
}

static void
test_log_filters(void **state)
{
	const char *dir = *state;
	char unix24[32];
	int64_t t;

	assert_int_equal(db_time_parse("2026-11-24T00:00:00Z", &t), DB_OK);
	snprintf(unix24, sizeof(unix24), "%lld", (long long)t);
	test_log_expect(dir, "r06 r07 r08 r09 r10 r11 r12 r13 ", "--since",
			"2026-11-23T00:00:00Z", "--until", unix24);
	test_log_expect(dir, "r14 r15 r16 r17 r18 r19 r20 ", "--since",
			unix24, NULL, NULL);
	test_log_expect(dir, "r01 r02 r03 r04 r05 ", "--until",
			"2026-11-23T00:00:00Z", NULL, NULL);
	test_log_expect(dir, "r01 r06 r15 r18 ", "--rule", "consent.missing",
			NULL, NULL);
	test_log_expect(dir, "r04 r19 ", "--rule", "content.imprint", NULL,
			NULL);
	test_log_expect(dir, "", "--rule", "consent", NULL, NULL);
	test_log_expect(dir, "r01 r04 r06 r09 r11 r15 r18 r19 ", "--action",
			"reject", NULL, NULL);
	test_log_expect(dir, "r01 r02 r04 r10 r12 r16 r19 r20 ", "--sender",
			"NEWS@shop.example", NULL, NULL);
	test_log_expect(dir, "r08 r13 r14 ", "--sender", "<>", NULL, NULL);
	test_log_expect(dir, "r01 r05 r07 r08 r09 r15 r18 ", "--recipient",
			"<alice@A.EXAMPLE>", NULL, NULL);
	test_log_expect(dir, "r02 r05 r16 ", "--recipient", "bob@b.example",
			NULL, NULL);
	test_log_expect(dir, "r03 r11 r17 ", "--class", "doi", NULL, NULL);
	test_log_expect(dir, "r03 r17 ", "--kind", "doi-send", NULL, NULL);
	test_log_expect(dir, "r01 r04 r06 r09 r15 r18 r19 ", "--class",
			"marketing",
			"--action", "reject");
	test_log_expect(dir, "r15 r18 ", "--rule", "consent.missing",
			"--since", "2026-11-23T00:00:01Z");
}

static void
test_log_usage(void **state)
{
	const char *dir = *state;
	char *out;
	int rc;

	out = test_run(dir, ctl_cmd_log, "log", &rc, "--action", "bogus", NULL);
	assert_int_equal(rc, CTL_EXIT_USAGE);
	free(out);
	/* Every action and kind the programs write is a filter value: the
	 * words come from the catalogue, not from a list of ctl's own. */
	out = test_run(dir, ctl_cmd_log, "log", &rc, "--action", "outbox-drop",
		       "--kind", "replication", NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	free(out);
	out = test_run(dir, ctl_cmd_log, "log", &rc, "--action", "Verify",
		       NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	free(out);
	out = test_run(dir, ctl_cmd_log, "log", &rc, "--since", "yesterday",
		       NULL);
	assert_int_equal(rc, CTL_EXIT_USAGE);
	free(out);
	out = test_run(dir, ctl_cmd_log, "log", &rc, "--since", "200",
		       "--until", "100", NULL);
	assert_int_equal(rc, CTL_EXIT_USAGE);
	free(out);
	out = test_run(dir, ctl_cmd_log, "log", &rc, "--format", "xml", NULL);
	assert_int_equal(rc, CTL_EXIT_USAGE);
	free(out);
	out = test_run(dir, ctl_cmd_log, "log", &rc, "--recipient", "nobody",
		       NULL);
	assert_int_equal(rc, CTL_EXIT_USAGE);
	free(out);
	out = test_run(dir, ctl_cmd_log, "log", &rc, "extra", NULL);
	assert_int_equal(rc, CTL_EXIT_USAGE);
	free(out);
}

/* ---- CSV and JSON read back ---- */

/* One RFC 4180 record from *p into cells (each malloc'd); 0 at the end. */
static size_t
test_csv_row(const char **p, char **cells, size_t max)
{
	const char *s = *p;
	size_t n = 0, len;
	char *cell;

	if (*s == '\0')
		return 0;
	for (;;) {
		assert_true(n < max);
		cell = malloc(strlen(s) + 1);
		len = 0;
		if (*s == '"') {
			for (s++; !(s[0] == '"' && s[1] != '"'); s++) {
				assert_true(*s != '\0');
				if (*s == '"')
					s++; /* a doubled quote */
				cell[len++] = *s;
			}
			s++;
		} else {
			while (*s && *s != ',' && *s != '\r' && *s != '\n')
				cell[len++] = *s++;
		}
		cell[len] = '\0';
		cells[n++] = cell;
		if (*s != ',')
			break;
		s++;
	}
	assert_true(s[0] == '\r' && s[1] == '\n'); /* CRLF line ends */
	*p = s + 2;
	return n;
}

/* Do the values of record i match the table? */
static void
test_check_values(size_t i, const char *const *v)
{
	char ref[16], qid[16], msgid[64], ip[32];

	test_extra(i, ref, qid, msgid, ip);
	assert_string_equal(v[0], test_recs[i].time);
	assert_string_equal(v[1], ref);
	assert_string_equal(v[2], test_recs[i].kind);
	assert_string_equal(v[3], qid);
	assert_string_equal(v[4], msgid);
	assert_string_equal(v[5], test_recs[i].sender);
	assert_string_equal(v[6], test_recs[i].recipients);
	assert_string_equal(v[7], ip);
	assert_string_equal(v[8], i % 2 ? "true" : "false");
	assert_string_equal(v[9], test_recs[i].cls);
	assert_string_equal(v[10], test_recs[i].rules);
	assert_string_equal(v[11], test_recs[i].action);
	assert_string_equal(v[12], i % 3 ? "" : "ab12");
}

static void
test_log_csv(void **state)
{
	const char *p;
	char *out, *cells[32], seq[16];
	size_t n, i, row = 0;
	int rc;

	out = test_run(*state, ctl_cmd_log, "log", &rc, "--format", "csv",
		       NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	p = out;
	n = test_csv_row(&p, cells, 32);
	assert_int_equal(n, 18);
	assert_string_equal(cells[0], "seq");
	assert_string_equal(cells[11], "rules");
	assert_string_equal(cells[14], "retry_of");
	assert_string_equal(cells[15], "before");
	assert_string_equal(cells[16], "after");
	assert_string_equal(cells[17], "profile");
	for (i = 0; i < n; i++)
		free(cells[i]);
	while ((n = test_csv_row(&p, cells, 32)) > 0) {
		assert_int_equal(n, 18);
		assert_string_equal(cells[14], ""); /* no doi-retry records */
		assert_string_equal(cells[17], ""); /* no brand profiles */
		assert_true(row < TEST_NRECS);
		snprintf(seq, sizeof(seq), "%zu", row + 1);
		assert_string_equal(cells[0], seq);
		test_check_values(row, (const char *const *)cells + 1);
		for (i = 0; i < n; i++)
			free(cells[i]);
		row++;
	}
	assert_int_equal(row, TEST_NRECS);
	free(out);
}

/* The end of the JSON object that starts at s (strings skipped). */
static const char *
test_json_object_end(const char *s)
{
	int depth = 0, str = 0;

	for (; *s; s++) {
		if (str) {
			if (*s == '\\')
				s++;
			else if (*s == '"')
				str = 0;
		} else if (*s == '"') {
			str = 1;
		} else if (*s == '{') {
			depth++;
		} else if (*s == '}' && --depth == 0) {
			return s + 1;
		}
	}
	fail_msg("unterminated JSON object");
	return s;
}

static void
test_log_json(void **state)
{
	struct db_evrec r;
	const char *p, *e;
	size_t row = 0;
	char *out;
	int rc;

	out = test_run(*state, ctl_cmd_log, "log", &rc, "--format", "json",
		       NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_int_equal(strncmp(out, "[\n{", 3), 0);
	for (p = out + 2;; p = e + 2) {
		assert_true(*p == '{');
		e = test_json_object_end(p);
		assert_int_equal(ctl_evrec_parse(p, (size_t)(e - p), &r),
				 CTL_EVREC_OK);
		assert_int_equal(r.seq, row + 1);
		test_check_values(row, (const char *const[]){
			r.time_text, r.ref, r.kind, r.queue_id, r.message_id,
			r.sender, r.recipients, r.client_ip,
			r.tls ? "true" : "false", r.cls, r.rules, r.action,
			r.sha256});
		assert_int_equal(strlen(r.prev), row ? 64 : 0);
		ctl_evrec_free(&r);
		row++;
		if (e[0] != ',')
			break;
		assert_true(e[1] == '\n');
	}
	assert_string_equal(e, "\n]\n");
	assert_int_equal(row, TEST_NRECS);
	free(out);
	out = test_run(*state, ctl_cmd_log, "log", &rc, "--format", "json",
		       "--class", "none-such", NULL);
	assert_string_equal(out, "[]\n");
	free(out);
}

/* ---- stats ---- */

/* The count in the row key of the table titled title (-1: no row). */
static long
test_stats_count(const char *out, const char *title, const char *key)
{
	const char *p = strstr(out, title);
	char k[64];
	long n;

	assert_non_null(p);
	p = strchr(p, '\n') + 1; /* the header */
	for (p = strchr(p, '\n') + 1; *p && *p != '\n';
	     p = strchr(p, '\n') + 1)
		if (sscanf(p, " %63s %ld", k, &n) == 2 && strcmp(k, key) == 0)
			return n;
	return -1;
}

static void
test_stats(void **state)
{
	static const struct {
		const char *table, *key;
		long n;
	} want[] = {
		{"by class", "marketing", 13}, {"by class", "doi", 3},
		{"by class", "transactional", 1}, {"by class", "bounce", 1},
		{"by class", "(none)", 2},
		{"by rule", "consent.missing", 4},
		{"by rule", "unsubscribe.link", 2},
		{"by rule", "content.imprint", 2},
		{"by rule", "url.insecure", 2}, {"by rule", "spf.fail", 1},
		{"by rule", "(none)", 8}, {"by rule", "consent", -1},
		{"by action", "reject", 8}, {"by action", "pass", 4},
		{"by action", "sent", 2}, {"by action", "tempfail", 1},
		{"by action", "withdrawn", 1}, {"by action", "monitor", 1},
		{"by day", "2026-11-22", 5}, {"by day", "2026-11-23", 8},
		{"by day", "2026-11-24", 7},
	};
	char *out;
	size_t i;
	int rc;

	out = test_run(*state, ctl_cmd_stats, "stats", &rc, NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_non_null(strstr(out, "evidence records: 20 "));
	assert_non_null(strstr(out, "refused: 9 of 16 decisions"));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (test_stats_count(out, want[i].table, want[i].key) !=
		    want[i].n)
			fail_msg("stats %s %s: want %ld\n%s", want[i].table,
				 want[i].key, want[i].n, out);
	assert_null(strstr(out, "by profile")); /* no record names one */
	free(out);
	out = test_run(*state, ctl_cmd_stats, "stats", &rc, "--since",
		       "2026-11-23T00:00:00Z", "--until",
		       "2026-11-24T00:00:00Z", NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_non_null(strstr(out, "evidence records: 8 "));
	assert_int_equal(test_stats_count(out, "by day", "2026-11-22"), -1);
	assert_int_equal(test_stats_count(out, "by day", "2026-11-23"), 8);
	assert_int_equal(test_stats_count(out, "by rule", "consent.missing"),
			 1);
	free(out);
}

/* ---- report ---- */

/* Every "http" in html must begin the record text TEST_URL. */
static void
test_no_external(const char *html)
{
	const char *p;

	for (p = strstr(html, "http"); p; p = strstr(p + 1, "http"))
		if (strncmp(p, TEST_URL, strlen(TEST_URL)) != 0 &&
		    (strncmp(p, "http://", 7) == 0 ||
		     strncmp(p, "https://", 8) == 0))
			fail_msg("external reference: %.60s", p);
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<link"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "url("));
	assert_null(strstr(html, "@import"));
}

static size_t
test_count(const char *s, const char *what)
{
	size_t n = 0;

	for (s = strstr(s, what); s; s = strstr(s + 1, what))
		n++;
	return n;
}

static void
test_report(void **state)
{
	char path[512], *out, *html, *latest;
	int rc;

	snprintf(path, sizeof(path), "%s/report.html", (char *)*state);
	out = test_run(*state, ctl_cmd_report, "report", &rc, "--html", path,
		       NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_string_equal(out, "");
	free(out);
	html = test_read_file(path, NULL);
	assert_int_equal(strncmp(html, "<!DOCTYPE html>", 15), 0);
	assert_true(test_count(html, "<svg") >= 2);
	assert_non_null(strstr(html, TEST_DETAIL_HTML));
	assert_null(strstr(html, "<b>&"));
	test_no_external(html);
	/* Latest refusals: all nine, newest (r19) first, r01 last. */
	latest = strstr(html, "<h2>Latest refusals</h2>");
	assert_non_null(latest);
	assert_int_equal(test_count(latest, "<tr><td"), 9);
	assert_true(strstr(latest, ">r19<") < strstr(latest, ">r01<"));
	assert_non_null(strstr(latest, "<code>content.imprint</code>"));
	/* Top senders: news@ (4) before promo@ (3). */
	assert_true(strstr(html, "news@shop.example") <
		    strstr(html, "promo@deals.example"));
	assert_non_null(strstr(html, "Day (UTC)"));
	assert_non_null(strstr(html, "consent.missing (4)"));
	assert_null(strstr(html, "brand profile")); /* none in the store */
	free(html);
	out = test_run(*state, ctl_cmd_report, "report", &rc, NULL);
	assert_int_equal(rc, CTL_EXIT_USAGE);
	free(out);
}

/* The report of the store in dir, written to dir/r.html and read back
 * (free() it); the command must succeed and print nothing. */
static char *
test_report_html(const char *dir)
{
	char path[512], *out;
	int rc;

	snprintf(path, sizeof(path), "%s/r.html", dir);
	out = test_run(dir, ctl_cmd_report, "report", &rc, "--html", path,
		       NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_string_equal(out, "");
	free(out);
	return test_read_file(path, NULL);
}

/* Past fifty refusals the report lists the latest fifty, newest first. */
static void
test_report_latest(void **state)
{
	char *dir = test_tmpdir(), err[256], ref[16], *html;
	struct db_store *s;
	struct db_evidence e;
	int i;

	(void)state;
	assert_int_equal(db_open(dir, DB_OPEN_CREATE, &s, err, sizeof(err)),
			 DB_OK);
	for (i = 1; i <= 60; i++) {
		memset(&e, 0, sizeof(e));
		snprintf(ref, sizeof(ref), "ref-%03d", i);
		e.time = 1700000000 + i * 3600;
		e.ref = ref;
		e.kind = "decision";
		e.sender = "bulk@x.example";
		e.recipients = "a@b.example";
		e.rules = "consent.missing: none";
		e.action = "reject";
		assert_int_equal(db_evidence_append(s, &e), DB_OK);
	}
	db_close(s);
	html = test_report_html(dir);
	assert_int_equal(test_count(strstr(html, "Latest refusals"), "<tr><td"),
			 50);
	assert_true(strstr(html, ">ref-060<") < strstr(html, ">ref-011<"));
	assert_null(strstr(html, ">ref-010<"));
	free(html);
	test_rmdir_r(dir);
}

/*
 * Values from the evidence that look like markup or like template tags
 * reach the page as text: escaped once, by the template, and never read
 * as template text.
 */
static void
test_report_hostile(void **state)
{
	static const struct db_evidence_rule spf = {"spf.fail", "it's \"q\"",
						    "", -1, 0};
	char *dir = test_tmpdir(), err[256], *html, *latest;
	struct db_store *s;
	struct db_evidence e;

	(void)state;
	assert_int_equal(db_open(dir, DB_OPEN_CREATE, &s, err, sizeof(err)),
			 DB_OK);
	memset(&e, 0, sizeof(e));
	e.time = 1795000000;
	e.ref = "<i>r</i>{{ref}}";
	e.kind = "decision";
	e.sender = "\"<script>alert(1)</script>\"@x.example";
	e.recipients = "a&b@x.example, {{{sender}}}@y.example";
	e.rulev = &spf;
	e.nrules = 1;
	e.rules = "<b>x</b>: <img src=x onerror=alert(1)> {{#latest}}";
	e.action = "reject";
	assert_int_equal(db_evidence_append(s, &e), DB_OK);
	db_close(s);
	html = test_report_html(dir);
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "<i>"));
	assert_null(strstr(html, "<b>"));
	latest = strstr(html, "<h2>Latest refusals</h2>");
	assert_non_null(latest);
	assert_int_equal(test_count(latest, "<tr><td"), 1);
	assert_non_null(strstr(latest, "<td class=\"mono\">&lt;i&gt;r&lt;/i&gt;"
				       "{{ref}}</td>"));
	assert_non_null(strstr(latest, "<td>&quot;&lt;script&gt;alert(1)&lt;"
				       "/script&gt;&quot;@x.example</td>"));
	assert_non_null(strstr(latest, "<div>a&amp;b@x.example</div><div>"
				       "{{{sender}}}@y.example</div>"));
	/* The rule, then the note (text naming no rule). */
	assert_non_null(strstr(latest, "<li><code>spf.fail</code>it&#39;s "
				       "&quot;q&quot;</li><li>&lt;b&gt;x&lt;/b&gt;"
				       ": &lt;img src=x onerror=alert(1)&gt; "
				       "{{#latest}}</li>"));
	/* The senders' chart: escaped in the tooltip and the cut label. */
	assert_non_null(strstr(html, "<title>&quot;&lt;script&gt;alert(1)"
				     "&lt;/script&gt;&quot;@x.example</title>"));
	/* Every "{{" on the page came with a value ("{{{" counts twice). */
	assert_int_equal(test_count(html, "{{"), 4);
	free(html);
	test_rmdir_r(dir);
}

/*
 * The readers and DOI retries: an old doi-send (action sent), a new one
 * (passed-to-mta) and a doi-retry of it.  stats and report count two DOI
 * mails and one retry; log shows and filters the retry with its retry_of.
 */
static void
test_doi_retry_readers(void **state)
{
	static const struct {
		const char *ref, *kind, *action, *retry_of;
	} recs[] = {
		{"old-d1", "doi-send", "sent", NULL},
		{"new-d1", "doi-send", "passed-to-mta", NULL},
		{"again-d1", "doi-retry", "passed-to-mta", "new-d1"},
	};
	char *dir = test_tmpdir(), err[256], *out, *html;
	struct db_store *s;
	struct db_evidence e;
	size_t i;
	int rc;

	(void)state;
	assert_int_equal(db_open(dir, DB_OPEN_CREATE, &s, err, sizeof(err)),
			 DB_OK);
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		memset(&e, 0, sizeof(e));
		e.time = 1700000000 + (int64_t)i * 60;
		e.ref = recs[i].ref;
		e.kind = recs[i].kind;
		e.queue_id = "Q1";
		e.sender = "confirm@shop.example";
		e.recipients = "new@example.org";
		e.cls = "doi";
		e.rules = "uid=u1";
		e.action = recs[i].action;
		e.retry_of = recs[i].retry_of;
		assert_int_equal(db_evidence_append(s, &e), DB_OK);
	}
	db_close(s);
	out = test_run(dir, ctl_cmd_stats, "stats", &rc, NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_non_null(strstr(out, "doi mails passed to the MTA: 2 (plus 1 "
				    "retries"));
	free(out);
	out = test_run(dir, ctl_cmd_log, "log", &rc, "--kind", "doi-retry",
		       NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_non_null(strstr(out, " again-d1 doi-retry doi passed-to-mta "));
	assert_non_null(strstr(out, " uid=u1 retry-of=new-d1\n"));
	assert_null(strstr(out, "old-d1"));
	free(out);
	out = test_run(dir, ctl_cmd_log, "log", &rc, "--action", "sent", NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_non_null(strstr(out, " old-d1 doi-send doi sent "));
	assert_null(strstr(out, "retry-of"));
	free(out);
	html = test_report_html(dir);
	assert_non_null(strstr(html, "<div class=\"v\">2</div>"
				     "<div class=\"l\">Opt-in mails passed"));
	free(html);
	test_rmdir_r(dir);
}

/*
 * Brand profiles: decisions of brand-a (two, one refused), of brand-b (one
 * refused) and one without a profile, and a brand-a DOI mail.  log names
 * and filters the profile (text, CSV, JSON), evidence REF shows it, a
 * record without one carries no "profile" member, and stats and report
 * break the decisions down per profile.
 */
static void
test_profile_readers(void **state)
{
	static const struct {
		const char *ref, *kind, *profile, *rule, *action;
	} recs[] = {
		{"pa1", "decision", "brand-a", "consent.missing", "reject"},
		{"pa2", "decision", "brand-a", NULL, "pass"},
		{"pb1", "decision", "brand-b", "tls.required", "tempfail"},
		{"pn1", "decision", NULL, NULL, "pass"},
		{"pa3", "doi-send", "brand-a", NULL, "passed-to-mta"},
	};
	char *dir = test_tmpdir(), err[256], *out, *html, *cells[32], refs[64];
	const char *p;
	struct db_evidence_rule rule;
	struct db_store *s;
	struct db_evidence e;
	size_t i;
	int rc;

	(void)state;
	assert_int_equal(db_open(dir, DB_OPEN_CREATE, &s, err, sizeof(err)),
			 DB_OK);
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		memset(&e, 0, sizeof(e));
		memset(&rule, 0, sizeof(rule));
		rule.id = recs[i].rule;
		rule.detail = "d";
		rule.where = "";
		rule.rcpt = -1;
		e.time = 1700000000 + (int64_t)i * 60;
		e.ref = recs[i].ref;
		e.kind = recs[i].kind;
		e.queue_id = "Q1";
		e.sender = "news@shop.example";
		e.recipients = "a@example.org";
		e.cls = "marketing";
		e.rulev = recs[i].rule ? &rule : NULL;
		e.nrules = recs[i].rule ? 1 : 0;
		e.action = recs[i].action;
		e.profile = recs[i].profile;
		assert_int_equal(db_evidence_append(s, &e), DB_OK);
	}
	db_close(s);
	out = test_run(dir, ctl_cmd_log, "log", &rc, "--profile", "brand-a",
		       NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	test_refs_of(out, refs, sizeof(refs));
	assert_string_equal(refs, "pa1 pa2 pa3 ");
	assert_non_null(strstr(out, " pa2 decision marketing pass "
				    "news@shop.example -> a@example.org - "
				    "profile=brand-a\n"));
	free(out);
	out = test_run(dir, ctl_cmd_log, "log", &rc, "--profile", "brand-b",
		       "--format", "csv", NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	p = out;
	assert_int_equal(test_csv_row(&p, cells, 32), 18);
	for (i = 0; i < 18; i++)
		free(cells[i]);
	assert_int_equal(test_csv_row(&p, cells, 32), 18);
	assert_string_equal(cells[2], "pb1");
	assert_string_equal(cells[17], "brand-b");
	for (i = 0; i < 18; i++)
		free(cells[i]);
	assert_int_equal(test_csv_row(&p, cells, 32), 0); /* only pb1 */
	free(out);
	out = test_run(dir, ctl_cmd_log, "log", &rc, "--format", "json", NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_int_equal(test_count(out, "\"profile\":\"brand-a\""), 3);
	free(out);
	out = test_run(dir, ctl_cmd_log, "log", &rc, "--profile", "", NULL);
	assert_int_equal(rc, CTL_EXIT_USAGE);
	free(out);
	out = test_run(dir, ctl_cmd_evidence, "evidence", &rc, "pb1", NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_non_null(strstr(out, ",\"profile\":\"brand-b\""));
	free(out);
	out = test_run(dir, ctl_cmd_evidence, "evidence", &rc, "pn1", NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_null(strstr(out, "profile")); /* the old bytes, unchanged */
	free(out);
	out = test_run(dir, ctl_cmd_stats, "stats", &rc, NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	p = strstr(out, "by profile (decisions)\n");
	assert_non_null(p);
	assert_non_null(strstr(p, "  brand-a          2        1  "
				  "consent.missing (1)\n"));
	assert_non_null(strstr(p, "  brand-b          1        1  "
				  "tls.required (1)\n"));
	assert_non_null(strstr(p, "  (none)           1        0  -\n"));
	free(out);
	html = test_report_html(dir);
	assert_non_null(strstr(html, "Decisions per brand profile"));
	assert_non_null(strstr(html, "<tr><td>brand-a</td><td class=\"num\">2"
				     "</td><td class=\"num\">1</td><td "
				     "class=\"mono\">consent.missing (1)"));
	free(html);
	test_rmdir_r(dir);
}

/* Overwrite record seq of the store in dir with text, as a damaged or
 * tampered file would hold it. */
static void
test_raw_replace(const char *dir, uint64_t seq, const char *text)
{
	unsigned char k[8];
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key = {8, k}, val = {strlen(text), (void *)text};
	int i;

	for (i = 7; i >= 0; i--, seq >>= 8)
		k[i] = (unsigned char)(seq & 0xff);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_set_mapsize(env, 1UL << 30), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "evidence", 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void
test_unparsable(void **state)
{
	char *dir = test_store(), refs[256], *out;
	int rc;

	(void)state;
	test_raw_replace(dir, 3, "{\"seq\":3,\"ref\":\"r03\",\"kind\":");
	out = test_run(dir, ctl_cmd_log, "log", &rc, "--class", "doi", NULL);
	assert_int_equal(rc, CTL_EXIT_REFUSED);
	test_refs_of(out, refs, sizeof(refs));
	assert_string_equal(refs, "r11 r17 ");
	free(out);
	out = test_run(dir, ctl_cmd_stats, "stats", &rc, NULL);
	assert_int_equal(rc, CTL_EXIT_REFUSED);
	assert_non_null(strstr(out, "evidence records: 19 "));
	free(out);
	test_rmdir_r(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_escapes),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_rule_steps),
		cmocka_unit_test(test_log_filters),
		cmocka_unit_test(test_log_usage),
		cmocka_unit_test(test_log_csv),
		cmocka_unit_test(test_log_json),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_report_latest),
		cmocka_unit_test(test_report_hostile),
		cmocka_unit_test(test_unparsable),
		cmocka_unit_test(test_doi_retry_readers),
		cmocka_unit_test(test_profile_readers),
	};

	return cmocka_run_group_tests_name("review", tests, test_setup,
					   test_teardown);
}
