/*
 * test_privacy.c - data subjects' rights and retention in consentctl:
 * `forget` takes an address out of `log` and `evidence` output while
 * `subject` still finds its records by keyed hash, before and after;
 * consent changes by consentctl leave consent-kind evidence; `purge`
 * keeps a withdrawn record and an evidence record until one second past
 * the retention and removes them then; `ingest-log` applies the good
 * lines of an access log, reports malformed lines and unknown uids by
 * FILE:LINE, and converts the log's local times to UTC.  Commands run as
 * main() runs them, with standard output and error captured.
 */
#include "testlib.h"

#include <getopt.h>

#include "../../ctl/ctl.h"

/* 1095 days in seconds: the default EvidenceRetention. */
#define TEST_RETENTION INT64_C(94608000)
#define TEST_T0 INT64_C(1767323045) /* 2026-01-02T03:04:05Z */

struct test_out {
	char *out, *err;
	int rc;
};

static void
test_out_free(struct test_out *o)
{
	free(o->out);
	free(o->err);
}

/* Redirect fd into a new temporary file; returns the saved fd. */
static int
test_capture(int fd, char *path)
{
	int tmp = mkstemp(path), saved;

	assert_true(tmp >= 0);
	saved = dup(fd);
	assert_true(dup2(tmp, fd) >= 0);
	close(tmp);
	return saved;
}

static char *
test_release(int fd, int saved, const char *path)
{
	char *text;

	dup2(saved, fd);
	close(saved);
	text = test_read_file(path, NULL);
	unlink(path);
	return text;
}

/* Run fn as main() runs a subcommand, args NULL-terminated. */
static struct test_out
test_run(const char *dir, ctl_run_fn fn, const char *name, ...)
{
	struct ctl_command cmd = {name, fn, ""};
	struct ctl_ctx ctx = {dir, NULL, NULL};
	char po[] = "/tmp/cgtest.outXXXXXX", pe[] = "/tmp/cgtest.errXXXXXX";
	char *argv[32];
	struct test_out o;
	int argc = 0, so, se;
	va_list ap;

	argv[argc++] = (char *)name;
	va_start(ap, name);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	so = test_capture(1, po);
	se = test_capture(2, pe);
	optind = 0;
	o.rc = fn(&ctx, &cmd, argc, argv);
	fflush(stdout);
	fflush(stderr);
	o.out = test_release(1, so, po);
	o.err = test_release(2, se, pe);
	return o;
}

/* Does text contain want?  Fails with the whole text otherwise. */
static void
test_has(const char *text, const char *want)
{
	if (strstr(text, want) == NULL)
		fail_msg("missing '%s' in:\n%s", want, text);
}

static size_t
test_lines(const char *text)
{
	size_t n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

static void
test_lacks(const char *text, const char *unwanted)
{
	if (strstr(text, unwanted) != NULL)
		fail_msg("unexpected '%s' in:\n%s", unwanted, text);
}

/* A new store in a temporary directory; returns its path. */
static char *
test_new_store(void)
{
	char *dir = test_tmpdir(), err[256];
	struct db_store *s;

	assert_int_equal(db_open(dir, DB_OPEN_CREATE, &s, err, sizeof(err)),
			 DB_OK);
	db_close(s);
	return dir;
}

static void
test_append(const char *dir, const struct db_evidence *e)
{
	struct db_store *s;
	char err[256];

	assert_int_equal(db_open(dir, 0, &s, err, sizeof(err)), DB_OK);
	assert_int_equal(db_evidence_append(s, e), DB_OK);
	db_close(s);
}

static void
test_forget_subject(void **state)
{
	char *dir = test_new_store();
	struct db_evidence e1 = {.time = TEST_T0, .ref = "m1",
				 .kind = "decision", .sender = "news@shop.example",
				 .recipients = "Anna@Example.org,bob@example.org",
				 .client_ip = "198.51.100.1", .cls = "marketing",
				 .rules = "", .action = "pass"};
	struct db_evidence e2 = {.time = TEST_T0 + 60, .ref = "w1",
				 .kind = "withdrawal", .sender = "anna@example.org",
				 .recipients = "unsub@shop.example",
				 .client_ip = "203.0.113.5", .action = "withdrawn"};
	struct test_out o;

	(void)state;
	test_append(dir, &e1);
	test_append(dir, &e2);
	o = test_run(dir, ctl_cmd_add, "add", "anna@example.org", "--uid",
		     "u-1", NULL);
	assert_int_equal(o.rc, CTL_EXIT_OK);
	test_out_free(&o);
	o = test_run(dir, ctl_cmd_subject, "subject", "ANNA@example.org", NULL);
	assert_int_equal(o.rc, CTL_EXIT_OK);
	test_has(o.out, "state: pending");
	test_has(o.out, " m1 decision");
	test_has(o.out, " w1 withdrawal");
	test_has(o.out, "consent - add <> -> anna@example.org");
	test_has(o.out, "3 evidence records name anna@example.org");
	test_out_free(&o);

	o = test_run(dir, ctl_cmd_forget, "forget", "anna@example.org", NULL);
	assert_int_equal(o.rc, CTL_EXIT_OK);
	test_has(o.out, "consent record deleted, 3 evidence records "
			"pseudonymised");
	test_out_free(&o);

	/* Gone from log and evidence ... */
	o = test_run(dir, ctl_cmd_log, "log", NULL);
	assert_int_equal(o.rc, CTL_EXIT_OK);
	test_lacks(o.out, "nna@");
	test_lacks(o.out, "203.0.113.5");
	test_has(o.out, "news@shop.example -> pseudonymised:");
	test_has(o.out, ",bob@example.org");
	test_has(o.out, "withdrawn pseudonymised:");
	test_has(o.out, "forget <> -> - forgotten ");
	test_out_free(&o);
	o = test_run(dir, ctl_cmd_log, "log", "--format", "json", NULL);
	test_lacks(o.out, "nna@");
	test_has(o.out, "\"client_ip\":\"198.51.100.1\"");
	test_out_free(&o);
	o = test_run(dir, ctl_cmd_evidence, "evidence", "w1", NULL);
	assert_int_equal(o.rc, CTL_EXIT_OK);
	test_lacks(o.out, "nna@");
	test_has(o.out, "\"client_ip\":\"pseudonymised:");
	test_out_free(&o);

	/* ... but subject still finds every record by its hash. */
	o = test_run(dir, ctl_cmd_subject, "subject", "anna@example.org", NULL);
	assert_int_equal(o.rc, CTL_EXIT_OK);
	test_has(o.out, "consent record: none");
	test_has(o.out, " m1 decision");
	test_has(o.out, " w1 withdrawal");
	test_has(o.out, " forget ");
	test_has(o.out, "4 evidence records name anna@example.org");
	test_lacks(o.out, "u-1");
	test_out_free(&o);
	o = test_run(dir, ctl_cmd_verify, "verify", NULL);
	assert_int_equal(o.rc, CTL_EXIT_OK);
	test_out_free(&o);
	o = test_run(dir, ctl_cmd_forget, "forget", "not an address", NULL);
	assert_int_equal(o.rc, CTL_EXIT_USAGE);
	test_out_free(&o);
	test_rmdir_r(dir);
}

static const char *test_write(const char *dir, const char *name,
			      const char *text);

/* add, confirm, withdraw and import each leave a consent record of who
 * did it. */
static void
test_audit_records(void **state)
{
	char *dir = test_new_store(), *csv;
	struct test_out o;

	(void)state;
	o = test_run(dir, ctl_cmd_add, "add", "c@example.org", "--uid", "u-9",
		     NULL);
	test_out_free(&o);
	o = test_run(dir, ctl_cmd_confirm, "confirm", "--uid", "u-9", "--ip",
		     "192.0.2.44", "--at", "2026-03-01T10:00:00Z", NULL);
	assert_int_equal(o.rc, CTL_EXIT_OK);
	test_out_free(&o);
	o = test_run(dir, ctl_cmd_withdraw, "withdraw", "c@example.org", "--at",
		     "2026-04-01T10:00:00Z", NULL);
	test_out_free(&o);
	o = test_run(dir, ctl_cmd_log, "log", "--kind", "consent", NULL);
	assert_int_equal(o.rc, CTL_EXIT_OK);
	test_has(o.out, " consent - add <> -> c@example.org state=pending");
	test_has(o.out, " consent - confirm <> -> c@example.org "
			"at=2026-03-01T10:00:00Z, by uid, by=");
	test_has(o.out, " consent - withdraw <> -> c@example.org "
			"at=2026-04-01T10:00:00Z, by=");
	test_out_free(&o);
	o = test_run(dir, ctl_cmd_log, "log", "--action", "confirm", "--format",
		     "json", NULL);
	test_has(o.out, "\"client_ip\":\"192.0.2.44\"");
	test_out_free(&o);
	/* An import writes one record per changed record, with the states
	 * before and after; an unchanged row writes none. */
	csv = strdup(test_write(dir, "in.csv", "x@example.org\ny@example.org\n"));
	o = test_run(dir, ctl_cmd_import, "import", csv, NULL);
	assert_int_equal(o.rc, CTL_EXIT_OK);
	test_out_free(&o);
	o = test_run(dir, ctl_cmd_log, "log", "--action", "import", NULL);
	test_has(o.out, " consent - import <> -> x@example.org ");
	test_has(o.out, "in.csv:2, by=");
	test_has(o.out, "state=none->pending");
	test_lacks(o.out, "records from");
	assert_int_equal(test_lines(o.out), 2);
	test_out_free(&o);
	o = test_run(dir, ctl_cmd_import, "import", csv, NULL);
	assert_int_equal(o.rc, CTL_EXIT_OK);
	test_has(o.out, "changed 0 records");
	test_out_free(&o);
	o = test_run(dir, ctl_cmd_log, "log", "--action", "import", NULL);
	assert_int_equal(test_lines(o.out), 2);
	test_out_free(&o);
	/* The withdrawal is not undone by an old row, and says why. */
	free(csv);
	csv = strdup(test_write(dir, "old.csv", "address,state,confirmed,ip\n"
				"c@example.org,confirmed,2026-03-01T10:00:00Z,"
				"192.0.2.44\n"));
	o = test_run(dir, ctl_cmd_import, "import", csv, NULL);
	assert_int_equal(o.rc, CTL_EXIT_OK);
	test_has(o.out, "old.csv:2: c@example.org: would re-confirm a "
			"withdrawal of 2026-04-01T10:00:00Z");
	test_has(o.out, "skipped, re-confirm-withdrawal: 1");
	test_out_free(&o);
	free(csv);
	test_rmdir_r(dir);
}

/* purge --dry-run and purge at now; want tells whether a is removed. */
static void
test_purge_at(const char *dir, int64_t now, int removed)
{
	char nowtext[32];
	struct db_consent c;
	struct db_store *s;
	struct test_out o;
	char err[256];
	int r;

	snprintf(nowtext, sizeof(nowtext), "%lld", (long long)now);
	o = test_run(dir, ctl_cmd_purge, "purge", "--dry-run", "--now",
		     nowtext, NULL);
	assert_int_equal(o.rc, CTL_EXIT_OK);
	test_has(o.out, removed ? "1 withdrawn consent records"
				: "0 withdrawn consent records");
	test_has(o.out, removed ? "1 evidence records, seq 1 to 1"
				: "0 evidence records");
	test_out_free(&o);
	o = test_run(dir, ctl_cmd_purge, "purge", "--now", nowtext, NULL);
	assert_int_equal(o.rc, CTL_EXIT_OK);
	test_has(o.out, removed ? "  a@example.org (withdrawn "
				: "0 withdrawn consent records");
	test_out_free(&o);
	assert_int_equal(db_open(dir, DB_OPEN_RDONLY, &s, err, sizeof(err)),
			 DB_OK);
	r = db_consent_get(s, "a@example.org", &c);
	assert_int_equal(r, removed ? DB_NOTFOUND : DB_OK);
	assert_int_equal(db_consent_get(s, "p@example.org", &c), DB_OK);
	db_close(s);
}

/* Withdrawn at T0 and evidence of T0: kept at T0 + 3 years - 1 s and at
 * exactly T0 + 3 years, removed one second later. */
static void
test_purge_boundaries(void **state)
{
	char *dir = test_new_store(), err[256];
	struct db_evidence e = {.time = TEST_T0, .ref = "old",
				.kind = "decision", .recipients = "a@example.org",
				.action = "pass"};
	struct db_consent c;
	struct db_store *s;
	struct test_out o;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.state = DB_STATE_WITHDRAWN;
	c.created = TEST_T0 - 86400;
	c.withdrawn = TEST_T0;
	assert_int_equal(db_open(dir, 0, &s, err, sizeof(err)), DB_OK);
	assert_int_equal(db_consent_put(s, "a@example.org", &c), DB_OK);
	c.state = DB_STATE_PENDING; /* never withdrawn: never purged */
	c.withdrawn = 0;
	assert_int_equal(db_consent_put(s, "p@example.org", &c), DB_OK);
	assert_int_equal(db_evidence_append(s, &e), DB_OK);
	db_close(s);
	test_purge_at(dir, TEST_T0 + TEST_RETENTION - 1, 0);
	test_purge_at(dir, TEST_T0 + TEST_RETENTION, 0);
	test_purge_at(dir, TEST_T0 + TEST_RETENTION + 1, 1);
	o = test_run(dir, ctl_cmd_verify, "verify", NULL);
	assert_int_equal(o.rc, CTL_EXIT_OK);
	test_out_free(&o);
	o = test_run(dir, ctl_cmd_log, "log", "--action", "purge", NULL);
	test_has(o.out, "1 consent records withdrawn before "
			"2026-01-02T03:04:06Z, 1 evidence records (seq 1-1)");
	test_out_free(&o);
	o = test_run(dir, ctl_cmd_purge, "purge", "--now", "yesterday", NULL);
	assert_int_equal(o.rc, CTL_EXIT_USAGE);
	test_out_free(&o);
	test_rmdir_r(dir);
}

/* Write text into dir/name; returns a static path. */
static const char *
test_write(const char *dir, const char *name, const char *text)
{
	static char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

#define TEST_GET "\"GET /newsletter/"
#define TEST_TAIL " HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n"

static const char test_access_log[] =
	/* 1: confirm u-1 at 10:00 +0100 = 09:00 UTC */
	"192.0.2.1 - - [24/Nov/2026:10:00:00 +0100] " TEST_GET
	"confirm?x=1&uid=u-1" TEST_TAIL
	/* 2: malformed (no time) */
	"192.0.2.2 - - \"GET /newsletter/confirm?uid=u-2 HTTP/1.1\" 200 1\n"
	/* 3: unknown uid */
	"192.0.2.3 - - [24/Nov/2026:10:01:00 +0100] " TEST_GET
	"confirm?uid=nobody" TEST_TAIL
	/* 4: a 404 is ignored */
	"192.0.2.4 - - [24/Nov/2026:10:02:00 +0100] " TEST_GET
	"confirm?uid=u-2 HTTP/1.1\" 404 0 \"-\" \"-\"\n"
	/* 5: confirm u-2 (percent-encoded) at 23:30 -0530 = next day 05:00 */
	"2001:db8::5 - - [24/Nov/2026:23:30:00 -0530] " TEST_GET
	"confirm/?uid=u%2D2" TEST_TAIL
	/* 6: cancel u-3 with a redirect, 2026-12-31 23:59:59 -0100 */
	"192.0.2.6 - jo [31/Dec/2026:23:59:59 -0100] " TEST_GET
	"cancel?uid=u-3" " HTTP/1.1\" 302 0 \"-\" \"-\"\n"
	/* 7: malformed (bad month) */
	"192.0.2.7 - - [24/Foo/2026:10:00:00 +0100] " TEST_GET
	"confirm?uid=u-1" TEST_TAIL
	/* 8: another path, ignored */
	"192.0.2.8 - - [24/Nov/2026:10:03:00 +0100] \"GET /index.html "
	"HTTP/1.1\" 200 1 \"-\" \"-\"\n";

static void
test_ingest(void **state)
{
	char *dir = test_new_store(), *log;
	struct test_out o;
	struct db_consent c;
	struct db_store *s;
	char err[256], when[DB_TIME_MAX];
	int i;

	(void)state;
	for (i = 1; i <= 3; i++) {
		char addr[32], uid[16];

		snprintf(addr, sizeof(addr), "s%d@example.org", i);
		snprintf(uid, sizeof(uid), "u-%d", i);
		o = test_run(dir, ctl_cmd_add, "add", addr, "--uid", uid,
			     i == 3 ? "--state" : NULL, "confirmed", NULL);
		assert_int_equal(o.rc, CTL_EXIT_OK);
		test_out_free(&o);
	}
	log = strdup(test_write(dir, "access.log", test_access_log));
	o = test_run(dir, ctl_cmd_ingest_log, "ingest-log", "--confirm-path",
		     "/newsletter/confirm", "--cancel-path",
		     "/newsletter/cancel", log, NULL);
	assert_int_equal(o.rc, CTL_EXIT_REFUSED);
	test_has(o.err, ":2: malformed line (no [time])");
	test_has(o.err, ":3: unknown uid nobody");
	test_has(o.err, ":7: malformed line (bad month)");
	test_lacks(o.err, ":4:");
	test_has(o.out, "8 lines: 2 confirmed, 1 withdrawn, 0 unchanged, 0 not "
			"applied, 1 unknown uid, 2 malformed, 2 ignored");
	test_out_free(&o);
	assert_int_equal(db_open(dir, DB_OPEN_RDONLY, &s, err, sizeof(err)),
			 DB_OK);
	assert_int_equal(db_consent_get(s, "s1@example.org", &c), DB_OK);
	assert_int_equal(c.state, DB_STATE_CONFIRMED);
	assert_string_equal(db_time_format(c.confirmed, when, sizeof(when)),
			    "2026-11-24T09:00:00Z");
	assert_string_equal(c.ip, "192.0.2.1");
	assert_int_equal(db_consent_get(s, "s2@example.org", &c), DB_OK);
	assert_string_equal(db_time_format(c.confirmed, when, sizeof(when)),
			    "2026-11-25T05:00:00Z");
	assert_string_equal(c.ip, "2001:db8::5");
	assert_int_equal(db_consent_get(s, "s3@example.org", &c), DB_OK);
	assert_int_equal(c.state, DB_STATE_WITHDRAWN);
	assert_string_equal(db_time_format(c.withdrawn, when, sizeof(when)),
			    "2027-01-01T00:59:59Z");
	db_close(s);
	o = test_run(dir, ctl_cmd_log, "log", "--action", "confirm", NULL);
	test_has(o.out, "from access log ");
	test_has(o.out, "access.log:1 at=2026-11-24T09:00:00Z");
	test_out_free(&o);
	/* Again: nothing changes, and a clean log exits 0. */
	log = (free(log), strdup(test_write(dir, "clean.log",
		"192.0.2.1 - - [24/Nov/2026:10:00:00 +0100] " TEST_GET
		"confirm?uid=u-1" TEST_TAIL)));
	o = test_run(dir, ctl_cmd_ingest_log, "ingest-log", "--confirm-path",
		     "/newsletter/confirm", "--cancel-path",
		     "/newsletter/cancel", log, NULL);
	assert_int_equal(o.rc, CTL_EXIT_OK);
	test_has(o.out, "1 lines: 0 confirmed, 0 withdrawn, 1 unchanged");
	test_out_free(&o);
	o = test_run(dir, ctl_cmd_ingest_log, "ingest-log", log, NULL);
	assert_int_equal(o.rc, CTL_EXIT_USAGE);
	test_out_free(&o);
	free(log);
	test_rmdir_r(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forget_subject),
		cmocka_unit_test(test_audit_records),
		cmocka_unit_test(test_purge_boundaries),
		cmocka_unit_test(test_ingest),
	};

	return cmocka_run_group_tests_name("privacy", tests, NULL, NULL);
}
