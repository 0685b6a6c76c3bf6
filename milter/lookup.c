/*
 * lookup.c - translate the store's consent record into the plain data the
 * policy reads.  The only place where db/ states meet policy/ states; the
 * milter and `consentctl check` both use it, so both see the same consent.
 * Owns nothing; returns <0 when the store failed (the caller tempfails).
 */
#include <stdio.h>

#include "mf.h"

_Static_assert(POL_MSGID_MAX == DB_MSGID_MAX &&
	       POL_HASH_HEX == DB_DOI_HASH_HEX,
	       "the policy's copy of a consent record holds the store's");

int
mf_consent_lookup_in(struct db_store *store, const char *addr,
		     struct pol_consent *out)
{
	struct db_consent rec;
	int rc;

	out->state = POL_CONSENT_NONE;
	out->tracking = 0;
	out->doi_sent_at = 0;
	out->doi_msgid[0] = '\0';
	out->doi_hash[0] = '\0';
	rc = db_consent_get(store, addr, &rec);
	if (rc == DB_NOTFOUND || rc == DB_ERR_INVALID)
		return 0; /* no record (or an address that cannot have one) */
	if (rc != DB_OK)
		return rc;
	switch (db_consent_effective_state(&rec)) {
	case DB_STATE_PENDING: out->state = POL_CONSENT_PENDING; break;
	case DB_STATE_CONFIRMED: out->state = POL_CONSENT_CONFIRMED; break;
	case DB_STATE_WITHDRAWN: out->state = POL_CONSENT_WITHDRAWN; break;
	case DB_STATE_CUSTOMER: out->state = POL_CONSENT_CUSTOMER; break;
	default: out->state = POL_CONSENT_NONE; break;
	}
	out->tracking = rec.tracking;
	out->doi_sent_at = rec.doi_sent;
	snprintf(out->doi_msgid, sizeof(out->doi_msgid), "%s", rec.doi_msgid);
	snprintf(out->doi_hash, sizeof(out->doi_hash), "%s", rec.doi_hash);
	return 0;
}

int
mf_consent_lookup(const char *addr, struct pol_consent *out)
{
	struct db_store *store = mf_store_get();
	int rc;

	rc = store ? mf_consent_lookup_in(store, addr, out) : DB_ERR_IO;
	mf_store_put(store);
	return rc;
}
