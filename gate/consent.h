/*
 * consent.h - consent lookup as policy data, shared by the milter and
 * `consentctl check`, so both see the same consent.
 */
#ifndef CG_GATE_CONSENT_H
#define CG_GATE_CONSENT_H

#include "../db/store.h"
#include "../policy/policy.h"

/* Consent of one address in store as policy data; no record gives state
 * none.  0 ok, <0 store failure. */
int gate_consent_lookup(struct db_store *store, const char *addr,
			struct pol_consent *out);

#endif
