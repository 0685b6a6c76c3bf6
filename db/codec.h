/*
 * codec.h - the on-disk encodings of the consent store, private to db/ and
 * its tests.
 *
 * A consent record is stored as a versioned compact binary value:
 *   byte 0      format version (DB_CODEC_VERSION)
 *   byte 1      state (enum db_state, 1..4)
 *   byte 2      tracking (0 or 1)
 *   bytes 3-34  created, confirmed, withdrawn, doi_sent: int64, big-endian
 *   then        uid, ip, source, doi_msgid: each one length byte + bytes
 *               (no NUL; every length is checked against its DB_*_MAX)
 *   version 2:  then doi_hash, doi_ref the same way
 *   version 3:  then the confirmation history: one count byte (at most
 *               DB_HISTORY_MAX), then per entry its time (int64,
 *               big-endian), ip and source (length byte + bytes each)
 *   version 4:  then the lists: one count byte (at most DB_LISTS_MAX),
 *               then per list its name (length byte + bytes), state
 *               (one byte), confirmed, withdrawn and doi_sent (int64,
 *               big-endian)
 * Version 1 values (without doi_hash and doi_ref) and version 2 values
 * (without history) and version 3 values (without lists: the implicit
 * list, store.h) still decode, with those fields empty; every write
 * uses DB_CODEC_VERSION, so a record is upgraded when it is next written.
 * Decoding checks every length and the total, so a truncated, padded or
 * foreign value is DB_ERR_CORRUPT rather than a half-filled struct.
 *
 * Evidence records and exports are JSON text; db_json_string() is the one
 * JSON string escaper of db/.
 */
#ifndef CG_CODEC_H
#define CG_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "../common/buf.h"
#include "store.h"

#define DB_CODEC_VERSION 4
/* Longest encoded consent value. */
#define DB_CODEC_MAX (3 + 4 * 8 + 6 + DB_UID_MAX + DB_IP_MAX + \
		      DB_SOURCE_MAX + DB_MSGID_MAX + DB_DOI_HASH_HEX - 1 + \
		      DB_DOI_REF_MAX + 1 + \
		      DB_HISTORY_MAX * (8 + 2 + DB_IP_MAX + DB_HIST_SOURCE_MAX) + \
		      1 + DB_LISTS_MAX * (1 + DB_LIST_NAME_MAX + 1 + 3 * 8))

/*
 * Encode c into out (outsz bytes, at least DB_CODEC_MAX).  Returns the
 * encoded length, or DB_ERR_INVALID when db_consent_check() (store.h)
 * refuses c.
 */
int db_codec_encode(const struct db_consent *c, unsigned char *out,
		    size_t outsz);

/*
 * Decode len bytes at p into *out: every field, and the first nhistory
 * history and nlists list slots (later slots are left as they were).
 * Returns DB_OK,
 * DB_ERR_VERSION for a value written by a newer format, or DB_ERR_CORRUPT.
 */
int db_codec_decode(const void *p, size_t len, struct db_consent *out);

/*
 * Append s as a quoted JSON string to b: '"' and '\\' escaped, control
 * characters as \uXXXX, invalid UTF-8 bytes replaced by U+FFFD so the
 * output is always valid JSON.  NULL is written as "".  Returns 0, or -1
 * when memory ran out.
 */
int db_json_string(struct buf *b, const char *s);

/* 8-byte big-endian encoding of sequence numbers (evidence keys). */
void db_be64_put(unsigned char out[8], uint64_t v);
uint64_t db_be64_get(const unsigned char in[8]);

#endif
