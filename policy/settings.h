/*
 * settings.h - what the policy knows of the configuration: the URLs,
 * address and domain lists, thresholds, limits, compiled patterns and rule
 * actions its rules read, and nothing else (no socket, store, user or log
 * settings).
 *
 * The policy only reads a struct pol_settings; gate/config.c fills one in
 * every config snapshot (struct cfg's member pol), owns its strings and
 * patterns and frees them with the snapshot, so a settings pointer lives as
 * long as the reference to the snapshot it came from.
 */
#ifndef CG_POL_SETTINGS_H
#define CG_POL_SETTINGS_H

#include <stddef.h>

#include "catalogue.h"

/* A list of strings (a repeatable or comma-separated key). */
struct pol_list {
	char **v;
	size_t n;
};

struct pol_patterns; /* compiled advertising patterns (patterns.h) */

/*
 * One ConsentList line: a list of consent (BGH VI ZR 721/15) and the
 * selectors that map a mail to it.  policy/lists.c decides a mail's list
 * from them.
 */
struct pol_list_selector {
	char *name;              /* a list name (cfg_list_name_valid) */
	struct pol_list senders; /* normalised addresses or @domains */
	struct pol_list list_ids;/* List-Id identifiers, lower case, no <> */
	struct pol_list classes; /* the ClassHeader's list= values, lower case */
};

struct pol_settings {
	/* Classification (classify.c). */
	struct pol_list doi_senders;
	struct pol_list marketing_senders;
	/* TransactionalSenders: transactional.advertising (rules/transactional.c). */
	struct pol_list transactional_senders;
	char *class_header;
	int class_heuristics;
	/* ArchiveAddress (archive.visible, rules/archive.c); borrowed from
	 * the snapshot's own copy, NULL or "" when unset. */
	const char *archive_address;
	/* DOI mail (rules/doi.c, rules/adwalk.c). */
	char *confirm_url;
	char *doi_cancel_url;
	struct pol_list doi_logo_urls;
	double advertising_threshold;     /* -1: the model's own */
	struct pol_list advertising_allow; /* phrases of AdvertisingAllowList */
	struct pol_patterns *patterns;     /* AdvertisingList, NULL: shipped */
	struct pol_list allowed_link_domains;
	long doi_resend_days;  /* -1 = never */
	long doi_retry_window; /* days a retry of the same DOI mail passes */
	/* Content, unsubscribe and tracking rules. */
	char *privacy_url;
	struct pol_list imprint_text;
	char *unsubscribe_address;
	char *unsubscribe_url; /* https prefix of the unsubscribe endpoint */
	struct pol_list tracking_domains;
	/* Transport rules. */
	int require_tls;
	char *spf_egress_address;
	int spf_accept_softfail;
	int spf_accept_neutral;
	int spf_accept_none;
	/* Inspection limits (message.limit). */
	long max_message_size;
	long max_mime_depth;
	long max_parts;
	enum pol_action uninspected_action; /* mail of undecided class over a limit */
	/* RuleAction.<id>. */
	enum pol_action rule_action[POL_RULE_COUNT];
	/* ConsentList lines in file order; none: one implicit list. */
	struct pol_list_selector *consent_lists;
	size_t nconsent_lists;
};

/* Action for rule r under these settings (RuleAction override or reject). */
enum pol_action pol_rule_action(const struct pol_settings *s, enum pol_rule r);

#endif
