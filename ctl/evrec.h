/*
 * evrec.h - one evidence record as consentctl reviews it: read by the one
 * record reader (db/evrec.h) whatever its version, matched against the
 * filters of `log`, `stats` and `report`, and walked over the whole store.
 */
#ifndef CG_CTL_EVREC_H
#define CG_CTL_EVREC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/addr.h"
#include "../db/evrec.h"
#include "../db/store.h"

/* Return codes of ctl_evrec_parse. */
#define CTL_EVREC_OK 0
#define CTL_EVREC_SYNTAX (-1) /* not a JSON object */
#define CTL_EVREC_NOMEM (-2)

/*
 * Parse the record text json (len bytes; need not be NUL-terminated) of
 * any version into *out (db/evrec.h, db_evrec_parse), which is
 * overwritten; old rules strings are split with the catalogue's rule ids.
 * On failure *out holds no memory.  Free with ctl_evrec_free.
 */
int ctl_evrec_parse(const char *json, size_t len, struct db_evrec *out);
/* Release the memory of r and zero it (safe on a zeroed struct). */
void ctl_evrec_free(struct db_evrec *r);
/* Is name an action an evidence record can hold (the catalogue's list,
 * case-insensitive)?  1 or 0. */
int ctl_evrec_action_known(const char *name);

/* Does r name the data subject whose keyed hash is h: as sender, as one
 * recipient, or in its note (a forget record)?  1 or 0. */
int ctl_evrec_names_hash(const struct db_evrec *r, const char *h);
/* Write r as one text line (time ref kind class action sender ->
 * recipients rules (and note), then "retry-of=REF" for a doi-retry,
 * "profile=NAME" for a record made under a brand profile; control
 * characters as '?', empty fields as '-'). */
void ctl_evrec_print(FILE *out, const struct db_evrec *r);
/* Does r name rule id (exact, case-sensitive)?  1 or 0. */
int ctl_evrec_has_rule(const struct db_evrec *r, const char *id);
/* Is one recipient of r, normalised, equal to key (normalised)?  1 or 0. */
int ctl_evrec_has_recipient(const struct db_evrec *r, const char *key);
/* Is r a refused message: a decision whose action is reject or tempfail? */
int ctl_evrec_refused(const struct db_evrec *r);
/* The UTC day of r as "2026-11-24" into out (11 bytes); "unknown" when
 * its time did not parse. */
void ctl_evrec_day(const struct db_evrec *r, char out[DB_TIME_MAX]);
/*
 * Does r record a withdrawal that took effect?  A consent change whose
 * state after is withdrawn and before was not; in records written before
 * the states were kept, a withdrawal by mail (kind withdrawal, action
 * withdrawn) or consentctl's and ingest-log's (kind consent, action
 * withdraw).  1 or 0.
 */
int ctl_evrec_is_withdrawal(const struct db_evrec *r);

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
	const char *profile; /* a brand profile name (exact), borrowed */
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
	CTL_EVOPT_KIND,
	CTL_EVOPT_PROFILE
};

/*
 * Apply one filter option (a CTL_EVOPT_* value) with its argument.  Checks
 * times, addresses, actions and kinds; prints the problem.  Returns
 * CTL_EXIT_OK or CTL_EXIT_USAGE (also when since is not before until).
 */
int ctl_evfilter_option(struct ctl_evfilter *f, int opt, const char *arg);
/* Does r pass every filter of f?  1 or 0. */
int ctl_evfilter_match(const struct ctl_evfilter *f,
		       const struct db_evrec *r);

/*
 * Called for each matching record: r is owned by the walker and freed when
 * cb returns, unless cb takes its strings (then it zeroes *r).  json is the
 * stored text (len bytes, NUL-terminated), borrowed until cb returns.
 * Return 0 to go on, non-zero to stop the walk with that value.
 */
typedef int (*ctl_evrec_cb)(struct db_evrec *r, const char *json,
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
