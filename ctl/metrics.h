/*
 * metrics.h - consentctl stats --format openmetrics: the counts of a pass
 * over the evidence records and the replication state of the store, as the
 * text exposition format that node_exporter's textfile collector reads
 * (metrics.c).
 */
#ifndef CG_CTL_METRICS_H
#define CG_CTL_METRICS_H

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl.h"

/* What one stats pass counted.  The tables map a key (class, rule id,
 * action) to a uint64_t count; they are borrowed from the caller's pass
 * and must outlive ctl_metrics_write. */
struct ctl_metrics {
	uint64_t records, decisions, refused, doi_sent, withdrawals;
	uint64_t confirmed, no_doi;
	GHashTable *cls, *rule, *action;
	/* Filled by ctl_metrics_replica. */
	int replication;      /* the outbox is on */
	int synced;           /* the store has synced at least once */
	int64_t replica_age;  /* seconds since the last sync, when synced */
	int64_t last_sync;    /* unix seconds of the last sync, when synced */
	uint64_t outbox;      /* entries waiting for the centre */
	uint64_t dead;        /* dead letters */
	int64_t last_id;      /* last central change applied */
	int stuck;            /* the follower stopped at a change */
	int64_t verified;     /* unix seconds of the last verify, 0 never */
	int64_t verify_diff;  /* addresses it found differing */
	uint64_t consent_records;
};

/* Read the replication state (outbox length, replica age) of the store
 * through db_replica_status.  CTL_EXIT_OK, or the exit code of a store
 * that cannot be opened or read (the error is printed). */
int ctl_metrics_replica(struct ctl_ctx *ctx, struct ctl_metrics *m);

/* Write every metric to out, ending with "# EOF".  0, or -1 when out
 * reports a write error. */
int ctl_metrics_write(FILE *out, const struct ctl_metrics *m);

#endif
