/*
 * cmd_check.c - `consentctl check FILE...`: lint a message or template
 * offline with the same config and the same policy entry point
 * (pol_evaluate) as the milter, so a template author sees the verdict the
 * gate will give before a campaign goes out.
 *
 *   check FILE... [--from S] [--to R]... [--class C] [--tracking yes|no]
 *                 [--profile NAME|none] [--format text|json] [--explain]
 *
 * With ProfileDirectory, each file is checked with its brand profile,
 * chosen as the milter does (the envelope sender --from first, then the
 * From address), or the one --profile names ("none": the base settings);
 * the output names the profile applied.
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
 *
 * The evaluation itself (ctl_check_eval, check.h) takes a message's bytes
 * and, optionally, the envelope it had; `consentctl replay` runs archived
 * mail through it, so both judge exactly as the milter does.
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
#include "check.h"

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
check_recipients(struct ctl_check *o, const struct pol_message *m, int cls,
		 const struct ctl_check_env *ev, struct pol_recipient *r,
		 size_t *nr)
{
	static const char *const placeholder = "recipient@example.invalid";
	size_t i, n = 0;

	if (ev && ev->rcpts) {
		for (i = 0; i < ev->nrcpts && n < CHECK_MAX_RCPTS; i++)
			r[n++].addr = ev->rcpts[i];
	} else if (o->nto) {
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
check_print_text(const struct ctl_check *o, const char *file,
		 const struct pol_verdict *v, const struct pol_recipient *r)
{
	size_t i;

	printf("%s: %s, %s", file, pol_class_name(v->cls),
	       v->action == POL_ACTION_PASS ? "pass" : "refused");
	if (v->action != POL_ACTION_PASS && v->action != POL_ACTION_REJECT)
		printf(" (%s)", pol_action_name(v->action));
	if (o->cfg->profile_name)
		printf(" [profile %s]", o->cfg->profile_name);
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
check_print_json(struct ctl_check *o, const char *file,
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
	buf_printf(&b, ", \"class\": \"%s\", \"verdict\": \"%s\", \"action\": \"%s\", ",
		   pol_class_name(v->cls),
		   v->action == POL_ACTION_PASS ? "pass" : "refused",
		   pol_action_name(v->action));
	if (o->cfg->profile_name)
		buf_printf(&b, "\"profile\": \"%s\", ", o->cfg->profile_name);
	buf_puts(&b, "\"hits\": [");
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
check_explain(const struct ctl_check *o, const struct pol_message *m)
{
	printf("  sentences (score; * at or above the threshold %.4f):\n",
	       pol_ad_threshold(cfg_pol(o->cfg)));
	if (pol_ad_walk(cfg_pol(o->cfg), m, check_explain_sentence, NULL) < 0)
		printf("  (out of memory while scoring)\n");
}

/* The profile --profile names ("none": the base settings). */
static struct cfg *
check_profile_named(struct cfg *base, const char *name)
{
	return strcmp(name, "none") == 0 ? base : cfg_profile_named(base, name);
}

int
ctl_check_eval(struct ctl_check *o, const char *data, size_t len,
	       const struct ctl_check_env *ev, struct ctl_check_result *res,
	       char *err, size_t errsz)
{
	struct pol_limits lim = {(size_t)o->cfg->pol.max_parts,
				 (unsigned)o->cfg->pol.max_mime_depth, 0, 0};
	struct pol_envelope env;
	char *sender = res->sender;
	const char *from = ev && ev->sender ? ev->sender : o->from;
	struct pol_restscan rest;
	size_t keep;
	enum pol_class cls;
	struct cfg *base = o->cfg;

	memset(res, 0, sizeof(*res));
	res->v.cls = POL_CLASS_OTHER;
	res->v.action = POL_ACTION_PASS;
	/* The same cut as the milter: headers whole, MaxMessageSize of body,
	 * the rest only scanned for ConfirmURL. */
	pol_restscan_init(&rest, o->cfg->pol.confirm_url);
	keep = pol_restscan_split(&rest, data, len,
				  (size_t)o->cfg->pol.max_message_size);
	if (pol_message_parse(data, keep, &lim, &res->m) != POL_OK) {
		snprintf(err, errsz, "out of memory parsing the message");
		return -1;
	}
	if (keep < len)
		res->m->flags |= POL_MSG_OVER_SIZE;
	if (pol_restscan_found(&rest))
		res->m->flags |= POL_MSG_REST_CONFIRM;
	memset(&env, 0, sizeof(env));
	if (from == NULL ||
	    addr_normalise_sender(from, sender, sizeof(res->sender)) < 0)
		snprintf(sender, sizeof(res->sender), "%s", res->m->from_addr);
	/* The brand profile, as the milter chooses it, for the rest. */
	res->cfg = o->profile ? check_profile_named(base, o->profile)
			      : cfg_profile_select(base, from ? sender : NULL,
						   res->m->from_addr);
	if (res->cfg == NULL)
		res->cfg = base;
	env.sender = sender;
	env.client_ip = ev && ev->client_ip ? ev->client_ip : "127.0.0.1";
	env.tls = ev && ev->has_tls ? ev->tls : 1;
	env.now = (int64_t)time(NULL);
	cls = o->cls >= 0 ? (enum pol_class)o->cls
			 : pol_classify(cfg_pol(res->cfg), &env, res->m);
	if (check_recipients(o, res->m, cls, ev, res->r, &env.nrcpts) < 0) {
		snprintf(err, errsz, "consent store lookup failed");
		return -1;
	}
	res->nrcpts = env.nrcpts;
	env.rcpts = res->r;
	if (res->cfg->pol.spf_egress_address &&
	    res->cfg->pol.spf_egress_address[0] && sender[0] &&
	    (cls == POL_CLASS_DOI || cls == POL_CLASS_MARKETING)) {
		if (!o->spf_ready && gate_spf_init() == 0)
			o->spf_ready = 1;
		env.spf_result = gate_spf_check(res->cfg->pol.spf_egress_address,
						sender, NULL,
						res->cfg->spf_cache_ttl);
	}
	if (pol_evaluate(cfg_pol(res->cfg), &env, res->m, cls, &res->v) !=
	    POL_OK) {
		snprintf(err, errsz, "out of memory evaluating the policy");
		return -1;
	}
	return 0;
}

void
ctl_check_result_clear(struct ctl_check_result *res)
{
	pol_verdict_clear(&res->v);
	pol_message_free(res->m);
	res->m = NULL;
}

/* Check one file; returns 0 pass, 1 refused or unreadable, 2 internal. */
static int
check_file(struct ctl_check *o, const char *path)
{
	struct buf raw = BUF_INIT;
	struct ctl_check_result res;
	char err[256];
	int rc = 1;
	struct cfg *base = o->cfg;

	memset(&res, 0, sizeof(res));
	o->started_ms = check_cpu_ms();
	if (check_read(path, &raw, err, sizeof(err)) < 0 ||
	    ctl_check_eval(o, raw.data ? raw.data : "", raw.len, NULL, &res,
			   err, sizeof(err)) < 0)
		goto error;
	o->cfg = res.cfg;
	if (o->json)
		check_print_json(o, path, &res.v, res.r, NULL);
	else
		check_print_text(o, path, &res.v, res.r);
	if (o->explain && !o->json)
		check_explain(o, res.m);
	rc = res.v.action == POL_ACTION_PASS ? 0 : 1;
	goto out;
error:
	if (o->json)
		check_print_json(o, path, NULL, NULL, err);
	else
		printf("%s: error: %s\n", path, err);
out:
	o->cfg = base;
	ctl_check_result_clear(&res);
	buf_free(&raw);
	return rc;
}

static int
check_options(struct ctl_check *o, const struct ctl_command *cmd, int argc,
	      char **argv)
{
	static const struct option longopts[] = {
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},
		{"class", required_argument, NULL, 'C'},
		{"tracking", required_argument, NULL, 'T'},
		{"format", required_argument, NULL, 'F'},
		{"explain", no_argument, NULL, 'E'},
		{"profile", required_argument, NULL, 'P'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': o->from = optarg; break;
		case 'E': o->explain = 1; break;
		case 'P': o->profile = optarg; break;
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
void
ctl_check_open_store(struct ctl_ctx *ctx, struct ctl_check *o)
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
	struct ctl_check o;
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
	if (o.profile && check_profile_named(o.cfg, o.profile) == NULL) {
		ctl_error("--profile %s: no such profile (ProfileDirectory %s)",
			  o.profile, o.cfg->profile_directory &&
			  o.cfg->profile_directory[0] ? o.cfg->profile_directory
						      : "not set");
		rc = CTL_EXIT_USAGE;
		goto out;
	}
	pol_init();
	ctl_check_open_store(ctx, &o);
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

void
ctl_check_done(struct ctl_check *o)
{
	if (o->spf_ready)
		gate_spf_shutdown();
	o->spf_ready = 0;
}
