/*
 * metrics.c - consentctl stats --format openmetrics (also "prometheus"):
 * the counts of the evidence records and the replication state of the
 * store for node_exporter's textfile collector (or any scraper of the
 * text exposition format).  Every line is a "# HELP", "# TYPE" or "# EOF"
 * comment or a sample "name{label="value"} number".
 *
 * All metrics are gauges: they count what the store holds now, and
 * consentctl purge removes evidence past EvidenceRetention, so they can go
 * down.  Label values are escaped (backslash, double quote, newline) as the
 * format requires.
 *
 * Owns: nothing beyond one read-only store handle in ctl_metrics_replica,
 * closed before it returns.  Fails by returning an exit code (store) or -1
 * (write error); it never prints partial data on a store error because the
 * caller writes only after both reads succeeded.
 */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

#include "../db/replica.h"

int
ctl_metrics_replica(struct ctl_ctx *ctx, struct ctl_metrics *m)
{
	struct db_replica_state st;
	struct db_store *s = NULL;
	int64_t now = ctl_now();
	int rc, r;

	if ((rc = ctl_store_open(ctx, DB_OPEN_RDONLY, &s)) != CTL_EXIT_OK)
		return rc;
	r = db_replica_status(s, &st);
	db_close(s);
	if (r != DB_OK) {
		ctl_error("cannot read the replication state: %s",
			  db_strerror(r));
		return CTL_EXIT_REFUSED;
	}
	m->replication = st.enabled;
	m->outbox = st.outbox;
	m->dead = st.dead;
	m->last_id = st.last_id;
	m->stuck = st.stuck_id != 0;
	m->verified = st.verified;
	m->verify_diff = st.verify_diff;
	m->consent_records = st.records;
	m->synced = st.synced > 0;
	m->last_sync = st.synced;
	m->replica_age = st.synced > 0 && now > st.synced ? now - st.synced : 0;
	return CTL_EXIT_OK;
}

/* A label value with \, " and newline escaped. */
static void
ctl_metrics_label(FILE *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', out);
		if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
}

static void
ctl_metrics_head(FILE *out, const char *name, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void
ctl_metrics_one(FILE *out, const char *name, const char *help, uint64_t v)
{
	ctl_metrics_head(out, name, help);
	fprintf(out, "%s %llu\n", name, (unsigned long long)v);
}

static int
ctl_metrics_key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One family with a label per key of h, keys sorted. */
static void
ctl_metrics_table(FILE *out, const char *name, const char *help,
		  const char *label, GHashTable *h)
{
	guint n = 0, i;
	gpointer *keys;

	ctl_metrics_head(out, name, help);
	if (h == NULL)
		return;
	keys = g_hash_table_get_keys_as_array(h, &n);
	qsort(keys, n, sizeof(*keys), ctl_metrics_key_cmp);
	for (i = 0; i < n; i++) {
		fprintf(out, "%s{%s=\"", name, label);
		ctl_metrics_label(out, keys[i]);
		fprintf(out, "\"} %llu\n", (unsigned long long)*(uint64_t *)
				g_hash_table_lookup(h, keys[i]));
	}
	g_free(keys);
}

/* Dead letters, the stop, the last applied id and the last verify. */
static void
ctl_metrics_replica_more(FILE *out, const struct ctl_metrics *m)
{
	ctl_metrics_one(out, "consentgate_outbox_dead_letters",
			"Outbox entries the centre refused, set aside "
			"(consentctl outbox list).", m->dead);
	ctl_metrics_one(out, "consentgate_replica_stuck",
			"1 when the follower stopped at a central change this "
			"store cannot hold.", (uint64_t)(m->stuck != 0));
	ctl_metrics_one(out, "consentgate_replica_last_applied_id",
			"Id of the last central change applied (0: none).",
			(uint64_t)(m->last_id > 0 ? m->last_id : 0));
	ctl_metrics_head(out, "consentgate_replica_verify_timestamp_seconds",
			 "Unix time of the last verify against the centre "
			 "(absent: never).");
	if (m->verified > 0)
		fprintf(out, "consentgate_replica_verify_timestamp_seconds "
			"%lld\n", (long long)m->verified);
	ctl_metrics_head(out, "consentgate_replica_verify_differing",
			 "Addresses the last verify found differing from the "
			 "centre (0: match; absent: never verified).");
	if (m->verified > 0)
		fprintf(out, "consentgate_replica_verify_differing %lld\n",
			(long long)m->verify_diff);
}

int
ctl_metrics_write(FILE *out, const struct ctl_metrics *m)
{
	ctl_metrics_one(out, "consentgate_evidence_records",
			"Evidence records in the store (in the time window).",
			m->records);
	ctl_metrics_one(out, "consentgate_decisions",
			"Decision records (one per message or refused recipient).",
			m->decisions);
	ctl_metrics_one(out, "consentgate_refusals",
			"Decisions that refused (reject or tempfail).", m->refused);
	ctl_metrics_table(out, "consentgate_records_by_class",
			  "Evidence records per message class.", "class", m->cls);
	ctl_metrics_table(out, "consentgate_records_by_rule",
			  "Evidence records naming a rule (once per record).",
			  "rule", m->rule);
	ctl_metrics_table(out, "consentgate_records_by_action",
			  "Evidence records per action.", "action", m->action);
	ctl_metrics_one(out, "consentgate_doi_mails",
			"DOI mails passed to the MTA (retries not counted).",
			m->doi_sent);
	ctl_metrics_one(out, "consentgate_withdrawals",
			"Withdrawals that took effect.", m->withdrawals);
	ctl_metrics_one(out, "consentgate_consent_confirmed",
			"Consent records confirmed now.", m->confirmed);
	ctl_metrics_one(out, "consentgate_consent_without_doi",
			"Confirmed records without DOI proof.", m->no_doi);
	ctl_metrics_one(out, "consentgate_consent_records",
			"Consent records held.", m->consent_records);
	ctl_metrics_one(out, "consentgate_replication_enabled",
			"1 when the replication outbox is on.",
			(uint64_t)(m->replication != 0));
	ctl_metrics_one(out, "consentgate_outbox_entries",
			"Local changes waiting to be pushed to the centre.",
			m->outbox);
	ctl_metrics_head(out, "consentgate_replica_age_seconds",
			 "Seconds since the replica last synced (absent: never).");
	if (m->synced)
		fprintf(out, "consentgate_replica_age_seconds %lld\n",
			(long long)m->replica_age);
	ctl_metrics_head(out, "consentgate_replica_last_sync_timestamp_seconds",
			 "Unix time of the last sync (absent: never).");
	if (m->synced)
		fprintf(out, "consentgate_replica_last_sync_timestamp_seconds %lld\n",
			(long long)m->last_sync);
	ctl_metrics_replica_more(out, m);
	fputs("# EOF\n", out);
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
