/*
 * policy.h - the policy entry points shared by the milter and `consentctl
 * check`: settings (settings.h) + envelope + parsed message + consent data
 * in; first the class (pol_classify), then a verdict for that class
 * (pol_evaluate).  No I/O, no logging, no libmilter, no LMDB, no config.
 */
#ifndef CG_POLICY_H
#define CG_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "settings.h"
#include "catalogue.h"
#include "message.h"

enum pol_class {
	POL_CLASS_OTHER,
	POL_CLASS_TRANSACTIONAL,
	POL_CLASS_MARKETING,
	POL_CLASS_DOI
};

enum pol_consent_state {
	POL_CONSENT_NONE, /* no record */
	POL_CONSENT_PENDING,
	POL_CONSENT_CONFIRMED,
	POL_CONSENT_WITHDRAWN,
	POL_CONSENT_CUSTOMER
};

/* Longest Message-ID the store keeps for the last DOI mail. */
#define POL_MSGID_MAX 250

/* One list of consent (ConsentList) and the recipient's state for it. */
#define POL_LISTS_MAX 16
#define POL_LIST_NAME_MAX 32
#define POL_LIST_DEFAULT "default" /* the implicit list */
struct pol_consent_list {
	char name[POL_LIST_NAME_MAX + 1];
	enum pol_consent_state state; /* withdrawn when the record is */
};

/* What the store knows about one recipient, as plain data. */
struct pol_consent {
	enum pol_consent_state state; /* the record as a whole */
	int tracking;        /* 1 when the record has tracking consent */
	int64_t doi_sent_at; /* UTC seconds of the last DOI mail, 0 never */
	/* That DOI mail's Message-ID (no angle brackets) and content hash
	 * (pol_message_content_hash), "" when unknown. */
	char doi_msgid[POL_MSGID_MAX + 1];
	char doi_hash[POL_HASH_HEX];
	/* The lists the record names with their states; 0 lists: the
	 * consent is not known per list (consentctl check without a store)
	 * and covers every list. */
	unsigned int nlists;
	struct pol_consent_list lists[POL_LISTS_MAX];
};

struct pol_recipient {
	const char *addr; /* normalised, borrowed */
	struct pol_consent consent;
};

struct pol_envelope {
	const char *sender;    /* normalised, "" for the null sender */
	const char *client_ip; /* "" when unknown */
	int tls;               /* 1 when the client used TLS */
	const struct pol_recipient *rcpts;
	size_t nrcpts;
	int64_t now; /* UTC seconds (fixed in tests) */
	/* SPF result for SpfEgressAddress and the envelope domain, as
	 * libspf2 names it (pass, fail, softfail, neutral, none, permerror,
	 * temperror), or NULL when no check ran. */
	const char *spf_result;
};

/* One rule that fired. */
struct pol_hit {
	enum pol_rule rule;
	int rcpt;      /* index into the envelope recipients, or -1 */
	char *detail;  /* sentence-sized, names the word, link or header */
	char *where;   /* "header List-Unsubscribe", "part 1.2 text/html line 4", or "" */
	int temporary; /* a transient condition (SPF temperror): a refusing
			* action becomes tempfail */
};

struct pol_verdict {
	enum pol_class cls;
	struct pol_hit *hits;
	size_t nhits;
	enum pol_action action; /* strongest action of the hits (pass if none) */
};

const char *pol_class_name(enum pol_class c);
int pol_class_parse(const char *s); /* -1 when unknown */
const char *pol_consent_name(enum pol_consent_state s);

/*
 * Classify from the envelope alone (RCPT time): DoiSenders/MarketingSenders
 * against the envelope sender.  Returns POL_CLASS_OTHER when the envelope
 * does not decide (the message may still decide at end of message).
 */
enum pol_class pol_classify_envelope(const struct pol_settings *ps, const char *sender);

/* Classify a whole message: envelope sender or From in the sender lists,
 * then ClassHeader, else other. */
enum pol_class pol_classify(const struct pol_settings *ps,
			    const struct pol_envelope *env,
			    const struct pol_message *msg);

/*
 * The consent list of a mail (policy/lists.c): the first ConsentList line
 * whose selector matches - sender= the envelope sender (address or
 * @domain), list-id= the List-Id header's identifier (in <>, RFC 2919),
 * class= the list= parameter of the ClassHeader ("marketing; list=news").
 * No line matches: POL_LIST_DEFAULT.  Returns NULL when no ConsentList is
 * configured (one implicit list: consent.scope never fires), otherwise a
 * name borrowed from ps (or the static default).  msg NULL (RCPT time):
 * only sender= can be read, so *decided is 0 (and NULL returned) when a
 * line with list-id= or class= comes before the first line whose sender=
 * matches; 1 otherwise.  decided may be NULL.
 */
const char *pol_mail_list(const struct pol_settings *ps, const char *sender,
			  const struct pol_message *msg, int *decided);

/*
 * Check one recipient at RCPT time for a known class and the mail's list
 * (pol_mail_list; NULL: not known or none configured).  Returns 1 and fills
 * *hit (detail allocated; free with pol_hit_clear) when a consent rule
 * fires, 0 when the recipient may receive the mail, -1 out of memory.
 */
int pol_check_recipient(const struct pol_settings *ps, enum pol_class cls,
			const char *list, const struct pol_recipient *r,
			struct pol_hit *hit);

/*
 * Evaluate every rule that applies to class cls on a whole message.  The
 * class is the caller's: pol_classify(ps, env, msg) for the message alone,
 * or one known otherwise (the envelope at RCPT time, consentctl check
 * --class).  Returns POL_OK, POL_ERR_NOMEM, or POL_ERR_CLASS when cls is
 * not a class; the verdict is filled in either way (free with
 * pol_verdict_clear).
 */
#define POL_ERR_CLASS (-2)
int pol_evaluate(const struct pol_settings *ps, const struct pol_envelope *env,
		 const struct pol_message *msg, enum pol_class cls,
		 struct pol_verdict *v);

/*
 * The uid a DOI mail's confirmation link carries (query parameter uid, id,
 * u, token or t of the first link starting with ConfirmURL) into out.
 * Returns 1 when found, 0 otherwise (out is then "").
 */
int pol_doi_confirm_uid(const struct pol_settings *ps, const struct pol_message *m,
			char *out, size_t outsz);

/*
 * Is msg the same DOI mail as the one recorded (Message-ID sent_msgid,
 * content hash sent_hash, handed to the MTA at sent_at), handed over again
 * within DoiRetryWindow days of sent_at?  That is a retry after a
 * temporary failure, not a second DOI mail.  An empty Message-ID or hash
 * never matches; a window of 0 turns recognition off.  1 or 0.
 */
int pol_doi_same_mail(const struct pol_settings *ps, const char *sent_msgid,
		      const char *sent_hash, int64_t sent_at,
		      const struct pol_message *msg, int64_t now);

void pol_hit_clear(struct pol_hit *h);
void pol_verdict_clear(struct pol_verdict *v);

/* Add a hit to v (detail/where are copied).  Returns 0 or -1 (no memory). */
int pol_verdict_add(struct pol_verdict *v, enum pol_rule rule, int rcpt,
		    const char *where, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Append the rule ids of v's hits, each once in order of first hit,
 * comma-separated, to b.  0, or -1 (no memory). */
struct buf;
int pol_verdict_rule_ids(const struct pol_verdict *v, struct buf *b);

/*
 * Compose the SMTP reply text for a refusal: "<sentence> (rule=a,b
 * ref=REF)".  Returns a malloc'd string or NULL.
 */
char *pol_verdict_reply(const struct pol_verdict *v, const char *ref);

#endif
