/*
 * store.h - the LMDB consent and evidence store, the only code that touches
 * consentgate's on-disk state.  Shared by the milter and consentctl.
 *
 * One LMDB environment (a directory) holds named databases:
 *   consent   normalised address -> encoded struct db_consent
 *   uid       uid -> normalised address (index for --uid and +uid mail)
 *   evidence  8-byte big-endian sequence -> encoded evidence record
 *   evref     evidence ref -> sequence
 *   meta      store format version and other small values
 * The environment is opened once per process with MDB_NOTLS, so libmilter's
 * threads may each run short read transactions.  Values read are copied
 * into caller structs before the transaction ends.  The store never logs: it
 * returns codes and db_strerror() explains them.
 */
#ifndef CG_STORE_H
#define CG_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/addr.h"

/* Return codes. */
#define DB_OK 0
#define DB_NOTFOUND 1
#define DB_ERR_IO (-1)       /* LMDB or file system error (see errno text) */
#define DB_ERR_FULL (-2)     /* map full */
#define DB_ERR_CORRUPT (-3)  /* a record that does not decode */
#define DB_ERR_INVALID (-4)  /* bad argument (address, state, too long) */
#define DB_ERR_NOMEM (-5)
#define DB_ERR_READONLY (-6)
#define DB_ERR_VERSION (-7)  /* store written by an unknown format version */

enum db_state {
	DB_STATE_NONE = 0, /* no record; never stored */
	DB_STATE_PENDING = 1,
	DB_STATE_CONFIRMED = 2,
	DB_STATE_WITHDRAWN = 3,
	DB_STATE_CUSTOMER = 4
};

#define DB_UID_MAX 128
#define DB_IP_MAX 45
#define DB_SOURCE_MAX 200
#define DB_MSGID_MAX 250

struct db_consent {
	int state;          /* enum db_state */
	int tracking;       /* 0 or 1 */
	int64_t created;    /* UTC seconds, 0 unknown */
	int64_t confirmed;
	int64_t withdrawn;
	int64_t doi_sent;   /* last DOI mail sent */
	char uid[DB_UID_MAX + 1];
	char ip[DB_IP_MAX + 1];       /* confirming IP */
	char source[DB_SOURCE_MAX + 1];
	char doi_msgid[DB_MSGID_MAX + 1];
};

struct db_store;

#define DB_OPEN_RDONLY 0x01
#define DB_OPEN_CREATE 0x02 /* create the directory and databases */

/*
 * Open the environment in dir.  On error returns a negative code and writes
 * a reason into err (errsz bytes).  The map is sized once, large enough for
 * tens of millions of records; data.mdb grows only as used.
 */
int db_open(const char *dir, int flags, struct db_store **out, char *err,
	    size_t errsz);
void db_close(struct db_store *s);
const char *db_strerror(int code);
const char *db_state_name(int state);
int db_state_parse(const char *s); /* -1 when unknown */

/* Look up addr (normalised).  DB_OK and *out filled, DB_NOTFOUND, or <0. */
int db_consent_get(struct db_store *s, const char *addr, struct db_consent *out);
/* Write (insert or replace) one record, keeping the uid index current. */
int db_consent_put(struct db_store *s, const char *addr,
		   const struct db_consent *c);
/* Address for a uid.  DB_OK, DB_NOTFOUND or <0; addr has ADDR_MAX+1 bytes. */
int db_consent_by_uid(struct db_store *s, const char *uid, char *addr,
		      size_t addrsz);
/* Remove a record and its uid index entry.  DB_OK, DB_NOTFOUND or <0. */
int db_consent_del(struct db_store *s, const char *addr);

/* Iterate every record in address order; cb returns non-zero to stop. */
typedef int (*db_consent_cb)(const char *addr, const struct db_consent *c,
			     void *arg);
int db_consent_foreach(struct db_store *s, db_consent_cb cb, void *arg);

/*
 * Import CSV from f (named name in errors).  The first line may be a header
 * naming columns (address,state,uid,ip,created,confirmed,withdrawn,source,
 * tracking); without one the columns are address[,state[,uid]].  The whole
 * file is validated before anything is written; then records are written in
 * batches of one transaction each.  A malformed line: returns DB_ERR_INVALID,
 * err says "name:LINE: reason", nothing is written.  *count gets the number
 * of records imported.
 */
int db_import_csv(struct db_store *s, FILE *f, const char *name, int64_t now,
		  size_t *count, char *err, size_t errsz);
/* Export every record as CSV (with header) or a JSON array. */
int db_export(struct db_store *s, FILE *out, int json);

/* One evidence record of a decision (strings borrowed by the caller). */
struct db_evidence {
	int64_t time;        /* UTC seconds */
	const char *ref;     /* evidence reference, as in the SMTP reply */
	const char *kind;    /* "decision", "doi-send", "withdrawal", "consent" */
	const char *queue_id;
	const char *message_id;
	const char *sender;
	const char *recipients; /* comma-separated */
	const char *client_ip;
	int tls;
	const char *cls;
	const char *rules;   /* "rule: detail; rule: detail" */
	const char *action;  /* pass, reject, tempfail, monitor, ... */
	const char *sha256;  /* hex, or "" */
};

/* Append one evidence record durably (committed before return). */
int db_evidence_append(struct db_store *s, const struct db_evidence *e);

#endif
