/*
 * refusal.c - RCPT-time refusals within what the MTA can carry out.
 *
 * An SMTP server counts every 4xx/5xx reply of a connection, the milter's
 * RCPT refusals included; Postfix slows each reply down from
 * smtpd_soft_error_limit (10) on and drops the connection with 421 at
 * smtpd_hard_error_limit (20), and forgives the count when a message is
 * accepted.  A mail to many unconsented recipients would so lose its
 * consented ones too.  And mail that does not come over SMTP (sendmail,
 * pickup: Postfix's cleanup emulates the connect with client port 0) cannot
 * have a recipient refused at all: cleanup defers the whole message and
 * retries it from the maildrop without end.
 *
 * So the gate keeps its own count of the refusals the MTA saw in the
 * connection (reset when a message is accepted) and refuses at RCPT time
 * only while it is below RcptRefusalLimit and the mail came over SMTP.
 * Other refusals are deferred: the recipient is accepted at RCPT and
 * refused at the end of the message -
 *   SMTP, RcptRefusalLimit > 0: 451 4.5.3 for the message; the client
 *     sends it again to the recipients not yet refused (those that got 550
 *     are final), the next connection refuses the next ones at RCPT, and
 *     the transaction converges;
 *   non-SMTP, or RcptRefusalLimit 0: 550 5.7.1 for the whole message,
 *     naming the recipients (Postfix bounces it to the submitter).
 * A message the policy refuses as a whole anyway keeps that verdict, with
 * the deferred recipients' rules added.
 *
 * Owns nothing beyond the fields of struct mf_ctx it updates.  Fails only
 * for memory (returns -1; the caller tempfails).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/log.h"
#include "mf.h"

/* Room for the recipient list in a 550 reply (libmilter caps the text). */
#define MF_REFUSAL_NAMES 560

void
mf_refusal_connect(struct mf_ctx *c, const struct sockaddr *sa)
{
	in_port_t port = 0;

	/* Postfix's smtpd passes the client's port; cleanup's emulation for
	 * local submissions passes 0, and Sendmail passes no address. */
	if (sa != NULL && sa->sa_family == AF_INET)
		port = ((const struct sockaddr_in *)sa)->sin_port;
	else if (sa != NULL && sa->sa_family == AF_INET6)
		port = ((const struct sockaddr_in6 *)sa)->sin6_port;
	c->non_smtp = port == 0;
	c->refusals = 0;
}

int
mf_refusal_deferred(const struct mf_ctx *c)
{
	return c->non_smtp || c->refusals >= c->cfg->rcpt_refusal_limit;
}

/* Does the answer go to an SMTP client that will retry (451), or is the
 * whole message refused (550)? */
static int
mf_refusal_retry(const struct mf_ctx *c)
{
	return !c->non_smtp && c->cfg->rcpt_refusal_limit > 0;
}

int
mf_refusal_fold(struct mf_ctx *c, struct pol_verdict *v, const char **rcptv,
		size_t *nrcpt)
{
	const struct mf_deferred *d;
	size_t i;

	if (c->ndeferred == 0)
		return 0;
	for (i = 0; i < c->ndeferred; i++) {
		d = &c->deferred[i];
		if (pol_verdict_add(v, d->rule, (int)*nrcpt,
				    "envelope recipient",
				    "recipient %s: %s; refused at end of message",
				    d->addr, d->detail) < 0)
			return -1;
		rcptv[(*nrcpt)++] = d->addr;
	}
	if (v->action == POL_ACTION_REJECT)
		return 0; /* refused as a whole anyway: one final answer */
	v->action = mf_refusal_retry(c) ? POL_ACTION_TEMPFAIL
					: POL_ACTION_REJECT;
	return 1;
}

/* " (rule=a,b ref=REF)" of the deferred refusals into b. */
static int
mf_refusal_tail(const struct mf_ctx *c, const char *ref, struct buf *b)
{
	int seen[POL_RULE_COUNT] = {0};
	size_t i;
	int first = 1;

	if (buf_puts(b, " (rule=") < 0)
		return -1;
	for (i = 0; i < c->ndeferred; i++) {
		if (seen[c->deferred[i].rule]++)
			continue;
		if (buf_printf(b, "%s%s", first ? "" : ",",
			       pol_rule_info(c->deferred[i].rule)->id) < 0)
			return -1;
		first = 0;
	}
	return buf_printf(b, " ref=%s)", ref);
}

/* "a@x (consent.missing), b@y (consent.withdrawn) and N more" into b. */
static int
mf_refusal_names(const struct mf_ctx *c, struct buf *b)
{
	size_t i, start = b->len;

	for (i = 0; i < c->ndeferred; i++) {
		const struct mf_deferred *d = &c->deferred[i];

		if (b->len - start + strlen(d->addr) + 40 > MF_REFUSAL_NAMES)
			return buf_printf(b, " and %zu more", c->ndeferred - i);
		if (buf_printf(b, "%s%s (%s)", i ? ", " : "", d->addr,
			       pol_rule_info(d->rule)->id) < 0)
			return -1;
	}
	return 0;
}

sfsistat
mf_refusal_reply(SMFICTX *ctx, struct mf_ctx *c, const char *ref)
{
	struct buf b = BUF_INIT;
	int retry = mf_refusal_retry(c), rc;

	if (retry) {
		rc = buf_printf(&b, "%zu recipient%s could not be refused "
				    "individually in this transaction; send "
				    "again to the recipients not yet refused",
				c->ndeferred, c->ndeferred == 1 ? "" : "s");
	} else {
		rc = buf_printf(&b, "Marketing mail refused: %zu of its %zu "
				    "recipients %s no consent: ",
				c->ndeferred, c->ndeferred + c->nrcpts,
				c->ndeferred == 1 ? "has" : "have");
		if (rc >= 0)
			rc = mf_refusal_names(c, &b);
		if (rc >= 0)
			rc = buf_puts(&b, "; send it again without them");
	}
	if (rc < 0 || mf_refusal_tail(c, ref, &b) < 0) {
		buf_free(&b);
		log_err("%s: ref=%s: out of memory composing the reply",
			mf_qid(c), ref);
		mf_setreply(ctx, "451", "4.3.0",
			    "Temporary failure in the consent gate, try again later");
		return SMFIS_TEMPFAIL;
	}
	if (retry)
		mf_setreply(ctx, "451", "4.5.3", b.data);
	else
		mf_setreply(ctx, "550", "5.7.1", b.data);
	buf_free(&b);
	return retry ? SMFIS_TEMPFAIL : SMFIS_REJECT;
}

void
mf_refusal_account(struct mf_ctx *c, sfsistat st)
{
	if (st == SMFIS_ACCEPT || st == SMFIS_CONTINUE)
		c->refusals = 0;
	else
		c->refusals++;
}
