/*
 * cmd_check.c - `consentctl check FILE...`: lint a message or template
 * offline with the same config and the same policy entry point
 * (pol_evaluate) as the milter, so a template author sees the verdict the
 * gate will give before a campaign goes out.
 *
 *   check FILE... [--from S] [--to R]... [--class C] [--tracking yes|no]
 *                 [--format text|json] [--explain]
 *
 * --explain prints, after each verdict, every sentence the advertising
 * detector reads (policy/adwalk.h) with its place, score and the features
 * that weighed most, '*' marking the sentences that count.
 *
 * Consent comes from the store when -d is given or the config's ConsentDB
 * opens; otherwise marketing recipients are treated as consenting (and DOI
 * recipients as new addresses), and the output says so.  Exit 0 when every
 * file passes, 1 when any is refused or cannot be read, 2 on usage or
 * config errors.  Owns: the message buffer and model of one file at a time.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/addr.h"
#include "../common/json.h"
#include "../gate/config.h"
#include "../gate/consent.h"
#include "../gate/spf.h"
#include "../policy/adwalk.h"
#include "../policy/restscan.h"
#include "ctl.h"

#define CHECK_MAX_RCPTS 64

struct check_opts {
	const char *from;
	char *to[CHECK_MAX_RCPTS];
	size_t nto;
	int cls;      /* -1: classify */
	int tracking; /* assumed tracking consent without a store */
	int json;
	int explain;
	struct cfg *cfg;
	struct db_store *store;
	int nfiles;   /* files printed so far (JSON commas) */
	int spf_ready;
	double started_ms; /* CPU time when the current file began */
};

/* Read a whole file, bounded by MaxMessageSize (+1 to see "too large"). */
static int
check_read(const char *path, struct buf *b, char *err, size_t errsz)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (f == NULL) {
		snprintf(err, errsz, "cannot open: %s", strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_append(b, chunk, n) < 0) {
			snprintf(err, errsz, "out of memory");
			fclose(f);
			return -1;
		}
	}
	if (ferror(f)) {
		snprintf(err, errsz, "read error: %s", strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

/* Fill the recipients (from --to or the message's To/Cc) with consent. */
static int
check_recipients(struct check_opts *o, const struct pol_message *m, int cls,
		 struct pol_recipient *r, size_t *nr)
{
	static const char *const placeholder = "recipient@example.invalid";
	size_t i, n = 0;

	if (o->nto) {
		for (i = 0; i < o->nto; i++)
			r[n++].addr = o->to[i];
	} else {
		for (i = 0; i < m->nto_cc && n < CHECK_MAX_RCPTS; i++)
			r[n++].addr = m->to_cc[i];
	}
	if (n == 0)
		r[n++].addr = placeholder;
	for (i = 0; i < n; i++) {
		memset(&r[i].consent, 0, sizeof(r[i].consent));
		if (o->store) {
			if (gate_consent_lookup(o->store, r[i].addr, &r[i].consent) < 0)
				return -1;
		} else if (cls != POL_CLASS_DOI) {
			r[i].consent.state = POL_CONSENT_CONFIRMED;
			r[i].consent.tracking = o->tracking;
		}
	}
	*nr = n;
	return 0;
}

static void
check_print_text(const struct check_opts *o, const char *file,
		 const struct pol_verdict *v, const struct pol_recipient *r)
{
	size_t i;

	printf("%s: %s, %s", file, pol_class_name(v->cls),
	       v->action == POL_ACTION_PASS ? "pass" : "refused");
	if (v->action != POL_ACTION_PASS && v->action != POL_ACTION_REJECT)
		printf(" (%s)", pol_action_name(v->action));
	printf("\n");
	for (i = 0; i < v->nhits; i++) {
		const struct pol_hit *h = &v->hits[i];

		printf("  %s: %s\n", pol_rule_info(h->rule)->id,
		       pol_rule_info(h->rule)->sentence);
		printf("      %s", h->detail ? h->detail : "");
		if (h->where && *h->where)
			printf(" [%s]", h->where);
		if (h->rcpt >= 0)
			printf(" (recipient %s)", r[h->rcpt].addr);
		printf("\n");
	}
	(void)o;
}

/* CPU time of this process in milliseconds. */
static double
check_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void
check_print_json(struct check_opts *o, const char *file,
		 const struct pol_verdict *v, const struct pol_recipient *r,
		 const char *error)
{
	struct buf b = BUF_INIT;
	size_t i;

	buf_puts(&b, o->nfiles++ ? ",\n    {\"file\": " : "\n    {\"file\": ");
	json_put_string(&b, file);
	buf_printf(&b, ", \"cpu_ms\": %.1f", check_cpu_ms() - o->started_ms);
	if (error) {
		buf_puts(&b, ", \"verdict\": \"error\", \"error\": ");
		json_put_string(&b, error);
		buf_puts(&b, "}");
		fputs(b.data, stdout);
		buf_free(&b);
		return;
	}
	buf_printf(&b, ", \"class\": \"%s\", \"verdict\": \"%s\", \"action\": \"%s\", "
		       "\"hits\": [", pol_class_name(v->cls),
		   v->action == POL_ACTION_PASS ? "pass" : "refused",
		   pol_action_name(v->action));
	for (i = 0; i < v->nhits; i++) {
		const struct pol_hit *h = &v->hits[i];

		buf_printf(&b, "%s{\"rule\": \"%s\", \"sentence\": ", i ? ", " : "",
			   pol_rule_info(h->rule)->id);
		json_put_string(&b, pol_rule_info(h->rule)->sentence);
		buf_puts(&b, ", \"detail\": ");
		json_put_string(&b, h->detail);
		buf_puts(&b, ", \"where\": ");
		json_put_string(&b, h->where);
		buf_puts(&b, ", \"recipient\": ");
		if (h->rcpt >= 0)
			json_put_string(&b, r[h->rcpt].addr);
		else
			buf_puts(&b, "null");
		buf_puts(&b, "}");
	}
	buf_puts(&b, "]}");
	fputs(b.data, stdout);
	buf_free(&b);
}

/* One line per sentence for --explain. */
static int
check_explain_sentence(void *arg, const struct pol_ad_seen *seen)
{
	char quote[400], top[200];

	(void)arg;
	pol_ad_quote(seen->text, seen->s->start, seen->s->end, quote,
		     sizeof(quote));
	pol_ad_top_features(seen->s, top, sizeof(top));
	printf("  %c %.3f  %s: \"%s\"%s%s\n", seen->counts ? '*' : ' ',
	       seen->s->score, seen->where, quote, top[0] ? "  <- " : "", top);
	return 0;
}

static void
check_explain(const struct check_opts *o, const struct pol_message *m)
{
	printf("  sentences (score; * at or above the threshold %.4f):\n",
	       pol_ad_threshold(cfg_pol(o->cfg)));
	if (pol_ad_walk(cfg_pol(o->cfg), m, check_explain_sentence, NULL) < 0)
		printf("  (out of memory while scoring)\n");
}

/* Check one file; returns 0 pass, 1 refused or unreadable, 2 internal. */
static int
check_file(struct check_opts *o, const char *path)
{
	struct buf raw = BUF_INIT;
	struct pol_limits lim = {(size_t)o->cfg->pol.max_parts,
				 (unsigned)o->cfg->pol.max_mime_depth, 0, 0};
	struct pol_message *m = NULL;
	struct pol_recipient r[CHECK_MAX_RCPTS];
	struct pol_envelope env;
	struct pol_verdict v = {POL_CLASS_OTHER, NULL, 0, POL_ACTION_PASS};
	char err[256], sender[ADDR_MAX + 1];
	struct pol_restscan rest;
	size_t keep;
	int rc = 1;
	enum pol_class cls;

	o->started_ms = check_cpu_ms();
	if (check_read(path, &raw, err, sizeof(err)) < 0)
		goto error;
	/* The same cut as the milter: headers whole, MaxMessageSize of body,
	 * the rest only scanned for ConfirmURL. */
	pol_restscan_init(&rest, o->cfg->pol.confirm_url);
	keep = pol_restscan_split(&rest, raw.data ? raw.data : "", raw.len,
				  (size_t)o->cfg->pol.max_message_size);
	if (pol_message_parse(raw.data ? raw.data : "", keep, &lim, &m) != POL_OK) {
		snprintf(err, sizeof(err), "out of memory parsing the message");
		goto error;
	}
	if (keep < raw.len)
		m->flags |= POL_MSG_OVER_SIZE;
	if (pol_restscan_found(&rest))
		m->flags |= POL_MSG_REST_CONFIRM;
	memset(&env, 0, sizeof(env));
	if (o->from == NULL || addr_normalise_sender(o->from, sender, sizeof(sender)) < 0)
		snprintf(sender, sizeof(sender), "%s", m->from_addr);
	env.sender = sender;
	env.client_ip = "127.0.0.1";
	env.tls = 1;
	env.now = (int64_t)time(NULL);
	cls = o->cls >= 0 ? (enum pol_class)o->cls
			 : pol_classify(cfg_pol(o->cfg), &env, m);
	if (check_recipients(o, m, cls, r, &env.nrcpts) < 0) {
		snprintf(err, sizeof(err), "consent store lookup failed");
		goto error;
	}
	env.rcpts = r;
	if (o->cfg->pol.spf_egress_address && o->cfg->pol.spf_egress_address[0] &&
	    sender[0] && (cls == POL_CLASS_DOI || cls == POL_CLASS_MARKETING)) {
		if (!o->spf_ready && gate_spf_init() == 0)
			o->spf_ready = 1;
		env.spf_result = gate_spf_check(o->cfg->pol.spf_egress_address, sender,
					      NULL, o->cfg->spf_cache_ttl);
	}
	if (pol_evaluate(cfg_pol(o->cfg), &env, m, cls, &v) != POL_OK) {
		snprintf(err, sizeof(err), "out of memory evaluating the policy");
		goto error;
	}
	if (o->json)
		check_print_json(o, path, &v, r, NULL);
	else
		check_print_text(o, path, &v, r);
	if (o->explain && !o->json)
		check_explain(o, m);
	rc = v.action == POL_ACTION_PASS ? 0 : 1;
	goto out;
error:
	if (o->json)
		check_print_json(o, path, NULL, NULL, err);
	else
		printf("%s: error: %s\n", path, err);
out:
	pol_verdict_clear(&v);
	pol_message_free(m);
	buf_free(&raw);
	return rc;
}

static int
check_options(struct check_opts *o, const struct ctl_command *cmd, int argc,
	      char **argv)
{
	static const struct option longopts[] = {
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},
		{"class", required_argument, NULL, 'C'},
		{"tracking", required_argument, NULL, 'T'},
		{"format", required_argument, NULL, 'F'},
		{"explain", no_argument, NULL, 'E'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': o->from = optarg; break;
		case 'E': o->explain = 1; break;
		case 't':
			if (o->nto == CHECK_MAX_RCPTS)
				return ctl_error("at most %d --to", CHECK_MAX_RCPTS),
				       CTL_EXIT_USAGE;
			o->to[o->nto] = malloc(ADDR_MAX + 1);
			if (o->to[o->nto] == NULL ||
			    addr_normalise(optarg, o->to[o->nto], ADDR_MAX + 1) < 0) {
				ctl_error("--to %s: not an address", optarg);
				free(o->to[o->nto]);
				return CTL_EXIT_USAGE;
			}
			o->nto++;
			break;
		case 'C':
			if ((o->cls = pol_class_parse(optarg)) < 0)
				return ctl_error("--class: doi, marketing, transactional "
						 "or other"), CTL_EXIT_USAGE;
			break;
		case 'T':
			if (strcmp(optarg, "yes") && strcmp(optarg, "no"))
				return ctl_error("--tracking: yes or no"), CTL_EXIT_USAGE;
			o->tracking = strcmp(optarg, "yes") == 0;
			break;
		case 'F':
			if (strcmp(optarg, "text") && strcmp(optarg, "json"))
				return ctl_error("--format: text or json"), CTL_EXIT_USAGE;
			o->json = strcmp(optarg, "json") == 0;
			break;
		default:
			return ctl_usage(cmd);
		}
	}
	if (optind >= argc)
		return ctl_usage(cmd);
	return CTL_EXIT_OK;
}

/* The store, when -d names one or the config's ConsentDB opens. */
static void
check_open_store(struct ctl_ctx *ctx, struct check_opts *o)
{
	char err[256];

	if (ctx->dir) {
		if (db_open(ctx->dir, DB_OPEN_RDONLY, &o->store, err, sizeof(err)) < 0)
			o->store = NULL;
		return;
	}
	if (ctx->config && o->cfg->consent_db && o->cfg->consent_db[0] &&
	    db_open(o->cfg->consent_db, DB_OPEN_RDONLY, &o->store, err,
		    sizeof(err)) < 0)
		o->store = NULL;
}

int
ctl_cmd_check(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	      char **argv)
{
	struct check_opts o;
	int rc, i, worst = 0, r;
	size_t k;

	memset(&o, 0, sizeof(o));
	o.cls = -1;
	if ((rc = check_options(&o, cmd, argc, argv)) != CTL_EXIT_OK)
		goto out;
	if ((rc = ctl_config_load(ctx)) != CTL_EXIT_OK)
		goto out;
	o.cfg = ctx->cfg ? cfg_ref(ctx->cfg) : cfg_defaults();
	if (o.cfg == NULL) {
		rc = CTL_EXIT_USAGE;
		goto out;
	}
	pol_init();
	check_open_store(ctx, &o);
	if (ctx->dir && o.store == NULL) {
		ctl_error("%s: cannot open the store", ctx->dir);
		rc = CTL_EXIT_USAGE;
		goto out;
	}
	if (o.json)
		printf("{\"version\": 1, \"consent\": \"%s\", \"files\": [",
		       o.store ? "store" : "assumed");
	for (i = optind; i < argc; i++) {
		r = check_file(&o, argv[i]);
		if (r > worst)
			worst = r;
	}
	if (o.json)
		printf("\n  ]}\n");
	else if (o.store == NULL)
		printf("note: no consent store given; marketing recipients were "
		       "treated as consenting%s\n",
		       o.tracking ? " (with tracking consent)" : "");
	rc = worst ? CTL_EXIT_REFUSED : CTL_EXIT_OK;
out:
	for (k = 0; k < o.nto; k++)
		free(o.to[k]);
	if (o.store)
		db_close(o.store);
	if (o.spf_ready)
		gate_spf_shutdown();
	cfg_unref(o.cfg);
	return rc;
}
