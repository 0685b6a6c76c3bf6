/*
 * cmd_report.c - counting views over the evidence records:
 *
 *   stats [--since T] [--until T] [--format text|openmetrics]
 *       records per class, per rule, per action and per UTC day, as text
 *       tables (a record that names a rule twice counts once for it); with
 *       --format openmetrics (or prometheus) the same counts and the
 *       replication state as metrics (metrics.c).
 *   report --html FILE [--since T] [--until T]
 *       one self-contained HTML page (inline CSS and SVG, no scripts, no
 *       external assets; a Content-Security-Policy forbids loading any):
 *       totals, refusals per rule per day as a stacked bar chart, the ten
 *       senders refused most often, and the latest 50 refusals.  FILE "-"
 *       is standard output.
 *
 * A refusal is a decision whose action is reject or tempfail.  Both open
 * the store read-only and share one pass over it (struct ctl_agg).
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

#include "ctl.h"
#include "evrec.h"
#include "metrics.h"

#define CTL_REPORT_LATEST 50  /* refusals listed in the report */
#define CTL_REPORT_SENDERS 10 /* senders in the top list */
#define CTL_CHART_SERIES 8    /* rules with their own colour; then "other" */
#define CTL_CHART_DAYS 366    /* days at most in the chart (the latest) */

/* One pass over the records. */
struct ctl_agg {
	uint64_t records, decisions, refused, passed, held, doi_sent,
		doi_retries, withdrawals;
	uint64_t confirmed, no_doi; /* consent records now (not windowed) */
	GHashTable *wd_day;         /* withdrawals per day */
	int has_time;
	int64_t first, last; /* record times seen */
	GHashTable *cls, *rule, *action, *day; /* all records */
	GHashTable *ref_rule, *ref_rule_day, *ref_sender; /* refusals */
	GHashTable *ref_sender_last; /* sender -> time of its last refusal */
	int has_ref_day;
	int64_t ref_day_min, ref_day_max; /* day numbers (time / 86400) */
	int keep; /* keep the latest refusals (the report) */
	size_t nlatest, next;
	struct db_evrec latest[CTL_REPORT_LATEST]; /* a ring, oldest at next */
};

/* One row of a count table, borrowed from its hash table. */
struct ctl_row {
	const char *key;
	uint64_t count;
};

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

static uint64_t
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

/* The rows of h sorted by key or by falling count; g_free the array. */
static struct ctl_row *
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
	a->keep = keep;
}

static void
ctl_agg_free(struct ctl_agg *a)
{
	GHashTable *all[] = {a->cls, a->rule, a->action, a->day, a->ref_rule,
			     a->ref_rule_day, a->ref_sender,
			     a->ref_sender_last, a->wd_day};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		g_hash_table_destroy(all[i]);
	for (i = 0; i < CTL_REPORT_LATEST; i++)
		ctl_evrec_free(&a->latest[i]);
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

/* The sender of r as shown: normalised when it can be, "<>" when null. */
static void
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
	ctl_stats_table(stdout, "by class", "class", a->cls, 0, a->records);
	ctl_stats_table(stdout, "by rule (records naming it)", "rule", a->rule,
			0, a->records);
	ctl_stats_table(stdout, "by action", "action", a->action, 0,
			a->records);
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

/* ---- The HTML report (its style sheet: report_css.c). ---- */

/* The document head and the page title. */
static void
ctl_report_head(FILE *out, const char *dir, const struct ctl_evfilter *f,
		const struct ctl_agg *a)
{
	char t1[DB_TIME_MAX], t2[DB_TIME_MAX], now[DB_TIME_MAX];

	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		"<meta charset=\"utf-8\">\n"
		"<meta http-equiv=\"Content-Security-Policy\" content=\""
		"default-src 'none'; style-src 'unsafe-inline'\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, "
		"initial-scale=1\">\n"
		"<title>consentgate evidence report</title>\n<style>\n%s"
		"</style>\n</head>\n<body>\n<div class=\"page\">\n<header>\n"
		"<h1>Evidence report</h1>\n<p>", ctl_report_css);
	if (f->has_since || f->has_until) {
		fprintf(out, "Period %s &ndash; %s",
			f->has_since ? db_time_format(f->since, t1, sizeof(t1))
				     : "start",
			f->has_until ? db_time_format(f->until, t2, sizeof(t2))
				     : "now");
	} else if (a->has_time) {
		fprintf(out, "Records from %s to %s",
			db_time_format(a->first, t1, sizeof(t1)),
			db_time_format(a->last, t2, sizeof(t2)));
	}
	fputs(a->has_time || f->has_since || f->has_until ? " (UTC)"
							  : "No records", out);
	fputs(" &middot; store <span class=\"mono\">", out);
	ctl_html(out, dir ? dir : "");
	fprintf(out, "</span> &middot; generated %s</p>\n</header>\n",
		db_time_format(ctl_now(), now, sizeof(now)));
}

static void
ctl_report_card(FILE *out, const char *label, uint64_t v, const char *extra,
		int bad)
{
	fprintf(out, "<div class=\"card%s\"><div class=\"v\">%llu</div>"
		"<div class=\"l\">%s%s</div></div>\n", bad ? " bad" : "",
		(unsigned long long)v, label, extra);
}

/* Withdrawals per day, as a small table. */
static void
ctl_report_withdrawals(FILE *out, const struct ctl_agg *a)
{
	struct ctl_row *rows;
	size_t i, n;

	rows = ctl_tally_rows(a->wd_day, 1, &n);
	fputs("<section><h2>Withdrawals per day (UTC)</h2>\n<table>\n"
	      "<thead><tr><th>day</th><th>withdrawals</th></tr></thead>\n"
	      "<tbody>\n", out);
	for (i = 0; i < n; i++)
		fprintf(out, "<tr><td>%s</td><td>%llu</td></tr>\n", rows[i].key,
			(unsigned long long)rows[i].count);
	if (n == 0)
		fputs("<tr><td colspan=\"2\">none</td></tr>\n", out);
	fputs("</tbody>\n</table>\n</section>\n", out);
	g_free(rows);
}

static void
ctl_report_totals(FILE *out, const struct ctl_agg *a)
{
	char rate[48];

	snprintf(rate, sizeof(rate), " &middot; %.1f%%",
		 a->decisions ? 100.0 * (double)a->refused /
					(double)a->decisions : 0.0);
	fputs("<section class=\"cards\">\n", out);
	ctl_report_card(out, "Records", a->records, "", 0);
	ctl_report_card(out, "Decisions", a->decisions, "", 0);
	ctl_report_card(out, "Refused", a->refused, rate, a->refused > 0);
	ctl_report_card(out, "Passed", a->passed, "", 0);
	ctl_report_card(out, "Quarantined / tagged", a->held, "", 0);
	ctl_report_card(out, "Senders refused",
			g_hash_table_size(a->ref_sender), "", 0);
	ctl_report_card(out, "Opt-in mails passed to the MTA", a->doi_sent, "",
			0);
	ctl_report_card(out, "Opt-in retries (same mail, not counted)",
			a->doi_retries, "", 0);
	ctl_report_card(out, "Withdrawals", a->withdrawals, "", 0);
	ctl_report_card(out, "Confirmed records now", a->confirmed, "", 0);
	ctl_report_card(out, "Confirmed without DOI proof", a->no_doi, "",
			a->no_doi > 0);
	fputs("</section>\n", out);
	ctl_report_withdrawals(out, a);
}

/* Colours of the chart series (the last one for "other rules"). */
static const char *const ctl_palette[CTL_CHART_SERIES + 1] = {
	"#4e79a7", "#e15759", "#f28e2b", "#59a14f", "#b07aa1",
	"#76b7b2", "#edc948", "#9c755f", "#bab0ac"};

/* The stacked chart: per series and day, the number of refusals. */
struct ctl_chart {
	size_t nseries, ndays;
	int64_t day0;
	const char *names[CTL_CHART_SERIES + 1];
	uint64_t totals[CTL_CHART_SERIES + 1];
	uint64_t *v;   /* v[s * ndays + d] */
	uint64_t ymax; /* top of the axis */
	uint64_t step; /* between grid lines */
};

/* Series: the rules by falling count; past CTL_CHART_SERIES, "other". */
static void
ctl_chart_build(struct ctl_chart *c, const struct ctl_agg *a,
		struct ctl_row *rows, size_t nrules)
{
	uint64_t top = 0, sum, target, p;
	char key[160];
	size_t k, s, d;
	int own;

	memset(c, 0, sizeof(*c));
	c->ndays = (size_t)(a->ref_day_max - a->ref_day_min + 1);
	if (c->ndays > CTL_CHART_DAYS)
		c->ndays = CTL_CHART_DAYS;
	c->day0 = a->ref_day_max - (int64_t)c->ndays + 1;
	c->nseries = nrules <= CTL_CHART_SERIES + 1 ? nrules
						    : CTL_CHART_SERIES + 1;
	c->v = g_new0(uint64_t, c->nseries * c->ndays + 1);
	for (k = 0; k < nrules; k++) {
		own = nrules == c->nseries || k < c->nseries - 1;
		s = own ? k : c->nseries - 1;
		c->names[s] = own ? rows[k].key : "other rules";
		c->totals[s] += rows[k].count;
		for (d = 0; d < c->ndays; d++) {
			snprintf(key, sizeof(key), "%lld %s",
				 (long long)(c->day0 + (int64_t)d), rows[k].key);
			c->v[s * c->ndays + d] +=
				ctl_tally_get(a->ref_rule_day, key);
		}
	}
	for (d = 0; d < c->ndays; d++) {
		for (sum = 0, s = 0; s < c->nseries; s++)
			sum += c->v[s * c->ndays + d];
		top = sum > top ? sum : top;
	}
	/* Grid lines at 1, 2 or 5 times a power of ten, about five. */
	target = top / 5 ? top / 5 : 1;
	for (p = 1; p * 10 <= target; p *= 10)
		;
	c->step = target <= p ? p : target <= 2 * p ? 2 * p
			      : target <= 5 * p ? 5 * p : 10 * p;
	c->ymax = (top + c->step - 1) / c->step * c->step;
	if (c->ymax == 0)
		c->ymax = c->step;
}

/* Chart geometry in SVG user units. */
#define CTL_CW 960.0 /* width */
#define CTL_CH 340.0 /* height */
#define CTL_CL 60.0  /* left margin: y labels */
#define CTL_CR 210.0 /* right margin: legend */
#define CTL_CT 16.0  /* top margin */
#define CTL_CB 58.0  /* bottom margin: x labels and title */
#define CTL_PW (CTL_CW - CTL_CL - CTL_CR)
#define CTL_PH (CTL_CH - CTL_CT - CTL_CB)

static double
ctl_chart_y(const struct ctl_chart *c, uint64_t v)
{
	return CTL_CT + CTL_PH - CTL_PH * (double)v / (double)c->ymax;
}

/* Grid, y labels, axis titles and the x labels. */
static void
ctl_chart_axes(FILE *out, const struct ctl_chart *c)
{
	double slot = CTL_PW / (double)c->ndays, y;
	size_t d, every = 1;
	char day[DB_TIME_MAX];
	uint64_t v;

	while (slot * (double)every < 72) /* room for one label */
		every++;
	for (v = 0; v <= c->ymax; v += c->step) {
		y = ctl_chart_y(c, v);
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"%s\"/>\n<text x=\"%.1f\" "
			"y=\"%.1f\" text-anchor=\"end\">%llu</text>\n", CTL_CL,
			y, CTL_CL + CTL_PW, y, v ? "#e4e7eb" : "#9aa5b1",
			CTL_CL - 8, y + 4, (unsigned long long)v);
	}
	for (d = 0; d < c->ndays; d += every) {
		db_time_format((c->day0 + (int64_t)d) * 86400, day, sizeof(day));
		day[10] = '\0';
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
			"%s</text>\n", CTL_CL + slot * ((double)d + 0.5),
			CTL_CT + CTL_PH + 18, slot * (double)every >= 80 ? day
									: day + 5);
	}
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
		"font-weight=\"600\">Day (UTC)</text>\n<text transform=\""
		"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\" "
		"font-weight=\"600\">Refusals</text>\n", CTL_CL + CTL_PW / 2,
		CTL_CH - 10, CTL_CT + CTL_PH / 2);
}

/* The stacked bars, each segment with a tooltip, and the day totals. */
static void
ctl_chart_bars(FILE *out, const struct ctl_chart *c)
{
	double slot = CTL_PW / (double)c->ndays, bw = slot * 0.64, x, y0, y1;
	char day[DB_TIME_MAX];
	uint64_t base, n;
	size_t d, s;

	if (bw > 56)
		bw = 56;
	for (d = 0; d < c->ndays; d++) {
		db_time_format((c->day0 + (int64_t)d) * 86400, day, sizeof(day));
		day[10] = '\0';
		x = CTL_CL + slot * (double)d + (slot - bw) / 2;
		for (base = 0, s = 0; s < c->nseries; s++) {
			if ((n = c->v[s * c->ndays + d]) == 0)
				continue;
			y0 = ctl_chart_y(c, base);
			y1 = ctl_chart_y(c, base + n);
			fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				"height=\"%.1f\" fill=\"%s\"><title>%s: ", x, y1,
				bw, y0 - y1, ctl_palette[s], day);
			ctl_html(out, c->names[s]);
			fprintf(out, " &#8211; %llu</title></rect>\n",
				(unsigned long long)n);
			base += n;
		}
		if (base > 0 && slot >= 22)
			fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor="
				"\"middle\" font-weight=\"600\" fill=\"#1f2933\">"
				"%llu</text>\n", x + bw / 2,
				ctl_chart_y(c, base) - 5,
				(unsigned long long)base);
	}
}

static void
ctl_chart_legend(FILE *out, const struct ctl_chart *c)
{
	double x = CTL_CW - CTL_CR + 24, y;
	size_t s;

	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"600\">Rule "
		"(refusals)</text>\n", x, CTL_CT + 10);
	for (s = 0; s < c->nseries; s++) {
		y = CTL_CT + 30 + 22 * (double)s;
		fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" "
			"height=\"12\" rx=\"2\" fill=\"%s\"/>\n<text x=\"%.1f\" "
			"y=\"%.1f\">", x, y - 10, ctl_palette[s], x + 20, y);
		ctl_html_cut(out, c->names[s], 22);
		fprintf(out, " (%llu)</text>\n",
			(unsigned long long)c->totals[s]);
	}
}

static void
ctl_report_chart(FILE *out, const struct ctl_agg *a)
{
	struct ctl_chart c;
	struct ctl_row *rows;
	size_t nrules;

	fputs("<section>\n<h2>Refusals per rule and day</h2>\n<p class=\"note\">"
	      "Refused decisions (reject or tempfail) per UTC day, stacked by "
	      "rule. A refusal that names several rules counts once for each."
	      "</p>\n", out);
	if (!a->has_ref_day) {
		fputs("<p class=\"empty\">No refusals in this period.</p>\n"
		      "</section>\n", out);
		return;
	}
	rows = ctl_tally_rows(a->ref_rule, 0, &nrules);
	ctl_chart_build(&c, a, rows, nrules);
	fprintf(out, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
		"aria-label=\"Stacked bar chart of refusals per rule and day\">"
		"\n", CTL_CW, CTL_CH);
	ctl_chart_axes(out, &c);
	ctl_chart_bars(out, &c);
	ctl_chart_legend(out, &c);
	fputs("</svg>\n</section>\n", out);
	g_free(c.v);
	g_free(rows);
}

/* Horizontal bars of the top senders. */
static void
ctl_senders_svg(FILE *out, const struct ctl_row *rows, size_t n)
{
	const double w = 520, label = 210, row = 30, barmax = w - label - 50;
	double bw;
	size_t i;

	fprintf(out, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label="
		"\"Senders refused most often\">\n", w, row * (double)n + 8);
	for (i = 0; i < n; i++) {
		bw = barmax * (double)rows[i].count / (double)rows[0].count;
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">"
			"<title>", label - 10, row * (double)i + 20);
		ctl_html(out, rows[i].key);
		fputs("</title>", out);
		ctl_html_cut(out, rows[i].key, 28);
		fprintf(out, "</text>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\""
			" height=\"18\" rx=\"3\" fill=\"#c2413a\"/>"
			"\n<text x=\"%.1f\" y=\"%.1f\" fill=\"#1f2933\" "
			"font-weight=\"600\">%llu</text>\n", label,
			row * (double)i + 6, bw > 2 ? bw : 2,
			label + (bw > 2 ? bw : 2) + 6,
			row * (double)i + 20, (unsigned long long)rows[i].count);
	}
	fputs("</svg>\n", out);
}

static void
ctl_report_senders(FILE *out, const struct ctl_agg *a)
{
	struct ctl_row *rows;
	size_t i, n;

	fputs("<section>\n<h2>Senders refused most often</h2>\n<p class="
	      "\"note\">The ten envelope senders with the most refused "
	      "messages in this period.</p>\n", out);
	rows = ctl_tally_rows(a->ref_sender, 0, &n);
	if (n == 0)
		fputs("<p class=\"empty\">No refusals in this period.</p>\n", out);
	if (n > CTL_REPORT_SENDERS)
		n = CTL_REPORT_SENDERS;
	if (n > 0) {
		fputs("<div class=\"split\">\n<div>\n", out);
		ctl_senders_svg(out, rows, n);
		fputs("</div>\n<table>\n<thead><tr><th class=\"num\">#</th>"
		      "<th>Sender</th><th class=\"num\">Refused</th><th "
		      "class=\"num\">Share</th><th>Last refusal</th></tr>"
		      "</thead>\n<tbody>\n", out);
	}
	for (i = 0; i < n; i++) {
		fprintf(out, "<tr><td class=\"num\">%zu</td><td>", i + 1);
		ctl_html(out, rows[i].key);
		fprintf(out, "</td><td class=\"num\">%llu</td><td class=\"num\">"
			"%.1f%%</td><td class=\"nowrap mono\">",
			(unsigned long long)rows[i].count,
			100.0 * (double)rows[i].count / (double)a->refused);
		ctl_html(out, g_hash_table_lookup(a->ref_sender_last,
						  rows[i].key));
		fputs("</td></tr>\n", out);
	}
	if (n > 0)
		fputs("</tbody>\n</table>\n</div>\n", out);
	fputs("</section>\n", out);
	g_free(rows);
}

/* The rules as a list: the id as code, then its detail and where; the
 * note (text naming no rule) last. */
static void
ctl_report_rules(FILE *out, const struct db_evrec *r)
{
	size_t i;

	fputs("<ul class=\"rules\">", out);
	for (i = 0; i < r->nrules; i++) {
		fputs("<li><code>", out);
		ctl_html(out, r->rulev[i].id);
		fputs("</code>", out);
		ctl_html(out, r->rulev[i].detail);
		if (r->rulev[i].where[0]) {
			fputs(" @ ", out);
			ctl_html(out, r->rulev[i].where);
		}
		fputs("</li>", out);
	}
	if (r->note[0]) {
		fputs("<li>", out);
		ctl_html(out, r->note);
		fputs("</li>", out);
	}
	fputs("</ul>", out);
}

static void
ctl_report_row(FILE *out, const struct db_evrec *r)
{
	char sender[ADDR_MAX + 1];
	size_t i;

	ctl_sender_key(r, sender, sizeof(sender));
	fputs("<tr><td class=\"nowrap mono\">", out);
	ctl_html(out, r->time_text);
	fputs("</td><td class=\"mono\">", out);
	ctl_html(out, r->ref);
	fputs("</td><td>", out);
	ctl_html(out, sender);
	fputs("</td><td>", out);
	for (i = 0; i < r->nrcpt; i++) { /* one a line */
		fputs("<div>", out);
		ctl_html(out, r->rcptv[i]);
		fputs("</div>", out);
	}
	fputs("</td><td>", out);
	ctl_report_rules(out, r);
	fputs("</td><td><span class=\"badge ", out);
	ctl_html(out, r->action);
	fputs("\">", out);
	ctl_html(out, r->action);
	fputs("</span></td></tr>\n", out);
}

static void
ctl_report_latest(FILE *out, const struct ctl_agg *a)
{
	size_t i;

	fprintf(out, "<section>\n<h2>Latest refusals</h2>\n<p class=\"note\">"
		"The most recent refused decisions (at most %d), newest "
		"first.</p>\n", CTL_REPORT_LATEST);
	if (a->nlatest == 0) {
		fputs("<p class=\"empty\">No refusals in this period.</p>\n"
		      "</section>\n", out);
		return;
	}
	fputs("<table>\n<colgroup><col style=\"width:14%\"><col style=\"width:"
	      "9%\"><col style=\"width:16%\"><col style=\"width:21%\"><col>"
	      "<col style=\"width:9%\"></colgroup>\n<thead><tr><th>Time (UTC)"
	      "</th><th>Ref</th><th>Sender</th><th>Recipients</th><th>Rules"
	      "</th><th>Action</th></tr></thead>\n<tbody>\n", out);
	for (i = 1; i <= a->nlatest; i++)
		ctl_report_row(out, &a->latest[(a->next + CTL_REPORT_LATEST -
						 i) % CTL_REPORT_LATEST]);
	fputs("</tbody>\n</table>\n</section>\n", out);
}

/* The whole page; returns non-zero after a write error. */
static int
ctl_report_write(FILE *out, const char *dir, const struct ctl_evfilter *f,
		 const struct ctl_agg *a)
{
	ctl_report_head(out, dir, f, a);
	ctl_report_totals(out, a);
	ctl_report_chart(out, a);
	ctl_report_senders(out, a);
	ctl_report_latest(out, a);
	fputs("<footer>A refusal is a decision with the action reject or "
	      "tempfail. Written by consentctl report from the evidence "
	      "store; the records themselves are shown with consentctl "
	      "evidence REF.</footer>\n</div>\n</body>\n</html>\n", out);
	return fflush(out) != 0 || ferror(out);
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
