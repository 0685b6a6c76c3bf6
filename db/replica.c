/*
 * replica.c - apply the centre's consent changes to the local store: in
 * batches, each batch in one write transaction together with the id of its
 * last change (exactly once, resumable); a full resync of the whole
 * consent table uses the same steps in batches (db/replica_resync.c).
 * Also the small replication state read by consentctl status and the
 * milter, and switching the outbox on.
 *
 * A central row goes through the consent state machine
 * (db_sm_replica_check): it may not turn a local withdrawal into consent
 * unless it carries a DOI send at or after the withdrawal and a
 * confirmation after that send; such a row is skipped (result
 * DB_REPLICA_REFUSED) and the local record stays, in a resync too.
 *
 * A change this store cannot hold (db_replica_storable) is never skipped:
 * the caller stops before it and marks the store stuck at its id
 * (db_replica_set_stuck), which the next commit clears; status and the
 * evidence of each decision report it.
 *
 * A central change for an address that has an entry waiting in the outbox
 * is skipped: the local change is newer than anything the centre has seen
 * of it, and once pushed the centre answers with a change of its own (or,
 * when it refuses, consentctl follow applies the centre's row through
 * db_outbox_ack).
 *
 * Owns: the transactions it begins and the set of outbox addresses of
 * each.  Never logs; returns DB_* codes and per-change results.
 */
#include "outbox_int.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "evpii.h"
#include "meta.h"
#include "consent_sm.h"
#include "replica.h"
#include "replica_int.h"

/* The stuck mark ("ID WHY") into *id and why; 0 and "" without one. */
static int
db_replica_stuck_get(struct db_store *s, MDB_txn *txn, int64_t *id,
		     char *why, size_t whysz)
{
	char text[DB_REPLICA_WHY_MAX + 24], *end;
	int rc;

	*id = 0;
	if (why)
		why[0] = '\0';
	rc = db_meta_get_text(s, txn, DB_META_REPL_STUCK, text, sizeof(text));
	if (rc == DB_NOTFOUND)
		return DB_OK;
	if (rc != DB_OK)
		return rc;
	*id = strtoll(text, &end, 10);
	if (*end == ' ')
		end++;
	if (why)
		snprintf(why, whysz, "%s", end);
	/* A resync that cannot finish is stuck at "change" 0: mark it -1. */
	if (*id == 0)
		*id = -1;
	return DB_OK;
}

int
db_replica_set_stuck(struct db_store *s, int64_t id, const char *why)
{
	MDB_val k = {strlen(DB_META_REPL_STUCK), (void *)DB_META_REPL_STUCK};
	char text[DB_REPLICA_WHY_MAX + 24];
	MDB_val v;
	MDB_txn *txn;
	int rc;

	v.mv_size = (size_t)snprintf(text, sizeof(text), "%lld %.*s",
				     (long long)id, DB_REPLICA_WHY_MAX - 1, why);
	if (v.mv_size >= sizeof(text))
		v.mv_size = sizeof(text) - 1;
	v.mv_data = text;
	if ((rc = db_txn_begin(s, 0, &txn)) != DB_OK)
		return rc;
	if ((rc = db_from_mdb(mdb_put(txn, s->meta, &k, &v, 0))) != DB_OK) {
		db_txn_abort(txn);
		return rc;
	}
	return db_txn_commit(txn);
}

int
db_replica_health(struct db_store *s, int64_t now, int64_t *age,
		  int64_t *stuck_id)
{
	int64_t synced = 0;
	MDB_txn *txn;
	int rc;

	*stuck_id = 0;
	if ((rc = db_txn_begin(s, 1, &txn)) != DB_OK)
		return rc;
	rc = db_meta_get_int(s, txn, DB_META_REPL_SYNCED, &synced);
	if (rc == DB_OK)
		rc = db_replica_stuck_get(s, txn, stuck_id, NULL, 0);
	db_txn_abort(txn);
	if (rc == DB_OK)
		*age = now > synced ? now - synced : 0;
	return rc;
}

const char *
db_replica_storable(const struct db_replica_change *ch)
{
	char key[ADDR_MAX + 1];
	const char *why;

	if (ch->op == DB_REPLICA_SKIP)
		return NULL;
	if (addr_normalise(ch->addr, key, sizeof(key)) < 0)
		return "not an address this store can hold";
	if (strcmp(key, ch->addr) != 0)
		return "the address is not in normal form (lower case, NFC, "
		       "A-label domain)";
	if (ch->op == DB_REPLICA_PUT && (why = db_consent_check(&ch->c)))
		return why;
	return NULL;
}

int
db_replica_status(struct db_store *s, struct db_replica_state *out)
{
	MDB_stat st;
	MDB_txn *txn;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = db_txn_begin(s, 1, &txn)) != DB_OK)
		return rc;
	rc = db_outbox_enabled_txn(s, txn);
	if (rc >= 0) {
		out->enabled = rc;
		rc = db_meta_get_int(s, txn, DB_META_REPL_LAST, &out->last_id);
	}
	if (rc == DB_OK || rc == DB_NOTFOUND)
		rc = db_meta_get_int(s, txn, DB_META_REPL_SYNCED, &out->synced);
	if (rc == DB_NOTFOUND)
		rc = DB_OK;
	if (rc == DB_OK && s->has_outbox &&
	    (rc = db_from_mdb(mdb_stat(txn, s->outbox, &st))) == DB_OK)
		out->outbox = st.ms_entries;
	if (rc == DB_OK && s->has_dead &&
	    (rc = db_from_mdb(mdb_stat(txn, s->outbox_dead, &st))) == DB_OK)
		out->dead = st.ms_entries;
	if (rc == DB_OK && (rc = db_from_mdb(mdb_stat(txn, s->consent, &st))) ==
	    DB_OK)
		out->records = st.ms_entries;
	if (rc == DB_OK)
		rc = db_replica_stuck_get(s, txn, &out->stuck_id, out->stuck_why,
					  sizeof(out->stuck_why));
	if (rc == DB_OK)
		rc = db_replica_verified_txn(s, txn, &out->verified,
					     &out->verify_diff);
	if (rc == DB_OK) {
		rc = db_meta_get_int(s, txn, DB_META_REPL_RESYNC,
				     &out->resync);
		if (rc == DB_NOTFOUND)
			rc = DB_OK;
	}
	db_txn_abort(txn);
	return rc;
}

int
db_replica_age(struct db_store *s, int64_t now, int64_t *age)
{
	int64_t stuck;

	return db_replica_health(s, now, age, &stuck);
}

/* Queue every record the store holds (the first enable). */
static int
db_replica_queue_all(struct db_store *s, MDB_txn *txn, uint64_t *queued)
{
	char key[ADDR_MAX + 1];
	struct db_consent c;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, got;

	if ((rc = mdb_cursor_open(txn, s->consent, &cur)) != 0)
		return db_from_mdb(rc);
	rc = DB_OK;
	got = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (; got == 0; got = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size == 0 || k.mv_size > ADDR_MAX ||
		    db_codec_decode(v.mv_data, v.mv_size, &c) != DB_OK)
			continue; /* verify reports it; it cannot be pushed */
		memcpy(key, k.mv_data, k.mv_size);
		key[k.mv_size] = '\0';
		if ((rc = db_outbox_add_consent_txn(s, txn, key, &c)) != DB_OK)
			break;
		(*queued)++;
	}
	if (rc == DB_OK && got != MDB_NOTFOUND)
		rc = db_from_mdb(got);
	mdb_cursor_close(cur);
	return rc;
}

int
db_replica_enable(struct db_store *s, uint64_t *queued)
{
	uint64_t n = 0;
	MDB_txn *txn;
	int rc;

	if (queued)
		*queued = 0;
	if (!s->has_outbox)
		return s->rdonly ? DB_ERR_READONLY : DB_ERR_IO;
	if ((rc = db_txn_begin(s, 0, &txn)) != DB_OK)
		return rc;
	rc = db_outbox_enabled_txn(s, txn);
	if (rc == 1) {
		db_txn_abort(txn);
		return DB_OK;
	}
	if (rc == 0)
		rc = db_meta_put_int(s, txn, DB_META_REPL_OUTBOX, 1);
	if (rc == DB_OK)
		rc = db_replica_queue_all(s, txn, &n);
	if (rc != DB_OK) {
		db_txn_abort(txn);
		return rc;
	}
	if ((rc = db_txn_commit(txn)) == DB_OK && queued)
		*queued = n;
	return rc;
}

int
db_replica_follower_sync(struct db_store *s)
{
	return db_from_mdb(mdb_env_set_flags(s->core.env, MDB_NOMETASYNC, 1));
}

int
db_replica_touch(struct db_store *s, int64_t now)
{
	MDB_txn *txn;
	int rc;

	if ((rc = db_txn_begin(s, 0, &txn)) != DB_OK)
		return rc;
	if ((rc = db_meta_put_int(s, txn, DB_META_REPL_SYNCED, now)) != DB_OK) {
		db_txn_abort(txn);
		return rc;
	}
	return db_txn_commit(txn);
}

/* A forced central change is taken like a local --force: never with a
 * time older than the withdrawal it overrides. */
static int
db_replica_forced_ok(const struct db_consent *cur,
		     const struct db_replica_change *ch)
{
	int64_t at = ch->c.confirmed;

	if (ch->c.doi_sent > at)
		at = ch->c.doi_sent;
	if (ch->c.created > at)
		at = ch->c.created;
	return ch->forced && at >= cur->withdrawn;
}

/*
 * The evidence that a withdrawal from the centre reached this store: one
 * consent record, action "withdraw", with the address as its recipient,
 * the time it was applied (now) and a note naming the source, the
 * centre's change id (0: a full resync) and the original withdrawal time.
 * list: the list withdrawn, or NULL for the record as a whole.
 */
static int
db_replica_wd_record(struct db_store *s, MDB_txn *txn, const char *key,
		     int before, const struct db_consent *c,
		     const struct db_replica_change *ch, const char *list,
		     int64_t at, int64_t now)
{
	char ref[64], note[160], when[DB_TIME_MAX], prev[DB_HASH_HEX];
	struct db_evidence e;
	uint64_t seq;
	int rc;

	if ((rc = db_evidence_last_txn(s, txn, &seq, prev)) != DB_OK)
		return rc;
	/* The seq makes the reference unique in this store. */
	snprintf(ref, sizeof(ref), "repl-%lld-%llu", (long long)ch->id,
		 (unsigned long long)seq);
	snprintf(note, sizeof(note), "source=replica, change=%lld, at=%s%s%s",
		 (long long)ch->id, db_time_format(at, when, sizeof(when)),
		 list ? ", list=" : "", list ? list : "");
	memset(&e, 0, sizeof(e));
	e.time = now;
	e.ref = ref;
	e.kind = "consent";
	e.queue_id = "";
	e.message_id = "";
	e.sender = "";
	e.recipients = key;
	e.client_ip = "";
	e.cls = "";
	e.rules = note;
	e.action = "withdraw";
	e.sha256 = "";
	e.before = db_state_name(before);
	e.after = db_state_name(db_consent_effective_state(c));
	return db_evidence_append_txn(s, txn, &e, 1, NULL);
}

/*
 * Record each withdrawal the centre's row brings to this store: the
 * record turned withdrawn (old: the local record before, NULL none), else
 * each list it names that turned withdrawn.  A withdrawal this store
 * already held writes nothing, and so does one for an address this store
 * had no record of: no mail could pass here for it, and a bootstrap or a
 * central suppression list would otherwise write one record per address.
 */
static int
db_replica_wd_evidence(struct db_store *s, MDB_txn *txn, const char *key,
		       const struct db_consent *old,
		       const struct db_consent *c,
		       const struct db_replica_change *ch, int64_t now)
{
	int before = old ? db_consent_effective_state(old) : DB_STATE_NONE;
	const struct db_list *l;
	unsigned int i;
	int rc = DB_OK;

	if (old == NULL)
		return DB_OK;
	if (db_consent_effective_state(c) == DB_STATE_WITHDRAWN)
		return before == DB_STATE_WITHDRAWN ? DB_OK :
		       db_replica_wd_record(s, txn, key, before, c, ch, NULL,
					    c->withdrawn, now);
	for (i = 0; rc == DB_OK && i < c->nlists; i++) {
		l = &c->lists[i];
		if (db_consent_list_state(c, l->name) != DB_STATE_WITHDRAWN ||
		    (old && db_consent_list_state(old, l->name) ==
				    DB_STATE_WITHDRAWN))
			continue;
		rc = db_replica_wd_record(s, txn, key, before, c, ch, l->name,
					  l->withdrawn ? l->withdrawn :
							 c->withdrawn, now);
	}
	return rc;
}

/*
 * The centre's row for key through the state machine: it may not turn the
 * local withdrawal (cur) into consent without a DOI send at or after the
 * withdrawal and a confirmation after that send (DB_REPLICA_REFUSED, the
 * local record stays).  An allowed row is written as the centre has it,
 * keeping the local confirmation history (the row's confirmation added),
 * and the later of the local and the central withdrawal and DOI send.
 * Each list the row names is checked the same way (db_sm_replica_lists);
 * lists it does not name keep their local state.  A change an
 * administrator forced at the centre (db_replica_forced_ok) passes both
 * checks unless older than the withdrawal it overrides; the lists are
 * merged either way.  A withdrawal the row brings is recorded as
 * evidence (db_replica_wd_evidence; old: the local record, NULL none).
 */
static int
db_replica_put(struct db_store *s, MDB_txn *txn, const char *key,
	       const struct db_consent *cur, const struct db_consent *old,
	       struct db_replica_change *ch, int64_t now)
{
	struct db_consent c = ch->c;
	struct db_sm_result res;
	int forced = cur && db_replica_forced_ok(cur, ch);
	int rc;

	if (cur && ((!forced &&
		     db_sm_replica_check(cur, &ch->c, &res) == DB_SM_REFUSED) ||
		    db_sm_replica_lists(cur, &c, forced, &res) ==
			    DB_SM_REFUSED)) {
		ch->result = DB_REPLICA_REFUSED;
		snprintf(ch->why, sizeof(ch->why), "%s", res.why);
		return DB_OK;
	}
	if (cur) {
		c.nhistory = cur->nhistory;
		memcpy(c.history, cur->history, sizeof(c.history));
		/* A withdrawal and a DOI send are never forgotten. */
		if (cur->withdrawn > c.withdrawn)
			c.withdrawn = cur->withdrawn;
		if (cur->doi_sent > c.doi_sent) {
			c.doi_sent = cur->doi_sent;
			memcpy(c.doi_msgid, cur->doi_msgid, sizeof(c.doi_msgid));
			memcpy(c.doi_hash, cur->doi_hash, sizeof(c.doi_hash));
			memcpy(c.doi_ref, cur->doi_ref, sizeof(c.doi_ref));
		}
	}
	/* Confirmed with a later withdrawal is withdrawn (consent_sm.h),
	 * and so are its lists. */
	c.state = db_consent_effective_state(&c);
	db_consent_reconcile(&c);
	if (c.state == DB_STATE_CONFIRMED && c.confirmed != 0)
		db_consent_history_add(&c, c.confirmed, c.ip,
				       "replicated from the centre");
	/* The centre's uids are unique; force moves a stale index entry of
	 * a record that a later change moves off it. */
	rc = db_consent_write_txn(s, txn, key, &c, 1);
	if (rc == DB_OK)
		rc = db_replica_wd_evidence(s, txn, key, old, &c, ch, now);
	if (rc == DB_OK)
		ch->result = DB_REPLICA_APPLIED;
	return rc;
}

int
db_replica_one(struct db_store *s, MDB_txn *txn, GHashTable *local,
	       int resync, struct db_replica_change *ch, int64_t now)
{
	char key[ADDR_MAX + 1];
	struct db_consent cur;
	const struct db_consent *have = NULL, *old;
	int rc;

	ch->result = DB_REPLICA_SUPERSEDED;
	if (ch->op == DB_REPLICA_SKIP)
		return DB_OK;
	ch->result = DB_REPLICA_INVALID;
	if (db_replica_storable(ch) != NULL)
		return DB_ERR_INVALID;
	snprintf(key, sizeof(key), "%s", ch->addr);
	if (g_hash_table_contains(local, key)) {
		ch->result = DB_REPLICA_LOCAL;
		return DB_OK;
	}
	if (ch->op == DB_REPLICA_DELETE) {
		rc = db_consent_remove_txn(s, txn, key);
		if (rc == DB_NOTFOUND)
			rc = DB_OK;
		if (rc == DB_OK)
			ch->result = DB_REPLICA_APPLIED;
		return rc;
	}
	rc = db_consent_get_txn(s, txn, key, &cur);
	if (rc != DB_OK && rc != DB_NOTFOUND && rc != DB_ERR_CORRUPT)
		return rc;
	have = rc == DB_OK ? &cur : NULL;
	old = have;
	/* A resync takes the centre's row as it is, except over a local
	 * withdrawal, which the state machine guards. */
	if (resync && have &&
	    db_consent_effective_state(have) != DB_STATE_WITHDRAWN)
		have = NULL;
	return db_replica_put(s, txn, key, have, old, ch, now);
}

/* Is repl.last_id what the caller expects? */
static int
db_replica_expect(struct db_store *s, MDB_txn *txn, int64_t expect)
{
	int64_t last = 0;
	int rc;

	rc = db_meta_get_int(s, txn, DB_META_REPL_LAST, &last);
	if (rc != DB_OK && rc != DB_NOTFOUND)
		return rc;
	return last == expect ? DB_OK : DB_ERR_STALE;
}

int
db_replica_finish(struct db_store *s, MDB_txn *txn, int64_t last,
		  int64_t now)
{
	MDB_val k = {strlen(DB_META_REPL_STUCK), (void *)DB_META_REPL_STUCK};
	int rc, rc2;

	rc = db_meta_put_int(s, txn, DB_META_REPL_LAST, last);
	if (rc == DB_OK)
		rc = db_meta_put_int(s, txn, DB_META_REPL_SYNCED, now);
	if (rc == DB_OK && (rc2 = mdb_del(txn, s->meta, &k, NULL)) != 0 &&
	    rc2 != MDB_NOTFOUND)
		rc = db_from_mdb(rc2);
	if (rc != DB_OK) {
		db_txn_abort(txn);
		return rc;
	}
	return db_txn_commit(txn);
}

int
db_replica_apply(struct db_store *s, int64_t expect,
		 struct db_replica_change *ch, size_t n, int64_t last,
		 int64_t now)
{
	GHashTable *local = NULL;
	MDB_txn *txn;
	size_t i;
	int rc;

	if ((rc = db_txn_begin(s, 0, &txn)) != DB_OK)
		return rc;
	rc = db_replica_expect(s, txn, expect);
	if (rc == DB_OK)
		rc = db_outbox_addresses_txn(s, txn, 0, &local);
	for (i = 0; rc == DB_OK && i < n; i++)
		rc = db_replica_one(s, txn, local, 0, &ch[i], now);
	if (local)
		g_hash_table_destroy(local);
	if (rc != DB_OK) {
		db_txn_abort(txn);
		return rc;
	}
	return db_replica_finish(s, txn, last, now);
}

/* Would the centre's row turn the local withdrawal into consent without
 * a new double opt-in (consent_sm.h)?  Then the local record stays. */
static int
db_outbox_fix_refused(struct db_store *s, MDB_txn *txn, const char *key,
		      const struct db_consent *c)
{
	struct db_consent cur;
	struct db_sm_result res;

	if (db_consent_get_txn(s, txn, key, &cur) != DB_OK)
		return 0;
	return db_sm_replica_check(&cur, c, &res) == DB_SM_REFUSED;
}

int
db_outbox_ack(struct db_store *s, uint64_t upto,
	      const struct db_replica_fix *fix, size_t nfix)
{
	GHashTable *newer = NULL;
	char key[ADDR_MAX + 1];
	MDB_txn *txn;
	size_t i;
	int rc;

	if (!s->has_outbox)
		return DB_OK;
	if ((rc = db_txn_begin(s, 0, &txn)) != DB_OK)
		return rc;
	rc = db_outbox_trim_txn(s, txn, upto);
	if (rc == DB_OK && nfix > 0)
		rc = db_outbox_addresses_txn(s, txn, upto, &newer);
	for (i = 0; rc == DB_OK && i < nfix; i++) {
		if (addr_normalise(fix[i].addr, key, sizeof(key)) < 0 ||
		    g_hash_table_contains(newer, key))
			continue;
		if (fix[i].deleted)
			rc = db_consent_remove_txn(s, txn, key);
		else if (!db_outbox_fix_refused(s, txn, key, &fix[i].c))
			rc = db_consent_write_txn(s, txn, key, &fix[i].c, 1);
		if (rc == DB_NOTFOUND || rc == DB_ERR_INVALID)
			rc = DB_OK; /* nothing to remove; unstorable: keep ours */
	}
	if (newer)
		g_hash_table_destroy(newer);
	if (rc != DB_OK) {
		db_txn_abort(txn);
		return rc;
	}
	return db_txn_commit(txn);
}
