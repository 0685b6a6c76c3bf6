/*
 * cmd_privacy.c - the consentctl subcommands for data subjects' rights and
 * retention:
 *
 *   forget ADDR                 Art. 17 GDPR: delete the consent record,
 *                               blank ADDR in the personal data of every
 *                               evidence record (db_forget), and log
 *                               "forgotten <hash>"
 *   subject ADDR [--central --pg CONNINFO]
 *                               Art. 15 GDPR: the consent record and every
 *                               evidence record naming ADDR, matched by
 *                               its keyed hashes (so also after forget);
 *                               --central: the records of every host at
 *                               the centre (subject_central.c)
 *   purge [--dry-run] [--now T] remove withdrawn consent records and
 *                               evidence older than EvidenceRetention days
 *
 * Owns: the store handle of each run (closed before return).  forget and
 * purge open the store for writing, subject read-only.  Problems go to
 * stderr via ctl_error; exit 0 done, 1 refused or store error, 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../gate/config.h"
#include "ctl.h"
#include "evrec.h"

/* The default of EvidenceRetention when no config is read (3 years). */
#define CTL_RETENTION_DAYS 1095

/* Only one positional argument, an address, normalised into key. */
static int
ctl_one_addr(const struct ctl_command *cmd, int argc, char **argv,
	     char *key, size_t keysz)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};

	if (getopt_long(argc, argv, "", none, NULL) != -1 ||
	    argc - optind != 1)
		return ctl_usage(cmd);
	return ctl_addr_arg(argv[optind], key, keysz);
}

int
ctl_cmd_forget(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	       char **argv)
{
	struct db_forget_result res;
	struct db_store *s = NULL;
	struct ctl_audit a;
	char key[ADDR_MAX + 1], h[DB_HASH_HEX];
	int rc, r;

	if ((rc = ctl_one_addr(cmd, argc, argv, key, sizeof(key))) ||
	    (rc = ctl_store_open(ctx, 0, &s)))
		goto done;
	if ((r = db_pii_hash(s, key, h)) != DB_OK) {
		ctl_error("%s: %s", key, db_strerror(r));
		rc = CTL_EXIT_REFUSED;
		goto done;
	}
	/* The record names the subject only by its hash. */
	ctl_audit_init(&a, ctl_now(), "forget", "", "", "forgotten %s", h);
	if ((r = db_forget(s, key, &a.e, &res)) != DB_OK) {
		ctl_error("cannot forget %s: %s", key, db_strerror(r));
		rc = CTL_EXIT_REFUSED;
		goto done;
	}
	printf("forgot %s: %s, %llu evidence records pseudonymised "
	       "(evidence ref %s)\n", key, res.had_record
	       ? "consent record deleted" : "no consent record",
	       (unsigned long long)res.pseudonymised, a.ref);
done:
	db_close(s);
	return rc;
}

/* The consent part of the report. */
static int
ctl_subject_consent(struct db_store *s, const char *key)
{
	struct db_consent c;
	int r;

	r = db_consent_get(s, key, &c);
	if (r == DB_NOTFOUND) {
		printf("consent record: none\n");
		return CTL_EXIT_OK;
	}
	if (r != DB_OK) {
		ctl_error("cannot read %s: %s", key, db_strerror(r));
		return CTL_EXIT_REFUSED;
	}
	printf("consent record:\n");
	ctl_print_consent("  ", &c);
	return CTL_EXIT_OK;
}

/* The subject's hashes under every key the store holds (a record names
 * it under the key it was written with). */
#define CTL_SUBJECT_HASHES 9

struct ctl_subject {
	char hash[CTL_SUBJECT_HASHES][DB_HASH_HEX];
	size_t nhash;
	uint64_t n;
};

/* Does r name any of the subject's hashes? */
static int
ctl_subject_named(const struct ctl_subject *sj, const struct db_evrec *r)
{
	size_t i;

	for (i = 0; i < sj->nhash; i++)
		if (ctl_evrec_names_hash(r, sj->hash[i]))
			return 1;
	return 0;
}

static int
ctl_subject_one(struct db_evrec *r, const char *json, size_t len, void *arg)
{
	struct ctl_subject *sj = arg;

	(void)json;
	(void)len;
	if (!ctl_subject_named(sj, r))
		return 0;
	if (sj->n++ == 0)
		printf("evidence records:\n");
	fputs("  ", stdout);
	ctl_evrec_print(stdout, r);
	return ferror(stdout) ? 1 : 0;
}

/* subject's arguments: ADDR [--central --pg CONNINFO]. */
static int
ctl_subject_args(const struct ctl_command *cmd, int argc, char **argv,
		 char *key, size_t keysz, const char **conninfo)
{
	static const struct option opts[] = {
		{"central", no_argument, NULL, 'c'},
		{"pg", required_argument, NULL, 'p'},
		{NULL, 0, NULL, 0}};
	const char *pg = NULL;
	int o, central = 0;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'c')
			central = 1;
		else if (o == 'p')
			pg = optarg;
		else
			return ctl_usage(cmd);
	}
	if (argc - optind != 1 || central != (pg != NULL)) {
		if (central != (pg != NULL))
			ctl_error("subject: --central and --pg go together");
		return ctl_usage(cmd);
	}
	*conninfo = pg;
	return ctl_addr_arg(argv[optind], key, keysz);
}

int
ctl_cmd_subject(struct ctl_ctx *ctx, const struct ctl_command *cmd,
		int argc, char **argv)
{
	struct ctl_subject sj;
	struct db_store *s = NULL;
	const char *conninfo = NULL;
	char key[ADDR_MAX + 1];
	uint64_t bad = 0;
	int rc, r;

	memset(&sj, 0, sizeof(sj));
	if ((rc = ctl_subject_args(cmd, argc, argv, key, sizeof(key),
				   &conninfo)) ||
	    (rc = ctl_store_open(ctx, DB_OPEN_RDONLY, &s)))
		goto done;
	if ((r = db_pii_hashes(s, key, sj.hash, CTL_SUBJECT_HASHES,
			       &sj.nhash)) != DB_OK) {
		ctl_error("%s: %s", key, db_strerror(r));
		rc = CTL_EXIT_REFUSED;
		goto done;
	}
	printf("data subject: %s\npseudonym: %s\n", key, sj.hash[0]);
	if (conninfo) {
		if (sj.nhash < 2)
			fprintf(stderr, "consentctl: no EvidenceSubjectKeyFile "
				"read (-c): only this host's records can "
				"match\n");
		rc = ctl_subject_central(conninfo, key, sj.hash, sj.nhash);
		goto done;
	}
	if ((rc = ctl_subject_consent(s, key)) != CTL_EXIT_OK)
		goto done;
	r = ctl_evrec_walk(s, NULL, ctl_subject_one, &sj, &bad);
	printf("%llu evidence records name %s\n", (unsigned long long)sj.n,
	       key);
	if (r != DB_OK || bad > 0)
		rc = CTL_EXIT_REFUSED;
done:
	db_close(s);
	return rc;
}

/* List one consent record that purge removes. */
static int
ctl_purge_consent_one(const char *addr, const struct db_consent *c,
		      void *arg)
{
	char when[DB_TIME_MAX];

	printf("  %s (withdrawn %s)\n", addr,
	       db_time_format(c->withdrawn, when, sizeof(when)));
	(void)arg;
	return 0;
}

/* The options of purge; CTL_EXIT_OK or CTL_EXIT_USAGE. */
static int
ctl_purge_options(const struct ctl_command *cmd, int argc, char **argv,
		  int *dry_run, int64_t *now)
{
	static const struct option opts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"now", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0}};
	int o, rc = CTL_EXIT_OK;

	*dry_run = 0;
	*now = ctl_now();
	while (rc == CTL_EXIT_OK &&
	       (o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'n')
			*dry_run = 1;
		else if (o == 't')
			rc = ctl_time_arg("--now", optarg, now);
		else
			return ctl_usage(cmd);
	}
	if (rc == CTL_EXIT_OK && optind != argc)
		return ctl_usage(cmd);
	return rc;
}

/* Log what purge removed (not for a dry run or when nothing went). */
static int
ctl_purge_log(struct db_store *s, int64_t now, int64_t cutoff, uint64_t nc,
	      const struct db_purge_result *ev)
{
	char when[DB_TIME_MAX];
	struct ctl_audit a;
	int r;

	db_time_format(cutoff, when, sizeof(when));
	ctl_audit_init(&a, now, "purge", "", "", "%llu consent records "
		       "withdrawn before %s, %llu evidence records (seq %llu-"
		       "%llu) older than %s", (unsigned long long)nc, when,
		       (unsigned long long)ev->removed,
		       (unsigned long long)ev->first_seq,
		       (unsigned long long)ev->last_seq, when);
	if ((r = db_evidence_append(s, &a.e)) != DB_OK) {
		ctl_error("purged, but the evidence record failed: %s",
			  db_strerror(r));
		return CTL_EXIT_REFUSED;
	}
	return CTL_EXIT_OK;
}

int
ctl_cmd_purge(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	      char **argv)
{
	struct db_purge_result ev;
	struct db_store *s = NULL;
	char when[DB_TIME_MAX];
	long days = CTL_RETENTION_DAYS;
	int64_t now, cutoff;
	uint64_t nc = 0;
	int dry_run, rc, r;

	if ((rc = ctl_purge_options(cmd, argc, argv, &dry_run, &now)) ||
	    (rc = ctl_config_load(ctx)))
		return rc;
	if (ctx->cfg)
		days = ctx->cfg->evidence_retention;
	cutoff = now - (int64_t)days * 86400;
	if ((rc = ctl_store_open(ctx, dry_run ? DB_OPEN_RDONLY : 0, &s)))
		return rc;
	printf("%s (retention %ld days: before %s):\n", dry_run
	       ? "would remove" : "removing", days,
	       db_time_format(cutoff, when, sizeof(when)));
	r = db_purge_consent(s, cutoff, dry_run, ctl_purge_consent_one, NULL,
			     &nc);
	if (r == DB_OK)
		r = db_purge_evidence(s, cutoff, dry_run, &ev);
	if (r != DB_OK) {
		ctl_error("purge: %s", db_strerror(r));
		rc = CTL_EXIT_REFUSED;
		goto done;
	}
	printf("%llu withdrawn consent records\n", (unsigned long long)nc);
	if (ev.removed)
		printf("%llu evidence records, seq %llu to %llu (the last of "
		       "%s)\n", (unsigned long long)ev.removed,
		       (unsigned long long)ev.first_seq,
		       (unsigned long long)ev.last_seq,
		       db_time_format(ev.last_time, when, sizeof(when)));
	else
		printf("0 evidence records\n");
	if (!dry_run && (nc > 0 || ev.removed > 0))
		rc = ctl_purge_log(s, now, cutoff, nc, &ev);
done:
	db_close(s);
	return rc;
}
