/*
 * reload.c - SIGHUP: read the configuration again and apply all of it, or
 * refuse all of it and say why.
 *
 * Every key of the config table (gate/config.c) is classified below:
 *   apply    read from the message's config snapshot at each use, so the
 *            new snapshot applies to every message that starts after it;
 *   store    ConsentDB: the new store is opened first; only when that works
 *            are store and snapshot swapped in together (runtime.c), and the
 *            old store is closed once its last lookup or evidence write is
 *            done; when it fails, nothing changes;
 *   restart  bound at start (the socket libmilter opened, the user the
 *            daemon dropped to): a reload cannot apply it.
 * A reload that changes a restart key is refused as a whole: each such key
 * is logged with its running and its new value, and the running
 * configuration stays exactly as it was (a half-applied file would be a
 * state that matches no file).  A key missing from the table counts as a
 * restart key, so a new key is never silently ignored; a unit test keeps
 * the table complete.
 *
 * Owns: nothing beyond the call; the snapshot and store it opens are handed
 * to runtime.c or freed.  Logs every outcome (error or info); never exits.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "../common/log.h"
#include "mf.h"

static const struct {
	const char *key;
	enum mf_reload_kind kind;
} mf_reload_table[] = {
	{"Socket", MF_RELOAD_RESTART},
	{"UserID", MF_RELOAD_RESTART},
	{"Mode", MF_RELOAD_APPLY},
	{"ConsentDB", MF_RELOAD_STORE},
	{"ArchiveAddress", MF_RELOAD_APPLY},
	{"ArchiveClasses", MF_RELOAD_APPLY},
	{"ArchiveSenders", MF_RELOAD_APPLY},
	{"DoiSenders", MF_RELOAD_APPLY},
	{"MarketingSenders", MF_RELOAD_APPLY},
	{"TransactionalSenders", MF_RELOAD_APPLY},
	{"ClassHeader", MF_RELOAD_APPLY},
	{"ClassHeuristics", MF_RELOAD_APPLY},
	{"ConfirmURL", MF_RELOAD_APPLY},
	{"DoiCancelURL", MF_RELOAD_APPLY},
	{"DoiLogoURL", MF_RELOAD_APPLY},
	{"PrivacyURL", MF_RELOAD_APPLY},
	{"ImprintText", MF_RELOAD_APPLY},
	{"AdvertisingList", MF_RELOAD_APPLY}, /* compiled into the snapshot */
	{"AdvertisingThreshold", MF_RELOAD_APPLY},
	{"AdvertisingAllowList", MF_RELOAD_APPLY}, /* read into the snapshot */
	{"AllowedLinkDomains", MF_RELOAD_APPLY},
	{"DoiResend", MF_RELOAD_APPLY},
	{"UnsubscribeAddress", MF_RELOAD_APPLY},
	{"UnsubscribeURL", MF_RELOAD_APPLY},
	{"TrackingDomains", MF_RELOAD_APPLY},
	{"RequireTLS", MF_RELOAD_APPLY},
	{"SpfEgressAddress", MF_RELOAD_APPLY},
	{"SpfAcceptSoftfail", MF_RELOAD_APPLY},
	{"SpfAcceptNeutral", MF_RELOAD_APPLY},
	{"SpfAcceptNone", MF_RELOAD_APPLY},
	{"SpfCacheTTL", MF_RELOAD_APPLY},   /* passed to each SPF check */
	{"EvidenceRetention", MF_RELOAD_APPLY}, /* read by consentctl purge */
	/* Read into the open store at start; the evidence writer hashes
	 * with it on its own thread, so it is not swapped under it. */
	{"EvidenceSubjectKeyFile", MF_RELOAD_RESTART},
	{"LogAddresses", MF_RELOAD_APPLY},
	{"LogFormat", MF_RELOAD_APPLY},     /* set in log.c when applied */
	{"MaxMessageSize", MF_RELOAD_APPLY},
	{"MaxMimeDepth", MF_RELOAD_APPLY},
	{"MaxParts", MF_RELOAD_APPLY},
	{"DrainTimeout", MF_RELOAD_APPLY},  /* read when SIGTERM arrives */
	{"UninspectedAction", MF_RELOAD_APPLY},
	{"RcptRefusalLimit", MF_RELOAD_APPLY}, /* read at each RCPT */
	{"DoiRetryWindow", MF_RELOAD_APPLY},
	{"FollowVerifyInterval", MF_RELOAD_APPLY}, /* read by consentctl follow */
	{"ConsentList", MF_RELOAD_APPLY}, /* read per message */
	{"ProfileDirectory", MF_RELOAD_APPLY}, /* profiles read into the snapshot */
	{"FaultActionTransactional", MF_RELOAD_APPLY},
	{"FaultActionOther", MF_RELOAD_APPLY},
	{"RuleAction.<rule>", MF_RELOAD_APPLY},
};

int
mf_reload_kind(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(mf_reload_table) / sizeof(mf_reload_table[0]); i++)
		if (strcasecmp(mf_reload_table[i].key, key) == 0)
			return (int)mf_reload_table[i].kind;
	return -1;
}

static int
mf_str_equal(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static int
mf_list_equal(const struct pol_list *la, const struct pol_list *lb)
{
	size_t i;

	if (la->n != lb->n)
		return 0;
	for (i = 0; i < la->n; i++)
		if (!mf_str_equal(la->v[i], lb->v[i]))
			return 0;
	return 1;
}

/* The ConsentList lines, in order. */
static int
mf_consent_lists_equal(const struct cfg *a, const struct cfg *b)
{
	size_t i;

	if (a->pol.nconsent_lists != b->pol.nconsent_lists)
		return 0;
	for (i = 0; i < a->pol.nconsent_lists; i++) {
		const struct pol_list_selector *x = &a->pol.consent_lists[i];
		const struct pol_list_selector *y = &b->pol.consent_lists[i];

		if (!mf_str_equal(x->name, y->name) ||
		    !mf_list_equal(&x->senders, &y->senders) ||
		    !mf_list_equal(&x->list_ids, &y->list_ids) ||
		    !mf_list_equal(&x->classes, &y->classes))
			return 0;
	}
	return 1;
}

static int
mf_key_equal(const struct cfg_key *k, const struct cfg *a, const struct cfg *b)
{
	const void *fa = (const char *)a + k->offset;
	const void *fb = (const char *)b + k->offset;

	switch (k->type) {
	case CFG_T_LIST:
	case CFG_T_ADDRLIST:
		return mf_list_equal(fa, fb);
	case CFG_T_CONSENTLIST:
		return mf_consent_lists_equal(a, b);
	case CFG_T_BOOL:
	case CFG_T_MODE:
	case CFG_T_LOGFORMAT:
		return *(const int *)fa == *(const int *)fb;
	case CFG_T_INT:
	case CFG_T_SIZE:
	case CFG_T_DAYS:
		return *(const long *)fa == *(const long *)fb;
	case CFG_T_ACTION:
		return *(const enum pol_action *)fa == *(const enum pol_action *)fb;
	case CFG_T_RULEACTION:
		return memcmp(a->pol.rule_action, b->pol.rule_action,
			      sizeof(a->pol.rule_action)) == 0;
	default: /* the string types */
		return mf_str_equal(*(char *const *)fa, *(char *const *)fb);
	}
}

/* The value of key k in c as text for a log line. */
static void
mf_key_text(const struct cfg_key *k, const struct cfg *c, char *out,
	    size_t outsz)
{
	const void *f = (const char *)c + k->offset;

	switch (k->type) {
	case CFG_T_LIST:
	case CFG_T_ADDRLIST:
		snprintf(out, outsz, "(%zu entries)", ((const struct pol_list *)f)->n);
		break;
	case CFG_T_BOOL:
	case CFG_T_MODE:
	case CFG_T_LOGFORMAT:
		snprintf(out, outsz, "%d", *(const int *)f);
		break;
	case CFG_T_ACTION:
		snprintf(out, outsz, "%s",
			 pol_action_name(*(const enum pol_action *)f));
		break;
	case CFG_T_INT:
	case CFG_T_SIZE:
	case CFG_T_DAYS:
		snprintf(out, outsz, "%ld", *(const long *)f);
		break;
	case CFG_T_RULEACTION:
		snprintf(out, outsz, "(per-rule actions)");
		break;
	case CFG_T_CONSENTLIST:
		snprintf(out, outsz, "(%zu lists)", c->pol.nconsent_lists);
		break;
	default:
		snprintf(out, outsz, "'%s'",
			 *(char *const *)f ? *(char *const *)f : "");
		break;
	}
}

int
mf_reload_check(const struct cfg *running, const struct cfg *fresh,
		struct buf *changed, struct buf *refused)
{
	const struct cfg_key *keys;
	char was[256], now[256];
	size_t i, n;
	int nrefused = 0;

	keys = cfg_keys(&n);
	for (i = 0; i < n; i++) {
		if (mf_key_equal(&keys[i], running, fresh))
			continue;
		if (mf_reload_kind(keys[i].name) == MF_RELOAD_APPLY ||
		    mf_reload_kind(keys[i].name) == MF_RELOAD_STORE) {
			buf_printf(changed, "%s%s", changed->len ? ", " : "",
				   keys[i].name);
			continue;
		}
		mf_key_text(&keys[i], running, was, sizeof(was));
		mf_key_text(&keys[i], fresh, now, sizeof(now));
		buf_printf(refused, "%s cannot change without a restart "
			   "(running %s, file %s)\n", keys[i].name, was, now);
		nrefused++;
	}
	return nrefused;
}

/* Log each line of text with prefix, as an error. */
static void
mf_log_lines(const char *prefix, char *text)
{
	char *line, *save = NULL;

	for (line = strtok_r(text ? text : "", "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		log_err("%s%s", prefix, line);
}

/* ConsentDB changed to another store: open it and swap it in together
 * with fresh.  0 done (fresh is owned by runtime.c), -1 refused (logged;
 * the caller still owns fresh). */
static int
mf_reload_store(const char *path, const struct cfg *running, struct cfg *fresh)
{
	struct db_store *store = NULL;
	char err[512];
	int which = mf_store_which(fresh->consent_db);

	if (which < 0) {
		snprintf(err, sizeof(err), "%s", strerror(errno));
	} else if (which == 2) {
		snprintf(err, sizeof(err), "it is the store in use before the "
			 "last reload and still open for a running message; "
			 "send SIGHUP again in a moment");
	} else if (db_open(fresh->consent_db, 0, &store, err, sizeof(err)) == 0) {
		if (db_subject_keys_load(store, fresh->evidence_subject_key_file,
					 err, sizeof(err)) != DB_OK) {
			db_close(store);
			log_err("reload: %s", err);
			log_err("reload: %s refused; the previous configuration "
				"stays in force", path);
			return -1;
		}
		if (mf_store_swap(store, fresh->consent_db, fresh) == 0) {
			log_info("reload: ConsentDB: consent lookups, evidence "
				 "and DOI/withdrawal records now use %s; %s is "
				 "closed when no message uses it any more",
				 fresh->consent_db, running->consent_db);
			mf_store_reap();
			return 0;
		}
		db_close(store);
		snprintf(err, sizeof(err), "out of memory");
	}
	log_err("reload: ConsentDB: cannot open the consent store %s: %s",
		fresh->consent_db, err);
	log_err("reload: %s refused; the previous configuration (ConsentDB "
		"%s) stays in force", path, running->consent_db);
	return -1;
}

void
mf_reload(const char *path)
{
	struct buf errors = BUF_INIT, changed = BUF_INIT, refused = BUF_INIT;
	struct cfg *fresh, *running;
	int mode, log_json, applied = 0;
	size_t nprofiles;

	fresh = cfg_load(path, &errors);
	if (fresh == NULL) {
		mf_log_lines("reload: ", errors.data);
		log_err("reload: %s has errors; the previous configuration "
			"stays in force", path);
		buf_free(&errors);
		return;
	}
	running = mf_cfg_acquire();
	mode = fresh->mode;
	nprofiles = fresh->nprofiles;
	log_json = fresh->log_format == CFG_LOG_JSON;
	if (mf_reload_check(running, fresh, &changed, &refused) > 0) {
		mf_log_lines("reload: ", refused.data);
		log_err("reload: %s refused as a whole: restart consentgate to "
			"change the keys above; the previous configuration "
			"stays in force", path);
		cfg_unref(fresh);
	} else if (mf_store_which(fresh->consent_db) == 1 ||
		   (mf_str_equal(running->consent_db, fresh->consent_db) &&
		    mf_store_which(fresh->consent_db) < 0)) {
		/* The same store (perhaps spelled differently): keep it. */
		mf_cfg_swap(fresh);
		applied = 1;
	} else if (mf_reload_store(path, running, fresh) < 0) {
		cfg_unref(fresh);
	} else {
		applied = 1;
	}
	if (applied)
		log_set_json(log_json);
	if (applied)
		log_info("reload: configuration %s loaded (mode %s, %zu brand "
			 "profiles read again); keys changed: %s", path,
			 mode == CFG_MODE_MONITOR ? "monitor" : "enforce",
			 nprofiles, changed.len ? changed.data : "none");
	cfg_unref(running);
	buf_free(&errors);
	buf_free(&changed);
	buf_free(&refused);
}
