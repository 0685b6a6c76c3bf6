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

#include "../common/buf.h"
#include "../policy/settings.h"

#define CFG_VALUE_MAX 1024 /* longest value accepted for one key */
#define CFG_LINE_MAX 4096

enum cfg_mode { CFG_MODE_ENFORCE, CFG_MODE_MONITOR };
enum cfg_log_format { CFG_LOG_TEXT, CFG_LOG_JSON };

#define CFG_LIST_NAME_MAX 32 /* ConsentList names (cfg_list_name_valid) */

struct cfg {
	int refs;
	char *path;
	char *socket;
	char *user_id;
	int mode;
	char *consent_db;
	char *archive_address;
	struct pol_list archive_classes; /* ArchiveClasses as written */
	struct pol_list archive_senders; /* ArchiveSenders, normalised */
	unsigned archive_class_mask;     /* 1u << enum pol_class per class */
	char *fault_action_transactional; /* FaultActionTransactional */
	char *fault_action_other;         /* FaultActionOther */
	unsigned fault_pass_mask; /* classes passed when store/evidence fail */
	char *advertising_list;
	char *advertising_threshold_text; /* AdvertisingThreshold as written */
	char *advertising_allow_list;
	long spf_cache_ttl;
	long evidence_retention; /* days; consentctl purge */
	char *evidence_subject_key_file; /* deployment's keys, or "" */
	int log_addresses;
	int log_format; /* enum cfg_log_format */
	long rcpt_refusal_limit; /* RCPT refusals per connection; 0: none */
	long drain_timeout;   /* seconds SIGTERM waits for open connections */
	/* Brand profiles (config_profiles.c).  ProfileDirectory holds one file
	 * per profile; each profile is a complete snapshot of its own (this
	 * file overlaid with the profile's keys), owned by this one and freed
	 * with it, so a reload swaps all of them at once.  In a profile,
	 * profile_name and profile_senders are set and profiles is empty. */
	char *profile_directory;
	char *profile_name;            /* NULL in the base snapshot */
	struct pol_list profile_senders; /* ProfileSenders, normalised */
	struct cfg **profiles;         /* sorted by name */
	size_t nprofiles;
	/* What the policy reads (policy/settings.h), owned by this snapshot. */
	struct pol_settings pol;
	long follow_verify_interval; /* seconds between follower verifies; 0 off */
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
	CFG_T_CONSENTLIST, /* NAME: selector=value, ... (struct pol_list_selector) */
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

struct pol_verdict;

/* The word the evidence and log record as the action taken on v: "pass",
 * "monitor" in monitor mode, else the action's name. */
const char *cfg_action_word(const struct cfg *c, const struct pol_verdict *v);

/* The policy's part of the snapshot (borrowed; lives as long as c; NULL
 * for NULL). */
const struct pol_settings *cfg_pol(const struct cfg *c);

/*
 * Brand profiles.  cfg_profile_for: the profile of c whose ProfileSenders
 * cover addr (an address or @domain entry; sets never overlap), or NULL.
 * cfg_profile_select: the profile of a mail, by its envelope sender first
 * and by its From address only when the envelope sender has none.
 * cfg_profile_named: the profile called name, or NULL.  All borrowed (they
 * live as long as c; cfg_ref one to keep it longer).  NULL for NULL c.
 */
struct cfg *cfg_profile_for(const struct cfg *c, const char *addr);
struct cfg *cfg_profile_select(const struct cfg *c, const char *sender,
			       const char *from);
struct cfg *cfg_profile_named(const struct cfg *c, const char *name);
/* The profile name of a snapshot, "" for the base (no profile). */
const char *cfg_profile_name(const struct cfg *c);

#endif
