/*
 * lookup.c - translate the store's consent record into the plain data the
 * policy reads.  The only place where db/ states meet policy/ states; the
 * milter and `consentctl check` both use it, so both see the same consent.
 * Owns nothing; returns <0 when the store failed (the caller tempfails).
 */
#include <stdio.h>

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

/* The record's lists (a record without lists: the implicit one), each with
 * the state a reader acts on. */
static void
gate_consent_lists(const struct db_consent *rec, struct pol_consent *out)
{
	struct db_consent m;
	unsigned int i;

	db_consent_lists_of(rec, &m);
	for (i = 0; i < m.nlists && i < POL_LISTS_MAX; i++) {
		snprintf(out->lists[i].name, sizeof(out->lists[i].name), "%s",
			 m.lists[i].name);
		out->lists[i].state = gate_consent_state(
			db_consent_list_state(&m, m.lists[i].name));
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
	snprintf(out->doi_msgid, sizeof(out->doi_msgid), "%s", rec.doi_msgid);
	snprintf(out->doi_hash, sizeof(out->doi_hash), "%s", rec.doi_hash);
	return 0;
}
