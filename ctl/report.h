/*
 * report.h - what consentctl's stats and report share: one pass over the
 * evidence records (struct ctl_agg, filled by cmd_report.c), the count
 * tables as sorted rows, and the two halves of the HTML page: its page
 * template filled in report_page.c and its SVG charts built in
 * report_chart.c; the decisions per brand profile (report_profile.c).
 */
#ifndef CG_CTL_REPORT_H
#define CG_CTL_REPORT_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl.h"
#include "evrec.h"
#include "withdrawals.h"

#define CTL_REPORT_LATEST 50  /* refusals listed in the report */
#define CTL_REPORT_SENDERS 10 /* senders in the top list */

/* One pass over the records. */
struct ctl_agg {
	uint64_t records, decisions, refused, passed, held, doi_sent,
	    doi_retries, withdrawals;
	uint64_t confirmed, no_doi; /* consent records now (not windowed) */
	GHashTable *wd_day;	    /* withdrawals per day */
	int has_time;
	int64_t first, last;		       /* record times seen */
	GHashTable *cls, *rule, *action, *day; /* all records */
	GHashTable *ref_rule, *ref_rule_day, *ref_sender; /* refusals */
	GHashTable *ref_sender_last; /* sender -> time of its last refusal */
	int has_ref_day;
	int64_t ref_day_min, ref_day_max; /* day numbers (time / 86400) */
	int keep; /* keep the latest refusals (the report) */
	size_t nlatest, next;
	struct db_evrec latest[CTL_REPORT_LATEST]; /* a ring, oldest at next */
	struct ctl_wd_audit wd; /* the withdrawal audit of the window */
	/* Per brand profile (report_profile.c): decisions, refusals, and
	 * "profile\x1frule" counts; any_profile when a record names one. */
	GHashTable *prof_dec, *prof_ref, *prof_rule;
	int any_profile;
};

/* One row of a count table, borrowed from its hash table. */
struct ctl_row {
	const char *key;
	uint64_t count;
};

/*
 * The rows of a count table, by falling count (ties by key) or by key;
 * *n gets their number.  g_free() the array; the keys are borrowed from
 * the table.
 */
struct ctl_row *ctl_tally_rows(GHashTable *h, int by_key, size_t *n);
/* The count of key in h (0 when absent). */
uint64_t ctl_tally_get(GHashTable *h, const char *key);
/* The sender of r as counted: normalised, or as written, or "<>". */
void ctl_sender_key(const struct db_evrec *r, char *out, size_t outsz);

/* report_profile.c: the decisions per brand profile. */
#define CTL_PROFILE_TOP 3 /* rules named per profile */
struct ctl_profile_row {
	const char *profile; /* borrowed from the agg; "(none)": no profile */
	uint64_t decisions, refused;
	char *top;           /* "id (n), ..." (g_malloc'd), "" when none */
};
/* Count r (every record: any_profile; decisions: the tables). */
void ctl_profile_count(struct ctl_agg *a, const struct db_evrec *r);
/* The rows by falling decisions (ties by name); *n their number.  Free
 * with ctl_profile_rows_free. */
struct ctl_profile_row *ctl_profile_rows(const struct ctl_agg *a, size_t *n);
void ctl_profile_rows_free(struct ctl_profile_row *rows, size_t n);
/* The text table of stats; nothing when no record names a profile. */
void ctl_profile_text(FILE *out, const struct ctl_agg *a);

/* The report page of a into out.  0, or -1 (err says why: the template
 * is broken). */
int ctl_report_page(GString *out, const char *dir, const struct ctl_evfilter *f,
		    const struct ctl_agg *a, char *err, size_t errsz);
/* The stacked chart of refusals per rule and day as an <svg> element and
 * its line ending; nothing when a has no refusal with a day. */
void ctl_report_chart_svg(GString *out, const struct ctl_agg *a);
/* Horizontal bars of the n (> 0) senders of rows, as an <svg> element. */
void ctl_report_senders_svg(GString *out, const struct ctl_row *rows, size_t n);

#endif
