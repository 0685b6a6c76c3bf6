/*
 * replica_digest.c - the host side of `consentctl follow --verify`: a
 * digest of the replicated fields of every consent record, per address
 * range, computed exactly as the centre's consent_verify_buckets() and
 * consent_verify_rows() (contrib/postgresql/schema.sql), and the result of
 * the last verification in the meta database.
 *
 * THE DIGEST (the one definition on this side; the centre's is
 * the view consent_digest in schema.sql, and the two must stay equal):
 *   line   = address US state US uid US created US confirmed US withdrawn
 *            US ip US source US tracking US doi_sent US doi_msgid US lists
 *            with US the byte 0x1f; state the effective state (confirmed
 *            with a later withdrawal is withdrawn); times as decimal unix
 *            seconds, 0 when unset (the centre's NULL); uid, ip, source and
 *            doi_msgid as text, "" when unset (the centre's NULL); tracking
 *            "1" or "0"; lists as "NAME STATE CONFIRMED WITHDRAWN DOI_SENT"
 *            per list (times as above), sorted by name bytewise, joined
 *            by ","; a record without lists (the centre's '[]') has the
 *            implicit list "default" in the record's effective state and
 *            with its times, as db_consent_lists_of and the store make it.
 *   row    = lower-case hex SHA-256 of line.
 *   bucket = first byte of SHA-256 of the address (256 ranges).
 *   range  = hex SHA-256 of the row digests of the bucket concatenated in
 *            bytewise address order (LMDB key order, the centre's
 *            COLLATE "C"); an empty range has count 0 and no digest.
 * Local-only fields (confirmation history, DOI hash and reference) are not
 * replicated and not digested.
 *
 * Owns: nothing beyond a call.  Returns DB_* codes; never logs.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/buf.h"
#include "consent_sm.h"
#include "evpii.h"
#include "outbox_int.h"
#include "replica.h"
#include "store_int.h"

#define DB_META_REPL_VERIFIED "repl.verified"
#define DB_META_REPL_VERIFY_DIFF "repl.verify_diff"

int
db_digest_bucket_of(const char *addr)
{
	guint8 d[32];
	gsize n = sizeof(d);
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);

	if (ck == NULL)
		return 0;
	g_checksum_update(ck, (const guchar *)addr, (gssize)strlen(addr));
	g_checksum_get_digest(ck, d, &n);
	g_checksum_free(ck);
	return d[0];
}

static int
db_digest_list_cmp(const void *a, const void *b)
{
	return strcmp(((const struct db_list *)a)->name,
		      ((const struct db_list *)b)->name);
}

/* The line of the digest (above) into b.  0 or -1 (memory). */
static int
db_digest_line(const char *addr, const struct db_consent *c, struct buf *b)
{
	struct db_list l[DB_LISTS_MAX];
	unsigned int i, n = c->nlists;
	int r;

	r = buf_printf(b, "%s\x1f%s\x1f%s\x1f%lld\x1f%lld\x1f%lld\x1f%s\x1f%s"
		       "\x1f%d\x1f%lld\x1f%s\x1f", addr,
		       db_state_name(db_consent_effective_state(c)), c->uid,
		       (long long)c->created, (long long)c->confirmed,
		       (long long)c->withdrawn, c->ip, c->source,
		       c->tracking ? 1 : 0, (long long)c->doi_sent,
		       c->doi_msgid);
	memcpy(l, c->lists, n * sizeof(l[0]));
	if (n == 0) {
		/* The implicit list (db_consent_lists_of). */
		memset(l, 0, sizeof(l[0]));
		snprintf(l[0].name, sizeof(l[0].name), "%s", DB_LIST_DEFAULT);
		l[0].state = db_consent_effective_state(c);
		l[0].confirmed = c->confirmed;
		l[0].withdrawn = c->withdrawn;
		l[0].doi_sent = c->doi_sent;
		n = 1;
	}
	qsort(l, n, sizeof(l[0]), db_digest_list_cmp);
	for (i = 0; i < n; i++)
		r |= buf_printf(b, "%s%s %s %lld %lld %lld", i ? "," : "",
				l[i].name, db_state_name(l[i].state),
				(long long)l[i].confirmed,
				(long long)l[i].withdrawn,
				(long long)l[i].doi_sent);
	return r ? -1 : 0;
}

char *
db_digest_text(const char *addr, const struct db_consent *c)
{
	struct buf b = BUF_INIT;

	if (db_digest_line(addr, c, &b) == 0 && buf_putc(&b, '\0') == 0)
		return b.data;
	buf_free(&b);
	return NULL;
}

int
db_digest_row(const char *addr, const struct db_consent *c,
	      char hex[DB_HASH_HEX])
{
	struct buf b = BUF_INIT;
	int rc = DB_ERR_NOMEM;

	if (db_digest_line(addr, c, &b) == 0)
		rc = db_sha256_hex(b.data, b.len, hex);
	buf_free(&b);
	return rc;
}

struct db_digest_walk {
	GChecksum *ck[DB_DIGEST_BUCKETS];
	struct db_digest_bucket *out;
	int bucket;             /* db_digest_rows: the one range, else -1 */
	db_digest_row_cb cb;
	void *arg;
};

static int
db_digest_walk_cb(const char *addr, const struct db_consent *c, void *arg)
{
	struct db_digest_walk *w = arg;
	char hex[DB_HASH_HEX];
	int b = db_digest_bucket_of(addr), rc;

	if (w->bucket >= 0 && b != w->bucket)
		return 0;
	if ((rc = db_digest_row(addr, c, hex)) != DB_OK)
		return rc;
	if (w->cb)
		return w->cb(addr, hex, w->arg);
	if (w->ck[b] == NULL &&
	    (w->ck[b] = g_checksum_new(G_CHECKSUM_SHA256)) == NULL)
		return DB_ERR_NOMEM;
	g_checksum_update(w->ck[b], (const guchar *)hex, DB_HASH_HEX - 1);
	w->out[b].n++;
	return 0;
}

int
db_digest_buckets(struct db_store *s,
		  struct db_digest_bucket out[DB_DIGEST_BUCKETS])
{
	struct db_digest_walk w;
	int i, rc;

	memset(&w, 0, sizeof(w));
	memset(out, 0, DB_DIGEST_BUCKETS * sizeof(out[0]));
	w.out = out;
	w.bucket = -1;
	rc = db_consent_foreach(s, db_digest_walk_cb, &w);
	for (i = 0; i < DB_DIGEST_BUCKETS; i++) {
		if (w.ck[i] == NULL)
			continue;
		snprintf(out[i].hex, sizeof(out[i].hex), "%s",
			 g_checksum_get_string(w.ck[i]));
		g_checksum_free(w.ck[i]);
	}
	return rc;
}

int
db_digest_rows(struct db_store *s, int bucket, db_digest_row_cb cb,
	       void *arg)
{
	struct db_digest_walk w;

	memset(&w, 0, sizeof(w));
	w.bucket = bucket;
	w.cb = cb;
	w.arg = arg;
	return db_consent_foreach(s, db_digest_walk_cb, &w);
}

int
db_replica_set_verified(struct db_store *s, int64_t now, uint64_t differing,
			const struct db_evidence *e)
{
	MDB_txn *txn;
	int rc;

	if ((rc = db_txn_begin(s, 0, &txn)) != DB_OK)
		return rc;
	rc = db_meta_put_int(s, txn, DB_META_REPL_VERIFIED, now);
	if (rc == DB_OK)
		rc = db_meta_put_int(s, txn, DB_META_REPL_VERIFY_DIFF,
				     (int64_t)differing);
	return db_write_finish(s, txn, rc, e);
}

int
db_replica_verified_txn(struct db_store *s, MDB_txn *txn, int64_t *when,
			int64_t *differing)
{
	int rc;

	*when = 0;
	*differing = 0;
	rc = db_meta_get_int(s, txn, DB_META_REPL_VERIFIED, when);
	if (rc == DB_OK)
		rc = db_meta_get_int(s, txn, DB_META_REPL_VERIFY_DIFF,
				     differing);
	return rc == DB_NOTFOUND ? DB_OK : rc;
}
