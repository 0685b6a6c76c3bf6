/*
 * cmd_report.c - counting views over the evidence records:
 *
 *   stats [--since T] [--until T] [--format text|openmetrics]
 *       records per class, per rule, per action and per UTC day, as text
 *       tables (a record that names a rule twice counts once for it); with
 *       --format openmetrics (or prometheus) the same counts and the
 *       replication state as metrics (metrics.c).  When a record names
 *       a brand profile, also the decisions per profile (report_profile.c).
 *   report --html FILE [--since T] [--until T]
 *       one self-contained HTML page (inline CSS and SVG, no scripts, no
 *       external assets; a Content-Security-Policy forbids loading any):
 *       totals, refusals per rule per day as a stacked bar chart, the ten
 *       senders refused most often, the decisions per brand profile (when
 *       a record names one) and the latest 50 refusals.  FILE "-"
 *       is standard output.
 *
 * A refusal is a decision whose action is reject or tempfail.  Both open
 * the store read-only and share one pass over it (struct ctl_agg,
 * report.h).  The page itself is the template data/report.html.in, filled
 * by report_page.c; its charts are built by report_chart.c.
 *
 * Owns: the count tables of a pass (GLib hash tables of owned keys), the
 * latest refusals (owned struct db_evrec copies) and the report file,
 * which is removed again when writing it fails.  Exit 0 ok, 1 store or
 * write error or a record that does not parse, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "report.h"

/* Add n to the count of key (control characters stored as '?'). */
static void
ctl_tally_add(GHashTable *h, const char *key, uint64_t n)
{
	uint64_t *v = g_hash_table_lookup(h, key);
	char *k, *p;

	if (v == NULL) {
		k = g_strdup(key);
		for (p = k; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		v = g_new0(uint64_t, 1);
		g_hash_table_insert(h, k, v);
	}
	*v += n;
}

uint64_t
ctl_tally_get(GHashTable *h, const char *key)
{
	uint64_t *v = g_hash_table_lookup(h, key);

	return v ? *v : 0;
}

static int
ctl_row_by_count(const void *a, const void *b)
{
	const struct ctl_row *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->key, y->key);
}

static int
ctl_row_by_key(const void *a, const void *b)
{
	return strcmp(((const struct ctl_row *)a)->key,
		      ((const struct ctl_row *)b)->key);
}

struct ctl_row *
ctl_tally_rows(GHashTable *h, int by_key, size_t *n)
{
	struct ctl_row *rows = g_new0(struct ctl_row, g_hash_table_size(h) + 1);
	GHashTableIter it;
	gpointer k, v;

	*n = 0;
	g_hash_table_iter_init(&it, h);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		rows[*n].key = k;
		rows[*n].count = *(uint64_t *)v;
		(*n)++;
	}
	qsort(rows, *n, sizeof(*rows), by_key ? ctl_row_by_key
					       : ctl_row_by_count);
	return rows;
}

static GHashTable *
ctl_tally_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static void
ctl_agg_init(struct ctl_agg *a, int keep)
{
	memset(a, 0, sizeof(*a));
	a->cls = ctl_tally_new();
	a->rule = ctl_tally_new();
	a->action = ctl_tally_new();
	a->day = ctl_tally_new();
	a->ref_rule = ctl_tally_new();
	a->ref_rule_day = ctl_tally_new();
	a->ref_sender = ctl_tally_new();
	a->ref_sender_last = ctl_tally_new(); /* values are g_strdup'd */
	a->wd_day = ctl_tally_new();
	a->prof_dec = ctl_tally_new();
	a->prof_ref = ctl_tally_new();
	a->prof_rule = ctl_tally_new();
	a->keep = keep;
}

static void
ctl_agg_free(struct ctl_agg *a)
{
	GHashTable *all[] = {a->cls, a->rule, a->action, a->day, a->ref_rule,
			     a->ref_rule_day, a->ref_sender,
			     a->ref_sender_last, a->wd_day, a->prof_dec,
			     a->prof_ref, a->prof_rule};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		g_hash_table_destroy(all[i]);
	for (i = 0; i < CTL_REPORT_LATEST; i++)
		ctl_evrec_free(&a->latest[i]);
	ctl_wd_free(&a->wd);
}

/* Did a rule of r before the i-th already name the i-th's id? */
static int
ctl_rule_seen(const struct db_evrec *r, size_t i)
{
	size_t k;

	for (k = 0; k < i; k++)
		if (strcmp(r->rulev[k].id, r->rulev[i].id) == 0)
			return 1;
	return 0;
}

/* Count the rules of r once each; for a refusal also per day. */
static void
ctl_agg_rules(struct ctl_agg *a, const struct db_evrec *r, int refused)
{
	char id[128], key[160];
	size_t i;
	int any = 0;

	for (i = 0; i < r->nrules; i++) {
		if (ctl_rule_seen(r, i))
			continue;
		if (r->rulev[i].id[0] == '\0')
			snprintf(id, sizeof(id), "(unnamed)");
		else
			snprintf(id, sizeof(id), "%s", r->rulev[i].id);
		any = 1;
		ctl_tally_add(a->rule, id, 1);
		if (!refused)
			continue;
		ctl_tally_add(a->ref_rule, id, 1);
		snprintf(key, sizeof(key), "%lld %s",
			 (long long)(r->time / 86400), id);
		if (r->time_ok)
			ctl_tally_add(a->ref_rule_day, key, 1);
	}
	if (any)
		return;
	ctl_tally_add(a->rule, "(none)", 1);
	if (refused) {
		ctl_tally_add(a->ref_rule, "(no rule)", 1);
		snprintf(key, sizeof(key), "%lld (no rule)",
			 (long long)(r->time / 86400));
		if (r->time_ok)
			ctl_tally_add(a->ref_rule_day, key, 1);
	}
}

void
ctl_sender_key(const struct db_evrec *r, char *out, size_t outsz)
{
	if (addr_normalise_sender(r->sender, out, outsz) < 0)
		snprintf(out, outsz, "%s", r->sender);
	if (out[0] == '\0')
		snprintf(out, outsz, "<>");
}

static void
ctl_agg_refusal(struct ctl_agg *a, struct db_evrec *r)
{
	char sender[ADDR_MAX + 1];
	int64_t day = r->time / 86400;

	a->refused++;
	ctl_sender_key(r, sender, sizeof(sender));
	ctl_tally_add(a->ref_sender, sender, 1);
	g_hash_table_replace(a->ref_sender_last, g_strdup(sender),
			     g_strdup(r->time_text));
	if (r->time_ok) {
		if (!a->has_ref_day || day < a->ref_day_min)
			a->ref_day_min = day;
		if (!a->has_ref_day || day > a->ref_day_max)
			a->ref_day_max = day;
		a->has_ref_day = 1;
	}
	if (!a->keep)
		return;
	ctl_evrec_free(&a->latest[a->next]);
	a->latest[a->next] = *r; /* take its strings */
	memset(r, 0, sizeof(*r));
	a->next = (a->next + 1) % CTL_REPORT_LATEST;
	if (a->nlatest < CTL_REPORT_LATEST)
		a->nlatest++;
}

static int
ctl_agg_one(struct db_evrec *r, const char *json, size_t len, void *arg)
{
	struct ctl_agg *a = arg;
	char day[DB_TIME_MAX];
	int refused = ctl_evrec_refused(r);

	(void)json;
	(void)len;
	a->records++;
	if (r->time_ok) {
		if (!a->has_time || r->time < a->first)
			a->first = r->time;
		if (!a->has_time || r->time > a->last)
			a->last = r->time;
		a->has_time = 1;
	}
	ctl_tally_add(a->cls, r->cls[0] ? r->cls : "(none)", 1);
	ctl_tally_add(a->action, r->action[0] ? r->action : "(none)", 1);
	ctl_evrec_day(r, day);
	ctl_tally_add(a->day, day, 1);
	ctl_agg_rules(a, r, refused);
	ctl_profile_count(a, r);
	if (strcmp(r->kind, "decision") == 0) {
		a->decisions++;
		a->passed += strcmp(r->action, "pass") == 0;
		a->held += strcmp(r->action, "quarantine") == 0 ||
			   strcmp(r->action, "tag") == 0;
	}
	/* A retry of the same DOI mail after a 4xx is not another send. */
	a->doi_sent += strcmp(r->kind, "doi-send") == 0;
	a->doi_retries += strcmp(r->kind, "doi-retry") == 0;
	/* Withdrawals of every writer (mail, consentctl, ingest-log,
	 * import), not only those by mail. */
	if (ctl_evrec_is_withdrawal(r)) {
		a->withdrawals++;
		ctl_tally_add(a->wd_day, day, 1);
	}
	if (refused)
		ctl_agg_refusal(a, r);
	return 0;
}

/*
 * The options of stats and report: the time window, --html FILE when html
 * is not NULL (then required), --format text|openmetrics|prometheus when
 * metrics is not NULL (*metrics 1 for the metrics).  CTL_EXIT_OK or
 * CTL_EXIT_USAGE.
 */
static int
ctl_window_options(const struct ctl_command *cmd, int argc, char **argv,
		   struct ctl_evfilter *f, const char **html, int *metrics)
{
	static const struct option longopts[] = {
		{"since", required_argument, NULL, CTL_EVOPT_SINCE},
		{"until", required_argument, NULL, CTL_EVOPT_UNTIL},
		{"html", required_argument, NULL, 'H'},
		{"format", required_argument, NULL, 'F'},
		{NULL, 0, NULL, 0}};
	int c, rc;

	memset(f, 0, sizeof(*f));
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'H' && html != NULL)
			*html = optarg;
		else if (c == 'F' && metrics != NULL &&
			 strcmp(optarg, "text") == 0)
			*metrics = 0;
		else if (c == 'F' && metrics != NULL &&
			 (strcmp(optarg, "openmetrics") == 0 ||
			  strcmp(optarg, "prometheus") == 0))
			*metrics = 1;
		else if (c == CTL_EVOPT_SINCE || c == CTL_EVOPT_UNTIL) {
			if ((rc = ctl_evfilter_option(f, c, optarg)) !=
			    CTL_EXIT_OK)
				return rc;
		} else
			return ctl_usage(cmd);
	}
	if (optind != argc || (html != NULL && *html == NULL))
		return ctl_usage(cmd);
	return CTL_EXIT_OK;
}

/* Count confirmed records and those without DOI proof. */
static int
ctl_agg_consent(const char *addr, const struct db_consent *c, void *arg)
{
	struct ctl_agg *a = arg;

	(void)addr;
	a->confirmed += db_consent_effective_state(c) == DB_STATE_CONFIRMED;
	a->no_doi += db_consent_lacks_doi(c);
	return 0;
}

/* Open the store and count the records of the window f. */
static int
ctl_agg_run(struct ctl_ctx *ctx, const struct ctl_evfilter *f,
	    struct ctl_agg *a)
{
	struct db_store *s = NULL;
	uint64_t bad = 0;
	int rc;

	if ((rc = ctl_store_open(ctx, DB_OPEN_RDONLY, &s)) != CTL_EXIT_OK)
		return rc;
	rc = ctl_evrec_walk(s, f, ctl_agg_one, a, &bad);
	if (rc == DB_OK)
		rc = db_consent_foreach(s, ctl_agg_consent, a);
	if (rc == DB_OK)
		rc = ctl_wd_run(s, f, &a->wd);
	db_close(s);
	return rc == DB_OK && bad == 0 ? CTL_EXIT_OK : CTL_EXIT_REFUSED;
}

/* One text table: a title, a header, then key, count and share. */
static void
ctl_stats_table(FILE *out, const char *title, const char *col,
		GHashTable *h, int by_key, uint64_t total)
{
	struct ctl_row *rows;
	size_t i, n;
	int w = (int)strlen(col);

	rows = ctl_tally_rows(h, by_key, &n);

	for (i = 0; i < n; i++)
		if ((int)strlen(rows[i].key) > w)
			w = (int)strlen(rows[i].key);
	fprintf(out, "%s\n  %-*s  %8s  %6s\n", title, w, col, "records",
		"share");
	for (i = 0; i < n; i++)
		fprintf(out, "  %-*s  %8llu  %5.1f%%\n", w, rows[i].key,
			(unsigned long long)rows[i].count,
			total ? 100.0 * (double)rows[i].count / (double)total
			      : 0.0);
	if (n == 0)
		fprintf(out, "  (no records)\n");
	fputc('\n', out);
	g_free(rows);
}

/* The text form of stats. */
static void
ctl_stats_text(const struct ctl_agg *a)
{
	char t1[DB_TIME_MAX], t2[DB_TIME_MAX];

	printf("evidence records: %llu", (unsigned long long)a->records);
	if (a->has_time)
		printf(" (%s to %s)", db_time_format(a->first, t1, sizeof(t1)),
		       db_time_format(a->last, t2, sizeof(t2)));
	printf("\nrefused: %llu of %llu decisions\n",
	       (unsigned long long)a->refused,
	       (unsigned long long)a->decisions);
	printf("doi mails passed to the MTA: %llu (plus %llu retries of the "
	       "same mail after a temporary failure)\n\n",
	       (unsigned long long)a->doi_sent,
	       (unsigned long long)a->doi_retries);
	printf("withdrawals: %llu\nconfirmed records now: %llu, of them "
	       "without DOI proof (no DOI mail sent before the "
	       "confirmation): %llu\n\n", (unsigned long long)a->withdrawals,
	       (unsigned long long)a->confirmed, (unsigned long long)a->no_doi);
	ctl_wd_summary_text(stdout, &a->wd);
	fputc('\n', stdout);
	ctl_stats_table(stdout, "by class", "class", a->cls, 0, a->records);
	ctl_stats_table(stdout, "by rule (records naming it)", "rule", a->rule,
			0, a->records);
	ctl_stats_table(stdout, "by action", "action", a->action, 0,
			a->records);
	ctl_profile_text(stdout, a);
	ctl_stats_table(stdout, "by day (UTC)", "day", a->day, 1, a->records);
	ctl_stats_table(stdout, "withdrawals by day (UTC)", "day", a->wd_day, 1,
			a->withdrawals);
}

/* The metrics form of stats: the counts plus the replication state. */
static int
ctl_stats_metrics(struct ctl_ctx *ctx, const struct ctl_agg *a)
{
	struct ctl_metrics m;
	int rc;

	memset(&m, 0, sizeof(m));
	m.records = a->records;
	m.decisions = a->decisions;
	m.refused = a->refused;
	m.doi_sent = a->doi_sent;
	m.withdrawals = a->withdrawals;
	m.confirmed = a->confirmed;
	m.no_doi = a->no_doi;
	m.cls = a->cls;
	m.rule = a->rule;
	m.action = a->action;
	if ((rc = ctl_metrics_replica(ctx, &m)) != CTL_EXIT_OK)
		return rc;
	if (ctl_metrics_write(stdout, &m) < 0) {
		ctl_error("cannot write the metrics: %s", strerror(errno));
		return CTL_EXIT_REFUSED;
	}
	return CTL_EXIT_OK;
}

int
ctl_cmd_stats(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	      char **argv)
{
	struct ctl_evfilter f;
	struct ctl_agg a;
	int rc, metrics = 0;

	if ((rc = ctl_window_options(cmd, argc, argv, &f, NULL, &metrics)) !=
	    CTL_EXIT_OK)
		return rc;
	ctl_agg_init(&a, 0);
	rc = ctl_agg_run(ctx, &f, &a);
	if (rc == CTL_EXIT_USAGE || (rc != CTL_EXIT_OK && a.records == 0) ||
	    (rc != CTL_EXIT_OK && metrics)) {
		/* A scraper gets no partial numbers: they would look real. */
		ctl_agg_free(&a);
		return rc;
	}
	if (metrics)
		rc = ctl_stats_metrics(ctx, &a);
	else
		ctl_stats_text(&a);
	ctl_agg_free(&a);
	return rc;
}

/* ---- The HTML report (report_page.c, report_chart.c). ---- */

/* The page into out; returns non-zero after a write error (or a broken
 * template, which ctl_error names). */
static int
ctl_report_write(FILE *out, const char *dir, const struct ctl_evfilter *f,
		 const struct ctl_agg *a)
{
	GString *page = g_string_new("");
	char err[160];
	int bad;

	if ((bad = ctl_report_page(page, dir, f, a, err, sizeof(err))) != 0)
		ctl_error("report template: %s", err);
	else
		bad = fwrite(page->str, 1, page->len, out) != page->len;
	g_string_free(page, TRUE);
	return bad | (fflush(out) != 0) | ferror(out);
}

int
ctl_cmd_report(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	       char **argv)
{
	struct ctl_evfilter f;
	struct ctl_agg a;
	const char *html = NULL;
	FILE *out;
	int rc, bad;

	if ((rc = ctl_window_options(cmd, argc, argv, &f, &html, NULL)) !=
	    CTL_EXIT_OK)
		return rc;
	ctl_agg_init(&a, 1);
	rc = ctl_agg_run(ctx, &f, &a);
	if (rc == CTL_EXIT_USAGE || (rc != CTL_EXIT_OK && a.records == 0)) {
		ctl_agg_free(&a);
		return rc;
	}
	out = strcmp(html, "-") == 0 ? stdout : fopen(html, "w");
	if (out == NULL) {
		ctl_error("%s: cannot create: %s", html, strerror(errno));
		ctl_agg_free(&a);
		return CTL_EXIT_REFUSED;
	}
	bad = ctl_report_write(out, ctx->dir, &f, &a);
	if (out != stdout)
		bad |= fclose(out) != 0;
	if (bad) {
		ctl_error("%s: write error", html);
		if (out != stdout)
			unlink(html);
		rc = CTL_EXIT_REFUSED;
	}
	ctl_agg_free(&a);
	return rc;
}
