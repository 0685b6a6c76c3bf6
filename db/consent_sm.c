/*
 * consent_sm.c - the consent state machine (consent_sm.h): one table of
 * allowed changes of a consent record, per state and event, and the
 * effects of each event.  Every writer of consent records calls it.
 *
 * The table (state before x event -> state after, or refused):
 *
 *              ADD       CONFIRM     WITHDRAW    DOI_SEND   PENDING   CUSTOMER
 *   none       rec [1]   refused     refused     pending    refused   refused
 *   pending    refused   confirmed   withdrawn   pending    pending   customer
 *                        [2]
 *   confirmed  refused   confirmed   withdrawn   confirmed  refused   refused
 *                        [3]         [4]                    [5]       [5]
 *   withdrawn  refused   confirmed   withdrawn   pending    refused   refused
 *                        [6]         (same)      [7]        [8]       [8]
 *   customer   refused   confirmed   withdrawn   customer   pending   customer
 *                        [2]
 *
 * [1] a confirmed record needs a confirmation time and an IP or a source
 *     naming the proof; [2] the same, and a record withdrawn before needs
 *     the DOI mail after the withdrawal and the click after that mail;
 * [3] the confirmation is added to the history, the first stays the
 *     record's confirmation; [4] not with a time before the confirmation;
 * [5] would undo the confirmation; [6] only with a DOI mail sent after
 *     the withdrawal and the click at or after that send; [7] only a send
 *     after the withdrawal; [8] would undo the withdrawal.
 * An ADD on an existing record is refused ("exists").  Any refusal but
 * "no-record", "doi-before-withdrawal" and "forced-too-early" may be
 * overridden by ev->force with a reason; the confirmation's history entry
 * then says who forced it and why.  Even forced, a record never says
 * confirmed with a withdrawal later than its confirmation.
 * Lists: each list of a record goes through this table on its own (the
 * event stepped on the record as the list sees it; consent_sm.h "Lists");
 * the record's state follows its lists.  Rows of imports and replication
 * are merged in consent_merge.c.
 * Times are UTC seconds; within the same second, a send counts as after
 * the withdrawal and a click as after the send (the order within a second
 * is not recorded).
 *
 * Owns nothing beyond one write transaction in db_consent_apply.  Never
 * logs; refusals are outcomes with a sentence, store failures DB_* codes.
 */
#include "store_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "consent_sm.h"
#include "consent_sm_int.h"
#include "evpii.h"

#define DB_SM_REC (-1) /* ADD: the state of ev->rec */
#define DB_SM_NO (-2)  /* refused by the guard, which always refuses */

typedef int (*db_sm_guard)(const struct db_consent *cur,
			   const struct db_event *ev,
			   struct db_sm_result *res);

struct db_sm_rule {
	int to;            /* a state, DB_SM_REC or DB_SM_NO */
	db_sm_guard guard; /* NULL, or 0 allowed / -1 refused (res set) */
};

static int db_sm_refuse(struct db_sm_result *res, const char *code,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
db_sm_refuse(struct db_sm_result *res, const char *code, const char *fmt,
	     ...)
{
	va_list ap;

	res->code = code;
	va_start(ap, fmt);
	vsnprintf(res->why, sizeof(res->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* Copy src into dst (size bytes), cut short when longer. */
static void
db_sm_copy(char *dst, size_t size, const char *src)
{
	size_t n = src ? strnlen(src, size - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

static const char *
db_sm_time(int64_t t, char *buf)
{
	if (t == 0)
		return "an unknown time";
	return db_time_format(t, buf, DB_TIME_MAX);
}

/* A confirmation needs its time and an IP or a source naming the proof. */
static int
db_sm_proof(int64_t at, const char *ip, const char *source,
	    struct db_sm_result *res)
{
	if (at != 0 && ((ip && ip[0]) || (source && source[0])))
		return 0;
	return db_sm_refuse(res, "no-proof", "a confirmation needs %s",
			    at == 0 ? "its time" :
			    "an IP or a source naming the proof");
}

static int
db_sm_no_record(const struct db_consent *cur, const struct db_event *ev,
		struct db_sm_result *res)
{
	(void)cur;
	(void)ev;
	return db_sm_refuse(res, "no-record", "there is no record to change");
}

static int
db_sm_exists(const struct db_consent *cur, const struct db_event *ev,
	     struct db_sm_result *res)
{
	(void)ev;
	return db_sm_refuse(res, "exists", "the address already has a record "
			    "(state %s)", db_state_name(cur->state));
}

static int
db_sm_add_new(const struct db_consent *cur, const struct db_event *ev,
	      struct db_sm_result *res)
{
	const struct db_consent *r = ev->rec;

	(void)cur;
	if (r->state == DB_STATE_CONFIRMED)
		return db_sm_proof(r->confirmed, r->ip, ev->admin ? ev->note :
				   r->source, res);
	return 0;
}

/* The new double opt-in after a withdrawal: send after it, click after
 * the send. */
static int
db_sm_reoptin(const struct db_consent *cur, const struct db_event *ev,
	      struct db_sm_result *res)
{
	char w[DB_TIME_MAX], d[DB_TIME_MAX], c[DB_TIME_MAX];

	if (cur->doi_sent < cur->withdrawn || cur->doi_sent == 0)
		return db_sm_refuse(res, "re-confirm-withdrawal",
				    "would re-confirm a withdrawal of %s "
				    "(no DOI mail was sent after it)",
				    db_sm_time(cur->withdrawn, w));
	if (ev->at < cur->doi_sent)
		return db_sm_refuse(res, "re-confirm-withdrawal",
				    "would re-confirm a withdrawal of %s (the "
				    "confirmation of %s is before the DOI mail "
				    "of %s)", db_sm_time(cur->withdrawn, w),
				    db_sm_time(ev->at, c),
				    db_sm_time(cur->doi_sent, d));
	return 0;
}

static int
db_sm_confirm(const struct db_consent *cur, const struct db_event *ev,
	      struct db_sm_result *res)
{
	if (db_sm_proof(ev->at, ev->ip, ev->source, res) < 0)
		return -1;
	return cur->withdrawn ? db_sm_reoptin(cur, ev, res) : 0;
}

static int
db_sm_confirm_again(const struct db_consent *cur, const struct db_event *ev,
		    struct db_sm_result *res)
{
	(void)cur;
	return db_sm_proof(ev->at, ev->ip, ev->source, res);
}

static int
db_sm_withdraw_confirmed(const struct db_consent *cur,
			 const struct db_event *ev, struct db_sm_result *res)
{
	char w[DB_TIME_MAX], c[DB_TIME_MAX];

	if (ev->at >= cur->confirmed)
		return 0;
	return db_sm_refuse(res, "older-than-confirmation", "the withdrawal "
			    "of %s is older than the confirmation of %s",
			    db_sm_time(ev->at, w), db_sm_time(cur->confirmed, c));
}

static int
db_sm_doi_after(const struct db_consent *cur, const struct db_event *ev,
		struct db_sm_result *res)
{
	char w[DB_TIME_MAX], d[DB_TIME_MAX];

	if (ev->at >= cur->withdrawn)
		return 0;
	return db_sm_refuse(res, "doi-before-withdrawal", "the DOI mail of %s "
			    "is before the withdrawal of %s",
			    db_sm_time(ev->at, d), db_sm_time(cur->withdrawn, w));
}

static int
db_sm_undo_withdrawal(const struct db_consent *cur, const struct db_event *ev,
		      struct db_sm_result *res)
{
	char w[DB_TIME_MAX];

	(void)ev;
	return db_sm_refuse(res, "undo-withdrawal", "would undo the withdrawal "
			    "of %s", db_sm_time(cur->withdrawn, w));
}

static int
db_sm_undo_confirmation(const struct db_consent *cur,
			const struct db_event *ev, struct db_sm_result *res)
{
	char c[DB_TIME_MAX];

	(void)ev;
	return db_sm_refuse(res, "undo-confirmation", "would undo the "
			    "confirmation of %s", db_sm_time(cur->confirmed, c));
}

#define P DB_STATE_PENDING
#define C DB_STATE_CONFIRMED
#define W DB_STATE_WITHDRAWN
#define K DB_STATE_CUSTOMER
#define NO(g) {DB_SM_NO, g}

/* The table: [state before][event]. */
static const struct db_sm_rule db_sm_table[DB_STATE_CUSTOMER + 1][DB_EV_COUNT] = {
	[DB_STATE_NONE] = {
		[DB_EV_ADD] = {DB_SM_REC, db_sm_add_new},
		[DB_EV_CONFIRM] = NO(db_sm_no_record),
		[DB_EV_WITHDRAW] = NO(db_sm_no_record),
		[DB_EV_DOI_SEND] = {P, NULL},
		[DB_EV_PENDING] = NO(db_sm_no_record),
		[DB_EV_CUSTOMER] = NO(db_sm_no_record)},
	[P] = {
		[DB_EV_ADD] = NO(db_sm_exists),
		[DB_EV_CONFIRM] = {C, db_sm_confirm},
		[DB_EV_WITHDRAW] = {W, NULL},
		[DB_EV_DOI_SEND] = {P, NULL},
		[DB_EV_PENDING] = {P, NULL},
		[DB_EV_CUSTOMER] = {K, NULL}},
	[C] = {
		[DB_EV_ADD] = NO(db_sm_exists),
		[DB_EV_CONFIRM] = {C, db_sm_confirm_again},
		[DB_EV_WITHDRAW] = {W, db_sm_withdraw_confirmed},
		[DB_EV_DOI_SEND] = {C, NULL},
		[DB_EV_PENDING] = NO(db_sm_undo_confirmation),
		[DB_EV_CUSTOMER] = NO(db_sm_undo_confirmation)},
	[W] = {
		[DB_EV_ADD] = NO(db_sm_exists),
		[DB_EV_CONFIRM] = {C, db_sm_confirm},
		[DB_EV_WITHDRAW] = {W, NULL},
		[DB_EV_DOI_SEND] = {P, db_sm_doi_after},
		[DB_EV_PENDING] = NO(db_sm_undo_withdrawal),
		[DB_EV_CUSTOMER] = NO(db_sm_undo_withdrawal)},
	[K] = {
		[DB_EV_ADD] = NO(db_sm_exists),
		[DB_EV_CONFIRM] = {C, db_sm_confirm},
		[DB_EV_WITHDRAW] = {W, NULL},
		[DB_EV_DOI_SEND] = {K, NULL},
		[DB_EV_PENDING] = {P, NULL},
		[DB_EV_CUSTOMER] = {K, NULL}},
};

/* The state an event leads to when forced. */
static int
db_sm_forced_to(const struct db_event *ev)
{
	static const int to[DB_EV_COUNT] = {
		[DB_EV_CONFIRM] = C, [DB_EV_WITHDRAW] = W, [DB_EV_DOI_SEND] = P,
		[DB_EV_PENDING] = P, [DB_EV_CUSTOMER] = K};

	return ev->kind == DB_EV_ADD ? ev->rec->state : to[ev->kind];
}

int
db_consent_effective_state(const struct db_consent *c)
{
	if (c->state == DB_STATE_CONFIRMED && c->withdrawn > c->confirmed)
		return DB_STATE_WITHDRAWN;
	return c->state;
}

int
db_consent_lacks_doi(const struct db_consent *c)
{
	return db_consent_effective_state(c) == DB_STATE_CONFIRMED &&
	       (c->doi_sent == 0 || c->doi_sent > c->confirmed);
}

int
db_consent_history_add(struct db_consent *c, int64_t at, const char *ip,
		  const char *source)
{
	struct db_confirmation *h;
	unsigned int i;

	ip = ip ? ip : "";
	for (i = 0; i < c->nhistory; i++)
		if (c->history[i].at == at && strcmp(c->history[i].ip, ip) == 0)
			return 0;
	if (c->nhistory == DB_HISTORY_MAX) {
		/* Keep the first proof; drop the second oldest. */
		memmove(&c->history[1], &c->history[2],
			(DB_HISTORY_MAX - 2) * sizeof(c->history[0]));
		c->nhistory--;
	}
	h = &c->history[c->nhistory++];
	memset(h, 0, sizeof(*h));
	h->at = at;
	db_sm_copy(h->ip, sizeof(h->ip), ip);
	db_sm_copy(h->source, sizeof(h->source), source ? source : "");
	return 1;
}

/* The history source of a confirmation event. */
static void
db_sm_history_source(const struct db_event *ev, int forced, char *out,
		     size_t outsz)
{
	const char *src = ev->source && ev->source[0] ? ev->source : ev->note;

	if (forced)
		snprintf(out, outsz, "forced by %s: %s", ev->force_by ?
			 ev->force_by : "?", ev->force_reason);
	else
		snprintf(out, outsz, "%s", src ? src : "");
}

static void
db_sm_effect_confirm(const struct db_consent *cur, const struct db_event *ev,
		     int forced, struct db_consent *out)
{
	char src[DB_HIST_SOURCE_MAX + 1];

	db_sm_history_source(ev, forced, src, sizeof(src));
	if (db_consent_effective_state(cur) != C) {
		out->confirmed = ev->at;
		db_sm_copy(out->ip, sizeof(out->ip), ev->ip ? ev->ip : "");
		out->state = C;
	} else if (ev->at == cur->confirmed && cur->nhistory == 0) {
		return; /* the confirmation the record already names */
	}
	if (cur->nhistory == 0 && cur->confirmed != 0 &&
	    ev->at != cur->confirmed)
		db_consent_history_add(out, cur->confirmed, cur->ip, cur->source);
	db_consent_history_add(out, ev->at, ev->ip, src);
}

static void
db_sm_effect_add(const struct db_consent *cur, const struct db_event *ev,
		 int forced, struct db_consent *out)
{
	char src[DB_HIST_SOURCE_MAX + 1];
	const struct db_consent *r = ev->rec;

	*out = *r;
	out->nhistory = 0;
	if (cur) {
		out->nhistory = cur->nhistory;
		memcpy(out->history, cur->history, sizeof(out->history));
		if (cur->withdrawn > out->withdrawn)
			out->withdrawn = cur->withdrawn;
	}
	if (r->state == C) {
		if (forced)
			db_sm_history_source(ev, 1, src, sizeof(src));
		else
			db_sm_copy(src, sizeof(src), r->source[0] &&
				 !ev->admin ? r->source : ev->note ? ev->note
				 : "");
		db_consent_history_add(out, r->confirmed, r->ip, src);
	}
}

static void
db_sm_effect_doi(const struct db_consent *cur, const struct db_event *ev,
		 struct db_consent *out)
{
	if (cur == NULL) {
		out->created = ev->at;
		db_sm_copy(out->source, sizeof(out->source), ev->source ? ev->source : "");
	}
	out->doi_sent = ev->at;
	db_sm_copy(out->doi_msgid, sizeof(out->doi_msgid), ev->msgid ? ev->msgid : "");
	db_sm_copy(out->doi_hash, sizeof(out->doi_hash), ev->hash ? ev->hash : "");
	db_sm_copy(out->doi_ref, sizeof(out->doi_ref), ev->ref ? ev->ref : "");
	if (out->uid[0] == '\0' && ev->uid)
		db_sm_copy(out->uid, sizeof(out->uid), ev->uid);
}

/* Apply the event's effect to out (a copy of cur, or zero). */
static void
db_sm_effect(const struct db_consent *cur, const struct db_event *ev, int to,
	     int forced, struct db_consent *out)
{
	switch (ev->kind) {
	case DB_EV_ADD:
		db_sm_effect_add(cur, ev, forced, out);
		return;
	case DB_EV_CONFIRM:
		db_sm_effect_confirm(cur, ev, forced, out);
		return;
	case DB_EV_WITHDRAW:
		if (db_consent_effective_state(cur) == W && cur->state == W)
			return;
		out->state = W;
		if (ev->at > out->withdrawn)
			out->withdrawn = ev->at;
		return;
	case DB_EV_DOI_SEND:
		db_sm_effect_doi(cur, ev, out);
		break;
	}
	out->state = to;
}

/* Do a and b encode to the same bytes? */
int
db_sm_equal(const struct db_consent *a, const struct db_consent *b)
{
	unsigned char ea[DB_CODEC_MAX], eb[DB_CODEC_MAX];
	int na = db_codec_encode(a, ea, sizeof(ea));
	int nb = db_codec_encode(b, eb, sizeof(eb));

	return na > 0 && na == nb && memcmp(ea, eb, (size_t)na) == 0;
}

/* Is a refusal of this code one that --force may override? */
static int
db_sm_forceable(const struct db_event *ev, const char *code)
{
	if (!ev->force || ev->force_reason == NULL || !ev->force_reason[0])
		return 0;
	return strcmp(code, "no-record") != 0 &&
	       strcmp(code, "forced-too-early") != 0 &&
	       strcmp(code, "doi-before-withdrawal") != 0;
}

/* One step of the table on one record (or on the record as one list
 * sees it). */
static int
db_sm_step_one(const struct db_consent *cur, const struct db_event *ev,
	       struct db_consent *out, struct db_sm_result *res)
{
	const struct db_sm_rule *rule;
	int from, to;

	memset(res, 0, sizeof(*res));
	from = cur ? db_consent_effective_state(cur) : DB_STATE_NONE;
	res->before = cur ? cur->state : DB_STATE_NONE;
	res->after = res->before;
	res->outcome = DB_SM_REFUSED;
	if (ev->kind < DB_EV_ADD || ev->kind >= DB_EV_COUNT || from < 0 ||
	    from > K || (ev->kind == DB_EV_ADD && ev->rec == NULL)) {
		db_sm_refuse(res, "invalid", "not a consent event");
		return res->outcome;
	}
	rule = &db_sm_table[from][ev->kind];
	to = rule->to == DB_SM_REC ? ev->rec->state : rule->to;
	if (rule->guard && rule->guard(cur, ev, res) < 0) {
		if (!db_sm_forceable(ev, res->code))
			return res->outcome;
		res->forced = 1;
		to = db_sm_forced_to(ev);
		if (ev->kind == DB_EV_CONFIRM && cur && ev->at < cur->withdrawn) {
			char w[DB_TIME_MAX];

			db_sm_refuse(res, "forced-too-early", "a forced "
				     "confirmation must not be older than the "
				     "withdrawal of %s",
				     db_sm_time(cur->withdrawn, w));
			return res->outcome;
		}
		res->code = NULL;
		res->why[0] = '\0';
	}
	if (cur)
		*out = *cur;
	else
		memset(out, 0, sizeof(*out));
	db_sm_effect(cur, ev, to, res->forced, out);
	if (out->state == C && out->withdrawn > out->confirmed) {
		char w[DB_TIME_MAX];

		db_sm_refuse(res, "forced-too-early", "a confirmation must not "
			     "be older than the withdrawal of %s",
			     db_sm_time(out->withdrawn, w));
		res->forced = 0;
		return res->outcome;
	}
	res->after = out->state;
	res->outcome = cur && db_sm_equal(cur, out) ? DB_SM_SAME : DB_SM_CHANGED;
	return res->outcome;
}


void
db_consent_lists_of(const struct db_consent *c, struct db_consent *out)
{
	struct db_list *l;

	*out = *c;
	if (out->nlists != 0)
		return;
	l = &out->lists[0];
	memset(l, 0, sizeof(*l));
	db_sm_copy(l->name, sizeof(l->name), DB_LIST_DEFAULT);
	l->state = c->state;
	l->confirmed = c->confirmed;
	l->withdrawn = c->withdrawn;
	l->doi_sent = c->doi_sent;
	out->nlists = 1;
}

/* A list's withdrawal: its own, or the record's withdrawal from every
 * list when later. */
static int64_t
db_list_withdrawn(const struct db_consent *c, const struct db_list *l)
{
	return c->withdrawn > l->withdrawn ? c->withdrawn : l->withdrawn;
}

/* A list's state as a reader must act on it (as the record's): confirmed
 * with a later withdrawal of the list or of every list is withdrawn. */
static int
db_list_effective(const struct db_consent *c, const struct db_list *l)
{
	if (l->state == C && db_list_withdrawn(c, l) > l->confirmed)
		return W;
	return l->state;
}

int
db_list_find(const struct db_consent *c, const char *name)
{
	unsigned int i;

	for (i = 0; i < c->nlists; i++)
		if (strcmp(c->lists[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
db_consent_list_state(const struct db_consent *c, const char *list)
{
	int i, st = db_consent_effective_state(c);

	if (st == W)
		return W;
	if (c->nlists == 0)
		return strcmp(list, DB_LIST_DEFAULT) == 0 ? st : DB_STATE_NONE;
	i = db_list_find(c, list);
	return i < 0 ? DB_STATE_NONE : db_list_effective(c, &c->lists[i]);
}

/* The record m with its state and times set from its list l. */
static void
db_sm_view(const struct db_consent *m, const struct db_list *l,
	   struct db_consent *v)
{
	*v = *m;
	v->state = l->state;
	v->confirmed = l->confirmed;
	v->withdrawn = db_list_withdrawn(m, l);
	v->doi_sent = l->doi_sent;
}

/*
 * Step ev on list i of m (lists written out): the list takes the result's
 * state and times, m what lists share.  A confirmation that makes the list
 * confirmed leaves its IP in ip.  The outcome of the step.
 */
static int
db_sm_step_list(struct db_consent *m, unsigned int i,
		const struct db_event *ev, struct db_sm_result *res, char *ip)
{
	struct db_consent v, o;
	struct db_list l = m->lists[i];
	int rc;

	db_sm_view(m, &l, &v);
	rc = db_sm_step_one(&v, ev, &o, res);
	if (rc != DB_SM_CHANGED)
		return rc;
	if (o.state == C && db_consent_effective_state(&v) != C)
		memcpy(ip, o.ip, sizeof(o.ip));
	l.state = o.state;
	l.confirmed = o.confirmed;
	l.withdrawn = o.withdrawn;
	l.doi_sent = o.doi_sent;
	o.state = m->state;
	o.confirmed = m->confirmed;
	o.withdrawn = m->withdrawn;
	if (m->doi_sent > o.doi_sent) /* the record's: the last of all */
		o.doi_sent = m->doi_sent;
	memcpy(o.ip, m->ip, sizeof(o.ip));
	*m = o;
	m->lists[i] = l;
	return rc;
}

/* The record's state and times from its lists (consent_sm.h, "Lists"). */
static void
db_sm_aggregate(const struct db_consent *before, struct db_consent *m,
		const char *ip)
{
	int any[K + 1] = {0}, st;
	int64_t first = 0, last_w = 0;
	unsigned int i;

	for (i = 0; i < m->nlists; i++) {
		st = db_list_effective(m, &m->lists[i]);
		any[st] = 1;
		if (st == C && (first == 0 || m->lists[i].confirmed < first))
			first = m->lists[i].confirmed;
		if (m->lists[i].withdrawn > last_w)
			last_w = m->lists[i].withdrawn;
	}
	if (any[C]) {
		if (db_consent_effective_state(before) != C) {
			m->confirmed = first;
			if (ip[0] || m->ip[0] == '\0')
				memcpy(m->ip, ip, DB_IP_MAX + 1);
		}
		m->state = C;
	} else if (any[K]) {
		m->state = K;
	} else if (any[P]) {
		m->state = P;
	} else {
		m->state = W;
		if (last_w > m->withdrawn)
			m->withdrawn = last_w;
	}
}

void
db_consent_reconcile(struct db_consent *c)
{
	struct db_consent before;
	char ip[DB_IP_MAX + 1];
	unsigned int i;

	db_consent_lists_of(c, &before);
	*c = before;
	for (i = 0; i < c->nlists; i++) {
		struct db_list *l = &c->lists[i];

		if (db_consent_effective_state(&before) == W) {
			l->state = W;
			if (before.withdrawn > l->withdrawn)
				l->withdrawn = before.withdrawn;
		} else if (db_list_effective(&before, l) == W) {
			l->state = W;
		}
	}
	memcpy(ip, c->ip, sizeof(ip));
	db_sm_aggregate(&before, c, ip);
}

/* A refusal for a record of several lists names the list. */
static void
db_sm_name_list(const struct db_consent *m, unsigned int i,
		struct db_sm_result *res)
{
	char why[DB_SM_WHY_MAX];
	int n;

	if (m->nlists < 2 && strcmp(m->lists[i].name, DB_LIST_DEFAULT) == 0)
		return;
	n = snprintf(why, sizeof(why), "list %s: ", m->lists[i].name);
	if (n < 0 || n >= (int)sizeof(why))
		return;
	db_sm_copy(why + n, sizeof(why) - (size_t)n, res->why);
	memcpy(res->why, why, sizeof(why));
}

/* The lists an event goes to: ev->list (added when new), or every list
 * but those withdrawn on their own.  Fills go[]; -1 when no list can be
 * added (res set). */
static int
db_sm_targets(struct db_consent *m, const struct db_event *ev, int *go,
	      struct db_sm_result *res)
{
	int all_w = db_consent_effective_state(m) == W, i;
	struct db_list *l;

	memset(go, 0, DB_LISTS_MAX * sizeof(*go));
	if (ev->list == NULL) {
		for (i = 0; i < (int)m->nlists; i++)
			go[i] = all_w || ev->kind == DB_EV_WITHDRAW ||
				db_list_effective(m, &m->lists[i]) != W;
		return 0;
	}
	if ((i = db_list_find(m, ev->list)) < 0) {
		if (m->nlists == DB_LISTS_MAX || !db_list_name_valid(ev->list))
			return db_sm_refuse(res, "invalid", "no room for list "
					    "%.40s (at most %d lists, names "
					    "a-z 0-9 . _ -)", ev->list,
					    DB_LISTS_MAX);
		i = (int)m->nlists++;
		l = &m->lists[i];
		memset(l, 0, sizeof(*l));
		db_sm_copy(l->name, sizeof(l->name), ev->list);
		l->state = all_w ? W : P;
		l->withdrawn = all_w ? m->withdrawn : 0;
	}
	go[i] = 1;
	return 0;
}

/* A new record: ADD or DOI_SEND on none, with its lists. */
static int
db_sm_step_new(const struct db_event *ev, struct db_consent *out,
	       struct db_sm_result *res)
{
	struct db_list *l;

	if (ev->list && !db_list_name_valid(ev->list)) {
		db_sm_refuse(res, "invalid", "not a list name");
		res->outcome = DB_SM_REFUSED;
		return res->outcome;
	}
	if (db_sm_step_one(NULL, ev, out, res) != DB_SM_CHANGED ||
	    out->nlists != 0)
		return res->outcome;
	l = &out->lists[0];
	memset(l, 0, sizeof(*l));
	db_sm_copy(l->name, sizeof(l->name),
		   ev->list ? ev->list : DB_LIST_DEFAULT);
	l->state = out->state;
	l->confirmed = out->confirmed;
	l->withdrawn = out->withdrawn;
	l->doi_sent = out->doi_sent;
	out->nlists = 1;
	return res->outcome;
}

/*
 * ADD on an existing record (allowed only forced): the record is replaced
 * as before lists, and so are its lists - ev->rec's, or the one list
 * ev->list (default DB_LIST_DEFAULT) - except that a withdrawal of a list
 * is never forgotten: such a list keeps its withdrawal time, and a
 * withdrawn list the new record does not name stays.
 */
static int
db_sm_step_readd(const struct db_consent *cur, const struct db_event *ev,
		 struct db_consent *out, struct db_sm_result *res)
{
	struct db_consent before, r;
	unsigned int i;
	int j;

	db_consent_lists_of(cur, &before);
	if (db_sm_step_one(&before, ev, out, res) != DB_SM_CHANGED)
		return res->outcome;
	r = *ev->rec;
	if (r.nlists == 0) {
		r.nlists = 1;
		memset(&r.lists[0], 0, sizeof(r.lists[0]));
		db_sm_copy(r.lists[0].name, sizeof(r.lists[0].name),
			   ev->list ? ev->list : DB_LIST_DEFAULT);
		r.lists[0].state = r.state;
		r.lists[0].confirmed = r.confirmed;
		r.lists[0].withdrawn = r.withdrawn;
		r.lists[0].doi_sent = out->doi_sent;
	}
	out->nlists = r.nlists;
	memcpy(out->lists, r.lists, sizeof(out->lists));
	for (i = 0; i < before.nlists; i++) {
		const struct db_list *l = &before.lists[i];
		int64_t w = db_list_withdrawn(&before, l);

		if ((j = db_list_find(out, l->name)) >= 0) {
			if (w > out->lists[j].withdrawn)
				out->lists[j].withdrawn = w;
			if (l->doi_sent > out->lists[j].doi_sent)
				out->lists[j].doi_sent = l->doi_sent;
		} else if (db_list_effective(&before, l) == W &&
			   out->nlists < DB_LISTS_MAX) {
			out->lists[out->nlists] = *l;
			out->lists[out->nlists++].withdrawn = w;
		}
	}
	db_consent_reconcile(out);
	res->after = out->state;
	res->outcome = db_sm_equal(&before, out) ? DB_SM_SAME : DB_SM_CHANGED;
	return res->outcome;
}

int
db_sm_step(const struct db_consent *cur, const struct db_event *ev,
	   struct db_consent *out, struct db_sm_result *res)
{
	struct db_consent before, m;
	int go[DB_LISTS_MAX], forced = 0, rc;
	char ip[DB_IP_MAX + 1] = "";
	unsigned int i;

	if (cur == NULL)
		return db_sm_step_new(ev, out, res);
	if (ev->kind == DB_EV_ADD)
		return db_sm_step_readd(cur, ev, out, res);
	memset(res, 0, sizeof(*res));
	res->outcome = DB_SM_REFUSED;
	db_consent_lists_of(cur, &before);
	m = before;
	if (db_sm_targets(&m, ev, go, res) < 0)
		return res->outcome;
	for (i = 0; i < m.nlists; i++) {
		if (!go[i])
			continue;
		rc = db_sm_step_list(&m, i, ev, res, ip);
		if (rc == DB_SM_REFUSED) {
			db_sm_name_list(&m, i, res);
			res->before = res->after = cur->state;
			return rc;
		}
		forced |= res->forced;
	}
	db_sm_aggregate(&before, &m, ip);
	memset(res, 0, sizeof(*res));
	res->forced = forced;
	res->before = cur->state;
	res->after = m.state;
	*out = m;
	res->outcome = db_sm_equal(&before, &m) ? DB_SM_SAME : DB_SM_CHANGED;
	return res->outcome;
}

int
db_sm_replica_check(const struct db_consent *cur, const struct db_consent *row,
		    struct db_sm_result *res)
{
	struct db_consent seen = *cur;
	struct db_event ev;
	int from = db_consent_effective_state(cur);
	int to = db_consent_effective_state(row);

	memset(res, 0, sizeof(*res));
	memset(&ev, 0, sizeof(ev));
	res->before = cur->state;
	res->after = row->state;
	res->outcome = DB_SM_CHANGED;
	/* Nothing to guard: no withdrawal here, the row withdraws, or the
	 * record already holds a consent given after its withdrawal. */
	if (cur->withdrawn == 0 || to == W ||
	    (from == C && cur->confirmed >= cur->withdrawn))
		return res->outcome;
	seen.state = W;
	ev.kind = DB_EV_DOI_SEND;
	ev.at = row->doi_sent > cur->doi_sent ? row->doi_sent : cur->doi_sent;
	if (from == W && (ev.at == 0 || db_sm_doi_after(&seen, &ev, res) < 0)) {
		/* Out of withdrawn only with a DOI send after it. */
		db_sm_undo_withdrawal(&seen, &ev, res);
		if (to == C)
			db_sm_refuse(res, "re-confirm-withdrawal", "would "
				     "re-confirm a withdrawal without a DOI "
				     "mail sent after it");
		res->outcome = DB_SM_REFUSED;
		return res->outcome;
	}
	if (to != C)
		return res->outcome;
	seen.doi_sent = ev.at;
	ev.kind = DB_EV_CONFIRM;
	ev.at = row->confirmed;
	if (db_sm_reoptin(&seen, &ev, res) < 0)
		res->outcome = DB_SM_REFUSED;
	return res->outcome;
}

/* Store out and its evidence inside txn. */
static int
db_sm_store(struct db_store *s, MDB_txn *txn, const char *key,
	    const struct db_consent *out, const struct db_evidence *e,
	    const struct db_sm_result *res)
{
	struct db_evidence ev;
	int rc;

	if ((rc = db_consent_put_txn(s, txn, key, out, 0)) != DB_OK ||
	    e == NULL)
		return rc;
	ev = *e;
	ev.before = db_state_name(res->before);
	ev.after = db_state_name(res->after);
	return db_evidence_append_txn(s, txn, &ev, 1, NULL);
}

/* One db_consent_apply, run as a write body (again from the start when
 * the map was full and grew) or in a read transaction for a dry run. */
struct db_apply {
	struct db_store *s;
	const char *key;
	const struct db_event *ev;
	const struct db_evidence *e;
	int dry_run;
	struct db_sm_result *res;
};

static int
db_apply_body(MDB_txn *txn, void *arg)
{
	struct db_apply *a = arg;
	struct db_consent cur, out;
	int rc, have;

	memset(a->res, 0, sizeof(*a->res));
	rc = db_consent_get_txn(a->s, txn, a->key, &cur);
	have = rc == DB_OK;
	if (rc == DB_ERR_CORRUPT && a->ev->force && a->ev->kind == DB_EV_ADD)
		rc = DB_NOTFOUND; /* a forced add replaces what cannot be read */
	if (rc != DB_OK && rc != DB_NOTFOUND)
		return rc;
	if (db_sm_step(have ? &cur : NULL, a->ev, &out, a->res) !=
	    DB_SM_CHANGED || a->dry_run)
		return DB_OK; /* nothing written: the commit writes nothing */
	return db_sm_store(a->s, txn, a->key, &out, a->e, a->res);
}

int
db_consent_apply(struct db_store *s, const char *addr,
		 const struct db_event *ev, const struct db_evidence *e,
		 int dry_run, struct db_sm_result *res)
{
	char key[ADDR_MAX + 1];
	struct db_apply a = {s, key, ev, e, dry_run, res};
	MDB_txn *txn;
	int rc;

	memset(res, 0, sizeof(*res));
	if (addr_normalise(addr, key, sizeof(key)) < 0)
		return DB_ERR_INVALID;
	if (!dry_run)
		return db_core_write(&s->core, db_apply_body, &a);
	if ((rc = db_txn_begin(s, 1, &txn)) != DB_OK)
		return rc;
	rc = db_apply_body(txn, &a);
	db_txn_abort(txn);
	return rc;
}
