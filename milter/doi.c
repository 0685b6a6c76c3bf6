/*
 * doi.c - what follows an accepted DOI mail: the blind copy to
 * ArchiveAddress (an envelope recipient, never a header), and the record of
 * the DOI send in each recipient's consent record and in the evidence.
 *
 * A recipient without a record, or with a withdrawn one, becomes pending (a
 * new subscription waiting for its click); confirmed and customer records
 * keep their state.  Every record gets the send time and message-id, and
 * the uid of the confirmation link when it has none yet.  Any failure
 * returns -1 and the caller tempfails: the archive copy and the proof of
 * the send are part of the law's demand, not extras.
 */
#include <stdio.h>
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

static int
mf_doi_update(struct db_store *store, struct mf_ctx *c, const char *addr,
	      const char *message_id, const char *uid, int64_t now)
{
	struct db_consent rec;
	int rc;

	rc = db_consent_get(store, addr, &rec);
	if (rc == DB_NOTFOUND) {
		memset(&rec, 0, sizeof(rec));
		rec.created = now;
		snprintf(rec.source, sizeof(rec.source), "doi-mail from %s",
			 c->client_ip[0] ? c->client_ip : "local");
	} else if (rc != DB_OK) {
		return rc;
	}
	if (rec.state != DB_STATE_CONFIRMED && rec.state != DB_STATE_CUSTOMER)
		rec.state = DB_STATE_PENDING;
	rec.doi_sent = now;
	snprintf(rec.doi_msgid, sizeof(rec.doi_msgid), "%s", message_id);
	if (rec.uid[0] == '\0' && uid[0])
		snprintf(rec.uid, sizeof(rec.uid), "%s", uid);
	rc = db_consent_put(store, addr, &rec);
	if (rc == DB_ERR_INVALID && uid[0] && strcmp(rec.uid, uid) == 0) {
		/* The uid belongs to another address: keep the send anyway. */
		rec.uid[0] = '\0';
		rc = db_consent_put(store, addr, &rec);
	}
	return rc;
}

int
mf_doi_record(struct mf_ctx *c, const struct pol_message *msg,
	      const char *ref, const char *sha256, int64_t now)
{
	char uid[DB_UID_MAX + 1], evref[MF_REF_MAX + 8], note[DB_UID_MAX + 16];
	struct db_evidence e;
	struct db_store *store;
	size_t i;
	int rc;

	pol_doi_confirm_uid(c->cfg, msg, uid, sizeof(uid));
	for (i = 0; i < c->nrcpts; i++) {
		const char *addr = c->rcpts[i].addr;

		if (c->cfg->archive_address && strcmp(addr, c->cfg->archive_address) == 0)
			continue;
		if (strchr(addr, '@') == NULL)
			continue;
		store = mf_store_get();
		rc = store ? mf_doi_update(store, c, addr, msg->message_id,
					   uid, now) : DB_ERR_IO;
		mf_store_put(store);
		if (rc < 0)
			return -1;
		snprintf(evref, sizeof(evref), "%s-d%zu", ref, i + 1);
		snprintf(note, sizeof(note), "uid=%s", uid);
		memset(&e, 0, sizeof(e));
		e.time = now;
		e.ref = evref;
		e.kind = "doi-send";
		e.queue_id = c->queue_id;
		e.message_id = msg->message_id;
		e.sender = c->sender;
		e.recipients = addr;
		e.client_ip = c->client_ip;
		e.tls = c->tls;
		e.cls = "doi";
		e.rules = note;
		e.action = "sent";
		e.sha256 = sha256;
		if (mf_evidence_write(&e) != DB_OK)
			return -1;
	}
	return 0;
}
