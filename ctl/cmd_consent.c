/*
 * cmd_consent.c - the consentctl subcommands that create the store and
 * read or change one consent record: init, add, confirm, withdraw, show.
 *
 * Owns: the store handle of each run (closed before return).  Arguments are
 * checked before the store is opened, so a usage error never touches it.
 * Every change goes through the consent state machine (db/consent_sm.h)
 * and is stored together with a consent-kind evidence record (ctl/audit.c)
 * naming the state before and after, in one transaction.  A change the
 * machine refuses is exit 1 with its reason; --force --reason TEXT
 * (add, confirm) overrides it and the evidence names who and why.
 * Problems go to stderr via ctl_error; the result is an exit code:
 * 0 done, 1 refused (unknown address, existing record, uid in use, store
 * error), 2 usage.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"

/* Arguments of confirm and withdraw: one record and what happened. */
struct ctl_change {
	const char *addr;
	const char *uid;
	const char *ip;
	int64_t at;
	int force;
	const char *reason;
	const char *list;  /* --list NAME, or NULL: every list */
};

/* A --list NAME argument: a valid list name. */
static int
ctl_list_arg(const char *v)
{
	if (db_list_name_valid(v))
		return CTL_EXIT_OK;
	ctl_error("--list: '%s' is not a list name (1-32 of a-z, 0-9, '.', "
		  "'_', '-')", v);
	return CTL_EXIT_USAGE;
}

/* The administrator's override: --force needs --reason TEXT. */
static int
ctl_force_check(int force, const char *reason)
{
	if (force && (reason == NULL || reason[0] == '\0')) {
		ctl_error("--force needs --reason TEXT (kept in the evidence)");
		return CTL_EXIT_USAGE;
	}
	if (!force && reason != NULL) {
		ctl_error("--reason goes with --force");
		return CTL_EXIT_USAGE;
	}
	return CTL_EXIT_OK;
}

/* Print a refusal of the state machine; CTL_EXIT_REFUSED. */
static int
ctl_refused(const char *key, const struct db_sm_result *res)
{
	ctl_error("%s: %s; not changed%s", key, res->why,
		  strcmp(res->code, "no-record") == 0 ? "" :
		  " (an administrator may override with --force --reason "
		  "TEXT)");
	return CTL_EXIT_REFUSED;
}

/* Copy an option's value into a field of size bytes. */
static int
ctl_copy_arg(const char *opt, const char *v, char *dst, size_t size)
{
	if (v == NULL)
		return CTL_EXIT_OK;
	if (strlen(v) >= size) {
		ctl_error("%s: longer than %zu bytes", opt, size - 1);
		return CTL_EXIT_USAGE;
	}
	memcpy(dst, v, strlen(v) + 1);
	return CTL_EXIT_OK;
}

static int
ctl_ip_arg(const char *v)
{
	unsigned char a[sizeof(struct in6_addr)];

	if (strlen(v) <= DB_IP_MAX && (inet_pton(AF_INET, v, a) == 1 ||
				       inet_pton(AF_INET6, v, a) == 1))
		return CTL_EXIT_OK;
	ctl_error("--ip: '%s' is not an IPv4 or IPv6 address", v);
	return CTL_EXIT_USAGE;
}

static int
ctl_uid_arg(const char *v)
{
	if (v[0] != '\0' && strlen(v) <= DB_UID_MAX)
		return CTL_EXIT_OK;
	ctl_error("--uid: must be 1 to %d bytes", DB_UID_MAX);
	return CTL_EXIT_USAGE;
}

/* Only positional arguments: exactly n of them, starting at *first. */
static int
ctl_positional(const struct ctl_command *cmd, int argc, char **argv, int n,
	       int *first)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};

	if (getopt_long(argc, argv, "", none, NULL) != -1 ||
	    argc - optind != n)
		return ctl_usage(cmd);
	*first = optind;
	return CTL_EXIT_OK;
}

int
ctl_cmd_init(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	     char **argv)
{
	struct db_store *s = NULL;
	int first = 0, rc;

	if ((rc = ctl_positional(cmd, argc, argv, 0, &first)) != CTL_EXIT_OK)
		return rc;
	if ((rc = ctl_store_open(ctx, DB_OPEN_CREATE, &s)) != CTL_EXIT_OK)
		return rc;
	printf("consent store ready in %s (format %d)\n", ctx->dir,
	       DB_FORMAT_VERSION);
	db_close(s);
	return CTL_EXIT_OK;
}

/* Parse add's options into the record c. */
static int
ctl_add_parse(const struct ctl_command *cmd, int argc, char **argv,
	      struct db_consent *c, int *force, const char **reason,
	      const char **addr, const char **list)
{
	static const struct option opts[] = {
		{"list", required_argument, NULL, 'l'},
		{"state", required_argument, NULL, 's'},
		{"uid", required_argument, NULL, 'u'},
		{"ip", required_argument, NULL, 'i'},
		{"at", required_argument, NULL, 'a'},
		{"source", required_argument, NULL, 'S'},
		{"tracking", required_argument, NULL, 't'},
		{"force", no_argument, NULL, 'f'},
		{"reason", required_argument, NULL, 'r'},
		{NULL, 0, NULL, 0}};
	int o, rc = CTL_EXIT_OK;

	memset(c, 0, sizeof(*c));
	c->state = DB_STATE_PENDING;
	c->created = ctl_now();
	while (rc == CTL_EXIT_OK &&
	       (o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			if ((c->state = db_state_parse(optarg)) < 0) {
				ctl_error("--state: unknown state '%s' (pending,"
					  " confirmed, withdrawn, customer)",
					  optarg);
				rc = CTL_EXIT_USAGE;
			}
			break;
		case 'u':
			if ((rc = ctl_uid_arg(optarg)) == CTL_EXIT_OK)
				rc = ctl_copy_arg("--uid", optarg, c->uid,
						  sizeof(c->uid));
			break;
		case 'i':
			if ((rc = ctl_ip_arg(optarg)) == CTL_EXIT_OK)
				rc = ctl_copy_arg("--ip", optarg, c->ip,
						  sizeof(c->ip));
			break;
		case 'a':
			rc = ctl_time_arg("--at", optarg, &c->created);
			break;
		case 'S':
			rc = ctl_copy_arg("--source", optarg, c->source,
					  sizeof(c->source));
			break;
		case 't':
			if (strcasecmp(optarg, "yes") == 0)
				c->tracking = 1;
			else if (strcasecmp(optarg, "no") != 0) {
				ctl_error("--tracking: say yes or no");
				rc = CTL_EXIT_USAGE;
			}
			break;
		case 'f':
			*force = 1;
			break;
		case 'r':
			*reason = optarg;
			break;
		case 'l':
			if ((rc = ctl_list_arg(optarg)) == CTL_EXIT_OK)
				*list = optarg;
			break;
		default:
			return ctl_usage(cmd);
		}
	}
	if (rc != CTL_EXIT_OK)
		return rc;
	if (argc - optind != 1)
		return ctl_usage(cmd);
	*addr = argv[optind];
	return ctl_force_check(*force, *reason);
}

/* The uid of the new record must not belong to another address. */
static int
ctl_add_uid_free(struct db_store *s, const char *key,
		 const struct db_consent *c)
{
	char owner[ADDR_MAX + 1];
	int r;

	if (c->uid[0] == '\0')
		return CTL_EXIT_OK;
	r = db_consent_by_uid(s, c->uid, owner, sizeof(owner));
	if (r == DB_OK && strcmp(owner, key) != 0) {
		ctl_error("uid %s already belongs to %s", c->uid, owner);
		return CTL_EXIT_REFUSED;
	}
	if (r < 0) {
		ctl_error("cannot look up uid %s: %s", c->uid, db_strerror(r));
		return CTL_EXIT_REFUSED;
	}
	return CTL_EXIT_OK;
}

/* Fill the event of an administrator's change. */
static void
ctl_event_init(struct db_event *ev, int kind, int force, const char *reason,
	       char *user, size_t usersz, char *note, size_t notesz,
	       const char *cmd)
{
	memset(ev, 0, sizeof(*ev));
	ctl_invoking_user(user, usersz);
	snprintf(note, notesz, "consentctl %s by %s", cmd, user);
	ev->kind = kind;
	ev->note = note;
	ev->force = force;
	ev->force_by = user;
	ev->force_reason = reason;
}

int
ctl_cmd_add(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	    char **argv)
{
	struct db_store *s = NULL;
	struct db_consent c;
	struct db_event ev;
	struct db_sm_result res;
	struct ctl_audit a;
	char key[ADDR_MAX + 1], when[DB_TIME_MAX], user[160], note[200];
	const char *addr = NULL, *why, *reason = NULL, *list = NULL;
	int force = 0, rc, r;

	if ((rc = ctl_add_parse(cmd, argc, argv, &c, &force, &reason,
				&addr, &list)) ||
	    (rc = ctl_addr_arg(addr, key, sizeof(key))))
		return rc;
	/* --at is the time of the recorded state as well. */
	if (c.state == DB_STATE_CONFIRMED)
		c.confirmed = c.created;
	if (c.state == DB_STATE_WITHDRAWN)
		c.withdrawn = c.created;
	if ((why = db_consent_check(&c)) != NULL) {
		ctl_error("%s", why);
		return CTL_EXIT_USAGE;
	}
	if ((rc = ctl_store_open(ctx, 0, &s)) != CTL_EXIT_OK ||
	    (rc = ctl_add_uid_free(s, key, &c)) != CTL_EXIT_OK)
		goto done;
	ctl_event_init(&ev, DB_EV_ADD, force, reason, user, sizeof(user),
		       note, sizeof(note), "add");
	ev.rec = &c;
	ev.admin = 1;
	ev.list = list;
	ctl_audit_init(&a, ctl_now(), "add", key, c.ip, "state=%s, %s%s%sat=%s%s%s",
		       db_state_name(c.state), list ? "list=" : "",
		       list ? list : "", list ? ", " : "",
		       db_time_format(c.created, when, sizeof(when)),
		       force ? ", forced, reason=" : "", force ? reason : "");
	if ((r = db_consent_apply(s, key, &ev, &a.e, 0, &res)) != DB_OK) {
		ctl_error("cannot store %s: %s", key, db_strerror(r));
		rc = CTL_EXIT_REFUSED;
	} else if (res.outcome == DB_SM_REFUSED) {
		rc = ctl_refused(key, &res);
	} else if (res.outcome == DB_SM_SAME) {
		printf("%s unchanged (%s)\n", key, db_state_name(c.state));
	} else {
		printf("added %s (%s%s%s)%s\n", key, db_state_name(c.state),
		       list ? ", list " : "", list ? list : "",
		       res.forced ? ", forced" : "");
	}
done:
	db_close(s);
	return rc;
}

/* Parse ADDR|--uid U [--ip IP] [--at T]; --ip only when want_ip. */
static int
ctl_change_parse(const struct ctl_command *cmd, int argc, char **argv,
		 int want_ip, struct ctl_change *ch)
{
	static const struct option opts[] = {
		{"uid", required_argument, NULL, 'u'},
		{"ip", required_argument, NULL, 'i'},
		{"at", required_argument, NULL, 'a'},
		{"force", no_argument, NULL, 'f'},
		{"reason", required_argument, NULL, 'r'},
		{"list", required_argument, NULL, 'l'},
		{NULL, 0, NULL, 0}};
	int o, rc = CTL_EXIT_OK;

	memset(ch, 0, sizeof(*ch));
	ch->at = ctl_now();
	while (rc == CTL_EXIT_OK &&
	       (o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'u':
			if ((rc = ctl_uid_arg(optarg)) == CTL_EXIT_OK)
				ch->uid = optarg;
			break;
		case 'i':
			if (!want_ip)
				return ctl_usage(cmd);
			if ((rc = ctl_ip_arg(optarg)) == CTL_EXIT_OK)
				ch->ip = optarg;
			break;
		case 'a':
			rc = ctl_time_arg("--at", optarg, &ch->at);
			break;
		case 'f':
			if (!want_ip)
				return ctl_usage(cmd);
			ch->force = 1;
			break;
		case 'r':
			if (!want_ip)
				return ctl_usage(cmd);
			ch->reason = optarg;
			break;
		case 'l':
			if ((rc = ctl_list_arg(optarg)) == CTL_EXIT_OK)
				ch->list = optarg;
			break;
		default:
			return ctl_usage(cmd);
		}
	}
	if (rc != CTL_EXIT_OK)
		return rc;
	if (argc - optind > 1 || (argc - optind == 1) == (ch->uid != NULL) ||
	    (want_ip && ch->ip == NULL))
		return ctl_usage(cmd);
	if (argc - optind == 1)
		ch->addr = argv[optind];
	return ctl_force_check(ch->force, ch->reason);
}

/* Find the record named by address or uid; key gets its address. */
static int
ctl_change_find(struct db_store *s, const struct ctl_change *ch, char *key,
		struct db_consent *c)
{
	int r;

	if (ch->uid) {
		r = db_consent_by_uid(s, ch->uid, key, ADDR_MAX + 1);
		if (r == DB_NOTFOUND)
			ctl_error("no address has uid %s", ch->uid);
		else if (r != DB_OK)
			ctl_error("cannot look up uid %s: %s", ch->uid,
				  db_strerror(r));
		if (r != DB_OK)
			return CTL_EXIT_REFUSED;
	}
	r = db_consent_get(s, key, c);
	if (r == DB_NOTFOUND)
		ctl_error("%s has no record (add it first)", key);
	else if (r != DB_OK)
		ctl_error("cannot read %s: %s", key, db_strerror(r));
	return r == DB_OK ? CTL_EXIT_OK : CTL_EXIT_REFUSED;
}

/* What confirm and withdraw say about their outcome. */
static int
ctl_change_report(const char *key, int state, const struct ctl_change *ch,
		  const struct db_consent *c, const struct db_sm_result *res)
{
	char when[DB_TIME_MAX], scope[DB_LIST_NAME_MAX + 16] = "";

	if (res->outcome == DB_SM_REFUSED)
		return ctl_refused(key, res);
	if (ch->list)
		snprintf(scope, sizeof(scope), " (list %s)", ch->list);
	if (res->outcome == DB_SM_SAME && state == DB_STATE_WITHDRAWN)
		printf("%s%s was already withdrawn\n", key, scope);
	else if (res->outcome == DB_SM_SAME)
		printf("%s%s: this confirmation is already recorded\n", key,
		       scope);
	else
		printf("%s %s%s at %s%s\n", state == DB_STATE_CONFIRMED ?
		       "confirmed" : "withdrew", key, ch->list ? scope :
		       state == DB_STATE_WITHDRAWN ? " (every list)" : "",
		       db_time_format(ch->at, when, sizeof(when)),
		       res->forced ? ", forced" : "");
	(void)c;
	return CTL_EXIT_OK;
}

/* confirm and withdraw: find the record, apply the change, store it. */
static int
ctl_change(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	   char **argv, int state)
{
	struct db_store *s = NULL;
	struct ctl_change ch;
	struct db_consent c;
	struct db_event ev;
	struct db_sm_result res;
	struct ctl_audit a;
	char key[ADDR_MAX + 1] = "", when[DB_TIME_MAX], user[160], note[200];
	int confirm = state == DB_STATE_CONFIRMED, rc, r;

	rc = ctl_change_parse(cmd, argc, argv, confirm, &ch);
	if (rc == CTL_EXIT_OK && ch.addr)
		rc = ctl_addr_arg(ch.addr, key, sizeof(key));
	if (rc != CTL_EXIT_OK)
		return rc;
	if ((rc = ctl_store_open(ctx, 0, &s)) != CTL_EXIT_OK ||
	    (rc = ctl_change_find(s, &ch, key, &c)) != CTL_EXIT_OK)
		goto done;
	ctl_event_init(&ev, confirm ? DB_EV_CONFIRM : DB_EV_WITHDRAW,
		       ch.force, ch.reason, user, sizeof(user), note,
		       sizeof(note), confirm ? "confirm" : "withdraw");
	ev.at = ch.at;
	ev.ip = ch.ip;
	ev.list = ch.list;
	ctl_audit_init(&a, ctl_now(), confirm ? "confirm" : "withdraw", key,
		       ch.ip, "at=%s%s%s%s%s%s", db_time_format(ch.at, when,
		       sizeof(when)), ch.list ? ", list=" : "",
		       ch.list ? ch.list : "", ch.uid ? ", by uid" : "",
		       ch.force ? ", forced, reason=" : "",
		       ch.force ? ch.reason : "");
	if ((r = db_consent_apply(s, key, &ev, &a.e, 0, &res)) != DB_OK) {
		ctl_error("cannot store %s: %s", key, db_strerror(r));
		rc = CTL_EXIT_REFUSED;
		goto done;
	}
	rc = ctl_change_report(key, state, &ch, &c, &res);
done:
	db_close(s);
	return rc;
}

int
ctl_cmd_confirm(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
		char **argv)
{
	return ctl_change(ctx, cmd, argc, argv, DB_STATE_CONFIRMED);
}

int
ctl_cmd_withdraw(struct ctl_ctx *ctx, const struct ctl_command *cmd,
		 int argc, char **argv)
{
	return ctl_change(ctx, cmd, argc, argv, DB_STATE_WITHDRAWN);
}

int
ctl_cmd_show(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	     char **argv)
{
	struct db_store *s = NULL;
	struct db_consent c;
	char key[ADDR_MAX + 1];
	int first = 0, rc, r;

	if ((rc = ctl_positional(cmd, argc, argv, 1, &first)) ||
	    (rc = ctl_addr_arg(argv[first], key, sizeof(key))) ||
	    (rc = ctl_store_open(ctx, DB_OPEN_RDONLY, &s)))
		goto done;
	r = db_consent_get(s, key, &c);
	if (r != DB_OK) {
		if (r == DB_NOTFOUND)
			ctl_error("%s has no record", key);
		else
			ctl_error("cannot read %s: %s", key, db_strerror(r));
		rc = CTL_EXIT_REFUSED;
		goto done;
	}
	printf("address: %s\n", key);
	ctl_print_consent("", &c);
done:
	db_close(s);
	return rc;
}
