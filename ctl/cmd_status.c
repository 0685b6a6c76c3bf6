/*
 * cmd_status.c - consentctl status: what this host's store knows about
 * replication, so that an operator sees at a glance whether the replica is
 * current while the centre is down or slow.
 *
 *   replication: on | off
 *   last applied id: N
 *   last sync: 2026-01-02T03:04:05Z (age S s) | never
 *   outbox: N entries waiting for the centre
 *   dead letters: N (consentctl outbox list)
 *   stopped at: change N for ADDR cannot be applied: WHY   (only when so)
 *   last verify: 2026-01-02T03:04:05Z: match | N addresses differ | never
 *   records: N
 *
 *   consentctl status [--max-age SECONDS]
 *
 * Owns: the read-only store handle of the run.  Exit 0 when replication
 * needs nothing, 3 when it needs the operator (the follower stopped at a
 * central change this store cannot hold, dead letters wait, the last
 * `follow --verify` found addresses that differ from the centre, or with
 * --max-age the last sync of a replica is older than that or never
 * happened), 1 when the store cannot be read, 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "../db/replica.h"
#include "ctl.h"

/* The line of the last follow --verify. */
static void
ctl_status_verify(const struct db_replica_state *st)
{
	char when[DB_TIME_MAX];

	if (st->verified <= 0) {
		printf("last verify: never\n");
		return;
	}
	db_time_format(st->verified, when, sizeof(when));
	if (st->verify_diff == 0)
		printf("last verify: %s: match\n", when);
	else
		printf("last verify: %s: %lld addresses differ from the centre "
		       "(consentctl follow --verify names them)\n", when,
		       (long long)st->verify_diff);
}

int
ctl_cmd_status(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	       char **argv)
{
	static const struct option opts[] = {
		{"max-age", required_argument, NULL, 'a'},
		{NULL, 0, NULL, 0}};
	struct db_replica_state st;
	struct db_store *s = NULL;
	char when[DB_TIME_MAX], *end;
	int64_t now = ctl_now(), age, max_age = -1;
	int rc, r, o, stale;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o != 'a')
			return ctl_usage(cmd);
		max_age = strtoll(optarg, &end, 10);
		if (*end != '\0' || max_age < 0) {
			ctl_error("--max-age: seconds, 0 or more");
			return CTL_EXIT_USAGE;
		}
	}
	if (optind != argc)
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
	printf("dead letters: %llu%s\n", (unsigned long long)st.dead,
	       st.dead ? " (refused by the centre; consentctl outbox list)"
		       : "");
	if (st.stuck_id != 0)
		printf("stopped at: %s\n", st.stuck_why);
	ctl_status_verify(&st);
	printf("records: %llu\n", (unsigned long long)st.records);
	db_close(s);
	age = now > st.synced ? now - st.synced : 0;
	stale = st.enabled && max_age >= 0 && (st.synced == 0 || age > max_age);
	if (st.stuck_id != 0 || st.dead > 0 || stale || st.verify_diff > 0) {
		ctl_error("replication needs attention: %s",
			  st.stuck_id != 0 ? "the follower stopped at a change "
			  "it cannot apply" : st.dead > 0 ? "dead letters wait"
			  : stale ? "the replica is older than --max-age"
			  : "the last verify found differences");
		return CTL_EXIT_ATTENTION;
	}
	return CTL_EXIT_OK;
}
