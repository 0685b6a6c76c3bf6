/*
 * cmd_evidence.c - review and verify the evidence records.
 *
 *   evidence REF    print the complete record of one decision (JSON)
 *   verify          walk the hash chain from the purge checkpoint: every
 *                   record's "prev" must be the SHA-256 of the record
 *                   before it and the sequence must have no gap, so a
 *                   changed, removed or reordered record is found and
 *                   named; and the personal data kept beside the chain
 *                   must match the record's keyed hashes, or have been
 *                   forgotten (db_evidence_verify).  It names the
 *                   record format versions it read (db/evrec.h).
 *
 * Both open the store read-only.  Exit 0 ok, 1 unknown ref, broken chain
 * or changed personal data, 2 usage.  Owns nothing beyond the store
 * handle of the run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int
ctl_cmd_evidence(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
		 char **argv)
{
	struct db_store *s = NULL;
	char *json = NULL;
	int rc;

	if (argc != 2)
		return ctl_usage(cmd);
	if ((rc = ctl_store_open(ctx, DB_OPEN_RDONLY, &s)) != CTL_EXIT_OK)
		return rc;
	rc = db_evidence_get(s, argv[1], &json);
	if (rc == DB_OK) {
		printf("%s\n", json);
		rc = CTL_EXIT_OK;
	} else if (rc == DB_NOTFOUND) {
		ctl_error("%s: no evidence record with this reference", argv[1]);
		rc = CTL_EXIT_REFUSED;
	} else {
		ctl_error("%s: %s", argv[1], db_strerror(rc));
		rc = CTL_EXIT_REFUSED;
	}
	free(json);
	db_close(s);
	return rc;
}

/* Name one problem of the walk. */
static void
ctl_verify_problem(uint64_t seq, const char *ref, const char *problem,
		   void *arg)
{
	(void)arg;
	printf("record %llu (ref %s): %s\n", (unsigned long long)seq,
	       ref[0] ? ref : "-", problem);
}

/* The record format versions the walk saw (db/evrec.h), one line. */
static void
ctl_verify_versions(const struct db_verify_result *v)
{
	const char *sep = "";
	int i;

	printf("verify: record versions:");
	for (i = DB_EVIDENCE_VERSION_MIN; i <= DB_EVIDENCE_VERSION; i++) {
		if (v->versions[i] == 0)
			continue;
		printf("%s v%d %llu", sep, i,
		       (unsigned long long)v->versions[i]);
		sep = ",";
	}
	if (v->versions[0])
		printf("%s unreadable %llu", sep,
		       (unsigned long long)v->versions[0]);
	else if (*sep == '\0')
		printf(" none");
	putchar('\n');
}

int
ctl_cmd_verify(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	       char **argv)
{
	struct db_verify_result v;
	struct db_store *s = NULL;
	int rc;

	(void)argv;
	if (argc != 1)
		return ctl_usage(cmd);
	if ((rc = ctl_store_open(ctx, DB_OPEN_RDONLY, &s)) != CTL_EXIT_OK)
		return rc;
	rc = db_evidence_verify(s, ctl_verify_problem, NULL, &v);
	db_close(s);
	if (rc < 0) {
		ctl_error("evidence store: %s", db_strerror(rc));
		return CTL_EXIT_REFUSED;
	}
	if (v.problems) {
		printf("verify: the evidence is BROKEN (%llu records read, "
		       "%llu problems)\n", (unsigned long long)v.checked,
		       (unsigned long long)v.problems);
		ctl_verify_versions(&v);
		return CTL_EXIT_REFUSED;
	}
	printf("verify: %llu evidence records, chain intact%s, personal data "
	       "matches\n", (unsigned long long)v.checked,
	       v.start > 1 ? " from the purge checkpoint" : "");
	ctl_verify_versions(&v);
	return CTL_EXIT_OK;
}
