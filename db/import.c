/*
 * import.c - the writing half of a consent import: the passes over the
 * rows a format reader (fmt/import.c) streams in, and the merge of each
 * row into the store.
 *
 * The reader reads its file once per pass (db_import_next).  The check
 * pass and, when needed, a verify pass decide the uid rule before anything
 * is written (import_check.c, in memory of 16 bytes per row, not the rows
 * themselves); the write pass then merges every row into the stored record
 * through the consent state machine (db_sm_merge_row, consent_sm.h) and
 * writes each changed record with its own evidence record.  Rows are held
 * for one window of DB_IMPORT_WINDOW rows and written in address order
 * (the rows of one address in file order), DB_IMPORT_BATCH rows per short
 * write transaction, so other writers (the milter's evidence) wait at most
 * one batch: in address order a batch touches a few neighbouring pages of
 * the consent table instead of one page per row (measured on random-order
 * files: 3M rows 67 s -> 39 s, 10M rows ~255 s -> 207 s; a window of
 * 200,000 rows gave the same at 3M and 250 s at 10M, where the table has
 * more pages than the window has rows).  The evidence of one
 * window is therefore in address order; each record names its FILE:LINE.
 * A row the machine refuses is reported and skipped; opts->note hears
 * every row in file order once its window is written.  A file whose rows
 * differ between passes stops the import.
 *
 * Owns: the rows of one window (freed by db_import_free) and the
 * transactions it begins.  Never logs; returns DB_* codes, with the reason
 * for a failure in the caller's err buffer ("name:LINE: reason").
 */
#include "import_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "consent_sm.h"
#include "evpii.h"

/* A row of the batch: its address and encoded value inside the arena. */
struct db_import_row {
	size_t addr_off;
	size_t val_off;
	unsigned long line;
	unsigned int mask; /* 1 << DB_ROW_* of each field the row sets */
	unsigned int val_len;
};

static struct db_import_row *
db_row(struct db_import *im, size_t i)
{
	return (struct db_import_row *)(void *)im->rows.data + i;
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

/* Keep what opts->note is to hear of row i. */
static int
db_import_keep_res(struct db_import *im, size_t i,
		   const struct db_sm_result *res)
{
	struct db_import_res *r = &im->res[i];

	r->outcome = (signed char)res->outcome;
	r->forced = (signed char)res->forced;
	r->before = (signed char)res->before;
	r->after = (signed char)res->after;
	r->code = res->code;
	r->why_off = (unsigned int)im->why.len;
	if (res->outcome != DB_SM_REFUSED)
		return 0;
	return buf_append(&im->why, res->why, strlen(res->why) + 1);
}

/* Tell opts->note the outcome of every row of the window that was
 * reached, in file order. */
static void
db_import_tell(struct db_import *im)
{
	struct db_sm_result res;
	size_t i;

	if (im->opts->note == NULL)
		return;
	for (i = 0; i < im->nbatch; i++) {
		const struct db_import_res *r = &im->res[i];

		if (r->outcome < 0)
			continue;
		memset(&res, 0, sizeof(res));
		res.outcome = r->outcome;
		res.forced = r->forced;
		res.before = r->before;
		res.after = r->after;
		res.code = r->code;
		if (r->outcome == DB_SM_REFUSED)
			snprintf(res.why, sizeof(res.why), "%s",
				 im->why.data + r->why_off);
		im->opts->note(im->opts->arg, db_row(im, i)->line,
			       db_import_addr(im, i), &res);
	}
}

/* Address order for the rows of the window (qsort_r); one address's rows
 * keep their file order. */
static int
db_import_cmp(const void *a, const void *b, void *arg)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(db_import_addr(arg, i), db_import_addr(arg, j));

	return c ? c : (i > j) - (i < j);
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
	if (im->opts->note && db_import_keep_res(im, i, &res) < 0)
		return DB_ERR_NOMEM;
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

/* Rows held and sorted at a time. */
static size_t
db_import_window(const struct db_import *im)
{
	return im->opts->window ? im->opts->window : DB_IMPORT_WINDOW;
}

/* Write rows order[from..to) in one transaction (a read transaction,
 * never written, for a dry run). */
static int
db_import_batch(struct db_import *im, size_t from, size_t to)
{
	MDB_txn *txn = NULL;
	struct timespec t0, t1;
	unsigned long ms;
	size_t k;
	int rc, dry = im->opts->dry_run;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = db_txn_begin(im->s, dry, &txn);
	for (k = from; rc == DB_OK && k < to; k++)
		rc = db_import_put(im, txn, im->order[k]);
	if (rc == DB_OK && !dry) {
		rc = db_txn_commit(txn);
		txn = NULL;
		if (rc == DB_OK)
			im->written = im->count->changed;
	}
	if (txn != NULL)
		db_txn_abort(txn);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (unsigned long)((t1.tv_sec - t0.tv_sec) * 1000 +
			     (t1.tv_nsec - t0.tv_nsec) / 1000000);
	if (ms > im->count->batch_ms_max)
		im->count->batch_ms_max = ms;
	return rc;
}

/* Write the rows of the window in address order, DB_IMPORT_BATCH per
 * transaction, then tell opts->note about them in file order. */
static int
db_import_flush(struct db_import *im)
{
	size_t i, n = im->nbatch;
	int rc = DB_OK;

	if (n == 0)
		return DB_OK;
	if (im->order == NULL &&
	    ((im->order = malloc(db_import_window(im) * sizeof(*im->order))) == NULL ||
	     (im->res = malloc(db_import_window(im) * sizeof(*im->res))) == NULL))
		rc = DB_ERR_NOMEM;
	for (i = 0; rc == DB_OK && i < n; i++) {
		im->order[i] = i;
		im->res[i].outcome = -1;
	}
	if (rc == DB_OK)
		qsort_r(im->order, n, sizeof(*im->order), db_import_cmp, im);
	for (i = 0; rc == DB_OK && i < n; i += DB_IMPORT_BATCH)
		rc = db_import_batch(im, i, i + DB_IMPORT_BATCH < n
						    ? i + DB_IMPORT_BATCH
						    : n);
	if (im->res != NULL)
		db_import_tell(im);
	im->nbatch = 0;
	buf_reset(&im->arena);
	buf_reset(&im->rows);
	buf_reset(&im->why);
	if (rc != DB_OK) {
		snprintf(im->err, im->errsz,
			 "%s: %s after %zu records were written", im->name,
			 db_strerror(rc), im->written);
		im->count->changed = im->written;
	}
	return rc;
}

/* Keep one row of the write pass; a full window is written. */
static int
db_import_keep(struct db_import *im, unsigned long line, const char *addr,
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
	if (++im->nbatch == db_import_window(im))
		return db_import_flush(im);
	return DB_OK;
}

int
db_import_add(struct db_import *im, unsigned long line, const char *addr,
	      const struct db_consent *c, unsigned int mask)
{
	uint64_t h = db_import_hash(im->ck.key, addr, strlen(addr));
	int rc;

	if (im->pass != DB_IMPORT_CHECK && im->row >= im->nrows)
		return db_import_error(im, line, "the file changed while it "
				       "was imported (more rows than before); "
				       "%zu records were written", im->written);
	im->digest = im->digest * 0x100000001b3ull ^ h ^ mask ^
		     ((uint64_t)line << 20);
	if (im->pass == DB_IMPORT_WRITE)
		rc = db_import_keep(im, line, addr, c, mask);
	else
		rc = db_import_check_row(im, addr, c, mask, line);
	im->file_mask |= mask;
	im->row++;
	return rc;
}

/* The rows of this pass were those of the check pass. */
static int
db_import_same(struct db_import *im)
{
	if (im->row == im->nrows && im->digest == im->digest0)
		return DB_OK;
	snprintf(im->err, im->errsz, "%s: the file changed while it was "
		 "imported; %zu records were written", im->name, im->written);
	return DB_ERR_INVALID;
}

/* The pass after the check or verify pass. */
static int
db_import_checked(struct db_import *im)
{
	int rc;

	if (im->pass == DB_IMPORT_CHECK) {
		im->nrows = im->row;
		im->digest0 = im->digest;
	} else if ((rc = db_import_same(im)) != DB_OK)
		return rc;
	rc = db_import_check_end(im);
	if (rc == 2 && im->ck.attempts >= 4) {
		snprintf(im->err, im->errsz, "%s: addresses keep sharing a "
			 "hash; try again", im->name);
		return DB_ERR_INVALID;
	}
	if (rc == 2) {
		im->pass = DB_IMPORT_CHECK;
		im->file_mask = 0;
		return db_import_check_begin(im);
	}
	if (rc < 0)
		return rc;
	im->pass = rc == 1 ? DB_IMPORT_VERIFY : DB_IMPORT_WRITE;
	if (im->pass == DB_IMPORT_WRITE)
		db_import_check_free(im);
	return DB_OK;
}

int
db_import_next(struct db_import *im)
{
	int rc = DB_OK;

	switch (im->pass) {
	case DB_IMPORT_START:
		im->pass = DB_IMPORT_CHECK;
		rc = db_import_check_begin(im);
		break;
	case DB_IMPORT_CHECK:
	case DB_IMPORT_VERIFY:
		rc = db_import_checked(im);
		break;
	case DB_IMPORT_WRITE:
		if ((rc = db_import_flush(im)) == DB_OK)
			rc = db_import_same(im);
		im->pass = DB_IMPORT_DONE;
		return rc < 0 ? rc : 0;
	case DB_IMPORT_DONE:
		return 0;
	}
	im->row = 0;
	im->digest = 0;
	return rc < 0 ? rc : 1;
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

void
db_import_free(struct db_import *im)
{
	if (im == NULL)
		return;
	db_import_check_free(im);
	buf_free(&im->arena);
	buf_free(&im->rows);
	buf_free(&im->why);
	free(im->order);
	free(im->res);
	free(im);
}
