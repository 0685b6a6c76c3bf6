/*
 * import_int.h - the state of one import, shared by its write half
 * (import.c: passes, batches, merge, evidence) and its uid check
 * (import_check.c: a compact index of the file built while it streams).
 * Private to db/import*.c.
 */
#ifndef CG_DB_IMPORT_INT_H
#define CG_DB_IMPORT_INT_H

#include <glib.h>
#include <stdint.h>

#include "../common/buf.h"
#include "consent_sm.h"
#include "store_int.h"

/* The passes over the file, in order (see db_import_next in store.h). */
enum db_import_pass {
	DB_IMPORT_START,
	DB_IMPORT_CHECK,  /* every row: index it, look its uid up */
	DB_IMPORT_VERIFY, /* rows sharing a hash: compare their strings */
	DB_IMPORT_WRITE,  /* every row, in batches */
	DB_IMPORT_DONE
};

/* The uid check's index (import_check.c); freed before the write pass. */
struct db_import_check {
	uint64_t key[2];     /* hash key of this attempt */
	int attempts;	     /* keys tried (a new one after a collision) */
	uint64_t *ah, *uh;   /* per row: address hash, uid hash (0 unset,
			      * 1 empty) */
	size_t cap;
	uint32_t *atab;	     /* last row + 1 of each address hash */
	size_t amask;
	unsigned char *bits; /* per row: DB_IMPORT_BIT_* */
	MDB_txn *txn;	     /* read: the store's uid owners */
	size_t lookups;	     /* of uid owners, in this transaction's pass */
	GArray *owners;	     /* struct db_import_owner: uid held elsewhere */
	GHashTable *addr;    /* verify: address hash -> address */
	GHashTable *uid;     /* verify: uid -> struct db_import_seen */
	GHashTable *rows;    /* verify: row -> struct db_import_seen */
	int collision;	     /* verify: two addresses share a hash */
	size_t err_row;	     /* row of the first error (SIZE_MAX: none) */
	char err[320];
};

/* What opts->note hears of one row, kept until its window is written. */
struct db_import_res {
	signed char outcome; /* enum db_sm_outcome; -1: not reached */
	signed char forced, before, after;
	unsigned int why_off; /* in the window's why buffer */
	const char *code;
};

struct db_import {
	struct db_store *s;
	const char *name;
	int64_t now;
	char *err;
	size_t errsz;
	const struct db_import_opts *opts;
	struct db_import_count *count;
	size_t nevidence; /* evidence records written */
	enum db_import_pass pass;
	size_t row;	  /* rows added in this pass */
	size_t nrows;	  /* rows of the file (after the check pass) */
	unsigned int file_mask; /* fields any row sets */
	uint64_t digest, digest0; /* of this pass's rows; of the check's */
	struct db_import_check ck;
	/* write pass: the rows of the current window, their write order
	 * and each row's outcome until it is told to opts->note */
	struct buf arena;
	struct buf rows; /* struct db_import_row[] */
	size_t nbatch;
	size_t *order;   /* row indices by address, then line */
	struct db_import_res *res;
	struct buf why;  /* refusal sentences of the window */
	size_t written; /* changed records committed */
};

#define DB_IMPORT_UID (1u << DB_ROW_UID)

/* import_check.c */
int db_import_check_begin(struct db_import *im);
int db_import_check_row(struct db_import *im, const char *addr,
			const struct db_consent *c, unsigned int mask,
			unsigned long line);
/* After a pass: 1 when a verify pass is needed, 0 when the file passed
 * the check, 2 when the check must start over with a new key, <0. */
int db_import_check_end(struct db_import *im);
void db_import_check_free(struct db_import *im);
/* A keyed 64-bit hash of s (n bytes). */
uint64_t db_import_hash(const uint64_t key[2], const char *s, size_t n);

#endif
