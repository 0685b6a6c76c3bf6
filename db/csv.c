/*
 * csv.c - import consent records from CSV and export them as CSV or JSON.
 *
 * An import runs in two phases.  The first reads the whole file (RFC 4180
 * quoting, fields may span lines), checks every field and holds each row
 * compactly encoded in memory; the first bad line stops it with
 * "name:LINE: reason" before anything is written.  The second merges
 * every row, in file order, into the stored record through the consent
 * state machine (db_sm_merge_row, consent_sm.h) and writes each changed
 * record with its own evidence record, in transactions of
 * DB_IMPORT_BATCH records.  A row the machine refuses is reported and
 * skipped.
 *
 * Owns: the import's buffers and hash tables (freed before return) and the
 * transactions it begins.  Never logs; returns DB_* codes, with the reason
 * for an import failure in the caller's err buffer.
 */
#include "store_int.h"

#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/str.h"
#include "codec.h"
#include "consent_sm.h"
#include "evpii.h"

enum db_col {
	DB_COL_ADDRESS,
	DB_COL_STATE,
	DB_COL_UID,
	DB_COL_IP,
	DB_COL_CREATED,
	DB_COL_CONFIRMED,
	DB_COL_WITHDRAWN,
	DB_COL_SOURCE,
	DB_COL_TRACKING,
	DB_COL_DOI_SENT,
	DB_COL_DOI_MSGID,
	DB_COL_LISTS,
	DB_COL_WITHDRAWN_LISTS,
	DB_COL_COUNT
};

static const char *const db_col_names[DB_COL_COUNT] = {
	"address", "state", "uid", "ip", "created", "confirmed", "withdrawn",
	"source", "tracking", "doi_sent", "doi_msgid", "lists", "withdrawn_lists"};

#define DB_BIT(col) (1u << (col))
#define DB_CSV_FIELDS_MAX DB_COL_COUNT
#define DB_CSV_RECORD_MAX 65536 /* bytes in one record, all fields */

/* One record being read: its fields, NUL-terminated, inside rec. */
struct db_csv {
	FILE *f;
	char *line;
	size_t linecap;
	unsigned long lineno; /* physical lines read so far */
	unsigned long start;  /* line the current record starts on */
	struct buf rec;
	size_t off[DB_CSV_FIELDS_MAX];
	size_t nfields;
	const char *reason;   /* why the record is malformed */
	unsigned long reason_line;
};

/* A validated row: its address and encoded value inside the arena. */
struct db_import_row {
	size_t addr_off;
	size_t val_off;
	unsigned long line;
	unsigned int mask; /* DB_BIT of each column the row sets */
	unsigned int val_len;
};

struct db_import {
	struct db_store *s;
	const char *name;
	int64_t now;
	char *err;
	size_t errsz;
	int col[DB_CSV_FIELDS_MAX]; /* column of each field */
	size_t ncols;               /* fields per row; 0 without a header */
	unsigned int file_mask;     /* columns any row sets */
	struct buf arena;
	struct buf rows;            /* struct db_import_row[] */
	size_t nrows;
	GHashTable *last;           /* address -> index + 1 of its last row */
	const struct db_import_opts *opts;
	struct db_import_count *count;
	size_t nevidence;           /* evidence records written */
};

static struct db_import_row *
db_row(struct db_import *im, size_t i)
{
	return (struct db_import_row *)(void *)im->rows.data + i;
}

/* Record an import error for the line; returns DB_ERR_INVALID. */
static int db_import_fail(struct db_import *im, unsigned long line,
			  const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
db_import_fail(struct db_import *im, unsigned long line, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	snprintf(im->err, im->errsz, "%s:%lu: %s", im->name, line, reason);
	return DB_ERR_INVALID;
}

/* Note why the record is malformed; returns DB_ERR_INVALID. */
static int
db_csv_bad(struct db_csv *r, unsigned long line, const char *reason)
{
	r->reason = reason;
	r->reason_line = line;
	return DB_ERR_INVALID;
}

/* Read the next physical line without its line ending.  1, 0 at EOF, <0. */
static int
db_csv_getline(struct db_csv *r)
{
	ssize_t n = getline(&r->line, &r->linecap, r->f);

	if (n < 0)
		return ferror(r->f) ? DB_ERR_IO : 0;
	r->lineno++;
	if ((size_t)n != strlen(r->line))
		return db_csv_bad(r, r->lineno, "NUL byte in line");
	if (n > 0 && r->line[n - 1] == '\n')
		r->line[--n] = '\0';
	if (n > 0 && r->line[n - 1] == '\r')
		r->line[--n] = '\0';
	if (r->lineno == 1 && strncmp(r->line, "\xef\xbb\xbf", 3) == 0)
		memmove(r->line, r->line + 3, (size_t)n - 2);
	return 1;
}

/* A quoted field starting after its opening quote at *pp. */
static int
db_csv_quoted(struct db_csv *r, const char **pp)
{
	const char *p = *pp;
	size_t n;
	int rc;

	for (;;) {
		n = strcspn(p, "\"");
		if (buf_append(&r->rec, p, n) < 0)
			return DB_ERR_NOMEM;
		p += n;
		if (r->rec.len > DB_CSV_RECORD_MAX)
			return db_csv_bad(r, r->start,
					  "record longer than 65536 bytes");
		if (*p == '"' && p[1] == '"') {
			if (buf_putc(&r->rec, '"') < 0)
				return DB_ERR_NOMEM;
			p += 2;
		} else if (*p == '"') {
			*pp = p + 1;
			return DB_OK;
		} else {
			/* The field goes on in the next physical line. */
			if ((rc = db_csv_getline(r)) == 0)
				return db_csv_bad(r, r->start,
						  "unterminated quoted field");
			if (rc < 0)
				return rc;
			if (buf_putc(&r->rec, '\n') < 0)
				return DB_ERR_NOMEM;
			p = r->line;
		}
	}
}

/* Split the record that starts in r->line into fields. */
static int
db_csv_fields(struct db_csv *r)
{
	const char *p = r->line;
	size_t n;
	int rc;

	buf_reset(&r->rec);
	r->nfields = 0;
	for (;;) {
		if (r->nfields == DB_CSV_FIELDS_MAX)
			return db_csv_bad(r, r->start, "too many fields");
		r->off[r->nfields++] = r->rec.len;
		if (*p == '"') {
			p++;
			if ((rc = db_csv_quoted(r, &p)) != DB_OK)
				return rc;
			if (*p != ',' && *p != '\0')
				return db_csv_bad(r, r->lineno,
						  "text after a closing quote");
		} else {
			n = strcspn(p, ",\"");
			if (p[n] == '"')
				return db_csv_bad(r, r->lineno,
						  "quote inside an unquoted field");
			if (buf_append(&r->rec, p, n) < 0)
				return DB_ERR_NOMEM;
			p += n;
		}
		if (buf_putc(&r->rec, '\0') < 0)
			return DB_ERR_NOMEM;
		if (*p++ == '\0')
			return DB_OK;
	}
}

/* Read the next non-empty record.  1, 0 at EOF, or <0 (r->reason set for
 * DB_ERR_INVALID). */
static int
db_csv_read(struct db_csv *r)
{
	int rc;

	do {
		if ((rc = db_csv_getline(r)) <= 0)
			return rc;
	} while (r->line[0] == '\0');
	r->start = r->lineno;
	rc = db_csv_fields(r);
	if (rc == DB_OK && r->rec.len > DB_CSV_RECORD_MAX)
		rc = db_csv_bad(r, r->start, "record longer than 65536 bytes");
	return rc == DB_OK ? 1 : rc;
}

static char *
db_csv_field(struct db_csv *r, size_t i)
{
	return r->rec.data + r->off[i];
}

/*
 * Map the columns: a first record naming an "address" column is a header
 * (returns 1); otherwise the columns are address[,state[,uid]] (DB_OK).
 */
static int
db_import_header(struct db_import *im, struct db_csv *r)
{
	unsigned int seen = 0;
	size_t i;
	int c;

	for (i = 0; i < 3; i++)
		im->col[i] = (int)i;
	for (i = 0; i < r->nfields; i++)
		if (strcasecmp(str_trim(db_csv_field(r, i)), "address") == 0)
			break;
	if (i == r->nfields)
		return DB_OK;
	for (i = 0; i < r->nfields; i++) {
		const char *name = str_trim(db_csv_field(r, i));

		for (c = 0; c < DB_COL_COUNT; c++)
			if (strcasecmp(name, db_col_names[c]) == 0)
				break;
		if (c == DB_COL_COUNT)
			return db_import_fail(im, r->start,
					      "unknown column '%.60s'", name);
		if (seen & DB_BIT(c))
			return db_import_fail(im, r->start,
					      "column '%s' given twice", name);
		seen |= DB_BIT(c);
		im->col[i] = c;
	}
	im->ncols = r->nfields;
	return 1;
}

/* Parse a time column; an empty cell is 0, or absent for created. */
static const char *
db_import_time(char *v, int col, int64_t *t, unsigned int *mask)
{
	v = str_trim(v);
	*t = 0;
	if (*v == '\0' && col == DB_COL_CREATED)
		*mask &= ~DB_BIT(col);
	else if (*v != '\0' && db_time_parse(v, t) != DB_OK)
		return "bad time (want 2026-01-02T03:04:05Z or unix seconds)";
	return NULL;
}

/* Copy v into a field of max bytes; NULL or the reason it does not fit. */
static const char *
db_import_text(char *dst, const char *v, size_t max, const char *toolong)
{
	size_t n = strlen(v);

	if (n > max)
		return toolong;
	memcpy(dst, v, n + 1);
	return NULL;
}

/* The names of a lists cell ("news;offers") into c's lists, each with
 * state; NULL or a reason. */
static const char *
db_import_lists(char *v, int state, struct db_consent *c)
{
	char *tok, *save = NULL;
	unsigned int i;

	for (tok = strtok_r(v, ";", &save); tok;
	     tok = strtok_r(NULL, ";", &save)) {
		tok = str_trim(tok);
		if (*tok == '\0')
			continue;
		if (!db_list_name_valid(tok))
			return "a list name is 1-32 of a-z, 0-9, '.', '_', '-'";
		for (i = 0; i < c->nlists; i++)
			if (strcmp(c->lists[i].name, tok) == 0)
				return "a list is named twice";
		if (c->nlists == DB_LISTS_MAX)
			return "more than 16 lists";
		memset(&c->lists[c->nlists], 0, sizeof(c->lists[0]));
		memcpy(c->lists[c->nlists].name, tok, strlen(tok) + 1);
		c->lists[c->nlists++].state = state;
	}
	return NULL;
}

/* Interpret field v of column col into c.  NULL or a reason. */
static const char *
db_import_value(int col, char *v, struct db_consent *c, unsigned int *mask,
		char *addr)
{
	int64_t *times[DB_COL_COUNT] = {
		[DB_COL_CREATED] = &c->created, [DB_COL_CONFIRMED] = &c->confirmed,
		[DB_COL_WITHDRAWN] = &c->withdrawn, [DB_COL_DOI_SENT] = &c->doi_sent};

	*mask |= DB_BIT(col);
	if (times[col])
		return db_import_time(v, col, times[col], mask);
	switch (col) {
	case DB_COL_ADDRESS:
		return addr_normalise(v, addr, ADDR_MAX + 1) < 0
			       ? "invalid address" : NULL;
	case DB_COL_STATE:
		v = str_trim(v);
		if (*v == '\0')
			*mask &= ~DB_BIT(col);
		else if ((c->state = db_state_parse(v)) < 0)
			return "unknown state (want pending, confirmed, "
			       "withdrawn or customer)";
		return NULL;
	case DB_COL_UID:
		return db_import_text(c->uid, str_trim(v), DB_UID_MAX,
				      "uid longer than 128 bytes");
	case DB_COL_IP:
		return db_import_text(c->ip, str_trim(v), DB_IP_MAX,
				      "ip longer than 45 bytes");
	case DB_COL_SOURCE:
		return db_import_text(c->source, v, DB_SOURCE_MAX,
				      "source longer than 200 bytes");
	case DB_COL_DOI_MSGID:
		return db_import_text(c->doi_msgid, str_trim(v), DB_MSGID_MAX,
				      "doi_msgid longer than 250 bytes");
	case DB_COL_LISTS:
		return db_import_lists(v, DB_STATE_PENDING, c);
	case DB_COL_WITHDRAWN_LISTS:
		return db_import_lists(v, DB_STATE_WITHDRAWN, c);
	case DB_COL_TRACKING:
		v = str_trim(v);
		if (*v == '\0' || strcasecmp(v, "no") == 0 || strcmp(v, "0") == 0)
			c->tracking = 0;
		else if (strcasecmp(v, "yes") == 0 || strcmp(v, "1") == 0)
			c->tracking = 1;
		else
			return "tracking must be yes, no, 1 or 0";
		return NULL;
	}
	return "internal error: unknown column";
}

/* Store a validated row in the arena. */
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
	im->nrows++;
	im->file_mask |= mask;
	return DB_OK;
}

/* Check one data record and keep it. */
static int
db_import_row_parse(struct db_import *im, struct db_csv *r)
{
	char addr[ADDR_MAX + 1] = "";
	struct db_consent c;
	unsigned int mask = 0;
	const char *why;
	size_t i;

	if (im->ncols && r->nfields != im->ncols)
		return db_import_fail(im, r->start,
				      "%zu fields, the header has %zu",
				      r->nfields, im->ncols);
	if (!im->ncols && r->nfields > 3)
		return db_import_fail(im, r->start, "too many fields (without "
				      "a header: address[,state[,uid]])");
	memset(&c, 0, sizeof(c));
	c.state = DB_STATE_PENDING; /* placeholder when the row has none */
	for (i = 0; i < r->nfields; i++) {
		int col = im->col[i];
		char *v = db_csv_field(r, i);

		why = db_import_value(col, v, &c, &mask, addr);
		if (why != NULL)
			return db_import_fail(im, r->start, "%s '%.60s': %s",
					      db_col_names[col], str_trim(v),
					      why);
	}
	if ((why = db_consent_check(&c)) != NULL)
		return db_import_fail(im, r->start, "%s", why);
	return db_import_keep(im, r->start, addr, &c, mask);
}

/* Phase one: read and check every record of f. */
static int
db_import_read(struct db_import *im, FILE *f)
{
	struct db_csv r;
	int rc, first = 1;

	memset(&r, 0, sizeof(r));
	r.f = f;
	while ((rc = db_csv_read(&r)) == 1) {
		if (first) {
			first = 0;
			rc = db_import_header(im, &r);
			if (rc == 1)
				continue;
			if (rc != DB_OK)
				break;
		}
		if ((rc = db_import_row_parse(im, &r)) != DB_OK)
			break;
	}
	if (rc == DB_ERR_INVALID && r.reason != NULL)
		db_import_fail(im, r.reason_line, "%s", r.reason);
	else if (rc == DB_ERR_IO)
		snprintf(im->err, im->errsz, "%s: read error: %s", im->name,
			 strerror(errno));
	else if (rc == DB_ERR_NOMEM)
		snprintf(im->err, im->errsz, "%s: out of memory", im->name);
	free(r.line);
	buf_free(&r.rec);
	return rc < 0 ? rc : DB_OK;
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
	return GPOINTER_TO_SIZE(g_hash_table_lookup(im->last,
			db_import_addr(im, i))) == i + 1;
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
	if (j && (db_row(im, j - 1)->mask & DB_BIT(DB_COL_UID)) &&
	    db_import_decode(im, j - 1, &oc) == DB_OK &&
	    strcmp(oc.uid, c->uid) != 0)
		return DB_OK;
	return db_import_fail(im, db_row(im, i)->line,
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

	if (!(im->file_mask & DB_BIT(DB_COL_UID)))
		return DB_OK;
	if ((rc = db_txn_begin(im->s, 1, &txn)) != DB_OK) {
		snprintf(im->err, im->errsz, "%s: %s", im->name,
			 db_strerror(rc));
		return rc;
	}
	uids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (i = 0; rc == DB_OK && i < im->nrows; i++) {
		if (!(db_row(im, i)->mask & DB_BIT(DB_COL_UID)) ||
		    !db_import_final(im, i) ||
		    db_import_decode(im, i, &c) != DB_OK || c.uid[0] == '\0')
			continue;
		other = GPOINTER_TO_SIZE(g_hash_table_lookup(uids, c.uid));
		if (other) {
			rc = db_import_fail(im, db_row(im, i)->line,
					    "uid '%s' is also given to %s on "
					    "line %lu", c.uid,
					    db_import_addr(im, other - 1),
					    db_row(im, other - 1)->line);
			break;
		}
		g_hash_table_insert(uids, g_strdup(c.uid),
				    GSIZE_TO_POINTER(i + 1));
		rc = db_import_check_owner(im, txn, i, &c);
	}
	mdb_txn_abort(txn);
	g_hash_table_destroy(uids);
	return rc;
}

_Static_assert(DB_COL_STATE - 1 == DB_ROW_STATE &&
	       DB_COL_DOI_MSGID - 1 == DB_ROW_DOI_MSGID &&
	       DB_COL_SOURCE - 1 == DB_ROW_SOURCE &&
	       DB_COL_LISTS - 1 == DB_ROW_LISTS &&
	       DB_COL_WITHDRAWN_LISTS - 1 == DB_ROW_WITHDRAWN_LISTS,
	       "the row fields of consent_sm.h follow the CSV columns");

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
	db_sm_merge_row(have ? &cur : NULL, &in, db_row(im, i)->mask >> 1,
			im->now, where, im->opts->force, &out, &res);
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
		mdb_txn_abort(txn);
	if (rc != DB_OK) {
		snprintf(im->err, im->errsz,
			 "%s: %s after %zu records were written", im->name,
			 db_strerror(rc), written);
		im->count->changed = written;
	}
	return rc;
}

int
db_import_csv_opts(struct db_store *s, FILE *f, const char *name,
		   int64_t now, const struct db_import_opts *opts,
		   struct db_import_count *count, char *err, size_t errsz)
{
	struct db_import im;
	int rc;

	memset(count, 0, sizeof(*count));
	if (errsz)
		err[0] = '\0';
	memset(&im, 0, sizeof(im));
	im.s = s;
	im.name = name ? name : "-";
	im.now = now;
	im.err = err;
	im.errsz = errsz;
	im.opts = opts;
	im.count = count;
	if (s->rdonly) {
		snprintf(err, errsz, "%s: the store is open read-only",
			 im.name);
		return DB_ERR_READONLY;
	}
	rc = db_import_read(&im, f);
	if (rc == DB_OK) {
		db_import_index(&im);
		rc = db_import_check_uids(&im);
	}
	if (rc == DB_OK)
		rc = db_import_write(&im);
	if (im.last)
		g_hash_table_destroy(im.last);
	buf_free(&im.arena);
	buf_free(&im.rows);
	return rc;
}

int
db_import_csv(struct db_store *s, FILE *f, const char *name, int64_t now,
	      size_t *count, char *err, size_t errsz)
{
	struct db_import_opts opts;
	struct db_import_count n;
	int rc;

	memset(&opts, 0, sizeof(opts));
	rc = db_import_csv_opts(s, f, name, now, &opts, &n, err, errsz);
	*count = n.changed;
	return rc;
}

/* Export state shared by the record callbacks. */
struct db_export {
	FILE *out;
	int json;
	size_t n;
	struct buf b;
};

/* Append one CSV field, quoted when it holds a comma, quote, line break
 * or surrounding white space (RFC 4180). */
static int
db_csv_put(struct buf *b, const char *s, int first)
{
	size_t n = strlen(s);
	int r = first ? 0 : buf_putc(b, ',');

	if (strpbrk(s, ",\"\r\n") == NULL && !(n > 0 &&
	    (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' ||
	     s[n - 1] == '\t')))
		return r | buf_append(b, s, n);
	r |= buf_putc(b, '"');
	for (; *s; s++)
		r |= *s == '"' ? buf_puts(b, "\"\"") : buf_putc(b, *s);
	return r | buf_putc(b, '"');
}

/* A time for export: "" (or JSON null) when unset. */
static const char *
db_export_time(int64_t t, char *out, size_t outsz)
{
	if (t == 0) {
		out[0] = '\0';
		return out;
	}
	return db_time_format(t, out, outsz);
}

/*
 * The lists of c for an export: in_state the lists in the record's state
 * (every list of a withdrawn record), withdrawn_alone the lists withdrawn
 * on their own while the record is not; each as names separated by sep
 * (JSON: quoted strings).  A list pending beside a confirmed one is not
 * written (it holds no consent).
 */
static int
db_export_lists(struct buf *b, const struct db_consent *c, int withdrawn_alone,
		int json)
{
	struct db_consent m;
	unsigned int i;
	int r = 0, n = 0, st, rec = db_consent_effective_state(c);

	db_consent_lists_of(c, &m);
	for (i = 0; i < m.nlists; i++) {
		st = db_consent_list_state(&m, m.lists[i].name);
		if (withdrawn_alone ? !(st == DB_STATE_WITHDRAWN &&
					rec != DB_STATE_WITHDRAWN)
				    : st != rec)
			continue;
		if (n++)
			r |= buf_putc(b, json ? ',' : ';');
		if (json)
			r |= db_json_string(b, m.lists[i].name);
		else
			r |= buf_puts(b, m.lists[i].name);
	}
	return r;
}

static int
db_export_csv_row(struct buf *b, const char *addr, const struct db_consent *c)
{
	struct buf l = BUF_INIT, w = BUF_INIT;
	char t[4][DB_TIME_MAX];
	int r;

	/* created is always written, so an unknown one (0) re-imports as
	 * 0 rather than as the time of the import. */
	db_time_format(c->created, t[0], sizeof(t[0]));
	db_export_time(c->confirmed, t[1], sizeof(t[1]));
	db_export_time(c->withdrawn, t[2], sizeof(t[2]));
	db_export_time(c->doi_sent, t[3], sizeof(t[3]));
	r = db_csv_put(b, addr, 1);
	r |= db_csv_put(b, db_state_name(c->state), 0);
	r |= db_csv_put(b, c->uid, 0);
	r |= db_csv_put(b, c->ip, 0);
	r |= db_csv_put(b, t[0], 0);
	r |= db_csv_put(b, t[1], 0);
	r |= db_csv_put(b, t[2], 0);
	r |= db_csv_put(b, c->source, 0);
	r |= db_csv_put(b, c->tracking ? "yes" : "no", 0);
	r |= db_csv_put(b, t[3], 0);
	r |= db_csv_put(b, c->doi_msgid, 0);
	r |= db_export_lists(&l, c, 0, 0) | db_export_lists(&w, c, 1, 0);
	r |= db_csv_put(b, l.data ? l.data : "", 0);
	r |= db_csv_put(b, w.data ? w.data : "", 0);
	buf_free(&l);
	buf_free(&w);
	return r | buf_puts(b, "\r\n");
}

/* Append ,"name":"time" or ,"name":null. */
static int
db_json_time(struct buf *b, const char *name, int64_t t)
{
	char when[DB_TIME_MAX];

	if (t == 0)
		return buf_printf(b, ",\"%s\":null", name);
	return buf_printf(b, ",\"%s\":\"%s\"", name,
			  db_time_format(t, when, sizeof(when)));
}

static int
db_export_json_row(struct buf *b, const char *addr,
		   const struct db_consent *c)
{
	int r;

	r = buf_puts(b, "{\"address\":");
	r |= db_json_string(b, addr);
	r |= buf_printf(b, ",\"state\":\"%s\",\"uid\":",
			db_state_name(c->state));
	r |= db_json_string(b, c->uid);
	r |= buf_puts(b, ",\"ip\":");
	r |= db_json_string(b, c->ip);
	r |= db_json_time(b, "created", c->created);
	r |= db_json_time(b, "confirmed", c->confirmed);
	r |= db_json_time(b, "withdrawn", c->withdrawn);
	r |= buf_puts(b, ",\"source\":");
	r |= db_json_string(b, c->source);
	r |= buf_printf(b, ",\"tracking\":%s",
			c->tracking ? "true" : "false");
	r |= db_json_time(b, "doi_sent", c->doi_sent);
	r |= buf_puts(b, ",\"doi_msgid\":");
	r |= db_json_string(b, c->doi_msgid);
	r |= buf_puts(b, ",\"lists\":[");
	r |= db_export_lists(b, c, 0, 1);
	r |= buf_puts(b, "],\"withdrawn_lists\":[");
	r |= db_export_lists(b, c, 1, 1);
	return r | buf_puts(b, "]}");
}

static int
db_export_cb(const char *addr, const struct db_consent *c, void *arg)
{
	struct db_export *x = arg;
	int r;

	buf_reset(&x->b);
	if (x->json) {
		r = buf_puts(&x->b, x->n ? ",\n" : "[\n");
		if (r == 0)
			r = db_export_json_row(&x->b, addr, c);
	} else
		r = db_export_csv_row(&x->b, addr, c);
	if (r != 0)
		return DB_ERR_NOMEM;
	x->n++;
	if (fwrite(x->b.data, 1, x->b.len, x->out) != x->b.len)
		return DB_ERR_IO;
	return 0;
}

int
db_export(struct db_store *s, FILE *out, int json)
{
	struct db_export x;
	int c, rc;

	memset(&x, 0, sizeof(x));
	x.out = out;
	x.json = json;
	if (!json)
		for (c = 0; c < DB_COL_COUNT; c++)
			fprintf(out, "%s%s", c ? "," : "", db_col_names[c]);
	if (!json)
		fputs("\r\n", out);
	rc = db_consent_foreach(s, db_export_cb, &x);
	if (json && rc == DB_OK)
		fputs(x.n ? "\n]\n" : "[]\n", out);
	buf_free(&x.b);
	if (rc == DB_OK && (fflush(out) != 0 || ferror(out)))
		rc = DB_ERR_IO;
	return rc;
}
