/*
 * lookup.c - translate the store's consent record into the plain data the
 * policy reads.  The only place where db/ states meet policy/ states; the
 * milter and `consentctl check` both use it, so both see the same consent.
 * Owns nothing; returns <0 when the store failed (the caller tempfails).
 */
#include <string.h>

#include "../db/consent_sm.h"
#include "consent.h"

_Static_assert(POL_MSGID_MAX == DB_MSGID_MAX &&
	       POL_HASH_HEX == DB_DOI_HASH_HEX &&
	       POL_LISTS_MAX == DB_LISTS_MAX &&
	       POL_LIST_NAME_MAX == DB_LIST_NAME_MAX,
	       "the policy's copy of a consent record holds the store's");

static enum pol_consent_state
gate_consent_state(int st)
{
	switch (st) {
	case DB_STATE_PENDING: return POL_CONSENT_PENDING;
	case DB_STATE_CONFIRMED: return POL_CONSENT_CONFIRMED;
	case DB_STATE_WITHDRAWN: return POL_CONSENT_WITHDRAWN;
	case DB_STATE_CUSTOMER: return POL_CONSENT_CUSTOMER;
	default: return POL_CONSENT_NONE;
	}
}

/* src into dst (size dstsz), cut to fit: snprintf's "%s" without the
 * format parsing (every recipient comes here). */
static void
gate_copy(char *dst, size_t dstsz, const char *src)
{
	size_t n = strnlen(src, dstsz - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The record's lists (a record without lists: the implicit one), each with
 * the state a reader acts on: db_consent_list_state, as on the record
 * db_consent_lists_of makes, without copying the record. */
static void
gate_consent_lists(const struct db_consent *rec, struct pol_consent *out)
{
	unsigned int i;

	if (rec->nlists == 0) {
		gate_copy(out->lists[0].name, sizeof(out->lists[0].name),
			  DB_LIST_DEFAULT);
		out->lists[0].state = gate_consent_state(
			db_consent_list_state(rec, DB_LIST_DEFAULT));
		out->nlists = 1;
		return;
	}
	for (i = 0; i < rec->nlists && i < POL_LISTS_MAX; i++) {
		gate_copy(out->lists[i].name, sizeof(out->lists[i].name),
			  rec->lists[i].name);
		out->lists[i].state = gate_consent_state(
			db_consent_list_state(rec, rec->lists[i].name));
	}
	out->nlists = i;
}

int
gate_consent_lookup(struct db_store *store, const char *addr,
		    struct pol_consent *out)
{
	struct db_consent rec;
	int rc;

	out->state = POL_CONSENT_NONE;
	out->tracking = 0;
	out->doi_sent_at = 0;
	out->doi_msgid[0] = '\0';
	out->doi_hash[0] = '\0';
	out->nlists = 0;
	rc = db_consent_get(store, addr, &rec);
	if (rc == DB_NOTFOUND || rc == DB_ERR_INVALID)
		return 0; /* no record (or an address that cannot have one) */
	if (rc != DB_OK)
		return rc;
	out->state = gate_consent_state(db_consent_effective_state(&rec));
	gate_consent_lists(&rec, out);
	out->tracking = rec.tracking;
	out->doi_sent_at = rec.doi_sent;
	gate_copy(out->doi_msgid, sizeof(out->doi_msgid), rec.doi_msgid);
	gate_copy(out->doi_hash, sizeof(out->doi_hash), rec.doi_hash);
	return 0;
}
