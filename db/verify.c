/*
 * verify.c - db_evidence_verify: walk the evidence chain from the purge
 * checkpoint and check that no record was changed, removed or reordered,
 * and that the personal data kept beside the chain (evpii) still matches
 * the hashes the chain holds.
 *
 * Owns: one read transaction for the whole walk (ended before return) and
 * its scratch buffers.  Never logs: every problem goes to the caller's
 * callback as a sentence; the return code says whether the walk itself
 * could be done (DB_OK) or the store failed (<0).
 */
#include "evpii.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"

struct db_vstate {
	struct db_store *s;
	MDB_txn *txn;
	db_verify_cb cb;
	void *arg;
	struct db_verify_result *res;
	uint64_t expect;
	uint64_t pii_seen;
	char prev[DB_HASH_HEX];
	struct buf forgot;
	const struct db_evrec *rec; /* the record being checked */
	const unsigned char *key;   /* the key its hashes were made with */
	int forgotten; /* the current record's seq is in the forgotten set */
};

static void
db_vproblem(struct db_vstate *v, uint64_t seq, const char *problem)
{
	v->res->problems++;
	v->cb(seq, v->rec && v->rec->ref ? v->rec->ref : "", problem,
	      v->arg);
}

/* Is hash h (n bytes) listed in the forgotten set of this record? */
static int
db_vforgot(const struct db_vstate *v, const char *h, size_t n)
{
	const char *p = v->forgot.data, *e;

	if (!v->forgotten || p == NULL)
		return 0;
	for (; *p; p = *e ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == n && memcmp(p, h, n) == 0)
			return 1;
	}
	return 0;
}

/*
 * One personal field: n bytes of plaintext against hash h (hn bytes).
 * as_addr: hashed in its address form (else as written).
 */
static int
db_vfield(struct db_vstate *v, uint64_t seq, const char *name,
	  const char *plain, size_t n, const char *h, size_t hn, int as_addr)
{
	char want[DB_HASH_HEX], msg[160];
	struct buf raw = BUF_INIT;
	size_t i = 0;
	int rc;

	while (i < n && (plain[i] == ' ' || plain[i] == '\t'))
		i++;
	if (i == n) { /* blank: forgotten, or there never was a value */
		if (hn == 0 || (v->forgotten && (!as_addr ||
						 db_vforgot(v, h, hn))))
			return DB_OK;
		snprintf(msg, sizeof(msg), "personal data removed without a "
			 "forget (%s)", name);
		db_vproblem(v, seq, msg);
		return DB_OK;
	}
	if (as_addr)
		rc = db_pii_hash_nk(v->key, plain, n, want);
	else if (buf_append(&raw, plain, n) < 0 || buf_reserve(&raw, 0) < 0)
		rc = DB_ERR_NOMEM;
	else
		rc = db_pii_hmac_k(v->key, raw.data, want);
	buf_free(&raw);
	if (rc != DB_OK)
		return rc;
	if (strlen(want) != hn || memcmp(want, h, hn) != 0) {
		snprintf(msg, sizeof(msg), "personal data changed (%s does not "
			 "match the hash in the chained record)", name);
		db_vproblem(v, seq, msg);
	}
	return DB_OK;
}

/* The recipients, element by element. */
static int
db_vrecipients(struct db_vstate *v, uint64_t seq, const struct db_pii *p)
{
	const struct db_evrec *r = v->rec;
	char msg[160];
	size_t i;
	int rc = DB_OK;

	if (p->nrcpt != r->nrcpt_h) {
		snprintf(msg, sizeof(msg), "personal data changed (%zu "
			 "recipients for %zu hashes)", p->nrcpt, r->nrcpt_h);
		db_vproblem(v, seq, msg);
		return DB_OK;
	}
	for (i = 0; rc == DB_OK && i < p->nrcpt; i++)
		rc = db_vfield(v, seq, "recipients", p->rcpt[i],
			       strlen(p->rcpt[i]), r->rcpt_hv[i],
			       strlen(r->rcpt_hv[i]), 1);
	return rc;
}

/* Is any hash of the record non-empty? */
static int
db_vhas_hashes(const struct db_evrec *r)
{
	size_t i;

	for (i = 0; i < r->nrcpt_h; i++)
		if (r->rcpt_hv[i][0])
			return 1;
	for (i = 0; i < r->nrules; i++)
		if (r->rulev[i].detail_h[0])
			return 1;
	return r->sender_h[0] || r->client_ip_h[0] || r->note_h[0];
}

/* The personal details and note kept beside the chain (as written). */
static int
db_vdetails(struct db_vstate *v, uint64_t seq, const struct db_pii *p)
{
	const struct db_evrec *r = v->rec;
	const char *plain;
	size_t i;
	int rc = DB_OK;

	for (i = 0; rc == DB_OK && i < r->nrules; i++) {
		if (r->rulev[i].detail_h[0] == '\0')
			continue;
		plain = i < p->ndetails ? p->details[i] : "";
		rc = db_vfield(v, seq, "rule detail", plain, strlen(plain),
			       r->rulev[i].detail_h,
			       strlen(r->rulev[i].detail_h), 0);
	}
	if (rc == DB_OK && r->note_h[0]) {
		plain = p->note ? p->note : "";
		rc = db_vfield(v, seq, "note", plain, strlen(plain), r->note_h,
			       strlen(r->note_h), 0);
	}
	return rc;
}

/* The evpii entry of one record against its hashes. */
static int
db_vpii(struct db_vstate *v, uint64_t seq)
{
	const struct db_evrec *r = v->rec;
	struct db_pii p;
	int rc, got;

	got = db_pii_get_txn(v->s, v->txn, seq, &p);
	if (got == DB_OK || got == DB_ERR_CORRUPT)
		v->pii_seen++;
	if (got < 0 && got != DB_ERR_CORRUPT)
		return got;
	if (r->version < 2) {
		if (got != DB_NOTFOUND)
			db_vproblem(v, seq, "personal data stored for a record "
				    "without hashes");
		db_pii_free(&p);
		return DB_OK;
	}
	if ((v->key = db_pii_key_for(v->s, r->key_id)) == NULL) {
		char msg[160];

		snprintf(msg, sizeof(msg), "its personal data was hashed with "
			 "the deployment key %.16s, which is not in "
			 "EvidenceSubjectKeyFile", r->key_id);
		db_vproblem(v, seq, msg);
		db_pii_free(&p);
		return DB_OK;
	}
	rc = db_pii_forgotten_txn(v->s, v->txn, seq, &v->forgot);
	v->forgotten = rc == DB_OK;
	if (rc < 0)
		goto done;
	rc = DB_OK;
	if (got == DB_ERR_CORRUPT)
		db_vproblem(v, seq, "its personal data does not decode");
	else if (got == DB_NOTFOUND && db_vhas_hashes(r) && !v->forgotten)
		db_vproblem(v, seq, "its personal data is missing and was not "
			    "forgotten");
	else if (got == DB_OK &&
		 (rc = db_vfield(v, seq, "sender", p.sender, strlen(p.sender),
				 r->sender_h, strlen(r->sender_h), 1)) ==
			 DB_OK &&
		 (rc = db_vrecipients(v, seq, &p)) == DB_OK &&
		 (rc = db_vfield(v, seq, "client_ip", p.client_ip,
				 strlen(p.client_ip), r->client_ip_h,
				 strlen(r->client_ip_h), 0)) == DB_OK)
		rc = db_vdetails(v, seq, &p);
done:
	db_pii_free(&p);
	return rc;
}

/* Where the record sits in the chain: its seq, its text, its prev. */
static void
db_vplace(struct db_vstate *v, uint64_t seq, const char *json, size_t len)
{
	char head[40], msg[200];
	int n;

	n = snprintf(head, sizeof(head), "{\"seq\":%llu,",
		     (unsigned long long)seq);
	if (seq != v->expect) {
		snprintf(msg, sizeof(msg), "expected record %llu here; records "
			 "were removed or reordered",
			 (unsigned long long)v->expect);
		db_vproblem(v, seq, msg);
	} else if (len < (size_t)n || memcmp(json, head, (size_t)n) != 0) {
		db_vproblem(v, seq, "its text names another sequence number; "
			    "it was moved or changed");
	} else if (strcmp(v->rec->prev, v->prev) != 0) {
		snprintf(msg, sizeof(msg), "the hash of the record before it "
			 "does not match; record %llu or this one was changed",
			 (unsigned long long)(seq > 1 ? seq - 1 : 0));
		db_vproblem(v, seq, msg);
	}
}

/* One chained record: its place in the chain, then its personal data. */
static int
db_vrecord(struct db_vstate *v, uint64_t seq, const char *json, size_t len)
{
	static const struct db_evrec none;
	struct db_evrec rec;
	int rc;

	rc = db_evrec_parse(json, len, NULL, &rec);
	if (rc == DB_ERR_NOMEM)
		return rc;
	v->rec = rc == DB_OK ? &rec : &none;
	if (rc != DB_OK) {
		v->res->versions[0]++;
		db_vproblem(v, seq, "its text is not a JSON object; it was "
			    "changed");
		rc = DB_OK;
	} else {
		v->res->versions[rec.version >= DB_EVIDENCE_VERSION_MIN &&
				 rec.version <= DB_EVIDENCE_VERSION
					 ? rec.version : 0]++;
		db_vplace(v, seq, json, len);
		rc = db_vpii(v, seq);
	}
	if (rc == DB_OK)
		rc = db_sha256_hex(json, len, v->prev);
	v->expect = seq + 1;
	v->res->checked++;
	if (v->rec == &rec)
		db_evrec_free(&rec);
	v->rec = NULL;
	return rc;
}

/* evpii entries whose record is gone (only looked for when counts differ). */
static int
db_vorphans(struct db_vstate *v)
{
	MDB_cursor *cur;
	MDB_val k, val;
	int rc, got;

	if ((rc = db_from_mdb(mdb_cursor_open(v->txn, v->s->evpii, &cur))))
		return rc;
	for (got = mdb_cursor_get(cur, &k, &val, MDB_FIRST); got == 0;
	     got = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		if (k.mv_size == 8 &&
		    mdb_get(v->txn, v->s->evidence, &k, &val) == 0)
			continue;
		db_vproblem(v, k.mv_size == 8 ? db_be64_get(k.mv_data) : 0,
			    "personal data without its evidence record");
	}
	mdb_cursor_close(cur);
	return got == MDB_NOTFOUND ? DB_OK : db_from_mdb(got);
}

/* The walk inside the read transaction. */
static int
db_vwalk(struct db_vstate *v)
{
	MDB_cursor *cur;
	MDB_stat st;
	MDB_val k, val;
	int rc, got;

	rc = db_checkpoint_get_txn(v->s, v->txn, &v->expect, v->prev);
	if (rc == DB_NOTFOUND) {
		v->expect = 0;
		v->prev[0] = '\0';
	} else if (rc != DB_OK) {
		return rc;
	}
	v->res->start = ++v->expect;
	if ((rc = db_from_mdb(mdb_cursor_open(v->txn, v->s->evidence, &cur))))
		return rc;
	for (got = mdb_cursor_get(cur, &k, &val, MDB_FIRST);
	     got == 0 && rc == DB_OK;
	     got = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		if (k.mv_size != 8)
			rc = DB_ERR_CORRUPT;
		else
			rc = db_vrecord(v, db_be64_get(k.mv_data), val.mv_data,
					val.mv_size);
	}
	mdb_cursor_close(cur);
	if (rc == DB_OK && got != MDB_NOTFOUND)
		rc = db_from_mdb(got);
	if (rc == DB_OK)
		rc = db_from_mdb(mdb_stat(v->txn, v->s->evpii, &st));
	if (rc == DB_OK && st.ms_entries != v->pii_seen)
		rc = db_vorphans(v);
	return rc;
}

int
db_evidence_verify(struct db_store *s, db_verify_cb cb, void *arg,
		   struct db_verify_result *res)
{
	struct db_vstate v;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&v, 0, sizeof(v));
	v.s = s;
	v.cb = cb;
	v.arg = arg;
	v.res = res;
	if ((rc = db_txn_begin(s, 1, &v.txn)) != DB_OK)
		return rc;
	rc = db_vwalk(&v);
	db_txn_abort(v.txn);
	buf_free(&v.forgot);
	return rc;
}
