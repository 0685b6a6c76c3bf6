/*
 * evidence.c - turn a milter decision into a db/ evidence record and store
 * it durably before the MTA gets its answer.
 *
 * Owns: the temporary array of the rules that fired (structured in the
 * record: id, detail, where, recipient index).  Returns <0 when the store
 * could not commit; the caller then tempfails (never accepts without
 * evidence).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../db/replica.h"
#include "mf.h"

/*
 * Does the detail of hit h name a person of this mail?  url.address-leak
 * always does (its URL carries a recipient's address, perhaps encoded);
 * any other detail when it holds the sender's or a recipient's address
 * (case-insensitive).  Such details are kept beside the evidence chain.
 */
static int
mf_detail_personal(const struct pol_hit *h, const char *sender,
		   const char *const *rcptv, size_t nrcpt)
{
	size_t i;

	if (h->rule == POL_RULE_URL_ADDRESS_LEAK)
		return 1;
	if (h->detail == NULL || h->detail[0] == '\0')
		return 0;
	if (sender && sender[0] && strcasestr(h->detail, sender))
		return 1;
	for (i = 0; i < nrcpt; i++)
		if (rcptv[i] && rcptv[i][0] && strcasestr(h->detail, rcptv[i]))
			return 1;
	return 0;
}

void
mf_evidence_init(struct db_evidence *e, const struct mf_ctx *c,
		 const char *ref, const char *kind)
{
	memset(e, 0, sizeof(*e));
	e->time = (int64_t)time(NULL);
	e->ref = ref;
	e->kind = kind;
	e->queue_id = c->queue_id;
	e->sender = c->sender;
	e->client_ip = c->client_ip;
	e->tls = c->tls;
	/* The brand profile the mail's snapshot applies (MAIL FROM's, or
	 * eom's choice), on every kind of record; NULL: not written. */
	e->profile = c->cfg ? c->cfg->profile_name : NULL;
}

int
mf_evidence_decision(struct mf_ctx *c, const char *ref, const char *cls,
		     const char *const *rcptv, size_t nrcpt,
		     const struct pol_verdict *v, const char *action,
		     const char *message_id, const char *sha256)
{
	struct db_evidence_rule *rules;
	struct db_evidence e;
	struct db_store *store;
	size_t i;
	int rc;

	rules = calloc(v->nhits ? v->nhits : 1, sizeof(*rules));
	if (rules == NULL)
		return -1;
	for (i = 0; i < v->nhits; i++) {
		const struct pol_hit *h = &v->hits[i];

		rules[i].id = pol_rule_info(h->rule)->id;
		rules[i].detail = h->detail ? h->detail : "";
		rules[i].where = h->where ? h->where : "";
		rules[i].rcpt = h->rcpt;
		rules[i].personal = mf_detail_personal(h, c->sender, rcptv,
						       nrcpt);
	}
	mf_evidence_init(&e, c, ref, "decision");
	e.message_id = message_id ? message_id : "";
	e.rcptv = rcptv;
	e.nrcpt = nrcpt;
	e.cls = cls;
	e.rulev = rules;
	e.nrules = v->nhits;
	e.action = action;
	e.sha256 = sha256 ? sha256 : "";
	/* On a replica host, note how old the consent data decided on was,
	 * and the central change the follower is stuck at, if any. */
	store = mf_store_get();
	e.replica = store != NULL &&
		    db_replica_health(store, e.time, &e.replica_age,
				      &e.replica_stuck) == DB_OK;
	mf_store_put(store);
	rc = mf_evidence_write(&e);
	free(rules);
	return rc == DB_OK ? 0 : -1;
}
