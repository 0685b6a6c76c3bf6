/*
 * import_check.c - the uid check of a streamed import (see db_import_next
 * in store.h): every uid the rows leave set belongs to one address only,
 * also against the store, decided before anything is written.
 *
 * Only the last row of each address counts.  The check pass keeps two
 * keyed 64-bit hashes per row (address, uid: 16 bytes, not the row) and
 * asks the store who holds each uid; then an open-addressing table of
 * address hashes finds the last row of each address, and one of uid hashes
 * the last rows that share a uid hash.  Hashes only point at candidates:
 * the rare rows that share a hash are compared as strings in a verify pass
 * (two addresses with one hash: a new key and the check starts over), and
 * a uid the store gives to another address is settled with that address's
 * last row read back as text.  So the result is exact.  Memory: 16 bytes a
 * row and two tables of 4 bytes a slot, plus the text of the rows that
 * share a hash (addresses given more than once, uids given twice) and of
 * the uids the store gives to other addresses - few in a usual file, but
 * as many as the file has of them.
 * Owns: the index in im->ck (db_import_check_free).  Never logs; a refused
 * file leaves "name:LINE: reason" of its first bad row in im->err.
 */
#include "import_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* store.h; here, below import.c, because the check reports rows too. */
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

#define BIT_FINAL 1u /* the last row of its address */
#define BIT_DUP 2u   /* shares its address hash with another row */
#define BIT_UCAND 4u /* a last row sharing its uid hash with another */
#define BIT_KEEP 8u  /* read back: an address a stored uid owner has */
#define DB_IMPORT_ROWS_MAX 0xfffffff0u

/* A uid of the file that the store gives to another address. */
struct db_import_owner {
	size_t row;
	unsigned long line;
	char *owner, *uid;
};

/* A row read back in the verify pass. */
struct db_import_seen {
	unsigned long line;
	unsigned int mask;
	char *addr, *uid;
};

static uint64_t
db_import_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

uint64_t
db_import_hash(const uint64_t key[2], const char *s, size_t n)
{
	uint64_t h = key[0] ^ (n * 0x9e3779b97f4a7c15ull), w;

	for (; n >= 8; n -= 8, s += 8) {
		memcpy(&w, s, 8);
		h = db_import_mix(h ^ w ^ key[1]) + w;
	}
	w = 0;
	memcpy(&w, s, n);
	return db_import_mix(h ^ w ^ key[1] ^ 0x5bd1e995u);
}

/* Note the first bad row in file order; on one row a uid given twice
 * (tie) comes before a uid held elsewhere, as the checks ran before. */
static void
db_import_bad(struct db_import *im, size_t row, unsigned long line, int tie,
	      const char *reason)
{
	if (row > im->ck.err_row || (row == im->ck.err_row && !tie))
		return;
	im->ck.err_row = row;
	snprintf(im->ck.err, sizeof(im->ck.err), "%s:%lu: %s", im->name, line,
		 reason);
}

static void
db_import_seen_free(gpointer p)
{
	struct db_import_seen *s = p;

	g_free(s->addr);
	g_free(s->uid);
	g_free(s);
}

void
db_import_check_free(struct db_import *im)
{
	struct db_import_check *ck = &im->ck;
	guint i;

	if (ck->txn)
		db_txn_abort(ck->txn);
	ck->txn = NULL;
	free(ck->ah);
	free(ck->uh);
	free(ck->atab);
	free(ck->bits);
	ck->ah = ck->uh = NULL;
	ck->atab = NULL;
	ck->bits = NULL;
	ck->cap = 0;
	for (i = 0; ck->owners && i < ck->owners->len; i++) {
		g_free(g_array_index(ck->owners, struct db_import_owner, i).owner);
		g_free(g_array_index(ck->owners, struct db_import_owner, i).uid);
	}
	if (ck->owners)
		g_array_free(ck->owners, TRUE);
	if (ck->addr)
		g_hash_table_destroy(ck->addr);
	if (ck->uid)
		g_hash_table_destroy(ck->uid);
	if (ck->rows)
		g_hash_table_destroy(ck->rows);
	ck->owners = NULL;
	ck->addr = ck->uid = ck->rows = NULL;
}

/* Start (or restart with a new key) the check pass. */
int
db_import_check_begin(struct db_import *im)
{
	struct db_import_check *ck = &im->ck;
	struct timespec ts;
	int rc;

	db_import_check_free(im);
	clock_gettime(CLOCK_REALTIME, &ts);
	ck->key[0] = db_import_mix((uint64_t)ts.tv_nsec ^ (uint64_t)getpid() ^
				   ((uint64_t)ck->attempts << 40));
	ck->key[1] = db_import_mix(ck->key[0] ^ (uint64_t)ts.tv_sec);
	ck->attempts++;
	ck->err_row = SIZE_MAX;
	ck->collision = 0;
	ck->err[0] = '\0';
	ck->owners = g_array_new(FALSE, FALSE, sizeof(struct db_import_owner));
	if ((rc = db_txn_begin(im->s, 1, &ck->txn)) != DB_OK)
		snprintf(im->err, im->errsz, "%s: %s", im->name,
			 db_strerror(rc));
	return rc;
}

/* Check pass: keep the row's hashes; ask the store who holds its uid. */
static int
db_import_check_index(struct db_import *im, const char *addr,
		      const struct db_consent *c, unsigned int mask,
		      unsigned long line)
{
	struct db_import_check *ck = &im->ck;
	struct db_import_owner o;
	char owner[ADDR_MAX + 1];
	size_t i = im->row, n;
	int rc;

	if (i >= DB_IMPORT_ROWS_MAX)
		return db_import_error(im, line, "more than %u rows",
				       DB_IMPORT_ROWS_MAX);
	if (i == ck->cap) {
		n = ck->cap ? ck->cap * 2 : 65536;
		uint64_t *a = realloc(ck->ah, n * sizeof(*a));

		if (a != NULL)
			ck->ah = a;
		a = a ? realloc(ck->uh, n * sizeof(*a)) : NULL;
		if (a == NULL)
			return DB_ERR_NOMEM;
		ck->uh = a;
		ck->cap = n;
	}
	ck->ah[i] = db_import_hash(ck->key, addr, strlen(addr));
	ck->uh[i] = 0;
	if (!(mask & DB_IMPORT_UID))
		return DB_OK;
	ck->uh[i] = c->uid[0] == '\0' ? 1 : db_import_hash(ck->key, c->uid,
							 strlen(c->uid)) | 2;
	if (c->uid[0] == '\0')
		return DB_OK;
	/* A new snapshot now and then: a long check must not pin pages the
	 * milter's writes would reuse. */
	if (++ck->lookups % DB_IMPORT_BATCH == 0) {
		db_txn_abort(ck->txn);
		ck->txn = NULL;
		if ((rc = db_txn_begin(im->s, 1, &ck->txn)) != DB_OK) {
			snprintf(im->err, im->errsz, "%s: %s", im->name,
				 db_strerror(rc));
			return rc;
		}
	}
	rc = db_uid_owner_txn(im->s, ck->txn, c->uid, owner, sizeof(owner));
	if (rc == DB_NOTFOUND || rc == DB_ERR_CORRUPT ||
	    (rc == DB_OK && strcmp(owner, addr) == 0))
		return DB_OK;
	if (rc != DB_OK) {
		snprintf(im->err, im->errsz, "%s: %s", im->name,
			 db_strerror(rc));
		return rc;
	}
	o.row = i;
	o.line = line;
	o.owner = g_strdup(owner);
	o.uid = g_strdup(c->uid);
	g_array_append_val(ck->owners, o);
	return DB_OK;
}

/* Verify pass: the strings of the rows that share a hash. */
static int
db_import_check_verify(struct db_import *im, const char *addr,
		       const struct db_consent *c, unsigned int mask,
		       unsigned long line)
{
	struct db_import_check *ck = &im->ck;
	size_t i = im->row;
	unsigned int b = ck->bits[i];
	struct db_import_seen *s, *first;
	const char *other;
	char why[256];

	if (b & BIT_DUP) {
		other = g_hash_table_lookup(ck->addr, &ck->ah[i]);
		if (other == NULL)
			g_hash_table_insert(ck->addr, &ck->ah[i],
					    g_strdup(addr));
		else if (strcmp(other, addr) != 0)
			ck->collision = 1; /* two addresses, one hash */
	}
	if (!(b & (BIT_UCAND | BIT_KEEP)))
		return DB_OK;
	s = g_new0(struct db_import_seen, 1);
	s->line = line;
	s->mask = mask;
	s->addr = g_strdup(addr);
	s->uid = g_strdup(c->uid);
	g_hash_table_insert(ck->rows, GSIZE_TO_POINTER(i + 1), s);
	if (!(b & BIT_UCAND))
		return DB_OK;
	first = g_hash_table_lookup(ck->uid, s->uid);
	if (first == NULL) {
		g_hash_table_insert(ck->uid, s->uid, s);
		return DB_OK;
	}
	snprintf(why, sizeof(why), "uid '%s' is also given to %s on line %lu",
		 s->uid, first->addr, first->line);
	db_import_bad(im, i, line, 1, why);
	return DB_OK;
}

int
db_import_check_row(struct db_import *im, const char *addr,
		    const struct db_consent *c, unsigned int mask,
		    unsigned long line)
{
	if (im->pass == DB_IMPORT_CHECK)
		return db_import_check_index(im, addr, c, mask, line);
	if (im->row >= im->nrows || !(im->ck.bits[im->row] &
				      (BIT_DUP | BIT_UCAND | BIT_KEEP)))
		return DB_OK;
	return db_import_check_verify(im, addr, c, mask, line);
}

/* The table slot of hash h (linear probing). */
static size_t
db_import_slot(const struct db_import_check *ck, uint64_t h)
{
	size_t j = (size_t)h & ck->amask;

	while (ck->atab[j] && ck->ah[ck->atab[j] - 1] != h)
		j = (j + 1) & ck->amask;
	return j;
}

/* The last row of each address hash: BIT_FINAL, BIT_DUP. */
static int
db_import_check_last(struct db_import *im)
{
	struct db_import_check *ck = &im->ck;
	size_t i, j, size = 1024;

	while (size < im->nrows + im->nrows / 3 + 1)
		size *= 2;
	ck->amask = size - 1;
	ck->atab = calloc(size, sizeof(*ck->atab));
	ck->bits = calloc(im->nrows + 1, 1);
	if (ck->atab == NULL || ck->bits == NULL)
		return DB_ERR_NOMEM;
	for (i = 0; i < im->nrows; i++) {
		j = db_import_slot(ck, ck->ah[i]);
		ck->bits[i] = BIT_FINAL;
		if (ck->atab[j]) {
			ck->bits[ck->atab[j] - 1] &= ~BIT_FINAL;
			ck->bits[ck->atab[j] - 1] |= BIT_DUP;
			ck->bits[i] |= BIT_DUP;
		}
		ck->atab[j] = (uint32_t)(i + 1);
	}
	return DB_OK;
}

/* Last rows sharing a uid hash: BIT_UCAND (a table of uid hashes). */
static int
db_import_check_uids(struct db_import *im)
{
	struct db_import_check *ck = &im->ck;
	uint32_t *tab = calloc(ck->amask + 1, sizeof(*tab));
	size_t i, j;

	if (tab == NULL)
		return DB_ERR_NOMEM;
	for (i = 0; i < im->nrows; i++) {
		if (!(ck->bits[i] & BIT_FINAL) || ck->uh[i] < 2)
			continue;
		j = (size_t)ck->uh[i] & ck->amask;
		while (tab[j] && ck->uh[tab[j] - 1] != ck->uh[i])
			j = (j + 1) & ck->amask;
		if (tab[j]) {
			ck->bits[tab[j] - 1] |= BIT_UCAND;
			ck->bits[i] |= BIT_UCAND;
		} else
			tab[j] = (uint32_t)(i + 1);
	}
	free(tab);
	return DB_OK;
}

/* Uids the store gives to another address: that address must give the
 * uid up in the file; its last row is read back (BIT_KEEP). */
static int
db_import_check_owners(struct db_import *im, int settle)
{
	struct db_import_check *ck = &im->ck;
	struct db_import_owner *o;
	struct db_import_seen *s;
	char why[256];
	size_t j;
	guint k;
	uint64_t h;

	for (k = 0; k < ck->owners->len; k++) {
		o = &g_array_index(ck->owners, struct db_import_owner, k);
		if (!(ck->bits[o->row] & BIT_FINAL))
			continue;
		h = db_import_hash(ck->key, o->owner, strlen(o->owner));
		j = db_import_slot(ck, h);
		s = settle && ck->atab[j] ? g_hash_table_lookup(
			ck->rows, GSIZE_TO_POINTER((size_t)ck->atab[j]))
					  : NULL;
		if (!settle && ck->atab[j]) {
			ck->bits[ck->atab[j] - 1] |= BIT_KEEP;
			continue;
		}
		if (s != NULL && strcmp(s->addr, o->owner) == 0 &&
		    (s->mask & DB_IMPORT_UID) && strcmp(s->uid, o->uid) != 0)
			continue;
		snprintf(why, sizeof(why), "uid '%s' already belongs to %s",
			 o->uid, o->owner);
		db_import_bad(im, o->row, o->line, 0, why);
	}
	return DB_OK;
}

int
db_import_check_end(struct db_import *im)
{
	struct db_import_check *ck = &im->ck;
	int rc = DB_OK;
	size_t i;

	if (im->pass == DB_IMPORT_CHECK) {
		if (ck->txn)
			db_txn_abort(ck->txn);
		ck->txn = NULL;
		if (!(im->file_mask & DB_IMPORT_UID))
			return 0;
		if ((rc = db_import_check_last(im)) == DB_OK)
			rc = db_import_check_uids(im);
		if (rc == DB_OK)
			rc = db_import_check_owners(im, 0);
		if (rc != DB_OK)
			return rc;
		for (i = 0; i < im->nrows; i++)
			if (ck->bits[i] & (BIT_DUP | BIT_UCAND | BIT_KEEP))
				break;
		if (i < im->nrows) {
			ck->addr = g_hash_table_new_full(g_int64_hash,
							 g_int64_equal, NULL,
							 g_free);
			ck->rows = g_hash_table_new_full(
			    g_direct_hash, g_direct_equal, NULL,
			    db_import_seen_free);
			ck->uid = g_hash_table_new(g_str_hash, g_str_equal);
			return 1;
		}
	} else {
		if (ck->collision)
			return 2;
		if ((rc = db_import_check_owners(im, 1)) != DB_OK)
			return rc;
	}
	if (ck->err_row != SIZE_MAX) {
		snprintf(im->err, im->errsz, "%s", ck->err);
		return DB_ERR_INVALID;
	}
	return 0;
}
