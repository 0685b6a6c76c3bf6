/*
 * rules.h - the interface every rule file in policy/rules/ implements, and
 * the catalogue of rule entry points (policy/rules/table.c).
 *
 * A rule looks at the evaluation context and adds hits to the verdict.  It
 * returns 0, or -1 when memory ran out (the evaluation then tempfails).
 * Rules never log and do no I/O.
 */
#ifndef CG_RULES_H
#define CG_RULES_H

#include "../policy.h"

struct pol_memo; /* results several rules share, per evaluation (util.c) */

struct pol_ctx {
	const struct pol_settings *ps;
	const struct pol_envelope *env;
	const struct pol_message *msg;
	enum pol_class cls;
	struct pol_memo *memo; /* NULL: nothing is remembered */
};

typedef int (*pol_rule_fn)(const struct pol_ctx *x, struct pol_verdict *v);

/* Bit masks of the classes a rule applies to. */
#define POL_ON_DOI (1u << POL_CLASS_DOI)
#define POL_ON_MARKETING (1u << POL_CLASS_MARKETING)

struct pol_rule_entry {
	enum pol_rule rule; /* the rule id it reports (RuleAction governs it) */
	unsigned classes;
	pol_rule_fn fn;
	int family; /* 1: fn reports several ids and honours RuleAction itself */
};

/* The table, in evaluation order (borrowed static data). */
const struct pol_rule_entry *pol_rule_table(size_t *n);

/* Entry points, one file per rule family. */
int pol_rule_consent(const struct pol_ctx *x, struct pol_verdict *v);
int pol_rule_unsubscribe(const struct pol_ctx *x, struct pol_verdict *v);
int pol_rule_content(const struct pol_ctx *x, struct pol_verdict *v);
int pol_rule_exposure(const struct pol_ctx *x, struct pol_verdict *v);
int pol_rule_insecure(const struct pol_ctx *x, struct pol_verdict *v);
int pol_rule_address_leak(const struct pol_ctx *x, struct pol_verdict *v);
int pol_rule_tracking(const struct pol_ctx *x, struct pol_verdict *v);
int pol_rule_doi_advertising(const struct pol_ctx *x, struct pol_verdict *v);
int pol_rule_doi_confirm_link(const struct pol_ctx *x, struct pol_verdict *v);
int pol_rule_doi_resend(const struct pol_ctx *x, struct pol_verdict *v);
int pol_rule_tls(const struct pol_ctx *x, struct pol_verdict *v);
int pol_rule_spf(const struct pol_ctx *x, struct pol_verdict *v);

/* Does a consent rule apply to this recipient's consent for the mail's
 * list (NULL: no ConsentList, or not known yet)?  Shared by the RCPT-time
 * check and the message-time rule; fills rule and returns 1 when it fires. */
int pol_consent_refuses(enum pol_class cls, const char *list,
			const struct pol_consent *c, enum pol_rule *rule);
/* Add the hit of a consent rule for recipient rcpt, its detail naming the
 * state or the lists (list: the mail's, or NULL).  0 or -1 (memory). */
int pol_consent_hit(struct pol_verdict *v, enum pol_rule rule, int rcpt,
		    const char *list, const struct pol_consent *c);

/*
 * Does the image URL's path or file name, written as words ("fruehjahr-
 * 2026-banner.png" reads "fruehjahr 2026 banner"), hold advertising
 * wording (AdvertisingList or the shipped lists) or a campaign picture's
 * name (banner, hero, a season...)?  The words read are written into slug
 * (truncated).  1 yes, 0 no, -1 out of memory.  doi.c; the DOI logo
 * decision asks it before accepting an image as the logo.
 */
int pol_doi_words_in_slug(const struct pol_settings *ps, const char *url, char *slug,
			  size_t slugsz);

#endif
