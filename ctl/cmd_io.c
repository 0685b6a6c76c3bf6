/*
 * cmd_io.c - the consentctl subcommands that move many records at once:
 * import (CSV into the store) and export (the store as CSV or JSON).
 *
 * Owns: the store handle, the input file and the table of skip reasons
 * of each run (released before return).  Rows merge by time through the
 * consent state machine (fmt_import_csv_opts, db/store.h); each changed
 * record gets its own consent-kind evidence record with the states before
 * and after, an unchanged row none.  Every skipped row is printed as
 * "FILE:LINE: ADDR: reason; skipped" and summed up by reason; --dry-run
 * prints each change and writes nothing.  Problems go to stderr via
 * ctl_error; the result is an exit code: 0 done (rows skipped by the
 * merge rule included), 1 a bad line, an unreadable file or a store error
 * (nothing of a file with a bad line is imported), or a confirmed row
 * without its proof (the other rows are imported), 2 usage.
 */
#include <errno.h>
#include <glib.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../fmt/export.h"
#include "../fmt/import.h"
#include "ctl.h"

static double
ctl_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What an import run saw, for its messages and summary. */
struct ctl_import {
	const char *name;
	int dry_run;
	GHashTable *why; /* refusal code -> count */
};

/* One row's outcome: refusals always, changes in a dry run. */
static void
ctl_import_note(void *arg, unsigned long line, const char *addr,
		const struct db_sm_result *res)
{
	struct ctl_import *im = arg;
	gpointer n;

	if (res->outcome == DB_SM_REFUSED) {
		printf("%s:%lu: %s: %s; skipped\n", im->name, line, addr,
		       res->why);
		n = g_hash_table_lookup(im->why, res->code);
		g_hash_table_replace(im->why, (gpointer)res->code,
				     GSIZE_TO_POINTER(GPOINTER_TO_SIZE(n) + 1));
	} else if (res->outcome == DB_SM_CHANGED && im->dry_run) {
		printf("%s:%lu: %s: would change %s -> %s%s\n", im->name,
		       line, addr, db_state_name(res->before),
		       db_state_name(res->after),
		       res->forced ? " (forced)" : "");
	}
}

/* The summary line and the skipped rows by reason. */
static void
ctl_import_summary(const struct ctl_import *im,
		   const struct db_import_count *n, double secs)
{
	GHashTableIter it;
	gpointer code, count;

	printf("%s %zu records from %s (%zu unchanged, %zu skipped) in "
	       "%.2f s\n", im->dry_run ? "dry run: would change" : "changed",
	       n->changed, im->name, n->same, n->refused, secs);
	g_hash_table_iter_init(&it, im->why);
	while (g_hash_table_iter_next(&it, &code, &count))
		printf("  skipped, %s: %zu\n", (const char *)code,
		       GPOINTER_TO_SIZE(count));
}

/* Parse import's options. */
static int
ctl_import_parse(const struct ctl_command *cmd, int argc, char **argv,
		 int *dry_run, int *force, const char **reason)
{
	static const struct option opts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"force", no_argument, NULL, 'f'},
		{"reason", required_argument, NULL, 'r'},
		{NULL, 0, NULL, 0}};
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'n')
			*dry_run = 1;
		else if (o == 'f')
			*force = 1;
		else if (o == 'r')
			*reason = optarg;
		else
			return ctl_usage(cmd);
	}
	if (argc - optind != 1)
		return ctl_usage(cmd);
	if (*force != (*reason != NULL) || (*reason && !(*reason)[0])) {
		ctl_error("--force goes with --reason TEXT (kept in the "
			  "evidence)");
		return CTL_EXIT_USAGE;
	}
	return CTL_EXIT_OK;
}

int
ctl_cmd_import(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	       char **argv)
{
	struct db_store *s = NULL;
	struct db_import_opts opts;
	struct db_import_count n;
	struct db_event force;
	struct ctl_import im;
	struct ctl_audit a;
	const char *reason = NULL;
	char err[512], user[160];
	double start;
	FILE *f = NULL;
	int rc, dry_run = 0, forced = 0;

	if ((rc = ctl_import_parse(cmd, argc, argv, &dry_run, &forced,
				   &reason)) != CTL_EXIT_OK)
		return rc;
	im.name = argv[optind];
	im.dry_run = dry_run;
	f = strcmp(im.name, "-") == 0 ? stdin : fopen(im.name, "r");
	if (f == NULL) {
		ctl_error("cannot open %s: %s", im.name, strerror(errno));
		return CTL_EXIT_REFUSED;
	}
	if ((rc = ctl_store_open(ctx, 0, &s)) != CTL_EXIT_OK)
		goto done;
	ctl_invoking_user(user, sizeof(user));
	memset(&force, 0, sizeof(force));
	force.force = forced;
	force.force_by = user;
	force.force_reason = reason;
	/* One evidence record per changed record; the ref gets "-N". */
	ctl_audit_init(&a, ctl_now(), "import", "", "", "%s%s", forced ?
		       "reason=" : "", forced ? reason : "");
	memset(&opts, 0, sizeof(opts));
	opts.dry_run = dry_run;
	opts.force = forced ? &force : NULL;
	opts.e = &a.e;
	opts.note = ctl_import_note;
	opts.arg = &im;
	im.why = g_hash_table_new(g_str_hash, g_str_equal);
	start = ctl_seconds();
	if (fmt_import_csv_opts(s, f, im.name, ctl_now(), &opts, &n, err,
			       sizeof(err)) != DB_OK) {
		ctl_error("%s", err);
		rc = CTL_EXIT_REFUSED;
	} else {
		ctl_import_summary(&im, &n, ctl_seconds() - start);
		/* A confirmed row without proof is a bad row, not a merge. */
		rc = n.no_proof ? CTL_EXIT_REFUSED : CTL_EXIT_OK;
	}
	g_hash_table_destroy(im.why);
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
	if ((r = fmt_export(s, stdout, json)) != DB_OK) {
		ctl_error("export failed: %s", r == DB_ERR_IO ?
			  "cannot write to standard output" : db_strerror(r));
		rc = CTL_EXIT_REFUSED;
	}
	db_close(s);
	return rc;
}
