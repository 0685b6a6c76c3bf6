/*
 * evrec.h - the evidence record as its readers see it, whatever format
 * version wrote it.  One parser (db_evrec_parse, db/evread.c) turns the
 * text of a record of version 1, 2 or 3 into the same struct db_evrec;
 * consentctl (log, stats, report, evidence, subject) and `verify` read
 * records only through it.
 *
 * The versions (nothing is ever rewritten; a chain may hold all three):
 *   1  personal fields in the chained text ("sender", "recipients" comma-
 *      joined, "client_ip"), "rules" one string "id: detail @ where; ...".
 *   2  the personal fields as keyed hashes ("sender_h", "recipients_h"
 *      comma-joined, "client_ip_h"), the plaintext beside the chain
 *      (db/evpii.h); "rules" still one string.
 *   3  "version":3 after "seq"; "recipients_h" an array with one hash per
 *      recipient; "rules" an array of {"id","detail","where","recipient"}
 *      ("recipient" the index into the recipients, or null); "note" the
 *      text of a record that names no rule (a consent change, a forget).
 *      A detail or note naming a person is chained as "detail_h" or
 *      "note_h" (its HMAC), its text kept beside the chain; the merged
 *      view (db_evidence_get) carries the texts as "details" (one per
 *      rule) and "note".
 */
#ifndef CG_DB_EVREC_H
#define CG_DB_EVREC_H

#include <stddef.h>
#include <stdint.h>

/* The record format version db_evidence_append writes. */
#define DB_EVIDENCE_VERSION 3
/* The oldest record version the reader knows. */
#define DB_EVIDENCE_VERSION_MIN 1

/* One rule that fired, as read (strings owned by the record). */
struct db_evrule {
	char *id;     /* a catalogue rule id, e.g. "consent.missing" */
	char *detail; /* "" when none */
	char *where;  /* "" when not given */
	int rcpt;     /* index into the recipients, or -1 (the message) */
	char *detail_h; /* a personal detail: the chain's HMAC of it (the
			 * text is in detail only in the merged view), or "" */
};

/*
 * One record.  Every string is owned, NUL-terminated and never NULL after a
 * successful db_evrec_parse (a missing field is ""); db_evrec_free releases
 * them.  Strings are valid UTF-8 (bytes that are not become U+FFFD).
 */
struct db_evrec {
	int version;      /* DB_EVIDENCE_VERSION_MIN .. DB_EVIDENCE_VERSION */
	uint64_t seq;
	char *prev;
	char *time_text;  /* as stored, e.g. "2026-11-24T10:00:00Z" */
	int64_t time;     /* time_text in UTC seconds */
	int time_ok;      /* 0 when time_text is missing or does not parse */
	char *ref;
	char *kind;       /* decision, doi-send, doi-retry, withdrawal, consent */
	char *queue_id;
	char *message_id;
	char *sender;     /* plaintext (merged view or version 1), or "" */
	char **rcptv;     /* the recipients one by one (as sender) */
	size_t nrcpt;
	char *recipients; /* rcptv joined with ',' (for text and CSV) */
	char *client_ip;
	char *key_id;     /* the id of the deployment key the hashes were made
			   * with, "" for the store's own (db/store.h) */
	char *sender_h;   /* the keyed hashes of the chain ("" in version 1) */
	char **rcpt_hv;   /* one hash per recipient */
	size_t nrcpt_h;
	char *recipients_h; /* rcpt_hv joined with ',' */
	char *client_ip_h;
	int tls;          /* 0 or 1 */
	char *cls;        /* the "class" field */
	struct db_evrule *rulev; /* the rules that fired, in order */
	size_t nrules;
	char *note;       /* text that names no rule, or "" */
	char *note_h;     /* a personal note: the chain's HMAC of it, or "" */
	char *rules;      /* rulev as "id: detail @ where; ..." then note */
	char *action;
	char *sha256;
	char *retry_of;   /* doi-retry: ref of the doi-send record of the same
			   * mail; "" for every other record */
	char *before;     /* a consent change: the state before and after */
	char *after;      /* ("" in records of other kinds and older ones) */
	char *profile;    /* the brand profile the milter applied, "" when
			   * none (records without one, and older ones) */
};

/*
 * Does the n bytes at id name a rule?  Used to split a version 1 or 2
 * rules string: an entry counts as a rule only when its id is one (the
 * caller passes the catalogue's lookup; db/ does not know the rules).
 * NULL: no entry is a rule (all text goes to note).
 */
typedef int (*db_evrec_is_rule)(const char *id, size_t n);

/* Return codes of db_evrec_parse besides DB_OK and DB_ERR_NOMEM. */
#define DB_EVREC_SYNTAX DB_ERR_CORRUPT /* not a JSON object */

/*
 * Parse the record text json (len bytes; need not be NUL-terminated) into
 * *out, which is overwritten.  Members of unknown names or of another
 * type than expected are skipped; a repeated name keeps the last.  Old
 * string forms are converted here and only here.  DB_OK, DB_ERR_CORRUPT
 * (not a JSON object; *out holds no memory) or DB_ERR_NOMEM.
 */
int db_evrec_parse(const char *json, size_t len, db_evrec_is_rule is_rule,
		   struct db_evrec *out);
/*
 * A comma-joined list of versions 1 and 2 (hashes, or the recipients of
 * an evpii entry of that time) split as its hashes were made: "" is one
 * empty element.  *list (malloc'd strings in a malloc'd array) and *count
 * are set; DB_OK or DB_ERR_NOMEM.
 */
int db_evrec_old_list(const char *text, char ***list, size_t *count);
/* Release r's memory and zero it (safe on a zeroed struct). */
void db_evrec_free(struct db_evrec *r);

#endif
