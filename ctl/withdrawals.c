/*
 * withdrawals.c - the withdrawal audit (withdrawals.h): one walk over the
 * evidence collects the withdrawals, the re-confirmations that end them and
 * the marketing decisions per recipient; the consent records then supply
 * what the evidence lacks (the withdrawal time of an imported row, a
 * withdrawal replicated from the centre by a follower too old to record
 * its arrival).  A withdrawal the follower applied leaves a consent
 * record with "source=replica" and the centre's time in "at=" (db/
 * replica.h): its record time is when it reached this host.
 *
 * The moment of a withdrawal is the time of the click or mail that caused
 * it: the record time of a withdrawal by mail, the "at=" that consentctl
 * withdraw and ingest-log write into their note (ingest-log runs later than
 * the click it reads, and its record's own time is the write time), else
 * the consent record's withdrawal time when it is this one.  It was
 * enforced at the earlier of the time it reached this store (its record's
 * time) and the first marketing decision for the address after it that
 * refused the mail.  A marketing mail accepted at or after the moment and
 * before a new confirmation is a late mail.
 *
 * Owns: every string and array of struct ctl_wd_audit (GLib).  Fails with
 * a DB_* code from the store walk; a record that does not parse is counted.
 */
#include "withdrawals.h"

#include <stdlib.h>
#include <string.h>

#include "../common/addr.h"

/* The walk's state: the results and the per-address tables. */
struct ctl_wd_walk {
	struct ctl_wd_audit *a;
	GHashTable *mail;    /* addr -> GPtrArray of struct ctl_wd_mail * */
	GHashTable *reconf;  /* addr -> GArray of int64_t */
};

static void
ctl_wd_mail_free(gpointer p)
{
	struct ctl_wd_mail *m = p;

	g_free(m->ref);
	g_free(m->action);
	g_free(m->message_id);
	g_free(m);
}

static void
ctl_wd_one_free(gpointer p)
{
	struct ctl_wd *w = p;

	g_free(w->addr);
	g_free(w->ref);
	g_free(w->source);
	g_free(w->refused_ref);
	g_ptr_array_unref(w->late);
	g_free(w);
}

static void
ctl_wd_array_free(gpointer p)
{
	g_array_unref(p);
}

/* The "at=TIME" of a consentctl or ingest-log note (at its start or after
 * a space); 1 and *at set, or 0. */
static int
ctl_wd_note_at(const char *note, int64_t *at)
{
	const char *p = note;
	char t[DB_TIME_MAX];

	while ((p = strstr(p, "at=")) != NULL) {
		if (p == note || p[-1] == ' ') {
			snprintf(t, sizeof(t), "%.*s", DB_TIME_MAX - 1, p + 3);
			if (db_time_parse(t, at) == DB_OK && *at > 0)
				return 1;
		}
		p += 3;
	}
	return 0;
}

/* Where a withdrawal record came from. */
static const char *
ctl_wd_source(const struct db_evrec *r)
{
	if (strcmp(r->kind, "withdrawal") == 0)
		return "mail";
	if (strstr(r->rules, "source=replica") != NULL)
		return "replica";
	if (strstr(r->rules, "access log") != NULL)
		return "access log";
	if (strcmp(r->action, "import") == 0)
		return "import";
	return "consentctl";
}

static struct ctl_wd *
ctl_wd_new(const char *addr, const char *ref, const char *source,
	   int64_t at)
{
	struct ctl_wd *w = g_new0(struct ctl_wd, 1);

	w->addr = g_strdup(addr);
	w->ref = g_strdup(ref);
	w->source = g_strdup(source);
	w->at = at;
	w->late = g_ptr_array_new_with_free_func(ctl_wd_mail_free);
	return w;
}

/* The moment of withdrawal record r: 1 when it is its event time, 0 when
 * only the write time was found (*at gets it). */
static int
ctl_wd_moment(const struct db_evrec *r, int64_t *at)
{
	*at = r->time;
	if (strcmp(r->kind, "withdrawal") == 0)
		return 1;
	return ctl_wd_note_at(r->note, at) || ctl_wd_note_at(r->rules, at);
}

static void
ctl_wd_add_withdrawal(struct ctl_wd_walk *w, const struct db_evrec *r,
		      const char *addr)
{
	struct ctl_wd *wd;
	int64_t at;
	int exact = ctl_wd_moment(r, &at);

	wd = ctl_wd_new(addr, r->ref, ctl_wd_source(r), at);
	wd->has_stored = 1;
	wd->stored = r->time;
	/* An inexact moment is fixed from the consent record later. */
	wd->has_enforced = exact ? 1 : -1;
	g_ptr_array_add(w->a->wds, wd);
}

static void
ctl_wd_add_mail(struct ctl_wd_walk *w, const struct db_evrec *r,
		const char *addr)
{
	struct ctl_wd_mail *m = g_new0(struct ctl_wd_mail, 1);
	GPtrArray *v = g_hash_table_lookup(w->mail, addr);

	if (v == NULL) {
		v = g_ptr_array_new_with_free_func(ctl_wd_mail_free);
		g_hash_table_insert(w->mail, g_strdup(addr), v);
	}
	m->time = r->time;
	m->refused = ctl_evrec_refused(r);
	m->ref = g_strdup(r->ref);
	m->action = g_strdup(r->action);
	m->message_id = g_strdup(r->message_id);
	g_ptr_array_add(v, m);
}

/* A consent change that leaves withdrawn (a new double opt-in). */
static void
ctl_wd_add_reconf(struct ctl_wd_walk *w, const struct db_evrec *r,
		  const char *addr)
{
	GArray *v = g_hash_table_lookup(w->reconf, addr);
	int64_t at;

	if (v == NULL) {
		v = g_array_new(FALSE, FALSE, sizeof(int64_t));
		g_hash_table_insert(w->reconf, g_strdup(addr), v);
	}
	ctl_wd_moment(r, &at);
	g_array_append_val(v, at);
}

static int
ctl_wd_walk_one(struct db_evrec *r, const char *json, size_t len, void *arg)
{
	struct ctl_wd_walk *w = arg;
	char key[ADDR_MAX + 1];
	int wd = ctl_evrec_is_withdrawal(r);
	int mail = strcmp(r->kind, "decision") == 0 &&
		   strcmp(r->cls, "marketing") == 0;
	int reconf = strcmp(r->before, "withdrawn") == 0 && r->after[0] &&
		     strcmp(r->after, "withdrawn") != 0;
	size_t i;

	(void)json;
	(void)len;
	if (!r->time_ok || !(wd || mail || reconf))
		return 0;
	for (i = 0; i < r->nrcpt; i++) {
		if (addr_normalise(r->rcptv[i], key, sizeof(key)) < 0)
			continue;
		if (wd)
			ctl_wd_add_withdrawal(w, r, key);
		else if (mail)
			ctl_wd_add_mail(w, r, key);
		else
			ctl_wd_add_reconf(w, r, key);
	}
	return 0;
}

/* The latest withdrawal of addr seen in the evidence, or NULL. */
static struct ctl_wd *
ctl_wd_last_of(struct ctl_wd_audit *a, const char *addr)
{
	struct ctl_wd *last = NULL;
	guint i;

	for (i = 0; i < a->wds->len; i++) {
		struct ctl_wd *w = g_ptr_array_index(a->wds, i);

		if (strcmp(w->addr, addr) == 0 &&
		    (last == NULL || w->stored >= last->stored))
			last = w;
	}
	return last;
}

/*
 * The consent record of addr: the withdrawal time of its latest withdrawal
 * when the evidence did not carry it (an import), or a withdrawal this
 * store has no evidence of (replicated from the centre).
 */
static int
ctl_wd_consent(const char *addr, const struct db_consent *c, void *arg)
{
	struct ctl_wd_audit *a = arg;
	struct ctl_wd *last;

	if (db_consent_effective_state(c) != DB_STATE_WITHDRAWN ||
	    c->withdrawn <= 0)
		return 0;
	last = ctl_wd_last_of(a, addr);
	if (last != NULL && last->has_enforced < 0 &&
	    c->withdrawn <= last->stored)
		last->at = c->withdrawn;
	else if (last == NULL || (c->withdrawn > last->at &&
				  (!last->has_stored ||
				   c->withdrawn > last->stored)))
		g_ptr_array_add(a->wds, ctl_wd_new(addr, "", "replica",
						   c->withdrawn));
	return 0;
}

static struct ctl_wd_mail *
ctl_wd_mail_copy(const struct ctl_wd_mail *m)
{
	struct ctl_wd_mail *c = g_new0(struct ctl_wd_mail, 1);

	c->time = m->time;
	c->refused = m->refused;
	c->ref = g_strdup(m->ref);
	c->action = g_strdup(m->action);
	c->message_id = g_strdup(m->message_id);
	return c;
}

/* Join one withdrawal with the decisions for its address. */
static void
ctl_wd_join(struct ctl_wd_walk *w, struct ctl_wd *wd)
{
	GPtrArray *mails = g_hash_table_lookup(w->mail, wd->addr);
	GArray *re = g_hash_table_lookup(w->reconf, wd->addr);
	int64_t end = INT64_MAX;
	guint i;

	for (i = 0; re != NULL && i < re->len; i++) {
		int64_t t = g_array_index(re, int64_t, i);

		if (t > wd->at && t < end)
			end = t;
	}
	for (i = 0; mails != NULL && i < mails->len; i++) {
		struct ctl_wd_mail *m = g_ptr_array_index(mails, i);

		if (m->time < wd->at || m->time >= end)
			continue;
		if (!m->refused) {
			g_ptr_array_add(wd->late, ctl_wd_mail_copy(m));
		} else if (!wd->has_refused || m->time < wd->refused_at) {
			wd->has_refused = 1;
			wd->refused_at = m->time;
			g_free(wd->refused_ref);
			wd->refused_ref = g_strdup(m->ref);
		}
	}
	wd->has_enforced = wd->has_stored || wd->has_refused;
	wd->enforced = wd->has_stored ? wd->stored : wd->refused_at;
	if (wd->has_refused && wd->refused_at < wd->enforced)
		wd->enforced = wd->refused_at;
}

static gint
ctl_wd_by_at(gconstpointer x, gconstpointer y)
{
	const struct ctl_wd *a = *(struct ctl_wd *const *)x;
	const struct ctl_wd *b = *(struct ctl_wd *const *)y;
	int c = (a->at > b->at) - (a->at < b->at);

	return c ? c : strcmp(a->addr, b->addr);
}

static int
ctl_wd_cmp64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

/* The latency distribution and the two rules over a->wds. */
static void
ctl_wd_distribution(struct ctl_wd_audit *a)
{
	int64_t *lat = g_new0(int64_t, a->wds->len + 1);
	guint i;

	for (i = 0; i < a->wds->len; i++) {
		struct ctl_wd *w = g_ptr_array_index(a->wds, i);

		a->late += w->late->len;
		a->honoured += w->late->len == 0;
		if (!w->has_enforced)
			continue;
		lat[a->nlat] = w->enforced > w->at ? w->enforced - w->at : 0;
		a->within_limit += lat[a->nlat] <= CTL_WD_LIMIT;
		a->nlat++;
	}
	if (a->nlat > 0) {
		/* Nearest rank: the smallest value with at least p of the
		 * values at or below it. */
		qsort(lat, a->nlat, sizeof(lat[0]), ctl_wd_cmp64);
		a->median = lat[(a->nlat + 1) / 2 - 1];
		a->p95 = lat[(a->nlat * 95 + 99) / 100 - 1];
		a->max = lat[a->nlat - 1];
	}
	g_free(lat);
}

int
ctl_wd_run(struct db_store *s, const struct ctl_evfilter *f,
	   struct ctl_wd_audit *a)
{
	struct ctl_wd_walk w = {a, NULL, NULL};
	guint i;
	int rc;

	memset(a, 0, sizeof(*a));
	a->wds = g_ptr_array_new_with_free_func(ctl_wd_one_free);
	w.mail = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				       (GDestroyNotify)g_ptr_array_unref);
	w.reconf = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 ctl_wd_array_free);
	rc = ctl_evrec_walk(s, NULL, ctl_wd_walk_one, &w, &a->bad);
	if (rc == DB_OK)
		rc = db_consent_foreach(s, ctl_wd_consent, a);
	for (i = a->wds->len; rc == DB_OK && i-- > 0;) {
		struct ctl_wd *wd = g_ptr_array_index(a->wds, i);

		if (f != NULL && ((f->has_since && wd->at < f->since) ||
				  (f->has_until && wd->at >= f->until)))
			g_ptr_array_remove_index(a->wds, i);
		else
			ctl_wd_join(&w, wd);
	}
	g_ptr_array_sort(a->wds, ctl_wd_by_at);
	if (rc == DB_OK)
		ctl_wd_distribution(a);
	g_hash_table_destroy(w.mail);
	g_hash_table_destroy(w.reconf);
	return rc;
}

void
ctl_wd_free(struct ctl_wd_audit *a)
{
	if (a->wds != NULL)
		g_ptr_array_unref(a->wds);
	memset(a, 0, sizeof(*a));
}

void
ctl_wd_duration(int64_t secs, char out[32])
{
	int64_t d = secs / 86400, r = secs % 86400;

	if (d > 0)
		snprintf(out, 32, "%lldd %02lld:%02lld:%02lld", (long long)d,
			 (long long)(r / 3600), (long long)(r / 60 % 60),
			 (long long)(r % 60));
	else
		snprintf(out, 32, "%02lld:%02lld:%02lld", (long long)(r / 3600),
			 (long long)(r / 60 % 60), (long long)(r % 60));
}

void
ctl_wd_summary_text(FILE *out, const struct ctl_wd_audit *a)
{
	char m[32], p[32], x[32];

	ctl_wd_duration(a->median, m);
	ctl_wd_duration(a->p95, p);
	ctl_wd_duration(a->max, x);
	fprintf(out, "withdrawal latency (moment of withdrawal to enforced): "
		"%zu of %u withdrawals, median %s, p95 %s, max %s\n",
		a->nlat, a->wds->len, m, p, x);
	fprintf(out, "  enforced within 48 hours: %zu of %zu\n",
		a->within_limit, a->nlat);
	fprintf(out, "  honoured before the next send (no marketing mail "
		"accepted after it): %zu of %u\n", a->honoured, a->wds->len);
	fprintf(out, "  marketing mails accepted after a withdrawal: %llu\n",
		(unsigned long long)a->late);
}
