/*
 * ctx.c - the per-connection context: reset between messages, freed at
 * close.  Owns: the recipient array, the deferred refusals, the raw message
 * buffer and the config reference of the current message.  The refusal
 * count and the client facts belong to the connection and survive a reset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mf.h"

void
mf_ctx_reset_message(struct mf_ctx *c)
{
	free(c->rcpts);
	c->rcpts = NULL;
	c->nrcpts = c->caprcpts = 0;
	c->refused_rcpts = 0;
	free(c->deferred);
	c->deferred = NULL;
	c->ndeferred = c->capdeferred = 0;
	buf_free(&c->raw);
	c->body_len = 0;
	c->oversize = 0;
	c->gate_headers = 0;
	c->sender[0] = '\0';
	c->queue_id[0] = '\0';
	c->env_class = POL_CLASS_OTHER;
	c->in_message = 0;
	while (c->withdraw > 0)
		free(c->withdraw_uids[--c->withdraw]);
	free(c->withdraw_uids);
	c->withdraw_uids = NULL;
	cfg_unref(c->cfg);
	c->cfg = NULL;
	cfg_unref(c->snap);
	c->snap = NULL;
}

void
mf_ctx_free(struct mf_ctx *c)
{
	if (c == NULL)
		return;
	mf_ctx_reset_message(c);
	free(c);
}

int
mf_ctx_add_withdraw(struct mf_ctx *c, const char *uid)
{
	char **v, *dup;

	dup = strdup(uid);
	v = realloc(c->withdraw_uids, (size_t)(c->withdraw + 1) * sizeof(*v));
	if (dup == NULL || v == NULL) {
		free(dup);
		if (v)
			c->withdraw_uids = v;
		return -1;
	}
	c->withdraw_uids = v;
	c->withdraw_uids[c->withdraw++] = dup;
	return 0;
}

int
mf_ctx_add_rcpt(struct mf_ctx *c, const char *addr)
{
	struct mf_rcpt *v;
	size_t cap;

	if (c->nrcpts == c->caprcpts) {
		cap = c->caprcpts ? c->caprcpts * 2 : 4;
		v = realloc(c->rcpts, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		c->rcpts = v;
		c->caprcpts = cap;
	}
	snprintf(c->rcpts[c->nrcpts].addr, sizeof(c->rcpts[0].addr), "%s", addr);
	c->nrcpts++;
	return 0;
}

int
mf_ctx_add_deferred(struct mf_ctx *c, const char *addr,
		    const struct pol_hit *hit)
{
	struct mf_deferred *v, *d;
	size_t cap;

	if (c->ndeferred == c->capdeferred) {
		cap = c->capdeferred ? c->capdeferred * 2 : 4;
		v = realloc(c->deferred, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		c->deferred = v;
		c->capdeferred = cap;
	}
	d = &c->deferred[c->ndeferred++];
	snprintf(d->addr, sizeof(d->addr), "%s", addr);
	d->rule = hit->rule;
	snprintf(d->detail, sizeof(d->detail), "%s",
		 hit->detail ? hit->detail : "");
	return 0;
}

const char *
mf_qid(const struct mf_ctx *c)
{
	return c->queue_id[0] ? c->queue_id : "NOQUEUE";
}
