/*
 * cmd_io.c - the consentctl subcommands that move many records at once:
 * import (CSV into the store) and export (the store as CSV or JSON).
 *
 * Owns: the store handle and the input file of each run (closed before
 * return).  An import is summed up in one consent-kind evidence record.  Problems go to stderr via ctl_error; the result is an exit
 * code: 0 done, 1 a bad line, an unreadable file or a store error (nothing
 * of a file with a bad line is imported), 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

static double
ctl_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
ctl_cmd_import(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	       char **argv)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	struct db_store *s = NULL;
	struct ctl_audit a;
	const char *name;
	char err[512];
	size_t n = 0;
	double start;
	FILE *f = NULL;
	int rc, r;

	if (getopt_long(argc, argv, "", none, NULL) != -1 ||
	    argc - optind != 1)
		return ctl_usage(cmd);
	name = argv[optind];
	f = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
	if (f == NULL) {
		ctl_error("cannot open %s: %s", name, strerror(errno));
		return CTL_EXIT_REFUSED;
	}
	if ((rc = ctl_store_open(ctx, 0, &s)) != CTL_EXIT_OK)
		goto done;
	start = ctl_seconds();
	if (db_import_csv(s, f, name, ctl_now(), &n, err, sizeof(err)) !=
	    DB_OK) {
		ctl_error("%s", err);
		rc = CTL_EXIT_REFUSED;
		goto done;
	}
	printf("imported %zu records from %s in %.2f s\n", n, name,
	       ctl_seconds() - start);
	/* One summary record: the addresses themselves are in the file. */
	ctl_audit_init(&a, ctl_now(), "import", "", "", "%zu records from %s",
		       n, name);
	if ((r = db_evidence_append(s, &a.e)) != DB_OK) {
		ctl_error("imported, but the evidence record failed: %s",
			  db_strerror(r));
		rc = CTL_EXIT_REFUSED;
	}
done:
	db_close(s);
	if (f != stdin)
		fclose(f);
	return rc;
}

int
ctl_cmd_export(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	       char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0}};
	struct db_store *s = NULL;
	int o, json = 0, rc, r;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o != 'f')
			return ctl_usage(cmd);
		if (strcmp(optarg, "json") == 0)
			json = 1;
		else if (strcmp(optarg, "csv") == 0)
			json = 0;
		else
			return ctl_usage(cmd);
	}
	if (optind != argc)
		return ctl_usage(cmd);
	if ((rc = ctl_store_open(ctx, DB_OPEN_RDONLY, &s)) != CTL_EXIT_OK)
		return rc;
	if ((r = db_export(s, stdout, json)) != DB_OK) {
		ctl_error("export failed: %s", r == DB_ERR_IO ?
			  "cannot write to standard output" : db_strerror(r));
		rc = CTL_EXIT_REFUSED;
	}
	db_close(s);
	return rc;
}
