/*
 * util.c - helpers shared by the consentctl subcommands: error and usage
 * output, finding and loading the config, opening the store, and checking
 * time and address arguments.
 *
 * Owns: the config snapshot in struct ctl_ctx once loaded (main() drops
 * it).  Writes every problem to stderr, prefixed "consentctl: ", and turns
 * it into an exit code (CTL_EXIT_*); never exits itself.
 */
#include "ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/time.h"
#include "../gate/config.h"

void
ctl_error(const char *fmt, ...)
{
	va_list ap;

	fputs("consentctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
ctl_usage(const struct ctl_command *cmd)
{
	fprintf(stderr, "usage: consentctl [-d DIR] [-c FILE] %s%s%s\n",
		cmd->name, cmd->usage[0] ? " " : "", cmd->usage);
	return CTL_EXIT_USAGE;
}

int
ctl_config_load(struct ctl_ctx *ctx)
{
	struct buf errors = BUF_INIT;
	const char *path = ctx->config;

	if (ctx->cfg != NULL)
		return CTL_EXIT_OK;
	if (path == NULL && access(CTL_DEFAULT_CONFIG, F_OK) == 0)
		path = CTL_DEFAULT_CONFIG;
	if (path == NULL)
		return CTL_EXIT_OK;
	ctx->cfg = cfg_load(path, &errors);
	if (ctx->cfg == NULL) {
		if (errors.len > 0)
			fputs(errors.data, stderr);
		else
			ctl_error("%s: cannot load the config", path);
	}
	buf_free(&errors);
	return ctx->cfg ? CTL_EXIT_OK : CTL_EXIT_USAGE;
}

int
ctl_store_open(struct ctl_ctx *ctx, int flags, struct db_store **out)
{
	const char *dir = ctx->dir;
	char err[512];
	int rc;

	*out = NULL;
	if (dir == NULL) {
		if ((rc = ctl_config_load(ctx)) != CTL_EXIT_OK)
			return rc;
		if (ctx->cfg && ctx->cfg->consent_db &&
		    ctx->cfg->consent_db[0] != '\0')
			dir = ctx->cfg->consent_db;
	}
	if (dir == NULL) {
		ctl_error("no store: use -d DIR or -c FILE");
		return CTL_EXIT_USAGE;
	}
	ctx->dir = dir; /* for messages; borrowed from argv or the config */
	if (db_open(dir, flags, out, err, sizeof(err)) != DB_OK) {
		ctl_error("%s", err);
		return CTL_EXIT_REFUSED;
	}
	/* The deployment's keys, when a config was read (-c, or no -d). */
	if (ctx->cfg && db_subject_keys_load(*out,
			ctx->cfg->evidence_subject_key_file, err,
			sizeof(err)) != DB_OK) {
		ctl_error("%s", err);
		db_close(*out);
		*out = NULL;
		return CTL_EXIT_REFUSED;
	}
	return CTL_EXIT_OK;
}

int
ctl_time_arg(const char *opt, const char *s, int64_t *out)
{
	if (time_parse(s, TIME_ISO, out) == 0)
		return CTL_EXIT_OK;
	ctl_error("%s: bad time '%s' (want 2026-01-02T03:04:05Z, "
		  "2026-01-02T04:04:05+01:00, 2026-01-02 or unix seconds)", opt,
		  s);
	return CTL_EXIT_USAGE;
}

int
ctl_addr_arg(const char *s, char *key, size_t keysz)
{
	if (addr_normalise(s, key, keysz) >= 0)
		return CTL_EXIT_OK;
	ctl_error("'%s' is not an e-mail address", s);
	return CTL_EXIT_USAGE;
}

int64_t
ctl_now(void)
{
	return (int64_t)time(NULL);
}

/* One "key: value" line; "-" for an empty value. */
static void
ctl_print_line(const char *indent, const char *key, const char *value)
{
	printf("%s%s: %s\n", indent, key, value[0] ? value : "-");
}

static void
ctl_print_time(const char *indent, const char *key, int64_t t)
{
	char when[DB_TIME_MAX];

	ctl_print_line(indent, key,
		       t ? db_time_format(t, when, sizeof(when)) : "");
}

/* One line per list: "NAME STATE confirmed=T withdrawn=T". */
static void
ctl_print_lists(const char *indent, const struct db_consent *c)
{
	char line[DB_LIST_NAME_MAX + 2 * DB_TIME_MAX + 48];
	char t1[DB_TIME_MAX], t2[DB_TIME_MAX];
	struct db_consent m;
	unsigned int i;

	/* Only the implicit list: nothing to say beyond the record. */
	if (c->nlists == 0 || (c->nlists == 1 &&
			       strcmp(c->lists[0].name, DB_LIST_DEFAULT) == 0))
		return;
	db_consent_lists_of(c, &m);
	for (i = 0; i < m.nlists; i++) {
		const struct db_list *l = &m.lists[i];

		snprintf(line, sizeof(line), "%s %s confirmed=%s withdrawn=%s",
			 l->name, db_state_name(db_consent_list_state(&m,
			 l->name)), l->confirmed ? db_time_format(l->confirmed,
			 t1, sizeof(t1)) : "-", l->withdrawn ?
			 db_time_format(l->withdrawn, t2, sizeof(t2)) : "-");
		ctl_print_line(indent, "list", line);
	}
}

void
ctl_print_consent(const char *indent, const struct db_consent *c)
{
	char line[DB_HIST_SOURCE_MAX + DB_IP_MAX + DB_TIME_MAX + 16];
	char when[DB_TIME_MAX];
	unsigned int i;
	int eff = db_consent_effective_state(c);

	/* A record left "confirmed" with a later withdrawal (by a version
	 * before the state machine) is withdrawn, and says so. */
	if (eff != c->state) {
		snprintf(line, sizeof(line), "%s (stored as %s; the withdrawal "
			 "is later than the confirmation)", db_state_name(eff),
			 db_state_name(c->state));
		ctl_print_line(indent, "state", line);
	} else {
		ctl_print_line(indent, "state", db_state_name(c->state));
	}
	ctl_print_line(indent, "uid", c->uid);
	ctl_print_time(indent, "created", c->created);
	ctl_print_time(indent, "confirmed", c->confirmed);
	ctl_print_line(indent, "ip", c->ip);
	ctl_print_time(indent, "withdrawn", c->withdrawn);
	ctl_print_line(indent, "source", c->source);
	ctl_print_line(indent, "tracking", c->tracking ? "yes" : "no");
	ctl_print_time(indent, "doi_sent", c->doi_sent);
	ctl_print_line(indent, "doi_msgid", c->doi_msgid);
	ctl_print_line(indent, "doi_hash", c->doi_hash);
	ctl_print_line(indent, "doi_ref", c->doi_ref);
	for (i = 0; i < c->nhistory; i++) {
		snprintf(line, sizeof(line), "%s ip=%s source=%s",
			 db_time_format(c->history[i].at, when, sizeof(when)),
			 c->history[i].ip[0] ? c->history[i].ip : "-",
			 c->history[i].source[0] ? c->history[i].source : "-");
		ctl_print_line(indent, "confirmation", line);
	}
	ctl_print_lists(indent, c);
}
