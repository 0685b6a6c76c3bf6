/*
 * cmd_outbox.c - consentctl outbox: the dead letters of replication, i.e.
 * outbox entries the centre refused --max-tries times in a row and that
 * consentctl follow set aside so that later changes flow (db/outbox_dead.c).
 *
 *   consentctl outbox list
 *   consentctl outbox retry KEY|--all
 *   consentctl outbox drop KEY|--all
 *
 * list prints one line per letter: key, when it was set aside, the number
 * of refusals, what it is (consent ADDR, delete ADDR, evidence REF) and the
 * centre's error.  retry queues it again (a consent or delete entry as the
 * record stands now), drop removes it for good; each retried or dropped
 * letter gets its own evidence record (kind "replication", action
 * outbox-retry or outbox-drop, by the invoking user).
 *
 * Owns: the store handle of the run and the list it reads.  Exit 0, 1
 * when a letter is unknown or the store fails, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db/replica.h"
#include "ctl.h"

/* What a letter is, e.g. "consent anna@example.org". */
static void
ctl_outbox_what(const struct db_outbox_entry *e, char *out, size_t size)
{
	if (e->kind == DB_OUTBOX_EVIDENCE)
		snprintf(out, size, "evidence %s", e->ref);
	else if (e->kind == DB_OUTBOX_FORGET)
		snprintf(out, size, "forget (the centre's evidence)");
	else
		snprintf(out, size, "%s %s",
			 e->kind == DB_OUTBOX_DELETE ? "delete" : "consent",
			 e->addr);
}

static int
ctl_outbox_list(struct db_store *s)
{
	struct db_outbox_dead *d = NULL;
	char when[DB_TIME_MAX], what[ADDR_MAX + 32];
	size_t n = 0, i;
	int rc;

	if ((rc = db_outbox_dead_list(s, &d, &n)) != DB_OK) {
		ctl_error("cannot read the dead letters: %s", db_strerror(rc));
		return CTL_EXIT_REFUSED;
	}
	for (i = 0; i < n; i++) {
		ctl_outbox_what(&d[i].e, what, sizeof(what));
		printf("%llu %s tries=%u %s: %s\n",
		       (unsigned long long)d[i].e.key,
		       db_time_format(d[i].time, when, sizeof(when)),
		       d[i].tries, what, d[i].why);
	}
	if (n == 0)
		printf("no dead letters\n");
	db_outbox_dead_free(d, n);
	return CTL_EXIT_OK;
}

/* Retry or drop one letter, with its evidence record. */
static int
ctl_outbox_take(struct db_store *s, const struct db_outbox_dead *d,
		int retry)
{
	char what[ADDR_MAX + 32];
	struct ctl_audit a;
	int rc;

	ctl_outbox_what(&d->e, what, sizeof(what));
	ctl_audit_init(&a, ctl_now(), retry ? "outbox-retry" : "outbox-drop",
		       d->e.kind == DB_OUTBOX_EVIDENCE ? "" : d->e.addr, "",
		       "dead letter %llu (%s) %s; the centre had said: %s",
		       (unsigned long long)d->e.key,
		       d->e.kind == DB_OUTBOX_EVIDENCE ||
				       d->e.kind == DB_OUTBOX_FORGET ? d->e.ref
			       : d->e.kind == DB_OUTBOX_DELETE ? "delete"
							       : "consent",
		       retry ? "queued again" : "dropped", d->why);
	a.e.kind = "replication";
	rc = retry ? db_outbox_dead_retry(s, d->e.key, &a.e)
		   : db_outbox_dead_drop(s, d->e.key, &a.e);
	if (rc != DB_OK) {
		ctl_error("dead letter %llu: %s", (unsigned long long)d->e.key,
			  db_strerror(rc));
		return CTL_EXIT_REFUSED;
	}
	printf("%s %llu: %s\n", retry ? "queued again" : "dropped",
	       (unsigned long long)d->e.key, what);
	return CTL_EXIT_OK;
}

/* retry or drop KEY|--all. */
static int
ctl_outbox_act(struct db_store *s, const char *arg, int retry)
{
	struct db_outbox_dead *d = NULL;
	unsigned long long key = 0;
	int all = strcmp(arg, "--all") == 0, found = 0, rc;
	size_t n = 0, i;
	char *end;

	if (!all) {
		key = strtoull(arg, &end, 10);
		if (*end != '\0' || key == 0) {
			ctl_error("outbox: KEY is a number (outbox list) or --all");
			return CTL_EXIT_USAGE;
		}
	}
	if ((rc = db_outbox_dead_list(s, &d, &n)) != DB_OK) {
		ctl_error("cannot read the dead letters: %s", db_strerror(rc));
		return CTL_EXIT_REFUSED;
	}
	rc = CTL_EXIT_OK;
	for (i = 0; i < n && rc == CTL_EXIT_OK; i++) {
		if (!all && d[i].e.key != key)
			continue;
		found = 1;
		rc = ctl_outbox_take(s, &d[i], retry);
	}
	db_outbox_dead_free(d, n);
	if (!all && !found) {
		ctl_error("no dead letter %llu (consentctl outbox list)", key);
		return CTL_EXIT_REFUSED;
	}
	return rc;
}

int
ctl_cmd_outbox(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	       char **argv)
{
	struct db_store *s = NULL;
	int list, rc;

	/* argv[0] is the subcommand's name. */
	if (argc < 2)
		return ctl_usage(cmd);
	list = strcmp(argv[1], "list") == 0;
	if (list ? argc != 2
		 : (argc != 3 || (strcmp(argv[1], "retry") != 0 &&
				  strcmp(argv[1], "drop") != 0)))
		return ctl_usage(cmd);
	rc = ctl_store_open(ctx, list ? DB_OPEN_RDONLY : 0, &s);
	if (rc != CTL_EXIT_OK)
		return rc;
	if (list)
		rc = ctl_outbox_list(s);
	else
		rc = ctl_outbox_act(s, argv[2], strcmp(argv[1], "retry") == 0);
	db_close(s);
	return rc;
}
