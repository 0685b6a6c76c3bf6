/*
 * evpii.h - private to db/: personal data kept beside the evidence chain.
 *
 * A chained evidence record holds keyed hashes (HMAC-SHA256 with the
 * store's secret, lower-case hex) of its personal fields: "sender_h",
 * "recipients_h" (one hash per recipient, in order: an array since record
 * version 3, comma-joined before) and "client_ip_h".  The plaintext lives
 * in the named database evpii, keyed by the record's 8-byte sequence, as
 * {"sender":..,"recipients":[..],"client_ip":..} (recipients a
 * comma-joined string in entries written before version 3), with
 * "details":[..] (one per rule, "" where the detail is in the chain) and
 * "note":.. when the record has personal details or a personal note.  Forgetting an address blanks it in evpii (the chained
 * hash stays) and lists the hash under the meta key "forgotten:" + seq, so
 * `verify` can tell a forgotten field from a changed one.
 *
 * Every *_txn function works inside a transaction the caller owns; values
 * read are copied into caller buffers before return.
 */
#ifndef CG_EVPII_H
#define CG_EVPII_H

#include "../common/buf.h"
#include "../common/jsonread.h"
#include "store_int.h"

/* The meta keys of the privacy layer. */
/* Where stores before the secret file kept the secret (migrated on open). */
#define DB_META_PII_KEY "pii-key"       /* DB_PII_KEY_LEN random bytes */
#define DB_META_CHECKPOINT "checkpoint" /* "<seq> <sha256 hex>" */
#define DB_META_FORGOTTEN "forgotten:"  /* + 8-byte seq -> "h1,h2" */
#define DB_META_FORGOTTEN_LEN 10

/* The plaintext of one record (strings malloc'd; db_pii_free). */
struct db_pii {
	char *sender;
	char **rcpt;      /* one per recipient, as the record's hashes */
	size_t nrcpt;
	char *client_ip;
	char **details;   /* one per rule: its personal detail, or "" */
	size_t ndetails;  /* 0: the record has no personal detail */
	char *note;       /* the personal note, or NULL */
	int rcpt_array;   /* 1: recipients were an array (version 3) */
};

/* The recipients of a record being written: e->rcptv, or e->recipients
 * split at ',' ("" is none).  v is borrowed from e or from own/copy. */
struct db_rcpts {
	const char **v;
	size_t n;
	char **own;
	char *copy;
};

/* ---- evjson.c: members of the JSON texts db/ writes ---- */

/* The string member name of the JSON object text json (len bytes) into
 * out (reset first): 1 found, 0 absent or not a string, DB_ERR_CORRUPT
 * (not a JSON object), DB_ERR_NOMEM.  Records as a whole are read with
 * db_evrec_parse (db/evrec.h). */
int db_json_field(const char *json, size_t len, const char *name,
		  struct buf *out);
/* The opening quote of the top-level member "name" in text db/ wrote
 * (for splicing, not reading), or NULL. */
const char *db_json_find(const char *json, size_t len, const char *name);

/* ---- secret.c: the file of the HMAC secret ---- */

/* The secret's file in the store directory, readable by its owner only. */
#define DB_SECRET_FILE "pii.key"
#define DB_SECRET_MODE 0400
/*
 * Read dir/DB_SECRET_FILE (DB_PII_KEY_LEN bytes, never through a symlink)
 * into key.  DB_OK, DB_NOTFOUND (no file), DB_ERR_CORRUPT (not a regular
 * file of the right size), DB_ERR_READONLY (no permission) or DB_ERR_IO;
 * errors other than DB_NOTFOUND are explained in err.
 */
int db_secret_read(const char *dir, unsigned char key[DB_PII_KEY_LEN],
		   char *err, size_t errsz);
/*
 * Write key to dir/DB_SECRET_FILE, mode DB_SECRET_MODE, atomically (a
 * temporary file renamed into place).  Run as root, the file is given to
 * uid:gid first.  DB_OK or a DB_* code explained in err.
 */
int db_secret_write(const char *dir, uid_t uid, gid_t gid,
		    const unsigned char key[DB_PII_KEY_LEN], char *err,
		    size_t errsz);

/* ---- pii.c ---- */

/*
 * Open (create when create) the evpii database and load the store's HMAC
 * secret into s: from DB_SECRET_FILE, or from meta in a store made before
 * the file existed.  A store opened for writing keeps the secret only in
 * the file: a secret found in meta is written to the file (same bytes, so
 * every pseudonym stays the same) and removed from meta in txn.  With
 * create a missing secret is made from getrandom().  Errors are explained
 * in err.
 */
int db_pii_open(struct db_store *s, MDB_txn *txn, int create,
		const char *dir, char *err, size_t errsz);
/* HMAC of text (already in its hashing form) as hex with the key that new
 * records are written with (db_pii_write_key); "" for "". */
int db_pii_hmac(const struct db_store *s, const char *text,
		char out[DB_HASH_HEX]);
/* The same with key (DB_PII_KEY_LEN bytes). */
int db_pii_hmac_k(const unsigned char *key, const char *text,
		  char out[DB_HASH_HEX]);
/* The hashing form of one address-like field of n bytes at in: spaces
 * trimmed, then normalised (addr_normalise_sender) when it is an address,
 * else the trimmed text.  out is reset first. */
int db_pii_form(const char *in, size_t n, struct buf *out);
/* HMAC of the hashing form of n bytes at in (the write key, or key). */
int db_pii_hash_n(const struct db_store *s, const char *in, size_t n,
		  char out[DB_HASH_HEX]);
int db_pii_hash_nk(const unsigned char *key, const char *in, size_t n,
		   char out[DB_HASH_HEX]);

/* ---- subjkey.c: the deployment's subject keys ---- */

/* The key of id ("" or NULL: the store's own pii.key), or NULL when this
 * store does not hold it. */
const unsigned char *db_pii_key_for(const struct db_store *s, const char *id);
/* The key new records are hashed with: the deployment's current key, or
 * the store's own; *id its id ("" for the store's own). */
const unsigned char *db_pii_write_key(const struct db_store *s,
				      const char **id);
/* The recipients of e into *out (db_rcpts_free).  DB_OK or NOMEM. */
int db_rcpts_get(const struct db_evidence *e, struct db_rcpts *out);
void db_rcpts_free(struct db_rcpts *r);
/*
 * The parts of a record that need the store's keys, made by pii.c before
 * evidence.c puts the record together (BUF_INIT each; the caller frees).
 */
struct db_ev_keyed {
	struct buf key_id; /* ,"key_id":".." (a deployment key), or empty */
	struct buf hashes; /* ,"sender_h":..,"recipients_h":[..],
			    * "client_ip_h":.. */
	struct buf rules;  /* ,"rules":[..],"note":.. (personal details and
			    * note as "detail_h" and "note_h") */
};
/* Fill k (each part reset first) for e.  DB_OK or DB_ERR_NOMEM. */
int db_pii_json_hashes(const struct db_store *s, const struct db_evidence *e,
		       struct db_ev_keyed *k);
void db_ev_keyed_free(struct db_ev_keyed *k);
/* Store e's plaintext under seq (nothing when all three are empty). */
int db_pii_put_txn(struct db_store *s, MDB_txn *txn, uint64_t seq,
		   const struct db_evidence *e);
/* The plaintext of seq: DB_OK, DB_NOTFOUND or <0 (DB_ERR_CORRUPT). */
int db_pii_get_txn(struct db_store *s, MDB_txn *txn, uint64_t seq,
		   struct db_pii *out);
/* Encode p as an evpii value into b (reset first). */
int db_pii_encode(struct buf *b, const struct db_pii *p);
/* Decode an evpii value; DB_OK or DB_ERR_CORRUPT / DB_ERR_NOMEM. */
int db_pii_decode(const void *v, size_t len, struct db_pii *out);
void db_pii_free(struct db_pii *p);
/* The forgotten hashes listed for seq into out: DB_OK, DB_NOTFOUND, <0. */
int db_pii_forgotten_txn(struct db_store *s, MDB_txn *txn, uint64_t seq,
			 struct buf *out);
/* The meta key for seq's forgotten list (DB_META_FORGOTTEN_LEN + 8). */
void db_pii_forgotten_key(unsigned char key[DB_META_FORGOTTEN_LEN + 8],
			  uint64_t seq);
/*
 * The merged view of the stored record json (len bytes) of seq into out:
 * "sender", "recipients" (an array for a record of version 3) and
 * "client_ip" inserted before "sender_h", with the plaintext from evpii or
 * "pseudonymised:<12 hex>" where it is gone.  A record without "sender_h"
 * (version 1) is copied as it is.
 */
int db_pii_merge_txn(struct db_store *s, MDB_txn *txn, uint64_t seq,
		     const char *json, size_t len, struct buf *out);

/* ---- evidence.c ---- */

/* Lower-case hex SHA-256 of n bytes at p. */
int db_sha256_hex(const void *p, size_t n, char out[DB_HASH_HEX]);
/* The purge checkpoint: the seq and stored-text hash of the last record
 * removed.  DB_OK, DB_NOTFOUND (nothing purged yet) or <0. */
int db_checkpoint_get_txn(struct db_store *s, MDB_txn *txn, uint64_t *seq,
			  char hash[DB_HASH_HEX]);
/* The next sequence number and the hash of the last record (or of the
 * checkpoint when everything was purged; "" for an empty log). */
int db_evidence_last_txn(struct db_store *s, MDB_txn *txn, uint64_t *next,
			 char prev[DB_HASH_HEX]);
/*
 * Store record seq (e, with prev the hash of the one before it and keyed
 * the parts db_pii_json_hashes made) and its reference; its stored text
 * is left in json (reset first).  DB_ERR_INVALID for a reused reference.
 */
int db_evidence_put_txn(struct db_store *s, MDB_txn *txn, uint64_t seq,
			const struct db_evidence *e,
			const struct db_ev_keyed *keyed,
			const char prev[DB_HASH_HEX], struct buf *json);

/* ---- write.c ---- */

/* Append n records inside txn (see db_evidence_append_many): each with its
 * personal data (pii.c) and its outbox entry (outbox.c). */
int db_evidence_append_txn(struct db_store *s, MDB_txn *txn,
			   const struct db_evidence *e, size_t n,
			   uint64_t *first_seq);
/* The end of a write transaction that records what it did: when rc is
 * DB_OK and e is not NULL, append e inside txn; then commit, or abort on
 * any error.  Returns the first error, else the commit's result. */
int db_write_finish(struct db_store *s, MDB_txn *txn, int rc,
		    const struct db_evidence *e);

#endif
