/*
 * cmd_evidence.c - review and verify the evidence records.
 *
 *   evidence REF    print the complete record of one decision (JSON)
 *   verify          walk the hash chain: every record's "prev" must be the
 *                   SHA-256 of the record before it and the sequence must
 *                   have no gap, so a changed, removed or reordered record
 *                   is found and named.
 *
 * Both open the store read-only.  Exit 0 ok, 1 unknown ref or broken chain,
 * 2 usage.  Owns: the copy of the previous record's hash during a walk.
 */
#include <glib.h>
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

struct ctl_verify {
	uint64_t expect_seq;
	char prev[65];
	uint64_t checked;
	int broken;
};

/* The value of a top-level string field "name":"..." (no escapes needed
 * for hex and refs) into out. */
static void
ctl_json_field(const char *json, const char *name, char *out, size_t outsz)
{
	char key[64];
	const char *p, *e;
	size_t n;

	out[0] = '\0';
	snprintf(key, sizeof(key), "\"%s\":\"", name);
	p = strstr(json, key);
	if (p == NULL)
		return;
	p += strlen(key);
	e = strchr(p, '"');
	if (e == NULL)
		return;
	n = (size_t)(e - p);
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

static int
ctl_verify_one(uint64_t seq, const char *json, size_t len, void *arg)
{
	struct ctl_verify *v = arg;
	char prev[80], ref[80], seqtext[32];
	gchar *hash;

	ctl_json_field(json, "prev", prev, sizeof(prev));
	ctl_json_field(json, "ref", ref, sizeof(ref));
	snprintf(seqtext, sizeof(seqtext), "{\"seq\":%llu,",
		 (unsigned long long)seq);
	if (seq != v->expect_seq) {
		printf("record %llu (ref %s): expected record %llu here; records "
		       "were removed or reordered\n", (unsigned long long)seq, ref,
		       (unsigned long long)v->expect_seq);
		v->broken = 1;
	} else if (strncmp(json, seqtext, strlen(seqtext)) != 0) {
		printf("record %llu (ref %s): its text names another sequence "
		       "number; it was moved or changed\n", (unsigned long long)seq,
		       ref);
		v->broken = 1;
	} else if (strcmp(prev, v->prev) != 0) {
		printf("record %llu (ref %s): the hash of the record before it "
		       "does not match; record %llu or this one was changed\n",
		       (unsigned long long)seq, ref,
		       (unsigned long long)(seq > 1 ? seq - 1 : 0));
		v->broken = 1;
	}
	hash = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
					   (const guchar *)json, len);
	snprintf(v->prev, sizeof(v->prev), "%s", hash ? hash : "");
	g_free(hash);
	v->expect_seq = seq + 1;
	v->checked++;
	return 0;
}

int
ctl_cmd_verify(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	       char **argv)
{
	struct ctl_verify v = {1, "", 0, 0};
	struct db_store *s = NULL;
	int rc;

	(void)argv;
	if (argc != 1)
		return ctl_usage(cmd);
	if ((rc = ctl_store_open(ctx, DB_OPEN_RDONLY, &s)) != CTL_EXIT_OK)
		return rc;
	rc = db_evidence_foreach(s, ctl_verify_one, &v);
	db_close(s);
	if (rc < 0) {
		ctl_error("evidence store: %s", db_strerror(rc));
		return CTL_EXIT_REFUSED;
	}
	if (v.broken) {
		printf("verify: the evidence chain is BROKEN (%llu records read)\n",
		       (unsigned long long)v.checked);
		return CTL_EXIT_REFUSED;
	}
	printf("verify: %llu evidence records, chain intact\n",
	       (unsigned long long)v.checked);
	return CTL_EXIT_OK;
}
