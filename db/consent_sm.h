/*
 * consent_sm.h - the consent state machine: the one table of allowed
 * changes of a consent record that every writer goes through (consentctl
 * add, confirm, withdraw and import, ingest-log, withdrawals by mail, DOI
 * sends and the replication follower).
 *
 * A change is an event (struct db_event) applied to the current record
 * (or to none).  The table says, per state and event, the state that
 * follows or why the event is refused.  The rule that matters most: a
 * withdrawal is left only by a new double opt-in, a DOI mail sent after
 * the withdrawal and a confirmation (click) after that send, or by an
 * administrator's --force with a reason, which is then part of the
 * evidence.  A confirmation never overwrites an earlier one: each is added
 * to the record's history (store.h, struct db_confirmation).
 *
 * db_sm_step is a pure function; db_consent_apply runs it inside one write
 * transaction together with the evidence record of the change.  Nothing
 * here logs.
 */
#ifndef CG_CONSENT_SM_H
#define CG_CONSENT_SM_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

enum db_event_kind {
	DB_EV_ADD = 1,   /* a new record, ev->rec (consentctl add, import) */
	DB_EV_CONFIRM,   /* a confirmation at ev->at from ev->ip / ev->source */
	DB_EV_WITHDRAW,  /* a withdrawal at ev->at */
	DB_EV_DOI_SEND,  /* a DOI mail handed to the MTA at ev->at */
	DB_EV_PENDING,   /* set pending without a send (import) */
	DB_EV_CUSTOMER,  /* an existing customer (§7(3) UWG) (import, add) */
	DB_EV_COUNT
};

struct db_event {
	int kind;               /* enum db_event_kind */
	int64_t at;             /* UTC seconds; 0 unknown */
	const char *ip;         /* CONFIRM: the confirming IP, or NULL */
	const char *source;     /* CONFIRM: where the proof is, or NULL */
	const char *note;       /* where the event was read (the history's
				 * source when source is empty), or NULL */
	const struct db_consent *rec; /* ADD: the record to create */
	/* DOI_SEND: the mail; uid and source name a record it creates. */
	const char *msgid, *hash, *ref, *uid;
	/* An administrator's override of a refusal: who and why.  Only
	 * honoured with a non-empty reason. */
	int force;
	const char *force_by, *force_reason;
	/* The administrator's own statement (consentctl add): it counts as
	 * the proof of a confirmed record, note naming who made it. */
	int admin;
	/* The list the event is about (a valid list name), or NULL: every
	 * list of the record.  See "Lists" below. */
	const char *list;
};

enum db_sm_outcome {
	DB_SM_CHANGED = 0, /* *out differs from the current record */
	DB_SM_SAME = 1,    /* nothing to change */
	DB_SM_REFUSED = 2  /* not allowed; why says so */
};

/* Short names of the refusal reasons (struct db_sm_result.code), used for
 * the import summary. */
#define DB_SM_WHY_MAX 240
struct db_sm_result {
	int outcome;        /* enum db_sm_outcome */
	int forced;         /* a refusal overridden by ev->force */
	int before, after;  /* states (DB_STATE_NONE for no record) */
	const char *code;   /* refusals: "re-confirm-withdrawal",
			     * "undo-withdrawal", "undo-confirmation",
			     * "older-than-confirmation", "no-proof",
			     * "exists", "no-record", "doi-before-withdrawal",
			     * "forced-too-early"; NULL otherwise (static) */
	char why[DB_SM_WHY_MAX]; /* refusals: a sentence with the times */
};

/*
 * Lists.  Each list of a record (store.h, struct db_list) goes through the
 * table on its own: the event is stepped on the record as the list sees it
 * (the record with the list's state and times), and the list takes the
 * result; what lists share (DOI send, uid, history) is the record's.  A
 * list the record does not name yet is pending to an event that names it,
 * or withdrawn with the record's withdrawal when every list is withdrawn.
 * An event without a list goes to every list, except that lists withdrawn
 * on their own stay withdrawn while others are not (a new double opt-in
 * without a list does not bring back a list the subscriber left); when
 * every list is withdrawn it goes to all of them.  ADD on no record makes
 * the record's lists: ev->rec's, or the one list ev->list (default
 * DB_LIST_DEFAULT).  The record's state then follows its lists (store.h);
 * its first confirmation stays its confirmation.  Each list keeps its own
 * last DOI send, so the way out of a list's withdrawal is a DOI mail for
 * that list (or, when every list is withdrawn, one without a list) and a
 * click after it; the record's doi_sent is the last send of all.
 *
 * Apply ev to cur (NULL: no record) into *out.  Pure: no store access.
 * Returns the outcome (also in res->outcome); *out is only meaningful
 * for DB_SM_CHANGED.
 */
int db_sm_step(const struct db_consent *cur, const struct db_event *ev,
	       struct db_consent *out, struct db_sm_result *res);

/*
 * Merge an imported or replicated row into cur (NULL: no record).  mask
 * has a bit (1 << DB_ROW_*) for each field the row sets.  The row becomes
 * a short sequence of events (a newer DOI send, then its state) that
 * db_sm_step judges; fields without a state meaning (uid, tracking,
 * created, an empty source) are merged as given.  now stands in for a
 * missing withdrawal time.  row's lists (DB_ROW_LISTS, DB_ROW_WITHDRAWN_
 * LISTS; entries of state withdrawn are the latter) name the lists the
 * row is about: the state's event goes to each list of the first kind
 * (without them: to the record, every list), and each list of the second
 * kind is withdrawn at the row's withdrawn time (or now).
 */
enum db_row_field {
	DB_ROW_STATE, DB_ROW_UID, DB_ROW_IP, DB_ROW_CREATED, DB_ROW_CONFIRMED,
	DB_ROW_WITHDRAWN, DB_ROW_SOURCE, DB_ROW_TRACKING, DB_ROW_DOI_SENT,
	DB_ROW_DOI_MSGID, DB_ROW_LISTS, DB_ROW_WITHDRAWN_LISTS
};
int db_sm_merge_row(const struct db_consent *cur, const struct db_consent *row,
		    unsigned int mask, int64_t now, const char *where,
		    const struct db_event *force, struct db_consent *out,
		    struct db_sm_result *res);

/*
 * May the centre's row (replication) replace cur?  When cur holds a
 * withdrawal that no later confirmation followed, a row that is not
 * withdrawn needs a DOI send at or after the withdrawal (its own or the
 * record's) to leave withdrawn, and a confirmed row a confirmation at or
 * after that send; the guards are the table's.
 * DB_SM_CHANGED (allowed) or DB_SM_REFUSED (res says why).
 */
int db_sm_replica_check(const struct db_consent *cur,
			const struct db_consent *row,
			struct db_sm_result *res);
/*
 * The lists of the centre's row (replication) against cur's, each as the
 * record: a list the row names may not turn the local withdrawal of that
 * list into consent (db_sm_replica_check on the record as the list sees
 * it); a list the row does not name keeps its local state and is added to
 * *row.  forced: an administrator overrode the centre's guard for the row;
 * then a list's refusal is waived when the row's confirmation or DOI send
 * of that list is not older than the local withdrawal of the list (the
 * rule of a local --force).  DB_SM_CHANGED (row's lists merged) or
 * DB_SM_REFUSED (res says which list and why; *row unchanged).
 */
int db_sm_replica_lists(const struct db_consent *cur, struct db_consent *row,
			int forced, struct db_sm_result *res);
/* Add a confirmation to c's history unless the same time and IP are
 * there (the second oldest entry makes room when it is full); 1 when
 * added, 0 when already there. */
int db_consent_history_add(struct db_consent *c, int64_t at, const char *ip,
			   const char *source);

/*
 * The lists of c written out into *out (a copy of c): a record without
 * lists gets the implicit list DB_LIST_DEFAULT with its own state and
 * times.
 */
void db_consent_lists_of(const struct db_consent *c, struct db_consent *out);
/*
 * Make c's lists agree with its record-level fields after a merge that set
 * them directly (replication): lists written out, a record that is
 * withdrawn withdraws every list (at its withdrawal time at the latest), a
 * list confirmed with a later withdrawal is withdrawn, and the record's
 * state then follows its lists as after a step.
 */
void db_consent_reconcile(struct db_consent *c);
/*
 * The state a reader must act on for one list: withdrawn when the record
 * is, else the list's own (a list confirmed with a later withdrawal is
 * withdrawn), DB_STATE_NONE when the record does not name the list.
 */
int db_consent_list_state(const struct db_consent *c, const char *list);

/*
 * The state a reader must act on.  A record that says confirmed but holds
 * a withdrawal later than its confirmation (left by an import or confirm
 * of a version before the state machine) is withdrawn.
 */
int db_consent_effective_state(const struct db_consent *c);
/* A confirmed record without DOI proof: no DOI mail sent at or before its
 * confirmation.  1 or 0. */
int db_consent_lacks_doi(const struct db_consent *c);

/*
 * Read addr's record, step ev, and when it changed, store the result and
 * append e (if not NULL) with before/after set, all in one transaction.
 * res gets the outcome.  DB_OK (also for SAME and REFUSED), or <0 for a
 * store error (DB_ERR_INVALID: not an address, or a uid held by another
 * address).  With dry_run nothing is written.
 */
int db_consent_apply(struct db_store *s, const char *addr,
		     const struct db_event *ev, const struct db_evidence *e,
		     int dry_run, struct db_sm_result *res);

#endif
