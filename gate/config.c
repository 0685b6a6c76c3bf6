/*
 * config.c - parse the consentgate config file into an immutable snapshot.
 *
 * Owns: each struct cfg and every string in it, freed when the last reference
 * goes.  The key table below is the single declaration of every key, its
 * type, default and bounds.  Defaults are applied by feeding the default text
 * through the same parser as the file, so a default can never be a value the
 * file could not hold.  Errors are collected, not logged: the caller decides
 * whether to print them (-n), log them (reload) or exit.
 */
#include "config.h"
#include "config_int.h"
#include "../policy/policy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/addr.h"
#include "../common/str.h"
#include "../policy/patterns.h"

#define K(name, type, field, def, min, max, doc)                               \
	{name, type, offsetof(struct cfg, field), def, min, max, doc}

static const struct cfg_key cfg_table[] = {
	K("Socket", CFG_T_SOCKET, socket, "inet:8895@127.0.0.1",
	  0, 0, "Milter socket: unix:/path or inet:PORT@HOST."),
	K("UserID", CFG_T_STRING, user_id, "", 0, 0,
	  "User (or user:group) to run as after the socket is open."),
	K("Mode", CFG_T_MODE, mode, "enforce", 0, 0,
	  "enforce refuses mail; monitor only logs and adds X-Consent-Gate."),
	K("ConsentDB", CFG_T_PATH, consent_db, "/var/lib/consentgate", 0, 0,
	  "Directory of the LMDB consent and evidence store."),
	K("ArchiveAddress", CFG_T_ADDRESS, archive_address, "", 0, 0,
	  "Mailbox that gets a blind copy (envelope recipient) of every DOI mail."),
	K("ArchiveClasses", CFG_T_LIST, archive_classes, "doi", 0, 0,
	  "Classes (doi, marketing, transactional, other) whose delivered mail gets the ArchiveAddress blind copy."),
	K("ArchiveSenders", CFG_T_ADDRLIST, archive_senders, "", 0, 0,
	  "Envelope or From addresses (or @domain) whose delivered mail gets the ArchiveAddress blind copy, whatever its class."),
	K("DoiSenders", CFG_T_ADDRLIST, pol.doi_senders, "", 0, 0,
	  "Envelope or From addresses (or @domain) whose mail is DOI mail."),
	K("MarketingSenders", CFG_T_ADDRLIST, pol.marketing_senders, "", 0, 0,
	  "Envelope or From addresses (or @domain) whose mail is marketing mail."),
	K("TransactionalSenders", CFG_T_ADDRLIST, pol.transactional_senders, "", 0, 0,
	  "Envelope or From addresses (or @domain) whose transactional or other mail is checked for advertising (transactional.advertising); empty: off."),
	K("ClassHeader", CFG_T_STRING, pol.class_header, "X-Consent-Class", 0, 0,
	  "Header a sending tool may set to doi, marketing or transactional."),
	K("ClassHeuristics", CFG_T_BOOL, pol.class_heuristics, "yes", 0, 0,
	  "yes: unlisted mail with a ConfirmURL link is DOI, with one-click or bulk headers marketing."),
	K("ConfirmURL", CFG_T_HTTPS_URL, pol.confirm_url, "", 0, 0,
	  "https prefix every DOI confirmation link must start with."),
	K("DoiCancelURL", CFG_T_HTTPS_URL, pol.doi_cancel_url, "", 0, 0,
	  "Optional https prefix of the decline link a DOI mail may carry beside the confirmation link."),
	K("DoiLogoURL", CFG_T_LIST, pol.doi_logo_urls, "", 0, 0,
	  "Repeatable; https URLs (prefixes) of images a DOI mail may show as its logo."),
	K("PrivacyURL", CFG_T_HTTPS_URL, pol.privacy_url, "", 0, 0,
	  "Privacy policy URL that DOI and marketing mail must link."),
	K("ImprintText", CFG_T_LIST, pol.imprint_text, "", 0, 0,
	  "Repeatable; each text must appear in DOI and marketing mail."),
	K("AdvertisingList", CFG_T_PATH, advertising_list, "", 0, 0,
	  "File of advertising patterns (PCRE2, one per line); empty: shipped lists."),
	K("AdvertisingThreshold", CFG_T_STRING, advertising_threshold_text, "", 0, 0,
	  "Score (0 to 1, exclusive) at or above which a DOI mail sentence counts as advertising; empty: the shipped model's."),
	K("AdvertisingAllowList", CFG_T_PATH, advertising_allow_list, "", 0, 0,
	  "File of phrases, one per line; a DOI mail sentence holding one never counts as advertising by the model."),
	K("AllowedLinkDomains", CFG_T_LIST, pol.allowed_link_domains, "", 0, 0,
	  "Domains a DOI mail may link to besides ConfirmURL's and PrivacyURL's."),
	K("DoiResend", CFG_T_DAYS, pol.doi_resend_days, "never", 0, 3650,
	  "never, or days after which a new DOI mail to a pending address is allowed."),
	K("DoiRetryWindow", CFG_T_INT, pol.doi_retry_window, "5", 0, 365,
	  "Days the same DOI mail (Message-ID and content) may be handed over again after a 4xx; 0 off."),
	K("UnsubscribeAddress", CFG_T_ADDRESS, pol.unsubscribe_address, "", 0, 0,
	  "Inbound address; mail to it or its +uid form withdraws consent."),
	K("UnsubscribeURL", CFG_T_HTTPS_URL, pol.unsubscribe_url, "", 0, 0,
	  "https prefix of the unsubscribe endpoint the visible unsubscribe link must target (default: the List-Unsubscribe https URI without its query)."),
	K("TrackingDomains", CFG_T_LIST, pol.tracking_domains, "", 0, 0,
	  "Link and pixel domains that count as tracking."),
	K("RequireTLS", CFG_T_BOOL, pol.require_tls, "no", 0, 0,
	  "yes: DOI and marketing mail must arrive over TLS or from loopback."),
	K("SpfEgressAddress", CFG_T_IP, pol.spf_egress_address, "", 0, 0,
	  "Public IP the MTA sends from; it must pass the envelope domain's SPF."),
	K("SpfAcceptSoftfail", CFG_T_BOOL, pol.spf_accept_softfail, "no", 0, 0,
	  "yes: an SPF softfail (~all) does not refuse DOI and marketing mail."),
	K("SpfAcceptNeutral", CFG_T_BOOL, pol.spf_accept_neutral, "no", 0, 0,
	  "yes: an SPF neutral (?all) does not refuse DOI and marketing mail."),
	K("SpfAcceptNone", CFG_T_BOOL, pol.spf_accept_none, "no", 0, 0,
	  "yes: an envelope domain without SPF record does not refuse."),
	K("SpfCacheTTL", CFG_T_INT, spf_cache_ttl, "300", 0, 86400,
	  "Seconds an SPF result per envelope domain is cached."),
	K("EvidenceRetention", CFG_T_INT, evidence_retention, "1095", 1, 36500,
	  "Days evidence and withdrawn consent records are kept (consentctl purge)."),
	K("EvidenceSubjectKeyFile", CFG_T_PATH, evidence_subject_key_file, "", 0, 0,
	  "File of the deployment's evidence keys (64 hex digits a line, current first); empty: the store's own pii.key."),
	K("LogAddresses", CFG_T_BOOL, log_addresses, "no", 0, 0,
	  "yes: log recipient addresses; no: log only evidence references."),
	K("LogFormat", CFG_T_LOGFORMAT, log_format, "text", 0, 0,
	  "text: plain log lines; json: one JSON object per line (for log shippers)."),
	K("MaxMessageSize", CFG_T_SIZE, pol.max_message_size, "25M", 1024,
	  1024L * 1024 * 1024, "Most body bytes parsed (headers are read whole); the rest is only scanned for ConfirmURL."),
	K("MaxMimeDepth", CFG_T_INT, pol.max_mime_depth, "32", 1, 1000,
	  "Deepest MIME nesting inspected; deeper mail is refused."),
	K("MaxParts", CFG_T_INT, pol.max_parts, "500", 1, 100000,
	  "Most MIME parts inspected; mail with more is refused."),
	K("UninspectedAction", CFG_T_ACTION, pol.uninspected_action, "reject", 0, 0,
	  "Mail over a Max* limit whose class stays undecided: reject, tempfail, quarantine or tag."),
	K("RcptRefusalLimit", CFG_T_INT, rcpt_refusal_limit, "9", 0, 100000,
	  "Most recipients refused at RCPT time per SMTP connection between accepted messages; keep below smtpd_soft_error_limit."),
	K("DrainTimeout", CFG_T_INT, drain_timeout, "30", 0, 3600,
	  "Seconds SIGTERM waits for open connections to finish their mail."),
	K("FollowVerifyInterval", CFG_T_INT, follow_verify_interval, "3600", 0,
	  604800, "Seconds between the checks consentctl follow makes that the replica matches the centre; 0 off."),
	K("ConsentList", CFG_T_CONSENTLIST, pol.consent_lists, "", 0, 0,
	  "Repeatable; NAME: sender=ADDR|@domain, list-id=ID, class=VALUE - a list of consent and the mail it covers (first matching line wins; none: one implicit list)."),
	K("ProfileDirectory", CFG_T_PATH, profile_directory, "", 0, 0,
	  "Directory of brand profiles, one file each (ProfileSenders plus legal data); empty: none."),
	K("FaultActionTransactional", CFG_T_STRING, fault_action_transactional, "tempfail", 0, 0,
	  "tempfail or pass: transactional mail when the consent store or evidence cannot be used (pass: delivered with X-Consent-Gate ... fault=..., logged)."),
	K("FaultActionOther", CFG_T_STRING, fault_action_other, "tempfail", 0, 0,
	  "tempfail or pass: mail of class other when the consent store or evidence cannot be used."),
	K("RuleAction.<rule>", CFG_T_RULEACTION, pol.rule_action, "reject", 0, 0,
	  "Per-rule action: reject, tempfail, quarantine, tag or off."),
};

#undef K

/* cfg_parse_lines keeps one slot per key. */
#define CFG_KEYS_MAX 128
_Static_assert(sizeof(cfg_table) / sizeof(cfg_table[0]) <= CFG_KEYS_MAX,
	       "raise CFG_KEYS_MAX");

const struct cfg_key *
cfg_keys(size_t *n)
{
	*n = sizeof(cfg_table) / sizeof(cfg_table[0]);
	return cfg_table;
}

void
cfg_list_free(struct pol_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
cfg_free(struct cfg *c)
{
	size_t i, n;
	const struct cfg_key *keys = cfg_keys(&n);

	cfg_consent_lists_free(c);
	cfg_profiles_free(c);

	for (i = 0; i < n; i++) {
		void *field = (char *)c + keys[i].offset;

		switch (keys[i].type) {
		case CFG_T_LIST:
		case CFG_T_ADDRLIST:
			cfg_list_free(field);
			break;
		case CFG_T_STRING:
		case CFG_T_PATH:
		case CFG_T_SOCKET:
		case CFG_T_ADDRESS:
		case CFG_T_HTTPS_URL:
		case CFG_T_IP:
			free(*(char **)field);
			break;
		default:
			break;
		}
	}
	pol_patterns_free(c->pol.patterns);
	cfg_list_free(&c->pol.advertising_allow);
	free(c->path);
	free(c);
}

struct cfg *
cfg_ref(struct cfg *c)
{
	if (c)
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_SEQ_CST);
	return c;
}

void
cfg_unref(struct cfg *c)
{
	if (c && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_SEQ_CST) == 0)
		cfg_free(c);
}

enum pol_action
cfg_rule_action(const struct cfg *c, enum pol_rule r)
{
	return c->pol.rule_action[r];
}

const char *
cfg_action_word(const struct cfg *c, const struct pol_verdict *v)
{
	if (v->action == POL_ACTION_PASS)
		return "pass";
	if (c->mode == CFG_MODE_MONITOR)
		return "monitor";
	return pol_action_name(v->action);
}

/* Parsing context: where we are, where errors go. */

void
cfg_error(struct cfg_ctx *x, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	x->nerrors++;
	if (x->errors) {
		if (x->line)
			buf_printf(x->errors, "%s:%u: %s\n", x->file, x->line, msg);
		else
			buf_printf(x->errors, "%s: %s\n", x->file, msg);
	}
}

int
cfg_list_add(struct pol_list *l, const char *s)
{
	char **v, *dup;

	dup = strdup(s);
	if (dup == NULL)
		return -1;
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (v == NULL) {
		free(dup);
		return -1;
	}
	v[l->n++] = dup;
	l->v = v;
	return 0;
}

static int
cfg_parse_long(const char *s, long *out, int allow_suffix)
{
	char *end;
	long v, mult = 1;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || errno != 0 || v < 0)
		return -1;
	if (allow_suffix && *end) {
		switch (*end) {
		case 'k': case 'K': mult = 1024; break;
		case 'm': case 'M': mult = 1024L * 1024; break;
		case 'g': case 'G': mult = 1024L * 1024 * 1024; break;
		default: return -1;
		}
		end++;
	}
	if (*end != '\0' || v > LONG_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

static int
cfg_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

static int
cfg_check_socket(const char *s)
{
	const char *at;
	char *end;
	long port;

	if (strncmp(s, "unix:", 5) == 0)
		return s[5] == '/' ? 0 : -1;
	if (strncmp(s, "local:", 6) == 0)
		return s[6] == '/' ? 0 : -1;
	if (strncmp(s, "inet:", 5) == 0 || strncmp(s, "inet6:", 6) == 0) {
		s = strchr(s, ':') + 1;
		port = strtol(s, &end, 10);
		if (end == s || port < 1 || port > 65535)
			return -1;
		at = end;
		return (*at == '\0' || (*at == '@' && at[1] != '\0')) ? 0 : -1;
	}
	return -1;
}

/* Replace a string field with a copy of value. */
static int
cfg_set_str(struct cfg_ctx *x, void *field, const char *value)
{
	char *dup = strdup(value);

	if (dup == NULL) {
		cfg_error(x, "out of memory");
		return -1;
	}
	free(*(char **)field);
	*(char **)field = dup;
	return 0;
}

/* The string-valued types: check the form, then store. */
static int
cfg_set_text(struct cfg_ctx *x, const struct cfg_key *k, void *field,
	     const char *value)
{
	char norm[ADDR_MAX + 1];
	unsigned char ipbuf[sizeof(struct in6_addr)];

	switch (k->type) {
	case CFG_T_SOCKET:
		if (cfg_check_socket(value) < 0) {
			cfg_error(x, "Socket: '%s' is not unix:/path or inet:PORT@HOST",
				  value);
			return -1;
		}
		break;
	case CFG_T_PATH:
		if (*value && *value != '/') {
			cfg_error(x, "%s: '%s' is not an absolute path", k->name, value);
			return -1;
		}
		break;
	case CFG_T_ADDRESS:
		if (*value && addr_normalise(value, norm, sizeof(norm)) < 0) {
			cfg_error(x, "%s: '%s' is not an e-mail address", k->name, value);
			return -1;
		}
		if (*value)
			value = norm;
		break;
	case CFG_T_HTTPS_URL:
		if (*value && (strncasecmp(value, "https://", 8) != 0 ||
			       value[8] == '\0' || strpbrk(value, " \t\"<>"))) {
			cfg_error(x, "%s: '%s' is not an https:// URL", k->name, value);
			return -1;
		}
		break;
	case CFG_T_IP:
		if (*value && inet_pton(AF_INET, value, ipbuf) != 1 &&
		    inet_pton(AF_INET6, value, ipbuf) != 1) {
			cfg_error(x, "%s: '%s' is not an IPv4 or IPv6 address", k->name,
				  value);
			return -1;
		}
		break;
	default:
		break;
	}
	return cfg_set_str(x, field, value);
}

/* One entry of an address list: an address or an @domain, normalised in
 * place into norm.  Returns the text to store, or NULL (reported). */
const char *
cfg_list_address(struct cfg_ctx *x, const struct cfg_key *k, char *tok,
		 char *norm, size_t normsz)
{
	/* A domain is mapped to A-labels like an address's domain, so an
	 * entry in either form matches mail in the other. */
	if (tok[0] == '@') {
		if (addr_domain_entry_normalise(tok, norm, normsz) < 0) {
			cfg_error(x, "%s: '%s' is not an @domain", k->name, tok);
			return NULL;
		}
		return norm;
	}
	if (addr_normalise(tok, norm, normsz) < 0) {
		cfg_error(x, "%s: '%s' is neither an address nor @domain", k->name,
			  tok);
		return NULL;
	}
	return norm;
}

/* The lists of bare domain names (a host matches itself and its
 * subdomains).  A URL or a host with a port there would never match. */
static int
cfg_is_domain_list(const struct cfg_key *k)
{
	return strcasecmp(k->name, "AllowedLinkDomains") == 0 ||
	       strcasecmp(k->name, "TrackingDomains") == 0;
}

/* One entry of a domain list: a bare host name.  0, or -1 reported with
 * a hint at what to write instead. */
static int
cfg_check_domain(struct cfg_ctx *x, const struct cfg_key *k, const char *tok)
{
	const char *host = strstr(tok, "://");
	size_t n;

	if (host == NULL && strpbrk(tok, "/:@ \t") == NULL)
		return 0;
	if (host == NULL) {
		cfg_error(x, "%s: '%s' is not a domain name (write only the "
			  "host, e.g. shop.example)", k->name, tok);
		return -1;
	}
	host += 3;
	n = strcspn(host, "/:?#@");
	if (n == 0) {
		host = "its host name";
		n = strlen(host);
	}
	cfg_error(x, "%s: '%s' is a URL, not a domain: write %.*s", k->name,
		  tok, (int)n, host);
	return -1;
}

/* Lists: comma-separated entries appended; ImprintText is one text per
 * line, because commas belong to an imprint. */
static int
cfg_set_list(struct cfg_ctx *x, const struct cfg_key *k, void *field,
	     char *value)
{
	char norm[ADDR_MAX + 1], *tok, *save = NULL;
	const char *entry;

	if (strcasecmp(k->name, "ImprintText") == 0) {
		if (*value && cfg_list_add(field, value) < 0)
			return cfg_error(x, "out of memory"), -1;
		return 0;
	}
	for (tok = strtok_r(value, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		tok = str_trim(tok);
		if (*tok == '\0')
			continue;
		entry = tok;
		if (cfg_is_domain_list(k) && cfg_check_domain(x, k, tok) < 0)
			return -1;
		if (k->type == CFG_T_ADDRLIST &&
		    (entry = cfg_list_address(x, k, tok, norm, sizeof(norm))) == NULL)
			return -1;
		if (cfg_list_add(field, entry) < 0)
			return cfg_error(x, "out of memory"), -1;
	}
	return 0;
}

/* Numbers, yes/no, the mode, an action and DoiResend. */
static int
cfg_set_scalar(struct cfg_ctx *x, struct cfg *c, const struct cfg_key *k,
	       void *field, const char *value)
{
	long n;
	int b;

	switch (k->type) {
	case CFG_T_BOOL:
		if (cfg_parse_bool(value, &b) < 0) {
			cfg_error(x, "%s: '%s' is not yes or no", k->name, value);
			return -1;
		}
		*(int *)field = b;
		return 0;
	case CFG_T_MODE:
		if (strcasecmp(value, "enforce") == 0)
			c->mode = CFG_MODE_ENFORCE;
		else if (strcasecmp(value, "monitor") == 0)
			c->mode = CFG_MODE_MONITOR;
		else
			return cfg_error(x, "Mode: '%s' is not enforce or monitor",
					 value), -1;
		return 0;
	case CFG_T_LOGFORMAT:
		if (strcasecmp(value, "text") == 0)
			c->log_format = CFG_LOG_TEXT;
		else if (strcasecmp(value, "json") == 0)
			c->log_format = CFG_LOG_JSON;
		else
			return cfg_error(x, "LogFormat: '%s' is not text or json",
					 value), -1;
		return 0;
	case CFG_T_ACTION:
		b = pol_action_parse(value);
		if (b < 0 || b == POL_ACTION_OFF)
			return cfg_error(x, "%s: '%s' is not reject, tempfail, "
					 "quarantine or tag", k->name, value), -1;
		*(enum pol_action *)field = (enum pol_action)b;
		return 0;
	case CFG_T_DAYS:
		if (strcasecmp(value, "never") == 0) {
			c->pol.doi_resend_days = -1;
			return 0;
		}
		if (cfg_parse_long(value, &n, 0) < 0 || n < k->min || n > k->max)
			return cfg_error(x, "%s: '%s' is not never or a number of days "
					 "(%ld-%ld)", k->name, value, k->min, k->max), -1;
		c->pol.doi_resend_days = n;
		return 0;
	default: /* CFG_T_INT, CFG_T_SIZE */
		if (cfg_parse_long(value, &n, k->type == CFG_T_SIZE) < 0 ||
		    n < k->min || n > k->max)
			return cfg_error(x, "%s: '%s' is not a number from %ld to %ld",
					 k->name, value, k->min, k->max), -1;
		*(long *)field = n;
		return 0;
	}
}

/* RuleAction.<rule>, or (suffix NULL) the default for every rule. */
static int
cfg_set_ruleaction(struct cfg_ctx *x, struct cfg *c, const struct cfg_key *k,
		   const char *suffix, const char *value)
{
	int a = pol_action_parse(value), r;

	if (a < 0) {
		cfg_error(x, "%s: '%s' is not reject, tempfail, quarantine, tag or off",
			  k->name, value);
		return -1;
	}
	if (suffix == NULL) {
		for (r = 0; r < POL_RULE_COUNT; r++)
			c->pol.rule_action[r] = a;
		return 0;
	}
	r = pol_rule_find(suffix);
	if (r < 0) {
		cfg_error(x, "RuleAction.%s: unknown rule id", suffix);
		return -1;
	}
	if (pol_rule_info((enum pol_rule)r)->fixed) {
		/* e.g. mail that could not be inspected is never let through. */
		cfg_error(x, "RuleAction.%s: this rule always refuses", suffix);
		return -1;
	}
	c->pol.rule_action[r] = a;
	return 0;
}

/* Store one value for one key.  Returns 0 or -1 (error already reported). */
static int
cfg_set(struct cfg_ctx *x, struct cfg *c, const struct cfg_key *k,
	const char *suffix, char *value)
{
	void *field = (char *)c + k->offset;

	if (strlen(value) > CFG_VALUE_MAX) {
		cfg_error(x, "%s: value longer than %d characters", k->name,
			  CFG_VALUE_MAX);
		return -1;
	}
	switch (k->type) {
	case CFG_T_SOCKET:
	case CFG_T_PATH:
	case CFG_T_ADDRESS:
	case CFG_T_HTTPS_URL:
	case CFG_T_IP:
	case CFG_T_STRING:
		return cfg_set_text(x, k, field, value);
	case CFG_T_LIST:
	case CFG_T_ADDRLIST:
		return cfg_set_list(x, k, field, value);
	case CFG_T_RULEACTION:
		return cfg_set_ruleaction(x, c, k, suffix, value);
	case CFG_T_CONSENTLIST:
		return cfg_set_consent_list(x, c, k, value);
	default:
		return cfg_set_scalar(x, c, k, field, value);
	}
}

static const struct cfg_key *
cfg_find(const char *name, const char **suffix)
{
	size_t i, n;
	const struct cfg_key *keys = cfg_keys(&n);

	*suffix = NULL;
	if (strncasecmp(name, "RuleAction.", 11) == 0) {
		*suffix = name + 11;
		for (i = 0; i < n; i++)
			if (keys[i].type == CFG_T_RULEACTION)
				return &keys[i];
	}
	for (i = 0; i < n; i++)
		if (keys[i].type != CFG_T_RULEACTION &&
		    strcasecmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static struct cfg *
cfg_new_defaults(struct cfg_ctx *x)
{
	struct cfg *c;
	size_t i, n;
	const struct cfg_key *keys = cfg_keys(&n);
	char tmp[CFG_VALUE_MAX + 1];

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->refs = 1;
	for (i = 0; i < n; i++) {
		snprintf(tmp, sizeof(tmp), "%s", keys[i].def);
		if (cfg_set(x, c, &keys[i], NULL, tmp) < 0) {
			cfg_free(c);
			return NULL;
		}
	}
	/* Each rule's own default, as its file declares it. */
	for (i = 0; i < POL_RULE_COUNT; i++)
		c->pol.rule_action[i] = pol_rule_info((enum pol_rule)i)->action;
	return c;
}

/* Cut a trailing comment off a value, in place: a '#' at the start or
 * after white space begins one; "\#" stands for a literal '#'.  A '#'
 * inside a word (https://shop.example/#top) is kept. */
static void
cfg_strip_comment(char *value)
{
	char *r, *w;

	for (r = w = value; *r; r++) {
		if (r[0] == '\\' && r[1] == '#') {
			*w++ = '#';
			r++;
			continue;
		}
		if (*r == '#' && (r == value || r[-1] == ' ' || r[-1] == '\t'))
			break;
		*w++ = *r;
	}
	*w = '\0';
	while (w > value && (w[-1] == ' ' || w[-1] == '\t'))
		*--w = '\0';
}

/* Lists append line by line; every other key may be given once.  seen
 * holds the line each key (each RuleAction.<rule>) was first set on, so
 * a second line names both places.  0, or -1 reported. */
static int
cfg_check_repeat(struct cfg_ctx *x, const struct cfg_key *k,
		 const char *suffix, unsigned *seen, unsigned *rule_seen)
{
	unsigned *first = seen;
	int r;

	if (k->type == CFG_T_LIST || k->type == CFG_T_ADDRLIST ||
	    k->type == CFG_T_CONSENTLIST)
		return 0;
	if (k->type == CFG_T_RULEACTION) {
		r = pol_rule_find(suffix);
		if (r < 0)
			return 0; /* cfg_set reports the unknown rule */
		first = &rule_seen[r];
	}
	if (*first == 0) {
		*first = x->line;
		return 0;
	}
	if (k->type == CFG_T_RULEACTION)
		cfg_error(x, "RuleAction.%s: given twice, here and at %s:%u "
			  "(only lists may be repeated; remove one)", suffix,
			  x->file, *first);
	else
		cfg_error(x, "%s: given twice, here and at %s:%u (only lists "
			  "may be repeated; remove one)", k->name, x->file,
			  *first);
	return -1;
}

/* Parse the lines of text into c.  text is modified. */
static void
cfg_parse_lines(struct cfg_ctx *x, struct cfg *c, char *text)
{
	char *line, *next, *key, *value, *p;
	const struct cfg_key *k;
	const char *suffix;
	unsigned seen[CFG_KEYS_MAX] = {0}, rule_seen[POL_RULE_COUNT] = {0};
	size_t nkeys;
	const struct cfg_key *keys = cfg_keys(&nkeys);

	/* A UTF-8 byte order mark, as some editors write one. */
	if (strncmp(text, "\xef\xbb\xbf", 3) == 0)
		text += 3;
	for (line = text; line; line = next) {
		x->line++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strlen(line) > CFG_LINE_MAX) {
			cfg_error(x, "line longer than %d characters", CFG_LINE_MAX);
			continue;
		}
		key = str_trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		for (p = key; *p && !isspace((unsigned char)*p); p++)
			;
		value = str_trim(p);
		*p = '\0';
		cfg_strip_comment(value);
		k = cfg_find(key, &suffix);
		if (k == NULL) {
			cfg_error(x, "unknown key '%s'", key);
			continue;
		}
		if (suffix && *suffix == '\0') {
			cfg_error(x, "RuleAction needs a rule id (RuleAction.<rule>)");
			continue;
		}
		/* A list set in the file replaces the default (in a profile:
		 * the base file's), then appends. */
		if ((k->type == CFG_T_LIST || k->type == CFG_T_ADDRLIST) &&
		    !seen[k - keys]) {
			cfg_list_free((struct pol_list *)((char *)c + k->offset));
			seen[k - keys] = x->line;
		}
		if (k->type == CFG_T_CONSENTLIST && !seen[k - keys]) {
			cfg_consent_lists_free(c);
			c->pol.consent_lists = NULL;
			c->pol.nconsent_lists = 0;
			seen[k - keys] = x->line;
		}
		if (cfg_check_repeat(x, k, suffix, &seen[k - keys], rule_seen) < 0)
			continue;
		if (*value == '\0' && k->type != CFG_T_STRING &&
		    k->type != CFG_T_LIST && k->type != CFG_T_ADDRLIST &&
		    k->type != CFG_T_ADDRESS && k->type != CFG_T_HTTPS_URL &&
		    k->type != CFG_T_IP && k->type != CFG_T_PATH) {
			cfg_error(x, "%s needs a value", k->name);
			continue;
		}
		cfg_set(x, c, k, suffix, value);
	}
	(void)nkeys;
}

/* Read AdvertisingList and compile it; policy/ does the compiling, this
 * module only does the reading (policy/ does no I/O). */
static int
cfg_load_patterns(struct cfg_ctx *x, struct cfg *c)
{
	FILE *f;
	struct buf text = BUF_INIT;
	char chunk[8192];
	size_t n;
	int r;

	f = fopen(c->advertising_list, "r");
	if (f == NULL) {
		cfg_error(x, "AdvertisingList: cannot open %s: %s",
			  c->advertising_list, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(&text, chunk, n) < 0)
			break;
	fclose(f);
	r = pol_patterns_compile(c->advertising_list,
				 text.data ? text.data : "", text.len, x->errors,
				 &c->pol.patterns);
	buf_free(&text);
	if (r < 0)
		x->nerrors++;
	return r;
}

/* Read AdvertisingAllowList: one phrase a line, '#' comments, blank
 * lines skipped. */
static int
cfg_load_allow(struct cfg_ctx *x, struct cfg *c)
{
	FILE *f = fopen(c->advertising_allow_list, "r");
	char line[1024];

	if (f == NULL) {
		cfg_error(x, "AdvertisingAllowList: cannot open %s: %s",
			  c->advertising_allow_list, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *t = str_trim(line);

		if (*t == '\0' || *t == '#')
			continue;
		if (cfg_list_add(&c->pol.advertising_allow, t) < 0) {
			cfg_error(x, "out of memory");
			break;
		}
	}
	fclose(f);
	return 0;
}

/* AdvertisingThreshold: empty, or a number strictly between 0 and 1. */
static void
cfg_threshold(struct cfg_ctx *x, struct cfg *c)
{
	const char *s = c->advertising_threshold_text;
	char *end;
	double d;

	c->pol.advertising_threshold = -1;
	if (s == NULL || *s == '\0')
		return;
	d = strtod(s, &end);
	if (end == s || *end != '\0' || !(d > 0 && d < 1))
		cfg_error(x, "AdvertisingThreshold: a number between 0 and 1 "
			  "(exclusive), not '%s'", s);
	else
		c->pol.advertising_threshold = d;
}

/* Cross-key checks and derived data, after all lines are read. */
static void
cfg_finish(struct cfg_ctx *x, struct cfg *c)
{
	x->line = 0;
	if (c->pol.class_header == NULL || c->pol.class_header[0] == '\0' ||
	    strpbrk(c->pol.class_header, ": \t"))
		cfg_error(x, "ClassHeader: not a valid header name");
	cfg_threshold(x, c);
	cfg_classes_finish(x, c);
	if (c->advertising_allow_list && c->advertising_allow_list[0] &&
	    cfg_load_allow(x, c) < 0)
		return;
	if (c->advertising_list && c->advertising_list[0] &&
	    cfg_load_patterns(x, c) < 0)
		return;
}

struct cfg *
cfg_parse_text(const char *name, const char *text, struct buf *errors)
{
	struct cfg_ctx x = {name, 0, errors, 0};
	struct cfg *c;
	char *copy;

	c = cfg_new_defaults(&x);
	if (c == NULL)
		return NULL;
	copy = strdup(text);
	c->path = strdup(name);
	if (copy == NULL || c->path == NULL) {
		free(copy);
		cfg_error(&x, "out of memory");
		cfg_free(c);
		return NULL;
	}
	cfg_parse_lines(&x, c, copy);
	free(copy);
	if (x.nerrors == 0)
		cfg_finish(&x, c);
	if (x.nerrors == 0 && c->profile_directory && c->profile_directory[0])
		cfg_profiles_load(&x, c, text);
	if (x.nerrors) {
		cfg_free(c);
		return NULL;
	}
	return c;
}

struct cfg *
cfg_parse_overlay(const char *base_name, const char *base_text,
		  struct cfg_ctx *px, char *ptext)
{
	struct cfg_ctx bx = {base_name, 0, NULL, 0};
	struct cfg *c;
	char *copy;

	c = cfg_new_defaults(&bx);
	copy = strdup(base_text);
	if (c == NULL || copy == NULL) {
		free(copy);
		if (c)
			cfg_free(c);
		cfg_error(px, "out of memory");
		return NULL;
	}
	cfg_parse_lines(&bx, c, copy);
	free(copy);
	px->line = 0;
	cfg_parse_lines(px, c, ptext);
	if (bx.nerrors == 0 && px->nerrors == 0)
		cfg_finish(px, c);
	if (bx.nerrors || px->nerrors) {
		if (bx.nerrors)
			cfg_error(px, "the base file %s no longer parses", base_name);
		cfg_free(c);
		return NULL;
	}
	return c;
}

struct cfg *
cfg_load(const char *path, struct buf *errors)
{
	FILE *f;
	struct buf text = BUF_INIT;
	char chunk[8192];
	size_t n;
	struct cfg *c;

	f = fopen(path, "r");
	if (f == NULL) {
		if (errors)
			buf_printf(errors, "%s: cannot open: %s\n", path,
				   strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (text.len + n > 1024 * 1024 || buf_append(&text, chunk, n) < 0) {
			if (errors)
				buf_printf(errors, "%s: file too large\n", path);
			fclose(f);
			buf_free(&text);
			return NULL;
		}
	}
	if (ferror(f)) {
		if (errors)
			buf_printf(errors, "%s: read error\n", path);
		fclose(f);
		buf_free(&text);
		return NULL;
	}
	fclose(f);
	if (memchr(text.data ? text.data : "", '\0', text.len)) {
		if (errors)
			buf_printf(errors, "%s: contains a NUL byte\n", path);
		buf_free(&text);
		return NULL;
	}
	c = cfg_parse_text(path, text.data ? text.data : "", errors);
	buf_free(&text);
	return c;
}

struct cfg *
cfg_defaults(void)
{
	struct cfg_ctx x = {"(defaults)", 0, NULL, 0};

	return cfg_new_defaults(&x);
}

const struct pol_settings *
cfg_pol(const struct cfg *c)
{
	return c ? &c->pol : NULL;
}
