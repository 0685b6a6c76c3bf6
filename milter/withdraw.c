/*
 * withdraw.c - inbound withdrawals by mail: a message to UnsubscribeAddress
 * or to its local+UID@domain form withdraws the consent of that uid, or of
 * the envelope sender when no uid is given (Art. 7(3) GDPR).  The mail
 * itself is accepted and delivered as usual.
 *
 * Every such recipient of a message counts (several uids may be withdrawn
 * by one mail).  The change goes through the consent state machine
 * (db/consent_sm.h) and its evidence record names the state before and
 * after.  An unknown uid or sender is logged, not an error.  A store failure
 * returns -1 and the caller tempfails, so the sender retries and no
 * withdrawal is lost.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "mf.h"

int
mf_withdraw_match(const struct cfg *cfg, const char *rcpt, const char *raw,
		  char *uid, size_t uidsz)
{
	const char *ua = cfg->pol.unsubscribe_address, *uat, *rat, *plus, *at;
	size_t llen;

	uid[0] = '\0';
	if (ua == NULL || *ua == '\0')
		return 0;
	if (strcmp(rcpt, ua) == 0)
		return 1;
	uat = strrchr(ua, '@');
	rat = strrchr(rcpt, '@');
	if (uat == NULL || rat == NULL || strcmp(uat, rat) != 0)
		return 0;
	llen = (size_t)(uat - ua);
	if ((size_t)(rat - rcpt) <= llen + 1 || strncmp(rcpt, ua, llen) != 0 ||
	    rcpt[llen] != '+')
		return 0;
	/* The uid keeps its case: take it from the address as the client
	 * wrote it, not from the lower-cased form. */
	while (*raw == '<' || *raw == ' ')
		raw++;
	plus = strchr(raw, '+');
	at = strrchr(raw, '@');
	if (plus == NULL || at == NULL || at < plus)
		return 0;
	snprintf(uid, uidsz, "%.*s", (int)(at - plus - 1), plus + 1);
	return 1;
}

static int
mf_withdraw_evidence(struct mf_ctx *c, const char *ref, const char *addr,
		     const char *note, const char *action,
		     const struct db_sm_result *res)
{
	struct db_evidence e;

	mf_evidence_init(&e, c, ref, "withdrawal");
	e.message_id = "";
	e.recipients = addr;
	e.cls = "other";
	e.rules = note;
	/* A uid names the subject: its note is kept beside the chain. */
	e.note_personal = strstr(note, "uid=") != NULL;
	e.action = action;
	e.sha256 = "";
	if (res) {
		e.before = db_state_name(res->before);
		e.after = db_state_name(res->after);
	}
	return mf_evidence_write(&e) == DB_OK ? 0 : -1;
}

int
mf_withdraw_apply(struct mf_ctx *c, const char *uid, const char *ref)
{
	char addr[ADDR_MAX + 1], note[DB_UID_MAX + 64];
	struct db_event ev;
	struct db_sm_result res;
	struct db_store *store = mf_store_get();
	int rc;

	if (store == NULL)
		return -1;
	if (uid[0]) {
		rc = db_consent_by_uid(store, uid, addr, sizeof(addr));
		snprintf(note, sizeof(note), "by mail, uid=%s", uid);
	} else {
		snprintf(addr, sizeof(addr), "%s", c->sender);
		rc = addr[0] ? DB_OK : DB_NOTFOUND;
		snprintf(note, sizeof(note), "by mail from the address itself");
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = DB_EV_WITHDRAW;
	ev.at = (int64_t)time(NULL);
	ev.note = note;
	/* The state machine decides (db/consent_sm.h); the evidence goes
	 * through the milter's writer, with the states before and after. */
	if (rc == DB_OK)
		rc = db_consent_apply(store, addr, &ev, NULL, 0, &res);
	mf_store_put(store);
	if (rc == DB_OK && res.outcome == DB_SM_REFUSED &&
	    strcmp(res.code, "no-record") == 0)
		rc = DB_NOTFOUND;
	if (rc == DB_NOTFOUND || rc == DB_ERR_INVALID) {
		log_info("%s: ref=%s withdrawal by mail for an unknown %s",
			 mf_qid(c), ref, uid[0] ? "uid" : "sender");
		return mf_withdraw_evidence(c, ref, "", note, "unknown", NULL);
	}
	if (rc != DB_OK)
		return -1;
	if (res.outcome == DB_SM_REFUSED) {
		/* Cannot happen with the time of now; recorded all the same. */
		log_warn("%s: ref=%s withdrawal by mail not applied: %s",
			 mf_qid(c), ref, res.why);
		return mf_withdraw_evidence(c, ref, addr, note, "refused", &res);
	}
	log_info("%s: ref=%s consent withdrawn by mail", mf_qid(c), ref);
	return mf_withdraw_evidence(c, ref, addr, note, "withdrawn", &res);
}
