/*
 * cmd_ingest.c - `consentctl ingest-log`: record the double opt-in
 * confirmations and cancellations found in web server access logs.
 *
 *   ingest-log --confirm-path P --cancel-path P [--uid-param NAME]
 *              [--scanner-agents FILE]... [--require-post] FILE...
 *
 * Each FILE ("-" is standard input) is an nginx or Apache access log in
 * combined (or common) format, plain or gzip-compressed (ctl/logread.c):
 *   IP - USER [24/Nov/2026:10:00:00 +0100] "GET /path?uid=abc HTTP/1.1" 200
 *   512 "referer" "user agent"
 * A request whose path is the confirm or cancel path or lies under it (at
 * a path segment boundary: /newsletter/confirm covers /newsletter/confirm/
 * and /newsletter/confirm?uid=.., not /newsletter/confirmation-page) and
 * whose answer was 2xx or 3xx is a click; other requests are ignored.  A
 * click is skipped, and counted by reason, when its method is neither GET
 * nor POST (a HEAD or OPTIONS of a link checker), when its user agent (the
 * last quoted field) contains an entry of the scanner list
 * (ctl/scanner-agents.txt, plus --scanner-agents files), or, with
 * --require-post, when a confirmation is not a POST (the confirm page's
 * button rather than the GET of the mailed link).  A click names a record
 * by the uid query parameter (uid by default, percent-decoded by
 * url_query_param, the milter's decoder).  A confirmation moves a pending record to
 * confirmed with the log's time (converted to UTC) and client IP; a
 * cancellation withdraws a record.  Both go through the consent state
 * machine (db/consent_sm.h): a confirmation of a withdrawn record counts
 * only after a DOI mail sent after the withdrawal, a cancellation older
 * than the record's confirmation is not applied, and a confirmation of a
 * confirmed record is added to its history.  Other requests are
 * ignored.  Each change is stored with a consent-kind evidence record
 * ("from access log FILE:LINE at=T", the client IP kept as personal data).
 *
 * A malformed line, a confirm or cancel request without uid and an unknown
 * uid are reported on stderr with FILE:LINE and skipped; the rest is
 * applied.  Exit 0 when every line was good, 1 when any was reported or
 * the store failed, 2 usage.  Owns: the store handle, each open file and
 * the line buffer of the run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/time.h"
#include "../common/url.h"
#include "ctl.h"
#include "logread.h"

struct ctl_ingest {
	const char *confirm_path, *cancel_path, *uid_param;
	uint64_t lines, confirmed, withdrawn, unchanged, skipped, ignored;
	uint64_t malformed, unknown;
	/* Clicks not taken as the subscriber's, by reason. */
	uint64_t skip_method, skip_scanner, skip_not_post;
	struct ctl_agents *agents;
	int require_post;
};

/* One parsed log line (pointers into the line, which is cut up). */
struct ctl_logline {
	const char *ip;
	int64_t time;  /* UTC */
	const char *method; /* "GET", "HEAD", ...; "" when there is none */
	char *target;  /* path?query */
	int status;
	const char *agent; /* the last quoted field, "" when there is none */
};

static const char ctl_months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* "24/Nov/2026:10:00:00 +0100" into UTC seconds; NULL or a reason.  The
 * fields are rearranged into ISO 8601 for the one time parser. */
static const char *
ctl_log_time(const char *s, int64_t *out)
{
	char iso[64], mon[4];
	int d, y, h, mi, sec, off, n = 0;
	const char *m;

	if (sscanf(s, "%2d/%3[A-Za-z]/%4d:%2d:%2d:%2d %d%n", &d, mon, &y, &h,
		   &mi, &sec, &off, &n) != 7 || s[n] != '\0' ||
	    (s[21] != '+' && s[21] != '-') || strlen(s) != 26)
		return "bad time";
	if ((m = strstr(ctl_months, mon)) == NULL || (m - ctl_months) % 3)
		return "bad month";
	snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02d%.5s", y,
		 (int)(m - ctl_months) / 3 + 1, d, h, mi, sec, s + 21);
	return time_parse(iso, TIME_ISO, out) == 0 ? NULL : "bad time";
}

/*
 * The user agent: the last quoted field of what follows the status (the
 * combined format's last field), cut out of rest; "" when there is none.
 * Apache writes a quote inside it as \", nginx as \x22.
 */
static const char *
ctl_log_agent(char *rest)
{
	char *end = strrchr(rest, '"'), *p;

	if (end == NULL || end == rest)
		return "";
	for (p = end - 1; p >= rest; p--)
		if (*p == '"' && (p == rest || p[-1] != '\\'))
			break;
	if (p < rest)
		return "";
	*end = '\0';
	return p + 1;
}

/* Cut one log line into its fields; NULL or the reason it is malformed. */
static const char *
ctl_log_parse(char *line, struct ctl_logline *l)
{
	unsigned char a[sizeof(struct in6_addr)];
	char *p, *e, *req, *tz;
	const char *why;

	line[strcspn(line, "\r\n")] = '\0';
	if ((p = strchr(line, ' ')) == NULL)
		return "no client address";
	*p++ = '\0';
	l->ip = line;
	if (strlen(l->ip) > DB_IP_MAX || (inet_pton(AF_INET, l->ip, a) != 1 &&
					  inet_pton(AF_INET6, l->ip, a) != 1))
		return "bad client address";
	if ((p = strchr(p, '[')) == NULL || (e = strchr(p, ']')) == NULL)
		return "no [time]";
	*e = '\0';
	if ((why = ctl_log_time(p + 1, &l->time)) != NULL)
		return why;
	if (strncmp(e + 1, " \"", 2) != 0)
		return "no \"request\"";
	req = e + 3;
	/* nginx writes a quote inside the request as \x22, so the first
	 * '"' followed by a space ends it. */
	if ((e = strstr(req, "\" ")) == NULL)
		return "unterminated \"request\"";
	*e = '\0';
	if (sscanf(e + 2, "%3d", &l->status) != 1 || l->status < 100 ||
	    (e[5] != ' ' && e[5] != '\0'))
		return "bad status";
	l->agent = e[5] ? ctl_log_agent(e + 6) : "";
	if ((tz = strchr(req, ' ')) == NULL) {
		l->method = "";
		l->target = e; /* "-" for a request that never came: no match */
		return NULL;
	}
	*tz = '\0';
	l->method = req;
	l->target = tz + 1;
	l->target[strcspn(l->target, " ")] = '\0';
	return NULL;
}

/* Apply one confirmation or cancellation to the record of addr, through
 * the consent state machine (db/consent_sm.h). */
static int
ctl_ingest_apply(struct db_store *s, struct ctl_ingest *in, const char *addr,
		 int confirm, const struct ctl_logline *l, const char *where)
{
	struct db_event ev;
	struct db_sm_result res;
	struct ctl_audit a;
	char when[DB_TIME_MAX], note[700];
	int r;

	memset(&ev, 0, sizeof(ev));
	snprintf(note, sizeof(note), "access log %s", where);
	ev.kind = confirm ? DB_EV_CONFIRM : DB_EV_WITHDRAW;
	ev.at = l->time;
	ev.ip = l->ip;
	ev.note = note;
	ctl_audit_init(&a, ctl_now(), confirm ? "confirm" : "withdraw", addr,
		       l->ip, "from access log %s at=%s", where,
		       db_time_format(l->time, when, sizeof(when)));
	if ((r = db_consent_apply(s, addr, &ev, &a.e, 0, &res)) != DB_OK) {
		ctl_error("%s: cannot store %s: %s", where, addr,
			  db_strerror(r));
		return -1;
	}
	if (res.outcome == DB_SM_SAME) {
		in->unchanged++;
	} else if (res.outcome == DB_SM_REFUSED) {
		printf("%s: %s is %s; the %s is not applied: %s\n", where,
		       addr, db_state_name(res.before), confirm ?
		       "confirmation" : "cancellation", res.why);
		in->skipped++;
	} else if (confirm) {
		in->confirmed++;
	} else {
		in->withdrawn++;
	}
	return 0;
}

/*
 * Is the path (the first pathlen bytes of target) prefix or under it, at
 * a segment boundary?  The rule of url_has_prefix for a path: the prefix
 * ends in '/', or the path ends or goes on with '/' right after it.
 */
static int
ctl_path_is(const char *target, size_t pathlen, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 0 || pathlen < n || strncmp(target, prefix, n) != 0)
		return 0;
	return prefix[n - 1] == '/' || pathlen == n || target[n] == '/';
}

/*
 * Is this click the subscriber's?  NULL when it is; otherwise it is
 * counted and the reason returned: a method other than GET and POST, a
 * scanner's user agent, or a GET confirmation under --require-post.
 */
static const char *
ctl_click_skip(struct ctl_ingest *in, const struct ctl_logline *l,
	       int confirm)
{
	if (strcmp(l->method, "GET") != 0 && strcmp(l->method, "POST") != 0) {
		in->skip_method++;
		return "method";
	}
	if (ctl_agents_match(in->agents, l->agent) != NULL) {
		in->skip_scanner++;
		return "scanner agent";
	}
	if (confirm && in->require_post && strcmp(l->method, "POST") != 0) {
		in->skip_not_post++;
		return "not POST";
	}
	return NULL;
}

/* One line of one file; -1 on a store error (the run stops). */
static int
ctl_ingest_line(struct db_store *s, struct ctl_ingest *in, char *line,
		const char *where)
{
	char uid[DB_UID_MAX + 1], addr[ADDR_MAX + 1];
	struct ctl_logline l;
	const char *why;
	size_t pathlen;
	int confirm, r;

	if ((why = ctl_log_parse(line, &l)) != NULL) {
		ctl_error("%s: malformed line (%s); skipped", where, why);
		in->malformed++;
		return 0;
	}
	pathlen = strcspn(l.target, "?#");
	confirm = ctl_path_is(l.target, pathlen, in->confirm_path);
	if ((!confirm && !ctl_path_is(l.target, pathlen, in->cancel_path)) ||
	    l.status < 200 || l.status > 399) {
		in->ignored++;
		return 0;
	}
	if (ctl_click_skip(in, &l, confirm) != NULL)
		return 0;
	/* The same decoding as the milter's reading of a confirm link. */
	if (url_query_param(l.target, in->uid_param, uid, sizeof(uid)) <= 0) {
		ctl_error("%s: %s request without a usable %s parameter; "
			  "skipped", where, confirm ? "confirm" : "cancel",
			  in->uid_param);
		in->unknown++;
		return 0;
	}
	r = db_consent_by_uid(s, uid, addr, sizeof(addr));
	if (r == DB_NOTFOUND || r == DB_ERR_INVALID) {
		ctl_error("%s: unknown uid %s; skipped", where, uid);
		in->unknown++;
		return 0;
	}
	if (r != DB_OK) {
		ctl_error("%s: cannot look up uid %s: %s", where, uid,
			  db_strerror(r));
		return -1;
	}
	return ctl_ingest_apply(s, in, addr, confirm, &l, where);
}

/* Every line of one file, plain or gzip. */
static int
ctl_ingest_file(struct db_store *s, struct ctl_ingest *in, const char *name)
{
	struct ctl_logfile *lf;
	GString *line;
	char where[600], err[600];
	size_t n = 0;
	int rc = 0, got;

	if ((lf = ctl_logfile_open(name, err, sizeof(err))) == NULL) {
		ctl_error("%s", err);
		return -1;
	}
	line = g_string_new(NULL);
	while (rc == 0 &&
	       (got = ctl_logfile_line(lf, line, err, sizeof(err))) == 1) {
		n++;
		in->lines++;
		snprintf(where, sizeof(where), "%s:%zu", name, n);
		rc = ctl_ingest_line(s, in, line->str, where);
	}
	if (rc == 0 && got < 0) {
		ctl_error("%s", err);
		rc = -1;
	}
	g_string_free(line, TRUE);
	ctl_logfile_close(lf);
	return rc;
}

/* Read the options into in; CTL_EXIT_OK or the exit code to return. */
static int
ctl_ingest_options(struct ctl_ingest *in, const struct ctl_command *cmd,
		   int argc, char **argv)
{
	static const struct option opts[] = {
		{"confirm-path", required_argument, NULL, 'c'},
		{"cancel-path", required_argument, NULL, 'x'},
		{"uid-param", required_argument, NULL, 'u'},
		{"scanner-agents", required_argument, NULL, 'a'},
		{"require-post", no_argument, NULL, 'p'},
		{NULL, 0, NULL, 0}};
	char err[600];
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'c')
			in->confirm_path = optarg;
		else if (o == 'x')
			in->cancel_path = optarg;
		else if (o == 'u' && optarg[0] && !strpbrk(optarg, "&=#"))
			in->uid_param = optarg;
		else if (o == 'p')
			in->require_post = 1;
		else if (o != 'a')
			return ctl_usage(cmd);
		else if (ctl_agents_add_file(in->agents, optarg, err,
					     sizeof(err)) < 0) {
			ctl_error("--scanner-agents: %s", err);
			return CTL_EXIT_USAGE;
		}
	}
	if (!in->confirm_path || !in->cancel_path || !in->confirm_path[0] ||
	    !in->cancel_path[0] || optind == argc)
		return ctl_usage(cmd);
	return CTL_EXIT_OK;
}

int
ctl_cmd_ingest_log(struct ctl_ctx *ctx, const struct ctl_command *cmd,
		   int argc, char **argv)
{
	struct ctl_ingest in = {NULL, NULL, "uid"};
	struct db_store *s = NULL;
	int rc, i, failed = 0;

	in.agents = ctl_agents_new();
	if ((rc = ctl_ingest_options(&in, cmd, argc, argv)) != CTL_EXIT_OK ||
	    (rc = ctl_store_open(ctx, 0, &s)) != CTL_EXIT_OK) {
		ctl_agents_free(in.agents);
		return rc;
	}
	for (i = optind; i < argc && !failed; i++)
		failed = ctl_ingest_file(s, &in, argv[i]) < 0;
	db_close(s);
	ctl_agents_free(in.agents);
	printf("ingest-log: %llu lines: %llu confirmed, %llu withdrawn, %llu "
	       "unchanged, %llu not applied, %llu unknown uid, %llu malformed, "
	       "%llu ignored\n", (unsigned long long)in.lines,
	       (unsigned long long)in.confirmed,
	       (unsigned long long)in.withdrawn,
	       (unsigned long long)in.unchanged,
	       (unsigned long long)in.skipped, (unsigned long long)in.unknown,
	       (unsigned long long)in.malformed,
	       (unsigned long long)in.ignored);
	printf("ingest-log: clicks skipped: %llu method not GET or POST, %llu "
	       "scanner agent, %llu not POST\n",
	       (unsigned long long)in.skip_method,
	       (unsigned long long)in.skip_scanner,
	       (unsigned long long)in.skip_not_post);
	return failed || in.unknown || in.malformed ? CTL_EXIT_REFUSED
						   : CTL_EXIT_OK;
}
