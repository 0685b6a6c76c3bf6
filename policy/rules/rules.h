/*
 * rules.h - the interface every rule file in policy/rules/ implements: a
 * struct pol_rule_def per rule, listed in policy/rules/list.h.
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
#define POL_ON_ANY (POL_ON_DOI | POL_ON_MARKETING | \
		    (1u << POL_CLASS_OTHER) | (1u << POL_CLASS_TRANSACTIONAL))

/*
 * One rule, declared in its own file as
 *
 *	const struct pol_rule_def pol_rule_<sym> = {
 *		.info = {"family.name", "Reply sentence", POL_ACTION_REJECT},
 *		.classes = POL_ON_DOI | POL_ON_MARKETING,
 *		.fn = entry_point,
 *	};
 *
 * and listed by one line in list.h.  Rules found in one pass share an entry
 * point (consent.*, unsubscribe.*, content.*): the evaluation calls it once,
 * at the first of them in list.h, when the mail's class is one of theirs
 * and not all of them are off; it then reports each id only when that id's
 * RuleAction is not off.
 */
struct pol_rule_def {
	struct pol_rule_info info; /* id, sentence, default action, fixed */
	unsigned classes;          /* POL_ON_* */
	pol_rule_fn fn;            /* the entry point */
};

/* The definition of rule r (borrowed static data), NULL when out of range. */
const struct pol_rule_def *pol_rule_def(enum pol_rule r);

/* The definitions, exported by the rule files. */
#define POL_RULE_DEF(name, sym) extern const struct pol_rule_def pol_rule_##sym;
#include "list.h"
#undef POL_RULE_DEF

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
