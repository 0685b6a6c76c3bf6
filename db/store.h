/*
 * store.h - the LMDB consent and evidence store, the only code that touches
 * consentgate's on-disk state.  Shared by the milter and consentctl.
 *
 * One LMDB environment (a directory) holds named databases:
 *   consent   normalised address -> encoded struct db_consent
 *   uid       uid -> normalised address (index for --uid and +uid mail)
 *   evidence  8-byte big-endian sequence -> encoded evidence record
 *   evref     evidence ref -> sequence
 *   evpii     8-byte sequence -> the personal data of that evidence record
 *   meta      store format version, the HMAC secret, the purge checkpoint
 *             and the forgotten sets (see below)
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
#include "evrec.h"

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
#define DB_DOI_REF_MAX 64 /* evidence ref of a doi-send record */
#define DB_DOI_HASH_HEX 65 /* SHA-256 in hex and its NUL */

/*
 * The confirmations a record has seen, oldest first (codec version 3).  A
 * confirmation never overwrites an earlier one: each click, log line,
 * imported or replicated confirmation and forced confirmation adds one
 * entry (the same time and IP twice is one entry).  When all
 * DB_HISTORY_MAX entries are used, the second oldest is dropped, so the
 * first proof and the latest ones stay.  source says where the proof is
 * ("access log FILE:LINE", "import FILE:LINE", "forced by USER: REASON").
 */
#define DB_HISTORY_MAX 16
#define DB_HIST_SOURCE_MAX 160
struct db_confirmation {
	int64_t at;                    /* UTC seconds */
	char ip[DB_IP_MAX + 1];        /* "" when not known */
	char source[DB_HIST_SOURCE_MAX + 1];
};

/*
 * The lists a record's consent covers (codec version 4; BGH VI ZR 721/15:
 * a consent covers the products and senders it names).  Each list has its
 * own state and times (its own last DOI send too: the new double opt-in
 * after a withdrawal from one list is a DOI mail for that list), changed
 * by the consent state machine
 * (consent_sm.h) like a record: a withdrawal from one list leaves the
 * others, a withdrawal without a list withdraws every list.  A record of
 * codec versions 1-3 has nlists 0 and covers the one implicit list
 * DB_LIST_DEFAULT with the record's own state and times; the state machine
 * writes that list out when it next changes the record.  Names: 1 to
 * DB_LIST_NAME_MAX of a-z, 0-9, '.', '_', '-' (db_list_name_valid).
 */
#define DB_LISTS_MAX 16
#define DB_LIST_NAME_MAX 32
#define DB_LIST_DEFAULT "default"
struct db_list {
	char name[DB_LIST_NAME_MAX + 1];
	int state;          /* enum db_state (pending..customer) */
	int64_t confirmed;  /* UTC seconds, 0 unknown */
	int64_t withdrawn;
	int64_t doi_sent;   /* the last DOI mail for this list (the record's
			     * doi_sent is the last of all) */
};

struct db_consent {
	int state;          /* enum db_state; with several lists, the state of
			     * the record as a whole: confirmed when a list is
			     * confirmed, else customer, else pending, and
			     * withdrawn only when every list is */
	int tracking;       /* 0 or 1 */
	int64_t created;    /* UTC seconds, 0 unknown */
	int64_t confirmed;
	int64_t withdrawn;
	int64_t doi_sent;   /* last DOI mail handed to the MTA (a retry of
			     * the same mail leaves it) */
	char uid[DB_UID_MAX + 1];
	char ip[DB_IP_MAX + 1];       /* confirming IP */
	char source[DB_SOURCE_MAX + 1];
	char doi_msgid[DB_MSGID_MAX + 1];
	/* The last DOI mail's content hash (policy's pol_message_content_hash,
	 * lower-case hex or "") and the ref of its doi-send evidence record
	 * (or ""): how the milter recognises that mail handed over again
	 * after a temporary failure.  Records of codec version 1 have "". */
	char doi_hash[DB_DOI_HASH_HEX];
	char doi_ref[DB_DOI_REF_MAX + 1];
	/* Every confirmation, oldest first; records of codec versions 1 and
	 * 2 have none. */
	unsigned int nhistory;
	struct db_confirmation history[DB_HISTORY_MAX];
	/* The lists covered (see struct db_list); 0: the implicit one. */
	unsigned int nlists;
	struct db_list lists[DB_LISTS_MAX];
};

/* Is name a valid list name?  1 or 0. */
int db_list_name_valid(const char *name);

struct db_store;

#define DB_OPEN_RDONLY 0x01
#define DB_OPEN_CREATE 0x02 /* create the directory and databases */

/*
 * The store format this code reads and writes (meta key "version").
 * Format 2 keeps personal data beside the evidence chain (evpii); a
 * format 1 store is refused with DB_ERR_VERSION and a sentence saying to
 * create a new store (consentctl init) and import an export of the old.
 */
#define DB_FORMAT_VERSION 2

/*
 * Open the environment in dir.  On error returns a negative code and writes
 * a reason into err (errsz bytes).  The map starts large enough for tens of
 * millions of records (64 GiB on 64-bit systems, 1 GiB otherwise) and a
 * write that finds it full doubles it (up to 256 GiB; db/core.h) and runs
 * again; data.mdb grows only as used.  Tests may set the environment
 * variable CONSENTGATE_MAPSIZE to "BYTES" (a map that never grows) or
 * "START:LIMIT" (decimal bytes), e.g. to provoke DB_ERR_FULL; it is not
 * meant for production.
 *
 * DB_OPEN_CREATE creates dir (mode 0750, the parent must exist) and the
 * databases, and records DB_FORMAT_VERSION.  Without it a directory that
 * holds no store is an error.  DB_OPEN_RDONLY opens read-only: every write
 * then returns DB_ERR_READONLY.  When run as root, the files LMDB creates
 * (data.mdb, lock.mdb) are given the owner and group of dir, so the daemon's
 * user keeps access.  A process opens a given store only once (LMDB rule);
 * the handle may be shared by threads, each call runs its own short
 * transaction.  *out is freed with db_close().
 *
 * Errors: DB_ERR_IO (no such store, not a directory, LMDB failure),
 * DB_ERR_READONLY (permission denied or read-only file system),
 * DB_ERR_VERSION (store of another format), DB_ERR_INVALID (bad
 * CONSENTGATE_MAPSIZE), DB_ERR_NOMEM.
 */
int db_open(const char *dir, int flags, struct db_store **out, char *err,
	    size_t errsz);
void db_close(struct db_store *s);
/* Static text for a return code. */
const char *db_strerror(int code);
/* "pending", "confirmed", "withdrawn", "customer", "none" (static). */
const char *db_state_name(int state);
int db_state_parse(const char *s); /* case-insensitive; -1 when unknown */

/* Room for a formatted time: "2026-01-02T03:04:05Z" and its NUL. */
#define DB_TIME_MAX 21
/*
 * Parse an ISO 8601 UTC time of exactly the form "2026-01-02T03:04:05Z"
 * (years 1970-9999) or decimal unix seconds into *out.  Returns DB_OK or
 * DB_ERR_INVALID.
 */
int db_time_parse(const char *s, int64_t *out);
/* Format t the same way into out (outsz >= DB_TIME_MAX); returns out.
 * Times outside years 1970-9999 are written as decimal seconds. */
char *db_time_format(int64_t t, char *out, size_t outsz);

/*
 * Every consent function below normalises addr itself (addr_normalise), so
 * "<Foo@Example.COM>" and "foo@example.com" name the same record; an address
 * that does not normalise is DB_ERR_INVALID.
 *
 * Would the store accept c?  State pending..customer, tracking 0 or 1,
 * every string NUL-terminated within its array, no control characters, uid
 * without spaces or '@', ip empty or a valid IPv4/IPv6 address.  Returns
 * NULL when c is acceptable, otherwise a static sentence naming the problem
 * (db_consent_put then returns DB_ERR_INVALID).
 */
const char *db_consent_check(const struct db_consent *c);
/* Look up addr.  DB_OK and *out filled, DB_NOTFOUND, or <0
 * (DB_ERR_CORRUPT when the stored value does not decode). */
int db_consent_get(struct db_store *s, const char *addr, struct db_consent *out);
/*
 * Write (insert or replace) one record, keeping the uid index current: a
 * changed uid drops the old index entry.  A uid that already belongs to
 * another address is refused with DB_ERR_INVALID, as is a record that
 * db_consent_check() refuses.
 * Committed before return.
 */
int db_consent_put(struct db_store *s, const char *addr,
		   const struct db_consent *c);
/* Address for a uid.  DB_OK, DB_NOTFOUND or <0; addr has ADDR_MAX+1 bytes. */
int db_consent_by_uid(struct db_store *s, const char *uid, char *addr,
		      size_t addrsz);
/* Remove a record and its uid index entry.  DB_OK, DB_NOTFOUND or <0. */
int db_consent_del(struct db_store *s, const char *addr);

/*
 * Iterate every record in address order inside one read transaction; addr
 * and c are borrowed for the duration of the call.  cb must not write to
 * the store.  cb returns non-zero to stop; db_consent_foreach then returns
 * that value.  Otherwise DB_OK, or <0 (DB_ERR_CORRUPT stops at a value that
 * does not decode).
 */
typedef int (*db_consent_cb)(const char *addr, const struct db_consent *c,
			     void *arg);
int db_consent_foreach(struct db_store *s, db_consent_cb cb, void *arg);

/*
 * The writing half of an import (db/import.c); the formats that fill it
 * are in fmt/ (fmt/import.h says what a CSV row means).  It streams: the
 * reader reads its file once per pass and memory stays bounded by one
 * batch of rows plus 16 bytes per row during the check.
 *
 * db_import_begin starts an import named name (in errors) at time now;
 * DB_ERR_READONLY on a read-only store.  Then, while db_import_next
 * returns 1, the reader reads its rows from the first and hands each
 * checked one to db_import_add: line LINE of the file, its address
 * (normalised), its record and fields, the 1 << DB_ROW_* (consent_sm.h) of
 * each field the row sets.  db_import_next returns 0 when the import is
 * done, <0 on a failure (err says why); every pass must add the same rows
 * (a file that changes between passes stops the import, DB_ERR_INVALID).
 * db_import_error writes "name:LINE: reason" into err for a row the
 * reader refuses and returns DB_ERR_INVALID; the reader then stops, and
 * as long as it does so in the first pass nothing has been written.
 *
 * The rows merge by time through the consent state
 * machine (consent_sm.h, db_sm_merge_row), each in the order added against
 * the record as the rows before left it: a newer doi_sent is a DOI send,
 * the state is an event (confirmed: a confirmation at the row's confirmed
 * time with its ip or source as proof; withdrawn: a withdrawal at its
 * withdrawn time, or now; pending, customer; to each list the row's lists
 * name, else to the record), each list of withdrawn_lists is withdrawn,
 * and uid, tracking, created and source are taken as given.  A row the
 * machine refuses (it would undo a newer withdrawal or confirmation, or a
 * confirmed row lacks its time or both ip and source) is skipped and
 * counted; a new record without state is pending, created now.  A uid
 * given to two addresses, or already held by an address the rows do not
 * move off it, is an error (DB_ERR_INVALID, nothing written); only the
 * last row of each address counts for this rule.
 *
 * The write pass reads DB_IMPORT_WINDOW rows at a time and writes them in
 * address order (rows of one address in file order; windows in file
 * order), in transactions of DB_IMPORT_BATCH rows, each
 * changed record with one consent-kind evidence record made from opts->e
 * (its ref with "-N" appended, rules prefixed with "FILE:LINE, ",
 * recipients the address, client_ip the record's ip, before and after its
 * states); unchanged rows write nothing.  With opts->dry_run nothing is
 * written (each batch is read in a read transaction).  opts->note (may be
 * NULL) hears the outcome of every row, in file order, once its window is
 * written.  A store error while writing
 * (e.g. DB_ERR_FULL) leaves the batches already committed in place and
 * says so in err.  count->batch_ms_max is the longest a write transaction
 * of the import held the store's write lock, in ms.  db_import_free frees
 * what the import holds.
 */
#define DB_IMPORT_BATCH 10000
#define DB_IMPORT_WINDOW 1000000
struct db_sm_result;
struct db_event;
struct db_import;
struct db_import_opts {
	int dry_run;
	const struct db_event *force;  /* NULL, or force, force_by, reason */
	const struct db_evidence *e;   /* template, or NULL: no evidence */
	void (*note)(void *arg, unsigned long line, const char *addr,
		     const struct db_sm_result *res);
	void *arg;
	size_t window; /* rows held and sorted at a time; 0: DB_IMPORT_WINDOW */
};
struct db_import_count {
	size_t changed, same, refused;
	size_t no_proof; /* of refused: confirmed rows without proof */
	unsigned long batch_ms_max; /* the longest write transaction */
};
int db_import_begin(struct db_store *s, const char *name, int64_t now,
		    const struct db_import_opts *opts,
		    struct db_import_count *count, char *err, size_t errsz,
		    struct db_import **out);
int db_import_add(struct db_import *im, unsigned long line, const char *addr,
		  const struct db_consent *c, unsigned int mask);
int db_import_error(struct db_import *im, unsigned long line,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int db_import_next(struct db_import *im);
void db_import_free(struct db_import *im);

/* One rule that fired, for the record (strings borrowed by the caller). */
struct db_evidence_rule {
	const char *id;      /* the catalogue id, e.g. "consent.missing" */
	const char *detail;  /* NULL: "" */
	const char *where;   /* NULL: "" */
	int rcpt;            /* index into the record's recipients, or -1 */
	int personal;        /* 1: detail names a person (an address, a
			      * uid): kept beside the chain like the
			      * personal fields, the chain holds its HMAC */
};

/* One evidence record of a decision (strings borrowed by the caller). */
struct db_evidence {
	int64_t time;        /* UTC seconds */
	const char *ref;     /* evidence reference, as in the SMTP reply */
	const char *kind;    /* "decision", "doi-send", "doi-retry",
			      * "withdrawal", "consent" */
	const char *queue_id;
	const char *message_id;
	const char *sender;
	const char *recipients; /* comma-separated; used when rcptv is NULL */
	const char *const *rcptv; /* the recipients one by one, or NULL */
	size_t nrcpt;
	const char *client_ip;
	int tls;
	const char *cls;
	const struct db_evidence_rule *rulev; /* the rules that fired */
	size_t nrules;
	const char *rules;   /* a note naming no rule (a consent change's
			      * "by=..."), or NULL */
	int note_personal;   /* 1: the note names a person (a uid): kept
			      * beside the chain, as a personal detail */
	const char *action;  /* pass, reject, tempfail, monitor, ... */
	const char *sha256;  /* hex, or "" */
	const char *retry_of; /* doi-retry: ref of the doi-send record of the
			       * same mail, else NULL (not written) */
	const char *profile; /* the brand profile applied, else NULL (not
			      * written) */
	const char *before;  /* a consent change: the state before and after
			      * (db_state_name), else NULL (not written) */
	const char *after;
	int replica;         /* 1: the store is a replica; replica_age valid */
	int64_t replica_age; /* seconds since the replica last synced */
	int64_t replica_stuck; /* replica: the central change id the
				* follower stopped at (-1 a resync), 0 none */
};

/*
 * Append one evidence record durably (committed before return).  The record
 * is stored as one JSON object text of version DB_EVIDENCE_VERSION (see
 * db/evrec.h for the older ones, which stay as they were written):
 * {"seq":N,"version":3[,"key_id":...],"prev":"<hex>","time":"<ISO 8601>","ref":...,
 * "kind":...,"queue_id":...,"message_id":...,"sender_h":...,
 * "recipients_h":[...],"client_ip_h":...,"tls":true|false,"class":...,
 * "rules":[{"id":...,"detail":...,"where":...,"recipient":N|null},...],
 * "note":...,"action":...,"sha256":...} (NULL strings written as ""),
 * and "retry_of":... after sha256 only when e->retry_of is set,
 * "profile":... only when e->profile is set (a brand profile), then
 * "before":...,"after":... only when e->before is set (a consent change).
 * A rule's "recipient" is its index into the recipients (rcpt within
 * 0..nrcpt-1), else null.  A personal detail (rule .personal) is written
 * as "detail_h" (the HMAC of its text as written) in place of "detail",
 * a personal note (note_personal) as "note_h" in place of "note"; their
 * text goes into evpii ("details": one string per rule, "" where not
 * personal; "note").
 * seq counts from 1; prev is the SHA-256 (lower-case hex) of the previous
 * record's stored bytes, "" for the first, so the records form a hash
 * chain.  The key is seq as 8 bytes big-endian; evref maps ref to seq.  ref
 * must be non-empty, at most DB_REF_MAX bytes and unused (DB_ERR_INVALID
 * otherwise).
 *
 * Personal data stays out of the chain: sender_h and client_ip_h are the
 * HMAC-SHA256 (the store's secret, or with db_subject_keys_load the
 * deployment's current key, whose id the record names as "key_id";
 * lower-case hex) of the normalised sender
 * and of the client IP as written, recipients_h the HMACs of each
 * recipient (normalised) in order (rcptv, or recipients split at ','); an
 * empty field hashes to "".  The plaintext goes into evpii under the same
 * seq as {"sender":..,"recipients":[..],"client_ip":..}, in the same
 * transaction.
 */
#define DB_REF_MAX 256
int db_evidence_append(struct db_store *s, const struct db_evidence *e);
/*
 * Append n records in one transaction, one fsync for all (group commit for
 * a writer thread).  All or none are stored.  When first_seq is not NULL it
 * gets the seq of e[0].
 */
int db_evidence_append_many(struct db_store *s, const struct db_evidence *e,
			    size_t n, uint64_t *first_seq);
/*
 * The merged JSON text of the record for ref: the stored record with
 * "sender", "recipients" and "client_ip" inserted before "sender_h", each
 * holding the plaintext from evpii, or "pseudonymised:<first 12 hex of its
 * HMAC>" where the plaintext was forgotten (per recipient).  DB_OK and
 * *json_out set (NUL-terminated; caller frees with free()), DB_NOTFOUND,
 * or <0.
 */
int db_evidence_get(struct db_store *s, const char *ref, char **json_out);
/*
 * Call cb for every evidence record in seq order inside one read
 * transaction.  json is a NUL-terminated copy of the merged text (as
 * db_evidence_get; len bytes), borrowed until cb returns.  cb must not
 * write to the store; it returns non-zero to stop, and that value is
 * returned.  Otherwise DB_OK or <0 (DB_ERR_CORRUPT for a key that is not 8
 * bytes).
 */
typedef int (*db_evidence_cb)(uint64_t seq, const char *json, size_t len,
			      void *arg);
int db_evidence_foreach(struct db_store *s, db_evidence_cb cb, void *arg);
/* The same walk over the chained bytes exactly as stored (hashes only). */
int db_evidence_foreach_stored(struct db_store *s, db_evidence_cb cb,
			       void *arg);

/* Room for a SHA-256 or HMAC-SHA256 in hex and its NUL. */
#define DB_HASH_HEX 65
/*
 * The keyed hash that evidence records hold for addr (normalised first),
 * into out.  It finds a data subject's records after the plaintext is
 * gone.  DB_OK, DB_ERR_INVALID (not an address) or DB_ERR_NOMEM.  The
 * secret itself is never handed out.
 */
int db_pii_hash(struct db_store *s, const char *addr, char out[DB_HASH_HEX]);
/*
 * The keyed hashes of addr under every key the store holds: the
 * deployment's keys (current first, then retired) and the store's own, at
 * most max, into out; *n gets the count.  Records hashed under any of them
 * are found.  DB_OK, DB_ERR_INVALID or DB_ERR_NOMEM.
 */
int db_pii_hashes(struct db_store *s, const char *addr,
		  char out[][DB_HASH_HEX], size_t max, size_t *n);
/*
 * Load the deployment's subject keys from path (EvidenceSubjectKeyFile:
 * 64 hex digits a line, the current key first, retired keys after it; a
 * private regular file).  From then on new evidence records hash their
 * personal fields with the current key and name its id ("key_id"); verify
 * and subject use whichever key a record names.  "" or NULL: nothing (the
 * store's own pii.key stays the key).  DB_OK, or DB_ERR_IO / DB_ERR_CORRUPT
 * explained in err (no key is then loaded).
 */
int db_subject_keys_load(struct db_store *s, const char *path, char *err,
			 size_t errsz);
/*
 * The purge checkpoint: seq and SHA-256 of the last evidence record
 * removed by db_purge_evidence; the remaining chain starts after it.
 * DB_OK, DB_NOTFOUND (no purge yet) or <0.
 */
int db_evidence_checkpoint(struct db_store *s, uint64_t *seq,
			   char hash[DB_HASH_HEX]);

/*
 * Check the evidence: the hash chain from the checkpoint (or from seq 1)
 * without gaps, every record's text naming its own seq, and every evpii
 * entry matching its record's hashes.  A personal field that is empty
 * while its hash is not, or a missing evpii entry, is accepted only when
 * the record's seq is in the forgotten set (db_forget) and, for a sender
 * or recipient, its hash is listed there.  An evpii entry without its
 * record is a problem too.  cb gets every problem (ref may be ""; strings
 * borrowed for the call).  Returns DB_OK when the walk finished (problems
 * counted in *problems), or <0.
 */
typedef void (*db_verify_cb)(uint64_t seq, const char *ref,
			     const char *problem, void *arg);
struct db_verify_result {
	uint64_t checked;  /* records read */
	uint64_t problems; /* calls of cb */
	uint64_t start;    /* the first seq expected (checkpoint + 1) */
	/* records read per format version (db/evrec.h); [0] counts those
	 * whose version is unknown or that are not JSON */
	uint64_t versions[DB_EVIDENCE_VERSION + 1];
};
int db_evidence_verify(struct db_store *s, db_verify_cb cb, void *arg,
		       struct db_verify_result *res);

/*
 * Write c for addr and append the evidence record e in one transaction
 * (both or neither).  Errors as db_consent_put and db_evidence_append.
 */
int db_consent_put_logged(struct db_store *s, const char *addr,
			  const struct db_consent *c,
			  const struct db_evidence *e);

/*
 * Forget addr (Art. 17 GDPR), in one transaction: delete its consent
 * record and uid index entry; blank it in every evpii entry (sender or
 * recipient; the chained hash stays), and the client IP of entries where
 * it was the sender, or the only recipient of a record without sender
 * (the data subject's own connection); an entry left empty is removed.
 * Each changed record's seq goes into the forgotten set with addr's hash.
 * Then e (which must hold no plaintext of addr) is appended.
 * res gets whether a consent record existed and how many evidence records
 * were pseudonymised.  DB_OK, DB_ERR_INVALID (not an address) or <0.
 */
struct db_forget_result {
	int had_record;
	uint64_t pseudonymised;
};
int db_forget(struct db_store *s, const char *addr,
	      const struct db_evidence *e, struct db_forget_result *res);

/*
 * Retention.  db_purge_consent removes every withdrawn record whose
 * withdrawn time is before cutoff (strictly), calling cb (may be NULL)
 * for each; with dry_run it only calls cb.  *n gets the count.
 * db_purge_evidence removes the records older than cutoff (time < cutoff)
 * from the start of the chain up to the first younger one (a prefix, so
 * the rest still verifies), with their evref and evpii entries and
 * forgotten sets, and stores the checkpoint in the same transaction.
 * With dry_run it only counts.  Both return DB_OK or <0.
 */
int db_purge_consent(struct db_store *s, int64_t cutoff, int dry_run,
		     db_consent_cb cb, void *arg, uint64_t *n);
struct db_purge_result {
	uint64_t removed;   /* records (that would be) removed */
	uint64_t first_seq; /* their seq range, 0 when none */
	uint64_t last_seq;
	int64_t last_time;  /* time of the last one */
};
int db_purge_evidence(struct db_store *s, int64_t cutoff, int dry_run,
		      struct db_purge_result *res);

#endif
