/*
 * withdrawals_central.c - `consentctl audit withdrawals --central --pg
 * CONNINFO`: every withdrawal in the centre's consent change log (a change
 * that turns an address withdrawn), and from the centre's copy of every
 * host's evidence, per host, when its withdrawal record arrived there (a
 * withdrawal made on the host, or the record `follow` writes when it
 * applies the centre's change: db/replica.h) and every marketing mail a
 * host accepted for the address at or after the withdrawal's moment and
 * before a new confirmation at the centre (there must be none).
 *
 * The addresses never leave this host in the evidence query: it sends
 * their keyed hashes under the deployment's keys (EvidenceSubjectKeyFile)
 * and the store's own to evidence_by_subject() (contrib/postgresql/
 * schema.sql), as `subject --central` does, and maps the rows back.  The
 * change log holds the addresses themselves (the role must be allowed to
 * read consent_change).  Withdrawals pruned from the log are not seen.
 *
 * Owns: the connection, its results and the tables of one run (freed
 * before return).  Problems go to stderr via ctl_error; returns CTL_EXIT_*
 * (3 when a host accepted a marketing mail after a withdrawal).
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/buf.h"
#include "withdrawals.h"

#ifdef CG_HAVE_LIBPQ

#include <libpq-fe.h>

/* Hashes per address: the deployment's keys and the store's own. */
#define CTL_WDC_HASHES 9

/* Withdrawals: a change whose effective state is withdrawn after one that
 * was not (or none); end: the first later confirmation after it. */
#define CTL_WDC_SQL                                                            \
	"SELECT c.id, c.address, consent_secs(c.withdrawn), "                  \
	"coalesce(c.origin, ''), coalesce((SELECT min(consent_secs("            \
	"n.confirmed)) FROM consent_change n WHERE n.address = c.address "     \
	"AND n.id > c.id AND n.confirmed > c.withdrawn AND "                   \
	"consent_effective_state(n.state, n.confirmed, n.withdrawn) <> "       \
	"'withdrawn'), 0) FROM (SELECT *, lag(consent_effective_state(state, " \
	"confirmed, withdrawn)) OVER (PARTITION BY address ORDER BY id) AS "   \
	"prev FROM consent_change) c WHERE c.withdrawn IS NOT NULL AND "       \
	"consent_effective_state(c.state, c.confirmed, c.withdrawn) = "        \
	"'withdrawn' AND c.prev IS DISTINCT FROM 'withdrawn' "                 \
	"ORDER BY c.withdrawn, c.id"

/* The arrival of one withdrawal on one host. */
struct ctl_wdc_host {
	int64_t time;
	char *ref;
};

/* One withdrawal of the centre's log. */
struct ctl_wdc {
	int64_t id, at, end; /* end: a new confirmation, INT64_MAX none */
	char *addr, *origin;
	GHashTable *arrived; /* host -> struct ctl_wdc_host * */
	GPtrArray *late;     /* "HOST TIME action ACTION ref REF" strings */
};

struct ctl_wdc_run {
	GPtrArray *wds;     /* struct ctl_wdc *, by at */
	GHashTable *byhash; /* hash -> address (borrowed from wds) */
	GPtrArray *hosts;   /* every host with evidence at the centre */
	uint64_t late;
};

static void
ctl_wdc_host_free(gpointer p)
{
	struct ctl_wdc_host *h = p;

	g_free(h->ref);
	g_free(h);
}

static void
ctl_wdc_free(gpointer p)
{
	struct ctl_wdc *w = p;

	g_free(w->addr);
	g_free(w->origin);
	g_hash_table_destroy(w->arrived);
	g_ptr_array_unref(w->late);
	g_free(w);
}

/* The withdrawals of the change log, inside the window of f. */
static int
ctl_wdc_load(PGconn *pg, const struct ctl_evfilter *f, struct ctl_wdc_run *x)
{
	PGresult *r = PQexec(pg, CTL_WDC_SQL);
	struct ctl_wdc *w;
	int i;

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		ctl_error("centre: the consent change log: %s",
			  PQerrorMessage(pg));
		PQclear(r);
		return -1;
	}
	for (i = 0; i < PQntuples(r); i++) {
		w = g_new0(struct ctl_wdc, 1);
		w->id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		w->addr = g_strdup(PQgetvalue(r, i, 1));
		w->at = strtoll(PQgetvalue(r, i, 2), NULL, 10);
		w->origin = g_strdup(PQgetvalue(r, i, 3));
		w->end = strtoll(PQgetvalue(r, i, 4), NULL, 10);
		if (w->end <= 0)
			w->end = INT64_MAX;
		w->arrived = g_hash_table_new_full(g_str_hash, g_str_equal,
						   g_free, ctl_wdc_host_free);
		w->late = g_ptr_array_new_with_free_func(g_free);
		if (f && ((f->has_since && w->at < f->since) ||
			  (f->has_until && w->at >= f->until)))
			ctl_wdc_free(w);
		else
			g_ptr_array_add(x->wds, w);
	}
	PQclear(r);
	return 0;
}

/* The hosts whose evidence the centre holds. */
static int
ctl_wdc_hosts(PGconn *pg, struct ctl_wdc_run *x)
{
	PGresult *r = PQexec(pg, "SELECT DISTINCT host FROM evidence "
			     "ORDER BY host");
	int i;

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		ctl_error("centre: evidence hosts: %s", PQerrorMessage(pg));
		PQclear(r);
		return -1;
	}
	for (i = 0; i < PQntuples(r); i++)
		g_ptr_array_add(x->hosts, g_strdup(PQgetvalue(r, i, 0)));
	PQclear(r);
	return 0;
}

/* The hashes of every address withdrawn, as a PostgreSQL array literal,
 * and the map back. */
static int
ctl_wdc_hashes(struct db_store *s, struct ctl_wdc_run *x, struct buf *arr)
{
	char h[CTL_WDC_HASHES][DB_HASH_HEX];
	size_t n, k;
	guint i;
	int rc, bad = buf_putc(arr, '{'), first = 1;

	for (i = 0; i < x->wds->len; i++) {
		struct ctl_wdc *w = g_ptr_array_index(x->wds, i);

		if ((rc = db_pii_hashes(s, w->addr, h, CTL_WDC_HASHES, &n)) !=
		    DB_OK) {
			ctl_error("%s: %s", w->addr, db_strerror(rc));
			return -1;
		}
		for (k = 0; k < n; k++) {
			if (g_hash_table_contains(x->byhash, h[k]))
				continue;
			g_hash_table_insert(x->byhash, g_strdup(h[k]),
					    w->addr);
			/* lower-case hex: no quoting needed */
			bad |= buf_printf(arr, "%s%s", first ? "" : ",", h[k]);
			first = 0;
		}
	}
	bad |= buf_putc(arr, '}') | buf_reserve(arr, 0);
	if (bad)
		ctl_error("out of memory");
	return bad ? -1 : 0;
}

/* One record of host for withdrawal w (its address named by it). */
static void
ctl_wdc_match(struct ctl_wdc_run *x, struct ctl_wdc *w, int64_t until,
	      const char *host, const struct db_evrec *r)
{
	struct ctl_wdc_host *h;
	char t[DB_TIME_MAX];

	if (r->time < w->at)
		return;
	if (ctl_evrec_is_withdrawal(r) && r->time < until) {
		h = g_hash_table_lookup(w->arrived, host);
		if (h != NULL && h->time <= r->time)
			return;
		h = g_new0(struct ctl_wdc_host, 1);
		h->time = r->time;
		h->ref = g_strdup(r->ref);
		g_hash_table_replace(w->arrived, g_strdup(host), h);
	} else if (strcmp(r->kind, "decision") == 0 &&
		   strcmp(r->cls, "marketing") == 0 && r->time < w->end &&
		   !ctl_evrec_refused(r)) {
		g_ptr_array_add(w->late, g_strdup_printf(
			"%s %s action %s ref %s", host,
			db_time_format(r->time, t, sizeof(t)), r->action,
			r->ref));
		x->late++;
	}
}

/* Every withdrawal of addr: a record counts for the latest withdrawal at
 * or before its time (its arrival only before the next withdrawal). */
static void
ctl_wdc_record(struct ctl_wdc_run *x, const char *addr, const char *host,
	       const struct db_evrec *r)
{
	struct ctl_wdc *w, *best = NULL;
	int64_t until = INT64_MAX;
	guint i;

	for (i = 0; i < x->wds->len; i++) {
		w = g_ptr_array_index(x->wds, i);
		if (strcmp(w->addr, addr) != 0)
			continue;
		if (w->at <= r->time)
			best = w;
		else if (w->at < until)
			until = w->at;
	}
	if (best != NULL)
		ctl_wdc_match(x, best, until, host, r);
}

/* The records at the centre that name a withdrawn address. */
static int
ctl_wdc_evidence(PGconn *pg, struct ctl_wdc_run *x, const char *arr)
{
	const char *p[1] = {arr}, *addr;
	GHashTable *seen;
	struct db_evrec rec;
	PGresult *r;
	size_t k;
	int i, rc = 0;

	r = PQexecParams(pg, "SELECT host, ref, record::text FROM "
			 "evidence_by_subject($1::text[])", 1, NULL, p, NULL,
			 NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		ctl_error("centre: evidence_by_subject: %s",
			  PQerrorMessage(pg));
		PQclear(r);
		return -1;
	}
	seen = g_hash_table_new(g_str_hash, g_str_equal);
	for (i = 0; rc == 0 && i < PQntuples(r); i++) {
		const char *json = PQgetvalue(r, i, 2);

		if (ctl_evrec_parse(json, strlen(json), &rec) !=
		    CTL_EVREC_OK) {
			ctl_error("centre: the record %s of host %s does not "
				  "parse", PQgetvalue(r, i, 1),
				  PQgetvalue(r, i, 0));
			rc = -1;
			break;
		}
		/* Each withdrawn address the record names, once. */
		g_hash_table_remove_all(seen);
		for (k = 0; k < rec.nrcpt_h; k++) {
			addr = g_hash_table_lookup(x->byhash, rec.rcpt_hv[k]);
			if (addr == NULL || !g_hash_table_add(seen,
							      (char *)addr))
				continue;
			ctl_wdc_record(x, addr, PQgetvalue(r, i, 0), &rec);
		}
		ctl_evrec_free(&rec);
	}
	g_hash_table_destroy(seen);
	PQclear(r);
	return rc;
}

/* Print one withdrawal: per host its arrival, then the late mails. */
static void
ctl_wdc_print(const struct ctl_wdc_run *x, const struct ctl_wdc *w,
	      size_t *everywhere, int64_t *slowest)
{
	char t[DB_TIME_MAX], d[32];
	struct ctl_wdc_host *h;
	size_t got = 0;
	guint i;

	printf("%s %s withdrawn (change %lld%s%s)\n",
	       db_time_format(w->at, t, sizeof(t)), w->addr, (long long)w->id,
	       w->origin[0] ? " from " : "", w->origin);
	for (i = 0; i < x->hosts->len; i++) {
		const char *host = g_ptr_array_index(x->hosts, i);

		h = g_hash_table_lookup(w->arrived, host);
		if (h == NULL) {
			printf("  %s: no withdrawal record\n", host);
			continue;
		}
		got++;
		ctl_wd_duration(h->time - w->at, d);
		printf("  %s: reached %s, after %s (ref %s)\n", host,
		       db_time_format(h->time, t, sizeof(t)), d, h->ref);
		if (h->time - w->at > *slowest)
			*slowest = h->time - w->at;
	}
	for (i = 0; i < w->late->len; i++)
		printf("  LATE: marketing mail accepted on %s\n",
		       (const char *)g_ptr_array_index(w->late, i));
	*everywhere += got == x->hosts->len;
}

static int
ctl_wdc_query(PGconn *pg, struct db_store *s, const struct ctl_evfilter *f,
	      struct ctl_wdc_run *x)
{
	struct buf arr = BUF_INIT;
	int rc;

	rc = ctl_wdc_load(pg, f, x);
	if (rc == 0)
		rc = ctl_wdc_hosts(pg, x);
	if (rc == 0 && x->wds->len > 0)
		rc = ctl_wdc_hashes(s, x, &arr);
	if (rc == 0 && x->wds->len > 0)
		rc = ctl_wdc_evidence(pg, x, arr.data);
	buf_free(&arr);
	return rc;
}

int
ctl_wd_central(const char *conninfo, struct db_store *s,
	       const struct ctl_evfilter *f)
{
	struct ctl_wdc_run x = {NULL, NULL, NULL, 0};
	size_t everywhere = 0;
	int64_t slowest = 0;
	char d[32];
	PGconn *pg;
	guint i;
	int rc = CTL_EXIT_OK;

	pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		ctl_error("cannot connect to the centre: %s",
			  pg ? PQerrorMessage(pg) : "out of memory");
		PQfinish(pg);
		return CTL_EXIT_REFUSED;
	}
	x.wds = g_ptr_array_new_with_free_func(ctl_wdc_free);
	x.byhash = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 NULL);
	x.hosts = g_ptr_array_new_with_free_func(g_free);
	if (ctl_wdc_query(pg, s, f, &x) < 0)
		rc = CTL_EXIT_REFUSED;
	for (i = 0; rc == CTL_EXIT_OK && i < x.wds->len; i++)
		ctl_wdc_print(&x, g_ptr_array_index(x.wds, i), &everywhere,
			      &slowest);
	if (rc == CTL_EXIT_OK) {
		ctl_wd_duration(slowest, d);
		printf("%u withdrawals at the centre, %u hosts: on record on "
		       "every host %zu of %u, slowest arrival %s; marketing "
		       "mails accepted after a withdrawal: %llu\n",
		       x.wds->len, x.hosts->len, everywhere, x.wds->len, d,
		       (unsigned long long)x.late);
	}
	if (rc == CTL_EXIT_OK && x.late > 0) {
		ctl_error("%llu marketing mail(s) accepted after a withdrawal",
			  (unsigned long long)x.late);
		rc = CTL_EXIT_ATTENTION;
	}
	g_ptr_array_unref(x.wds);
	g_hash_table_destroy(x.byhash);
	g_ptr_array_unref(x.hosts);
	PQfinish(pg);
	return rc;
}

#else /* !CG_HAVE_LIBPQ */

int
ctl_wd_central(const char *conninfo, struct db_store *s,
	       const struct ctl_evfilter *f)
{
	(void)conninfo;
	(void)s;
	(void)f;
	ctl_error("audit withdrawals --central: this consentctl was built "
		  "without libpq (install libpq-dev and rebuild)");
	return CTL_EXIT_USAGE;
}

#endif
