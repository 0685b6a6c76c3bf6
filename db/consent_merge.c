/*
 * consent_merge.c - merge an imported or replicated row into a consent
 * record through the consent state machine (consent_sm.h,
 * db_sm_merge_row): the row becomes a short sequence of events - a newer
 * DOI send, then its state, per list it names, then the withdrawals of the
 * lists it names as withdrawn - each judged by db_sm_step; and the lists
 * of a replicated row, each checked like the record (db_sm_replica_lists).
 *
 * Pure functions; owns nothing and never logs.  Refusals are outcomes
 * with a sentence (struct db_sm_result).
 */
#include <stdio.h>
#include <string.h>

#include "consent_sm.h"
#include "consent_sm_int.h"

#define P DB_STATE_PENDING
#define C DB_STATE_CONFIRMED
#define W DB_STATE_WITHDRAWN
#define K DB_STATE_CUSTOMER

/* The event of an imported row's state, or 0 for a row without one. */
static int
db_sm_row_event(const struct db_consent *row, unsigned int mask,
		int64_t now, struct db_event *ev)
{
	if (!(mask & (1u << DB_ROW_STATE)))
		return 0;
	switch (row->state) {
	case C:
		ev->kind = DB_EV_CONFIRM;
		ev->at = mask & (1u << DB_ROW_CONFIRMED) ? row->confirmed : 0;
		ev->ip = mask & (1u << DB_ROW_IP) ? row->ip : NULL;
		ev->source = mask & (1u << DB_ROW_SOURCE) ? row->source : NULL;
		return 1;
	case W:
		ev->kind = DB_EV_WITHDRAW;
		ev->at = mask & (1u << DB_ROW_WITHDRAWN) && row->withdrawn ?
			 row->withdrawn : now;
		return 1;
	case K:
		ev->kind = DB_EV_CUSTOMER;
		return 1;
	default:
		ev->kind = DB_EV_PENDING;
		return 1;
	}
}

/* A row for an address without a record: one ADD of the merged row, its
 * lists in its state, or withdrawn (withdrawn_lists). */
static int
db_sm_row_new(const struct db_consent *row, unsigned int mask, int64_t now,
	      struct db_event *ev, struct db_consent *rec,
	      struct db_consent *out, struct db_sm_result *res)
{
	unsigned int i;
	int any_w = 0;

	*rec = *row;
	rec->nhistory = 0;
	if (!(mask & (1u << DB_ROW_STATE)))
		rec->state = P;
	if (!(mask & (1u << DB_ROW_CREATED)))
		rec->created = now;
	for (i = 0; i < rec->nlists; i++) {
		struct db_list *l = &rec->lists[i];

		l->doi_sent = rec->doi_sent;
		if (l->state == W) {
			any_w = 1;
			l->withdrawn = rec->withdrawn ? rec->withdrawn : now;
			continue;
		}
		l->state = rec->state;
		l->confirmed = rec->confirmed;
		l->withdrawn = rec->state == W ? (rec->withdrawn ? rec->withdrawn
					       : now) : 0;
	}
	if (rec->state == W && rec->withdrawn == 0)
		rec->withdrawn = now;
	else if (rec->state != W && any_w)
		rec->withdrawn = 0; /* the lists carry their withdrawals */
	ev->kind = DB_EV_ADD;
	ev->rec = rec;
	return db_sm_step(NULL, ev, out, res);
}

/* The row's DOI send, to each list it names (not withdrawn) whose own
 * last send is older, or to the record when it names none. */
static void
db_sm_row_doi(struct db_consent *tmp, const struct db_consent *row,
	      unsigned int mask, struct db_event *ev, struct db_consent *out,
	      struct db_sm_result *res)
{
	unsigned int i, named = 0;
	int j;

	ev->kind = DB_EV_DOI_SEND;
	ev->at = row->doi_sent;
	ev->msgid = mask & (1u << DB_ROW_DOI_MSGID) ? row->doi_msgid
						   : tmp->doi_msgid;
	for (i = 0; i < row->nlists; i++) {
		if (row->lists[i].state == W)
			continue;
		named++;
		j = db_list_find(tmp, row->lists[i].name);
		if (j >= 0 && tmp->lists[j].doi_sent >= row->doi_sent)
			continue;
		ev->list = row->lists[i].name;
		if (db_sm_step(tmp, ev, out, res) == DB_SM_CHANGED)
			*tmp = *out;
	}
	ev->list = NULL;
	if (named == 0 && row->doi_sent > tmp->doi_sent &&
	    db_sm_step(tmp, ev, out, res) == DB_SM_CHANGED)
		*tmp = *out;
	ev->msgid = NULL;
}

/* The state and confirmation time of list name in c (the record's when
 * name is NULL). */
static void
db_sm_list_get(const struct db_consent *c, const char *name, int *st,
	       int64_t *confirmed)
{
	int i;

	*st = db_consent_effective_state(c);
	*confirmed = c->confirmed;
	if (name == NULL)
		return;
	*st = db_consent_list_state(c, name);
	if ((i = db_list_find(c, name)) >= 0)
		*confirmed = c->lists[i].confirmed;
}

/* Step the row's state event on tmp for list name (NULL: the record),
 * unless the row repeats what tmp holds.  -1 when refused. */
static int
db_sm_row_state(struct db_consent *tmp, const struct db_consent *row,
		struct db_event *ev, const char *name, struct db_consent *out,
		struct db_sm_result *res)
{
	int st;
	int64_t confirmed;

	db_sm_list_get(tmp, name, &st, &confirmed);
	if (row->state == st && (row->state != C || ev->at == 0 ||
				 ev->at == confirmed))
		return 0;
	ev->list = name;
	if (db_sm_step(tmp, ev, out, res) == DB_SM_REFUSED)
		return -1;
	*tmp = *out;
	return 0;
}

/* The row's state event on tmp, per list it names. */
static int
db_sm_row_lists(struct db_consent *tmp, const struct db_consent *row,
		unsigned int mask, int64_t now, struct db_event *ev,
		struct db_consent *out, struct db_sm_result *res)
{
	unsigned int i, named = 0;
	struct db_event wd = *ev;

	if (db_sm_row_event(row, mask, now, ev)) {
		for (i = 0; i < row->nlists; i++) {
			if (row->lists[i].state == W)
				continue;
			named++;
			if (db_sm_row_state(tmp, row, ev, row->lists[i].name,
					    out, res) < 0)
				return -1;
		}
		if (named == 0 && db_sm_row_state(tmp, row, ev, NULL, out,
						  res) < 0)
			return -1;
	}
	wd.kind = DB_EV_WITHDRAW;
	wd.at = mask & (1u << DB_ROW_WITHDRAWN) && row->withdrawn ?
		row->withdrawn : now;
	for (i = 0; i < row->nlists; i++) {
		if (row->lists[i].state != W ||
		    db_consent_list_state(tmp, row->lists[i].name) == W)
			continue;
		wd.list = row->lists[i].name;
		if (db_sm_step(tmp, &wd, out, res) == DB_SM_REFUSED)
			return -1;
		*tmp = *out;
	}
	return 0;
}

/* Copy the row's fields without a state meaning. */
static void
db_sm_row_fields(const struct db_consent *row, unsigned int mask,
		 struct db_consent *out)
{
	if (mask & (1u << DB_ROW_UID))
		memcpy(out->uid, row->uid, sizeof(out->uid));
	if (mask & (1u << DB_ROW_TRACKING))
		out->tracking = row->tracking;
	if (mask & (1u << DB_ROW_CREATED))
		out->created = row->created;
	if (mask & (1u << DB_ROW_SOURCE))
		memcpy(out->source, row->source, sizeof(out->source));
}

int
db_sm_merge_row(const struct db_consent *cur, const struct db_consent *row,
		unsigned int mask, int64_t now, const char *where,
		const struct db_event *force, struct db_consent *out,
		struct db_sm_result *res)
{
	struct db_consent tmp, rec;
	struct db_event ev;

	memset(&ev, 0, sizeof(ev));
	memset(res, 0, sizeof(*res));
	ev.note = where;
	if (force) {
		ev.force = force->force;
		ev.force_by = force->force_by;
		ev.force_reason = force->force_reason;
	}
	if (cur == NULL)
		return db_sm_row_new(row, mask, now, &ev, &rec, out, res);
	db_consent_lists_of(cur, &tmp);
	/* A DOI send the record (or a list the row names) has not seen
	 * comes first; one the machine refuses (not after the withdrawal)
	 * is left out. */
	if (mask & (1u << DB_ROW_DOI_SENT))
		db_sm_row_doi(&tmp, row, mask, &ev, out, res);
	/* A row that repeats the record's (or list's) state (a confirmed
	 * row without its time or with the same one) has no event. */
	if (db_sm_row_lists(&tmp, row, mask, now, &ev, out, res) < 0)
		return DB_SM_REFUSED;
	*out = tmp;
	db_sm_row_fields(row, mask, out);
	res->code = NULL;
	res->why[0] = '\0';
	res->before = cur->state;
	res->after = out->state;
	db_consent_lists_of(cur, &tmp);
	res->outcome = db_sm_equal(&tmp, out) ? DB_SM_SAME : DB_SM_CHANGED;
	return res->outcome;
}


/* The record c as its list l sees it (l's state and times). */
static void
db_sm_list_view(const struct db_consent *c, const struct db_list *l,
		struct db_consent *v)
{
	*v = *c;
	v->state = l->state;
	v->confirmed = l->confirmed;
	v->withdrawn = c->withdrawn > l->withdrawn ? c->withdrawn : l->withdrawn;
	v->doi_sent = l->doi_sent;
}

int
db_sm_replica_lists(const struct db_consent *cur, struct db_consent *row,
		    int forced, struct db_sm_result *res)
{
	struct db_consent mc, mr, vc, vr;
	unsigned int i;
	int j;

	memset(res, 0, sizeof(*res));
	res->outcome = DB_SM_CHANGED;
	db_consent_lists_of(cur, &mc);
	db_consent_lists_of(row, &mr);
	for (i = 0; i < mc.nlists; i++) {
		j = db_list_find(&mr, mc.lists[i].name);
		if (j < 0) {
			/* The row does not name the list: it keeps its
			 * local state. */
			if (mr.nlists == DB_LISTS_MAX)
				continue;
			mr.lists[mr.nlists++] = mc.lists[i];
			continue;
		}
		db_sm_list_view(&mc, &mc.lists[i], &vc);
		db_sm_list_view(&mr, &mr.lists[j], &vr);
		/* A withdrawal and a DOI send of a list are never forgotten. */
		if (vc.withdrawn > mr.lists[j].withdrawn)
			mr.lists[j].withdrawn = vc.withdrawn;
		if (mc.lists[i].doi_sent > mr.lists[j].doi_sent)
			mr.lists[j].doi_sent = mc.lists[i].doi_sent;
		if (db_sm_replica_check(&vc, &vr, res) == DB_SM_REFUSED &&
		    !(forced && (vr.confirmed >= vc.withdrawn ||
				 vr.doi_sent >= vc.withdrawn))) {
			char why[DB_SM_WHY_MAX];

			snprintf(why, sizeof(why), "list %s: %.190s",
				 mc.lists[i].name, res->why);
			memcpy(res->why, why, sizeof(why));
			return res->outcome;
		}
	}
	*row = mr;
	res->outcome = DB_SM_CHANGED;
	return res->outcome;
}
