/*
 * report_page.c - consentctl's HTML report as a page template filled with
 * the counts of one pass (struct ctl_agg).  The page, its markup and its
 * style sheet are data/report.html.in, compiled into the binary by
 * scripts/embed.sh (ctl_report_template); this file only names values and
 * rows for its slots and blocks (fmt/template.h), so every text from the
 * evidence is escaped by the template, in one place.  The two charts are
 * SVG built by report_chart.c and put into the page's raw slots.
 * Owns: the scope of one page (freed before return).  Fails only when the
 * template is broken (err says where).
 */
#include <string.h>

#include "../common/time.h"
#include "../fmt/template.h"
#include "report.h"

/* data/report.html.in (generated: $(BUILD)/gen/report_template.c). */
extern const char ctl_report_template[];

/* The period of the page, the store and the time it was made. */
static void
ctl_page_head(struct fmt_scope *p, const char *dir,
	      const struct ctl_evfilter *f, const struct ctl_agg *a)
{
	char t[TIME_TEXT_MAX];
	int window = f->has_since || f->has_until;

	fmt_scope_flag(p, "period", window);
	fmt_scope_set(p, "since",
		      f->has_since ? time_format(f->since, t, sizeof(t))
				   : "start");
	fmt_scope_set(p, "until",
		      f->has_until ? time_format(f->until, t, sizeof(t))
				   : "now");
	fmt_scope_flag(p, "span", !window && a->has_time);
	fmt_scope_set(p, "first", time_format(a->first, t, sizeof(t)));
	fmt_scope_set(p, "last", time_format(a->last, t, sizeof(t)));
	fmt_scope_flag(p, "utc", window || a->has_time);
	fmt_scope_flag(p, "no_records", !window && !a->has_time);
	fmt_scope_set(p, "store", dir ? dir : "");
	fmt_scope_set(p, "generated", time_format(ctl_now(), t, sizeof(t)));
}

static void
ctl_page_card(struct fmt_scope *p, const char *label, uint64_t v, int bad,
	      const char *percent)
{
	struct fmt_scope *c = fmt_scope_row(p, "cards");

	fmt_scope_set(c, "label", label);
	fmt_scope_setf(c, "value", "%llu", (unsigned long long)v);
	fmt_scope_flag(c, "bad", bad);
	fmt_scope_flag(c, "rate", percent != NULL);
	fmt_scope_set(c, "percent", percent);
}

static void
ctl_page_totals(struct fmt_scope *p, const struct ctl_agg *a)
{
	char rate[32];

	snprintf(rate, sizeof(rate), "%.1f",
		 a->decisions
		     ? 100.0 * (double)a->refused / (double)a->decisions
		     : 0.0);
	ctl_page_card(p, "Records", a->records, 0, NULL);
	ctl_page_card(p, "Decisions", a->decisions, 0, NULL);
	ctl_page_card(p, "Refused", a->refused, a->refused > 0, rate);
	ctl_page_card(p, "Passed", a->passed, 0, NULL);
	ctl_page_card(p, "Quarantined / tagged", a->held, 0, NULL);
	ctl_page_card(p, "Senders refused", g_hash_table_size(a->ref_sender), 0,
		      NULL);
	ctl_page_card(p, "Opt-in mails passed to the MTA", a->doi_sent, 0,
		      NULL);
	ctl_page_card(p, "Opt-in retries (same mail, not counted)",
		      a->doi_retries, 0, NULL);
	ctl_page_card(p, "Withdrawals", a->withdrawals, 0, NULL);
	ctl_page_card(p, "Marketing mails accepted after a withdrawal",
		      a->wd.late, a->wd.late > 0, NULL);
	ctl_page_card(p, "Confirmed records now", a->confirmed, 0, NULL);
	ctl_page_card(p, "Confirmed without DOI proof", a->no_doi,
		      a->no_doi > 0, NULL);
}

/* The withdrawal latency summary (withdrawals.h). */
static void
ctl_page_latency(struct fmt_scope *p, const struct ctl_wd_audit *wd)
{
	char d[32];

	ctl_wd_duration(wd->median, d);
	fmt_scope_set(p, "wd_median", d);
	ctl_wd_duration(wd->p95, d);
	fmt_scope_set(p, "wd_p95", d);
	ctl_wd_duration(wd->max, d);
	fmt_scope_set(p, "wd_max", d);
	fmt_scope_setf(p, "wd_enforced", "%zu", wd->nlat);
	fmt_scope_setf(p, "wd_within", "%zu", wd->within_limit);
	fmt_scope_setf(p, "wd_honoured", "%zu", wd->honoured);
	fmt_scope_setf(p, "wd_total", "%u", wd->wds ? wd->wds->len : 0);
}

/* Withdrawals per day, oldest first. */
static void
ctl_page_withdrawals(struct fmt_scope *p, const struct ctl_agg *a)
{
	struct fmt_scope *r;
	struct ctl_row *rows;
	size_t i, n;

	rows = ctl_tally_rows(a->wd_day, 1, &n);

	fmt_scope_flag(p, "withdrawals", 0);
	for (i = 0; i < n; i++) {
		r = fmt_scope_row(p, "withdrawals");
		fmt_scope_set(r, "day", rows[i].key);
		fmt_scope_setf(r, "count", "%llu",
			       (unsigned long long)rows[i].count);
	}
	fmt_scope_flag(p, "no_withdrawals", n == 0);
	g_free(rows);
	ctl_page_latency(p, &a->wd);
}

/* The senders refused most often: their bars and their table. */
static void
ctl_page_senders(struct fmt_scope *p, const struct ctl_agg *a)
{
	GString *svg = g_string_new("");
	struct ctl_row *rows;
	struct fmt_scope *r;
	size_t i, n;

	rows = ctl_tally_rows(a->ref_sender, 0, &n);
	fmt_scope_flag(p, "no_senders", n == 0);
	fmt_scope_flag(p, "any_senders", n > 0);
	if (n > CTL_REPORT_SENDERS)
		n = CTL_REPORT_SENDERS;
	if (n > 0)
		ctl_report_senders_svg(svg, rows, n);
	fmt_scope_set(p, "senders_svg", svg->str);
	fmt_scope_flag(p, "senders", 0);
	for (i = 0; i < n; i++) {
		r = fmt_scope_row(p, "senders");
		fmt_scope_setf(r, "rank", "%zu", i + 1);
		fmt_scope_set(r, "sender", rows[i].key);
		fmt_scope_setf(r, "count", "%llu",
			       (unsigned long long)rows[i].count);
		fmt_scope_setf(r, "share", "%.1f",
			       100.0 * (double)rows[i].count /
				   (double)a->refused);
		fmt_scope_set(
		    r, "last",
		    g_hash_table_lookup(a->ref_sender_last, rows[i].key));
	}
	g_string_free(svg, TRUE);
	g_free(rows);
}

/* The decisions per brand profile, shown when a record names one. */
static void
ctl_page_profiles(struct fmt_scope *p, const struct ctl_agg *a)
{
	struct ctl_profile_row *rows;
	struct fmt_scope *r;
	size_t i, n = 0;

	fmt_scope_flag(p, "any_profiles", a->any_profile);
	fmt_scope_flag(p, "profiles", 0);
	if (!a->any_profile)
		return;
	rows = ctl_profile_rows(a, &n);
	for (i = 0; i < n; i++) {
		r = fmt_scope_row(p, "profiles");
		fmt_scope_set(r, "profile", rows[i].profile);
		fmt_scope_setf(r, "decisions", "%llu",
			       (unsigned long long)rows[i].decisions);
		fmt_scope_setf(r, "refused", "%llu",
			       (unsigned long long)rows[i].refused);
		fmt_scope_set(r, "top", rows[i].top[0] ? rows[i].top : "-");
	}
	ctl_profile_rows_free(rows, n);
}

/* One refusal: its recipients one a row, its rules as id and detail. */
static void
ctl_page_refusal(struct fmt_scope *p, const struct db_evrec *r)
{
	struct fmt_scope *row = fmt_scope_row(p, "latest"), *x;
	char sender[ADDR_MAX + 1];
	size_t i;

	ctl_sender_key(r, sender, sizeof(sender));
	fmt_scope_set(row, "time", r->time_text);
	fmt_scope_set(row, "ref", r->ref);
	fmt_scope_set(row, "sender", sender);
	fmt_scope_set(row, "action", r->action);
	fmt_scope_flag(row, "recipients", 0);
	for (i = 0; i < r->nrcpt; i++)
		fmt_scope_set(fmt_scope_row(row, "recipients"), "address",
			      r->rcptv[i] + strspn(r->rcptv[i], " "));
	fmt_scope_flag(row, "rules", 0);
	for (i = 0; i < r->nrules; i++) {
		x = fmt_scope_row(row, "rules");
		fmt_scope_flag(x, "has_id", 1);
		fmt_scope_set(x, "id", r->rulev[i].id);
		fmt_scope_setf(x, "detail", "%s%s%s", r->rulev[i].detail,
			       r->rulev[i].where[0] ? " @ " : "",
			       r->rulev[i].where);
	}
	if (r->note[0]) { /* text that names no rule */
		x = fmt_scope_row(row, "rules");
		fmt_scope_flag(x, "has_id", 0);
		fmt_scope_set(x, "id", "");
		fmt_scope_set(x, "detail", r->note);
	}
}

/* The latest refusals, newest first. */
static void
ctl_page_latest(struct fmt_scope *p, const struct ctl_agg *a)
{
	size_t i;

	fmt_scope_setf(p, "latest_max", "%d", CTL_REPORT_LATEST);
	fmt_scope_flag(p, "no_latest", a->nlatest == 0);
	fmt_scope_flag(p, "any_latest", a->nlatest > 0);
	fmt_scope_flag(p, "latest", 0);
	for (i = 1; i <= a->nlatest; i++)
		ctl_page_refusal(p,
				 &a->latest[(a->next + CTL_REPORT_LATEST - i) %
					    CTL_REPORT_LATEST]);
}

int
ctl_report_page(GString *out, const char *dir, const struct ctl_evfilter *f,
		const struct ctl_agg *a, char *err, size_t errsz)
{
	struct fmt_scope *p = fmt_scope_new();
	GString *chart = g_string_new("");
	int rc;

	ctl_page_head(p, dir, f, a);
	ctl_page_totals(p, a);
	ctl_page_withdrawals(p, a);
	ctl_report_chart_svg(chart, a);
	fmt_scope_set(p, "chart_svg", chart->str);
	fmt_scope_flag(p, "no_chart", !a->has_ref_day);
	ctl_page_senders(p, a);
	ctl_page_profiles(p, a);
	ctl_page_latest(p, a);
	rc = fmt_template_render(ctl_report_template, p, out, err, errsz);
	g_string_free(chart, TRUE);
	fmt_scope_free(p);
	return rc;
}
