/*
 * cmd_status.c - consentctl status: what this host's store knows about
 * replication, so that an operator sees at a glance whether the replica is
 * current while the centre is down or slow.
 *
 *   replication: on | off
 *   last applied id: N
 *   last sync: 2026-01-02T03:04:05Z (age S s) | never
 *   outbox: N entries waiting for the centre
 *   records: N
 *
 * Owns: the read-only store handle of the run.  Exit 0, 1 when the store
 * cannot be read, 2 usage.
 */
#include <getopt.h>
#include <stdio.h>

#include "../db/replica.h"
#include "ctl.h"

int
ctl_cmd_status(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	       char **argv)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	struct db_replica_state st;
	struct db_store *s = NULL;
	char when[DB_TIME_MAX];
	int64_t now = ctl_now();
	int rc, r;

	if (getopt_long(argc, argv, "", none, NULL) != -1 || optind != argc)
		return ctl_usage(cmd);
	if ((rc = ctl_store_open(ctx, DB_OPEN_RDONLY, &s)) != CTL_EXIT_OK)
		return rc;
	if ((r = db_replica_status(s, &st)) != DB_OK) {
		ctl_error("cannot read the replication state: %s",
			  db_strerror(r));
		db_close(s);
		return CTL_EXIT_REFUSED;
	}
	printf("replication: %s\n", st.enabled ? "on" : "off");
	printf("last applied id: %lld\n", (long long)st.last_id);
	if (st.synced > 0)
		printf("last sync: %s (age %lld s)\n",
		       db_time_format(st.synced, when, sizeof(when)),
		       (long long)(now > st.synced ? now - st.synced : 0));
	else
		printf("last sync: never\n");
	printf("outbox: %llu entries waiting for the centre\n",
	       (unsigned long long)st.outbox);
	printf("records: %llu\n", (unsigned long long)st.records);
	db_close(s);
	return CTL_EXIT_OK;
}
