/*
 * transactional.c - rule transactional.advertising: advertising inside
 * transactional mail.
 *
 * An order confirmation or auto-reply that carries advertising is
 * advertising (BGH VI ZR 134/15, VI ZR 225/17) and needs the recipient's
 * consent.  Mail classed transactional or other whose envelope sender or
 * From is in TransactionalSenders (empty: the rule never fires) is read
 * with the detection DOI mail gets - the advertising patterns
 * (AdvertisingList or the shipped lists) and the sentence model (adwalk.h)
 * over the Subject, the visible, hidden and extra text and image alt
 * texts - and for the promotional blocks shop systems put into order
 * mails: product recommendations ("you might also like", "Das könnte
 * Ihnen auch gefallen"), coupon codes, and the reminder of a cart left
 * in the shop ("noch in Ihrem Warenkorb", "still in your cart"): a mail
 * that asks someone to complete a purchase they did not make promotes a
 * sale, whatever else it says (no purchase, so no existing-customer
 * exception of §7(3) UWG either).  Links and images are not
 * judged: an order mail may show its products and link to the shop.
 * When advertising is found, each recipient whose consent is neither
 * confirmed nor customer is a hit (the advertising found is named in
 * hits of its own).  Default action tag: the mail is delivered with the
 * X-Consent-Gate header and the evidence.  Owns nothing; -1 only when
 * memory runs out.
 */
#include <stdio.h>
#include <string.h>

#include "../adwalk.h"
#include "../patterns.h"
#include "util.h"

#include "../../common/addr.h"
#include "../../common/textnorm.h"

/* Findings reported per mail at most, and bytes quoted of each. */
#define POL_TA_MAX_FINDINGS 5
#define POL_TA_QUOTE_MAX 120

/* Headings and phrases of the promotional blocks shop systems add to
 * order and shipping mails (cross-selling, coupons), compared in their
 * normalised form. */
static const char *const pol_ta_blocks[] = {
	"you might also like", "you may also like", "customers also bought",
	"customers who bought", "recommended for you", "our recommendations",
	"coupon code", "discount code", "promo code", "voucher code",
	"your next order", "das könnte ihnen auch gefallen",
	"das könnte dir auch gefallen", "kunden kauften auch",
	"kunden, die diesen artikel", "unsere empfehlungen",
	"empfehlungen für sie", "empfehlungen für dich", "passend dazu",
	"gutscheincode", "rabattcode", "aktionscode", "ihre nächste bestellung",
	"deine nächste bestellung",
	/* reminders of an abandoned cart or checkout */
	"noch in ihrem warenkorb", "noch in deinem warenkorb",
	"ihr warenkorb wartet", "dein warenkorb wartet",
	"still in your cart", "left in your cart", "your cart is waiting",
	"items in your cart are waiting",
};

struct pol_ta_scan {
	const struct pol_ctx *x;
	struct pol_verdict *v;
	unsigned found;
};

static const struct pol_patterns *
pol_ta_patterns(const struct pol_settings *ps)
{
	return ps->patterns ? ps->patterns : pol_patterns_builtin();
}

static int
pol_ta_add(struct pol_ta_scan *sc, const char *where, const char *what,
	   const char *quote)
{
	if (sc->found >= POL_TA_MAX_FINDINGS)
		return 0;
	sc->found++;
	return pol_verdict_add(sc->v, POL_RULE_TRANSACTIONAL_ADVERTISING, -1,
			       where, "%s \"%s\"", what, quote);
}

/* Advertising patterns and promotional-block phrases in one text. */
static int
pol_ta_text(struct pol_ta_scan *sc, const char *text, size_t len,
	    const char *where)
{
	struct pol_pattern_hit hits[POL_TA_MAX_FINDINGS];
	char quote[POL_TA_QUOTE_MAX];
	struct textnorm tn;
	size_t os, oe, i;
	int n, k, rc = 0;

	if (text == NULL || len == 0 || sc->found >= POL_TA_MAX_FINDINGS)
		return 0;
	if (textnorm_make_words(&tn, text, len) < 0)
		return -1;
	n = pol_patterns_find(pol_ta_patterns(sc->x->ps), tn.text, tn.len, hits,
			      POL_TA_MAX_FINDINGS - sc->found);
	for (k = 0; k < n && rc == 0; k++) {
		textnorm_span(&tn, hits[k].start, hits[k].end, &os, &oe);
		pol_ad_quote(text, os, oe, quote, sizeof(quote));
		rc = pol_ta_add(sc, where, "advertising wording", quote);
	}
	for (i = 0; rc == 0 && n >= 0 &&
		    i < sizeof(pol_ta_blocks) / sizeof(pol_ta_blocks[0]); i++) {
		int r = pol_norm_contains(tn.text, pol_ta_blocks[i]);

		if (r < 0)
			rc = -1;
		else if (r > 0)
			rc = pol_ta_add(sc, where, "promotional block",
					pol_ta_blocks[i]);
	}
	textnorm_free(&tn);
	return n < 0 || rc < 0 ? -1 : 0;
}

/* Subject and every part's visible, hidden and extra text. */
static int
pol_ta_texts(struct pol_ta_scan *sc)
{
	const struct pol_message *m = sc->x->msg;
	char where[200];
	size_t i;

	if (pol_ta_text(sc, m->subject, strlen(m->subject), "header Subject") < 0)
		return -1;
	for (i = 0; i < m->nparts; i++) {
		const struct pol_text_part *p = &m->parts[i];

		pol_where_part(m, i, 0, where, sizeof(where));
		if (pol_ta_text(sc, p->text, p->text_len, where) < 0)
			return -1;
		snprintf(where, sizeof(where), "hidden text of part %s %s",
			 p->path, p->content_type);
		if (pol_ta_text(sc, p->hidden, p->hidden_len, where) < 0)
			return -1;
		snprintf(where, sizeof(where),
			 "title, alt or generated text of part %s %s", p->path,
			 p->content_type);
		if (pol_ta_text(sc, p->extra, p->extra_len, where) < 0)
			return -1;
	}
	return 0;
}

/*
 * An order mail names products and prices: that is the transaction, not an
 * offer.  The model learnt prices and product words as signals of
 * advertising in mail that should carry neither, so here it reads only
 * sentences: at least POL_TA_MIN_WORDS words (a product name, a price, a
 * table heading is less) and at most one amount (a line of an order table
 * holds several).
 */
#define POL_TA_MIN_WORDS 6

static int
pol_ta_is_sentence(const struct pol_ad_sentence *s)
{
	const char *norm = s->norm;
	size_t len = s->norm_len, i;
	unsigned amounts = 0;

	for (i = 0; i < len; i++) {
		if (i + 3 < len && norm[i] >= '0' && norm[i] <= '9' &&
		    (norm[i + 1] == ',' || norm[i + 1] == '.') &&
		    norm[i + 2] >= '0' && norm[i + 2] <= '9' &&
		    norm[i + 3] >= '0' && norm[i + 3] <= '9')
			amounts++;
	}
	return pol_adscore_words(s) >= POL_TA_MIN_WORDS && amounts <= 1;
}

/* A sentence the model scores as advertising, unless a pattern names it
 * already. */
static int
pol_ta_sentence(void *arg, const struct pol_ad_seen *seen)
{
	struct pol_ta_scan *sc = arg;
	char quote[POL_TA_QUOTE_MAX];
	struct pol_pattern_hit h;
	int r;

	if (!seen->counts ||
	    !pol_ta_is_sentence(seen->s))
		return 0;
	if (sc->found >= POL_TA_MAX_FINDINGS)
		return 1;
	r = pol_patterns_find(pol_ta_patterns(sc->x->ps), seen->s->norm,
			      seen->s->norm_len, &h, 1);
	if (r != 0)
		return r < 0 ? -1 : 0;
	pol_ad_quote(seen->text, seen->s->start, seen->s->end, quote,
		     sizeof(quote));
	return pol_ta_add(sc, seen->where, "advertising sentence", quote);
}

static int
pol_ta_consented(const struct pol_consent *c)
{
	return c->state == POL_CONSENT_CONFIRMED ||
	       c->state == POL_CONSENT_CUSTOMER;
}

static int
transactional_advertising_check(const struct pol_ctx *x, struct pol_verdict *v)
{
	const struct pol_settings *ps = x->ps;
	const char *from = x->msg->from_addr, *env = x->env->sender;
	struct pol_ta_scan sc = {x, v, 0};
	size_t i, without = 0;

	if (ps->transactional_senders.n == 0 ||
	    (!addr_match_list(env, ps->transactional_senders.v,
			      ps->transactional_senders.n) &&
	     !addr_match_list(from, ps->transactional_senders.v,
			      ps->transactional_senders.n)))
		return 0;
	for (i = 0; i < x->env->nrcpts; i++)
		without += !pol_ta_consented(&x->env->rcpts[i].consent);
	if (without == 0)
		return 0;
	if (pol_ta_texts(&sc) < 0 ||
	    pol_ad_walk(ps, x->msg, pol_ta_sentence, &sc) < 0)
		return -1;
	if (sc.found == 0)
		return 0;
	for (i = 0; i < x->env->nrcpts; i++) {
		const struct pol_consent *c = &x->env->rcpts[i].consent;

		if (!pol_ta_consented(c) &&
		    pol_verdict_add(v, POL_RULE_TRANSACTIONAL_ADVERTISING, (int)i,
				    "envelope recipient", "advertising to a "
				    "recipient without marketing consent "
				    "(consent state is %s)",
				    pol_consent_name(c->state)) < 0)
			return -1;
	}
	return 0;
}

const struct pol_rule_def pol_rule_transactional_advertising = {
	.info = {"transactional.advertising",
		  "Transactional mail carries advertising to a recipient "
		  "without marketing consent",
		  POL_ACTION_TAG, 0},
	.classes = (1u << POL_CLASS_TRANSACTIONAL) | (1u << POL_CLASS_OTHER),
	.fn = transactional_advertising_check,
};
