/*
 * eom.c - the end-of-message decision, as a sequence of named steps:
 * parse, look up consent, evaluate, fold in the refusals deferred from RCPT
 * time (refusal.c), record evidence, apply the verdict.
 *
 * Owns, for the duration of one call: the parsed message, the recipient
 * array handed to the policy, and the verdict.  Any internal failure
 * (memory, store, evidence) answers 451 4.3.0 so the MTA keeps the mail;
 * a mail is never accepted without its evidence record - except that
 * FaultActionTransactional / FaultActionOther pass may let transactional
 * or other mail through when the store or the evidence failed, with
 * "fault=store|evidence" in its X-Consent-Gate header and a log line
 * (mf_fault_passes).  DOI and marketing mail always get 451.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "mf.h"
#include "../gate/spf.h"

#define MF_HEADER "X-Consent-Gate"

struct mf_eom_state {
	struct pol_message *msg;
	struct pol_recipient *rcpts;
	struct pol_envelope env;
	struct pol_verdict verdict;
	char ref[MF_REF_MAX];
	char sha256[65];
	const char **rcptv; /* the evidence's recipients (borrowed from c) */
	size_t nrcpt;
	int deferred; /* 1: the deferred refusals decide the answer */
	/* What could not be used for a mail passed by FaultAction* ("store",
	 * "evidence"), NULL when nothing failed. */
	const char *fault;
};

static sfsistat
mf_tempfail(SMFICTX *ctx, struct mf_ctx *c, const char *why)
{
	log_err("%s: %s; tempfail", mf_qid(c), why);
	mf_setreply(ctx, "451", "4.3.0", "Temporary failure in the consent gate, "
					 "try again later");
	return SMFIS_TEMPFAIL;
}

static int
mf_step_parse(struct mf_ctx *c, struct mf_eom_state *s)
{
	struct pol_limits lim = {
		.max_parts = (size_t)c->cfg->pol.max_parts,
		.max_depth = (unsigned)c->cfg->pol.max_mime_depth,
		.max_html = 0,
		.max_html_depth = 0,
	};
	int rc;

	rc = pol_message_parse(c->raw.data ? c->raw.data : "", c->raw.len, &lim,
			       &s->msg);
	if (rc != POL_OK)
		return -1;
	if (c->oversize)
		s->msg->flags |= POL_MSG_OVER_SIZE;
	if (pol_restscan_found(&c->rest))
		s->msg->flags |= POL_MSG_REST_CONFIRM;
	return 0;
}

/* The recipients and their consent.  -1 out of memory; 1 when the store
 * failed for some recipient (its consent then reads none, so a caller
 * that goes on under FaultAction* has every recipient filled in); 0 ok. */
static int
mf_step_lookup(struct mf_ctx *c, struct mf_eom_state *s)
{
	size_t i;
	int failed = 0;

	s->rcpts = calloc(c->nrcpts ? c->nrcpts : 1, sizeof(*s->rcpts));
	s->rcptv = calloc(c->nrcpts + c->ndeferred + 1, sizeof(*s->rcptv));
	if (s->rcpts == NULL || s->rcptv == NULL)
		return -1;
	for (i = 0; i < c->nrcpts; i++) {
		s->rcpts[i].addr = c->rcpts[i].addr;
		if (!failed &&
		    mf_consent_lookup(c->rcpts[i].addr, &s->rcpts[i].consent) < 0)
			failed = 1;
		if (failed)
			memset(&s->rcpts[i].consent, 0,
			       sizeof(s->rcpts[i].consent));
		s->rcptv[s->nrcpt++] = c->rcpts[i].addr;
	}
	s->env.sender = c->sender;
	s->env.client_ip = c->client_ip;
	s->env.tls = c->tls;
	s->env.rcpts = s->rcpts;
	s->env.nrcpts = c->nrcpts;
	s->env.now = (int64_t)time(NULL);
	return failed;
}

/*
 * FaultActionTransactional / FaultActionOther: may mail of class cls pass
 * although what (the consent store, the evidence) could not be used?
 * Never for DOI and marketing mail (config_classes.c sets no bit for
 * them), never for a mail that withdraws consent (the withdrawal must be
 * stored), and never for a verdict that refuses: a refusal decided
 * without its evidence, or on consent read as none, is not final.  When
 * it may, the fault is noted for the header and logged; 1 pass, 0 not.
 */
static int
mf_fault_passes(struct mf_ctx *c, struct mf_eom_state *s, enum pol_class cls,
		const char *what)
{
	if (!(c->cfg->fault_pass_mask & (1u << cls)) || c->withdraw > 0)
		return 0;
	log_warn("%s: ref=%s class=%s: the %s cannot be used; "
		 "FaultAction%s pass: delivered with a header unless the "
		 "policy refuses it", mf_qid(c), s->ref,
		 pol_class_name(cls), what,
		 cls == POL_CLASS_TRANSACTIONAL ? "Transactional" : "Other");
	s->fault = s->fault ? s->fault : what;
	return 1;
}

/* The brand profile: the envelope sender's (chosen at MAIL FROM) wins;
 * without one, the From address's applies from here on.  A From in
 * another profile than the envelope sender's is logged, not followed. */
static void
mf_step_profile(struct mf_ctx *c, struct mf_eom_state *s)
{
	struct cfg *from = cfg_profile_for(c->snap, s->msg->from_addr);

	if (from == NULL || from == c->cfg)
		return;
	if (c->cfg->profile_name) {
		log_warn("%s: From is in profile %s, the envelope sender in "
			 "profile %s: profile %s applies", mf_qid(c),
			 from->profile_name, c->cfg->profile_name,
			 c->cfg->profile_name);
		return;
	}
	cfg_unref(c->cfg);
	c->cfg = cfg_ref(from);
}

/* SPF of the egress address, only where a rule needs it. */
static void
mf_step_spf(struct mf_ctx *c, struct mf_eom_state *s, enum pol_class cls)
{
	const char *egress = c->cfg->pol.spf_egress_address;

	/* Bulk mail has a sender; a null sender is not checked. */
	if (egress == NULL || *egress == '\0' || c->sender[0] == '\0' ||
	    (cls != POL_CLASS_DOI && cls != POL_CLASS_MARKETING))
		return;
	s->env.spf_result = gate_spf_check(egress, c->sender, NULL,
					 c->cfg->spf_cache_ttl);
}

static void
mf_step_hash(struct mf_ctx *c, struct mf_eom_state *s)
{
	gchar *hex;

	hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
					  (const guchar *)(c->raw.data ? c->raw.data : ""),
					  c->raw.len);
	snprintf(s->sha256, sizeof(s->sha256), "%s", hex ? hex : "");
	g_free(hex);
}

/* Recipients whose refusal waited for the end of the message (refusal
 * budget used up, or a non-SMTP submission) are refused now: unless the
 * message is refused as a whole anyway, they decide the answer. */
static int
mf_step_deferred(struct mf_ctx *c, struct mf_eom_state *s)
{
	int rc = mf_refusal_fold(c, &s->verdict, s->rcptv, &s->nrcpt);

	if (rc < 0)
		return -1;
	s->deferred = rc;
	return 0;
}

/* Comma-separated rule ids of the verdict (each once). */
static void
mf_rule_ids(const struct pol_verdict *v, char *out, size_t outsz)
{
	struct buf b = BUF_INIT;

	pol_verdict_rule_ids(v, &b);
	snprintf(out, outsz, "%s", b.data ? b.data : "");
	buf_free(&b);
}

static int
mf_step_header(SMFICTX *ctx, struct mf_ctx *c, struct mf_eom_state *s,
	       const char *result)
{
	char value[600], rules[400];
	int i;

	/* A header of this name arriving from outside is a forgery: drop it. */
	for (i = c->gate_headers; i >= 1; i--)
		smfi_chgheader(ctx, MF_HEADER, i, NULL);
	mf_rule_ids(&s->verdict, rules, sizeof(rules));
	if (s->fault)
		result = "fault-pass";
	snprintf(value, sizeof(value), "%s%s%s class=%s%s%s ref=%s", result,
		 rules[0] ? " rule=" : "", rules, pol_class_name(s->verdict.cls),
		 c->cfg->profile_name ? " profile=" : "",
		 cfg_profile_name(c->cfg), s->ref);
	if (s->fault)
		snprintf(value + strlen(value), sizeof(value) - strlen(value),
			 " fault=%s", s->fault);
	return smfi_addheader(ctx, MF_HEADER, value) == MI_SUCCESS ? 0 : -1;
}

static sfsistat
mf_step_apply(SMFICTX *ctx, struct mf_ctx *c, struct mf_eom_state *s)
{
	struct pol_verdict *v = &s->verdict;
	char *text;
	sfsistat st = SMFIS_ACCEPT;

	if (v->action == POL_ACTION_PASS)
		return mf_step_header(ctx, c, s, "pass") < 0 ? SMFIS_TEMPFAIL : st;
	if (c->cfg->mode == CFG_MODE_MONITOR)
		return mf_step_header(ctx, c, s, "would-reject") < 0 ? SMFIS_TEMPFAIL
								    : st;
	switch (v->action) {
	case POL_ACTION_TAG:
		return mf_step_header(ctx, c, s, "tag") < 0 ? SMFIS_TEMPFAIL : st;
	case POL_ACTION_QUARANTINE:
		text = pol_verdict_reply(v, s->ref);
		smfi_quarantine(ctx, text ? text : "consentgate");
		free(text);
		return mf_step_header(ctx, c, s, "quarantine") < 0 ? SMFIS_TEMPFAIL
								  : st;
	case POL_ACTION_TEMPFAIL:
		text = pol_verdict_reply(v, s->ref);
		mf_setreply(ctx, "451", "4.7.1", text ? text : "Policy tempfail");
		free(text);
		return SMFIS_TEMPFAIL;
	default:
		text = pol_verdict_reply(v, s->ref);
		mf_setreply(ctx, "550", "5.7.1", text ? text : "Policy refusal");
		free(text);
		return SMFIS_REJECT;
	}
}

/* Will the mail be delivered (pass, monitor, tag, quarantine)? */
static int
mf_delivers(const struct mf_ctx *c, const struct pol_verdict *v)
{
	return v->action == POL_ACTION_PASS || v->action == POL_ACTION_TAG ||
	       v->action == POL_ACTION_QUARANTINE ||
	       c->cfg->mode == CFG_MODE_MONITOR;
}

/* What a delivered mail sets off: the archive copy (archive.c), the DOI
 * send record, and an inbound withdrawal. */
static int
mf_step_after(SMFICTX *ctx, struct mf_ctx *c, struct mf_eom_state *s)
{
	char wref[MF_REF_MAX + 16];
	int i;

	if (!mf_delivers(c, &s->verdict))
		return 0;
	if (mf_archive(ctx, c, s->verdict.cls, s->msg) < 0)
		return -1;
	if (s->verdict.cls == POL_CLASS_DOI &&
	    mf_doi_record(c, s->msg, s->ref, s->sha256, s->env.now) < 0)
		return -1;
	for (i = 0; i < c->withdraw; i++) {
		snprintf(wref, sizeof(wref), "%s-w%d", s->ref, i + 1);
		if (mf_withdraw_apply(c, c->withdraw_uids[i], wref) < 0)
			return -1;
	}
	return 0;
}

static void
mf_eom_state_free(struct mf_eom_state *s)
{
	pol_message_free(s->msg);
	free(s->rcpts);
	pol_verdict_clear(&s->verdict);
	free(s->rcptv);
}

sfsistat
mf_eom(SMFICTX *ctx, struct mf_ctx *c)
{
	struct mf_eom_state s;
	const char *qid, *action;
	char rules[400];
	enum pol_class cls;
	sfsistat st;
	int rc;

	memset(&s, 0, sizeof(s));
	qid = smfi_getsymval(ctx, "i");
	if (qid && *qid)
		snprintf(c->queue_id, sizeof(c->queue_id), "%s", qid);
	mf_ref_new(s.ref, sizeof(s.ref));
	if (c->oversize == 2) {
		st = mf_tempfail(ctx, c, "out of memory buffering the message");
		goto done;
	}
	if (mf_step_parse(c, &s) < 0) {
		st = mf_tempfail(ctx, c, "out of memory parsing the message");
		goto done;
	}
	if ((rc = mf_step_lookup(c, &s)) < 0) {
		st = mf_tempfail(ctx, c, "out of memory looking up consent");
		goto done;
	}
	mf_step_profile(c, &s);
	cls = pol_classify(cfg_pol(c->cfg), &s.env, s.msg);
	if (rc > 0 && !mf_fault_passes(c, &s, cls, "store")) {
		st = mf_tempfail(ctx, c, "consent store lookup failed");
		goto done;
	}
	mf_step_spf(c, &s, cls);
	if (pol_evaluate(cfg_pol(c->cfg), &s.env, s.msg, cls, &s.verdict) !=
	    POL_OK) {
		st = mf_tempfail(ctx, c, "out of memory evaluating the policy");
		goto done;
	}
	if (mf_step_deferred(c, &s) < 0) {
		st = mf_tempfail(ctx, c, "out of memory folding deferred refusals");
		goto done;
	}
	mf_step_hash(c, &s);
	action = cfg_action_word(c->cfg, &s.verdict);
	if (mf_evidence_decision(c, s.ref, pol_class_name(s.verdict.cls),
				 s.rcptv, s.nrcpt, &s.verdict, action, s.msg->message_id,
				 s.sha256) < 0 &&
	    !mf_fault_passes(c, &s, cls, "evidence")) {
		st = mf_tempfail(ctx, c, "cannot record evidence");
		goto done;
	}
	if (s.fault && (s.deferred || !mf_delivers(c, &s.verdict))) {
		st = mf_tempfail(ctx, c, "a refusal decided while the store or "
					 "evidence failed");
		goto done;
	}
	if (mf_step_after(ctx, c, &s) < 0) {
		st = mf_tempfail(ctx, c, "cannot record the DOI send, archive "
					 "copy or withdrawal");
		goto done;
	}
	mf_rule_ids(&s.verdict, rules, sizeof(rules));
	log_info("%s: ref=%s class=%s action=%s%s%s%s%s%s%s", mf_qid(c), s.ref,
		 pol_class_name(s.verdict.cls), action, rules[0] ? " rules=" : "",
		 rules, c->cfg->profile_name ? " profile=" : "",
		 cfg_profile_name(c->cfg), s.fault ? " fault=" : "",
		 s.fault ? s.fault : "");
	st = s.deferred ? mf_refusal_reply(ctx, c, s.ref)
			: mf_step_apply(ctx, c, &s);
done:
	mf_refusal_account(c, st);
	mf_eom_state_free(&s);
	return st;
}
