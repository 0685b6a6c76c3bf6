/*
 * retention.c - the store's side of data protection: consent changes
 * logged together with their evidence record, forgetting a data subject
 * (Art. 17 GDPR) without breaking the evidence chain, and removing
 * consent and evidence records past their retention time.
 *
 * Owns: the write transaction of each call (committed or aborted before
 * return) and the lists of keys collected during a scan (freed before
 * return).  Never logs; returns DB_* codes.  Evidence is only ever removed
 * from the start of the chain, with the checkpoint stored in the same
 * transaction, so what remains still verifies.
 */
#include "evpii.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "outbox_int.h"

/* Evidence records removed per transaction by a purge. */
#define DB_PURGE_BATCH 10000

int
db_consent_put_logged(struct db_store *s, const char *addr,
		      const struct db_consent *c, const struct db_evidence *e)
{
	char key[ADDR_MAX + 1];
	MDB_txn *txn;
	int rc;

	if (addr_normalise(addr, key, sizeof(key)) < 0)
		return DB_ERR_INVALID;
	if ((rc = db_txn_begin(s, 0, &txn)) != DB_OK)
		return rc;
	rc = db_consent_put_txn(s, txn, key, c, 0);
	return db_write_finish(s, txn, rc, e);
}

/* One scrubbed evpii entry, applied after the scan. */
struct db_scrub {
	uint64_t seq;
	char *value; /* new encoding, or NULL: remove the entry */
	size_t len;
};

/* Blank the recipients of p whose address form is key; 1 if any. */
static int
db_scrub_list(struct db_pii *p, const char *key, struct buf *form, int *only,
	      int *rc)
{
	int hit = 0, nonblank = 0;
	size_t i;

	for (i = 0; i < p->nrcpt; i++) {
		if ((*rc = db_pii_form(p->rcpt[i], strlen(p->rcpt[i]), form)))
			return 0;
		if (form->len > 0)
			nonblank++;
		if (form->len > 0 && strcmp(form->data, key) == 0) {
			p->rcpt[i][0] = '\0';
			hit = 1;
		}
	}
	*only = hit && nonblank == 1;
	return hit;
}

/*
 * The personal details and note of an entry that names the subject (named:
 * as sender or recipient) or whose text holds its address: all of them go,
 * since they were kept apart for naming a person of this record.  1 when
 * any changed.
 */
static int
db_scrub_details(struct db_pii *p, const char *key, int named)
{
	size_t i;
	int any = named, hit = 0;

	for (i = 0; !any && i < p->ndetails; i++)
		any = strcasestr(p->details[i], key) != NULL;
	if (!any && p->note)
		any = strcasestr(p->note, key) != NULL;
	for (i = 0; any && i < p->ndetails; i++) {
		hit |= p->details[i][0] != '\0';
		p->details[i][0] = '\0';
	}
	if (any && p->note) {
		hit |= p->note[0] != '\0';
		p->note[0] = '\0';
	}
	return hit;
}

/* Does p still hold any personal data? */
static int
db_scrub_left(const struct db_pii *p)
{
	size_t i;

	for (i = 0; i < p->nrcpt; i++)
		if (p->rcpt[i][strspn(p->rcpt[i], " ")] != '\0')
			return 1;
	for (i = 0; i < p->ndetails; i++)
		if (p->details[i][0])
			return 1;
	return p->sender[0] || p->client_ip[0] || (p->note && p->note[0]);
}

/* Scrub key out of one decoded entry; 1 when it changed. */
static int
db_scrub_entry(struct db_pii *p, const char *key, struct buf *form, int *rc)
{
	int sender = 0, only = 0, hit;

	if ((*rc = db_pii_form(p->sender, strlen(p->sender), form)) != DB_OK)
		return 0;
	if (form->len > 0 && strcmp(form->data, key) == 0) {
		p->sender[0] = '\0';
		sender = 1;
	}
	hit = db_scrub_list(p, key, form, &only, rc);
	if (*rc != DB_OK)
		return 0;
	/* The data subject's own connection goes with the address. */
	if (sender || (only && p->sender[0] == '\0'))
		p->client_ip[0] = '\0';
	return db_scrub_details(p, key, sender || hit) || sender || hit;
}

/* Add hash h to the forgotten set of seq. */
static int
db_forgotten_add(struct db_store *s, MDB_txn *txn, uint64_t seq,
		 const char *h, struct buf *list)
{
	unsigned char key[DB_META_FORGOTTEN_LEN + 8];
	MDB_val k = {sizeof(key), key}, v;
	int rc;

	rc = db_pii_forgotten_txn(s, txn, seq, list);
	if (rc != DB_OK && rc != DB_NOTFOUND)
		return rc;
	if (rc == DB_OK && strstr(list->data, h) != NULL)
		return DB_OK;
	if ((rc == DB_OK && list->len > 0 && buf_putc(list, ',') < 0) ||
	    buf_puts(list, h) < 0)
		return DB_ERR_NOMEM;
	db_pii_forgotten_key(key, seq);
	v.mv_size = list->len;
	v.mv_data = list->data;
	return db_from_mdb(mdb_put(txn, s->meta, &k, &v, 0));
}

/* Find every evpii entry naming key; the scrubbed values go into out. */
static int
db_forget_scan(struct db_store *s, MDB_txn *txn, const char *key,
	       GArray *out)
{
	struct buf form = BUF_INIT, enc = BUF_INIT;
	struct db_scrub sc;
	struct db_pii p;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, got;

	if ((rc = db_from_mdb(mdb_cursor_open(txn, s->evpii, &cur))))
		return rc;
	for (got = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	     got == 0 && rc == DB_OK;
	     got = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8 ||
		    db_pii_decode(v.mv_data, v.mv_size, &p) != DB_OK)
			continue; /* verify names such an entry */
		if (db_scrub_entry(&p, key, &form, &rc) && rc == DB_OK) {
			sc.seq = db_be64_get(k.mv_data);
			sc.value = NULL;
			sc.len = 0;
			if (db_scrub_left(&p)) {
				rc = db_pii_encode(&enc, &p);
				sc.len = enc.len;
				sc.value = buf_steal(&enc);
				if (rc == DB_OK && sc.value == NULL)
					rc = DB_ERR_NOMEM;
			}
			if (rc == DB_OK)
				g_array_append_val(out, sc);
		}
		db_pii_free(&p);
	}
	mdb_cursor_close(cur);
	buf_free(&form);
	buf_free(&enc);
	if (rc == DB_OK && got != MDB_NOTFOUND)
		rc = db_from_mdb(got);
	return rc;
}

/* Write the scrubbed entries and their forgotten sets. */
static int
db_forget_apply(struct db_store *s, MDB_txn *txn, GArray *list,
		char h[][DB_HASH_HEX], size_t nh)
{
	struct buf fl = BUF_INIT;
	unsigned char key[8];
	MDB_val k = {8, key}, v;
	struct db_scrub *sc;
	size_t j;
	guint i;
	int rc = DB_OK;

	for (i = 0; rc == DB_OK && i < list->len; i++) {
		sc = &g_array_index(list, struct db_scrub, i);
		db_be64_put(key, sc->seq);
		v.mv_size = sc->len;
		v.mv_data = sc->value;
		rc = db_from_mdb(sc->value ? mdb_put(txn, s->evpii, &k, &v, 0)
					   : mdb_del(txn, s->evpii, &k, NULL));
		for (j = 0; rc == DB_OK && j < nh; j++)
			rc = db_forgotten_add(s, txn, sc->seq, h[j], &fl);
	}
	buf_free(&fl);
	return rc;
}

/* The centre's copy of the evidence forgets too: the hashes go out. */
static int
db_forget_outbox(struct db_store *s, MDB_txn *txn, char h[][DB_HASH_HEX],
		 size_t nh)
{
	struct buf b = BUF_INIT;
	size_t i;
	int rc = DB_OK;

	for (i = 0; i < nh; i++)
		if (buf_printf(&b, "%s%s", i ? "," : "", h[i]) < 0)
			rc = DB_ERR_NOMEM;
	if (rc == DB_OK && buf_reserve(&b, 0) == 0)
		rc = db_outbox_add_forget_txn(s, txn, b.data);
	buf_free(&b);
	return rc;
}

static void
db_scrub_clear(gpointer p)
{
	free(((struct db_scrub *)p)->value);
}

int
db_forget(struct db_store *s, const char *addr, const struct db_evidence *e,
	  struct db_forget_result *res)
{
	char key[ADDR_MAX + 1], h[DB_SUBJ_KEYS_MAX + 1][DB_HASH_HEX];
	size_t nh;
	GArray *list;
	MDB_txn *txn;
	int rc;

	memset(res, 0, sizeof(*res));
	if (addr_normalise(addr, key, sizeof(key)) < 0)
		return DB_ERR_INVALID;
	/* Its hash under every key: a record names it under the one it was
	 * written with. */
	if ((rc = db_pii_hashes(s, key, h, DB_SUBJ_KEYS_MAX + 1, &nh)))
		return rc;
	if ((rc = db_txn_begin(s, 0, &txn)) != DB_OK)
		return rc;
	list = g_array_new(FALSE, FALSE, sizeof(struct db_scrub));
	g_array_set_clear_func(list, db_scrub_clear);
	rc = db_consent_remove_txn(s, txn, key);
	res->had_record = rc == DB_OK;
	if (rc == DB_OK)
		rc = db_outbox_add_delete_txn(s, txn, key);
	else if (rc == DB_NOTFOUND)
		rc = DB_OK;
	if (rc == DB_OK)
		rc = db_forget_scan(s, txn, key, list);
	if (rc == DB_OK)
		rc = db_forget_apply(s, txn, list, h, nh);
	if (rc == DB_OK)
		rc = db_forget_outbox(s, txn, h, nh);
	res->pseudonymised = list->len;
	g_array_free(list, TRUE);
	if ((rc = db_write_finish(s, txn, rc, e)) != DB_OK)
		memset(res, 0, sizeof(*res));
	return rc;
}

/* Collect the withdrawn records past the cutoff (keys into out). */
static int
db_purge_consent_scan(struct db_store *s, MDB_txn *txn, int64_t cutoff,
		      db_consent_cb cb, void *arg, GPtrArray *out)
{
	struct db_consent c;
	MDB_cursor *cur;
	MDB_val k, v;
	char *key;
	int rc = DB_OK, got;

	if ((rc = db_from_mdb(mdb_cursor_open(txn, s->consent, &cur))))
		return rc;
	for (got = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	     got == 0 && rc == DB_OK;
	     got = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (db_codec_decode(v.mv_data, v.mv_size, &c) != DB_OK ||
		    c.state != DB_STATE_WITHDRAWN || c.withdrawn <= 0 ||
		    c.withdrawn >= cutoff || k.mv_size > ADDR_MAX)
			continue;
		if ((key = g_strndup(k.mv_data, k.mv_size)) == NULL)
			rc = DB_ERR_NOMEM;
		else
			g_ptr_array_add(out, key);
		if (rc == DB_OK && cb && (rc = cb(key, &c, arg)) > 0)
			rc = DB_OK; /* a stop request ends only the listing */
	}
	mdb_cursor_close(cur);
	if (rc == DB_OK && got != MDB_NOTFOUND && got != 0)
		rc = db_from_mdb(got);
	return rc;
}

int
db_purge_consent(struct db_store *s, int64_t cutoff, int dry_run,
		 db_consent_cb cb, void *arg, uint64_t *n)
{
	GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
	MDB_txn *txn;
	guint i;
	int rc;

	*n = 0;
	if ((rc = db_txn_begin(s, dry_run, &txn)) != DB_OK) {
		g_ptr_array_free(keys, TRUE);
		return rc;
	}
	rc = db_purge_consent_scan(s, txn, cutoff, cb, arg, keys);
	for (i = 0; rc == DB_OK && !dry_run && i < keys->len; i++) {
		rc = db_consent_remove_txn(s, txn, keys->pdata[i]);
		if (rc == DB_OK)
			rc = db_outbox_add_delete_txn(s, txn, keys->pdata[i]);
	}
	if (rc == DB_OK)
		*n = keys->len;
	g_ptr_array_free(keys, TRUE);
	if (rc != DB_OK || dry_run) {
		db_txn_abort(txn);
		if (rc != DB_OK)
			*n = 0;
		return rc;
	}
	return db_txn_commit(txn);
}

/* Is the stored record (len bytes at json) older than cutoff?  A record
 * whose time does not parse stops the purge: its age is unknown. */
static int
db_purge_old(const char *json, size_t len, int64_t cutoff, int64_t *t,
	     struct buf *tmp)
{
	if (db_json_field(json, len, "time", tmp) != 1 ||
	    db_time_parse(tmp->data, t) != DB_OK)
		return 0;
	return *t < cutoff;
}

/* Remove the first record of the chain (k, v) with its ref and evpii
 * entry and forgotten set; hash gets its SHA-256. */
static int
db_purge_first(struct db_store *s, MDB_txn *txn, MDB_cursor *cur, MDB_val *k,
	       MDB_val *v, struct buf *tmp, char hash[DB_HASH_HEX])
{
	unsigned char fk[DB_META_FORGOTTEN_LEN + 8];
	MDB_val rk, mk = {sizeof(fk), fk};
	uint64_t seq = db_be64_get(k->mv_data);
	int rc;

	if ((rc = db_sha256_hex(v->mv_data, v->mv_size, hash)) != DB_OK)
		return rc;
	if (db_json_field(v->mv_data, v->mv_size, "ref", tmp) == 1 &&
	    tmp->len > 0) {
		rk.mv_size = tmp->len;
		rk.mv_data = tmp->data;
		rc = mdb_del(txn, s->evref, &rk, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return db_from_mdb(rc);
	}
	rc = mdb_del(txn, s->evpii, k, NULL);
	if (rc == 0 || rc == MDB_NOTFOUND) {
		db_pii_forgotten_key(fk, seq);
		rc = mdb_del(txn, s->meta, &mk, NULL);
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		return db_from_mdb(rc);
	return db_from_mdb(mdb_cursor_del(cur, 0));
}

/* Store the checkpoint "<seq> <hash>". */
static int
db_checkpoint_put(struct db_store *s, MDB_txn *txn, uint64_t seq,
		  const char *hash)
{
	MDB_val k = {sizeof(DB_META_CHECKPOINT) - 1, DB_META_CHECKPOINT}, v;
	char text[96];

	v.mv_size = (size_t)snprintf(text, sizeof(text), "%llu %s",
				     (unsigned long long)seq, hash);
	v.mv_data = text;
	return db_from_mdb(mdb_put(txn, s->meta, &k, &v, 0));
}

/* One transaction of a purge: up to DB_PURGE_BATCH records (all when
 * dry_run, which never writes); *more when it stopped at the limit. */
static int
db_purge_batch(struct db_store *s, int64_t cutoff, int dry_run,
	       struct db_purge_result *res, int *more)
{
	struct buf tmp = BUF_INIT;
	char hash[DB_HASH_HEX];
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	uint64_t n = 0, seq = 0;
	int64_t t;
	int rc, got;

	*more = 0;
	if ((rc = db_txn_begin(s, dry_run, &txn)) != DB_OK)
		return rc;
	if ((rc = db_from_mdb(mdb_cursor_open(txn, s->evidence, &cur)))) {
		db_txn_abort(txn);
		return rc;
	}
	got = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (got == 0 && rc == DB_OK && k.mv_size == 8 &&
	       db_purge_old(v.mv_data, v.mv_size, cutoff, &t, &tmp)) {
		if (!dry_run && n == DB_PURGE_BATCH) {
			*more = 1;
			break;
		}
		seq = db_be64_get(k.mv_data);
		if (res->first_seq == 0)
			res->first_seq = seq;
		res->last_seq = seq;
		res->last_time = t;
		res->removed++;
		n++;
		if (dry_run) {
			got = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
			continue;
		}
		rc = db_purge_first(s, txn, cur, &k, &v, &tmp, hash);
		got = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	}
	mdb_cursor_close(cur);
	buf_free(&tmp);
	if (rc == DB_OK && got != 0 && got != MDB_NOTFOUND)
		rc = db_from_mdb(got);
	if (rc == DB_OK && !dry_run && n > 0)
		rc = db_checkpoint_put(s, txn, seq, hash);
	if (rc != DB_OK || dry_run || n == 0) {
		db_txn_abort(txn);
		return rc;
	}
	return db_txn_commit(txn);
}

int
db_purge_evidence(struct db_store *s, int64_t cutoff, int dry_run,
		  struct db_purge_result *res)
{
	int rc, more = 1;

	memset(res, 0, sizeof(*res));
	for (rc = DB_OK; rc == DB_OK && more;)
		rc = db_purge_batch(s, cutoff, dry_run, res, &more);
	return rc;
}
