/*
 * test_audit.c - `consentctl audit withdrawals` and the withdrawal lines of
 * `stats` over a temporary store holding five withdrawals of the kinds the
 * gate knows: by mail (alice), by consentctl with an "at=" an hour before
 * the write (bob), ingested later from a web log whose click lies eleven
 * or more days before the run (carol), one followed by a new double
 * opt-in (dave), one replicated from the centre before the follower
 * recorded arrivals, which leaves no evidence here (erin), and one the
 * follower applied (db_replica_apply) an hour after the centre's time,
 * which leaves its arrival on record (frank).  Decisions are inserted directly: a marketing mail
 * accepted after bob's withdrawal and one accepted between carol's click
 * and its ingestion must be listed with their refs and make the exit code
 * 3; mails before a withdrawal or after the new opt-in must not.  stats
 * and the HTML report show the latency summary.
 */
#include "testlib.h"

#include <getopt.h>

#include "../../ctl/ctl.h"
#include "../../ctl/withdrawals.h"
#include "../../db/replica.h"

static void
test_time(const char *text, int64_t *t)
{
	assert_int_equal(db_time_parse(text, t), DB_OK);
}

/* One decision or withdrawal record written as the milter writes it. */
static void
test_record(struct db_store *s, const char *time, const char *ref,
	    const char *kind, const char *rcpt, const char *cls,
	    const char *action)
{
	struct db_evidence e;

	memset(&e, 0, sizeof(e));
	test_time(time, &e.time);
	e.ref = ref;
	e.kind = kind;
	e.queue_id = "Q1";
	e.message_id = "<m@shop.example>";
	e.sender = strcmp(kind, "decision") == 0 ? "news@shop.example" : "";
	e.recipients = rcpt;
	e.client_ip = "192.0.2.1";
	e.cls = cls;
	e.action = action;
	e.sha256 = "";
	assert_int_equal(db_evidence_append(s, &e), DB_OK);
}

/* A consent event through the state machine; with audit (written at now
 * with the note "at=TIME") the consent-kind record consentctl writes. */
static void
test_event(struct db_store *s, const char *addr, int kind, const char *at,
	   const char *now, int audit)
{
	struct db_event ev;
	struct db_sm_result res;
	struct ctl_audit a;
	int64_t t, n;

	memset(&ev, 0, sizeof(ev));
	test_time(at, &t);
	test_time(now, &n);
	ev.kind = kind;
	ev.at = t;
	ev.ip = "192.0.2.7";
	ev.source = "test";
	ctl_audit_init(&a, n, kind == DB_EV_WITHDRAW ? "withdraw" :
		       kind == DB_EV_CONFIRM ? "confirm" : "add", addr,
		       "192.0.2.7", "at=%s", at);
	assert_int_equal(db_consent_apply(s, addr, &ev, audit ? &a.e : NULL,
					  0, &res), DB_OK);
	assert_int_equal(res.outcome, DB_SM_CHANGED);
}

static void
test_add(struct db_store *s, const char *addr, const char *uid)
{
	struct db_consent c;
	struct db_event ev;
	struct db_sm_result res;

	memset(&c, 0, sizeof(c));
	c.state = DB_STATE_PENDING;
	test_time("2026-11-01T00:00:00Z", &c.created);
	snprintf(c.uid, sizeof(c.uid), "%s", uid);
	memset(&ev, 0, sizeof(ev));
	ev.kind = DB_EV_ADD;
	ev.rec = &c;
	ev.at = c.created;
	assert_int_equal(db_consent_apply(s, addr, &ev, NULL, 0, &res), DB_OK);
}

/* addr withdrawn at the centre at `at`, applied here by the follower at
 * `now` (change id 1). */
static void
test_replicated(struct db_store *s, const char *addr, const char *uid,
		const char *at, const char *now)
{
	struct db_replica_change ch;
	int64_t n;

	memset(&ch, 0, sizeof(ch));
	ch.id = 1;
	ch.op = DB_REPLICA_PUT;
	snprintf(ch.addr, sizeof(ch.addr), "%s", addr);
	ch.c.state = DB_STATE_WITHDRAWN;
	test_time("2026-11-01T00:00:00Z", &ch.c.created);
	test_time(at, &ch.c.withdrawn);
	snprintf(ch.c.uid, sizeof(ch.c.uid), "%s", uid);
	test_time(now, &n);
	assert_int_equal(db_replica_apply(s, 0, &ch, 1, 1, n), DB_OK);
	assert_int_equal(ch.result, DB_REPLICA_APPLIED);
}

/* Run a subcommand like main() does; its standard output is returned. */
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
	optind = 0;
	*rc = fn(&ctx, &cmd, argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(fd);
	out = test_read_file(path, NULL);
	unlink(path);
	return out;
}

static char *
test_store(void)
{
	char *dir = test_tmpdir(), err[256], log[300], *out;
	struct db_store *s;
	FILE *f;
	int rc;

	assert_int_equal(db_open(dir, DB_OPEN_CREATE, &s, err, sizeof(err)),
			 DB_OK);
	test_add(s, "alice@a.example", "u-a");
	test_add(s, "bob@b.example", "u-b");
	test_add(s, "carol@c.example", "u-c");
	test_add(s, "dave@d.example", "u-d");
	test_add(s, "erin@e.example", "u-e");
	test_add(s, "frank@f.example", "u-f");
	/* alice by mail; refused at once after. */
	test_event(s, "alice@a.example", DB_EV_WITHDRAW,
		   "2026-11-10T10:00:00Z", "2026-11-10T10:00:00Z", 0);
	test_record(s, "2026-11-10T10:00:00Z", "w-alice", "withdrawal",
		    "alice@a.example", "", "withdrawn");
	test_record(s, "2026-11-10T12:00:00Z", "d-alice", "decision",
		    "alice@a.example", "marketing", "reject");
	/* bob by consentctl, written an hour after the click; a marketing
	 * mail before it (fine) and one after it (late). */
	test_record(s, "2026-11-12T09:00:00Z", "d-bob-before", "decision",
		    "bob@b.example", "marketing", "pass");
	test_event(s, "bob@b.example", DB_EV_WITHDRAW,
		   "2026-11-12T10:00:00Z", "2026-11-12T11:00:00Z", 1);
	test_record(s, "2026-11-12T12:00:00Z", "d-bob-late", "decision",
		    "Bob@B.example, other@o.example", "marketing", "pass");
	test_record(s, "2026-11-12T13:00:00Z", "d-bob-tx", "decision",
		    "bob@b.example", "transactional", "pass");
	/* dave withdraws, then a new double opt-in; mail after it is fine. */
	test_event(s, "dave@d.example", DB_EV_WITHDRAW,
		   "2026-11-14T10:00:00Z", "2026-11-14T10:00:00Z", 1);
	test_event(s, "dave@d.example", DB_EV_DOI_SEND,
		   "2026-11-15T10:00:00Z", "2026-11-15T10:00:00Z", 1);
	test_event(s, "dave@d.example", DB_EV_CONFIRM,
		   "2026-11-15T11:00:00Z", "2026-11-15T11:00:00Z", 1);
	test_record(s, "2026-11-16T10:00:00Z", "d-dave", "decision",
		    "dave@d.example", "marketing", "pass");
	/* erin: replicated (no evidence here), refused an hour later. */
	test_event(s, "erin@e.example", DB_EV_WITHDRAW,
		   "2026-11-16T10:00:00Z", "2026-11-16T10:00:00Z", 0);
	test_record(s, "2026-11-16T11:00:00Z", "d-erin", "decision",
		    "erin@e.example", "marketing", "reject");
	/* frank: withdrawn at the centre, here an hour later, refused after
	 * that. */
	test_replicated(s, "frank@f.example", "u-f", "2026-11-18T10:00:00Z",
			"2026-11-18T11:00:00Z");
	test_record(s, "2026-11-18T11:30:00Z", "d-frank", "decision",
		    "frank@f.example", "marketing", "reject");
	/* carol's click of 20 Nov; a mail accepted the next day. */
	test_record(s, "2026-11-21T10:00:00Z", "d-carol-late", "decision",
		    "carol@c.example", "marketing", "pass");
	db_close(s);
	snprintf(log, sizeof(log), "%s.log", dir);
	f = fopen(log, "w");
	assert_non_null(f);
	fprintf(f, "192.0.2.9 - - [20/Nov/2026:11:00:00 +0100] \"GET "
		"/newsletter/cancel?uid=u-c HTTP/1.1\" 200 5 \"-\" "
		"\"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 "
		"Firefox/128.0\"\n");
	fclose(f);
	out = test_run(dir, ctl_cmd_ingest_log, "ingest-log", &rc,
		       "--confirm-path", "/newsletter/confirm", "--cancel-path",
		       "/newsletter/cancel", log, NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_non_null(strstr(out, "1 withdrawn"));
	free(out);
	unlink(log);
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

/* The line of out that starts with start, or fail. */
static char *
test_line(const char *out, const char *start)
{
	const char *p = out;
	size_t n = strlen(start);

	while (p && *p) {
		if (strncmp(p, start, n) == 0)
			return g_strndup(p, strcspn(p, "\n"));
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	fail_msg("no line starting '%s' in:\n%s", start, out);
	return NULL;
}

static void
test_audit_text(void **state)
{
	char *out, *l;
	int rc;

	out = test_run(*state, ctl_cmd_audit, "audit", &rc, "withdrawals",
		       NULL);
	assert_int_equal(rc, CTL_EXIT_ATTENTION);
	l = test_line(out, "2026-11-10T10:00:00Z alice@a.example withdrawn by "
		      "mail (ref w-alice)");
	assert_non_null(strstr(l, "first refusal 2026-11-10T12:00:00Z (ref "
			       "d-alice), enforced after 00:00:00"));
	g_free(l);
	l = test_line(out, "2026-11-12T10:00:00Z bob@b.example withdrawn by "
		      "consentctl");
	assert_non_null(strstr(l, "stored 2026-11-12T11:00:00Z"));
	assert_non_null(strstr(l, "enforced after 01:00:00"));
	g_free(l);
	/* Only the marketing mail after bob's withdrawal, not the one
	 * before nor the transactional one. */
	assert_non_null(strstr(out, "  LATE: marketing mail accepted "
			       "2026-11-12T12:00:00Z action pass ref "
			       "d-bob-late"));
	assert_null(strstr(out, "d-bob-before"));
	assert_null(strstr(out, "d-bob-tx"));
	/* carol: the click time from the log, not the time of ingestion. */
	l = test_line(out, "2026-11-20T10:00:00Z carol@c.example withdrawn "
		      "by access log");
	assert_non_null(strstr(l, "(over 48 hours)"));
	g_free(l);
	assert_non_null(strstr(out, "ref d-carol-late"));
	/* dave's mail after the new opt-in is no late mail. */
	g_free(test_line(out, "2026-11-14T10:00:00Z dave@d.example withdrawn "
			 "by"));
	assert_null(strstr(out, "d-dave"));
	l = test_line(out, "2026-11-16T10:00:00Z erin@e.example withdrawn by "
		      "replica (ref -): stored -, first refusal "
		      "2026-11-16T11:00:00Z (ref d-erin), enforced after "
		      "01:00:00");
	g_free(l);
	/* frank: reached this host when the follower applied it. */
	l = test_line(out, "2026-11-18T10:00:00Z frank@f.example withdrawn "
		      "by replica (ref repl-1-");
	assert_non_null(strstr(l, "stored 2026-11-18T11:00:00Z, first "
			       "refusal 2026-11-18T11:30:00Z (ref d-frank), "
			       "enforced after 01:00:00"));
	g_free(l);
	assert_null(strstr(out, "frank@f.example withdrawn by replica (ref "
			       "-)"));
	assert_non_null(strstr(out, "6 of 6 withdrawals, median 01:00:00"));
	assert_non_null(strstr(out, "enforced within 48 hours: 5 of 6"));
	assert_non_null(strstr(out, "(no marketing mail accepted after it): "
			       "4 of 6"));
	assert_non_null(strstr(out, "accepted after a withdrawal: 2\n"));
	free(out);
}

static void
test_audit_window(void **state)
{
	char *out;
	int rc;

	out = test_run(*state, ctl_cmd_audit, "audit", &rc, "withdrawals",
		       "--until", "2026-11-12", NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_non_null(strstr(out, "alice@a.example"));
	assert_null(strstr(out, "bob@b.example"));
	free(out);
	out = test_run(*state, ctl_cmd_audit, "audit", &rc, "withdrawals",
		       "--since", "2026-11-13", "--format", "json", NULL);
	assert_int_equal(rc, CTL_EXIT_ATTENTION);
	assert_null(strstr(out, "bob@b.example"));
	assert_non_null(strstr(out, "\"address\":\"carol@c.example\","
			       "\"ref\":\"ctl-"));
	assert_non_null(strstr(out, "\"at\":\"2026-11-20T10:00:00Z\""));
	assert_non_null(strstr(out, "\"late\":[{\"time\":"
			       "\"2026-11-21T10:00:00Z\",\"ref\":"
			       "\"d-carol-late\""));
	assert_non_null(strstr(out, "\"withdrawals\":4,"));
	assert_non_null(strstr(out, "\"late_mails\":1}"));
	free(out);
	out = test_run(*state, ctl_cmd_audit, "audit", &rc, "withdrawls",
		       NULL);
	assert_int_equal(rc, CTL_EXIT_USAGE);
	free(out);
	out = test_run(*state, ctl_cmd_audit, "audit", &rc, "withdrawals",
		       "--format", "csv", NULL);
	assert_int_equal(rc, CTL_EXIT_USAGE);
	free(out);
	/* --central needs --pg, and prints text only. */
	out = test_run(*state, ctl_cmd_audit, "audit", &rc, "withdrawals",
		       "--central", NULL);
	assert_int_equal(rc, CTL_EXIT_USAGE);
	free(out);
	out = test_run(*state, ctl_cmd_audit, "audit", &rc, "withdrawals",
		       "--central", "--pg", "host=/nonexistent", "--format",
		       "json", NULL);
	assert_int_equal(rc, CTL_EXIT_USAGE);
	free(out);
}

static void
test_stats_latency(void **state)
{
	char *out;
	int rc;

	out = test_run(*state, ctl_cmd_stats, "stats", &rc, NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_non_null(strstr(out, "withdrawal latency"));
	assert_non_null(strstr(out, "enforced within 48 hours: 5 of 6"));
	assert_non_null(strstr(out, "accepted after a withdrawal: 2\n"));
	free(out);
	out = test_run(*state, ctl_cmd_report, "report", &rc, "--html", "-",
		       NULL);
	assert_int_equal(rc, CTL_EXIT_OK);
	assert_non_null(strstr(out, "median 01:00:00, p95 "));
	assert_non_null(strstr(out, "enforced within 48 hours: 5;"));
	assert_non_null(strstr(out, "<div class=\"card bad\"><div class=\"v\">"
			       "2</div><div class=\"l\">Marketing mails "
			       "accepted after a withdrawal"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_text),
		cmocka_unit_test(test_audit_window),
		cmocka_unit_test(test_stats_latency),
	};

	return cmocka_run_group_tests_name("audit", tests, test_setup,
					   test_teardown);
}
