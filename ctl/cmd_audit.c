/*
 * cmd_audit.c - `consentctl audit withdrawals [--since T] [--until T]
 * [--format text|json] [--central --pg CONNINFO]`: every withdrawal whose
 * moment (the click or mail
 * that caused it) lies in the window, when it reached this store, the
 * first marketing decision after it that refused a mail, the time until it
 * was enforced, and every marketing mail accepted for the address after
 * it, with its evidence ref (withdrawals.c does the join); then the
 * latency distribution against the 48-hour limit and the "before the next
 * send" rule.  With --central the withdrawals of the centre's change log
 * on every host, from the centre's copy of the evidence
 * (withdrawals_central.c).
 *
 * Owns: the audit of one run and, for json, the output text (struct buf).
 * Opens the store read-only.  Exit 0 when no marketing mail was accepted
 * after a withdrawal, 3 (CTL_EXIT_ATTENTION) when one was, 1 on a store
 * error or a record that does not parse, 2 on usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../common/buf.h"
#include "../common/json.h"
#include "withdrawals.h"

static void
ctl_audit_time(int has, int64_t t, char out[DB_TIME_MAX])
{
	if (has)
		db_time_format(t, out, DB_TIME_MAX);
	else
		snprintf(out, DB_TIME_MAX, "-");
}

static void
ctl_audit_text_one(const struct ctl_wd *w)
{
	char at[DB_TIME_MAX], st[DB_TIME_MAX], rf[DB_TIME_MAX], d[32];
	guint i;

	ctl_audit_time(1, w->at, at);
	ctl_audit_time(w->has_stored, w->stored, st);
	ctl_audit_time(w->has_refused, w->refused_at, rf);
	if (w->has_enforced)
		ctl_wd_duration(w->enforced > w->at ? w->enforced - w->at : 0,
				d);
	else
		snprintf(d, sizeof(d), "unknown");
	printf("%s %s withdrawn by %s (ref %s): stored %s, first refusal %s "
	       "(ref %s), enforced after %s%s\n", at, w->addr, w->source,
	       w->ref[0] ? w->ref : "-", st, rf,
	       w->refused_ref ? w->refused_ref : "-", d,
	       w->has_enforced && w->enforced - w->at > CTL_WD_LIMIT ?
	       " (over 48 hours)" : "");
	for (i = 0; i < w->late->len; i++) {
		const struct ctl_wd_mail *m = g_ptr_array_index(w->late, i);

		db_time_format(m->time, st, sizeof(st));
		printf("  LATE: marketing mail accepted %s action %s ref %s "
		       "message-id %s\n", st, m->action, m->ref,
		       m->message_id[0] ? m->message_id : "-");
	}
}

/* One withdrawal as a JSON object into b. */
static void
ctl_audit_json_one(struct buf *b, const struct ctl_wd *w)
{
	char t[DB_TIME_MAX];
	guint i;

	buf_puts(b, "{\"address\":");
	json_put_string(b, w->addr);
	buf_puts(b, ",\"ref\":");
	json_put_string(b, w->ref);
	buf_puts(b, ",\"source\":");
	json_put_string(b, w->source);
	buf_printf(b, ",\"at\":\"%s\",\"stored\":",
		   db_time_format(w->at, t, sizeof(t)));
	buf_printf(b, w->has_stored ? "\"%s\"" : "null",
		   db_time_format(w->stored, t, sizeof(t)));
	buf_puts(b, ",\"first_refusal\":");
	buf_printf(b, w->has_refused ? "\"%s\"" : "null",
		   db_time_format(w->refused_at, t, sizeof(t)));
	buf_puts(b, ",\"first_refusal_ref\":");
	if (w->has_refused)
		json_put_string(b, w->refused_ref);
	else
		buf_puts(b, "null");
	if (w->has_enforced)
		buf_printf(b, ",\"latency\":%lld",
			   (long long)(w->enforced > w->at ?
				       w->enforced - w->at : 0));
	else
		buf_puts(b, ",\"latency\":null");
	buf_puts(b, ",\"late\":[");
	for (i = 0; i < w->late->len; i++) {
		const struct ctl_wd_mail *m = g_ptr_array_index(w->late, i);

		buf_printf(b, "%s{\"time\":\"%s\",\"ref\":", i ? "," : "",
			   db_time_format(m->time, t, sizeof(t)));
		json_put_string(b, m->ref);
		buf_puts(b, ",\"action\":");
		json_put_string(b, m->action);
		buf_puts(b, ",\"message_id\":");
		json_put_string(b, m->message_id);
		buf_putc(b, '}');
	}
	buf_puts(b, "]}");
}

static int
ctl_audit_json(const struct ctl_wd_audit *a)
{
	struct buf b = BUF_INIT;
	guint i;
	int bad;

	buf_puts(&b, "{\"withdrawals\":[");
	for (i = 0; i < a->wds->len; i++) {
		if (i)
			buf_putc(&b, ',');
		ctl_audit_json_one(&b, g_ptr_array_index(a->wds, i));
	}
	buf_printf(&b, "],\"summary\":{\"withdrawals\":%u,\"enforced\":%zu,"
		   "\"median\":%lld,\"p95\":%lld,\"max\":%lld,"
		   "\"limit\":%d,\"within_limit\":%zu,"
		   "\"honoured_before_next_send\":%zu,\"late_mails\":%llu}}\n",
		   a->wds->len, a->nlat, (long long)a->median,
		   (long long)a->p95, (long long)a->max, CTL_WD_LIMIT,
		   a->within_limit, a->honoured, (unsigned long long)a->late);
	bad = b.data == NULL || fwrite(b.data, 1, b.len, stdout) != b.len;
	buf_free(&b);
	return bad ? -1 : 0;
}

static int
ctl_audit_options(const struct ctl_command *cmd, int argc, char **argv,
		  struct ctl_evfilter *f, int *json, const char **pg)
{
	static const struct option longopts[] = {
		{"since", required_argument, NULL, CTL_EVOPT_SINCE},
		{"until", required_argument, NULL, CTL_EVOPT_UNTIL},
		{"format", required_argument, NULL, 'F'},
		{"central", no_argument, NULL, 'c'},
		{"pg", required_argument, NULL, 'p'},
		{NULL, 0, NULL, 0}};
	int c, rc, central = 0;

	memset(f, 0, sizeof(*f));
	if (argc < 2 || strcmp(argv[1], "withdrawals") != 0)
		return ctl_usage(cmd);
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'F' && (strcmp(optarg, "text") == 0 ||
				 strcmp(optarg, "json") == 0))
			*json = strcmp(optarg, "json") == 0;
		else if (c == 'c')
			central = 1;
		else if (c == 'p')
			*pg = optarg;
		else if (c == CTL_EVOPT_SINCE || c == CTL_EVOPT_UNTIL) {
			if ((rc = ctl_evfilter_option(f, c, optarg)) !=
			    CTL_EXIT_OK)
				return rc;
		} else
			return ctl_usage(cmd);
	}
	if (central != (*pg != NULL) || (central && *json)) {
		ctl_error("audit: --central and --pg go together, and print "
			  "text only");
		return ctl_usage(cmd);
	}
	return optind == argc ? CTL_EXIT_OK : ctl_usage(cmd);
}

int
ctl_cmd_audit(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	      char **argv)
{
	struct ctl_evfilter f;
	struct ctl_wd_audit a;
	struct db_store *s = NULL;
	const char *pg = NULL;
	int rc, json = 0, r;
	guint i;

	if ((rc = ctl_audit_options(cmd, argc, argv, &f, &json, &pg)) !=
	    CTL_EXIT_OK ||
	    (rc = ctl_store_open(ctx, DB_OPEN_RDONLY, &s)) != CTL_EXIT_OK)
		return rc;
	if (pg != NULL) {
		/* The store gives the keys the centre's records are hashed
		 * with. */
		rc = ctl_wd_central(pg, s, &f);
		db_close(s);
		return rc;
	}
	r = ctl_wd_run(s, &f, &a);
	db_close(s);
	if (r != DB_OK) {
		ctl_error("cannot read the store: %s", db_strerror(r));
		ctl_wd_free(&a);
		return CTL_EXIT_REFUSED;
	}
	if (json) {
		if (ctl_audit_json(&a) < 0)
			rc = CTL_EXIT_REFUSED;
	} else {
		for (i = 0; i < a.wds->len; i++)
			ctl_audit_text_one(g_ptr_array_index(a.wds, i));
		if (a.wds->len == 0)
			printf("no withdrawals in the window\n");
		ctl_wd_summary_text(stdout, &a);
	}
	if (rc == CTL_EXIT_OK && a.bad > 0)
		rc = CTL_EXIT_REFUSED;
	if (rc == CTL_EXIT_OK && a.late > 0) {
		ctl_error("%llu marketing mail(s) accepted after a withdrawal",
			  (unsigned long long)a.late);
		rc = CTL_EXIT_ATTENTION;
	}
	ctl_wd_free(&a);
	return rc;
}
