/*
 * ctl.h - what the consentctl subcommands share: the context built from the
 * global options, the dispatch table entry, exit codes and small helpers.
 *
 * A subcommand is one function in a ctl/cmd_*.c file plus one line in the
 * ctl_dispatch table of ctl/main.c.  It parses its own options with
 * getopt_long (argv[0] is the subcommand name), opens the store through
 * ctl_store_open (read-only unless it writes), prints errors with
 * ctl_error, and returns an exit code.
 */
#ifndef CG_CTL_H
#define CG_CTL_H

#include <stdint.h>
#include <stdio.h>

#include "../db/store.h"
#include "../db/consent_sm.h"

/* Exit codes (CONTRACT.md). */
#define CTL_EXIT_OK 0
#define CTL_EXIT_REFUSED 1 /* refused request or store error */
#define CTL_EXIT_USAGE 2   /* usage or config error */
#define CTL_EXIT_ATTENTION 3 /* status: replication needs the operator */

#ifndef CG_SYSCONFDIR
#define CG_SYSCONFDIR "/etc"
#endif
#define CTL_DEFAULT_CONFIG CG_SYSCONFDIR "/consentgate/consentgate.conf"

struct cfg;

/* Global options; strings borrowed from argv for the life of the run. */
struct ctl_ctx {
	const char *dir;    /* -d DIR, or NULL; the store used, once open */
	const char *config; /* -c FILE, or NULL */
	struct cfg *cfg;    /* the loaded config (owned, one reference) */
};

struct ctl_command;
typedef int (*ctl_run_fn)(struct ctl_ctx *ctx, const struct ctl_command *cmd,
			  int argc, char **argv);

/* One line of the dispatch table (static data). */
struct ctl_command {
	const char *name;
	ctl_run_fn run;
	const char *usage; /* the arguments after the name */
};

/* Print "consentctl: <message>" and a newline to stderr. */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the subcommand's usage line to stderr; returns CTL_EXIT_USAGE. */
int ctl_usage(const struct ctl_command *cmd);
/* `COMMAND --help` (ctl/help.c): the explanation printed after the usage
 * line ("" when there is none), and whether argv (argv[0] the command)
 * asks for it with -h or --help before any "--". */
const char *ctl_help_text(const char *name);
int ctl_wants_help(int argc, char **argv);

/*
 * Load the config named by -c, or else the default config when it exists
 * (once; later calls return at once).  Problems are printed; returns
 * CTL_EXIT_OK or CTL_EXIT_USAGE.
 */
int ctl_config_load(struct ctl_ctx *ctx);

/*
 * Open the store: -d DIR, else the config's ConsentDB.  flags as db_open.
 * Returns CTL_EXIT_OK with *out set (db_close it), CTL_EXIT_USAGE when no
 * store is named or the config is bad, CTL_EXIT_REFUSED when the store
 * cannot be opened (reason printed).
 */
int ctl_store_open(struct ctl_ctx *ctx, int flags, struct db_store **out);

/* Parse the time argument of option opt: ISO 8601 with Z or an offset
 * (2026-01-02T03:04:05Z, 2026-01-02T04:04:05+01:00, seconds optional), a
 * date (2026-01-02: midnight UTC) or unix seconds.  Prints the problem;
 * returns CTL_EXIT_OK or CTL_EXIT_USAGE. */
int ctl_time_arg(const char *opt, const char *s, int64_t *out);
/* Normalise an address argument into key (ADDR_MAX+1 bytes).  Prints the
 * problem; returns CTL_EXIT_OK or CTL_EXIT_USAGE. */
int ctl_addr_arg(const char *s, char *key, size_t keysz);
/* Print every field of a consent record, one "key: value" line each,
 * each line starting with indent ("-" for an empty value). */
void ctl_print_consent(const char *indent, const struct db_consent *c);
/* The current time in UTC seconds. */
int64_t ctl_now(void);

/*
 * A consent-kind evidence record about a change consentctl made
 * (ctl/audit.c): ref "ctl-<time hex>-<random hex>", action the command,
 * recipients the address, client_ip the IP (both may be ""), rules the
 * detail with ", by=<login name>" appended.  e points into the struct.
 */
struct ctl_audit {
	struct db_evidence e;
	char ref[40];
	char addr[ADDR_MAX + 1];
	char ip[DB_IP_MAX + 1];
	char rules[1024];
};
/* The invoking user for evidence: the login name of the real uid, with
 * " (sudo by NAME)" when run through sudo (SUDO_USER). */
void ctl_invoking_user(char *out, size_t outsz);
void ctl_audit_init(struct ctl_audit *a, int64_t now, const char *action,
		    const char *addr, const char *ip, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* The subcommands (ctl/cmd_consent.c, ctl/cmd_io.c, ctl/cmd_check.c). */
int ctl_cmd_check(struct ctl_ctx *, const struct ctl_command *, int, char **);
int ctl_cmd_evidence(struct ctl_ctx *, const struct ctl_command *, int, char **);
int ctl_cmd_verify(struct ctl_ctx *, const struct ctl_command *, int, char **);
int ctl_cmd_init(struct ctl_ctx *, const struct ctl_command *, int, char **);
int ctl_cmd_add(struct ctl_ctx *, const struct ctl_command *, int, char **);
int ctl_cmd_confirm(struct ctl_ctx *, const struct ctl_command *, int,
		    char **);
int ctl_cmd_withdraw(struct ctl_ctx *, const struct ctl_command *, int,
		     char **);
int ctl_cmd_show(struct ctl_ctx *, const struct ctl_command *, int, char **);
int ctl_cmd_import(struct ctl_ctx *, const struct ctl_command *, int,
		   char **);
int ctl_cmd_export(struct ctl_ctx *, const struct ctl_command *, int,
		   char **);
/* Data protection (ctl/cmd_privacy.c, ctl/cmd_ingest.c). */
int ctl_cmd_forget(struct ctl_ctx *, const struct ctl_command *, int,
		   char **);
/* subject --central (subject_central.c): the records at the centre that
 * name one of hashes (n of them) for key; prints them; CTL_EXIT_*. */
int ctl_subject_central(const char *conninfo, const char *key,
			char hashes[][DB_HASH_HEX], size_t n);
int ctl_cmd_subject(struct ctl_ctx *, const struct ctl_command *, int,
		    char **);
int ctl_cmd_purge(struct ctl_ctx *, const struct ctl_command *, int, char **);
int ctl_cmd_ingest_log(struct ctl_ctx *, const struct ctl_command *, int,
		       char **);
/* Evidence review (ctl/cmd_log.c, ctl/cmd_report.c). */
int ctl_cmd_log(struct ctl_ctx *, const struct ctl_command *, int, char **);
int ctl_cmd_stats(struct ctl_ctx *, const struct ctl_command *, int, char **);
int ctl_cmd_report(struct ctl_ctx *, const struct ctl_command *, int,
		   char **);
/* Replication (ctl/cmd_follow.c, ctl/cmd_status.c). */
int ctl_cmd_follow(struct ctl_ctx *, const struct ctl_command *, int,
		   char **);
int ctl_cmd_outbox(struct ctl_ctx *, const struct ctl_command *, int,
		   char **);
int ctl_cmd_status(struct ctl_ctx *, const struct ctl_command *, int,
		   char **);

#endif
