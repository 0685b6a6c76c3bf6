/*
 * report_profile.c - the decisions of stats and report per brand profile:
 * for each profile named by a decision record ("(none)" for a decision
 * made without one) its decisions, its refusals (reject or tempfail) and
 * the rules its decisions named most often.  The breakdown exists only
 * when some record of the window names a profile.
 *
 * Owns: the three count tables it adds to struct ctl_agg (created and
 * freed with it in cmd_report.c) and the rows it hands out (freed with
 * ctl_profile_rows_free).  Cannot fail (GLib aborts on no memory).
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define CTL_PROFILE_NONE "(none)"

/* Add one to key in h (keys copied). */
static void
ctl_profile_add(GHashTable *h, const char *key)
{
	uint64_t *v = g_hash_table_lookup(h, key);

	if (v == NULL) {
		v = g_new0(uint64_t, 1);
		g_hash_table_insert(h, g_strdup(key), v);
	}
	(*v)++;
}

/* The profile of r as counted, control characters as '?', into out. */
static void
ctl_profile_key(const struct db_evrec *r, char *out, size_t outsz)
{
	char *p;

	snprintf(out, outsz, "%s", r->profile[0] ? r->profile
						 : CTL_PROFILE_NONE);
	for (p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

void
ctl_profile_count(struct ctl_agg *a, const struct db_evrec *r)
{
	char prof[256], key[400];
	size_t i, k;

	if (r->profile[0])
		a->any_profile = 1;
	if (strcmp(r->kind, "decision") != 0)
		return;
	ctl_profile_key(r, prof, sizeof(prof));
	ctl_profile_add(a->prof_dec, prof);
	if (ctl_evrec_refused(r))
		ctl_profile_add(a->prof_ref, prof);
	for (i = 0; i < r->nrules; i++) {
		for (k = 0; k < i; k++)
			if (strcmp(r->rulev[k].id, r->rulev[i].id) == 0)
				break;
		if (k < i || r->rulev[i].id[0] == '\0')
			continue; /* counted once per record */
		/* The unit separator cannot occur in a profile name. */
		snprintf(key, sizeof(key), "%s\x1f%s", prof, r->rulev[i].id);
		ctl_profile_add(a->prof_rule, key);
	}
}

/* "id (n), id (n), ..." of the CTL_PROFILE_TOP rules of profile prof. */
static char *
ctl_profile_top(const struct ctl_agg *a, const char *prof)
{
	struct ctl_row *rows;
	GString *s = g_string_new("");
	size_t i, n, len = strlen(prof), shown = 0;

	rows = ctl_tally_rows(a->prof_rule, 0, &n); /* by falling count */
	for (i = 0; i < n && shown < CTL_PROFILE_TOP; i++) {
		if (strncmp(rows[i].key, prof, len) != 0 ||
		    rows[i].key[len] != '\x1f')
			continue;
		g_string_append_printf(s, "%s%s (%llu)", shown ? ", " : "",
				       rows[i].key + len + 1,
				       (unsigned long long)rows[i].count);
		shown++;
	}
	g_free(rows);
	return g_string_free(s, FALSE);
}

struct ctl_profile_row *
ctl_profile_rows(const struct ctl_agg *a, size_t *n)
{
	struct ctl_profile_row *out;
	struct ctl_row *rows;
	size_t i;

	rows = ctl_tally_rows(a->prof_dec, 0, n); /* most decisions first */
	out = g_new0(struct ctl_profile_row, *n + 1);
	for (i = 0; i < *n; i++) {
		out[i].profile = rows[i].key;
		out[i].decisions = rows[i].count;
		out[i].refused = ctl_tally_get(a->prof_ref, rows[i].key);
		out[i].top = ctl_profile_top(a, rows[i].key);
	}
	g_free(rows);
	return out;
}

void
ctl_profile_rows_free(struct ctl_profile_row *rows, size_t n)
{
	size_t i;

	for (i = 0; rows && i < n; i++)
		g_free(rows[i].top);
	g_free(rows);
}

void
ctl_profile_text(FILE *out, const struct ctl_agg *a)
{
	struct ctl_profile_row *rows;
	size_t i, n;
	int w = (int)strlen("profile");

	if (!a->any_profile)
		return;
	rows = ctl_profile_rows(a, &n);
	for (i = 0; i < n; i++)
		if ((int)strlen(rows[i].profile) > w)
			w = (int)strlen(rows[i].profile);
	fprintf(out, "by profile (decisions)\n  %-*s  %9s  %7s  %s\n", w,
		"profile", "decisions", "refused", "top rules");
	for (i = 0; i < n; i++)
		fprintf(out, "  %-*s  %9llu  %7llu  %s\n", w, rows[i].profile,
			(unsigned long long)rows[i].decisions,
			(unsigned long long)rows[i].refused,
			rows[i].top[0] ? rows[i].top : "-");
	if (n == 0)
		fprintf(out, "  (no decisions)\n");
	fputc('\n', out);
	ctl_profile_rows_free(rows, n);
}
