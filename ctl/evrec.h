/*
 * evrec.h - one evidence record as consentctl reviews it: parsed from the
 * stored JSON text into owned strings, matched against the filters of
 * `log`, `stats` and `report`, and walked over the whole store.
 */
#ifndef CG_CTL_EVREC_H
#define CG_CTL_EVREC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/addr.h"
#include "../db/store.h"

/*
 * The fields of a stored record (db/store.h, db_evidence_append).  Every
 * string is owned by the struct, NUL-terminated and never NULL after a
 * successful ctl_evrec_parse (a missing field is ""); ctl_evrec_free
 * releases them.  Strings hold UTF-8 as decoded from the JSON text; a
 * \u0000 escape or a lone surrogate becomes U+FFFD.
 */
struct ctl_evrec {
	uint64_t seq;
	char *prev;
	char *time_text;  /* as stored, e.g. "2026-11-24T10:00:00Z" */
	int64_t time;     /* time_text in UTC seconds */
	int time_ok;      /* 0 when time_text is missing or does not parse */
	char *ref;
	char *kind;       /* decision, doi-send, doi-retry, withdrawal, consent */
	char *queue_id;
	char *message_id;
	char *sender;
	char *recipients; /* comma-separated */
	char *client_ip;
	char *sender_h;   /* the keyed hashes of the chain (db/store.h) */
	char *recipients_h;
	char *client_ip_h;
	int tls;          /* 0 or 1 */
	char *cls;        /* the "class" field */
	char *rules;      /* "rule.id: detail @ where; rule.id: detail" */
	char *action;
	char *sha256;
	char *retry_of;   /* doi-retry: ref of the doi-send record of the same
			   * mail; "" for every other record */
	char *before;     /* a consent change: the state before and after */
	char *after;      /* ("" in records of other kinds and older ones) */
};

/* Return codes of ctl_evrec_parse. */
#define CTL_EVREC_OK 0
#define CTL_EVREC_SYNTAX (-1) /* not a flat JSON object of the known types */
#define CTL_EVREC_NOMEM (-2)

/*
 * Parse the JSON object text json (len bytes; need not be NUL-terminated)
 * into *out, which is overwritten, with the one JSON reader
 * (common/jsonread.h).  Members of unknown names or of another type than
 * the field's are skipped; a repeated name keeps the last value.  On
 * failure *out holds no memory.
 */
int ctl_evrec_parse(const char *json, size_t len, struct ctl_evrec *out);
/* Release the strings of r and zero it (safe on a zeroed struct). */
void ctl_evrec_free(struct ctl_evrec *r);

/*
 * Step through the rules field: *p starts at the field and is advanced.
 * Entries are separated by "; " before a rule id (lower-case letters,
 * digits, '.', '-', '_') followed by ':', so a detail that contains "; "
 * stays whole.  Sets the id and detail spans (pointers into the field) and
 * returns 1, or returns 0 at the end.
 */
int ctl_evrec_rule_next(const char **p, const char **id, size_t *idlen,
			const char **detail, size_t *detaillen);
/* Does r name the data subject whose keyed hash is h: as sender, as one
 * recipient, or in its rules text (a forget record)?  1 or 0. */
int ctl_evrec_names_hash(const struct ctl_evrec *r, const char *h);
/* Write r as one text line (time ref kind class action sender ->
 * recipients rules, then "retry-of=REF" for a doi-retry; control
 * characters as '?', empty fields as '-'). */
void ctl_evrec_print(FILE *out, const struct ctl_evrec *r);
/* Does r name rule id (exact, case-sensitive)?  1 or 0. */
int ctl_evrec_has_rule(const struct ctl_evrec *r, const char *id);
/* Is one recipient of r, normalised, equal to key (normalised)?  1 or 0. */
int ctl_evrec_has_recipient(const struct ctl_evrec *r, const char *key);
/* Is r a refused message: a decision whose action is reject or tempfail? */
int ctl_evrec_refused(const struct ctl_evrec *r);
/* The UTC day of r as "2026-11-24" into out (11 bytes); "unknown" when
 * its time did not parse. */
void ctl_evrec_day(const struct ctl_evrec *r, char out[DB_TIME_MAX]);
/*
 * Does r record a withdrawal that took effect?  A consent change whose
 * state after is withdrawn and before was not; in records written before
 * the states were kept, a withdrawal by mail (kind withdrawal, action
 * withdrawn) or consentctl's and ingest-log's (kind consent, action
 * withdraw).  1 or 0.
 */
int ctl_evrec_is_withdrawal(const struct ctl_evrec *r);

/*
 * The filters of `log` (and the time window of `stats` and `report`).  A
 * NULL string or a 0 has_ flag means "any".  since is inclusive, until
 * exclusive.  sender and recipient hold normalised addresses (the sender
 * "" is the null sender).
 */
struct ctl_evfilter {
	int has_since, has_until, has_sender, has_recipient;
	int64_t since, until;
	const char *rule, *action, *cls, *kind; /* borrowed from argv */
	char sender[ADDR_MAX + 1];
	char recipient[ADDR_MAX + 1];
};

/* getopt_long values of the filter options. */
enum {
	CTL_EVOPT_SINCE = 0x100,
	CTL_EVOPT_UNTIL,
	CTL_EVOPT_RULE,
	CTL_EVOPT_ACTION,
	CTL_EVOPT_SENDER,
	CTL_EVOPT_RECIPIENT,
	CTL_EVOPT_CLASS,
	CTL_EVOPT_KIND
};

/*
 * Apply one filter option (a CTL_EVOPT_* value) with its argument.  Checks
 * times, addresses, actions and kinds; prints the problem.  Returns
 * CTL_EXIT_OK or CTL_EXIT_USAGE (also when since is not before until).
 */
int ctl_evfilter_option(struct ctl_evfilter *f, int opt, const char *arg);
/* Does r pass every filter of f?  1 or 0. */
int ctl_evfilter_match(const struct ctl_evfilter *f,
		       const struct ctl_evrec *r);

/*
 * Called for each matching record: r is owned by the walker and freed when
 * cb returns, unless cb takes its strings (then it zeroes *r).  json is the
 * stored text (len bytes, NUL-terminated), borrowed until cb returns.
 * Return 0 to go on, non-zero to stop the walk with that value.
 */
typedef int (*ctl_evrec_cb)(struct ctl_evrec *r, const char *json,
			    size_t len, void *arg);
/*
 * Walk every evidence record of s in seq order, calling cb for those that
 * match f (NULL: all).  A record that does not parse is named on stderr,
 * counted in *bad and skipped.  Returns DB_OK, a DB_* error (printed), or
 * cb's non-zero value.
 */
int ctl_evrec_walk(struct db_store *s, const struct ctl_evfilter *f,
		   ctl_evrec_cb cb, void *arg, uint64_t *bad);

#endif
