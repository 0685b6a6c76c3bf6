/*
 * test_replay.c - `consentctl replay` and what it reads with: the SHA-256
 * of a message in the milter's form (checked against the bytes the
 * milter's header and body callbacks would have built), the mbox reader
 * (tests/data/replay/replay.mbox: two messages, one with a "From " body
 * line escaped as ">From ", each read back byte for byte as its .eml) and
 * the Maildir reader (cur/ then new/).  The store's evidence is written by
 * running a.eml, b.eml and the Maildir's cur/ message once through check's
 * evaluation under the old config (Mode monitor), as the milter records
 * them; replay under NEWCONF (tests/data/rules.conf, Mode enforce) must
 * show b.eml going from pass (monitor) to reject, match a and b by
 * SHA-256 (their records carry no Message-ID) and the cur/ message by
 * Message-ID (its record carries no hash), and the new/ message as
 * unmatched.
 */
#include "testlib.h"

#include <getopt.h>
#include <glib.h>

#include "../../ctl/check.h"
#include "../../fmt/mailbox.h"

#define RP_DIR "tests/data/replay/"
#define RP_CUR RP_DIR "maildir/cur/1774717882.M1P1.mail.shop.example:2,S"
#define RP_NEW RP_DIR "maildir/new/1774717883.M2P2.mail.shop.example"

static void
test_milter_sha256(void **state)
{
	/* A folded header reaches the milter with its lines joined by "\n",
	 * less the one space after the colon; the body in CRLF lines. */
	static const char file[] =
		"From: a@shop.example\n"
		"Subject:  two spaces\n"
		"List-Unsubscribe: <https://shop.example/u>,\n"
		"\t<mailto:u@shop.example>\n"
		"\n"
		"line one\n"
		"line two\n";
	static const char milter[] =
		"From: a@shop.example\r\n"
		"Subject:  two spaces\r\n"
		"List-Unsubscribe: <https://shop.example/u>,\n"
		"\t<mailto:u@shop.example>\r\n"
		"\r\n"
		"line one\r\n"
		"line two\r\n";
	char got[65], crlf[65];
	gchar *want, *dos, **lines;

	(void)state;
	want = g_compute_checksum_for_string(G_CHECKSUM_SHA256, milter, -1);
	fmt_milter_sha256(file, strlen(file), got);
	assert_string_equal(got, want);
	lines = g_strsplit(file, "\n", -1);
	dos = g_strjoinv("\r\n", lines);
	g_strfreev(lines);
	fmt_milter_sha256(dos, strlen(dos), crlf);
	assert_string_equal(crlf, want);
	g_free(dos);
	g_free(want);
}

struct test_seen {
	int n;
	char *name[8], *data[8], *id[8];
};

static int
test_collect(const struct fmt_mail *m, void *arg)
{
	struct test_seen *s = arg;

	assert_true(s->n < 8);
	s->name[s->n] = g_strdup(m->name);
	s->data[s->n] = g_strndup(m->data, m->len);
	s->id[s->n] = g_strdup(m->message_id);
	s->n++;
	return 0;
}

static void
test_seen_free(struct test_seen *s)
{
	int i;

	for (i = 0; i < s->n; i++) {
		g_free(s->name[i]);
		g_free(s->data[i]);
		g_free(s->id[i]);
	}
	memset(s, 0, sizeof(*s));
}

static void
test_mailboxes(void **state)
{
	struct test_seen s = {0};
	char err[256], *a, *b, *cur;

	(void)state;
	a = test_read_file(RP_DIR "a.eml", NULL);
	b = test_read_file(RP_DIR "b.eml", NULL);
	cur = test_read_file(RP_CUR, NULL);
	assert_int_equal(fmt_mailbox_read(RP_DIR "replay.mbox", test_collect,
					  &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.name[0], RP_DIR "replay.mbox#1");
	assert_string_equal(s.data[0], a);
	assert_string_equal(s.data[1], b); /* ">From our" back to "From our" */
	assert_string_equal(s.id[0],
			    "20250328120421.15868dbfe287da26@mailer.shop.example");
	test_seen_free(&s);
	assert_int_equal(fmt_mailbox_read(RP_DIR "maildir", test_collect, &s,
					  err, sizeof(err)), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.name[0], RP_CUR);
	assert_string_equal(s.data[0], cur);
	assert_string_equal(s.name[1], RP_NEW);
	test_seen_free(&s);
	assert_int_equal(fmt_mailbox_read(RP_DIR "a.eml", test_collect, &s,
					  err, sizeof(err)), 0);
	assert_int_equal(s.n, 1);
	test_seen_free(&s);
	assert_int_equal(fmt_mailbox_read(RP_DIR "nonexistent", test_collect,
					  &s, err, sizeof(err)), -1);
	free(a);
	free(b);
	free(cur);
}

/* Run path once through check's evaluation under cfg and record the
 * decision as the milter does (with its hash or with its Message-ID). */
static void
test_record(struct db_store *s, struct cfg *cfg, const char *path,
	    const char *ref, int by_hash)
{
	struct ctl_check o;
	struct ctl_check_result res;
	struct db_evidence e;
	struct db_evidence_rule rules[8];
	const char *rcpts[CHECK_MAX_RCPTS];
	char sha[65], err[256], *data;
	size_t len, i;

	memset(&o, 0, sizeof(o));
	o.cls = -1;
	o.cfg = cfg;
	o.store = s;
	data = test_read_file(path, &len);
	assert_int_equal(ctl_check_eval(&o, data, len, NULL, &res, err,
					sizeof(err)), 0);
	memset(&e, 0, sizeof(e));
	memset(rules, 0, sizeof(rules));
	assert_true(res.v.nhits <= 8);
	for (i = 0; i < res.v.nhits; i++) {
		rules[i].id = pol_rule_info(res.v.hits[i].rule)->id;
		rules[i].rcpt = -1;
	}
	for (i = 0; i < res.nrcpts; i++)
		rcpts[i] = res.r[i].addr;
	fmt_milter_sha256(data, len, sha);
	e.time = 1774717882;
	e.ref = ref;
	e.kind = "decision";
	e.queue_id = "Q";
	e.message_id = by_hash ? "" : pol_message_header(res.m, "Message-ID");
	e.sender = res.sender;
	e.rcptv = rcpts;
	e.nrcpt = res.nrcpts;
	e.client_ip = "192.0.2.46";
	e.tls = 1;
	e.cls = pol_class_name(res.v.cls);
	e.rulev = rules;
	e.nrules = res.v.nhits;
	e.action = res.v.action == POL_ACTION_PASS ? "pass"
		   : cfg->mode == CFG_MODE_MONITOR ? "monitor"
		   : pol_action_name(res.v.action);
	e.sha256 = by_hash ? sha : "";
	assert_int_equal(db_evidence_append(s, &e), DB_OK);
	ctl_check_result_clear(&res);
	ctl_check_done(&o);
	free(data);
}

static char *
test_run(const char *dir, const char *config, int *rc, ...)
{
	struct ctl_command cmd = {"replay", ctl_cmd_replay, ""};
	struct ctl_ctx ctx = {dir, config, NULL};
	char path[] = "/tmp/cgtest.outXXXXXX", *argv[32], *out;
	int argc = 0, fd, saved;
	va_list ap;

	argv[argc++] = "replay";
	va_start(ap, rc);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(1);
	assert_true(dup2(fd, 1) >= 0);
	optind = 0;
	*rc = ctl_cmd_replay(&ctx, &cmd, argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(fd);
	cfg_unref(ctx.cfg);
	out = test_read_file(path, NULL);
	unlink(path);
	return out;
}

/* The store: kunde@example.org confirmed after a DOI mail, and the
 * decisions of one run under old (a config file of Mode monitor). */
static char *
test_store(const char *old)
{
	char *dir = test_tmpdir(), err[256];
	struct db_store *s;
	struct db_consent c;
	struct buf e = BUF_INIT;
	struct cfg *cfg;

	assert_int_equal(db_open(dir, DB_OPEN_CREATE, &s, err, sizeof(err)),
			 DB_OK);
	memset(&c, 0, sizeof(c));
	c.state = DB_STATE_CONFIRMED;
	c.created = 1700000000;
	c.doi_sent = 1700000100;
	c.confirmed = 1700000200;
	snprintf(c.ip, sizeof(c.ip), "192.0.2.8");
	snprintf(c.source, sizeof(c.source), "test");
	assert_int_equal(db_consent_put(s, "kunde@example.org", &c), DB_OK);
	cfg = cfg_load(old, &e);
	assert_non_null(cfg);
	assert_int_equal(cfg->mode, CFG_MODE_MONITOR);
	test_record(s, cfg, RP_DIR "a.eml", "ref-a", 1);
	test_record(s, cfg, RP_DIR "b.eml", "ref-b", 1);
	test_record(s, cfg, RP_CUR, "ref-cur", 0);
	cfg_unref(cfg);
	buf_free(&e);
	db_close(s);
	return dir;
}

static void
test_replay(void **state)
{
	char old[] = "/tmp/cgtest.confXXXXXX", *dir, *out, *rules;
	int fd, rc;

	(void)state;
	rules = test_read_file("tests/data/rules.conf", NULL);
	fd = mkstemp(old);
	assert_true(fd >= 0);
	assert_true(write(fd, rules, strlen(rules)) == (ssize_t)strlen(rules));
	assert_true(write(fd, "\nMode monitor\n", 14) == 14);
	close(fd);
	free(rules);
	dir = test_store(old);

	out = test_run(dir, old, &rc, "-c", "tests/data/rules.conf",
		       RP_DIR "replay.mbox", RP_DIR "maildir", NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_non_null(strstr(out, RP_DIR "replay.mbox#1: recorded pass (no "
			       "rule) ref ref-a by sha256; now marketing pass "
			       "(no rule)\n"));
	assert_non_null(strstr(out, RP_DIR "replay.mbox#2: recorded monitor "
			       "(content.imprint) ref ref-b by sha256; now "
			       "marketing reject (content.imprint): "
			       "pass-to-reject\n"));
	assert_non_null(strstr(out, RP_CUR ": recorded pass (no rule) ref "
			       "ref-cur by message-id; now marketing pass"));
	assert_non_null(strstr(out, RP_NEW ": no evidence record"));
	assert_non_null(strstr(out, "replay: 4 messages: 1 pass to reject, 0 "
			       "reject to pass, 0 different rules, 2 "
			       "unchanged, 1 without an evidence record\n"));
	free(out);
	/* Without -c: the current config (the old one), nothing changes. */
	out = test_run(dir, old, &rc, "--format", "json", RP_DIR "replay.mbox",
		       NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_non_null(strstr(out, "\"recorded\":{\"ref\":\"ref-b\","
			       "\"matched_by\":\"sha256\",\"action\":\"monitor\","
			       "\"rules\":[\"content.imprint\"]},\"new\":{"
			       "\"class\":\"marketing\",\"action\":\"monitor\","
			       "\"rules\":[\"content.imprint\"]},\"change\":"
			       "\"none\"}"));
	assert_non_null(strstr(out, "\"pass_to_reject\":0,"));
	free(out);
	out = test_run(dir, old, &rc, NULL);
	assert_int_equal(rc, CTL_EXIT_USAGE);
	free(out);
	out = test_run(dir, old, &rc, RP_DIR "nonexistent", NULL);
	assert_int_equal(rc, CTL_EXIT_REFUSED);
	free(out);
	unlink(old);
	test_rmdir_r(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_milter_sha256),
		cmocka_unit_test(test_mailboxes),
		cmocka_unit_test(test_replay),
	};

	pol_init(); /* GMime, which the mailbox reader uses */
	return cmocka_run_group_tests_name("replay", tests, NULL, NULL);
}
