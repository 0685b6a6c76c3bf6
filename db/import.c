/*
 * import.c - the writing half of a consent import: the rows a format
 * reader (fmt/import.c) has checked, held compactly encoded in memory,
 * then merged into the store.
 *
 * db_import_run first checks that every uid the rows set belongs to one
 * address only, also against the store; then it merges every row, in the
 * order added, into the stored record through the consent state machine
 * (db_sm_merge_row, consent_sm.h) and writes each changed record with its
 * own evidence record, in transactions of DB_IMPORT_BATCH records.  A row
 * the machine refuses is reported and skipped.
 *
 * Owns: the rows (freed by db_import_free) and the transactions it
 * begins.  Never logs; returns DB_* codes, with the reason for a failure
 * in the caller's err buffer ("name:LINE: reason").
 */
#include "store_int.h"

#include <glib.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "consent_sm.h"
#include "evpii.h"

#define DB_IMPORT_UID (1u << DB_ROW_UID)

/* A validated row: its address and encoded value inside the arena. */
struct db_import_row {
	size_t addr_off;
	size_t val_off;
	unsigned long line;
	unsigned int mask; /* 1 << DB_ROW_* of each field the row sets */
	unsigned int val_len;
};

struct db_import {
	struct db_store *s;
	const char *name;
	int64_t now;
	char *err;
	size_t errsz;
	unsigned int file_mask; /* fields any row sets */
	struct buf arena;
	struct buf rows; /* struct db_import_row[] */
	size_t nrows;
	GHashTable *last; /* address -> index + 1 of its last row */
	const struct db_import_opts *opts;
	struct db_import_count *count;
	size_t nevidence; /* evidence records written */
};

static struct db_import_row *
db_row(struct db_import *im, size_t i)
{
	return (struct db_import_row *)(void *)im->rows.data + i;
}

int
db_import_error(struct db_import *im, unsigned long line, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	snprintf(im->err, im->errsz, "%s:%lu: %s", im->name, line, reason);
	return DB_ERR_INVALID;
}

int
db_import_add(struct db_import *im, unsigned long line, const char *addr,
	      const struct db_consent *c, unsigned int mask)
{
	unsigned char enc[DB_CODEC_MAX];
	struct db_import_row row;
	int n = db_codec_encode(c, enc, sizeof(enc));

	if (n < 0)
		return n;
	row.addr_off = im->arena.len;
	row.val_off = im->arena.len + strlen(addr) + 1;
	row.val_len = (unsigned int)n;
	row.line = line;
	row.mask = mask;
	if (buf_append(&im->arena, addr, strlen(addr) + 1) < 0 ||
	    buf_append(&im->arena, enc, (size_t)n) < 0 ||
	    buf_append(&im->rows, &row, sizeof(row)) < 0)
		return DB_ERR_NOMEM;
	im->nrows++;
	im->file_mask |= mask;
	return DB_OK;
}

static const char *
db_import_addr(struct db_import *im, size_t i)
{
	return im->arena.data + db_row(im, i)->addr_off;
}

static int
db_import_decode(struct db_import *im, size_t i, struct db_consent *c)
{
	struct db_import_row *row = db_row(im, i);

	return db_codec_decode(im->arena.data + row->val_off, row->val_len, c);
}

/* Index the last row of each address (last one wins). */
static void
db_import_index(struct db_import *im)
{
	size_t i;

	im->last = g_hash_table_new(g_str_hash, g_str_equal);
	for (i = 0; i < im->nrows; i++)
		g_hash_table_insert(im->last, (gpointer)db_import_addr(im, i),
				    GSIZE_TO_POINTER(i + 1));
}

/* Is row i the one that wins for its address? */
static int
db_import_final(struct db_import *im, size_t i)
{
	return GPOINTER_TO_SIZE(g_hash_table_lookup(
		   im->last, db_import_addr(im, i))) == i + 1;
}

/*
 * Row i gives c->uid to its address.  If the store has the uid on another
 * address, that address must give it up in this file.
 */
static int
db_import_check_owner(struct db_import *im, MDB_txn *txn, size_t i,
		      const struct db_consent *c)
{
	char owner[ADDR_MAX + 1];
	struct db_consent oc;
	size_t j;
	int rc;

	rc = db_uid_owner_txn(im->s, txn, c->uid, owner, sizeof(owner));
	if (rc == DB_NOTFOUND || rc == DB_ERR_CORRUPT ||
	    (rc == DB_OK && strcmp(owner, db_import_addr(im, i)) == 0))
		return DB_OK;
	if (rc != DB_OK) {
		snprintf(im->err, im->errsz, "%s: %s", im->name,
			 db_strerror(rc));
		return rc;
	}
	j = GPOINTER_TO_SIZE(g_hash_table_lookup(im->last, owner));
	if (j && (db_row(im, j - 1)->mask & DB_IMPORT_UID) &&
	    db_import_decode(im, j - 1, &oc) == DB_OK &&
	    strcmp(oc.uid, c->uid) != 0)
		return DB_OK;
	return db_import_error(im, db_row(im, i)->line,
			       "uid '%s' already belongs to %s", c->uid, owner);
}

/* Every uid the file sets belongs to one address only. */
static int
db_import_check_uids(struct db_import *im)
{
	struct db_consent c;
	GHashTable *uids;
	MDB_txn *txn;
	size_t i, other;
	int rc;

	if (!(im->file_mask & DB_IMPORT_UID))
		return DB_OK;
	if ((rc = db_txn_begin(im->s, 1, &txn)) != DB_OK) {
		snprintf(im->err, im->errsz, "%s: %s", im->name,
			 db_strerror(rc));
		return rc;
	}
	uids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (i = 0; rc == DB_OK && i < im->nrows; i++) {
		if (!(db_row(im, i)->mask & DB_IMPORT_UID) ||
		    !db_import_final(im, i) ||
		    db_import_decode(im, i, &c) != DB_OK || c.uid[0] == '\0')
			continue;
		other = GPOINTER_TO_SIZE(g_hash_table_lookup(uids, c.uid));
		if (other) {
			rc = db_import_error(im, db_row(im, i)->line,
					     "uid '%s' is also given to %s on "
					     "line %lu",
					     c.uid,
					     db_import_addr(im, other - 1),
					     db_row(im, other - 1)->line);
			break;
		}
		g_hash_table_insert(uids, g_strdup(c.uid),
				    GSIZE_TO_POINTER(i + 1));
		rc = db_import_check_owner(im, txn, i, &c);
	}
	db_txn_abort(txn);
	g_hash_table_destroy(uids);
	return rc;
}

/* The evidence record of one changed row, inside txn. */
static int
db_import_evidence(struct db_import *im, MDB_txn *txn, size_t i,
		   const struct db_consent *out, const struct db_sm_result *res)
{
	const struct db_evidence *t = im->opts->e;
	char ref[DB_REF_MAX + 1], rules[1200];
	struct db_evidence e;

	if (t == NULL)
		return DB_OK;
	e = *t;
	snprintf(ref, sizeof(ref), "%.200s-%zu", t->ref, ++im->nevidence);
	snprintf(rules, sizeof(rules), "%s:%lu, %s%s%s", im->name,
		 db_row(im, i)->line, res->forced ? "forced, " : "",
		 t->rules ? t->rules : "", "");
	e.ref = ref;
	e.rules = rules;
	e.recipients = db_import_addr(im, i);
	e.client_ip = out->ip;
	e.before = db_state_name(res->before);
	e.after = db_state_name(res->after);
	return db_evidence_append_txn(im->s, txn, &e, 1, NULL);
}

/* Merge row i into the stored record (or a new one) through the state
 * machine; write it and its evidence when it changed. */
static int
db_import_put(struct db_import *im, MDB_txn *txn, size_t i)
{
	const char *addr = db_import_addr(im, i);
	struct db_consent in, cur, out;
	struct db_sm_result res;
	char where[300];
	int rc, have;

	if ((rc = db_import_decode(im, i, &in)) != DB_OK)
		return rc;
	rc = db_consent_get_txn(im->s, txn, addr, &cur);
	if (rc != DB_OK && rc != DB_NOTFOUND && rc != DB_ERR_CORRUPT)
		return rc;
	have = rc == DB_OK;
	snprintf(where, sizeof(where), "import %.200s:%lu", im->name,
		 db_row(im, i)->line);
	db_sm_merge_row(have ? &cur : NULL, &in, db_row(im, i)->mask, im->now,
			where, im->opts->force, &out, &res);
	if (im->opts->note)
		im->opts->note(im->opts->arg, db_row(im, i)->line, addr, &res);
	if (res.outcome == DB_SM_REFUSED) {
		im->count->refused++;
		im->count->no_proof += strcmp(res.code, "no-proof") == 0;
		return DB_OK;
	}
	if (res.outcome == DB_SM_SAME) {
		im->count->same++;
		return DB_OK;
	}
	im->count->changed++;
	if (im->opts->dry_run)
		return DB_OK;
	rc = db_consent_put_txn(im->s, txn, addr, &out, 1);
	return rc == DB_OK ? db_import_evidence(im, txn, i, &out, &res) : rc;
}

/* Phase two: every row in file order, DB_IMPORT_BATCH per transaction
 * (one transaction, never committed, for a dry run). */
static int
db_import_write(struct db_import *im)
{
	MDB_txn *txn = NULL;
	size_t i, batch = 0, written = 0;
	int rc = DB_OK;

	for (i = 0; rc == DB_OK && i < im->nrows; i++) {
		if (txn == NULL && (rc = db_txn_begin(im->s, 0, &txn)))
			break;
		rc = db_import_put(im, txn, i);
		if (rc == DB_OK && ++batch == DB_IMPORT_BATCH &&
		    !im->opts->dry_run) {
			rc = db_txn_commit(txn);
			txn = NULL;
			written = im->count->changed;
			batch = 0;
		}
	}
	if (txn != NULL && rc == DB_OK && !im->opts->dry_run) {
		rc = db_txn_commit(txn);
		txn = NULL;
	}
	if (txn != NULL)
		db_txn_abort(txn);
	if (rc != DB_OK) {
		snprintf(im->err, im->errsz,
			 "%s: %s after %zu records were written", im->name,
			 db_strerror(rc), written);
		im->count->changed = written;
	}
	return rc;
}

int
db_import_begin(struct db_store *s, const char *name, int64_t now,
		const struct db_import_opts *opts,
		struct db_import_count *count, char *err, size_t errsz,
		struct db_import **out)
{
	struct db_import *im;

	*out = NULL;
	memset(count, 0, sizeof(*count));
	if (errsz)
		err[0] = '\0';
	name = name ? name : "-";
	if (s->rdonly) {
		snprintf(err, errsz, "%s: the store is open read-only", name);
		return DB_ERR_READONLY;
	}
	if ((im = calloc(1, sizeof(*im))) == NULL) {
		snprintf(err, errsz, "%s: out of memory", name);
		return DB_ERR_NOMEM;
	}
	im->s = s;
	im->name = name;
	im->now = now;
	im->err = err;
	im->errsz = errsz;
	im->opts = opts;
	im->count = count;
	*out = im;
	return DB_OK;
}

int
db_import_run(struct db_import *im)
{
	int rc;

	db_import_index(im);
	rc = db_import_check_uids(im);
	if (rc == DB_OK)
		rc = db_import_write(im);
	return rc;
}

void
db_import_free(struct db_import *im)
{
	if (im == NULL)
		return;
	if (im->last)
		g_hash_table_destroy(im->last);
	buf_free(&im->arena);
	buf_free(&im->rows);
	free(im);
}
