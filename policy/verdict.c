/*
 * verdict.c - building, combining and printing verdicts.
 *
 * Owns: the hit array of a struct pol_verdict and the strings in each hit,
 * freed by pol_verdict_clear().  Out of memory is reported as -1 and leaves
 * the verdict valid (the hit is dropped), so the caller can still answer
 * with a tempfail.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/buf.h"
#include "policy.h"

static const char *const pol_consent_names[] = {
	[POL_CONSENT_NONE] = "none",
	[POL_CONSENT_PENDING] = "pending",
	[POL_CONSENT_CONFIRMED] = "confirmed",
	[POL_CONSENT_WITHDRAWN] = "withdrawn",
	[POL_CONSENT_CUSTOMER] = "customer",
};

const char *
pol_consent_name(enum pol_consent_state s)
{
	if ((int)s < 0 || s > POL_CONSENT_CUSTOMER)
		return "?";
	return pol_consent_names[s];
}

void
pol_hit_clear(struct pol_hit *h)
{
	free(h->detail);
	free(h->where);
	h->detail = h->where = NULL;
}

void
pol_verdict_clear(struct pol_verdict *v)
{
	size_t i;

	for (i = 0; i < v->nhits; i++)
		pol_hit_clear(&v->hits[i]);
	free(v->hits);
	v->hits = NULL;
	v->nhits = 0;
	v->action = POL_ACTION_PASS;
}

int
pol_verdict_add(struct pol_verdict *v, enum pol_rule rule, int rcpt,
		const char *where, const char *fmt, ...)
{
	struct pol_hit *hits, h = {rule, rcpt, NULL, NULL, 0};
	struct buf b = BUF_INIT;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(&b, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b.data, (size_t)n + 1, fmt, ap);
	va_end(ap);
	h.detail = b.data;
	h.where = strdup(where ? where : "");
	hits = realloc(v->hits, (v->nhits + 1) * sizeof(*hits));
	if (h.where == NULL || hits == NULL) {
		pol_hit_clear(&h);
		if (hits)
			v->hits = hits;
		return -1;
	}
	hits[v->nhits++] = h;
	v->hits = hits;
	return 0;
}

int
pol_verdict_rule_ids(const struct pol_verdict *v, struct buf *b)
{
	int seen[POL_RULE_COUNT] = {0};
	size_t i;
	int first = 1;

	for (i = 0; i < v->nhits; i++) {
		if (seen[v->hits[i].rule])
			continue;
		seen[v->hits[i].rule] = 1;
		if (buf_printf(b, "%s%s", first ? "" : ",",
			       pol_rule_info(v->hits[i].rule)->id) < 0)
			return -1;
		first = 0;
	}
	return 0;
}

char *
pol_verdict_reply(const struct pol_verdict *v, const char *ref)
{
	struct buf b = BUF_INIT;
	const char *sentence = "Message refused by policy";
	size_t i;

	/* The sentence of the first hit; details follow in the evidence. */
	if (v->nhits)
		sentence = pol_rule_info(v->hits[0].rule)->sentence;
	if (buf_puts(&b, sentence) < 0)
		goto fail;
	for (i = 0; i < v->nhits && i < 1; i++) {
		const char *d = v->hits[i].detail;

		if (d && *d && strlen(d) < 200 && buf_printf(&b, ": %s", d) < 0)
			goto fail;
	}
	if (buf_puts(&b, " (rule=") < 0 || pol_verdict_rule_ids(v, &b) < 0 ||
	    buf_printf(&b, " ref=%s)", ref ? ref : "-") < 0)
		goto fail;
	/* SMTP replies must be printable ASCII; replace anything else. */
	for (i = 0; i < b.len; i++) {
		unsigned char c = (unsigned char)b.data[i];

		if (c < 0x20 || c > 0x7e)
			b.data[i] = '?';
	}
	return buf_steal(&b);
fail:
	buf_free(&b);
	return NULL;
}
