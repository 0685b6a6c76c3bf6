/*
 * lookup.c - the milter's uses of gate/ on its current store: the consent
 * lookup and the durable evidence write, each between mf_store_get() and
 * mf_store_put(), so a reload never closes the store under either.
 * Owns nothing; returns <0 (a db/ code) when there is no store or the store
 * failed, and the caller tempfails.
 */
#include "../gate/evwriter.h"
#include "mf.h"

int
mf_consent_lookup(const char *addr, struct pol_consent *out)
{
	struct db_store *store = mf_store_get();
	int rc;

	rc = store ? gate_consent_lookup(store, addr, out) : DB_ERR_IO;
	mf_store_put(store);
	return rc;
}

int
mf_evidence_write(const struct db_evidence *e)
{
	struct db_store *store = mf_store_get();
	int rc;

	rc = store ? gate_evidence_write(store, e) : DB_ERR_IO;
	mf_store_put(store);
	return rc;
}
