/*
 * doi.c - what follows an accepted DOI mail: the blind copy to
 * ArchiveAddress (an envelope recipient, never a header), and the record of
 * the DOI send in each recipient's consent record and in the evidence.
 *
 * This runs at end of message, before the MTA has taken the mail: a later
 * milter, the MTA's own queue file write or our own tempfail half-way
 * through the recipients may still answer 4xx, and the sender's MTA then
 * hands the same mail over again.  So the evidence says the mail was
 * handed to the MTA (action passed-to-mta, with the queue id), and the
 * same mail handed over again (same Message-ID and content hash, within
 * DoiRetryWindow days; pol_doi_same_mail) is recorded as a doi-retry
 * naming the earlier doi-send record, never as a second send.
 *
 * On a send, decided by the consent state machine (db/consent_sm.h), a
 * recipient without a record, or with a withdrawn one, becomes pending (a
 * new subscription waiting for its click); confirmed and customer records
 * keep their state.  Every record gets the send
 * time, message-id, content hash and evidence ref, and the uid of the
 * confirmation link when it has none yet.  A retry leaves the record as it
 * is.  The doi-send evidence names the record's state before and after.
 * Any failure returns -1 and the caller tempfails: the archive copy
 * and the proof of the send are part of the law's demand, not extras.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "mf.h"

int
mf_doi_archive(SMFICTX *ctx, struct mf_ctx *c)
{
	char rcpt[ADDR_MAX + 3];
	size_t i;

	if (c->cfg->archive_address == NULL || c->cfg->archive_address[0] == '\0')
		return 0;
	for (i = 0; i < c->nrcpts; i++)
		if (strcmp(c->rcpts[i].addr, c->cfg->archive_address) == 0)
			return 0; /* already a recipient */
	snprintf(rcpt, sizeof(rcpt), "<%s>", c->cfg->archive_address);
	if (smfi_addrcpt(ctx, rcpt) != MI_SUCCESS) {
		log_err("%s: cannot add the archive recipient", mf_qid(c));
		return -1;
	}
	return 0;
}

/*
 * Is rec the record of this very mail, handed over again (a retry after a
 * temporary failure)?  Then evref gets the ref of its doi-send record.  A
 * withdrawn record is never a retry: only a new send after a withdrawal
 * may lead to a new consent.  A ref that the evidence does not hold (the
 * first attempt failed between the record and its evidence) makes this a
 * send, so every retry record points at a send record that exists.
 */
static int
mf_doi_is_retry(struct db_store *store, struct mf_ctx *c,
		const struct db_consent *rec, const struct pol_message *msg,
		int64_t now)
{
	char *json = NULL;
	int rc;

	if (rec->state == DB_STATE_WITHDRAWN || rec->doi_ref[0] == '\0' ||
	    !pol_doi_same_mail(cfg_pol(c->cfg), rec->doi_msgid, rec->doi_hash,
			       rec->doi_sent, msg, now))
		return 0;
	rc = db_evidence_get(store, rec->doi_ref, &json);
	free(json);
	if (rc < 0)
		return rc;
	return rc == DB_OK;
}

/* Record a new DOI send of msg to addr through the consent state machine
 * (db/consent_sm.h): a new record is pending, a withdrawn one becomes
 * pending (the send after the withdrawal that a new consent needs),
 * confirmed and customer records keep their state; every record gets the
 * send time, mail and the uid when it has none; the mail's list is added
 * pending when the record lacks it.  res says what changed. */
static int
mf_doi_update(struct db_store *store, struct mf_ctx *c, const char *addr,
	      const struct pol_message *msg, const char *evref,
	      const char *uid, int64_t now, struct db_sm_result *res)
{
	char source[DB_SOURCE_MAX + 1];
	struct db_event ev;
	int rc;

	snprintf(source, sizeof(source), "doi-mail from %s",
		 c->client_ip[0] ? c->client_ip : "local");
	memset(&ev, 0, sizeof(ev));
	ev.kind = DB_EV_DOI_SEND;
	ev.at = now;
	ev.msgid = msg->message_id;
	ev.hash = pol_message_sha256(msg);
	ev.ref = evref;
	ev.uid = uid[0] ? uid : NULL;
	ev.source = source;
	/* A DOI mail asks for consent to its list (ConsentList): a new
	 * record, or a list the record does not hold yet, is pending for it. */
	ev.list = pol_mail_list(cfg_pol(c->cfg), c->sender, msg, NULL);
	rc = db_consent_apply(store, addr, &ev, NULL, 0, res);
	if (rc == DB_ERR_INVALID && uid[0]) {
		/* The uid belongs to another address: keep the send anyway. */
		ev.uid = NULL;
		rc = db_consent_apply(store, addr, &ev, NULL, 0, res);
	}
	return rc;
}

/*
 * One recipient: a send updates the consent record; a retry of the same
 * mail leaves it as it is (state and first hand-over time) and only names
 * the earlier doi-send record.  Then the evidence, which says the mail was
 * handed to the MTA (with its queue id), not that it left: the MTA may
 * still answer 4xx after the gate.  0 ok, <0 failure.
 */
static int
mf_doi_one(struct mf_ctx *c, const char *addr, const struct pol_message *msg,
	   const char *evref, const char *uid, const char *sha256, int64_t now)
{
	char note[DB_UID_MAX + 16], retry_of[DB_DOI_REF_MAX + 1] = "";
	struct db_consent rec;
	struct db_sm_result res;
	struct db_evidence e;
	struct db_store *store = mf_store_get();
	int rc, retry = 0;

	rc = store ? db_consent_get(store, addr, &rec) : DB_ERR_IO;
	if (rc == DB_OK)
		retry = mf_doi_is_retry(store, c, &rec, msg, now);
	if (retry > 0)
		snprintf(retry_of, sizeof(retry_of), "%s", rec.doi_ref);
	else if (retry == 0 && (rc == DB_OK || rc == DB_NOTFOUND))
		rc = mf_doi_update(store, c, addr, msg, evref, uid, now, &res);
	mf_store_put(store);
	if (retry < 0)
		return retry;
	if (rc < 0)
		return rc;
	snprintf(note, sizeof(note), "uid=%s", uid);
	mf_evidence_init(&e, c, evref, retry ? "doi-retry" : "doi-send");
	e.time = now;
	e.message_id = msg->message_id;
	e.recipients = addr;
	e.cls = "doi";
	e.rules = note;
	e.note_personal = 1; /* the uid names the recipient */
	e.action = "passed-to-mta";
	e.sha256 = sha256;
	e.retry_of = retry ? retry_of : NULL;
	if (!retry && res.outcome != DB_SM_REFUSED) {
		e.before = db_state_name(res.before);
		e.after = db_state_name(res.after);
	}
	return mf_evidence_write(&e) == DB_OK ? 0 : -1;
}

int
mf_doi_record(struct mf_ctx *c, const struct pol_message *msg,
	      const char *ref, const char *sha256, int64_t now)
{
	char uid[DB_UID_MAX + 1], evref[MF_REF_MAX + 8];
	size_t i;

	pol_doi_confirm_uid(cfg_pol(c->cfg), msg, uid, sizeof(uid));
	for (i = 0; i < c->nrcpts; i++) {
		const char *addr = c->rcpts[i].addr;

		if (c->cfg->archive_address && strcmp(addr, c->cfg->archive_address) == 0)
			continue;
		if (strchr(addr, '@') == NULL)
			continue;
		snprintf(evref, sizeof(evref), "%s-d%zu", ref, i + 1);
		if (mf_doi_one(c, addr, msg, evref, uid, sha256, now) < 0)
			return -1;
	}
	return 0;
}
