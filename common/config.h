/*
 * config.h - the consentgate configuration: one table of keys drives the
 * parser, `consentgate -n`, and the test that keeps milter.conf.sample and
 * the README complete.
 *
 * A struct cfg is an immutable, reference-counted snapshot.  Whoever uses it
 * across a callback holds a reference (cfg_ref/cfg_unref); a reload builds a
 * new snapshot and swaps it in, so a running message keeps its old one.
 */
#ifndef CG_CONFIG_H
#define CG_CONFIG_H

#include <stddef.h>

#include "../policy/catalogue.h"
#include "buf.h"

#define CFG_VALUE_MAX 1024 /* longest value accepted for one key */
#define CFG_LINE_MAX 4096

enum cfg_mode { CFG_MODE_ENFORCE, CFG_MODE_MONITOR };
enum cfg_log_format { CFG_LOG_TEXT, CFG_LOG_JSON };

struct cfg_list {
	char **v;
	size_t n;
};

struct pol_patterns; /* compiled advertising patterns, owned by the cfg */

/*
 * One ConsentList line: a list of consent (BGH VI ZR 721/15) and the
 * selectors that map a mail to it.  "ConsentList NAME: sender=ADDR|@domain,
 * list-id=ID, class=VALUE, ..." (several of each; later lines for the same
 * NAME append).  policy/lists.c decides a mail's list from them.
 */
#define CFG_LIST_NAME_MAX 32
struct cfg_consent_list {
	char *name;              /* a list name (cfg_list_name_valid) */
	struct cfg_list senders; /* normalised addresses or @domains */
	struct cfg_list list_ids;/* List-Id identifiers, lower case, no <> */
	struct cfg_list classes; /* the ClassHeader's list= values, lower case */
};

struct cfg {
	int refs;
	char *path;
	char *socket;
	char *user_id;
	int mode;
	char *consent_db;
	char *archive_address;
	struct cfg_list doi_senders;
	struct cfg_list marketing_senders;
	char *class_header;
	int class_heuristics;
	char *confirm_url;
	char *doi_cancel_url;
	struct cfg_list doi_logo_urls;
	char *privacy_url;
	struct cfg_list imprint_text;
	char *advertising_list;
	char *advertising_threshold_text; /* AdvertisingThreshold as written */
	double advertising_threshold;     /* -1: the model's own */
	char *advertising_allow_list;
	struct cfg_list advertising_allow; /* phrases of AdvertisingAllowList */
	struct cfg_list allowed_link_domains;
	long doi_resend_days; /* -1 = never */
	long doi_retry_window; /* days a retry of the same DOI mail passes */
	char *unsubscribe_address;
	char *unsubscribe_url; /* https prefix of the unsubscribe endpoint */
	struct cfg_list tracking_domains;
	int require_tls;
	char *spf_egress_address;
	int spf_accept_softfail;
	int spf_accept_neutral;
	int spf_accept_none;
	long spf_cache_ttl;
	long evidence_retention; /* days; consentctl purge */
	int log_addresses;
	int log_format; /* enum cfg_log_format */
	long max_message_size;
	long max_mime_depth;
	long max_parts;
	enum pol_action uninspected_action; /* mail of undecided class over a limit */
	long rcpt_refusal_limit; /* RCPT refusals per connection; 0: none */
	long drain_timeout;   /* seconds SIGTERM waits for open connections */
	long follow_verify_interval; /* seconds between follower verifies; 0 off */
	enum pol_action rule_action[POL_RULE_COUNT];
	struct pol_patterns *patterns;
	/* ConsentList lines in file order; none: one implicit list. */
	struct cfg_consent_list *consent_lists;
	size_t nconsent_lists;
};

enum cfg_type {
	CFG_T_STRING,
	CFG_T_PATH,
	CFG_T_SOCKET,
	CFG_T_ADDRESS,
	CFG_T_HTTPS_URL,
	CFG_T_IP,
	CFG_T_LIST,     /* comma-separated, later lines append */
	CFG_T_ADDRLIST, /* list of addresses or @domains */
	CFG_T_BOOL,
	CFG_T_INT,
	CFG_T_SIZE,     /* number with optional k/M/G suffix */
	CFG_T_MODE,
	CFG_T_LOGFORMAT, /* text or json */
	CFG_T_DAYS,     /* "never" or a number of days */
	CFG_T_RULEACTION,
	CFG_T_ACTION,   /* reject, tempfail, quarantine or tag */
	CFG_T_CONSENTLIST, /* NAME: selector=value, ... (struct cfg_consent_list) */
};

struct cfg_key {
	const char *name;
	enum cfg_type type;
	size_t offset;
	const char *def; /* default as written in the sample ("" = unset) */
	long min, max;   /* for numbers */
	const char *doc; /* one sentence for the sample file */
};

/* The key table (static, borrowed). */
const struct cfg_key *cfg_keys(size_t *n);

/*
 * Read path and return a new snapshot with one reference, or NULL.  Every
 * problem is appended to errors as "file:line: message\n" (the caller owns
 * errors).  Unknown keys and bad values are errors.
 */
struct cfg *cfg_load(const char *path, struct buf *errors);
/* A snapshot holding only the defaults. */
struct cfg *cfg_defaults(void);
/* Parse text as if it were the file named name (used by tests). */
struct cfg *cfg_parse_text(const char *name, const char *text,
			   struct buf *errors);
struct cfg *cfg_ref(struct cfg *c);
void cfg_unref(struct cfg *c);

/* Is name a list name: 1 to CFG_LIST_NAME_MAX of a-z, 0-9, '.', '_', '-'
 * (the store's rule, db_list_name_valid)?  1 or 0. */
int cfg_list_name_valid(const char *name);

/* Action for rule r under this config (RuleAction override or reject). */
enum pol_action cfg_rule_action(const struct cfg *c, enum pol_rule r);

#endif
