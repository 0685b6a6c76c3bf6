/*
 * main.c - consentctl, the consent store and evidence review tool: global
 * options, then one subcommand from the ctl_dispatch table.
 *
 *   consentctl [-d DIR] [-c FILE] COMMAND [ARGS]
 *   consentctl -h|--help, -V|--version, COMMAND -h|--help
 *
 * -d selects the store directory; otherwise the ConsentDB of the config
 * given with -c (or of CTL_DEFAULT_CONFIG when that file exists).  A new
 * subcommand is a new ctl/cmd_*.c file and one line in ctl_dispatch.
 *
 * Owns: the config snapshot (dropped before exit).  Errors go to stderr;
 * the exit code is 0 on success, 1 for a refused request or a store error,
 * 2 for usage and config errors (CONTRACT.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../gate/config.h"
#include "ctl.h"

static const struct ctl_command ctl_dispatch[] = {
	{"init", ctl_cmd_init, ""},
	{"add", ctl_cmd_add, "ADDR [--state S] [--uid U] [--ip IP] "
	 "[--at T] [--source TXT] [--tracking yes|no] [--list NAME] "
	 "[--force --reason TEXT]"},
	{"confirm", ctl_cmd_confirm, "ADDR|--uid U --ip IP [--at T] "
	 "[--list NAME] [--force --reason TEXT]"},
	{"withdraw", ctl_cmd_withdraw, "ADDR|--uid U [--at T] [--list NAME]"},
	{"show", ctl_cmd_show, "ADDR"},
	{"import", ctl_cmd_import, "[--dry-run] [--force --reason TEXT] FILE.csv"},
	{"export", ctl_cmd_export, "[--format csv|json]"},
	{"evidence", ctl_cmd_evidence, "REF"},
	{"verify", ctl_cmd_verify, ""},
	{"forget", ctl_cmd_forget, "ADDR"},
	{"subject", ctl_cmd_subject, "ADDR [--central --pg CONNINFO]"},
	{"purge", ctl_cmd_purge, "[--dry-run] [--now T]"},
	{"ingest-log", ctl_cmd_ingest_log, "--confirm-path P --cancel-path P "
	 "[--uid-param NAME] [--require-post] [--scanner-agents FILE]... "
	 "FILE..."},
	{"check", ctl_cmd_check, "FILE... [--from S] [--to R]... [--class C] "
				 "[--tracking yes|no] [--profile NAME|none] [--format text|json] "
				 "[--explain]"},
	{"log", ctl_cmd_log, "[--since T] [--until T] [--rule R] [--action A] "
	 "[--sender S] [--recipient R] [--class C] [--kind K] "
	 "[--profile NAME] [--format text|csv|json]"},
	{"stats", ctl_cmd_stats,
	 "[--since T] [--until T] [--format text|openmetrics]"},
	{"report", ctl_cmd_report, "--html FILE [--since T] [--until T]"},
	{"audit", ctl_cmd_audit, "withdrawals [--since T] [--until T] "
	 "[--format text|json] [--central --pg CONNINFO]"},
	{"replay", ctl_cmd_replay, "[-c NEWCONF] [--format text|json] "
	 "MBOX|MAILDIR|FILE..."},
	{"follow", ctl_cmd_follow, "--pg CONNINFO [--host NAME] [--once] "
	 "[--verify] [--resync] [--batch N] [--max-tries N] [-v]"},
	{"status", ctl_cmd_status, "[--max-age SECONDS]"},
	{"outbox", ctl_cmd_outbox, "list | retry KEY|--all | drop KEY|--all"},
};

#define CTL_NCOMMANDS (sizeof(ctl_dispatch) / sizeof(ctl_dispatch[0]))

static const struct option ctl_longopts[] = {
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

static void
ctl_main_usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: consentctl [-d DIR] [-c FILE] COMMAND [ARGS]\n"
		"       consentctl -h | -V | COMMAND --help\n"
		"  -d DIR   store directory (default: ConsentDB of the config)\n"
		"  -c FILE  config file (default " CTL_DEFAULT_CONFIG
		" if it exists)\n"
		"  -h, --help     this text; -V, --version  the version\n"
		"times are 2026-01-02T03:04:05Z, 2026-01-02T04:04:05+01:00, "
		"2026-01-02\n(midnight UTC) or unix seconds\n"
		"commands:\n");
	for (i = 0; i < CTL_NCOMMANDS; i++)
		fprintf(out, "  %s%s%s\n", ctl_dispatch[i].name,
			ctl_dispatch[i].usage[0] ? " " : "",
			ctl_dispatch[i].usage);
}

static const struct ctl_command *
ctl_find(const char *name)
{
	size_t i;

	for (i = 0; i < CTL_NCOMMANDS; i++)
		if (strcmp(ctl_dispatch[i].name, name) == 0)
			return &ctl_dispatch[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	struct ctl_ctx ctx = {NULL, NULL, NULL};
	const struct ctl_command *cmd;
	int c, rc;

	/* '+': stop at the subcommand; its options are its own. */
	while ((c = getopt_long(argc, argv, "+d:c:hV", ctl_longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'd':
			ctx.dir = optarg;
			break;
		case 'c':
			ctx.config = optarg;
			break;
		case 'h':
			ctl_main_usage(stdout);
			return CTL_EXIT_OK;
		case 'V':
			printf("consentctl %s\n", CG_VERSION);
			return CTL_EXIT_OK;
		default:
			ctl_main_usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		ctl_main_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	cmd = ctl_find(argv[optind]);
	if (cmd == NULL) {
		ctl_error("unknown command '%s'", argv[optind]);
		ctl_main_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (ctl_wants_help(argc - optind, argv + optind)) {
		printf("usage: consentctl [-d DIR] [-c FILE] %s%s%s\n%s"
		       "see consentctl(8)\n", cmd->name, cmd->usage[0] ? " " : "",
		       cmd->usage, ctl_help_text(cmd->name));
		return CTL_EXIT_OK;
	}
	/* A config named with -c must be valid even when -d is given. */
	rc = ctx.config ? ctl_config_load(&ctx) : CTL_EXIT_OK;
	if (rc == CTL_EXIT_OK) {
		argc -= optind;
		argv += optind;
		optind = 0; /* glibc: restart getopt for the subcommand */
		rc = cmd->run(&ctx, cmd, argc, argv);
	}
	if (ctx.cfg)
		cfg_unref(ctx.cfg);
	if (fflush(stdout) != 0 && rc == CTL_EXIT_OK) {
		ctl_error("write error on standard output");
		rc = CTL_EXIT_REFUSED;
	}
	return rc;
}
