/*
 * consent.h - consent lookup as policy data, shared by the milter and
 * `consentctl check` (no libmilter here, so consentctl may include it).
 */
#ifndef CG_MF_CONSENT_H
#define CG_MF_CONSENT_H

#include "../db/store.h"
#include "../policy/policy.h"

/* Consent of one address in store as policy data; no record gives state
 * none.  0 ok, <0 store failure. */
int mf_consent_lookup_in(struct db_store *store, const char *addr,
			 struct pol_consent *out);

#endif
