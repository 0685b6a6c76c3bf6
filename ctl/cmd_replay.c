/*
 * cmd_replay.c - `consentctl replay [-c NEWCONF] [--format text|json]
 * MBOX|MAILDIR|FILE...`: run archived or exported mail through the policy
 * the way `check` does (ctl_check_eval, check.h) under NEWCONF (default:
 * the current config), match each message to its decision in the evidence
 * by the SHA-256 the milter recorded (fmt_milter_sha256) or else by its
 * Message-ID (the latest decision of that Message-ID), and print the
 * recorded verdict (action and rules of the record) beside the new one,
 * then a summary: how many would go from pass to reject, from reject to
 * pass, keep their outcome with other rules, or have no record.
 *
 * A matched message is judged with the envelope its record holds (sender,
 * recipients, client IP, TLS); an unmatched one as check judges it (From,
 * To and Cc).  Consent is the store's as it is now.  "pass" is every
 * delivered outcome (pass, monitor, tag, quarantine), "reject" a reject or
 * tempfail, as the milter records them.
 *
 * Owns: the index of decisions (GLib tables of owned copies), the new
 * config (one reference) and the store, read-only.  Exit 0, 1 when a
 * path cannot be read or a message not evaluated, 2 on usage or config
 * errors.
 */
#include <getopt.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "../common/buf.h"
#include "../common/json.h"
#include "../fmt/mailbox.h"
#include "check.h"
#include "evrec.h"

/* One decision record, as replay needs it. */
struct rp_rec {
	char *ref, *action, *rules, *sender, *client_ip;
	char **rcptv;
	size_t nrcpt;
	int tls;
};

enum rp_change { RP_SAME, RP_TO_REJECT, RP_TO_PASS, RP_RULES, RP_UNMATCHED,
		 RP_NCHANGE };
static const char *const rp_change_name[] = {
	"none", "pass-to-reject", "reject-to-pass", "rules", "unmatched"};

struct rp {
	GPtrArray *recs;              /* struct rp_rec *, owned */
	GHashTable *by_id, *by_sha;   /* -> struct rp_rec * (borrowed) */
	struct ctl_check o;
	int json, errors;
	size_t n, count[RP_NCHANGE];
};

static void
rp_rec_free(gpointer p)
{
	struct rp_rec *r = p;

	g_free(r->ref);
	g_free(r->action);
	g_free(r->rules);
	g_free(r->sender);
	g_free(r->client_ip);
	g_strfreev(r->rcptv);
	g_free(r);
}

/* A Message-ID without blanks and <>, as a key. */
static char *
rp_id_key(const char *id)
{
	char *k = g_strstrip(g_strdup(id));
	size_t n = strlen(k);

	if (n >= 2 && k[0] == '<' && k[n - 1] == '>') {
		memmove(k, k + 1, n - 2);
		k[n - 2] = '\0';
	}
	return k;
}

/* Rule ids of r, each once, comma-joined. */
static char *
rp_rules_of(const struct db_evrec *r)
{
	GString *g = g_string_new("");
	size_t i, j;

	for (i = 0; i < r->nrules; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(r->rulev[j].id, r->rulev[i].id) == 0)
				break;
		if (j == i)
			g_string_append_printf(g, "%s%s", g->len ? "," : "",
					       r->rulev[i].id);
	}
	return g_string_free(g, FALSE);
}

static int
rp_index_one(struct db_evrec *r, const char *json, size_t len, void *arg)
{
	struct rp *p = arg;
	struct rp_rec *e;
	size_t i;

	(void)json;
	(void)len;
	if (strcmp(r->kind, "decision") != 0)
		return 0;
	e = g_new0(struct rp_rec, 1);
	e->ref = g_strdup(r->ref);
	e->action = g_strdup(r->action);
	e->rules = rp_rules_of(r);
	e->sender = g_strdup(r->sender);
	e->client_ip = g_strdup(r->client_ip);
	e->tls = r->tls;
	e->rcptv = g_new0(char *, r->nrcpt + 1);
	for (i = 0; i < r->nrcpt; i++) {
		char key[ADDR_MAX + 1];

		/* A forgotten recipient ("pseudonymised:...") is left out. */
		if (addr_normalise(r->rcptv[i], key, sizeof(key)) == 0)
			e->rcptv[e->nrcpt++] = g_strdup(key);
	}
	g_ptr_array_add(p->recs, e);
	if (r->message_id[0])
		g_hash_table_replace(p->by_id, rp_id_key(r->message_id), e);
	if (r->sha256[0])
		g_hash_table_replace(p->by_sha, g_strdup(r->sha256), e);
	return 0;
}

static int
rp_refused(const char *action)
{
	return strcmp(action, "reject") == 0 || strcmp(action, "tempfail") == 0;
}

static enum rp_change
rp_compare(const struct rp_rec *rec, const char *action, const char *rules)
{
	int was = rp_refused(rec->action), now = rp_refused(action);

	if (!was && now)
		return RP_TO_REJECT;
	if (was && !now)
		return RP_TO_PASS;
	return strcmp(rec->rules, rules) != 0 ? RP_RULES : RP_SAME;
}

/* A comma-joined list as a JSON array of strings into b. */
static void
rp_json_list(struct buf *b, const char *list)
{
	char **v = g_strsplit(list, ",", -1);
	size_t i, n = 0;

	buf_putc(b, '[');
	for (i = 0; v[i]; i++) {
		if (!v[i][0])
			continue;
		if (n++)
			buf_putc(b, ',');
		json_put_string(b, v[i]);
	}
	buf_putc(b, ']');
	g_strfreev(v);
}

static void
rp_print(struct rp *p, const struct fmt_mail *m, const struct rp_rec *rec,
	 const char *by, const char *cls, const char *action,
	 const char *rules, enum rp_change ch)
{
	struct buf b = BUF_INIT;

	if (!p->json) {
		printf("%s: ", m->name);
		if (rec)
			printf("recorded %s (%s) ref %s by %s", rec->action,
			       rec->rules[0] ? rec->rules : "no rule",
			       rec->ref, by);
		else
			printf("no evidence record (Message-ID <%s>)",
			       m->message_id[0] ? m->message_id : "");
		printf("; now %s %s (%s)%s%s\n", cls, action,
		       rules[0] ? rules : "no rule",
		       ch == RP_SAME || ch == RP_UNMATCHED ? "" : ": ",
		       ch == RP_SAME || ch == RP_UNMATCHED ? ""
		       : rp_change_name[ch]);
		return;
	}
	buf_puts(&b, p->n > 1 ? ",\n{\"name\":" : "\n{\"name\":");
	json_put_string(&b, m->name);
	buf_puts(&b, ",\"message_id\":");
	json_put_string(&b, m->message_id);
	buf_puts(&b, ",\"recorded\":");
	if (rec) {
		buf_puts(&b, "{\"ref\":");
		json_put_string(&b, rec->ref);
		buf_printf(&b, ",\"matched_by\":\"%s\",\"action\":", by);
		json_put_string(&b, rec->action);
		buf_puts(&b, ",\"rules\":");
		rp_json_list(&b, rec->rules);
		buf_putc(&b, '}');
	} else {
		buf_puts(&b, "null");
	}
	buf_printf(&b, ",\"new\":{\"class\":\"%s\",\"action\":\"%s\","
		   "\"rules\":", cls, action);
	rp_json_list(&b, rules);
	buf_printf(&b, "},\"change\":\"%s\"}", rp_change_name[ch]);
	fputs(b.data ? b.data : "", stdout);
	buf_free(&b);
}

/* The envelope of rec for the evaluation. */
static void
rp_env(const struct rp_rec *rec, struct ctl_check_env *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (rec == NULL)
		return;
	ev->sender = rec->sender;
	if (rec->nrcpt > 0) {
		ev->rcpts = (const char *const *)rec->rcptv;
		ev->nrcpts = rec->nrcpt;
	}
	ev->client_ip = rec->client_ip[0] ? rec->client_ip : NULL;
	ev->has_tls = 1;
	ev->tls = rec->tls;
}

static int
rp_one(const struct fmt_mail *m, void *arg)
{
	struct rp *p = arg;
	struct ctl_check_result res;
	struct ctl_check_env ev;
	struct rp_rec *rec;
	struct buf rules = BUF_INIT;
	char sha[65], err[256], *id = rp_id_key(m->message_id);
	const char *by = "sha256", *action;
	enum rp_change ch;

	fmt_milter_sha256(m->data, m->len, sha);
	rec = g_hash_table_lookup(p->by_sha, sha);
	if (rec == NULL && id[0]) {
		rec = g_hash_table_lookup(p->by_id, id);
		by = "message-id";
	}
	g_free(id);
	rp_env(rec, &ev);
	p->n++;
	if (ctl_check_eval(&p->o, m->data, m->len, &ev, &res, err,
			   sizeof(err)) < 0) {
		ctl_error("%s: %s", m->name, err);
		p->errors++;
		ctl_check_result_clear(&res);
		return 0;
	}
	action = cfg_action_word(res.cfg, &res.v);
	buf_reset(&rules);
	pol_verdict_rule_ids(&res.v, &rules);
	ch = rec ? rp_compare(rec, action, rules.data ? rules.data : "")
		 : RP_UNMATCHED;
	p->count[ch]++;
	rp_print(p, m, rec, by, pol_class_name(res.v.cls), action,
		 rules.data ? rules.data : "", ch);
	buf_free(&rules);
	ctl_check_result_clear(&res);
	return 0;
}

static void
rp_summary(const struct rp *p)
{
	if (p->json) {
		printf("\n],\"summary\":{\"messages\":%zu,\"pass_to_reject\":"
		       "%zu,\"reject_to_pass\":%zu,\"different_rules\":%zu,"
		       "\"unchanged\":%zu,\"unmatched\":%zu,\"errors\":%d}}\n",
		       p->n, p->count[RP_TO_REJECT], p->count[RP_TO_PASS],
		       p->count[RP_RULES], p->count[RP_SAME],
		       p->count[RP_UNMATCHED], p->errors);
		return;
	}
	printf("replay: %zu messages: %zu pass to reject, %zu reject to pass, "
	       "%zu different rules, %zu unchanged, %zu without an evidence "
	       "record", p->n, p->count[RP_TO_REJECT], p->count[RP_TO_PASS],
	       p->count[RP_RULES], p->count[RP_SAME], p->count[RP_UNMATCHED]);
	if (p->errors)
		printf(", %d not evaluated", p->errors);
	printf("\n");
}

static int
rp_options(const struct ctl_command *cmd, int argc, char **argv,
	   const char **newconf, int *json)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'F'},
		{NULL, 0, NULL, 0}};
	int c;

	while ((c = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		if (c == 'c')
			*newconf = optarg;
		else if (c == 'F' && (strcmp(optarg, "text") == 0 ||
				      strcmp(optarg, "json") == 0))
			*json = strcmp(optarg, "json") == 0;
		else
			return ctl_usage(cmd);
	}
	return optind < argc ? CTL_EXIT_OK : ctl_usage(cmd);
}

/* The config to judge with: NEWCONF, else the current one, else the
 * defaults.  NULL after printing why. */
static struct cfg *
rp_config(struct ctl_ctx *ctx, const char *newconf)
{
	struct buf errors = BUF_INIT;
	struct cfg *c;

	if (newconf == NULL) {
		if (ctl_config_load(ctx) != CTL_EXIT_OK)
			return NULL;
		return ctx->cfg ? cfg_ref(ctx->cfg) : cfg_defaults();
	}
	if ((c = cfg_load(newconf, &errors)) == NULL) {
		if (errors.len > 0)
			fputs(errors.data, stderr);
		else
			ctl_error("%s: cannot load the config", newconf);
	}
	buf_free(&errors);
	return c;
}

static void
rp_free(struct rp *p)
{
	if (p->by_id)
		g_hash_table_destroy(p->by_id);
	if (p->by_sha)
		g_hash_table_destroy(p->by_sha);
	if (p->recs)
		g_ptr_array_unref(p->recs);
	ctl_check_done(&p->o);
	cfg_unref(p->o.cfg);
	if (p->o.store)
		db_close(p->o.store);
}

int
ctl_cmd_replay(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	       char **argv)
{
	struct rp p;
	const char *newconf = NULL;
	char err[512];
	uint64_t bad = 0;
	int rc, i, r;

	memset(&p, 0, sizeof(p));
	p.o.cls = -1;
	if ((rc = rp_options(cmd, argc, argv, &newconf, &p.json)) !=
	    CTL_EXIT_OK)
		return rc;
	if ((rc = ctl_store_open(ctx, DB_OPEN_RDONLY, &p.o.store)) !=
	    CTL_EXIT_OK)
		return rc;
	p.recs = g_ptr_array_new_with_free_func(rp_rec_free);
	p.by_id = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	p.by_sha = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 NULL);
	if ((r = ctl_evrec_walk(p.o.store, NULL, rp_index_one, &p, &bad)) !=
	    DB_OK) {
		rp_free(&p);
		return CTL_EXIT_REFUSED;
	}
	if ((p.o.cfg = rp_config(ctx, newconf)) == NULL) {
		rp_free(&p);
		return CTL_EXIT_USAGE;
	}
	pol_init();
	if (p.json)
		printf("{\"consent\":\"store\",\"messages\":[");
	for (i = optind; i < argc; i++) {
		if (fmt_mailbox_read(argv[i], rp_one, &p, err, sizeof(err)) <
		    0) {
			ctl_error("%s", err);
			p.errors++;
		}
	}
	rp_summary(&p);
	rc = p.errors || bad ? CTL_EXIT_REFUSED : CTL_EXIT_OK;
	rp_free(&p);
	return rc;
}
